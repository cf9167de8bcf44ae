//! "Invite & Approve", the inviting half: the shared invite link and email
//! invitations (send, list, resend, revoke).

use time::OffsetDateTime;

use super::announcements;
use super::groups::get_group;
use super::idempotency::write_once;
use crate::api::{
    CreateInvitationsRequest, InvitationView, InvitationsResult, LinkStateView, NewLinkView,
    Rejected,
};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    EmailAddress, Group, GroupId, Invitation, InvitationValidity, InviteToken, TokenKind,
    TokenRecord, administered_by,
};
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::NewInvitation;

/// Whether the shared link is enabled.
pub async fn invite_link(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<LinkStateView> {
    let group = get_group(deps, caller, gid).await?;
    Ok(LinkStateView {
        enabled: group.invite_link.is_some(),
        created_at: group.invite_link.map(|l| l.created_at),
    })
}

/// Creates (or replaces) the link; the old one stops working at once. The
/// token is returned here and never again.
pub async fn rotate_invite_link(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
) -> Result<NewLinkView> {
    let group = get_group(deps, caller, gid).await?;
    let now = deps.clock.now();
    let token = InviteToken::generate(gid);
    let record = TokenRecord {
        group_id: *gid,
        via: TokenKind::Link,
        token_hash: token.hash(),
        valid_until: None,
        used_at: None,
    };
    let old = group.invite_link.as_ref().map(|l| &l.token_hash);
    deps.repo
        .rotate_invite_link(gid, &caller.account_id, old, &record, now)
        .await?;
    Ok(NewLinkView {
        url: deps.settings.join_url(token.reveal()),
        token: token.reveal().to_owned(),
        created_at: now,
    })
}

/// Disables the link.
pub async fn disable_invite_link(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<()> {
    let group = get_group(deps, caller, gid).await?;
    let link = group.invite_link.ok_or(Error::NotFound("invite link"))?;
    deps.repo
        .disable_invite_link(gid, &caller.account_id, &link.token_hash, deps.clock.now())
        .await
}

/// An invitation to `email` with a fresh token, and what it announces.
fn new_invitation(
    deps: &Deps,
    group: &Group,
    inviter: &Caller,
    email: &EmailAddress,
    validity: InvitationValidity,
    now: OffsetDateTime,
) -> NewInvitation {
    let token = InviteToken::generate(&group.id);
    let expires_at = now + validity.duration();
    let join_url = deps.settings.join_url(token.reveal());
    NewInvitation {
        invitation: Invitation {
            email: email.clone(),
            token_hash: Some(token.hash()),
            expires_at,
            sent_at: now,
            invited_by: inviter.account_id.clone(),
        },
        token: TokenRecord {
            group_id: group.id,
            via: TokenKind::Invitation {
                email: email.clone(),
            },
            token_hash: token.hash(),
            valid_until: Some(expires_at.unix_timestamp()),
            used_at: None,
        },
        outbox: announcements::invited(group, inviter, email, &join_url, expires_at, now),
    }
}

/// Sends email invitations in bulk: invalid or already-invited addresses are
/// reported per address, the rest go out; the per-group daily cap is enforced
/// by the database. Replies 200 with both lists.
pub async fn create_invitations(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    request: &CreateInvitationsRequest,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let (valid, mut rejected, validity) = request.validate()?;
    let group = get_group(deps, caller, gid).await?;
    let now = deps.clock.now();
    let invitations: Vec<NewInvitation> = valid
        .iter()
        .map(|e| new_invitation(deps, &group, caller, e, validity, now))
        .collect();
    let views: Vec<InvitationView> = invitations
        .iter()
        .map(|n| InvitationView::new(&n.invitation, now))
        .collect();
    let result = |refused: &[EmailAddress], rejected: &[Rejected]| InvitationsResult {
        invited: views
            .iter()
            .filter(|v| !refused.contains(&v.email))
            .cloned()
            .collect(),
        rejected: rejected.to_vec(),
    };
    // The stored reply assumes every valid address goes out; addresses
    // refused during the write (never on a replay) are taken out below.
    let mut refused = Vec::new();
    let refusals_out = &mut refused;
    let reply = write_once(
        idem.as_ref(),
        Reply::json(200, &result(&[], &rejected))?,
        |record| async move {
            let (written, refusals) = deps
                .repo
                .create_invitations(
                    gid,
                    &caller.account_id,
                    invitations,
                    deps.settings.invites_per_day,
                    record.as_ref(),
                    now,
                )
                .await?;
            *refusals_out = refusals;
            Ok(written)
        },
    )
    .await?;
    if refused.is_empty() {
        return Ok(reply);
    }
    rejected.extend(refused.iter().map(|e| Rejected {
        email: e.to_string(),
        reason: "already has a pending invitation; resend it instead".into(),
    }));
    Reply::json(200, &result(&refused, &rejected))
}

/// Pending (and expired, not yet resent) invitations.
pub async fn list_invitations(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
) -> Result<Vec<InvitationView>> {
    get_group(deps, caller, gid).await?;
    let now = deps.clock.now();
    Ok(deps
        .repo
        .list_invitations(gid)
        .await?
        .iter()
        .map(|i| InvitationView::new(i, now))
        .collect())
}

/// The group (if the caller administers it) and its invitation to `email`.
async fn invitation_of(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
) -> Result<(Group, Invitation)> {
    let (group, invitation) = deps
        .repo
        .group_with::<Invitation>(gid, &keys::invitation(gid, email))
        .await?;
    let group = administered_by(group, &caller.account_id)?;
    Ok((group, invitation.ok_or(Error::NotFound("invitation"))?))
}

/// Sends an invitation again with a new token and a fresh expiry (its
/// first validity again); the old token dies.
pub async fn resend_invitation(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let (group, old) = invitation_of(deps, caller, gid, email).await?;
    let now = deps.clock.now();
    let new = new_invitation(
        deps,
        &group,
        caller,
        email,
        InvitationValidity::of(&old),
        now,
    );
    let reply = Reply::json(200, &InvitationView::new(&new.invitation, now))?;
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .resend_invitation(
                gid,
                &old,
                &new,
                deps.settings.invites_per_day,
                record.as_ref(),
                now,
            )
            .await
    })
    .await
}

/// Revokes an invitation.
pub async fn revoke_invitation(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
) -> Result<()> {
    let (_, old) = invitation_of(deps, caller, gid, email).await?;
    deps.repo
        .revoke_invitation(gid, &caller.account_id, &old)
        .await
}

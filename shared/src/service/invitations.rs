//! "Invite & Approve", the inviting half: the shared invite link and email
//! invitations (send, list, resend, revoke).

use time::OffsetDateTime;

use super::announcements;
use super::groups::get_group;
use super::idempotency::{or_replay, write_once};
use crate::api::page;
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
use crate::repo::{IdempotentWrite, InviteCaps, NewInvitation, Written};

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

/// An invitation to `email` with a fresh token, and what it announces;
/// `resends` counts the sends before this one. The token is stored only as
/// its hash, and the email holds its seal: the sender, which holds the
/// secret, writes the token in at send time.
fn new_invitation(
    deps: &Deps,
    group: &Group,
    inviter: &Caller,
    email: &EmailAddress,
    validity: InvitationValidity,
    resends: u32,
    now: OffsetDateTime,
) -> Result<NewInvitation> {
    let secret = deps
        .invite_secret
        .as_ref()
        .ok_or_else(|| Error::unexpected("no invitation-token secret configured"))?;
    let (token, seal) = InviteToken::sealed(&group.id, secret);
    let expires_at = now + validity.duration();
    let join_url = deps.settings.join_url(seal.placeholder());
    Ok(NewInvitation {
        invitation: Invitation {
            email: email.clone(),
            token_hash: Some(token.hash()),
            expires_at,
            sent_at: now,
            invited_by: inviter.account_id.clone(),
            resends,
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
        outbox: announcements::invited(group, inviter, email, &join_url, &seal, expires_at, now),
    })
}

/// The daily caps an invitation counts against.
fn invite_caps(deps: &Deps) -> InviteCaps {
    InviteCaps {
        group: deps.settings.invites_per_day,
        account: deps.settings.invites_per_account_per_day,
    }
}

/// Sends email invitations in bulk: invalid or already-invited addresses are
/// reported per address, the rest go out. The whole count is reserved
/// against the daily caps first (all or nothing), then written; addresses
/// refused during the write are given back. With an `Idempotency-Key`, the
/// reply is stored once everything is written, so a retry gets exactly
/// this reply. Replies 200 with both lists.
///
/// Round trips: 1 `TransactWriteItems` (reserve) + 1 per 20 addresses
/// (+1 per chunk with refused addresses, +1 to give them back); with a key,
/// +1 `GetItem` first and +1 `TransactWriteItems` for the reply.
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
    if let Some(request) = &idem
        && let Some(first) = deps.repo.stored_reply(request, now).await?
    {
        return Ok(first);
    }
    let invitations: Vec<NewInvitation> = valid
        .iter()
        .map(|e| new_invitation(deps, &group, caller, e, validity, 0, now))
        .collect::<Result<_>>()?;
    let mut views: Vec<InvitationView> = invitations
        .iter()
        .map(|n| InvitationView::new(&n.invitation, now))
        .collect();
    let count = u32::try_from(invitations.len()).unwrap_or(u32::MAX);
    if count > 0 {
        deps.repo
            .reserve_invitations(gid, &caller.account_id, count, invite_caps(deps), now)
            .await?;
    }
    let refused = deps
        .repo
        .create_invitations(gid, &caller.account_id, invitations, now)
        .await?;
    if !refused.is_empty() {
        let unused = u32::try_from(refused.len()).unwrap_or(u32::MAX);
        deps.repo
            .release_invitations(gid, &caller.account_id, unused, now)
            .await?;
        views.retain(|v| !refused.contains(&v.email));
        rejected.extend(refused.iter().map(|e| Rejected {
            email: e.to_string(),
            reason: "already has a pending invitation; resend it instead".into(),
        }));
    }
    let reply = Reply::json(
        200,
        &InvitationsResult {
            invited: views,
            rejected,
        },
    )?;
    let Some(request) = idem else {
        return Ok(reply);
    };
    let record = IdempotentWrite { request, reply };
    Ok(match deps.repo.record_reply(&record, now).await? {
        Written::Fresh => record.reply,
        Written::Replayed(first) => first,
    })
}

/// A page of pending (and expired, not yet resent) invitations by address,
/// and the token of the next page.
pub async fn list_invitations(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: usize,
    next_token: Option<&str>,
) -> Result<(Vec<InvitationView>, Option<String>)> {
    get_group(deps, caller, gid).await?;
    let after: Option<String> = next_token.map(page::decode).transpose()?;
    let now = deps.clock.now();
    let (invitations, next) = deps
        .repo
        .list_invitations(gid, limit, after.as_deref())
        .await?;
    let views = invitations
        .iter()
        .map(|i| InvitationView::new(i, now))
        .collect();
    Ok((views, next.as_ref().map(page::encode).transpose()?))
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
    let group = administered_by(group, caller)?;
    Ok((group, invitation.ok_or(Error::NotFound("invitation"))?))
}

/// Sends an invitation again with a new token and a fresh expiry (its
/// first validity again); the old token dies. At most once an hour and
/// three times in all (configurable), and counted by the daily caps.
pub async fn resend_invitation(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    // A retry of a resend that went out finds the invitation just sent
    // (too soon to resend): it gets the first reply, not the refusal.
    let outcome = resend_once(deps, caller, gid, email, idem.as_ref()).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn resend_once(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
    idem: Option<&IdempotencyRequest>,
) -> Result<Reply> {
    let (group, old) = invitation_of(deps, caller, gid, email).await?;
    let now = deps.clock.now();
    deps.settings.resends.check(&old, now)?;
    let new = new_invitation(
        deps,
        &group,
        caller,
        email,
        InvitationValidity::of(&old),
        old.resends + 1,
        now,
    )?;
    let reply = Reply::json(200, &InvitationView::new(&new.invitation, now))?;
    write_once(idem, reply, |record| async move {
        deps.repo
            .resend_invitation(gid, &old, &new, invite_caps(deps), record.as_ref(), now)
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

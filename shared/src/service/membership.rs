//! Invitations, the invite link, joins, requests and removals (the product's
//! "Invite & Approve", "Join a Group", "Remove a Group Member", "Add Myself").

use time::OffsetDateTime;

use super::groups::get_group;
use super::{no_content, or_replay, settle, stored};
use crate::api::{
    CreateInvitationsRequest, InvitationView, InvitationsResult, JoinRequest, JoinResult,
    LinkStateView, NewLinkView, PreviewView, Rejected,
};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::http::IdempotencyRequest;
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    AccountId, EmailAddress, Group, GroupId, GroupStatus, Invitation, InviteToken, JoinOutcome,
    Member, MembershipRequest, Region, TokenKind, join_outcome,
};
use crate::notify;
use crate::outbox::{MembershipChange, MembershipEvent, OutboxItem};
use crate::repo::{
    AccountRef, NewInvitation, NewMembership, NewRequest, StoredResponse, TokenRecord, Written,
};

fn event(
    change: MembershipChange,
    group: &GroupId,
    account: Option<&AccountId>,
    email: &EmailAddress,
    actor: Option<&AccountId>,
    at: OffsetDateTime,
) -> OutboxItem {
    OutboxItem::event(MembershipEvent {
        change,
        group_id: *group,
        account_id: account.cloned(),
        email: email.clone(),
        actor: actor.cloned(),
        at,
    })
}

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

fn new_invitation(
    deps: &Deps,
    group: &Group,
    inviter: &Caller,
    email: &EmailAddress,
    days: i64,
    now: OffsetDateTime,
) -> NewInvitation {
    let token = InviteToken::generate(&group.id);
    let expires_at = now + time::Duration::days(days);
    let mail = notify::invitation(
        email,
        &group.name,
        &inviter.email,
        &deps.settings.join_url(token.reveal()),
        expires_at,
        group.managed,
    );
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
        outbox: vec![
            OutboxItem::email(mail, now),
            event(
                MembershipChange::Invited,
                &group.id,
                None,
                email,
                Some(&inviter.account_id),
                now,
            ),
        ],
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
) -> Result<StoredResponse> {
    let (valid, mut rejected, days) = request.validate()?;
    let group = get_group(deps, caller, gid).await?;
    let now = deps.clock.now();
    let invitations: Vec<NewInvitation> = valid
        .iter()
        .map(|e| new_invitation(deps, &group, caller, e, days, now))
        .collect();
    let views: Vec<InvitationView> = invitations
        .iter()
        .map(|n| InvitationView::new(&n.invitation, now))
        .collect();
    // The stored reply assumes every valid address goes out; refusals found
    // during the write are removed below (a replay returns the first reply).
    let fresh = |refused: &[EmailAddress], rejected: &[Rejected]| InvitationsResult {
        invited: views
            .iter()
            .filter(|v| !refused.contains(&v.email))
            .cloned()
            .collect(),
        rejected: rejected.to_vec(),
    };
    let reply = StoredResponse {
        status: 200,
        body: serde_json::to_string(&fresh(&[], &rejected)).map_err(Error::unexpected)?,
    };
    let idem = idem.map(|i| i.with_response(&reply));
    let (written, refused) = deps
        .repo
        .create_invitations(
            gid,
            &caller.account_id,
            invitations,
            deps.settings.invites_per_day,
            idem.as_ref(),
            now,
        )
        .await?;
    if let Written::Replayed(original) = written {
        return Ok(original);
    }
    rejected.extend(refused.iter().map(|e| Rejected {
        email: e.to_string(),
        reason: "already has a pending invitation; resend it instead".into(),
    }));
    Ok(StoredResponse {
        status: 200,
        body: serde_json::to_string(&fresh(&refused, &rejected)).map_err(Error::unexpected)?,
    })
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
    let group = group
        .filter(|g| g.is_admin(&caller.account_id))
        .ok_or(Error::NotFound("group"))?;
    Ok((group, invitation.ok_or(Error::NotFound("invitation"))?))
}

/// Sends an invitation again with a new token and a fresh expiry; the old token dies.
pub async fn resend_invitation(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    email: &EmailAddress,
    idem: Option<IdempotencyRequest>,
) -> Result<StoredResponse> {
    let (group, old) = invitation_of(deps, caller, gid, email).await?;
    let now = deps.clock.now();
    let days = (old.expires_at - old.sent_at).whole_days().clamp(1, 30);
    let new = new_invitation(deps, &group, caller, email, days, now);
    let reply = stored(200, &InvitationView::new(&new.invitation, now))?;
    let idem = idem.map(|i| i.with_response(&reply));
    let written = deps
        .repo
        .resend_invitation(
            gid,
            &old,
            &new,
            deps.settings.invites_per_day,
            idem.as_ref(),
            now,
        )
        .await?;
    Ok(settle(written, reply))
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

/// Reads the group and token a presented token names, or the precise reason it is unusable.
async fn resolve(deps: &Deps, raw: &str, now: OffsetDateTime) -> Result<(Group, TokenRecord)> {
    let token = InviteToken::parse(raw).ok_or(Error::NotFound("invitation"))?;
    let gid = token.group_id().ok_or(Error::NotFound("invitation"))?;
    let hash = token.hash();
    let (group, record) = deps
        .repo
        .group_with::<TokenRecord>(&gid, &keys::token(&hash))
        .await?;
    let (Some(group), Some(record)) = (group, record) else {
        return Err(Error::NotFound("invitation"));
    };
    if !record.token_hash.matches(&hash) || record.group_id != gid {
        return Err(Error::NotFound("invitation"));
    }
    if record.used_at.is_some() {
        return Err(Error::Conflict {
            kind: "invitation-used",
            detail: "this invitation has already been used".into(),
        });
    }
    if record.expired(now) {
        return Err(Error::Gone {
            kind: "invitation-expired",
            detail: "this invitation has expired; ask an administrator to resend it".into(),
        });
    }
    if group.status == GroupStatus::Dissolved {
        return Err(Error::Conflict {
            kind: "group-dissolved",
            detail: "the group has been dissolved".into(),
        });
    }
    Ok((group, record))
}

/// What a joiner will accept, shown before they sign in. The outcome assumes
/// a verified address (an invitation's own address for email invitations).
pub async fn preview(deps: &Deps, raw: &str) -> Result<PreviewView> {
    let (group, record) = resolve(deps, raw, deps.clock.now()).await?;
    let invited_email = match &record.via {
        TokenKind::Invitation { email } => Some(email.clone()),
        TokenKind::Link => None,
    };
    let outcome = match &invited_email {
        Some(email) => join_outcome(&group, &record.via, email, true),
        None if group.join_policy.approval == crate::model::Approval::AutoApproveAll => {
            JoinOutcome::Join
        }
        None => JoinOutcome::Request,
    };
    Ok(PreviewView {
        group_name: group.name,
        managed: group.managed,
        requires_version_history: group.version_history_30_days,
        regions: Region::ALL.to_vec(),
        outcome,
        invited_email,
    })
}

fn consents(group: &Group, managed: bool, version_history: bool) -> Result<()> {
    let mut v = crate::error::Validator::default();
    if group.managed && !managed {
        v.push(crate::FieldError::new("acceptManagedAccess", "this group is managed: its administrators can access your account, which you must accept to join"));
    }
    if group.version_history_30_days && !version_history {
        v.push(crate::FieldError::new(
            "acceptVersionHistory",
            "this group requires 30-day version history",
        ));
    }
    v.finish()
}

/// Joins (or requests to join) with a link or invitation token. Replies 201
/// when joined, 202 when a request was filed.
pub async fn join(
    deps: &Deps,
    caller: &Caller,
    raw: &str,
    request: &JoinRequest,
    idem: Option<IdempotencyRequest>,
) -> Result<StoredResponse> {
    let outcome = join_once(deps, caller, raw, request, idem.as_ref()).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn join_once(
    deps: &Deps,
    caller: &Caller,
    raw: &str,
    request: &JoinRequest,
    idem: Option<&IdempotencyRequest>,
) -> Result<StoredResponse> {
    let region = crate::api::region(&request.region)?;
    let now = deps.clock.now();
    let (group, record) = resolve(deps, raw, now).await?;
    consents(
        &group,
        request.accept_managed_access,
        request.accept_version_history,
    )?;
    let spend = matches!(record.via, TokenKind::Invitation { .. }).then_some(&record);
    match join_outcome(&group, &record.via, &caller.email, caller.email_verified) {
        JoinOutcome::Join => {
            let member = Member {
                account_id: caller.account_id.clone(),
                email: caller.email.clone(),
                region,
                joined_at: now,
                managed_access_accepted: group.managed && request.accept_managed_access,
                version_history_accepted: request.accept_version_history,
            };
            let mut outbox = vec![
                OutboxItem::email(
                    notify::welcome(&caller.email, &group.name, group.managed),
                    now,
                ),
                event(
                    MembershipChange::Joined,
                    &group.id,
                    Some(&caller.account_id),
                    &caller.email,
                    Some(&caller.account_id),
                    now,
                ),
            ];
            if group.admin_notifications {
                outbox.push(OutboxItem::email(
                    notify::member_joined(group.admin_emails(), &group.name, &caller.email),
                    now,
                ));
            }
            let reply = stored(
                201,
                &JoinResult {
                    outcome: "joined".into(),
                    group_id: group.id,
                },
            )?;
            let idem = idem.map(|i| i.with_response(&reply));
            let written = deps
                .repo
                .create_membership(
                    &NewMembership {
                        group_id: group.id,
                        member,
                        account: AccountRef::Caller(caller),
                        max_members: deps.settings.max_members,
                        spend,
                        admin: None,
                        approves_request: false,
                        outbox,
                    },
                    idem.as_ref(),
                    now,
                )
                .await?;
            Ok(settle(written, reply))
        }
        JoinOutcome::Request => {
            let pending = MembershipRequest {
                account_id: caller.account_id.clone(),
                email: caller.email.clone(),
                region,
                requested_at: now,
                managed_access_accepted: group.managed && request.accept_managed_access,
                version_history_accepted: request.accept_version_history,
            };
            let mut outbox = vec![event(
                MembershipChange::Requested,
                &group.id,
                Some(&caller.account_id),
                &caller.email,
                Some(&caller.account_id),
                now,
            )];
            if group.admin_notifications {
                let review = format!(
                    "{}/groups/{}/requests",
                    deps.settings.public_base_url, group.id
                );
                outbox.push(OutboxItem::email(
                    notify::request_received(
                        group.admin_emails(),
                        &group.name,
                        &caller.email,
                        &review,
                    ),
                    now,
                ));
            }
            let reply = stored(
                202,
                &JoinResult {
                    outcome: "requested".into(),
                    group_id: group.id,
                },
            )?;
            let idem = idem.map(|i| i.with_response(&reply));
            let written = deps
                .repo
                .create_request(
                    &NewRequest {
                        group_id: group.id,
                        request: &pending,
                        caller,
                        spend,
                        outbox: &outbox,
                    },
                    idem.as_ref(),
                    now,
                )
                .await?;
            Ok(settle(written, reply))
        }
    }
}

/// Pending requests.
pub async fn list_requests(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
) -> Result<Vec<MembershipRequest>> {
    get_group(deps, caller, gid).await?;
    deps.repo.list_requests(gid).await
}

async fn request_of(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
) -> Result<(Group, MembershipRequest)> {
    let (group, request) = deps
        .repo
        .group_with::<MembershipRequest>(gid, &keys::request(gid, aid))
        .await?;
    let group = group
        .filter(|g| g.is_admin(&caller.account_id))
        .ok_or(Error::NotFound("group"))?;
    Ok((group, request.ok_or(Error::NotFound("request"))?))
}

/// Approves a request: the same limits and transaction as a join; a request
/// is approved at most once.
pub async fn approve_request(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    idem: Option<IdempotencyRequest>,
) -> Result<StoredResponse> {
    let outcome = approve_once(deps, caller, gid, aid, idem.as_ref()).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn approve_once(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    idem: Option<&IdempotencyRequest>,
) -> Result<StoredResponse> {
    let (group, request) = request_of(deps, caller, gid, aid).await?;
    let now = deps.clock.now();
    let member = request.approve(now);
    let outbox = vec![
        OutboxItem::email(
            notify::request_decided(&request.email, &group.name, true),
            now,
        ),
        event(
            MembershipChange::Joined,
            gid,
            Some(aid),
            &request.email,
            Some(&caller.account_id),
            now,
        ),
    ];
    let reply = stored(200, &member)?;
    let idem = idem.map(|i| i.with_response(&reply));
    let written = deps
        .repo
        .create_membership(
            &NewMembership {
                group_id: *gid,
                member,
                account: AccountRef::Existing(aid),
                max_members: deps.settings.max_members,
                spend: None,
                admin: Some(&caller.account_id),
                approves_request: true,
                outbox,
            },
            idem.as_ref(),
            now,
        )
        .await?;
    Ok(settle(written, reply))
}

/// Denies a request; the requester is told.
pub async fn deny_request(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    idem: Option<IdempotencyRequest>,
) -> Result<StoredResponse> {
    let outcome = deny_once(deps, caller, gid, aid, idem.as_ref()).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn deny_once(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    idem: Option<&IdempotencyRequest>,
) -> Result<StoredResponse> {
    let (group, request) = request_of(deps, caller, gid, aid).await?;
    let now = deps.clock.now();
    let outbox = vec![
        OutboxItem::email(
            notify::request_decided(&request.email, &group.name, false),
            now,
        ),
        event(
            MembershipChange::Denied,
            gid,
            Some(aid),
            &request.email,
            Some(&caller.account_id),
            now,
        ),
    ];
    let reply = no_content();
    let idem = idem.map(|i| i.with_response(&reply));
    let written = deps
        .repo
        .deny_request(gid, &caller.account_id, aid, &outbox, idem.as_ref(), now)
        .await?;
    Ok(settle(written, reply))
}

/// A page of members.
pub async fn list_members(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: i32,
    after: Option<&AccountId>,
) -> Result<(Vec<Member>, Option<AccountId>)> {
    get_group(deps, caller, gid).await?;
    deps.repo
        .list_members(gid, limit.clamp(1, 1000), after)
        .await
}

/// An admin joins their own group without a token (same limits).
pub async fn add_myself(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    region: Region,
    version_history: bool,
    idem: Option<IdempotencyRequest>,
) -> Result<StoredResponse> {
    let group = get_group(deps, caller, gid).await?;
    consents(&group, true, version_history)?;
    let now = deps.clock.now();
    let member = Member {
        account_id: caller.account_id.clone(),
        email: caller.email.clone(),
        region,
        joined_at: now,
        managed_access_accepted: group.managed,
        version_history_accepted: version_history,
    };
    let outbox = vec![event(
        MembershipChange::Joined,
        gid,
        Some(&caller.account_id),
        &caller.email,
        Some(&caller.account_id),
        now,
    )];
    let reply = stored(201, &member)?;
    let idem = idem.map(|i| i.with_response(&reply));
    let written = deps
        .repo
        .create_membership(
            &NewMembership {
                group_id: *gid,
                member,
                account: AccountRef::Caller(caller),
                max_members: deps.settings.max_members,
                spend: None,
                admin: Some(&caller.account_id),
                approves_request: false,
                outbox,
            },
            idem.as_ref(),
            now,
        )
        .await?;
    Ok(settle(written, reply))
}

/// Removes a member; they are emailed that they must add a payment method.
/// Their account stays.
pub async fn remove_member(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
) -> Result<()> {
    let (group, member) = deps
        .repo
        .group_with::<Member>(gid, &keys::member(gid, aid))
        .await?;
    let group = group
        .filter(|g| g.is_admin(&caller.account_id))
        .ok_or(Error::NotFound("group"))?;
    let member = member.ok_or(Error::NotFound("member"))?;
    let now = deps.clock.now();
    let outbox = vec![
        OutboxItem::email(notify::removed_from_group(&member.email, &group.name), now),
        event(
            MembershipChange::Removed,
            gid,
            Some(aid),
            &member.email,
            Some(&caller.account_id),
            now,
        ),
    ];
    deps.repo
        .remove_member(gid, &caller.account_id, aid, &outbox, now)
        .await
}

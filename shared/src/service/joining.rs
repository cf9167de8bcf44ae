//! "Join a Group": what a token admits to (shown before signing in), the
//! consents a group asks for, and the join itself, which makes a member or
//! files a request by the group's policy.

use time::OffsetDateTime;

use super::announcements;
use super::idempotency::{or_replay, write_once};
use super::members::admit;
use super::retrying;
use crate::api::{JoinRequest, JoinResult, PreviewView};
use crate::deps::Deps;
use crate::error::{Error, FieldError, Result, Validator};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    Account, Admission, Approval, DirectAdmission, DomainProof, Group, InviteToken, JoinOutcome,
    Member, MembershipRequest, Region, TokenKind, TokenRecord, admission, join_outcome,
};
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::{AccountRef, NewMembership, NewRequest};
use crate::span;

/// What a presented token leads to: its group and record, and for a
/// joiner their account and the proof of their email's domain (when the
/// group lists it; `None` also for a domain listed before proofs existed).
struct Resolved {
    group: Group,
    record: TokenRecord,
    account: Option<Account>,
    proof: Option<DomainProof>,
}

/// The group and token a presented token names (and the joiner's account
/// and domain proof, when there is a joiner), or the precise reason the
/// token is unusable (the same rules the join's write enforces). One
/// `BatchGetItem`.
async fn resolve(
    deps: &Deps,
    raw: &str,
    joiner: Option<&Caller>,
    now: OffsetDateTime,
) -> Result<Resolved> {
    let token = InviteToken::parse(raw).ok_or(Error::NotFound("invitation"))?;
    let gid = token.group_id().ok_or(Error::NotFound("invitation"))?;
    span::record_group(&gid);
    let hash = token.hash();
    let key = keys::token(&hash);
    let (group, record, account, proof) = match joiner {
        Some(caller) => {
            deps.repo
                .join_reads(&gid, &key, &caller.account_id, caller.email.domain())
                .await?
        }
        None => {
            let (group, record) = deps.repo.group_with::<TokenRecord>(&gid, &key).await?;
            (group, record, None, None)
        }
    };
    let (Some(group), Some(record)) = (group, record) else {
        return Err(Error::NotFound("invitation"));
    };
    if !record.token_hash.matches(&hash) || record.group_id != gid {
        return Err(Error::NotFound("invitation"));
    }
    record.ensure_usable(now)?;
    group.ensure_active()?;
    Ok(Resolved {
        group,
        record,
        account,
        proof,
    })
}

/// What a joiner will accept, shown before they sign in. The outcome assumes
/// a verified address (an invitation's own address for email invitations),
/// and `ssoProviders` says which sign-ins the group accepts (any, when empty).
pub async fn preview(deps: &Deps, raw: &str) -> Result<PreviewView> {
    let Resolved { group, record, .. } = resolve(deps, raw, None, deps.clock.now()).await?;
    let invited_email = match &record.via {
        TokenKind::Invitation { email } => Some(email.clone()),
        TokenKind::Link => None,
    };
    // An invitation to its own (verified) address joins whatever the
    // domains: no proof is needed to tell.
    let outcome = match &invited_email {
        Some(email) => join_outcome(&group, &record.via, email, true, None),
        None if group.join_policy.approval == Approval::AutoApproveAll => JoinOutcome::Join,
        None => JoinOutcome::Request,
    };
    Ok(PreviewView {
        group_name: group.name,
        managed: group.managed,
        requires_version_history: group.version_history_30_days,
        regions: Region::ALL.to_vec(),
        outcome,
        invited_email,
        sso_providers: group.sso.iter().copied().collect(),
    })
}

/// The consents `group` asks of a joiner.
pub(super) fn consents(group: &Group, managed: bool, version_history: bool) -> Result<()> {
    let mut v = Validator::default();
    if group.managed && !managed {
        v.push(FieldError::new(
            "acceptManagedAccess",
            "this group is managed: its administrators can access your account, which you must accept to join",
        ));
    }
    if group.version_history_30_days && !version_history {
        v.push(FieldError::new(
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
) -> Result<Reply> {
    let outcome = retrying(|| join_once(deps, caller, raw, request, idem.as_ref())).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn join_once(
    deps: &Deps,
    caller: &Caller,
    raw: &str,
    request: &JoinRequest,
    idem: Option<&IdempotencyRequest>,
) -> Result<Reply> {
    let region = crate::api::region(&request.region)?;
    let now = deps.clock.now();
    let Resolved {
        group,
        record,
        account,
        proof,
    } = resolve(deps, raw, Some(caller), now).await?;
    // Joining and asking alike need a session the group's SSO setting
    // admits; refused before anything is written (the account included).
    group.admits_session(caller.sign_in)?;
    consents(
        &group,
        request.accept_managed_access,
        request.accept_version_history,
    )?;
    // An email invitation is spent only by its invitee; anyone else holding
    // its link uses it as the group's link: the token must still exist, and
    // stays for the invitee.
    let spent = if record.via.invites(&caller.email, caller.email_verified) {
        record.clone()
    } else {
        TokenRecord {
            via: TokenKind::Link,
            ..record.clone()
        }
    };
    let spend = Some(&spent);
    let managed_access_accepted = group.managed && request.accept_managed_access;
    let admitted = admission(
        &group,
        &record.via,
        &caller.email,
        caller.email_verified,
        proof.as_ref(),
    );
    // Admitted by a proven domain: the write requires the proof still
    // verified, so a suspension racing the join wins (the join, read
    // again, files a request).
    let proven_domain = match &admitted {
        Admission::Direct(DirectAdmission::ProvenDomain(_)) => proof.as_ref(),
        _ => None,
    };
    match admitted.outcome() {
        JoinOutcome::Join => {
            let membership = NewMembership {
                group_id: group.id,
                member: Member {
                    account_id: caller.account_id.clone(),
                    email: caller.email.clone(),
                    region,
                    joined_at: now,
                    managed_access_accepted,
                    version_history_accepted: request.accept_version_history,
                },
                account: AccountRef::Caller(caller),
                joining: account.as_ref(),
                spend,
                admin: None,
                approves_request: false,
                proven_domain,
                outbox: announcements::joined(&group, caller, now),
            };
            let reply = Reply::json(201, &JoinResult::joined(group.id))?;
            admit(deps, membership, reply, idem, now).await
        }
        JoinOutcome::Request => {
            let pending = MembershipRequest {
                account_id: caller.account_id.clone(),
                email: caller.email.clone(),
                region,
                requested_at: now,
                managed_access_accepted,
                version_history_accepted: request.accept_version_history,
                email_verified: caller.email_verified,
                sso_provider: caller.sign_in.provider(),
            };
            let review = format!(
                "{}/groups/{}/requests",
                deps.settings.public_base_url, group.id
            );
            let outbox = announcements::requested(&group, caller, &review, now);
            let reply = Reply::json(202, &JoinResult::requested(group.id))?;
            write_once(idem, reply, |record| async move {
                let new = NewRequest {
                    group_id: group.id,
                    request: &pending,
                    caller,
                    spend,
                    outbox: &outbox,
                };
                deps.repo.create_request(&new, record.as_ref(), now).await
            })
            .await
        }
    }
}

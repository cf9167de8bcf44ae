//! "Delete a Group": a preview of what dissolving ends (licenses, the
//! unbilled estimate, members affected) with a short-lived confirmation
//! token, then the confirmation that stops the group at once and starts the
//! dissolution job (202).

use super::billing::{billing_of, licenses, unbilled};
use super::idempotency::{or_replay, write_once};
use crate::api::{ConfirmDissolutionRequest, DissolutionPreview, DissolutionStatus};
use crate::deps::Deps;
use crate::error::Result;
use crate::identity::Caller;
use crate::jobs::Job;
use crate::model::{
    Dissolution, DissolutionState, GroupId, PREVIEW_VALIDITY, TokenHash, administered_by,
    confirmation_token,
};
use crate::outbox::OutboxItem;
use crate::reply::{IdempotencyRequest, Reply};

/// Shows what dissolving the group would end and returns the token that
/// confirms it (a new preview replaces the token). DynamoDB: one
/// `BatchGetItem`, one `Query` and one `TransactWriteItems`.
pub async fn preview(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<DissolutionPreview> {
    let (group, billing, stats) = billing_of(deps, caller, gid).await?;
    group.ensure_active()?;
    let now = deps.clock.now();
    let unbilled_estimate = unbilled(deps, gid, &billing, now.date()).await?;
    let (token, hash) = confirmation_token();
    let expires_at = now + PREVIEW_VALIDITY;
    let record = Dissolution {
        state: DissolutionState::Previewed,
        token_hash: Some(hash),
        valid_until: Some(expires_at.unix_timestamp()),
        previewed_by: caller.account_id.clone(),
        confirmed_by: None,
        confirmed_at: None,
        final_usage_recorded: false,
        members_detached: 0,
    };
    deps.repo
        .preview_dissolution(gid, &caller.account_id, &record)
        .await?;
    Ok(DissolutionPreview {
        licenses: licenses(&group, &stats),
        members_affected: group.member_count,
        unbilled_estimate,
        confirmation_token: token,
        expires_at,
    })
}

/// Confirms the dissolution with the preview's token: from now on the
/// group accepts no joins, invitations or edits, and the dissolution job
/// detaches its members. Replies 202. Admins only, from a session the
/// group's SSO setting admits. DynamoDB: one `GetItem` (the group, for the
/// session's rule) and one `TransactWriteItems`.
pub async fn confirm(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    request: &ConfirmDissolutionRequest,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    administered_by(deps.repo.get_group(gid).await?, caller)?;
    let now = deps.clock.now();
    let presented = TokenHash::of(request.confirmation_token.trim());
    let job = OutboxItem::job(Job::DissolveGroup { group_id: *gid }, now);
    let reply = Reply::json(
        202,
        &DissolutionStatus {
            status: "dissolving".into(),
            confirmed_at: now,
        },
    )?;
    let outcome = write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .confirm_dissolution(
                gid,
                &caller.account_id,
                &presented,
                &job,
                record.as_ref(),
                now,
            )
            .await
    })
    .await;
    or_replay(deps, idem.as_ref(), outcome).await
}

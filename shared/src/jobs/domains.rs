//! The daily re-check of verified domains (EventBridge Scheduler →
//! `recheck-domains`): each verified domain's TXT record is looked up
//! again, least recently checked first, a few at a time. Still there: the
//! check is noted. Definitely gone (NXDOMAIN, or no TXT record with the
//! value): the domain is suspended, so its addresses ask to join again,
//! and the group's admins are emailed, once, in the suspension's own
//! write. A look-up that could not tell (timeout, SERVFAIL) changes
//! nothing: it is logged and counted, and the next run tries again.
//!
//! A run stops starting look-ups when its time runs out; the least
//! recently checked go first, so the next run carries on where it stopped.

use futures::StreamExt as _;
use time::OffsetDateTime;

use super::Budget;
use crate::deps::Deps;
use crate::dns::TxtAnswer;
use crate::error::Result;
use crate::model::{DomainProof, DomainState};
use crate::notify;
use crate::outbox::OutboxItem;

/// Verified domains read per page.
const PAGE: i32 = 100;
/// Look-ups in flight at once.
const CONCURRENT_LOOKUPS: usize = 8;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rechecked {
    /// Domains looked up.
    pub checked: u32,
    /// Still proven.
    pub proven: u32,
    /// Found gone and suspended (their admins emailed).
    pub suspended: u32,
    /// Look-ups that could not tell: left as they were for the next run.
    pub undecided: u32,
    /// Time ran out before every verified domain was looked up.
    pub unfinished: bool,
}

/// What one look-up concluded.
enum Verdict {
    Proven,
    Gone,
    Undecided,
}

/// Re-checks every verified domain last checked before this run started.
pub async fn recheck(deps: &Deps, budget: Budget) -> Result<Rechecked> {
    let resolver = deps.dns()?;
    let started = deps.clock.now();
    let mut ran = Rechecked::default();
    let mut after = None;
    loop {
        if !budget.allows(ran.checked) {
            ran.unfinished = true;
            break;
        }
        let (page, next) = deps
            .repo
            .verified_domains(started, after.take(), PAGE)
            .await?;
        let verdicts: Vec<(DomainProof, Verdict)> = futures::stream::iter(page)
            .map(|proof| async move {
                let name = proof.record_name();
                let verdict = match resolver.txt(&name).await {
                    Ok(TxtAnswer::Found(texts)) if proof.is_proven_by(&texts) => Verdict::Proven,
                    Ok(_) => Verdict::Gone,
                    Err(failed) => {
                        tracing::warn!(error = %failed, "re-check could not look a domain up");
                        Verdict::Undecided
                    }
                };
                (proof, verdict)
            })
            .buffer_unordered(CONCURRENT_LOOKUPS)
            .collect()
            .await;
        for (proof, verdict) in verdicts {
            ran.checked += 1;
            let now = deps.clock.now();
            match verdict {
                Verdict::Proven => {
                    deps.repo.domain_still_proven(&proof, now).await?;
                    ran.proven += 1;
                }
                Verdict::Gone => {
                    if suspend(deps, proof, now).await? {
                        ran.suspended += 1;
                    }
                }
                Verdict::Undecided => ran.undecided += 1,
            }
        }
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    tracing::info!(
        checked = ran.checked,
        proven = ran.proven,
        suspended = ran.suspended,
        undecided = ran.undecided,
        unfinished = ran.unfinished,
        "domains re-checked"
    );
    Ok(ran)
}

/// Suspends a domain whose record is gone, emailing its group's admins in
/// the same write. `false` when it changed meanwhile (verified again,
/// removed, or suspended by another run: no second email).
async fn suspend(deps: &Deps, proof: DomainProof, now: OffsetDateTime) -> Result<bool> {
    let group = deps.repo.get_group(&proof.group_id).await?;
    let email = group
        .as_ref()
        .filter(|g| g.ensure_active().is_ok())
        .map(|g| {
            let url = format!("{}/groups/{}/domains", deps.settings.public_base_url, g.id);
            let letter = notify::domain_suspended(
                g.admin_emails(),
                &g.name,
                &proof.domain,
                (&proof.record_name(), &proof.record_value()),
                &url,
            );
            OutboxItem::email(letter, now)
        });
    let suspended = DomainProof {
        state: DomainState::Suspended,
        suspended_at: Some(now),
        last_checked_at: Some(now),
        ..proof
    };
    let done = deps.repo.suspend_domain(&suspended, email.as_ref()).await?;
    if done {
        tracing::warn!(
            group_id = %suspended.group_id,
            domain = %suspended.domain,
            "domain suspended: its proof record is gone"
        );
    }
    Ok(done)
}

//! Proving a group's automatically accepted domains: the list its admins
//! see (each domain with the TXT record to publish) and the verification
//! that looks the record up. A domain admits joiners only while verified.

use crate::api::{DomainList, DomainView};
use crate::deps::Deps;
use crate::error::Result;
use crate::identity::Caller;
use crate::model::{GroupId, administered_by};

/// Every domain the group lists, with its state and record. Admins only
/// (everyone else: 404). DynamoDB: one `GetItem`, one `Query`.
pub async fn list_domains(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<DomainList> {
    let group = administered_by(deps.repo.get_group(gid).await?, caller)?;
    let proofs = deps.repo.domain_proofs(gid).await?;
    let domains = group
        .join_policy
        .auto_accept_domains
        .iter()
        .map(|domain| {
            let proof = proofs.iter().find(|p| &p.domain == domain);
            DomainView::new(domain, proof)
        })
        .collect();
    Ok(DomainList { domains })
}

#[cfg(feature = "dns")]
pub use verify::verify_domain;

#[cfg(feature = "dns")]
mod verify {
    use std::time::Duration;

    use crate::api::DomainView;
    use crate::deps::Deps;
    use crate::dns::TxtAnswer;
    use crate::error::{Error, Result};
    use crate::identity::Caller;
    use crate::model::{
        AuditAction, DomainProof, DomainState, EmailDomain, GroupId, Origin, administered_by,
    };
    use crate::problem::ProblemKind;

    /// When a look-up that could not tell is worth trying again.
    const RETRY_LOOKUP_AFTER: Duration = Duration::from_secs(30);

    /// Looks up the domain's TXT record and, when it holds the group's
    /// challenge, marks the domain verified (a suspended one too): from
    /// then on its addresses join directly. A domain listed before proofs
    /// existed is given its challenge now. Admins of an active group only
    /// (everyone else: 404; a domain the group does not list: 404).
    ///
    /// Not found: 409 `domain-not-verified`, naming the record and its
    /// value. A look-up that could not tell (timeout, SERVFAIL): 503
    /// `dns-unavailable` with `Retry-After`, and nothing changes.
    ///
    /// DynamoDB: one `BatchGetItem` (group, proof); for a domain without a
    /// proof one conditional `PutItem`; verified, one `TransactWriteItems`
    /// (admin check on the group, the proof, the audit entry). DNS: one
    /// TXT look-up.
    pub async fn verify_domain(
        deps: &Deps,
        caller: &Caller,
        gid: &GroupId,
        domain: &EmailDomain,
        origin: &Origin,
    ) -> Result<DomainView> {
        crate::service::retrying(|| verify_once(deps, caller, gid, domain, origin)).await
    }

    async fn verify_once(
        deps: &Deps,
        caller: &Caller,
        gid: &GroupId,
        domain: &EmailDomain,
        origin: &Origin,
    ) -> Result<DomainView> {
        let (group, proof) = deps.repo.group_and_domain(gid, domain).await?;
        let group = administered_by(group, caller)?;
        group.ensure_active()?;
        if !group.join_policy.auto_accept_domains.contains(domain) {
            return Err(Error::NotFound("domain"));
        }
        let now = deps.clock.now();
        let proof = match proof {
            Some(proof) => proof,
            None => {
                let proof = DomainProof::new(*gid, domain.clone(), now);
                if !deps.repo.create_domain_proof(&proof).await? {
                    // Another verification gave it one first: read again.
                    return Err(Error::concurrent(
                        "the domain was given its proof meanwhile",
                    ));
                }
                proof
            }
        };
        let name = proof.record_name();
        let answer = deps.dns()?.txt(&name).await.map_err(|failed| {
            tracing::warn!(error = %failed, "domain verification could not look its record up");
            Error::refused_for(
                ProblemKind::DnsUnavailable,
                format!("the DNS look-up of {name} did not complete; try again shortly"),
                RETRY_LOOKUP_AFTER,
            )
        })?;
        let found = match &answer {
            TxtAnswer::Found(texts) => proof.is_proven_by(texts),
            TxtAnswer::Missing => false,
        };
        if !found {
            let seen = match answer {
                TxtAnswer::Found(_) => "TXT records are there, but none with that value",
                TxtAnswer::Missing => "no TXT record is there",
            };
            return Err(Error::refused(
                ProblemKind::DomainNotVerified,
                format!(
                    "publish a TXT record named {name} with the value {value} at {domain}'s DNS provider, then verify again ({seen}; a new record can take a few minutes to be visible)",
                    value = proof.record_value(),
                ),
            ));
        }
        let verified = DomainProof {
            state: DomainState::Verified,
            verified_at: Some(now),
            last_checked_at: Some(now),
            suspended_at: None,
            ..proof
        };
        let action = AuditAction::DomainVerified {
            domain: domain.clone(),
        };
        let entry = crate::service::audit::entry(deps, caller, *gid, None, action, origin);
        deps.repo
            .verify_domain(&verified, &caller.account_id, &entry)
            .await?;
        tracing::info!(%domain, "domain verified");
        Ok(DomainView::new(domain, Some(&verified)))
    }
}

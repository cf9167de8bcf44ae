//! The proofs of a group's automatically accepted domains: one item per
//! listed domain (`GROUP#<gid>` / `DOMAIN#<domain>`) holding its random
//! challenge and its state. A verified proof also carries the sparse GSI1
//! entry (`DOMAINS#VERIFIED` / `<gid>#<domain>`) that the daily re-check
//! walks; suspension takes it off. Proofs are created and deleted with the
//! domains in the group's own write, so a listed domain's proof belongs to
//! that listing: removing a domain and adding it again starts a new proof.

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::groups::admin_guard;
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Item, Repository, from_item, key_map, s, sdk_error};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{AccountId, AuditEntry, DomainProof, EmailDomain, Group, GroupId, rfc3339};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// The attribute on the group item that changes with every edit of its
/// domain list: an edit that adds or removes proofs is conditioned on the
/// value it read, so two edits racing cannot leave a listed domain without
/// its proof or a proof without its listing. (Joins and other edits raise
/// the group's `version`; only domain edits raise this.)
const DOMAINS_VERSION: &str = "domainsVersion";

/// The group as read for an edit of its domains, with the domain list's
/// version (0 for a group never edited since proofs exist).
#[derive(Debug, Clone)]
pub struct GroupForDomainEdit {
    /// The group.
    pub group: Group,
    /// Its `domainsVersion`.
    pub domains_version: u64,
}

/// What an edit of the domain list does to the proofs, in the group's write.
#[derive(Debug, Clone, Default)]
pub struct DomainEdit {
    /// The `domainsVersion` the edit was computed from.
    pub read_version: u64,
    /// Proofs of newly listed domains (fresh challenges).
    pub added: Vec<DomainProof>,
    /// Domains no longer listed: their proofs are deleted.
    pub removed: Vec<EmailDomain>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DomainsVersion {
    #[serde(default)]
    domains_version: u64,
}

/// The update of a proof's state, conditioned on it still being the
/// listing `proof` read (its challenge) and, when given, in `state`.
fn same_listing(proof: &DomainProof) -> Expr {
    Expr::new("challenge = :challenge").value(":challenge", s(&proof.challenge))
}

/// A proof's item: the proof, and the sparse index entry when verified.
fn proof_item(proof: &DomainProof) -> Result<Item> {
    let mut item = super::to_item(
        &keys::domain_proof(&proof.group_id, proof.domain.as_str()),
        "DomainProof",
        proof,
    )?;
    if proof.auto_accepts() {
        item.insert(keys::GSI1PK.to_owned(), s(keys::VERIFIED_DOMAINS));
        item.insert(keys::GSI1SK.to_owned(), s(index_sort(proof)));
    }
    Ok(item)
}

/// A verified proof's place in the re-check's index (by its last look-up).
fn index_sort(proof: &DomainProof) -> String {
    keys::verified_domain(
        proof
            .last_checked_at
            .or(proof.verified_at)
            .unwrap_or(proof.created_at),
        &proof.group_id,
        proof.domain.as_str(),
    )
}

impl Repository {
    /// The proofs' side of a group write: puts every added proof (a fresh
    /// challenge, replacing anything left at its key), deletes every
    /// removed one.
    pub(super) fn add_domain_proofs(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        added: &[DomainProof],
        removed: &[EmailDomain],
    ) -> Result<()> {
        for proof in added {
            tx.put_item(proof_item(proof)?, None)?;
        }
        for domain in removed {
            tx.delete(&keys::domain_proof(gid, domain.as_str()), None)?;
        }
        Ok(())
    }

    /// The guard on the group item of an edit of its domain list: the list
    /// is still the one the edit was computed from.
    pub(super) fn domains_unchanged(read_version: u64) -> Expr {
        let expr = if read_version == 0 {
            Expr::new("attribute_not_exists(#dv)")
        } else {
            Expr::new("#dv = :dv").value(":dv", super::n(read_version))
        };
        expr.name("#dv", DOMAINS_VERSION)
    }

    /// The group and its domain list's version, for an edit of the list.
    /// One consistent `GetItem`.
    pub async fn group_for_domain_edit(&self, gid: &GroupId) -> Result<Option<GroupForDomainEdit>> {
        let out = self
            .client
            .get_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::group(gid))))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let version: DomainsVersion = from_item(item.clone())?;
        Ok(Some(GroupForDomainEdit {
            group: from_item(item)?,
            domains_version: version.domains_version,
        }))
    }

    /// The group and its proof of `domain`. One `BatchGetItem`.
    pub async fn group_and_domain(
        &self,
        gid: &GroupId,
        domain: &EmailDomain,
    ) -> Result<(Option<Group>, Option<DomainProof>)> {
        self.group_with(gid, &keys::domain_proof(gid, domain.as_str()))
            .await
    }

    /// Every proof of a group, by domain. One consistent `Query` (a group
    /// lists at most `MAX_AUTO_ACCEPT_DOMAINS`, far under a page's 1 MB).
    pub async fn domain_proofs(&self, gid: &GroupId) -> Result<Vec<DomainProof>> {
        let mut proofs = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = self
                .page_prefix::<DomainProof>(gid, keys::DOMAIN_PREFIX, 100, after.as_deref())
                .await?;
            proofs.extend(page);
            match next {
                Some(next) => after = Some(next),
                None => return Ok(proofs),
            }
        }
    }

    /// Creates the proof of a domain listed before proofs existed, unless
    /// one exists (`false`: one was created meanwhile, to be read again).
    /// One conditional `PutItem`.
    pub async fn create_domain_proof(&self, proof: &DomainProof) -> Result<bool> {
        let put = self
            .client
            .put_item()
            .table_name(self.table())
            .set_item(Some(proof_item(proof)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        super::condition_held(put)
    }

    /// Marks `proof` verified (its record was found) if `caller` still
    /// administers the active group and the proof is still this listing's,
    /// with its audit entry; the verified proof joins the re-check's index.
    /// One `TransactWriteItems`.
    pub async fn verify_domain(
        &self,
        verified: &DomainProof,
        caller: &AccountId,
        entry: &AuditEntry,
    ) -> Result<()> {
        let gid = &verified.group_id;
        let mut tx = Tx::new(self);
        tx.check(&keys::group(gid), admin_guard(caller))?;
        tx.put_item(
            proof_item(verified)?,
            Some(Guard::new(
                same_listing(verified),
                Refusal::explain(|old| match old {
                    None => Error::NotFound("domain"),
                    Some(_) => {
                        Error::concurrent("the domain was listed again while it was verified")
                    }
                }),
            )),
        )?;
        self.add_audit(&mut tx, entry)?;
        tx.commit().await.map(drop)
    }

    /// A page of verified proofs last checked before `checked_before`,
    /// least recently checked first (the
    /// re-check's index, eventually consistent: the re-check's writes are
    /// conditioned on the state), and where the next page starts. One
    /// `Query` on GSI1.
    pub async fn verified_domains(
        &self,
        checked_before: OffsetDateTime,
        after: Option<Item>,
        limit: i32,
    ) -> Result<(Vec<DomainProof>, Option<Item>)> {
        // Proofs checked since `checked_before` (this run's own, moved to
        // the end) are not visited again.
        let before = keys::verified_domains_before(checked_before);
        let out = self
            .client
            .query()
            .table_name(self.table())
            .index_name(keys::GSI1)
            .key_condition_expression("GSI1PK = :pk AND GSI1SK < :before")
            .expression_attribute_values(":pk", s(keys::VERIFIED_DOMAINS))
            .expression_attribute_values(":before", s(before))
            .set_exclusive_start_key(after)
            .limit(limit)
            .send()
            .await
            .map_err(sdk_error)?;
        let proofs = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<DomainProof>>>()?;
        Ok((proofs, out.last_evaluated_key))
    }

    /// Notes that the re-check found `proof`'s record still there (it moves
    /// to the end of the re-check's order). `false` when it is no longer
    /// this verified listing. One conditional `UpdateItem`.
    pub async fn domain_still_proven(
        &self,
        proof: &DomainProof,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let out = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::domain_proof(
                &proof.group_id,
                proof.domain.as_str(),
            ))))
            .update_expression("SET lastCheckedAt = :now, GSI1SK = :sort")
            .condition_expression("#state = :verified AND challenge = :challenge")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", s(rfc3339(now)))
            .expression_attribute_values(
                ":sort",
                s(keys::verified_domain(
                    now,
                    &proof.group_id,
                    proof.domain.as_str(),
                )),
            )
            .expression_attribute_values(":verified", s("verified"))
            .expression_attribute_values(":challenge", s(&proof.challenge))
            .send()
            .await;
        super::condition_held(out)
    }

    /// Suspends a verified proof whose record is gone (off the re-check's
    /// index), with the email to the group's admins: written once, since
    /// only the write that finds the proof verified commits. `false` when
    /// it was no longer this verified listing (verified again, removed, or
    /// suspended by another run). One `TransactWriteItems`.
    pub async fn suspend_domain(
        &self,
        suspended: &DomainProof,
        email: Option<&OutboxItem>,
    ) -> Result<bool> {
        let mut tx = Tx::new(self);
        tx.put_item(
            proof_item(suspended)?,
            Some(Guard::new(
                same_listing(suspended)
                    .and("#state = :verified")
                    .name("#state", "state")
                    .value(":verified", s("verified")),
                Refusal::always(|| Error::concurrent("the domain's proof changed")),
            )),
        )?;
        if let Some(email) = email {
            self.add_outbox(&mut tx, std::slice::from_ref(email))?;
        }
        match tx.commit().await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ProblemKind::ConcurrentChange => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The condition of a join admitted by a proven domain: the proof read is
/// still verified and still this listing's, so a suspension or a removal
/// racing the join wins (the join reads again and files a request).
pub(super) fn still_verified(proof: &DomainProof) -> Guard<'static> {
    Guard::new(
        same_listing(proof)
            .and("#state = :verified")
            .name("#state", "state")
            .value(":verified", AttributeValue::S("verified".into())),
        Refusal::always(|| {
            Error::concurrent(
                "the domain's proof changed while joining; joining again reads it anew",
            )
        }),
    )
}

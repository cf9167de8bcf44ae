//! Accounts and the uniqueness claims of their verified email addresses.
//! An account is registered by the first write its owner makes (its items
//! join that write's transaction, so registering costs no round trip).

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Item, Repository, n, s};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    Account, AccountChanges, AccountId, EmailAddress, GroupId, UsageDelta, rfc3339,
};
use crate::problem::ProblemKind;

/// The item that makes a verified address one account's.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EmailClaim {
    pub(super) account_id: AccountId,
}

/// What an account's group must be for a write to go ahead, and what the
/// write does to it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GroupRule<'a> {
    /// Anything, unchanged.
    Any,
    /// In no group (filing a request to join `0`).
    InNoGroup(&'a GroupId),
    /// In no group, and joining `0` now.
    Joins(&'a GroupId),
    /// Still in the group it was read in (`None`: still in none), unchanged:
    /// a usage change counted in that group's synopsis.
    Still(Option<&'a GroupId>),
    /// In `0`, and leaving it now.
    Leaves(&'a GroupId),
}

/// A counter that must stay under its limit when it grows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    /// The attribute, e.g. `computerCount`.
    pub counter: &'static str,
    /// The most it may reach.
    pub max: u32,
    /// The refusal when it would pass `max`.
    pub refusal: fn(u32) -> Error,
}

/// One write to an account item: who (the caller, registered on the way,
/// or an existing account), its group rule, the counters it adds to, the
/// conditions that keep those counters true under concurrency, and the
/// owner's own settings it changes. An item appears once in a transaction,
/// so all of this is one update.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountWrite<'a> {
    /// The caller (registered from their token) or another existing account.
    pub who: Who<'a>,
    /// Its group, checked and possibly changed.
    pub group: GroupRule<'a>,
    /// Counters to add to.
    pub usage: UsageDelta,
    /// Buckets added (1) or removed (-1).
    pub buckets: i64,
    /// A counter that must stay under its limit.
    pub limit: Option<Limit>,
    /// The usage version the write's counts were read at: the write is
    /// refused as contended if it changed since.
    pub read_at: Option<u64>,
    /// The owner's settings to change (`PATCH /me`); none by default, and
    /// a write that names none leaves them as stored.
    pub changes: AccountChanges,
    /// Whether this write may change the stored email (only signing in
    /// does: see [`Repository::sign_in`]).
    pub email: EmailRule<'a>,
}

/// What a write of the caller's account does to its stored email.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EmailRule<'a> {
    /// Registers a new account with the token's email; leaves an existing
    /// account's email (and the claims that go with it) to signing in.
    Keep,
    /// Signing in: the token's email replaces the stored one, which must
    /// still be what it was read as (`None`: no account yet).
    #[cfg_attr(not(any(feature = "identity-port", test)), expect(dead_code))]
    Refresh(Option<(&'a EmailAddress, bool)>),
}

/// Whose account.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who<'a> {
    /// The caller, from their token: created or refreshed on the way.
    Caller(&'a Caller),
    /// An account that must already exist.
    Existing(&'a AccountId),
}

impl<'a> AccountWrite<'a> {
    /// A write that only registers `caller` under `group`'s rule.
    pub fn register(caller: &'a Caller, group: GroupRule<'a>) -> Self {
        Self {
            who: Who::Caller(caller),
            group,
            usage: UsageDelta::default(),
            buckets: 0,
            limit: None,
            read_at: None,
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        }
    }

    /// The same write, also changing the owner's settings.
    #[cfg_attr(not(any(feature = "identity-port", test)), expect(dead_code))]
    pub fn changing(self, changes: AccountChanges) -> Self {
        Self { changes, ..self }
    }
}

/// The refusal when an account's group or usage changed between the read
/// and the write (a retry reads again).
pub(crate) fn account_changed() -> Error {
    Error::refused(
        ProblemKind::ConcurrentChange,
        "the account changed while this request ran; try again",
    )
}

/// The refusal of a write other than signing in when the caller's verified
/// address is still claimed by another account: signing in (`GET /me`) is
/// what asks whether that account still signs in with it.
fn claimed_by_another() -> Error {
    Error::refused(
        ProblemKind::EmailInUse,
        "this email address belongs to another account; if it has just become yours, \
         sign in again (GET /me) to claim it",
    )
}

/// The rule of one group per account, explained from the account as it was.
pub(crate) fn account_refusal(old: Option<Item>, gid: &GroupId) -> Error {
    let current = old
        .as_ref()
        .and_then(|o| o.get("groupId"))
        .and_then(|v| v.as_s().ok());
    match current {
        Some(g) if *g == gid.to_string() => Error::refused(
            ProblemKind::AlreadyMember,
            "you are already a member of this group",
        ),
        Some(_) => Error::refused(
            ProblemKind::AlreadyInAGroup,
            "this account already belongs to a group; leave it before joining another",
        ),
        None => Error::NotFound("account"),
    }
}

/// A number attribute of an old image (0 when absent).
fn number(old: Option<&Item>, attribute: &str) -> u64 {
    old.and_then(|o| o.get(attribute))
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl<'a> AccountWrite<'a> {
    /// The update expression, its condition, and how a failed condition is
    /// explained from the account as it was.
    fn build(self, now: OffsetDateTime) -> (Expr, Option<Guard<'a>>) {
        let mut sets: Vec<&str> = Vec::new();
        let mut removes: Vec<&str> = Vec::new();
        let mut adds: Vec<&str> = Vec::new();
        let mut clauses: Vec<&str> = Vec::new();
        let mut change = Expr::default();
        match self.who {
            Who::Caller(caller) => {
                sets.push(match self.email {
                    EmailRule::Keep => {
                        "id = :id, email = if_not_exists(email, :email), \
                         emailVerified = if_not_exists(emailVerified, :verified), \
                         entity = :entity, createdAt = if_not_exists(createdAt, :now)"
                    }
                    EmailRule::Refresh(_) => {
                        "id = :id, email = :email, emailVerified = :verified, entity = :entity, \
                         createdAt = if_not_exists(createdAt, :now)"
                    }
                });
                match self.email {
                    EmailRule::Keep => {}
                    EmailRule::Refresh(None) => clauses.push("attribute_not_exists(PK)"),
                    EmailRule::Refresh(Some((was, was_verified))) => {
                        clauses.push("email = :was AND emailVerified = :wasVerified");
                        change = change
                            .value(":was", s(was.as_str()))
                            .value(":wasVerified", AttributeValue::Bool(was_verified));
                    }
                }
                change = change
                    .value(":id", s(caller.account_id.as_str()))
                    .value(":email", s(caller.email.as_str()))
                    .value(":verified", AttributeValue::Bool(caller.email_verified))
                    .value(":entity", s("Account"))
                    .value(":now", s(rfc3339(now)));
            }
            Who::Existing(_) => clauses.push("attribute_exists(PK)"),
        }
        match self.group {
            GroupRule::Any => {}
            GroupRule::InNoGroup(_) | GroupRule::Still(None) => {
                clauses.push("attribute_not_exists(groupId)");
            }
            GroupRule::Joins(gid) => {
                sets.push("groupId = :gid");
                clauses.push("attribute_not_exists(groupId)");
                change = change.value(":gid", s(gid.to_string()));
            }
            GroupRule::Still(Some(gid)) => {
                clauses.push("groupId = :gid");
                change = change.value(":gid", s(gid.to_string()));
            }
            GroupRule::Leaves(gid) => {
                removes.push("groupId");
                clauses.push("groupId = :gid");
                change = change.value(":gid", s(gid.to_string()));
            }
        }
        if let Some(on) = self.changes.backup_summary_emails {
            sets.push("backupSummaryEmails = :summaries");
            change = change.value(":summaries", AttributeValue::Bool(on));
        }
        let counters = [
            ("computerCount", ":computers", self.usage.computers),
            ("alertCount", ":alerts", self.usage.alerts),
            ("storedBytes", ":bytes", self.usage.stored_bytes),
            ("bucketCount", ":buckets", self.buckets),
        ];
        for (attribute, placeholder, delta) in counters {
            if delta != 0 {
                adds.push(match attribute {
                    "computerCount" => "computerCount :computers",
                    "alertCount" => "alertCount :alerts",
                    "storedBytes" => "storedBytes :bytes",
                    _ => "bucketCount :buckets",
                });
                change = change.value(placeholder, n(delta));
            }
        }
        if !self.usage.is_zero() {
            adds.push("usageVersion :one");
            change = change.value(":one", n(1));
        }
        if let Some(limit) = self.limit {
            clauses.push("(attribute_not_exists(#limited) OR #limited < :max)");
            change = change
                .name("#limited", limit.counter)
                .value(":max", n(limit.max));
        }
        match self.read_at {
            None => {}
            Some(0) => clauses.push("attribute_not_exists(usageVersion)"),
            Some(version) => {
                clauses.push("usageVersion = :read");
                change = change.value(":read", n(version));
            }
        }
        let mut text = Vec::new();
        if !sets.is_empty() {
            text.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            text.push(format!("REMOVE {}", removes.join(", ")));
        }
        if !adds.is_empty() {
            text.push(format!("ADD {}", adds.join(", ")));
        }
        let Expr { names, values, .. } = change;
        let change = Expr {
            text: text.join(" "),
            names,
            values,
        };
        if clauses.is_empty() {
            return (change, None);
        }
        let guard = Guard::new(
            Expr::new(clauses.join(" AND ")),
            Refusal::explain(move |old| self.explain(old.as_ref())),
        );
        (change, Some(guard))
    }

    /// Why the account's condition failed, from the account as it was.
    fn explain(self, old: Option<&Item>) -> Error {
        if let EmailRule::Refresh(was) = self.email {
            let stored = |name: &str| old.and_then(|o| o.get(name));
            let now_is = old.map(|_| {
                (
                    stored("email").and_then(|v| v.as_s().ok()).cloned(),
                    stored("emailVerified")
                        .and_then(|v| v.as_bool().ok())
                        .copied(),
                )
            });
            let read_as = was.map(|(email, verified)| (Some(email.to_string()), Some(verified)));
            if now_is != read_as {
                return account_changed();
            }
        }
        let group = old
            .and_then(|o| o.get("groupId"))
            .and_then(|v| v.as_s().ok())
            .cloned();
        let in_group = |gid: &GroupId| group.as_deref() == Some(gid.to_string().as_str());
        match self.group {
            GroupRule::InNoGroup(gid) | GroupRule::Joins(gid)
                if old.is_none() || group.is_some() =>
            {
                return account_refusal(old.cloned(), gid);
            }
            GroupRule::Still(expected)
                if expected.is_some_and(|g| !in_group(g))
                    || (expected.is_none() && group.is_some()) =>
            {
                return account_changed();
            }
            GroupRule::Leaves(gid) if !in_group(gid) => return Error::NotFound("member"),
            _ => {}
        }
        if old.is_none() {
            return Error::NotFound("account");
        }
        if self
            .read_at
            .is_some_and(|read| number(old, "usageVersion") != read)
        {
            return account_changed();
        }
        if let Some(limit) = self.limit
            && number(old, limit.counter) >= u64::from(limit.max)
        {
            return (limit.refusal)(limit.max);
        }
        Error::unexpected("account condition failed for no known reason")
    }
}

impl Repository {
    /// Adds one account write to a transaction, and for a caller with a
    /// verified email the claim of their address (unique across accounts;
    /// unverified addresses claim nothing, so nobody can squat on another's
    /// email). The account's refusals come before the claim's.
    pub(crate) fn add_account_write<'a>(
        &self,
        tx: &mut Tx<'a>,
        write: AccountWrite<'a>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let aid = match write.who {
            Who::Caller(caller) => &caller.account_id,
            Who::Existing(aid) => aid,
        };
        let key = keys::account(aid);
        let (change, guard) = write.build(now);
        tx.update(&key, change, guard)?;
        let Who::Caller(caller) = write.who else {
            return Ok(());
        };
        if !caller.email_verified || matches!(write.email, EmailRule::Refresh(_)) {
            return Ok(());
        }
        let claim = EmailClaim {
            account_id: caller.account_id.clone(),
        };
        tx.put(
            &keys::email_claim(&caller.email),
            "EmailClaim",
            &claim,
            Some(Guard::new(
                Expr::new("attribute_not_exists(PK) OR accountId = :id")
                    .value(":id", s(caller.account_id.as_str())),
                Refusal::always(claimed_by_another),
            )),
        )
    }

    /// The account holding a verified address. One consistent `GetItem`.
    pub async fn account_id_by_email(&self, email: &EmailAddress) -> Result<Option<AccountId>> {
        let claim: Option<EmailClaim> = self.get(&keys::email_claim(email)).await?;
        Ok(claim.map(|c| c.account_id))
    }

    /// An account by id. One consistent `GetItem`.
    pub async fn get_account(&self, aid: &AccountId) -> Result<Option<Account>> {
        self.get(&keys::account(aid)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            account_id: AccountId::parse("sub", "0b6e2f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
                .expect("account id"),
            email: EmailAddress::parse("email", "alice@initech.com").expect("email"),
            email_verified: true,
            sign_in: crate::identity::SignIn::Password,
        }
    }

    fn bool_value(expr: &Expr, placeholder: &str) -> Option<bool> {
        expr.values
            .iter()
            .find(|(p, _)| p == placeholder)
            .and_then(|(_, v)| v.as_bool().ok().copied())
    }

    #[test]
    fn registering_never_touches_the_summary_opt_out() {
        let caller = caller();
        let now = OffsetDateTime::UNIX_EPOCH;
        let (register, _) = AccountWrite::register(&caller, GroupRule::Any).build(now);
        assert!(
            !register.text.contains("backupSummaryEmails"),
            "a sign-in (GET /me) must leave the flag as stored: {}",
            register.text
        );
        for on in [false, true] {
            let changes = AccountChanges {
                backup_summary_emails: Some(on),
            };
            let (change, guard) = AccountWrite::register(&caller, GroupRule::Any)
                .changing(changes)
                .build(now);
            assert!(
                change.text.starts_with("SET ")
                    && change.text.contains("backupSummaryEmails = :summaries"),
                "{}",
                change.text
            );
            assert_eq!(bool_value(&change, ":summaries"), Some(on));
            assert!(guard.is_none(), "the caller's own account is an upsert");
        }
    }

    #[test]
    fn only_signing_in_replaces_a_stored_email() {
        let caller = caller();
        let now = OffsetDateTime::UNIX_EPOCH;
        let (other, guard) = AccountWrite::register(&caller, GroupRule::Any).build(now);
        assert!(
            other.text.contains("email = if_not_exists(email, :email)")
                && other
                    .text
                    .contains("emailVerified = if_not_exists(emailVerified, :verified)"),
            "{}",
            other.text
        );
        assert!(guard.is_none());

        let mut first = AccountWrite::register(&caller, GroupRule::Any);
        first.email = EmailRule::Refresh(None);
        let (change, guard) = first.build(now);
        assert!(
            change
                .text
                .contains("email = :email, emailVerified = :verified")
        );
        let guard = guard.expect("a new account must still be new");
        assert_eq!(guard.condition.text, "attribute_not_exists(PK)");

        let old = EmailAddress::parse("email", "alice@old.example").expect("email");
        let mut again = AccountWrite::register(&caller, GroupRule::Any);
        again.email = EmailRule::Refresh(Some((&old, true)));
        let (change, guard) = again.build(now);
        let guard = guard.expect("the stored email must be as read");
        assert_eq!(
            guard.condition.text,
            "email = :was AND emailVerified = :wasVerified"
        );
        assert_eq!(bool_value(&change, ":wasVerified"), Some(true));
        assert!(change.text.contains("email = :email"));
    }
}

//! `TransactWriteItems` built from labelled items. Each condition carries
//! the refusal it stands for, so a cancelled transaction is explained by
//! looking at which items failed, never by counting positions. A write's
//! idempotency record joins the same transaction, and a retry of a key
//! already used is answered before any refusal.
//!
//! When several conditions fail at once (a spent token in a full group),
//! the item added first explains: operations add their most specific guard
//! first.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use serde::Serialize;
use time::OffsetDateTime;

use super::{IdempotentWrite, Item, Repository, Written, key_map, service_error, to_item};
use crate::error::{Error, Result};
use crate::keys::Key;

/// What a failed condition means.
pub(crate) enum Refusal<'a> {
    /// The whole write is refused; explained from the item as it was
    /// (`None` when it did not exist).
    Explain(Box<dyn FnOnce(Option<Item>) -> Error + Send + 'a>),
    /// Only entry `n` of a batch is refused: the caller may drop it and
    /// write the rest.
    Entry(usize),
}

impl<'a> Refusal<'a> {
    /// A refusal explained from the failed item's old image.
    pub fn explain(explain: impl FnOnce(Option<Item>) -> Error + Send + 'a) -> Self {
        Self::Explain(Box::new(explain))
    }

    /// A refusal that needs no image to explain.
    pub fn always(refusal: impl FnOnce() -> Error + Send + 'a) -> Self {
        Self::explain(move |_| refusal())
    }
}

/// An expression with its attribute names and values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expr {
    pub(super) text: String,
    pub(super) names: Vec<(String, String)>,
    pub(super) values: Vec<(String, AttributeValue)>,
}

impl Expr {
    /// An expression such as `SET a = :a` or `attribute_not_exists(PK)`.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Adds a clause: `self AND clause`.
    pub fn and(mut self, clause: &str) -> Self {
        self.text.push_str(" AND ");
        self.text.push_str(clause);
        self
    }

    /// Binds `#placeholder` to an attribute name.
    pub fn name(mut self, placeholder: &str, attribute: impl Into<String>) -> Self {
        self.names.push((placeholder.to_owned(), attribute.into()));
        self
    }

    /// Binds `:placeholder` to a value.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.push((placeholder.to_owned(), value));
        self
    }
}

/// A condition and the refusal it stands for.
pub(crate) struct Guard<'a> {
    pub(super) condition: Expr,
    refusal: Refusal<'a>,
}

impl<'a> Guard<'a> {
    /// `condition` must hold, else the write is refused with `refusal`.
    pub fn new(condition: Expr, refusal: Refusal<'a>) -> Self {
        Self { condition, refusal }
    }
}

/// Binds an [`Expr`]'s names and values on any item builder (the SDK's
/// four builders share these methods but no trait).
macro_rules! bind {
    ($builder:expr, $expr:expr) => {{
        let mut b = $builder;
        for (k, v) in $expr.names {
            b = b.expression_attribute_names(k, v);
        }
        for (k, v) in $expr.values {
            b = b.expression_attribute_values(k, v);
        }
        b
    }};
}

/// Sets an optional guard's condition on any item builder, asking for the
/// old image on failure; yields the builder and the guard's refusal.
macro_rules! guarded {
    ($builder:expr, $guard:expr) => {
        match $guard {
            Some(Guard { condition, refusal }) => {
                let b = $builder
                    .condition_expression(condition.text.clone())
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    );
                (bind!(b, condition), Some(refusal))
            }
            None => ($builder, None),
        }
    };
}

/// One transaction under construction.
pub(crate) struct Tx<'a> {
    repo: &'a Repository,
    items: Vec<TransactWriteItem>,
    refusals: Vec<Option<Refusal<'a>>>,
    idempotency: Option<(&'a IdempotentWrite, OffsetDateTime)>,
}

/// Why a transaction did not commit.
pub(crate) enum Cancelled {
    /// The write is refused (or failed).
    Refused(Error),
    /// Only these batch entries were refused (see [`Refusal::Entry`]).
    Entries(Vec<usize>),
}

impl<'a> Tx<'a> {
    /// An empty transaction on `repo`'s table.
    pub fn new(repo: &'a Repository) -> Self {
        Self {
            repo,
            items: Vec::new(),
            refusals: Vec::new(),
            idempotency: None,
        }
    }

    /// Records the write's idempotency key in the same transaction: a key
    /// already used for this request replays its first reply.
    pub fn idempotent(&mut self, record: Option<&'a IdempotentWrite>, now: OffsetDateTime) {
        self.idempotency = record.map(|r| (r, now));
    }

    /// Adds a built item; `refusal` must be given when it has a condition.
    pub fn push(&mut self, item: TransactWriteItem, refusal: Option<Refusal<'a>>) {
        self.items.push(item);
        self.refusals.push(refusal);
    }

    /// A condition on an item the write does not change.
    pub fn check(&mut self, key: &Key, guard: Guard<'a>) -> Result<()> {
        let b = ConditionCheck::builder()
            .table_name(self.repo.table())
            .set_key(Some(key_map(key)));
        let (b, refusal) = guarded!(b, Some(guard));
        let check = b.build().map_err(Error::unexpected)?;
        self.push(
            TransactWriteItem::builder().condition_check(check).build(),
            refusal,
        );
        Ok(())
    }

    /// Puts `value` as the `entity` item at `key`.
    pub fn put<T: Serialize>(
        &mut self,
        key: &Key,
        entity: &str,
        value: &T,
        guard: Option<Guard<'a>>,
    ) -> Result<()> {
        self.put_item(to_item(key, entity, value)?, guard)
    }

    /// Creates `value` as the `entity` item at `key`, refused with
    /// `refusal` when an item is already there.
    pub fn create<T: Serialize>(
        &mut self,
        key: &Key,
        entity: &str,
        value: &T,
        refusal: Refusal<'a>,
    ) -> Result<()> {
        let absent = Guard::new(Expr::new("attribute_not_exists(PK)"), refusal);
        self.put(key, entity, value, Some(absent))
    }

    /// Puts a whole item (key and entity included).
    pub fn put_item(&mut self, item: Item, guard: Option<Guard<'a>>) -> Result<()> {
        let b = Put::builder()
            .table_name(self.repo.table())
            .set_item(Some(item));
        let (b, refusal) = guarded!(b, guard);
        let put = b.build().map_err(Error::unexpected)?;
        self.push(TransactWriteItem::builder().put(put).build(), refusal);
        Ok(())
    }

    /// Deletes the item at `key`.
    pub fn delete(&mut self, key: &Key, guard: Option<Guard<'a>>) -> Result<()> {
        let b = Delete::builder()
            .table_name(self.repo.table())
            .set_key(Some(key_map(key)));
        let (b, refusal) = guarded!(b, guard);
        let delete = b.build().map_err(Error::unexpected)?;
        self.push(TransactWriteItem::builder().delete(delete).build(), refusal);
        Ok(())
    }

    /// Applies `change` (an update expression) to the item at `key`.
    pub fn update(&mut self, key: &Key, change: Expr, guard: Option<Guard<'a>>) -> Result<()> {
        let b = Update::builder()
            .table_name(self.repo.table())
            .set_key(Some(key_map(key)))
            .update_expression(change.text);
        let b = bind!(b, change);
        let (b, refusal) = guarded!(b, guard);
        let update = b.build().map_err(Error::unexpected)?;
        self.push(TransactWriteItem::builder().update(update).build(), refusal);
        Ok(())
    }

    /// Commits: `Fresh` when written now, `Replayed` when the idempotency
    /// key was already used for this request, else the refusal of the first
    /// item (in the order added) whose condition failed. One
    /// `TransactWriteItems` (more only on `TransactionConflict`, then busy).
    pub async fn commit(self) -> Result<Written> {
        match self.commit_batch().await {
            Ok(written) => Ok(written),
            Err(Cancelled::Refused(error)) => Err(error),
            Err(Cancelled::Entries(entries)) => Err(Error::unexpected(format!(
                "batch entries {entries:?} refused outside a batch write"
            ))),
        }
    }

    /// [`Tx::commit`] for a batch whose entries may be refused alone.
    pub async fn commit_batch(self) -> Result<Written, Cancelled> {
        let Tx {
            repo,
            mut items,
            refusals,
            idempotency,
        } = self;
        let idempotency_index = items.len();
        if let Some((record, now)) = idempotency {
            items.push(record.put(repo, now).map_err(Cancelled::Refused)?);
        }
        let reasons = match repo.transact(items).await {
            Ok(()) => return Ok(Written::Fresh),
            Err(TxError::Failed(error)) => return Err(Cancelled::Refused(error)),
            Err(TxError::Cancelled(reasons)) => reasons,
        };
        if let Some((record, _)) = idempotency
            && let Some(reason) = reasons.get(idempotency_index).filter(|r| r.failed())
        {
            return record
                .replay(reason.old.clone())
                .map_err(Cancelled::Refused);
        }
        let codes: Vec<String> = reasons.iter().map(|r| r.code.clone()).collect();
        let mut entries = Vec::new();
        for (reason, refusal) in reasons.into_iter().zip(refusals) {
            if !reason.failed() {
                continue;
            }
            match refusal {
                Some(Refusal::Explain(explain)) => {
                    return Err(Cancelled::Refused(explain(reason.old)));
                }
                Some(Refusal::Entry(n)) => entries.push(n),
                None => {}
            }
        }
        if entries.is_empty() {
            return Err(Cancelled::Refused(Error::unexpected(format!(
                "transaction cancelled: {codes:?}"
            ))));
        }
        Err(Cancelled::Entries(entries))
    }
}

/// Why `TransactWriteItems` did not commit.
enum TxError {
    /// Cancelled; `reasons[i]` belongs to item `i`.
    Cancelled(Vec<Reason>),
    /// Anything else.
    Failed(Error),
}

/// The outcome for one item of a cancelled transaction.
struct Reason {
    /// `ConditionalCheckFailed`, `None`, `TransactionConflict`, ...
    code: String,
    /// The item as it was, when the item asked for `ALL_OLD`.
    old: Option<Item>,
}

impl Reason {
    fn failed(&self) -> bool {
        self.code == "ConditionalCheckFailed"
    }
}

/// Attempts for a transaction that lost a race with another transaction.
const CONFLICT_ATTEMPTS: u32 = 5;

/// The first retry waits up to this long; each next one up to twice as long.
const CONFLICT_BACKOFF: Duration = Duration::from_millis(25);

/// "Full jitter" (AWS Architecture Blog, *Exponential Backoff And Jitter*):
/// a uniformly random wait below an exponentially growing ceiling, so the
/// writers that collided spread out instead of colliding again in step.
fn full_jitter(attempt: u32) -> Duration {
    let ceiling = CONFLICT_BACKOFF * 2u32.saturating_pow(attempt.saturating_sub(1)).min(32);
    ceiling.mul_f64(rand::random::<f64>())
}

impl Repository {
    /// One `TransactWriteItems` round trip (up to [`CONFLICT_ATTEMPTS`] when
    /// DynamoDB reports a `TransactionConflict`, retried with full jitter;
    /// still conflicting after that, the write is [`Error::busy`]).
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TxError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            let reasons = cancellation_reasons(err).map_err(TxError::Failed)?;
            // Another transaction on the same items, or an item throttled
            // inside the transaction: both pass if tried again later.
            let contended = reasons
                .iter()
                .any(|r| r.code == "TransactionConflict" || r.code == "ThrottlingError");
            let failed = reasons.iter().any(Reason::failed);
            if contended && !failed {
                if attempt < CONFLICT_ATTEMPTS {
                    tokio::time::sleep(full_jitter(attempt)).await;
                    continue;
                }
                tracing::warn!(
                    attempts = attempt,
                    "transaction still conflicting; answering busy"
                );
                return Err(TxError::Failed(Error::busy()));
            }
            return Err(TxError::Cancelled(reasons));
        }
    }
}

fn cancellation_reasons(err: SdkError<TransactWriteItemsError>) -> Result<Vec<Reason>, Error> {
    match err.into_service_error() {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Ok(cancelled
            .cancellation_reasons()
            .iter()
            .map(|r| Reason {
                code: r.code().unwrap_or("None").to_owned(),
                old: r.item().cloned(),
            })
            .collect()),
        other => Err(service_error(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_stays_under_a_doubling_ceiling() {
        for attempt in 1..=CONFLICT_ATTEMPTS {
            let ceiling = CONFLICT_BACKOFF * 2u32.pow(attempt - 1);
            let waits: Vec<Duration> = (0..200).map(|_| full_jitter(attempt)).collect();
            assert!(waits.iter().all(|w| *w < ceiling), "attempt {attempt}");
            // Spread over the range, not a fixed step: some waits in each half.
            assert!(waits.iter().any(|w| *w < ceiling / 2), "attempt {attempt}");
            assert!(waits.iter().any(|w| *w >= ceiling / 2), "attempt {attempt}");
        }
    }
}

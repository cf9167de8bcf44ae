//! `TransactWriteItems` with precise failure reporting: which item's condition
//! failed (with its old image where asked), and retries of `TransactionConflict`.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use time::OffsetDateTime;

use super::{IdempotentWrite, Item, Repository, Written};
use crate::error::Error;

/// Why a transaction did not commit.
#[derive(Debug)]
pub(crate) enum TxError {
    /// One or more conditions failed; `reasons[i]` belongs to item `i`.
    Cancelled(Vec<Reason>),
    /// Anything else.
    Failed(Error),
}

/// The outcome for one item of a cancelled transaction.
#[derive(Debug, Default)]
pub(crate) struct Reason {
    /// `ConditionalCheckFailed`, `None`, `TransactionConflict`, ...
    pub code: String,
    /// The item as it was, when `ReturnValuesOnConditionCheckFailure = ALL_OLD`.
    pub old: Option<Item>,
}

impl Reason {
    /// True when this item's condition failed.
    pub fn failed(&self) -> bool {
        self.code == "ConditionalCheckFailed"
    }
}

impl From<TxError> for Error {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Cancelled(reasons) => Error::unexpected(format!(
                "transaction cancelled: {:?}",
                reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>()
            )),
            TxError::Failed(e) => e,
        }
    }
}

/// Attempts for a transaction that lost a race with another transaction.
const CONFLICT_ATTEMPTS: u32 = 4;

impl Repository {
    /// One `TransactWriteItems` round trip (more only when DynamoDB reports a
    /// `TransactionConflict`, retried with backoff).
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TxError> {
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
            let reasons = match cancellation_reasons(err) {
                Ok(reasons) => reasons,
                Err(other) => return Err(TxError::Failed(other)),
            };
            let conflicted = reasons.iter().any(|r| r.code == "TransactionConflict");
            let failed = reasons.iter().any(Reason::failed);
            if conflicted && !failed && attempt < CONFLICT_ATTEMPTS {
                let jitter = u64::from(rand::random::<u8>() % 20);
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt) + jitter)).await;
                continue;
            }
            return Err(TxError::Cancelled(reasons));
        }
    }
}

impl Repository {
    /// [`Repository::transact`] with the write's idempotency record appended:
    /// a live record with the same fingerprint replays the stored reply, one
    /// with another fingerprint is refused; other cancellations are returned
    /// for the caller to explain. One `TransactWriteItems`.
    pub(crate) async fn transact_idempotent(
        &self,
        mut items: Vec<TransactWriteItem>,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written, TxError> {
        let idem_index = items.len();
        if let Some(i) = idem {
            items.push(i.put(self, now).map_err(TxError::Failed)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(Written::Fresh),
            Err(TxError::Cancelled(reasons)) => {
                match idem.and_then(|i| i.outcome(reasons.get(idem_index))) {
                    Some(outcome) => outcome.map_err(TxError::Failed),
                    None => Err(TxError::Cancelled(reasons)),
                }
            }
            Err(e) => Err(e),
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
        other => Err(Error::unexpected(other)),
    }
}

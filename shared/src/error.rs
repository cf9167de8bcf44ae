//! The outcomes callers treat differently. HTTP mapping lives in `http::problem`, once.

use serde::Serialize;

use crate::model::SsoProvider;
use crate::problem::ProblemKind;

/// One invalid input field, reported back so a client can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the field, e.g. `name` or `autoAcceptDomains[2]`.
    pub field: String,
    /// Human reason, e.g. `must not be empty`.
    pub reason: String,
}

impl FieldError {
    /// Builds a field error; used by every `parse` constructor.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Every failure a domain operation can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; each field says why.
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    /// No verified identity on the request.
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    /// The caller is known but may not do this (used where hiding existence is not needed).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Missing, or not visible to this caller: the two are indistinguishable on purpose.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A rule refused the change (a conflict with the current state, a thing
    /// no longer usable, a limit reached); the kind gives its status and type.
    /// `retry_after` says when trying again can succeed (a daily cap, a
    /// busy table), answered as `Retry-After`.
    #[error("{detail}")]
    Refused {
        kind: ProblemKind,
        detail: String,
        retry_after: Option<std::time::Duration>,
    },
    /// The group admits only sessions from some single sign-on providers
    /// (`providers`, answered as the problem's `ssoProviders`), and this
    /// request's is not one of them (see `Group::admits_session`).
    #[error("{detail}")]
    SsoRequired {
        detail: String,
        providers: Vec<SsoProvider>,
    },
    /// The same `Idempotency-Key` was used with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// The body exceeds the accepted size.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Anything we did not plan for: logged with its cause, never shown.
    #[error("unexpected failure")]
    Unexpected(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Shorthand for a single-field validation failure.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, reason)])
    }

    /// Wraps any error as unexpected, keeping its source chain for the logs.
    pub fn unexpected(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unexpected(source.into())
    }

    /// A rule's refusal of `kind`, explained to people by `detail`.
    pub fn refused(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::Refused {
            kind,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// A refusal that lifts after `retry_after` (a cap's window, contention).
    pub fn refused_for(
        kind: ProblemKind,
        detail: impl Into<String>,
        retry_after: std::time::Duration,
    ) -> Self {
        Self::Refused {
            kind,
            detail: detail.into(),
            retry_after: Some(retry_after),
        }
    }

    /// Something the operation read changed before its write: the
    /// operation reads again (see `service::retrying`).
    pub fn concurrent(detail: impl Into<String>) -> Self {
        Self::refused(ProblemKind::ConcurrentChange, detail)
    }

    /// A group's SSO setting refused the session: `providers` are those it
    /// admits, `detail` says what to do.
    pub fn sso_required(
        providers: &std::collections::BTreeSet<SsoProvider>,
        detail: impl Into<String>,
    ) -> Self {
        Self::SsoRequired {
            detail: detail.into(),
            providers: providers.iter().copied().collect(),
        }
    }

    /// The table is contended or throttled beyond the retries already made.
    pub fn busy() -> Self {
        Self::refused_for(
            ProblemKind::Busy,
            "the service is busy with other changes to the same data; try again shortly",
            std::time::Duration::from_secs(1),
        )
    }

    /// When a retry can succeed, if the refusal says.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Refused { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The problem kind this error is answered with.
    pub fn kind(&self) -> ProblemKind {
        match self {
            Self::Validation(_) => ProblemKind::Validation,
            Self::Unauthenticated(_) => ProblemKind::Unauthenticated,
            Self::Forbidden(_) => ProblemKind::Forbidden,
            Self::NotFound(_) => ProblemKind::NotFound,
            Self::Refused { kind, .. } => *kind,
            Self::SsoRequired { .. } => ProblemKind::SsoRequired,
            Self::IdempotencyKeyReused => ProblemKind::IdempotencyKeyReused,
            Self::PayloadTooLarge { .. } => ProblemKind::PayloadTooLarge,
            Self::Unexpected(_) => ProblemKind::Internal,
        }
    }
}

/// Domain result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field errors from several parses, so one response names them all.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// Keeps the value or records the failure for `field`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// Records an error directly.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Ends validation: the errors if any, else `Ok`.
    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors))
        }
    }
}

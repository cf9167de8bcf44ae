//! The Groups domain crate: model and rules as plain Rust, the one DynamoDB
//! repository, the mail adapters and the HTTP glue every Lambda shares.
//!
//! Features keep each Lambda to what it uses: the HTTP functions need none;
//! `delivery` adds the outbox sender and its SES v2, EventBridge and folder
//! adapters; `eml` adds reading delivered messages back (tests, local run);
//! `identity-port` adds the password-confirmed changes' ports (Cognito and
//! SNS in AWS, an Argon2 credential store and an SMS folder locally).
//! `snapshots` adds the zip-to-S3 archive builder; `reports` the group
//! report's CSV streamed to S3; `dns` the TXT look-ups that prove a
//! group's email domains.

pub mod api;
#[cfg(feature = "snapshots")]
pub mod archive;
pub mod clock;
#[cfg(feature = "identity-port")]
pub mod credentials;
#[cfg(feature = "delivery")]
pub mod delivery;
pub mod deps;
#[cfg(feature = "dns")]
pub mod dns;
#[cfg(feature = "delivery")]
pub mod emf;
pub mod error;
#[cfg(feature = "delivery")]
pub mod events;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod keys;
#[cfg(feature = "delivery")]
pub mod mail;
pub mod model;
#[cfg(feature = "files")]
pub mod multipart;
pub mod notify;
pub mod outbox;
#[cfg(feature = "delivery")]
pub mod pacer;
pub mod problem;
pub mod reply;
pub mod repo;
#[cfg(feature = "reports")]
pub mod report;
pub mod service;
pub mod span;
#[cfg(any(feature = "delivery", feature = "identity-port"))]
mod spool;
#[cfg(feature = "files")]
pub mod storage;

pub use deps::Deps;
pub use error::{Error, FieldError, Result};
pub use problem::ProblemKind;

//! The Groups domain crate: model and rules as plain Rust, the one DynamoDB
//! repository, the mail adapters and the HTTP glue every Lambda shares.

pub mod api;
pub mod clock;
pub mod delivery;
pub mod deps;
pub mod error;
pub mod events;
pub mod http;
pub mod identity;
pub mod keys;
pub mod mail;
pub mod model;
pub mod notify;
pub mod outbox;
pub mod problem;
pub mod reply;
pub mod repo;
pub mod service;
pub mod span;
mod spool;

pub use deps::Deps;
pub use error::{Error, FieldError, Result};
pub use problem::ProblemKind;

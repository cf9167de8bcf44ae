//! Operations: each validates who may act, applies the rules and makes one
//! repository write. Handlers call exactly one of these. Modules follow the
//! product's journeys; what each journey announces (emails, events) is
//! built in `announcements`.

pub mod accounts;
mod announcements;
pub mod groups;
mod idempotency;
pub mod invitations;
pub mod joining;
pub mod members;
pub mod requests;

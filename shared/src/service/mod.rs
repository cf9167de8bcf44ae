//! Operations: each validates who may act, applies the rules and makes one
//! repository call. Handlers call exactly one of these.

pub mod accounts;
pub mod groups;
pub mod membership;

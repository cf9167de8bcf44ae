//! The JSON the API speaks: request DTOs (strict, converted into validated
//! commands with `TryFrom`) and response views.

mod groups;

pub use groups::{AddAdminRequest, AdminView, CreateGroupRequest, GroupView, UpdateGroupRequest};

//! The group model as plain Rust: values that can only exist when valid.

mod account;
mod domain;
mod email;
mod group;
mod ids;
mod membership;
mod name;
mod token;

pub use account::Account;
pub use domain::EmailDomain;
pub use email::EmailAddress;
pub use group::rfc3339;
pub use group::{
    AdminEntry, AdminReportEmails, Approval, EmailCadence, Group, GroupChanges, GroupStatus,
    InviteLinkState, JoinPolicy, MAX_ADMINS, MAX_AUTO_ACCEPT_DOMAINS, MAX_MEMBERS, NewGroup,
    Product, SsoProvider, administered_by,
};
pub use ids::{AccountId, GroupId};
pub use membership::{
    Invitation, InvitationValidity, JoinOutcome, Member, MembershipRequest, Region, join_outcome,
};
pub use name::GroupName;
pub use token::{InviteToken, TokenHash, TokenKind, TokenRecord};

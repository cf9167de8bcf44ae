//! The JSON the API speaks: request DTOs (strict, converted into validated
//! commands with `TryFrom`) and response views.

mod groups;
mod membership;

pub use groups::{AddAdminRequest, AdminView, CreateGroupRequest, GroupView, UpdateGroupRequest};
pub use membership::{
    AddMyselfRequest, CreateInvitationsRequest, InvitationView, InvitationsResult, JoinRequest,
    JoinResult, LinkStateView, MAX_INVITES_PER_CALL, NewLinkView, PreviewView, Rejected, region,
};

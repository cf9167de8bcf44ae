//! The JSON the API speaks: request DTOs (strict, converted into validated
//! commands with `TryFrom`) and response views.

mod account;
mod billing;
mod computers;
mod domains;
mod files;
mod groups;
mod json;
mod membership;
pub mod page;

pub use account::UpdateMeRequest;
pub use billing::{
    BillingView, ConfirmDissolutionRequest, DissolutionPreview, DissolutionStatus, EstimateView,
    Licenses, PaymentMethodRequest, PaymentMethodView,
};
pub use computers::{CheckInRequest, ComputerRow, CreateBucketRequest, Page, Synopsis};
pub use domains::{DomainList, DomainStatus, DomainView, TxtRecordView};
pub use files::{
    AccountChangeRequest, AuditPage, ContactCodeRequest, CreateSnapshotRequest,
    CreateUploadRequest, UploadView, UsbOrderRequest,
};
pub use groups::{AddAdminRequest, AdminView, CreateGroupRequest, GroupView, UpdateGroupRequest};
pub use membership::{
    AddMyselfRequest, CreateInvitationsRequest, InvitationView, InvitationsResult, JoinRequest,
    JoinResult, LinkStateView, MAX_INVITES_PER_CALL, NewLinkView, PreviewView, Rejected, region,
};

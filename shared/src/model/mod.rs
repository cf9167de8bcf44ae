//! The group model as plain Rust: values that can only exist when valid.

mod access;
mod account;
mod audit;
mod billing;
pub mod bucket;
mod caps;
mod computer;
mod dissolution;
mod domain;
mod domain_proof;
mod email;
mod files;
mod group;
mod ids;
mod membership;
mod name;
mod period;
mod phone;
mod report;
mod snapshot;
pub mod text;
mod token;

pub use access::acting_for;
pub use account::{Account, AccountChanges, Usage, UsageDelta};
pub use audit::{AuditAction, AuditEntry, Origin};
pub use billing::{
    Billing, Estimate, GB, GroupUsage, PaymentMethod, Prices, RenewalDay, TB, estimate,
};
pub use bucket::{Bucket, BucketName, MAX_BUCKETS_PER_ACCOUNT};
pub use caps::{DailyCap, ResendLimits, until_tomorrow};
pub use computer::{
    Alert, AlertKind, CheckIn, Computer, ComputerId, MAX_ALERTS, MAX_COMPUTERS_PER_ACCOUNT,
};
pub use dissolution::{Dissolution, DissolutionState, PREVIEW_VALIDITY, confirmation_token};
pub use domain::EmailDomain;
pub use domain_proof::{DomainProof, DomainState, RECORD_LABEL, RECORD_PREFIX, record_name};
pub use email::EmailAddress;
pub use files::{
    FilePath, MAX_UPLOAD_BYTES, PendingUpload, StoredFile, parse_folder, parse_selection,
};
pub use group::{
    AdminEntry, AdminReportEmails, Approval, DirectAdmission, EmailCadence, Group, GroupChanges,
    GroupStatus, InviteLinkState, JoinPolicy, MAX_ADMINS, MAX_AUTO_ACCEPT_DOMAINS, MAX_MEMBERS,
    NewGroup, Product, SsoProvider, administered_by, administered_by_account,
    ensure_sso_keeps_caller, sso_admits,
};
pub use group::{day, rfc3339};
pub use ids::{AccountId, GroupId, parse_uuid};
pub use membership::{
    Admission, Invitation, InvitationValidity, JoinOutcome, Member, MembershipRequest, Region,
    admission, join_outcome,
};
pub use name::GroupName;
pub use period::{InvalidPeriod, ReportPeriod};
pub use phone::PhoneNumber;
pub use report::{
    DEFAULT_REPORT_RETENTION_DAYS, Mailing, Report, ReportState, STALE_PENDING,
    object_key as report_object_key,
};
pub use snapshot::{
    DEFAULT_RETENTION_DAYS, DeliveryAddress, MAX_SELECTION, Snapshot, SnapshotState, UsbOrder,
    default_snapshot_name, snapshot_name,
};
pub use token::{InviteSecret, InviteToken, TokenHash, TokenKind, TokenRecord, TokenSeal};

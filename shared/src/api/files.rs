//! Requests and views of member files, snapshots and the audit log.

use serde::{Deserialize, Serialize};

use crate::model::{AuditEntry, DeliveryAddress};

/// `POST /me/buckets/{name}/uploads`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUploadRequest {
    /// The file's path in the bucket.
    pub path: String,
    /// Its exact size in bytes (signed into the URL).
    pub size: u64,
}

/// `POST /groups/{gid}/members/{aid}/snapshots`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSnapshotRequest {
    /// The member's bucket.
    pub bucket: String,
    /// Files, and folders ending in `/`.
    pub paths: Vec<String>,
    /// Its name; generated from the bucket and time when absent.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST .../snapshots/{sid}/usb-orders`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsbOrderRequest {
    /// Where the drive goes.
    pub address: DeliveryAddress,
    /// The payment processor's reference for the charge.
    pub payment_reference: String,
}

/// An upload handed out: where to PUT the bytes, then confirm.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadView {
    /// The id to confirm with.
    pub upload_id: uuid::Uuid,
    /// The file's path.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// The presigned request to make.
    pub upload: serde_json::Value,
}

/// A page of the audit log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// Entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// Resumes after this page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `POST /groups/{gid}/members/{aid}/account-changes`: exactly one change,
/// with the member's current password. There is no way to remove the member
/// from the group or delete the account here (unknown fields are refused).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountChangeRequest {
    /// The member's current password (never logged or stored).
    pub current_password: String,
    /// A new sign-in and contact email; takes effect once the emailed code is confirmed.
    #[serde(default)]
    pub email: Option<String>,
    /// A new phone number (E.164); takes effect once the texted code is confirmed.
    #[serde(default)]
    pub phone: Option<String>,
    /// A new password.
    #[serde(default)]
    pub new_password: Option<String>,
    /// New sign-in settings (second factors).
    #[serde(default)]
    pub sign_in: Option<serde_json::Value>,
}

/// `POST /groups/{gid}/members/{aid}/contact-verification`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactCodeRequest {
    /// The code sent to the new number or address.
    pub code: String,
}

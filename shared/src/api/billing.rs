//! Billing and dissolution: requests and views.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::model::{Estimate, Prices};

/// `PUT /groups/{groupId}/billing/payment-method`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentMethodRequest {
    /// The payment processor's reference (never a card number).
    pub reference: String,
    /// The card's last four digits.
    pub last4: String,
}

/// How the group pays, as admins see it (the reference itself is not shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum PaymentMethodView {
    /// A processor's payment method.
    Card {
        /// Its last four digits.
        last4: String,
        /// When it was set.
        #[serde(with = "time::serde::rfc3339")]
        set_at: OffsetDateTime,
    },
    /// No payment method: the free trial.
    FreeTrial {
        /// B2 storage each account keeps free, in bytes.
        free_b2_bytes: u64,
    },
}

/// What the group pays for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Licenses {
    /// Member accounts.
    pub members: u32,
    /// Computer Backup licenses: one per member computer.
    pub computer_backup: u64,
    /// B2 bytes stored by members.
    pub b2_stored_bytes: u64,
}

/// The unbilled estimate since the last renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateView {
    /// The amount, integer cents, rounded once (half up).
    pub amount_cents: u64,
    /// Always `USD`.
    pub currency: String,
    /// The first day counted (the last renewal).
    #[serde(with = "crate::model::day")]
    pub since: Date,
    /// Days of usage recorded.
    pub days: u32,
    /// Σ computers per day.
    pub computer_days: u64,
    /// Σ billable B2 bytes per day, as a decimal string (it can exceed 2^53).
    pub billable_byte_days: String,
}

impl EstimateView {
    /// The view of `estimate` counted from `since`.
    pub fn new(estimate: &Estimate, since: Date) -> Self {
        Self {
            amount_cents: estimate.total_cents,
            currency: "USD".into(),
            since,
            days: estimate.days,
            computer_days: estimate.computer_days,
            billable_byte_days: estimate.billable_byte_days.to_string(),
        }
    }
}

/// `GET /groups/{groupId}/billing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingView {
    /// When every license next renews.
    #[serde(with = "crate::model::day")]
    pub renewal_date: Date,
    /// How the group pays.
    pub payment_method: PaymentMethodView,
    /// Prices in force.
    pub prices: Prices,
    /// What the group pays for now.
    pub licenses: Licenses,
    /// Usage since the last renewal, not billed yet.
    pub unbilled_estimate: EstimateView,
}

/// `POST /groups/{groupId}/dissolution`: what dissolving would end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DissolutionPreview {
    /// Licenses the group holds now.
    pub licenses: Licenses,
    /// Members whose coverage would end (their accounts are kept).
    pub members_affected: u32,
    /// Usage not billed yet, charged up to dissolution.
    pub unbilled_estimate: EstimateView,
    /// Give this to `POST .../dissolution/confirm` before it expires.
    pub confirmation_token: String,
    /// When the token stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /groups/{groupId}/dissolution/confirm`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmDissolutionRequest {
    /// The preview's token.
    pub confirmation_token: String,
}

/// The dissolution as confirmed (202) or later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DissolutionStatus {
    /// `dissolving` until the job finishes, then `dissolved`.
    pub status: String,
    /// When it was confirmed.
    #[serde(with = "time::serde::rfc3339")]
    pub confirmed_at: OffsetDateTime,
}

//! Group billing: what the group pays for, how, when it renews, and the
//! unbilled estimate since the last renewal from the daily usage records.

use time::{Date, OffsetDateTime};

use crate::api::{BillingView, EstimateView, Licenses, PaymentMethodRequest, PaymentMethodView};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{
    Billing, Group, GroupId, GroupStatus, PaymentMethod, administered_by, estimate,
};
use crate::repo::GroupStats;

/// The group, its billing (as stored, or as it would have started for a
/// group older than billing items) and its counters, for its admins. A
/// dissolved group's billing is gone ("no longer available").
pub(crate) async fn billing_of(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
) -> Result<(Group, Billing, GroupStats)> {
    let (group, billing, stats) = deps.repo.billing_of(gid).await?;
    let group = administered_by(group, caller)?;
    if group.status == GroupStatus::Dissolved {
        return Err(Error::NotFound("billing"));
    }
    let billing = billing.unwrap_or_else(|| Billing::new(group.created_at, deps.settings.prices));
    Ok((group, billing, stats))
}

/// The unbilled estimate of `gid` on `today`. One `Query`.
pub(crate) async fn unbilled(
    deps: &Deps,
    gid: &GroupId,
    billing: &Billing,
    today: Date,
) -> Result<EstimateView> {
    let since = billing.renewal_day.last_on_or_before(today);
    let usage = deps.repo.group_usage_between(gid, since, today).await?;
    Ok(EstimateView::new(&estimate(&usage, &billing.prices), since))
}

/// What the group holds now.
pub(crate) fn licenses(group: &Group, stats: &GroupStats) -> Licenses {
    Licenses {
        members: group.member_count,
        computer_backup: stats.computers,
        b2_stored_bytes: stats.stored_bytes,
    }
}

/// The billing page. DynamoDB: one `BatchGetItem` and one `Query`.
pub async fn billing(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<BillingView> {
    let (group, billing, stats) = billing_of(deps, caller, gid).await?;
    let today = deps.clock.now().date();
    Ok(BillingView {
        renewal_date: billing.renewal_day.next_after(today),
        payment_method: view(billing.payment_method.as_ref(), &billing),
        prices: billing.prices,
        licenses: licenses(&group, &stats),
        unbilled_estimate: unbilled(deps, gid, &billing, today).await?,
    })
}

fn view(method: Option<&PaymentMethod>, billing: &Billing) -> PaymentMethodView {
    match method {
        Some(m) => PaymentMethodView::Card {
            last4: m.last4.clone(),
            set_at: m.set_at,
        },
        None => PaymentMethodView::FreeTrial {
            free_b2_bytes: billing.prices.b2_free_bytes,
        },
    }
}

/// Sets or replaces the payment method (a processor's reference; a card
/// number is refused). DynamoDB: one `GetItem` and one `TransactWriteItems`.
pub async fn set_payment_method(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    request: &PaymentMethodRequest,
) -> Result<PaymentMethodView> {
    let now: OffsetDateTime = deps.clock.now();
    let method = PaymentMethod::parse(&request.reference, &request.last4, now)?;
    let group = super::groups::get_group(deps, caller, gid).await?;
    let fallback = Billing::new(group.created_at, deps.settings.prices);
    deps.repo
        .set_payment_method(gid, &caller.account_id, &method, &fallback)
        .await?;
    Ok(view(Some(&method), &fallback))
}

//! Money: prices, renewal dates, daily usage and the unbilled estimate.
//!
//! All amounts are integer cents. The estimate since the last renewal is
//! computed exactly as a fraction and rounded once, at the end, half up to a
//! whole cent:
//!
//! * Computer Backup: one license per member computer, prorated by day:
//!   `Σ computers(day) × computer_month_cents / 30`.
//! * B2: storage beyond each account's free 10 GB, per GB-month, prorated
//!   by day: `Σ billable_bytes(day) × b2_tb_month_cents / (30 × 10¹²)`.
//!
//! A billing month is 30 days for proration, whatever the calendar says
//! (documented in the README; the hand-computed tests rely on it).

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

use crate::error::FieldError;

/// Days in a billing month, for proration.
pub const PRORATION_DAYS: u64 = 30;
/// Bytes in a terabyte (decimal, as storage is sold).
pub const TB: u64 = 1_000_000_000_000;
/// Bytes in a gigabyte.
pub const GB: u64 = 1_000_000_000;

/// Prices in force for a group, fixed when its billing starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prices {
    /// One Computer Backup license for a month, in cents.
    pub computer_month_cents: u64,
    /// One TB of B2 storage for a month, in cents.
    pub b2_tb_month_cents: u64,
    /// B2 storage each account keeps free, in bytes.
    pub b2_free_bytes: u64,
}

impl Default for Prices {
    /// $9 a computer a month, $6 a TB-month, 10 GB free.
    fn default() -> Self {
        Self {
            computer_month_cents: 900,
            b2_tb_month_cents: 600,
            b2_free_bytes: 10 * GB,
        }
    }
}

impl Prices {
    /// An account's stored bytes that are billed.
    pub fn billable(&self, stored_bytes: u64) -> u64 {
        stored_bytes.saturating_sub(self.b2_free_bytes)
    }
}

/// One day of a group's usage, recorded by the daily job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupUsage {
    /// The day (UTC).
    #[serde(with = "super::day")]
    pub day: Date,
    /// Member accounts that day.
    pub members: u32,
    /// Member computers that day (licenses).
    pub computers: u64,
    /// B2 bytes stored by members.
    pub stored_bytes: u64,
    /// Of those, the bytes beyond each account's free allowance.
    pub billable_bytes: u64,
}

/// The unbilled estimate and what it is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// Days of usage counted.
    pub days: u32,
    /// Σ computers per day.
    pub computer_days: u64,
    /// Σ billable bytes per day.
    pub billable_byte_days: u128,
    /// The amount, rounded once, half up.
    pub total_cents: u64,
}

/// The estimate for `days` of usage at `prices`.
pub fn estimate(days: &[GroupUsage], prices: &Prices) -> Estimate {
    let computer_days: u64 = days.iter().map(|d| d.computers).sum();
    let billable_byte_days: u128 = days.iter().map(|d| u128::from(d.billable_bytes)).sum();
    // Exact amount in cents = numerator / denominator, over the common
    // denominator 30 × 10¹².
    let denominator = u128::from(PRORATION_DAYS) * u128::from(TB);
    let numerator =
        u128::from(computer_days) * u128::from(prices.computer_month_cents) * u128::from(TB)
            + billable_byte_days * u128::from(prices.b2_tb_month_cents);
    let rounded = (numerator + denominator / 2) / denominator;
    Estimate {
        days: u32::try_from(days.len()).unwrap_or(u32::MAX),
        computer_days,
        billable_byte_days,
        total_cents: u64::try_from(rounded).unwrap_or(u64::MAX),
    }
}

/// The day of the month every license renews on (1–28, so every month has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RenewalDay(u8);

impl RenewalDay {
    /// The renewal day of a group created at `created` (the 29th to 31st renew on the 28th).
    pub fn of(created: OffsetDateTime) -> Self {
        Self(created.day().min(28))
    }

    /// The last renewal on or before `today`.
    pub fn last_on_or_before(self, today: Date) -> Date {
        let this_month = date(today.year(), today.month(), self.0);
        if this_month <= today {
            this_month
        } else {
            let (year, month) = previous_month(today.year(), today.month());
            date(year, month, self.0)
        }
    }

    /// The first renewal after `today`.
    pub fn next_after(self, today: Date) -> Date {
        let last = self.last_on_or_before(today);
        let (year, month) = next_month(last.year(), last.month());
        date(year, month, self.0)
    }
}

fn date(year: i32, month: Month, day: u8) -> Date {
    // Days 1–28 exist in every month.
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

fn previous_month(year: i32, month: Month) -> (i32, Month) {
    match month {
        Month::January => (year - 1, Month::December),
        m => (year, m.previous()),
    }
}

fn next_month(year: i32, month: Month) -> (i32, Month) {
    match month {
        Month::December => (year + 1, Month::January),
        m => (year, m.next()),
    }
}

/// A group's billing data, kept until it is dissolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Billing {
    /// The day of the month licenses renew.
    pub renewal_day: RenewalDay,
    /// The prices in force.
    pub prices: Prices,
    /// How the group pays; `None` while on the free trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
}

impl Billing {
    /// Billing as it starts for a group created at `created`.
    pub fn new(created: OffsetDateTime, prices: Prices) -> Self {
        Self {
            renewal_day: RenewalDay::of(created),
            prices,
            payment_method: None,
        }
    }
}

/// How a group pays: a payment processor's reference, never card data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    /// The processor's token for the method (e.g. `pm_1Nx...`).
    pub reference: String,
    /// The card's last four digits, for people to recognise it.
    pub last4: String,
    /// When it was set.
    #[serde(with = "time::serde::rfc3339")]
    pub set_at: OffsetDateTime,
}

impl PaymentMethod {
    /// Validates a reference and its last four digits. A reference that
    /// looks like a card number is refused: card data never reaches us.
    pub fn parse(reference: &str, last4: &str, now: OffsetDateTime) -> crate::Result<Self> {
        let mut v = crate::error::Validator::default();
        let reference = reference.trim();
        let ok_reference = (3..=200).contains(&reference.len())
            && reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if !ok_reference {
            v.push(FieldError::new(
                "reference",
                "must be a payment processor's reference: 3-200 letters, digits, '_' or '-'",
            ));
        } else if looks_like_card_number(reference) {
            v.push(FieldError::new(
                "reference",
                "must be a payment processor's reference, never a card number",
            ));
        }
        if !(last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit())) {
            v.push(FieldError::new("last4", "must be exactly four digits"));
        }
        v.finish()?;
        Ok(Self {
            reference: reference.to_owned(),
            last4: last4.to_owned(),
            set_at: now,
        })
    }
}

/// 12–19 digits passing the Luhn check: a primary account number.
fn looks_like_card_number(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != text.len() || !(12..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if !i.is_multiple_of(2) {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn day(d: Date, computers: u64, billable_bytes: u64) -> GroupUsage {
        GroupUsage {
            day: d,
            members: 1,
            computers,
            stored_bytes: billable_bytes,
            billable_bytes,
        }
    }

    #[test]
    fn the_estimate_matches_hand_computed_cases() {
        let prices = Prices::default();
        let d = date!(2026 - 11 - 01);
        let cases: [(&str, Vec<GroupUsage>, u64); 6] = [
            ("no usage", vec![], 0),
            // 30 computer-days at $9 a month: exactly $9.
            (
                "one computer, 30 days",
                (0..30).map(|_| day(d, 1, 0)).collect(),
                900,
            ),
            // 1 computer-day: 900 / 30 = 30 cents.
            ("one computer, one day", vec![day(d, 1, 0)], 30),
            // 7 computer-days: 7 × 900 / 30 = 210 cents.
            ("seven computer-days", vec![day(d, 3, 0), day(d, 4, 0)], 210),
            // 1 TB for 30 days at $6 a TB-month: $6.
            (
                "one TB-month",
                (0..30).map(|_| day(d, 0, TB)).collect(),
                600,
            ),
            // 1 GB for one day: 600 / 30 / 1000 = 0.02 cents, rounds to 0;
            // plus 1 computer-day (30 cents): 30.02 -> 30.
            ("one GB-day and a computer-day", vec![day(d, 1, GB)], 30),
        ];
        for (case, usage, cents) in cases {
            assert_eq!(estimate(&usage, &prices).total_cents, cents, "{case}");
        }
        // Rounding happens once: 25 GB-days (0.5 cents) + 0 = 0.5 -> 1 (half up),
        // where rounding each day (0.02 -> 0) would have lost it.
        let half: Vec<GroupUsage> = (0..25).map(|_| day(d, 0, GB)).collect();
        assert_eq!(estimate(&half, &prices).total_cents, 1);
        let below: Vec<GroupUsage> = (0..24).map(|_| day(d, 0, GB)).collect();
        assert_eq!(estimate(&below, &prices).total_cents, 0, "0.48 rounds down");
    }

    #[test]
    fn the_free_allowance_is_per_account() {
        let prices = Prices::default();
        assert_eq!(prices.billable(5 * GB), 0);
        assert_eq!(prices.billable(10 * GB), 0);
        assert_eq!(prices.billable(12 * GB), 2 * GB);
    }

    #[test]
    fn licenses_renew_on_the_groups_day_of_the_month() {
        let created = RenewalDay::of(datetime!(2026-01-31 12:00 UTC));
        assert_eq!(created, RenewalDay(28), "the 31st renews on the 28th");
        let day = RenewalDay::of(datetime!(2026-03-15 09:00 UTC));
        let cases = [
            (
                date!(2026 - 11 - 27),
                date!(2026 - 11 - 15),
                date!(2026 - 12 - 15),
            ),
            (
                date!(2026 - 11 - 15),
                date!(2026 - 11 - 15),
                date!(2026 - 12 - 15),
            ),
            (
                date!(2026 - 11 - 14),
                date!(2026 - 10 - 15),
                date!(2026 - 11 - 15),
            ),
            (
                date!(2027 - 01 - 03),
                date!(2026 - 12 - 15),
                date!(2027 - 01 - 15),
            ),
            (
                date!(2026 - 12 - 20),
                date!(2026 - 12 - 15),
                date!(2027 - 01 - 15),
            ),
        ];
        for (today, last, next) in cases {
            assert_eq!(day.last_on_or_before(today), last, "{today}");
            assert_eq!(day.next_after(today), next, "{today}");
        }
    }

    #[test]
    fn payment_references_are_accepted_but_card_numbers_refused() {
        let now = datetime!(2026-11-27 00:00 UTC);
        assert!(PaymentMethod::parse("pm_1NxYz2AbC", "4242", now).is_ok());
        let refused = [
            ("4242424242424242", "4242", "a Visa test number passes Luhn"),
            ("pm 123", "4242", "spaces"),
            ("pm_1", "42a2", "last4 not digits"),
            ("pm_1", "424", "last4 too short"),
            ("", "4242", "empty"),
        ];
        for (reference, last4, case) in refused {
            assert!(
                PaymentMethod::parse(reference, last4, now).is_err(),
                "{case}"
            );
        }
    }
}

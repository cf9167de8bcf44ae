//! The period a report covers, which names its S3 object and its item:
//! parsed, never taken as given, so no caller's text can reach a key.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, Weekday};

use super::EmailCadence;

/// Not a report period; carries the first 40 characters of what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a report period (YYYY-MM, YYYY-Www or YYYY-MM-DD)")]
pub struct InvalidPeriod(pub String);

/// A report's period: a calendar month (`2026-11`) or an ISO week
/// (`2026-W48`), the admins' cadences, or a day (`2026-11-28`) for a
/// report asked for on demand. One report exists per group and period, so
/// running a period again replaces its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportPeriod {
    /// A calendar month.
    Month {
        /// Year, 2000 to 9999.
        year: i32,
        /// Month.
        month: Month,
    },
    /// An ISO 8601 week (Monday to Sunday, numbered by ISO week-year).
    Week {
        /// ISO week-year, 2000 to 9999.
        year: i32,
        /// Week, 1 to 52 or 53 (only if the year has one).
        week: u8,
    },
    /// One day (reports asked for on demand).
    Day(Date),
}

impl ReportPeriod {
    /// Parses `YYYY-MM`, `YYYY-Www` or `YYYY-MM-DD` (exactly: two-digit
    /// month, week or day, a week or day that exists in that year).
    pub fn parse(raw: &str) -> Result<Self, InvalidPeriod> {
        let bad = || InvalidPeriod(raw.chars().take(40).collect());
        let b = raw.as_bytes();
        let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        let number = |s: &str| s.parse::<u16>().map_err(|_| bad());
        if b.len() < 7 || !digits(&b[..4]) || b[4] != b'-' {
            return Err(bad());
        }
        let year = i32::from(number(&raw[..4])?);
        if year < 2000 {
            return Err(bad());
        }
        match b.len() {
            7 if digits(&b[5..]) => {
                let month = u8::try_from(number(&raw[5..])?).map_err(|_| bad())?;
                let month = Month::try_from(month).map_err(|_| bad())?;
                Ok(Self::Month { year, month })
            }
            8 if b[5] == b'W' && digits(&b[6..]) => {
                let week = u8::try_from(number(&raw[6..])?).map_err(|_| bad())?;
                Date::from_iso_week_date(year, week, Weekday::Monday).map_err(|_| bad())?;
                Ok(Self::Week { year, week })
            }
            10 if digits(&b[5..7]) && b[7] == b'-' && digits(&b[8..]) => {
                let month = u8::try_from(number(&raw[5..7])?).map_err(|_| bad())?;
                let month = Month::try_from(month).map_err(|_| bad())?;
                let day = u8::try_from(number(&raw[8..])?).map_err(|_| bad())?;
                Ok(Self::Day(
                    Date::from_calendar_date(year, month, day).map_err(|_| bad())?,
                ))
            }
            _ => Err(bad()),
        }
    }

    /// [`ReportPeriod::parse`] for a request's `field` (a report's id in a route).
    pub fn parse_field(field: &str, raw: &str) -> Result<Self, crate::error::FieldError> {
        Self::parse(raw).map_err(|_| {
            crate::error::FieldError::new(
                field,
                "must be a report id: YYYY-MM, YYYY-Www or YYYY-MM-DD",
            )
        })
    }

    /// The period of a cadence that contains `date`: its ISO week or its
    /// month (`None` for [`EmailCadence::Off`]). A schedule run computes it
    /// from the time it was due, so a late or repeated delivery names the
    /// same period.
    pub fn of_cadence(cadence: EmailCadence, date: Date) -> Option<Self> {
        match cadence {
            EmailCadence::Off => None,
            EmailCadence::Weekly => {
                let (year, week, _) = date.to_iso_week_date();
                Some(Self::Week { year, week })
            }
            EmailCadence::Monthly => Some(Self::Month {
                year: date.year(),
                month: date.month(),
            }),
        }
    }

    /// The cadence whose schedule makes reports of this period (`None` for
    /// a day: those are asked for).
    pub fn cadence(&self) -> Option<EmailCadence> {
        match self {
            Self::Month { .. } => Some(EmailCadence::Monthly),
            Self::Week { .. } => Some(EmailCadence::Weekly),
            Self::Day(_) => None,
        }
    }

    /// Its first day: reports are listed newest period first by it.
    pub fn starts_on(&self) -> Date {
        match *self {
            Self::Month { year, month } => {
                Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN)
            }
            Self::Week { year, week } => {
                Date::from_iso_week_date(year, week, Weekday::Monday).unwrap_or(Date::MIN)
            }
            Self::Day(date) => date,
        }
    }
}

impl Serialize for ReportPeriod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReportPeriod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ReportPeriod {
    /// The form [`ReportPeriod::parse`] reads, and the object's name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month { year, month } => write!(f, "{year:04}-{:02}", u8::from(*month)),
            Self::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Self::Day(date) => write!(
                f,
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_schedule_names_the_week_or_month_it_was_due_in() {
        let sunday = date!(2026 - 11 - 29);
        let monday = date!(2026 - 11 - 30);
        let weekly = |d| ReportPeriod::of_cadence(EmailCadence::Weekly, d).expect("weekly");
        assert_eq!(weekly(sunday).to_string(), "2026-W48");
        assert_eq!(weekly(monday).to_string(), "2026-W49");
        // ISO week-years: 1 January 2027 is in 2026's week 53.
        assert_eq!(weekly(date!(2027 - 01 - 01)).to_string(), "2026-W53");
        let monthly = ReportPeriod::of_cadence(EmailCadence::Monthly, monday).expect("monthly");
        assert_eq!(monthly.to_string(), "2026-11");
        assert_eq!(monthly.starts_on(), date!(2026 - 11 - 01));
        assert_eq!(weekly(monday).starts_on(), monday);
        assert_eq!(ReportPeriod::of_cadence(EmailCadence::Off, monday), None);
        assert_eq!(weekly(monday).cadence(), Some(EmailCadence::Weekly));
        assert_eq!(ReportPeriod::Day(monday).cadence(), None);
    }

    #[test]
    fn months_and_weeks_round_trip() {
        for raw in [
            "2026-11",
            "2026-01",
            "2026-W48",
            "2026-W01",
            "2026-W53",
            "2026-11-28",
            "2028-02-29",
        ] {
            let period = ReportPeriod::parse(raw).expect(raw);
            assert_eq!(period.to_string(), raw);
        }
        assert_eq!(
            ReportPeriod::parse("2026-11").expect("month"),
            ReportPeriod::Month {
                year: 2026,
                month: Month::November
            }
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "2026-1",
            "2026-W00",
            "2027-W53",
            "2026-W5",
            "1999-12",
            "2026-11/../x",
            "2026-11\n",
            "2026-w48",
            "２０２６-11",
            "../2026-11",
            "2026-11-31",
            "2027-02-29",
            "2026-1-28",
            "2026-11-28T00",
        ] {
            assert!(ReportPeriod::parse(raw).is_err(), "{raw:?}");
        }
    }
}

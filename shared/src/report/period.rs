//! The period a report covers, which names its S3 object: parsed, never
//! taken as given, so no caller's text can reach a key.

use std::fmt;

use time::{Date, Month, Weekday};

use super::ReportError;

/// A report's period: a calendar month (`2026-11`) or an ISO week
/// (`2026-W48`), the admins' cadences. One object exists per group and
/// period, so running a period again replaces its report.
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
}

impl ReportPeriod {
    /// Parses `YYYY-MM` or `YYYY-Www` (exactly: two-digit month or week,
    /// a week that exists in that year).
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::Period(raw.chars().take(40).collect());
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
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for ReportPeriod {
    /// The form [`ReportPeriod::parse`] reads, and the object's name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month { year, month } => write!(f, "{year:04}-{:02}", u8::from(*month)),
            Self::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_weeks_round_trip() {
        for raw in ["2026-11", "2026-01", "2026-W48", "2026-W01", "2026-W53"] {
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
        ] {
            assert!(ReportPeriod::parse(raw).is_err(), "{raw:?}");
        }
    }
}

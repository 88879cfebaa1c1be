//! Timestamps and dates in Waldur's formats, from the system clock.
//!
//! Written here rather than pulling a date crate: the emulator needs only
//! "now" as ISO 8601 with `Z`, and the first day of a month.

use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The first day of this date's month: Waldur's billing period.
    pub fn month_start(&self) -> Date {
        Date { day: 1, ..*self }
    }

    /// Reads the date part of `YYYY-MM-DD` or `YYYY-MM-DDThh:mm...`.
    pub fn parse_prefix(text: &str) -> Option<Date> {
        let date = text.get(..10)?;
        let mut parts = date.split('-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && date.len() == 10;
        valid.then_some(Date { year, month, day })
    }
}

/// Today in UTC.
pub fn today() -> Date {
    civil_from_days(unix_seconds().div_euclid(86_400))
}

/// Now as `YYYY-MM-DDThh:mm:ss.ffffffZ`, the form DRF writes.
pub fn now_iso() -> String {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX);
    let date = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}.{:06}Z",
        date.iso(),
        in_day / 3600,
        (in_day % 3600) / 60,
        in_day % 60,
        elapsed.subsec_micros()
    )
}

fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Converts days since 1970-01-01 to a proleptic Gregorian date.
///
/// Works in 400-year eras (146,097 days each) counted from 0000-03-01, so
/// that the leap day is the last day of the shifted year.
fn civil_from_days(days_since_epoch: i64) -> Date {
    const DAYS_PER_ERA: i64 = 146_097;
    // 719,468 days separate 0000-03-01 from 1970-01-01.
    let days = days_since_epoch + 719_468;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days.rem_euclid(DAYS_PER_ERA);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date {
        year,
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(civil_from_days(0).iso(), "1970-01-01");
        assert_eq!(civil_from_days(59).iso(), "1970-03-01");
        assert_eq!(civil_from_days(11_016).iso(), "2000-02-29");
        assert_eq!(civil_from_days(19_782).iso(), "2024-02-29");
        assert_eq!(civil_from_days(20_513).iso(), "2026-03-01");
        assert_eq!(civil_from_days(-1).iso(), "1969-12-31");
    }

    #[test]
    fn now_has_drf_shape() {
        let now = now_iso();
        assert_eq!(now.len(), 27, "{now}");
        assert!(now.ends_with('Z'));
        assert_eq!(&now[10..11], "T");
    }

    #[test]
    fn parses_date_prefixes() {
        let date = Date::parse_prefix("2026-03-15T10:00:00Z").unwrap();
        assert_eq!(date.month_start().iso(), "2026-03-01");
        assert!(Date::parse_prefix("2026-13-01").is_none());
        assert!(Date::parse_prefix("soon").is_none());
    }
}

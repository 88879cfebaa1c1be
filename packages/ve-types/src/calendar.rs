//! Calendar dates from unix time, for Waldur's billing periods (the first
//! day of a month, UTC). Written here rather than pulling a date crate:
//! the relayer and the Waldur emulator need only this.

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The UTC date of a unix time.
    pub fn from_unix_seconds(seconds: i64) -> Date {
        civil_from_days(seconds.div_euclid(86_400))
    }

    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The first day of this date's month: Waldur's billing period.
    pub fn month_start(&self) -> Date {
        Date { day: 1, ..*self }
    }

    /// The first day of the month before this date's month.
    pub fn previous_month_start(&self) -> Date {
        if self.month == 1 {
            Date {
                year: self.year - 1,
                month: 12,
                day: 1,
            }
        } else {
            Date {
                month: self.month - 1,
                day: 1,
                ..*self
            }
        }
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

/// Converts days since 1970-01-01 to a date.
///
/// Works in 400-year eras (146,097 days each) counted from 0000-03-01, so
/// that the leap day is the last day of the shifted year.
pub fn civil_from_days(days_since_epoch: i64) -> Date {
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
        // 2026-11-24T05:40:00Z
        assert_eq!(Date::from_unix_seconds(1_795_498_800).iso(), "2026-11-24");
    }

    #[test]
    fn months_and_prefixes() {
        let date = Date::parse_prefix("2026-03-15T10:00:00Z").unwrap();
        assert_eq!(date.month_start().iso(), "2026-03-01");
        assert_eq!(date.previous_month_start().iso(), "2026-02-01");
        let january = Date::parse_prefix("2027-01-31").unwrap();
        assert_eq!(january.previous_month_start().iso(), "2026-12-01");
        assert!(Date::parse_prefix("2026-13-01").is_none());
        assert!(Date::parse_prefix("soon").is_none());
    }
}

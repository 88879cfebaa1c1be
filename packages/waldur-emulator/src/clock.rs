//! Timestamps and dates in Waldur's formats, from the system clock.
//!
//! Written here rather than pulling a date crate: the emulator needs only
//! "now" as ISO 8601 with `Z`, and the first day of a month.

use std::time::{SystemTime, UNIX_EPOCH};

use ve_types::calendar::civil_from_days;
pub use ve_types::calendar::Date;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_has_drf_shape() {
        let now = now_iso();
        assert_eq!(now.len(), 27, "{now}");
        assert!(now.ends_with('Z'));
        assert_eq!(&now[10..11], "T");
    }
}

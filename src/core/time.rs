//! Time as chatd writes it: ISO-8601 UTC with milliseconds, in log lines and IRC `server-time`.
//!
//! Pure: imports nothing of chatd's and reads no clock; callers pass the time. No time-zone
//! database and no crate: UTC needs only the calendar arithmetic below.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Formats a time as ISO-8601 UTC with milliseconds: `2026-11-22T14:02:05.123Z`.
pub fn utc_timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// `utc_timestamp` of a time given in milliseconds since the Unix epoch, as chat state keeps it:
/// IRC's `server-time` tags and `RPL_TIME`.
pub fn utc_timestamp_millis(millis: u64) -> String {
    utc_timestamp(UNIX_EPOCH + Duration::from_millis(millis))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar, counting in
/// 400-year eras that start on March 1st so that leap days fall at the end of each year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601_utc() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_350_125_123);
        assert_eq!(utc_timestamp(t), "2026-11-22T12:22:05.123Z");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_timestamp(t), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc_timestamp_millis(1_795_350_125_123), "2026-11-22T12:22:05.123Z");
    }
}

//! Time as chatd writes it: ISO-8601 UTC with milliseconds, in log lines and IRC `server-time`;
//! HTTP's IMF-fixdate (`Date` headers); the plain `2007-07-10 10:54:02` of `/server-status`; and
//! `date -u`'s `Sun Mar 20 10:07:44 UTC 2022` for people (IRC `WHOWAS`).
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

/// English day names from Thursday, the weekday of 1970-01-01.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The parts the English forms below need: weekday and month names, day, year and the seconds
/// into the day.
fn english_parts(millis: u64) -> (&'static str, &'static str, u32, i64, u64) {
    let secs = millis / 1000;
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    // `month` is 1 to 12 by construction.
    let weekday = WEEKDAYS.get((days % 7) as usize).copied().unwrap_or("Thu");
    let month = MONTHS.get((month as usize).wrapping_sub(1)).copied().unwrap_or("Jan");
    (weekday, month, day, year, secs % 86_400)
}

/// Formats milliseconds since the Unix epoch as HTTP's IMF-fixdate, the only form a sender may
/// generate (RFC 9110 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(millis: u64) -> String {
    let (weekday, month, day, year, rem) = english_parts(millis);
    format!("{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} GMT", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Formats milliseconds since the Unix epoch for people, as `date -u` prints it (the day padded
/// with a space): `Sun Mar 20 10:07:44 UTC 2022`, `Thu Jan  1 00:00:00 UTC 1970`. IRC's
/// `WHOWAS` says so when someone left, as ngIRCd and InspIRCd write it in their own forms.
pub fn human_utc(millis: u64) -> String {
    let (weekday, month, day, year, rem) = english_parts(millis);
    format!("{weekday} {month} {day:>2} {:02}:{:02}:{:02} UTC {year}", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Formats milliseconds since the Unix epoch as a plain UTC date and time to the second, as the
/// old gateways' status pages showed it: `2007-07-10 10:54:02`.
pub fn utc_date_time(millis: u64) -> String {
    let secs = millis / 1000;
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Reads what `utc_timestamp` writes, `YYYY-MM-DDThh:mm:ss.sssZ` exactly (IRCv3 `server-time`),
/// as milliseconds since the Unix epoch. `None` for anything else, and for times before 1970.
pub fn parse_utc_timestamp(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != 24 {
        return None;
    }
    // Digits everywhere but at the separators.
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (23, b'Z')];
    for (i, &b) in bytes.iter().enumerate() {
        match separators.iter().find(|(at, _)| *at == i) {
            Some((_, sep)) if b != *sep => return None,
            None if !b.is_ascii_digit() => return None,
            _ => {}
        }
    }
    let number = |from: usize, to: usize| text.get(from..to).and_then(|digits| digits.parse::<i64>().ok());
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second, millis) = (number(11, 13)?, number(14, 16)?, number(17, 19)?, number(20, 23)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let days_in_month = *month_days.get(usize::try_from(month - 1).ok()?)?;
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs * 1000 + millis).ok()
}

/// (year, month, day) in the proleptic Gregorian calendar to days since 1970-01-01: the inverse
/// of `civil_from_days`, in the same March-based eras.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
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

    #[test]
    fn timestamps_read_back_exactly() {
        for millis in [0, 951_782_400_000, 1_795_350_125_123, 4_102_444_799_999, 68_256_000_001] {
            assert_eq!(parse_utc_timestamp(&utc_timestamp_millis(millis)), Some(millis), "{millis}");
        }
        for bad in [
            "",
            "2026-11-22T12:22:05Z",
            "2026-11-22T12:22:05.123",
            "2026-11-22 12:22:05.123Z",
            "2026-13-22T12:22:05.123Z",
            "2026-02-29T12:22:05.123Z",
            "2026-11-31T12:22:05.123Z",
            "2026-11-22T24:00:00.000Z",
            "2026-11-22T12:60:05.123Z",
            "+026-11-22T12:22:05.123Z",
            "2026-11-22T12:22:05.1234Z",
            "1969-12-31T23:59:59.999Z",
        ] {
            assert_eq!(parse_utc_timestamp(bad), None, "{bad:?}");
        }
        assert_eq!(parse_utc_timestamp("2000-02-29T00:00:00.000Z"), Some(951_782_400_000));
    }

    #[test]
    fn http_dates_are_imf_fixdate() {
        // RFC 9110 5.6.7's own example.
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400_999), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(1_795_350_125_123), "Sun, 22 Nov 2026 12:22:05 GMT");
    }

    #[test]
    fn human_dates_read_as_date_u_prints_them() {
        assert_eq!(human_utc(0), "Thu Jan  1 00:00:00 UTC 1970");
        assert_eq!(human_utc(1_647_770_864_999), "Sun Mar 20 10:07:44 UTC 2022");
        // A leap day, a Tuesday.
        assert_eq!(human_utc(951_868_799_000), "Tue Feb 29 23:59:59 UTC 2000");
    }

    #[test]
    fn status_dates_are_plain_utc() {
        assert_eq!(utc_date_time(1_184_064_842_000), "2007-07-10 10:54:02");
        assert_eq!(utc_date_time(0), "1970-01-01 00:00:00");
    }
}

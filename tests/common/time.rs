//! Clock and calendar helpers: the UTC times the server writes (netcat `[HH:MM]`, IRCv3
//! `server-time` tags, log timestamps), parsed independently of the server's own conversion.

use super::Client;
use super::irc::next;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The server's netcat `[HH:MM]` for now, UTC.
pub fn utc_clock_now() -> String {
    let minutes = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 60;
    format!("[{:02}:{:02}]", (minutes / 60) % 24, minutes % 60)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the inverse of the server's conversion,
/// written independently).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Parses `2026-11-22T14:02:05.123Z` (exactly that shape) into milliseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(format!("timestamp {text:?} is not YYYY-MM-DDTHH:MM:SS.mmmZ"));
    }
    let num = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (hour, minute, second, millis) = (num(11..13), num(14..16), num(17..19), num(20..23));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(format!("timestamp {text:?} is out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Parses `date -u`'s `Sun Mar 20 10:07:44 UTC 2022` (the day may be space-padded, `Jan  1`) into
/// milliseconds since the epoch, checking that the weekday is that date's.
pub fn parse_human_utc(text: &str) -> Result<i64, String> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let bad = || format!("{text:?} is not like `Sun Mar 20 10:07:44 UTC 2022`");
    let words: Vec<&str> = text.split_whitespace().collect();
    let [weekday, month, day, clock, "UTC", year] = words[..] else { return Err(bad()) };
    let month = MONTHS.iter().position(|&m| m == month).ok_or_else(bad)? as i64 + 1;
    let day: i64 = day.parse().map_err(|_| bad())?;
    let year: i64 = year.parse().map_err(|_| bad())?;
    let hms: Vec<i64> = clock.split(':').map(|n| n.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let [hour, minute, second] = hms[..] else { return Err(bad()) };
    let padded = if day < 10 { format!(" {day}") } else { day.to_string() };
    if !text.contains(&format!("{} {padded} ", MONTHS[month as usize - 1])) || clock.len() != 8 {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    // 1970-01-01 was a Thursday.
    if DAYS[(days + 3).rem_euclid(7) as usize] != weekday {
        return Err(format!("{text:?}: that date is no {weekday}"));
    }
    Ok(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// Splits `@time=YYYY-MM-DDTHH:MM:SS.mmmZ rest` into the stamp (as milliseconds since the epoch),
/// the stamp as written, and the rest of the line. Fails on any other shape.
pub fn time_tagged(line: &str) -> (i64, String, String) {
    let (tag, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no tag in {line:?}"));
    let stamp = tag.strip_prefix("@time=").unwrap_or_else(|| panic!("no @time= tag in {line:?}"));
    let millis = parse_timestamp(stamp).unwrap_or_else(|e| panic!("bad time stamp in {line:?}: {e}"));
    (millis, stamp.to_string(), rest.to_string())
}

/// The next line must be `@time=... ` followed by exactly `rest`, with a time between `since`
/// (milliseconds since the epoch) and now; returns the stamp as written.
pub fn expect_tagged(client: &mut Client, rest: &str, since: i64) -> String {
    let line = next(client);
    let until = now_millis();
    let (at, stamp, body) = time_tagged(&line);
    assert_eq!(body, rest, "whole line: {line:?}");
    assert!(since <= at && at <= until, "time {stamp} outside [{since}, {until}]: {line:?}");
    stamp
}

/// `[HH:MM]` of a `server-time` stamp, the way history notices show it.
pub fn clock_of(stamp: &str) -> String {
    format!("[{}]", &stamp[11..16])
}

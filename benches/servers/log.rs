//! Following chatd's log file from the bench: its listening address, its first eviction and its
//! first few warnings and errors, with log times placed on the bench's clock.

use crate::measure::{WALL_AT_EPOCH, now_ns};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Follows chatd's log file (polling: it is written to, never truncated): sends the listening
/// address of the `start` line, and records the first eviction (at the time the line gives, in
/// ns since the bench started) and the first few warnings and errors.
pub fn tail_chatd_log(
    path: &Path,
    listen: &std::sync::mpsc::Sender<String>,
    evicted: &Mutex<Option<(u64, String)>>,
    problems: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    let (mut file, mut pending) = (None, Vec::new());
    let mut chunk = [0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        if file.is_none() {
            file = std::fs::File::open(path).ok();
        }
        let got = file.as_mut().map_or(0, |f| f.read(&mut chunk).unwrap_or(0));
        if got == 0 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        pending.extend_from_slice(&chunk[..got]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..=end);
            if line.contains(" evict ") {
                let at = log_line_ns(&line).unwrap_or_else(now_ns);
                evicted.lock().unwrap().get_or_insert((at, line));
            } else if line.contains(" ERROR ") || line.contains(" WARN ") {
                let mut problems = problems.lock().unwrap();
                if problems.len() < 5 {
                    problems.push(line);
                }
            } else if line.contains(" start ")
                && let Some(port) = line.split_whitespace().find_map(|f| f.strip_prefix("listen="))
            {
                let _ = listen.send(port.to_string());
            }
        }
    }
}

/// The time a chatd log line gives (`2026-12-02T17:27:29.292Z ...`), in ns since the bench
/// started (on the bench's clock, through the wall clock read when it started).
fn log_line_ns(line: &str) -> Option<u64> {
    let t = line.get(..24)?;
    let num = |a: usize, b: usize| t.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    // Days since 1970-01-01 in the proleptic Gregorian calendar, years counted from March.
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let unix_ms = ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms;
    let start_wall_ns = *WALL_AT_EPOCH.get()?;
    u64::try_from(unix_ms as i128 * 1_000_000 - start_wall_ns as i128).ok()
}

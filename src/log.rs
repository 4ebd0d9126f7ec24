//! The operator log: one line per event, UTC timestamp first, then the level, the event name and
//! `key=value` fields. Example:
//!
//! `2026-11-22T14:02:05.123Z INFO connect client=7 peer=192.0.2.4:51234 clients=3/1024`
//!
//! Owns the log file (opened in append mode) or stderr. Each line is written with a single
//! `write`, so lines from different threads never interleave. Before each line, the path is
//! checked: when logrotate (or anyone) has moved or deleted the file, it is reopened at the same
//! path, so rotation needs no signal. A failing log never stops the server: the first failure is
//! reported on stderr and chatd goes on serving.

use std::fmt::{self, Display, Write as _};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        })
    }
}

enum Sink {
    Stderr,
    File {
        path: PathBuf,
        file: File,
        /// (device, inode) of the open file, to notice when the path points elsewhere.
        identity: (u64, u64),
    },
}

struct Inner {
    sink: Sink,
    /// Set after the first write failure, so stderr gets one complaint, not one per line.
    failed: bool,
}

/// The process-wide operator log. Shared by reference (`Arc<Log>`) between threads.
pub struct Log {
    inner: Mutex<Inner>,
}

fn open_append(path: &Path) -> io::Result<(File, (u64, u64))> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let meta = file.metadata()?;
    Ok((file, (meta.dev(), meta.ino())))
}

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

/// Appends ` key=value`, quoting the value when it is empty or has spaces, quotes, `=` or controls.
pub fn push_field(line: &mut String, key: &str, value: &dyn Display) {
    let value = value.to_string();
    line.push(' ');
    line.push_str(key);
    line.push('=');
    let plain =
        !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=');
    if plain {
        line.push_str(&value);
        return;
    }
    line.push('"');
    for c in value.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(line, "\\u{{{:x}}}", c as u32);
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

/// Formats one complete log line (with its newline).
pub fn format_line(time: SystemTime, level: Level, event: &str, fields: &[(&str, &dyn Display)]) -> String {
    let mut line = format!("{} {level} {event}", utc_timestamp(time));
    for (key, value) in fields {
        push_field(&mut line, key, *value);
    }
    line.push('\n');
    line
}

impl Log {
    pub fn stderr() -> Log {
        Log { inner: Mutex::new(Inner { sink: Sink::Stderr, failed: false }) }
    }

    /// Opens (creating if needed) `path` for appending.
    pub fn file(path: &Path) -> io::Result<Log> {
        let (file, identity) = open_append(path)?;
        let sink = Sink::File { path: path.to_path_buf(), file, identity };
        Ok(Log { inner: Mutex::new(Inner { sink, failed: false }) })
    }

    pub fn info(&self, event: &str, fields: &[(&str, &dyn Display)]) {
        self.write(Level::Info, event, fields);
    }

    pub fn warn(&self, event: &str, fields: &[(&str, &dyn Display)]) {
        self.write(Level::Warn, event, fields);
    }

    pub fn error(&self, event: &str, fields: &[(&str, &dyn Display)]) {
        self.write(Level::Error, event, fields);
    }

    pub fn write(&self, level: Level, event: &str, fields: &[(&str, &dyn Display)]) {
        let line = format_line(SystemTime::now(), level, event, fields);
        // A panic elsewhere while holding the lock must not silence the log.
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = match &mut inner.sink {
            Sink::Stderr => io::stderr().lock().write_all(line.as_bytes()),
            Sink::File { path, file, identity } => {
                let moved = match std::fs::metadata(&*path) {
                    Ok(meta) => (meta.dev(), meta.ino()) != *identity,
                    Err(_) => true,
                };
                if moved && let Ok((new_file, new_identity)) = open_append(path) {
                    *file = new_file;
                    *identity = new_identity;
                    let note =
                        format_line(SystemTime::now(), Level::Info, "log_reopened", &[("path", &path.display())]);
                    let _ = file.write_all(note.as_bytes());
                }
                file.write_all(line.as_bytes())
            }
        };
        if let Err(error) = result
            && !inner.failed
        {
            inner.failed = true;
            eprintln!("chatd: cannot write the log ({error}); serving on without it");
        }
    }

    /// Flushes buffered output (stderr may be buffered by the terminal; files are written through).
    pub fn flush(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = match &mut inner.sink {
            Sink::Stderr => io::stderr().flush(),
            Sink::File { file, .. } => file.flush(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_iso8601_utc() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_350_125_123);
        assert_eq!(utc_timestamp(t), "2026-11-22T12:22:05.123Z");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_timestamp(t), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let line =
            format_line(UNIX_EPOCH, Level::Warn, "quit", &[("client", &7), ("reason", &"quit: bye \"x\""), ("e", &"")]);
        assert_eq!(line, "1970-01-01T00:00:00.000Z WARN quit client=7 reason=\"quit: bye \\\"x\\\"\" e=\"\"\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut line = String::new();
        push_field(&mut line, "k", &"a\nb\u{1b}");
        assert_eq!(line, " k=\"a\\nb\\u{1b}\"");
    }

    #[test]
    fn moved_log_file_is_reopened_at_its_path() {
        let dir = std::env::temp_dir().join(format!("chatd-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chatd.log");
        let log = Log::file(&path).unwrap();
        log.info("one", &[]);
        std::fs::rename(&path, dir.join("chatd.log.1")).unwrap();
        log.info("two", &[]);
        let old = std::fs::read_to_string(dir.join("chatd.log.1")).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();
        assert!(old.contains(" one") && !old.contains(" two"));
        assert!(new.contains("log_reopened") && new.contains(" two"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

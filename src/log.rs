//! The operator log: one line per event, UTC timestamp first, then the level, the event name and
//! `key=value` fields. Example:
//!
//! `2026-11-22T14:02:05.123Z INFO connect client=7 peer=192.0.2.4:51234 clients=3/1024`
//!
//! Owns the line format and `Log`, the handle every thread logs through. A line is formatted on
//! the caller's thread and handed to a bounded queue; one writer thread (`writer`) owns the file
//! or stderr and does all the writing, so logging never blocks a caller (the broker above all)
//! and never panics. When the queue is full the line is dropped and counted, and the count is
//! logged once the writer catches up. Lines caused by a peer go through `Log::per_peer`, which
//! rate-limits them per address (`summary`).

mod summary;
mod writer;

pub use summary::PeerGroup;
use summary::PeerSummary;

use crossbeam_channel::Sender;
use std::fmt::{self, Display, Write as _};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime};
use writer::{Record, Sink, Writer};

/// Kept at its old path for callers outside the library (tests read the log's clock with it).
pub use crate::core::time::utc_timestamp;

/// Lines waiting for the writer thread, at most (about 100 bytes each).
pub const QUEUE_LINES: usize = 4096;

/// Bytes waiting for the writer thread, at most: lines with message texts (`--log-messages`) can
/// be 64 KiB long, and a blocked log must not hold 4,096 of them.
pub const QUEUE_BYTES: usize = 2 * 1024 * 1024;

/// How long `Log::flush` waits for the writer at most: a blocked stderr must not hold up exit.
pub const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// Default for `--log-summary-interval`.
pub const SUMMARY_INTERVAL: Duration = Duration::from_secs(10);

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

/// What the callers and the writer thread share.
struct Shared {
    /// Lines dropped (the queue was full, in lines or in bytes), since the writer last logged the count.
    dropped: AtomicU64,
    /// Bytes of the lines in the queue.
    queued_bytes: AtomicUsize,
    summary: Mutex<PeerSummary>,
}

impl Shared {
    fn summary(&self) -> MutexGuard<'_, PeerSummary> {
        // Every update of the summariser is complete or not made: a panic elsewhere cannot leave
        // it half-changed, so a poisoned lock is still good to use.
        self.summary.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The process-wide operator log. Shared by reference (`Arc<Log>`) between threads; the writer
/// thread ends once every handle is gone and the queue is written.
pub struct Log {
    queue: Sender<Record>,
    shared: Arc<Shared>,
}

impl Log {
    /// A log on stderr. Should its writer thread not start, lines are only counted as dropped
    /// (and stderr is told so, once).
    pub fn stderr() -> Log {
        Log::start(Sink::Stderr).unwrap_or_else(|(log, error)| {
            let fields: [(&str, &dyn Display); 1] = [("error", &error)];
            let line = format_line(SystemTime::now(), Level::Error, "log_writer_failed", &fields);
            let _ = io::stderr().lock().write_all(line.as_bytes());
            log
        })
    }

    /// Opens (creating if needed) `path` for appending.
    pub fn file(path: &Path) -> io::Result<Log> {
        Log::start(Sink::file(path)?).map_err(|(_, error)| error)
    }

    /// Starts the writer thread for `sink`. On failure, also returns a log that drops every line.
    fn start(sink: Sink) -> Result<Log, (Log, io::Error)> {
        let (queue, records) = crossbeam_channel::bounded(QUEUE_LINES);
        let shared = Arc::new(Shared {
            dropped: AtomicU64::new(0),
            queued_bytes: AtomicUsize::new(0),
            summary: Mutex::new(PeerSummary::new(SUMMARY_INTERVAL)),
        });
        let writer = Writer::new(sink, records, Arc::clone(&shared));
        let log = Log { queue, shared };
        match thread::Builder::new().name("log".into()).spawn(move || writer.run()) {
            Ok(_) => Ok(log),
            Err(error) => Err((log, error)),
        }
    }

    /// Sets the interval of the per-peer summaries (`--log-summary-interval`); forgets any counts.
    pub fn set_summary_interval(&self, interval: Duration) {
        *self.shared.summary() = PeerSummary::new(interval);
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

    /// Queues one line; never blocks. A full queue drops it, and the writer logs how many.
    pub fn write(&self, level: Level, event: &str, fields: &[(&str, &dyn Display)]) {
        self.enqueue(format_line(SystemTime::now(), level, event, fields));
    }

    /// Hands `line` to the writer, or counts it as dropped when the queue is full.
    fn enqueue(&self, line: String) {
        let bytes = line.len();
        let shared = &self.shared;
        // Added before the send, so the writer (which subtracts) never takes away more than was added.
        let queued = shared.queued_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if queued > QUEUE_BYTES || self.queue.try_send(Record::Line(line)).is_err() {
            shared.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A line caused by the peer at `peer`, rate-limited per address (see `summary`): the first is
    /// written, repeats within the interval become one `EVENT_summary` line with their count.
    /// Every log line a peer can cause at will goes through here.
    pub fn per_peer(&self, peer: IpAddr, level: Level, event: &'static str, fields: &[(&str, &dyn Display)]) {
        let now = Instant::now();
        if self.shared.summary().admit(now, event, level, peer) {
            self.write(level, event, fields);
        }
    }

    /// Queues every per-peer count still pending, due or not (before the last lines at exit).
    pub fn flush_summaries(&self) {
        let mut pending = Vec::new();
        let interval = {
            let mut summary = self.shared.summary();
            summary.drain(&mut pending);
            summary.interval()
        };
        for summary in pending {
            self.enqueue(writer::summary_line(SystemTime::now(), &summary, interval));
        }
    }

    /// Waits until every line logged before is written, for `FLUSH_WAIT` at most.
    pub fn flush(&self) {
        self.flush_within(FLUSH_WAIT);
    }

    /// Waits until every line logged before is written, for `limit` at most. True if they were.
    pub fn flush_within(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let (ack, written) = crossbeam_channel::bounded(1);
        self.queue.send_deadline(Record::Flush(ack), deadline).is_ok() && written.recv_deadline(deadline).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

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
        assert!(log.flush_within(Duration::from_secs(5)));
        std::fs::rename(&path, dir.join("chatd.log.1")).unwrap();
        log.info("two", &[]);
        assert!(log.flush_within(Duration::from_secs(5)));
        let old = std::fs::read_to_string(dir.join("chatd.log.1")).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();
        assert!(old.contains(" one") && !old.contains(" two"));
        assert!(new.contains("log_reopened") && new.contains(" two"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A sink for tests: collects what is written; can be held shut (writes wait) or made to fail.
    #[derive(Default)]
    struct Captured {
        state: Mutex<CapturedState>,
        changed: std::sync::Condvar,
    }

    #[derive(Default)]
    struct CapturedState {
        bytes: Vec<u8>,
        shut: bool,
        failing: bool,
    }

    impl Captured {
        fn set(&self, change: impl FnOnce(&mut CapturedState)) {
            change(&mut self.state.lock().unwrap());
            self.changed.notify_all();
        }

        fn text(&self) -> String {
            String::from_utf8(self.state.lock().unwrap().bytes.clone()).unwrap()
        }

        /// Waits up to five seconds for `needle` to be written.
        fn wait_for(&self, needle: &str) -> String {
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut state = self.state.lock().unwrap();
            loop {
                let text = String::from_utf8_lossy(&state.bytes).into_owned();
                if text.contains(needle) {
                    return text;
                }
                let left = deadline.checked_duration_since(Instant::now()).unwrap_or_else(|| {
                    panic!("{needle:?} not written within 5 s; written:\n{text}");
                });
                state = self.changed.wait_timeout(state, left).unwrap().0;
            }
        }
    }

    struct CapturedWriter(Arc<Captured>);

    impl Write for CapturedWriter {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut state = self.0.state.lock().unwrap();
            while state.shut {
                state = self.0.changed.wait(state).unwrap();
            }
            if state.failing {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            state.bytes.extend_from_slice(bytes);
            self.0.changed.notify_all();
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn captured_log() -> (Log, Arc<Captured>) {
        let captured = Arc::new(Captured::default());
        let sink = Sink::Test(Box::new(CapturedWriter(Arc::clone(&captured))));
        let log = Log::start(sink).unwrap_or_else(|(_, error)| panic!("{error}"));
        (log, captured)
    }

    /// Runs `work` on another thread; fails if it takes longer than five seconds.
    fn within_5s(work: impl FnOnce() + Send + 'static) {
        let (done, finished) = crossbeam_channel::bounded(1);
        thread::spawn(move || {
            work();
            let _ = done.send(());
        });
        finished.recv_timeout(Duration::from_secs(5)).expect("blocked for 5 s");
    }

    #[test]
    fn lines_from_many_threads_are_written_whole_and_at_once() {
        let (log, captured) = captured_log();
        let log = Arc::new(log);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = Arc::clone(&log);
                thread::spawn(move || (0..100).for_each(|n| log.info("line", &[("thread", &t), ("n", &n)])))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        // Written without a flush: the writer does not wait for more.
        captured.wait_for("thread=3 n=99\n");
        captured.wait_for("thread=0 n=99\n");
        assert!(log.flush_within(Duration::from_secs(5)));
        let text = captured.text();
        assert_eq!(text.lines().count(), 400, "{text}");
        assert!(text.lines().all(|l| l.contains(" INFO line thread=") && l.len() < 60), "{text}");
    }

    #[test]
    fn a_blocked_sink_blocks_no_caller_and_dropped_lines_are_counted() {
        let (log, captured) = captured_log();
        captured.set(|s| s.shut = true);
        let log = Arc::new(log);
        let logger = Arc::clone(&log);
        within_5s(move || (0..10_000).for_each(|n| logger.info("n", &[("n", &n)])));
        assert!(!log.flush_within(Duration::from_millis(50)), "flushed into a blocked sink");
        captured.set(|s| s.shut = false);
        assert!(log.flush_within(Duration::from_secs(5)));
        let text = captured.text();
        let written = text.lines().filter(|l| l.contains(" INFO n n=")).count() as u64;
        let dropped = dropped_total(&text);
        assert!(dropped > 0 && written >= QUEUE_LINES as u64, "written {written}, dropped {dropped}");
        assert_eq!(written + dropped, 10_000);
    }

    /// The counts of every `log_dropped` line in `text` (a count is logged each time the writer
    /// finds one, so a blocking spell can take more than one line).
    fn dropped_total(text: &str) -> u64 {
        let counts = text.lines().filter_map(|l| l.split_once(" WARN log_dropped lines=")).map(|(_, n)| n);
        counts.map(|n| n.parse::<u64>().unwrap()).sum()
    }

    #[test]
    fn the_queue_is_bounded_in_bytes_too() {
        let (log, captured) = captured_log();
        captured.set(|s| s.shut = true);
        let text = "x".repeat(64 * 1024);
        let length = text.len();
        let log = Arc::new(log);
        let logger = Arc::clone(&log);
        within_5s(move || (0..100).for_each(|n| logger.info("long", &[("n", &n), ("text", &text)])));
        captured.set(|s| s.shut = false);
        assert!(log.flush_within(Duration::from_secs(5)));
        let text = captured.text();
        let written = text.lines().filter(|l| l.contains(" INFO long n=")).count() as u64;
        // What the writer held when it blocked, and what fits in the bytes allowed.
        assert!(written <= 2 + (QUEUE_BYTES / length) as u64, "{written} lines of 64 KiB queued");
        assert_eq!(written + dropped_total(&text), 100);
    }

    #[test]
    fn a_failing_sink_costs_a_count_reported_once_it_works_again() {
        let (log, captured) = captured_log();
        captured.set(|s| s.failing = true);
        for n in 0..10 {
            log.info("lost", &[("n", &n)]);
        }
        assert!(log.flush_within(Duration::from_secs(5)), "a failing sink must not hold up a flush");
        captured.set(|s| s.failing = false);
        log.info("back", &[]);
        let text = captured.wait_for(" INFO back\n");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains(" WARN log_write_failed lines=10 error="), "{text}");
    }

    #[test]
    fn a_flush_into_a_blocked_sink_gives_up_in_time() {
        let (log, captured) = captured_log();
        captured.set(|s| s.shut = true);
        log.info("stuck", &[]);
        let started = Instant::now();
        assert!(!log.flush_within(Duration::from_millis(200)));
        assert!(started.elapsed() < Duration::from_secs(2));
        captured.set(|s| s.shut = false);
    }

    #[test]
    fn per_peer_lines_are_summarised_per_address_and_counts_come_without_more_lines() {
        let (log, captured) = captured_log();
        log.set_summary_interval(Duration::from_millis(300));
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        for n in 0..100 {
            log.per_peer(peer, Level::Warn, "refused", &[("n", &n)]);
        }
        log.per_peer("2001:db8::1".parse().unwrap(), Level::Warn, "refused", &[("n", &"v6")]);
        log.per_peer("2001:db8::2".parse().unwrap(), Level::Warn, "refused", &[("n", &"v6")]);
        // No further line arrives: the writer's tick writes the count.
        let text = captured.wait_for(" WARN refused_summary from=192.0.2.1 repeated=99 interval=0.3s\n");
        let text = if text.contains("from=2001:db8::/64") {
            text
        } else {
            captured.wait_for(" WARN refused_summary from=2001:db8::/64 repeated=1 interval=0.3s\n")
        };
        let firsts: Vec<&str> = text.lines().filter(|l| l.contains(" WARN refused n=")).collect();
        assert_eq!(firsts.len(), 2, "{text}");
        assert!(firsts[0].ends_with(" n=0") && firsts[1].ends_with(" n=v6"), "{text}");
    }

    #[test]
    fn pending_counts_are_written_on_request() {
        let (log, captured) = captured_log();
        log.set_summary_interval(Duration::from_secs(3600));
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            log.per_peer(peer, Level::Warn, "refused", &[]);
        }
        log.flush_summaries();
        assert!(log.flush_within(Duration::from_secs(5)));
        let text = captured.text();
        assert!(text.contains(" WARN refused_summary from=192.0.2.1 repeated=2 interval=3600s\n"), "{text}");
    }
}

//! What the soak learns from chatd's log (followed while the soak runs): evictions by reason and
//! by kind of client, the connected-client count, panics, errors and dropped log lines.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the soak learns from chatd's log.
#[derive(Default)]
pub struct LogSeen {
    /// Evictions by reason (`sendq-exceeded`, `registration-timeout`, `ping-timeout`, ...).
    pub evictions: BTreeMap<String, u64>,
    /// Slow readers the log shows evicted and the slow-reader thread has not replaced yet.
    pub slow_evicted: HashSet<String>,
    /// Slow readers evicted for their send queue, and for anything else.
    pub slow_sendq: u64,
    pub slow_other: u64,
    /// Well-behaved clients (fanout, flood, joiners, churn) the server evicted, and the first few lines.
    pub well_behaved_evicted: u64,
    pub well_behaved_lines: Vec<String>,
    /// The client count of the last `connect`, `quit` or `evict` line.
    pub clients: Option<u64>,
    /// Lines mentioning a panic or a fatal runtime error (chatd's stderr goes to the same file).
    pub panics: u64,
    pub panic_lines: Vec<String>,
    pub errors: u64,
    /// Lines chatd's log says it dropped (`log_dropped lines=N`): what the soak counts may miss them.
    pub dropped: u64,
}

/// Nickname prefixes of the well-behaved clients, and of the slow readers.
const WELL_BEHAVED: [&str; 4] = ["fan", "fld", "hj", "churn"];
pub const SLOW_PREFIX: &str = "slow";

impl LogSeen {
    fn note(&mut self, line: &str) {
        if line.contains("panicked") || line.contains("fatal runtime error") {
            self.panics += 1;
            if self.panic_lines.len() < 5 {
                self.panic_lines.push(line.to_string());
            }
        }
        let mut words = line.split_whitespace();
        let (level, event) = (words.nth(1), words.next());
        let field = |name: &str| {
            line.split_whitespace().find_map(|w| w.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
        };
        if level == Some("ERROR") {
            self.errors += 1;
        }
        if event == Some("log_dropped") {
            self.dropped += field("lines").and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        }
        if matches!(event, Some("connect" | "quit" | "evict"))
            && let Some(count) = field("clients").and_then(|c| c.split('/').next()?.parse().ok())
        {
            self.clients = Some(count);
        }
        if event != Some("evict") {
            return;
        }
        let reason = field("reason").unwrap_or("-");
        *self.evictions.entry(reason.to_string()).or_default() += 1;
        let nick = field("nick").unwrap_or("-");
        if nick.starts_with(SLOW_PREFIX) {
            self.slow_evicted.insert(nick.to_string());
            if reason == "sendq-exceeded" {
                self.slow_sendq += 1;
            } else {
                self.slow_other += 1;
            }
        } else if WELL_BEHAVED.iter().any(|p| nick.starts_with(p)) {
            self.well_behaved_evicted += 1;
            if self.well_behaved_lines.len() < 5 {
                self.well_behaved_lines.push(line.to_string());
            }
        }
    }
}

/// Follows chatd's log (written to, never truncated) until `stop`.
pub fn follow_log(path: &Path, seen: &Mutex<LogSeen>, stop: &AtomicBool) {
    let (mut file, mut pending) = (None, Vec::new());
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if file.is_none() {
            file = std::fs::File::open(path).ok();
        }
        let got = file.as_mut().map_or(0, |f| f.read(&mut chunk).unwrap_or(0));
        if got == 0 {
            // Stop only once everything written so far is read.
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        pending.extend_from_slice(&chunk[..got]);
        let mut seen = seen.lock().unwrap();
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            seen.note(&String::from_utf8_lossy(&pending[..end]));
            pending.drain(..=end);
        }
    }
}

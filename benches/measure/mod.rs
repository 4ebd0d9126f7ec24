//! What the bench reads off the clock, the kernel and /proc: the one monotonic clock that senders
//! and receivers share, a latency histogram, a process's (or some of its threads') CPU time and
//! resident memory, and the bench's own open-file limit.
//!
//! Every timestamp written into a line and every receipt come from `now_ns`, so latencies are
//! differences on one clock; `WALL_AT_EPOCH` places chatd's wall-clock log lines on it too.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the bench started (monotonic; senders and receivers share this process).
pub fn now_ns() -> u64 {
    EPOCH
        .get_or_init(|| {
            let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let _ = WALL_AT_EPOCH.set(wall.as_nanos());
            Instant::now()
        })
        .elapsed()
        .as_nanos() as u64
}

/// Log-linear latency histogram: exact below 128 ns, then 64 sub-buckets per power of two (<1.6 %).
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    const SUB: u32 = 7;

    pub fn new() -> Self {
        Histogram { counts: vec![0; (1 << Self::SUB) + 64 * (1 << (Self::SUB - 1))], total: 0 }
    }

    fn index(v: u64) -> usize {
        if v < (1 << Self::SUB) {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb + 1 - Self::SUB;
        let mantissa = (v >> shift) as usize - (1 << (Self::SUB - 1));
        (1 << Self::SUB) + (shift as usize - 1) * (1 << (Self::SUB - 1)) + mantissa
    }

    fn value(index: usize) -> u64 {
        if index < (1 << Self::SUB) {
            return index as u64;
        }
        let rest = index - (1 << Self::SUB);
        let shift = rest / (1 << (Self::SUB - 1)) + 1;
        let mantissa = (rest % (1 << (Self::SUB - 1)) + (1 << (Self::SUB - 1))) as u64;
        // Middle of the bucket.
        (mantissa << shift) + (1u64 << shift) / 2
    }

    pub fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.total += 1;
    }

    /// The q-quantile in nanoseconds (NaN when empty).
    pub fn quantile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return f64::NAN;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i) as f64;
            }
        }
        f64::NAN
    }
}

fn clock_ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// utime and stime of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> (f64, f64) {
    stat_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// utime + stime of a process's threads whose name starts with `prefix` (chatd names its
/// threads), in seconds; 0 when there are none.
pub fn threads_cpu_seconds(pid: u32, prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return f64::NAN };
    let mut total = 0.0;
    for task in tasks.flatten() {
        let named = std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.starts_with(prefix));
        if named {
            let (user, system) = stat_cpu_seconds(&task.path().join("stat").to_string_lossy());
            total += user + system;
        }
    }
    total
}

/// utime and stime from a `stat` file of /proc (a process's or a thread's), in seconds.
fn stat_cpu_seconds(path: &str) -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string(path) else { return (f64::NAN, f64::NAN) };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else { return (f64::NAN, f64::NAN) };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14 and stime field 15.
    let utime: f64 = fields.get(11).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let stime: f64 = fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    (utime / clock_ticks_per_s(), stime / clock_ticks_per_s())
}

/// Resident set size of a process, in KiB.
pub fn rss_kib(pid: u32) -> f64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return f64::NAN };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit for both calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            // Root may raise the hard limit too; servers started from here inherit it (chatd uses
            // two descriptors per client, so 20000 would not hold 10000 clients).
            if lim.rlim_max < 65536 {
                let want = libc::rlimit { rlim_cur: 65536, rlim_max: 65536 };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                    libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
                }
            }
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    lim.rlim_cur
}

/// The wall clock (ns since 1970) when `now_ns` started counting, to place log lines on it.
pub static WALL_AT_EPOCH: OnceLock<u128> = OnceLock::new();

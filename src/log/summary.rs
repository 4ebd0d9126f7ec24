//! Rate limiting for log lines caused by a peer (a refused connection today; HTTP requests and
//! failed logins later), so that nobody outside can fill the disk or the memory through the log.
//!
//! Owns `PeerSummary`, a pure state machine with time passed in. The rules, per event name and
//! peer group (an IPv4 address, or an IPv6 /64: one subscriber usually holds a whole /64):
//! - the first line is written as it is;
//! - further lines within `interval` of the last line written for that group are only counted,
//!   and once the interval has passed one summary line carries the count (at most one line per
//!   group per interval, for as long as they keep coming);
//! - a group quiet for a whole interval is forgotten, so its next line is written again.
//!
//! Bounds: at most `max_tracked` groups are remembered; lines from further groups are counted
//! together, per event, as "other addresses". At most `max_lines` first or summary lines are
//! written per interval in all; what goes over is counted and written as one line when the
//! interval ends. So a flood costs at most `max_lines` + 1 + (one per event name) lines per
//! interval, and a fixed amount of memory.

use super::Level;
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

/// Peer groups remembered at once (about 100 bytes each).
pub const MAX_TRACKED: usize = 4096;

/// First and summary lines written per interval, for all peers together.
pub const MAX_LINES: usize = 50;

/// Who a per-peer line is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerGroup {
    V4(Ipv4Addr),
    /// The /64 prefix (the low 64 bits are zero).
    V6(Ipv6Addr),
}

impl PeerGroup {
    /// The group of `ip`; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as its IPv4 address.
    pub fn of(ip: IpAddr) -> PeerGroup {
        match ip.to_canonical() {
            IpAddr::V4(v4) => PeerGroup::V4(v4),
            IpAddr::V6(v6) => PeerGroup::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        }
    }
}

impl fmt::Display for PeerGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerGroup::V4(v4) => write!(f, "{v4}"),
            PeerGroup::V6(prefix) => write!(f, "{prefix}/64"),
        }
    }
}

/// A line the summariser wants written.
#[derive(Debug, PartialEq, Eq)]
pub enum Summary {
    /// `repeated` more lines of `event` from `from` were counted instead of written; `None` means
    /// addresses beyond the tracked ones.
    Repeated { level: Level, event: &'static str, from: Option<PeerGroup>, repeated: u64 },
    /// `lines` per-peer lines were neither written nor summarised by address: the cap was reached.
    Capped { lines: u64 },
}

struct Tracked {
    level: Level,
    /// When the last line for this group was written (or would have been, but for the cap).
    since: Instant,
    /// Lines counted since then.
    repeated: u64,
}

/// Counts kept per event for groups beyond `max_tracked`.
struct Others {
    event: &'static str,
    level: Level,
    repeated: u64,
}

pub struct PeerSummary {
    interval: Duration,
    max_tracked: usize,
    max_lines: usize,
    tracked: HashMap<(&'static str, PeerGroup), Tracked>,
    others: Vec<Others>,
    /// Start of the current cap window; `None` while nothing is tracked.
    window: Option<Instant>,
    /// First and summary lines written in the current window.
    written: usize,
    /// Lines over the cap in the current window.
    capped: u64,
}

impl PeerSummary {
    pub fn new(interval: Duration) -> PeerSummary {
        PeerSummary::with_limits(interval, MAX_TRACKED, MAX_LINES)
    }

    pub fn with_limits(interval: Duration, max_tracked: usize, max_lines: usize) -> PeerSummary {
        PeerSummary {
            interval,
            max_tracked,
            max_lines,
            tracked: HashMap::new(),
            others: Vec::new(),
            window: None,
            written: 0,
            capped: 0,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// True when nothing is counted or remembered: no summary can become due without a new line.
    pub fn is_idle(&self) -> bool {
        self.tracked.is_empty() && self.capped == 0 && self.others.iter().all(|o| o.repeated == 0)
    }

    /// One line of `event` from `peer` at `now`: true when it is to be written as it is.
    pub fn admit(&mut self, now: Instant, event: &'static str, level: Level, peer: IpAddr) -> bool {
        let window = *self.window.get_or_insert(now);
        if self.capped == 0 && now >= window + self.interval {
            // Nothing to report for the window that ended: a new one starts without a line.
            self.window = Some(now);
            self.written = 0;
        }
        let key = (event, PeerGroup::of(peer));
        if let Some(tracked) = self.tracked.get_mut(&key) {
            if tracked.repeated > 0 || now < tracked.since + self.interval {
                // A summary is pending or the group's interval runs: count the line.
                tracked.repeated += 1;
                return false;
            }
            tracked.since = now;
        } else if self.tracked.len() >= self.max_tracked {
            match self.others.iter_mut().find(|o| o.event == event) {
                Some(others) => others.repeated += 1,
                None => self.others.push(Others { event, level, repeated: 1 }),
            }
            return false;
        } else {
            self.tracked.insert(key, Tracked { level, since: now, repeated: 0 });
        }
        self.take_line(1)
    }

    /// One line for the cap: true when it may be written, else `lines` are counted as capped.
    fn take_line(&mut self, lines: u64) -> bool {
        if self.written < self.max_lines {
            self.written += 1;
            true
        } else {
            self.capped += lines;
            false
        }
    }

    /// Appends to `out` the summaries due at `now` and forgets groups that have gone quiet.
    pub fn due(&mut self, now: Instant, out: &mut Vec<Summary>) {
        if let Some(window) = self.window
            && now >= window + self.interval
        {
            self.end_window(out);
            self.window = Some(now);
        }
        let interval = self.interval;
        let mut ready = Vec::new();
        self.tracked.retain(|&(event, from), tracked| {
            if now < tracked.since + interval {
                return true;
            }
            if tracked.repeated == 0 {
                return false; // quiet for a whole interval
            }
            ready.push((event, from, tracked.level, tracked.repeated));
            tracked.since = now;
            tracked.repeated = 0;
            true
        });
        for (event, from, level, repeated) in ready {
            if self.take_line(repeated) {
                out.push(Summary::Repeated { level, event, from: Some(from), repeated });
            }
        }
        if self.is_idle() {
            self.window = None;
            self.written = 0;
        }
    }

    /// Everything still counted, whether due or not (at shutdown).
    pub fn drain(&mut self, out: &mut Vec<Summary>) {
        for ((event, from), tracked) in self.tracked.drain() {
            if tracked.repeated > 0 {
                out.push(Summary::Repeated {
                    level: tracked.level,
                    event,
                    from: Some(from),
                    repeated: tracked.repeated,
                });
            }
        }
        self.end_window(out);
        self.window = None;
    }

    /// The window's over-cap count and the counts for untracked groups, then a fresh window.
    fn end_window(&mut self, out: &mut Vec<Summary>) {
        if self.capped > 0 {
            out.push(Summary::Capped { lines: self.capped });
        }
        for others in &mut self.others {
            if others.repeated > 0 {
                out.push(Summary::Repeated {
                    level: others.level,
                    event: others.event,
                    from: None,
                    repeated: others.repeated,
                });
                others.repeated = 0;
            }
        }
        self.capped = 0;
        self.written = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn due(summary: &mut PeerSummary, now: Instant) -> Vec<Summary> {
        let mut out = Vec::new();
        summary.due(now, &mut out);
        out
    }

    fn repeated(from: &str, n: u64) -> Summary {
        Summary::Repeated { level: Level::Warn, event: "refused", from: Some(PeerGroup::of(ip(from))), repeated: n }
    }

    #[test]
    fn ipv6_is_grouped_by_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(PeerGroup::of(ip("2001:db8:1:2:aaaa::1")), PeerGroup::of(ip("2001:db8:1:2::ffff")));
        assert_ne!(PeerGroup::of(ip("2001:db8:1:2::1")), PeerGroup::of(ip("2001:db8:1:3::1")));
        assert_eq!(PeerGroup::of(ip("::ffff:192.0.2.7")), PeerGroup::of(ip("192.0.2.7")));
        assert_eq!(PeerGroup::of(ip("2001:db8:1:2:aaaa::1")).to_string(), "2001:db8:1:2::/64");
        assert_eq!(PeerGroup::of(ip("::ffff:192.0.2.7")).to_string(), "192.0.2.7");
    }

    #[test]
    fn the_first_line_is_written_then_one_count_per_interval() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::new(10 * SEC);
        assert!(summary.admit(t0, "refused", Level::Warn, ip("192.0.2.1")));
        for i in 1..=500 {
            assert!(!summary.admit(t0 + Duration::from_millis(i), "refused", Level::Warn, ip("192.0.2.1")));
        }
        assert!(due(&mut summary, t0 + 9 * SEC).is_empty());
        assert_eq!(due(&mut summary, t0 + 10 * SEC), vec![repeated("192.0.2.1", 500)]);
        // Still coming: counted, and written an interval after the last summary.
        for _ in 0..7 {
            assert!(!summary.admit(t0 + 11 * SEC, "refused", Level::Warn, ip("192.0.2.1")));
        }
        assert!(due(&mut summary, t0 + 19 * SEC).is_empty());
        assert_eq!(due(&mut summary, t0 + 20 * SEC), vec![repeated("192.0.2.1", 7)]);
        // Quiet for an interval: forgotten, and the next line is written again.
        assert!(due(&mut summary, t0 + 30 * SEC).is_empty());
        assert!(summary.is_idle());
        assert!(summary.admit(t0 + 31 * SEC, "refused", Level::Warn, ip("192.0.2.1")));
    }

    #[test]
    fn a_line_after_the_interval_with_a_count_pending_joins_the_count() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::new(10 * SEC);
        assert!(summary.admit(t0, "refused", Level::Warn, ip("192.0.2.1")));
        assert!(!summary.admit(t0 + SEC, "refused", Level::Warn, ip("192.0.2.1")));
        assert!(!summary.admit(t0 + 12 * SEC, "refused", Level::Warn, ip("192.0.2.1")));
        assert_eq!(due(&mut summary, t0 + 12 * SEC), vec![repeated("192.0.2.1", 2)]);
    }

    #[test]
    fn groups_and_events_are_counted_apart() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::new(10 * SEC);
        assert!(summary.admit(t0, "refused", Level::Warn, ip("192.0.2.1")));
        assert!(summary.admit(t0, "refused", Level::Warn, ip("192.0.2.2")));
        assert!(summary.admit(t0, "login_failed", Level::Warn, ip("192.0.2.1")));
        assert!(summary.admit(t0, "refused", Level::Warn, ip("2001:db8::1")));
        assert!(!summary.admit(t0, "refused", Level::Warn, ip("2001:db8::2")));
        assert!(!summary.admit(t0, "refused", Level::Warn, ip("::ffff:192.0.2.2")));
        let mut out = due(&mut summary, t0 + 10 * SEC);
        out.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(out, vec![repeated("192.0.2.2", 1), repeated("2001:db8::", 1)]);
    }

    #[test]
    fn groups_beyond_the_bound_are_counted_together() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::with_limits(10 * SEC, 3, 100);
        for n in 1..=3 {
            assert!(summary.admit(t0, "refused", Level::Warn, ip(&format!("192.0.2.{n}"))));
        }
        for n in 4..=250 {
            assert!(!summary.admit(t0, "refused", Level::Warn, ip(&format!("192.0.2.{n}"))));
        }
        assert_eq!(summary.tracked.len(), 3);
        let out = due(&mut summary, t0 + 10 * SEC);
        assert_eq!(out, vec![Summary::Repeated { level: Level::Warn, event: "refused", from: None, repeated: 247 }]);
        // Every tracked group went quiet: all forgotten.
        assert!(summary.is_idle());
    }

    #[test]
    fn lines_over_the_cap_are_counted_in_one_line_per_interval() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::with_limits(10 * SEC, 1000, 5);
        let admitted =
            (0..20).filter(|n| summary.admit(t0, "refused", Level::Warn, ip(&format!("192.0.2.{n}")))).count();
        assert_eq!(admitted, 5);
        // Every group repeats; the window's cap is spent, so the new window starts with its count.
        for n in 0..20 {
            assert!(!summary.admit(t0 + SEC, "refused", Level::Warn, ip(&format!("192.0.2.{n}"))));
        }
        let out = due(&mut summary, t0 + 10 * SEC);
        assert_eq!(out[0], Summary::Capped { lines: 15 });
        // Then five summaries fit in the new window, the other 15 counts (one line each) are capped.
        assert_eq!(out.len(), 6, "{out:?}");
        assert!(out[1..].iter().all(|s| matches!(s, Summary::Repeated { repeated: 1, .. })));
        assert_eq!(due(&mut summary, t0 + 20 * SEC), vec![Summary::Capped { lines: 15 }]);
        assert!(summary.is_idle());
    }

    #[test]
    fn lines_written_per_interval_are_bounded_under_any_flood() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::with_limits(10 * SEC, 64, 10);
        let mut written = vec![0usize; 10];
        let mut out = Vec::new();
        for ms in 0..100_000u64 {
            let now = t0 + Duration::from_millis(ms);
            let peer = IpAddr::from([10, 0, (ms % 7) as u8, (ms % 251) as u8]);
            if summary.admit(now, "refused", Level::Warn, peer) {
                written[(ms / 10_000) as usize] += 1;
            }
            if ms % 250 == 0 {
                summary.due(now, &mut out);
                written[(ms / 10_000) as usize] += out.len();
                out.clear();
            }
        }
        // At most the cap, its summary line and the line for untracked groups.
        assert!(written.iter().all(|&n| n <= 12), "{written:?}");
    }

    #[test]
    fn drain_hands_over_every_count() {
        let t0 = Instant::now();
        let mut summary = PeerSummary::with_limits(10 * SEC, 1, 1);
        assert!(summary.admit(t0, "refused", Level::Warn, ip("192.0.2.1")));
        assert!(!summary.admit(t0, "refused", Level::Warn, ip("192.0.2.1")));
        assert!(!summary.admit(t0, "refused", Level::Warn, ip("192.0.2.2")));
        let mut out = Vec::new();
        summary.drain(&mut out);
        assert_eq!(
            out,
            vec![
                repeated("192.0.2.1", 1),
                Summary::Repeated { level: Level::Warn, event: "refused", from: None, repeated: 1 }
            ]
        );
        assert!(summary.is_idle());
    }
}

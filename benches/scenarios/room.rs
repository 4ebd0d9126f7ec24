//! One room under load: fanout, rate and slow reader, and the fanout to web sessions (`web-N`,
//! whose sessions `web` sets up and reads). Senders (IRC clients) put numbered, timestamped lines
//! into the room; every member checks it got each other sender's lines once and in order, and
//! records their latency. Without a fixed rate, each sender keeps a window of messages in flight
//! (sent, not yet received by every other member).
//!
//! A `Room` may run the load more than once on the same connections (`login-N` measures it alone,
//! then beside a storm of logins): every run is measured on its own, and every line of every run
//! is checked.

use super::Metrics;
use super::web::{DEFAULT_ROOM, Sessions, fanout_receivers, read_said};
use crate::loadgen::slow::{kernel_queued, slow_client};
use crate::loadgen::{Net, bench_payload, establish, find};
use crate::measure::{Histogram, cpu_seconds, now_ns};
use crate::servers::Server;
use std::io::Write;
use std::net::TcpStream;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Clients in the fanout scenarios (the plot's x axis).
pub const FANOUT_SIZES: [usize; 2] = [100, 1000];

pub struct Load {
    pub clients: usize,
    pub senders: usize,
    /// Messages in flight per sender (sent, not yet received by every other member).
    pub window: usize,
    /// Total messages per second, or as fast as the window allows.
    pub rate: Option<f64>,
    pub warmup: Duration,
    pub measure: Duration,
    pub slow_reader: bool,
    /// Messages per sender, then stop (a fixed workload, for profiles); None: send for `measure`.
    pub per_sender: Option<u64>,
    /// The receivers are `clients` web sessions in the default room (plus the `senders`, IRC
    /// clients) instead of IRC clients in a room of `clients` (the senders among them).
    pub web: bool,
}

/// Every member's receipts of the senders' lines: each once and in order, their latency, and the
/// window of each sender (its oldest line not yet received by every other member).
struct Ledger {
    senders: usize,
    window: usize,
    /// Members who receive each line: all but its sender.
    receivers: u64,
    /// The members whose receipts are the scenario's deliveries and latencies (all but the IRC
    /// senders in `web-N`, whose receivers are the web sessions).
    counted: Range<usize>,
    next: Vec<u64>,   // next sequence number per sender
    oldest: Vec<u64>, // oldest message not yet received by everyone
    ring: Vec<u64>,   // receipts of the messages in the window
    last: Vec<u64>,   // last sequence per (receiver, sender)
    got: Vec<u64>,
    out_of_order: u64,
    received_total: u64,
    hist: Histogram,
    /// While measuring (in the current run): the counted members' receipts, and every member's.
    deliveries: u64,
    all_deliveries: u64,
}

impl Ledger {
    fn new(members: usize, senders: usize, window: usize, counted: Range<usize>) -> Ledger {
        Ledger {
            senders,
            window,
            receivers: (members - 1) as u64,
            counted,
            next: vec![0; senders],
            oldest: vec![0; senders],
            ring: vec![0; senders * window],
            last: vec![u64::MAX; members * senders],
            got: vec![0; members * senders],
            out_of_order: 0,
            received_total: 0,
            hist: Histogram::new(),
            deliveries: 0,
            all_deliveries: 0,
        }
    }

    /// Member `r` received sender `k`'s line `seq`, `latency` ns after it was sent. False when
    /// the line is not one of the senders' to another member.
    fn record(&mut self, r: usize, k: usize, seq: u64, latency: u64, measuring: bool, windowed: bool) -> bool {
        let (s, w) = (self.senders, self.window);
        if k >= s || k == r {
            return false;
        }
        self.received_total += 1;
        let pair = r * s + k;
        if self.last[pair] != u64::MAX && seq <= self.last[pair] {
            self.out_of_order += 1;
        } else {
            self.last[pair] = seq;
        }
        self.got[pair] += 1;
        if measuring {
            self.all_deliveries += 1;
            if self.counted.contains(&r) {
                self.deliveries += 1;
                self.hist.record(latency);
            }
        }
        if windowed && seq >= self.oldest[k] && seq < self.next[k] {
            self.ring[k * w + (seq % w as u64) as usize] += 1;
            while self.oldest[k] < self.next[k]
                && self.ring[k * w + (self.oldest[k] % w as u64) as usize] >= self.receivers
            {
                self.oldest[k] += 1;
            }
        }
        true
    }

    /// Lines sent so far, by every sender in every run.
    fn sent(&self) -> u64 {
        self.next.iter().sum()
    }

    /// Starts a run's measurements afresh (what was received before stays checked).
    fn new_run(&mut self) {
        self.hist = Histogram::new();
        self.deliveries = 0;
        self.all_deliveries = 0;
    }

    /// Lines lost and duplicated, over every member and sender.
    fn lost_and_duplicated(&self, members: usize) -> (u64, u64) {
        let (mut lost, mut dup) = (0u64, 0u64);
        for r in 0..members {
            for k in 0..self.senders {
                if k == r {
                    continue;
                }
                let g = self.got[r * self.senders + k];
                lost += self.next[k].saturating_sub(g);
                dup += g.saturating_sub(self.next[k]);
            }
        }
        (lost, dup)
    }
}

/// Work run beside the measured part of a run (the login storm of `login-N`): told when
/// measuring starts, and the measured part then lasts until it is over (or `Load::measure` has
/// passed). Ending it before the run starts measuring makes the run measure as without it.
#[derive(Default)]
pub struct Beside {
    started: AtomicBool,
    over: AtomicBool,
}

impl Beside {
    /// Whether the run has started measuring (the work beside it may begin).
    pub fn started(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    /// Whether the work is over (or was called off).
    pub fn over(&self) -> bool {
        self.over.load(Ordering::Acquire)
    }

    /// The work is over: the run stops measuring (or the work is called off before it began).
    pub fn end(&self) {
        self.over.store(true, Ordering::Release);
    }
}

/// A room's members, connected and joined, and the ledger of what they have received.
pub struct Room {
    net: Net,
    /// The IRC clients (the first `Load::senders` of them send).
    irc: Range<usize>,
    /// In `web-N`: the web sessions, the receivers.
    web: Option<Sessions>,
    /// Every member's connection: the IRC clients, then the web sessions.
    members: Range<usize>,
    slow: Option<TcpStream>,
    ledger: Ledger,
    /// `PRIVMSG <room> :`, the start of every line the senders send.
    target: String,
}

/// The room set up for `load`, then the load run in it once.
pub fn room_load(server: &Server, load: &Load) -> Result<Metrics, String> {
    Room::join(server, load)?.run(server, load, None)
}

impl Room {
    /// Connects and joins the members `load` asks for (and the slow reader, if it asks for one).
    pub fn join(server: &Server, load: &Load) -> Result<Room, String> {
        let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
        let s = load.senders;
        if load.web && load.slow_reader {
            return Err("the slow reader is measured with IRC receivers only".into());
        }
        // Members: the IRC clients (the first `s` send), then, in `web-N`, the web sessions.
        let room = if load.web { DEFAULT_ROOM } else { "#bench" };
        let (irc, _) = establish(
            &mut net,
            if load.web { s } else { load.clients },
            &|i| format!("b{i}"),
            &|_| room.into(),
            server.kind.connect_window(),
            Duration::from_secs(60),
        )?;
        let mut web = None;
        if load.web {
            let host = server.addr.to_string();
            web = Some(fanout_receivers(&mut net, &host, load.clients, server.kind.connect_window())?);
        }
        let members = irc.start..web.as_ref().map_or(irc.end, |w| w.range.end);
        let n = members.len();
        let counted = if load.web { s..n } else { 0..n };
        let slow = if load.slow_reader { Some(slow_client(server.addr, "slow", room)?) } else { None };
        let ledger = Ledger::new(n, s, load.window, counted);
        Ok(Room { net, irc, web, members, slow, ledger, target: format!("PRIVMSG {room} :") })
    }

    /// Runs `load` (its senders, window, rate, warm-up and measured time) in the room, then waits
    /// until every line sent has arrived; `beside` ends the measured part instead when it is over.
    pub fn run(&mut self, server: &Server, load: &Load, beside: Option<&Beside>) -> Result<Metrics, String> {
        let Room { net, irc, web, members, slow, ledger, target } = self;
        let members = members.clone();
        let n = members.len();
        let s = load.senders;
        let w = load.window;
        ledger.new_run();
        // Where each sender's lines of this run start (for the rate's schedule).
        let first = ledger.next.clone();
        let mut evicted_at: Option<u64> = None;
        // The slow client's backlog inside the server: what was sent its way (a receiver that
        // keeps up gets the same lines) less what the kernel holds for it at either end of its
        // connection.
        let mut slow_bytes = 0u64;
        // The last sample that found the backlog at most the limit: it passed the limit after that.
        let mut below_limit_at: Option<u64> = None;
        let mut backlog_passed = false;
        let mut backlog = 0u64;
        let mut last_sample = Instant::now();
        let mut measuring = false;

        let start = Instant::now();
        let start_ns = now_ns();
        let t_measure = start + load.warmup;
        let t_end = t_measure + load.measure;
        // When measuring started and stopped, and the CPU read then.
        let (mut measured_from, mut measured_to): (Option<Instant>, Option<Instant>) = (None, None);
        let (mut cpu0, mut cpu1) = ((0.0, 0.0), (0.0, 0.0));
        // The load generator's own CPU over the same window: near a whole core, it is the limit.
        let (mut own0, mut own1) = ((0.0, 0.0), (0.0, 0.0));
        let mut msg = Vec::with_capacity(64);
        let mut stalled_since: Option<Instant> = None;
        let mut sending = true;
        let rate_gap = load.rate.map(|r| Duration::from_secs_f64(1.0 / r));
        loop {
            let now = Instant::now();
            if measured_from.is_none() && now >= t_measure && now < t_end {
                measuring = true;
                measured_from = Some(now);
                cpu0 = cpu_seconds(server.pid());
                own0 = cpu_seconds(std::process::id());
                if let Some(beside) = beside {
                    beside.started.store(true, Ordering::Release);
                }
            }
            let evicted = evicted_at.is_some() || server.evicted.lock().unwrap().is_some();
            if let Some(slow) = &slow
                && !backlog_passed
                && !evicted
                && now.duration_since(last_sample) >= Duration::from_millis(10)
            {
                last_sample = now;
                if let Some(in_kernel) = kernel_queued(slow, server.addr.port()) {
                    backlog = slow_bytes.saturating_sub(in_kernel);
                    if backlog > server.kind.sendq_limit() {
                        backlog_passed = true;
                    } else {
                        below_limit_at = Some(now_ns());
                    }
                }
            }
            if measuring && (now >= t_end || beside.is_some_and(Beside::over)) {
                cpu1 = cpu_seconds(server.pid());
                own1 = cpu_seconds(std::process::id());
                measured_to = Some(now);
                measuring = false;
            }
            let done = measured_to.is_some() || now >= t_end;
            // With a slow reader, keep the load on (unmeasured) until it is evicted, for at most 10 s more.
            let more = load.slow_reader && !evicted && now < t_end + Duration::from_secs(10);
            let all_sent = load.per_sender.is_some_and(|c| ledger.next.iter().all(|&n| n >= c));
            if sending && (all_sent || done && !more) {
                sending = false;
            }
            if sending {
                for (k, &run_first) in first.iter().enumerate() {
                    loop {
                        if let Some(gap) = rate_gap {
                            // Message m (over all senders) is due at m × gap; sender k sends m ≡ k (mod s).
                            let m = (ledger.next[k] - run_first) * s as u64 + k as u64;
                            if start + gap.mul_f64(m as f64) > now {
                                break;
                            }
                        } else if ledger.next[k] - ledger.oldest[k] >= w as u64 {
                            break;
                        }
                        let seq = ledger.next[k];
                        if load.per_sender.is_some_and(|c| seq >= c) {
                            break;
                        }
                        msg.clear();
                        msg.extend_from_slice(target.as_bytes());
                        let _ = write!(&mut msg, "{k} {seq} {}\r\n", now_ns());
                        if rate_gap.is_none() {
                            ledger.ring[k * w + (seq % w as u64) as usize] = 0;
                        }
                        ledger.next[k] += 1;
                        net.send(irc.start + k, &msg);
                    }
                }
            } else {
                let expected = ledger.sent() * ledger.receivers;
                let stopped = measured_to.unwrap_or(t_end);
                if ledger.received_total >= expected || now > stopped + Duration::from_secs(15) {
                    break;
                }
            }
            let timeout = match rate_gap {
                Some(_) => Duration::from_millis(1),
                None => Duration::from_millis(20),
            };
            let progress = ledger.received_total;
            let windowed = rate_gap.is_none();
            let mut broken = None;
            net.poll(timeout, |net, i, line| {
                let Some(line) = line else { return };
                if i < members.start || i >= members.end {
                    return;
                }
                let r = i - members.start;
                if let Some(web) = web.as_mut().filter(|_| r >= s) {
                    let now = net.now;
                    let mut said = |k, seq, ts: u64| {
                        ledger.record(r, k, seq, now.saturating_sub(ts), measuring, windowed);
                    };
                    if let Err(e) = read_said(web, r - s, line, &mut said) {
                        broken.get_or_insert(format!("web session {}: {e}", r - s));
                    }
                    return;
                }
                let Some((k, seq, ts)) = bench_payload(line) else {
                    if line.starts_with(b":slow!") && find(line, b" QUIT").is_some() {
                        evicted_at.get_or_insert(net.now);
                    }
                    return;
                };
                if ledger.record(r, k, seq, net.now.saturating_sub(ts), measuring, windowed) && r == s {
                    slow_bytes += line.len() as u64 + 2;
                }
            });
            if let Some(e) = broken {
                return Err(e);
            }
            if ledger.received_total == progress && sending && rate_gap.is_none() {
                let since = *stalled_since.get_or_insert(Instant::now());
                if since.elapsed() > Duration::from_secs(3) {
                    return Err("no message arrived for 3 s (lost messages stall the window)".into());
                }
            } else {
                stalled_since = None;
            }
            if let Some(c) = net.conns[members.clone()].iter().position(|c| c.closed) {
                return Err(format!("member {c} was disconnected: {}", net.conns[members.start + c].last_line));
            }
        }
        let (lost, dup) = ledger.lost_and_duplicated(n);
        let secs = match (measured_from, measured_to) {
            (Some(from), Some(to)) => to.duration_since(from).as_secs_f64(),
            _ => f64::NAN,
        };
        // Counted members who receive each line: every member but the sender, or every web session.
        let per_message = ledger.counted.len() - if load.web { 0 } else { 1 };
        let (deliveries, hist) = (ledger.deliveries, &ledger.hist);
        let mut m: Metrics = vec![
            ("deliveries_per_s", deliveries as f64 / secs),
            ("msgs_per_s", deliveries as f64 / secs / per_message as f64),
            ("p50_us", hist.quantile(0.5) / 1e3),
            ("p99_us", hist.quantile(0.99) / 1e3),
            ("p999_us", hist.quantile(0.999) / 1e3),
            // Per delivery of every kind (in `web-N`, the IRC senders' receipts of each other's
            // lines too): the server's CPU pays for them all.
            ("cpu_us_per_delivery", (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) * 1e6 / ledger.all_deliveries.max(1) as f64),
            // Most of a server's time on loopback is the kernel's (send, and the receiving side's
            // TCP work, which runs in the sender's context).
            ("cpu_kernel_share", (cpu1.1 - cpu0.1) / (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1)),
            ("loadgen_cpu_share", (own1.0 + own1.1 - own0.0 - own0.1) / secs),
            ("lost", lost as f64),
            ("duplicated", dup as f64),
            ("out_of_order", ledger.out_of_order as f64),
        ];
        if load.slow_reader {
            // The server's own log is the first witness where there is one (chatd); else the
            // others' view of its QUIT.
            let logged = server.evicted.lock().unwrap().as_ref().map(|e| e.0);
            let at = logged.or(evicted_at);
            m.push(("evicted_after_s", at.map_or(f64::NAN, |t| t.saturating_sub(start_ns) as f64 / 1e9)));
            m.push(("quit_seen_after_s", evicted_at.map_or(f64::NAN, |t| t.saturating_sub(start_ns) as f64 / 1e9)));
            // An upper bound: the backlog passed the limit after the last sample (every 10 ms)
            // that found it below.
            let after = match (at, below_limit_at) {
                (Some(at), Some(below)) => at.saturating_sub(below) as f64 / 1e9,
                _ => f64::NAN,
            };
            m.push(("evict_after_sendq_max_s", after));
            m.push(("last_backlog_kib", backlog as f64 / 1024.0));
        }
        Ok(m)
    }
}

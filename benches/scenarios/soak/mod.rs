//! The soak scenario (`cargo bench -- --only soak [--soak-secs N]`): chatd under mixed load for a
//! long time (10 minutes by default), its process sampled every second.
//!
//! Owns the mixed load, the samples (resident memory, threads and open descriptors from /proc;
//! connected clients from chatd's log), the soak's verdicts and its chart. The load, all on
//! 127.0.0.1, each part bounded in connections and in time:
//! - fanout: 100 members of #fanout, 5 of them sending numbered lines at a fixed rate; every member
//!   checks that it got each other sender's lines once and in order;
//! - flood: 2 netcat users in #flood sending 1 KB lines fast, which keeps the room's history full
//!   (they check each other's lines the same way); every few seconds a netcat newcomer joins
//!   #flood, is shown its history, reads for 2 s and quits: it reads, so it must not be evicted;
//! - churn: connect, register, join, one line, quit, in a loop, at a bounded rate;
//! - slow readers: members of #flood that stop reading; each is replaced once chatd's log shows it
//!   evicted;
//! - garbage: connections sending random bytes (NULs, invalid UTF-8, overlong lines, IRC-shaped
//!   nonsense) for a few seconds each, then the next;
//! - dawdlers: connections that never register but keep talking (`PING`, invalid nicknames); a
//!   registration deadline evicts them. How many are open is sampled, not asserted.
//!
//! When the load stops, the server must settle: descriptors back to what it had idle, threads too
//! (an idle reader thread waits 10 s for a next client before it ends), no client left, and a new
//! client is served.

use super::Metrics;
use crate::loadgen::{Net, bench_payload, establish, find, numeric, slow::slow_client};
use crate::measure::{Histogram, cpu_seconds, now_ns};
use crate::report::{fmt_num, json_num, median};
use crate::servers::Server;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// chatd's options for the soak, over the bench's: the most history lines `--history` allows
/// (10,000), so that only the byte bounds (`--history-bytes`, `--history-total-bytes`, at their
/// defaults) limit it, and a chatd without them keeps about 10 MB of 1 KB lines in #flood, far
/// more than a send queue; the flood fills that in 25 s and the fanout its own in 50 s, within the
/// warm-up. A ping cycle of 30 + 30 s: slow readers meet their send queue long before a ping
/// timeout, and the registration deadline (by default the two together) turns over about ten
/// times in a 10-minute soak.
pub const CHATD_OPTIONS: &[&str] = &["--history", "10000", "--ping-interval", "30", "--ping-timeout", "30"];

/// Well-behaved readers in #fanout; the first `FANOUT_SENDERS` of them also send.
const FANOUT_READERS: usize = 100;
const FANOUT_SENDERS: usize = 5;
/// Lines per second into #fanout, all senders together.
const FANOUT_RATE: f64 = 200.0;
/// Members of #flood that send long lines.
const FLOODERS: usize = 2;
/// Lines per second into #flood, all flooders together, and the padding of each (about 1,000
/// bytes a line with the numbers, near chatd's default `--max-line` of 1,024).
const FLOOD_RATE: f64 = 400.0;
const FLOOD_TEXT: usize = 960;
/// A history joiner comes this often, stays this long once joined.
const JOINER_EVERY: Duration = Duration::from_secs(5);
const JOINER_STAYS: Duration = Duration::from_secs(2);
/// Churn loops, and the most sessions per second they start together.
const CHURN_LOOPS: usize = 4;
const CHURN_RATE: f64 = 20.0;
/// Slow readers at a time; one that is not evicted within `SLOW_GIVE_UP` is given up (and counted).
const SLOW_READERS: usize = 3;
const SLOW_GIVE_UP: Duration = Duration::from_secs(90);
/// Garbage connections at a time: each sends `GARBAGE_CHUNK` bytes every 100 ms for `GARBAGE_LASTS`.
const GARBAGE: usize = 4;
const GARBAGE_CHUNK: usize = 2048;
const GARBAGE_LASTS: Duration = Duration::from_secs(3);
/// Dawdlers at a time; each says something every `DAWDLE_EVERY` and never registers.
const DAWDLERS: usize = 8;
const DAWDLE_EVERY: Duration = Duration::from_secs(2);
/// How long readers may take to receive what was sent before the load stopped.
const DRAIN: Duration = Duration::from_secs(10);
/// How long the server may take to free everything once the load has stopped.
const SETTLE: Duration = Duration::from_secs(30);
/// A soak value that grew by more than this (last half against the minute after the warm-up) is
/// not flat.
const FLAT_PCT: f64 = 10.0;

/// The warm-up of a soak with this much load: the first minute, or the first quarter of a short run.
pub fn warmup(load_for: f64) -> f64 {
    (load_for / 4.0).min(60.0)
}

// ---------------------------------------------------------------------------------------------
// Samples

/// One second of the soak: the server's process, its log's client count and the dawdlers open.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// The server soaked (`chatd`, or `chatd-base` with `--base`).
    server: String,
    /// Seconds since the load started (the idle sample before it is at 0).
    t_s: f64,
    /// `idle` (before the load), `load`, or `settle` (after it).
    phase: String,
    rss_kib: f64,
    threads: f64,
    fds: f64,
    /// From the last `connect`, `quit` or `evict` line of chatd's log.
    clients: f64,
    dawdlers_open: f64,
    /// The server's CPU (user + system) over the last interval, in percent of one core.
    cpu_pct: f64,
    /// Evictions logged so far.
    evictions: f64,
}

impl Sample {
    fn json(&self) -> String {
        format!(
            "{{\"bench\":\"chatd-soak\",\"server\":\"{}\",\"t_s\":{:.1},\"phase\":\"{}\",\"rss_kib\":{},\"threads\":{},\"fds\":{},\
             \"clients\":{},\"dawdlers_open\":{},\"cpu_pct\":{},\"evictions\":{}}}",
            self.server,
            self.t_s,
            self.phase,
            json_num(self.rss_kib),
            json_num(self.threads),
            json_num(self.fds),
            json_num(self.clients),
            json_num(self.dawdlers_open),
            json_num((self.cpu_pct * 10.0).round() / 10.0),
            json_num(self.evictions),
        )
    }

    /// A line `json` wrote, read back (`None` for any other line).
    pub fn parse(line: &str) -> Option<Sample> {
        let body = line.trim().strip_prefix('{')?.strip_suffix('}')?;
        if !body.starts_with("\"bench\":\"chatd-soak\"") {
            return None;
        }
        let mut s = Sample::default();
        // No key or value here contains a comma or a quote.
        for field in body.split(',') {
            let (key, value) = field.split_once(':')?;
            let value = value.trim_matches('"');
            let num = value.parse().unwrap_or(f64::NAN);
            match key.trim_matches('"') {
                "server" => s.server = value.to_string(),
                "t_s" => s.t_s = num,
                "phase" => s.phase = value.to_string(),
                "rss_kib" => s.rss_kib = num,
                "threads" => s.threads = num,
                "fds" => s.fds = num,
                "clients" => s.clients = num,
                "dawdlers_open" => s.dawdlers_open = num,
                "cpu_pct" => s.cpu_pct = num,
                "evictions" => s.evictions = num,
                _ => {}
            }
        }
        Some(s)
    }
}

/// One value of a sample (for windows, slopes and charts).
type Measure = fn(&Sample) -> f64;

/// Resident memory (KiB) and threads from /proc/PID/status, open descriptors from /proc/PID/fd.
fn read_process(pid: u32) -> (f64, f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(f64::NAN, |d| d.count() as f64);
    (field("VmRSS:"), field("Threads:"), fds)
}

// ---------------------------------------------------------------------------------------------
// chatd's log

/// What the soak learns from chatd's log.
#[derive(Default)]
struct LogSeen {
    /// Evictions by reason (`sendq-exceeded`, `registration-timeout`, `ping-timeout`, ...).
    evictions: BTreeMap<String, u64>,
    /// Slow readers the log shows evicted and the slow-reader thread has not replaced yet.
    slow_evicted: HashSet<String>,
    /// Slow readers evicted for their send queue, and for anything else.
    slow_sendq: u64,
    slow_other: u64,
    /// Well-behaved clients (fanout, flood, joiners, churn) the server evicted, and the first few lines.
    well_behaved_evicted: u64,
    well_behaved_lines: Vec<String>,
    /// The client count of the last `connect`, `quit` or `evict` line.
    clients: Option<u64>,
    /// Lines mentioning a panic or a fatal runtime error (chatd's stderr goes to the same file).
    panics: u64,
    panic_lines: Vec<String>,
    errors: u64,
    /// Lines chatd's log says it dropped (`log_dropped lines=N`): what the soak counts may miss them.
    dropped: u64,
}

/// Nickname prefixes of the well-behaved clients, and of the slow readers.
const WELL_BEHAVED: [&str; 4] = ["fan", "fld", "hj", "churn"];
const SLOW_PREFIX: &str = "slow";

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
fn follow_log(path: &Path, seen: &Mutex<LogSeen>, stop: &AtomicBool) {
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

// ---------------------------------------------------------------------------------------------
// Checks and helpers shared by the load's parts

/// State the load's threads share with the sampler.
#[derive(Default)]
struct Live {
    /// Set when the load is to stop.
    stop: AtomicBool,
    dawdlers_open: AtomicU64,
}

/// Which numbered lines each reader got from each sender: every line once and in order is right.
struct SeqCheck {
    senders: usize,
    /// A bitmap of the sequence numbers seen, per (reader, sender).
    seen: Vec<Vec<u64>>,
    /// Distinct lines per (reader, sender), and one past the highest sequence number.
    distinct: Vec<u64>,
    top: Vec<u64>,
    distinct_total: u64,
    duplicated: u64,
    /// Lines that came after a later line of the same sender.
    reordered: u64,
}

impl SeqCheck {
    fn new(readers: usize, senders: usize) -> SeqCheck {
        let pairs = readers * senders;
        SeqCheck {
            senders,
            seen: vec![Vec::new(); pairs],
            distinct: vec![0; pairs],
            top: vec![0; pairs],
            distinct_total: 0,
            duplicated: 0,
            reordered: 0,
        }
    }

    fn record(&mut self, reader: usize, sender: usize, seq: u64) {
        let pair = reader * self.senders + sender;
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        let map = &mut self.seen[pair];
        if map.len() <= word {
            map.resize(word + 1, 0);
        }
        if map[word] & bit != 0 {
            self.duplicated += 1;
            return;
        }
        map[word] |= bit;
        self.distinct[pair] += 1;
        self.distinct_total += 1;
        if seq < self.top[pair] {
            self.reordered += 1;
        } else {
            self.top[pair] = seq + 1;
        }
    }

    /// Lines each reader should have had: every line of every sender but its own.
    fn expected(&self, readers: usize, sent: &[u64]) -> u64 {
        sent.iter().map(|&n| n * (readers as u64 - 1)).sum()
    }

    fn lost(&self, readers: usize, sent: &[u64]) -> u64 {
        let mut lost = 0;
        for r in 0..readers {
            for (k, &n) in sent.iter().enumerate() {
                if k != r {
                    lost += n.saturating_sub(self.distinct[r * self.senders + k]);
                }
            }
        }
        lost
    }
}

/// xorshift64*: random enough for garbage, and repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A chunk of what a broken or hostile client sends.
fn garbage(rng: &mut Rng, out: &mut Vec<u8>) {
    const SHAPES: [&[u8]; 12] = [
        b"\xc0\x80\xc1\xbf\r\n",             // overlong encodings
        b"\xed\xa0\x80\xed\xbf\xbf\n",       // UTF-16 surrogates
        b"\xf8\x88\x80\x80\x80\xff\xfe\r\n", // five-byte forms, bytes never valid
        b"\x80\x80\x80 lone continuations\n",
        b"PRIVMSG #flood :\x00\xff\x1b[2J\r\n",
        b"NICK \xff\xfe\r\nUSER \x00 \x00\r\n",
        b"JOIN #\x00,#\xe2\x80\xae,&&&\r\n",
        b":::: : : :\r\n\r\n\r\n",
        b"\x00\x00\x00\x00\r\n",
        b"MODE * +++++++++++++++++++++++++++++++++++++++\r\n",
        b"\r\r\r\n\n\n\t\t\x7f\x7f\n",
        b"CAP REQ :\xe2\x80\x8b\xef\xbb\xbf\r\n",
    ];
    out.clear();
    while out.len() < GARBAGE_CHUNK {
        match rng.below(4) {
            // Random bytes: a line end now and then, everything else too.
            0 => out.extend((0..rng.below(512)).map(|_| rng.next() as u8)),
            // A line longer than any limit (chatd's default is 1,024 bytes).
            1 => {
                out.extend((0..3000 + rng.below(3000)).map(|_| b'a' + (rng.next() % 26) as u8));
                out.push(b'\n');
            }
            // A command with hundreds of parameters.
            2 => {
                out.extend_from_slice(b"PRIVMSG");
                for _ in 0..200 {
                    out.extend_from_slice(b" x");
                }
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(SHAPES[rng.below(SHAPES.len())]),
        }
    }
}

/// Sends what is due at a fixed `rate` (lines per second, over all senders in turn) since `start`.
/// `line(sender, seq)` writes one line; `next` counts each sender's lines.
fn send_due(
    net: &mut Net,
    start: Instant,
    rate: f64,
    next: &mut [u64],
    first_conn: usize,
    line: &mut dyn FnMut(usize, u64, &mut Vec<u8>),
    buf: &mut Vec<u8>,
) {
    let senders = next.len() as u64;
    let due = (start.elapsed().as_secs_f64() * rate) as u64 + 1;
    let mut sent: u64 = next.iter().sum();
    while sent < due {
        let k = (sent % senders) as usize;
        buf.clear();
        line(k, next[k], buf);
        net.send(first_conn + k, buf);
        next[k] += 1;
        sent += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// The load's parts, each on its own thread

#[derive(Default)]
struct RoomStats {
    sent: u64,
    expected: u64,
    received: u64,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    /// Well-behaved members whose connection ended.
    disconnected: u64,
    first_disconnect: Option<String>,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    joiners: u64,
    joiners_evicted: u64,
    joiner_lines: u64,
    first_joiner_eviction: Option<String>,
}

/// `<k> <seq> <send-ns>` from a netcat user's view of a flooder's line (`[12:00] <fld0> 0 17 ...`).
fn netcat_payload(line: &[u8]) -> Option<(usize, u64, u64)> {
    let nick = find(line, b" <fld")?;
    let text = nick + find(&line[nick..], b"> ")? + 2;
    let mut nums = line[text..]
        .split(|&b| b == b' ')
        .map(|f| f.iter().try_fold(0u64, |a, &d| d.is_ascii_digit().then(|| a * 10 + (d - b'0') as u64)));
    Some((nums.next()?? as usize, nums.next()??, nums.next()??))
}

/// Opens `n` netcat connections, chooses each a nickname once greeted and joins it to `room`.
fn join_netcat(
    net: &mut Net,
    n: usize,
    nick: &dyn Fn(usize) -> String,
    room: &str,
) -> Result<std::ops::Range<usize>, String> {
    let first = net.conns.len();
    for _ in 0..n {
        net.open().map_err(|e| format!("connect: {e}"))?;
    }
    let (mut joined, mut error) = (vec![false; n], None);
    let t0 = Instant::now();
    while !joined.iter().all(|&j| j) {
        if let Some(e) = error {
            return Err(e);
        }
        if t0.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "only {} of {n} netcat users got into {room} within 30 s",
                joined.iter().filter(|&&j| j).count()
            ));
        }
        net.poll(Duration::from_millis(20), |net, i, line| {
            let Some(k) = i.checked_sub(first).filter(|&k| k < n) else { return };
            let Some(line) = line else {
                error.get_or_insert_with(|| format!("netcat user {k} was closed: {}", net.conns[i].last_line));
                return;
            };
            if find(line, b"Choose a nickname").is_some() {
                net.send(i, format!("{}\n/join {room}\n", nick(k)).as_bytes());
            } else if find(line, format!("You joined {room}").as_bytes()).is_some() {
                joined[k] = true;
            }
        });
    }
    Ok(first..first + n)
}

/// A room of well-behaved members, the first `senders` of them sending numbered lines at `rate`
/// (lines a second, all together); every member checks that it gets each other sender's lines once
/// and in order.
///
/// #fanout: IRC clients, short lines. #flood: netcat users sending the longest lines a netcat
/// user may (chatd's default `--max-line` is 1,024 bytes), which keeps the room's history full;
/// every `JOINER_EVERY` a newcomer (netcat: it is shown the history) joins #flood, reads for
/// `JOINER_STAYS` and quits.
fn room(
    addr: SocketAddr,
    live: &Live,
    room: &str,
    readers: usize,
    senders: usize,
    rate: f64,
) -> Result<RoomStats, String> {
    let flood = room == "#flood";
    let mut net = Net::new(addr).map_err(|e| e.to_string())?;
    let prefix = if flood { "fld" } else { "fan" };
    let range = if flood {
        join_netcat(&mut net, readers, &|i| format!("{prefix}{i}"), room)?
    } else {
        let nick = |i| format!("{prefix}{i}");
        establish(&mut net, readers, &nick, &|_| room.to_string(), 100, Duration::from_secs(60))?.0
    };
    let mut check = SeqCheck::new(readers, senders);
    let mut next = vec![0u64; senders];
    let mut hist = Histogram::new();
    let mut stats = RoomStats::default();
    let padding: String = (0..FLOOD_TEXT).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let mut line = |k: usize, seq: u64, buf: &mut Vec<u8>| {
        if flood {
            let _ = writeln!(buf, "{k} {seq} {} {padding}", now_ns());
        } else {
            let _ = write!(buf, "PRIVMSG {room} :{k} {seq} {}\r\n", now_ns());
        }
    };
    let payload = if flood { netcat_payload } else { bench_payload };
    let mut buf = Vec::new();
    // The history joiner: its connection, state (0 greeted soon, 1 joining, 2 joined, 3 quitting)
    // and when it entered that state.
    let mut joiner: Option<(usize, u8, Instant)> = None;
    let joiner_conn = net.closed_slot();
    let mut next_joiner = Instant::now() + JOINER_EVERY;
    let start = Instant::now();
    let mut drain_until = None;
    loop {
        let now = Instant::now();
        let stopping = live.stop.load(Ordering::Relaxed);
        if !stopping {
            send_due(&mut net, start, rate, &mut next, range.start, &mut line, &mut buf);
        } else {
            let until = *drain_until.get_or_insert(now + DRAIN);
            if check.distinct_total >= check.expected(readers, &next) && joiner.is_none() || now >= until {
                break;
            }
        }
        match joiner {
            None if flood && !stopping && now >= next_joiner => {
                if net.reopen(joiner_conn).is_ok() {
                    stats.joiners += 1;
                    joiner = Some((joiner_conn, 0, now));
                }
                next_joiner = now + JOINER_EVERY;
            }
            Some((c, 2, since)) if now.duration_since(since) >= JOINER_STAYS || stopping => {
                net.send(c, b"/quit\n");
                joiner = Some((c, 3, now));
            }
            Some((c, state, since)) if now.duration_since(since) >= Duration::from_secs(15) => {
                // Stuck: counted with the evicted (it never got to read what it came for).
                stats.joiners_evicted += 1;
                stats.first_joiner_eviction.get_or_insert_with(|| format!("stuck in state {state} for 15 s"));
                net.close(c);
                joiner = None;
            }
            _ => {}
        }
        net.poll(Duration::from_millis(2), |net, i, line| {
            if range.contains(&i) {
                let r = i - range.start;
                let Some(line) = line else {
                    stats.disconnected += 1;
                    let why = format!("{}{r}: {}", prefix, net.conns[i].last_line);
                    stats.first_disconnect.get_or_insert(why);
                    return;
                };
                if let Some((k, seq, ts)) = payload(line)
                    && k < senders
                    && k != r
                {
                    check.record(r, k, seq);
                    hist.record(net.now.saturating_sub(ts));
                }
                return;
            }
            let Some((c, state, since)) = joiner.as_mut().filter(|j| j.0 == i) else { return };
            let Some(line) = line else {
                if *state != 3 {
                    stats.joiners_evicted += 1;
                    let last = &net.conns[i].last_line;
                    let last = if last.is_empty() { "no ERROR line" } else { last.as_str() };
                    let why =
                        format!("history joiner hj{} closed by the server in state {state} ({last})", stats.joiners);
                    stats.first_joiner_eviction.get_or_insert(why);
                }
                joiner = None;
                return;
            };
            if *state == 0 && find(line, b"Choose a nickname").is_some() {
                net.send(*c, format!("hj{}\n/join {room}\n", stats.joiners).as_bytes());
                *state = 1;
            } else if *state == 1 && find(line, format!("You joined {room}").as_bytes()).is_some() {
                *state = 2;
                *since = Instant::now();
            } else if *state >= 2 && netcat_payload(line).is_some() {
                stats.joiner_lines += 1;
            }
        });
    }
    stats.sent = next.iter().sum();
    stats.expected = check.expected(readers, &next);
    stats.received = check.distinct_total;
    stats.lost = check.lost(readers, &next);
    stats.duplicated = check.duplicated;
    stats.reordered = check.reordered;
    stats.p50_ms = hist.quantile(0.5) / 1e6;
    stats.p99_ms = hist.quantile(0.99) / 1e6;
    stats.max_ms = hist.quantile(1.0) / 1e6;
    Ok(stats)
}

#[derive(Default)]
struct ChurnStats {
    sessions: u64,
    failed: u64,
    first_failure: Option<String>,
}

/// Connect, register, join #churn, one line, quit: `CHURN_LOOPS` at a time, at most `CHURN_RATE`
/// sessions a second.
fn churn(addr: SocketAddr, live: &Live) -> Result<ChurnStats, String> {
    let mut net = Net::new(addr).map_err(|e| e.to_string())?;
    let mut stats = ChurnStats::default();
    let spacing = Duration::from_secs_f64(CHURN_LOOPS as f64 / CHURN_RATE);
    // Per loop (connection k): state (0 registering, 1 joining, 2 quitting), when its session
    // began, when it may start the next.
    let mut state = [0u8; CHURN_LOOPS];
    let mut began = [Instant::now(); CHURN_LOOPS];
    let mut due = [Instant::now(); CHURN_LOOPS];
    let mut session = 0u64;
    for _ in 0..CHURN_LOOPS {
        net.closed_slot();
    }
    let mut stop_at = None;
    loop {
        let now = Instant::now();
        let stopping = live.stop.load(Ordering::Relaxed);
        if stopping {
            let until = *stop_at.get_or_insert(now + Duration::from_secs(5));
            if net.conns.iter().all(|c| c.closed) || now >= until {
                break;
            }
        }
        for k in 0..CHURN_LOOPS {
            if net.conns[k].closed {
                if stopping || now < due[k] {
                    continue;
                }
                due[k] = now + spacing;
                if let Err(e) = net.reopen(k) {
                    stats.failed += 1;
                    stats.first_failure.get_or_insert_with(|| format!("connect: {e}"));
                    continue;
                }
                session += 1;
                state[k] = 0;
                began[k] = now;
                net.send(k, format!("NICK churn{k}x{}\r\nUSER u 0 * :r\r\n", session % 10_000).as_bytes());
            } else if now.duration_since(began[k]) > Duration::from_secs(10) {
                stats.failed += 1;
                stats.first_failure.get_or_insert_with(|| format!("a session stuck in state {} for 10 s", state[k]));
                net.close(k);
            }
        }
        net.poll(Duration::from_millis(10), |net, i, line| {
            let Some(line) = line else {
                if state[i] == 2 {
                    stats.sessions += 1;
                } else {
                    stats.failed += 1;
                    let why = format!("closed in state {}: {}", state[i], net.conns[i].last_line);
                    stats.first_failure.get_or_insert(why);
                }
                return;
            };
            match numeric(line) {
                Some(376 | 422) if state[i] == 0 => {
                    state[i] = 1;
                    net.send(i, b"JOIN #churn\r\n");
                }
                Some(366) if state[i] == 1 => {
                    state[i] = 2;
                    net.send(i, b"PRIVMSG #churn :hello\r\nQUIT :bye\r\n");
                }
                Some(code @ 400..=599) if state[i] < 2 => {
                    stats.first_failure.get_or_insert_with(|| format!("{code}: {}", String::from_utf8_lossy(line)));
                }
                _ => {}
            }
        });
    }
    Ok(stats)
}

#[derive(Default)]
struct AbuseStats {
    garbage_sessions: u64,
    garbage_bytes: u64,
    /// Garbage connections the server closed before the sender did.
    garbage_closed_by_server: u64,
    dawdler_sessions: u64,
    /// Dawdlers the server closed, and how long each had been connected.
    dawdlers_evicted: u64,
    dawdler_lifetimes: Vec<f64>,
    /// The longest any dawdler stayed connected, closed or still open when the load stopped.
    dawdler_longest: f64,
    connect_failures: u64,
}

/// Garbage senders and registration dawdlers.
fn abuse(addr: SocketAddr, live: &Live) -> Result<AbuseStats, String> {
    let mut net = Net::new(addr).map_err(|e| e.to_string())?;
    let mut stats = AbuseStats::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut chunk = Vec::new();
    let count = GARBAGE + DAWDLERS;
    let is_garbage = |i: usize| i < GARBAGE;
    let now = Instant::now();
    // Per connection: when it opened, when it next sends, when it may reopen once closed.
    let mut opened_at = vec![now; count];
    let mut next_send = vec![now; count];
    let mut reopen_at = vec![now; count];
    let mut said = vec![0u64; count];
    for _ in 0..count {
        net.closed_slot();
    }
    while !live.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        for i in 0..count {
            if net.conns[i].closed {
                if now < reopen_at[i] {
                    continue;
                }
                if net.reopen(i).is_err() {
                    stats.connect_failures += 1;
                    reopen_at[i] = now + Duration::from_secs(1);
                    continue;
                }
                opened_at[i] = now;
                said[i] = 0;
                // A dawdler of the netcat kind stays silent at first, and is greeted as a person.
                next_send[i] = if is_garbage(i) || i % 2 == 0 { now } else { now + Duration::from_secs(1) };
                if is_garbage(i) {
                    stats.garbage_sessions += 1;
                } else {
                    stats.dawdler_sessions += 1;
                }
            }
            if now < next_send[i] {
                continue;
            }
            if is_garbage(i) {
                if now.duration_since(opened_at[i]) >= GARBAGE_LASTS {
                    net.close(i);
                    continue;
                }
                garbage(&mut rng, &mut chunk);
                // Half the garbage senders start like an IRC client, half like a person.
                if i % 2 == 0 && said[i] == 0 {
                    chunk.splice(0..0, b"PING :garbage\r\n".iter().copied());
                }
                said[i] += 1;
                stats.garbage_bytes += chunk.len() as u64;
                net.send(i, &chunk);
                next_send[i] = now + Duration::from_millis(100);
            } else {
                let words: &[u8] = match (i % 2, said[i] % 2) {
                    (0, 0) => b"PING :dawdle\r\n",
                    (0, _) => b"NICK 9bad\r\n",
                    (_, 0) => b"not a nickname!\r\n",
                    _ => b"#\r\n",
                };
                said[i] += 1;
                net.send(i, words);
                next_send[i] = now + DAWDLE_EVERY;
            }
        }
        net.poll(Duration::from_millis(20), |_, i, line| {
            if line.is_some() {
                return;
            }
            if is_garbage(i) {
                stats.garbage_closed_by_server += 1;
            } else {
                stats.dawdlers_evicted += 1;
                stats.dawdler_lifetimes.push(opened_at[i].elapsed().as_secs_f64());
            }
            reopen_at[i] = Instant::now() + Duration::from_secs(1);
        });
        let open = (GARBAGE..count).filter(|&i| !net.conns[i].closed).count();
        live.dawdlers_open.store(open as u64, Ordering::Relaxed);
    }
    let still_open = (GARBAGE..count).filter(|&i| !net.conns[i].closed).map(|i| opened_at[i].elapsed().as_secs_f64());
    stats.dawdler_longest = stats.dawdler_lifetimes.iter().copied().chain(still_open).fold(0.0, f64::max);
    for i in 0..count {
        net.close(i);
    }
    live.dawdlers_open.store(0, Ordering::Relaxed);
    Ok(stats)
}

#[derive(Default)]
struct SlowStats {
    connected: u64,
    /// Seconds from joining to being evicted.
    evict_after: Vec<f64>,
    /// Given up after `SLOW_GIVE_UP` without an eviction.
    not_evicted: u64,
    failed: u64,
    first_failure: Option<String>,
}

/// Members of #flood that stop reading, each replaced once the log shows it evicted.
fn slow_readers(addr: SocketAddr, live: &Live, seen: &Mutex<LogSeen>) -> SlowStats {
    let mut stats = SlowStats::default();
    let mut slots: Vec<Option<(String, TcpStream, Instant)>> = (0..SLOW_READERS).map(|_| None).collect();
    let mut retry_at = Instant::now();
    while !live.stop.load(Ordering::Relaxed) {
        for slot in &mut slots {
            match slot {
                None if Instant::now() >= retry_at => {
                    let nick = format!("{SLOW_PREFIX}{}", stats.connected + stats.failed + 1);
                    match slow_client(addr, &nick, "#flood") {
                        Ok(sock) => {
                            stats.connected += 1;
                            *slot = Some((nick, sock, Instant::now()));
                        }
                        Err(e) => {
                            stats.failed += 1;
                            stats.first_failure.get_or_insert(e);
                            retry_at = Instant::now() + Duration::from_secs(1);
                        }
                    }
                }
                Some((nick, _, since)) => {
                    if seen.lock().unwrap().slow_evicted.remove(nick.as_str()) {
                        stats.evict_after.push(since.elapsed().as_secs_f64());
                        *slot = None;
                    } else if since.elapsed() > SLOW_GIVE_UP {
                        stats.not_evicted += 1;
                        *slot = None;
                    }
                }
                None => {}
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stats
}

// ---------------------------------------------------------------------------------------------
// The run

/// Runs a thread of the load; its panic becomes an error.
fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> JoinHandle<Result<T, String>> {
    std::thread::Builder::new().name(format!("soak-{name}")).spawn(f).expect("cannot start a load thread")
}

fn join<T>(name: &str, handle: JoinHandle<Result<T, String>>) -> Result<T, String> {
    handle.join().map_err(|_| format!("the {name} load panicked"))?.map_err(|e| format!("{name}: {e}"))
}

/// Registers a new IRC client, joins #fanout, says one line and quits; within 10 s.
fn fresh_client(addr: SocketAddr) -> Result<(), String> {
    let mut sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    sock.write_all(b"NICK fresh\r\nUSER u 0 * :r\r\n").map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(sock.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| format!("fresh client: {e}"))? == 0 {
            return Err("the fresh client was closed while registering".into());
        }
        match numeric(line.trim_end().as_bytes()) {
            Some(376 | 422) => sock.write_all(b"JOIN #fanout\r\n").map_err(|e| e.to_string())?,
            Some(366) => break,
            Some(code @ 400..=599) => return Err(format!("fresh client: {code}: {}", line.trim_end())),
            _ => {}
        }
    }
    sock.write_all(b"PRIVMSG #fanout :still here\r\nQUIT :bye\r\n").map_err(|e| e.to_string())?;
    Ok(())
}

/// `f` of the samples of the load whose time is in `from..to`.
fn in_window(samples: &[Sample], from: f64, to: f64, f: Measure) -> Vec<f64> {
    samples.iter().filter(|s| s.phase == "load" && s.t_s >= from && s.t_s < to).map(f).collect()
}

/// Median of `f` over the samples of the load whose time is in `from..to`.
fn window(samples: &[Sample], from: f64, to: f64, f: Measure) -> f64 {
    median(&in_window(samples, from, to, f))
}

/// Least-squares slope of `f` per minute over the samples of the load whose time is in `from..to`.
fn slope_per_min(samples: &[Sample], from: f64, to: f64, f: Measure) -> f64 {
    let pts: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.phase == "load" && s.t_s >= from && s.t_s < to && f(s).is_finite())
        .map(|s| (s.t_s, f(s)))
        .collect();
    let n = pts.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx == 0.0 { f64::NAN } else { sxy / sxx * 60.0 }
}

/// What the load's parts report when they end.
struct Parts {
    fanout: RoomStats,
    flood: RoomStats,
    churn: ChurnStats,
    abuse: AbuseStats,
    slow: SlowStats,
}

/// The running load: one thread per part.
struct Load {
    fanout: JoinHandle<Result<RoomStats, String>>,
    flood: JoinHandle<Result<RoomStats, String>>,
    churn: JoinHandle<Result<ChurnStats, String>>,
    abuse: JoinHandle<Result<AbuseStats, String>>,
    slow: JoinHandle<Result<SlowStats, String>>,
}

impl Load {
    fn start(addr: SocketAddr, live: &Arc<Live>, seen: &Arc<Mutex<LogSeen>>) -> Load {
        let (l1, l2, l3, l4, l5) = (live.clone(), live.clone(), live.clone(), live.clone(), live.clone());
        let seen = seen.clone();
        Load {
            fanout: spawn("fanout", move || room(addr, &l1, "#fanout", FANOUT_READERS, FANOUT_SENDERS, FANOUT_RATE)),
            flood: spawn("flood", move || room(addr, &l2, "#flood", FLOODERS, FLOODERS, FLOOD_RATE)),
            churn: spawn("churn", move || churn(addr, &l3)),
            abuse: spawn("abuse", move || abuse(addr, &l4)),
            slow: spawn("slow", move || Ok(slow_readers(addr, &l5, &seen))),
        }
    }

    /// A part that ended while the load should run has failed (to set up, mostly).
    fn broken(&self) -> bool {
        [self.fanout.is_finished(), self.flood.is_finished(), self.churn.is_finished(), self.abuse.is_finished()]
            .contains(&true)
    }

    /// Waits for every part (after `Live::stop`); any part's error fails the soak.
    fn finish(self) -> Result<Parts, String> {
        let fanout = join("fanout", self.fanout);
        let flood = join("flood", self.flood);
        let churn = join("churn", self.churn);
        let abuse = join("abuse", self.abuse);
        let slow = join("slow", self.slow);
        match (fanout, flood, churn, abuse, slow) {
            (Ok(fanout), Ok(flood), Ok(churn), Ok(abuse), Ok(slow)) => Ok(Parts { fanout, flood, churn, abuse, slow }),
            (a, b, c, d, e) => {
                let errors: Vec<String> = [a.err(), b.err(), c.err(), d.err(), e.err()].into_iter().flatten().collect();
                Err(errors.join("; "))
            }
        }
    }
}

/// The sampler: the server's process and log, the load's shared state, the samples so far.
struct Sampler<'a> {
    server: &'static str,
    pid: u32,
    seen: &'a Mutex<LogSeen>,
    live: &'a Live,
    /// When the load started (samples count their time from it).
    t0: Instant,
    /// The server's CPU seconds at the last sample, and when.
    cpu: (Instant, f64),
    samples: Vec<Sample>,
    series: &'a mut Vec<String>,
}

impl Sampler<'_> {
    fn take(&mut self, phase: &str) -> &Sample {
        let (rss_kib, threads, fds) = read_process(self.pid);
        let (user, system) = cpu_seconds(self.pid);
        let now = Instant::now();
        let cpu_pct = (user + system - self.cpu.1) / now.duration_since(self.cpu.0).as_secs_f64() * 100.0;
        self.cpu = (now, user + system);
        let seen = self.seen.lock().unwrap();
        let sample = Sample {
            server: self.server.to_string(),
            t_s: if phase == "idle" { 0.0 } else { self.t0.elapsed().as_secs_f64().round() },
            phase: phase.into(),
            rss_kib,
            threads,
            fds,
            clients: seen.clients.map_or(0.0, |c| c as f64),
            dawdlers_open: self.live.dawdlers_open.load(Ordering::Relaxed) as f64,
            cpu_pct,
            evictions: seen.evictions.values().sum::<u64>() as f64,
        };
        self.series.push(sample.json());
        self.samples.push(sample);
        self.samples.last().unwrap()
    }

    /// Samples every second while `go` says so, for at most `limit`; returns when it stopped.
    fn every_second(&mut self, phase: &str, limit: Duration, mut go: impl FnMut(&Sample) -> bool) -> Duration {
        let from = Instant::now();
        let mut next = from + Duration::from_secs(1);
        while next <= from + limit {
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
            next += Duration::from_secs(1);
            if !go(self.take(phase)) {
                break;
            }
        }
        from.elapsed()
    }
}

/// The soak against a chatd started with `CHATD_OPTIONS`: `load_for` of mixed load, then the
/// settling. Pushes one JSON line per sample onto `series` and writes the chart into `out_dir`.
pub fn run(server: &Server, load_for: Duration, out_dir: &Path, series: &mut Vec<String>) -> Result<Metrics, String> {
    let (pid, addr) = (server.pid(), server.addr);
    let seen = Arc::new(Mutex::new(LogSeen::default()));
    let log_done = Arc::new(AtomicBool::new(false));
    let follower = {
        let (seen, done, path) = (seen.clone(), log_done.clone(), server.dir.join("server.log"));
        std::thread::spawn(move || follow_log(&path, &seen, &done))
    };
    // Ends the log follower however this returns.
    struct Done(Arc<AtomicBool>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let done = Done(log_done);
    let live = Arc::new(Live::default());
    let (user, system) = cpu_seconds(pid);
    let mut sampler = Sampler {
        server: server.kind.name(),
        pid,
        seen: &seen,
        live: &live,
        t0: Instant::now(),
        cpu: (Instant::now(), user + system),
        samples: Vec::new(),
        series,
    };

    // What the idle server holds.
    std::thread::sleep(Duration::from_secs(1));
    let idle = sampler.take("idle").clone();
    let secs = load_for.as_secs_f64();
    println!(
        "soak: {secs:.0} s of mixed load (warm-up {:.0} s), then up to {} s to settle; idle chatd: {} MiB, {} \
         threads, {} descriptors",
        warmup(secs),
        SETTLE.as_secs(),
        fmt_num(idle.rss_kib / 1024.0),
        idle.threads,
        idle.fds
    );

    sampler.t0 = Instant::now();
    let load = Load::start(addr, &live, &seen);
    let mut died = false;
    let load_secs = sampler
        .every_second("load", load_for, |s| {
            if (s.t_s as u64).is_multiple_of(10) {
                println!(
                    "soak: {:>4} s  rss {:>6} MiB  threads {:>4}  fds {:>5}  clients {:>5}  dawdlers open {}  cpu \
                     {:>3.0} %  evictions {}",
                    s.t_s,
                    fmt_num(s.rss_kib / 1024.0),
                    s.threads,
                    s.fds,
                    s.clients,
                    s.dawdlers_open,
                    s.cpu_pct,
                    s.evictions
                );
            }
            died = exited(pid);
            !died && !load.broken()
        })
        .as_secs_f64();
    live.stop.store(true, Ordering::Relaxed);
    let parts = load.finish()?;
    if died {
        return Err("chatd exited during the soak".into());
    }

    // Settling: every client gone, descriptors and threads back to the idle server's.
    let mut freed = false;
    let settle = sampler.every_second("settle", SETTLE, |s| {
        freed = s.fds <= idle.fds && s.threads <= idle.threads && s.clients == 0.0;
        !freed
    });
    let settled_after = if freed { settle.as_secs_f64() } else { f64::NAN };
    let fresh = fresh_client(addr);
    // Let the log follower read the last lines (the fresh client's quit among them).
    std::thread::sleep(Duration::from_millis(300));
    drop(done);
    let _ = follower.join();
    let seen = seen.lock().unwrap();
    let samples = sampler.samples;

    let outcome = Outcome { parts, seen: &seen, samples: &samples, idle, load_secs, settled_after, fresh };
    let metrics = outcome.metrics();
    outcome.report(&metrics);
    let plot = out_dir.join(out_file("plot", server.kind.name(), "svg"));
    match std::fs::write(&plot, plot_svg(&samples)) {
        Ok(()) => println!("soak plot: {}", plot.display()),
        Err(e) => eprintln!("bench: cannot write {}: {e}", plot.display()),
    }
    // chatd's log goes with its server directory: keep a copy to look into.
    let log = out_dir.join(out_file("server", server.kind.name(), "log"));
    match std::fs::copy(server.dir.join("server.log"), &log) {
        Ok(bytes) => {
            println!("soak: chatd's log ({} MiB): {}", fmt_num(bytes as f64 / (1 << 20) as f64), log.display())
        }
        Err(e) => eprintln!("bench: cannot copy chatd's log to {}: {e}", log.display()),
    }
    Ok(metrics)
}

/// Everything a finished soak found.
struct Outcome<'a> {
    parts: Parts,
    seen: &'a LogSeen,
    samples: &'a [Sample],
    idle: Sample,
    load_secs: f64,
    /// Seconds from the end of the load until everything was freed (NaN: not within `SETTLE`).
    settled_after: f64,
    /// Whether a new client was served at the end.
    fresh: Result<(), String>,
}

impl Outcome<'_> {
    /// The minute (or quarter of a short run) after the warm-up, and the last half of the load:
    /// "flat after warm-up" compares them.
    fn windows(&self) -> ((f64, f64), (f64, f64)) {
        let warm = warmup(self.load_secs);
        ((warm, warm + warmup(self.load_secs)), (self.load_secs / 2.0, f64::INFINITY))
    }

    /// How much a value grew, in percent: its median over the last half against the reference window.
    fn growth(&self, f: Measure) -> f64 {
        let (reference, last_half) = self.windows();
        (window(self.samples, last_half.0, last_half.1, f) / window(self.samples, reference.0, reference.1, f) - 1.0)
            * 100.0
    }

    fn metrics(&self) -> Metrics {
        let (reference, last_half) = self.windows();
        let (p, seen, samples) = (&self.parts, self.seen, self.samples);
        let (fanout, flood) = (&p.fanout, &p.flood);
        let rss = |s: &Sample| s.rss_kib / 1024.0;
        let threads = |s: &Sample| s.threads;
        let fds = |s: &Sample| s.fds;
        let after_warmup = |f| window(samples, reference.0, reference.1, f);
        let in_last_half = |f| window(samples, last_half.0, last_half.1, f);
        let max_after_warmup = |f: Measure| {
            samples.iter().filter(|s| s.phase == "load" && s.t_s >= reference.0).map(f).fold(f64::NAN, f64::max)
        };
        let eviction = |reason: &str| *seen.evictions.get(reason).unwrap_or(&0) as f64;
        let last = samples.last().cloned().unwrap_or_default();
        vec![
            ("load_s", self.load_secs),
            ("rss_mib_idle", rss(&self.idle)),
            ("rss_mib_after_warmup", after_warmup(rss)),
            ("rss_mib_last_half", in_last_half(rss)),
            ("rss_mib_max", max_after_warmup(rss)),
            ("rss_growth_pct", self.growth(rss)),
            ("rss_slope_mib_per_min", slope_per_min(samples, last_half.0, last_half.1, rss)),
            ("threads_idle", self.idle.threads),
            ("threads_after_warmup", after_warmup(threads)),
            ("threads_last_half", in_last_half(threads)),
            ("threads_max", max_after_warmup(threads)),
            ("threads_growth_pct", self.growth(threads)),
            ("fds_idle", self.idle.fds),
            ("fds_after_warmup", after_warmup(fds)),
            ("fds_last_half", in_last_half(fds)),
            ("fds_max", max_after_warmup(fds)),
            ("fds_growth_pct", self.growth(fds)),
            ("fds_slope_per_min", slope_per_min(samples, last_half.0, last_half.1, fds)),
            ("fanout_sent", fanout.sent as f64),
            ("fanout_received", fanout.received as f64),
            ("fanout_p50_ms", fanout.p50_ms),
            ("fanout_p99_ms", fanout.p99_ms),
            ("fanout_max_ms", fanout.max_ms),
            ("flood_sent", flood.sent as f64),
            ("flood_received", flood.received as f64),
            ("lost", (fanout.lost + flood.lost) as f64),
            ("duplicated", (fanout.duplicated + flood.duplicated) as f64),
            ("out_of_order", (fanout.reordered + flood.reordered) as f64),
            ("well_behaved_disconnected", (fanout.disconnected + flood.disconnected) as f64),
            ("well_behaved_evicted", seen.well_behaved_evicted as f64),
            ("history_joiners", flood.joiners as f64),
            ("history_joiners_evicted", flood.joiners_evicted as f64),
            ("history_lines_per_joiner", flood.joiner_lines as f64 / flood.joiners.max(1) as f64),
            ("churn_sessions", p.churn.sessions as f64),
            ("churn_failed", p.churn.failed as f64),
            ("slow_readers", p.slow.connected as f64),
            ("slow_evicted_sendq", seen.slow_sendq as f64),
            ("slow_evicted_other", seen.slow_other as f64),
            ("slow_not_evicted", p.slow.not_evicted as f64),
            ("slow_evicted_after_s", median(&p.slow.evict_after)),
            ("garbage_sessions", p.abuse.garbage_sessions as f64),
            ("garbage_mib", p.abuse.garbage_bytes as f64 / (1 << 20) as f64),
            ("garbage_closed_by_server", p.abuse.garbage_closed_by_server as f64),
            ("dawdler_sessions", p.abuse.dawdler_sessions as f64),
            ("dawdlers_evicted", p.abuse.dawdlers_evicted as f64),
            ("dawdler_evicted_after_s", median(&p.abuse.dawdler_lifetimes)),
            ("dawdler_longest_s", p.abuse.dawdler_longest),
            ("dawdlers_open_mean_last_half", {
                let open = in_window(samples, last_half.0, last_half.1, |s| s.dawdlers_open);
                open.iter().sum::<f64>() / open.len().max(1) as f64
            }),
            ("evictions_registration", eviction("registration-timeout")),
            ("evictions_sendq", eviction("sendq-exceeded")),
            ("evictions_ping", eviction("ping-timeout")),
            ("log_errors", seen.errors as f64),
            ("log_lines_dropped", seen.dropped as f64),
            ("panics", seen.panics as f64),
            ("settled_after_s", self.settled_after),
            ("fds_settled", last.fds),
            ("threads_settled", last.threads),
            ("clients_settled", last.clients),
            ("fresh_client_ok", if self.fresh.is_ok() { 1.0 } else { 0.0 }),
        ]
    }

    /// The verdicts, in the words, with what they rest on.
    fn report(&self, m: &Metrics) {
        let get = |name: &str| m.iter().find(|(n, _)| *n == name).map_or(f64::NAN, |(_, v)| *v);
        let yes = |ok: bool| if ok { "yes" } else { "NO" };
        let (p, seen) = (&self.parts, self.seen);
        let (fanout, flood) = (&p.fanout, &p.flood);
        let (reference, _) = self.windows();
        let flat = ["rss_growth_pct", "threads_growth_pct", "fds_growth_pct"].iter().all(|&n| get(n) <= FLAT_PCT);
        println!(
            "soak: flat after warm-up: {} (last half against {:.0}-{:.0} s: rss {:+.1} % ({} MiB/min), threads \
             {:+.1} %, fds {:+.1} %; limit +{FLAT_PCT} %)",
            yes(flat),
            reference.0,
            reference.1,
            get("rss_growth_pct"),
            fmt_num(get("rss_slope_mib_per_min")),
            get("threads_growth_pct"),
            get("fds_growth_pct")
        );
        let (lost, duplicated, reordered) =
            (fanout.lost + flood.lost, fanout.duplicated + flood.duplicated, fanout.reordered + flood.reordered);
        let disconnected = fanout.disconnected + flood.disconnected;
        let harmed = lost
            + duplicated
            + reordered
            + disconnected
            + seen.well_behaved_evicted
            + flood.joiners_evicted
            + p.churn.failed;
        println!(
            "soak: no lost messages among well-behaved clients: {} (lost {lost}, duplicated {duplicated}, reordered \
             {reordered} of {} lines to read; members disconnected {disconnected}, evicted {}; history joiners \
             evicted {} of {}; churn sessions failed {} of {})",
            yes(harmed == 0),
            fanout.expected + flood.expected,
            seen.well_behaved_evicted,
            flood.joiners_evicted,
            flood.joiners,
            p.churn.failed,
            p.churn.sessions + p.churn.failed
        );
        let firsts =
            [&fanout.first_disconnect, &flood.first_disconnect, &flood.first_joiner_eviction, &p.churn.first_failure];
        for why in firsts.into_iter().flatten() {
            println!("soak:   first: {why}");
        }
        for line in &seen.well_behaved_lines {
            println!("soak:   log: {line}");
        }
        println!(
            "soak: no panics: {} ({} in the log, {} ERROR lines, {} log lines dropped)",
            yes(seen.panics == 0),
            seen.panics,
            seen.errors,
            seen.dropped
        );
        for line in &seen.panic_lines {
            println!("soak:   log: {line}");
        }
        let last = self.samples.last().cloned().unwrap_or_default();
        println!(
            "soak: every slot freed: {} (after {} s: descriptors {} (idle {}), threads {} (idle {}), clients {}; a \
             new client {})",
            yes(self.settled_after.is_finite() && self.fresh.is_ok()),
            fmt_num(self.settled_after),
            last.fds,
            self.idle.fds,
            last.threads,
            self.idle.threads,
            last.clients,
            match &self.fresh {
                Ok(()) => "was served".to_string(),
                Err(e) => format!("was not served: {e}"),
            }
        );
        println!(
            "soak: slow readers: {} joined, {} evicted for their send queue (median {} s after joining), {} for \
             another reason, {} never evicted",
            p.slow.connected,
            seen.slow_sendq,
            fmt_num(median(&p.slow.evict_after)),
            seen.slow_other,
            p.slow.not_evicted
        );
        if let Some(e) = &p.slow.first_failure {
            println!("soak:   {} slow reader(s) could not join; first: {e}", p.slow.failed);
        }
        println!(
            "soak: dawdlers: {} sessions, {} closed by the server (median {} s after connecting), the longest \
             connected {} s; {} of {DAWDLERS} connected on average over the last half",
            p.abuse.dawdler_sessions,
            p.abuse.dawdlers_evicted,
            fmt_num(median(&p.abuse.dawdler_lifetimes)),
            fmt_num(p.abuse.dawdler_longest),
            fmt_num(get("dawdlers_open_mean_last_half"))
        );
        println!(
            "soak: garbage: {} sessions, {} MiB, {} closed by the server; connections refused {}",
            p.abuse.garbage_sessions,
            fmt_num(get("garbage_mib")),
            p.abuse.garbage_closed_by_server,
            p.abuse.connect_failures
        );
    }
}

/// Whether the process has exited (it is a zombie until the bench reaps it, or gone).
fn exited(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return true };
    stat.rfind(')').and_then(|i| stat.get(i + 2..)?.chars().next()) == Some('Z')
}

// ---------------------------------------------------------------------------------------------
// The chart

/// The name of a soak's output file: `soak-WHAT.EXT` for chatd, `soak-WHAT-SERVER.EXT` for another.
fn out_file(what: &str, server: &str, ext: &str) -> String {
    if server == "chatd" { format!("soak-{what}.{ext}") } else { format!("soak-{what}-{server}.{ext}") }
}

/// The charts of the samples of one or more soaks, in order: (file name, SVG) for each server's
/// last soak (each soak starts with its idle sample).
pub fn plots_by_server(samples: Vec<Sample>) -> Vec<(String, String)> {
    let mut servers: Vec<(String, Vec<Sample>)> = Vec::new();
    for sample in samples {
        let at = match servers.iter().position(|(name, _)| *name == sample.server) {
            Some(at) => at,
            None => {
                servers.push((sample.server.clone(), Vec::new()));
                servers.len() - 1
            }
        };
        if sample.phase == "idle" {
            servers[at].1.clear();
        }
        servers[at].1.push(sample);
    }
    servers.into_iter().map(|(name, list)| (out_file("plot", &name, "svg"), plot_svg(&list))).collect()
}

/// Six small charts over the soak's time (memory, threads, descriptors, clients, dawdlers, CPU);
/// dashed lines mark the end of the warm-up and of the load.
fn plot_svg(samples: &[Sample]) -> String {
    let (w, h) = (400.0, 250.0);
    let load_end = samples.iter().filter(|s| s.phase == "load").map(|s| s.t_s).fold(0.0, f64::max);
    let marks = [warmup(load_end), load_end];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" \
         font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" \
         text-anchor=\"middle\" font-size=\"14\">chatd soak: mixed load for {load_end:.0} s, sampled every second \
         (dashed: end of warm-up, end of load)</text>\n",
        3.0 * w,
        2.0 * h + 30.0,
        1.5 * w
    );
    let panels: [(&str, Measure); 6] = [
        ("resident memory (MiB)", |s| s.rss_kib / 1024.0),
        ("threads", |s| s.threads),
        ("open file descriptors", |s| s.fds),
        ("clients (from the log)", |s| s.clients),
        ("dawdlers connected", |s| s.dawdlers_open),
        ("CPU (% of a core)", |s| s.cpu_pct),
    ];
    for (i, (title, f)) in panels.into_iter().enumerate() {
        let points: Vec<(f64, f64)> = samples.iter().map(|s| (s.t_s, f(s))).filter(|p| p.1.is_finite()).collect();
        let (x0, y0) = ((i % 3) as f64 * w, 30.0 + (i / 3) as f64 * h);
        chart(&mut svg, (x0, y0, w, h), title, &marks, &points);
    }
    svg.push_str("</svg>\n");
    svg
}

/// One chart of (seconds, value) points in the `frame` (x, y, width, height).
fn chart(svg: &mut String, frame: (f64, f64, f64, f64), title: &str, marks: &[f64], points: &[(f64, f64)]) {
    let (x0, y0, w, h) = frame;
    let pad = 50.0;
    let tmax = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let top = points.iter().map(|p| p.1).fold(0.0, f64::max);
    // Four ticks a round number apart (1, 2, 2.5 or 5 times a power of ten).
    let magnitude = 10f64.powf((top.max(1e-9) / 4.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&s| 4.0 * s >= top).unwrap_or(magnitude);
    let ymax = if top > 0.0 { 4.0 * step } else { 1.0 };
    let px = |t: f64| x0 + pad + t / tmax * (w - 1.5 * pad);
    let py = |v: f64| y0 + h - pad + 10.0 - v / ymax * (h - 1.5 * pad);
    let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{title}</text>", x0 + w / 2.0, y0 + 16.0);
    let _ = writeln!(
        svg,
        "<line x1=\"{a}\" y1=\"{b}\" x2=\"{c}\" y2=\"{b}\" stroke=\"black\"/><line x1=\"{a}\" y1=\"{b}\" x2=\"{a}\" \
         y2=\"{d}\" stroke=\"black\"/>",
        a = px(0.0),
        b = py(0.0),
        c = px(tmax),
        d = py(ymax)
    );
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let label = if step < 1.0 { format!("{v:.1}") } else { format!("{v:.0}") };
        let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>", px(0.0) - 4.0, py(v) + 4.0);
        let t = tmax * k as f64 / 4.0;
        let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{t:.0} s</text>", px(t), py(0.0) + 16.0);
    }
    for &t in marks.iter().filter(|&&t| t > 0.0) {
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"gray\" stroke-dasharray=\"4 3\"/>",
            py(0.0),
            py(ymax),
            x = px(t)
        );
    }
    let path: Vec<String> = points.iter().map(|&(t, v)| format!("{:.1},{:.1}", px(t), py(v))).collect();
    let _ = writeln!(
        svg,
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"{}\"/>",
        path.join(" ")
    );
}

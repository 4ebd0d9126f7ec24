//! The soak's rooms: #fanout (IRC clients, short lines) and #flood (netcat users, the longest
//! lines, a full history, and a history joiner now and then). Every member checks each other
//! sender's lines: once each and in order.

use super::Live;
use crate::loadgen::{Net, bench_payload, establish, find};
use crate::measure::{Histogram, now_ns};
use crate::scenarios::soak::{DRAIN, FLOOD_TEXT, JOINER_EVERY, JOINER_STAYS};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

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

#[derive(Default)]
pub struct RoomStats {
    pub sent: u64,
    pub expected: u64,
    pub received: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
    /// Well-behaved members whose connection ended.
    pub disconnected: u64,
    pub first_disconnect: Option<String>,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub joiners: u64,
    pub joiners_evicted: u64,
    pub joiner_lines: u64,
    pub first_joiner_eviction: Option<String>,
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
pub fn room(
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

//! One room under load: fanout, rate and slow reader. Senders put numbered, timestamped lines into
//! the room; every member checks it got each other sender's lines once and in order, and records
//! their latency. Without a fixed rate, each sender keeps a window of messages in flight (sent,
//! not yet received by every other member).

use super::Metrics;
use crate::loadgen::slow::{kernel_queued, slow_client};
use crate::loadgen::{Net, bench_payload, establish, find};
use crate::measure::{Histogram, cpu_seconds, now_ns};
use crate::servers::Server;
use std::io::Write;
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
}

pub fn room_load(server: &Server, load: &Load) -> Result<Metrics, String> {
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let (range, _) = establish(
        &mut net,
        load.clients,
        &|i| format!("b{i}"),
        &|_| "#bench".into(),
        server.kind.connect_window(),
        Duration::from_secs(60),
    )?;
    let n = range.len();
    let s = load.senders;
    let mut slow = None;
    if load.slow_reader {
        slow = Some(slow_client(server.addr, "slow", "#bench")?);
    }
    let receivers = (n - 1) as u64;
    let w = load.window;
    let mut next = vec![0u64; s]; // next sequence number per sender
    let mut oldest = vec![0u64; s]; // oldest message not yet received by everyone
    let mut ring = vec![0u64; s * w]; // receipts of the messages in the window
    let mut last = vec![u64::MAX; n * s]; // last sequence per (receiver, sender)
    let mut got = vec![0u64; n * s];
    let (mut ooo, mut received_total) = (0u64, 0u64);
    let mut hist = Histogram::new();
    let (mut deliveries, mut measuring) = (0u64, false);
    let mut evicted_at: Option<u64> = None;
    // The slow client's backlog inside the server: what was sent its way (a receiver that keeps up
    // gets the same lines) less what the kernel holds for it at either end of its connection.
    let mut slow_bytes = 0u64;
    // The last sample that found the backlog at most the limit: it passed the limit after that.
    let mut below_limit_at: Option<u64> = None;
    let mut backlog_passed = false;
    let mut backlog = 0u64;
    let mut last_sample = Instant::now();

    let start = Instant::now();
    let start_ns = now_ns();
    let t_measure = start + load.warmup;
    let t_end = t_measure + load.measure;
    let (mut cpu0, mut cpu1) = ((0.0, 0.0), (0.0, 0.0));
    let mut msg = Vec::with_capacity(64);
    let mut stalled_since: Option<Instant> = None;
    let mut sending = true;
    let rate_gap = load.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut sent_total = 0u64;
    loop {
        let now = Instant::now();
        if !measuring && now >= t_measure && now < t_end && cpu0 == (0.0, 0.0) {
            measuring = true;
            cpu0 = cpu_seconds(server.pid());
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
        if measuring && now >= t_end {
            cpu1 = cpu_seconds(server.pid());
            measuring = false;
        }
        // With a slow reader, keep the load on (unmeasured) until it is evicted, for at most 10 s more.
        let more = load.slow_reader && !evicted && now < t_end + Duration::from_secs(10);
        let all_sent = load.per_sender.is_some_and(|c| next.iter().all(|&n| n >= c));
        if sending && (all_sent || now >= t_end && !more) {
            sending = false;
        }
        if sending {
            for k in 0..s {
                loop {
                    if let Some(gap) = rate_gap {
                        // Message m (over all senders) is due at m × gap; sender k sends m ≡ k (mod s).
                        let m = next[k] * s as u64 + k as u64;
                        if start + gap.mul_f64(m as f64) > now {
                            break;
                        }
                    } else if next[k] - oldest[k] >= w as u64 {
                        break;
                    }
                    if load.per_sender.is_some_and(|c| next[k] >= c) {
                        break;
                    }
                    msg.clear();
                    let _ = write!(&mut msg, "PRIVMSG #bench :{k} {} {}\r\n", next[k], now_ns());
                    if rate_gap.is_none() {
                        ring[k * w + (next[k] % w as u64) as usize] = 0;
                    }
                    next[k] += 1;
                    sent_total += 1;
                    net.send(range.start + k, &msg);
                }
            }
        } else {
            let expected = sent_total * receivers;
            if received_total >= expected || now > t_end + Duration::from_secs(15) {
                break;
            }
        }
        let timeout = match rate_gap {
            Some(_) => Duration::from_millis(1),
            None => Duration::from_millis(20),
        };
        let progress = received_total;
        net.poll(timeout, |net, i, line| {
            let Some(line) = line else { return };
            if i < range.start || i >= range.end {
                return;
            }
            let r = i - range.start;
            let Some((k, seq, ts)) = bench_payload(line) else {
                if line.starts_with(b":slow!") && find(line, b" QUIT").is_some() {
                    evicted_at.get_or_insert(net.now);
                }
                return;
            };
            if k >= s || k == r {
                return;
            }
            if r == s {
                slow_bytes += line.len() as u64 + 2;
            }
            received_total += 1;
            let pair = r * s + k;
            if last[pair] != u64::MAX && seq <= last[pair] {
                ooo += 1;
            } else {
                last[pair] = seq;
            }
            got[pair] += 1;
            if measuring {
                deliveries += 1;
                hist.record(net.now.saturating_sub(ts));
            }
            if rate_gap.is_none() && seq >= oldest[k] && seq < next[k] {
                ring[k * w + (seq % w as u64) as usize] += 1;
                while oldest[k] < next[k] && ring[k * w + (oldest[k] % w as u64) as usize] >= receivers {
                    oldest[k] += 1;
                }
            }
        });
        if received_total == progress && sending && rate_gap.is_none() {
            let since = *stalled_since.get_or_insert(Instant::now());
            if since.elapsed() > Duration::from_secs(3) {
                return Err("no message arrived for 3 s (lost messages stall the window)".into());
            }
        } else {
            stalled_since = None;
        }
        if let Some(c) = net.conns[range.clone()].iter().position(|c| c.closed) {
            return Err(format!("client {c} was disconnected: {}", net.conns[range.start + c].last_line));
        }
    }
    let (mut lost, mut dup) = (0u64, 0u64);
    for r in 0..n {
        for k in 0..s {
            if k == r {
                continue;
            }
            let g = got[r * s + k];
            lost += next[k].saturating_sub(g);
            dup += g.saturating_sub(next[k]);
        }
    }
    let secs = load.measure.as_secs_f64();
    let mut m: Metrics = vec![
        ("deliveries_per_s", deliveries as f64 / secs),
        ("msgs_per_s", deliveries as f64 / secs / receivers as f64),
        ("p50_us", hist.quantile(0.5) / 1e3),
        ("p99_us", hist.quantile(0.99) / 1e3),
        ("p999_us", hist.quantile(0.999) / 1e3),
        ("cpu_us_per_delivery", (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) * 1e6 / deliveries.max(1) as f64),
        // Most of a server's time on loopback is the kernel's (send, and the receiving side's
        // TCP work, which runs in the sender's context).
        ("cpu_kernel_share", (cpu1.1 - cpu0.1) / (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1)),
        ("lost", lost as f64),
        ("duplicated", dup as f64),
        ("out_of_order", ooo as f64),
    ];
    if load.slow_reader {
        // The server's own log is the first witness where there is one (chatd); else the others'
        // view of its QUIT.
        let logged = server.evicted.lock().unwrap().as_ref().map(|e| e.0);
        let at = logged.or(evicted_at);
        m.push(("evicted_after_s", at.map_or(f64::NAN, |t| t.saturating_sub(start_ns) as f64 / 1e9)));
        m.push(("quit_seen_after_s", evicted_at.map_or(f64::NAN, |t| t.saturating_sub(start_ns) as f64 / 1e9)));
        // An upper bound: the backlog passed the limit after the last sample (every 10 ms) that
        // found it below.
        let after = match (at, below_limit_at) {
            (Some(at), Some(below)) => at.saturating_sub(below) as f64 / 1e9,
            _ => f64::NAN,
        };
        m.push(("evict_after_sendq_max_s", after));
        m.push(("last_backlog_kib", backlog as f64 / 1024.0));
    }
    drop(slow);
    Ok(m)
}

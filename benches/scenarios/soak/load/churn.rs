//! The soak's churn: sessions of connect, register, join, one line, quit, at a bounded rate.

use super::Live;
use crate::loadgen::{Net, numeric};
use crate::scenarios::soak::{CHURN_LOOPS, CHURN_RATE};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct ChurnStats {
    pub sessions: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
}

/// Connect, register, join #churn, one line, quit: `CHURN_LOOPS` at a time, at most `CHURN_RATE`
/// sessions a second.
pub fn churn(addr: SocketAddr, live: &Live) -> Result<ChurnStats, String> {
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

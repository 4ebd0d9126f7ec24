//! `churn-N`: N loops of connect, register, join, one line, quit, as fast as the server allows:
//! sessions per second and the server's CPU per session.

use super::Metrics;
use crate::loadgen::{Net, numeric};
use crate::measure::cpu_seconds;
use crate::servers::Server;
use std::time::{Duration, Instant};

pub fn churn(server: &Server, loops: usize, duration: Duration) -> Result<Metrics, String> {
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let mut state = vec![0u8; loops]; // 0 registering, 1 joining, 2 quitting
    let mut iter = vec![0u32; loops];
    let mut since = vec![Instant::now(); loops];
    let nick = |slot: usize, it: u32| format!("NICK c{slot}x{}\r\nUSER u 0 * :r\r\n", it % 1000);
    for slot in 0..loops {
        net.open().map_err(|e| e.to_string())?;
        net.send(slot, nick(slot, 0).as_bytes());
    }
    let t0 = Instant::now();
    let cpu0 = cpu_seconds(server.pid());
    let (mut sessions, mut failed) = (0u64, 0u64);
    let mut error = None;
    let mut restart = Vec::new();
    while t0.elapsed() < duration {
        net.poll(Duration::from_millis(20), |net, i, line| {
            let Some(line) = line else {
                if state[i] == 2 {
                    sessions += 1;
                } else {
                    failed += 1;
                    error.get_or_insert_with(|| format!("closed while registering: {}", net.conns[i].last_line));
                }
                restart.push(i);
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
                Some(code @ 400..=599) if state[i] < 2 && code != 401 => {
                    error.get_or_insert_with(|| String::from_utf8_lossy(line).into_owned());
                }
                _ => {}
            }
        });
        for slot in 0..loops {
            if !net.conns[slot].closed && since[slot].elapsed() > Duration::from_secs(5) {
                failed += 1;
                error.get_or_insert_with(|| format!("a session stuck in state {} for 5 s", state[slot]));
                restart.push(slot);
            }
        }
        for slot in restart.drain(..) {
            iter[slot] += 1;
            state[slot] = 0;
            since[slot] = Instant::now();
            net.reopen(slot).map_err(|e| format!("connect: {e}"))?;
            net.send(slot, nick(slot, iter[slot]).as_bytes());
        }
        if failed > 100 && sessions == 0 {
            return Err(format!("churn: {failed} sessions failed; first: {}", error.unwrap_or_default()));
        }
    }
    if let Some(e) = error.filter(|_| failed > 0) {
        eprintln!("bench: churn: {failed} session(s) failed; first: {e}");
    }
    let (cpu1, secs) = (cpu_seconds(server.pid()), t0.elapsed().as_secs_f64());
    let cpu = cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1;
    Ok(vec![
        ("sessions_per_s", sessions as f64 / secs),
        ("failed_sessions", failed as f64),
        ("cpu_us_per_session", cpu * 1e6 / sessions.max(1) as f64),
        ("cpu_kernel_share", (cpu1.1 - cpu0.1) / cpu),
        // The server's share of a core: near 1 means it is what limits the rate.
        ("cpu_load", cpu / secs),
    ])
}

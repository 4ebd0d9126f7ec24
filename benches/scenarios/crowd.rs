//! `crowd-N`: a storm of netcat users joining chatd's default room (only chatd speaks netcat).

use super::Metrics;
use crate::loadgen::Net;
use crate::measure::cpu_seconds;
use crate::servers::Server;
use std::time::{Duration, Instant};

/// `crowd-N`: N netcat users connect (a window of registrations in flight) and each registers
/// into the default room by sending its nickname as its first line. Measures the time until the
/// last has its "You joined" line, what the server sent them all until it fell quiet (each join's
/// notices to the members before it), and the server's CPU for the whole storm.
pub fn crowd(server: &Server, clients: usize) -> Result<Metrics, String> {
    /// What the netcat users have seen so far.
    struct Seen {
        joined: Vec<bool>,
        done: usize,
        bytes: u64,
        error: Option<String>,
    }
    fn on_line(seen: &mut Seen, net: &Net, i: usize, line: Option<&[u8]>) {
        match line {
            // Netcat lines end in CR LF; `poll` hands them over without it.
            Some(line) => {
                seen.bytes += line.len() as u64 + 2;
                if !seen.joined[i] && line.starts_with(b"-- You joined ") {
                    seen.joined[i] = true;
                    seen.done += 1;
                }
            }
            None => {
                seen.error.get_or_insert_with(|| format!("connection {i} closed ({})", net.conns[i].last_line));
            }
        }
    }
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let cpu0 = cpu_seconds(server.pid());
    let t0 = Instant::now();
    let limit = Duration::from_secs(120);
    let mut seen = Seen { joined: vec![false; clients], done: 0, bytes: 0, error: None };
    let mut opened = 0;
    while seen.done < clients {
        while opened < clients && opened - seen.done < server.kind.connect_window() {
            let i = net.open().map_err(|e| format!("connect: {e}"))?;
            net.send(i, format!("crowd{i}\n").as_bytes());
            opened += 1;
        }
        net.poll(Duration::from_millis(50), |net, i, line| on_line(&mut seen, net, i, line));
        if let Some(e) = seen.error.take() {
            return Err(e);
        }
        if t0.elapsed() > limit {
            return Err(format!("only {} of {clients} netcat users joined within {limit:?}", seen.done));
        }
    }
    let join_all = t0.elapsed();
    // What is still on its way to earlier members is part of the storm: read until quiet.
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(300) && t0.elapsed() < limit {
        let before = seen.bytes;
        net.poll(Duration::from_millis(50), |net, i, line| on_line(&mut seen, net, i, line));
        if seen.bytes != before {
            quiet_since = Instant::now();
        }
    }
    if let Some(e) = seen.error {
        return Err(e);
    }
    let cpu1 = cpu_seconds(server.pid());
    Ok(vec![
        ("join_all_s", join_all.as_secs_f64()),
        ("mib_to_clients", seen.bytes as f64 / (1024.0 * 1024.0)),
        ("cpu_s", cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1),
    ])
}

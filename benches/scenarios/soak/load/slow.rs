//! The soak's slow readers: members of #flood that stop reading, each replaced once chatd's log
//! shows it evicted (or given up after `SLOW_GIVE_UP`).

use super::Live;
use crate::loadgen::slow::slow_client;
use crate::scenarios::soak::log::{LogSeen, SLOW_PREFIX};
use crate::scenarios::soak::{SLOW_GIVE_UP, SLOW_READERS};
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct SlowStats {
    pub connected: u64,
    /// Seconds from joining to being evicted.
    pub evict_after: Vec<f64>,
    /// Given up after `SLOW_GIVE_UP` without an eviction.
    pub not_evicted: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
}

/// Members of #flood that stop reading, each replaced once the log shows it evicted.
pub fn slow_readers(addr: SocketAddr, live: &Live, seen: &Mutex<LogSeen>) -> SlowStats {
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

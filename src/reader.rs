//! One reader thread per client: frame the bytes it sends, parse each line, send events.
//!
//! Owns the reading side of one socket and that client's flood control. Never writes to the
//! socket and never sees other clients; when the broker is gone (a failed send), it just returns.
//! Whatever ends the loop — end of file, a socket error, a panic — the broker is told once, by
//! `DisconnectGuard`, so the client's nickname and room seats are always freed.

use crate::event::{ClientId, Event};
use crate::framing::{Frame, Framer};
use crate::log::Log;
use crate::protocol::{ParseError, QuitReason, netcat};
use crossbeam_channel::Sender;
use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Per-client input limits, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct InputLimits {
    pub max_line: usize,
    pub flood_burst: u32,
    /// Lines per second; 0 means unlimited.
    pub flood_rate: u32,
}

/// A token bucket on lines: `burst` lines at once, then `rate` per second. A line that finds the
/// bucket empty waits; the reader stops reading meanwhile, so TCP pushes back on the sender and
/// nothing is lost.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(burst: u32, rate: u32, now: Instant) -> TokenBucket {
        TokenBucket { capacity: f64::from(burst), rate: f64::from(rate), tokens: f64::from(burst), last: now }
    }

    /// Takes one token at `now`. Returns how long to wait first (zero when a token was there).
    pub fn take(&mut self, now: Instant) -> Duration {
        if self.rate <= 0.0 {
            return Duration::ZERO;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // The debt is paid by waiting; the next take sees the refill that happened meanwhile.
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Sends `Disconnected` when the reader ends for any reason, unwinding included.
struct DisconnectGuard {
    id: ClientId,
    events: Sender<Event>,
    reason: QuitReason,
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        let reason = std::mem::replace(&mut self.reason, QuitReason::ConnectionLost);
        // A failed send means the broker is gone (shutdown): nothing left to tell.
        let _ = self.events.send(Event::Disconnected { id: self.id, reason });
    }
}

/// Reads from `stream` until it closes, sending one `Event::Input` per line.
pub fn reader_loop(mut stream: TcpStream, id: ClientId, events: Sender<Event>, limits: InputLimits, log: Arc<Log>) {
    let mut guard = DisconnectGuard { id, events: events.clone(), reason: QuitReason::ConnectionLost };
    let mut framer = Framer::new(limits.max_line);
    let mut bucket = TokenBucket::new(limits.flood_burst, limits.flood_rate, Instant::now());
    let mut throttled_logged = false;
    let mut buf = vec![0u8; 4096];
    let mut frames = Vec::new();
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                guard.reason = QuitReason::from_socket_error(&e);
                return;
            }
        };
        framer.push(&buf[..n], &mut frames);
        for frame in frames.drain(..) {
            let event = match frame {
                Frame::TooLong => {
                    log.warn(
                        "input_dropped",
                        &[("client", &id), ("reason", &"line-too-long"), ("limit", &limits.max_line)],
                    );
                    Event::Input {
                        id,
                        terminator: None,
                        input: Err(ParseError::LineTooLong { limit: limits.max_line }),
                    }
                }
                Frame::Line { bytes, terminator } => {
                    let text = netcat::clean_input(&bytes);
                    if text.trim().is_empty() {
                        continue;
                    }
                    let wait = bucket.take(Instant::now());
                    if !wait.is_zero() {
                        if !throttled_logged {
                            log.info(
                                "throttled",
                                &[("client", &id), ("rate", &limits.flood_rate), ("burst", &limits.flood_burst)],
                            );
                            throttled_logged = true;
                        }
                        thread::sleep(wait);
                    }
                    Event::Input { id, terminator: Some(terminator), input: netcat::parse(&text) }
                }
            };
            if events.send(event).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_paces() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(3, 2, start);
        for _ in 0..3 {
            assert_eq!(bucket.take(start), Duration::ZERO);
        }
        assert_eq!(bucket.take(start), Duration::from_millis(500));
        // After waiting as told, one more line costs another half second.
        let later = start + Duration::from_millis(500);
        assert_eq!(bucket.take(later), Duration::from_millis(500));
        // A long pause refills up to the burst, no more.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(bucket.take(much_later), Duration::ZERO);
        }
        assert!(bucket.take(much_later) > Duration::ZERO);
    }

    #[test]
    fn rate_zero_means_unlimited() {
        let now = Instant::now();
        let mut bucket = TokenBucket::new(1, 0, now);
        for _ in 0..1000 {
            assert_eq!(bucket.take(now), Duration::ZERO);
        }
    }
}

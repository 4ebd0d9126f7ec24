//! One reader thread per client: frame the bytes it sends, parse each line, send events.
//!
//! Owns the reading side of one socket and that client's flood control. Never writes to the
//! socket and never sees other clients; when the broker is gone (a failed send), it just returns.
//! Whatever ends the loop — end of file, a socket error, a panic — the broker is told once, by
//! `DisconnectGuard`, so the client's nickname and room seats are always freed.

use crate::event::{ClientId, Event};
use crate::framing::{Frame, Framer};
use crate::log::Log;
use crate::protocol::{Dialect, ParseError, QuitReason, irc, netcat};
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

/// How long a new connection has to show that it speaks IRC before it is greeted as a netcat
/// user. Real IRC clients send `CAP LS` or `NICK` at once; people never type that fast.
pub const DETECT_WAIT: Duration = Duration::from_millis(300);
/// The commands that open an IRC registration (RFC 2812 3.1, IRCv3 CAP), and `PING`, which some
/// clients send first to measure the round trip.
const IRC_OPENERS: [&str; 5] = ["CAP", "PASS", "NICK", "USER", "PING"];
/// Longest IRC line accepted from a client: 512 bytes plus an IRCv3 tag section.
const IRC_MAX_LINE: usize = crate::protocol::irc::message::MAX_CLIENT_TAG_BYTES + 512;

/// Decides the dialect from a connection's first bytes: IRC when the first word is an IRC
/// registration command (any case), netcat otherwise. `None` while the bytes so far could still
/// become one of those words.
pub fn detect(first: &[u8]) -> Option<Dialect> {
    let end = first.iter().position(|&b| matches!(b, b' ' | b'\r' | b'\n' | 0));
    let word = first.get(..end.unwrap_or(first.len())).unwrap_or_default();
    let opener = |full: bool| {
        IRC_OPENERS.iter().any(|o| {
            let o = o.as_bytes();
            if full {
                o.eq_ignore_ascii_case(word)
            } else {
                // A whole opener not yet followed by its separator (`NICK`) may still become one.
                o.len() >= word.len() && o[..word.len()].eq_ignore_ascii_case(word)
            }
        })
    };
    match end {
        Some(_) if opener(true) => Some(Dialect::Irc),
        Some(_) => Some(Dialect::Netcat),
        None if opener(false) => None,
        None => Some(Dialect::Netcat),
    }
}

/// Waits up to `DETECT_WAIT` for the client's first word without consuming it. `Ok(None)` when
/// the peer closed first.
fn identify(stream: &TcpStream) -> io::Result<Option<Dialect>> {
    let deadline = Instant::now() + DETECT_WAIT;
    let mut first = [0u8; 16];
    let dialect = loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            break Some(Dialect::Netcat);
        };
        stream.set_read_timeout(Some(left))?;
        match stream.peek(&mut first) {
            Ok(0) => break None,
            Ok(n) => match detect(&first[..n]) {
                Some(dialect) => break Some(dialect),
                // Part of a word such as "NI": give the rest a moment to arrive.
                None => thread::sleep(Duration::from_millis(5)),
            },
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                break Some(Dialect::Netcat);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    stream.set_read_timeout(None)?;
    Ok(dialect)
}

/// Reads from `stream` until it closes: identifies the dialect, then sends one `Event::Input`
/// per line.
pub fn reader_loop(stream: Arc<TcpStream>, id: ClientId, events: Sender<Event>, limits: InputLimits, log: Arc<Log>) {
    let mut guard = DisconnectGuard { id, events: events.clone(), reason: QuitReason::ConnectionLost };
    let dialect = match identify(&stream) {
        Ok(Some(dialect)) => dialect,
        Ok(None) => return,
        Err(e) => {
            guard.reason = QuitReason::from_socket_error(&e);
            return;
        }
    };
    if events.send(Event::Identified { id, dialect }).is_err() {
        return;
    }
    let (mut framer, limit) = match dialect {
        Dialect::Netcat => (Framer::new(limits.max_line), limits.max_line),
        Dialect::Irc => (Framer::raw(IRC_MAX_LINE), crate::protocol::irc::message::MAX_LINE_BYTES),
    };
    let mut bucket = TokenBucket::new(limits.flood_burst, limits.flood_rate, Instant::now());
    let mut throttled_logged = false;
    // Small, and on the stack: it is per connection, input lines are short (IRC: 512 bytes), and
    // the thread's stack pages it lands on are touched anyway (measured: 1 KiB less heap per idle
    // connection, no more stack).
    let mut buf = [0u8; 1024];
    let mut frames = Vec::new();
    loop {
        let n = match (&*stream).read(&mut buf) {
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
            let (terminator, input) = match frame {
                Frame::TooLong => {
                    log.warn("input_dropped", &[("client", &id), ("reason", &"line-too-long"), ("limit", &limit)]);
                    (None, Err(ParseError::LineTooLong { limit }))
                }
                Frame::Line { bytes, terminator } => {
                    let input = match dialect {
                        Dialect::Netcat => {
                            let text = netcat::clean_input(&bytes);
                            if text.trim().is_empty() {
                                continue;
                            }
                            netcat::parse(&text)
                        }
                        Dialect::Irc => match irc::parse(&String::from_utf8_lossy(&bytes)) {
                            Some(input) => input,
                            None => continue,
                        },
                    };
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
                    (Some(terminator), input)
                }
            };
            if events.send(Event::Input { id, terminator, input }).is_err() {
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
    fn irc_openers_are_detected_in_any_case() {
        assert_eq!(detect(b"CAP LS 302\r\n"), Some(Dialect::Irc));
        assert_eq!(detect(b"nick alice\r\n"), Some(Dialect::Irc));
        assert_eq!(detect(b"USER a 0 * :b"), Some(Dialect::Irc));
        assert_eq!(detect(b"PASS\r\n"), Some(Dialect::Irc));
        assert_eq!(detect(b"PING :x\r\n"), Some(Dialect::Irc));
    }

    #[test]
    fn anything_else_is_netcat_and_partial_words_wait() {
        assert_eq!(detect(b"alice\n"), Some(Dialect::Netcat));
        assert_eq!(detect(b"nickname\n"), Some(Dialect::Netcat));
        assert_eq!(detect(b"capital"), Some(Dialect::Netcat));
        assert_eq!(detect(b"/help\n"), Some(Dialect::Netcat));
        assert_eq!(detect(&[0xff, 0xfd, 0x01]), Some(Dialect::Netcat));
        assert_eq!(detect(b"NI"), None);
        assert_eq!(detect(b"ca"), None);
        assert_eq!(detect(b""), None);
        // A whole opener whose separator has not arrived yet: too early to tell.
        assert_eq!(detect(b"NICK"), None);
        assert_eq!(detect(b"pass"), None);
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

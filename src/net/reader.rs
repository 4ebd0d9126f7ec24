//! One reader thread per client: frame the bytes it sends, parse each line, send events.
//!
//! Never names a dialect: the first bytes pick one (`protocol::dialects::detect`), whose decoder
//! frames and parses everything after; a decoder may hand the connection to another dialect
//! (`Decoded::Switch`) or answer it without the chat (`Decoded::Answer`).
//!
//! Owns the reading side of one socket and that client's flood control. Never writes to the
//! socket and never sees other clients; when the broker is gone (a failed send), it just returns.
//! Whatever ends the loop — end of file, a socket error, a panic — the broker is told once, by
//! `DisconnectGuard`, so the client's nickname and room seats are always freed.

use super::event::Event;
use super::sys;
use super::traffic::Traffic;
use crate::core::ids::ClientId;
use crate::log::Log;
use crate::protocol::dialect::{Decoded, Decoder, Dialect};
use crate::protocol::dialects;
use crate::protocol::{Command, ParseError, QuitReason};
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

/// Sends `Disconnected` when the reader ends for any reason, unwinding included — unless the
/// client said `QUIT`, after which the broker closes the connection anyway.
struct DisconnectGuard {
    id: ClientId,
    events: Sender<Event>,
    reason: QuitReason,
    quit_sent: bool,
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        if self.quit_sent {
            return;
        }
        let reason = std::mem::replace(&mut self.reason, QuitReason::ConnectionLost);
        // A failed send means the broker is gone (shutdown): nothing left to tell.
        let _ = self.events.send(Event::Disconnected { id: self.id, reason });
    }
}

/// How long a new connection has to show which dialect it speaks before it is taken for a
/// person (`dialects::FALLBACK`). Real IRC clients send `CAP LS` or `NICK` at once; people never
/// type that fast.
pub const DETECT_WAIT: Duration = Duration::from_millis(300);

/// Waits up to `DETECT_WAIT` for the client's first word, reading what it sends into `buf`.
/// Returns the dialect and how many bytes of `buf` hold input already read (to be framed like
/// any other), or `None` when the peer closed before sending anything.
///
/// An IRC client has usually sent its first line by the time its reader gets here: one read
/// without waiting decides, and its bytes are the first input. Otherwise `poll(2)` waits for more.
fn identify(stream: &TcpStream, buf: &mut [u8]) -> io::Result<Option<(&'static dyn Dialect, usize)>> {
    let deadline = Instant::now() + DETECT_WAIT;
    let mut filled = 0;
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            return Ok(Some((dialects::FALLBACK, filled)));
        };
        match sys::recv_now(stream, &mut buf[filled..]) {
            // Closed after part of a word: as before, what came is read as netcat input.
            Ok(0) => return Ok((filled > 0).then_some((dialects::FALLBACK, filled))),
            Ok(n) => {
                filled += n;
                // Undecided only while the bytes may still become an opener: a proper prefix of
                // a word such as "NI", or an XML login's first line, at most
                // `xml::face::DETECT_LINE_BYTES`, well within `buf`.
                if let Some(dialect) = dialects::detect(&buf[..filled]) {
                    return Ok(Some((dialect, filled)));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                sys::wait_readable(stream, left)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads from `stream` until it closes: identifies the dialect, then sends one `Event::Input`
/// per line its decoder makes of the bytes, paced by the flood limits.
///
/// A decoder that hands the connection to another dialect (`Decoded::Switch`: a connection taken
/// for a person turned out to be an IRC client before it could have registered) is replaced by
/// that dialect's, the broker is told with a second `Identified`, and the bytes not yet final are
/// read again by the new decoder; they were paid for in the token bucket when they first came.
/// Where a reader's output goes: the broker's channel, the log, the traffic counts.
pub struct Sink {
    pub events: Sender<Event>,
    pub log: Arc<Log>,
    pub traffic: Arc<Traffic>,
}

/// `dialect`: the one the listening port speaks, if only one (`--http-listen`); otherwise the
/// first bytes decide.
pub fn reader_loop(
    stream: Arc<TcpStream>,
    id: ClientId,
    sink: Sink,
    limits: InputLimits,
    dialect: Option<&'static dyn Dialect>,
) {
    let Sink { events, log, traffic } = sink;
    let mut guard =
        DisconnectGuard { id, events: events.clone(), reason: QuitReason::ConnectionLost, quit_sent: false };
    // Small, and on the stack: it is per connection, input lines are short (IRC: 512 bytes), and
    // the thread's stack pages it lands on are touched anyway (measured: 1 KiB less heap per idle
    // connection, no more stack).
    let mut buf = [0u8; 1024];
    let identified = match dialect {
        Some(dialect) => Ok(Some((dialect, 0))),
        None => identify(&stream, &mut buf),
    };
    let (dialect, mut already_read) = match identified {
        Ok(Some(identified)) => identified,
        Ok(None) => return,
        Err(e) => {
            guard.reason = QuitReason::from_socket_error(&e);
            return;
        }
    };
    traffic.received(already_read);
    if events.send(Event::Identified { id, session: dialect.session() }).is_err() {
        return;
    }
    let mut reader = Reader {
        id,
        decoder: dialect.decoder(limits.max_line),
        max_line: limits.max_line,
        bucket: TokenBucket::new(limits.flood_burst, limits.flood_rate, Instant::now()),
        limits,
        throttled_logged: false,
        events: &events,
        log: &log,
    };
    let mut decoded = Vec::new();
    // The read timeout set on the socket, if any (see `Decoder::patience`).
    let mut timeout_set: Option<Duration> = None;
    loop {
        let n = match std::mem::take(&mut already_read) {
            // What `identify` read comes first.
            0 => {
                let patience = reader.decoder.patience(Instant::now()).map(|p| p.max(Duration::from_millis(1)));
                if patience != timeout_set {
                    if let Err(e) = stream.set_read_timeout(patience) {
                        guard.reason = QuitReason::from_socket_error(&e);
                        return;
                    }
                    timeout_set = patience;
                }
                match (&*stream).read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        traffic.received(n);
                        n
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e)
                        if timeout_set.is_some()
                            && matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) =>
                    {
                        match reader.expire(&mut decoded) {
                            Ok(Flow::Continue) => continue,
                            Ok(Flow::Quit | Flow::Stop) | Err(Gone) => return,
                        }
                    }
                    Err(e) => {
                        guard.reason = QuitReason::from_socket_error(&e);
                        return;
                    }
                }
            }
            n => n,
        };
        match reader.feed(&buf[..n], &mut decoded, true) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => {
                // The broker closes the connection on `QUIT` (`chat::Effect::Close`) and ignores
                // whatever the client sends after it: reading on would only wait to be woken by
                // that close, once more per connection.
                guard.quit_sent = true;
                return;
            }
            // The broker is gone, or it closes the connection after an answer.
            Ok(Flow::Stop) | Err(Gone) => return,
        }
    }
}

/// What the reader does after a batch of input.
enum Flow {
    Continue,
    /// The client said `QUIT`.
    Quit,
    /// Nothing more to read: the connection was answered and will be closed.
    Stop,
}

/// The broker is gone (shutdown): nothing left to tell.
struct Gone;

/// One connection's reading side, between reads.
struct Reader<'a> {
    id: ClientId,
    decoder: Box<dyn Decoder>,
    max_line: usize,
    limits: InputLimits,
    bucket: TokenBucket,
    throttled_logged: bool,
    events: &'a Sender<Event>,
    log: &'a Log,
}

impl Reader<'_> {
    /// Decodes `bytes` and sends what came of them. `paced`: lines count against the flood
    /// limits (bytes read again after a switch were paid for when they first came).
    fn feed(&mut self, bytes: &[u8], decoded: &mut Vec<Decoded>, paced: bool) -> Result<Flow, Gone> {
        self.decoder.decode(bytes, decoded);
        self.forward(decoded, paced)
    }

    /// The decoder's patience ran out (see `Decoder::patience`).
    fn expire(&mut self, decoded: &mut Vec<Decoded>) -> Result<Flow, Gone> {
        self.decoder.timed_out(decoded);
        self.forward(decoded, false)
    }

    /// Sends what the decoder made of the input, in order.
    fn forward(&mut self, decoded: &mut Vec<Decoded>, paced: bool) -> Result<Flow, Gone> {
        let mut items = std::mem::take(decoded);
        let mut flow = Flow::Continue;
        let mut rest = items.drain(..);
        for item in rest.by_ref() {
            match item {
                Decoded::Input { terminator, input } => {
                    if terminator.is_none() {
                        let limit = match &input {
                            Err(ParseError::LineTooLong { limit }) => *limit,
                            _ => self.max_line,
                        };
                        let fields: [(&str, &dyn std::fmt::Display); 3] =
                            [("client", &self.id), ("reason", &"line-too-long"), ("limit", &limit)];
                        self.log.warn("input_dropped", &fields);
                    } else if paced {
                        self.pace();
                    }
                    let quit = matches!(input, Ok(Command::Quit { .. }));
                    self.send(Event::Input { id: self.id, terminator, input })?;
                    if quit {
                        flow = Flow::Quit;
                        break;
                    }
                }
                Decoded::Switch { to, replay } => {
                    self.decoder = to.decoder(self.max_line);
                    self.send(Event::Identified { id: self.id, session: to.session() })?;
                    let mut again = Vec::new();
                    flow = self.feed(&replay, &mut again, false)?;
                    break;
                }
                Decoded::Request(request) => {
                    if paced {
                        self.pace();
                    }
                    self.send(Event::Request { id: self.id, request })?;
                }
                Decoded::Answer { bytes, close, note } => {
                    self.send(Event::Answer { id: self.id, bytes, close, note })?;
                    if close {
                        flow = Flow::Stop;
                        break;
                    }
                }
            }
        }
        drop(rest);
        // Keep the allocation for the next read.
        *decoded = items;
        Ok(flow)
    }

    /// Waits as long as the token bucket says before a line goes on.
    fn pace(&mut self) {
        let wait = self.bucket.take(Instant::now());
        if !wait.is_zero() {
            if !self.throttled_logged {
                let (rate, burst) = (self.limits.flood_rate, self.limits.flood_burst);
                self.log.info("throttled", &[("client", &self.id), ("rate", &rate), ("burst", &burst)]);
                self.throttled_logged = true;
            }
            thread::sleep(wait);
        }
    }

    fn send(&self, event: Event) -> Result<(), Gone> {
        self.events.send(event).map_err(|_| Gone)
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

    /// A connected pair on loopback: (the client's end, the server's end).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (client, listener.accept().unwrap().0)
    }

    #[test]
    fn identify_reads_the_first_bytes_and_keeps_them_as_input() {
        use std::io::Write;
        let mut buf = [0u8; 1024];
        let (mut client, served) = pair();
        client.write_all(b"NICK a\r\nUSER a 0 * :A\r\n").unwrap();
        let (dialect, n) = identify(&served, &mut buf).unwrap().unwrap();
        assert_eq!(dialect.name(), "irc");
        assert!(b"NICK a\r\nUSER a 0 * :A\r\n".starts_with(&buf[..n]) && n >= 5, "{:?}", &buf[..n]);

        // Part of an opener, then the rest: decided on the whole word.
        let (mut client, served) = pair();
        client.write_all(b"NI").unwrap();
        let rest = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            client.write_all(b"CK a\r\n").unwrap();
            client
        });
        let (dialect, n) = identify(&served, &mut buf).unwrap().unwrap();
        assert_eq!((dialect.name(), &buf[..2]), ("irc", &b"NI"[..]));
        assert!(n > 2);
        drop(rest.join());

        // A person's first line; and a connection closed before a word.
        let (mut client, served) = pair();
        client.write_all(b"alice\n").unwrap();
        assert_eq!(identify(&served, &mut buf).unwrap().map(|(d, _)| d.name()), Some("netcat"));
        let (client, served) = pair();
        drop(client);
        assert!(identify(&served, &mut buf).unwrap().is_none());
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

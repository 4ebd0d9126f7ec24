//! One reader thread per client: frame the bytes it sends, parse each line, send events.
//!
//! Owns dialect detection too: the first bytes decide how a newcomer is greeted, and a newcomer
//! greeted as netcat can still turn out to be an IRC client (see `reader_loop`).
//!
//! Owns the reading side of one socket and that client's flood control. Never writes to the
//! socket and never sees other clients; when the broker is gone (a failed send), it just returns.
//! Whatever ends the loop — end of file, a socket error, a panic — the broker is told once, by
//! `DisconnectGuard`, so the client's nickname and room seats are always freed.

use super::event::Event;
use super::sys;
use crate::core::ids::ClientId;
use crate::core::limits::{IRC_MAX_INPUT_BYTES, IRC_MAX_LINE_BYTES};
use crate::core::names::Nick;
use crate::framing::{Frame, Framer, Terminator};
use crate::log::Log;
use crate::protocol::{Command, Dialect, ParseError, QuitReason, irc, netcat};
use crossbeam_channel::Sender;
use std::collections::VecDeque;
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

/// How long a new connection has to show that it speaks IRC before it is greeted as a netcat
/// user. Real IRC clients send `CAP LS` or `NICK` at once; people never type that fast.
pub const DETECT_WAIT: Duration = Duration::from_millis(300);
/// The commands that open an IRC registration (RFC 2812 3.1, IRCv3 CAP), and `PING`, which some
/// clients send first to measure the round trip.
const IRC_OPENERS: [&str; 5] = ["CAP", "PASS", "NICK", "USER", "PING"];

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

/// Waits up to `DETECT_WAIT` for the client's first word, reading what it sends into `buf`.
/// Returns the dialect and how many bytes of `buf` hold input already read (to be framed like
/// any other), or `None` when the peer closed before sending anything.
///
/// An IRC client has usually sent its first line by the time its reader gets here: one read
/// without waiting decides, and its bytes are the first input. Otherwise `poll(2)` waits for more.
fn identify(stream: &TcpStream, buf: &mut [u8]) -> io::Result<Option<(Dialect, usize)>> {
    let deadline = Instant::now() + DETECT_WAIT;
    let mut filled = 0;
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            return Ok(Some((Dialect::Netcat, filled)));
        };
        match sys::recv_now(stream, &mut buf[filled..]) {
            // Closed after part of a word: as before, what came is read as netcat input.
            Ok(0) => return Ok((filled > 0).then_some((Dialect::Netcat, filled))),
            Ok(n) => {
                filled += n;
                // Undecided only while the bytes are a proper prefix of an opener (at most four
                // bytes, such as "NI"), so `buf` cannot fill up here.
                if let Some(dialect) = detect(&buf[..filled]) {
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

/// How much of what a netcat newcomer sent is kept, to be read again as IRC should it turn out
/// to be an IRC client: registration takes a handful of short lines.
const REPLAY_LINES: usize = 8;
const REPLAY_BYTES: usize = 4096;

/// True for a line that only an IRC client sends when it opens its registration, never a person
/// typing at the netcat prompt: `CAP LS` (with or without a version), `PASS` with a parameter,
/// or `USER` with all four parameters. The command must be upper case, as every client sends it;
/// `nick alice` or `pass` typed by a person is not IRC (nor is `NICK`, which people do type).
pub fn is_irc_registration(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else { return false };
    let command = text.split(' ').next().unwrap_or_default();
    if !matches!(command, "CAP" | "PASS" | "USER") {
        return false;
    }
    let Ok(message) = irc::message::parse(text) else { return false };
    let params = message.params.as_slice();
    match command {
        "CAP" => match params {
            [ls] => ls == "LS",
            [ls, version] => ls == "LS" && !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        },
        "PASS" => params.first().is_some_and(|p| !p.is_empty()),
        _ => params.len() >= 4 && !params[0].is_empty(),
    }
}

/// True when the broker may register a netcat newcomer on this line: a bare nickname or
/// `/nick x`, syntactically valid (taken or not). Mirrors `chat::State::apply_unregistered`.
fn could_register(input: &Result<Command, ParseError>) -> bool {
    matches!(input, Ok(Command::Say { text } | Command::Nick { nick: text }) if Nick::parse(text.trim()).is_ok())
}

/// The lines a connection greeted as netcat has sent, while it may still turn out to be an IRC
/// client: the last `REPLAY_LINES`, at most `REPLAY_BYTES`.
#[derive(Default)]
struct Undecided {
    lines: VecDeque<(Vec<u8>, Terminator)>,
    bytes: usize,
}

impl Undecided {
    fn remember(&mut self, line: Vec<u8>, terminator: Terminator) {
        if line.len() > REPLAY_BYTES {
            return;
        }
        self.bytes += line.len();
        self.lines.push_back((line, terminator));
        while self.lines.len() > REPLAY_LINES || self.bytes > REPLAY_BYTES {
            if let Some((dropped, _)) = self.lines.pop_front() {
                self.bytes -= dropped.len();
            }
        }
    }
}

/// One IRC line, parsed; `None` for lines IRC ignores.
fn parse_irc(bytes: &[u8]) -> Option<Result<Command, ParseError>> {
    irc::parse(&String::from_utf8_lossy(bytes))
}

/// Reads from `stream` until it closes: identifies the dialect, then sends one `Event::Input`
/// per line.
///
/// A connection greeted as netcat (silent for `DETECT_WAIT`, as a slow IRC client may be) turns
/// into an IRC connection on the first unmistakable IRC registration line (`is_irc_registration`),
/// as long as it has sent no line that could have registered it as a netcat user
/// (`could_register`): the broker can then not have registered it, so there is no race. The
/// broker is told with a second `Identified`, and the lines sent before are read again as IRC,
/// in order, followed by the switching line.
pub fn reader_loop(stream: Arc<TcpStream>, id: ClientId, events: Sender<Event>, limits: InputLimits, log: Arc<Log>) {
    let mut guard =
        DisconnectGuard { id, events: events.clone(), reason: QuitReason::ConnectionLost, quit_sent: false };
    // Small, and on the stack: it is per connection, input lines are short (IRC: 512 bytes), and
    // the thread's stack pages it lands on are touched anyway (measured: 1 KiB less heap per idle
    // connection, no more stack).
    let mut buf = [0u8; 1024];
    let (mut dialect, mut already_read) = match identify(&stream, &mut buf) {
        Ok(Some(identified)) => identified,
        Ok(None) => return,
        Err(e) => {
            guard.reason = QuitReason::from_socket_error(&e);
            return;
        }
    };
    if events.send(Event::Identified { id, dialect }).is_err() {
        return;
    }
    let irc_limit = IRC_MAX_LINE_BYTES;
    let (mut framer, mut limit) = match dialect {
        Dialect::Netcat => (Framer::new(limits.max_line), limits.max_line),
        Dialect::Irc => (Framer::raw(IRC_MAX_INPUT_BYTES), irc_limit),
    };
    let mut undecided = (dialect == Dialect::Netcat).then(Undecided::default);
    let mut bucket = TokenBucket::new(limits.flood_burst, limits.flood_rate, Instant::now());
    let mut throttled_logged = false;
    let mut frames = Vec::new();
    loop {
        let n = match std::mem::take(&mut already_read) {
            // What `identify` read comes first.
            0 => match (&*stream).read(&mut buf) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    guard.reason = QuitReason::from_socket_error(&e);
                    return;
                }
            },
            n => n,
        };
        framer.push(&buf[..n], &mut frames);
        for frame in frames.drain(..) {
            let (terminator, input) = match frame {
                Frame::TooLong => {
                    log.warn("input_dropped", &[("client", &id), ("reason", &"line-too-long"), ("limit", &limit)]);
                    (None, Err(ParseError::LineTooLong { limit }))
                }
                Frame::Line { bytes, terminator } => {
                    if let Some(earlier) = undecided.take_if(|_| is_irc_registration(&bytes)) {
                        dialect = Dialect::Irc;
                        limit = irc_limit;
                        // Lines already framed from this read keep the netcat framing, which is
                        // the same for anything without telnet or backspace bytes.
                        framer = std::mem::replace(&mut framer, Framer::raw(0)).into_raw(IRC_MAX_INPUT_BYTES);
                        if events.send(Event::Identified { id, dialect }).is_err() {
                            return;
                        }
                        // Already paid for in the token bucket when they first came.
                        for (line, terminator) in earlier.lines {
                            let Some(input) = parse_irc(&line) else { continue };
                            if events.send(Event::Input { id, terminator: Some(terminator), input }).is_err() {
                                return;
                            }
                        }
                    }
                    let input = match dialect {
                        Dialect::Netcat => {
                            let text = netcat::clean_input(&bytes);
                            if text.trim().is_empty() {
                                continue;
                            }
                            let input = netcat::parse(&text);
                            if could_register(&input) {
                                undecided = None;
                            } else if let Some(undecided) = &mut undecided {
                                undecided.remember(bytes, terminator);
                            }
                            input
                        }
                        Dialect::Irc => match parse_irc(&bytes) {
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
            let quit = matches!(input, Ok(Command::Quit { .. }));
            if events.send(Event::Input { id, terminator, input }).is_err() {
                return;
            }
            if quit {
                // The broker closes the connection on `QUIT` (`chat::Effect::Close`) and ignores
                // whatever the client sends after it: reading on would only wait to be woken by
                // that close, once more per connection.
                guard.quit_sent = true;
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
    fn irc_registration_is_cap_ls_pass_or_a_full_user_line() {
        for line in [
            "CAP LS",
            "CAP LS 302",
            "CAP LS :302",
            "PASS secret",
            "PASS :two words",
            "USER alice 0 * :Alice Liddell",
            "USER a 8 * :",
            "USER alice alice localhost :Alice",
        ] {
            assert!(is_irc_registration(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn what_people_type_is_not_irc_registration() {
        for line in [
            "nick alice",
            "NICK alice",
            "alice",
            "pass secret",
            "PASS",
            "PASS :",
            "cap ls",
            "CAP",
            "CAP REQ :server-time",
            "CAP END",
            "CAP LS three",
            "CAP LS 302 more",
            "USER alice",
            "USER alice 0 *",
            "USER  :x y z",
            "user alice 0 * :Alice",
            "PING x",
            "/nick alice",
            "CAPITAL letters",
            "PASSWORD is what",
            "",
        ] {
            assert!(!is_irc_registration(line.as_bytes()), "{line:?}");
        }
        assert!(!is_irc_registration(&[b'P', b'A', b'S', b'S', b' ', 0xff]));
    }

    #[test]
    fn only_a_valid_nickname_or_slash_nick_could_register_a_netcat_user() {
        let could = |line: &str| could_register(&netcat::parse(line));
        assert!(could("alice") && could("/nick alice") && could("  bob  "));
        assert!(!could("nick alice") && !could("NICK alice") && !could("!!bad") && !could("/users"));
        assert!(!could("/nick") && !could("/bogus") && !could("CAP LS 302"));
    }

    #[test]
    fn undecided_keeps_the_last_lines_within_the_bounds() {
        let mut undecided = Undecided::default();
        for i in 0..20 {
            undecided.remember(format!("line {i}").into_bytes(), Terminator::Newline);
        }
        let kept: Vec<String> = undecided.lines.iter().map(|(l, _)| String::from_utf8_lossy(l).into_owned()).collect();
        assert_eq!(kept, (12..20).map(|i| format!("line {i}")).collect::<Vec<_>>());
        undecided.remember(vec![b'x'; REPLAY_BYTES - 10], Terminator::Nul);
        assert!(undecided.bytes <= REPLAY_BYTES && undecided.lines.len() < REPLAY_LINES);
        assert_eq!(undecided.lines.back().map(|(l, t)| (l.len(), *t)), Some((REPLAY_BYTES - 10, Terminator::Nul)));
        undecided.remember(vec![b'y'; REPLAY_BYTES + 1], Terminator::Newline);
        assert_eq!(undecided.lines.back().map(|(l, _)| l[0]), Some(b'x'), "a line over the bound is not kept");
        assert_eq!(undecided.bytes, undecided.lines.iter().map(|(l, _)| l.len()).sum::<usize>());
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
        assert_eq!(dialect, Dialect::Irc);
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
        assert_eq!((dialect, &buf[..2]), (Dialect::Irc, &b"NI"[..]));
        assert!(n > 2);
        drop(rest.join());

        // A person's first line; and a connection closed before a word.
        let (mut client, served) = pair();
        client.write_all(b"alice\n").unwrap();
        assert_eq!(identify(&served, &mut buf).unwrap().map(|(d, _)| d), Some(Dialect::Netcat));
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

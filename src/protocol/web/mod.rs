//! The web dialect: browsers, `curl` and Prometheus on the chat port (or an `--http-listen` port).
//!
//! A connection whose first line is an HTTP/1.x request line is this dialect's (`claims`). Its
//! decoder frames requests (`http::RequestFramer`: keep-alive, pipelining, the limits and their
//! statuses) and hands every one to the broker's web face as `Decoded::Request`, in order; the
//! broker answers each (it holds the sessions, counts and chat state). The decoder bounds time: a
//! request must be complete within `HTTP_REQUEST_TIMEOUT_SECS` of its first byte (else 408 and
//! close), an idle keep-alive connection is closed after `IDLE_SECS`, and one that will carry no
//! more requests is read (and what comes dropped) for `LINGER_SECS` and `LINGER_BYTES` at most.
//!
//! An HTTP connection is never a chat client (`HttpConnection::chat_client`). A browser's chat
//! client is a web session (`events::WebChat`) that the broker keeps across the connections it
//! comes through: the event stream, the long-poll, the `POST`s. `events` renders every reply as
//! one JSON event for it.
//!
//! Once a request that the broker answers later (`/api/events`, `/api/poll`) has gone, the
//! connection carries nothing more: answers must leave in request order, and those two only
//! end when the stream or the poll does.

pub mod assets;
pub mod events;

use super::Reply;
use super::dialect::{Claim, Decoded, Decoder, Dialect, Profile, Session, View, key_space};
use super::http::{Method, Request, RequestError, RequestFramer, detect_request_line, response};
use crate::core::limits::HTTP_REQUEST_TIMEOUT_SECS;
use std::time::{Duration, Instant};

/// The web dialect.
pub static WEB: Web = Web;

/// How long a keep-alive connection may wait idle for its next request.
pub const IDLE_SECS: u64 = 30;

/// How long a connection that will carry no more requests (an error was answered, the last
/// request said `close`, or 408) is still read, its bytes dropped, before the reader stops. A
/// close while the client is still sending (a refused 10 MB body) would make the kernel reset
/// the connection, and the client might lose the answer; reading on without a bound would hold
/// the thread for as long as the client cared to send. A client that keeps sending never lets
/// the read time out, so the bytes dropped are bounded too (`LINGER_BYTES`).
pub const LINGER_SECS: u64 = 2;
pub const LINGER_BYTES: usize = 64 * 1024;

/// Paths whose answer comes later, and ends the connection's use (see the module header).
const PARKING_PATHS: [&str; 2] = ["/api/events", "/api/poll"];

/// Whether `request` is one the broker may answer later: a `GET` or `HEAD` of a parking path.
/// Any other method there is answered at once (405), so the connection must go on reading:
/// parked, it would neither read its next request nor time out.
fn parks(request: &Request) -> bool {
    request.head.method == Method::Get && PARKING_PATHS.contains(&request.head.path.as_str())
}

pub struct Web;

impl Dialect for Web {
    fn name(&self) -> &'static str {
        "http"
    }

    fn claims(&self, first: &[u8]) -> Claim {
        match detect_request_line(first) {
            Some(true) => Claim::Mine,
            Some(false) => Claim::NotMine,
            None => Claim::Undecided,
        }
    }

    fn decoder(&self, _max_line: usize) -> Box<dyn Decoder> {
        Box::new(HttpDecoder {
            framer: RequestFramer::new(),
            started: None,
            idle_since: None,
            parked: false,
            ending: false,
            ending_since: None,
            dropped: 0,
        })
    }

    fn session(&self) -> Box<dyn Session> {
        Box::new(HttpConnection)
    }
}

struct HttpDecoder {
    framer: RequestFramer,
    /// When the request in progress was first seen (by `patience`).
    started: Option<Instant>,
    /// When the connection last became idle between requests.
    idle_since: Option<Instant>,
    /// A request answered later has gone: nothing more is read.
    parked: bool,
    /// A 408 was given: no request can follow (as after the framer finished).
    ending: bool,
    /// When the connection was first seen to carry no more requests (by `patience`).
    ending_since: Option<Instant>,
    /// Bytes dropped since then.
    dropped: usize,
}

impl HttpDecoder {
    /// No request can follow: what comes is dropped, for `LINGER_SECS` at most.
    fn is_ending(&self) -> bool {
        self.ending || self.framer.is_finished()
    }
}

impl Decoder for HttpDecoder {
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        if self.parked {
            return;
        }
        if self.is_ending() {
            self.dropped = self.dropped.saturating_add(bytes.len());
            if self.dropped > LINGER_BYTES {
                out.push(Decoded::Answer { bytes: Vec::new(), close: true, note: None });
                self.parked = true;
            }
            return;
        }
        self.framer.push(bytes);
        while let Some(request) = self.framer.next_request() {
            self.started = None;
            self.idle_since = None;
            let parks = request.as_ref().is_ok_and(parks);
            out.push(Decoded::Request(request.map(Box::new)));
            if parks {
                self.parked = true;
                return;
            }
        }
        if self.framer.take_continue() {
            out.push(Decoded::Answer { bytes: response::CONTINUE.to_vec(), close: false, note: None });
        }
    }

    fn patience(&mut self, now: Instant) -> Option<Duration> {
        if self.parked {
            return None;
        }
        let (since, limit) = if self.is_ending() {
            (*self.ending_since.get_or_insert(now), LINGER_SECS)
        } else if self.framer.in_progress() {
            self.idle_since = None;
            (*self.started.get_or_insert(now), HTTP_REQUEST_TIMEOUT_SECS)
        } else {
            self.started = None;
            (*self.idle_since.get_or_insert(now), IDLE_SECS)
        };
        Some(Duration::from_secs(limit).saturating_sub(now.saturating_duration_since(since)))
    }

    fn timed_out(&mut self, out: &mut Vec<Decoded>) {
        if !self.is_ending() && self.framer.in_progress() {
            // Answered 408 and closed by the broker; the linger follows.
            out.push(Decoded::Request(Err(RequestError::Timeout)));
            self.ending = true;
        } else {
            // Idle too long, or lingered long enough: the reader stops.
            out.push(Decoded::Answer { bytes: Vec::new(), close: true, note: None });
            self.parked = true;
        }
    }
}

/// An HTTP connection, as the broker holds it: not a chat client, nothing to render.
struct HttpConnection;

impl Session for HttpConnection {
    fn profile(&self) -> Profile {
        Profile {
            dialect: "http",
            prompted: false,
            starts_in_default_room: false,
            needs_user: false,
            registration_held: false,
            strict_before_registration: false,
            hears_every_membership_change: false,
            replay_on_join: false,
            echo_own_messages: false,
            pinged: false,
            registers_by_login: false,
            hears_presence: false,
        }
    }

    fn chat_client(&self) -> bool {
        false
    }

    fn view_key(&self, _view: &View<'_>) -> u32 {
        key_space(2)
    }

    /// Chat replies never reach an HTTP connection; its answers are the web face's.
    fn render(&self, _reply: &Reply, _view: &View<'_>, _out: &mut Vec<u8>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(out: &[Decoded]) -> Vec<Result<String, RequestError>> {
        out.iter()
            .filter_map(|d| match d {
                Decoded::Request(r) => Some(r.as_ref().map(|r| r.head.path.clone()).map_err(Clone::clone)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn requests_come_out_in_order_and_a_stream_parks_the_connection() {
        let mut decoder = WEB.decoder(0);
        let mut out = Vec::new();
        decoder.decode(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /api/events HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\n",
            &mut out,
        );
        assert_eq!(requests(&out), vec![Ok("/".to_string()), Ok("/api/events".to_string())]);
        assert_eq!(decoder.patience(Instant::now()), None, "a parked connection waits for the broker");
        out.clear();
        decoder.decode(b"Host: a\r\n\r\n", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn only_get_of_the_stream_and_the_poll_parks_the_connection() {
        let mut decoder = WEB.decoder(0);
        let mut out = Vec::new();
        let head = |method: &str, path: &str| format!("{method} {path} HTTP/1.1\r\nHost: a\r\n\r\n");
        let bytes = [
            head("DELETE", "/api/events"),
            head("POST", "/api/poll"),
            head("HEAD", "/api/poll"),
            head("GET", "/api/poll"),
            head("GET", "/x"),
        ]
        .concat();
        decoder.decode(bytes.as_bytes(), &mut out);
        let paths = ["/api/events", "/api/poll", "/api/poll", "/api/poll"].map(|p| Ok(p.to_string()));
        assert_eq!(requests(&out), paths, "405s and HEAD keep reading; GET parks");
        assert_eq!(decoder.patience(Instant::now()), None);
    }

    #[test]
    fn a_slow_head_gets_408_and_an_idle_connection_is_closed() {
        let t0 = Instant::now();
        let mut decoder = WEB.decoder(0);
        let mut out = Vec::new();
        assert_eq!(decoder.patience(t0), Some(Duration::from_secs(IDLE_SECS)));
        decoder.decode(b"GET / HT", &mut out);
        assert_eq!(decoder.patience(t0 + Duration::from_secs(1)), Some(Duration::from_secs(HTTP_REQUEST_TIMEOUT_SECS)));
        // More bytes do not restart the clock.
        decoder.decode(b"TP/1.1\r\n", &mut out);
        let later = t0 + Duration::from_secs(1 + HTTP_REQUEST_TIMEOUT_SECS - 2);
        assert_eq!(decoder.patience(later), Some(Duration::from_secs(2)));
        decoder.timed_out(&mut out);
        assert_eq!(requests(&out), vec![Err(RequestError::Timeout)]);
        // Then the linger: bytes are dropped, and when it is over the reader stops.
        out.clear();
        decoder.decode(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut out);
        assert!(out.is_empty());
        assert_eq!(decoder.patience(later), Some(Duration::from_secs(LINGER_SECS)));
        decoder.timed_out(&mut out);
        assert!(matches!(out.as_slice(), [Decoded::Answer { close: true, .. }]));
        assert_eq!(decoder.patience(later), None);

        let mut idle = WEB.decoder(0);
        let mut out = Vec::new();
        idle.timed_out(&mut out);
        assert!(matches!(out.as_slice(), [Decoded::Answer { close: true, .. }]));
    }

    #[test]
    fn after_an_error_the_connection_lingers_a_bounded_time() {
        // Regression: a refused body that kept coming was read (and dropped) for as long as the
        // client sent it, each such connection holding a thread after the broker let it go.
        let t0 = Instant::now();
        let mut decoder = WEB.decoder(0);
        let mut out = Vec::new();
        decoder.decode(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\nAAAA", &mut out);
        assert!(matches!(requests(&out).as_slice(), [Err(RequestError::BodyTooLarge { .. })]));
        assert_eq!(decoder.patience(t0), Some(Duration::from_secs(LINGER_SECS)));
        out.clear();
        decoder.decode(&[b'A'; 4096], &mut out);
        assert!(out.is_empty());
        // More bytes do not extend it.
        assert_eq!(decoder.patience(t0 + Duration::from_secs(1)), Some(Duration::from_secs(LINGER_SECS - 1)));
        decoder.timed_out(&mut out);
        assert!(matches!(out.as_slice(), [Decoded::Answer { close: true, .. }]));

        // A client that sends without a pause never lets the read time out: bounded by bytes.
        let mut decoder = WEB.decoder(0);
        let mut out = Vec::new();
        decoder.decode(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", &mut out);
        out.clear();
        for _ in 0..LINGER_BYTES / 1024 {
            decoder.decode(&[b'A'; 1024], &mut out);
        }
        assert!(out.is_empty());
        decoder.decode(b"A", &mut out);
        assert!(matches!(out.as_slice(), [Decoded::Answer { close: true, .. }]));
        assert_eq!(decoder.patience(t0), None);

        // The same after a request that closes the connection.
        let mut decoder = WEB.decoder(0);
        let mut out = Vec::new();
        decoder.decode(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &mut out);
        assert_eq!(requests(&out), vec![Ok("/".to_string())]);
        assert_eq!(decoder.patience(t0), Some(Duration::from_secs(LINGER_SECS)));
    }

    #[test]
    fn detection_takes_request_lines_only() {
        assert_eq!(WEB.claims(b"GET / HTTP/1.1\r\n"), Claim::Mine);
        assert_eq!(WEB.claims(b"GE"), Claim::Undecided);
        assert_eq!(WEB.claims(b"alice\n"), Claim::NotMine);
        assert_eq!(WEB.claims(b"Get lost\n"), Claim::NotMine);
    }
}

//! The web face's HTTP/1.x pieces: what a browser, `curl` or Prometheus sends on the chat port
//! (or an `--http-listen` port) and what chatd answers, as pure functions and types.
//!
//! The web face (issue 12) is a browser chat at `/` in the same rooms as netcat and IRC users,
//! streamed with Server-Sent Events (a long-poll fallback for clients without `EventSource`),
//! `/server-status` for people and `/metrics` for Prometheus. This module owns the protocol
//! side only:
//!
//! - `head`: one request head, parsed with `httparse`, to a `Head` (method, target, version,
//!   keep-alive, body length and the header fields the face reads), or a `RequestError` that
//!   names the status to answer; and `detect_request_line`, whether a connection's first line
//!   is an HTTP request line (the reader's dialect detection).
//! - `fields`: reading those header fields: one cookie by name, whether `Accept` wants JSON, the
//!   client address behind trusted proxies (`X-Forwarded-For`), `If-None-Match`, query strings
//!   and percent-decoding.
//! - `framer`: `RequestFramer`, fed bytes as they arrive; yields whole requests with their body
//!   (keep-alive and pipelining), and says whether one is in progress, for the reader's 408.
//! - `response`: `Response`, a status line, headers (`Date`, `Content-Length`, the security
//!   headers of the HTML page, ...) and body to bytes; `SetCookie` for the session cookie.
//! - `sse`: the `text/event-stream` response head and its events and keep-alive comments.
//! - `stats`: `Stats`, the counts the broker and listener report (never names or addresses).
//! - `status`: `/server-status` from `Stats`, as plain text and as JSON.
//! - `metrics`: `/metrics` from `Stats`, in Prometheus' text exposition format 0.0.4.
//!
//! Pure: no sockets, no threads, no clock (time comes in as an argument), no chat state. The
//! reader owns the socket and the request timeout; the broker owns sessions and fills `Stats`.

pub mod fields;
pub mod framer;
pub mod head;
pub mod metrics;
pub mod response;
pub mod sse;
pub mod stats;
pub mod status;

pub use framer::{Request, RequestFramer};
pub use head::{Head, Limits, Method, RequestError, Version, detect_request_line};
pub use response::{Response, SetCookie};
pub use stats::Stats;

use std::fmt;

/// An HTTP status code chatd answers with, and its reason phrase (RFC 9110 section 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusCode(u16);

impl StatusCode {
    pub const OK: StatusCode = StatusCode(200);
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    pub const MOVED_PERMANENTLY: StatusCode = StatusCode(301);
    pub const NOT_MODIFIED: StatusCode = StatusCode(304);
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    pub const CONFLICT: StatusCode = StatusCode(409);
    pub const LENGTH_REQUIRED: StatusCode = StatusCode(411);
    pub const CONTENT_TOO_LARGE: StatusCode = StatusCode(413);
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    pub const EXPECTATION_FAILED: StatusCode = StatusCode(417);
    pub const TOO_MANY_REQUESTS: StatusCode = StatusCode(429);
    pub const HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    /// The three-digit code.
    pub fn code(self) -> u16 {
        self.0
    }

    /// The reason phrase RFC 9110 section 15 gives the code (clients ignore it; people read it).
    pub fn reason(self) -> &'static str {
        match self.0 {
            200 => "OK",
            204 => "No Content",
            301 => "Moved Permanently",
            304 => "Not Modified",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            409 => "Conflict",
            411 => "Length Required",
            413 => "Content Too Large",
            415 => "Unsupported Media Type",
            417 => "Expectation Failed",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "",
        }
    }

    /// True for codes that forbid a body (RFC 9110 6.4.1: 1xx, 204 and 304).
    pub fn forbids_body(self) -> bool {
        self.0 < 200 || self.0 == 204 || self.0 == 304
    }
}

/// `404 Not Found`.
impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

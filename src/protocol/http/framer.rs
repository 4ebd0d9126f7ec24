//! Turns the bytes of one HTTP connection into requests: `RequestFramer` is fed bytes as they
//! arrive and yields each complete request (head and body) in order, however the reads split
//! them, several per read when a client pipelines (RFC 9112 9.3.2).
//!
//! A body is exactly `Content-Length` bytes (chunked bodies are refused with 411, see
//! `head`). After an error, or after a request that does not keep the connection alive, the
//! framer yields nothing more: the reader answers and closes. Memory stays bounded: a head
//! is refused past `Limits::max_head_bytes`, a body past `Limits::max_body_bytes`, and bytes
//! are dropped once consumed.
//!
//! Pure: the reader owns the socket and the clock. It starts the request timeout (408) when
//! `in_progress` turns true and stops it when a request comes out.

use super::head::{Head, Limits, RequestError, parse_head};

/// One complete request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub head: Head,
    /// Exactly `head.content_length` bytes.
    pub body: Vec<u8>,
    /// How many input bytes the request took, head and body (empty lines between requests are
    /// skipped and not counted).
    pub wire_len: usize,
}

/// Where the framer is between requests.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Reading a head (or nothing yet).
    Head,
    /// The head is read; waiting for its body. (Boxed: a head is large, the other states empty.)
    Body { head: Box<Head>, head_len: usize },
    /// An error was reported, or the last request closes the connection: nothing more.
    Finished,
}

/// Incremental request framer for one connection.
#[derive(Clone, Debug)]
pub struct RequestFramer {
    limits: Limits,
    /// Received bytes; those before `start` are consumed.
    buf: Vec<u8>,
    start: usize,
    state: State,
    /// The current request asked for `100 Continue` and has not been told yet.
    continue_due: bool,
}

impl Default for RequestFramer {
    fn default() -> RequestFramer {
        RequestFramer::new()
    }
}

impl RequestFramer {
    /// A framer with the default limits (`core::limits`).
    pub fn new() -> RequestFramer {
        RequestFramer::with_limits(Limits::default())
    }

    pub fn with_limits(limits: Limits) -> RequestFramer {
        RequestFramer { limits, buf: Vec::new(), start: 0, state: State::Head, continue_due: false }
    }

    /// Adds bytes read from the connection. Call `next_request` until it gives `None` after
    /// each push; bytes after the end (an error, a closing request) are dropped.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.state == State::Finished {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete request, an error to answer (after which the framer is finished),
    /// or `None` when more bytes are needed (or the framer is finished).
    pub fn next_request(&mut self) -> Option<Result<Request, RequestError>> {
        if self.state == State::Head {
            self.skip_empty_lines();
            match parse_head(self.unread(), &self.limits) {
                Ok(None) => return None,
                Ok(Some((head, head_len))) => {
                    self.start += head_len;
                    self.continue_due = head.expect_continue && head.content_length > 0;
                    self.state = State::Body { head: Box::new(head), head_len };
                }
                Err(error) => {
                    self.finish();
                    return Some(Err(error));
                }
            }
        }
        let State::Body { head, head_len } = &self.state else { return None };
        let body = self.unread().get(..head.content_length)?.to_vec();
        let wire_len = head_len + body.len();
        self.start += body.len();
        self.continue_due = false;
        let State::Body { head, .. } = std::mem::replace(&mut self.state, State::Head) else { return None };
        if !head.keep_alive {
            self.finish();
        }
        Some(Ok(Request { head: *head, body, wire_len }))
    }

    /// True while a request has started (any byte of a head but empty lines) and is not yet
    /// complete: the reader's cue to run the request timeout and answer 408 when it passes.
    pub fn in_progress(&self) -> bool {
        match self.state {
            State::Head => self.unread().iter().any(|&b| b != b'\r' && b != b'\n'),
            State::Body { .. } => true,
            State::Finished => false,
        }
    }

    /// True once per request whose client sent `Expect: 100-continue` and waits for the body:
    /// the reader then writes `response::CONTINUE` (RFC 9110 10.1.1). Call after `next_request`
    /// gave `None`.
    pub fn take_continue(&mut self) -> bool {
        std::mem::take(&mut self.continue_due)
    }

    /// True when no more requests will come from this connection: after an error, or after a
    /// request without keep-alive.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Bytes received and not yet part of a request.
    pub fn buffered(&self) -> usize {
        self.unread().len()
    }

    fn unread(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Drops the empty lines a client may send between requests (RFC 9112 2.2), so that they
    /// neither start the timeout nor count against the head limit.
    fn skip_empty_lines(&mut self) {
        loop {
            let unread = self.unread();
            let skip = if unread.starts_with(b"\r\n") {
                2
            } else if unread.starts_with(b"\n") {
                1
            } else {
                return;
            };
            self.start += skip;
        }
    }

    fn finish(&mut self) {
        self.state = State::Finished;
        self.continue_due = false;
        self.buf = Vec::new();
        self.start = 0;
    }
}

#[cfg(test)]
#[path = "framer_tests.rs"]
mod tests;

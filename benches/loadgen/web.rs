//! The browser's side of chatd's web face, for the load generator: the requests a page sends
//! (log in, send a line, open the event stream) and `WebReader`, which reads what comes back on
//! one connection incrementally, as the bytes arrive: HTTP/1.1 answers (heads parsed with
//! httparse, bodies by `Content-Length`), then, once an answer opens an event stream, its
//! Server-Sent Events (WHATWG HTML, "Server-sent events": `field: value` lines, an event ends at
//! a blank line, comment lines start with a colon).
//!
//! The reader keeps only an unfinished line (or an unfinished answer) between reads; complete
//! lines in a read are parsed where they lie, so the hot path copies each event's data once.

use std::fmt::Write as _;

/// The session cookie's name (see the web protocol: `Set-Cookie: chatd_session=...`).
pub const COOKIE: &str = "chatd_session";

/// What one connection brought, in order.
pub enum WebItem<'a> {
    /// A complete answer that is not an event stream: its status, the session cookie's value if
    /// it set one, and its body.
    Answer { status: u16, session: Option<&'a str>, body: &'a [u8] },
    /// The head of an event stream (status 200): what follows are events.
    StreamOpened,
    /// One event of the stream: the last event id seen, and its data (`data:` lines joined by LF).
    Event { id: u64, data: &'a [u8] },
}

enum State {
    /// Waiting for (the rest of) an answer's head.
    Head,
    /// Inside an event stream.
    Stream,
}

pub struct WebReader {
    state: State,
    /// The unfinished part: an answer not yet complete, or a stream's line without its LF yet.
    pending: Vec<u8>,
    /// The event being read: its data so far, whether it has any `data:` line, the last id.
    data: Vec<u8>,
    has_data: bool,
    last_id: u64,
}

impl Default for WebReader {
    fn default() -> Self {
        WebReader::new()
    }
}

impl WebReader {
    pub fn new() -> WebReader {
        WebReader {
            state: State::Head,
            pending: Vec::new(),
            data: Vec::with_capacity(256),
            has_data: false,
            last_id: 0,
        }
    }

    /// Reads the next bytes of the connection, handing every complete item to `f`. An error is
    /// a protocol violation the connection cannot recover from.
    pub fn feed(&mut self, bytes: &[u8], f: &mut dyn FnMut(WebItem<'_>)) -> Result<(), String> {
        match self.state {
            State::Stream => {
                self.stream_bytes(bytes, f);
                Ok(())
            }
            State::Head => {
                self.pending.extend_from_slice(bytes);
                self.answers(f)
            }
        }
    }

    /// Takes every complete answer off `pending`; the bytes after a stream's head are events.
    fn answers(&mut self, f: &mut dyn FnMut(WebItem<'_>)) -> Result<(), String> {
        loop {
            let mut fields = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut fields);
            let head_len = match response.parse(&self.pending) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) => return Ok(()),
                Err(e) => return Err(format!("bad answer head: {e}")),
            };
            let status = response.code.unwrap_or(0);
            let (mut length, mut stream, mut session) = (None, false, None);
            for field in response.headers.iter() {
                let value = std::str::from_utf8(field.value).map_err(|_| "answer field is not UTF-8")?;
                if field.name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse::<usize>().map_err(|_| format!("bad Content-Length {value}"))?);
                } else if field.name.eq_ignore_ascii_case("content-type") {
                    stream = value.trim().starts_with("text/event-stream");
                } else if field.name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(format!("Transfer-Encoding {value}: not expected from chatd"));
                } else if field.name.eq_ignore_ascii_case("set-cookie")
                    && let Some(rest) = value.strip_prefix(COOKIE).and_then(|r| r.strip_prefix('='))
                {
                    session = Some(rest.split(';').next().unwrap_or_default().to_string());
                }
            }
            if stream && status == 200 {
                // The stream has no length: it runs until the connection closes.
                let rest = self.pending.split_off(head_len);
                self.pending.clear();
                self.state = State::Stream;
                f(WebItem::StreamOpened);
                self.stream_bytes(&rest, f);
                return Ok(());
            }
            // No Content-Length: no body (chatd sends one with every answer that has a body).
            let end = head_len + length.unwrap_or(0);
            if self.pending.len() < end {
                return Ok(());
            }
            f(WebItem::Answer { status, session: session.as_deref(), body: &self.pending[head_len..end] });
            self.pending.drain(..end);
        }
    }

    fn stream_bytes(&mut self, bytes: &[u8], f: &mut dyn FnMut(WebItem<'_>)) {
        let mut start = 0;
        if !self.pending.is_empty() {
            let Some(p) = bytes.iter().position(|&b| b == b'\n') else {
                self.pending.extend_from_slice(bytes);
                return;
            };
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&bytes[..p]);
            self.line(&line, f);
            line.clear();
            self.pending = line;
            start = p + 1;
        }
        while let Some(p) = bytes[start..].iter().position(|&b| b == b'\n') {
            self.line(&bytes[start..start + p], f);
            start += p + 1;
        }
        self.pending.extend_from_slice(&bytes[start..]);
    }

    /// One line of the stream, without its LF. chatd ends lines with LF; a CR before it is
    /// dropped too (CR LF). A lone CR, which the standard also allows, chatd never sends.
    fn line(&mut self, line: &[u8], f: &mut dyn FnMut(WebItem<'_>)) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if self.has_data {
                f(WebItem::Event { id: self.last_id, data: &self.data });
            }
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return; // a comment: the keep-alive
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(c) => (&line[..c], line[c + 1..].strip_prefix(b" ").unwrap_or(&line[c + 1..])),
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"id" => {
                if let Some(id) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                    self.last_id = id;
                }
            }
            // `event:` (chatd names none) and `retry:` change nothing the bench looks at.
            _ => {}
        }
    }
}

/// The fields every request from the page carries: the Host it was loaded from and, for POSTs,
/// the matching Origin.
fn head(out: &mut String, method: &str, path: &str, host: &str) {
    let _ = write!(out, "{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    if method == "POST" {
        let _ = write!(out, "Origin: http://{host}\r\n");
    }
}

fn body(out: &mut String, text: &str) {
    let _ = write!(out, "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{text}", text.len());
}

/// `POST /api/login` with the wanted nickname.
pub fn login_request(host: &str, nick: &str) -> String {
    let mut out = String::with_capacity(160);
    head(&mut out, "POST", "/api/login", host);
    body(&mut out, nick);
    out
}

/// `POST /api/send`: one line as typed, with the session's cookie and token.
pub fn send_request(host: &str, token: &str, line: &str) -> String {
    let mut out = String::with_capacity(256);
    head(&mut out, "POST", "/api/send", host);
    let _ = write!(out, "Cookie: {COOKIE}={token}\r\nX-Chatd-Session: {token}\r\n");
    body(&mut out, line);
    out
}

/// `GET /api/events`: the session's event stream, from its first event.
pub fn events_request(host: &str, token: &str) -> String {
    let mut out = String::with_capacity(160);
    head(&mut out, "GET", "/api/events", host);
    let _ = write!(out, "Cookie: {COOKIE}={token}\r\nAccept: text/event-stream\r\n\r\n");
    out
}

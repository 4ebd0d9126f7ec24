//! HTTP/1.1 over a raw TCP connection, for tests of the web face: requests are written byte for
//! byte (so keep-alive, pipelining and broken input are exact), answers are read as the wire
//! has them: the status line, header fields, a `Content-Length` body, or Server-Sent Events.
//!
//! Every read has a deadline (`TIMEOUT` unless told); failures show what was read and the
//! server's log.

use super::{LogLines, Server, TIMEOUT};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request to write: the request line, `Host`, the fields given, and the body with its length.
#[derive(Clone, Debug)]
pub struct Req {
    method: String,
    target: String,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
    /// `Content-Length` is written even for an empty body (a POST's).
    length: bool,
}

impl Req {
    pub fn new(method: &str, target: &str) -> Req {
        Req { method: method.into(), target: target.into(), fields: Vec::new(), body: Vec::new(), length: false }
    }

    pub fn get(target: &str) -> Req {
        Req::new("GET", target)
    }

    pub fn post(target: &str, body: &[u8]) -> Req {
        Req { body: body.to_vec(), length: true, ..Req::new("POST", target) }
    }

    /// Adds a header field.
    pub fn field(mut self, name: &str, value: &str) -> Req {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// `Connection: close`.
    pub fn close(self) -> Req {
        self.field("Connection", "close")
    }

    /// The bytes on the wire, with `Host: <addr>` first.
    pub fn bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\nHost: {addr}\r\n", self.method, self.target);
        for (name, value) in &self.fields {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.length || !self.body.is_empty() {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// One answer as read from the wire.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Fields in order, names as sent.
    pub fields: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first field named `name` (case ignored).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The field `name`, which must be there.
    pub fn must(&self, name: &str) -> &str {
        self.field(name).unwrap_or_else(|| panic!("no {name} field in {self:?}"))
    }

    /// How many fields are named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).count()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the server said it closes the connection after this answer.
    pub fn closes(&self) -> bool {
        self.field("Connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// The body as JSON (and the type must say JSON).
    pub fn json(&self) -> super::json::Json {
        assert_eq!(self.field("Content-Type"), Some("application/json"), "{self:?}");
        super::json::must_parse(&self.text())
    }
}

/// One Server-Sent Event as a browser dispatches it (WHATWG HTML 9.2.6), with the raw lines.
#[derive(Clone, Debug)]
pub struct SseEvent {
    /// The `id:` of this very event (None when it had none: the tests require one).
    pub id: Option<String>,
    pub data: String,
    pub lines: Vec<String>,
}

/// A raw HTTP connection.
pub struct HttpClient {
    pub stream: TcpStream,
    pub addr: SocketAddr,
    buffer: Vec<u8>,
    closed: bool,
    log: Arc<LogLines>,
    /// Comment lines (`: ...`) skipped while reading events.
    pub comments: Vec<String>,
    /// The last `retry:` value seen on a stream.
    pub retry: Option<u64>,
}

impl HttpClient {
    pub fn connect(server: &Server) -> HttpClient {
        let stream = TcpStream::connect(server.addr).unwrap();
        HttpClient::over(stream, server)
    }

    /// Wraps a stream connected to `server` some other way.
    pub fn over(stream: TcpStream, server: &Server) -> HttpClient {
        HttpClient {
            stream,
            addr: server.addr,
            buffer: Vec::new(),
            closed: false,
            log: Arc::clone(&server.log),
            comments: Vec::new(),
            retry: None,
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap_or_else(|e| self.fail(&format!("write failed: {e}")));
    }

    pub fn send(&mut self, request: &Req) {
        let bytes = request.bytes(self.addr);
        self.send_raw(&bytes);
    }

    /// Sends `request` and reads its answer.
    pub fn request(&mut self, request: &Req) -> Response {
        self.send(request);
        self.read_response(request.method == "HEAD")
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- unread bytes: {:?}\n--- server log:\n{}",
            String::from_utf8_lossy(&self.buffer),
            self.log.text()
        )
    }

    /// One read into the buffer before `deadline`. False at end of stream (or a reset).
    fn fill(&mut self, deadline: Instant) -> bool {
        if self.closed {
            return false;
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            self.fail("timed out")
        };
        self.stream.set_read_timeout(Some(left)).unwrap();
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => self.closed = true,
            Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => self.fail("timed out"),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => self.closed = true,
            Err(e) => self.fail(&format!("read failed: {e}")),
        }
        !self.closed
    }

    /// Takes bytes up to and including `delimiter`, reading more as needed.
    fn take_through(&mut self, delimiter: &[u8], deadline: Instant, what: &str) -> Vec<u8> {
        loop {
            if let Some(at) = self.buffer.windows(delimiter.len()).position(|w| w == delimiter) {
                return self.buffer.drain(..at + delimiter.len()).collect();
            }
            if !self.fill(deadline) {
                self.fail(&format!("connection closed while reading {what}"));
            }
        }
    }

    /// Reads a response head: status line and fields.
    pub fn read_head(&mut self) -> Response {
        self.read_head_by(Instant::now() + TIMEOUT)
    }

    pub fn read_head_by(&mut self, deadline: Instant) -> Response {
        let head = self.take_through(b"\r\n\r\n", deadline, "a response head");
        let text = String::from_utf8(head).unwrap_or_else(|e| self.fail(&format!("head is not UTF-8: {e}")));
        let mut lines = text.strip_suffix("\r\n\r\n").unwrap_or(&text).split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let (version, code, reason) = (parts.next(), parts.next(), parts.next().unwrap_or_default());
        assert_eq!(version, Some("HTTP/1.1"), "status line {status_line:?}");
        let status = code.and_then(|c| c.parse().ok()).unwrap_or_else(|| self.fail(&format!("bad {status_line:?}")));
        let mut fields = Vec::new();
        for line in lines {
            let (name, value) = line.split_once(':').unwrap_or_else(|| self.fail(&format!("bad field {line:?}")));
            assert!(!name.is_empty() && !name.contains(' '), "bad field name in {line:?}");
            fields.push((name.to_string(), value.trim().to_string()));
        }
        Response { status, reason: reason.to_string(), fields, body: Vec::new() }
    }

    /// Reads a whole answer; `to_head` when it answers a HEAD request (no body follows).
    pub fn read_response(&mut self, to_head: bool) -> Response {
        let deadline = Instant::now() + TIMEOUT;
        let mut response = self.read_head_by(deadline);
        let length = match response.field("Content-Length") {
            Some(text) => text.parse::<usize>().unwrap_or_else(|_| self.fail(&format!("bad length {text:?}"))),
            None => {
                let no_body = matches!(response.status, 100..=199 | 204 | 304);
                assert!(no_body, "an answer without Content-Length: {response:?}");
                0
            }
        };
        if !to_head {
            while self.buffer.len() < length {
                if !self.fill(deadline) {
                    self.fail(&format!("closed after {} of {length} body bytes", self.buffer.len()));
                }
            }
            response.body = self.buffer.drain(..length).collect();
        }
        response
    }

    /// Reads until the server closes; returns the bytes that came meanwhile.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        self.read_to_close_within(TIMEOUT)
    }

    pub fn read_to_close_within(&mut self, limit: Duration) -> Vec<u8> {
        let deadline = Instant::now() + limit;
        while self.fill(deadline) {}
        std::mem::take(&mut self.buffer)
    }

    /// Fails unless the server closes the connection with nothing more sent.
    pub fn expect_closed(&mut self) {
        let rest = self.read_to_close();
        assert!(rest.is_empty(), "bytes after the last answer: {:?}", String::from_utf8_lossy(&rest));
    }

    /// The next event of a stream, skipping comments and `retry:`; every line ends in LF.
    pub fn next_event(&mut self) -> SseEvent {
        self.next_event_by(Instant::now() + TIMEOUT)
    }

    pub fn next_event_by(&mut self, deadline: Instant) -> SseEvent {
        let mut event = SseEvent { id: None, data: String::new(), lines: Vec::new() };
        let mut has_data = false;
        loop {
            let raw = self.take_through(b"\n", deadline, "an event");
            let line = String::from_utf8(raw[..raw.len() - 1].to_vec())
                .unwrap_or_else(|e| self.fail(&format!("event line is not UTF-8: {e}")));
            assert!(!line.contains('\r'), "CR in an event line: {line:?}");
            if line.is_empty() {
                if has_data {
                    return event;
                }
                event = SseEvent { id: None, data: String::new(), lines: Vec::new() };
                continue;
            }
            if let Some(comment) = line.strip_prefix(':') {
                self.comments.push(comment.trim().to_string());
                continue;
            }
            let (name, value) = line.split_once(':').unwrap_or((&line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match name {
                "id" => event.id = Some(value.to_string()),
                "data" => {
                    if has_data {
                        event.data.push('\n');
                    }
                    event.data.push_str(value);
                    has_data = true;
                }
                "retry" => self.retry = value.parse().ok(),
                other => panic!("unexpected field {other:?} in an event stream: {line:?}"),
            }
            event.lines.push(line);
        }
    }
}

/// Sends one request on a fresh connection and reads the answer.
pub fn one_shot(server: &Server, request: &Req) -> Response {
    HttpClient::connect(server).request(request)
}

/// Writes `bytes` to `stream` from a thread, until all are taken (true) or the server refuses
/// them (false: the connection was closed or reset, which is what hostile tests want to see).
pub fn flood_from_thread(stream: &TcpStream, bytes: Vec<u8>) -> std::thread::JoinHandle<bool> {
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || bytes.chunks(64 * 1024).all(|chunk| writer.write_all(chunk).is_ok()))
}

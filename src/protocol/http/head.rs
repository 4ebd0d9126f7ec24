//! One HTTP/1.x request head (request line and header fields, RFC 9112 sections 2 to 5) to a
//! `Head`, or to the `RequestError` that says which status to answer before closing.
//!
//! The syntax is `httparse`'s; this file adds the rules of meaning on top: which versions are
//! served, how long the body is (RFC 9112 6.3), whether the connection persists (RFC 9112 9.3),
//! `Host` (RFC 9112 3.2), and which fields the web face reads. Fields it does not read are
//! checked for syntax and dropped. Pure: no sockets, no clock.

use super::StatusCode;
use crate::core::limits::{HTTP_MAX_BODY_BYTES, HTTP_MAX_HEAD_BYTES, HTTP_MAX_HEADERS};
use std::fmt;

/// How much one request may hold; past a limit the request gets an error status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest head in bytes, the blank line that ends it included (431).
    pub max_head_bytes: usize,
    /// Most header fields (431).
    pub max_headers: usize,
    /// Largest body in bytes (413).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: HTTP_MAX_HEAD_BYTES,
            max_headers: HTTP_MAX_HEADERS,
            max_body_bytes: HTTP_MAX_BODY_BYTES,
        }
    }
}

/// The request method (RFC 9110 9.1: case-sensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    /// Any other token (`OPTIONS`, `PUT`, `get`, ...): the web face answers 405 or 501.
    Other(String),
}

impl Method {
    /// The method as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Other(token) => token,
        }
    }
}

/// The HTTP versions chatd serves. Every answer says `HTTP/1.1` (RFC 9110 2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    /// HTTP/1.1, and any later 1.x read as 1.1 (RFC 9110 6.2).
    Http11,
}

/// A parsed request head: what the web face needs from it, and nothing it does not read.
///
/// Field values are kept as sent (lossily UTF-8, surrounding whitespace trimmed); a field sent
/// on several lines is joined as RFC 9110 5.3 allows (`, `; `Cookie` with `; `). The helpers
/// in `fields` read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub method: Method,
    /// The path as sent (still percent-encoded), always starting with `/` (or `*` for
    /// `OPTIONS *`); an absolute-form target (`http://host/path`) is cut to its path.
    pub path: String,
    /// What follows the first `?`, still encoded (see `fields::query_value`).
    pub query: Option<String>,
    pub version: Version,
    /// Whether the connection stays open after the answer (RFC 9112 9.3): HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    pub keep_alive: bool,
    /// The body's length from `Content-Length` (0 when absent), within `Limits::max_body_bytes`.
    pub content_length: usize,
    /// `Expect: 100-continue`: the client waits for `100 Continue` before sending the body.
    pub expect_continue: bool,
    /// `Host`: which name the client used (absent only in HTTP/1.0); for an absolute-form
    /// target, the target's authority instead (RFC 9112 3.2.2).
    pub host: Option<String>,
    /// `Accept`: whether the client wants JSON (`fields::accepts_json`).
    pub accept: Option<String>,
    /// `Cookie`: where the session token lives (`fields::cookie_value`).
    pub cookie: Option<String>,
    /// `Origin`: must match the page's own origin on every `POST` (no cross-site requests).
    pub origin: Option<String>,
    /// `X-Chatd-Session`: the session token again, a header cross-site forms cannot send.
    pub session: Option<String>,
    /// `Last-Event-ID`: the last event a reconnecting `EventSource` saw.
    pub last_event_id: Option<String>,
    /// `X-Forwarded-For`: the client as a reverse proxy saw it; trusted only from configured
    /// proxies (`fields::client_addr`).
    pub forwarded_for: Option<String>,
    /// `Content-Type` of the body.
    pub content_type: Option<String>,
    /// `If-None-Match`: the entity tags the client has cached (`fields::none_match`).
    pub if_none_match: Option<String>,
}

/// Why a request cannot be served. Every variant is answered with its `status()` and then the
/// connection closes: after a broken head the next request's start is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The head breaks HTTP syntax; names the part (400).
    Malformed(&'static str),
    /// The request target is neither origin-form, absolute-form nor `OPTIONS *` (400).
    BadTarget,
    /// The head is longer than the limit (431).
    HeadTooLarge { limit: usize },
    /// More header fields than the limit (431).
    TooManyHeaders { limit: usize },
    /// `Content-Length` over the limit (413); a length past `u64` counts as `u64::MAX`.
    BodyTooLarge { length: u64, limit: usize },
    /// An invalid `Content-Length`, or several that disagree (400, RFC 9112 6.3 item 5).
    BadContentLength,
    /// Both `Transfer-Encoding` and `Content-Length`: a smuggling attempt or a broken proxy
    /// (400, RFC 9112 6.1).
    LengthAndTransferEncoding,
    /// A `Transfer-Encoding` whose last coding is not `chunked`, `chunked` twice, or any
    /// `Transfer-Encoding` in HTTP/1.0: the body's end cannot be known (400, RFC 9112 6.1, 6.3).
    BadTransferEncoding,
    /// A coding other than `chunked` (`gzip, chunked`): not understood (501, RFC 9112 6.1).
    UnsupportedTransferEncoding,
    /// A `chunked` body. chatd's bodies are small and browsers send them with a length, so it
    /// asks for one (411) rather than decoding chunks.
    LengthRequired,
    /// HTTP/1.1 without `Host`, `Host` more than once, or a `Host` that is no host name
    /// (400, RFC 9112 3.2).
    BadHost,
    /// A field the web face reads appears more than once (400); names the field.
    RepeatedField(&'static str),
    /// A version whose major number is not 1, such as the HTTP/2 preface `PRI * HTTP/2.0`
    /// (505, RFC 9110 15.6.6: the server does not support that major version).
    UnsupportedVersion,
    /// An `Expect` other than `100-continue` (417, RFC 9110 10.1.1).
    UnsupportedExpectation,
    /// The head (or its body) did not arrive within the time the reader allows (408).
    Timeout,
}

impl RequestError {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::Malformed(_)
            | RequestError::BadTarget
            | RequestError::BadContentLength
            | RequestError::LengthAndTransferEncoding
            | RequestError::BadTransferEncoding
            | RequestError::BadHost
            | RequestError::RepeatedField(_) => StatusCode::BAD_REQUEST,
            RequestError::HeadTooLarge { .. } | RequestError::TooManyHeaders { .. } => {
                StatusCode::HEADER_FIELDS_TOO_LARGE
            }
            RequestError::BodyTooLarge { .. } => StatusCode::CONTENT_TOO_LARGE,
            RequestError::UnsupportedTransferEncoding => StatusCode::NOT_IMPLEMENTED,
            RequestError::LengthRequired => StatusCode::LENGTH_REQUIRED,
            RequestError::UnsupportedVersion => StatusCode::VERSION_NOT_SUPPORTED,
            RequestError::UnsupportedExpectation => StatusCode::EXPECTATION_FAILED,
            RequestError::Timeout => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Malformed(part) => write!(f, "malformed request: bad {part}"),
            RequestError::BadTarget => f.write_str("request target is not a path"),
            RequestError::HeadTooLarge { limit } => write!(f, "request head longer than {limit} bytes"),
            RequestError::TooManyHeaders { limit } => write!(f, "more than {limit} header fields"),
            RequestError::BodyTooLarge { length, limit } => {
                write!(f, "request body of {length} bytes is over the limit of {limit}")
            }
            RequestError::BadContentLength => f.write_str("invalid or conflicting content-length"),
            RequestError::LengthAndTransferEncoding => f.write_str("both transfer-encoding and content-length"),
            RequestError::BadTransferEncoding => f.write_str("transfer-encoding leaves the body's end unknown"),
            RequestError::UnsupportedTransferEncoding => f.write_str("unsupported transfer-encoding"),
            RequestError::LengthRequired => f.write_str("chunked body; send content-length"),
            RequestError::BadHost => f.write_str("missing or repeated host"),
            RequestError::RepeatedField(name) => write!(f, "repeated {name} field"),
            RequestError::UnsupportedVersion => f.write_str("unsupported HTTP version"),
            RequestError::UnsupportedExpectation => f.write_str("unsupported expectation"),
            RequestError::Timeout => f.write_str("request not complete in time"),
        }
    }
}

/// The methods a connection may open with to be taken for HTTP: RFC 9110's, `PATCH` (RFC
/// 5789) and `PRI` (the HTTP/2 preface, RFC 9113 3.4). Methods are case-sensitive, so a person
/// typing "Get lost" is not a browser.
const OPENING_METHODS: [&str; 10] =
    ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"];

/// Whether a connection's first bytes are an HTTP/1.x request line (`GET / HTTP/1.1`), for
/// the reader's dialect detection. `None`: undecided, the bytes so far could still open one.
/// Once decided, more bytes never change the answer.
///
/// Decided at the first byte that cannot continue one of `OPENING_METHODS` and a space (so
/// people's lines are told apart at once), else by `httparse` at the line's end (no request
/// line is matched by hand), or once `HTTP_MAX_HEAD_BYTES` have come without one: a line
/// that long which still reads as a request line is HTTP, and gets its 431. A request line
/// with another version (`HTTP/2.0`, the HTTP/2 preface) is HTTP too, and gets its 505.
pub fn detect_request_line(first: &[u8]) -> Option<bool> {
    let first = first.get(..HTTP_MAX_HEAD_BYTES).unwrap_or(first);
    let opener = |method: &str| [method.as_bytes(), b" "].concat();
    if !OPENING_METHODS.iter().any(|method| first.starts_with(&opener(method))) {
        let may_open = OPENING_METHODS.iter().any(|method| opener(method).starts_with(first));
        return if may_open { None } else { Some(false) };
    }
    let line = match first.iter().position(|&b| b == b'\n') {
        // The line alone, ended as a head ends, so that no header field is read.
        Some(end) => [first.get(..=end).unwrap_or(first), b"\r\n"].concat(),
        None => first.to_vec(),
    };
    let mut no_fields = [httparse::EMPTY_HEADER; 0];
    match httparse::Request::new(&mut no_fields).parse(&line) {
        Ok(httparse::Status::Complete(_)) => Some(true),
        Ok(httparse::Status::Partial) => (first.len() == HTTP_MAX_HEAD_BYTES).then_some(true),
        Err(httparse::Error::Version) => Some(match later_minor_version(&line) {
            Ok(_) | Err(RequestError::UnsupportedVersion) => true,
            Err(_) => false,
        }),
        Err(_) => Some(false),
    }
}

/// Parses the head at the start of `buf` (which may hold a body and further requests after it).
///
/// `Ok(None)`: the head is not complete yet (and within the limit). `Ok(Some((head, len)))`:
/// the head and its length in bytes, empty lines before it included (RFC 9112 2.2 lets a server
/// skip them). The body is the caller's: `head.content_length` bytes after `len`.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(Head, usize)>, RequestError> {
    // Only the first `max_head_bytes` are read: a head must end within them, and what comes
    // after cannot change the answer, so the result never depends on how reads split the input.
    let buf = buf.get(..limits.max_head_bytes).unwrap_or(buf);
    match parse_with_version(buf, limits, false)? {
        None if buf.len() >= limits.max_head_bytes => Err(RequestError::HeadTooLarge { limit: limits.max_head_bytes }),
        parsed => Ok(parsed),
    }
}

/// `retried`: this is a copy of the head whose 1.x minor version digit was rewritten to `1`,
/// since `httparse` reads only 1.0 and 1.1 (see `later_minor_version`).
fn parse_with_version(buf: &[u8], limits: &Limits, retried: bool) -> Result<Option<(Head, usize)>, RequestError> {
    // Enough for every field a browser or proxy sends; more is a flood.
    let mut fields = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut request = httparse::Request::new(&mut fields);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::Version) if !retried => {
            let mut copy = buf.to_vec();
            if let Some(digit) = copy.get_mut(later_minor_version(buf)?) {
                *digit = b'1';
            }
            return parse_with_version(&copy, limits, true);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(RequestError::TooManyHeaders { limit: limits.max_headers });
        }
        Err(error) => return Err(RequestError::Malformed(part_name(error))),
    };
    let (Some(method), Some(target), Some(minor)) = (request.method, request.path, request.version) else {
        return Err(RequestError::Malformed("request line"));
    };
    let version = if minor == 0 { Version::Http10 } else { Version::Http11 };
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        other => Method::Other(other.to_owned()),
    };
    let target = split_target(target, &method)?;
    let head = read_fields(request.headers, method, target, version, limits)?;
    Ok(Some((head, len)))
}

fn part_name(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "header name",
        httparse::Error::HeaderValue => "header value",
        httparse::Error::NewLine => "line ending",
        httparse::Error::Version => "version",
        _ => "request line",
    }
}

/// Decides what a request line `httparse` refused for its version is, from the version token
/// (what follows the second space; `httparse` rejects at most its first 8 bytes, so the answer
/// is the same however much of the line has come). `Ok(at)`: `HTTP/1.x` with x of 2 or
/// more, to be read as HTTP/1.1 (RFC 9110 6.2), `at` being the minor digit; `Err`: 505 for
/// another major version (`HTTP/2.0`, `HTTP/3`, `HTTP/0.9`), 400 for anything else.
fn later_minor_version(buf: &[u8]) -> Result<usize, RequestError> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let mut spaces = buf.iter().enumerate().skip(start).filter(|&(_, &b)| b == b' ').map(|(at, _)| at);
    let (Some(_), Some(second)) = (spaces.next(), spaces.next()) else {
        return Err(RequestError::Malformed("request line"));
    };
    let token_start = second + 1;
    match buf.get(token_start..).unwrap_or_default() {
        [b'H', b'T', b'T', b'P', b'/', major, ..] if major.is_ascii_digit() && *major != b'1' => {
            Err(RequestError::UnsupportedVersion)
        }
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor, ..] if (b'2'..=b'9').contains(minor) => Ok(token_start + 7),
        _ => Err(RequestError::Malformed("version")),
    }
}

/// A request target taken apart (RFC 9112 3.2).
struct Target {
    path: String,
    query: Option<String>,
    /// The host of an absolute-form target, which replaces `Host` (RFC 9112 3.2.2).
    authority: Option<String>,
}

/// Splits a request target into path and query, and the authority of an absolute-form
/// target. The fragment, which clients never send, is dropped if one comes.
fn split_target(target: &str, method: &Method) -> Result<Target, RequestError> {
    let target = target.split_once('#').map_or(target, |(before, _)| before);
    if target == "*" {
        // The asterisk-form is only for a server-wide `OPTIONS` (RFC 9112 3.2.4).
        return match method {
            Method::Other(name) if name == "OPTIONS" => {
                Ok(Target { path: "*".to_owned(), query: None, authority: None })
            }
            _ => Err(RequestError::BadTarget),
        };
    }
    let (authority, origin_form) = if target.starts_with('/') {
        (None, target)
    } else {
        // The absolute-form, which a server must accept (RFC 9112 3.2.2).
        let after_scheme = ["http://", "https://"].iter().find_map(|scheme| {
            let prefix = target.get(..scheme.len())?;
            prefix.eq_ignore_ascii_case(scheme).then(|| target.get(scheme.len()..)).flatten()
        });
        let Some(after_scheme) = after_scheme else { return Err(RequestError::BadTarget) };
        let end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
        let (authority, rest) = after_scheme.split_at_checked(end).unwrap_or((after_scheme, ""));
        if !is_host(authority) || authority.is_empty() {
            return Err(RequestError::BadTarget);
        }
        (Some(authority.to_owned()), rest)
    };
    let (path, query) = origin_form.split_once('?').map_or((origin_form, None), |(path, query)| (path, Some(query)));
    let path = if path.is_empty() { "/" } else { path };
    Ok(Target { path: path.to_owned(), query: query.map(str::to_owned), authority })
}

/// Whether a `Host` value (or an absolute-form target's authority) is `uri-host [":" port]`
/// (RFC 9112 3.2, RFC 3986 3.2.2): the characters of a registered name, an IPv4 address or a
/// bracketed IPv6 literal, and a port. Userinfo (`@`) is not allowed (RFC 9110 4.2.1).
fn is_host(value: &str) -> bool {
    value.chars().all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%:[]".contains(c))
}

/// Reads the header fields: body length, persistence, `Host`, and the fields the face keeps.
fn read_fields(
    fields: &[httparse::Header<'_>],
    method: Method,
    target: Target,
    version: Version,
    limits: &Limits,
) -> Result<Head, RequestError> {
    let mut head = Head {
        method,
        path: target.path,
        query: target.query,
        version,
        keep_alive: false,
        content_length: 0,
        expect_continue: false,
        host: None,
        accept: None,
        cookie: None,
        origin: None,
        session: None,
        last_event_id: None,
        forwarded_for: None,
        content_type: None,
        if_none_match: None,
    };
    let mut content_length: Option<u64> = None;
    let mut codings: Option<Vec<String>> = None;
    let mut close = false;
    let mut keep_alive = false;
    let mut hosts = 0;
    for field in fields {
        let value = String::from_utf8_lossy(field.value);
        let value = value.trim_matches([' ', '\t']);
        let name = field.name;
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
        if is("content-length") {
            // `42, 42` (or the same on two lines) is one length; anything else is not.
            for item in value.split(',').map(|item| item.trim_matches([' ', '\t'])) {
                let length = parse_length(item)?;
                if content_length.is_some_and(|seen| seen != length) {
                    return Err(RequestError::BadContentLength);
                }
                content_length = Some(length);
            }
        } else if is("transfer-encoding") {
            let list = codings.get_or_insert_with(Vec::new);
            list.extend(value.split(',').map(|c| c.trim_matches([' ', '\t']).to_ascii_lowercase()));
        } else if is("connection") {
            for option in value.split(',').map(|o| o.trim_matches([' ', '\t'])) {
                close |= option.eq_ignore_ascii_case("close");
                keep_alive |= option.eq_ignore_ascii_case("keep-alive");
            }
        } else if is("expect") && version == Version::Http11 {
            // An HTTP/1.0 client's expectation is ignored (RFC 9110 10.1.1).
            if !value.eq_ignore_ascii_case("100-continue") {
                return Err(RequestError::UnsupportedExpectation);
            }
            head.expect_continue = true;
        } else if is("host") {
            hosts += 1;
            head.host = Some(value.to_owned());
        } else if is("cookie") {
            join(&mut head.cookie, value, "; ");
        } else if is("accept") {
            join(&mut head.accept, value, ", ");
        } else if is("x-forwarded-for") {
            join(&mut head.forwarded_for, value, ", ");
        } else if is("if-none-match") {
            join(&mut head.if_none_match, value, ", ");
        } else if is("origin") {
            single(&mut head.origin, value, "origin")?;
        } else if is("x-chatd-session") {
            single(&mut head.session, value, "x-chatd-session")?;
        } else if is("last-event-id") {
            single(&mut head.last_event_id, value, "last-event-id")?;
        } else if is("content-type") {
            single(&mut head.content_type, value, "content-type")?;
        }
    }
    if hosts > 1 || (hosts == 0 && version == Version::Http11) || !head.host.as_deref().is_none_or(is_host) {
        return Err(RequestError::BadHost);
    }
    if target.authority.is_some() {
        head.host = target.authority;
    }
    if let Some(codings) = codings {
        check_codings(&codings, content_length.is_some(), version)?;
    }
    let length = content_length.unwrap_or(0);
    head.content_length = match usize::try_from(length) {
        Ok(length) if length <= limits.max_body_bytes => length,
        _ => return Err(RequestError::BodyTooLarge { length, limit: limits.max_body_bytes }),
    };
    head.keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => keep_alive && !close,
    };
    Ok(head)
}

/// `Content-Length = 1*DIGIT` (RFC 9110 8.6); a number past `u64` is too large, not malformed.
fn parse_length(text: &str) -> Result<u64, RequestError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RequestError::BadContentLength);
    }
    Ok(text.parse().unwrap_or(u64::MAX))
}

/// Decides what a `Transfer-Encoding` means for a request (RFC 9112 6.1 and 6.3).
fn check_codings(codings: &[String], has_length: bool, version: Version) -> Result<(), RequestError> {
    if has_length {
        return Err(RequestError::LengthAndTransferEncoding);
    }
    // An HTTP/1.0 message with it "MUST be treated as if the framing is faulty" (RFC 9112 6.1).
    if version == Version::Http10 || codings.last().is_none_or(|last| last != "chunked") {
        return Err(RequestError::BadTransferEncoding);
    }
    if codings.iter().any(|coding| coding != "chunked") {
        return Err(RequestError::UnsupportedTransferEncoding);
    }
    if codings.len() > 1 {
        // "A sender MUST NOT apply the chunked transfer coding more than once" (RFC 9112 6.1).
        return Err(RequestError::BadTransferEncoding);
    }
    Err(RequestError::LengthRequired)
}

/// Appends a list-valued field's line to what came before (RFC 9110 5.3).
fn join(slot: &mut Option<String>, value: &str, separator: &str) {
    match slot {
        Some(joined) => {
            joined.push_str(separator);
            joined.push_str(value);
        }
        None => *slot = Some(value.to_owned()),
    }
}

/// Keeps a field that must come once; a second copy could mean two parties disagree on it.
fn single(slot: &mut Option<String>, value: &str, name: &'static str) -> Result<(), RequestError> {
    if slot.is_some() {
        return Err(RequestError::RepeatedField(name));
    }
    *slot = Some(value.to_owned());
    Ok(())
}

#[cfg(test)]
#[path = "head_tests.rs"]
mod tests;

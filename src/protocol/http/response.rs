//! HTTP/1.1 responses to bytes: status line, `Date`, `Content-Length` (always, so a kept-alive
//! connection knows where each answer ends), `Connection`, the fields a route adds, and the body;
//! and `SetCookie`, the session cookie.
//!
//! The constructors carry the rules the web face must never forget: dynamic answers are
//! `Cache-Control: no-store`, the HTML page has the security headers, 405 says `Allow`, 301 says
//! `Location`, errors close the connection, HEAD gets GET's fields and no body. Pure: `now` is
//! an argument. Field values cannot break the head: CR, LF and NUL are dropped from them.

use super::StatusCode;
use super::head::{Head, Method, RequestError, Version};
use crate::core::time::http_date;
use crate::protocol::Millis;

/// What the reader writes when a client sent `Expect: 100-continue` and the body is wanted
/// (`RequestFramer::take_continue`).
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The HTML page's policy: everything from chatd itself, nothing inline, no plugins, no
/// framing, so a message that slipped past escaping still could not run script.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Content-Type` of plain-text answers.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// `Content-Type` of JSON answers.
pub const APPLICATION_JSON: &str = "application/json";
/// `Content-Type` of the page.
pub const TEXT_HTML: &str = "text/html; charset=utf-8";

/// One response, ready to encode for the request it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    status: StatusCode,
    /// Fields in the order they are written; names are chatd's own, values are cleaned.
    fields: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// The connection closes after this answer, whatever the request asked.
    close: bool,
}

impl Response {
    /// A response with no fields and no body.
    pub fn new(status: StatusCode) -> Response {
        Response { status, fields: Vec::new(), body: Vec::new(), close: false }
    }

    /// A dynamic answer: the body, its type, and `Cache-Control: no-store` (status pages,
    /// metrics, session answers must never be served from a cache).
    pub fn dynamic(status: StatusCode, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status).with_body(content_type, body).no_store()
    }

    /// A dynamic plain-text answer.
    pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
        Response::dynamic(status, TEXT_PLAIN, body.into())
    }

    /// A dynamic JSON answer; `body` is JSON already.
    pub fn json(status: StatusCode, body: impl Into<String>) -> Response {
        Response::dynamic(status, APPLICATION_JSON, body.into())
    }

    /// The HTML page, with the security headers. Caching is the caller's choice (the page is
    /// the same bytes for everyone until chatd is upgraded).
    pub fn html(body: impl Into<Vec<u8>>) -> Response {
        Response::new(StatusCode::OK).with_body(TEXT_HTML, body).with_security_headers()
    }

    /// `301 Moved Permanently` to `location`, as the old gateways sent unknown paths away.
    pub fn redirect(location: &str) -> Response {
        Response::text(StatusCode::MOVED_PERMANENTLY, format!("moved to {location}\n")).with_field("Location", location)
    }

    /// `405 Method Not Allowed` with the methods the path takes (RFC 9110 15.5.6: `Allow` is
    /// required).
    pub fn method_not_allowed(allowed: &[&str]) -> Response {
        Response::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").with_field("Allow", &allowed.join(", "))
    }

    /// `304 Not Modified` for a cached `etag` (RFC 9110 15.4.5: it repeats the `ETag`).
    pub fn not_modified(etag: &str) -> Response {
        Response::new(StatusCode::NOT_MODIFIED).with_field("ETag", etag)
    }

    /// The answer to a request that cannot be served; the connection closes after it.
    pub fn for_error(error: &RequestError) -> Response {
        Response::text(error.status(), format!("{error}\n")).closing()
    }

    /// `408 Request Timeout`, for a request not complete in time; the connection closes.
    pub fn timeout() -> Response {
        Response::text(StatusCode::REQUEST_TIMEOUT, "request not complete in time\n").closing()
    }

    /// Sets the body and its `Content-Type`.
    pub fn with_body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        self.fields.retain(|(name, _)| *name != "Content-Type");
        self.fields.push(("Content-Type", clean(content_type)));
        self.body = body.into();
        self
    }

    /// Adds a field (a field may repeat, as `Set-Cookie` does). `Date`, `Content-Length` and
    /// `Connection` are `to_bytes`'s alone: added here they are ignored, since a second
    /// `Content-Length` would make the answer unreadable.
    pub fn with_field(mut self, name: &'static str, value: &str) -> Response {
        if !["Date", "Content-Length", "Connection"].iter().any(|own| own.eq_ignore_ascii_case(name)) {
            self.fields.push((name, clean(value)));
        }
        self
    }

    /// `Cache-Control: no-store`.
    pub fn no_store(self) -> Response {
        self.with_field("Cache-Control", "no-store")
    }

    /// The headers a careful server sends with HTML: no content sniffing, a strict
    /// `Content-Security-Policy`, no referrer, no framing.
    pub fn with_security_headers(self) -> Response {
        self.with_field("X-Content-Type-Options", "nosniff")
            .with_field("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            .with_field("Referrer-Policy", "no-referrer")
            .with_field("X-Frame-Options", "DENY")
    }

    /// Adds `Set-Cookie`.
    pub fn with_cookie(self, cookie: &SetCookie<'_>) -> Response {
        self.with_field("Set-Cookie", &cookie.to_field_value())
    }

    /// Closes the connection after this answer (`Connection: close`).
    pub fn closing(mut self) -> Response {
        self.close = true;
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The value of the first field named `name` (ASCII case ignored).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Whether the connection stays open after this answer to `request` (`None`: a request
    /// whose head could not be read, which always closes).
    pub fn keeps_alive(&self, request: Option<&Head>) -> bool {
        !self.close && request.is_some_and(|head| head.keep_alive)
    }

    /// The bytes to send in answer to `request` at `now`. A `HEAD` request gets every field
    /// `GET` would, `Content-Length` included, and no body (RFC 9110 9.3.2).
    pub fn to_bytes(&self, now: Millis, request: Option<&Head>) -> Vec<u8> {
        let head_only = request.is_some_and(|head| head.method == Method::Head);
        let keep_alive = self.keeps_alive(request);
        let mut out = status_line_and_date(self.status, now);
        for (name, value) in &self.fields {
            push_field(&mut out, name, value);
        }
        let body = if self.status.forbids_body() { &[][..] } else { &self.body[..] };
        // RFC 9110 8.6: never in a 1xx or 204; a 304's would have to be the cached length.
        if !self.status.forbids_body() {
            push_field(&mut out, "Content-Length", &body.len().to_string());
        }
        if !keep_alive {
            push_field(&mut out, "Connection", "close");
        } else if request.is_some_and(|head| head.version == Version::Http10) {
            // An HTTP/1.0 client closes unless told otherwise (RFC 9112 9.3).
            push_field(&mut out, "Connection", "keep-alive");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only {
            out.extend_from_slice(body);
        }
        out
    }
}

/// `HTTP/1.1 200 OK` and `Date`, the start of every answer (streams too).
pub(super) fn status_line_and_date(status: StatusCode, now: Millis) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n").into_bytes();
    push_field(&mut out, "Date", &http_date(now));
    out
}

pub(super) fn push_field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A field value without the bytes that would end the field or the head early (CR, LF, NUL)
/// and without surrounding whitespace (RFC 9110 5.5).
fn clean(value: &str) -> String {
    value.chars().filter(|c| !matches!(c, '\r' | '\n' | '\0')).collect::<String>().trim().to_owned()
}

/// A `Set-Cookie` value for the session cookie: `HttpOnly` (no script reads it),
/// `SameSite=Strict` (no other site's page sends it), `Path=/` (RFC 6265 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetCookie<'a> {
    pub name: &'a str,
    pub value: &'a str,
    /// `Max-Age` in seconds; `None` makes a cookie that ends with the browser session.
    pub max_age_secs: Option<u64>,
    /// `Secure`: only over HTTPS (behind a TLS-terminating proxy).
    pub secure: bool,
}

impl<'a> SetCookie<'a> {
    /// A session cookie with no expiry, not `Secure`.
    pub fn session(name: &'a str, value: &'a str) -> SetCookie<'a> {
        SetCookie { name, value, max_age_secs: None, secure: false }
    }

    /// The cookie that makes the browser forget `name` (`Max-Age=0`), for `/quit`.
    pub fn expired(name: &'a str) -> SetCookie<'a> {
        SetCookie { name, value: "", max_age_secs: Some(0), secure: false }
    }

    /// The field value. Characters a cookie name or value may not hold (RFC 6265 4.1.1:
    /// controls, spaces, `"`, `,`, `;`, `\`, non-ASCII; and separators in the name) are left out.
    pub fn to_field_value(&self) -> String {
        let name: String = self.name.chars().filter(|&c| is_token_char(c)).collect();
        let value: String = self.value.chars().filter(|&c| is_cookie_octet(c)).collect();
        let mut out = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
        if let Some(secs) = self.max_age_secs {
            out.push_str(&format!("; Max-Age={secs}"));
        }
        if self.secure {
            out.push_str("; Secure");
        }
        out
    }
}

/// RFC 6265 4.1.1 `cookie-octet`.
fn is_cookie_octet(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '"' | ',' | ';' | '\\')
}

/// RFC 9110 5.6.2 `tchar`.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;

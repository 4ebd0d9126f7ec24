//! Unit tests of `response`: the exact bytes of the answers the web face sends.

use super::*;
use crate::protocol::http::head::{Limits, parse_head};

/// RFC 9110's example date.
const NOW: Millis = 784_111_777_000;
const DATE: &str = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

fn request(text: &str) -> Head {
    parse_head(text.as_bytes(), &Limits::default()).unwrap().unwrap().0
}

fn get() -> Head {
    request("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_text_answer_has_length_date_and_no_store() {
    let response = Response::text(StatusCode::OK, "Clients: 1/128\n");
    assert_eq!(
        text(response.to_bytes(NOW, Some(&get()))),
        format!(
            "HTTP/1.1 200 OK\r\n{DATE}Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n\
             Content-Length: 15\r\n\r\nClients: 1/128\n"
        )
    );
    assert!(response.keeps_alive(Some(&get())));
}

#[test]
fn head_gets_gets_fields_without_the_body() {
    let response = Response::json(StatusCode::OK, "{}");
    let head = request("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    let answer = text(response.to_bytes(NOW, Some(&head)));
    assert!(answer.ends_with("Content-Length: 2\r\n\r\n"), "{answer}");
    assert!(answer.contains("Content-Type: application/json\r\n"));
}

#[test]
fn the_page_has_the_security_headers() {
    let answer = text(Response::html("<!doctype html>").to_bytes(NOW, Some(&get())));
    for field in [
        "Content-Type: text/html; charset=utf-8",
        "X-Content-Type-Options: nosniff",
        "Content-Security-Policy: default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        "Referrer-Policy: no-referrer",
        "X-Frame-Options: DENY",
        "Content-Length: 15",
    ] {
        assert!(answer.contains(&format!("\r\n{field}\r\n")), "{field} missing from {answer}");
    }
    assert!(!answer.contains("unsafe-inline"));
}

#[test]
fn redirects_and_405_carry_their_fields() {
    let moved = Response::redirect("https://example.org/chat");
    assert_eq!(moved.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.field("location"), Some("https://example.org/chat"));
    let wrong = Response::method_not_allowed(&["GET", "HEAD"]);
    assert_eq!(wrong.field("Allow"), Some("GET, HEAD"));
    assert!(text(wrong.to_bytes(NOW, Some(&get()))).starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
}

#[test]
fn errors_close_the_connection() {
    let error = RequestError::BodyTooLarge { length: 5000, limit: 4096 };
    let response = Response::for_error(&error);
    let answer = text(response.to_bytes(NOW, None));
    assert!(answer.starts_with("HTTP/1.1 413 Content Too Large\r\n"), "{answer}");
    assert!(answer.contains("\r\nConnection: close\r\n\r\nrequest body of 5000 bytes is over the limit of 4096\n"));
    assert!(!response.keeps_alive(Some(&get())));
    let timeout = text(Response::timeout().to_bytes(NOW, None));
    assert!(timeout.starts_with("HTTP/1.1 408 Request Timeout\r\n") && timeout.contains("Connection: close"));
}

#[test]
fn connection_follows_the_request() {
    let closing = request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    assert!(text(Response::new(StatusCode::OK).to_bytes(NOW, Some(&closing))).contains("Connection: close\r\n"));
    let old_kept = request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert!(text(Response::new(StatusCode::OK).to_bytes(NOW, Some(&old_kept))).contains("Connection: keep-alive\r\n"));
    let answer = text(Response::new(StatusCode::OK).to_bytes(NOW, Some(&get())));
    assert_eq!(answer, format!("HTTP/1.1 200 OK\r\n{DATE}Content-Length: 0\r\n\r\n"));
}

#[test]
fn bodiless_statuses_have_no_length_or_body() {
    let answer = text(Response::not_modified("\"v1\"").to_bytes(NOW, Some(&get())));
    assert_eq!(answer, format!("HTTP/1.1 304 Not Modified\r\n{DATE}ETag: \"v1\"\r\n\r\n"));
    let answer = text(Response::text(StatusCode::NO_CONTENT, "dropped").to_bytes(NOW, Some(&get())));
    assert!(answer.ends_with("Cache-Control: no-store\r\n\r\n"), "{answer}");
}

#[test]
fn field_values_cannot_split_the_head() {
    let response = Response::redirect("/x\r\nSet-Cookie: evil=1\0");
    assert_eq!(response.field("Location"), Some("/xSet-Cookie: evil=1"));
    let answer = text(response.to_bytes(NOW, Some(&get())));
    let (head, _) = answer.split_once("\r\n\r\n").unwrap();
    assert!(!head.contains("\r\nSet-Cookie"), "{answer}");
}

#[test]
fn session_cookies_are_httponly_strict_and_sitewide() {
    assert_eq!(
        SetCookie::session("chatd_session", "q8Xv-_3k").to_field_value(),
        "chatd_session=q8Xv-_3k; Path=/; HttpOnly; SameSite=Strict"
    );
    assert_eq!(
        SetCookie { max_age_secs: Some(3600), secure: true, ..SetCookie::session("s", "v") }.to_field_value(),
        "s=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure"
    );
    assert_eq!(SetCookie::expired("s").to_field_value(), "s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    // What a cookie cannot hold is left out rather than breaking the field.
    assert_eq!(
        SetCookie::session("a b;c", "x; Domain=evil\r\n\"é").to_field_value(),
        "abc=xDomain=evil; Path=/; HttpOnly; SameSite=Strict"
    );
    let answer = text(Response::new(StatusCode::OK).with_cookie(&SetCookie::session("s", "v")).to_bytes(NOW, None));
    assert!(answer.contains("\r\nSet-Cookie: s=v; Path=/; HttpOnly; SameSite=Strict\r\n"));
}

#[test]
fn every_status_has_its_reason() {
    for code in [200, 204, 301, 304, 400, 403, 404, 405, 408, 409, 411, 413, 415, 417, 429, 431, 500, 501, 503, 505] {
        let status = StatusCode(code);
        assert!(!status.reason().is_empty(), "{code}");
        assert_eq!(status.to_string(), format!("{code} {}", status.reason()));
    }
    assert_eq!(CONTINUE, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn framing_fields_are_written_once() {
    let response = Response::text(StatusCode::OK, "x").with_field("content-length", "99").with_field("Connection", "x");
    let answer = text(response.to_bytes(NOW, Some(&get())));
    assert_eq!(answer.matches("Content-Length").count(), 1, "{answer}");
    assert!(answer.contains("Content-Length: 1\r\n") && !answer.contains("Connection"), "{answer}");
}

//! Unit tests of `RequestFramer`: requests however reads split them, pipelining, bodies, the
//! end after errors and closing requests, and what `in_progress` says when.

use super::*;
use crate::protocol::http::{Method, StatusCode};

/// Everything the framer yields for `chunks` pushed one after another.
fn frame(chunks: &[&[u8]]) -> Vec<Result<Request, RequestError>> {
    let mut framer = RequestFramer::new();
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(item) = framer.next_request() {
            out.push(item);
        }
    }
    out
}

fn paths(items: &[Result<Request, RequestError>]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            Ok(request) => format!("{} {}", request.head.method.as_str(), request.head.path),
            Err(error) => format!("error {}", error.status().code()),
        })
        .collect()
}

const GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
const POST: &[u8] = b"POST /say HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn one_request_in_one_read() {
    let items = frame(&[GET]);
    assert_eq!(paths(&items), ["GET /a"]);
    let Ok(request) = &items[0] else { panic!() };
    assert_eq!(request.wire_len, GET.len());
    assert!(request.body.is_empty());
}

#[test]
fn a_body_comes_with_its_head() {
    let items = frame(&[POST]);
    let Ok(request) = &items[0] else { panic!("{items:?}") };
    assert_eq!(request.head.method, Method::Post);
    assert_eq!(request.body, b"hello");
    assert_eq!(request.wire_len, POST.len());
}

#[test]
fn pipelined_requests_come_out_in_order() {
    let all = [GET, POST, b"\r\n", GET].concat();
    assert_eq!(paths(&frame(&[&all])), ["GET /a", "POST /say", "GET /a"]);
}

#[test]
fn any_split_gives_the_same_requests() {
    let all = [POST, GET, POST].concat();
    let whole = frame(&[&all]);
    for cut in 0..=all.len() {
        let (a, b) = all.split_at(cut);
        assert_eq!(frame(&[a, b]), whole, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = all.chunks(1).collect();
    assert_eq!(frame(&bytes), whole);
}

#[test]
fn in_progress_spans_a_started_request() {
    let mut framer = RequestFramer::new();
    assert!(!framer.in_progress());
    framer.push(b"\r\n");
    assert!(framer.next_request().is_none());
    assert!(!framer.in_progress(), "an empty line starts nothing");
    framer.push(b"POST /say HTTP/1.1\r\nHost: h\r\n");
    assert!(framer.next_request().is_none());
    assert!(framer.in_progress());
    framer.push(b"Content-Length: 5\r\n\r\nhel");
    assert!(framer.next_request().is_none());
    assert!(framer.in_progress(), "a body that has not all come");
    framer.push(b"lo");
    assert!(matches!(framer.next_request(), Some(Ok(_))));
    assert!(!framer.in_progress());
    assert_eq!(framer.buffered(), 0);
    assert!(!framer.is_finished());
}

#[test]
fn an_error_ends_the_connection() {
    let mut framer = RequestFramer::new();
    framer.push(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n");
    framer.push(GET);
    let Some(Err(error)) = framer.next_request() else { panic!() };
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert!(framer.is_finished());
    assert!(framer.next_request().is_none());
    framer.push(GET);
    assert!(framer.next_request().is_none());
    assert!(!framer.in_progress());
    assert_eq!(framer.buffered(), 0);
}

#[test]
fn a_closing_request_is_the_last() {
    let closing = b"GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    assert_eq!(paths(&frame(&[closing, GET])), ["GET /x"]);
    let old = b"GET /old HTTP/1.0\r\n\r\n";
    assert_eq!(paths(&frame(&[&[old.as_slice(), GET].concat()])), ["GET /old"]);
    let kept = b"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    assert_eq!(paths(&frame(&[kept, GET])), ["GET /old", "GET /a"]);
}

#[test]
fn a_large_body_is_refused_before_it_arrives() {
    let mut framer = RequestFramer::new();
    framer.push(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n");
    let Some(Err(error)) = framer.next_request() else { panic!() };
    assert_eq!(error.status(), StatusCode::CONTENT_TOO_LARGE);
}

#[test]
fn a_slow_endless_head_is_cut_at_the_limit() {
    let mut framer = RequestFramer::new();
    framer.push(b"GET / HTTP/1.1\r\nHost: h\r\n");
    let mut answer = None;
    for _ in 0..10_000 {
        framer.push(b"X-Slow: loris\r\n");
        if let Some(item) = framer.next_request() {
            answer = Some(item);
            break;
        }
        assert!(framer.buffered() <= 8192);
    }
    let Some(Err(error)) = answer else { panic!("{answer:?}") };
    assert_eq!(error.status(), StatusCode::HEADER_FIELDS_TOO_LARGE);
}

#[test]
fn binary_garbage_after_a_request_line_is_400() {
    let mut garbage = b"GET / HTTP/1.1\r\n".to_vec();
    garbage.extend((0..=255u8).cycle().take(2000));
    let items = frame(&[&garbage]);
    assert_eq!(paths(&items), ["error 400"]);
}

#[test]
fn continue_is_due_once_while_the_body_is_awaited() {
    let mut framer = RequestFramer::new();
    framer.push(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    assert!(framer.next_request().is_none());
    assert!(framer.take_continue());
    assert!(!framer.take_continue());
    framer.push(b"ok");
    assert!(matches!(framer.next_request(), Some(Ok(_))));
    assert!(!framer.take_continue());
    // A client that sent the body anyway needs no 100.
    framer.push(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
    assert!(matches!(framer.next_request(), Some(Ok(_))));
    assert!(!framer.take_continue());
}

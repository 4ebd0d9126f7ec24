//! The HTTP request framer (`chatd::protocol::http::RequestFramer`): a connection's bytes to
//! requests, with the head parsed by `httparse` and the rules of `http::head` on top.
//!
//! Input: one byte picking the limits (bit 0: the defaults, else small limits from bits 1-7, so
//! the 413 and 431 paths are common), one byte seeding the read sizes, then the bytes a peer
//! sends.
//!
//! Checks: the requests and the error do not depend on how reads split the input (one read,
//! one byte per read, reads of varying sizes); the bytes requests take never exceed the input,
//! and what the framer holds between reads is less than one head or one body at the limits;
//! every body is exactly its `Content-Length` and within the limit; every head is within its
//! limit and its path starts with `/` (or is `*`); an error is the last thing yielded and maps
//! to a 4xx or 5xx status; nothing yields after a request that does not keep the connection
//! alive; the `Head` helpers and the response to every outcome never panic, and a response's
//! head is well-formed. And `detect_request_line` on the input's prefixes never decides too
//! early, has decided by the first LF, takes only lines opening with a listed method for
//! HTTP, and of those, what it calls not HTTP the framer refuses.
#![no_main]

use chatd::protocol::http::{Limits, Request, RequestError, RequestFramer, Response, StatusCode, detect_request_line};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};

type Outcome = Result<Request, RequestError>;

fn limits(control: u8) -> Limits {
    if control & 1 == 1 {
        return Limits::default();
    }
    let pick = usize::from(control >> 1);
    Limits { max_head_bytes: 16 + pick * 8, max_headers: 1 + pick % 8, max_body_bytes: pick % 33 }
}

/// Everything the framer yields for `input` pushed in reads of the given sizes (cycled; 0 is
/// taken as 1).
fn frame(limits: Limits, input: &[u8], sizes: &mut dyn Iterator<Item = usize>) -> Vec<Outcome> {
    let mut framer = RequestFramer::with_limits(limits);
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let size = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, after) = rest.split_at(size);
        framer.push(chunk);
        while let Some(outcome) = framer.next_request() {
            out.push(outcome);
        }
        let _ = framer.take_continue();
        // What waits is a part of one head or one body, so memory stays within the limits.
        let bound = limits.max_head_bytes.max(limits.max_body_bytes).max(1);
        assert!(framer.buffered() < bound, "{} bytes buffered, limits {limits:?}", framer.buffered());
        rest = after;
    }
    // An empty read changes nothing.
    framer.push(&[]);
    assert!(framer.next_request().is_none(), "an empty read completed a request");
    out
}

fn check(limits: Limits, input: &[u8], outcomes: &[Outcome]) {
    let mut taken = 0usize;
    for (i, outcome) in outcomes.iter().enumerate() {
        let last = i + 1 == outcomes.len();
        match outcome {
            Ok(request) => {
                let head = &request.head;
                assert_eq!(request.body.len(), head.content_length, "body length differs from Content-Length");
                assert!(head.content_length <= limits.max_body_bytes, "body over the limit");
                assert!(request.wire_len >= request.body.len(), "wire length shorter than the body");
                assert!(request.wire_len - request.body.len() <= limits.max_head_bytes, "head over the limit");
                assert!(head.path.starts_with('/') || head.path == "*", "path {:?}", head.path);
                assert!(head.keep_alive || last, "a request after one that closes the connection");
                taken += request.wire_len;
                // The helpers the web face calls must cope with any field.
                let _ = head.cookie("chatd_session");
                let _ = head.wants_json();
                let _ = head.query_param("after");
                let _ = head.forwarded_for_rightmost();
                let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
                let _ = head.client_addr(proxy, |addr| addr.is_loopback() || addr.is_unspecified());
                let _ = head.not_modified("\"v1\"");
                let response = Response::text(StatusCode::OK, String::from_utf8_lossy(&request.body));
                check_response(&response.to_bytes(0, Some(head)), head.method.as_str() == "HEAD");
            }
            Err(error) => {
                assert!(last, "something came after an error");
                let code = error.status().code();
                assert!((400..600).contains(&code), "error status {code}");
                check_response(&Response::for_error(error).to_bytes(0, None), false);
            }
        }
    }
    assert!(taken <= input.len(), "requests took {taken} bytes of {}", input.len());
}

/// A response head: status line, fields each with a name and `: `, no bare CR or LF, ended by
/// an empty line; and a body of exactly `Content-Length` bytes (none for HEAD).
fn check_response(bytes: &[u8], head_only: bool) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("response is not UTF-8 ({e})"));
    let (head, body) = text.split_once("\r\n\r\n").expect("response head ends with an empty line");
    let mut lines = head.split("\r\n");
    assert!(lines.next().is_some_and(|status| status.starts_with("HTTP/1.1 ")), "status line of {head:?}");
    let mut length = None;
    for line in lines {
        assert!(!line.contains(['\r', '\n', '\0']), "bare CR, LF or NUL in {line:?}");
        let (name, value) = line.split_once(": ").unwrap_or_else(|| panic!("field without a name: {line:?}"));
        if name == "Content-Length" {
            length = value.parse::<usize>().ok();
        }
    }
    let expected = if head_only { 0 } else { length.unwrap_or(0) };
    assert_eq!(body.len(), expected, "body length in {text:?}");
}

/// The methods detection takes a connection for HTTP with, as its documentation lists them.
const OPENING_METHODS: [&str; 10] =
    ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"];

/// `detect_request_line` never decides too early: once a prefix decides, every longer prefix
/// decides the same; it has decided by the first LF; it takes for HTTP only lines that open
/// with a listed method and a space; and of those, what it calls not HTTP the framer refuses.
fn check_detection(input: &[u8], whole: &[Outcome]) {
    let input = &input[..input.len().min(512)];
    let mut decided = None;
    for end in 0..=input.len() {
        let answer = detect_request_line(&input[..end]);
        if let Some(earlier) = decided {
            assert_eq!(answer, Some(earlier), "decided {earlier} on a prefix, then {answer:?} at {end}");
        }
        if input[..end].contains(&b'\n') {
            assert!(answer.is_some(), "undecided after a line end");
        }
        decided = answer;
    }
    let opens = OPENING_METHODS.iter().any(|m| input.starts_with(format!("{m} ").as_bytes()));
    if decided == Some(true) {
        assert!(opens, "taken for HTTP without a listed method");
    }
    if decided == Some(false) && opens {
        assert!(matches!(whole.first(), Some(Err(_))), "not a request line, but the framer read {:?}", whole.first());
    }
}

fuzz_target!(|data: &[u8]| {
    let [control, seed, input @ ..] = data else { return };
    let limits = limits(*control);
    let whole = frame(limits, input, &mut std::iter::empty());
    check(limits, input, &whole);
    check_detection(input, &whole);
    let bytewise = frame(limits, &input[..input.len().min(4096)], &mut std::iter::repeat(1));
    let whole_prefix = frame(limits, &input[..input.len().min(4096)], &mut std::iter::empty());
    assert_eq!(bytewise, whole_prefix, "one byte per read differs from one read");
    let mut state = u32::from(*seed) | 1;
    let mut sizes = std::iter::from_fn(move || {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        Some((state >> 16) as usize % 64)
    });
    assert_eq!(frame(limits, input, &mut sizes), whole, "reads of varying sizes differ from one read");
});

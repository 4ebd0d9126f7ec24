//! The dialect detector (`chatd::protocol::dialects::detect`): a connection's first bytes to IRC, netcat, or
//! "wait for more".
//!
//! Input: the first bytes a peer sends.
//!
//! Checks: the answer is the documented one (IRC when the first word is an IRC registration
//! command, in any case, and a separator follows it; HTTP when the first line is an HTTP/1.x
//! request line, as `http::detect_request_line` decides — that function has its own checks in the
//! `http_request` target; undecided while either could still come; netcat otherwise), and a
//! decision is never premature: once some prefix of the input is decided, every longer prefix is
//! decided the same way.
#![no_main]

use chatd::protocol::dialects::detect;
use chatd::protocol::http::detect_request_line;
use libfuzzer_sys::fuzz_target;

/// The words that open an IRC registration, as the IRC dialect's documentation lists them.
const OPENERS: [&str; 5] = ["CAP", "PASS", "NICK", "USER", "PING"];

/// The documented rule: IRC's written out independently of the implementation, then HTTP's.
fn expected(first: &[u8]) -> Option<&'static str> {
    match (irc_rule(first), detect_request_line(first)) {
        (Some("irc"), _) => Some("irc"),
        (_, Some(true)) => Some("http"),
        (None, _) | (_, None) => None,
        _ => Some("netcat"),
    }
}

/// IRC or not: `Some("netcat")` for "not IRC".
fn irc_rule(first: &[u8]) -> Option<&'static str> {
    let end = first.iter().position(|&b| matches!(b, b' ' | b'\r' | b'\n' | 0));
    let word = &first[..end.unwrap_or(first.len())];
    let is_opener = OPENERS.iter().any(|o| o.as_bytes().eq_ignore_ascii_case(word));
    let may_become_opener =
        OPENERS.iter().any(|o| o.len() >= word.len() && o.as_bytes()[..word.len()].eq_ignore_ascii_case(word));
    match end {
        Some(_) if is_opener => Some("irc"),
        Some(_) => Some("netcat"),
        None if may_become_opener => None,
        None => Some("netcat"),
    }
}

fuzz_target!(|data: &[u8]| {
    // The reader peeks at most 16 bytes; look a little further to be sure nothing changes.
    let data = &data[..data.len().min(64)];
    let mut decided: Option<(usize, &str)> = None;
    for len in 0..=data.len() {
        let prefix = &data[..len];
        let got = detect(prefix).map(|d| d.name());
        assert_eq!(got, expected(prefix), "detect({prefix:?})");
        match (decided, got) {
            (None, Some(dialect)) => decided = Some((len, dialect)),
            (Some((at, dialect)), got) => {
                assert_eq!(got, Some(dialect), "{:?} decided {dialect:?}, but {prefix:?} gives {got:?}", &data[..at])
            }
            (None, None) => {}
        }
    }
});

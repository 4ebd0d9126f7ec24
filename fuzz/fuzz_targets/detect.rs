//! The dialect detector (`chatd::protocol::dialects::detect`): a connection's first bytes to IRC,
//! HTTP, XML, netcat, or "wait for more".
//!
//! Input: the first bytes a peer sends.
//!
//! Checks: the answer is the documented one (IRC when the first word is an IRC registration
//! command, in any case, and a separator follows it; HTTP when the first line is an HTTP/1.x
//! request line, as `http::detect_request_line` decides — that function has its own checks in the
//! `http_request` target; XML when the bytes start with `<policy-file-request` or the first line is
//! `IDENTIFY` or `REGISTER` (any case) with exactly two arguments; undecided while any could still
//! come; netcat otherwise), and a
//! decision is never premature: once some prefix of the input is decided, every longer prefix is
//! decided the same way.
#![no_main]

use chatd::protocol::dialects::detect;
use chatd::protocol::http::detect_request_line;
use libfuzzer_sys::fuzz_target;

/// The words that open an IRC registration, as the IRC dialect's documentation lists them.
const OPENERS: [&str; 5] = ["CAP", "PASS", "NICK", "USER", "PING"];

/// The documented rule: IRC's and XML's written out independently of the implementation, and
/// HTTP's, first come first served.
fn expected(first: &[u8]) -> Option<&'static str> {
    match (irc_rule(first), detect_request_line(first), xml_rule(first)) {
        (Some("irc"), _, _) => Some("irc"),
        (_, Some(true), _) => Some("http"),
        (_, _, Some("xml")) => Some("xml"),
        (None, _, _) | (_, None, _) | (_, _, None) => None,
        _ => Some("netcat"),
    }
}

/// XML or not: `Some("netcat")` for "not XML".
fn xml_rule(first: &[u8]) -> Option<&'static str> {
    const POLICY: &[u8] = b"<policy-file-request";
    const LOGINS: [&str; 2] = ["IDENTIFY", "REGISTER"];
    if first.starts_with(POLICY) {
        return Some("xml");
    }
    if !first.is_empty() && POLICY.starts_with(first) {
        return None;
    }
    let end = first.iter().position(|&b| b == b'\n' || b == 0);
    let line: Vec<u8> = first[..end.unwrap_or(first.len())].iter().copied().filter(|&b| b != b'\r').collect();
    let is_login = |word: &[u8]| LOGINS.iter().any(|l| l.as_bytes().eq_ignore_ascii_case(word));
    if line.first() == Some(&b' ') {
        return Some("netcat");
    }
    let args = |rest: &[u8]| rest.split(|&b| b == b' ').filter(|w| !w.is_empty()).count();
    let split = line.iter().position(|&b| b == b' ').map(|at| (&line[..at], &line[at + 1..]));
    if end.is_some() {
        return match split {
            Some((command, rest)) if is_login(command) && args(rest) == 2 => Some("xml"),
            _ => Some("netcat"),
        };
    }
    match split {
        None if line.is_empty() => None,
        None if LOGINS
            .iter()
            .any(|l| l.len() >= line.len() && l.as_bytes()[..line.len()].eq_ignore_ascii_case(&line)) =>
        {
            None
        }
        Some((command, rest)) if is_login(command) && args(rest) <= 2 => None,
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

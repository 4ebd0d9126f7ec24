//! The IRCv3 message tags chatd writes or relays, apart from the wire grammar (`message` splits,
//! escapes and unescapes tags): `msgid` (IRCv3 message-ids), client-only `+tags`
//! (message-tags), and adding one tag to lines already rendered (`label` and `batch`, which the
//! IRC session puts on whole replies: see `labels` and `batch`).
//!
//! Pure: no state. Tag values are escaped here and nowhere else on the way out.

use super::message::escape_tag_value;
use crate::protocol::{Millis, MsgId};
use std::sync::Arc;

/// Longest `label` a client may send (IRCv3 labeled-response: "MUST NOT exceed 64 bytes").
pub const MAX_LABEL_BYTES: usize = 64;

/// Appends `n` in base 36 (`0-9a-z`), the shortest form IRC tag values allow without escaping.
pub fn base36(mut n: u64, out: &mut String) {
    let mut digits = [0u8; 13];
    let mut len = 0;
    loop {
        let digit = (n % 36) as u8;
        digits[len] = if digit < 10 { b'0' + digit } else { b'a' + digit - 10 };
        len += 1;
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[..len].iter().rev().map(|&d| char::from(d)));
}

#[cfg(test)]
/// The value `n` has in base 36, if `text` is a number there (lower-case, as `base36` writes).
fn from_base36(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 13 {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'z' => b - b'a' + 10,
            _ => return None,
        };
        n.checked_mul(36)?.checked_add(u64::from(digit))
    })
}

/// The `msgid` of message `id` in the run of the server that started at `started`: both in base
/// 36, joined by `-` (`lx4k1q2c-2s`). Message ids are counted per run (`protocol::MsgId`); a later
/// run has a later start time, so no two messages of any runs share a `msgid`.
pub fn msgid(started: Millis, id: MsgId) -> String {
    // Hex, as `CHATHISTORY` references read them back (`chathistory::parse_msgid`).
    format!("{started:x}-{id:x}")
}

/// The message id a `msgid` names when it is one of this run's (`started`); `None` for one of an
/// earlier run or anything else.
pub fn parse_msgid(started: Millis, msgid: &str) -> Option<MsgId> {
    let (run, id) = super::chathistory::parse_msgid(msgid)?;
    (run == started).then_some(id)
}

/// Whether `key` is a well-formed tag key (IRCv3 message-tags, "Format"):
/// `['+'] [vendor '/'] name`, the name letters, digits and hyphens, the vendor a host name.
pub fn valid_key(key: &str) -> bool {
    let key = key.strip_prefix('+').unwrap_or(key);
    let (vendor, name) = match key.rsplit_once('/') {
        Some((vendor, name)) => (Some(vendor), name),
        None => (None, key),
    };
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let vendor_ok = vendor.is_none_or(|vendor| {
        !vendor.is_empty() && vendor.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
    });
    name_ok && vendor_ok
}

/// The client-only tags (`+name`) among a line's tags, as they are relayed: well-formed keys
/// only, values escaped again, `;`-joined in the order sent; `None` when there are none. Tags
/// without `+` carry the server's meaning and are never relayed (message-tags, "Security
/// considerations"). The tags came within the client's limit (`message::MAX_CLIENT_TAG_BYTES`),
/// and relaying them adds nothing, so they stay within it.
pub fn client_only(tags: &[(String, Option<String>)]) -> Option<Arc<str>> {
    let mut relayed = String::new();
    for (key, value) in tags.iter().filter(|(key, _)| key.starts_with('+') && valid_key(key)) {
        if !relayed.is_empty() {
            relayed.push(';');
        }
        relayed.push_str(key);
        if let Some(value) = value {
            relayed.push('=');
            escape_tag_value(&mut relayed, value);
        }
    }
    (!relayed.is_empty()).then(|| relayed.into())
}

/// The value of tag `key` among a line's tags (`None` too for a tag without a value).
pub fn value<'a>(tags: &'a [(String, Option<String>)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.as_deref())
}

/// `key=value` with the value escaped: one tag, for `tag_line`.
pub fn tag(key: &str, value: &str) -> String {
    let mut tag = String::with_capacity(key.len() + value.len() + 1);
    tag.push_str(key);
    tag.push('=');
    escape_tag_value(&mut tag, value);
    tag
}

/// Appends `line` (one rendered line, CR LF included) to `out` with `tag` (`key=value`, escaped)
/// as its first tag: into the line's tag section when it has one, as a new one otherwise.
/// Server tags go before the client-only tags a line may carry (message-tags, "Client-only tags").
pub fn tag_line(line: &[u8], tag: &str, out: &mut Vec<u8>) {
    out.push(b'@');
    out.extend_from_slice(tag.as_bytes());
    match line.strip_prefix(b"@") {
        Some(tagged) => {
            out.push(b';');
            out.extend_from_slice(tagged);
        }
        None => {
            out.push(b' ');
            out.extend_from_slice(line);
        }
    }
}

/// The lines of rendered output, each with its CR LF (a last piece without one too).
pub fn lines(rendered: &[u8]) -> impl Iterator<Item = &[u8]> {
    rendered.split_inclusive(|&b| b == b'\n')
}

/// Appends every line of `rendered` to `out` with `tag` first (see `tag_line`).
pub fn tag_each_line(rendered: &[u8], tag: &str, out: &mut Vec<u8>) {
    for line in lines(rendered) {
        tag_line(line, tag, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b36(n: u64) -> String {
        let mut out = String::new();
        base36(n, &mut out);
        out
    }

    #[test]
    fn base36_round_trips() {
        assert_eq!(b36(0), "0");
        assert_eq!(b36(35), "z");
        assert_eq!(b36(36), "10");
        assert_eq!(b36(u64::MAX), "3w5e11264sgsf");
        for n in [0, 1, 35, 36, 1_700_000_000_000, u64::MAX] {
            assert_eq!(from_base36(&b36(n)), Some(n));
        }
        for bad in ["", "A", "-1", "3w5e11264sgsg", "10000000000000", "1 "] {
            assert_eq!(from_base36(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn msgids_name_the_run_and_the_message() {
        let started = 1_700_000_000_000;
        assert_eq!(msgid(started, 1), "18bcfe56800-1");
        assert_eq!(msgid(started, 36), "18bcfe56800-24");
        assert_eq!(parse_msgid(started, "18bcfe56800-24"), Some(36));
        // Another run's ids, and what is no msgid at all, name nothing.
        assert_eq!(parse_msgid(started + 1, "18bcfe56800-24"), None);
        for bad in ["", "-", "18bcfe56800", "18bcfe56800-", "18bcfe56800-1-2", "18BCFE56800-1", "x-y-z"] {
            assert_eq!(parse_msgid(started, bad), None, "{bad:?}");
        }
        assert_ne!(msgid(started, 12), msgid(started + 1, 12));
    }

    #[test]
    fn tag_keys_follow_the_grammar() {
        for good in ["a", "+a", "msgid", "+draft/reply", "+example.com/foo-bar", "x-1"] {
            assert!(valid_key(good), "{good:?}");
        }
        for bad in ["", "+", "+/a", "a b", "a=b", "+ex ample.com/x", "example.com/", "+a_b", "+é"] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn only_well_formed_client_only_tags_are_relayed_escaped_again() {
        let tags = vec![
            ("label".to_string(), Some("x".to_string())),
            ("+typing".to_string(), Some("active".to_string())),
            ("+draft/reply".to_string(), Some("a; b\\".to_string())),
            ("+bad key".to_string(), None),
            ("+flag".to_string(), None),
            ("time".to_string(), Some("forged".to_string())),
        ];
        assert_eq!(client_only(&tags).as_deref(), Some("+typing=active;+draft/reply=a\\:\\sb\\\\;+flag"));
        assert_eq!(client_only(&tags[..1]), None);
        assert_eq!(client_only(&[]), None);
        assert_eq!(value(&tags, "label"), Some("x"));
        assert_eq!(value(&tags, "+flag"), None);
        assert_eq!(value(&tags, "nope"), None);
    }

    #[test]
    fn a_tag_goes_first_into_each_line() {
        let mut out = Vec::new();
        tag_line(b":s 001 a :hi\r\n", "label=x", &mut out);
        tag_line(b"@time=t;+c=d :a!u@h PRIVMSG b :x\r\n", &tag("batch", "r 1"), &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "@label=x :s 001 a :hi\r\n@batch=r\\s1;time=t;+c=d :a!u@h PRIVMSG b :x\r\n"
        );
        let mut out = Vec::new();
        tag_each_line(b":s A\r\n:s B\r\n", "batch=1", &mut out);
        assert_eq!(out, b"@batch=1 :s A\r\n@batch=1 :s B\r\n");
        assert_eq!(lines(b"a\r\nb\r\n").count(), 2);
        assert_eq!(lines(b"").count(), 0);
    }
}

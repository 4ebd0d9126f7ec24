//! The IRC wire grammar (`chatd::protocol::irc::message`): `parse` on one line as the reader
//! gives it (framed, decoded with invalid UTF-8 as U+FFFD), and the writers that send lines back.
//!
//! Input: the bytes of one line.
//!
//! Checks: a parsed message is well formed (a valid uppercase command, at most 15 parameters,
//! middles that are single words, clean tags and prefix); `to_line` and `write_line` never write
//! CR, LF or NUL inside a line nor pass 512 bytes; a line that fits and that the reader could
//! deliver parses back to the same message from both; `split_text` pieces cover the text within
//! their budget; CTCP ACTION decoding and encoding round-trip.
#![no_main]

mod common;

use chatd::protocol::irc::message::{
    self, MAX_CLIENT_TAG_BYTES, MAX_LINE_BYTES, MAX_PARAMS, MessageError, ctcp_action, encode_action, split_text,
    write_line,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let message = match message::parse(&line) {
        Ok(message) => message,
        Err(MessageError::Empty) => return assert!(line.trim_start_matches(' ').is_empty(), "{line:?} is not empty"),
        Err(MessageError::TagsTooLong) => {
            let tags = line.trim_start_matches(' ').split(' ').next().unwrap_or("");
            return assert!(tags.len() + 1 > MAX_CLIENT_TAG_BYTES, "tags of {} bytes refused", tags.len());
        }
        Err(MessageError::MissingCommand | MessageError::BadCommand(_)) => return,
    };

    let command = message.command.as_bytes();
    assert!(
        (!command.is_empty() && command.iter().all(u8::is_ascii_uppercase))
            || (command.len() == 3 && command.iter().all(u8::is_ascii_digit)),
        "bad command {:?} from {line:?}",
        message.command
    );
    assert!(message.params.len() <= MAX_PARAMS, "{} parameters from {line:?}", message.params.len());
    if let Some((_, middles)) = message.params.split_last() {
        for middle in middles {
            assert!(
                !middle.is_empty() && !middle.contains(' ') && !middle.starts_with(':'),
                "middle parameter {middle:?} from {line:?}"
            );
        }
    }
    if let Some(prefix) = &message.prefix {
        assert!(!prefix.is_empty() && !prefix.contains(' '), "prefix {prefix:?} from {line:?}");
    }
    for (key, value) in &message.tags {
        assert!(!key.is_empty() && !key.contains([' ', ';', '=']), "tag key {key:?} from {line:?}");
        assert!(value.as_ref().is_none_or(|v| !v.is_empty()), "empty tag value kept from {line:?}");
    }

    // The reader delivers lines without CR, LF or NUL; a longer line than 512 is refused by
    // `irc::parse`, so only those that fit must come back unchanged. One byte of slack: a 15th
    // parameter with spaces in it gains a ':' when written.
    let deliverable = !line.contains(['\r', '\n', '\0']);
    let fits = common::untagged(line.trim_start_matches(' ')).trim_start_matches(' ').len() < MAX_LINE_BYTES - 2;

    let written = message.to_line();
    assert!(!written.contains(['\r', '\n', '\0']), "to_line wrote a line break: {written:?}");
    assert!(common::untagged(&written).len() <= MAX_LINE_BYTES - 2, "to_line passed 510 bytes: {written:?}");
    if deliverable && fits {
        assert_eq!(message::parse(&written).as_ref(), Ok(&message), "{line:?} was written as {written:?}");
    }

    let params: Vec<&str> = message.params.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    write_line(&mut out, message.prefix.as_deref(), &message.command, &params);
    let sent = std::str::from_utf8(&out).expect("write_line writes UTF-8");
    let body = sent.strip_suffix("\r\n").unwrap_or_else(|| panic!("write_line did not end with CR LF: {sent:?}"));
    assert!(!body.contains(['\r', '\n', '\0']), "write_line wrote a line break inside: {sent:?}");
    assert!(out.len() <= MAX_LINE_BYTES, "write_line wrote {} bytes: {sent:?}", out.len());
    if deliverable && fits {
        let mut untagged = message.clone();
        untagged.tags.clear();
        assert_eq!(message::parse(body), Ok(untagged), "{line:?} was sent as {sent:?}");
    }

    if let Some(text) = message.params.last() {
        for budget in [0, 1, 3, 9, 64, 400] {
            let pieces = split_text(text, budget);
            for piece in &pieces {
                // A character wider than the budget becomes a piece of its own.
                assert!(piece.len() <= budget.max(4), "piece of {} bytes for a budget of {budget}", piece.len());
            }
            common::assert_pieces_cover(text, &pieces);
        }
        if let Some(action) = ctcp_action(text) {
            assert_eq!(ctcp_action(&encode_action(action)), Some(action), "ACTION {action:?} does not round-trip");
        }
    }
});

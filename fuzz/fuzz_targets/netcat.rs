//! The netcat dialect's input side (`chatd::protocol::netcat`): `clean_input` on one framed line,
//! then `parse`, as the reader does.
//!
//! Input: the bytes of one line (any bytes: the framer does not look inside lines).
//!
//! Checks: `clean_input` only decodes (no tab, no trailing space, decoding again changes
//! nothing): names must reach the name rules as typed, so that one rule refuses them in every
//! dialect. `parse` never panics, its commands have the shape their usage promises (one-word
//! arguments hold no space, texts are non-empty), the free text it returns holds no control or
//! bidirectional control character (a plain line is kept as typed: the chat state cleans it),
//! and the error a user is told about their line renders as clean netcat lines.
#![no_main]

mod common;

use chatd::framing::Terminator;
use chatd::protocol::netcat::{self, View};
use chatd::protocol::{ChatError, Command, ParseError, Reply, TopicChange};
use libfuzzer_sys::fuzz_target;

/// What free text must not hold besides control characters: the bidirectional controls (LRM,
/// RLM, embeddings and overrides, isolates) that reorder what a terminal shows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A one-word argument: what the usage text calls NICK, #ROOM, KEY.
fn assert_word(what: &str, word: &str, line: &str) {
    assert!(!word.is_empty() && !word.contains(' '), "{what} {word:?} is not one word in {line:?}");
}

fn assert_text(what: &str, text: &str, line: &str) {
    assert!(!text.trim().is_empty(), "{what} is empty in {line:?}");
    assert_eq!(text, text.trim_end(), "{what} keeps trailing spaces in {line:?}");
    if let Some(bad) = text.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        panic!("{what} kept {bad:?} in {text:?} from {line:?}");
    }
}

fn check_command(command: &Command, line: &str) {
    match command {
        Command::Say { text } => {
            let expected = match line.strip_prefix("//") {
                Some(rest) => format!("/{rest}"),
                None => line.to_string(),
            };
            assert_eq!(text, &expected, "a plain line must be said as typed");
        }
        Command::Action { text } => assert_text("/me text", text, line),
        Command::Private { to, text } => {
            assert_word("/msg nick", to, line);
            assert_text("/msg text", text, line);
        }
        Command::Nick { nick } => assert_word("/nick", nick, line),
        Command::Join { room, key } => {
            assert_word("/join room", room, line);
            if let Some(key) = key {
                assert_word("/join key", key, line);
            }
        }
        Command::Part { room, reason } => {
            if let Some(room) = room {
                assert_word("/part room", room, line);
                assert!(room.starts_with('#'), "/part room without # in {line:?}");
            }
            if let Some(reason) = reason {
                assert_text("/part reason", reason, line);
            }
        }
        Command::Who { room: Some(room) } => assert_word("/who room", room, line),
        Command::Topic { room, change } => {
            if let Some(room) = room {
                assert_word("/topic room", room, line);
            }
            if let Some(TopicChange::Set(text)) = change {
                assert_text("/topic text", text, line);
            }
        }
        Command::Away { text: Some(text) } | Command::Quit { reason: Some(text) } => {
            assert_text("/away or /quit text", text, line)
        }
        Command::Help { command: Some(name) } => assert_word("/help command", name, line),
        Command::Kick { room, nick, reason } => {
            if let Some(room) = room {
                assert_word("/kick room", room, line);
            }
            assert_word("/kick nick", nick, line);
            if let Some(reason) = reason {
                assert_text("/kick reason", reason, line);
            }
        }
        Command::Mode { target, changes } => {
            assert!(target.is_empty() || !target.contains(' '), "/mode target {target:?} in {line:?}");
            for change in changes {
                assert_word("/mode change", change, line);
            }
        }
        Command::Invite { nick, room } => {
            assert_word("/invite nick", nick, line);
            if let Some(room) = room {
                assert_word("/invite room", room, line);
            }
        }
        Command::Rooms
        | Command::Users
        | Command::Who { room: None }
        | Command::Away { text: None }
        | Command::Quit { reason: None }
        | Command::Help { command: None } => {}
        other => panic!("the netcat parser produced an IRC-only command {other:?} from {line:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = netcat::clean_input(data);
    assert!(!text.contains('\t'), "clean_input kept a tab in {text:?}");
    assert_eq!(text.trim_end_matches(' '), text, "clean_input kept trailing spaces");
    assert_eq!(netcat::clean_input(text.as_bytes()), text, "cleaning twice changed the text");

    // The reader skips blank lines before parsing.
    if text.trim().is_empty() {
        return;
    }
    let parsed = netcat::parse(&text);
    assert_eq!(netcat::parse(&text), parsed, "parse is not deterministic");
    let error = match parsed {
        Ok(command) => return check_command(&command, &text),
        Err(error) => error,
    };
    match &error {
        ParseError::UnknownCommand(name) => assert!(name.starts_with('/'), "unknown command {name:?} without /"),
        ParseError::Usage(name) => assert!(netcat::command_help(name).is_some(), "usage of unknown /{name}"),
        other => panic!("the netcat parser produced {other:?} from {text:?}"),
    }
    for terminator in [Terminator::Newline, Terminator::Nul] {
        let mut out = Vec::new();
        let reply = Reply::Error(ChatError::Parse(error.clone()));
        netcat::render(&reply, View { multi_room: false, terminator }, &mut out);
        assert!(!out.is_empty(), "no answer to a bad line");
        common::check_netcat_output(&out, terminator);
    }
});

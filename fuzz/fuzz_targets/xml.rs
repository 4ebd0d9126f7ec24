//! The XMLSocket gateway (`chatd::protocol::xml`): its decoder on arbitrary bytes, and its
//! renderer and escaper on arbitrary text.
//!
//! Input: the first byte picks where the rest is split into two reads; the rest is what a client
//! sends, and also (decoded lossily) the text of a private message rendered for an XML client.
//!
//! Checks: nothing panics; how reads split the input never changes what the decoder makes of it;
//! nothing follows the policy answer; a line dropped as too long says the configured limit;
//! commands carry what they promise (one-word names and passwords, non-empty cleaned text); every
//! error a client is told renders as one well-formed `<error>` frame; a rendered message is one
//! well-formed `<msg>` frame whose `msg` unescapes to the text as netcat users would see it; and
//! `escape` round-trips every character XML 1.0 can carry and drops the rest.
#![no_main]

mod common;

use chatd::core::names::Nick;
use chatd::protocol::dialect::{Decoded, Dialect};
use chatd::protocol::text::{for_irc, for_netcat};
use chatd::protocol::xml::{self, face::XML};
use chatd::protocol::{AccountCommand, ChatError, Command, MessageKind, ParseError, Person, Reply};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const MAX_LINE: usize = 64;

/// What the decoder made of the input, comparable.
#[derive(Debug, PartialEq)]
enum Seen {
    Input(Option<chatd::framing::Terminator>, Result<Command, ParseError>),
    Answer(Vec<u8>, bool, Option<&'static str>),
}

fn decoded(chunks: &[&[u8]]) -> Vec<Seen> {
    let mut decoder = XML.decoder(MAX_LINE);
    let mut seen = Vec::new();
    for chunk in chunks {
        let mut out = Vec::new();
        decoder.decode(chunk, &mut out);
        for item in out {
            seen.push(match item {
                Decoded::Input { terminator, input } => Seen::Input(terminator, input),
                Decoded::Answer { bytes, close, note } => Seen::Answer(bytes, close, note),
                Decoded::Switch { .. } | Decoded::Request(_) => panic!("the XML decoder never switches or requests"),
            });
        }
    }
    seen
}

fn assert_word(what: &str, word: &str) {
    assert!(!word.is_empty() && !word.contains(' '), "{what} {word:?} is not one word");
}

fn assert_text(what: &str, text: &str) {
    assert!(!text.is_empty() && text.trim() == text, "{what} {text:?} is empty or untrimmed");
    assert_eq!(for_irc(text), text, "{what} {text:?} is not cleaned");
}

fn check_input(terminator: Option<chatd::framing::Terminator>, input: &Result<Command, ParseError>) {
    if terminator.is_none() {
        assert_eq!(input, &Err(ParseError::LineTooLong { limit: MAX_LINE }));
    }
    match input {
        Ok(Command::Account(AccountCommand::Identify { name: Some(name), password, .. }))
        | Ok(Command::Account(AccountCommand::Register { name: Some(name), password })) => {
            assert_word("name", name);
            assert_word("password", password);
        }
        Ok(Command::Private { to, text }) => {
            assert_word("MSG nick", to);
            assert_text("MSG text", text);
        }
        Ok(Command::Quit { reason: Some(reason) }) => assert_text("QUIT reason", reason),
        Ok(Command::Users | Command::Quit { reason: None }) => {}
        Ok(other) => panic!("the XML parser produced {other:?}"),
        Err(error) => {
            match error {
                ParseError::UnknownCommand(word) => assert!(!word.is_empty() && !word.contains(' ')),
                ParseError::Usage(name) => assert!(xml::usage(name).is_some(), "usage of unknown {name}"),
                ParseError::LineTooLong { .. } => {}
                other => panic!("the XML parser produced {other:?}"),
            }
            let mut out = Vec::new();
            xml::render(&Reply::Error(ChatError::Parse(error.clone())), &mut out);
            let elements = common::check_xml_output(&out);
            assert!(
                matches!(elements.as_slice(), [e] if e.name == "error" && e.attribute("value").is_some_and(|v| !v.is_empty())),
                "{elements:?}"
            );
        }
    }
}

fn person(nick: &str) -> Arc<Person> {
    Arc::new(Person {
        nick: Nick::parse(nick).expect("valid nick"),
        user: format!("~{nick}"),
        host: "127.0.0.1".into(),
        account: None,
        realname: nick.into(),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, input)) = data.split_first() else { return };
    let _ = XML.claims(input);
    let _ = XML.late_claim(input);

    let whole = decoded(&[input]);
    let at = usize::from(split) % (input.len() + 1);
    assert_eq!(decoded(&[&input[..at], &input[at..]]), whole, "split at {at}");
    for (i, seen) in whole.iter().enumerate() {
        match seen {
            Seen::Input(terminator, input) => check_input(*terminator, input),
            Seen::Answer(bytes, close, note) => {
                assert_eq!(i + 1, whole.len(), "something followed the policy answer");
                assert!(*close && *note == Some("policy_served") && bytes.ends_with(b"\0"));
            }
        }
    }

    let text = String::from_utf8_lossy(input);
    let mut escaped = String::new();
    xml::escape(&text, &mut escaped);
    let carried: String = text.chars().filter(|&c| common::is_xml_char(c)).collect();
    assert_eq!(common::xml_unescape(&escaped).as_deref(), Some(carried.as_str()), "escape of {text:?}");

    let reply = Reply::Private {
        id: 1,
        from: person("alice"),
        to: Nick::parse("bob").expect("valid nick"),
        text: text.as_ref().into(),
        kind: MessageKind::Normal,
        at: u64::from(split) * 3_600_123,
        echo: false,
        tags: None,
    };
    let mut out = Vec::new();
    xml::render(&reply, &mut out);
    let elements = common::check_xml_output(&out);
    let [msg] = elements.as_slice() else { panic!("one frame expected: {elements:?}") };
    assert_eq!(msg.name, "msg");
    assert_eq!((msg.attribute("aid"), msg.attribute("from")), (Some("alice"), Some("bob")));
    let shown: String = for_netcat(&text).chars().filter(|&c| common::is_xml_char(c)).collect();
    assert_eq!(msg.attribute("msg"), Some(shown.as_str()));
    let time = msg.attribute("time").unwrap_or_default().as_bytes();
    assert!(time.len() == 8 && time[2] == b':' && time[5] == b':', "time {time:?}");
});

//! The IRC dialect's command parser (`chatd::protocol::irc::parse`): one line, decoded as the
//! reader decodes it, to a `Command` or an error for the client.
//!
//! Input: the bytes of one line.
//!
//! Checks: `parse` agrees with the wire grammar about which lines are ignored and which are
//! errors; lines past 512 bytes (tags aside) are refused; commands carry what they promise
//! (non-empty nicknames and tokens, comma lists without empty items); and the error a client is
//! told, before and after registration, renders as valid IRC lines of at most 512 bytes.
//! `LIST`'s search terms (`irc::elist`) are parsed from the same bytes, and the same bytes as a
//! line that is not UTF-8 (`irc::refuse_non_utf8`) are refused with one valid line. A `label` (at
//! most 64 bytes) goes round what the line said, whatever it said; only well-formed client-only
//! tags are relayed on messages.
#![no_main]

mod common;

use chatd::protocol::history::{HistoryQuery, MAX_HISTORY_LIMIT};
use chatd::protocol::irc::message::{self, MAX_LINE_BYTES, MessageError};
use chatd::protocol::irc::{self, View, elist, tags};
use chatd::protocol::{ChatError, Command, ListFilter, MessageKind, ParseError, Reply, query};
use libfuzzer_sys::fuzz_target;

fn assert_list(what: &str, items: &[String], line: &str) {
    for item in items {
        assert!(!item.is_empty() && !item.contains(','), "{what} item {item:?} from {line:?}");
    }
}

fn assert_given(what: &str, value: &str, line: &str) {
    assert!(!value.is_empty(), "empty {what} from {line:?}");
}

/// Relayed tags: client-only, well-formed keys, values that cannot end the tag section.
fn check_client_tags(tags: Option<&str>, line: &str) {
    let Some(tags) = tags else { return };
    assert!(!tags.is_empty(), "empty client tags from {line:?}");
    for tag in tags.split(';') {
        let (key, value) = tag.split_once('=').unwrap_or((tag, ""));
        assert!(key.starts_with('+') && tags::valid_key(key), "relayed tag {key:?} from {line:?}");
        assert!(!value.contains([' ', '\r', '\n', '\0', ';']), "unescaped value {value:?} from {line:?}");
    }
}

fn check_command(command: &Command, line: &str) {
    match command {
        Command::Nick { nick } => assert_given("nickname", nick, line),
        Command::Ping { token } => assert_given("PING token", token, line),
        Command::User { user, .. } => assert_given("username", user, line),
        Command::Cap { sub, .. } => assert_eq!(sub, &sub.to_ascii_uppercase(), "CAP subcommand not uppercased"),
        Command::JoinMany { rooms, keys } => {
            assert_list("JOIN room", rooms, line);
            assert_list("JOIN key", keys, line);
        }
        Command::PartMany { rooms, .. } => assert_list("PART room", rooms, line),
        Command::Names { rooms } => assert_list("NAMES room", rooms, line),
        Command::Message { targets, text, kind, tags } => {
            assert_list("message target", targets, line);
            if *kind != MessageKind::Action {
                assert_given("message text", text, line);
            }
            check_client_tags(tags.as_deref(), line);
        }
        Command::KickMany { nicks, .. } => {
            assert!(!nicks.is_empty(), "KICK without a nick from {line:?}");
            assert_list("KICK nick", nicks, line);
        }
        Command::KickPairs { pairs, .. } => {
            assert!(pairs.len() > 1, "KICK pairs of fewer than two from {line:?}");
            let rooms: Vec<String> = pairs.iter().map(|(room, _)| room.clone()).collect();
            let nicks: Vec<String> = pairs.iter().map(|(_, nick)| nick.clone()).collect();
            assert_list("KICK room", &rooms, line);
            assert_list("KICK nick", &nicks, line);
        }
        Command::List { filters } => check_filters(filters, line),
        Command::TagMsg { targets, tags } => {
            assert_list("TAGMSG target", targets, line);
            check_client_tags(tags.as_deref(), line);
        }
        Command::Labeled { .. } => panic!("a label inside a label from {line:?}"),
        Command::Kick { nick, .. } => assert!(!nick.contains(','), "KICK nick {nick:?} from {line:?}"),
        Command::Whois { nick } => assert!(!nick.contains(','), "WHOIS nick {nick:?} from {line:?}"),
        Command::Ison { nicks } | Command::Userhost { nicks } => {
            for nick in nicks {
                assert!(!nick.is_empty() && !nick.contains(' '), "ISON/USERHOST nick {nick:?} from {line:?}");
            }
        }
        Command::Mode { target, changes } => {
            assert_given("MODE target", target, line);
            // A user's own modes are read from the same strings.
            let letters = changes.iter().flat_map(|c| c.chars()).filter(|c| !matches!(c, '+' | '-')).count();
            assert_eq!(query::parse_user_modes(changes).len(), letters, "user modes of {line:?}");
        }
        Command::WhoMask { mask, query } => {
            assert_given("WHO mask", mask, line);
            if let Some(token) = query.whox.as_ref().and_then(|fields| fields.token.as_ref()) {
                assert!(token.len() <= 3 && token.bytes().all(|b| b.is_ascii_digit()), "token {token:?} of {line:?}");
            }
        }
        Command::Whowas { nicks, count } => {
            assert!(!nicks.is_empty(), "WHOWAS without nicks from {line:?}");
            for nick in nicks {
                assert!(!nick.is_empty() && !nick.contains(','), "WHOWAS nick {nick:?} from {line:?}");
            }
            assert_ne!(*count, Some(0), "WHOWAS count 0 from {line:?}");
        }
        Command::Wallops { text } => assert_given("WALLOPS text", text, line),
        Command::ChatHistory(Ok(HistoryQuery::Messages { target, limit, .. })) => {
            assert_given("CHATHISTORY target", target, line);
            assert!(*limit <= MAX_HISTORY_LIMIT, "limit {limit} from {line:?}");
        }
        Command::ChatHistory(Ok(HistoryQuery::Targets { limit, .. })) => {
            assert!(*limit <= MAX_HISTORY_LIMIT, "limit {limit} from {line:?}")
        }
        // Told once registered, as a standard reply: one valid line, from the server.
        Command::ChatHistory(Err(fail)) => {
            let view = View {
                server: "chatd.example.org",
                nick: "a-twenty-byte-nick-x",
                started: 0,
                ping_after_secs: 300,
                server_time: false,
                multi_prefix: false,
            };
            let mut out = Vec::new();
            irc::render(&Reply::Error(ChatError::History(fail.clone())), &view, &mut out);
            let lines = common::check_irc_output(&out);
            assert_eq!(lines.len(), 1, "one failure, one line: {out:?}");
            assert_eq!(lines[0].command, "FAIL", "{out:?}");
            assert_eq!(lines[0].param(0), Some("CHATHISTORY"), "{out:?}");
        }
        _ => {}
    }
}

/// `LIST` terms: at most `elist::MAX_TERMS`, masks neither empty nor holding a comma.
fn check_filters(filters: &[ListFilter], line: &str) {
    assert!(filters.len() <= elist::MAX_TERMS, "{} LIST terms from {line:?}", filters.len());
    for filter in filters {
        if let ListFilter::Mask(mask) | ListFilter::NotMask(mask) = filter {
            assert_given("LIST mask", mask, line);
            assert!(!mask.contains(','), "LIST mask {mask:?} from {line:?}");
        }
    }
}

/// What the server says to `error` for a client called `nick`: one valid line from the server,
/// addressed to the client (`FAIL` names the command instead).
fn check_error_line(error: &ParseError, nick: &str) {
    let view = View {
        server: "chatd.example.org",
        nick,
        started: 0,
        ping_after_secs: 300,
        server_time: false,
        multi_prefix: false,
    };
    let mut out = Vec::new();
    irc::render(&Reply::Error(ChatError::Parse(error.clone())), &view, &mut out);
    let lines = common::check_irc_output(&out);
    assert_eq!(lines.len(), 1, "one error, one line: {out:?}");
    assert_eq!(lines[0].prefix.as_deref(), Some(view.server), "error not from the server");
    if !matches!(error, ParseError::InvalidUtf8 { .. }) {
        assert_eq!(lines[0].param(0), Some(nick), "error not addressed to its recipient");
    }
}

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    check_filters(&elist::parse(&line), &line);
    if std::str::from_utf8(data).is_err() {
        let refused = irc::refuse_non_utf8(data);
        let ParseError::InvalidUtf8 { command } = &refused else { panic!("{refused:?}") };
        assert!(command == "*" || message::parse(command).is_ok(), "FAIL names {command:?}");
        check_error_line(&refused, "*");
    }
    let parsed = irc::parse(&line);
    assert_eq!(irc::parse(&line), parsed, "parse is not deterministic");
    let grammar = message::parse(&line);
    // The label is the session's; what it goes round is checked like any unlabeled line.
    let parsed = match parsed {
        Some(Ok(Command::Labeled { label, input })) => {
            assert!(!label.is_empty() && label.len() <= tags::MAX_LABEL_BYTES, "label {label:?} from {line:?}");
            Some(*input)
        }
        other => other,
    };

    match (&grammar, &parsed) {
        (Err(MessageError::Empty | MessageError::MissingCommand), None) => return,
        (Err(MessageError::Empty | MessageError::MissingCommand), Some(_)) => {
            panic!("a line without a command was answered: {line:?}")
        }
        (Err(MessageError::TagsTooLong), Some(Err(ParseError::LineTooLong { .. }))) => {}
        (Err(MessageError::BadCommand(sent)), Some(Err(ParseError::UnknownCommand(named)))) => {
            assert_eq!(sent, named, "unknown command named differently")
        }
        (Err(error), _) => panic!("{error:?} became {parsed:?} for {line:?}"),
        // Only a NOTICE is ever dropped without a word (RFC 2812 3.3.2).
        (Ok(message), None) => assert_eq!(message.command, "NOTICE", "{line:?} was dropped silently"),
        (Ok(_), Some(_)) => {}
    }

    let untagged = common::untagged(line.trim_start_matches(' ')).trim_start_matches(' ');
    let too_long = grammar.is_ok() && untagged.len() + 2 > MAX_LINE_BYTES;
    let refused = matches!(parsed, Some(Err(ParseError::LineTooLong { .. })));
    if grammar.is_ok() {
        assert_eq!(refused, too_long, "{} bytes without tags, refused: {refused}: {line:?}", untagged.len());
    }

    let error = match parsed {
        Some(Ok(command)) => return check_command(&command, &line),
        Some(Err(error)) => error,
        None => return,
    };
    // The client is told with a numeric; before registration its nickname is `*`.
    for nick in ["*", "a-twenty-byte-nick-x"] {
        check_error_line(&error, nick);
    }
});

//! The netcat dialect: plain lines and `/slash` commands in, human-readable lines out.
//!
//! Pure: `parse` turns one decoded line into a `Command`, `render` turns a `Reply` into bytes for
//! one recipient; `face` puts them behind the `dialect` interface (the decoder, which also hands
//! a slow IRC client over to IRC, and the session). Every piece of text that came from another
//! user passes through `text::for_netcat` before it reaches a terminal, so nobody can send escape
//! sequences, bells, direction overrides or IRC formatting codes to other people's screens.
//!
//! Names are not cleaned on the way in: a room name or nickname reaches `names` as typed, so it
//! is refused by the same rule as one from IRC (`#\u{202e}gnp.exe` is refused, not made
//! `#gnp.exe`). Free text (messages, actions, topics, reasons, away texts, keys, mode parameters)
//! is cleaned after parsing, as the IRC parser does, with `said_text` for plain lines.
//!
//! Output format (times are the server's UTC clock):
//! `[14:02] <alice> hi`, `[14:02] * alice waves`, `[14:02] *alice* psst` (private),
//! `-- bob joined #lobby` (notices), `error: ...` (a request failed). A reader who is in more than
//! one room sees the room before the nick: `[14:02] #rust <alice> hi`.

pub mod face;
mod render;

pub use render::{View, render};

use super::text::for_netcat;
use super::{
    AccountCommand, AccountReply, ChatError, Command, HistoryEntry, LoginVia, MessageKind, Millis, ParseError, Person,
    Reply, TopicChange, UserInfo,
};
use crate::core::names::Nick;
use crate::framing::Terminator;
use std::fmt::Write as _;

/// One entry of the command table: the name, its usage line and what it does.
pub struct CommandHelp {
    pub name: &'static str,
    pub usage: &'static str,
    pub summary: &'static str,
}

/// Every slash command, in the order `/help` lists them.
pub const COMMANDS: &[CommandHelp] = &[
    CommandHelp { name: "msg", usage: "/msg NICK TEXT", summary: "send a private message to NICK" },
    CommandHelp { name: "me", usage: "/me ACTION", summary: "describe an action in the current room" },
    CommandHelp {
        name: "join",
        usage: "/join #ROOM [KEY]",
        summary: "join a room (it is created if new, and you run it) and talk there",
    },
    CommandHelp { name: "part", usage: "/part [#ROOM] [REASON]", summary: "leave a room (default: the current one)" },
    CommandHelp { name: "rooms", usage: "/rooms", summary: "list rooms with their member counts and topics" },
    CommandHelp { name: "who", usage: "/who [#ROOM]", summary: "list the people in a room (default: the current one)" },
    CommandHelp { name: "users", usage: "/users", summary: "list everyone online" },
    CommandHelp {
        name: "topic",
        usage: "/topic [#ROOM] [TEXT|-]",
        summary: "show a room's topic, set it to TEXT, or clear it with -",
    },
    CommandHelp { name: "nick", usage: "/nick NEWNICK", summary: "change your nickname" },
    CommandHelp {
        name: "kick",
        usage: "/kick [#ROOM] NICK [REASON]",
        summary: "remove someone from a room you run (default: the current one)",
    },
    CommandHelp {
        name: "mode",
        usage: "/mode [#ROOM] [+-MODES [ARGS]]",
        summary: "show or change a room's modes: +t +i +m +n +s +p, +k KEY, +l N, +o/+v NICK, +b/+e/+I MASK",
    },
    CommandHelp {
        name: "invite",
        usage: "/invite NICK [#ROOM]",
        summary: "invite someone into a room (needed for +i rooms)",
    },
    CommandHelp { name: "away", usage: "/away [TEXT]", summary: "mark yourself away with TEXT, or back without it" },
    CommandHelp {
        name: "register",
        usage: "/register PASSWORD",
        summary: "register your nickname as an account, so that only you can use it",
    },
    CommandHelp {
        name: "identify",
        usage: "/identify [NAME] PASSWORD",
        summary: "log in to your account (NAME: an account other than your nickname)",
    },
    CommandHelp {
        name: "regain",
        usage: "/regain NICK [PASSWORD]",
        summary: "take your registered nickname back from whoever holds it",
    },
    CommandHelp { name: "password", usage: "/password OLD NEW", summary: "change your account's password" },
    CommandHelp { name: "unregister", usage: "/unregister PASSWORD", summary: "delete your account" },
    CommandHelp { name: "quit", usage: "/quit [REASON]", summary: "leave the server" },
    CommandHelp { name: "help", usage: "/help [COMMAND]", summary: "list commands, or explain one" },
];

/// Looks a command up by name (without the slash, any case).
pub fn command_help(name: &str) -> Option<&'static CommandHelp> {
    let name = name.strip_prefix('/').unwrap_or(name);
    COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// Decodes a raw line (framed by `framing`, which has already dropped telnet negotiation, carriage
/// returns and applied backspaces) for `parse`: invalid UTF-8 becomes U+FFFD, tabs become spaces,
/// trailing spaces are trimmed. Nothing else is removed, so that names reach their rules as
/// typed; `parse` cleans the free text. Total: any bytes give a string, nothing panics.
pub fn clean_input(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes).replace('\t', " ");
    text.truncate(text.trim_end_matches(' ').len());
    text
}

/// Splits off the first word; the rest is returned with its leading spaces removed. Only the
/// space separates words (tabs are spaces by now): other blanks, such as U+2028, stay in the
/// word, so that a name holding one is refused rather than quietly cut.
fn first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches(' ');
    match s.split_once(' ') {
        Some((word, rest)) => (word, rest.trim_start_matches(' ')),
        None => (s, ""),
    }
}

/// Free text as typed, cleaned (`text::for_netcat`) and trimmed; `None` when nothing is left.
fn text(s: &str) -> Option<String> {
    let cleaned = for_netcat(s);
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_string())
}

/// What a plain line (`Command::Say`) says once it is a message rather than a nickname choice:
/// cleaned like every other free text (`text::for_netcat`); `None` when nothing is left (a line
/// of bells says nothing).
pub fn said_text(line: &str) -> Option<String> {
    let cleaned = for_netcat(line);
    (!cleaned.trim().is_empty()).then(|| cleaned.into_owned())
}

/// Parses one decoded, non-empty line. A line starting with `//` is a message starting with `/`.
///
/// Names (rooms, nicknames) come out as typed, for `names` to judge. Free text comes out cleaned
/// (`text::for_netcat`), except a plain line: before registration it is the nickname choice, so
/// `Command::Say` holds it as typed and the chat state cleans it with `said_text`.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    if let Some(escaped) = line.strip_prefix("//") {
        return Ok(Command::Say { text: format!("/{escaped}") });
    }
    let Some(body) = line.strip_prefix('/') else {
        return Ok(Command::Say { text: line.to_string() });
    };
    let (name, rest) = if body.starts_with(' ') { ("", body) } else { first_word(body) };
    let Some(help) = command_help(name).filter(|_| !name.is_empty() && !name.starts_with('/')) else {
        return Err(ParseError::UnknownCommand(format!("/{name}")));
    };
    let usage = ParseError::Usage(help.name);
    let (word, after_word) = first_word(rest);
    let no_args = rest.trim().is_empty();
    let one_word = !word.is_empty() && after_word.is_empty();
    let command = match help.name {
        // Text that cleans to nothing is no text: the usage is shown, as without it.
        "msg" if !word.is_empty() => match text(after_word) {
            Some(text) => Command::Private { to: word.to_string(), text },
            None => return Err(usage),
        },
        "me" => match text(rest) {
            Some(text) => Command::Action { text },
            None => return Err(usage),
        },
        "nick" if one_word => Command::Nick { nick: word.to_string() },
        "join" if one_word => Command::Join { room: word.to_string(), key: None },
        "join" if !word.is_empty() && !after_word.contains(' ') && !after_word.starts_with('#') => {
            Command::Join { room: word.to_string(), key: text(after_word) }
        }
        "kick" if word.starts_with('#') && !after_word.is_empty() => {
            let (nick, reason) = first_word(after_word);
            Command::Kick { room: Some(word.to_string()), nick: nick.to_string(), reason: text(reason) }
        }
        "kick" if !word.is_empty() && !word.starts_with('#') => {
            Command::Kick { room: None, nick: word.to_string(), reason: text(after_word) }
        }
        "mode" if no_args => Command::Mode { target: String::new(), changes: Vec::new() },
        "mode" => {
            let (target, rest) =
                if word.starts_with('#') { (word.to_string(), after_word) } else { (String::new(), rest) };
            Command::Mode { target, changes: rest.split(' ').filter_map(text).collect() }
        }
        "invite" if one_word => Command::Invite { nick: word.to_string(), room: None },
        "invite" if !word.is_empty() && after_word.starts_with('#') && !after_word.contains(' ') => {
            Command::Invite { nick: word.to_string(), room: Some(after_word.to_string()) }
        }
        "part" if word.starts_with('#') => Command::Part { room: Some(word.to_string()), reason: text(after_word) },
        "part" => Command::Part { room: None, reason: text(rest) },
        "rooms" if no_args => Command::Rooms,
        "who" if no_args => Command::Who { room: None },
        "who" if one_word => Command::Who { room: Some(word.to_string()) },
        "users" if no_args => Command::Users,
        "topic" => {
            let (room, given) = if word.starts_with('#') { (Some(word.to_string()), after_word) } else { (None, rest) };
            // Text that cleans to nothing (a bell) asks for the topic, as no text does.
            let change = match text(given) {
                None => None,
                Some(dash) if dash == "-" => Some(TopicChange::Clear),
                Some(topic) => Some(TopicChange::Set(topic)),
            };
            Command::Topic { room, change }
        }
        "away" => Command::Away { text: text(rest) },
        "quit" => Command::Quit { reason: text(rest) },
        // Passwords are single words, taken as typed (never cleaned: what was typed is what
        // is checked); at the password prompt the whole line is the password.
        "register" if one_word => Command::Account(AccountCommand::Register { name: None, password: word.to_string() }),
        "identify" if one_word => Command::Account(AccountCommand::Identify {
            name: None,
            password: word.to_string(),
            via: LoginVia::Command,
        }),
        "identify" if !word.is_empty() && !after_word.contains(' ') => Command::Account(AccountCommand::Identify {
            name: Some(word.to_string()),
            password: after_word.to_string(),
            via: LoginVia::Command,
        }),
        "regain" if one_word => Command::Account(AccountCommand::Regain { nick: word.to_string(), password: None }),
        "regain" if !word.is_empty() && !after_word.contains(' ') => {
            Command::Account(AccountCommand::Regain { nick: word.to_string(), password: Some(after_word.to_string()) })
        }
        "password" if !word.is_empty() && !after_word.is_empty() && !after_word.contains(' ') => {
            Command::Account(AccountCommand::SetPassword { old: Some(word.to_string()), new: after_word.to_string() })
        }
        "unregister" if one_word => Command::Account(AccountCommand::Unregister { password: Some(word.to_string()) }),
        "help" if no_args => Command::Help { command: None },
        "help" if one_word => Command::Help { command: Some(word.to_string()) },
        _ => return Err(usage),
    };
    Ok(command)
}

#[cfg(test)]
mod tests;

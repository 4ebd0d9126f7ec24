//! The netcat dialect: plain lines and `/slash` commands in, human-readable lines out.
//!
//! Pure: `parse` turns one decoded line into a `Command`, `render` turns a `Reply` into bytes for
//! one recipient. Every piece of text that came from another user passes through
//! `text::for_netcat` before it reaches a terminal, so nobody can send escape sequences, bells,
//! direction overrides or IRC formatting codes to other people's screens.
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

use super::text::for_netcat;
use super::{ChatError, Command, HistoryEntry, MessageKind, Millis, ParseError, Person, Reply, TopicChange, UserInfo};
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
        summary: "show or change a room's modes: +t +i +m +n, +k KEY, +l N, +o/+v NICK, +b MASK",
    },
    CommandHelp {
        name: "invite",
        usage: "/invite NICK [#ROOM]",
        summary: "invite someone into a room (needed for +i rooms)",
    },
    CommandHelp { name: "away", usage: "/away [TEXT]", summary: "mark yourself away with TEXT, or back without it" },
    CommandHelp { name: "quit", usage: "/quit [REASON]", summary: "leave the server" },
    CommandHelp { name: "help", usage: "/help [COMMAND]", summary: "list commands, or explain one" },
];

/// Looks a command up by name (without the slash, any case).
pub fn command_help(name: &str) -> Option<&'static CommandHelp> {
    let name = name.strip_prefix('/').unwrap_or(name);
    COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// How a recipient wants its lines: these vary per client, so the broker renders per view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// The recipient is in more than one room, so room messages name their room.
    pub multi_room: bool,
    pub terminator: Terminator,
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
        "help" if no_args => Command::Help { command: None },
        "help" if one_word => Command::Help { command: Some(word.to_string()) },
        _ => return Err(usage),
    };
    Ok(command)
}

/// `[HH:MM]` of a UTC time.
fn clock(at: Millis) -> String {
    let minutes = at / 60_000;
    format!("[{:02}:{:02}]", (minutes / 60) % 24, minutes % 60)
}

/// Collects finished lines, each followed by the recipient's terminator.
struct Lines<'a> {
    out: &'a mut Vec<u8>,
    terminator: &'static [u8],
}

impl Lines<'_> {
    fn line(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(self.terminator);
    }

    /// Writes `head` followed by `items` joined with ", ", wrapped into lines of about 400 bytes.
    /// An empty list ends the head line without its trailing ": ".
    fn list(&mut self, head: &str, items: impl Iterator<Item = String>) {
        let mut items = items.peekable();
        if items.peek().is_none() {
            return self.line(head.trim_end().trim_end_matches(':'));
        }
        let mut current = head.to_string();
        let mut first = true;
        for item in items {
            if !first && current.len() + item.len() > 400 {
                current.push(',');
                self.line(&current);
                current = String::from("--   ");
            } else if !first {
                current.push_str(", ");
            }
            current.push_str(&item);
            first = false;
        }
        self.line(&current);
    }
}

/// A summary's period as in "in the last minute".
fn span(secs: u64) -> String {
    match secs {
        0 | 1 => "second".to_string(),
        60 => "minute".to_string(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn user_label(user: &UserInfo) -> String {
    let status = if user.op {
        "@"
    } else if user.voice {
        "+"
    } else {
        ""
    };
    if user.away { format!("{status}{} (away)", user.person) } else { format!("{status}{}", user.person) }
}

fn said_line(room_prefix: Option<&str>, from: &Person, text: &str, kind: MessageKind, at: Millis) -> String {
    let mut line = clock(at);
    if let Some(room) = room_prefix {
        line.push(' ');
        line.push_str(room);
    }
    let text = for_netcat(text);
    let _ = match kind {
        MessageKind::Normal => write!(line, " <{from}> {text}"),
        MessageKind::Action => write!(line, " * {from} {text}"),
        MessageKind::Notice => write!(line, " -{from}- {text}"),
    };
    line
}

/// A private message as its recipient (`echo: false`) or its netcat sender sees it.
fn private_line(from: &Person, to: &Nick, text: &str, kind: MessageKind, at: Millis, echo: bool) -> String {
    let text = for_netcat(text);
    let time = clock(at);
    match (echo, kind) {
        (false, MessageKind::Normal) => format!("{time} *{from}* {text}"),
        (false, MessageKind::Action) => format!("{time} *{from}* * {from} {text}"),
        (false, MessageKind::Notice) => format!("{time} -{from}- {text}"),
        (true, MessageKind::Notice) => format!("{time} -> -{to}- {text}"),
        (true, _) => format!("{time} -> *{to}* {text}"),
    }
}

fn history(lines: &mut Lines<'_>, room: &str, entries: &[HistoryEntry]) {
    lines.line(&format!("-- recent messages in {room}:"));
    for entry in entries {
        lines.line(&said_line(None, &entry.from, &entry.text, entry.kind, entry.at));
    }
    lines.line(&format!("-- end of recent messages in {room}"));
}

fn help(lines: &mut Lines<'_>, command: Option<&str>) {
    match command {
        None => {
            lines.line("-- Type a line to talk in your current room. Commands:");
            for c in COMMANDS {
                lines.line(&format!("--   {:<24} {}", c.usage, c.summary));
            }
            lines.line("-- Start a message with // to send a line beginning with /.");
        }
        Some(name) => match command_help(name) {
            Some(c) => lines.line(&format!("-- {}: {}", c.usage, c.summary)),
            None => lines.line(&format!("error: no command named {} (try /help)", for_netcat(name))),
        },
    }
}

fn error_text(error: &ChatError) -> String {
    match error {
        ChatError::Parse(ParseError::UnknownCommand(name)) => {
            format!("error: unknown command {} (try /help)", for_netcat(name))
        }
        ChatError::Parse(ParseError::Usage(name)) => match command_help(name) {
            Some(c) => format!("error: wrong arguments for /{} (usage: {})", c.name, c.usage),
            None => format!("error: wrong arguments for /{name}"),
        },
        ChatError::Parse(ParseError::LineTooLong { limit }) => {
            format!("error: line too long (the limit is {limit} bytes); it was dropped")
        }
        // Shown escaped (`"al\u{202e}ice"`), so that the character refused can be seen; whatever
        // the escaping leaves that a terminal should not get is then removed.
        ChatError::NickInvalid { nick, why } => {
            format!("error: {} is not a valid nickname: {why}", for_netcat(&format!("{nick:?}")))
        }
        ChatError::NickTaken(nick) => format!("error: the nickname {} is already taken", for_netcat(nick)),
        ChatError::NickRequired => "error: choose a nickname first (type it and press enter)".to_string(),
        ChatError::RoomInvalid { room, why } => {
            format!("error: {} is not a valid room name: {why}", for_netcat(&format!("{room:?}")))
        }
        ChatError::NoSuchRoom(room) => format!("error: no such room: {} (see /rooms)", for_netcat(room)),
        ChatError::NotInRoom(room) => format!("error: you are not in {room}"),
        ChatError::NoCurrentRoom { default } => format!("error: you are not in any room (try /join {default})"),
        ChatError::NoSuchNick(nick) => format!("error: no such nick: {} (see /users)", for_netcat(nick)),
        ChatError::TooManyRooms { max } => format!("error: you are already in {max} rooms, the most allowed"),
        ChatError::TooLong { what, max } => format!("error: {what} too long (at most {max} bytes)"),
        // The rest come only from IRC commands, which netcat users cannot send; worded anyway.
        ChatError::Parse(ParseError::NoNicknameGiven) => "error: no nickname given".to_string(),
        ChatError::Parse(ParseError::NoRecipient(command)) => format!("error: {command} needs a recipient"),
        ChatError::Parse(ParseError::NoTextToSend) => "error: no text to send".to_string(),
        ChatError::AlreadyRegistered => "error: you are already registered".to_string(),
        ChatError::CannotSendToRoom(room) => format!("error: you cannot send to {room} (join it first)"),
        ChatError::Moderated(room) => {
            format!("error: {room} is moderated: only its operators and voiced members may talk")
        }
        ChatError::InvalidCapCommand(sub) => format!("error: unknown CAP subcommand {}", for_netcat(sub)),
        ChatError::UnknownMode(mode) => format!("error: unknown mode {}", for_netcat(&mode.to_string())),
        ChatError::ModeNeedsParameter(mode) => format!("error: mode {mode} needs a value (see /help mode)"),
        ChatError::UsersDontMatch => "error: you can only see your own user modes".to_string(),
        ChatError::NotRoomOperator(room) => format!("error: you need to be an operator of {room} for that"),
        ChatError::UserNotInRoom { nick, room } => format!("error: {} is not in {room}", for_netcat(nick)),
        ChatError::AlreadyInRoom { nick, room } => format!("error: {} is already in {room}", for_netcat(nick)),
        ChatError::InviteOnly(room) => format!("error: {room} is invite-only; ask an operator for /invite"),
        ChatError::BadKey(room) => format!("error: {room} needs the right key: /join {room} KEY"),
        ChatError::RoomFull(room) => format!("error: {room} is full"),
        ChatError::Banned(room) => format!("error: you are banned from {room}"),
        ChatError::PasswordMismatch => "error: wrong operator name or password".to_string(),
        ChatError::NoOperators => "error: this server has no operators".to_string(),
        ChatError::NotServerOperator => "error: only server operators may do that".to_string(),
    }
}

/// Mode parameters (keys, ban masks, nicknames, limits) after a space each. Keys and masks are
/// anyone's text, so they are cleaned like any other.
fn mode_params(params: &[String]) -> String {
    params.iter().fold(String::new(), |mut out, param| {
        out.push(' ');
        out.push_str(&for_netcat(param));
        out
    })
}

/// Renders `reply` for one netcat recipient, appending complete lines to `out`.
pub fn render(reply: &Reply, view: View, out: &mut Vec<u8>) {
    let mut lines = Lines { out, terminator: view.terminator.bytes() };
    match reply {
        Reply::Greeting { server, version } => {
            lines.line(&format!("-- Welcome to {server} (chatd {version}). Type /help for commands."))
        }
        Reply::NickPrompt { reminder: false } => lines.line("-- Choose a nickname:"),
        Reply::NickPrompt { reminder: true } => {
            lines.line("-- Still there? Choose a nickname, or you will be disconnected:")
        }
        Reply::Welcome { person, counts } => lines.line(&format!(
            "-- Hello {person}! {} online in {}.",
            count(counts.users, "user", "users"),
            count(counts.rooms, "room", "rooms")
        )),
        Reply::YouJoined { room, members, topic, .. } => {
            let head = format!("-- You joined {room}. {} here: ", members.len());
            lines.list(&head, members.iter().map(|m| m.person.nick.to_string()));
            if let Some(topic) = topic {
                lines.line(&format!("-- Topic of {room}: {}", for_netcat(&topic.text)));
            }
        }
        Reply::History { room, entries } => history(&mut lines, room.as_str(), entries),
        Reply::NowTalkingIn { room } => lines.line(&format!("-- Now talking in {room}")),
        Reply::Joined { room, who } => lines.line(&format!("-- {who} joined {room}")),
        Reply::YouJoinedCrowd { room, count, topic } => {
            lines.line(&format!("-- You joined {room}. {count} here (type /who to list them)"));
            if let Some(topic) = topic {
                lines.line(&format!("-- Topic of {room}: {}", for_netcat(&topic.text)));
            }
        }
        Reply::CrowdSummary { room, joined, left, first_joined, span_secs } => {
            let mut counts = Vec::new();
            if *joined > 0 {
                let more = if *joined > first_joined.len() { ", ..." } else { "" };
                let names = first_joined.iter().map(Nick::to_string).collect::<Vec<_>>().join(", ");
                counts.push(if names.is_empty() {
                    format!("{joined} joined")
                } else {
                    format!("{joined} joined ({names}{more})")
                });
            }
            if *left > 0 {
                counts.push(format!("{left} left"));
            }
            if !counts.is_empty() {
                lines.line(&format!("-- {room} in the last {}: {}", span(*span_secs), counts.join(", ")));
            }
        }
        Reply::Said { room, from, text, kind, at } => {
            let prefix = view.multi_room.then_some(room.as_str());
            lines.line(&said_line(prefix, from, text, *kind, *at))
        }
        Reply::Private { from, to, text, kind, at, echo } => {
            lines.line(&private_line(from, to, text, *kind, *at, *echo))
        }
        Reply::YouParted { room, current, .. } => match current {
            Some(current) => lines.line(&format!("-- You left {room}. Now talking in {current}")),
            None => lines.line(&format!("-- You left {room}. You are in no room now (try /join #ROOM)")),
        },
        Reply::Parted { room, who, reason: None } => lines.line(&format!("-- {who} left {room}")),
        Reply::Parted { room, who, reason: Some(reason) } => {
            lines.line(&format!("-- {who} left {room} ({})", for_netcat(reason)))
        }
        Reply::Quit { who, reason } => lines.line(&format!("-- {who} quit ({})", for_netcat(&reason.to_string()))),
        Reply::NickChanged { new, you: true, .. } => lines.line(&format!("-- You are now known as {new}")),
        Reply::NickChanged { old, new, you: false } => lines.line(&format!("-- {old} is now known as {new}")),
        Reply::TopicChanged { room, by, topic: Some(topic) } => {
            lines.line(&format!("-- {by} set the topic of {room}: {}", for_netcat(topic)))
        }
        Reply::TopicChanged { room, by, topic: None } => lines.line(&format!("-- {by} cleared the topic of {room}")),
        Reply::TopicIs { room, topic: Some(topic) } => lines.line(&format!(
            "-- Topic of {room}: {} (set by {} {})",
            for_netcat(&topic.text),
            topic.set_by,
            clock(topic.at)
        )),
        Reply::TopicIs { room, topic: None } => lines.line(&format!("-- {room} has no topic")),
        Reply::Rooms(rooms) => {
            lines.line(&format!("-- {} {}:", rooms.len(), if rooms.len() == 1 { "room" } else { "rooms" }));
            for info in rooms {
                let people = if info.members == 1 { "user" } else { "users" };
                match &info.topic {
                    Some(topic) => {
                        lines.line(&format!("--   {} ({} {people}): {}", info.room, info.members, for_netcat(topic)))
                    }
                    None => lines.line(&format!("--   {} ({} {people})", info.room, info.members)),
                }
            }
        }
        Reply::Who { room, members } => {
            let head = format!("-- {} in {room}: ", count(members.len(), "user", "users"));
            lines.list(&head, members.iter().map(user_label));
        }
        Reply::Users(users) => {
            let head = format!("-- {} online: ", count(users.len(), "user", "users"));
            lines.list(&head, users.iter().map(user_label));
        }
        Reply::AwayChanged { text: Some(text) } => {
            lines.line(&format!("-- You are marked as away: {}", for_netcat(text)))
        }
        Reply::AwayChanged { text: None } => lines.line("-- You are no longer marked as away"),
        Reply::PeerAway { nick, text } => lines.line(&format!("-- {nick} is away: {}", for_netcat(text))),
        Reply::Help { command } => help(&mut lines, command.as_deref()),
        Reply::Error(error) => lines.line(&error_text(error)),
        Reply::RoomModes { room, modes, params, .. } => {
            lines.line(&format!("-- Modes of {room}: {modes}{}", mode_params(params)))
        }
        Reply::BanList { room, masks } => {
            lines.list(&format!("-- Bans in {room}: "), masks.iter().map(|mask| for_netcat(mask).into_owned()));
        }
        Reply::ModesChanged { room, by, changes, params } => {
            lines.line(&format!("-- {by} set mode {changes}{} on {room}", mode_params(params)))
        }
        Reply::Kicked { room, by, nick, reason } => {
            lines.line(&format!("-- {by} kicked {nick} from {room} ({})", for_netcat(reason)))
        }
        Reply::Invited { by, room } => lines.line(&format!("-- {by} invites you to {room} (type /join {room})")),
        Reply::Inviting { nick, room } => lines.line(&format!("-- You invited {nick} to {room}")),
        Reply::Closing { reason } => lines.line(&format!("-- Closing connection: {}", for_netcat(&reason.to_string()))),
        // Answers to IRC-only commands and IRC liveness probes: never addressed to netcat users.
        Reply::Cap { .. }
        | Reply::Pong { .. }
        | Reply::Ping { .. }
        | Reply::Names { .. }
        | Reply::WhoList { .. }
        | Reply::Whois { .. }
        | Reply::UserModes
        | Reply::YoureOper
        | Reply::Ison { .. }
        | Reply::Userhost { .. }
        | Reply::Motd
        | Reply::Lusers { .. }
        | Reply::Version
        | Reply::Time { .. } => {}
    }
}

#[cfg(test)]
mod tests;

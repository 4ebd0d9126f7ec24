//! Rendering every `Reply` as lines for a person at a terminal (see the module header of
//! `netcat` for the format). Text from other users passes through `text::for_netcat` first.

use super::*;

/// How a recipient wants its lines: these vary per client, so the broker renders per view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// The recipient is in more than one room, so room messages name their room.
    pub multi_room: bool,
    pub terminator: Terminator,
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
        ChatError::NickRegistered(nick) => format!(
            "error: {} is a registered nickname: /identify {} PASSWORD first",
            for_netcat(nick),
            for_netcat(nick)
        ),
        ChatError::NickReserved(nick) => {
            format!("error: the nickname {} is reserved for services", for_netcat(nick))
        }
        ChatError::NickRequired => "error: choose a nickname first (type it and press enter)".to_string(),
        ChatError::RoomInvalid { room, why } => {
            format!("error: {} is not a valid room name: {why}", for_netcat(&format!("{room:?}")))
        }
        ChatError::NoSuchRoom(room) => format!("error: no such room: {} (see /rooms)", for_netcat(room)),
        ChatError::NotInRoom(room) => format!("error: you are not in {room}"),
        ChatError::NoCurrentRoom { default } => format!("error: you are not in any room (try /join {default})"),
        ChatError::NoSuchNick(nick) => format!("error: no such nick: {} (see /users)", for_netcat(nick)),
        ChatError::TooManyRooms { max, .. } => format!("error: you are already in {max} rooms, the most allowed"),
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
        ChatError::BannedFromRoom(room) => format!("error: you are banned in {room}, so you cannot talk there"),
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
        ChatError::Parse(ParseError::InvalidUtf8 { .. }) => "error: that line was not UTF-8".to_string(),
        ChatError::InvalidModeParam { mode, param, why, .. } => {
            format!("error: {} is no value for mode {mode}: {why}", for_netcat(&format!("{param:?}")))
        }
        // issue 14: chathistory (IRC's `CHATHISTORY`; netcat has `/history`)
        ChatError::History(_) => "error: that history is not available".to_string(),
        // issue 14: queries
        ChatError::UnknownUserMode => "error: unknown user mode (only +w can be set)".to_string(),
        // issue 14: ircv3
        ChatError::InvalidRealname => "error: that real name is not valid".to_string(),
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
        Reply::Said { room, from, text, kind, at, .. } => {
            let prefix = view.multi_room.then_some(room.as_str());
            lines.line(&said_line(prefix, from, text, *kind, *at))
        }
        Reply::Private { from, to, text, kind, at, echo, .. } => {
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
            lines.list(
                &format!("-- Bans in {room}: "),
                masks.iter().map(|listed| for_netcat(&listed.mask).into_owned()),
            );
        }
        Reply::ExceptList { room, masks } => {
            let masks = masks.iter().map(|listed| for_netcat(&listed.mask).into_owned());
            lines.list(&format!("-- Ban exceptions in {room}: "), masks);
        }
        Reply::InviteExceptList { room, masks } => {
            let masks = masks.iter().map(|listed| for_netcat(&listed.mask).into_owned());
            lines.list(&format!("-- Invite exceptions in {room}: "), masks);
        }
        // Shown with the status and the room, whichever room is current: it went to a few only.
        Reply::SaidToStatus { status, room, from, text, kind, at, .. } => {
            lines.line(&said_line(Some(&format!("{status}{room}")), from, text, *kind, *at))
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
        | Reply::UserModes { .. }
        | Reply::YoureOper
        | Reply::Ison { .. }
        | Reply::Userhost { .. }
        | Reply::Motd
        | Reply::Lusers { .. }
        | Reply::Version
        | Reply::Time { .. }
        | Reply::Sasl(_)
        | Reply::Online { .. }
        | Reply::AccountChanged { .. } => {}
        // issue 14: chathistory (IRC only)
        Reply::ChatHistory { .. } | Reply::HistoryTargets { .. } => {}
        // issue 14: ircv3 (for IRC clients that negotiated the capabilities)
        Reply::TagMsg { .. }
        | Reply::AwayNotify { .. }
        | Reply::RealnameChanged { .. }
        | Reply::InviteNotify { .. } => {}
        Reply::Account(reply) => account(&mut lines, reply),
        // issue 14: queries (IRC only)
        Reply::Whowas { .. }
        | Reply::Info
        | Reply::Links { .. }
        | Reply::Wallops { .. }
        | Reply::UserModesChanged { .. } => {}
    }
}

/// Account replies as lines. The password prompt is the one line not starting with `--`: like
/// the nickname prompt, it asks for the next line.
fn account(lines: &mut Lines<'_>, reply: &AccountReply) {
    match reply {
        AccountReply::PasswordPrompt { nick, tries_left } => {
            lines.line(&format!("-- {nick} is a registered nickname."));
            lines.line(&format!(
                "Password for {nick} ({}; it will show as you type, /quit to leave):",
                count(usize::from(*tries_left), "try left", "tries left")
            ));
        }
        AccountReply::Registered { account } => {
            lines.line(&format!("-- Account {account} registered: the nickname {account} is yours."))
        }
        AccountReply::LoggedIn { account, .. } => lines.line(&format!("-- You are now logged in as {account}.")),
        AccountReply::LoggedOut { .. } => lines.line("-- You are no longer logged in."),
        AccountReply::PasswordChanged { account } => lines.line(&format!("-- Password of {account} changed.")),
        AccountReply::Unregistered { account } => {
            lines.line(&format!("-- Account {account} deleted; the nickname is free for anyone."))
        }
        AccountReply::NickOwned { nick, grace_secs } => lines.line(&format!(
            "-- {nick} is a registered nickname: /identify PASSWORD within {grace_secs} s, or you will be renamed."
        )),
        AccountReply::Renamed { from } => {
            lines.line(&format!("-- {from} is registered to somebody else: you were renamed."))
        }
        AccountReply::Info { account, registered, online, disabled } => {
            let state = match (disabled, online) {
                (true, _) => "disabled",
                (false, true) => "online",
                (false, false) => "offline",
            };
            let since = crate::core::time::utc_date_time(*registered);
            lines.line(&format!("-- Account {account}: registered {since} UTC, {state}"))
        }
        AccountReply::Help { .. } => {
            for c in COMMANDS.iter().filter(|c| ACCOUNT_COMMANDS.contains(&c.name)) {
                lines.line(&format!("--   {:<24} {}", c.usage, c.summary));
            }
        }
        AccountReply::Failed { failure, .. } => lines.line(&format!("error: {}", for_netcat(&failure.to_string()))),
    }
}

/// The account commands, for `AccountReply::Help`.
const ACCOUNT_COMMANDS: &[&str] = &["register", "identify", "regain", "password", "unregister"];

//! Rendering every `Reply` as IRC lines for one recipient (RFC 1459/2812 numerics and commands,
//! IRCv3 `server-time`, `multi-prefix`, `extended-join` and `account-tag`; the account replies
//! are in `accounts`). Text longer than fits one line is split at UTF-8 boundaries, never cut;
//! every piece of user text passes through `text::for_irc` on the way out.

mod accounts;
mod help;
mod history;
mod ircv3;
mod modes;
mod queries;

pub use history::{HistoryCaps, msgid};
pub use ircv3::Ircv3Caps;
use ircv3::Stamp;

use super::*;

/// What a recipient's lines depend on.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub server: &'a str,
    /// The recipient's nickname, `*` before it has one.
    pub nick: &'a str,
    /// When the server started (`RPL_CREATED`).
    pub started: Millis,
    /// Seconds of silence after which a client is dropped (`Ping timeout: N seconds`).
    pub ping_after_secs: u64,
    /// The recipient negotiated `server-time`: messages carry `@time=`.
    pub server_time: bool,
    /// The recipient negotiated `multi-prefix`: every status prefix, not only the highest.
    pub multi_prefix: bool,
}

/// The account capabilities a recipient negotiated, which change lines from people (`View`
/// holds the others). `render` renders for a client that negotiated neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountCaps {
    /// `extended-join`: `JOIN #room <account|*> :<real name>`.
    pub extended_join: bool,
    /// `account-tag`: a logged-in person's lines carry `@account=<account>`.
    pub account_tag: bool,
}

/// Splits a mode announcement (`+ob-v`, with its parameters) into as many `MODE` lines as the
/// 512-byte limit needs, never separating a mode letter from its parameter.
fn mode_lines(prefix: &str, room: &str, changes: &str, params: &[String]) -> Vec<(String, Vec<String>)> {
    // `:prefix MODE room letters params...` plus CR LF; letters and parameters grow per unit.
    let fixed = 1 + prefix.len() + " MODE ".len() + room.len() + 1 + 2;
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    let (mut letters, mut taken, mut size) = (String::new(), Vec::new(), fixed);
    let (mut sign, mut line_sign) = ('+', None);
    let mut params = params.iter();
    for letter in changes.chars() {
        if letter == '+' || letter == '-' {
            sign = letter;
            continue;
        }
        // Every announced `o v b e I k` carries a parameter, and `l` does when set.
        let param = (matches!(letter, 'o' | 'v' | 'b' | 'e' | 'I' | 'k') || (letter == 'l' && sign == '+'))
            .then(|| params.next().cloned())
            .flatten();
        let cost = 2 + param.as_ref().map_or(0, |p| p.len() + 2);
        if !letters.is_empty() && size + cost > MAX_LINE_BYTES {
            lines.push((std::mem::take(&mut letters), std::mem::take(&mut taken)));
            size = fixed;
            line_sign = None;
        }
        if line_sign != Some(sign) {
            letters.push(sign);
            line_sign = Some(sign);
        }
        letters.push(letter);
        size += cost;
        taken.extend(param);
    }
    if !letters.is_empty() {
        lines.push((letters, taken));
    }
    lines
}

/// A member's nick with its status prefix for `NAMES` (`@` before `+`), and with its user and
/// host for `userhost-in-names` clients.
fn with_prefix(user: &UserInfo, multi_prefix: bool, userhost: bool) -> String {
    let mut name = String::new();
    if user.op {
        name.push('@');
    }
    if user.voice && (multi_prefix || !user.op) {
        name.push('+');
    }
    if userhost {
        name.push_str(&user.person.prefix());
    } else {
        name.push_str(user.person.nick.as_str());
    }
    name
}

fn timestamp(at: Millis) -> String {
    utc_timestamp_millis(at)
}

/// How a quit looks in `QUIT :...` (RFC 2812 3.1.7; the wording of current servers).
fn quit_text(reason: &QuitReason, view: &View<'_>) -> String {
    match reason {
        QuitReason::Quit(Some(text)) => format!("Quit: {text}"),
        QuitReason::Quit(None) => "Quit".to_string(),
        QuitReason::ConnectionLost => "Connection lost".to_string(),
        QuitReason::PingTimeout => format!("Ping timeout: {} seconds", view.ping_after_secs),
        QuitReason::RegistrationTimeout => "Registration timeout".to_string(),
        QuitReason::SendQueueExceeded => "Send queue exceeded".to_string(),
        QuitReason::ServerShutdown => "Server shutting down".to_string(),
        QuitReason::Killed { by, reason } => format!("Killed ({by} ({reason}))"),
        QuitReason::Answered => "Answered".to_string(),
        QuitReason::AccountClosed { .. } => format!("Account closed: {reason}"),
    }
}

struct Out<'a, 'v> {
    out: &'a mut Vec<u8>,
    view: &'a View<'v>,
    account: AccountCaps,
    v3: Ircv3Caps,
    /// What a history answer's lines carry (from `v3`).
    history: HistoryCaps,
}

impl Out<'_, '_> {
    /// `:server NNN nick params...`
    fn numeric(&mut self, code: u16, params: &[&str]) {
        let mut all = Vec::with_capacity(params.len() + 1);
        all.push(self.view.nick);
        all.extend_from_slice(params);
        write_line(self.out, Some(self.view.server), &numeric::code(code), &all);
    }

    /// A line from a person: `[@tags ]:nick!user@host COMMAND params...`.
    fn from(&mut self, who: &Person, command: &str, params: &[&str]) {
        self.tags(who, None);
        write_line(self.out, Some(&who.prefix()), command, params);
    }

    /// `JOIN`, with the account and real name for `extended-join` clients.
    fn join(&mut self, who: &Person, room: &str) {
        if self.account.extended_join {
            let account = who.account.as_deref().unwrap_or("*");
            self.from(who, "JOIN", &[room, account, &for_irc(&who.realname)]);
        } else {
            self.from(who, "JOIN", &[room]);
        }
    }

    fn server(&mut self, command: &str, params: &[&str]) {
        write_line(self.out, Some(self.view.server), command, params);
    }

    /// The tags of a line from `who`, as one `@...` block followed by a space (IRCv3
    /// message-tags), or nothing: `time=` when the line has a time (a message's `stamp`) and
    /// the client negotiated `server-time`, `msgid=` for a message to a client that negotiated
    /// `message-tags`, `account=` when `who` is logged in and the client negotiated
    /// `account-tag`, and last (after the server's) the message's client-only tags for a
    /// `message-tags` client. Tags do not count against the 512 bytes of the line.
    fn tags(&mut self, who: &Person, stamp: Option<&Stamp<'_>>) {
        let mut tags = String::new();
        if let Some(stamp) = stamp.filter(|_| self.view.server_time) {
            tags.push_str("@time=");
            tags.push_str(&timestamp(stamp.at));
        }
        if let Some(id) = stamp.and_then(|stamp| stamp.id).filter(|_| self.v3.message_tags) {
            tags.push(if tags.is_empty() { '@' } else { ';' });
            tags.push_str("msgid=");
            tags.push_str(&super::tags::msgid(self.view.started, id));
        }
        if let Some(account) = who.account.as_deref().filter(|_| self.account.account_tag) {
            tags.push(if tags.is_empty() { '@' } else { ';' });
            tags.push_str("account=");
            message::escape_tag_value(&mut tags, account);
        }
        if let Some(client) = stamp.and_then(|stamp| stamp.client).filter(|_| self.v3.message_tags) {
            tags.push(if tags.is_empty() { '@' } else { ';' });
            tags.push_str(client);
        }
        if !tags.is_empty() {
            tags.push(' ');
            self.out.extend_from_slice(tags.as_bytes());
        }
    }

    /// A message with its text split over as many lines as it needs (a netcat or web user's
    /// line may be longer than an IRC line). Only the first line carries the message's `msgid`
    /// and client-only tags: an id names one line, and clients drop lines whose id they have
    /// seen.
    fn message(&mut self, from: &Person, target: &str, text: &str, kind: MessageKind, stamp: Stamp<'_>) {
        let command = if kind == MessageKind::Notice { "NOTICE" } else { "PRIVMSG" };
        let prefix = from.prefix();
        let mut budget = text_budget(&prefix, command, target);
        if kind == MessageKind::Action {
            budget = budget.saturating_sub(message::ACTION_OVERHEAD_BYTES);
        }
        let text = for_irc(text);
        for (n, piece) in split_text(&text, budget.max(1)).into_iter().enumerate() {
            let continued = Stamp { id: None, client: None, ..stamp };
            self.tags(from, Some(if n == 0 { &stamp } else { &continued }));
            match kind {
                MessageKind::Action => write_line(self.out, Some(&prefix), command, &[target, &encode_action(piece)]),
                _ => write_line(self.out, Some(&prefix), command, &[target, piece]),
            }
        }
    }

    /// `RPL_NAMREPLY` lines (as many as needed, `symbol` for the channel's visibility); the
    /// caller sends `RPL_ENDOFNAMES` (one per query, whatever the rooms in it).
    fn names(&mut self, symbol: &str, room: &str, nicks: &[String]) {
        let fixed = self.view.server.len() + self.view.nick.len() + room.len() + 16;
        let budget = MAX_LINE_BYTES.saturating_sub(fixed);
        let mut line = String::new();
        for nick in nicks {
            if !line.is_empty() && line.len() + 1 + nick.len() > budget {
                self.numeric(RPL_NAMREPLY, &[symbol, room, &line]);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(nick);
        }
        if !line.is_empty() {
            self.numeric(RPL_NAMREPLY, &[symbol, room, &line]);
        }
    }

    fn lusers(&mut self, counts: &Counts) {
        let visible = counts.users.saturating_sub(counts.invisible);
        let users = format!("There are {visible} users and {} invisible on 1 servers", counts.invisible);
        self.numeric(RPL_LUSERCLIENT, &[&users]);
        if counts.opers > 0 {
            self.numeric(RPL_LUSEROP, &[&counts.opers.to_string(), "operator(s) online"]);
        }
        if counts.unregistered > 0 {
            self.numeric(RPL_LUSERUNKNOWN, &[&counts.unregistered.to_string(), "unknown connection(s)"]);
        }
        self.numeric(RPL_LUSERCHANNELS, &[&counts.rooms.to_string(), "channels formed"]);
        self.numeric(RPL_LUSERME, &[&format!("I have {} clients and 0 servers", counts.users)]);
        self.user_totals(counts);
    }

    fn motd(&mut self) {
        self.numeric(RPL_MOTDSTART, &[&format!("- {} Message of the day - ", self.view.server)]);
        self.numeric(RPL_MOTD, &["- Welcome to chatd. Netcat users and IRC users share these rooms."]);
        self.numeric(RPL_MOTD, &["- Try: /join #lobby"]);
        self.numeric(RPL_ENDOFMOTD, &["End of /MOTD command."]);
    }

    fn topic(&mut self, room: &str, text: &str, set_by: &Person, at: Millis) {
        self.numeric(RPL_TOPIC, &[room, &for_irc(text)]);
        self.numeric(RPL_TOPICWHOTIME, &[room, &set_by.prefix(), &(at / 1000).to_string()]);
    }

    fn error(&mut self, error: &ChatError) {
        match error {
            ChatError::Parse(ParseError::UnknownCommand(name)) => {
                self.numeric(ERR_UNKNOWNCOMMAND, &[&for_irc(name), "Unknown command"])
            }
            ChatError::Parse(ParseError::Usage(name)) => {
                self.numeric(ERR_NEEDMOREPARAMS, &[&name.to_ascii_uppercase(), "Not enough parameters"])
            }
            ChatError::Parse(ParseError::LineTooLong { .. }) => {
                self.numeric(ERR_INPUTTOOLONG, &["Input line was too long"])
            }
            ChatError::Parse(ParseError::NoNicknameGiven) => self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]),
            ChatError::Parse(ParseError::NoRecipient(command)) => {
                self.numeric(ERR_NORECIPIENT, &[&format!("No recipient given ({command})")])
            }
            ChatError::Parse(ParseError::NoTextToSend) => self.numeric(ERR_NOTEXTTOSEND, &["No text to send"]),
            ChatError::Parse(ParseError::InvalidUtf8 { command }) => self.invalid_utf8(command),
            ChatError::NickInvalid { nick, why } => {
                self.numeric(ERR_ERRONEUSNICKNAME, &[&for_irc(nick), &format!("Erroneous nickname: {why}")])
            }
            ChatError::NickTaken(nick) => {
                self.numeric(ERR_NICKNAMEINUSE, &[&for_irc(nick), "Nickname is already in use"])
            }
            ChatError::NickRegistered(nick) => {
                self.numeric(ERR_NICKNAMEINUSE, &[&for_irc(nick), "Nickname is registered: identify first"])
            }
            ChatError::NickReserved(nick) => {
                self.numeric(ERR_ERRONEUSNICKNAME, &[&for_irc(nick), "Erroneous nickname: reserved for services"])
            }
            ChatError::NickRequired => self.numeric(ERR_NOTREGISTERED, &["You have not registered"]),
            ChatError::RoomInvalid { room, .. } | ChatError::NoSuchRoom(room) => {
                self.numeric(ERR_NOSUCHCHANNEL, &[&for_irc(room), "No such channel"])
            }
            ChatError::NotInRoom(room) => {
                self.numeric(ERR_NOTONCHANNEL, &[room.as_str(), "You're not on that channel"])
            }
            ChatError::NoCurrentRoom { default } => {
                self.numeric(ERR_NOTONCHANNEL, &[default.as_str(), "You're not on that channel"])
            }
            ChatError::NoSuchNick(nick) => self.numeric(ERR_NOSUCHNICK, &[&for_irc(nick), "No such nick/channel"]),
            ChatError::TooManyRooms { room, .. } => {
                self.numeric(ERR_TOOMANYCHANNELS, &[room.as_str(), "You have joined too many channels"])
            }
            ChatError::TooLong { what, max } => {
                self.numeric(ERR_INPUTTOOLONG, &[&format!("The {what} is too long (at most {max} bytes)")])
            }
            ChatError::AlreadyRegistered => self.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]),
            ChatError::CannotSendToRoom(room) => {
                self.numeric(ERR_CANNOTSENDTOCHAN, &[room.as_str(), "Cannot send to channel (join it first)"])
            }
            ChatError::Moderated(room) => {
                self.numeric(ERR_CANNOTSENDTOCHAN, &[room.as_str(), "Cannot send to channel (+m)"])
            }
            ChatError::BannedFromRoom(room) => {
                self.numeric(ERR_CANNOTSENDTOCHAN, &[room.as_str(), "Cannot send to channel (+b)"])
            }
            ChatError::InvalidCapCommand(sub) => {
                self.numeric(ERR_INVALIDCAPCMD, &[&for_irc(sub), "Invalid CAP command"])
            }
            ChatError::UnknownMode(mode) => {
                self.numeric(ERR_UNKNOWNMODE, &[&for_irc(&mode.to_string()), "is unknown mode char to me"])
            }
            ChatError::ModeNeedsParameter(_) => self.numeric(ERR_NEEDMOREPARAMS, &["MODE", "Not enough parameters"]),
            ChatError::UsersDontMatch => self.numeric(ERR_USERSDONTMATCH, &["Can't change mode for other users"]),
            ChatError::NotRoomOperator(room) => {
                self.numeric(ERR_CHANOPRIVSNEEDED, &[room.as_str(), "You're not channel operator"])
            }
            ChatError::UserNotInRoom { nick, room } => {
                self.numeric(ERR_USERNOTINCHANNEL, &[&for_irc(nick), room.as_str(), "They aren't on that channel"])
            }
            ChatError::AlreadyInRoom { nick, room } => {
                self.numeric(ERR_USERONCHANNEL, &[&for_irc(nick), room.as_str(), "is already on channel"])
            }
            ChatError::InviteOnly(room) => {
                self.numeric(ERR_INVITEONLYCHAN, &[room.as_str(), "Cannot join channel (+i)"])
            }
            ChatError::BadKey(room) => self.numeric(ERR_BADCHANNELKEY, &[room.as_str(), "Cannot join channel (+k)"]),
            ChatError::RoomFull(room) => self.numeric(ERR_CHANNELISFULL, &[room.as_str(), "Cannot join channel (+l)"]),
            ChatError::Banned(room) => self.numeric(ERR_BANNEDFROMCHAN, &[room.as_str(), "Cannot join channel (+b)"]),
            ChatError::PasswordMismatch => self.numeric(ERR_PASSWDMISMATCH, &["Password incorrect"]),
            ChatError::NoOperators => self.numeric(ERR_NOOPERHOST, &["No O-lines for your host"]),
            ChatError::NotServerOperator => {
                self.numeric(ERR_NOPRIVILEGES, &["Permission Denied- You're not an IRC operator"])
            }
            ChatError::InvalidModeParam { target, mode, param, why } => {
                self.invalid_mode_param(target, *mode, param, why)
            }
            ChatError::History(fail) => self.history_fail(fail),
            // issue 14: queries
            ChatError::UnknownUserMode => self.numeric(ERR_UMODEUNKNOWNFLAG, &["Unknown MODE flag"]),
            // issue 14: ircv3
            ChatError::InvalidRealname => self.fail("SETNAME", "INVALID_REALNAME", "Realname is not valid"),
        }
    }
}

/// A room's recent messages: with their original times for `server-time` clients, otherwise as
/// server notices that show the time in the text.
fn history(o: &mut Out<'_, '_>, room: &str, entries: &[HistoryEntry]) {
    let server = o.view.server;
    let nick = o.view.nick;
    for entry in entries {
        if o.view.server_time {
            o.message(
                &entry.from,
                room,
                &entry.text,
                entry.kind,
                Stamp { at: entry.at, id: Some(entry.id), client: None },
            );
        } else {
            let minutes = entry.at / 60_000;
            let clock = format!("[{:02}:{:02}]", (minutes / 60) % 24, minutes % 60);
            let line = match entry.kind {
                MessageKind::Action => format!("{room} {clock} * {} {}", entry.from.nick, for_irc(&entry.text)),
                _ => format!("{room} {clock} <{}> {}", entry.from.nick, for_irc(&entry.text)),
            };
            for piece in split_text(&line, text_budget(server, "NOTICE", nick).max(1)) {
                write_line(o.out, Some(server), "NOTICE", &[nick, piece]);
            }
        }
    }
}

/// Renders `reply` for one IRC recipient that negotiated no account capability, appending
/// complete CRLF-terminated lines to `out`.
pub fn render(reply: &Reply, view: &View<'_>, out: &mut Vec<u8>) {
    render_for(reply, view, AccountCaps::default(), out);
}

/// Renders `reply` for one IRC recipient that negotiated none of the capabilities in
/// `Ircv3Caps`, appending complete CRLF-terminated lines to `out`.
pub fn render_for(reply: &Reply, view: &View<'_>, account: AccountCaps, out: &mut Vec<u8>) {
    render_with(reply, view, account, Ircv3Caps::default(), out);
}

/// Renders `reply` for one IRC recipient, appending complete CRLF-terminated lines to `out`.
pub fn render_with(reply: &Reply, view: &View<'_>, account: AccountCaps, v3: Ircv3Caps, out: &mut Vec<u8>) {
    // A history answer comes in a batch, its lines tagged with their msgids, for clients that
    // can read them (`draft/chathistory` implies both: see the IRC session).
    let history_caps = HistoryCaps { batch: v3.batch, msgid: v3.message_tags || v3.batch };
    let mut o = Out { out, view, account, v3, history: history_caps };
    match reply {
        Reply::Welcome { person, counts } => {
            let version = format!("chatd-{}", env!("CARGO_PKG_VERSION"));
            o.numeric(RPL_WELCOME, &[&format!("Welcome to the {NETWORK} IRC network {}", person.prefix())]);
            o.numeric(RPL_YOURHOST, &[&format!("Your host is {}, running version {version}", view.server)]);
            o.numeric(RPL_CREATED, &[&format!("This server was created {}", timestamp(view.started))]);
            o.numeric(RPL_MYINFO, &[view.server, &version, "iow", &MYINFO_ROOM_MODES, &MYINFO_PARAM_MODES]);
            // At most 13 tokens a line: with the recipient and the text, 15 parameters.
            for chunk in ISUPPORT.chunks(13) {
                let mut tokens: Vec<&str> = chunk.iter().map(String::as_str).collect();
                tokens.push("are supported by this server");
                o.numeric(RPL_ISUPPORT, &tokens);
            }
            o.lusers(counts);
            o.motd();
        }
        Reply::YouJoined { room, me, members, topic, visibility } => {
            o.join(me, room.as_str());
            if let Some(topic) = topic {
                o.topic(room.as_str(), &topic.text, &topic.set_by, topic.at);
            }
            let nicks: Vec<String> =
                members.iter().map(|m| with_prefix(m, view.multi_prefix, v3.userhost_in_names)).collect();
            o.names(modes::names_symbol(*visibility), room.as_str(), &nicks);
            o.numeric(RPL_ENDOFNAMES, &[room.as_str(), "End of /NAMES list"]);
        }
        Reply::Joined { room, who } => o.join(who, room.as_str()),
        Reply::Said { room, from, text, kind, at, id, tags } => {
            o.message(from, room.as_str(), text, *kind, Stamp { at: *at, id: Some(*id), client: tags.as_deref() })
        }
        // The sender's own copy only for `echo-message`, as the line the recipient got.
        Reply::Private { from, to, text, kind, at, echo, id, tags } if !*echo || v3.echo_message => {
            o.message(from, to.as_str(), text, *kind, Stamp { at: *at, id: Some(*id), client: tags.as_deref() })
        }
        Reply::History { room, entries } => history(&mut o, room.as_str(), entries),
        Reply::RoomModes { room, modes, params, created } => {
            let params: Vec<_> = params.iter().map(|param| for_irc(param)).collect();
            let mut all = vec![room.as_str(), modes.as_str()];
            all.extend(params.iter().map(|param| &**param));
            o.numeric(RPL_CHANNELMODEIS, &all);
            o.numeric(RPL_CREATIONTIME, &[room.as_str(), &(created / 1000).to_string()]);
        }
        Reply::BanList { room, masks } => {
            o.mask_list(room.as_str(), masks, RPL_BANLIST, RPL_ENDOFBANLIST, "End of channel ban list")
        }
        Reply::ModesChanged { room, by, changes, params } => {
            let params: Vec<String> = params.iter().map(|param| for_irc(param).into_owned()).collect();
            for (letters, params) in mode_lines(&by.prefix(), room.as_str(), changes, &params) {
                let mut all = vec![room.as_str(), letters.as_str()];
                all.extend(params.iter().map(String::as_str));
                o.from(by, "MODE", &all);
            }
        }
        Reply::Kicked { room, by, nick, reason } => {
            o.from(by, "KICK", &[room.as_str(), nick.as_str(), &for_irc(reason)])
        }
        Reply::Invited { by, room } => o.from(by, "INVITE", &[view.nick, room.as_str()]),
        Reply::Inviting { nick, room } => o.numeric(RPL_INVITING, &[nick.as_str(), room.as_str()]),
        Reply::YoureOper => o.youre_oper(),
        Reply::YouParted { room, me: who, reason, .. } | Reply::Parted { room, who, reason } => match reason {
            Some(reason) => o.from(who, "PART", &[room.as_str(), &for_irc(reason)]),
            None => o.from(who, "PART", &[room.as_str()]),
        },
        Reply::Quit { who, reason } => o.from(who, "QUIT", &[&for_irc(&quit_text(reason, view))]),
        // `NICK` to the very nickname one has changes nothing: IRC servers say nothing (netcat
        // users are told).
        Reply::NickChanged { old, new, .. } if old.nick == *new => {}
        Reply::NickChanged { old, new, .. } => o.from(old, "NICK", &[new.as_str()]),
        Reply::TopicChanged { room, by, topic } => {
            o.from(by, "TOPIC", &[room.as_str(), &for_irc(topic.as_deref().unwrap_or(""))])
        }
        Reply::TopicIs { room, topic: Some(topic) } => o.topic(room.as_str(), &topic.text, &topic.set_by, topic.at),
        Reply::TopicIs { room, topic: None } => o.numeric(RPL_NOTOPIC, &[room.as_str(), "No topic is set"]),
        Reply::Rooms(rooms) => {
            o.numeric(RPL_LISTSTART, &["Channel", "Users  Name"]);
            for info in rooms {
                o.numeric(
                    RPL_LIST,
                    &[info.room.as_str(), &info.members.to_string(), &for_irc(info.topic.as_deref().unwrap_or(""))],
                );
            }
            o.numeric(RPL_LISTEND, &["End of /LIST"]);
        }
        Reply::AwayChanged { text: Some(_) } => o.numeric(RPL_NOWAWAY, &["You have been marked as being away"]),
        Reply::AwayChanged { text: None } => o.numeric(RPL_UNAWAY, &["You are no longer marked as being away"]),
        Reply::PeerAway { nick, text } => o.numeric(RPL_AWAY, &[nick.as_str(), &for_irc(text)]),
        Reply::Error(error) => o.error(error),
        Reply::Closing { reason } => {
            write_line(o.out, None, "ERROR", &[&format!("Closing link: ({})", for_irc(&quit_text(reason, view)))])
        }
        Reply::Cap { sub, caps } => o.server("CAP", &[view.nick, sub, caps]),
        Reply::Pong { token } => o.server("PONG", &[view.server, &for_irc(token)]),
        Reply::Ping { token } => write_line(o.out, None, "PING", &[token]),
        Reply::Names { room, members, visibility, end } => {
            let nicks: Vec<String> =
                members.iter().map(|m| with_prefix(m, view.multi_prefix, v3.userhost_in_names)).collect();
            o.names(modes::names_symbol(*visibility), &for_irc(room), &nicks);
            if let Some(end) = end {
                o.numeric(RPL_ENDOFNAMES, &[&for_irc(end), "End of /NAMES list"]);
            }
        }
        Reply::WhoList { mask, entries, whox } => o.who_list(mask, entries, whox.as_ref()),
        Reply::Whois { nick, info: None } => {
            let nick = for_irc(nick);
            o.numeric(ERR_NOSUCHNICK, &[&nick, "No such nick/channel"]);
            o.numeric(RPL_ENDOFWHOIS, &[&nick, "End of /WHOIS list"]);
        }
        Reply::Whois { nick: asked, info: Some(info) } => {
            let p = &info.person;
            let nick = p.nick.as_str();
            o.numeric(RPL_WHOISUSER, &[nick, &p.user, &p.host, "*", &for_irc(&info.realname)]);
            o.whois_channels(nick, &info.rooms);
            o.numeric(RPL_WHOISSERVER, &[nick, view.server, &for_irc(&info.server_description)]);
            if info.oper {
                o.numeric(RPL_WHOISOPERATOR, &[nick, "is an IRC operator"]);
            }
            if let Some(account) = &info.account {
                o.numeric(RPL_WHOISACCOUNT, &[nick, account, "is logged in as"]);
            }
            if let Some(away) = &info.away {
                o.numeric(RPL_AWAY, &[nick, &for_irc(away)]);
            }
            let idle = info.idle_secs.to_string();
            let signon = (info.signon / 1000).to_string();
            o.numeric(RPL_WHOISIDLE, &[nick, &idle, &signon, "seconds idle, signon time"]);
            o.numeric(RPL_ENDOFWHOIS, &[&for_irc(asked), "End of /WHOIS list"]);
        }
        Reply::UserModes { modes } => o.numeric(RPL_UMODEIS, &[modes]),
        Reply::Ison { nicks } => {
            let nicks: Vec<&str> = nicks.iter().map(|n| n.as_str()).collect();
            o.numeric(RPL_ISON, &[&nicks.join(" ")]);
        }
        Reply::Userhost { entries } => {
            let items: Vec<String> = entries
                .iter()
                .map(|u| {
                    format!("{}={}{}@{}", u.person.nick, if u.away { '-' } else { '+' }, u.person.user, u.person.host)
                })
                .collect();
            o.numeric(RPL_USERHOST, &[&items.join(" ")]);
        }
        Reply::Motd => o.motd(),
        Reply::Lusers { counts } => o.lusers(counts),
        Reply::Version => {
            let version = format!("chatd-{}", env!("CARGO_PKG_VERSION"));
            o.numeric(RPL_VERSION, &[&version, view.server, "a small self-hosted chat daemon"]);
        }
        Reply::Time { now } => o.numeric(RPL_TIME, &[view.server, &timestamp(*now)]),
        // Netcat-only conversation: prompts, help, history replay (IRC clients are not flooded with
        // old lines), the echo of one's own private message (but for `echo-message`, above), room
        // switching and netcat listings, crowd summaries (IRC clients get every JOIN, PART and
        // QUIT instead).
        Reply::Greeting { .. }
        | Reply::NickPrompt { .. }
        | Reply::NowTalkingIn { .. }
        | Reply::YouJoinedCrowd { .. }
        | Reply::CrowdSummary { .. }
        | Reply::Private { .. }
        | Reply::Who { .. }
        | Reply::Users(_) => {}
        Reply::Account(reply) => o.account(reply),
        Reply::Sasl(step) => o.sasl(*step),
        // `account-notify` (the session drops it for clients that did not ask).
        Reply::AccountChanged { who, account } => o.from(who, "ACCOUNT", &[account.as_deref().unwrap_or("*")]),
        // Presence for clients that follow everyone (XMLSocket); IRC clients have their rooms.
        Reply::Online { .. } => {}
        // issue 14: modes
        Reply::ExceptList { room, masks } => {
            let end = "End of channel exception list";
            o.mask_list(room.as_str(), masks, RPL_EXCEPTLIST, RPL_ENDOFEXCEPTLIST, end)
        }
        Reply::InviteExceptList { room, masks } => {
            let end = "End of Channel Invite Exception List";
            o.mask_list(room.as_str(), masks, RPL_INVEXLIST, RPL_ENDOFINVEXLIST, end)
        }
        Reply::SaidToStatus { status, room, from, text, kind, at, id } => {
            o.message(from, &format!("{status}{room}"), text, *kind, Stamp { at: *at, id: Some(*id), client: None })
        }
        Reply::ChatHistory { target, lines, .. } => o.chat_history(target, lines),
        Reply::HistoryTargets { targets } => o.history_targets(targets),
        // issue 14: queries
        Reply::Help { command } => o.help(command.as_deref()),
        Reply::Whowas { asked, entries, unknown } => o.whowas(asked, entries, unknown),
        Reply::Info => o.info(),
        Reply::Links { mask, description } => o.links(mask.as_deref(), description),
        Reply::Wallops { from, text } => o.wallops(from, text),
        Reply::UserModesChanged { me, changes } => o.from(me, "MODE", &[me.nick.as_str(), changes]),
        // issue 14: ircv3
        Reply::TagMsg { .. }
        | Reply::AwayNotify { .. }
        | Reply::RealnameChanged { .. }
        | Reply::InviteNotify { .. } => o.ircv3(reply),
    }
}

//! Chat state: nicknames, rooms, membership, topics, away messages and room history.
//!
//! Pure: no sockets, no threads, no clock (time comes in as an argument) and no logging. Only the
//! broker thread owns a `State`; every change goes through `connect`, `apply` and `remove`, which
//! say who must be told what (`Outgoing`) and what the operator log should record (`Audit`).
//! Dialect-free: a netcat user and an IRC user are both `Member`s; only registration differs
//! (netcat: the first line is the nickname; IRC: `NICK` and `USER`, after `CAP END` if the
//! client negotiates capabilities).
//!
//! Rooms other than the default room disappear, with their topic and history, when their last
//! member leaves; the default room always exists.
//!
//! Crowds: in a room of more than `Settings::crowd_size` members, people (netcat users) are not
//! told of each join, part and quit — that costs every member a line per event, the whole room
//! quadratically — but get one summary per room per `Settings::crowd_interval`, and a joiner
//! gets the member count instead of every name. Nor are they told of nick changes of people they
//! share only crowds with. IRC clients still get every `JOIN`, `PART`, `QUIT` and `NICK`: they
//! keep their member lists from them.

use crate::core::ids::{ClientId, IdMap};
use crate::core::names::{Folded, Nick, RoomName};
use crate::protocol::{
    ChatError, Command, Counts, Dialect, HistoryEntry, MessageKind, Millis, ParseError, Person, QuitReason, Reply,
    RoomInfo, Topic, TopicChange, UserInfo, WhoisInfo, netcat,
};
use crate::room::{self, Histories, HistoryLimits, ModeChange, ModeError, Modes, Room};
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::core::limits::{MAX_REASON_BYTES, MAX_ROOMS_PER_CLIENT, MAX_TARGETS, MAX_TOPIC_BYTES, MAX_USER_CHARS};
/// Most joiners a crowd summary names (the rest are counted).
pub const CROWD_SUMMARY_NAMES: usize = 3;

/// Fixed settings of the chat, from the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server_name: String,
    pub default_room: RoomName,
    /// What rooms remember for people who join later, and how much of it one replay sends.
    pub history: HistoryLimits,
    /// Report message texts in `Audit::Message` (the operator asked for them with `--log-messages`).
    pub audit_messages: bool,
    /// Server operator credentials (`--oper NAME:PASSWORD`).
    pub opers: Vec<(String, String)>,
    /// A room with more members than this is a crowd (see the module header); 0: none is.
    pub crowd_size: usize,
    /// How often, at most, a crowd's members get a summary of its joins and leaves.
    pub crowd_interval: Millis,
}

impl Settings {
    /// Whether a room of `members` (counting whoever is joining or leaving) is a crowd.
    fn is_crowd(&self, members: usize) -> bool {
        self.crowd_size > 0 && members > self.crowd_size
    }
}

/// IRCv3 capabilities a client negotiated; they change how its lines are rendered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// `server-time`: messages carry `@time=`, and room history is replayed on join.
    pub server_time: bool,
    /// `multi-prefix`: every status prefix in NAMES and WHO, not only the highest.
    pub multi_prefix: bool,
}

/// What `CAP LS` offers.
pub const OFFERED_CAPS: &str = "multi-prefix server-time";

/// Who receives a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum To {
    One(ClientId),
    Many(Vec<ClientId>),
}

/// One reply and its recipients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub to: To,
    pub reply: Reply,
}

/// A fact for the operator log. Never carries message text unless `Settings::audit_messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audit {
    Registered { id: ClientId, nick: Nick, dialect: Dialect },
    NickChanged { id: ClientId, old: Nick, new: Nick },
    Joined { id: ClientId, nick: Nick, room: RoomName, members: usize, created: bool },
    Parted { id: ClientId, nick: Nick, room: RoomName, members: usize, removed: bool },
    TopicChanged { id: ClientId, nick: Nick, room: RoomName },
    Private { id: ClientId, from: Nick, to: Nick },
    Kicked { id: ClientId, by: Nick, nick: Nick, room: RoomName },
    Modes { id: ClientId, nick: Nick, room: RoomName, changes: String },
    Oper { id: ClientId, nick: Nick, name: String, ok: bool },
    Message { id: ClientId, from: Nick, target: String, text: Arc<str> },
}

/// What `apply` asks the broker to do besides delivering replies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Continue,
    /// The client asked to leave: remove it with this reason and close its connection.
    Close(QuitReason),
}

/// Everything a change produces; the broker drains both lists after each call.
#[derive(Debug, Default)]
pub struct Output {
    pub deliveries: Vec<Outgoing>,
    pub audit: Vec<Audit>,
    /// Other clients to disconnect (`KILL`), with the reason.
    pub kills: Vec<(ClientId, QuitReason)>,
}

impl Output {
    fn tell(&mut self, id: ClientId, reply: Reply) {
        self.deliveries.push(Outgoing { to: To::One(id), reply });
    }

    fn tell_many(&mut self, ids: Vec<ClientId>, reply: Reply) {
        if !ids.is_empty() {
            self.deliveries.push(Outgoing { to: To::Many(ids), reply });
        }
    }

    fn error(&mut self, id: ClientId, error: ChatError) {
        self.tell(id, Reply::Error(error));
    }
}

#[derive(Debug)]
struct Member {
    dialect: Dialect,
    /// The peer's address as IRC prefixes show it.
    host: String,
    /// The claimed nickname. IRC clients claim one with `NICK` before registration completes.
    nick: Option<Nick>,
    /// IRC `USER` name; `None` until given (netcat users never give one).
    user: Option<String>,
    realname: String,
    /// The client sent `CAP LS`/`REQ`: registration waits for `CAP END`.
    cap_negotiating: bool,
    /// Who this member is once registered; replaced (not mutated) on a nick change.
    person: Option<Arc<Person>>,
    /// Rooms in the order they were joined.
    rooms: Vec<Folded>,
    /// Where plain lines go.
    current: Option<Folded>,
    away: Option<String>,
    /// Logged in with `OPER`.
    oper: bool,
    caps: Caps,
    signon: Millis,
    /// Last time the member said something (for `WHOIS` idle time).
    last_spoke: Millis,
}

impl Member {
    /// Told of every join, part and quit even in a crowd: IRC clients keep their member lists
    /// from these lines. People are told of a crowd's comings and goings in summaries.
    fn hears_every_membership_change(&self) -> bool {
        self.dialect == Dialect::Irc
    }
}

/// The members among `ids` who are told of every join, part and quit, in order.
fn hearing_every_change(members: &IdMap<Member>, ids: &[ClientId]) -> Vec<ClientId> {
    ids.iter().copied().filter(|m| members.get(m).is_some_and(Member::hears_every_membership_change)).collect()
}

/// Joins and leaves in one crowded room not yet told to its people.
#[derive(Debug, Default)]
struct CrowdTally {
    /// When the sweep first saw this tally: its summary is due one interval later. (Set by the
    /// sweep, so that leaving, which has no clock, need not know the time.)
    opened: Option<Millis>,
    joined: usize,
    left: usize,
    /// The first few who joined (at most `CROWD_SUMMARY_NAMES`).
    first_joined: Vec<Nick>,
}

impl CrowdTally {
    fn record_join(&mut self, nick: &Nick) {
        self.joined = self.joined.saturating_add(1);
        if self.first_joined.len() < CROWD_SUMMARY_NAMES {
            self.first_joined.push(nick.clone());
        }
    }

    fn record_leave(&mut self) {
        self.left = self.left.saturating_add(1);
    }
}

/// All chat state. Owned by the broker thread alone.
pub struct State {
    settings: Settings,
    members: IdMap<Member>,
    /// Claimed nicknames, registered or not, so no two clients can hold one.
    nicks: HashMap<Folded, ClientId>,
    rooms: HashMap<Folded, Room>,
    /// Every room's recent messages; a room's go when the room does.
    histories: Histories,
    registered: usize,
    /// Crowded rooms with joins or leaves since their last summary (at most one per room).
    tallies: HashMap<Folded, CrowdTally>,
}

/// Whether an IRC parse error before registration is answered as it is (true) or with 451.
/// Kept: errors in the registration commands (`CAP`, `PASS`, `NICK`, `USER`, `PING`, `PONG`,
/// `QUIT`; `NoNicknameGiven` is `NICK`'s), unknown commands (421, as after registration) and
/// overlong lines (417), which are no command at all.
fn allowed_before_registration(error: &ParseError) -> bool {
    match error {
        ParseError::Usage(command) => {
            matches!(*command, "CAP" | "PASS" | "NICK" | "USER" | "PING" | "PONG" | "QUIT")
        }
        ParseError::NoNicknameGiven | ParseError::UnknownCommand(_) | ParseError::LineTooLong { .. } => true,
        ParseError::NoRecipient(_) | ParseError::NoTextToSend => false,
    }
}

/// A quit reason, cut at `MAX_REASON_BYTES` (the client is leaving, so it cannot be asked again).
fn quit_reason(reason: Option<String>) -> QuitReason {
    QuitReason::Quit(reason.map(|mut text| {
        cut_at_char_boundary(&mut text, MAX_REASON_BYTES);
        text
    }))
}

fn cut_at_char_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// Compares secrets without stopping at the first difference, so timing does not tell how much
/// of a guessed password was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An IRC username as shown in prefixes: `~` (no ident check) and at most 10 safe characters.
fn username(given: &str) -> String {
    let clean: String = given
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(MAX_USER_CHARS)
        .collect();
    if clean.is_empty() { "~user".to_string() } else { format!("~{clean}") }
}

/// A host as shown in prefixes: IPv6 addresses starting with `:` would end the prefix early.
pub fn display_host(ip: &str) -> String {
    if ip.starts_with(':') { format!("0{ip}") } else { ip.to_string() }
}

impl State {
    /// A fresh state at time `now` (when the default room is created).
    pub fn new(settings: Settings, now: Millis) -> State {
        let mut rooms = HashMap::new();
        // The default room is open to all: anyone may set its topic.
        let lobby_modes = Modes { topic_ops_only: false, ..Modes::new_room() };
        rooms.insert(settings.default_room.folded(), Room::new(settings.default_room.clone(), now, lobby_modes));
        let histories = Histories::new(settings.history);
        State {
            settings,
            members: IdMap::default(),
            nicks: HashMap::new(),
            rooms,
            histories,
            registered: 0,
            tallies: HashMap::new(),
        }
    }

    /// A new connection whose dialect is known: netcat users are greeted and asked for a
    /// nickname; IRC clients speak first. Called again for a connection greeted as netcat that
    /// turned out to be an IRC client: it starts over, unregistered, with nothing kept from
    /// before. A registered member keeps its dialect: the call does nothing.
    pub fn connect(&mut self, id: ClientId, dialect: Dialect, host: &str, now: Millis, out: &mut Output) {
        if let Some(earlier) = self.members.get(&id) {
            if earlier.person.is_some() {
                return;
            }
            if let Some(nick) = &earlier.nick
                && self.nicks.get(&nick.folded()) == Some(&id)
            {
                self.nicks.remove(&nick.folded());
            }
        }
        let member = Member {
            dialect,
            host: display_host(host),
            nick: None,
            user: None,
            realname: String::new(),
            cap_negotiating: false,
            person: None,
            rooms: Vec::new(),
            current: None,
            away: None,
            oper: false,
            caps: Caps::default(),
            signon: now,
            last_spoke: now,
        };
        self.members.insert(id, member);
        if dialect == Dialect::Netcat {
            out.tell(
                id,
                Reply::Greeting { server: self.settings.server_name.clone(), version: env!("CARGO_PKG_VERSION") },
            );
            out.tell(id, Reply::NickPrompt { reminder: false });
        }
    }

    pub fn nick(&self, id: ClientId) -> Option<&Nick> {
        self.members.get(&id).and_then(|m| m.nick.as_ref())
    }

    pub fn is_registered(&self, id: ClientId) -> bool {
        self.members.get(&id).is_some_and(|m| m.person.is_some())
    }

    /// What rendering for `id` depends on, in one lookup (the broker asks for every delivery):
    /// how many rooms it is in, its nickname, its capabilities.
    pub fn render_info(&self, id: ClientId) -> (usize, Option<&Nick>, Caps) {
        self.members.get(&id).map_or((0, None, Caps::default()), |m| (m.rooms.len(), m.nick.as_ref(), m.caps))
    }

    /// Registered users, server operators, unregistered connections and rooms.
    pub fn counts(&self) -> Counts {
        Counts {
            users: self.registered,
            opers: self.members.values().filter(|m| m.oper).count(),
            unregistered: self.members.len() - self.registered,
            rooms: self.rooms.len(),
        }
    }

    /// Reminds a silent, unregistered client to choose a nickname.
    pub fn remind(&self, id: ClientId, out: &mut Output) {
        out.tell(id, Reply::NickPrompt { reminder: true });
    }

    /// Tells `id` that its line could not be parsed. Before registration an IRC client hears
    /// 451 (not registered) for any known command other than the registration ones, well formed
    /// or not: irssi sends `JOIN :` then, and 451 is what it gets for a well-formed `JOIN`.
    pub fn parse_error(&self, id: ClientId, error: ParseError, out: &mut Output) {
        let unregistered_irc = self.members.get(&id).is_some_and(|m| m.person.is_none() && m.dialect == Dialect::Irc);
        if unregistered_irc && !allowed_before_registration(&error) {
            out.error(id, ChatError::NickRequired);
        } else {
            out.error(id, ChatError::Parse(error));
        }
    }

    /// Carries out one command from `id` at time `now`.
    pub fn apply(&mut self, id: ClientId, command: Command, now: Millis, out: &mut Output) -> Effect {
        let Some(member) = self.members.get(&id) else { return Effect::Continue };
        if member.person.is_none() {
            return self.apply_unregistered(id, command, now, out);
        }
        match command {
            // A plain line comes as typed (it may have been a nickname); as a message it is cleaned.
            Command::Say { text } => {
                if let Some(text) = netcat::said_text(&text) {
                    self.say(id, text, MessageKind::Normal, now, out);
                }
            }
            Command::Action { text } => self.say(id, text, MessageKind::Action, now, out),
            Command::Private { to, text } => self.private(id, &to, text, MessageKind::Normal, now, out),
            Command::Nick { nick } => self.change_nick(id, &nick, out),
            Command::Join { room, key } => self.join(id, &room, key.as_deref(), now, out),
            Command::Part { room, reason } => self.part(id, room.as_deref(), reason, out),
            Command::Rooms | Command::List => self.list_rooms(id, out),
            Command::Who { room } => self.who(id, room.as_deref(), out),
            Command::Users => self.users(id, out),
            Command::Topic { room, change } => self.topic(id, room.as_deref(), change, now, out),
            Command::Away { text } => self.away(id, text, out),
            Command::Quit { reason } => return Effect::Close(quit_reason(reason)),
            Command::Help { command } => out.tell(id, Reply::Help { command }),
            Command::Cap { sub, arg } => self.cap(id, &sub, &arg, out),
            Command::Pass | Command::User { .. } => out.error(id, ChatError::AlreadyRegistered),
            Command::Ping { token } => out.tell(id, Reply::Pong { token }),
            Command::Pong => {}
            Command::JoinMany { rooms, keys } => {
                for (i, room) in rooms.iter().take(MAX_TARGETS).enumerate() {
                    self.join(id, room, keys.get(i).map(String::as_str), now, out);
                }
            }
            Command::PartAll => {
                let rooms = self.members.get(&id).map(|m| m.rooms.clone()).unwrap_or_default();
                for key in rooms {
                    if let Some(name) = self.rooms.get(&key).map(|r| r.name.to_string()) {
                        self.part(id, Some(&name), None, out);
                    }
                }
            }
            Command::PartMany { rooms, reason } => {
                for room in rooms.iter().take(MAX_TARGETS) {
                    self.part(id, Some(room), reason.clone(), out);
                }
            }
            Command::Message { targets, text, kind } => {
                for target in targets.iter().take(MAX_TARGETS) {
                    self.message(id, target, &text, kind, now, out);
                }
            }
            Command::Names { rooms } => self.names(id, rooms, out),
            Command::WhoMask { mask } => self.who_mask(id, mask, out),
            Command::Whois { nick } => self.whois(id, nick, now, out),
            Command::Mode { target, changes } => self.mode(id, target, changes, out),
            Command::Kick { room, nick, reason } => self.kick(id, room.as_deref(), &nick, reason, out),
            Command::Invite { nick, room } => self.invite(id, &nick, room.as_deref(), out),
            Command::Oper { name, password } => self.oper(id, &name, &password, out),
            Command::Kill { nick, reason } => self.kill(id, &nick, reason, out),
            Command::History { room, count } => self.history(id, room.as_deref(), count, out),
            Command::Ison { nicks } => {
                let online = nicks.iter().filter_map(|n| self.registered_person(n)).map(|p| p.nick.clone()).collect();
                out.tell(id, Reply::Ison { nicks: online });
            }
            Command::Userhost { nicks } => {
                let entries = nicks
                    .iter()
                    .take(5)
                    .filter_map(|n| self.nicks.get(&Folded::of(n)))
                    .filter_map(|&m| self.user_info(m))
                    .collect();
                out.tell(id, Reply::Userhost { entries });
            }
            Command::Motd => out.tell(id, Reply::Motd),
            Command::Lusers => out.tell(id, Reply::Lusers { counts: self.counts() }),
            Command::Version => out.tell(id, Reply::Version),
            Command::Time => out.tell(id, Reply::Time { now }),
        }
        Effect::Continue
    }

    /// Before registration. Netcat: a plain line is the nickname choice. IRC: `NICK` and `USER`
    /// (and `CAP END` when negotiating) complete registration.
    fn apply_unregistered(&mut self, id: ClientId, command: Command, now: Millis, out: &mut Output) -> Effect {
        let dialect = self.members.get(&id).map_or(Dialect::Netcat, |m| m.dialect);
        match (dialect, command) {
            (_, Command::Quit { reason }) => return Effect::Close(quit_reason(reason)),
            (_, Command::Help { command }) => out.tell(id, Reply::Help { command }),
            (Dialect::Netcat, Command::Say { text } | Command::Nick { nick: text }) => {
                // Only spaces are trimmed: any other blank is part of the name, and refused.
                match self.claim_nick(id, text.trim_matches(' ')) {
                    Ok(()) => self.complete_registration(id, now, out),
                    Err(error) => {
                        out.error(id, error);
                        out.tell(id, Reply::NickPrompt { reminder: false });
                    }
                }
            }
            (Dialect::Irc, Command::Nick { nick }) => match self.claim_nick(id, &nick) {
                Ok(()) => self.complete_registration(id, now, out),
                Err(error) => out.error(id, error),
            },
            (Dialect::Irc, Command::User { user, realname }) => {
                if let Some(member) = self.members.get_mut(&id) {
                    member.user = Some(username(&user));
                    member.realname = realname;
                }
                self.complete_registration(id, now, out);
            }
            (Dialect::Irc, Command::Cap { sub, arg }) => {
                self.cap(id, &sub, &arg, out);
                self.complete_registration(id, now, out);
            }
            (Dialect::Irc, Command::Pass | Command::Pong) => {}
            (Dialect::Irc, Command::Ping { token }) => out.tell(id, Reply::Pong { token }),
            _ => out.error(id, ChatError::NickRequired),
        }
        Effect::Continue
    }

    /// Capability negotiation (IRCv3 CAP): `multi-prefix` and `server-time` are offered. While a
    /// client negotiates, registration waits for `CAP END`, as clients expect.
    fn cap(&mut self, id: ClientId, sub: &str, arg: &str, out: &mut Output) {
        let registered = self.is_registered(id);
        let Some(member) = self.members.get_mut(&id) else { return };
        match sub {
            "LS" => {
                member.cap_negotiating = !registered;
                out.tell(id, Reply::Cap { sub: "LS", caps: OFFERED_CAPS.to_string() });
            }
            "LIST" => {
                let mut on = Vec::new();
                if member.caps.multi_prefix {
                    on.push("multi-prefix");
                }
                if member.caps.server_time {
                    on.push("server-time");
                }
                out.tell(id, Reply::Cap { sub: "LIST", caps: on.join(" ") });
            }
            "REQ" => {
                member.cap_negotiating = !registered;
                // All or nothing (IRCv3 capability negotiation): one unknown name refuses the lot.
                let mut caps = member.caps;
                let known = arg.split_whitespace().all(|name| {
                    let (on, name) = match name.strip_prefix('-') {
                        Some(name) => (false, name),
                        None => (true, name),
                    };
                    match name {
                        "multi-prefix" => caps.multi_prefix = on,
                        "server-time" => caps.server_time = on,
                        _ => return false,
                    }
                    true
                });
                if known {
                    member.caps = caps;
                }
                out.tell(id, Reply::Cap { sub: if known { "ACK" } else { "NAK" }, caps: arg.trim().to_string() });
            }
            "END" => member.cap_negotiating = false,
            _ => out.error(id, ChatError::InvalidCapCommand(sub.to_string())),
        }
    }

    /// Claims a nickname for an unregistered client (replacing any it claimed before).
    fn claim_nick(&mut self, id: ClientId, wanted: &str) -> Result<(), ChatError> {
        let nick = self.check_nick(id, wanted)?;
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        if let Some(old) = member.nick.replace(nick.clone()) {
            self.nicks.remove(&old.folded());
        }
        self.nicks.insert(nick.folded(), id);
        Ok(())
    }

    fn check_nick(&self, id: ClientId, wanted: &str) -> Result<Nick, ChatError> {
        let nick = Nick::parse(wanted).map_err(|why| ChatError::NickInvalid { nick: wanted.to_string(), why })?;
        match self.nicks.get(&nick.folded()) {
            Some(&owner) if owner != id => Err(ChatError::NickTaken(nick.to_string())),
            _ => Ok(nick),
        }
    }

    /// Registers `id` once everything its dialect needs is there.
    fn complete_registration(&mut self, id: ClientId, now: Millis, out: &mut Output) {
        let Some(member) = self.members.get_mut(&id) else { return };
        let ready = member.person.is_none()
            && member.nick.is_some()
            && match member.dialect {
                Dialect::Netcat => true,
                Dialect::Irc => member.user.is_some() && !member.cap_negotiating,
            };
        if !ready {
            return;
        }
        let Some(nick) = member.nick.clone() else { return };
        let user = member.user.clone().unwrap_or_else(|| username(nick.as_str()));
        if member.realname.is_empty() {
            member.realname = nick.to_string();
        }
        let person = Arc::new(Person { nick: nick.clone(), user, host: member.host.clone() });
        member.person = Some(Arc::clone(&person));
        member.signon = now;
        member.last_spoke = now;
        let dialect = member.dialect;
        self.registered += 1;
        out.audit.push(Audit::Registered { id, nick, dialect });
        out.tell(id, Reply::Welcome { person, counts: self.counts() });
        // Netcat users start in the default room; IRC clients join what they choose.
        if dialect == Dialect::Netcat {
            let default_room = self.settings.default_room.to_string();
            self.join(id, &default_room, None, now, out);
        }
    }

    /// The member's identity; only called for registered members.
    fn person(&self, id: ClientId) -> Arc<Person> {
        // cannot fail: callers run only after `apply` checked that `id` is registered.
        self.members.get(&id).and_then(|m| m.person.clone()).expect("registered member has a person")
    }

    fn registered_person(&self, nick: &str) -> Option<Arc<Person>> {
        self.nicks.get(&Folded::of(nick)).and_then(|id| self.members.get(id)).and_then(|m| m.person.clone())
    }

    fn no_current_room(&self) -> ChatError {
        ChatError::NoCurrentRoom { default: self.settings.default_room.clone() }
    }

    fn current_room(&self, id: ClientId) -> Result<&Folded, ChatError> {
        self.members.get(&id).and_then(|m| m.current.as_ref()).ok_or_else(|| self.no_current_room())
    }

    /// Resolves an optional room argument: the named room (which must exist), or the current one.
    fn resolve_room(&self, id: ClientId, room: Option<&str>) -> Result<Folded, ChatError> {
        match room {
            None => self.current_room(id).cloned(),
            Some(name) => {
                let parsed =
                    RoomName::parse(name).map_err(|why| ChatError::RoomInvalid { room: name.to_string(), why })?;
                let key = parsed.folded();
                if self.rooms.contains_key(&key) { Ok(key) } else { Err(ChatError::NoSuchRoom(parsed.to_string())) }
            }
        }
    }

    fn is_member(&self, id: ClientId, key: &Folded) -> bool {
        self.members.get(&id).is_some_and(|m| m.rooms.contains(key))
    }

    /// A netcat line or action: to the current room.
    fn say(&mut self, id: ClientId, text: String, kind: MessageKind, now: Millis, out: &mut Output) {
        match self.current_room(id) {
            Ok(key) => {
                let key = key.clone();
                match self.rooms.get(&key).map(|room| room.may_speak(id)) {
                    Some(Err(error)) => out.error(id, error),
                    _ => self.say_in(id, &key, text.into(), kind, now, out),
                }
            }
            Err(error) => out.error(id, error),
        }
    }

    /// An IRC `PRIVMSG`/`NOTICE` to one target. Errors are never sent for a `NOTICE`.
    fn message(&mut self, id: ClientId, target: &str, text: &str, kind: MessageKind, now: Millis, out: &mut Output) {
        let result = if target.starts_with('#') {
            match self.resolve_room(id, Some(target)) {
                Ok(key) => match self.rooms[&key].may_speak(id) {
                    Ok(()) => {
                        self.say_in(id, &key, text.into(), kind, now, out);
                        Ok(())
                    }
                    Err(error) => Err(error),
                },
                Err(_) => Err(ChatError::NoSuchNick(target.to_string())),
            }
        } else {
            self.private(id, target, text.to_string(), kind, now, out);
            Ok(())
        };
        if let Err(error) = result
            && kind != MessageKind::Notice
        {
            out.error(id, error);
        }
    }

    fn say_in(&mut self, id: ClientId, key: &Folded, text: Arc<str>, kind: MessageKind, now: Millis, out: &mut Output) {
        let from = self.person(id);
        if let Some(member) = self.members.get_mut(&id) {
            member.last_spoke = now;
        }
        let Some(room) = self.rooms.get_mut(key) else { return };
        if kind != MessageKind::Notice {
            self.histories.push(key, HistoryEntry { at: now, from: Arc::clone(&from), text: text.clone(), kind });
        }
        if self.settings.audit_messages {
            out.audit.push(Audit::Message {
                id,
                from: from.nick.clone(),
                target: room.name.to_string(),
                text: text.clone(),
            });
        }
        out.tell_many(room.others(id), Reply::Said { room: room.name.clone(), from, text, kind, at: now });
    }

    fn private(&mut self, id: ClientId, to: &str, text: String, kind: MessageKind, now: Millis, out: &mut Output) {
        let target = self.nicks.get(&Folded::of(to)).copied().filter(|t| self.is_registered(*t));
        let Some(target) = target else {
            if kind != MessageKind::Notice {
                out.error(id, ChatError::NoSuchNick(to.to_string()));
            }
            return;
        };
        let from = self.person(id);
        let to = self.person(target).nick.clone();
        let text: Arc<str> = text.into();
        if let Some(member) = self.members.get_mut(&id) {
            member.last_spoke = now;
        }
        out.audit.push(Audit::Private { id, from: from.nick.clone(), to: to.clone() });
        if self.settings.audit_messages {
            out.audit.push(Audit::Message { id, from: from.nick.clone(), target: to.to_string(), text: text.clone() });
        }
        let away = self.members.get(&target).and_then(|m| m.away.clone());
        let private =
            |echo| Reply::Private { from: Arc::clone(&from), to: to.clone(), text: text.clone(), kind, at: now, echo };
        out.tell(target, private(false));
        out.tell(id, private(true));
        if let Some(away) = away
            && kind != MessageKind::Notice
        {
            out.tell(id, Reply::PeerAway { nick: to, text: away });
        }
    }

    /// Who is told that `id` quit: everyone sharing a room with it, each once — but in a crowd
    /// only those who hear every change. Also the crowds it is in, whose tallies count it.
    fn quit_audience(&self, id: ClientId) -> (Vec<ClientId>, Vec<Folded>) {
        let mut peers = Vec::new();
        let mut crowds = Vec::new();
        for key in self.members.get(&id).into_iter().flat_map(|m| m.rooms.iter()) {
            let Some(room) = self.rooms.get(key) else { continue };
            if self.settings.is_crowd(room.members.len()) {
                peers.extend(hearing_every_change(&self.members, &room.members));
                crowds.push(key.clone());
            } else {
                peers.extend_from_slice(&room.members);
            }
        }
        peers.retain(|&m| m != id);
        peers.sort_unstable();
        peers.dedup();
        (peers, crowds)
    }

    /// The tally of room `key`'s joins and leaves for its next crowd summary.
    fn tally(&mut self, key: &Folded) -> &mut CrowdTally {
        self.tallies.entry(key.clone()).or_default()
    }

    /// Tells the people in each crowded room how many joined and left since its last summary,
    /// at most once per `Settings::crowd_interval`. The broker calls this from its sweep.
    pub fn summarise_crowds(&mut self, now: Millis, out: &mut Output) {
        if self.tallies.is_empty() {
            return;
        }
        let interval = self.settings.crowd_interval;
        let (rooms, members) = (&self.rooms, &self.members);
        self.tallies.retain(|key, tally| {
            let opened = *tally.opened.get_or_insert(now);
            if now < opened.saturating_add(interval) {
                return true;
            }
            if let Some(room) = rooms.get(key) {
                let people = room
                    .members
                    .iter()
                    .copied()
                    .filter(|m| members.get(m).is_some_and(|m| !m.hears_every_membership_change()))
                    .collect();
                let summary = Reply::CrowdSummary {
                    room: room.name.clone(),
                    joined: tally.joined,
                    left: tally.left,
                    first_joined: std::mem::take(&mut tally.first_joined),
                    span_secs: interval / 1000,
                };
                out.tell_many(people, summary);
            }
            false
        });
    }

    /// Who is told that `id` changed nickname: the same people as for a quit (`quit_audience`).
    /// A person who shares only crowds with `id` is not told: in a room of thousands, every nick
    /// change would cost a line to each of them, as every join once did. IRC clients are always
    /// told: they keep their member lists from `NICK` lines.
    fn nick_audience(&self, id: ClientId) -> Vec<ClientId> {
        self.quit_audience(id).0
    }

    fn change_nick(&mut self, id: ClientId, wanted: &str, out: &mut Output) {
        let new = match self.check_nick(id, wanted) {
            Ok(nick) => nick,
            Err(error) => return out.error(id, error),
        };
        let old = self.person(id);
        if old.nick == new {
            // Nothing changes; say so rather than stay silent.
            return out.tell(id, Reply::NickChanged { old, new, you: true });
        }
        self.nicks.remove(&old.nick.folded());
        self.nicks.insert(new.folded(), id);
        let renamed = Arc::new(Person { nick: new.clone(), ..(*old).clone() });
        if let Some(member) = self.members.get_mut(&id) {
            member.nick = Some(new.clone());
            member.person = Some(renamed);
        }
        out.audit.push(Audit::NickChanged { id, old: old.nick.clone(), new: new.clone() });
        out.tell_many(
            self.nick_audience(id),
            Reply::NickChanged { old: Arc::clone(&old), new: new.clone(), you: false },
        );
        out.tell(id, Reply::NickChanged { old, new, you: true });
    }

    fn join(&mut self, id: ClientId, name: &str, key_given: Option<&str>, now: Millis, out: &mut Output) {
        let room_name = match RoomName::parse(name) {
            Ok(room) => room,
            Err(why) => return out.error(id, ChatError::RoomInvalid { room: name.to_string(), why }),
        };
        let key = room_name.folded();
        let me = self.person(id);
        let Some(member) = self.members.get_mut(&id) else { return };
        if member.rooms.contains(&key) {
            member.current = Some(key.clone());
            let name = self.rooms.get(&key).map_or(room_name, |r| r.name.clone());
            return out.tell(id, Reply::NowTalkingIn { room: name });
        }
        if member.rooms.len() >= MAX_ROOMS_PER_CLIENT {
            return out.error(id, ChatError::TooManyRooms { max: MAX_ROOMS_PER_CLIENT });
        }
        let caps = member.caps;
        let dialect = member.dialect;
        if let Some(room) = self.rooms.get(&key)
            && !room.invited.contains(&id)
        {
            // An invitation passes every door (as on common servers); without one, check each.
            let refusal = if room.is_banned(&me.prefix()) {
                Some(ChatError::Banned(room.name.clone()))
            } else if room.modes.invite_only {
                Some(ChatError::InviteOnly(room.name.clone()))
            } else if room.modes.key.as_deref().is_some_and(|k| Some(k) != key_given) {
                Some(ChatError::BadKey(room.name.clone()))
            } else if room.modes.limit.is_some_and(|limit| room.members.len() >= limit) {
                Some(ChatError::RoomFull(room.name.clone()))
            } else {
                None
            };
            if let Some(refusal) = refusal {
                return out.error(id, refusal);
            }
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.rooms.push(key.clone());
            member.current = Some(key.clone());
        }
        let created = !self.rooms.contains_key(&key);
        let room = self.rooms.entry(key.clone()).or_insert_with(|| Room::new(room_name, now, Modes::new_room()));
        let crowd = self.settings.is_crowd(room.members.len() + 1);
        let audience = if crowd { hearing_every_change(&self.members, &room.members) } else { room.others(id) };
        out.tell_many(audience, Reply::Joined { room: room.name.clone(), who: Arc::clone(&me) });
        room.invited.remove(&id);
        if room.members.is_empty() && key != self.settings.default_room.folded() {
            // Whoever opens an empty room runs it; the default room belongs to no one.
            room.ops.insert(id);
        }
        room.members.push(id);
        let name = room.name.clone();
        let topic = room.topic.clone();
        // Old lines go to people and to IRC clients that can show their original time.
        let replay = dialect == Dialect::Netcat || caps.server_time;
        let history = if replay { self.histories.replay(&key, None) } else { Vec::new() };
        let count = room.members.len();
        out.audit.push(Audit::Joined { id, nick: me.nick.clone(), room: name.clone(), members: count, created });
        if crowd {
            self.tally(&key).record_join(&me.nick);
        }
        let hears_every_change = self.members.get(&id).is_some_and(Member::hears_every_membership_change);
        if crowd && !hears_every_change {
            // Listing a crowd to each joiner is what made big rooms cost quadratically.
            out.tell(id, Reply::YouJoinedCrowd { room: name.clone(), count, topic });
        } else {
            let members = self.room_users(&key);
            out.tell(id, Reply::YouJoined { room: name.clone(), me, members, topic });
        }
        if !history.is_empty() {
            out.tell(id, Reply::History { room: name, entries: history });
        }
    }

    /// Removes `id` from the room `key`, deleting the room when it empties (unless it is the
    /// default room). Returns the room's name and the members left.
    fn leave_room(&mut self, id: ClientId, key: &Folded) -> Option<(RoomName, Vec<ClientId>, bool)> {
        let room = self.rooms.get_mut(key)?;
        room.forget(id);
        let name = room.name.clone();
        let left = room.members.clone();
        let removed = left.is_empty() && *key != self.settings.default_room.folded();
        if removed {
            self.rooms.remove(key);
            self.tallies.remove(key);
            self.histories.remove_room(key);
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.rooms.retain(|r| r != key);
            if member.current.as_ref() == Some(key) {
                member.current = member.rooms.last().cloned();
            }
        }
        Some((name, left, removed))
    }

    fn part(&mut self, id: ClientId, room: Option<&str>, reason: Option<String>, out: &mut Output) {
        if reason.as_ref().is_some_and(|r| r.len() > MAX_REASON_BYTES) {
            return out.error(id, ChatError::TooLong { what: "reason", max: MAX_REASON_BYTES });
        }
        let key = match self.resolve_room(id, room) {
            Ok(key) => key,
            Err(ChatError::NoSuchRoom(name)) => {
                let name = RoomName::parse(&name).ok();
                return out.error(id, name.map_or_else(|| self.no_current_room(), ChatError::NotInRoom));
            }
            Err(error) => return out.error(id, error),
        };
        if !self.is_member(id, &key) {
            let name = self.rooms.get(&key).map(|r| r.name.clone());
            return out.error(id, name.map_or_else(|| self.no_current_room(), ChatError::NotInRoom));
        }
        let me = self.person(id);
        let Some((name, left, removed)) = self.leave_room(id, &key) else { return };
        out.audit.push(Audit::Parted { id, nick: me.nick.clone(), room: name.clone(), members: left.len(), removed });
        let audience = if self.settings.is_crowd(left.len() + 1) {
            self.tally(&key).record_leave();
            hearing_every_change(&self.members, &left)
        } else {
            left
        };
        out.tell_many(audience, Reply::Parted { room: name.clone(), who: Arc::clone(&me), reason: reason.clone() });
        let current = self.current_room(id).ok().and_then(|k| self.rooms.get(k)).map(|r| r.name.clone());
        out.tell(id, Reply::YouParted { room: name, me, reason, current });
    }

    fn list_rooms(&self, id: ClientId, out: &mut Output) {
        let mut rooms: Vec<(&Folded, RoomInfo)> = self
            .rooms
            .iter()
            .map(|(key, room)| {
                let info = RoomInfo {
                    room: room.name.clone(),
                    members: room.members.len(),
                    topic: room.topic.as_ref().map(|t| t.text.clone()),
                };
                (key, info)
            })
            .collect();
        rooms.sort_by(|a, b| a.0.cmp(b.0));
        out.tell(id, Reply::Rooms(rooms.into_iter().map(|(_, info)| info).collect()));
    }

    fn user_info(&self, id: ClientId) -> Option<UserInfo> {
        let member = self.members.get(&id)?;
        Some(UserInfo {
            person: member.person.clone()?,
            away: member.away.is_some(),
            op: false,
            voice: false,
            oper: member.oper,
            realname: member.realname.clone(),
        })
    }

    /// Registered users among `ids`, sorted by nickname.
    fn users_sorted(&self, ids: impl Iterator<Item = ClientId>) -> Vec<UserInfo> {
        let mut users: Vec<UserInfo> = ids.filter_map(|m| self.user_info(m)).collect();
        users.sort_by_key(|u| u.person.nick.folded());
        users
    }

    /// A room's members in join order, with their status there.
    fn room_users(&self, key: &Folded) -> Vec<UserInfo> {
        let Some(room) = self.rooms.get(key) else { return Vec::new() };
        room.members
            .iter()
            .filter_map(|&m| {
                let info = self.user_info(m)?;
                Some(UserInfo { op: room.ops.contains(&m), voice: room.voiced.contains(&m), ..info })
            })
            .collect()
    }

    fn who(&self, id: ClientId, room: Option<&str>, out: &mut Output) {
        match self.resolve_room(id, room) {
            Ok(key) => {
                let Some(room) = self.rooms.get(&key) else { return };
                let mut members = self.room_users(&key);
                members.sort_by_key(|u| u.person.nick.folded());
                out.tell(id, Reply::Who { room: room.name.clone(), members });
            }
            Err(error) => out.error(id, error),
        }
    }

    fn users(&self, id: ClientId, out: &mut Output) {
        out.tell(id, Reply::Users(self.users_sorted(self.nicks.values().copied())));
    }

    fn names(&self, id: ClientId, rooms: Vec<String>, out: &mut Output) {
        let rooms = if rooms.is_empty() {
            let mine = self.members.get(&id).map(|m| m.rooms.clone()).unwrap_or_default();
            mine.iter().filter_map(|k| self.rooms.get(k)).map(|r| r.name.to_string()).collect()
        } else {
            rooms
        };
        for name in rooms.into_iter().take(MAX_TARGETS) {
            let key = Folded::of(&name);
            let (room, members) = match self.rooms.get(&key) {
                Some(room) => (room.name.to_string(), self.room_users(&key)),
                None => (name, Vec::new()),
            };
            out.tell(id, Reply::Names { room, members });
        }
    }

    fn who_mask(&self, id: ClientId, mask: String, out: &mut Output) {
        let entries = if mask.starts_with('#') {
            let key = Folded::of(&mask);
            match self.rooms.get(&key) {
                Some(room) => self.room_users(&key).into_iter().map(|u| (Some(room.name.clone()), u)).collect(),
                None => Vec::new(),
            }
        } else {
            match self.nicks.get(&Folded::of(&mask)).and_then(|&m| self.user_info(m)) {
                Some(user) => vec![(None, user)],
                None => Vec::new(),
            }
        };
        out.tell(id, Reply::WhoList { mask, entries });
    }

    fn whois(&self, id: ClientId, nick: String, now: Millis, out: &mut Output) {
        let info = self.nicks.get(&Folded::of(&nick)).and_then(|m| self.members.get(m)).and_then(|member| {
            Some(WhoisInfo {
                person: member.person.clone()?,
                realname: member.realname.clone(),
                rooms: member.rooms.iter().filter_map(|k| self.rooms.get(k)).map(|r| r.name.clone()).collect(),
                away: member.away.clone(),
                idle_secs: now.saturating_sub(member.last_spoke) / 1000,
                signon: member.signon,
                oper: member.oper,
            })
        });
        out.tell(id, Reply::Whois { nick, info });
    }

    /// `MODE`: room modes are shown to anyone and changed by room operators; user modes can only
    /// be queried (a client setting its usual `+i` or `+w` is ignored).
    fn mode(&mut self, id: ClientId, target: String, changes: Vec<String>, out: &mut Output) {
        // Netcat's `/mode` without a room means the current one.
        let target = if target.is_empty() {
            match self.current_room(id) {
                Ok(key) => self.rooms[key].name.to_string(),
                Err(error) => return out.error(id, error),
            }
        } else {
            target
        };
        if !target.starts_with('#') {
            let me = self.person(id);
            if Folded::of(&target) != me.nick.folded() {
                return out.error(id, ChatError::UsersDontMatch);
            }
            if changes.is_empty() {
                out.tell(id, Reply::UserModes);
            }
            return;
        }
        let key = Folded::of(&target);
        let Some(room) = self.rooms.get(&key) else {
            return out.error(id, ChatError::NoSuchRoom(target));
        };
        if changes.is_empty() {
            let (modes, params) = room.modes.describe(room.members.contains(&id));
            return out.tell(id, Reply::RoomModes { room: room.name.clone(), modes, params, created: room.created });
        }
        let parsed = match room::parse_changes(&changes) {
            Ok(parsed) => parsed,
            Err(ModeError::Unknown(mode)) => return out.error(id, ChatError::UnknownMode(mode)),
            Err(ModeError::NeedsParameter(mode)) => return out.error(id, ChatError::ModeNeedsParameter(mode)),
        };
        if parsed.iter().all(|c| *c == ModeChange::BanList) {
            return out.tell(id, Reply::BanList { room: room.name.clone(), masks: room.bans.clone() });
        }
        if !room.is_op(id) {
            return out.error(id, ChatError::NotRoomOperator(room.name.clone()));
        }
        let mut applied = String::new();
        let mut params = Vec::new();
        // The log gets the same, but never a room key.
        let mut logged_params = Vec::new();
        let mut sign = None;
        for change in parsed {
            let Some((set, letter, param)) = self.apply_mode(id, &key, change, out) else { continue };
            if sign != Some(set) {
                applied.push(if set { '+' } else { '-' });
                sign = Some(set);
            }
            applied.push(letter);
            if let Some(param) = param {
                logged_params.push(if letter == 'k' { "*".to_string() } else { param.clone() });
                params.push(param);
            }
        }
        if applied.is_empty() {
            return;
        }
        let me = self.person(id);
        let Some(room) = self.rooms.get(&key) else { return };
        let logged =
            std::iter::once(applied.as_str()).chain(logged_params.iter().map(String::as_str)).collect::<Vec<_>>();
        out.audit.push(Audit::Modes { id, nick: me.nick.clone(), room: room.name.clone(), changes: logged.join(" ") });
        out.tell_many(
            room.members.clone(),
            Reply::ModesChanged { room: room.name.clone(), by: me, changes: applied, params },
        );
    }

    /// Applies one change; returns what to announce (sign, letter, parameter), or `None` when
    /// nothing changed or the change was refused (with the error told).
    fn apply_mode(
        &mut self,
        id: ClientId,
        key: &Folded,
        change: ModeChange,
        out: &mut Output,
    ) -> Option<(bool, char, Option<String>)> {
        let target_in_room = |state: &State, nick: &str| -> Result<ClientId, ChatError> {
            let Some(room) = state.rooms.get(key).map(|r| r.name.clone()) else {
                return Err(ChatError::NoSuchNick(nick.to_string()));
            };
            let &target = state.nicks.get(&Folded::of(nick)).ok_or_else(|| ChatError::NoSuchNick(nick.to_string()))?;
            if state.is_member(target, key) {
                Ok(target)
            } else {
                Err(ChatError::UserNotInRoom { nick: nick.to_string(), room })
            }
        };
        let status = |state: &State, nick: &str, out: &mut Output| match target_in_room(state, nick) {
            Ok(target) => Some((target, state.person(target).nick.to_string())),
            Err(error) => {
                out.error(id, error);
                None
            }
        };
        match change {
            ModeChange::Op { set, nick } => {
                let (target, nick) = status(self, &nick, out)?;
                let room = self.rooms.get_mut(key)?;
                let changed = if set { room.ops.insert(target) } else { room.ops.remove(&target) };
                changed.then_some((set, 'o', Some(nick)))
            }
            ModeChange::Voice { set, nick } => {
                let (target, nick) = status(self, &nick, out)?;
                let room = self.rooms.get_mut(key)?;
                let changed = if set { room.voiced.insert(target) } else { room.voiced.remove(&target) };
                changed.then_some((set, 'v', Some(nick)))
            }
            ModeChange::Flag { set, mode } => {
                let room = self.rooms.get_mut(key)?;
                let flag = match mode {
                    'n' => &mut room.modes.no_external,
                    't' => &mut room.modes.topic_ops_only,
                    'i' => &mut room.modes.invite_only,
                    _ => &mut room.modes.moderated,
                };
                (*flag != set).then(|| {
                    *flag = set;
                    (set, mode, None)
                })
            }
            ModeChange::Key { set: true, key: new } => {
                let room = self.rooms.get_mut(key)?;
                if new.len() > room::MAX_KEY_BYTES || new.contains([' ', ',']) {
                    out.error(id, ChatError::ModeNeedsParameter('k'));
                    return None;
                }
                room.modes.key = Some(new.clone());
                Some((true, 'k', Some(new)))
            }
            ModeChange::Key { set: false, .. } => {
                let room = self.rooms.get_mut(key)?;
                room.modes.key.take().map(|_| (false, 'k', Some("*".to_string())))
            }
            ModeChange::Limit(limit) => {
                let room = self.rooms.get_mut(key)?;
                if room.modes.limit == limit {
                    return None;
                }
                room.modes.limit = limit;
                Some((limit.is_some(), 'l', limit.map(|l| l.to_string())))
            }
            ModeChange::Ban { set, mask } => {
                let room = self.rooms.get_mut(key)?;
                let present = room.bans.iter().position(|b| b.eq_ignore_ascii_case(&mask));
                match (set, present) {
                    (true, None) if room.bans.len() < room::MAX_BANS => room.bans.push(mask.clone()),
                    (false, Some(at)) => {
                        room.bans.remove(at);
                    }
                    _ => return None,
                }
                Some((set, 'b', Some(mask)))
            }
            ModeChange::BanList => {
                let room = self.rooms.get(key)?;
                out.tell(id, Reply::BanList { room: room.name.clone(), masks: room.bans.clone() });
                None
            }
        }
    }

    /// Resolves the room a room command names, or the current one, requiring membership.
    fn my_room(&self, id: ClientId, room: Option<&str>) -> Result<Folded, ChatError> {
        let key = self.resolve_room(id, room)?;
        if self.is_member(id, &key) { Ok(key) } else { Err(ChatError::NotInRoom(self.rooms[&key].name.clone())) }
    }

    fn kick(&mut self, id: ClientId, room: Option<&str>, nick: &str, reason: Option<String>, out: &mut Output) {
        let key = match self.my_room(id, room) {
            Ok(key) => key,
            Err(error) => return out.error(id, error),
        };
        let name = self.rooms[&key].name.clone();
        if !self.rooms[&key].is_op(id) {
            return out.error(id, ChatError::NotRoomOperator(name));
        }
        let target = self.nicks.get(&Folded::of(nick)).copied().filter(|&t| self.is_member(t, &key));
        let Some(target) = target else {
            return out.error(id, ChatError::UserNotInRoom { nick: nick.to_string(), room: name });
        };
        let me = self.person(id);
        let kicked = self.person(target).nick.clone();
        let mut reason = reason.unwrap_or_else(|| me.nick.to_string());
        cut_at_char_boundary(&mut reason, MAX_REASON_BYTES);
        let everyone = self.rooms[&key].members.clone();
        out.audit.push(Audit::Kicked { id, by: me.nick.clone(), nick: kicked.clone(), room: name.clone() });
        out.tell_many(everyone, Reply::Kicked { room: name, by: me, nick: kicked, reason });
        self.leave_room(target, &key);
    }

    fn invite(&mut self, id: ClientId, nick: &str, room: Option<&str>, out: &mut Output) {
        let key = match self.my_room(id, room) {
            Ok(key) => key,
            Err(error) => return out.error(id, error),
        };
        let Some(target) = self.nicks.get(&Folded::of(nick)).copied().filter(|&t| self.is_registered(t)) else {
            return out.error(id, ChatError::NoSuchNick(nick.to_string()));
        };
        let me = self.person(id);
        let invited = self.person(target).nick.clone();
        let target_inside = self.is_member(target, &key);
        let Some(room) = self.rooms.get_mut(&key) else { return };
        if target_inside {
            return out.error(id, ChatError::AlreadyInRoom { nick: invited.to_string(), room: room.name.clone() });
        }
        if room.modes.invite_only && !room.is_op(id) {
            return out.error(id, ChatError::NotRoomOperator(room.name.clone()));
        }
        room.invited.insert(target);
        out.tell(id, Reply::Inviting { nick: invited, room: room.name.clone() });
        out.tell(target, Reply::Invited { by: me, room: room.name.clone() });
    }

    /// `OPER`: the name and password must match one `--oper NAME:PASSWORD`.
    fn oper(&mut self, id: ClientId, name: &str, password: &str, out: &mut Output) {
        if self.settings.opers.is_empty() {
            return out.error(id, ChatError::NoOperators);
        }
        let ok =
            self.settings.opers.iter().any(|(n, p)| n == name && constant_time_eq(p.as_bytes(), password.as_bytes()));
        let nick = self.person(id).nick.clone();
        out.audit.push(Audit::Oper { id, nick, name: name.to_string(), ok });
        if !ok {
            return out.error(id, ChatError::PasswordMismatch);
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.oper = true;
        }
        out.tell(id, Reply::YoureOper);
    }

    /// `KILL`: a server operator disconnects someone; the broker carries it out.
    fn kill(&mut self, id: ClientId, nick: &str, mut reason: String, out: &mut Output) {
        if !self.members.get(&id).is_some_and(|m| m.oper) {
            return out.error(id, ChatError::NotServerOperator);
        }
        let Some(&target) = self.nicks.get(&Folded::of(nick)) else {
            return out.error(id, ChatError::NoSuchNick(nick.to_string()));
        };
        cut_at_char_boundary(&mut reason, MAX_REASON_BYTES);
        out.kills.push((target, QuitReason::Killed { by: self.person(id).nick.clone(), reason }));
    }

    /// `HISTORY`: a room's recent messages, newest `count` (all kept when `None`), as many as
    /// one replay may send.
    fn history(&self, id: ClientId, room: Option<&str>, count: Option<usize>, out: &mut Output) {
        let key = match self.my_room(id, room) {
            Ok(key) => key,
            Err(error) => return out.error(id, error),
        };
        let entries = self.histories.replay(&key, count);
        out.tell(id, Reply::History { room: self.rooms[&key].name.clone(), entries });
    }

    fn topic(&mut self, id: ClientId, room: Option<&str>, change: Option<TopicChange>, now: Millis, out: &mut Output) {
        let key = match self.resolve_room(id, room) {
            Ok(key) => key,
            Err(error) => return out.error(id, error),
        };
        let Some(change) = change else {
            let Some(room) = self.rooms.get(&key) else { return };
            return out.tell(id, Reply::TopicIs { room: room.name.clone(), topic: room.topic.clone() });
        };
        let member = self.is_member(id, &key);
        let me = self.person(id);
        let Some(room) = self.rooms.get_mut(&key) else { return };
        if !member {
            return out.error(id, ChatError::NotInRoom(room.name.clone()));
        }
        if room.modes.topic_ops_only && !room.is_op(id) {
            return out.error(id, ChatError::NotRoomOperator(room.name.clone()));
        }
        let text = match change {
            TopicChange::Set(text) if text.len() > MAX_TOPIC_BYTES => {
                return out.error(id, ChatError::TooLong { what: "topic", max: MAX_TOPIC_BYTES });
            }
            TopicChange::Set(text) => Some(text),
            TopicChange::Clear => None,
        };
        room.topic = text.clone().map(|text| Topic { text, set_by: Arc::clone(&me), at: now });
        out.audit.push(Audit::TopicChanged { id, nick: me.nick.clone(), room: room.name.clone() });
        out.tell_many(room.members.clone(), Reply::TopicChanged { room: room.name.clone(), by: me, topic: text });
    }

    fn away(&mut self, id: ClientId, text: Option<String>, out: &mut Output) {
        if text.as_ref().is_some_and(|t| t.len() > MAX_REASON_BYTES) {
            return out.error(id, ChatError::TooLong { what: "away message", max: MAX_REASON_BYTES });
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.away = text.clone();
        }
        out.tell(id, Reply::AwayChanged { text });
    }

    /// Removes `id` entirely, telling everyone who shared a room with it. Returns its nickname,
    /// if it had one. Removing an id that is already gone does nothing.
    pub fn remove(&mut self, id: ClientId, reason: &QuitReason, out: &mut Output) -> Option<Nick> {
        let (peers, crowds) = self.quit_audience(id);
        let member = self.members.get(&id)?;
        let nick = member.nick.clone();
        let person = member.person.clone();
        for key in member.rooms.clone() {
            self.leave_room(id, &key);
        }
        for key in &crowds {
            if self.rooms.contains_key(key) {
                self.tally(key).record_leave();
            }
        }
        self.members.remove(&id);
        if let Some(nick) = &nick {
            self.nicks.remove(&nick.folded());
        }
        if let Some(person) = person {
            self.registered -= 1;
            out.tell_many(peers, Reply::Quit { who: person, reason: reason.clone() });
        }
        nick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        state_with(HistoryLimits { lines: 2, room_bytes: 1 << 20, total_bytes: 1 << 26, replay_bytes: 1 << 16 })
    }

    fn state_with(history: HistoryLimits) -> State {
        let settings = Settings {
            server_name: "test".into(),
            default_room: RoomName::parse("#lobby").unwrap(),
            history,
            audit_messages: false,
            opers: vec![("admin".into(), "pw".into())],
            crowd_size: 0,
            crowd_interval: 60_000,
        };
        State::new(settings, 0)
    }

    fn run(state: &mut State, id: u64, command: Command) -> Output {
        let mut out = Output::default();
        state.apply(ClientId(id), command, 0, &mut out);
        out
    }

    fn replies_to(out: &Output, id: u64) -> Vec<&Reply> {
        let id = ClientId(id);
        out.deliveries
            .iter()
            .filter(|o| match &o.to {
                To::One(one) => *one == id,
                To::Many(many) => many.contains(&id),
            })
            .map(|o| &o.reply)
            .collect()
    }

    fn say(text: &str) -> Command {
        Command::Say { text: text.into() }
    }

    fn registered(state: &mut State, id: u64, nick: &str) {
        state.connect(ClientId(id), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        run(state, id, say(nick));
        assert!(state.is_registered(ClientId(id)));
    }

    #[test]
    fn first_line_is_the_nickname_and_joins_the_default_room() {
        let mut s = state();
        s.connect(ClientId(1), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 1, say("alice"));
        let replies = replies_to(&out, 1);
        assert!(matches!(replies[0], Reply::Welcome { .. }));
        assert!(matches!(replies[1], Reply::YouJoined { room, .. } if room.as_str() == "#lobby"));
        assert_eq!(s.render_info(ClientId(1)).0, 1);
    }

    #[test]
    fn taken_nickname_is_refused_case_insensitively_and_prompted_again() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        s.connect(ClientId(2), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 2, say("ALICE"));
        let replies = replies_to(&out, 2);
        assert_eq!(replies[0], &Reply::Error(ChatError::NickTaken("ALICE".into())));
        assert_eq!(replies[1], &Reply::NickPrompt { reminder: false });
        assert!(!s.is_registered(ClientId(2)));
    }

    #[test]
    fn commands_before_registration_ask_for_a_nick() {
        let mut s = state();
        s.connect(ClientId(1), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 1, Command::Users);
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NickRequired)]);
    }

    #[test]
    fn a_netcat_newcomer_restarts_as_an_irc_client_but_a_registered_user_stays() {
        let mut s = state();
        s.connect(ClientId(1), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 1, say("nick alice"));
        assert!(matches!(replies_to(&out, 1)[0], Reply::Error(ChatError::NickInvalid { .. })));
        let mut out = Output::default();
        s.connect(ClientId(1), Dialect::Irc, "127.0.0.1", 0, &mut out);
        assert!(out.deliveries.is_empty(), "an IRC client is not greeted: {:?}", out.deliveries);
        assert_eq!(s.counts().unregistered, 1);
        // IRC registration now: NICK alone does not register, USER completes it, no room joined.
        let out = run(&mut s, 1, Command::Nick { nick: "alice".into() });
        assert!(out.deliveries.is_empty() && !s.is_registered(ClientId(1)));
        let out = run(&mut s, 1, Command::User { user: "a".into(), realname: "A".into() });
        assert!(matches!(replies_to(&out, 1)[0], Reply::Welcome { .. }));
        assert_eq!(replies_to(&out, 1).len(), 1, "IRC clients join no room by themselves");
        assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alice");

        registered(&mut s, 2, "bob");
        s.connect(ClientId(2), Dialect::Irc, "127.0.0.1", 0, &mut Output::default());
        assert!(s.is_registered(ClientId(2)));
        assert_eq!(s.render_info(ClientId(2)).0, 1, "bob is still in the default room");
    }

    #[test]
    fn an_unregistered_irc_client_hears_451_for_malformed_commands_other_than_registration() {
        let mut s = state();
        s.connect(ClientId(1), Dialect::Irc, "127.0.0.1", 0, &mut Output::default());
        let answer = |s: &State, error: ParseError| {
            let mut out = Output::default();
            s.parse_error(ClientId(1), error, &mut out);
            out.deliveries.into_iter().map(|o| o.reply).collect::<Vec<_>>()
        };
        for error in [ParseError::Usage("JOIN"), ParseError::NoRecipient("PRIVMSG"), ParseError::NoTextToSend] {
            assert_eq!(answer(&s, error), vec![Reply::Error(ChatError::NickRequired)]);
        }
        for error in [
            ParseError::Usage("USER"),
            ParseError::Usage("PASS"),
            ParseError::NoNicknameGiven,
            ParseError::UnknownCommand("FOO".into()),
            ParseError::LineTooLong { limit: 512 },
        ] {
            assert_eq!(answer(&s, error.clone()), vec![Reply::Error(ChatError::Parse(error))]);
        }
        run(&mut s, 1, Command::Nick { nick: "bob".into() });
        run(&mut s, 1, Command::User { user: "b".into(), realname: "B".into() });
        assert!(s.is_registered(ClientId(1)));
        let error = ParseError::Usage("JOIN");
        assert_eq!(answer(&s, error.clone()), vec![Reply::Error(ChatError::Parse(error))]);
        // Netcat users keep their usage lines.
        s.connect(ClientId(2), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let mut out = Output::default();
        s.parse_error(ClientId(2), ParseError::Usage("join"), &mut out);
        assert_eq!(replies_to(&out, 2), vec![&Reply::Error(ChatError::Parse(ParseError::Usage("join")))]);
    }

    #[test]
    fn room_message_goes_to_others_not_the_sender_and_into_history() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        let out = run(&mut s, 1, say("hi"));
        assert!(replies_to(&out, 1).is_empty());
        assert!(matches!(replies_to(&out, 2)[0], Reply::Said { text, .. } if &**text == "hi"));
        run(&mut s, 1, say("two"));
        run(&mut s, 1, say("three"));
        registered(&mut s, 3, "carol");
        let out = run(&mut s, 3, Command::Join { room: "#lobby".into(), key: None });
        assert!(matches!(replies_to(&out, 3)[0], Reply::NowTalkingIn { .. }));
    }

    #[test]
    fn history_is_bounded_and_replayed_on_join() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        for text in ["one", "two", "three"] {
            run(&mut s, 1, say(text));
        }
        s.connect(ClientId(2), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 2, say("bob"));
        let history = replies_to(&out, 2)
            .into_iter()
            .find_map(|r| match r {
                Reply::History { entries, .. } => Some(entries.iter().map(|e| e.text.to_string()).collect::<Vec<_>>()),
                _ => None,
            })
            .unwrap();
        assert_eq!(history, vec!["two", "three"]);
    }

    fn replayed(out: &Output, id: u64) -> Vec<String> {
        replies_to(out, id)
            .into_iter()
            .find_map(|r| match r {
                Reply::History { entries, .. } => Some(entries.iter().map(|e| e.text.to_string()).collect()),
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn join_and_history_replay_only_the_newest_lines_that_fit_the_replay_budget() {
        let line = |i: usize| format!("{i:03}{}", "x".repeat(97));
        let cost = room::replay_bytes(&HistoryEntry {
            at: 0,
            from: Arc::new(Person { nick: Nick::parse("a").unwrap(), user: String::new(), host: String::new() }),
            text: line(0).into(),
            kind: MessageKind::Normal,
        });
        let limits =
            HistoryLimits { lines: 100, room_bytes: 1 << 20, total_bytes: 1 << 20, replay_bytes: 3 * cost + 1 };
        let mut s = state_with(limits);
        registered(&mut s, 1, "alice");
        for i in 0..10 {
            run(&mut s, 1, say(&line(i)));
        }
        s.connect(ClientId(2), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 2, say("bob"));
        assert_eq!(replayed(&out, 2), [line(7), line(8), line(9)]);
        let out = run(&mut s, 2, Command::History { room: None, count: None });
        assert_eq!(replayed(&out, 2), [line(7), line(8), line(9)]);
        let out = run(&mut s, 2, Command::History { room: None, count: Some(2) });
        assert_eq!(replayed(&out, 2), [line(8), line(9)]);
    }

    #[test]
    fn a_removed_room_takes_its_history_bytes_with_it() {
        let mut s =
            state_with(HistoryLimits { lines: 10, room_bytes: 1 << 20, total_bytes: 1 << 20, replay_bytes: 1 << 16 });
        registered(&mut s, 1, "alice");
        run(&mut s, 1, say("in the lobby"));
        let lobby = s.histories.total_bytes();
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        run(&mut s, 1, say("one"));
        run(&mut s, 1, say("two"));
        let side = RoomName::parse("#side").unwrap().folded();
        assert_eq!(s.histories.room_usage(&side).0, 2);
        assert_eq!(s.histories.total_bytes(), lobby + s.histories.room_usage(&side).1);
        run(&mut s, 1, Command::Part { room: Some("#side".into()), reason: None });
        assert_eq!(s.histories.room_usage(&side), (0, 0));
        assert_eq!(s.histories.total_bytes(), lobby);
        // A room of the same name later starts with nothing to replay.
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        let out = run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        assert!(replayed(&out, 1).is_empty());
        // The default room keeps its history when its last member leaves.
        s.remove(ClientId(1), &QuitReason::ConnectionLost, &mut Output::default());
        s.remove(ClientId(2), &QuitReason::ConnectionLost, &mut Output::default());
        assert_eq!(s.histories.total_bytes(), lobby);
    }

    #[test]
    fn private_message_to_missing_nick_fails() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let out = run(&mut s, 1, Command::Private { to: "nobody".into(), text: "x".into() });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NoSuchNick("nobody".into()))]);
    }

    #[test]
    fn private_message_to_away_user_reports_away() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Away { text: Some("lunch".into()) });
        let out = run(&mut s, 1, Command::Private { to: "BOB".into(), text: "x".into() });
        assert!(matches!(replies_to(&out, 2)[0], Reply::Private { echo: false, .. }));
        let to_alice = replies_to(&out, 1);
        assert!(matches!(to_alice[0], Reply::Private { echo: true, .. }));
        assert!(matches!(to_alice[1], Reply::PeerAway { text, .. } if text == "lunch"));
    }

    #[test]
    fn empty_rooms_vanish_but_the_default_room_stays() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        run(&mut s, 1, Command::Join { room: "rust".into(), key: None });
        assert_eq!(s.render_info(ClientId(1)).0, 2);
        let out = run(&mut s, 1, Command::Part { room: None, reason: None });
        assert!(matches!(replies_to(&out, 1)[0], Reply::YouParted { current: Some(r), .. } if r.as_str() == "#lobby"));
        let out = run(&mut s, 1, Command::Rooms);
        assert!(matches!(replies_to(&out, 1)[0], Reply::Rooms(rooms) if rooms.len() == 1));
        run(&mut s, 1, Command::Part { room: None, reason: None });
        let out = run(&mut s, 1, Command::Rooms);
        assert!(matches!(replies_to(&out, 1)[0], Reply::Rooms(rooms) if rooms.len() == 1 && rooms[0].members == 0));
    }

    #[test]
    fn part_of_a_room_not_joined_fails() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let out = run(&mut s, 1, Command::Part { room: Some("#nope".into()), reason: None });
        assert!(matches!(replies_to(&out, 1)[0], Reply::Error(ChatError::NotInRoom(r)) if r.as_str() == "#nope"));
    }

    #[test]
    fn room_limit_holds() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        for i in 1..MAX_ROOMS_PER_CLIENT {
            run(&mut s, 1, Command::Join { room: format!("#r{i}"), key: None });
        }
        let out = run(&mut s, 1, Command::Join { room: "#onemore".into(), key: None });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::TooManyRooms { max: MAX_ROOMS_PER_CLIENT })]);
    }

    #[test]
    fn nick_change_tells_each_peer_once() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#x".into(), key: None });
        run(&mut s, 2, Command::Join { room: "#x".into(), key: None });
        let out = run(&mut s, 1, Command::Nick { nick: "alicia".into() });
        assert_eq!(replies_to(&out, 2).len(), 1);
        assert!(matches!(replies_to(&out, 1)[0], Reply::NickChanged { you: true, .. }));
        assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alicia");
        // The old nick is free again.
        registered(&mut s, 3, "alice");
    }

    #[test]
    fn topic_needs_membership_to_change_and_has_a_length_limit() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Join { room: "#x".into(), key: None });
        let set = |text: &str| Some(TopicChange::Set(text.into()));
        let out = run(&mut s, 1, Command::Topic { room: Some("#x".into()), change: set("hi") });
        assert!(matches!(replies_to(&out, 1)[0], Reply::Error(ChatError::NotInRoom(_))));
        let out = run(&mut s, 2, Command::Topic { room: None, change: set(&"x".repeat(301)) });
        assert!(matches!(replies_to(&out, 2)[0], Reply::Error(ChatError::TooLong { .. })));
        let out = run(&mut s, 2, Command::Topic { room: None, change: set("rust") });
        assert!(matches!(replies_to(&out, 2)[0], Reply::TopicChanged { .. }));
        let out = run(&mut s, 1, Command::Topic { room: Some("#X".into()), change: None });
        assert!(matches!(replies_to(&out, 1)[0], Reply::TopicIs { topic: Some(t), .. } if t.text == "rust"));
    }

    #[test]
    fn remove_frees_the_nick_and_tells_room_mates() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        let mut out = Output::default();
        let nick = s.remove(ClientId(1), &QuitReason::ConnectionLost, &mut out);
        assert_eq!(nick.unwrap().as_str(), "alice");
        assert!(matches!(replies_to(&out, 2)[0], Reply::Quit { reason: QuitReason::ConnectionLost, .. }));
        assert!(s.remove(ClientId(1), &QuitReason::ConnectionLost, &mut Output::default()).is_none());
        registered(&mut s, 3, "alice");
    }

    /// A state whose rooms are crowds above `size` members, with a one-second summary interval.
    fn crowded(size: usize) -> State {
        let mut s = state();
        s.settings.crowd_size = size;
        s.settings.crowd_interval = 1000;
        s
    }

    fn irc_registered(state: &mut State, id: u64, nick: &str) {
        state.connect(ClientId(id), Dialect::Irc, "127.0.0.1", 0, &mut Output::default());
        run(state, id, Command::Nick { nick: nick.into() });
        run(state, id, Command::User { user: "u".into(), realname: "R".into() });
        assert!(state.is_registered(ClientId(id)));
    }

    /// Registers netcat user `id` as `u<id>` and returns what that produced.
    fn arrive(state: &mut State, id: u64) -> Output {
        state.connect(ClientId(id), Dialect::Netcat, "127.0.0.1", 0, &mut Output::default());
        run(state, id, say(&format!("u{id}")))
    }

    fn summaries(out: &Output, id: u64) -> Vec<(usize, usize, Vec<String>)> {
        replies_to(out, id)
            .into_iter()
            .filter_map(|r| match r {
                Reply::CrowdSummary { joined, left, first_joined, .. } => {
                    Some((*joined, *left, first_joined.iter().map(|n| n.to_string()).collect()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn up_to_the_crowd_size_everyone_hears_each_join_and_sees_every_name() {
        let mut s = crowded(3);
        arrive(&mut s, 1);
        arrive(&mut s, 2);
        let out = arrive(&mut s, 3);
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Joined { .. }]));
        assert!(
            replies_to(&out, 3).iter().any(|r| matches!(r, Reply::YouJoined { members, .. } if members.len() == 3))
        );
        let mut out = Output::default();
        s.summarise_crowds(0, &mut out);
        s.summarise_crowds(10_000, &mut out);
        assert!(out.deliveries.is_empty(), "nothing was counted: {:?}", out.deliveries);
    }

    #[test]
    fn above_the_crowd_size_people_get_a_count_and_irc_clients_every_join() {
        let mut s = crowded(3);
        arrive(&mut s, 1);
        irc_registered(&mut s, 9, "ircer");
        run(&mut s, 9, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        arrive(&mut s, 2);
        let out = arrive(&mut s, 3);
        assert!(replies_to(&out, 1).is_empty(), "{:?}", replies_to(&out, 1));
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Joined { .. }]));
        let here = replies_to(&out, 3);
        assert!(here.iter().any(|r| matches!(r, Reply::YouJoinedCrowd { count: 4, .. })), "{here:?}");
        assert!(!here.iter().any(|r| matches!(r, Reply::YouJoined { .. })));
        // An IRC client joining a crowd still gets every name (its NAMES reply).
        irc_registered(&mut s, 10, "other");
        let out = run(&mut s, 10, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        assert!(
            replies_to(&out, 10).iter().any(|r| matches!(r, Reply::YouJoined { members, .. } if members.len() == 5))
        );
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Joined { .. }]));
    }

    #[test]
    fn a_nick_change_in_a_crowd_is_told_to_irc_clients_and_people_sharing_a_small_room_only() {
        let mut s = crowded(3);
        irc_registered(&mut s, 9, "ircer");
        run(&mut s, 9, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        for id in 1..=4 {
            arrive(&mut s, id);
        }
        // u1 and u4 also share a small room.
        run(&mut s, 1, Command::Join { room: "#small".into(), key: None });
        run(&mut s, 4, Command::Join { room: "#small".into(), key: None });
        let out = run(&mut s, 1, Command::Nick { nick: "renamed".into() });
        let told = |id| replies_to(&out, id).iter().any(|r| matches!(r, Reply::NickChanged { you: false, .. }));
        assert!(told(9), "IRC clients hear every NICK");
        assert!(told(4), "a person sharing a small room is told");
        assert!(!told(2) && !told(3), "people sharing only the crowd are not told");
        assert!(replies_to(&out, 1).iter().any(|r| matches!(r, Reply::NickChanged { you: true, .. })));
        // Without a crowd everyone sharing a room is told, as before.
        let mut s = crowded(10);
        for id in 1..=3 {
            arrive(&mut s, id);
        }
        let out = run(&mut s, 1, Command::Nick { nick: "renamed".into() });
        for id in [2, 3] {
            assert!(matches!(replies_to(&out, id)[..], [Reply::NickChanged { you: false, .. }]), "{id}");
        }
    }

    #[test]
    fn a_crowd_summary_comes_once_per_interval_to_people_only() {
        let mut s = crowded(2);
        irc_registered(&mut s, 9, "ircer");
        run(&mut s, 9, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        for id in 1..=6 {
            arrive(&mut s, id);
        }
        // Three leave: two by /part, one by quitting.
        let out = run(&mut s, 5, Command::Part { room: None, reason: None });
        assert!(replies_to(&out, 1).is_empty());
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Parted { .. }]));
        run(&mut s, 6, Command::Part { room: None, reason: None });
        let mut out = Output::default();
        s.remove(ClientId(4), &QuitReason::Quit(None), &mut out);
        assert!(replies_to(&out, 1).is_empty());
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Quit { .. }]));
        // The sweep opens the tally's interval; nothing is due before it ends.
        let mut out = Output::default();
        s.summarise_crowds(5_000, &mut out);
        s.summarise_crowds(5_999, &mut out);
        assert!(out.deliveries.is_empty());
        s.summarise_crowds(6_000, &mut out);
        // u1 joined below the crowd size; from u2 on (the IRC client, u1, u2: 3 > 2) joins count.
        let expected = vec![(5, 3, vec!["u2".to_string(), "u3".into(), "u4".into()])];
        assert_eq!(summaries(&out, 1), expected);
        assert_eq!(summaries(&out, 3), expected);
        assert!(replies_to(&out, 9).is_empty(), "IRC clients get no summary");
        assert!(replies_to(&out, 5).is_empty(), "who left is not told");
        // Told once: the tally is gone until something new happens.
        let mut out = Output::default();
        s.summarise_crowds(60_000, &mut out);
        assert!(out.deliveries.is_empty());
        arrive(&mut s, 7);
        s.summarise_crowds(60_000, &mut out);
        s.summarise_crowds(61_000, &mut out);
        assert_eq!(summaries(&out, 1), vec![(1, 0, vec!["u7".to_string()])]);
    }

    #[test]
    fn crowd_size_zero_never_summarises() {
        let mut s = crowded(0);
        for id in 1..=5 {
            arrive(&mut s, id);
        }
        let out = arrive(&mut s, 6);
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Joined { .. }]));
        assert!(
            replies_to(&out, 6).iter().any(|r| matches!(r, Reply::YouJoined { members, .. } if members.len() == 6))
        );
        assert!(s.tallies.is_empty());
    }

    #[test]
    fn a_crowded_room_that_empties_takes_its_tally_with_it() {
        let mut s = crowded(1);
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        assert!(s.tallies.contains_key(&Folded::of("#side")));
        run(&mut s, 1, Command::Part { room: Some("#side".into()), reason: None });
        run(&mut s, 2, Command::Part { room: Some("#side".into()), reason: None });
        assert!(!s.tallies.contains_key(&Folded::of("#side")));
        assert!(s.tallies.contains_key(&Folded::of("#lobby")));
    }

    #[test]
    fn quit_asks_the_broker_to_close() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let mut out = Output::default();
        let effect = s.apply(ClientId(1), Command::Quit { reason: Some("bye".into()) }, 0, &mut out);
        assert_eq!(effect, Effect::Close(QuitReason::Quit(Some("bye".into()))));
    }
}

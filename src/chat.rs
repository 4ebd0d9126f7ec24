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

use crate::event::ClientId;
use crate::names::{Folded, Nick, RoomName};
use crate::protocol::{
    ChatError, Command, Counts, Dialect, HistoryEntry, MessageKind, Millis, ParseError, Person, QuitReason, Reply,
    RoomInfo, Topic, TopicChange, UserInfo, WhoisInfo,
};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The most rooms one client may be in at once.
pub const MAX_ROOMS_PER_CLIENT: usize = 20;
/// Longest topic, in bytes.
pub const MAX_TOPIC_BYTES: usize = 300;
/// Longest away message or part reason, in bytes.
pub const MAX_REASON_BYTES: usize = 200;
/// Longest IRC username kept (the rest is cut).
pub const MAX_USER_CHARS: usize = 10;
/// Most targets in one `PRIVMSG`/`NOTICE`, `JOIN` or `PART` (`TARGMAX`).
pub const MAX_TARGETS: usize = 4;

/// Fixed settings of the chat, from the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server_name: String,
    pub default_room: RoomName,
    /// Messages remembered per room for people who join later.
    pub history: usize,
    /// Report message texts in `Audit::Message` (the operator asked for them with `--log-messages`).
    pub audit_messages: bool,
}

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
    signon: Millis,
    /// Last time the member said something (for `WHOIS` idle time).
    last_spoke: Millis,
}

#[derive(Debug)]
struct Room {
    name: RoomName,
    /// In join order; also the delivery order.
    members: Vec<ClientId>,
    topic: Option<Topic>,
    history: VecDeque<HistoryEntry>,
    created: Millis,
}

impl Room {
    fn new(name: RoomName, created: Millis) -> Room {
        Room { name, members: Vec::new(), topic: None, history: VecDeque::new(), created }
    }

    fn others(&self, id: ClientId) -> Vec<ClientId> {
        self.members.iter().copied().filter(|&m| m != id).collect()
    }
}

/// All chat state. Owned by the broker thread alone.
pub struct State {
    settings: Settings,
    members: HashMap<ClientId, Member>,
    /// Claimed nicknames, registered or not, so no two clients can hold one.
    nicks: HashMap<Folded, ClientId>,
    rooms: HashMap<Folded, Room>,
    registered: usize,
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
        rooms.insert(settings.default_room.folded(), Room::new(settings.default_room.clone(), now));
        State { settings, members: HashMap::new(), nicks: HashMap::new(), rooms, registered: 0 }
    }

    /// A new connection whose dialect is known: netcat users are greeted and asked for a
    /// nickname; IRC clients speak first.
    pub fn connect(&mut self, id: ClientId, dialect: Dialect, host: &str, now: Millis, out: &mut Output) {
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

    /// How many rooms `id` is in (renderers name the room when it is more than one).
    pub fn room_count(&self, id: ClientId) -> usize {
        self.members.get(&id).map_or(0, |m| m.rooms.len())
    }

    /// Registered users, unregistered connections and rooms.
    pub fn counts(&self) -> Counts {
        Counts { users: self.registered, unregistered: self.members.len() - self.registered, rooms: self.rooms.len() }
    }

    /// Reminds a silent, unregistered client to choose a nickname.
    pub fn remind(&self, id: ClientId, out: &mut Output) {
        out.tell(id, Reply::NickPrompt { reminder: true });
    }

    /// Tells `id` that its line could not be parsed.
    pub fn parse_error(&self, id: ClientId, error: ParseError, out: &mut Output) {
        out.error(id, ChatError::Parse(error));
    }

    /// Carries out one command from `id` at time `now`.
    pub fn apply(&mut self, id: ClientId, command: Command, now: Millis, out: &mut Output) -> Effect {
        let Some(member) = self.members.get(&id) else { return Effect::Continue };
        if member.person.is_none() {
            return self.apply_unregistered(id, command, now, out);
        }
        match command {
            Command::Say { text } => self.say(id, text, MessageKind::Normal, now, out),
            Command::Action { text } => self.say(id, text, MessageKind::Action, now, out),
            Command::Private { to, text } => self.private(id, &to, text, MessageKind::Normal, now, out),
            Command::Nick { nick } => self.change_nick(id, &nick, out),
            Command::Join { room } => self.join(id, &room, now, out),
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
            Command::JoinMany { rooms } => {
                for room in rooms.iter().take(MAX_TARGETS) {
                    self.join(id, room, now, out);
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
                match self.claim_nick(id, text.trim()) {
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

    /// Capability negotiation (IRCv3 CAP). chatd offers no capabilities yet, so every request is
    /// refused; negotiating still holds registration until `CAP END`, as clients expect.
    fn cap(&mut self, id: ClientId, sub: &str, arg: &str, out: &mut Output) {
        let registered = self.is_registered(id);
        let Some(member) = self.members.get_mut(&id) else { return };
        match sub {
            "LS" => {
                member.cap_negotiating = !registered;
                out.tell(id, Reply::Cap { sub: "LS", caps: String::new() });
            }
            "LIST" => out.tell(id, Reply::Cap { sub: "LIST", caps: String::new() }),
            "REQ" => {
                member.cap_negotiating = !registered;
                out.tell(id, Reply::Cap { sub: "NAK", caps: arg.to_string() });
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
            self.join(id, &default_room, now, out);
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
                self.say_in(id, &key, text.into(), kind, now, out);
            }
            Err(error) => out.error(id, error),
        }
    }

    /// An IRC `PRIVMSG`/`NOTICE` to one target. Errors are never sent for a `NOTICE`.
    fn message(&mut self, id: ClientId, target: &str, text: &str, kind: MessageKind, now: Millis, out: &mut Output) {
        let result = if target.starts_with('#') {
            match self.resolve_room(id, Some(target)) {
                Ok(key) if self.is_member(id, &key) => {
                    self.say_in(id, &key, text.into(), kind, now, out);
                    Ok(())
                }
                Ok(key) => Err(ChatError::CannotSendToRoom(self.rooms[&key].name.clone())),
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
        let history_len = self.settings.history;
        let Some(room) = self.rooms.get_mut(key) else { return };
        if history_len > 0 && kind != MessageKind::Notice {
            if room.history.len() == history_len {
                room.history.pop_front();
            }
            room.history.push_back(HistoryEntry { at: now, from: Arc::clone(&from), text: text.clone(), kind });
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

    /// Everyone sharing at least one room with `id`, each once, `id` excluded.
    fn peers(&self, id: ClientId) -> Vec<ClientId> {
        let mut peers: Vec<ClientId> = self
            .members
            .get(&id)
            .into_iter()
            .flat_map(|m| m.rooms.iter())
            .filter_map(|key| self.rooms.get(key))
            .flat_map(|room| room.members.iter().copied())
            .filter(|&m| m != id)
            .collect();
        peers.sort_unstable();
        peers.dedup();
        peers
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
        out.tell_many(self.peers(id), Reply::NickChanged { old: Arc::clone(&old), new: new.clone(), you: false });
        out.tell(id, Reply::NickChanged { old, new, you: true });
    }

    fn join(&mut self, id: ClientId, name: &str, now: Millis, out: &mut Output) {
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
        member.rooms.push(key.clone());
        member.current = Some(key.clone());
        let created = !self.rooms.contains_key(&key);
        let room = self.rooms.entry(key.clone()).or_insert_with(|| Room::new(room_name, now));
        out.tell_many(room.others(id), Reply::Joined { room: room.name.clone(), who: Arc::clone(&me) });
        room.members.push(id);
        let name = room.name.clone();
        let topic = room.topic.clone();
        let history: Vec<HistoryEntry> = room.history.iter().cloned().collect();
        let members = self.room_users(&key);
        out.audit.push(Audit::Joined {
            id,
            nick: me.nick.clone(),
            room: name.clone(),
            members: members.len(),
            created,
        });
        out.tell(id, Reply::YouJoined { room: name.clone(), me, members, topic });
        if !history.is_empty() {
            out.tell(id, Reply::History { room: name, entries: history });
        }
    }

    /// Removes `id` from the room `key`, deleting the room when it empties (unless it is the
    /// default room). Returns the room's name and the members left.
    fn leave_room(&mut self, id: ClientId, key: &Folded) -> Option<(RoomName, Vec<ClientId>, bool)> {
        let room = self.rooms.get_mut(key)?;
        room.members.retain(|&m| m != id);
        let name = room.name.clone();
        let left = room.members.clone();
        let removed = left.is_empty() && *key != self.settings.default_room.folded();
        if removed {
            self.rooms.remove(key);
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
        out.tell_many(left, Reply::Parted { room: name.clone(), who: Arc::clone(&me), reason: reason.clone() });
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
            realname: member.realname.clone(),
        })
    }

    /// Registered users among `ids`, sorted by nickname.
    fn users_sorted(&self, ids: impl Iterator<Item = ClientId>) -> Vec<UserInfo> {
        let mut users: Vec<UserInfo> = ids.filter_map(|m| self.user_info(m)).collect();
        users.sort_by_key(|u| u.person.nick.folded());
        users
    }

    /// A room's members in join order.
    fn room_users(&self, key: &Folded) -> Vec<UserInfo> {
        self.rooms
            .get(key)
            .map(|room| room.members.iter().filter_map(|&m| self.user_info(m)).collect())
            .unwrap_or_default()
    }

    fn who(&self, id: ClientId, room: Option<&str>, out: &mut Output) {
        match self.resolve_room(id, room) {
            Ok(key) => {
                let Some(room) = self.rooms.get(&key) else { return };
                let members = self.users_sorted(room.members.iter().copied());
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
            })
        });
        out.tell(id, Reply::Whois { nick, info });
    }

    /// `MODE`: room and user mode queries are answered; chatd has no settable modes yet, and a
    /// client setting its own usual user modes (`+i`, `+w`) is ignored.
    fn mode(&self, id: ClientId, target: String, changes: Vec<String>, out: &mut Output) {
        if target.starts_with('#') {
            let Some(room) = self.rooms.get(&Folded::of(&target)) else {
                return out.error(id, ChatError::NoSuchRoom(target));
            };
            let first = changes.first().map(|c| c.trim_start_matches(['+', '-']));
            let reply = match first {
                None => Reply::RoomModes { room: room.name.clone(), created: room.created },
                // `MODE #room b` (a ban list query, sent by clients on join) is answered with an empty list.
                Some("b") if !changes[0].starts_with(['+', '-']) => Reply::BanList { room: room.name.clone() },
                Some(mode) => Reply::ModeUnknown { mode: mode.chars().next().unwrap_or('?') },
            };
            return out.tell(id, reply);
        }
        let me = self.person(id);
        if Folded::of(&target) != me.nick.folded() {
            return out.tell(id, Reply::UsersDontMatch);
        }
        if changes.is_empty() {
            out.tell(id, Reply::UserModes);
        }
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
        let peers = self.peers(id);
        let member = self.members.get(&id)?;
        let nick = member.nick.clone();
        let person = member.person.clone();
        for key in member.rooms.clone() {
            self.leave_room(id, &key);
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
        let settings = Settings {
            server_name: "test".into(),
            default_room: RoomName::parse("#lobby").unwrap(),
            history: 2,
            audit_messages: false,
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
        assert_eq!(s.room_count(ClientId(1)), 1);
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
        let out = run(&mut s, 3, Command::Join { room: "#lobby".into() });
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
        run(&mut s, 1, Command::Join { room: "rust".into() });
        assert_eq!(s.room_count(ClientId(1)), 2);
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
            run(&mut s, 1, Command::Join { room: format!("#r{i}") });
        }
        let out = run(&mut s, 1, Command::Join { room: "#onemore".into() });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::TooManyRooms { max: MAX_ROOMS_PER_CLIENT })]);
    }

    #[test]
    fn nick_change_tells_each_peer_once() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#x".into() });
        run(&mut s, 2, Command::Join { room: "#x".into() });
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
        run(&mut s, 2, Command::Join { room: "#x".into() });
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

    #[test]
    fn quit_asks_the_broker_to_close() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let mut out = Output::default();
        let effect = s.apply(ClientId(1), Command::Quit { reason: Some("bye".into()) }, 0, &mut out);
        assert_eq!(effect, Effect::Close(QuitReason::Quit(Some("bye".into()))));
    }
}

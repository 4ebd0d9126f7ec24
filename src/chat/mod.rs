//! Chat state: nicknames, rooms, membership, topics, away messages and room history.
//!
//! Pure: no sockets, no threads, no clock (time comes in as an argument) and no logging. Only the
//! broker thread owns a `State`; every change goes through `connect`, `apply` and `remove`, which
//! say who must be told what (`Outgoing`) and what the operator log should record (`Audit`).
//! Dialect-free: a netcat user and an IRC user are both `Member`s. What differs is told by each
//! member's `Profile` (from its dialect's session): how it registers (a prompted person's first
//! line is the nickname; an IRC client needs `NICK` and `USER`, and its session may hold
//! registration while it negotiates capabilities), whether it hears every membership change in
//! a crowd, whether it gets history on joining.
//!
//! Rooms other than the default room disappear, with their topic, when their last member leaves;
//! their history outlives them for `Settings::history_linger` (`chathistory`). The default room
//! always exists.
//!
//! Crowds: in a room of more than `Settings::crowd_size` members, people (netcat users) are not
//! told of each join, part and quit — that costs every member a line per event, the whole room
//! quadratically — but get one summary per room per `Settings::crowd_interval`, and a joiner
//! gets the member count instead of every name. Nor are they told of nick changes of people they
//! share only crowds with. IRC clients still get every `JOIN`, `PART`, `QUIT` and `NICK`: they
//! keep their member lists from them.
//!
//! Layout: this file holds `State`, what a change produces (`Output`, `Audit`, `Effect`) and
//! `State::apply`, which checks a command against the command table (`table`: what each command
//! requires — registration, a room, membership, room or server operator) and then hands it to its
//! handler. The handlers live by topic: `registration`, `messaging`, `rooms`, `crowds`, `modes`,
//! `queries`, `operators`, `whowas` (with user modes and `WALLOPS`).
//!
//! Invariants: a registered member has a `person`; every room in a member's `rooms` (and so its
//! `current`) exists and lists it; `nicks` maps each claimed nickname to the member holding it.
//! Nothing here panics on a broken invariant (no `unwrap`, `expect` or indexing by key): the
//! handler that finds one stops with `Broken`, `apply` reports it as `Audit::InvariantBroken`
//! (the broker logs an ERROR line) and the server goes on.

use crate::core::ids::{ClientId, IdMap};
use crate::core::names::{Folded, Nick, RoomName};
use crate::protocol::dialect::Profile;
use crate::protocol::{ChatError, Command, Counts, MessageKind, Millis, Person, QuitReason, Reply};
use crate::room::{Histories, HistoryLimits, Modes, Room};
use std::collections::HashMap;
use std::sync::Arc;

mod accounts;
mod chathistory;
mod crowds;
mod ircv3;
mod listing;
mod messaging;
mod modes;
mod operators;
mod queries;
mod registration;
mod rooms;
mod status;
mod table;
#[cfg(test)]
mod testing;
mod whowas;

pub use accounts::{AccountEntry, AccountGone, AccountJob, AfterLogin, PASSWORD_TRIES, Work};
pub use registration::display_host;
pub use table::{Access, Requirements, RoomNeed, Stage, requirements};

use crowds::CrowdTally;
use table::Refusal;

pub use crate::core::limits::{MAX_REASON_BYTES, MAX_ROOMS_PER_CLIENT, MAX_TARGETS, MAX_TOPIC_BYTES, MAX_USER_CHARS};

/// Most joiners a crowd summary names (the rest are counted).
pub const CROWD_SUMMARY_NAMES: usize = 3;

/// Fixed settings of the chat, from the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server_name: String,
    /// What IRC's WHOIS and LINKS say of this server (`--server-description`).
    pub server_description: String,
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
    /// Anyone may register an account (`--registration open`); otherwise only operators create them.
    pub registration_open: bool,
    /// The shortest new password a user may choose (`--min-password`).
    pub min_password: usize,
    /// How long an unidentified holder of a registered nickname keeps it before being renamed.
    pub guest_grace: Millis,
    /// How long a room's history outlives the room (`--history-linger`); 0: not at all.
    pub history_linger: Millis,
}

impl Settings {
    /// Whether a room of `members` (counting whoever is joining or leaving) is a crowd.
    fn is_crowd(&self, members: usize) -> bool {
        self.crowd_size > 0 && members > self.crowd_size
    }
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
/// `InvariantBroken`: chat state broke one of its invariants (a bug); the command from `id` was
/// stopped there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audit {
    Registered {
        id: ClientId,
        nick: Nick,
        dialect: &'static str,
    },
    NickChanged {
        id: ClientId,
        old: Nick,
        new: Nick,
    },
    Joined {
        id: ClientId,
        nick: Nick,
        room: RoomName,
        members: usize,
        created: bool,
    },
    Parted {
        id: ClientId,
        nick: Nick,
        room: RoomName,
        members: usize,
        removed: bool,
    },
    TopicChanged {
        id: ClientId,
        nick: Nick,
        room: RoomName,
    },
    Private {
        id: ClientId,
        from: Nick,
        to: Nick,
    },
    Kicked {
        id: ClientId,
        by: Nick,
        nick: Nick,
        room: RoomName,
    },
    Modes {
        id: ClientId,
        nick: Nick,
        room: RoomName,
        changes: String,
    },
    Oper {
        id: ClientId,
        nick: Nick,
        name: String,
        ok: bool,
    },
    Message {
        id: ClientId,
        from: Nick,
        target: String,
        text: Arc<str>,
    },
    LoggedIn {
        id: ClientId,
        account: String,
        via: crate::protocol::LoginVia,
    },
    /// A wrong password, or a login to an account that does not exist.
    LoginFailed {
        id: ClientId,
        account: String,
    },
    AccountRegistered {
        id: ClientId,
        account: String,
    },
    AccountDeleted {
        id: ClientId,
        account: String,
    },
    PasswordChanged {
        id: ClientId,
        account: String,
    },
    /// The holder of a nickname owned by another's account was renamed.
    GuestRenamed {
        id: ClientId,
        from: Nick,
        to: Nick,
    },
    InvariantBroken {
        id: ClientId,
        what: &'static str,
    },
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
    /// Password checks and account changes for the broker to run (`accounts`).
    pub jobs: Vec<AccountJob>,
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
    /// What its dialect's session says of it; replaced whenever the session's choices change.
    profile: Profile,
    /// The peer's address as IRC prefixes show it.
    host: String,
    /// The claimed nickname. IRC clients claim one with `NICK` before registration completes.
    nick: Option<Nick>,
    /// IRC `USER` name; `None` until given (netcat users never give one).
    user: Option<String>,
    realname: String,
    /// Who this member is once registered; replaced (not mutated) on a nick change.
    person: Option<Arc<Person>>,
    /// Rooms in the order they were joined.
    rooms: Vec<Folded>,
    /// Where plain lines go.
    current: Option<Folded>,
    away: Option<String>,
    /// Logged in with `OPER`.
    oper: bool,
    signon: Millis,
    /// Last time the member said something (for `WHOIS` idle time).
    last_spoke: Millis,
    /// The account this member is logged in to.
    account: Option<std::sync::Arc<str>>,
    /// At the password prompt for a registered nickname (people only).
    prompt: Option<accounts::PasswordPrompt>,
    /// IRC `PASS` given before registration: logs in once registered.
    pass: Option<String>,
    /// When this member, holding a nickname another's account owns, will be renamed.
    nick_deadline: Option<Millis>,
    /// User mode `+w`: receives `WALLOPS`.
    wallops: bool,
    /// User mode `+i`, on for everyone from the start (as on large networks): left out of `WHO`
    /// and `NAMES` answers to those who share no room with the member (`queries`).
    invisible: bool,
}

impl Member {
    /// Told of every join, part and quit even in a crowd: IRC clients keep their member lists
    /// from these lines. People are told of a crowd's comings and goings in summaries.
    fn hears_every_membership_change(&self) -> bool {
        self.profile.hears_every_membership_change
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
    /// Every account, by the nickname it owns.
    accounts: HashMap<Folded, AccountEntry>,
    /// Accounts being created (their names cannot be registered twice meanwhile).
    creating: std::collections::HashSet<Folded>,
    /// When unidentified holders of owned nicknames are to be renamed (`Member::nick_deadline`).
    deadlines: Vec<(Millis, ClientId)>,
    /// Guest nicknames handed out so far.
    guests: u64,
    /// Registered members told of everyone's comings and goings (`Profile::hears_presence`).
    presence: crate::core::ids::IdSet,
    /// The last message id given (`protocol::MsgId`).
    last_msgid: crate::protocol::MsgId,
    /// When this run started: IRC message ids carry it (`protocol::history::MsgRef`).
    started: Millis,
    /// The latest time chat state was told (`apply`, `expire_histories`).
    clock: Millis,
    /// Private messages between logged-in accounts (`chathistory`).
    conversations: crate::room::Conversations,
    /// Removed rooms whose history lingers, by when it goes (`chathistory`).
    lingering: std::collections::BTreeSet<(Millis, Folded)>,
    /// The same, by room.
    linger_until: HashMap<Folded, Millis>,
    /// Who left which nickname, for `WHOWAS`.
    departures: whowas::Departures,
    /// The most registered users there have been at once (`LUSERS`).
    max_users: usize,
}

/// A broken invariant of chat state — a bug, never the client's doing — named for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broken(pub &'static str);

impl Broken {
    /// A room a member is in, or that was just resolved, is not in `rooms`.
    const ROOM_MISSING: Broken = Broken("room_missing");
}

/// What a handler returns: done (whatever it told the client), or stopped by a broken invariant.
type Handled = Result<(), Broken>;

fn cut_at_char_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

impl State {
    /// A fresh state at time `now` (when the default room is created).
    pub fn new(settings: Settings, now: Millis) -> State {
        let mut rooms = HashMap::new();
        // The default room is open to all: anyone may set its topic.
        let lobby_modes = Modes { topic_ops_only: false, ..Modes::new_room() };
        rooms.insert(settings.default_room.folded(), Room::new(settings.default_room.clone(), now, lobby_modes));
        let histories = Histories::new(settings.history);
        // Each conversation is bounded as a room is; all of them together by a quarter of what
        // all rooms may hold.
        let private = HistoryLimits { total_bytes: settings.history.total_bytes / 4, ..settings.history };
        State {
            settings,
            members: IdMap::default(),
            nicks: HashMap::new(),
            rooms,
            histories,
            registered: 0,
            tallies: HashMap::new(),
            accounts: HashMap::new(),
            creating: Default::default(),
            deadlines: Vec::new(),
            guests: 0,
            presence: Default::default(),
            last_msgid: 0,
            started: now,
            clock: now,
            conversations: crate::room::Conversations::new(private),
            lingering: Default::default(),
            linger_until: HashMap::new(),
            departures: Default::default(),
            max_users: 0,
        }
    }

    pub fn nick(&self, id: ClientId) -> Option<&Nick> {
        self.members.get(&id).and_then(|m| m.nick.as_ref())
    }

    /// The account `id` is logged in to.
    pub fn account_of(&self, id: ClientId) -> Option<&Arc<str>> {
        self.members.get(&id).and_then(|m| m.account.as_ref())
    }

    pub fn is_registered(&self, id: ClientId) -> bool {
        self.members.get(&id).is_some_and(|m| m.person.is_some())
    }

    /// What rendering for `id` depends on, in one lookup (the broker asks for every delivery):
    /// how many rooms it is in and its nickname.
    pub fn render_info(&self, id: ClientId) -> (usize, Option<&Nick>) {
        self.members.get(&id).map_or((0, None), |m| (m.rooms.len(), m.nick.as_ref()))
    }

    /// Registered users (and how many of them are invisible), server operators, unregistered
    /// connections and rooms.
    pub fn counts(&self) -> Counts {
        Counts {
            users: self.registered,
            invisible: self.members.values().filter(|m| m.person.is_some() && m.invisible).count(),
            opers: self.members.values().filter(|m| m.oper).count(),
            unregistered: self.members.len().saturating_sub(self.registered),
            rooms: self.rooms.len(),
            max_users: self.max_users,
        }
    }

    /// Carries out one command from `id` at time `now`. A command whose handler finds chat state
    /// broken stops there; the log is told (`Audit::InvariantBroken`) and the server goes on.
    pub fn apply(&mut self, id: ClientId, command: Command, now: Millis, out: &mut Output) -> Effect {
        self.expire_histories(now);
        let command = match ircv3::unlabeled(command) {
            Ok(command) => command,
            Err(error) => {
                self.parse_error(id, error, out);
                return Effect::Continue;
            }
        };
        match self.dispatch(id, command, now, out) {
            Ok(effect) => effect,
            Err(Broken(what)) => {
                out.audit.push(Audit::InvariantBroken { id, what });
                Effect::Continue
            }
        }
    }

    /// Checks the command's requirements (`table::requirements`) once, then runs its handler.
    fn dispatch(&mut self, id: ClientId, command: Command, now: Millis, out: &mut Output) -> Result<Effect, Broken> {
        let Some(member) = self.members.get(&id) else { return Ok(Effect::Continue) };
        let registered = member.person.is_some();
        let at_prompt = member.prompt.is_some();
        let room = match self.check(id, registered, &requirements(&command)) {
            Ok(room) => room,
            Err(Refusal::Told(error)) => {
                out.error(id, error);
                return Ok(Effect::Continue);
            }
            Err(Refusal::Broken(broken)) => return Err(broken),
        };
        if !registered {
            return self.apply_unregistered(id, command, now, out);
        }
        // At the password prompt a plain line is the password; any command leaves the prompt.
        if at_prompt {
            match &command {
                Command::Say { text } if self.password_line(id, text, out) => return Ok(Effect::Continue),
                _ => self.leave_prompt(id),
            }
        }
        // The room the table resolved, for the commands whose entry names one.
        let checked_room = || room.clone().ok_or(Broken("command_table_named_no_room"));
        match command {
            // A plain line comes as typed (it may have been a nickname); as a message it is cleaned.
            Command::Say { text } => self.say_line(id, &text, now, out)?,
            Command::Action { text } => self.say(id, text, MessageKind::Action, now, out)?,
            Command::Private { to, text } => {
                self.private(id, &to, text, messaging::Envelope::plain(MessageKind::Normal), now, out)?
            }
            Command::Message { targets, text, kind, tags } => {
                self.message_many(id, &targets, &text, messaging::Envelope { kind, tags }, now, out)?
            }
            Command::Away { text } => self.away(id, text, out)?,
            Command::Nick { nick } => self.change_nick(id, &nick, now, out)?,
            Command::Quit { reason } => return Ok(Effect::Close(registration::quit_reason(reason))),
            // Answered by the sessions that negotiate capabilities; no other dialect parses it.
            Command::Cap { .. } => {}
            // The table refuses these once registered; nothing is left to do.
            Command::Pass { .. } | Command::User { .. } => {}
            Command::Ping { token } => out.tell(id, Reply::Pong { token }),
            Command::Pong => {}
            Command::Join { room, key } => self.join(id, &room, key.as_deref(), now, out)?,
            Command::JoinMany { rooms, keys } => self.join_many(id, &rooms, &keys, now, out)?,
            Command::Part { room, reason } => self.part(id, room.as_deref(), reason, out)?,
            Command::PartMany { rooms, reason } => self.part_many(id, &rooms, reason, out)?,
            Command::PartAll => self.part_all(id, out)?,
            Command::Topic { change, .. } => self.topic(id, &checked_room()?, change, now, out)?,
            Command::Mode { target, changes } => self.mode(id, target, changes, now, out)?,
            Command::Kick { nick, reason, .. } => self.kick(id, &checked_room()?, &nick, reason, out)?,
            Command::Invite { nick, .. } => self.invite(id, &nick, &checked_room()?, out)?,
            Command::Rooms => self.list_rooms(id, &[], now, out),
            Command::List { filters } => self.list_rooms(id, &filters, now, out),
            Command::Who { .. } => self.who(id, &checked_room()?, out)?,
            Command::WhoMask { mask, query } => self.who_mask(id, mask, query, now, out),
            Command::Users => self.users(id, out),
            Command::Names { rooms } => self.names(id, rooms, out),
            Command::Whois { nick } => self.whois(id, nick, now, out),
            Command::Ison { nicks } => self.ison(id, &nicks, out),
            Command::Userhost { nicks } => self.userhost(id, &nicks, out),
            Command::History { count, .. } => self.history(id, &checked_room()?, count, out)?,
            Command::Help { command } => out.tell(id, Reply::Help { command }),
            Command::Motd => out.tell(id, Reply::Motd),
            Command::Lusers => out.tell(id, Reply::Lusers { counts: self.counts() }),
            Command::Version => out.tell(id, Reply::Version),
            Command::Time => out.tell(id, Reply::Time { now }),
            Command::Oper { name, password } => self.oper(id, &name, &password, out)?,
            Command::Kill { nick, reason } => self.kill(id, &nick, reason, out)?,
            Command::Account(request) => self.account_command(id, request, now, out)?,
            Command::Authenticate { .. } => {}
            // issue 14: modes
            Command::KickMany { nicks, reason, .. } => self.kick_many(id, &checked_room()?, &nicks, reason, out)?,
            Command::KickPairs { pairs, reason } => self.kick_pairs(id, &pairs, reason, out)?,
            Command::ChatHistory(query) => self.chat_history(id, query, out),
            // issue 14: queries
            Command::Whowas { nicks, count } => self.whowas(id, nicks, count, out),
            Command::Info => out.tell(id, Reply::Info),
            Command::Links { mask } => {
                out.tell(id, Reply::Links { mask, description: self.settings.server_description.clone() })
            }
            Command::Wallops { text } => self.wallops(id, text, out)?,
            // issue 14: ircv3
            Command::Labeled { .. } => {}
            Command::TagMsg { targets, tags } => self.tag_many(id, &targets, tags, now, out)?,
            Command::SetName { realname } => self.set_name(id, realname, out)?,
        }
        Ok(Effect::Continue)
    }

    /// A fresh message id.
    fn next_msgid(&mut self) -> crate::protocol::MsgId {
        self.last_msgid += 1;
        self.last_msgid
    }

    /// The identity of a registered member.
    fn person(&self, id: ClientId) -> Result<Arc<Person>, Broken> {
        self.members.get(&id).and_then(|m| m.person.clone()).ok_or(Broken("registered_member_without_person"))
    }

    /// A room known to exist (a member's room, or one just resolved).
    fn room(&self, key: &Folded) -> Result<&Room, Broken> {
        self.rooms.get(key).ok_or(Broken::ROOM_MISSING)
    }

    fn room_mut(&mut self, key: &Folded) -> Result<&mut Room, Broken> {
        self.rooms.get_mut(key).ok_or(Broken::ROOM_MISSING)
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
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    fn broken(out: &Output) -> Vec<&Audit> {
        out.audit.iter().filter(|a| matches!(a, Audit::InvariantBroken { .. })).collect()
    }

    #[test]
    fn a_missing_room_fails_only_that_command_and_is_reported() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        // Break the invariant: alice's current room is gone, though she is still in it.
        s.rooms.remove(&Folded::of("#side"));
        for command in [
            Command::Mode { target: String::new(), changes: vec![] },
            Command::History { room: None, count: None },
            Command::Kick { room: None, nick: "alice".into(), reason: None },
            Command::Action { text: "waves".into() },
        ] {
            let out = run(&mut s, 1, command);
            assert_eq!(broken(&out), [&Audit::InvariantBroken { id: ClientId(1), what: "room_missing" }]);
            assert!(out.deliveries.is_empty(), "{:?}", out.deliveries);
        }
        // The rest of the state still serves.
        let out = run(&mut s, 1, Command::Join { room: "#lobby".into(), key: None });
        assert!(matches!(replies_to(&out, 1)[..], [Reply::NowTalkingIn { .. }]));
        assert!(broken(&out).is_empty());
    }

    #[test]
    fn a_room_member_without_a_person_fails_the_command_that_needs_one() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        // Break the invariant: bob is in rooms but has no identity.
        if let Some(bob) = s.members.get_mut(&ClientId(2)) {
            bob.person = None;
        }
        let out = run(&mut s, 1, Command::Kick { room: None, nick: "bob".into(), reason: None });
        assert_eq!(
            broken(&out),
            [&Audit::InvariantBroken { id: ClientId(1), what: "registered_member_without_person" }]
        );
        assert!(out.deliveries.is_empty() && out.kills.is_empty());
        assert!(s.is_member(ClientId(2), &Folded::of("#side")), "nothing was half done");
    }
}

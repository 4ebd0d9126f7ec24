//! The shared vocabulary of every dialect: what a user can ask (`Command`), what a user can be
//! told (`Reply`), and what went wrong with a line (`ParseError`).
//!
//! Pure: no sockets, no state. Each dialect (`netcat`, `irc`) turns bytes into `Command`s and
//! `Reply`s into bytes behind the one interface in `dialect`; the reader, chat state and the
//! broker speak only this vocabulary and that interface.

pub mod account;
pub mod dialect;
pub mod dialects;
pub mod history;
pub mod http;
pub mod irc;
pub mod netcat;
pub mod query;
pub mod text;
pub mod web;
pub mod xml;

pub use account::{AccountCommand, AccountFailure, AccountReply, LoginVia, SaslReply};
pub use query::{RoomStatus, UserModeChange, WhoEntry, WhoQuery, WhowasEntry, WhoxFields};

use crate::core::names::{Nick, NickError, RoomError, RoomName};
use std::fmt;
use std::sync::Arc;

/// Who someone is, as IRC prefixes show it: `nick!user@host`. Shared, since every message a
/// person sends carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub nick: Nick,
    /// The IRC username (from `USER`); netcat users get `~` and their nickname.
    pub user: String,
    /// The peer's IP address.
    pub host: String,
    /// The account this person is logged in to (IRC `account-tag`, `extended-join`, 330).
    pub account: Option<Arc<str>>,
    /// The IRC real name (`USER`'s last parameter; IRC `extended-join`); a netcat user's is
    /// their nickname.
    pub realname: Arc<str>,
}

/// A person is shown by nickname (the netcat dialect's view); IRC uses `prefix`.
impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.nick, f)
    }
}

impl Person {
    /// `nick!user@host`.
    pub fn prefix(&self) -> String {
        format!("{}!{}@{}", self.nick, self.user, self.host)
    }
}

/// What kind of line a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// An ordinary message (`PRIVMSG`, or a plain netcat line).
    Normal,
    /// `/me` (CTCP ACTION).
    Action,
    /// `NOTICE`: never answered automatically, never produces an error.
    Notice,
}

/// A message's id: unique among the messages of one run of the server, counted from 1 in the order
/// chat state accepted them. IRC shows it as the `msgid` tag together with the server's start time
/// (`irc::render`), so ids from an earlier run never match.
pub type MsgId = u64;

/// Milliseconds since the Unix epoch, UTC. Chat state takes time as an argument, never reads a clock.
pub type Millis = u64;

/// The client-only tags (IRCv3 message-tags, `+name=value`) a message was sent with, relayed to
/// recipients that negotiated `message-tags`: already in their wire form (keys checked, values
/// escaped, `;`-joined: `irc::tags::client_only`), shared by every copy. `None` for none, and
/// always from other dialects.
pub type ClientTags = Option<Arc<str>>;

/// What a user asked for, independent of how they typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A plain line (netcat): a message to the current room (before registration: a nickname
    /// choice). Held as typed, since it may be a name; `netcat::said_text` cleans it as a message.
    Say { text: String },
    /// `/me`: an action in the current room.
    Action { text: String },
    /// `/msg`: a private message.
    Private { to: String, text: String },
    /// `/nick`: choose or change the nickname.
    Nick { nick: String },
    /// `/join`: join a room (or make it current when already a member), with its key if `+k`.
    Join { room: String, key: Option<String> },
    /// `/part`: leave a room (the current one when `room` is `None`).
    Part { room: Option<String>, reason: Option<String> },
    /// `/rooms`: every room with its member count and topic.
    Rooms,
    /// `/who`: the members of a room (the current one when `room` is `None`).
    Who { room: Option<String> },
    /// `/users`: everyone online.
    Users,
    /// `/topic`: show (`change: None`) or change a room's topic.
    Topic { room: Option<String>, change: Option<TopicChange> },
    /// `/away`: set (`Some`) or clear (`None`) an away message.
    Away { text: Option<String> },
    /// `/quit`: leave the server.
    Quit { reason: Option<String> },
    /// `/help`: the command list, or one command's usage.
    Help { command: Option<String> },

    // The IRC dialect's own commands (RFC 2812 section 3). Parsed by `irc`, never by `netcat`.
    /// `CAP` subcommand (`LS`, `LIST`, `REQ`, `END`) with its argument.
    Cap { sub: String, arg: String },
    /// `PASS`: before registration; `account:password` logs in to an account once registered
    /// (chatd has no server password, so any other `PASS` is ignored).
    Pass { password: String },
    /// `USER`: the username and real name, needed to complete IRC registration.
    User { user: String, realname: String },
    /// `PING`: answered with `PONG` and the same token.
    Ping { token: String },
    /// `PONG`: proof of life; nothing to answer.
    Pong,
    /// `JOIN` with a comma list of rooms and a matching comma list of keys.
    JoinMany { rooms: Vec<String>, keys: Vec<String> },
    /// `JOIN 0`: leave every room.
    PartAll,
    /// `PART` with a comma list of rooms.
    PartMany { rooms: Vec<String>, reason: Option<String> },
    /// `PRIVMSG` / `NOTICE` to rooms and nicknames, with the client-only tags it carried.
    Message { targets: Vec<String>, text: String, kind: MessageKind, tags: ClientTags },
    /// `NAMES`; empty means every room the client is in.
    Names { rooms: Vec<String> },
    /// `WHO mask [options]`: a room, a nickname or a mask; the options filter and pick WHOX fields.
    WhoMask { mask: String, query: WhoQuery },
    /// `WHOIS nick`.
    Whois { nick: String },
    /// `LIST`, with its `ELIST` filters (all must hold; none: every room).
    List { filters: Vec<ListFilter> },
    /// `MODE target [changes...]` (`/mode` in netcat): query or change modes.
    Mode { target: String, changes: Vec<String> },
    /// `KICK` / `/kick`: remove someone from a room (operators only).
    Kick { room: Option<String>, nick: String, reason: Option<String> },
    /// `INVITE` / `/invite`: invite someone into a room.
    Invite { nick: String, room: Option<String> },
    /// `OPER name password`: become a server operator.
    Oper { name: String, password: String },
    /// `KILL nick reason`: disconnect someone (server operators only).
    Kill { nick: String, reason: String },
    /// `HISTORY #room [N]`: replay a room's recent messages.
    History { room: Option<String>, count: Option<usize> },
    /// `ISON nick...`.
    Ison { nicks: Vec<String> },
    /// `USERHOST nick...`.
    Userhost { nicks: Vec<String> },
    /// `MOTD`.
    Motd,
    /// `LUSERS`.
    Lusers,
    /// `VERSION`.
    Version,
    /// `TIME`.
    Time,
    /// An account request, whichever way the dialect spells it (see `account`).
    Account(AccountCommand),
    /// IRC `AUTHENTICATE`: one step of a SASL exchange, answered by the IRC session, which turns
    /// a complete `PLAIN` payload into `Account(Identify { via: Sasl })`.
    Authenticate { payload: String },
    // issue 14: modes
    /// `KICK #room a,b,c`: each named member kicked in turn, errors per nickname.
    KickMany { room: Option<String>, nicks: Vec<String>, reason: Option<String> },
    /// `KICK #a,#b x,y` (RFC 2812): each room with the nickname in the same place, each pair
    /// checked and answered on its own.
    KickPairs { pairs: Vec<(String, String)>, reason: Option<String> },

    // issue 14: chathistory
    /// IRCv3 `CHATHISTORY`: a history query, or why its parameters could not be used (answered
    /// once registered, like any command).
    ChatHistory(Result<history::HistoryQuery, history::HistoryFail>),
    // issue 14: queries
    /// `WHOWAS nick[,nick...] [count]`: who used each nickname last, as named; at most `count`
    /// entries per nickname (all: `None`).
    Whowas { nicks: Vec<String>, count: Option<usize> },
    /// `INFO`.
    Info,
    /// `LINKS [[remote] mask]`: the servers whose names the mask matches (only this one).
    Links { mask: Option<String> },
    /// `WALLOPS text`: to everyone with user mode `+w` (server operators only).
    Wallops { text: String },

    // issue 14: ircv3
    /// An IRC line with an IRCv3 `label` tag, around what the line said (or why it could not be
    /// parsed). The session takes the label (`Session::begin`: labeled-response) and hands on
    /// `input`; chat state never sees one.
    Labeled { label: String, input: Box<Result<Command, ParseError>> },
    /// IRC `TAGMSG`: client-only tags without text, to rooms and nicknames (message-tags).
    TagMsg { targets: Vec<String>, tags: ClientTags },
    /// IRC `SETNAME`: change one's real name (IRCv3 setname).
    SetName { realname: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicChange {
    Set(String),
    Clear,
}

/// Why a line could not become a command. Each variant is one sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A slash command nobody knows; holds the name as typed.
    UnknownCommand(String),
    /// A known command with missing or extra arguments; holds the command's name (lowercase).
    Usage(&'static str),
    /// The line was longer than the limit and was dropped.
    LineTooLong { limit: usize },
    /// An IRC command that needs a nickname got none (`ERR_NONICKNAMEGIVEN`).
    NoNicknameGiven,
    /// `PRIVMSG`/`NOTICE` without a target (`ERR_NORECIPIENT`); holds the command.
    NoRecipient(&'static str),
    /// `PRIVMSG`/`NOTICE` without text (`ERR_NOTEXTTOSEND`).
    NoTextToSend,
    // issue 14: modes
    /// A line that was not UTF-8, refused whole (IRC `UTF8ONLY`); holds its command, or `*`.
    InvalidUtf8 { command: String },
}

/// Why a client left; shown to the rooms it was in and logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuitReason {
    /// The client asked to leave, with an optional message.
    Quit(Option<String>),
    /// The socket closed or failed.
    ConnectionLost,
    /// The client (or its network) stopped answering liveness probes.
    PingTimeout,
    /// The client chose no nickname in time.
    RegistrationTimeout,
    /// The client stopped reading and its backlog passed `--max-sendq`.
    SendQueueExceeded,
    /// The server is stopping.
    ServerShutdown,
    /// A server operator disconnected the client with `KILL`.
    Killed { by: Nick, reason: String },
    /// The connection was answered without becoming a chat client (`dialect::Decoded::Answer`)
    /// and closed once the answer was sent.
    Answered,
    /// The account the client was logged in to was disabled or deleted by an operator.
    AccountClosed { account: Arc<str>, disabled: bool },
}

impl QuitReason {
    /// A single greppable token for the operator log.
    pub fn log_token(&self) -> &'static str {
        match self {
            QuitReason::Quit(_) => "quit",
            QuitReason::ConnectionLost => "connection-lost",
            QuitReason::PingTimeout => "ping-timeout",
            QuitReason::RegistrationTimeout => "registration-timeout",
            QuitReason::SendQueueExceeded => "sendq-exceeded",
            QuitReason::ServerShutdown => "shutdown",
            QuitReason::Killed { .. } => "killed",
            QuitReason::Answered => "answered",
            QuitReason::AccountClosed { .. } => "account-closed",
        }
    }

    /// What a failed read or write on a client's socket means. The kernel reports a peer that
    /// stopped answering keepalive probes, or stopped acknowledging output, as `TimedOut`.
    pub fn from_socket_error(error: &std::io::Error) -> QuitReason {
        match error.kind() {
            std::io::ErrorKind::TimedOut => QuitReason::PingTimeout,
            _ => QuitReason::ConnectionLost,
        }
    }

    /// True when the server, not the client, ended the connection.
    pub fn is_eviction(&self) -> bool {
        matches!(
            self,
            QuitReason::PingTimeout
                | QuitReason::RegistrationTimeout
                | QuitReason::SendQueueExceeded
                | QuitReason::Killed { .. }
                | QuitReason::AccountClosed { .. }
        )
    }
}

impl fmt::Display for QuitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuitReason::Quit(None) => f.write_str("quit"),
            QuitReason::Quit(Some(text)) => write!(f, "quit: {text}"),
            QuitReason::ConnectionLost => f.write_str("connection lost"),
            QuitReason::PingTimeout => f.write_str("ping timeout"),
            QuitReason::RegistrationTimeout => f.write_str("no nickname chosen in time"),
            QuitReason::SendQueueExceeded => f.write_str("send queue exceeded"),
            QuitReason::ServerShutdown => f.write_str("server shutting down"),
            QuitReason::Killed { by, reason } => write!(f, "killed by {by}: {reason}"),
            QuitReason::Answered => f.write_str("answered"),
            QuitReason::AccountClosed { account, disabled: true } => write!(f, "account {account} disabled"),
            QuitReason::AccountClosed { account, disabled: false } => write!(f, "account {account} deleted"),
        }
    }
}

/// A room topic and who set it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub text: String,
    pub set_by: Arc<Person>,
    pub at: Millis,
}

/// One remembered room message, replayed to people who join later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The message's id, as when it was first delivered.
    pub id: MsgId,
    pub at: Millis,
    pub from: Arc<Person>,
    pub text: Arc<str>,
    pub kind: MessageKind,
}

/// One line of `/rooms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    pub room: RoomName,
    pub members: usize,
    pub topic: Option<String>,
}

/// A user as listed by `/who` and `/users`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub person: Arc<Person>,
    pub away: bool,
    /// Room operator (`@`) in the room the listing is about.
    pub op: bool,
    /// Voiced (`+`) in the room the listing is about.
    pub voice: bool,
    /// A server operator.
    pub oper: bool,
    /// The IRC real name (`USER`'s last parameter); netcat users' is their nickname.
    pub realname: String,
}

/// What `WHOIS` tells about someone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoisInfo {
    pub person: Arc<Person>,
    pub realname: String,
    /// The rooms they are in, with their status in each (`@#a +#b`).
    pub rooms: Vec<RoomStatus>,
    pub away: Option<String>,
    pub idle_secs: u64,
    pub signon: Millis,
    pub oper: bool,
    /// The account they are logged in to (IRC 330).
    pub account: Option<Arc<str>>,
    /// What the server says of itself (IRC 312), everyone being on this one.
    pub server_description: String,
}

/// Counts for `LUSERS` and the welcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub users: usize,
    /// Of `users`, those with user mode `+i`.
    pub invisible: usize,
    pub opers: usize,
    pub unregistered: usize,
    pub rooms: usize,
    /// The most registered users there have been at once since the server started.
    pub max_users: usize,
}

/// One entry of a room's ban, ban exception or invite exception list: the mask, who set it
/// (`nick!user@host`) and when (IRC 367/346/348 show both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedMask {
    pub mask: String,
    pub set_by: String,
    pub at: Millis,
}

/// What a user is told. Structured, so each dialect renders it its own way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// First words on connect.
    Greeting { server: String, version: &'static str },
    /// Asks for a nickname; `reminder` when the client has been silent a while.
    NickPrompt { reminder: bool },
    /// Registration is complete.
    Welcome { person: Arc<Person>, counts: Counts },
    /// The recipient joined `room`: who is there and the topic.
    YouJoined {
        room: RoomName,
        me: Arc<Person>,
        members: Vec<UserInfo>,
        topic: Option<Topic>,
        visibility: RoomVisibility,
    },
    /// The room's recent messages, oldest first.
    History { room: RoomName, entries: Vec<HistoryEntry> },
    /// The recipient's current room changed without a join (re-`/join` of a room they are in).
    NowTalkingIn { room: RoomName },
    /// Someone else joined a room the recipient is in.
    Joined { room: RoomName, who: Arc<Person> },
    /// The recipient joined a crowded room (see `chat::Settings::crowd_size`): how many are
    /// there, not who (`/who` lists them), and the topic. Only for people, never IRC clients.
    YouJoinedCrowd { room: RoomName, count: usize, topic: Option<Topic> },
    /// Joins and leaves (parts and quits) in a crowded room, counted over the last `span_secs`
    /// instead of told one by one; `first_joined` names the first few who joined. Only for
    /// people, never IRC clients.
    CrowdSummary { room: RoomName, joined: usize, left: usize, first_joined: Vec<Nick>, span_secs: u64 },
    /// A message (or action, or notice) in a room; `id` is its message id (`MsgId`), `tags` the
    /// client-only tags it was sent with.
    Said {
        room: RoomName,
        from: Arc<Person>,
        text: Arc<str>,
        kind: MessageKind,
        at: Millis,
        id: MsgId,
        tags: ClientTags,
    },
    /// A private message; `echo` is the copy confirming delivery to its sender (netcat, web, IRC
    /// `echo-message`).
    Private {
        from: Arc<Person>,
        to: Nick,
        text: Arc<str>,
        kind: MessageKind,
        at: Millis,
        echo: bool,
        id: MsgId,
        tags: ClientTags,
    },
    /// The recipient left `room`; `current` is where plain lines go now.
    YouParted { room: RoomName, me: Arc<Person>, reason: Option<String>, current: Option<RoomName> },
    /// Someone left a room the recipient is in.
    Parted { room: RoomName, who: Arc<Person>, reason: Option<String> },
    /// Someone sharing a room with the recipient left the server.
    Quit { who: Arc<Person>, reason: QuitReason },
    /// Someone (maybe the recipient) changed nickname; `old` is who they were.
    NickChanged { old: Arc<Person>, new: Nick, you: bool },
    /// A room's topic changed (`None`: cleared).
    TopicChanged { room: RoomName, by: Arc<Person>, topic: Option<String> },
    /// Answer to a topic query.
    TopicIs { room: RoomName, topic: Option<Topic> },
    /// Answer to `/rooms`.
    Rooms(Vec<RoomInfo>),
    /// Answer to `/who`.
    Who { room: RoomName, members: Vec<UserInfo> },
    /// Answer to `/users`.
    Users(Vec<UserInfo>),
    /// The recipient's away state changed.
    AwayChanged { text: Option<String> },
    /// The person just messaged privately is away.
    PeerAway { nick: Nick, text: String },
    /// IRC: answer to `CAP` (`LS`, `LIST`, `ACK`, `NAK`) with the capability list.
    Cap { sub: &'static str, caps: String },
    /// IRC: answer to `PING`.
    Pong { token: String },
    /// IRC: a liveness probe the client must answer.
    Ping { token: String },
    /// IRC: `NAMES` for one room (`members` empty and `room` unknown: no names). `end`: the
    /// end line's target, on the last room of a query; `None` on the others (one `NAMES`
    /// query gets one end line).
    Names { room: String, members: Vec<UserInfo>, visibility: RoomVisibility, end: Option<String> },
    /// IRC: `WHO` entries (WHOX fields when `whox`), then the end line for `mask`.
    WhoList { mask: String, entries: Vec<WhoEntry>, whox: Option<WhoxFields> },
    /// IRC: `WHOIS`; `None` when nobody has that nickname.
    Whois { nick: String, info: Option<WhoisInfo> },
    /// A room's modes (`params`: the key and limit, the key hidden from outsiders).
    RoomModes { room: RoomName, modes: String, params: Vec<String>, created: Millis },
    /// IRC: the recipient's own user modes (`+iw`).
    UserModes { modes: String },
    /// A room's bans.
    BanList { room: RoomName, masks: Vec<ListedMask> },
    /// Someone changed a room's modes: `changes` as IRC writes them (`+o-v`), then the parameters.
    ModesChanged { room: RoomName, by: Arc<Person>, changes: String, params: Vec<String> },
    /// Someone was kicked from a room (the kicked one gets it too).
    Kicked { room: RoomName, by: Arc<Person>, nick: Nick, reason: String },
    /// The recipient was invited into a room.
    Invited { by: Arc<Person>, room: RoomName },
    /// The recipient's invitation went out.
    Inviting { nick: Nick, room: RoomName },
    /// `OPER` succeeded.
    YoureOper,
    /// IRC: `ISON` answer: the nicknames that are online.
    Ison { nicks: Vec<Nick> },
    /// IRC: `USERHOST` answer.
    Userhost { entries: Vec<UserInfo> },
    /// IRC: `MOTD`.
    Motd,
    /// IRC: `LUSERS`.
    Lusers { counts: Counts },
    /// IRC: `VERSION`.
    Version,
    /// IRC: `TIME`.
    Time { now: Millis },
    /// Answer to `/help`.
    Help { command: Option<String> },
    /// The recipient's request failed.
    Error(ChatError),
    /// Last words before the server closes this connection.
    Closing { reason: QuitReason },
    /// About the recipient's account (see `account`).
    Account(AccountReply),
    /// Someone came online (registered), told to clients that follow everyone's presence
    /// (`Profile::hears_presence`: XMLSocket clients).
    Online { who: Arc<Person> },
    /// Someone sharing a room with the recipient logged in to an account (`account: Some`) or out
    /// (IRC `account-notify`).
    AccountChanged { who: Arc<Person>, account: Option<Arc<str>> },
    /// IRC: a step of a SASL exchange the session answers itself.
    Sasl(SaslReply),
    // issue 14: modes
    /// A room's ban exceptions (`+e`).
    ExceptList { room: RoomName, masks: Vec<ListedMask> },
    /// A room's invite exceptions (`+I`).
    InviteExceptList { room: RoomName, masks: Vec<ListedMask> },
    /// A message to the members of a room with at least a status (IRC `STATUSMSG`: `@#room` to
    /// its operators, `+#room` to its operators and voiced members); never in history.
    SaidToStatus {
        status: char,
        room: RoomName,
        from: Arc<Person>,
        text: Arc<str>,
        kind: MessageKind,
        at: Millis,
        id: MsgId,
    },

    // issue 14: chathistory
    /// IRC `draft/chathistory`: the messages a query selected, oldest first, for `target` (the
    /// room or nickname as the query named it, canonical for a room). `from_oldest`: the query
    /// counted from its oldest line (`AFTER`, `BETWEEN` forwards), so that if the client's queue
    /// has room for fewer, the newest go; otherwise the oldest do.
    ChatHistory { target: String, lines: Vec<history::HistoryLine>, from_oldest: bool },
    /// IRC `draft/chathistory`: the answer to `TARGETS`, oldest latest message first.
    HistoryTargets { targets: Vec<history::HistoryTarget> },
    // issue 14: queries
    /// IRC: `WHOWAS` for `asked` (one nickname, or a list as given): who used them and when
    /// they left them, newest first across all of them; `unknown`: the nicknames nobody chatd
    /// remembers used.
    Whowas { asked: String, entries: Vec<WhowasEntry>, unknown: Vec<String> },
    /// IRC: `INFO`.
    Info,
    /// IRC: `LINKS`: just this server, if `mask` (when given) matches its name, with what it
    /// says of itself.
    Links { mask: Option<String>, description: String },
    /// IRC: a `WALLOPS` message.
    Wallops { from: Arc<Person>, text: String },
    /// IRC: the recipient's own user modes changed: `changes` as IRC writes them (`+w`).
    UserModesChanged { me: Arc<Person>, changes: String },

    // issue 14: ircv3
    /// IRC `TAGMSG` from `from` to `target` (a room, or the recipient's nickname; for the
    /// sender's own copy, `echo`, the nickname it went to). Only for `message-tags` clients.
    TagMsg { from: Arc<Person>, target: String, tags: ClientTags, at: Millis, id: MsgId, echo: bool },
    /// Someone sharing a room with the recipient went away (`text: Some`) or came back (IRC
    /// `away-notify`; also told of an away joiner).
    AwayNotify { who: Arc<Person>, text: Option<String> },
    /// Someone (maybe the recipient) changed real name; `who` has the new one (IRC `setname`).
    RealnameChanged { who: Arc<Person> },
    /// `by` invited `nick` into `room`, told to the room's operators (IRC `invite-notify`).
    InviteNotify { by: Arc<Person>, nick: Nick, room: RoomName },
}

/// Why a request failed. Each variant maps to one netcat sentence (and later one IRC numeric).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatError {
    Parse(ParseError),
    NickInvalid {
        nick: String,
        why: NickError,
    },
    NickTaken(String),
    NickRequired,
    RoomInvalid {
        room: String,
        why: RoomError,
    },
    NoSuchRoom(String),
    NotInRoom(RoomName),
    /// Not in any room; names the default room to suggest.
    NoCurrentRoom {
        default: RoomName,
    },
    NoSuchNick(String),
    /// Joining `room` would make more than `max` rooms.
    TooManyRooms {
        room: RoomName,
        max: usize,
    },
    TooLong {
        what: &'static str,
        max: usize,
    },
    /// A mode letter chatd does not know.
    UnknownMode(char),
    /// A mode that needs a parameter got none (reported like a missing parameter).
    ModeNeedsParameter(char),
    /// A `MODE` on somebody else's user modes.
    UsersDontMatch,
    /// Room operator rights are needed for that.
    NotRoomOperator(RoomName),
    /// The named person is not in that room.
    UserNotInRoom {
        nick: String,
        room: RoomName,
    },
    /// The invited person is already in that room.
    AlreadyInRoom {
        nick: String,
        room: RoomName,
    },
    InviteOnly(RoomName),
    BadKey(RoomName),
    RoomFull(RoomName),
    Banned(RoomName),
    /// Wrong `OPER` name or password.
    PasswordMismatch,
    /// `OPER` on a server with no operators configured.
    NoOperators,
    /// Server operator rights are needed for that.
    NotServerOperator,
    /// IRC `USER` or `PASS` after registration.
    AlreadyRegistered,
    /// A message to a room the sender is not in.
    CannotSendToRoom(RoomName),
    /// A message to a moderated room from a member who is neither operator nor voiced.
    Moderated(RoomName),
    /// A message to a room from someone one of its bans matches (and no exception).
    BannedFromRoom(RoomName),
    /// A `CAP` subcommand chatd does not know.
    InvalidCapCommand(String),
    /// A service's name (`account::RESERVED_NICKS`): nobody may take it.
    NickReserved(String),
    /// A nickname an account owns, chosen without logging in to it first (web sessions).
    NickRegistered(String),
    // issue 14: modes
    /// A mode parameter of the wrong form (IRC `ERR_INVALIDMODEPARAM`): the target as named, the
    /// mode letter, the parameter as given and what is wrong with it.
    InvalidModeParam {
        target: String,
        mode: char,
        param: String,
        why: String,
    },

    // issue 14: chathistory
    /// A history query failed (IRC `FAIL CHATHISTORY`).
    History(history::HistoryFail),
    // issue 14: queries
    /// A user mode chatd does not know (`MODE nick +x`); the known ones were applied.
    UnknownUserMode,

    // issue 14: ircv3
    /// `SETNAME` with a real name chatd does not take (an empty one).
    InvalidRealname,
}

// issue 14: modes

/// Who a room shows itself to in listings, by its modes: IRC's `NAMES` symbol (`=`, `*` for
/// `+p`, `@` for `+s`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoomVisibility {
    #[default]
    Public,
    Private,
    Secret,
}

/// One `LIST` filter (IRC `ELIST`). Times are in minutes, as the extension counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListFilter {
    /// `>n`: more than `n` members.
    MoreMembers(usize),
    /// `<n`: fewer than `n` members.
    FewerMembers(usize),
    /// `C<n`: created less than `n` minutes ago.
    CreatedWithin(u64),
    /// `C>n`: created more than `n` minutes ago.
    CreatedBefore(u64),
    /// `T<n`: topic set less than `n` minutes ago.
    TopicWithin(u64),
    /// `T>n`: topic set more than `n` minutes ago.
    TopicBefore(u64),
    /// A name or a glob mask (`*`, `?`) the room's name matches.
    Mask(String),
    /// `!mask`: a glob mask the room's name does not match.
    NotMask(String),
}

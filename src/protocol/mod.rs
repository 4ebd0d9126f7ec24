//! The shared vocabulary of every dialect: what a user can ask (`Command`), what a user can be
//! told (`Reply`), and what went wrong with a line (`ParseError`).
//!
//! Pure: no sockets, no state. A dialect is a parser from text to `Command` and a renderer from
//! `Reply` to bytes; the chat state and the broker speak only this vocabulary.

pub mod irc;
pub mod netcat;

use crate::names::{Nick, NickError, RoomError, RoomName};
use std::fmt;
use std::sync::Arc;

/// Milliseconds since the Unix epoch, UTC. Chat state takes time as an argument, never reads a clock.
pub type Millis = u64;

/// What a user asked for, independent of how they typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A plain line: a message to the current room (before registration: a nickname choice).
    Say { text: String },
    /// `/me`: an action in the current room.
    Action { text: String },
    /// `/msg`: a private message.
    Private { to: String, text: String },
    /// `/nick`: choose or change the nickname.
    Nick { nick: String },
    /// `/join`: join a room (or make it current when already a member).
    Join { room: String },
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
        matches!(self, QuitReason::PingTimeout | QuitReason::RegistrationTimeout | QuitReason::SendQueueExceeded)
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
        }
    }
}

/// A room topic and who set it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub text: String,
    pub set_by: Nick,
    pub at: Millis,
}

/// One remembered room message, replayed to people who join later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: Millis,
    pub from: Nick,
    pub text: Arc<str>,
    pub action: bool,
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
    pub nick: Nick,
    pub away: bool,
}

/// What a user is told. Structured, so each dialect renders it its own way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// First words on connect.
    Greeting { server: String, version: &'static str },
    /// Asks for a nickname; `reminder` when the client has been silent a while.
    NickPrompt { reminder: bool },
    /// Registration is complete.
    Welcome { nick: Nick, users: usize, rooms: usize },
    /// The recipient joined `room`: who is there and the topic.
    YouJoined { room: RoomName, members: Vec<Nick>, topic: Option<Topic> },
    /// The room's recent messages, oldest first.
    History { room: RoomName, entries: Vec<HistoryEntry> },
    /// The recipient's current room changed without a join (re-`/join` of a room they are in).
    NowTalkingIn { room: RoomName },
    /// Someone else joined a room the recipient is in.
    Joined { room: RoomName, nick: Nick },
    /// A message (or `/me` action) in a room.
    Said { room: RoomName, from: Nick, text: Arc<str>, action: bool, at: Millis },
    /// A private message; `echo` is the copy confirming delivery to the sender.
    Private { from: Nick, to: Nick, text: Arc<str>, at: Millis, echo: bool },
    /// The recipient left `room`; `current` is where plain lines go now.
    YouParted { room: RoomName, current: Option<RoomName> },
    /// Someone left a room the recipient is in.
    Parted { room: RoomName, nick: Nick, reason: Option<String> },
    /// Someone sharing a room with the recipient left the server.
    Quit { nick: Nick, reason: QuitReason },
    /// Someone (maybe the recipient) changed nickname.
    NickChanged { old: Nick, new: Nick, you: bool },
    /// A room's topic changed (`None`: cleared).
    TopicChanged { room: RoomName, by: Nick, topic: Option<String> },
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
    /// Answer to `/help`.
    Help { command: Option<String> },
    /// The recipient's request failed.
    Error(ChatError),
    /// Last words before the server closes this connection.
    Closing { reason: QuitReason },
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
    TooManyRooms {
        max: usize,
    },
    TooLong {
        what: &'static str,
        max: usize,
    },
}

//! The one interface every dialect implements (the list detection walks is `dialects`).
//!
//! A dialect is three things, all built from one `&'static dyn Dialect`:
//! - `Dialect::claims`: does a connection's first bytes look like this dialect?
//! - a `Decoder`, owned by the connection's reader thread: frames bytes and parses each line
//!   into the shared vocabulary (`Command`, `ParseError`), or answers without the chat at all
//!   (`Decoded::Answer`: an HTTP error, a policy file), or hands the connection to another dialect
//!   (`Decoded::Switch`: a netcat newcomer that turns out to be an IRC client);
//! - a `Session`, owned by the broker for as long as the chat client lives: the client's
//!   negotiated choices (IRC capabilities), the commands it answers itself (`CAP`), which replies
//!   it wants (`accepts`) and how every reply is rendered for it.
//!
//! The reader and the broker only ever hold these trait objects; chat state only sees the
//! `Profile` a session reports. Adding a dialect is one module under `protocol/` that implements
//! `Dialect`, plus one line in `dialects::DIALECTS`.
//!
//! What later faces plug in where (see README, "Architecture"): a reply tied to the request that
//! caused it (IRC `labeled-response`) is the session's to frame, since every reply to its client
//! passes through `Session::render` (the broker tells it when a line starts and ends:
//! `Session::begin`, `capture`, `end`); work finished on another thread (a password hash) comes
//! back as one more `net::event::Event`, the broker's only input; a client that outlives its
//! connections (a browser session) is a `Session` the broker keeps while connections come and go.

use super::http::{Request, RequestError};
use super::{Command, ParseError, Reply};
use crate::framing::Terminator;
use std::fmt;
use std::time::{Duration, Instant};

/// What a dialect makes of a connection's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// These bytes are this dialect's.
    Mine,
    /// They are not.
    NotMine,
    /// Too few bytes to tell (`NI` may become `NICK`).
    Undecided,
}

/// A way of talking to chatd.
pub trait Dialect: Sync {
    /// Lower-case, for the log (`dialect=irc`) and, later, metrics.
    fn name(&self) -> &'static str;
    /// Looks at the first bytes a connection sent (possibly only part of its first line).
    fn claims(&self, first: &[u8]) -> Claim;
    /// True for a complete line that only this dialect's clients send when they open a session,
    /// never a person typing: the connection was taken for a person (its client was slow to
    /// speak) and is this dialect's after all. IRC: `CAP LS`, `PASS x`, a four-parameter `USER`.
    fn late_claim(&self, line: &[u8]) -> bool {
        let _ = line;
        false
    }
    /// The reader's half of a new connection. `max_line` is the operator's line limit for
    /// people (`--max-line`); a dialect with a limit of its own (IRC: 512 bytes) uses that.
    fn decoder(&self, max_line: usize) -> Box<dyn Decoder>;
    /// The broker's half of a new chat client.
    fn session(&self) -> Box<dyn Session>;
}

impl fmt::Debug for dyn Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a decoder made of the bytes it was given, in order.
pub enum Decoded {
    /// One line, parsed (or why it could not be). `terminator` is how the client ended it (its
    /// output is ended the same way); `None` for a line dropped before its end was seen.
    Input { terminator: Option<Terminator>, input: Result<Command, ParseError> },
    /// This connection speaks `to` after all. The reader carries on with `to`'s decoder, tells
    /// the broker (who starts a fresh session of `to`) and feeds that decoder `replay`: the bytes
    /// this decoder had not yet made final, as the client sent them.
    Switch { to: &'static dyn Dialect, replay: Vec<u8> },
    /// Bytes to send back without the chat ever seeing this connection (an HTTP error page, a
    /// policy file); with `close`, the connection is closed once they are sent. `note` names the
    /// answer for the log (`policy_served`), for answers worth a line of their own.
    Answer { bytes: Vec<u8>, close: bool, note: Option<&'static str> },
    /// One HTTP request (or why it cannot be served), for the broker's web face to answer: it
    /// holds the sessions, the counts and the chat state the answer needs.
    Request(Result<Box<Request>, RequestError>),
}

/// The reader's half of a dialect: framing and parsing, per connection. Pure: it is given bytes,
/// it never reads a socket, a clock or chat state.
pub trait Decoder: Send {
    /// Frames `bytes` (which may hold part of a line, or many lines) and appends what came of
    /// every line completed so far to `out`. After a `Decoded::Switch` it appends nothing more:
    /// the rest is in the switch's `replay`.
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Decoded>);

    /// How long the reader may wait for the next bytes at `now` before calling `timed_out`;
    /// `None`: as long as the connection lives (the broker's liveness rules apply). HTTP bounds
    /// a request head (a slowloris holds no thread for long) and an idle keep-alive connection.
    fn patience(&mut self, now: Instant) -> Option<Duration> {
        let _ = now;
        None
    }

    /// The patience ran out: appends what to do about it (an answer that closes, at least).
    fn timed_out(&mut self, out: &mut Vec<Decoded>) {
        out.push(Decoded::Answer { bytes: Vec::new(), close: true, note: None });
    }
}

/// What chat state needs to know of a client's dialect and its negotiated choices. Plain data,
/// so chat state stays dialect-free. Asked again after every command a session answers itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The dialect's name, for the log.
    pub dialect: &'static str,
    /// A person: greeted and asked for a nickname on connect, asked again after a refused one,
    /// reminded when silent. (IRC clients speak first.)
    pub prompted: bool,
    /// Put in the default room on registering (people); IRC clients join what they choose.
    pub starts_in_default_room: bool,
    /// Registration needs a username and real name (IRC `USER`) besides the nickname.
    pub needs_user: bool,
    /// Registration waits for the session (IRC: capability negotiation until `CAP END`).
    pub registration_held: bool,
    /// Before registration, every line that is not part of registration, well formed or not,
    /// is answered "register first" (IRC 451), never with a usage error.
    pub strict_before_registration: bool,
    /// Told of every join, part, quit and nick change even in a crowd: IRC clients keep their
    /// member lists from these lines. People get summaries.
    pub hears_every_membership_change: bool,
    /// Sent a room's recent history when joining it.
    pub replay_on_join: bool,
    /// Probed with `PING` when silent once registered, and dropped when it does not answer.
    pub pinged: bool,
    /// Sent its own room messages back (a browser shows a line once the server has it; IRC's
    /// `echo-message`).
    pub echo_own_messages: bool,
    /// Registers by logging in: the nickname is the account's name, given with a login or an
    /// account registration (XMLSocket `IDENTIFY`, `REGISTER`). Commands before that are refused.
    pub registers_by_login: bool,
    /// Told when anyone at all comes online, changes nickname or leaves, rooms or not
    /// (XMLSocket clients keep a list of everyone online).
    pub hears_presence: bool,
}

/// Everything about one recipient that a rendering may read, besides the reply itself.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// The server's name, as IRC prefixes show it.
    pub server: &'a str,
    /// When the server started (IRC's `RPL_CREATED`).
    pub started: u64,
    /// Seconds of silence after which a client is dropped.
    pub ping_after_secs: u64,
    /// The recipient's nickname, `*` before it has one.
    pub nick: &'a str,
    /// How many rooms the recipient is in.
    pub rooms: usize,
    /// How the recipient ends its lines.
    pub terminator: Terminator,
}

/// The broker's half of a dialect: one chat client's negotiated state and its renderer.
pub trait Session: Send {
    /// Chat state's view of this client (see `Profile`).
    fn profile(&self) -> Profile;

    /// Whether the connection becomes a chat client at all. An HTTP connection does not: its
    /// requests are answered by the broker's web face, and a browser's chat client is a web
    /// session that outlives the connections it comes through.
    fn chat_client(&self) -> bool {
        true
    }

    /// Offers `command` to the session before chat state sees it. A command that belongs to the
    /// session (IRC `CAP`) is answered here, its replies appended to `replies`, and `None`
    /// returned; any other comes back for chat state. `registered`: chat state has registered
    /// this client.
    fn intercept(&mut self, command: Command, registered: bool, replies: &mut Vec<Reply>) -> Option<Command> {
        let _ = (registered, replies);
        Some(command)
    }

    /// One line from this client is about to be handled: `input` as the decoder made it. The
    /// session takes what is its own of the line (IRC's `label` tag) and gives back the rest.
    /// Every reply the line causes for this client is then offered to `capture`, and `end`
    /// follows once all of them are rendered: a reply tied to the request that caused it (IRC
    /// `labeled-response`) is framed here, where every reply to the client passes anyway.
    fn begin(&mut self, input: Result<Command, ParseError>) -> Result<Command, ParseError> {
        input
    }

    /// `bytes`, `reply` rendered for this client while one of its lines is handled (between
    /// `begin` and `end`): `true` when the session keeps them to send, framed, at `end`; `false`
    /// when they are to be sent as they are.
    fn capture(&mut self, reply: &Reply, bytes: &[u8]) -> bool {
        let _ = (reply, bytes);
        false
    }

    /// The line `begin` was told of has been handled and all it caused rendered: appends what
    /// `capture` kept, framed, to `out` (or what answers a line that caused nothing).
    fn end(&mut self, view: &View<'_>, out: &mut Vec<u8>) {
        let _ = (view, out);
    }

    /// Instead of `end`: the line `begin` was told of has started work whose answer comes later
    /// (a password checked on the accounts threads). What it caused so far is kept, nothing
    /// more is captured, and `resume` comes before its answer is rendered, `end` after.
    fn defer(&mut self) {}

    /// The answer a deferred line waited for is about to be rendered (see `defer`).
    fn resume(&mut self) {}

    /// Whether this client wants `reply` at all (replies that only clients who asked for them
    /// get, such as IRC `away-notify`). Everything, unless the dialect says otherwise.
    fn accepts(&self, reply: &Reply) -> bool {
        let _ = reply;
        true
    }

    /// Which renderings of a shared reply this recipient may share with others: equal keys must
    /// mean equal bytes for every reply `shareable` lists. Covers the dialect (each dialect keeps
    /// its own number in the top byte, `key_space`), every negotiated choice its renderer reads and
    /// every field of `view` it reads, except `nick`, which shareable replies never read.
    fn view_key(&self, view: &View<'_>) -> u32;

    /// Renders `reply` for this recipient, appending the bytes to `out`.
    fn render(&self, reply: &Reply, view: &View<'_>, out: &mut Vec<u8>);
}

impl fmt::Debug for dyn Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session({})", self.profile().dialect)
    }
}

/// The top byte of a dialect's view keys, so that no two dialects' keys are ever equal.
pub const fn key_space(dialect: u8) -> u32 {
    (dialect as u32) << 24
}

/// Replies whose rendering, in every dialect, reads nothing of its recipient but what its
/// `view_key` covers: messages from one person to a room, which do not name the recipient. (IRC
/// names the recipient in every numeric, in `INVITE`, `CAP` and history.) Only these are rendered
/// once for all recipients with the same key. Any other reply, including a kind added later
/// until it is listed here, is rendered for each recipient: never wrong, only slower.
pub fn shareable(reply: &Reply) -> bool {
    matches!(
        reply,
        Reply::Said { .. }
            | Reply::Joined { .. }
            | Reply::Parted { .. }
            | Reply::Quit { .. }
            | Reply::NickChanged { .. }
            | Reply::TopicChanged { .. }
            | Reply::ModesChanged { .. }
            | Reply::Kicked { .. }
            | Reply::CrowdSummary { .. }
            // issue 14: ircv3
            | Reply::TagMsg { .. }
            | Reply::AwayNotify { .. }
            | Reply::RealnameChanged { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_spaces_never_overlap() {
        assert_ne!(key_space(0), key_space(1));
        assert_eq!(key_space(1) & 0x00ff_ffff, 0);
    }
}

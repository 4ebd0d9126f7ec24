//! What the acceptors and readers (and, once, the signal handler) tell the broker: data only.
//!
//! Invariant: nothing an event carries holds a sender of the event channel. A `Slot` holds the
//! shared connection counts and nothing of the acceptor, so when every acceptor and reader is
//! gone the channel closes and the broker sees it, although it still holds its clients' slots.

use super::slot::Slot;
use crate::core::ids::ClientId;
use crate::framing::Terminator;
use crate::protocol::dialect::Session;
use crate::protocol::http::{Request, RequestError};
use crate::protocol::{Command, ParseError, QuitReason};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

/// Something that happened to a connection, in the order it happened.
#[derive(Debug)]
pub enum Event {
    /// A connection was accepted. Sent by the acceptor before the reader starts, so the broker
    /// knows the id before that client's first line.
    Connected {
        id: ClientId,
        /// The broker's handle for writing to this client: the reader's own socket, shared.
        stream: Arc<TcpStream>,
        peer: SocketAddr,
        at: Instant,
        /// The connection's place under `--max-clients` and `--max-per-ip`, held until eviction.
        slot: Slot,
    },
    /// The reader knows how the client talks (decided from its first bytes, see `reader`), and
    /// hands the broker that dialect's session for it. Sent a second time when a client taken for
    /// a person turns out to speak another dialect before it could have registered: the broker
    /// starts it over with the new session.
    Identified { id: ClientId, session: Box<dyn Session> },
    /// One line from the client, parsed (or the reason it could not be).
    Input {
        id: ClientId,
        /// How the client ended this line; its output is ended the same way from now on.
        /// `None` for a line that was dropped before its end was seen.
        terminator: Option<Terminator>,
        input: Result<Command, ParseError>,
    },
    /// Bytes to send back to a connection the chat never sees (an HTTP error, a policy file);
    /// with `close`, the connection is closed once they are sent; `note` names it for the log.
    Answer { id: ClientId, bytes: Vec<u8>, close: bool, note: Option<&'static str> },
    /// One HTTP request from a connection of the web dialect (or why it cannot be served), for
    /// the broker's web face to answer, in the order the connection sent them.
    Request { id: ClientId, request: Result<Box<Request>, RequestError> },
    /// The reader stopped: the peer closed, the socket failed, or the kernel gave up on it.
    Disconnected { id: ClientId, reason: QuitReason },
    /// A report from the accounts threads (a password checked, an account created, the database
    /// changed by another process).
    Accounts(crate::accounts::Report),
    /// The process was asked to stop (SIGINT, SIGTERM or SIGHUP): the broker says goodbye and
    /// returns. Sent by `main`'s signal handler, on the one channel the broker waits on.
    Stop { why: &'static str },
}

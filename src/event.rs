//! What the acceptors and readers tell the broker: data only.

use crate::framing::Terminator;
use crate::listener::Slot;
use crate::protocol::{Command, Dialect, ParseError, QuitReason};
use std::fmt;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

/// Identifies one connection for the life of the process; never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

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
    /// The reader knows how the client talks (decided from its first bytes, see `reader`).
    Identified { id: ClientId, dialect: Dialect },
    /// One line from the client, parsed (or the reason it could not be).
    Input {
        id: ClientId,
        /// How the client ended this line; its output is ended the same way from now on.
        /// `None` for a line that was dropped before its end was seen.
        terminator: Option<Terminator>,
        input: Result<Command, ParseError>,
    },
    /// The reader stopped: the peer closed, the socket failed, or the kernel gave up on it.
    Disconnected { id: ClientId, reason: QuitReason },
}

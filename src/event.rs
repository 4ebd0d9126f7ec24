//! What the acceptors and readers (and, once, the signal handler) tell the broker: data only.

use crate::framing::Terminator;
use crate::listener::Slot;
use crate::protocol::{Command, Dialect, ParseError, QuitReason};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
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

/// A map keyed by client id, with `IdHasher`.
pub type IdMap<V> = HashMap<ClientId, V, BuildHasherDefault<IdHasher>>;
/// A set of client ids, with `IdHasher`.
pub type IdSet = HashSet<ClientId, BuildHasherDefault<IdHasher>>;

/// Hashes client ids. The server hands ids out in sequence and no client chooses one, so the
/// std hasher's protection against crafted keys buys nothing here, and its SipHash was half of
/// the broker's instructions per delivery (callgrind, 100-client fan-out). One multiplication
/// by an odd constant: the low bits (the bucket) of sequential ids never collide, and the high
/// bits (hashbrown's tag) are well mixed.
#[derive(Clone, Copy, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
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
    /// The reader knows how the client talks (decided from its first bytes, see `reader`). Sent
    /// a second time, with `Dialect::Irc`, when a client greeted as netcat turns out to be an IRC
    /// client before it could have registered: the broker restarts it as one.
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
    /// The process was asked to stop (SIGINT, SIGTERM or SIGHUP): the broker says goodbye and
    /// returns. Sent by `main`'s signal handler, on the one channel the broker waits on.
    Stop { why: &'static str },
}

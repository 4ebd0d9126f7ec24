//! Client ids and the maps and sets keyed by them.
//!
//! Pure: imports nothing of chatd's. An id names one connection for the life of the process and
//! is never reused, so everything that outlives a connection (a room's member list, the broker's
//! outboxes) can key on it without fearing a stale entry that now means someone else.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

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

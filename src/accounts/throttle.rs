//! Throttles for password guessing and mass registration. Pure: no clock (callers pass
//! milliseconds from any steady origin), no I/O, bounded memory.
//!
//! Failed logins are counted per (account, address) and per address, never per account alone:
//! a lock on the account would let anyone lock its owner out by failing on purpose. An address
//! is a peer group (`log::PeerGroup`): an IPv4 address, or an IPv6 /64, since one subscriber
//! usually holds a whole /64 and could otherwise rotate through it.
//!
//! - (account, address): the first 5 failures are free; from then on each failure makes the pair
//!   wait, 10 s after the 5th, doubling with each further one up to 15 minutes. A success clears
//!   the pair. A pair is forgotten a day after its last failure.
//! - address: 20 failures within 10 minutes, whatever the accounts, stop every login from that
//!   address until the oldest of them is 10 minutes old.
//! - registrations: at most 3 accounts per address per hour.

use crate::core::names::Folded;
use crate::log::PeerGroup;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;

/// Most entries each table keeps; past that the least recently used one is dropped.
pub const MAX_ENTRIES: usize = 16_384;
/// Failures of one (account, address) pair before it has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The first wait, after the last free failure.
pub const FIRST_WAIT_MS: u64 = 10_000;
/// The longest wait, however many failures.
pub const LONGEST_WAIT_MS: u64 = 15 * 60_000;
/// A pair without failures for this long starts afresh.
pub const PAIR_MEMORY_MS: u64 = 24 * 60 * 60_000;
/// Failures from one address within `ADDRESS_WINDOW_MS` that stop its logins.
pub const ADDRESS_FAILURES: usize = 20;
pub const ADDRESS_WINDOW_MS: u64 = 10 * 60_000;
/// Accounts one address may register within `REGISTRATION_WINDOW_MS`.
pub const REGISTRATIONS: usize = 3;
pub const REGISTRATION_WINDOW_MS: u64 = 60 * 60_000;

/// Whole seconds to wait for `ms` milliseconds, rounded up and never 0 (a user told "wait 0
/// seconds" who tries at once would be refused again).
fn seconds(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

/// A map that holds at most `capacity` entries, dropping the least recently touched one to make
/// room. Touching is explicit (`touched` is the caller's time), so the order is the caller's.
#[derive(Debug)]
struct Bounded<K, V> {
    entries: HashMap<K, (V, u64)>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Bounded { entries: HashMap::new(), capacity: capacity.max(1) }
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(value, _)| value)
    }

    /// The entry for `key`, made with `make` when missing; `stale` entries are dropped first
    /// when the map is full, then the least recently touched.
    fn entry(&mut self, key: K, now: u64, make: impl FnOnce() -> V, stale: impl Fn(&V) -> bool) -> &mut V {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.entries.retain(|_, (value, _)| !stale(value));
            if self.entries.len() >= self.capacity {
                let oldest = self.entries.iter().min_by_key(|(_, (_, touched))| *touched).map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        let slot = self.entries.entry(key).or_insert_with(|| (make(), now));
        slot.1 = now;
        &mut slot.0
    }

    fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The times of the most recent events, at most `limit` of them, within `span`.
#[derive(Debug, Default)]
struct Window {
    times: VecDeque<u64>,
}

impl Window {
    /// Milliseconds until fewer than `limit` events lie within `span` of `now`; 0 when they do.
    fn wait(&self, now: u64, limit: usize, span: u64) -> u64 {
        let recent = self.times.iter().filter(|&&t| t.saturating_add(span) > now).count();
        if recent < limit {
            return 0;
        }
        // The `limit`-th newest event has to leave the window.
        let pivot = self.times.len().saturating_sub(limit);
        self.times.get(pivot).map_or(0, |&t| t.saturating_add(span).saturating_sub(now))
    }

    fn record(&mut self, now: u64, limit: usize, span: u64) {
        while self.times.front().is_some_and(|&t| t.saturating_add(span) <= now) || self.times.len() >= limit {
            self.times.pop_front();
        }
        self.times.push_back(now);
    }

    fn stale(&self, now: u64, span: u64) -> bool {
        self.times.back().is_none_or(|&t| t.saturating_add(span) <= now)
    }
}

/// Failures of one (account, address) pair.
#[derive(Debug)]
struct Pair {
    failures: u32,
    last: u64,
}

impl Pair {
    /// When the pair may try again.
    fn free_at(&self) -> u64 {
        if self.failures < FREE_FAILURES {
            return 0;
        }
        let doublings = (self.failures - FREE_FAILURES).min(20);
        self.last.saturating_add(FIRST_WAIT_MS.saturating_mul(1 << doublings).min(LONGEST_WAIT_MS))
    }

    fn stale(&self, now: u64) -> bool {
        self.free_at().max(self.last).saturating_add(PAIR_MEMORY_MS) <= now
    }
}

/// Failed logins per (account, address) and per address. `check` before verifying a password;
/// then `failed` or `succeeded`.
#[derive(Debug)]
pub struct LoginThrottle {
    pairs: Bounded<(Folded, PeerGroup), Pair>,
    addresses: Bounded<PeerGroup, Window>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::with_capacity(MAX_ENTRIES)
    }
}

impl LoginThrottle {
    pub fn new() -> LoginThrottle {
        LoginThrottle::default()
    }

    /// A throttle whose tables hold at most `capacity` entries each.
    pub fn with_capacity(capacity: usize) -> LoginThrottle {
        LoginThrottle { pairs: Bounded::new(capacity), addresses: Bounded::new(capacity) }
    }

    /// Whether a login to `account` from `ip` may be tried at `now`; if not, the seconds to wait.
    pub fn check(&self, account: &Folded, ip: IpAddr, now: u64) -> Result<(), u64> {
        let group = PeerGroup::of(ip);
        let pair = self.pairs.get(&(account.clone(), group)).map_or(0, |p| p.free_at().saturating_sub(now));
        let address = self.addresses.get(&group).map_or(0, |w| w.wait(now, ADDRESS_FAILURES, ADDRESS_WINDOW_MS));
        match pair.max(address) {
            0 => Ok(()),
            wait => Err(seconds(wait)),
        }
    }

    /// Counts a failed login to `account` from `ip`.
    pub fn failed(&mut self, account: &Folded, ip: IpAddr, now: u64) {
        let group = PeerGroup::of(ip);
        let pair =
            self.pairs.entry((account.clone(), group), now, || Pair { failures: 0, last: now }, |p| p.stale(now));
        if pair.stale(now) {
            pair.failures = 0;
        }
        pair.failures = pair.failures.saturating_add(1);
        pair.last = now;
        let window = self.addresses.entry(group, now, Window::default, |w| w.stale(now, ADDRESS_WINDOW_MS));
        window.record(now, ADDRESS_FAILURES, ADDRESS_WINDOW_MS);
    }

    /// Clears the pair's failures after a successful login. The address's count stays: logging
    /// in to an account of one's own must not buy more guesses at others'.
    pub fn succeeded(&mut self, account: &Folded, ip: IpAddr) {
        self.pairs.remove(&(account.clone(), PeerGroup::of(ip)));
    }

    /// Entries held (pairs, addresses), for tests and metrics.
    pub fn len(&self) -> (usize, usize) {
        (self.pairs.len(), self.addresses.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

/// Accounts registered per address: at most `REGISTRATIONS` per `REGISTRATION_WINDOW_MS`.
#[derive(Debug)]
pub struct RegistrationLimit {
    addresses: Bounded<PeerGroup, Window>,
}

impl Default for RegistrationLimit {
    fn default() -> Self {
        RegistrationLimit::with_capacity(MAX_ENTRIES)
    }
}

impl RegistrationLimit {
    pub fn new() -> RegistrationLimit {
        RegistrationLimit::default()
    }

    pub fn with_capacity(capacity: usize) -> RegistrationLimit {
        RegistrationLimit { addresses: Bounded::new(capacity) }
    }

    /// Whether `ip` may register an account at `now`; if not, the seconds to wait.
    pub fn check(&self, ip: IpAddr, now: u64) -> Result<(), u64> {
        match self.addresses.get(&PeerGroup::of(ip)).map_or(0, |w| w.wait(now, REGISTRATIONS, REGISTRATION_WINDOW_MS)) {
            0 => Ok(()),
            wait => Err(seconds(wait)),
        }
    }

    /// Counts an account registered from `ip` (call it once the account exists).
    pub fn record(&mut self, ip: IpAddr, now: u64) {
        let window =
            self.addresses.entry(PeerGroup::of(ip), now, Window::default, |w| w.stale(now, REGISTRATION_WINDOW_MS));
        window.record(now, REGISTRATIONS, REGISTRATION_WINDOW_MS);
    }

    /// Addresses held, for tests and metrics.
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;

//! The connections held under `--max-clients` and `--max-per-ip`, and the slot each one holds.
//!
//! Owns the counts only: the acceptor decides whether a newcomer may have a slot (it knows the
//! limits), the broker holds each client's slot inside `Event::Connected` and drops it on
//! eviction. A slot keeps the counts alive and nothing else: it must not hold the acceptor, whose
//! event sender would then travel inside the event channel and keep it open forever.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Connections held right now, in total and per address.
#[derive(Debug, Default)]
pub struct Held {
    pub(super) total: usize,
    pub(super) per_ip: HashMap<IpAddr, usize>,
}

/// The counts every acceptor and every slot share.
#[derive(Debug, Default)]
pub struct Occupancy {
    held: Mutex<Held>,
}

impl Occupancy {
    /// The counts, for reading and for taking a slot (`Slot::take`) under one lock.
    pub(super) fn lock(&self) -> MutexGuard<'_, Held> {
        // The counts stay consistent even if a holder panicked: each update is a single step.
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A held connection slot. The broker keeps it for as long as it knows the client and drops it
/// when it evicts the client, before closing the socket, so a client that reconnects right after
/// seeing its connection close finds its slot free again.
pub struct Slot {
    occupancy: Arc<Occupancy>,
    ip: IpAddr,
}

impl Slot {
    /// Counts one more connection from `ip` in `held` (the locked counts of `occupancy`), to be
    /// counted out again when the slot is dropped.
    pub(super) fn take(occupancy: &Arc<Occupancy>, held: &mut Held, ip: IpAddr) -> Slot {
        held.total += 1;
        *held.per_ip.entry(ip).or_insert(0) += 1;
        Slot { occupancy: Arc::clone(occupancy), ip }
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({})", self.ip)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.occupancy.lock();
        held.total = held.total.saturating_sub(1);
        if let Some(n) = held.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_slot_is_counted_out_and_its_address_forgotten() {
        let occupancy = Arc::new(Occupancy::default());
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let (s1, s2, s3) = {
            let mut held = occupancy.lock();
            let taken = (Slot::take(&occupancy, &mut held, a), Slot::take(&occupancy, &mut held, a));
            (taken.0, taken.1, Slot::take(&occupancy, &mut held, b))
        };
        let counts = |held: &Held| (held.total, held.per_ip.get(&a).copied(), held.per_ip.get(&b).copied());
        assert_eq!(counts(&occupancy.lock()), (3, Some(2), Some(1)));
        drop(s1);
        drop(s3);
        assert_eq!(counts(&occupancy.lock()), (1, Some(1), None));
        drop(s2);
        assert_eq!(counts(&occupancy.lock()), (0, None, None));
        assert!(occupancy.lock().per_ip.is_empty());
    }
}

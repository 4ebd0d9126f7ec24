//! Counts the acceptors and readers keep for `/server-status` and `/metrics`: connections
//! accepted and refused by reason, bytes read. Atomics, so that no thread waits for another to
//! count; the broker reads them when a status page is asked for.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Traffic {
    accepted: AtomicU64,
    refused_max_clients: AtomicU64,
    refused_capacity: AtomicU64,
    refused_per_ip: AtomicU64,
    bytes_received: AtomicU64,
}

impl Traffic {
    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// One connection refused; `reason` as the `refused` log line says it.
    pub fn refused(&self, reason: &str) {
        let counter = match reason {
            "max-clients" => &self.refused_max_clients,
            "max-per-ip" => &self.refused_per_ip,
            _ => &self.refused_capacity,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn received(&self, bytes: usize) {
        self.bytes_received.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn accepted_total(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    pub fn bytes_received_total(&self) -> u64 {
        self.bytes_received.load(Ordering::Relaxed)
    }

    /// Refusals by reason, every reason listed (a counter that exists from the start).
    pub fn refused_totals(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("max-clients", self.refused_max_clients.load(Ordering::Relaxed)),
            ("max-per-ip", self.refused_per_ip.load(Ordering::Relaxed)),
            ("capacity", self.refused_capacity.load(Ordering::Relaxed)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_by_reason() {
        let traffic = Traffic::default();
        traffic.refused("max-per-ip");
        traffic.refused("max-per-ip");
        traffic.refused("capacity");
        traffic.accepted();
        traffic.received(10);
        assert_eq!(traffic.refused_totals(), vec![("max-clients", 0), ("max-per-ip", 2), ("capacity", 1)]);
        assert_eq!((traffic.accepted_total(), traffic.bytes_received_total()), (1, 10));
    }
}

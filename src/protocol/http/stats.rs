//! `Stats`: a snapshot of the counts `/server-status` and `/metrics` show, filled by the broker
//! and the listener, read by `status` and `metrics`.
//!
//! Counts only: no nicknames, no addresses, nothing a reader of a public status page could use
//! to find a person. A plain struct, so filling it needs nothing from this module.

use crate::protocol::Millis;

/// What the server is doing at one moment. Labels (dialect names, reasons) are chatd's own
/// fixed tokens, such as `QuitReason::log_token`'s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// chatd's version (`CARGO_PKG_VERSION`), for `Server` lines and `chatd_build_info`.
    pub version: &'static str,
    /// Connected clients per dialect (`netcat`, `irc`, `web`), in the order to show them.
    pub clients_by_dialect: Vec<(&'static str, u64)>,
    /// `--max-clients`.
    pub max_clients: u64,
    /// Rooms that exist now.
    pub rooms: u64,
    /// When the server started.
    pub created: Millis,
    /// When this snapshot was taken.
    pub now: Millis,
    /// Messages accepted for relay (room and private), since start.
    pub messages_relayed: u64,
    /// Copies of messages handed to recipients' outboxes, since start.
    pub deliveries: u64,
    /// TCP connections accepted, since start.
    pub connections_accepted: u64,
    /// TCP connections refused, by reason (server full, per-IP limit, ...), since start.
    pub connections_refused: Vec<(&'static str, u64)>,
    /// Clients the server removed, by reason (`ping-timeout`, `sendq-exceeded`, ...).
    pub evictions: Vec<(&'static str, u64)>,
    /// Bytes read from clients, since start.
    pub bytes_received: u64,
    /// Bytes written to clients, since start.
    pub bytes_sent: u64,
    /// Events waiting in the broker's channel: a broker falling behind shows here first.
    pub event_queue_depth: u64,
}

impl Stats {
    /// Connected clients of every dialect.
    pub fn clients(&self) -> u64 {
        self.clients_by_dialect.iter().map(|(_, count)| count).sum()
    }

    /// Whole seconds since the start (0 if the clock went back).
    pub fn uptime_secs(&self) -> u64 {
        self.now.saturating_sub(self.created) / 1000
    }
}

/// An uptime as `3d 04:12:09`: days, then hours, minutes and seconds.
pub fn uptime_text(secs: u64) -> String {
    format!("{}d {:02}:{:02}:{:02}", secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60, secs % 60)
}

/// A busy server's counts, shared by the tests of `status` and `metrics`.
#[cfg(test)]
pub(crate) fn sample() -> Stats {
    Stats {
        version: "0.1.0",
        clients_by_dialect: vec![("netcat", 30), ("irc", 17), ("web", 1)],
        max_clients: 128,
        rooms: 12,
        created: 1_184_064_842_000,
        now: 1_184_064_842_000 + (3 * 86_400 + 4 * 3600 + 12 * 60 + 9) * 1000 + 999,
        messages_relayed: 1234,
        deliveries: 5678,
        connections_accepted: 99,
        connections_refused: vec![("full", 2), ("per-ip", 1)],
        evictions: vec![("ping-timeout", 3), ("sendq-exceeded", 1)],
        bytes_received: 4096,
        bytes_sent: 65_536,
        event_queue_depth: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_in_days_and_clock_time() {
        assert_eq!(uptime_text(0), "0d 00:00:00");
        assert_eq!(uptime_text(3 * 86_400 + 4 * 3600 + 12 * 60 + 9), "3d 04:12:09");
        assert_eq!(uptime_text(16 * 86_400 + 59), "16d 00:00:59");
    }

    #[test]
    fn clients_and_uptime_come_from_the_counts() {
        let stats = Stats {
            clients_by_dialect: vec![("netcat", 30), ("irc", 17), ("web", 1)],
            created: 10_000,
            now: 75_999,
            ..Stats::default()
        };
        assert_eq!(stats.clients(), 48);
        assert_eq!(stats.uptime_secs(), 65);
        assert_eq!(Stats { now: 0, ..stats }.uptime_secs(), 0);
    }
}

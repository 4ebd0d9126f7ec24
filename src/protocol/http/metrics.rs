//! `/metrics`: the `Stats` snapshot in Prometheus' text exposition format 0.0.4.
//!
//! Every family has `# HELP` and `# TYPE`, its name starts with `chatd_`, counters end in
//! `_total`, and label values are escaped as the format requires (backslash, double quote,
//! line feed). Checked against `promtool check metrics` and the Python client's parser in
//! `tests/http_exposition.rs`. Pure text; counts only, never names or addresses.

use super::stats::Stats;
use std::fmt::{Display, Write as _};

/// The `Content-Type` of the exposition format this writes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Copy)]
enum Kind {
    Gauge,
    Counter,
}

/// The exposition of `stats`.
pub fn exposition(stats: &Stats) -> String {
    let mut out = Writer { text: String::with_capacity(2048) };
    out.family("chatd_clients", Kind::Gauge, "Connected clients, by dialect.");
    for (dialect, count) in &stats.clients_by_dialect {
        out.sample("chatd_clients", Some(("dialect", dialect)), count);
    }
    out.single("chatd_max_clients", Kind::Gauge, "Most clients served at once (--max-clients).", stats.max_clients);
    out.single("chatd_rooms", Kind::Gauge, "Rooms that exist.", stats.rooms);
    out.single(
        "chatd_messages_relayed_total",
        Kind::Counter,
        "Messages accepted for relay, to rooms and to people.",
        stats.messages_relayed,
    );
    out.single("chatd_deliveries_total", Kind::Counter, "Message copies handed to recipients.", stats.deliveries);
    out.single(
        "chatd_connections_accepted_total",
        Kind::Counter,
        "TCP connections accepted.",
        stats.connections_accepted,
    );
    out.labelled(
        "chatd_connections_refused_total",
        Kind::Counter,
        "TCP connections refused, by reason.",
        "reason",
        &stats.connections_refused,
    );
    out.labelled(
        "chatd_evictions_total",
        Kind::Counter,
        "Clients the server removed, by reason.",
        "reason",
        &stats.evictions,
    );
    out.single("chatd_received_bytes_total", Kind::Counter, "Bytes read from clients.", stats.bytes_received);
    out.single("chatd_sent_bytes_total", Kind::Counter, "Bytes written to clients.", stats.bytes_sent);
    out.single(
        "chatd_broker_event_queue_depth",
        Kind::Gauge,
        "Events waiting for the broker thread.",
        stats.event_queue_depth,
    );
    out.single(
        "chatd_start_time_seconds",
        Kind::Gauge,
        "When the server started, in seconds since the Unix epoch.",
        format_args!("{}.{:03}", stats.created / 1000, stats.created % 1000),
    );
    out.single("chatd_uptime_seconds", Kind::Gauge, "Seconds since the server started.", stats.uptime_secs());
    out.family("chatd_build_info", Kind::Gauge, "The running chatd's version; always 1.");
    out.sample("chatd_build_info", Some(("version", stats.version)), 1);
    out.text
}

/// Writes families and samples in the format's line syntax.
struct Writer {
    text: String,
}

impl Writer {
    fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let kind = match kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, label: Option<(&str, &str)>, value: impl Display) {
        match label {
            Some((label, label_value)) => {
                let _ = writeln!(self.text, "{name}{{{label}=\"{}\"}} {value}", escape_label_value(label_value));
            }
            None => {
                let _ = writeln!(self.text, "{name} {value}");
            }
        }
    }

    /// A family of one unlabelled sample.
    fn single(&mut self, name: &str, kind: Kind, help: &str, value: impl Display) {
        self.family(name, kind, help);
        self.sample(name, None, value);
    }

    /// A family of one sample per label value.
    fn labelled(&mut self, name: &str, kind: Kind, help: &str, label: &str, pairs: &[(&str, u64)]) {
        self.family(name, kind, help);
        for (label_value, count) in pairs {
            self.sample(name, Some((label, label_value)), count);
        }
    }
}

/// A label value as the format writes it: `\` as `\\`, `"` as `\"`, line feed as `\n`.
pub fn escape_label_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `# HELP` text as the format writes it: `\` as `\\`, line feed as `\n`.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;

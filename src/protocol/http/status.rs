//! `/server-status`: the old gateway's plain page (`Clients: 48/128`, `Created: ...`,
//! `Uptime: ...`) with what an operator wants now, and the same as JSON for scripts.
//!
//! Both are built from a `Stats` snapshot, so they hold counts only. The JSON is written by
//! hand (chatd has no serde); `json_string` escapes as RFC 8259 7 requires.

use super::stats::{Stats, uptime_text};
use crate::core::time::{utc_date_time, utc_timestamp_millis};
use std::fmt::Write as _;

/// The plain-text page: one `Name: value` line each, times in UTC.
pub fn text(stats: &Stats) -> String {
    let mut out = String::with_capacity(512);
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{name}: {value}");
    };
    line("Version", &stats.version);
    line("Clients", &format_args!("{}/{}", stats.clients(), stats.max_clients));
    for (dialect, count) in &stats.clients_by_dialect {
        line(&format!("Clients {}", plain_label(dialect)), count);
    }
    line("Rooms", &stats.rooms);
    line("Created", &format_args!("{} UTC", utc_date_time(stats.created)));
    line("Uptime", &uptime_text(stats.uptime_secs()));
    line("Messages relayed", &stats.messages_relayed);
    line("Deliveries", &stats.deliveries);
    line("Connections accepted", &stats.connections_accepted);
    for (reason, count) in &stats.connections_refused {
        line(&format!("Connections refused {}", plain_label(reason)), count);
    }
    for (reason, count) in &stats.evictions {
        line(&format!("Evictions {}", plain_label(reason)), count);
    }
    line("Bytes received", &stats.bytes_received);
    line("Bytes sent", &stats.bytes_sent);
    line("Event queue", &stats.event_queue_depth);
    out
}

/// The same as one JSON object (and a newline).
pub fn json(stats: &Stats) -> String {
    let mut out = String::with_capacity(768);
    out.push('{');
    member(&mut out, "version", |out| json_string(out, stats.version));
    number(&mut out, "clients", stats.clients());
    number(&mut out, "max_clients", stats.max_clients);
    member(&mut out, "clients_by_dialect", |out| counts(out, &stats.clients_by_dialect));
    number(&mut out, "rooms", stats.rooms);
    member(&mut out, "created", |out| json_string(out, &utc_timestamp_millis(stats.created)));
    number(&mut out, "created_unix_ms", stats.created);
    member(&mut out, "uptime", |out| json_string(out, &uptime_text(stats.uptime_secs())));
    number(&mut out, "uptime_seconds", stats.uptime_secs());
    number(&mut out, "messages_relayed", stats.messages_relayed);
    number(&mut out, "deliveries", stats.deliveries);
    number(&mut out, "connections_accepted", stats.connections_accepted);
    member(&mut out, "connections_refused", |out| counts(out, &stats.connections_refused));
    member(&mut out, "evictions", |out| counts(out, &stats.evictions));
    number(&mut out, "bytes_received", stats.bytes_received);
    number(&mut out, "bytes_sent", stats.bytes_sent);
    number(&mut out, "event_queue_depth", stats.event_queue_depth);
    out.push_str("}\n");
    out
}

/// Appends `"name":` and the value `write` writes, with a comma before all but the first.
fn member(out: &mut String, name: &str, write: impl FnOnce(&mut String)) {
    if !out.ends_with('{') {
        out.push(',');
    }
    json_string(out, name);
    out.push(':');
    write(out);
}

fn number(out: &mut String, name: &str, value: u64) {
    member(out, name, |out| {
        let _ = write!(out, "{value}");
    });
}

/// `{"label":count,...}`.
fn counts(out: &mut String, pairs: &[(&str, u64)]) {
    out.push('{');
    for (label, count) in pairs {
        number(out, label, *count);
    }
    out.push('}');
}

/// Appends `text` as a JSON string: quotes, backslash and every control character escaped
/// (RFC 8259 7), and U+2028/U+2029 too, so the JSON is also safe inside JavaScript source.
pub fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A label for a plain-text line: no control character can start a line of its own.
fn plain_label(label: &str) -> String {
    label.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::http::stats::sample;

    #[test]
    fn the_text_page_reads_like_the_old_gateway() {
        assert_eq!(
            text(&sample()),
            "Version: 0.1.0\nClients: 48/128\nClients netcat: 30\nClients irc: 17\nClients web: 1\nRooms: 12\n\
             Created: 2007-07-10 10:54:02 UTC\nUptime: 3d 04:12:09\nMessages relayed: 1234\nDeliveries: 5678\n\
             Connections accepted: 99\nConnections refused full: 2\nConnections refused per-ip: 1\n\
             Evictions ping-timeout: 3\nEvictions sendq-exceeded: 1\nBytes received: 4096\nBytes sent: 65536\n\
             Event queue: 0\n"
        );
    }

    #[test]
    fn the_json_holds_the_same_counts() {
        assert_eq!(
            json(&sample()),
            "{\"version\":\"0.1.0\",\"clients\":48,\"max_clients\":128,\
             \"clients_by_dialect\":{\"netcat\":30,\"irc\":17,\"web\":1},\"rooms\":12,\
             \"created\":\"2007-07-10T10:54:02.000Z\",\"created_unix_ms\":1184064842000,\
             \"uptime\":\"3d 04:12:09\",\"uptime_seconds\":274329,\"messages_relayed\":1234,\
             \"deliveries\":5678,\"connections_accepted\":99,\
             \"connections_refused\":{\"full\":2,\"per-ip\":1},\
             \"evictions\":{\"ping-timeout\":3,\"sendq-exceeded\":1},\"bytes_received\":4096,\
             \"bytes_sent\":65536,\"event_queue_depth\":0}\n"
        );
        let empty = json(&Stats::default());
        assert!(empty.contains("\"clients_by_dialect\":{},"), "{empty}");
    }

    #[test]
    fn json_strings_escape_what_they_must() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\nd\re\tf\u{1}\u{1f}\u{7f}é\u{2028}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001\\u001f\u{7f}é\\u2028\"");
    }

    #[test]
    fn odd_labels_stay_on_their_line() {
        let stats = Stats { evictions: vec![("bad\nline", 1)], ..Stats::default() };
        assert!(text(&stats).contains("Evictions bad line: 1\n"));
        assert!(json(&stats).contains("\"evictions\":{\"bad\\nline\":1}"));
    }
}

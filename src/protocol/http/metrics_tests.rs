//! Unit tests of `metrics`: the format's rules, line by line. `tests/http_exposition.rs` has
//! the real parsers check the same output.

use super::*;
use crate::protocol::http::stats::sample;

#[test]
fn every_family_has_help_and_type_and_the_prefix() {
    let text = exposition(&sample());
    let mut typed = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(name.starts_with("chatd_"), "{line}");
            assert_eq!(name.ends_with("_total"), kind == "counter", "{line}");
            typed.push(name.to_owned());
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{name} has no TYPE");
        } else {
            let name = line.split(['{', ' ']).next().unwrap();
            assert_eq!(typed.last().map(String::as_str), Some(name), "sample outside its family: {line}");
        }
    }
    assert_eq!(typed.len(), 14);
}

#[test]
fn the_exposition_of_a_busy_server() {
    let text = exposition(&sample());
    for line in [
        "chatd_clients{dialect=\"netcat\"} 30",
        "chatd_clients{dialect=\"web\"} 1",
        "chatd_max_clients 128",
        "chatd_rooms 12",
        "# TYPE chatd_messages_relayed_total counter",
        "chatd_messages_relayed_total 1234",
        "chatd_deliveries_total 5678",
        "chatd_connections_accepted_total 99",
        "chatd_connections_refused_total{reason=\"per-ip\"} 1",
        "chatd_evictions_total{reason=\"ping-timeout\"} 3",
        "chatd_received_bytes_total 4096",
        "chatd_sent_bytes_total 65536",
        "chatd_broker_event_queue_depth 0",
        "chatd_start_time_seconds 1184064842.000",
        "chatd_uptime_seconds 274329",
        "# HELP chatd_build_info The running chatd's version; always 1.",
        "chatd_build_info{version=\"0.1.0\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing from\n{text}");
    }
    assert!(text.ends_with('\n'));
}

#[test]
fn label_values_are_escaped() {
    assert_eq!(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
    let stats = Stats { version: "1.0\"\n\\", evictions: vec![("we\"ird\n", 2)], ..Stats::default() };
    let text = exposition(&stats);
    assert!(text.contains("chatd_build_info{version=\"1.0\\\"\\n\\\\\"} 1\n"), "{text}");
    assert!(text.contains("chatd_evictions_total{reason=\"we\\\"ird\\n\"} 2\n"), "{text}");
}

#[test]
fn the_content_type_names_version_0_0_4() {
    assert_eq!(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
}

//! `/metrics` and `/server-status` output read by real parsers: `promtool check metrics`
//! (Debian's `prometheus` package) and the Python client's
//! `prometheus_client.parser.text_string_to_metric_families` (`python3-prometheus-client`) for
//! the metrics, Python's `json` module for the status JSON.
//!
//! Ignored by a plain `cargo test`, since it needs those tools; `.ci/run` runs it where they
//! are installed (`cargo test --test http_exposition -- --ignored`). When run without them it
//! fails: it never passes untested.

use chatd::protocol::http::{Stats, metrics, status};
use std::io::Write;
use std::process::{Command, Stdio};

/// A server with every family populated, and label values that need escaping.
fn stats() -> Stats {
    Stats {
        version: "0.1.0",
        clients_by_dialect: vec![("netcat", 30), ("irc", 17), ("web", 1)],
        max_clients: 128,
        rooms: 12,
        created: 1_184_064_842_123,
        now: 1_184_339_171_999,
        messages_relayed: 1234,
        deliveries: 5678,
        connections_accepted: 99,
        connections_refused: vec![("full", 2), ("per-ip", 1), ("odd \"quoted\\\" \n reason", 1)],
        evictions: vec![("ping-timeout", 3), ("sendq-exceeded", 1)],
        bytes_received: 4096,
        bytes_sent: 65_536,
        event_queue_depth: 7,
    }
}

/// Runs `program args` with `input` on stdin; panics with its output unless it succeeds.
fn run(program: &str, args: &[&str], input: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); this test needs it installed"));
    child.stdin.take().expect("piped stdin").write_all(input.as_bytes()).expect("write to stdin");
    let output = child.wait_with_output().expect("wait for the child");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}):\n{stdout}\n{stderr}\ninput:\n{input}",
        output.status
    );
    stdout + &stderr
}

/// A Python 3 that has `prometheus_client`: the one on PATH, else Debian's own.
fn python() -> &'static str {
    let has_client = |python: &str| {
        Command::new(python)
            .args(["-c", "import prometheus_client"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|python| has_client(python))
        .expect("no python3 with prometheus_client (Debian: python3-prometheus-client)")
}

#[test]
#[ignore = "needs promtool and python3-prometheus-client"]
fn promtool_accepts_the_metrics() {
    let text = metrics::exposition(&stats());
    let report = run("promtool", &["check", "metrics"], &text);
    // promtool prints lint findings (and still exits 0 for some); there must be none.
    assert!(report.trim().is_empty(), "promtool found problems:\n{report}\nin:\n{text}");
}

#[test]
#[ignore = "needs promtool and python3-prometheus-client"]
fn the_python_client_parses_the_metrics_back() {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        labels = ",".join(f"{k}={v!r}" for k, v in sorted(sample.labels.items()))
        print(f"{family.type} {family.name} {sample.name} {labels} {sample.value}")
"#;
    let parsed = run(python(), &["-c", script], &metrics::exposition(&stats()));
    for line in [
        "gauge chatd_clients chatd_clients dialect='netcat' 30.0",
        "gauge chatd_clients chatd_clients dialect='web' 1.0",
        "gauge chatd_max_clients chatd_max_clients  128.0",
        "counter chatd_messages_relayed chatd_messages_relayed_total  1234.0",
        "counter chatd_deliveries chatd_deliveries_total  5678.0",
        "counter chatd_connections_accepted chatd_connections_accepted_total  99.0",
        "counter chatd_connections_refused chatd_connections_refused_total reason='odd \"quoted\\\\\" \\n reason' 1.0",
        "counter chatd_evictions chatd_evictions_total reason='sendq-exceeded' 1.0",
        "counter chatd_received_bytes chatd_received_bytes_total  4096.0",
        "counter chatd_sent_bytes chatd_sent_bytes_total  65536.0",
        "gauge chatd_broker_event_queue_depth chatd_broker_event_queue_depth  7.0",
        "gauge chatd_start_time_seconds chatd_start_time_seconds  1184064842.123",
        "gauge chatd_uptime_seconds chatd_uptime_seconds  274329.0",
        "gauge chatd_build_info chatd_build_info version='0.1.0' 1.0",
    ] {
        assert!(parsed.lines().any(|l| l == line), "{line:?} not in the parse:\n{parsed}");
    }
    assert_eq!(parsed.lines().count(), 19, "{parsed}");
}

#[test]
#[ignore = "needs promtool and python3-prometheus-client"]
fn python_reads_the_status_json() {
    let script = r#"
import json, sys
status = json.loads(sys.stdin.read())
print(status["clients"], status["max_clients"], status["clients_by_dialect"]["irc"], status["uptime"],
      status["created"], json.dumps(status["connections_refused"], sort_keys=True))
"#;
    let parsed = run(python(), &["-c", script], &status::json(&stats()));
    assert_eq!(
        parsed.trim(),
        "48 128 17 3d 04:12:09 2007-07-10T10:54:02.123Z \
         {\"full\": 2, \"odd \\\"quoted\\\\\\\" \\n reason\": 1, \"per-ip\": 1}"
    );
}

//! The operator pages: `/server-status` as text and as JSON, `/metrics`, and who may read them
//! (`--status-allow`, and the default: status public, metrics loopback only).

use crate::common::Server;
use crate::common::http::{HttpClient, Req, Response, one_shot};
use crate::common::json::Json;
use crate::common::web::login;

/// `Name: value` lines of the text page, in order.
fn status_lines(response: &Response) -> Vec<(String, String)> {
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.field("Content-Type"), Some("text/plain; charset=utf-8"));
    assert_eq!(response.field("Cache-Control"), Some("no-store"));
    response
        .text()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap_or_else(|| panic!("not `Name: value`: {line:?}"));
            (name.to_string(), value.to_string())
        })
        .collect()
}

fn value<'a>(lines: &'a [(String, String)], name: &str) -> &'a str {
    lines.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}: {lines:?}"))
}

/// `YYYY-MM-DD HH:MM:SS UTC`
fn is_utc_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 23
        && text.ends_with(" UTC")
        && b.iter().take(19).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn server_status_counts_clients_by_dialect_and_messages_and_names_no_one() {
    let server = Server::start(&["--max-clients", "50"]);
    let mut alice = server.register("alice");
    let _web = login(&server, "webber");
    alice.send("hello");
    alice.send("/who");
    alice.expect("-- 2 users in #lobby");

    let lines = status_lines(&one_shot(&server, &Req::get("/server-status")));
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..3], ["Version", "Clients", "Clients netcat"], "{lines:?}");
    assert_eq!(value(&lines, "Version"), env!("CARGO_PKG_VERSION"));
    // alice, the web session, and this very HTTP connection.
    assert_eq!(value(&lines, "Clients"), "3/50");
    assert_eq!(value(&lines, "Clients netcat"), "1");
    assert_eq!(value(&lines, "Clients irc"), "0");
    assert_eq!(value(&lines, "Clients web"), "1");
    assert_eq!(value(&lines, "Clients http"), "1");
    assert_eq!(value(&lines, "Rooms"), "1");
    assert!(is_utc_date_time(value(&lines, "Created")), "{lines:?}");
    let uptime = value(&lines, "Uptime");
    assert!(uptime.starts_with("0d 00:00:0") && uptime.len() == 11, "uptime {uptime:?}");
    assert_eq!(value(&lines, "Messages relayed"), "1");
    for name in ["Deliveries", "Connections accepted", "Bytes received", "Bytes sent", "Event queue"] {
        value(&lines, name).parse::<u64>().unwrap_or_else(|_| panic!("{name} is not a count: {lines:?}"));
    }
    let text = format!("{lines:?}");
    assert!(!text.contains("alice") && !text.contains("webber") && !text.contains("127.0.0.1"), "{text}");
}

/// The JSON page: the same counts as the text page.
fn check_json(status: &Json) {
    assert_eq!(status.text("version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(status.get("max_clients").u64(), 50);
    let by_dialect = status.get("clients_by_dialect");
    assert_eq!(by_dialect.get("netcat").u64(), 1, "{status}");
    assert_eq!(by_dialect.get("web").u64(), 0, "{status}");
    assert_eq!(status.get("clients").u64(), 2, "netcat and this connection: {status}");
    assert_eq!(status.get("rooms").u64(), 1);
    let created = status.text("created");
    assert!(created.len() == 24 && created.ends_with('Z'), "created {created:?}");
    assert!(status.get("created_unix_ms").u64() > 1_600_000_000_000);
    assert!(status.text("uptime").starts_with("0d 00:00:"));
    for key in ["messages_relayed", "deliveries", "connections_accepted", "bytes_received", "bytes_sent"] {
        status.get(key).u64();
    }
    assert!(matches!(status.get("evictions"), Json::Object(_)), "{status}");
}

#[test]
fn server_status_is_json_when_asked_by_query_or_accept() {
    let server = Server::start(&["--max-clients", "50"]);
    let _alice = server.register("alice");
    let mut http = HttpClient::connect(&server);
    let by_query = http.request(&Req::get("/server-status?format=json"));
    assert_eq!(by_query.status, 200);
    check_json(&by_query.json());
    let by_accept = http.request(&Req::get("/server-status").field("Accept", "text/html;q=0.5, application/json"));
    check_json(&by_accept.json());
    // Without either it is text.
    let text = http.request(&Req::get("/server-status").field("Accept", "text/html"));
    assert!(text.text().starts_with("Version: "), "{text:?}");
    let line = server.expect_log(&[" INFO http ", "path=/server-status ", "status=200 "]);
    assert!(line.contains("method=GET") && line.contains("peer=127.0.0.1"), "{line}");
}

#[test]
fn metrics_answer_loopback_by_default_in_the_prometheus_text_format() {
    let server = Server::start(&[]);
    let _alice = server.register("alice");
    let metrics = one_shot(&server, &Req::get("/metrics"));
    assert_eq!(metrics.status, 200, "{metrics:?}");
    assert!(metrics.must("Content-Type").starts_with("text/plain; version=0.0.4"), "{metrics:?}");
    assert_eq!(metrics.field("Cache-Control"), Some("no-store"));
    let text = metrics.text();
    assert!(text.contains("chatd_clients{dialect=\"netcat\"} 1\n"), "{text}");
    assert!(text.contains("# TYPE chatd_messages_relayed_total counter\n"), "{text}");
    assert!(text.contains(&format!("chatd_build_info{{version=\"{}\"}} 1\n", env!("CARGO_PKG_VERSION"))));
    // Every sample belongs to a family announced with HELP and TYPE before it.
    let mut announced = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            announced.push(rest.split(' ').next().unwrap().to_string());
        } else if !line.starts_with('#') {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(name.starts_with("chatd_") && announced.iter().any(|a| a == name), "{line:?} in\n{text}");
        }
    }
    assert!(announced.len() >= 10, "{text}");
}

#[test]
fn status_allow_decides_who_reads_both_pages() {
    let shut_out = Server::start(&["--status-allow", "10.0.0.0/8"]);
    for path in ["/metrics", "/server-status", "/server-status?format=json"] {
        let refused = one_shot(&shut_out, &Req::get(path));
        assert_eq!(refused.status, 403, "{path}: {refused:?}");
        assert!(!refused.text().contains("chatd_") && !refused.text().contains("Clients"), "{refused:?}");
    }
    shut_out.expect_log(&[" INFO http ", "path=/metrics ", "status=403 ", "peer=127.0.0.1"]);

    let let_in = Server::start(&["--status-allow", "10.0.0.0/8", "--status-allow", "127.0.0.0/8"]);
    assert_eq!(one_shot(&let_in, &Req::get("/metrics")).status, 200);
    assert_eq!(one_shot(&let_in, &Req::get("/server-status")).status, 200);
}

#[test]
fn behind_a_trusted_proxy_metrics_refuse_remote_clients_and_status_stays_public() {
    let server = Server::start(&["--trusted-proxy", "127.0.0.1"]);
    let remote = |path: &str| one_shot(&server, &Req::get(path).field("X-Forwarded-For", "203.0.113.9"));
    assert_eq!(remote("/metrics").status, 403);
    assert_eq!(remote("/server-status").status, 200);
    server.expect_log(&[" INFO http ", "path=/metrics ", "status=403 ", "peer=203.0.113.9"]);
    let local = one_shot(&server, &Req::get("/metrics").field("X-Forwarded-For", "127.0.0.1"));
    assert_eq!(local.status, 200);
}

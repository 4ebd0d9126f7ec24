//! The process: graceful stop on signals, the command line (errors, --help, --version), start-up
//! failures, and listening on IPv6 loopback.

use crate::common::log::parse_log_line;
use crate::common::process::run_chatd;
use crate::common::{Client, Server};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every option the usage text must document.
const ALL_OPTIONS: &[&str] = &[
    "--listen",
    "--server-name",
    "--log-file",
    "--log-messages",
    "--log-summary-interval",
    "--max-clients",
    "--max-per-ip",
    "--max-line",
    "--max-sendq",
    "--history",
    "--ping-interval",
    "--ping-timeout",
    "--default-room",
    "--flood-burst",
    "--flood-rate",
    "--help",
    "--version",
];

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

/// Stops a server holding two users and one unregistered connection with `signal`: everyone gets
/// the farewell then EOF, the process exits 0 within 2 s and the log records the stop.
fn graceful_stop(signal: &str) {
    let mut server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    alice.expect("-- bob joined #lobby");
    let mut anon = server.connect();
    // The greeting comes from the broker, which starts after the signal handler is installed
    // (see `sigterm_right_after_the_start_line_still_stops_cleanly`).
    anon.expect("-- Choose a nickname:");

    let signalled = Instant::now();
    server.signal(signal);
    for (name, client) in [("alice", &mut alice), ("bob", &mut bob), ("anon", &mut anon)] {
        client.expect_next("-- Closing connection: server shutting down");
        let rest = client.expect_closed();
        assert!(rest.is_empty(), "{name} got lines after the farewell: {rest:?}");
    }
    let status = server.wait_exit(Duration::from_secs(2));
    let took = signalled.elapsed();
    let status = status.unwrap_or_else(|| panic!("still running 2 s after SIG{signal}; log:\n{}", server.log.text()));
    assert_eq!(status.code(), Some(0), "SIG{signal}: {status:?}");
    assert!(took < Duration::from_secs(2), "SIG{signal}: took {took:?}");

    let shutdown = parse_log_line(&server.expect_log(&[" INFO shutdown "]));
    assert_eq!(shutdown.field("clients"), "3");
    server.expect_log(&[" INFO stopped"]);
    let text = server.log.text();
    let at = |needle: &str| text.find(needle).unwrap();
    assert!(at(" INFO shutdown ") < at(" INFO stopped"), "stopped before shutdown:\n{text}");
    assert!(!text.contains(" ERROR "), "errors during the stop:\n{text}");
}

/// An init system (or a test) may stop chatd as soon as it has logged `start`. chatd logs
/// `start` before it installs its signal handler, so a SIGTERM in that window kills the process
/// outright (status "signal 15", no `shutdown`/`stopped` lines) instead of stopping it cleanly.
#[test]
fn sigterm_right_after_the_start_line_still_stops_cleanly() {
    let mut killed = Vec::new();
    for attempt in 0..10 {
        let mut server = Server::start(&[]);
        server.signal("TERM");
        let status = server.wait_exit(Duration::from_secs(2)).expect("still running 2 s after SIGTERM");
        if status.code() != Some(0) {
            killed.push((attempt, status));
        }
    }
    assert!(killed.is_empty(), "SIGTERM right after `start` did not stop cleanly: {killed:?}");
}

#[test]
fn sigterm_stops_gracefully() {
    graceful_stop("TERM");
}

#[test]
fn sigint_stops_gracefully() {
    graceful_stop("INT");
}

#[test]
fn sighup_stops_gracefully() {
    graceful_stop("HUP");
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_command_lines_exit_2_with_the_problem_and_usage() {
    let cases: &[(&[&str], &str)] = &[
        (&["--max-clients", "abc"], "--max-clients needs a whole number, not \"abc\""),
        (&["--max-clients"], "max-clients"),
        (&["--max-clients", "0"], "--max-clients must be between 1 and 1000000, not 0"),
        (&["--bogus"], "bogus"),
        (&["stray"], "stray"),
        (&["--listen", "6667"], "--listen needs ADDR:PORT"),
        (&["--ping-interval", "0"], "--ping-interval"),
    ];
    for (args, problem) in cases {
        let run = run_chatd(args, Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(2), "{args:?}: {:?}\n{}", run.status, run.stderr);
        assert!(run.stderr.starts_with("chatd: "), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(problem), "{args:?}: stderr lacks {problem:?}:\n{}", run.stderr);
        assert!(run.stderr.contains("Usage: chatd [OPTIONS]"), "{args:?}: no usage:\n{}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: stdout {:?}", run.stdout);
        assert!(!run.stderr.contains(" INFO start "), "{args:?} started a server");
    }
}

#[test]
fn help_lists_every_option_and_exits_0() {
    for flag in ["--help", "-h"] {
        let run = run_chatd(&[flag], Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(0), "{flag}: {:?}", run.status);
        assert!(run.stdout.starts_with("Usage: chatd [OPTIONS]"), "{flag}:\n{}", run.stdout);
        for option in ALL_OPTIONS {
            assert!(run.stdout.contains(option), "{flag}: usage lacks {option}:\n{}", run.stdout);
        }
        assert!(run.stderr.is_empty(), "{flag}: stderr {:?}", run.stderr);
    }
}

#[test]
fn version_prints_the_version_and_exits_0() {
    for flag in ["--version", "-V"] {
        let run = run_chatd(&[flag], Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(0), "{flag}: {:?}", run.status);
        assert_eq!(run.stdout, "chatd 0.1.0\n", "{flag}");
        assert!(run.stderr.is_empty(), "{flag}: stderr {:?}", run.stderr);
    }
}

#[test]
fn a_taken_port_exits_1_quickly_without_starting() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    // Alone, and after an address that binds fine: either way nothing starts.
    for args in [vec!["--listen", addr.as_str()], vec!["--listen", "127.0.0.1:0", "--listen", addr.as_str()]] {
        let run = run_chatd(&args, Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(1), "{args:?}: {:?}\n{}", run.status, run.stderr);
        assert!(run.elapsed < Duration::from_secs(2), "{args:?}: took {:?}", run.elapsed);
        assert!(
            run.stderr.contains(&format!("cannot listen on {addr}")) && run.stderr.contains("another server"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(" INFO start "), "{args:?}: half-started:\n{}", run.stderr);
        assert!(!run.stderr.contains("Usage:"), "{args:?}: not a usage error:\n{}", run.stderr);
    }
    drop(taken);
}

#[test]
fn an_unopenable_log_file_exits_1() {
    let dir = crate::common::temp_dir("badlog");
    let path = dir.join("missing-dir").join("chatd.log");
    let run = run_chatd(&["--listen", "127.0.0.1:0", "--log-file", path.to_str().unwrap()], Duration::from_secs(5));
    assert_eq!(run.status.code(), Some(1), "{:?}\n{}", run.status, run.stderr);
    assert!(run.stderr.contains("cannot open log file"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

#[test]
#[ignore = "needs an IPv6 loopback address (::1); .ci/run runs it where there is one"]
fn listens_on_ipv6_loopback_alongside_ipv4() {
    if let Err(e) = TcpListener::bind("[::1]:0") {
        panic!("cannot bind [::1]:0 here ({e})");
    }
    let server = Server::start(&["--listen", "[::1]:0"]);
    let start = parse_log_line(&server.expect_log(&[" INFO start "]));
    let addrs: Vec<SocketAddr> = start.field("listen").split(',').map(|a| a.parse().unwrap()).collect();
    assert_eq!(addrs.len(), 2, "{start:?}");
    let v6 = *addrs.iter().find(|a| a.is_ipv6()).expect("no IPv6 listener");
    assert!(v6.ip().is_loopback() && v6.port() != 0, "{v6}");

    let mut six = Client::connect(v6, Arc::clone(&server.log));
    six.expect("-- Choose a nickname:");
    six.send("six");
    six.expect("-- You joined #lobby");
    let peer = six.stream.local_addr().unwrap();
    assert!(peer.is_ipv6());
    let connect = parse_log_line(&server.expect_log(&[" INFO connect ", &format!("peer={peer} ")]));
    assert!(connect.field("peer").starts_with("[::1]:"), "{connect:?}");

    let mut four = server.register("four");
    six.expect("-- four joined #lobby");
    four.send("hello over v4");
    six.expect("<four> hello over v4");
    six.send("hello over v6");
    four.expect("<six> hello over v6");
}

//! How long a web session lives: the grace after its last stream or poll (`--web-grace`), a
//! stream that comes back within it, and a stream that never reads (the send-queue rule).

use crate::common::http::{HttpClient, Req};
use crate::common::log::parse_log_line;
use crate::common::netcat::expect_exact;
use crate::common::web::{EventStream, login, poll_events};
use crate::common::{Server, TIMEOUT};
use std::io;
use std::mem::size_of;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::FromRawFd;
use std::time::{Duration, Instant};

#[test]
fn a_session_that_never_streams_ends_after_the_grace() {
    let server = Server::start(&["--web-grace", "1"]);
    let mut alice = server.register("alice");
    let started = Instant::now();
    let _user = login(&server, "webber");
    expect_exact(&mut alice, "-- webber joined #lobby");
    expect_exact(&mut alice, "-- webber quit (connection lost)");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "ended after only {waited:?}");
    let line = parse_log_line(&server.expect_log(&[" INFO quit ", "nick=webber "]));
    assert_eq!(line.field("reason"), "connection-lost");
    assert_eq!(line.field("dialect"), "web");
    // The nickname is free again.
    login(&server, "webber");
}

#[test]
fn a_stream_that_comes_back_within_the_grace_keeps_the_session_and_its_end_starts_it() {
    let server = Server::start(&["--web-grace", "1"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    expect_exact(&mut alice, "-- webber joined #lobby");
    let mut stream = user.stream(&server, None);
    stream.expect_joined("#lobby");
    let last = stream.last_id;
    drop(stream);
    let mut stream = user.stream(&server, Some(last));
    // A witness logged in after the reconnect, never streaming: when its grace is over, so
    // would webber's be, had the reconnect not kept it.
    let _witness = login(&server, "witness");
    expect_exact(&mut alice, "-- witness joined #lobby");
    expect_exact(&mut alice, "-- witness quit (connection lost)");
    let quit = stream.expect("quit");
    assert_eq!(quit.json.text("nick"), "witness");
    alice.send("still there?");
    stream.expect_said("#lobby", "alice", "still there?");
    alice.expect_nothing_before_round_trip();

    // The stream's end starts the grace.
    drop(stream);
    expect_exact(&mut alice, "-- webber quit (connection lost)");
}

#[test]
fn a_session_that_polled_once_and_went_away_ends_after_the_grace() {
    // The poll is answered at once (events were waiting); the grace runs from its close.
    let server = Server::start(&["--web-grace", "1"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    expect_exact(&mut alice, "-- webber joined #lobby");
    let answer = user.poll(&server, 0).read_response(false);
    assert_eq!(answer.status, 200);
    expect_exact(&mut alice, "-- webber quit (connection lost)");
}

#[test]
fn a_session_that_keeps_polling_outlives_the_grace() {
    let server = Server::start(&["--web-grace", "1"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    expect_exact(&mut alice, "-- webber joined #lobby");
    let _witness = login(&server, "witness");
    expect_exact(&mut alice, "-- witness joined #lobby");
    // Poll, answered each time by alice's next line, until the witness's grace is over.
    let mut after = 0;
    let mut round = 0;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(Instant::now() < deadline, "the witness was not ended within {TIMEOUT:?}");
        let mut poll = user.poll(&server, after);
        alice.send(&format!("round {round}"));
        let events = crate::common::web::poll_events(&poll.read_response(false));
        after = events.last().map_or(after, |e| e.get("id").u64());
        if events.iter().any(|e| e.text("t") == "quit" && e.text("nick") == "witness") {
            break;
        }
        round += 1;
    }
    expect_exact(&mut alice, "-- witness quit (connection lost)");
    alice.send("/who");
    expect_exact(&mut alice, "-- 2 users in #lobby: alice, webber");
}

/// A TCP connection to `addr` whose receive buffer is shrunk before connecting (and whose
/// segments are small), so that what it does not read stays in chatd's send queue rather than
/// in the kernel's buffers.
fn small_buffer_connection(addr: SocketAddr) -> TcpStream {
    let SocketAddr::V4(v4) = addr else { panic!("IPv4 only") };
    let set = |fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: libc::c_int| {
        // SAFETY: setsockopt reads one c_int from a live local.
        let rc = unsafe {
            libc::setsockopt(fd, level, name, (&value as *const libc::c_int).cast(), size_of::<libc::c_int>() as _)
        };
        assert_eq!(rc, 0, "setsockopt {name}: {}", io::Error::last_os_error());
    };
    // SAFETY: plain socket calls on a descriptor this function owns; the sockaddr is initialised.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
    set(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 4096);
    set(fd, libc::IPPROTO_TCP, libc::TCP_MAXSEG, 536);
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: v4.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
        sin_zero: [0; 8],
    };
    // SAFETY: `sin` is a complete sockaddr_in of the size given.
    let rc =
        unsafe { libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), size_of::<libc::sockaddr_in>() as _) };
    assert_eq!(rc, 0, "connect: {}", io::Error::last_os_error());
    // SAFETY: `fd` is a connected socket that nothing else owns.
    unsafe { TcpStream::from_raw_fd(fd) }
}

#[test]
fn a_stream_that_never_reads_is_evicted_by_the_send_queue_rule_and_the_room_goes_on() {
    /// Give up (fail) after this many lines without an eviction.
    const MAX_LINES: usize = 20_000;
    let server = Server::start(&["--max-sendq", "4096", "--flood-rate", "0", "--web-grace", "1"]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    let user = login(&server, "webber");
    expect_exact(&mut alice, "-- webber joined #lobby");
    expect_exact(&mut bob, "-- webber joined #lobby");

    let mut stream = crate::common::http::HttpClient::over(small_buffer_connection(server.addr), &server);
    stream.send(&user.stream_request(None));
    // Never read again. Alice talks until the stream's connection is evicted; bob reads along.
    let text = "x".repeat(900);
    let mut sent = 0;
    while server.log.wait_for(&[" WARN evict ", "reason=sendq-exceeded"], Duration::ZERO).is_none() {
        assert!(sent < MAX_LINES, "{sent} lines of 900 bytes and no eviction; log:\n{}", server.log.text());
        for _ in 0..20 {
            alice.send(&format!("{sent} {text}"));
            bob.expect(&format!("<alice> {sent} x"));
            sent += 1;
        }
    }
    let evict = parse_log_line(&server.expect_log(&[" WARN evict ", "reason=sendq-exceeded"]));
    assert_eq!(evict.field("nick"), "-", "the stream's connection, not a chat client");
    // The room goes on, and the session, with no stream left, ends after its grace.
    alice.send("still flowing");
    bob.expect("<alice> still flowing");
    expect_exact(&mut bob, "-- webber quit (connection lost)");
    bob.send("bye");
    alice.expect("<bob> bye");
    server.expect_log(&[" INFO quit ", "nick=webber ", "reason=connection-lost", "dialect=web"]);
    drop(stream);
}

#[test]
fn resuming_after_the_largest_event_id_does_not_hurt_the_server() {
    // `Last-Event-ID: 18446744073709551615` once overflowed an addition in the broker.
    let server = Server::start(&[]);
    let user = login(&server, "maxed");
    let mut http = HttpClient::connect(&server);
    http.send(&Req::get(&format!("/api/events?after={}", u64::MAX)).field("Cookie", &user.cookie));
    assert_eq!(http.read_head().status, 200);
    let mut stream = EventStream { http, last_id: 0, events: Vec::new() };
    stream.expect("resync");
    stream.expect("hello");
    let mut poll = user.poll(&server, u64::MAX);
    let events = poll_events(&poll.read_response(false));
    assert_eq!(events.first().map(|e| e.text("t").to_string()).as_deref(), Some("resync"), "{events:?}");
    // The server is alive and serves the next one.
    let other = login(&server, "other");
    other.say(&server, "still here");
}

#[test]
fn a_session_answered_at_once_on_every_poll_outlives_the_grace() {
    // A busy room answers every poll at once: those answers count as the session being there.
    let server = Server::start(&["--web-grace", "1"]);
    let user = login(&server, "poller");
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        let mut poll = user.poll(&server, 0);
        let answer = poll.read_response(false);
        assert_eq!(answer.status, 200, "polled for {:?}: {answer:?}", started.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn head_of_the_stream_and_the_poll_answers_at_once_and_keeps_the_connection() {
    let server = Server::start(&[]);
    let user = login(&server, "header");
    let mut http = HttpClient::connect(&server);
    for path in ["/api/events", "/api/poll?after=0"] {
        let head = http.request(&Req::new("HEAD", path).field("Cookie", &user.cookie));
        assert_eq!(head.status, 200, "{path}: {head:?}");
        assert!(head.body.is_empty(), "{path}: HEAD has no body");
    }
    // The same connection still serves, and the session has no stream attached by the HEADs.
    assert_eq!(http.request(&Req::get("/server-status")).status, 200);
    let mut stream = user.stream(&server, None);
    stream.expect("hello");
}

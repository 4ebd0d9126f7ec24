//! The event stream and the long-poll: SSE framing, resumption after `Last-Event-ID` (nothing
//! lost, nothing repeated), the resync when the buffer no longer reaches back, and the poll that
//! answers at once or waits for the next event.

use crate::common::http::{HttpClient, Req};
use crate::common::json::Json;
use crate::common::web::{EventStream, WebUser, login, poll_events};
use crate::common::{Client, Server, TIMEOUT};
use std::io::Read;
use std::time::{Duration, Instant};

/// Events the server keeps per session for a reconnecting stream.
const KEPT: usize = 1000;

/// A netcat user says `lines` lines numbered from `from`, and waits until the server handled
/// them all (a reply to a later command).
fn say_many(alice: &mut Client, from: usize, lines: usize) {
    for i in from..from + lines {
        alice.send(&format!("m{i}"));
    }
    alice.send("/who");
    alice.expect("-- 2 users in #lobby");
}

/// Reads `count` `said` events; they must be `m{from}`.. in order, with consecutive ids.
fn expect_said_run(stream: &mut EventStream, from: usize, count: usize) {
    for i in from..from + count {
        let before = stream.last_id;
        let event = stream.expect_next("said");
        assert_eq!(event.id, before + 1, "ids must be consecutive: {}", event.json);
        assert_eq!(event.json.text("text"), format!("m{i}"), "{}", event.json);
    }
}

#[test]
fn every_event_has_an_id_and_one_data_line_of_json() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let mut stream = user.stream(&server, None);
    let hello = stream.expect_next("hello");
    assert_eq!(hello.id, 1);
    assert_eq!(hello.json.text("nick"), "webber");
    let joined = stream.expect_next("joined_self");
    assert_eq!(joined.id, 2);
    assert_eq!(joined.json.text("room"), "#lobby");
    assert!(joined.json.get("topic").is_null());
    let nicks: Vec<&str> = joined.json.get("members").array().iter().map(|m| m.text("nick")).collect();
    assert_eq!(nicks, ["alice", "webber"]);
    assert_eq!(stream.http.retry, Some(2000), "the stream sets the reconnection delay");

    alice.send("hello, \"web\" \\ 😀");
    let said = stream.expect_next("said");
    assert_eq!(said.id, 3);
    let json = &said.json;
    assert_eq!((json.text("room"), json.text("from"), json.text("kind")), ("#lobby", "alice", "normal"));
    assert_eq!(json.text("text"), "hello, \"web\" \\ 😀");
    let at = json.get("at").u64() as i64;
    assert!((at - crate::common::time::now_millis()).abs() < 60_000, "at {at}");
}

#[test]
fn a_stream_that_reconnects_with_last_event_id_misses_nothing_and_gets_nothing_twice() {
    let server = Server::start(&["--flood-rate", "0"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let mut stream = user.stream(&server, None);
    stream.expect_joined("#lobby");
    say_many(&mut alice, 0, 20);
    // Read only part of what came, then drop the connection as a phone going to sleep would.
    expect_said_run(&mut stream, 0, 7);
    let resume_after = stream.last_id;
    drop(stream);
    say_many(&mut alice, 20, 10);

    let mut resumed = user.stream(&server, Some(resume_after));
    expect_said_run(&mut resumed, 7, 23);
    alice.send("live");
    resumed.expect_said("#lobby", "alice", "live");

    // `?after=N` does the same for a client that cannot set the header.
    let mut http = HttpClient::connect(&server);
    http.send(&Req::get(&format!("/api/events?after={resume_after}")).field("Cookie", &user.cookie));
    assert_eq!(http.read_head().status, 200);
    let mut by_query = EventStream { http, last_id: resume_after, events: Vec::new() };
    expect_said_run(&mut by_query, 7, 23);
    by_query.expect_said("#lobby", "alice", "live");
}

#[test]
fn every_tab_streams_and_past_four_the_oldest_stream_is_closed() {
    // Two tabs of one browser share its session: each gets every event, none takes the other's
    // stream (they once replaced each other on every reconnect, for ever).
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let mut first = user.stream(&server, None);
    first.expect_joined("#lobby");
    let mut second = user.stream(&server, Some(first.last_id));
    alice.send("to both tabs");
    second.expect_said("#lobby", "alice", "to both tabs");
    first.expect_said("#lobby", "alice", "to both tabs");
    // Three more: four at most, so the first goes.
    let mut more: Vec<EventStream> = (0..3).map(|_| user.stream(&server, Some(second.last_id))).collect();
    alice.send("to the newest four");
    for stream in more.iter_mut().chain([&mut second]) {
        stream.expect_said("#lobby", "alice", "to the newest four");
    }
    let rest = first.http.read_to_close();
    assert!(
        !String::from_utf8_lossy(&rest).contains("to the newest four"),
        "the oldest stream got the line after it was closed"
    );
}

/// Fills the session's buffer: its first events (read on a stream, then dropped), then exactly
/// `KEPT` lines from alice while no stream is attached. Returns the last id read.
fn fill_buffer(server: &Server, alice: &mut Client, user: &WebUser) -> u64 {
    let mut stream = user.stream(server, None);
    stream.expect_joined("#lobby");
    let read = stream.last_id;
    drop(stream);
    say_many(alice, 0, KEPT);
    read
}

#[test]
fn the_buffer_replays_a_thousand_events_and_past_that_the_stream_resyncs() {
    let server = Server::start(&["--flood-rate", "0", "--history", "5"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let read = fill_buffer(&server, &mut alice, &user);

    // Exactly what the buffer holds: every one of them, no resync.
    let mut full = user.stream(&server, Some(read));
    expect_said_run(&mut full, 0, KEPT);
    drop(full);

    // One more, and the event after `read` is gone: the stream starts over.
    say_many(&mut alice, KEPT, 1);
    let mut resynced = user.stream(&server, Some(read));
    let resync = resynced.expect_next("resync");
    assert!(resync.id > read + KEPT as u64, "resync id {}", resync.id);
    assert_eq!(resynced.expect_next("hello").json.text("nick"), "webber");
    let joined = resynced.expect_next("joined_self");
    assert_eq!(joined.json.text("room"), "#lobby");
    let history = resynced.expect_next("history");
    let texts: Vec<&str> = history.json.get("entries").array().iter().map(|e| e.text("text")).collect();
    assert_eq!(texts, ["m996", "m997", "m998", "m999", "m1000"]);
    assert_eq!(resynced.expect_next("current").json.text("room"), "#lobby");
    alice.send("after the resync");
    resynced.expect_said("#lobby", "alice", "after the resync");
}

#[test]
fn a_poll_with_events_waiting_answers_at_once_with_their_ids() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    alice.send("waiting");
    alice.send("/who");
    alice.expect("-- 2 users in #lobby");
    let response = user.poll(&server, 0).read_response(false);
    assert!(response.closes(), "a poll's answer ends the connection: {response:?}");
    let events = poll_events(&response);
    let kinds: Vec<&str> = events.iter().map(|e| e.text("t")).collect();
    assert_eq!(kinds, ["hello", "joined_self", "said"], "{response:?}");
    let ids: Vec<u64> = events.iter().map(|e| e.get("id").u64()).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(events[2].text("text"), "waiting");

    // After the last one, only what is newer.
    let later = user.poll(&server, 2).read_response(false);
    assert_eq!(poll_events(&later).len(), 1);
}

#[test]
fn a_poll_with_nothing_new_waits_and_answers_when_an_event_comes() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let first = poll_events(&user.poll(&server, 0).read_response(false));
    let last = first.last().map(|e| e.get("id").u64()).unwrap();

    let mut waiting = user.poll(&server, last);
    // Evidence that it waits (not proof: a quiet moment only shows nothing came yet).
    waiting.stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut byte = [0u8; 1];
    let early = waiting.stream.read(&mut byte);
    assert!(early.is_err(), "the poll answered before any event: {early:?}");

    let sent = Instant::now();
    alice.send("wake up");
    let response = waiting.read_response(false);
    assert!(sent.elapsed() < TIMEOUT);
    let events = poll_events(&response);
    assert_eq!(events.len(), 1, "{response:?}");
    assert_eq!(events[0].get("id").u64(), last + 1);
    assert_eq!((events[0].text("t"), events[0].text("text")), ("said", "wake up"));
    waiting.expect_closed();
}

#[test]
fn a_second_poll_of_a_session_does_not_leave_the_first_unanswered() {
    // Regression: the second poll took the first one's place, and the first connection waited
    // (reading nothing more, with no timeout) until the client gave up.
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let last = poll_events(&user.poll(&server, 0).read_response(false)).last().unwrap().get("id").u64();
    let mut first = user.poll(&server, last);
    let mut second = user.poll(&server, last);
    alice.send("for whoever waits");
    // Whichever was taken first is answered (empty, or with the line), and so is the other.
    for poll in [&mut first, &mut second] {
        let events = poll_events(&poll.read_response(false));
        assert!(events.iter().all(|e| e.text("text") == "for whoever waits"), "{events:?}");
        poll.expect_closed();
    }
}

#[test]
fn a_poll_past_the_buffer_gets_the_resync() {
    // Regression: the poll was answered with the resync alone; the snapshot waited for the next.
    let server = Server::start(&["--flood-rate", "0", "--history", "2"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    let read = fill_buffer(&server, &mut alice, &user);
    say_many(&mut alice, KEPT, 1);
    let events = poll_events(&user.poll(&server, read).read_response(false));
    let kinds: Vec<&str> = events.iter().map(|e| e.text("t")).collect();
    assert_eq!(kinds, ["resync", "hello", "joined_self", "history", "current"]);
    let history: Vec<&Json> = events[3].get("entries").array().iter().collect();
    assert_eq!(history.len(), 2);
}

#[test]
fn stream_and_poll_without_a_session_get_401_and_the_close() {
    let server = Server::start(&[]);
    for target in ["/api/events", "/api/poll?after=0"] {
        let mut http = HttpClient::connect(&server);
        let response = http.request(&Req::get(target).field("Cookie", "chatd_session=nope"));
        assert_eq!(response.status, 401, "{target}: {response:?}");
        assert!(response.closes());
        http.expect_closed();
    }
}

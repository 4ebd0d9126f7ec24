//! Connection limits (max-clients, max-per-ip, admission right after a quit), eviction of a
//! client that never reads, and the sweep that reminds and drops connections without a nickname.

use crate::common::log::parse_log_line;
use crate::common::{Client, Server, TIMEOUT};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Whether the server's log already has a line with all of `needles` (no waiting).
fn logged(server: &Server, needles: &[&str]) -> bool {
    server.log.wait_for(needles, Duration::ZERO).is_some()
}

/// Connects; the connection must be refused with exactly `refusal` and then closed.
fn expect_refused(server: &Server, refusal: &str) {
    let mut client = server.connect();
    let line = client.expect_next("error:");
    assert_eq!(line, refusal);
    let rest = client.expect_closed();
    assert!(rest.is_empty(), "lines after the refusal: {rest:?}");
}

/// `client` leaves with /quit (seeing the farewell and the close); a new connection made right
/// then must be admitted at once. Returns it, greeted and asked for a nickname.
fn quit_then_admit(server: &Server, mut client: Client, nick: &str) -> Client {
    client.send("/quit");
    client.expect("-- Closing connection: quit");
    assert!(client.expect_closed().is_empty());
    server.expect_log(&[" INFO quit ", &format!("nick={nick} "), "reason=quit"]);
    let mut next = server.connect();
    next.expect_next("-- Welcome to ");
    next.expect_next("-- Choose a nickname:");
    next
}

// ---------------------------------------------------------------------------------------------
// Connection limits
// ---------------------------------------------------------------------------------------------

#[test]
fn max_clients_refuses_the_extra_connection_and_admits_again_after_a_quit() {
    let server = Server::start(&["--max-clients", "2"]);
    // Both kinds of connection take a slot: a registered user and one still choosing a nick.
    let alice = server.register("alice");
    let mut pending = server.connect();
    pending.expect("Choose a nickname");
    server.expect_log(&[" INFO connect ", "clients=2/2"]);

    expect_refused(&server, "error: server full (2/2 clients), try again later");
    let refused = parse_log_line(&server.expect_log(&[" WARN refused ", "reason=max-clients"]));
    assert_eq!(refused.field("count"), "2/2");
    assert!(refused.field("peer").starts_with("127.0.0.1:"), "{refused:?}");
    // The unregistered connection was not disturbed by the refusal.
    pending.send("bob");
    pending.expect("-- You joined #lobby");

    let mut carol = quit_then_admit(&server, alice, "alice");
    carol.send("carol");
    carol.expect("-- You joined #lobby");
    server.expect_log(&[" INFO nick ", "nick=carol"]);
    // Full again.
    expect_refused(&server, "error: server full (2/2 clients), try again later");
}

#[test]
fn max_per_ip_refuses_a_second_connection_from_the_same_address() {
    let server = Server::start(&["--max-per-ip", "1"]);
    let alice = server.register("alice");

    expect_refused(&server, "error: too many connections from your address (1/1), close one first");
    let refused = parse_log_line(&server.expect_log(&[" WARN refused ", "reason=max-per-ip"]));
    assert_eq!(refused.field("count"), "1/1");
    assert!(!logged(&server, &["reason=max-clients"]));

    let mut next = quit_then_admit(&server, alice, "alice");
    next.send("alice2");
    next.expect("-- You joined #lobby");
    expect_refused(&server, "error: too many connections from your address (1/1), close one first");
}

/// A user who saw "Closing connection" and EOF, and whose quit the log already counted
/// (`quit ... clients=0`), reconnects at once and must be let in: the broker frees the connection
/// slot before it closes the socket.
#[test]
fn admission_right_after_a_quit() {
    const ROUNDS: usize = 20;
    let server = Server::start(&["--max-clients", "1"]);
    let mut client = server.register("user0");
    for round in 1..=ROUNDS {
        let mut next = quit_then_admit(&server, client, &format!("user{}", round - 1));
        next.send(&format!("user{round}"));
        next.expect("-- You joined #lobby");
        client = next;
    }
}

// ---------------------------------------------------------------------------------------------
// A client that never reads
// ---------------------------------------------------------------------------------------------

/// Lines delivered to the watching client, shared with the sender for flow control.
#[derive(Default)]
struct Progress {
    received: Mutex<usize>,
    changed: Condvar,
}

const FLOOD_MARKER: &str = "<sender> seq=";

fn flood_line(seq: usize) -> String {
    // 900 bytes of text in all: "seq=NNNNNNN " and padding.
    let head = format!("seq={seq:07} ");
    format!("{head}{}", "x".repeat(900 - head.len()))
}

/// Reads `client` until `<sender> done`, checking that flood lines arrive numbered 0, 1, 2, ...
/// Returns the client, the number of flood lines and whether the slow client's quit was announced.
fn watch_flood(mut client: Client, progress: &Progress, log: &crate::common::LogLines) -> (Client, usize, bool) {
    let mut expected = 0usize;
    let mut saw_quit = false;
    loop {
        // Each line must follow the previous one promptly, whatever the slow client does.
        let line = match client.next_line(Instant::now() + TIMEOUT) {
            Ok(Some(line)) => line,
            Ok(None) => {
                // The broker logs a removal just after closing the socket: give the line a moment.
                log.wait_for(&[" evict "], Duration::from_secs(1));
                panic!("watcher disconnected after {expected} flood lines; log:\n{}", log.text())
            }
            Err(e) => {
                panic!("watcher got nothing for {TIMEOUT:?} after {expected} flood lines ({e}); log:\n{}", log.text())
            }
        };
        if let Some(at) = line.find(FLOOD_MARKER) {
            let seq: usize = line[at + FLOOD_MARKER.len()..][..7].parse().unwrap();
            assert_eq!(seq, expected, "flood lines out of order or missing");
            assert_eq!(line.len() - at - "<sender> ".len(), 900, "flood line changed: {line:?}");
            expected += 1;
            *progress.received.lock().unwrap() = expected;
            progress.changed.notify_all();
        } else if line.contains("<sender> done") {
            return (client, expected, saw_quit);
        } else if line == "-- slow quit (send queue exceeded)" {
            saw_quit = true;
        } else {
            assert!(line.starts_with("-- "), "unexpected line for the watcher: {line:?}");
        }
    }
}

#[test]
fn a_client_that_never_reads_is_evicted_and_the_room_keeps_flowing() {
    /// The sender stays at most this many lines ahead of the watcher. It must be small: chatd
    /// counts a batch's output against --max-sendq before writing any of it, so more than ~70
    /// 900-byte lines queued at once evict even a client that reads (see the ignored
    /// `a_reading_client_survives_a_burst_larger_than_max_sendq`).
    const WINDOW: usize = 48;
    /// Give up (fail) if this much was sent without an eviction.
    const MAX_BYTES: usize = 64 << 20;
    /// Lines sent after the eviction, to show the room keeps flowing.
    const AFTER: usize = 200;
    /// "Promptly": the watcher must never hold the sender up longer than this.
    const PROMPT: Duration = Duration::from_secs(2);

    let server = Server::start(&["--max-sendq", "65536", "--flood-rate", "0"]);
    let watcher = server.register("watcher");
    let slow = server.register("slow"); // never reads again until the end
    let mut sender = server.register("sender");

    let progress = Arc::new(Progress::default());
    let watching = {
        let progress = Arc::clone(&progress);
        let log = Arc::clone(&server.log);
        thread::spawn(move || watch_flood(watcher, &progress, &log))
    };

    let started = Instant::now();
    let mut sent = 0usize;
    let mut evicted_at = None;
    let mut longest_wait = Duration::ZERO;
    loop {
        // Flow control against the watcher: wait (bounded) until it is within WINDOW lines.
        let waited = Instant::now();
        {
            let received = progress.received.lock().unwrap();
            let (received, timeout) =
                progress.changed.wait_timeout_while(received, PROMPT, |received| sent - *received >= WINDOW).unwrap();
            assert!(
                !timeout.timed_out(),
                "the watcher stalled at {} of {sent} lines while the slow client was stuck; log:\n{}",
                *received,
                server.log.text()
            );
        }
        longest_wait = longest_wait.max(waited.elapsed());

        sender.send(&flood_line(sent));
        sent += 1;
        if evicted_at.is_none() && sent.is_multiple_of(32) && logged(&server, &[" WARN evict ", "nick=slow "]) {
            evicted_at = Some(sent);
        }
        if evicted_at.is_some_and(|at| sent >= at + AFTER) {
            break;
        }
        assert!(sent * 900 < MAX_BYTES, "sent {sent} lines ({MAX_BYTES} bytes) and slow was not evicted");
    }
    sender.send("done");
    let (mut watcher, flood_lines, saw_quit) = watching.join().expect("watcher thread failed");
    let took = started.elapsed();
    eprintln!(
        "slow client evicted after ~{} lines (~{} KiB); {sent} lines in {took:?}; longest flow-control wait {longest_wait:?}",
        evicted_at.unwrap(),
        evicted_at.unwrap() * 920 / 1024
    );

    assert_eq!(flood_lines, sent, "the watcher must get every line, in order");
    assert!(saw_quit, "the room was not told that slow left");
    let evict = parse_log_line(&server.expect_log(&[" WARN evict ", "nick=slow "]));
    assert_eq!(evict.field("reason"), "sendq-exceeded");
    assert_eq!(evict.level, "WARN");
    assert!(!logged(&server, &[" evict ", "nick=watcher "]), "the reading client was evicted");
    assert!(!logged(&server, &[" evict ", "nick=sender "]), "the sender was evicted");

    // The slow client finally reads: it gets a gap-free prefix of the flood (whatever the kernel
    // held), then the connection is closed; no farewell was queued for a client that cannot read.
    let mut slow = slow;
    let rest = slow.expect_closed();
    let mut expected = 0usize;
    for line in &rest {
        if let Some(at) = line.find(FLOOD_MARKER) {
            let seq: usize = line[at + FLOOD_MARKER.len()..][..7].parse().unwrap();
            assert_eq!(seq, expected, "the slow client's backlog has a gap");
            expected += 1;
        }
    }
    assert!(expected > 0 && expected < sent, "slow got {expected} of {sent} lines");
    assert!(!rest.iter().any(|l| l.contains("Closing connection")), "farewell queued behind a full backlog");

    // Everyone else is still fine.
    sender.send("still here");
    watcher.expect_next("<sender> still here");
    let mut check = server.register("late");
    watcher.expect_next("-- late joined #lobby");
    check.send("/who");
    let who = check.expect("users in #lobby: ");
    assert!(who.contains("watcher") && who.contains("sender") && !who.contains("slow"), "{who}");
}

/// A burst bigger than --max-sendq, sent in one write by one user, must reach a client that is
/// reading as fast as loopback allows. chatd appends a whole batch of events (up to 1024) to each
/// recipient's pending output and checks it against --max-sendq before writing any of it, so the
/// reading client is evicted as if it had stopped reading.
#[test]
fn a_reading_client_survives_a_burst_larger_than_max_sendq() {
    const LINES: usize = 2000; // 2000 x ~920 bytes: about 28 x --max-sendq
    let server = Server::start(&["--max-sendq", "65536", "--flood-rate", "0"]);
    let reader = server.register("reader");
    let mut sender = server.register("sender");
    let progress = Arc::new(Progress::default());
    let watching = {
        let progress = Arc::clone(&progress);
        let log = Arc::clone(&server.log);
        thread::spawn(move || watch_flood(reader, &progress, &log))
    };
    let burst: String = (0..LINES).map(|seq| flood_line(seq) + "\n").collect();
    sender.send_raw(burst.as_bytes());
    sender.send("done");
    let (_reader, flood_lines, _) = watching.join().expect("the reading client lost lines (see its panic)");
    assert_eq!(flood_lines, LINES);
    assert!(!logged(&server, &[" evict ", "nick=reader "]), "log:\n{}", server.log.text());
}

// ---------------------------------------------------------------------------------------------
// The sweep
// ---------------------------------------------------------------------------------------------

#[test]
fn sweep_reminds_then_drops_a_connection_without_a_nickname_but_not_a_silent_user() {
    let server = Server::start(&["--ping-interval", "1", "--ping-timeout", "1"]);
    let mut quiet = server.register("quiet");
    let quiet_since = Instant::now();
    let quiet_id = parse_log_line(&server.expect_log(&[" INFO nick ", "nick=quiet"])).field("client").to_string();

    let mut anon = server.connect();
    let connected = Instant::now();
    anon.expect_next("-- Welcome to ");
    anon.expect_next("-- Choose a nickname:");
    anon.expect_next("-- Still there? Choose a nickname, or you will be disconnected:");
    let reminded = connected.elapsed();
    anon.expect_next("-- Closing connection: no nickname chosen in time");
    let rest = anon.expect_closed();
    let closed = connected.elapsed();
    assert!(rest.is_empty(), "lines after the farewell: {rest:?}");
    // interval 1 s, then 1 s more; the sweep runs every 250 ms.
    assert!(reminded >= Duration::from_millis(900), "reminded after only {reminded:?}");
    assert!(closed >= Duration::from_millis(1900), "closed after only {closed:?}");

    let evict = parse_log_line(&server.expect_log(&[" WARN evict ", "reason=registration-timeout"]));
    assert_eq!(evict.field("nick"), "-");
    assert_ne!(evict.field("client"), quiet_id);

    // The registered user says nothing for well over interval + timeout (the passing time is
    // the point here, not a wait for an event), is still here, and was sent nothing meanwhile:
    // the answer to its /users is the very next line.
    thread::sleep(Duration::from_millis(2600).saturating_sub(quiet_since.elapsed()));
    assert!(!logged(&server, &[" evict ", &format!("client={quiet_id} ")]), "the silent user was evicted");
    quiet.send("/users");
    quiet.expect_next("-- 1 user online: quiet");
}

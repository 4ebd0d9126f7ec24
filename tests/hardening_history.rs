mod common;

// A long room history must not evict whoever joins, and history memory is bounded in bytes.
//
// A joiner used to be sent a room's whole history at once: with `--history` high and long lines
// that was more than `--max-sendq`, and the joiner was dropped as `sendq-exceeded` while
// registering. Now one replay sends only the newest lines that fit a quarter of `--max-sendq`.
//
// Every wait is on a line or on process exit, with a deadline.

use common::irc::{self, expect_exact, send, settle};
use common::process::run_chatd;
use common::{Client, Server, TIMEOUT, after_clock, expect_said, netcat_settle};

/// Lines the sender puts into the default room, each `LINE_BYTES` long: 6 MB, far more than
/// `--max-sendq` and than what loopback takes in one write (old chatd evicted the joiner here).
const LINES: usize = 6_000;
const LINE_BYTES: usize = 1_000;

/// The options of the scenario in the issue.
const LONG_HISTORY: &[&str] =
    &["--server-name", "irc.test", "--history", "10000", "--max-sendq", "65536", "--flood-rate", "0"];

/// Line `i`: numbered at both ends, so that any piece of it (IRC splits long lines) is known.
fn history_line(i: usize) -> String {
    let head = format!("{i:05} ");
    let tail = format!(" end{i:05}");
    format!("{head}{}{tail}", "x".repeat(LINE_BYTES - head.len() - tail.len()))
}

/// Registers an IRC client (with `caps` requested, if any) and joins `#lobby`, consuming
/// everything up to the end of the names.
fn lobby_irc_user(server: &Server, nick: &str, caps: &str) -> Client {
    let mut client = irc::register_with(server, nick, caps);
    irc::join(&mut client, nick, "#lobby");
    client
}

/// Registers alice and has her say `LINES` numbered lines in `#lobby`, all in one write.
fn fill_the_lobby(server: &Server) -> Client {
    let mut alice = server.register("alice");
    let batch: String = (0..LINES).map(|i| history_line(i) + "\n").collect();
    alice.send_raw(batch.as_bytes());
    // A reply to a later command proves every line before it was remembered.
    alice.send("/who");
    alice.expect("-- 1 user in #lobby: alice");
    alice
}

/// Registers a netcat user and returns it with the history it was replayed (message texts),
/// after checking that those are the newest lines, in order.
fn netcat_joiner(server: &Server, nick: &str) -> (Client, Vec<String>) {
    let mut client = server.connect();
    client.expect("-- Choose a nickname:");
    client.send(nick);
    client.expect("-- You joined #lobby. ");
    client.expect_next("-- recent messages in #lobby:");
    let mut replayed = Vec::new();
    loop {
        let line = client.expect_next("");
        if line == "-- end of recent messages in #lobby" {
            break;
        }
        replayed.push(after_clock(&line).strip_prefix("<alice> ").expect("a line from alice").to_string());
    }
    assert!(replayed.len() >= 5, "only {} lines replayed", replayed.len());
    let expected: Vec<String> = (LINES - replayed.len()..LINES).map(history_line).collect();
    assert!(replayed == expected, "not the newest {} lines in order (first {:.20?})", replayed.len(), replayed[0]);
    netcat_settle(&mut client);
    (client, replayed)
}

/// Registers an IRC user with `server-time` and joins `#lobby`; returns it after checking that
/// the history it was replayed on JOIN ends with the newest line.
fn irc_server_time_joiner(server: &Server, nick: &str) -> Client {
    let mut client = lobby_irc_user(server, nick, "server-time");
    let lines = irc::lines_until_pong(&mut client, "replayed");
    let messages: Vec<&String> = lines.iter().filter(|l| l.contains(" PRIVMSG #lobby ")).collect();
    assert!(messages.len() >= 5, "only {} history lines:\n{}", messages.len(), lines.join("\n"));
    assert!(messages.iter().all(|l| l.starts_with("@time=") && l.contains(" :alice!~alice@127.0.0.1 PRIVMSG")));
    assert!(messages.last().unwrap().ends_with(&format!(" end{:05}", LINES - 1)), "{:?}", messages.last());
    client
}

#[test]
fn a_history_far_larger_than_max_sendq_does_not_evict_joiners_and_they_get_its_newest_lines() {
    let server = Server::start(LONG_HISTORY);
    let mut alice = fill_the_lobby(&server);

    // A netcat user: registered, replayed the newest lines in order, not evicted.
    let (mut bob, _) = netcat_joiner(&server, "bob");
    // An IRC user with server-time is replayed the history on JOIN; its newest line comes last.
    let mut carol = irc_server_time_joiner(&server, "carol");

    // An IRC user without it asks with HISTORY and gets the newest lines as notices.
    let mut dave = lobby_irc_user(&server, "dave", "");
    settle(&mut dave, "joined");
    send(&mut dave, "HISTORY #lobby");
    let lines = irc::lines_until_pong(&mut dave, "history");
    assert!(lines.len() >= 5, "only {} history lines", lines.len());
    assert!(lines.iter().all(|l| l.starts_with(":irc.test NOTICE dave ")), "{lines:?}");
    assert!(lines[0].contains(" :#lobby [") && lines[0].contains("<alice> "), "{lines:?}");
    assert!(lines.last().unwrap().ends_with(&format!(" end{:05}", LINES - 1)), "{:?}", lines.last());
    // ... and with a count, that many.
    send(&mut dave, "HISTORY #lobby 1");
    let lines = irc::lines_until_pong(&mut dave, "one");
    assert!(lines[0].contains(&format!("<alice> {:05} ", LINES - 1)), "{lines:?}");
    assert!(lines.last().unwrap().ends_with(&format!(" end{:05}", LINES - 1)), "{lines:?}");

    // Everyone is still connected and can chat.
    alice.expect("-- bob joined #lobby");
    alice.expect("-- carol joined #lobby");
    alice.expect("-- dave joined #lobby");
    bob.expect("-- carol joined #lobby");
    bob.expect("-- dave joined #lobby");
    bob.send("hello from bob");
    expect_said(&mut alice, "<bob> hello from bob");
    carol.expect(":bob!~bob@127.0.0.1 PRIVMSG #lobby :hello from bob");
    dave.expect(":bob!~bob@127.0.0.1 PRIVMSG #lobby :hello from bob");
    send(&mut carol, "PRIVMSG #lobby :hello from carol");
    expect_said(&mut alice, "<carol> hello from carol");
    expect_said(&mut bob, "<carol> hello from carol");
    expect_exact(&mut dave, ":carol!~u@127.0.0.1 PRIVMSG #lobby :hello from carol");
    send(&mut dave, "PRIVMSG #lobby :hello from dave");
    expect_said(&mut bob, "<dave> hello from dave");
    carol.expect(":dave!~u@127.0.0.1 PRIVMSG #lobby :hello from dave");
    assert!(!server.log.text().contains("sendq-exceeded"), "someone was evicted:\n{}", server.log.text());
}

/// With every line kept (a room bound far above the 8 MB the lines take), what is replayed is
/// still bounded by bytes: a quarter of --max-sendq, about seven lines of 1,000 bytes here.
#[test]
fn a_replay_sends_only_what_fits_a_quarter_of_max_sendq_however_much_is_kept() {
    let mut args = LONG_HISTORY.to_vec();
    args.extend(["--history-bytes", "67108864"]);
    let server = Server::start(&args);
    let mut alice = fill_the_lobby(&server);
    let (mut bob, replayed) = netcat_joiner(&server, "bob");
    let shown: usize = replayed.iter().map(|l| l.len() + "[hh:mm] <alice> \r\n".len()).sum();
    assert!(shown <= 65_536 / 4, "{} lines, {shown} bytes replayed", replayed.len());
    let mut carol = irc_server_time_joiner(&server, "carol");
    alice.expect("-- carol joined #lobby");
    bob.send("still here");
    expect_said(&mut alice, "<bob> still here");
    carol.expect(":bob!~bob@127.0.0.1 PRIVMSG #lobby :still here");
    assert!(!server.log.text().contains("sendq-exceeded"), "someone was evicted:\n{}", server.log.text());
}

#[test]
fn the_history_of_a_room_is_bounded_by_history_bytes() {
    // 20,000 bytes hold 14 lines of 1,000 bytes (each counted with 384 bytes of overhead).
    let server = Server::start(&["--history", "10000", "--history-bytes", "20000", "--flood-rate", "0"]);
    let mut alice = server.register("alice");
    let batch: String = (0..100).map(|i| history_line(i) + "\n").collect();
    alice.send_raw(batch.as_bytes());
    alice.send("/who");
    alice.expect("-- 1 user in #lobby: alice");
    let mut bob = server.register("bob");
    bob.expect_next("-- recent messages in #lobby:");
    for i in 86..100 {
        expect_said(&mut bob, &format!("<alice> {}", history_line(i)));
    }
    bob.expect_next("-- end of recent messages in #lobby");
}

#[test]
fn history_byte_options_are_checked_shown_and_documented() {
    let cases: &[(&[&str], &str)] = &[
        (&["--history-bytes", "1023"], "--history-bytes must be between 1024 and 1073741824, not 1023"),
        (&["--history-bytes", "lots"], "--history-bytes needs a whole number, not \"lots\""),
        (&["--history-bytes", "2000000000"], "--history-bytes must be between"),
        (&["--history-total-bytes", "0"], "--history-total-bytes must be between 1024 and 1099511627776, not 0"),
        (&["--history-total-bytes", "-5"], "--history-total-bytes needs a whole number"),
        (&["--history-total-bytes"], "history-total-bytes"),
    ];
    for (args, problem) in cases {
        let run = run_chatd(args, TIMEOUT);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {:?}\n{}", run.status, run.stderr);
        assert!(run.stderr.contains(problem), "{args:?}: stderr lacks {problem:?}:\n{}", run.stderr);
        assert!(!run.stderr.contains(" INFO start "), "{args:?} started a server");
    }
    let run = run_chatd(&["--listen", "127.0.0.1:0", "--check"], TIMEOUT);
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("--history-bytes 1048576\n"), "{}", run.stdout);
    assert!(run.stdout.contains("--history-total-bytes 67108864\n"), "{}", run.stdout);
    let run = run_chatd(&["--listen", "127.0.0.1:0", "--check", "--history-total-bytes", "1099511627776"], TIMEOUT);
    assert!(run.stdout.contains("--history-total-bytes 1099511627776\n"), "{}", run.stdout);
    let run = run_chatd(&["--help"], TIMEOUT);
    assert!(run.stdout.contains("--history-bytes") && run.stdout.contains("--history-total-bytes"));
}

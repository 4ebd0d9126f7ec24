//! The life of an IRC connection: dialect detection, liveness (PING and eviction), robustness
//! against malformed lines and the line limit, and QUIT.

use crate::common::Client;
use crate::common::irc::{self, expect_exact, next, num, send, settle, start};
use std::time::{Duration, Instant};

/// Reads lines, answering each `PING irc.test` with a PONG, until a line that is not a PING;
/// returns that line.
fn next_answering_pings(client: &mut Client) -> String {
    loop {
        let line = next(client);
        if line == "PING irc.test" {
            send(client, "PONG :irc.test");
        } else {
            return line;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dialect detection
// ---------------------------------------------------------------------------------------------

#[test]
fn a_client_that_sends_nothing_is_greeted_as_netcat() {
    let server = start(&[]);
    let started = Instant::now();
    let mut client = server.connect();
    let version = env!("CARGO_PKG_VERSION");
    expect_exact(&mut client, &format!("-- Welcome to irc.test (chatd {version}). Type /help for commands."));
    let waited = started.elapsed();
    // The server gives an IRC client 300 ms to speak first; then it greets.
    assert!(waited >= Duration::from_millis(250), "greeted after only {waited:?}");
    assert!(waited < Duration::from_secs(2), "greeted only after {waited:?}");
    expect_exact(&mut client, "-- Choose a nickname:");
    client.expect_nothing_before_round_trip();
    // Once greeted as netcat, IRC words are just a nickname attempt.
    client.send("NICK bob");
    expect_exact(
        &mut client,
        "error: \"NICK bob\" is not a valid nickname: a nickname may only contain letters, digits and \
         -_[]{}\\|^` (not ' ')",
    );
}

#[test]
fn first_word_decides_the_dialect() {
    let server = start(&[]);
    // A lowercase IRC opener is IRC: no greeting, straight to the welcome.
    let mut irc = server.connect();
    send(&mut irc, "nick carol");
    send(&mut irc, "user u 0 * :Carol");
    expect_exact(&mut irc, &num("001", "carol", ":Welcome to the chatd IRC network carol!~u@127.0.0.1"));
    irc.expect(&num("376", "carol", ":End of /MOTD command."));
    // So is USER as the first word, with a bare LF.
    let mut other = server.connect();
    other.send("USER x 0 * :X");
    other.send("NICK xavier");
    expect_exact(&mut other, &num("001", "xavier", ":Welcome to the chatd IRC network xavier!~x@127.0.0.1"));
    // A word that merely starts like an opener is netcat: a nickname.
    let mut netcat = server.connect();
    netcat.send("nickel");
    netcat.expect_next("-- Welcome to irc.test ");
    expect_exact(&mut netcat, "-- Choose a nickname:");
    expect_exact(&mut netcat, "-- Hello nickel! 3 users online in 1 room.");
    expect_exact(&mut netcat, "-- You joined #lobby. 1 here: nickel");
}

// ---------------------------------------------------------------------------------------------
// Liveness
// ---------------------------------------------------------------------------------------------

#[test]
fn a_silent_irc_client_is_pinged_then_evicted_and_its_room_is_told_and_an_unregistered_one_dropped() {
    let server = start(&["--ping-interval", "1", "--ping-timeout", "1"]);
    // Not registered, so never pinged: dropped after interval + timeout all the same.
    let mut slow = server.connect();
    send(&mut slow, "NICK slow");
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    // alice answers her own PINGs as they come, and sees bob go.
    assert_eq!(next_answering_pings(&mut alice), ":bob!~u@127.0.0.1 QUIT :Ping timeout: 2 seconds");
    settle(&mut alice, "still-here");
    // What the silent bob was sent meanwhile: one PING, then the reason, then the end.
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, "PING irc.test");
    expect_exact(&mut bob, "ERROR :Closing link: (Ping timeout: 2 seconds)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    server.expect_log(&["evict", "nick=bob", "reason=ping-timeout"]);
    expect_exact(&mut slow, "ERROR :Closing link: (Registration timeout)");
    assert_eq!(slow.expect_closed(), Vec::<String>::new());
    // Their nicknames are free again.
    let mut again = server.connect();
    send(&mut again, "NICK slow");
    send(&mut again, "USER u 0 * :Real Name");
    expect_exact(&mut again, &num("001", "slow", ":Welcome to the chatd IRC network slow!~u@127.0.0.1"));
    send(&mut alice, "ISON bob");
    assert_eq!(next_answering_pings(&mut alice), num("303", "alice", ":"));
}

#[test]
fn an_irc_client_that_answers_ping_stays_connected_past_the_timeout() {
    let server = start(&["--ping-interval", "1", "--ping-timeout", "1"]);
    let mut bob = irc::register(&server, "bob");
    expect_exact(&mut bob, "PING irc.test");
    send(&mut bob, "PONG :irc.test");
    // The next PING comes a full interval after the PONG, later than the first one's deadline:
    // bob outlived the timeout.
    expect_exact(&mut bob, "PING irc.test");
    // Any line counts as an answer.
    send(&mut bob, "LUSERS");
    bob.expect_next(&num("251", "bob", ":There are 0 users and 1 invisible"));
    bob.expect(&num("266", "bob", "1 1 :Current global users 1, max 1"));
    settle(&mut bob, "alive");
}

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_lines_never_drop_the_connection() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");

    // Ignored without a word: no command at all.
    for line in [":", "@tag", "@a=b;c :bob!x@y", ":prefix-only", "   ", "", "@a=b   "] {
        send(&mut bob, line);
    }
    bob.send_raw(b"\n\r\n\r\r\n");
    settle(&mut bob, "ignored");

    // Too long: 600 bytes of PRIVMSG.
    send(&mut bob, &format!("PRIVMSG #room :{}", "x".repeat(600)));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    // Far too long for the framer as well (dropped up to its end, answered once).
    send(&mut bob, &format!("PRIVMSG #room :{}", "y".repeat(6000)));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    // A tag section over the IRCv3 limit.
    send(&mut bob, &format!("@a={} PING :t", "z".repeat(4100)));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    settle(&mut bob, "after-long");

    // Not a command: neither letters nor three digits.
    send(&mut bob, "PRIV/MSG #room :x");
    expect_exact(&mut bob, &num("421", "bob", "PRIV/MSG :Unknown command"));
    send(&mut bob, "12 x");
    expect_exact(&mut bob, &num("421", "bob", "12 :Unknown command"));

    // A line that is not UTF-8 is refused (UTF8ONLY), not fatal; nothing of it is relayed.
    bob.send_raw(b"PRIVMSG #room :caf\xe9 \xff ok\r\n");
    expect_exact(
        &mut bob,
        ":irc.test FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network",
    );
    bob.send_raw(b"\xff\xfe\r\n");
    expect_exact(
        &mut bob,
        ":irc.test FAIL * INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network",
    );

    // Tags on commands are accepted and ignored; a client-sent prefix is ignored too.
    send(&mut bob, "@time=2024-01-01T00:00:00.000Z;+draft/label=x PRIVMSG #room :tagged hello");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :tagged hello");
    send(&mut bob, "@label=abc PING :tagged");
    expect_exact(&mut bob, ":irc.test PONG irc.test tagged");
    send(&mut bob, ":mallory!evil@example.org PRIVMSG #room :spoofed, or not?");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :spoofed, or not?");
    // Tags do not count against the 512 bytes: 4000 bytes of tags on a short line are fine.
    send(&mut bob, &format!("@a={} PRIVMSG #room :big tags", "t".repeat(4000)));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :big tags");
    // A lone CR inside a line is dropped, so it can never end a relayed line early.
    bob.send_raw(b"PRIVMSG #room :one\rtwo\r\n");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room onetwo");

    // Still connected and answering; alice heard nothing else.
    send(&mut bob, "PING :still-alive");
    expect_exact(&mut bob, ":irc.test PONG irc.test still-alive");
    settle(&mut alice, "nothing-else");
}

#[test]
fn the_line_limit_is_512_bytes_with_crlf_and_an_irc_message_is_relayed_as_one_line_cut_to_fit() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    let head = "PRIVMSG #room :";
    // Exactly 510 bytes plus CR LF is allowed.
    let mut text = (0..200).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    text.truncate(510 - head.len() - 1);
    text.push('e');
    assert_eq!(head.len() + text.len(), 510);
    send(&mut bob, &format!("{head}{text}"));
    // With bob's prefix it no longer fits one line: one line all the same, as IRC servers relay
    // it (IRC clients split their own messages), its text cut to fill exactly 512 bytes.
    let relay = ":bob!~u@127.0.0.1 PRIVMSG #room :";
    expect_exact(&mut alice, &format!("{relay}{}", &text[..510 - relay.len()]));
    settle(&mut alice, "one-line");
    // One byte more is too long.
    send(&mut bob, &format!("{head}{text}x"));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    settle(&mut alice, "nothing-relayed");
}

// ---------------------------------------------------------------------------------------------
// QUIT
// ---------------------------------------------------------------------------------------------

#[test]
fn quit_closes_with_error_and_room_mates_see_it_once() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#a", "#b"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#a", "#b"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #b");
    send(&mut bob, "QUIT :bye");
    expect_exact(&mut bob, "ERROR :Closing link: (Quit: bye)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    // Shared two rooms, told once.
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 QUIT :Quit: bye");
    settle(&mut alice, "once");
    server.expect_log(&["quit", "nick=bob", "reason=quit"]);
    // Without a reason; and the nickname is free again.
    let mut bob = irc::in_rooms(&server, "bob", &["#a"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    send(&mut bob, "QUIT");
    expect_exact(&mut bob, "ERROR :Closing link: (Quit)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 QUIT Quit");
    // Before registration, too.
    let mut early = server.connect();
    send(&mut early, "NICK early");
    send(&mut early, "QUIT :changed my mind");
    expect_exact(&mut early, "ERROR :Closing link: (Quit: changed my mind)");
    assert_eq!(early.expect_closed(), Vec::<String>::new());
    settle(&mut alice, "end");
}

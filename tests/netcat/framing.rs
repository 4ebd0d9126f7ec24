//! Framing and hygiene: NUL and CR LF terminators, lines split over writes or sharing one,
//! overlong lines, invalid UTF-8, control characters, editing keys and telnet negotiation.

use crate::common::netcat::expect_exact;
use crate::common::raw::Raw;
use crate::common::{Server, after_clock, expect_said};

// ---------------------------------------------------------------------------------------------
// Framing and hygiene
// ---------------------------------------------------------------------------------------------

#[test]
fn nul_terminated_client_gets_nul_terminated_output() {
    let server = Server::start(&["--server-name", "testnet"]);
    let mut raw = Raw::connect(&server);
    // Before the client has said anything, lines end with CRLF.
    let greeting = raw.until(b"-- Choose a nickname:\r\n");
    let version = env!("CARGO_PKG_VERSION");
    let expected =
        format!("-- Welcome to testnet (chatd {version}). Type /help for commands.\r\n-- Choose a nickname:\r\n");
    assert_eq!(String::from_utf8_lossy(&greeting), expected);

    raw.send(b"alice\0");
    let joined = raw.until(b"-- You joined #lobby. 1 here: alice\0");
    assert_eq!(joined, b"-- Hello alice! 1 user online in 1 room.\0-- You joined #lobby. 1 here: alice\0");

    let mut bob = server.register("bob");
    assert_eq!(raw.until(b"-- bob joined #lobby\0"), b"-- bob joined #lobby\0");
    bob.send("hi alice");
    let said = raw.until(b"<bob> hi alice\0");
    assert_eq!(after_clock(&String::from_utf8_lossy(&said)), "<bob> hi alice\0");
    assert!(!said.contains(&b'\r') && !said.contains(&b'\n'), "{said:?}");

    raw.send(b"hi bob\0/who\0");
    expect_said(&mut bob, "<alice> hi bob");
    assert_eq!(raw.until(b"-- 2 users in #lobby: alice, bob\0"), b"-- 2 users in #lobby: alice, bob\0");
    raw.send(b"/quit\0");
    assert_eq!(raw.until(b"-- Closing connection: quit\0"), b"-- Closing connection: quit\0");
}

#[test]
fn newline_clients_get_crlf_whether_they_send_lf_or_crlf() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server);
    raw.until(b"-- Choose a nickname:\r\n");
    raw.send(b"bob\n");
    let joined = raw.until(b"-- You joined #lobby. 1 here: bob\r\n");
    assert_eq!(joined, b"-- Hello bob! 1 user online in 1 room.\r\n-- You joined #lobby. 1 here: bob\r\n");
    raw.send(b"/who\r\n");
    assert_eq!(raw.until(b"\r\n"), b"-- 1 user in #lobby: bob\r\n");
    raw.send(b"/rooms\n");
    assert_eq!(raw.until(b"(1 user)\r\n"), b"-- 1 room:\r\n--   #lobby (1 user)\r\n");

    let mut alice = server.register("alice");
    raw.until(b"-- alice joined #lobby\r\n");
    alice.send_raw(b"crlf line\r\n");
    let said = raw.until(b"\r\n");
    assert_eq!(after_clock(&String::from_utf8_lossy(&said)), "<alice> crlf line\r\n");
    alice.send_raw(b"lf line\n");
    let said = raw.until(b"\r\n");
    assert_eq!(after_clock(&String::from_utf8_lossy(&said)), "<alice> lf line\r\n");
}

#[test]
fn two_lines_in_one_write_are_both_delivered_in_order() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send_raw(b"first\nsecond\r\n");
    expect_said(&mut bob, "<alice> first");
    expect_said(&mut bob, "<alice> second");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn a_line_split_across_writes_is_delivered_once_complete() {
    let server = Server::start(&[]);
    let mut alice = server.connect();
    alice.stream.set_nodelay(true).unwrap();
    alice.expect("-- Choose a nickname:");
    alice.send_raw(b"ali");
    // Any request would complete the half line, so completing it is the round trip: nothing
    // may arrive before the answer to the whole nickname.
    alice.send_raw(b"ce\r\n");
    alice.expect_next("-- Hello alice! ");
    alice.expect_next("-- You joined #lobby. 1 here: alice");

    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send_raw(b"hel");
    // Half a line is not a message: the whole line is the next thing bob hears.
    alice.send_raw(b"lo wor");
    alice.send_raw(b"ld\n");
    expect_said(&mut bob, "<alice> hello world");
}

#[test]
fn overlong_line_is_dropped_with_an_error_and_the_connection_goes_on() {
    let server = Server::start(&["--max-line", "100"]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");

    alice.send(&"x".repeat(101));
    expect_exact(&mut alice, "error: line too long (the limit is 100 bytes); it was dropped");
    // A line of exactly the limit is fine, and nothing of the long line reached bob.
    let exact = "y".repeat(100);
    alice.send(&exact);
    expect_said(&mut bob, &format!("<alice> {exact}"));
    alice.send("after");
    expect_said(&mut bob, "<alice> after");
    alice.expect_nothing_before_round_trip();
    server.expect_log(&["input_dropped", "reason=line-too-long", "limit=100"]);
}

#[test]
fn overlong_line_over_several_writes_is_reported_once_at_the_default_limit() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    let chunk = vec![b'z'; 1000];
    for _ in 0..3 {
        alice.send_raw(&chunk);
    }
    alice.send_raw(b"\nnext\n");
    expect_exact(&mut alice, "error: line too long (the limit is 1024 bytes); it was dropped");
    expect_said(&mut bob, "<alice> next");
    alice.expect_nothing_before_round_trip();
}

#[test]
fn invalid_utf8_arrives_as_replacement_characters() {
    let server = Server::start(&[]);
    let mut bob = Raw::connect(&server);
    bob.until(b"-- Choose a nickname:\r\n");
    bob.send(b"bob\n");
    bob.until(b"-- You joined #lobby. 1 here: bob\r\n");
    let mut alice = server.register("alice");
    bob.until(b"-- alice joined #lobby\r\n");

    // (0xff is left out: on the wire it is the telnet IAC byte.)
    alice.send_raw(b"ok \xfe\x80 end\n");
    let said = bob.until(b"\r\n");
    assert_eq!(after_clock(&String::from_utf8(said).unwrap()), "<alice> ok \u{fffd}\u{fffd} end\r\n");
    // A truncated multi-byte character, and valid UTF-8 passing through untouched.
    alice.send_raw(b"caf\xc3 \xc3\xa9t\xc3\xa9\n");
    let said = bob.until(b"\r\n");
    assert_eq!(after_clock(&String::from_utf8(said).unwrap()), "<alice> caf\u{fffd} \u{e9}t\u{e9}\r\n");
}

#[test]
fn escape_and_control_characters_never_reach_other_users() {
    let server = Server::start(&[]);
    let mut bob = Raw::connect(&server);
    bob.until(b"-- Choose a nickname:\r\n");
    bob.send(b"bob\n");
    bob.until(b"-- You joined #lobby. 1 here: bob\r\n");
    let mut alice = server.register("alice");
    bob.until(b"-- alice joined #lobby\r\n");

    // ESC sequences, BEL, a tab, a C1 CSI and a right-to-left override.
    alice.send_raw(b"\x1b[31mred\x1b[0m \x07bell\ttab \xc2\x9b2J \xe2\x80\xaeevil\n");
    let said = bob.until(b"\r\n");
    assert!(!said.contains(&0x1b) && !said.contains(&0x07), "{said:?}");
    assert_eq!(after_clock(&String::from_utf8(said).unwrap()), "<alice> [31mred[0m bell tab 2J evil\r\n");

    alice.send_raw(b"/me \x1b]0;owned\x07blinks\n");
    let said = bob.until(b"\r\n");
    assert!(!said.contains(&0x1b), "{said:?}");
    assert_eq!(after_clock(&String::from_utf8(said).unwrap()), "* alice ]0;ownedblinks\r\n");

    alice.send_raw(b"/msg bob \x1b[2Jsecret\n");
    let said = bob.until(b"\r\n");
    assert!(!said.contains(&0x1b), "{said:?}");
    assert_eq!(after_clock(&String::from_utf8(said).unwrap()), "*alice* [2Jsecret\r\n");
}

#[test]
fn backspace_and_delete_edit_the_line() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send_raw(b"helo\x08lo\n");
    expect_said(&mut bob, "<alice> hello");
    alice.send_raw("caf\u{e9}\x7fe\n".as_bytes());
    expect_said(&mut bob, "<alice> cafe");
    // Backspace at the start of a line erases nothing.
    alice.send_raw(b"\x08\x08ok\n");
    expect_said(&mut bob, "<alice> ok");
}

#[test]
fn telnet_negotiation_is_dropped() {
    let server = Server::start(&[]);
    let mut bob = server.register("bob");
    let mut alice = server.connect();
    alice.expect("-- Choose a nickname:");
    // IAC DO ECHO, IAC WILL SGA, then the nickname.
    alice.send_raw(&[255, 253, 1, 255, 251, 3, b'a', b'l', b'i', b'c', b'e', b'\r', b'\n']);
    expect_exact(&mut alice, "-- Hello alice! 2 users online in 1 room.");
    expect_exact(&mut alice, "-- You joined #lobby. 2 here: bob, alice");
    expect_exact(&mut bob, "-- alice joined #lobby");
    // IAC SB NAWS 0 80 0 24 IAC SE (its NUL bytes are no line ends), IAC NOP, then text.
    let mut line = vec![255, 250, 31, 0, 80, 0, 24, 255, 240, 255, 241];
    line.extend_from_slice(b"hi\r\n");
    alice.send_raw(&line);
    expect_said(&mut bob, "<alice> hi");
    // A sequence split across writes.
    alice.send_raw(&[b'o', 255]);
    alice.send_raw(&[253]);
    alice.send_raw(&[1, b'k', b'\n']);
    expect_said(&mut bob, "<alice> ok");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn empty_and_blank_lines_are_ignored() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send_raw(b"\n\r\n   \n\t\n\x1b\nreal\n");
    expect_said(&mut bob, "<alice> real");
    bob.expect_nothing_before_round_trip();
    alice.expect_nothing_before_round_trip();
}

//! Helpers for tests that talk to netcat users: the `[HH:MM]` clock, exact lines, registration
//! and the `/help me` round trip.

use super::{Client, Server};

/// Checks that `line` starts with a plausible `[HH:MM] ` clock and returns the rest.
pub fn after_clock(line: &str) -> &str {
    let b = line.as_bytes();
    let well_formed = b.len() >= 8
        && b[0] == b'['
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit)
        && b[6] == b']'
        && b[7] == b' ';
    assert!(well_formed, "no [HH:MM] clock at the start of {line:?}");
    let hours: u32 = line[1..3].parse().unwrap();
    let minutes: u32 = line[4..6].parse().unwrap();
    assert!(hours < 24 && minutes < 60, "impossible clock in {line:?}");
    &line[8..]
}

/// The very next line must be `[HH:MM] ` followed by exactly `text`.
pub fn expect_said(client: &mut Client, text: &str) -> String {
    let line = client.expect_next(text);
    assert_eq!(after_clock(&line), text, "whole line: {line:?}");
    line
}

/// A netcat round trip: `/help me` is answered with one known line, after everything before it.
pub fn netcat_settle(client: &mut Client) {
    client.send("/help me");
    let line = client.expect_next("-- /me ACTION");
    assert_eq!(line, "-- /me ACTION: describe an action in the current room");
}

/// The very next line must be exactly `text` (the same check as for IRC lines).
pub use super::irc::expect_exact;

/// Connects and registers `nick`, checking the prompt, welcome and join lines exactly.
pub fn register_exact(server: &Server, nick: &str, welcome: &str, joined: &str) -> Client {
    let mut client = server.connect();
    client.expect_next("-- Welcome to ");
    expect_exact(&mut client, "-- Choose a nickname:");
    client.send(nick);
    expect_exact(&mut client, welcome);
    expect_exact(&mut client, joined);
    client
}

/// Where a netcat user appears to come from, to IRC users.
pub fn prefix(nick: &str) -> String {
    format!("{nick}!~{nick}@127.0.0.1")
}

/// Registers a netcat user on a server named `irc.test`, returning once it is in the default
/// room. The nickname goes out at once: a first line that is no IRC command makes the
/// connection netcat without the wait for the greeting.
pub fn register_at_once(server: &Server, nick: &str) -> Client {
    let mut client = server.connect();
    client.send(nick);
    client.expect_next("-- Welcome to irc.test ");
    expect_exact(&mut client, "-- Choose a nickname:");
    client.expect_next(&format!("-- Hello {nick}! "));
    client.expect_next("-- You joined #lobby. ");
    client
}

/// A netcat user in the default room, then in each of `rooms` (which it must be able to join).
pub fn in_rooms(server: &Server, nick: &str, rooms: &[&str]) -> Client {
    let mut client = register_at_once(server, nick);
    for room in rooms {
        client.send(&format!("/join {room}"));
        client.expect_next(&format!("-- You joined {room}. "));
    }
    client
}

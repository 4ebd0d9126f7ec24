//! The greeting and choosing a nickname: invalid and taken nicknames, commands before a
//! nickname, and quitting before one.

use crate::common::Server;
use crate::common::netcat::expect_exact;

// ---------------------------------------------------------------------------------------------
// Greeting and registration
// ---------------------------------------------------------------------------------------------

#[test]
fn greeting_names_the_server_and_version_then_asks_for_a_nickname() {
    let server = Server::start(&["--server-name", "testnet"]);
    let mut client = server.connect();
    let version = env!("CARGO_PKG_VERSION");
    expect_exact(&mut client, &format!("-- Welcome to testnet (chatd {version}). Type /help for commands."));
    expect_exact(&mut client, "-- Choose a nickname:");
    client.expect_nothing_before_round_trip();
    client.send("alice");
    expect_exact(&mut client, "-- Hello alice! 1 user online in 1 room.");
    expect_exact(&mut client, "-- You joined #lobby. 1 here: alice");
    // An empty room has no history to replay.
    client.expect_nothing_before_round_trip();
}

#[test]
fn invalid_nicknames_get_the_reason_and_the_prompt_again() {
    let server = Server::start(&[]);
    let mut client = server.connect();
    client.expect("-- Choose a nickname:");
    let cases = [
        (
            "1abc",
            "error: \"1abc\" is not a valid nickname: a nickname must start with a letter or one of _[]{}\\|^` (not '1')",
        ),
        (
            "-dash",
            "error: \"-dash\" is not a valid nickname: a nickname must start with a letter or one of _[]{}\\|^` (not '-')",
        ),
        (
            "a23456789012345678901",
            "error: \"a23456789012345678901\" is not a valid nickname: a nickname has at most 20 characters",
        ),
        (
            "bob!",
            "error: \"bob!\" is not a valid nickname: a nickname may only contain letters, digits and -_[]{}\\|^` (not '!')",
        ),
        (
            "two words",
            "error: \"two words\" is not a valid nickname: a nickname may only contain letters, digits and -_[]{}\\|^` (not ' ')",
        ),
    ];
    for (nick, error) in cases {
        client.send(nick);
        expect_exact(&mut client, error);
        expect_exact(&mut client, "-- Choose a nickname:");
    }
    // Exactly 20 characters, and the special characters, are fine.
    client.send("[a]2345678901234567_");
    expect_exact(&mut client, "-- Hello [a]2345678901234567_! 1 user online in 1 room.");
    expect_exact(&mut client, "-- You joined #lobby. 1 here: [a]2345678901234567_");
}

#[test]
fn taken_nickname_in_any_case_gets_error_and_prompt_again() {
    let server = Server::start(&[]);
    let _alice = server.register("alice");
    let mut other = server.connect();
    other.expect("-- Choose a nickname:");
    other.send("alice");
    expect_exact(&mut other, "error: the nickname alice is already taken");
    expect_exact(&mut other, "-- Choose a nickname:");
    other.send("ALICE");
    expect_exact(&mut other, "error: the nickname ALICE is already taken");
    expect_exact(&mut other, "-- Choose a nickname:");
    other.send("/nick aLiCe");
    expect_exact(&mut other, "error: the nickname aLiCe is already taken");
    expect_exact(&mut other, "-- Choose a nickname:");
    other.send("bob");
    expect_exact(&mut other, "-- Hello bob! 2 users online in 1 room.");
    expect_exact(&mut other, "-- You joined #lobby. 2 here: alice, bob");
}

#[test]
fn commands_other_than_help_and_quit_before_a_nickname_ask_for_one_first() {
    let server = Server::start(&[]);
    let mut client = server.connect();
    client.expect("-- Choose a nickname:");
    for command in ["/users", "/join #rust", "/msg bob hi", "/who", "/me waves", "/topic hi", "/away lunch"] {
        client.send(command);
        expect_exact(&mut client, "error: choose a nickname first (type it and press enter)");
    }
    client.send("/help");
    expect_exact(&mut client, "-- Type a line to talk in your current room. Commands:");
    client.expect("-- Start a message with // to send a line beginning with /.");
    // Empty lines are not nickname attempts.
    client.send_raw(b"\n\r\n   \n");
    // /nick works as a way to choose the first nickname too.
    client.send("/nick alice");
    expect_exact(&mut client, "-- Hello alice! 1 user online in 1 room.");
    expect_exact(&mut client, "-- You joined #lobby. 1 here: alice");
}

#[test]
fn quit_before_a_nickname_closes_the_connection() {
    let server = Server::start(&[]);
    let mut client = server.connect();
    client.expect("-- Choose a nickname:");
    client.send("/quit not today");
    expect_exact(&mut client, "-- Closing connection: quit: not today");
    assert_eq!(client.expect_closed(), Vec::<String>::new());
}

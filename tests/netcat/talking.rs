//! Talking: room lines and who hears them, history replayed to joiners, /me, //, unknown
//! commands, private messages and away.

use crate::common::netcat::{expect_exact, register_exact};
use crate::common::time::utc_clock_now;
use crate::common::{Server, expect_said};

// ---------------------------------------------------------------------------------------------
// Talking in a room
// ---------------------------------------------------------------------------------------------

#[test]
fn three_clients_chat_in_the_lobby_and_the_sender_is_not_echoed() {
    let server = Server::start(&[]);
    let mut alice = register_exact(
        &server,
        "alice",
        "-- Hello alice! 1 user online in 1 room.",
        "-- You joined #lobby. 1 here: alice",
    );
    let mut bob = register_exact(
        &server,
        "bob",
        "-- Hello bob! 2 users online in 1 room.",
        "-- You joined #lobby. 2 here: alice, bob",
    );
    expect_exact(&mut alice, "-- bob joined #lobby");
    let mut carol = register_exact(
        &server,
        "carol",
        "-- Hello carol! 3 users online in 1 room.",
        "-- You joined #lobby. 3 here: alice, bob, carol",
    );
    expect_exact(&mut alice, "-- carol joined #lobby");
    expect_exact(&mut bob, "-- carol joined #lobby");

    let before = utc_clock_now();
    alice.send("hello everyone");
    let line = expect_said(&mut bob, "<alice> hello everyone");
    let after = utc_clock_now();
    assert!(line.starts_with(&before) || line.starts_with(&after), "{line:?} is not the UTC time ({before}..{after})");
    expect_said(&mut carol, "<alice> hello everyone");
    alice.expect_nothing_before_round_trip();

    bob.send("hi alice");
    expect_said(&mut alice, "<bob> hi alice");
    expect_said(&mut carol, "<bob> hi alice");
    carol.send("hey both");
    expect_said(&mut alice, "<carol> hey both");
    expect_said(&mut bob, "<carol> hey both");
    bob.expect_nothing_before_round_trip();
    carol.expect_nothing_before_round_trip();
}

#[test]
fn a_later_joiner_gets_the_recent_messages_bounded_by_history() {
    let server = Server::start(&["--history", "2"]);
    let mut alice = server.register("alice");
    alice.send("one");
    alice.send("two");
    alice.send("/me waves");
    // A reply to a later command proves the messages before it were handled.
    alice.send("/who");
    expect_exact(&mut alice, "-- 1 user in #lobby: alice");
    let mut bob = server.connect();
    bob.expect("-- Choose a nickname:");
    bob.send("bob");
    expect_exact(&mut bob, "-- Hello bob! 2 users online in 1 room.");
    expect_exact(&mut bob, "-- You joined #lobby. 2 here: alice, bob");
    expect_exact(&mut bob, "-- recent messages in #lobby:");
    expect_said(&mut bob, "<alice> two");
    expect_said(&mut bob, "* alice waves");
    expect_exact(&mut bob, "-- end of recent messages in #lobby");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn default_history_replays_every_recent_message() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    for text in ["one", "two", "three"] {
        alice.send(text);
    }
    alice.send("/who");
    expect_exact(&mut alice, "-- 1 user in #lobby: alice");
    let mut bob = server.register("bob");
    expect_exact(&mut bob, "-- recent messages in #lobby:");
    for text in ["one", "two", "three"] {
        expect_said(&mut bob, &format!("<alice> {text}"));
    }
    expect_exact(&mut bob, "-- end of recent messages in #lobby");
}

#[test]
fn history_zero_replays_nothing() {
    let server = Server::start(&["--history", "0"]);
    let mut alice = server.register("alice");
    alice.send("forgotten");
    alice.send("/who");
    expect_exact(&mut alice, "-- 1 user in #lobby: alice");
    let mut bob = server.register("bob");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn me_action_is_shown_to_the_room_and_needs_text() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/me waves hello");
    expect_said(&mut bob, "* alice waves hello");
    alice.expect_nothing_before_round_trip();
    alice.send("/me");
    expect_exact(&mut alice, "error: wrong arguments for /me (usage: /me ACTION)");
}

#[test]
fn double_slash_sends_a_line_starting_with_a_slash() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("//shrug \\_(ツ)_/");
    expect_said(&mut bob, "<alice> /shrug \\_(ツ)_/");
    alice.expect_nothing_before_round_trip();
}

#[test]
fn unknown_command_is_named_with_a_hint() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/jion #rust");
    expect_exact(&mut alice, "error: unknown command /jion (try /help)");
    alice.send("/");
    expect_exact(&mut alice, "error: unknown command / (try /help)");
    // Commands are case-insensitive.
    alice.send("/WHO");
    expect_exact(&mut alice, "-- 2 users in #lobby: alice, bob");
    bob.expect_nothing_before_round_trip();
}

// ---------------------------------------------------------------------------------------------
// Private messages and away
// ---------------------------------------------------------------------------------------------

#[test]
fn private_message_reaches_only_the_recipient_and_is_confirmed_to_the_sender() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    let mut carol = server.register("carol");
    alice.expect("-- carol joined #lobby");
    bob.expect("-- carol joined #lobby");
    alice.send("/msg bob psst, over here");
    expect_said(&mut bob, "*alice* psst, over here");
    expect_said(&mut alice, "-> *bob* psst, over here");
    // The nick is matched in any case, and shown as its owner spells it.
    alice.send("/msg BOB again");
    expect_said(&mut bob, "*alice* again");
    expect_said(&mut alice, "-> *bob* again");
    carol.expect_nothing_before_round_trip();
}

#[test]
fn private_message_to_a_missing_nick_is_an_error() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    alice.send("/msg nobody hello?");
    expect_exact(&mut alice, "error: no such nick: nobody (see /users)");
}

#[test]
fn private_message_with_missing_arguments_gets_the_usage() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let _bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    for line in ["/msg", "/msg bob", "/msg bob   "] {
        alice.send(line);
        expect_exact(&mut alice, "error: wrong arguments for /msg (usage: /msg NICK TEXT)");
    }
}

#[test]
fn private_message_to_an_away_user_reports_the_away_text() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    bob.send("/away at lunch");
    expect_exact(&mut bob, "-- You are marked as away: at lunch");
    alice.send("/users");
    expect_exact(&mut alice, "-- 2 users online: alice, bob (away)");
    alice.send("/msg bob are you there?");
    expect_said(&mut alice, "-> *bob* are you there?");
    expect_exact(&mut alice, "-- bob is away: at lunch");
    expect_said(&mut bob, "*alice* are you there?");

    bob.send("/away");
    expect_exact(&mut bob, "-- You are no longer marked as away");
    alice.send("/msg bob now?");
    expect_said(&mut alice, "-> *bob* now?");
    expect_said(&mut bob, "*alice* now?");
    alice.expect_nothing_before_round_trip();
}

//! Rooms: /join, /part, /rooms, /who, /users, topics, length limits, nick changes, /help, and
//! leaving with /quit or a dropped connection.

use crate::common::netcat::expect_exact;
use crate::common::{Server, after_clock, expect_said, netcat_settle};

// ---------------------------------------------------------------------------------------------
// Rooms
// ---------------------------------------------------------------------------------------------

#[test]
fn join_creates_a_room_makes_it_current_and_several_rooms_show_the_room_name() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    let mut carol = server.register("carol");
    alice.expect("-- carol joined #lobby");
    bob.expect("-- carol joined #lobby");

    alice.send("/join #rust");
    expect_exact(&mut alice, "-- You joined #rust. 1 here: alice");
    alice.send("anyone here?");
    // Lobby members do not hear #rust. alice's round trip proves her line was handled first.
    netcat_settle(&mut alice);
    bob.expect_nothing_before_round_trip();
    carol.expect_nothing_before_round_trip();

    // The # is optional, and the room's name keeps its first spelling.
    bob.send("/join RUST");
    expect_exact(&mut alice, "-- bob joined #rust");
    expect_exact(&mut bob, "-- You joined #rust. 2 here: alice, bob");
    expect_exact(&mut bob, "-- recent messages in #rust:");
    expect_said(&mut bob, "<alice> anyone here?");
    expect_exact(&mut bob, "-- end of recent messages in #rust");
    carol.expect_nothing_before_round_trip();

    // alice and bob are in two rooms, so room lines name the room.
    alice.send("hi");
    expect_said(&mut bob, "#rust <alice> hi");
    alice.send("/join #lobby");
    expect_exact(&mut alice, "-- Now talking in #lobby");
    alice.send("back in the lobby");
    expect_said(&mut bob, "#lobby <alice> back in the lobby");
    // carol is in one room only: no room name.
    expect_said(&mut carol, "<alice> back in the lobby");
    bob.send("/me nods");
    expect_said(&mut alice, "#rust * bob nods");
}

#[test]
fn invalid_room_names_are_refused() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    alice.send("/join #a,b");
    expect_exact(
        &mut alice,
        "error: \"#a,b\" is not a valid room name: a room name cannot contain spaces, commas, colons or control characters (not ',')",
    );
    alice.send("/join #");
    expect_exact(&mut alice, "error: \"#\" is not a valid room name: a room name needs at least one character after #");
    alice.send("/join #a #b");
    expect_exact(&mut alice, "error: wrong arguments for /join (usage: /join #ROOM [KEY])");
}

#[test]
fn part_tells_the_room_and_says_where_you_talk_now() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/join #rust");
    expect_exact(&mut alice, "-- You joined #rust. 1 here: alice");
    bob.send("/join #rust");
    expect_exact(&mut bob, "-- You joined #rust. 2 here: alice, bob");
    expect_exact(&mut alice, "-- bob joined #rust");

    alice.send("/part #rust see you");
    expect_exact(&mut bob, "-- alice left #rust (see you)");
    expect_exact(&mut alice, "-- You left #rust. Now talking in #lobby");
    alice.send("/part");
    expect_exact(&mut bob, "-- alice left #lobby");
    expect_exact(&mut alice, "-- You left #lobby. You are in no room now (try /join #ROOM)");
    alice.send("hello?");
    expect_exact(&mut alice, "error: you are not in any room (try /join #lobby)");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn no_room_error_points_to_the_configured_default_room() {
    let server = Server::start(&["--default-room", "#main"]);
    let mut alice = server.register("alice");
    alice.send("/part");
    expect_exact(&mut alice, "-- You left #main. You are in no room now (try /join #ROOM)");
    alice.send("hello?");
    expect_exact(&mut alice, "error: you are not in any room (try /join #main)");
}

#[test]
fn part_of_a_room_not_joined_is_an_error() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/part #x");
    expect_exact(&mut alice, "error: you are not in #x");
    bob.send("/join #busy");
    expect_exact(&mut bob, "-- You joined #busy. 1 here: bob");
    alice.send("/part #busy");
    expect_exact(&mut alice, "error: you are not in #busy");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn rooms_lists_rooms_with_member_counts_and_topics_and_empty_rooms_vanish() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    bob.send("/rooms");
    expect_exact(&mut bob, "-- 1 room:");
    expect_exact(&mut bob, "--   #lobby (2 users)");

    alice.send("/join #rust");
    expect_exact(&mut alice, "-- You joined #rust. 1 here: alice");
    alice.send("/topic all things rust");
    expect_exact(&mut alice, "-- alice set the topic of #rust: all things rust");
    alice.send("/join #tmp");
    expect_exact(&mut alice, "-- You joined #tmp. 1 here: alice");
    bob.send("/rooms");
    expect_exact(&mut bob, "-- 3 rooms:");
    expect_exact(&mut bob, "--   #lobby (2 users)");
    expect_exact(&mut bob, "--   #rust (1 user): all things rust");
    expect_exact(&mut bob, "--   #tmp (1 user)");

    alice.send("/part #tmp");
    expect_exact(&mut alice, "-- You left #tmp. Now talking in #rust");
    bob.send("/rooms");
    expect_exact(&mut bob, "-- 2 rooms:");
    expect_exact(&mut bob, "--   #lobby (2 users)");
    expect_exact(&mut bob, "--   #rust (1 user): all things rust");
}

#[test]
fn who_lists_the_current_room_or_a_named_one_and_users_lists_everyone() {
    let server = Server::start(&[]);
    let mut carol = server.register("carol");
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    carol.expect("-- bob joined #lobby");
    alice.expect("-- bob joined #lobby");
    carol.send("/join #rust");
    expect_exact(&mut carol, "-- You joined #rust. 1 here: carol");
    alice.send("/away brb");
    expect_exact(&mut alice, "-- You are marked as away: brb");
    bob.send("/who");
    expect_exact(&mut bob, "-- 3 users in #lobby: alice (away), bob, carol");
    // bob is not in #rust: its members are invisible (`+i`, everyone's at first) to him.
    bob.send("/who #rust");
    expect_exact(&mut bob, "-- 0 users in #rust");
    carol.send("/who #rust");
    expect_exact(&mut carol, "-- 1 user in #rust: @carol");
    bob.send("/who #nope");
    expect_exact(&mut bob, "error: no such room: #nope (see /rooms)");
    bob.send("/who #a #b");
    expect_exact(&mut bob, "error: wrong arguments for /who (usage: /who [#ROOM])");
    bob.send("/users");
    expect_exact(&mut bob, "-- 3 users online: alice (away), bob, carol");
    bob.send("/users please");
    expect_exact(&mut bob, "error: wrong arguments for /users (usage: /users)");
}

#[test]
fn topic_can_be_shown_set_and_cleared_and_new_joiners_see_it() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/topic");
    expect_exact(&mut alice, "-- #lobby has no topic");

    alice.send("/topic welcome, all");
    expect_exact(&mut alice, "-- alice set the topic of #lobby: welcome, all");
    expect_exact(&mut bob, "-- alice set the topic of #lobby: welcome, all");
    bob.send("/topic");
    let line = bob.expect_next("-- Topic of #lobby: welcome, all (set by alice [");
    assert!(line.ends_with("])"), "{line:?}");
    let clock = &line["-- Topic of #lobby: welcome, all (set by alice ".len()..line.len() - 1];
    after_clock(&format!("{clock} "));

    let mut carol = server.connect();
    carol.expect("-- Choose a nickname:");
    carol.send("carol");
    carol.expect_next("-- Hello carol!");
    expect_exact(&mut carol, "-- You joined #lobby. 3 here: alice, bob, carol");
    expect_exact(&mut carol, "-- Topic of #lobby: welcome, all");

    bob.expect("-- carol joined #lobby");
    bob.send("/topic #lobby -");
    for client in [&mut alice, &mut bob, &mut carol] {
        client.expect("-- bob cleared the topic of #lobby");
    }
    carol.send("/topic #LOBBY");
    expect_exact(&mut carol, "-- #lobby has no topic");
}

#[test]
fn setting_a_topic_needs_membership_and_has_a_length_limit() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    bob.send("/join #rust");
    expect_exact(&mut bob, "-- You joined #rust. 1 here: bob");
    alice.expect("-- bob joined #lobby");
    alice.send("/topic #rust hijacked");
    expect_exact(&mut alice, "error: you are not in #rust");
    // Reading it needs no membership.
    alice.send("/topic #rust");
    expect_exact(&mut alice, "-- #rust has no topic");
    alice.send("/topic #nope hi");
    expect_exact(&mut alice, "error: no such room: #nope (see /rooms)");
    alice.send(&format!("/topic {}", "x".repeat(301)));
    expect_exact(&mut alice, "error: topic too long (at most 300 bytes)");
    bob.expect_nothing_before_round_trip();
}

#[test]
fn away_message_and_part_reason_have_a_length_limit() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send(&format!("/away {}", "z".repeat(201)));
    expect_exact(&mut alice, "error: away message too long (at most 200 bytes)");
    alice.send(&format!("/part #lobby {}", "z".repeat(201)));
    expect_exact(&mut alice, "error: reason too long (at most 200 bytes)");
    // Still away-less and still in the room.
    alice.send("/who");
    expect_exact(&mut alice, "-- 2 users in #lobby: alice, bob");
    let longest = "z".repeat(200);
    alice.send(&format!("/away {longest}"));
    expect_exact(&mut alice, &format!("-- You are marked as away: {longest}"));
    bob.expect_nothing_before_round_trip();
}

#[test]
fn joining_more_than_twenty_rooms_is_refused() {
    let server = Server::start(&["--flood-rate", "0"]);
    let mut alice = server.register("alice");
    for i in 1..20 {
        alice.send(&format!("/join #r{i}"));
        expect_exact(&mut alice, &format!("-- You joined #r{i}. 1 here: alice"));
    }
    alice.send("/join #onemore");
    expect_exact(&mut alice, "error: you are already in 20 rooms, the most allowed");
    // Switching to a room already joined still works.
    alice.send("/join #R1");
    expect_exact(&mut alice, "-- Now talking in #r1");
}

#[test]
fn nick_change_is_announced_once_to_room_mates_and_frees_the_old_nick() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    // Sharing two rooms must still give one notice.
    alice.send("/join #rust");
    expect_exact(&mut alice, "-- You joined #rust. 1 here: alice");
    bob.send("/join #rust");
    expect_exact(&mut bob, "-- You joined #rust. 2 here: alice, bob");
    expect_exact(&mut alice, "-- bob joined #rust");

    alice.send("/nick alicia");
    expect_exact(&mut alice, "-- You are now known as alicia");
    expect_exact(&mut bob, "-- alice is now known as alicia");
    bob.expect_nothing_before_round_trip();
    alice.send("it is me");
    expect_said(&mut bob, "#rust <alicia> it is me");

    let mut newcomer = server.register("alice");
    expect_exact(&mut alice, "-- alice joined #lobby");
    expect_exact(&mut bob, "-- alice joined #lobby");
    newcomer.send("/who");
    expect_exact(&mut newcomer, "-- 3 users in #lobby: alice, alicia, bob");

    alice.send("/nick bob");
    expect_exact(&mut alice, "error: the nickname bob is already taken");
    alice.send("/nick 9lives");
    expect_exact(
        &mut alice,
        "error: \"9lives\" is not a valid nickname: a nickname must start with a letter or one of _[]{}\\|^` (not '9')",
    );
    alice.send("/nick");
    expect_exact(&mut alice, "error: wrong arguments for /nick (usage: /nick NEWNICK)");
}

#[test]
fn help_lists_every_command_and_explains_one() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let commands = [
        ("/msg NICK TEXT", "send a private message to NICK"),
        ("/me ACTION", "describe an action in the current room"),
        ("/join #ROOM [KEY]", "join a room (it is created if new, and you run it) and talk there"),
        ("/part [#ROOM] [REASON]", "leave a room (default: the current one)"),
        ("/rooms", "list rooms with their member counts and topics"),
        ("/who [#ROOM]", "list the people in a room (default: the current one)"),
        ("/users", "list everyone online"),
        ("/topic [#ROOM] [TEXT|-]", "show a room's topic, set it to TEXT, or clear it with -"),
        ("/nick NEWNICK", "change your nickname"),
        ("/kick [#ROOM] NICK [REASON]", "remove someone from a room you run (default: the current one)"),
        (
            "/mode [#ROOM] [+-MODES [ARGS]]",
            "show or change a room's modes: +t +i +m +n +s +p, +k KEY, +l N, +o/+v NICK, +b/+e/+I MASK",
        ),
        ("/invite NICK [#ROOM]", "invite someone into a room (needed for +i rooms)"),
        ("/away [TEXT]", "mark yourself away with TEXT, or back without it"),
        ("/register PASSWORD", "register your nickname as an account, so that only you can use it"),
        ("/identify [NAME] PASSWORD", "log in to your account (NAME: an account other than your nickname)"),
        ("/regain NICK [PASSWORD]", "take your registered nickname back from whoever holds it"),
        ("/password OLD NEW", "change your account's password"),
        ("/unregister PASSWORD", "delete your account"),
        ("/quit [REASON]", "leave the server"),
        ("/help [COMMAND]", "list commands, or explain one"),
    ];
    alice.send("/help");
    expect_exact(&mut alice, "-- Type a line to talk in your current room. Commands:");
    for (usage, summary) in commands {
        expect_exact(&mut alice, &format!("--   {usage:<24} {summary}"));
    }
    expect_exact(&mut alice, "-- Start a message with // to send a line beginning with /.");
    alice.send("/help msg");
    expect_exact(&mut alice, "-- /msg NICK TEXT: send a private message to NICK");
    alice.send("/help /JOIN");
    expect_exact(&mut alice, "-- /join #ROOM [KEY]: join a room (it is created if new, and you run it) and talk there");
    alice.send("/help dance");
    expect_exact(&mut alice, "error: no command named dance (try /help)");
    alice.send("/help a b");
    expect_exact(&mut alice, "error: wrong arguments for /help (usage: /help [COMMAND])");
}

// ---------------------------------------------------------------------------------------------
// Leaving
// ---------------------------------------------------------------------------------------------

#[test]
fn quit_with_a_reason_closes_the_connection_and_tells_room_mates() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/join #rust");
    expect_exact(&mut alice, "-- You joined #rust. 1 here: alice");
    bob.send("/join #rust");
    expect_exact(&mut alice, "-- bob joined #rust");
    expect_exact(&mut bob, "-- You joined #rust. 2 here: alice, bob");

    alice.send("/quit bye");
    expect_exact(&mut alice, "-- Closing connection: quit: bye");
    assert_eq!(alice.expect_closed(), Vec::<String>::new());
    // One notice, though they shared two rooms.
    expect_exact(&mut bob, "-- alice quit (quit: bye)");
    bob.expect_nothing_before_round_trip();
    server.expect_log(&["quit", "nick=alice", "reason=quit"]);

    let mut again = server.register("alice");
    expect_exact(&mut bob, "-- alice joined #lobby");
    again.send("/quit");
    expect_exact(&mut again, "-- Closing connection: quit");
    assert_eq!(again.expect_closed(), Vec::<String>::new());
    expect_exact(&mut bob, "-- alice quit (quit)");
}

#[test]
fn quit_reason_is_cut_at_200_bytes_on_a_character_boundary() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    // 301 bytes; byte 200 falls inside an 'é', so the cut goes back to 199.
    let reason = format!("a{}", "\u{e9}".repeat(150));
    let cut = format!("a{}", "\u{e9}".repeat(99));
    alice.send(&format!("/quit {reason}"));
    expect_exact(&mut alice, &format!("-- Closing connection: quit: {cut}"));
    alice.expect_closed();
    expect_exact(&mut bob, &format!("-- alice quit (quit: {cut})"));
}

#[test]
fn dropped_connection_tells_room_mates_and_frees_the_nick() {
    let server = Server::start(&[]);
    let alice = server.register("alice");
    let mut bob = server.register("bob");
    drop(alice);
    expect_exact(&mut bob, "-- alice quit (connection lost)");
    let mut newcomer = server.connect();
    newcomer.expect("-- Choose a nickname:");
    newcomer.send("alice");
    expect_exact(&mut newcomer, "-- Hello alice! 2 users online in 1 room.");
    expect_exact(&mut newcomer, "-- You joined #lobby. 2 here: bob, alice");
    expect_exact(&mut bob, "-- alice joined #lobby");
}

#[test]
fn commands_in_the_same_write_as_quit_are_all_answered_first() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    alice.send_raw(b"/who\n/quit done\n");
    expect_exact(&mut alice, "-- 1 user in #lobby: alice");
    expect_exact(&mut alice, "-- Closing connection: quit: done");
    assert_eq!(alice.expect_closed(), Vec::<String>::new());
}

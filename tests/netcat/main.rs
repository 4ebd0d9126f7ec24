mod common;

// The netcat dialect end to end: the real binary, real TCP, the exact texts a user sees.

use common::{Client, LogLines, Server, TIMEOUT, after_clock, expect_said};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(200);

/// The very next line must be exactly `text`.
fn expect_exact(client: &mut Client, text: &str) {
    let line = client.expect_next(text);
    assert_eq!(line, text);
}

/// The server's `[HH:MM]` for now, UTC.
fn utc_clock_now() -> String {
    let minutes = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 60;
    format!("[{:02}:{:02}]", (minutes / 60) % 24, minutes % 60)
}

/// Connects and registers `nick`, checking the prompt, welcome and join lines exactly.
fn register_exact(server: &Server, nick: &str, welcome: &str, joined: &str) -> Client {
    let mut client = server.connect();
    client.expect_next("-- Welcome to ");
    expect_exact(&mut client, "-- Choose a nickname:");
    client.send(nick);
    expect_exact(&mut client, welcome);
    expect_exact(&mut client, joined);
    client
}

/// A client that reads raw bytes, for checking terminators and exact encodings.
struct Raw {
    stream: TcpStream,
    buffer: Vec<u8>,
    log: Arc<LogLines>,
}

impl Raw {
    fn connect(server: &Server) -> Raw {
        let stream = TcpStream::connect(server.addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw { stream, buffer: Vec::new(), log: Arc::clone(&server.log) }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Reads until `needle` has arrived; returns every byte up to and including it.
    fn until(&mut self, needle: &[u8]) -> Vec<u8> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(at) = self.buffer.windows(needle.len()).position(|w| w == needle) {
                return self.buffer.drain(..at + needle.len()).collect();
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
                self.fail(&format!("no {:?} within {TIMEOUT:?}", String::from_utf8_lossy(needle)))
            };
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.fail(&format!("closed while waiting for {:?}", String::from_utf8_lossy(needle))),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) => self.fail(&format!("read failed: {e}")),
            }
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}\n--- unread bytes: {:?}\n--- server log:\n{}", self.buffer, self.log.text())
    }
}

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
    client.expect_silence(QUIET);
    client.send("alice");
    expect_exact(&mut client, "-- Hello alice! 1 user online in 1 room.");
    expect_exact(&mut client, "-- You joined #lobby. 1 here: alice");
    // An empty room has no history to replay.
    client.expect_silence(QUIET);
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
    alice.expect_silence(QUIET);

    bob.send("hi alice");
    expect_said(&mut alice, "<bob> hi alice");
    expect_said(&mut carol, "<bob> hi alice");
    carol.send("hey both");
    expect_said(&mut alice, "<carol> hey both");
    expect_said(&mut bob, "<carol> hey both");
    bob.expect_silence(QUIET);
    carol.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
}

#[test]
fn me_action_is_shown_to_the_room_and_needs_text() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send("/me waves hello");
    expect_said(&mut bob, "* alice waves hello");
    alice.expect_silence(QUIET);
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
    alice.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
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
    carol.expect_silence(QUIET);
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
    alice.expect_silence(QUIET);
}

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
    // Lobby members do not hear #rust.
    bob.expect_silence(QUIET);
    carol.expect_silence(QUIET);

    // The # is optional, and the room's name keeps its first spelling.
    bob.send("/join RUST");
    expect_exact(&mut alice, "-- bob joined #rust");
    expect_exact(&mut bob, "-- You joined #rust. 2 here: alice, bob");
    expect_exact(&mut bob, "-- recent messages in #rust:");
    expect_said(&mut bob, "<alice> anyone here?");
    expect_exact(&mut bob, "-- end of recent messages in #rust");
    carol.expect_silence(QUIET);

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
    bob.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
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
    bob.send("/who #rust");
    expect_exact(&mut bob, "-- 1 user in #rust: @carol");
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
    bob.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
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
            "show or change a room's modes: +t +i +m +n, +k KEY, +l N, +o/+v NICK, +b MASK",
        ),
        ("/invite NICK [#ROOM]", "invite someone into a room (needed for +i rooms)"),
        ("/away [TEXT]", "mark yourself away with TEXT, or back without it"),
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
    bob.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
}

#[test]
fn a_line_split_across_writes_is_delivered_once_complete() {
    let server = Server::start(&[]);
    let mut alice = server.connect();
    alice.stream.set_nodelay(true).unwrap();
    alice.expect("-- Choose a nickname:");
    alice.send_raw(b"ali");
    alice.expect_silence(QUIET);
    alice.send_raw(b"ce\r\n");
    alice.expect("-- You joined #lobby. 1 here: alice");

    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send_raw(b"hel");
    // Half a line is not a message.
    bob.expect_silence(QUIET);
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
    alice.expect_silence(QUIET);
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
    alice.expect_silence(QUIET);
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
    bob.expect_silence(QUIET);
}

#[test]
fn empty_and_blank_lines_are_ignored() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    expect_exact(&mut alice, "-- bob joined #lobby");
    alice.send_raw(b"\n\r\n   \n\t\n\x1b\nreal\n");
    expect_said(&mut bob, "<alice> real");
    bob.expect_silence(QUIET);
    alice.expect_silence(QUIET);
}

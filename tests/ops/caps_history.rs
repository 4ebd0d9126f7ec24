//! IRCv3 capabilities (CAP negotiation, multi-prefix, server-time) and room history as each
//! dialect replays it.

use crate::common::irc::{self, expect_exact, num, send, settle, start};
use crate::common::netcat::{self, expect_said};
use crate::common::time::{clock_of, expect_tagged, now_millis};

// ---------------------------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------------------------

#[test]
fn cap_ls_offers_every_cap_req_is_all_or_nothing_and_list_shows_what_is_on() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "CAP LS 302");
    expect_exact(
        &mut bob,
        ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names",
    );
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST cap-notify");
    send(&mut bob, "CAP REQ :multi-prefix server-time");
    expect_exact(&mut bob, ":irc.test CAP * ACK :multi-prefix server-time");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :cap-notify multi-prefix server-time");
    // One unknown name refuses the whole request: multi-prefix stays on.
    send(&mut bob, "CAP REQ :-multi-prefix example.org/unknown");
    expect_exact(&mut bob, ":irc.test CAP * NAK :-multi-prefix example.org/unknown");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :cap-notify multi-prefix server-time");
    // A leading '-' turns a capability off.
    send(&mut bob, "CAP REQ -multi-prefix");
    expect_exact(&mut bob, ":irc.test CAP * ACK -multi-prefix");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :cap-notify server-time");
    // A REQ also holds registration until CAP END.
    send(&mut bob, "NICK bob");
    send(&mut bob, "USER u 0 * :Real Name");
    settle(&mut bob, "held");
    send(&mut bob, "CAP END");
    expect_exact(&mut bob, &num("001", "bob", ":Welcome to the chatd IRC network bob!~u@127.0.0.1"));
    bob.expect(&num("376", "bob", ":End of /MOTD command."));
    // After registration, requests work the same and name the client.
    send(&mut bob, "CAP REQ multi-prefix");
    expect_exact(&mut bob, ":irc.test CAP bob ACK multi-prefix");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP bob LIST :cap-notify multi-prefix server-time");
    send(&mut bob, "CAP REQ :example.org/unknown");
    expect_exact(&mut bob, ":irc.test CAP bob NAK example.org/unknown");
    settle(&mut bob, "done");
}

// ---------------------------------------------------------------------------------------------
// server-time and history
// ---------------------------------------------------------------------------------------------

#[test]
fn server_time_clients_get_time_tags_and_the_history_on_join_and_others_get_neither() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut watcher = irc::register_with(&server, "watcher", "server-time");
    irc::join(&mut watcher, "watcher", "#room");
    expect_exact(&mut alice, ":watcher!~u@127.0.0.1 JOIN #room");

    // What a server-time member sees live is what is replayed later, time included.
    let before = now_millis();
    send(&mut alice, "PRIVMSG #room :first words");
    let one = expect_tagged(&mut watcher, ":alice!~u@127.0.0.1 PRIVMSG #room :first words", before);
    let before = now_millis();
    send(&mut alice, "PRIVMSG #room :\u{1}ACTION waves\u{1}");
    let two = expect_tagged(&mut watcher, ":alice!~u@127.0.0.1 PRIVMSG #room :\u{1}ACTION waves\u{1}", before);
    // Notices are tagged but not remembered.
    let before = now_millis();
    send(&mut alice, "NOTICE #room :passing note");
    expect_tagged(&mut watcher, ":alice!~u@127.0.0.1 NOTICE #room :passing note", before);
    settle(&mut alice, "untagged-sender");

    // Without server-time: no history on join.
    let mut bob = irc::register(&server, "bob");
    irc::join(&mut bob, "bob", "#room");
    settle(&mut bob, "no-history");
    // With it: the history right after the names, with the original times.
    let mut carol = irc::register_with(&server, "carol", "multi-prefix server-time");
    irc::join(&mut carol, "carol", "#room");
    expect_exact(&mut carol, &format!("@time={one} :alice!~u@127.0.0.1 PRIVMSG #room :first words"));
    expect_exact(&mut carol, &format!("@time={two} :alice!~u@127.0.0.1 PRIVMSG #room :\u{1}ACTION waves\u{1}"));
    settle(&mut carol, "history-done");
    for client in [&mut alice, &mut watcher] {
        expect_exact(client, ":bob!~u@127.0.0.1 JOIN #room");
        expect_exact(client, ":carol!~u@127.0.0.1 JOIN #room");
    }
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");

    // Live messages: tagged for server-time clients only; private ones too.
    let before = now_millis();
    send(&mut bob, "PRIVMSG #room :live now");
    expect_tagged(&mut carol, ":bob!~u@127.0.0.1 PRIVMSG #room :live now", before);
    expect_tagged(&mut watcher, ":bob!~u@127.0.0.1 PRIVMSG #room :live now", before);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :live now");
    let before = now_millis();
    send(&mut bob, "PRIVMSG carol :psst");
    expect_tagged(&mut carol, ":bob!~u@127.0.0.1 PRIVMSG carol psst", before);
    send(&mut carol, "NOTICE bob :heard");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 NOTICE bob heard");
    // Numerics and other lines carry no tag.
    send(&mut carol, "TOPIC #room");
    expect_exact(&mut carol, &num("331", "carol", "#room :No topic is set"));
    // A netcat user gets the history on join, as before.
    let mut dan = netcat::register_at_once(&server, "dan");
    dan.send("/join #room");
    expect_exact(&mut dan, "-- You joined #room. 5 here: alice, watcher, bob, carol, dan");
    expect_exact(&mut dan, "-- recent messages in #room:");
    expect_said(&mut dan, "<alice> first words");
    expect_said(&mut dan, "* alice waves");
    expect_said(&mut dan, "<bob> live now");
    expect_exact(&mut dan, "-- end of recent messages in #room");
    for client in [&mut alice, &mut watcher, &mut bob, &mut carol] {
        expect_exact(client, ":dan!~dan@127.0.0.1 JOIN #room");
    }
    // Taking the capability back stops the tags.
    send(&mut carol, "CAP REQ -server-time");
    expect_exact(&mut carol, ":irc.test CAP carol ACK -server-time");
    send(&mut bob, "PRIVMSG #room :untagged again");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 PRIVMSG #room :untagged again");
    expect_said(&mut dan, "#room <bob> untagged again");
    settle(&mut bob, "end");
}

#[test]
fn history_replays_the_last_n_messages_as_notices_or_as_tagged_privmsgs() {
    let server = start(&["--history", "3"]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut watcher = irc::register_with(&server, "watcher", "server-time");
    irc::join(&mut watcher, "watcher", "#room");
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let _elsewhere = irc::in_rooms(&server, "other", &["#elsewhere"]);
    expect_exact(&mut alice, ":watcher!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut watcher, ":bob!~u@127.0.0.1 JOIN #room");

    // Nothing said yet: nothing replayed.
    send(&mut bob, "HISTORY #room");
    settle(&mut bob, "empty");
    let mut stamps = Vec::new();
    for text in ["one", "two", "three"] {
        let before = now_millis();
        send(&mut alice, &format!("PRIVMSG #room :{text} said"));
        let line = format!(":alice!~u@127.0.0.1 PRIVMSG #room :{text} said");
        stamps.push(expect_tagged(&mut watcher, &line, before));
    }
    let before = now_millis();
    send(&mut alice, "PRIVMSG #room :\u{1}ACTION four\u{1}");
    let line = ":alice!~u@127.0.0.1 PRIVMSG #room :\u{1}ACTION four\u{1}";
    stamps.push(expect_tagged(&mut watcher, line, before));
    for _ in 0..4 {
        bob.expect(":alice!~u@127.0.0.1 PRIVMSG #room ");
    }

    // Without server-time: server notices with the time in the text. --history 3 keeps three.
    let notice = |i: usize, what: &str| format!(":irc.test NOTICE bob :#room {} {what}", clock_of(&stamps[i]));
    send(&mut bob, "HISTORY #room 2");
    expect_exact(&mut bob, &notice(2, "<alice> three said"));
    expect_exact(&mut bob, &notice(3, "* alice four"));
    settle(&mut bob, "two");
    for all in ["HISTORY #room", "HISTORY #ROOM 10"] {
        send(&mut bob, all);
        expect_exact(&mut bob, &notice(1, "<alice> two said"));
        expect_exact(&mut bob, &notice(2, "<alice> three said"));
        expect_exact(&mut bob, &notice(3, "* alice four"));
        settle(&mut bob, "all");
    }
    send(&mut bob, "HISTORY #room 0");
    settle(&mut bob, "none");
    // With server-time: the messages themselves, with their times.
    send(&mut watcher, "HISTORY #room 2");
    expect_exact(&mut watcher, &format!("@time={} :alice!~u@127.0.0.1 PRIVMSG #room :three said", stamps[2]));
    expect_exact(&mut watcher, &format!("@time={} {line}", stamps[3]));
    settle(&mut watcher, "tagged");
    // Errors: not a member, no such room, no room named.
    send(&mut bob, "HISTORY #elsewhere");
    expect_exact(&mut bob, &num("442", "bob", "#elsewhere :You're not on that channel"));
    send(&mut bob, "HISTORY #nowhere");
    expect_exact(&mut bob, &num("403", "bob", "#nowhere :No such channel"));
    send(&mut bob, "HISTORY");
    expect_exact(&mut bob, &num("461", "bob", "HISTORY :Not enough parameters"));
    settle(&mut alice, "end");
}

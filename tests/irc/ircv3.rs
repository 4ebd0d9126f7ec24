//! The IRCv3 capabilities of issue 14 end to end: message-tags (msgid, client-only tags,
//! TAGMSG, the tag limit), echo-message, labeled-response with batch, away-notify, setname,
//! invite-notify, userhost-in-names and cap-notify; and that netcat users see none of it.

use crate::common::irc::{self, expect_exact, num, register_with, send, settle, start};
use crate::common::{expect_said, netcat_settle};

/// The `msgid` tag of a line, checked to look like chatd's (`run-id`, base 36).
fn msgid(line: &str) -> String {
    let tags = line.strip_prefix('@').and_then(|rest| rest.split_once(' ')).map_or("", |(tags, _)| tags);
    let id = tags.split(';').find_map(|tag| tag.strip_prefix("msgid=")).unwrap_or_else(|| panic!("no msgid: {line}"));
    let (run, count) = id.split_once('-').unwrap_or_else(|| panic!("msgid {id:?}"));
    for part in [run, count] {
        assert!(!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()), "{id:?}");
    }
    id.to_string()
}

/// The line without its tag section.
fn untagged(line: &str) -> &str {
    if line.starts_with('@') { line.split_once(' ').map_or("", |(_, rest)| rest) } else { line }
}

/// `nick`, registered with `caps`, in `#a`; the JOIN lines of earlier members are consumed.
fn member(server: &crate::common::Server, nick: &str, caps: &str) -> crate::common::Client {
    let mut client = register_with(server, nick, caps);
    send(&mut client, "JOIN #a");
    client.expect(&num("366", nick, "#a :End of /NAMES list"));
    client
}

#[test]
fn message_tags_clients_get_msgids_and_client_only_tags_and_tagmsg_others_get_plain_lines() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "message-tags");
    let mut bob = member(&server, "bob", "message-tags");
    let mut plain = member(&server, "carol", "");
    alice.expect(":bob!~u@127.0.0.1 JOIN #a");
    alice.expect(":carol!~u@127.0.0.1 JOIN #a");
    bob.expect(":carol!~u@127.0.0.1 JOIN #a");

    send(&mut alice, "@+draft/reply=x\\sy;+typing;msgid=forged;label=z PRIVMSG #a :hello");
    let line = bob.expect_next("@msgid=");
    assert_eq!(untagged(&line), ":alice!~u@127.0.0.1 PRIVMSG #a hello");
    let first = msgid(&line);
    assert_eq!(line, format!("@msgid={first};+draft/reply=x\\sy;+typing :alice!~u@127.0.0.1 PRIVMSG #a hello"));
    expect_exact(&mut plain, ":alice!~u@127.0.0.1 PRIVMSG #a hello");

    // Every message gets a new id; private ones too.
    send(&mut alice, "NOTICE bob :psst");
    let line = bob.expect_next("@msgid=");
    assert_eq!(untagged(&line), ":alice!~u@127.0.0.1 NOTICE bob psst");
    assert_ne!(msgid(&line), first);

    // TAGMSG: only to message-tags clients, with its client-only tags.
    send(&mut alice, "@+typing=active TAGMSG #a");
    let line = bob.expect_next("@msgid=");
    assert_eq!(line, format!("@msgid={};+typing=active :alice!~u@127.0.0.1 TAGMSG #a", msgid(&line)));
    send(&mut alice, "TAGMSG");
    expect_exact(&mut alice, &num("411", "alice", ":No recipient given (TAGMSG)"));
    send(&mut alice, "TAGMSG #nowhere");
    expect_exact(&mut alice, &num("401", "alice", "#nowhere :No such nick/channel"));

    // Tags past 4094 bytes: 417, and nothing relayed.
    send(&mut alice, &format!("@+big={} PRIVMSG #a :too much", "x".repeat(4090)));
    expect_exact(&mut alice, &num("417", "alice", ":Input line was too long"));
    for client in [&mut alice, &mut bob, &mut plain] {
        settle(client, "done");
    }
}

#[test]
fn msgids_differ_between_runs_of_the_server() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let server = start(&[]);
        let mut alice = member(&server, "alice", "message-tags echo-message");
        send(&mut alice, "PRIVMSG #a :first");
        ids.push(msgid(&alice.expect_next("@msgid=")));
    }
    assert_ne!(ids[0], ids[1], "the first message of two runs");
}

#[test]
fn echo_message_returns_own_messages_with_their_msgid_and_time() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "echo-message message-tags server-time");
    let mut bob = member(&server, "bob", "message-tags");
    alice.expect(":bob!~u@127.0.0.1 JOIN #a");
    send(&mut alice, "PRIVMSG #a :hi all");
    let echo = alice.expect_next("@time=");
    assert!(echo.ends_with(" :alice!~u@127.0.0.1 PRIVMSG #a :hi all"), "{echo}");
    let delivered = bob.expect_next("@msgid=");
    assert_eq!(msgid(&echo), msgid(&delivered));
    send(&mut alice, "PRIVMSG bob :just you");
    let echo = alice.expect_next("@time=");
    assert!(echo.ends_with(" :alice!~u@127.0.0.1 PRIVMSG bob :just you"), "{echo}");
    assert_eq!(msgid(&echo), msgid(&bob.expect_next("@msgid=")));
    // Without echo-message nothing comes back.
    send(&mut bob, "PRIVMSG #a :no echo");
    settle(&mut bob, "no-echo");
    assert_eq!(untagged(&alice.expect_next("@time=")), ":bob!~u@127.0.0.1 PRIVMSG #a :no echo");
    settle(&mut alice, "done");
}

#[test]
fn labeled_lines_get_one_labeled_line_a_labeled_batch_or_an_ack() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "labeled-response batch echo-message");
    send(&mut alice, "@label=p1 PING :x");
    expect_exact(&mut alice, "@label=p1 :irc.test PONG irc.test x");
    send(&mut alice, "@label=n1 PONG :x");
    expect_exact(&mut alice, "@label=n1 :irc.test ACK");
    send(&mut alice, "@label=e1 PRIVMSG nobody :hi");
    expect_exact(&mut alice, "@label=e1 :irc.test 401 alice nobody :No such nick/channel");
    // A command that cannot even be read is still answered with its label.
    send(&mut alice, "@label=u1 NONEXISTENT_COMMAND x");
    expect_exact(&mut alice, "@label=u1 :irc.test 421 alice NONEXISTENT_COMMAND :Unknown command");
    send(&mut alice, "@label=u2 FOOBAR");
    expect_exact(&mut alice, "@label=u2 :irc.test 421 alice FOOBAR :Unknown command");
    // NICK to the nickname one has: nothing changes, nothing is said.
    send(&mut alice, "@label=k1 NICK alice");
    expect_exact(&mut alice, "@label=k1 :irc.test ACK");
    send(&mut alice, "NICK alice");
    settle(&mut alice, "same-nick");
    send(&mut alice, "@label=m1 PRIVMSG #a :echoed");
    expect_exact(&mut alice, "@label=m1 :alice!~u@127.0.0.1 PRIVMSG #a echoed");
    send(&mut alice, "@label=w\\s1 WHOIS alice");
    expect_exact(&mut alice, "@label=w\\s1 :irc.test BATCH +l1 labeled-response");
    expect_exact(&mut alice, "@batch=l1 :irc.test 311 alice alice ~u 127.0.0.1 * :Real Name");
    let mut line = irc::next(&mut alice);
    while line.starts_with("@batch=l1 ") {
        line = irc::next(&mut alice);
    }
    assert_eq!(line, ":irc.test BATCH -l1");
    // Unlabeled lines are answered as ever; a label without the capabilities is ignored.
    settle(&mut alice, "plain");
    let mut bob = register_with(&server, "bob", "labeled-response");
    send(&mut bob, "@label=x PING :y");
    expect_exact(&mut bob, ":irc.test PONG irc.test y");
}

#[test]
fn away_notify_tells_room_mates_of_away_changes_and_away_joiners() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "away-notify");
    let mut bob = member(&server, "bob", "");
    alice.expect(":bob!~u@127.0.0.1 JOIN #a");
    send(&mut bob, "AWAY :gone fishing");
    expect_exact(&mut bob, &num("306", "bob", ":You have been marked as being away"));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 AWAY :gone fishing");
    send(&mut bob, "AWAY");
    expect_exact(&mut bob, &num("305", "bob", ":You are no longer marked as being away"));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 AWAY");
    let mut carol = register_with(&server, "carol", "");
    send(&mut carol, "AWAY :zzz");
    carol.expect(&num("306", "carol", ":You have been marked as being away"));
    send(&mut carol, "JOIN #a");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 AWAY zzz");
    // bob did not ask: he gets the JOIN only.
    send(&mut alice, "AWAY :brb");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #a");
    settle(&mut bob, "no-away");
    expect_exact(&mut alice, &num("306", "alice", ":You have been marked as being away"));
    settle(&mut alice, "done");
}

#[test]
fn setname_changes_the_real_name_and_tells_those_who_asked() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "setname");
    let mut bob = member(&server, "bob", "setname");
    let mut carol = member(&server, "carol", "");
    alice.expect(":carol!~u@127.0.0.1 JOIN #a");
    bob.expect(":carol!~u@127.0.0.1 JOIN #a");
    send(&mut alice, "SETNAME :Alice Liddell");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 SETNAME :Alice Liddell");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 SETNAME :Alice Liddell");
    send(&mut carol, "WHOIS alice");
    expect_exact(&mut carol, &num("311", "carol", "alice ~u 127.0.0.1 * :Alice Liddell"));
    carol.expect(&num("318", "carol", "alice :End of /WHOIS list"));
    settle(&mut carol, "no-setname");
    send(&mut alice, "SETNAME :");
    expect_exact(&mut alice, ":irc.test FAIL SETNAME INVALID_REALNAME :Realname is not valid");
    send(&mut alice, "SETNAME");
    expect_exact(&mut alice, &num("461", "alice", "SETNAME :Not enough parameters"));
    settle(&mut bob, "done");
}

#[test]
fn invite_notify_tells_the_rooms_other_operators() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "invite-notify");
    let mut bob = member(&server, "bob", "invite-notify");
    let mut carol = register_with(&server, "carol", "");
    alice.expect(":bob!~u@127.0.0.1 JOIN #a");
    send(&mut alice, "MODE #a +o bob");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #a +o bob");
    send(&mut bob, "INVITE carol #a");
    expect_exact(&mut bob, &num("341", "bob", "carol #a"));
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 INVITE carol #a");
    alice.expect(":bob!~u@127.0.0.1 INVITE carol #a");
    settle(&mut bob, "inviter-told-once");
    settle(&mut alice, "done");
}

#[test]
fn userhost_in_names_and_cap_notify() {
    let server = start(&[]);
    let mut alice = member(&server, "alice", "");
    let mut bob = register_with(&server, "bob", "userhost-in-names cap-notify");
    send(&mut bob, "JOIN #a");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut bob, &num("353", "bob", "= #a :@alice!~u@127.0.0.1 bob!~u@127.0.0.1"));
    expect_exact(&mut bob, &num("366", "bob", "#a :End of /NAMES list"));
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP bob LIST :cap-notify userhost-in-names");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    send(&mut alice, "NAMES #a");
    expect_exact(&mut alice, &num("353", "alice", "= #a :@alice bob"));
    expect_exact(&mut alice, &num("366", "alice", "#a :End of /NAMES list"));
    settle(&mut alice, "done");
}

#[test]
fn netcat_users_see_none_of_it() {
    let server = start(&[]);
    let mut nelly = server.register("nelly");
    let mut alice = register_with(&server, "alice", "message-tags echo-message setname away-notify");
    send(&mut alice, "JOIN #lobby");
    alice.expect(&num("366", "alice", "#lobby :End of /NAMES list"));
    nelly.expect("-- alice joined #lobby");
    send(&mut alice, "@+typing=active TAGMSG #lobby");
    send(&mut alice, "SETNAME :New Name");
    send(&mut alice, "AWAY :away");
    send(&mut alice, "@+x=y PRIVMSG #lobby :tagged");
    expect_said(&mut nelly, "<alice> tagged");
    netcat_settle(&mut nelly);
    // alice herself hears it all back.
    let lines = irc::lines_until_pong(&mut alice, "done");
    let shown: Vec<&str> = lines.iter().map(|line| untagged(line)).collect();
    assert_eq!(
        shown,
        [
            ":alice!~u@127.0.0.1 TAGMSG #lobby",
            ":alice!~u@127.0.0.1 SETNAME :New Name",
            ":irc.test 306 alice :You have been marked as being away",
            ":alice!~u@127.0.0.1 PRIVMSG #lobby tagged",
        ]
    );
}

//! PRIVMSG and NOTICE between IRC users, their errors, and mixed rooms where netcat and IRC
//! users hear each other.

use crate::common::irc::{self, expect_exact, num, send, settle, start};
use crate::common::raw::{Raw, assert_wire_lines};
use crate::common::{expect_said, netcat_settle};

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[test]
fn channel_privmsg_and_notice_reach_other_members_with_the_full_prefix_and_are_not_echoed() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    let mut outsider = irc::in_rooms(&server, "dave", &["#elsewhere"]);

    send(&mut bob, "PRIVMSG #room :hello there");
    send(&mut bob, "NOTICE #room :note this");
    // One-word text goes out as a middle parameter; text starting with ':' keeps its own colon.
    send(&mut bob, "PRIVMSG #room hi");
    send(&mut bob, "PRIVMSG #room ::-)");
    send(&mut bob, "PRIVMSG #room :\u{1}ACTION waves\u{1}");
    send(&mut bob, "privmsg #ROOM :case does not matter");
    settle(&mut bob, "no-echo");
    for member in [&mut alice, &mut carol] {
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room :hello there");
        expect_exact(member, ":bob!~u@127.0.0.1 NOTICE #room :note this");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room hi");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room ::-)");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room :\u{1}ACTION waves\u{1}");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room :case does not matter");
        settle(member, "all-seen");
    }
    settle(&mut outsider, "saw-nothing");
}

#[test]
fn private_messages_and_multiple_targets() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#a"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#a"]);
    let mut carol = irc::register(&server, "carol");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");

    send(&mut carol, "PRIVMSG BOB :psst, bob");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 PRIVMSG bob :psst, bob");
    send(&mut carol, "NOTICE bob :a notice");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 NOTICE bob :a notice");
    settle(&mut carol, "no-echo");
    settle(&mut alice, "not-for-alice");

    send(&mut alice, "PRIVMSG #a,carol :hi all");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG #a :hi all");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 PRIVMSG carol :hi all");
    settle(&mut alice, "no-echo");
    // A bad target among good ones fails alone.
    send(&mut alice, "PRIVMSG nobody,bob :to bob");
    expect_exact(&mut alice, &num("401", "alice", "nobody :No such nick/channel"));
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG bob :to bob");
    // TARGMAX=PRIVMSG:4: a fifth target is ignored.
    send(&mut alice, "PRIVMSG nobody1,nobody2,nobody3,bob,carol :five");
    for n in 1..=3 {
        expect_exact(&mut alice, &num("401", "alice", &format!("nobody{n} :No such nick/channel")));
    }
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG bob five");
    settle(&mut alice, "four-handled");
    settle(&mut carol, "fifth-ignored");
}

#[test]
fn message_errors_401_404_411_412() {
    let server = start(&[]);
    let _alice = irc::in_rooms(&server, "alice", &["#theirs"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#mine"]);
    send(&mut bob, "PRIVMSG nobody :hello");
    expect_exact(&mut bob, &num("401", "bob", "nobody :No such nick/channel"));
    send(&mut bob, "PRIVMSG #theirs :let me in");
    expect_exact(&mut bob, &num("404", "bob", "#theirs :Cannot send to channel (join it first)"));
    send(&mut bob, "PRIVMSG #nowhere :anyone?");
    expect_exact(&mut bob, &num("401", "bob", "#nowhere :No such nick/channel"));
    send(&mut bob, "PRIVMSG #mine");
    expect_exact(&mut bob, &num("412", "bob", ":No text to send"));
    send(&mut bob, "PRIVMSG #mine :");
    expect_exact(&mut bob, &num("412", "bob", ":No text to send"));
    send(&mut bob, "PRIVMSG");
    expect_exact(&mut bob, &num("411", "bob", ":No recipient given (PRIVMSG)"));
    settle(&mut bob, "end");
}

#[test]
fn notice_errors_are_never_answered() {
    let server = start(&[]);
    let _alice = irc::in_rooms(&server, "alice", &["#theirs"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#mine"]);
    for line in ["NOTICE nobody :hello", "NOTICE #theirs :let me in", "NOTICE #nowhere :anyone?"] {
        send(&mut bob, line);
    }
    settle(&mut bob, "silent");
}

#[test]
fn notice_parse_errors_are_never_answered() {
    let server = start(&[]);
    let mut bob = irc::in_rooms(&server, "bob", &["#mine"]);
    for line in ["NOTICE", "NOTICE #mine", "NOTICE #mine :"] {
        send(&mut bob, line);
    }
    settle(&mut bob, "silent");
}

// ---------------------------------------------------------------------------------------------
// Mixed rooms: netcat and IRC users together
// ---------------------------------------------------------------------------------------------

#[test]
fn netcat_lines_reach_irc_users_as_privmsg_and_ctcp_action() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "JOIN #lobby");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #lobby");
    // The netcat user is in the IRC user's names.
    expect_exact(&mut bob, &num("353", "bob", "= #lobby :alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#lobby :End of /NAMES list"));
    expect_exact(&mut alice, "-- bob joined #lobby");

    // One word: sent as a middle parameter, which means the same as `:hello` (RFC 2812 2.3.1).
    alice.send("hello");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby hello");
    alice.send("hello there, bob");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby :hello there, bob");
    alice.send("/me waves");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby :\u{1}ACTION waves\u{1}");
    alice.send("/msg bob psst");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG bob psst");
    expect_said(&mut alice, "-> *bob* psst");
    alice.send("/msg BOB two words");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG bob :two words");
    expect_said(&mut alice, "-> *bob* two words");
    // The netcat user's view of the IRC user in WHOIS.
    send(&mut bob, "WHOIS alice");
    expect_exact(&mut bob, &num("311", "bob", "alice ~alice 127.0.0.1 * alice"));
    expect_exact(&mut bob, &num("319", "bob", "alice #lobby"));
    expect_exact(&mut bob, &num("312", "bob", "alice irc.test chatd"));
    bob.expect_next(":irc.test 317 bob alice ");
    expect_exact(&mut bob, &num("318", "bob", "alice :End of /WHOIS list"));
    settle(&mut bob, "whois-done");
    netcat_settle(&mut alice);
}

#[test]
fn irc_lines_reach_netcat_users_as_said_action_notice_and_private() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc::in_rooms(&server, "bob", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    send(&mut bob, "PRIVMSG #lobby :hi alice");
    expect_said(&mut alice, "<bob> hi alice");
    send(&mut bob, "PRIVMSG #lobby :\u{1}ACTION dances\u{1}");
    expect_said(&mut alice, "* bob dances");
    send(&mut bob, "NOTICE #lobby :heads up");
    expect_said(&mut alice, "-bob- heads up");
    send(&mut bob, "PRIVMSG alice :psst back");
    expect_said(&mut alice, "*bob* psst back");
    send(&mut bob, "NOTICE alice :private notice");
    expect_said(&mut alice, "-bob- private notice");
    send(&mut bob, "TOPIC #lobby :mixed company");
    expect_exact(&mut alice, "-- bob set the topic of #lobby: mixed company");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 TOPIC #lobby :mixed company");
    // Control characters from IRC (colours with their digits, bold) never reach a terminal.
    send(&mut bob, "PRIVMSG #lobby :\u{3}4red\u{3} and \u{2}bold\u{2} \u{1b}[2J");
    expect_said(&mut alice, "<bob> red and bold [2J");
    settle(&mut bob, "no-echo");
    netcat_settle(&mut alice);
}

#[test]
fn irc_nick_change_and_quit_reach_netcat_users() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc::in_rooms(&server, "bob", &["#lobby"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    expect_exact(&mut alice, "-- carol joined #lobby");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #lobby");
    send(&mut bob, "NICK robert");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 NICK robert");
    expect_exact(&mut alice, "-- bob is now known as robert");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 NICK robert");
    // A netcat user's nick change reaches IRC users as NICK.
    alice.send("/nick alicia");
    expect_exact(&mut alice, "-- You are now known as alicia");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 NICK alicia");
    expect_exact(&mut carol, ":alice!~alice@127.0.0.1 NICK alicia");
    // The old nickname is free again.
    send(&mut bob, "ISON bob robert alice alicia");
    expect_exact(&mut bob, &num("303", "robert", ":robert alicia"));
    send(&mut bob, "QUIT :bye");
    expect_exact(&mut bob, "ERROR :Closing link: (Quit: bye)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    expect_exact(&mut alice, "-- robert quit (quit: bye)");
    expect_exact(&mut carol, ":robert!~u@127.0.0.1 QUIT :Quit: bye");
    // A netcat user's quit reaches IRC users as QUIT.
    alice.send("/quit see you");
    alice.expect_closed();
    expect_exact(&mut carol, ":alicia!~alice@127.0.0.1 QUIT :Quit: see you");
    settle(&mut carol, "end");
}

#[test]
fn long_netcat_line_reaches_irc_split_over_lines_of_at_most_512_bytes() {
    let server = start(&["--max-line", "2000"]);
    let mut alice = server.register("alice");
    let mut bob = Raw::connect(&server);
    bob.send_line("NICK bob");
    bob.send_line("USER u 0 * :Real Name");
    assert_wire_lines(&bob.lines_until(" 376 bob "));
    bob.send_line("JOIN #lobby");
    assert_wire_lines(&bob.lines_until(" 366 bob "));
    alice.expect("-- bob joined #lobby");

    let words: Vec<String> = (0..170).map(|i| format!("word{i:04}")).collect();
    let text = words.join(" ");
    assert!(text.len() > 1500 && text.len() < 2000, "{}", text.len());
    alice.send(&text);
    let lines = bob.lines_until(words.last().unwrap());
    assert_wire_lines(&lines);
    assert!(lines.len() >= 4, "{} lines", lines.len());
    let head = ":alice!~alice@127.0.0.1 PRIVMSG #lobby :";
    let pieces: Vec<String> = lines
        .iter()
        .map(|line| {
            let line = String::from_utf8(line.clone()).unwrap();
            let body = line.strip_suffix("\r\n").unwrap();
            body.strip_prefix(head).unwrap_or_else(|| panic!("not a PRIVMSG from alice: {line:?}")).to_string()
        })
        .collect();
    // Split between words: every word arrives whole, once, in order.
    assert_eq!(pieces.join(" "), text);
    assert!(pieces.iter().all(|p| !p.starts_with(' ') && !p.ends_with(' ')), "{pieces:?}");
}

//! Rooms seen from IRC: JOIN, PART, TOPIC, NAMES, WHO, WHOIS, LIST, MODE queries, the small
//! query commands and AWAY.

use crate::common::irc::{self, VERSION, expect_exact, next, num, send, settle, start};

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

#[test]
fn join_is_echoed_with_names_and_other_members_see_it() {
    let server = start(&[]);
    let mut alice = irc::register(&server, "alice");
    send(&mut alice, "JOIN #room");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 JOIN #room");
    // Whoever opens a new room is its operator.
    expect_exact(&mut alice, &num("353", "alice", "= #room @alice"));
    expect_exact(&mut alice, &num("366", "alice", "#room :End of /NAMES list"));
    settle(&mut alice, "joined");

    let mut bob = irc::register(&server, "bob");
    // Room names fold case: #ROOM is #room, and keeps the spelling it was created with.
    send(&mut bob, "JOIN #ROOM");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#room :End of /NAMES list"));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // Joining a room one is already in says nothing.
    send(&mut bob, "JOIN #room");
    settle(&mut bob, "rejoin");
    settle(&mut alice, "quiet");
    // Invalid room names.
    send(&mut bob, "JOIN #a:b");
    expect_exact(&mut bob, &num("403", "bob", "#a:b :No such channel"));
    send(&mut bob, "JOIN #");
    expect_exact(&mut bob, &num("403", "bob", "# :No such channel"));
}

#[test]
fn join_takes_a_comma_list_and_join_0_parts_every_room() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#a", "#b"]);
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "JOIN #a,#b,#c key1,key2");
    for (room, names) in [("#a", ":@alice bob"), ("#b", ":@alice bob"), ("#c", "@bob")] {
        expect_exact(&mut bob, &format!(":bob!~u@127.0.0.1 JOIN {room}"));
        expect_exact(&mut bob, &num("353", "bob", &format!("= {room} {names}")));
        expect_exact(&mut bob, &num("366", "bob", &format!("{room} :End of /NAMES list")));
    }
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #b");
    send(&mut bob, "JOIN 0");
    for room in ["#a", "#b", "#c"] {
        expect_exact(&mut bob, &format!(":bob!~u@127.0.0.1 PART {room}"));
    }
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #b");
    settle(&mut alice, "parted");
    // bob is in no room now: #c is gone, #a is someone else's.
    send(&mut bob, "NAMES");
    expect_exact(&mut bob, &num("366", "bob", "* :End of /NAMES list"));
    settle(&mut bob, "no-rooms");
    send(&mut bob, "PRIVMSG #a :still here?");
    expect_exact(&mut bob, &num("404", "bob", "#a :Cannot send to channel (join it first)"));
    send(&mut bob, "PRIVMSG #c :gone?");
    expect_exact(&mut bob, &num("401", "bob", "#c :No such nick/channel"));
}

#[test]
fn part_with_a_reason_is_seen_by_others_and_part_of_a_room_not_joined_gets_442() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room", "#other"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut bob, "PART #room :gone fishing");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #room :gone fishing");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #room :gone fishing");
    send(&mut bob, "PART #other");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #other");
    send(&mut bob, "PART #room");
    expect_exact(&mut bob, &num("442", "bob", "#room :You're not on that channel"));
    send(&mut bob, "PART #nowhere");
    expect_exact(&mut bob, &num("442", "bob", "#nowhere :You're not on that channel"));
    settle(&mut alice, "one-part-only");
}

#[test]
fn topic_set_is_seen_by_all_members_and_queried_with_332_333_or_331() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut bob, "TOPIC #room");
    expect_exact(&mut bob, &num("331", "bob", "#room :No topic is set"));
    send(&mut alice, "TOPIC #room :all about rust");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #room :all about rust");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 TOPIC #room :all about rust");
    send(&mut bob, "TOPIC #ROOM");
    expect_exact(&mut bob, &num("332", "bob", "#room :all about rust"));
    let whotime = next(&mut bob);
    let secs = whotime
        .strip_prefix(":irc.test 333 bob #room alice!~u@127.0.0.1 ")
        .unwrap_or_else(|| panic!("bad 333: {whotime:?}"));
    assert!(secs.parse::<u64>().is_ok_and(|s| s > 1_600_000_000), "bad set-at in {whotime:?}");
    // A newcomer gets the topic between the JOIN echo and the names.
    let mut carol = irc::register(&server, "carol");
    send(&mut carol, "JOIN #room");
    expect_exact(&mut carol, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut carol, &num("332", "carol", "#room :all about rust"));
    carol.expect_next(":irc.test 333 carol #room alice!~u@127.0.0.1 ");
    expect_exact(&mut carol, &num("353", "carol", "= #room :@alice bob carol"));
    expect_exact(&mut carol, &num("366", "carol", "#room :End of /NAMES list"));
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    // New rooms are +t: only their operator (alice, who opened it) may change the topic.
    send(&mut bob, "TOPIC #room :");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    // Clearing it.
    send(&mut alice, "TOPIC #room :");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #room :");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 TOPIC #room :");
    send(&mut bob, "TOPIC #room");
    expect_exact(&mut bob, &num("331", "bob", "#room :No topic is set"));
    // Not a member, and no such room.
    let mut dave = irc::register(&server, "dave");
    send(&mut dave, "TOPIC #room :mine now");
    expect_exact(&mut dave, &num("442", "dave", "#room :You're not on that channel"));
    send(&mut dave, "TOPIC #nowhere");
    expect_exact(&mut dave, &num("403", "dave", "#nowhere :No such channel"));
}

#[test]
fn names_who_whois_and_list() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room", "#zeta"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut alice, "TOPIC #room :the topic");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #room :the topic");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 TOPIC #room :the topic");

    // alice opened #room and bob #zeta: each is the operator (@) of that room.
    send(&mut bob, "NAMES #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#room :End of /NAMES list"));
    // Without a parameter: every room the client is in, then one end line for `*`.
    send(&mut bob, "NAMES");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    expect_exact(&mut bob, &num("353", "bob", "= #zeta @bob"));
    expect_exact(&mut bob, &num("366", "bob", "* :End of /NAMES list"));
    send(&mut bob, "NAMES #nowhere");
    expect_exact(&mut bob, &num("366", "bob", "#nowhere :End of /NAMES list"));

    send(&mut bob, "WHO #room");
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test alice H@ :0 Real Name"));
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test bob H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "#room :End of /WHO list"));
    send(&mut bob, "WHO alice");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "alice :End of /WHO list"));
    send(&mut bob, "WHO nobody");
    expect_exact(&mut bob, &num("315", "bob", "nobody :End of /WHO list"));

    send(&mut bob, "WHOIS alice");
    expect_exact(&mut bob, &num("311", "bob", "alice ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut bob, &num("319", "bob", "alice @#room"));
    expect_exact(&mut bob, &num("312", "bob", "alice irc.test chatd"));
    let idle = next(&mut bob);
    let numbers = idle
        .strip_prefix(":irc.test 317 bob alice ")
        .and_then(|rest| rest.strip_suffix(" :seconds idle, signon time"))
        .unwrap_or_else(|| panic!("bad 317: {idle:?}"));
    let (idle_secs, signon) = numbers.split_once(' ').unwrap();
    assert!(idle_secs.parse::<u64>().is_ok_and(|s| s < 60), "{idle:?}");
    assert!(signon.parse::<u64>().is_ok_and(|s| s > 1_600_000_000), "{idle:?}");
    expect_exact(&mut bob, &num("318", "bob", "alice :End of /WHOIS list"));
    // Several rooms, the `WHOIS server nick` form.
    send(&mut alice, "WHOIS irc.test bob");
    expect_exact(&mut alice, &num("311", "alice", "bob ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut alice, &num("319", "alice", "bob :#room @#zeta"));
    expect_exact(&mut alice, &num("312", "alice", "bob irc.test chatd"));
    alice.expect_next(":irc.test 317 alice bob ");
    expect_exact(&mut alice, &num("318", "alice", "bob :End of /WHOIS list"));
    send(&mut bob, "WHOIS nobody");
    expect_exact(&mut bob, &num("401", "bob", "nobody :No such nick/channel"));
    expect_exact(&mut bob, &num("318", "bob", "nobody :End of /WHOIS list"));
    send(&mut bob, "WHOIS");
    expect_exact(&mut bob, &num("431", "bob", ":No nickname given"));

    send(&mut bob, "LIST");
    expect_exact(&mut bob, &num("321", "bob", "Channel :Users  Name"));
    expect_exact(&mut bob, &num("322", "bob", "#lobby 0 :"));
    expect_exact(&mut bob, &num("322", "bob", "#room 2 :the topic"));
    expect_exact(&mut bob, &num("322", "bob", "#zeta 1 :"));
    expect_exact(&mut bob, &num("323", "bob", ":End of /LIST"));
    settle(&mut bob, "end");
}

#[test]
fn who_reply_carries_the_real_name_and_a_netcat_users_is_the_nickname() {
    let server = start(&[]);
    let _carol = server.register("carol");
    let _alice = irc::in_rooms(&server, "alice", &["#lobby"]);
    // In the room: everyone is `+i`, which hides members only from those outside it.
    let mut bob = irc::in_rooms(&server, "bob", &["#lobby"]);
    send(&mut bob, "WHO #lobby");
    expect_exact(&mut bob, &num("352", "bob", "#lobby ~carol 127.0.0.1 irc.test carol H :0 carol"));
    expect_exact(&mut bob, &num("352", "bob", "#lobby ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut bob, &num("352", "bob", "#lobby ~u 127.0.0.1 irc.test bob H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "#lobby :End of /WHO list"));
}

#[test]
fn whois_end_names_the_nick_as_the_client_sent_it() {
    let server = start(&[]);
    let _alice = irc::register(&server, "alice");
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "WHOIS ALICE");
    expect_exact(&mut bob, &num("311", "bob", "alice ~u 127.0.0.1 * :Real Name"));
    bob.expect_next(&num("312", "bob", "alice irc.test chatd"));
    bob.expect_next(":irc.test 317 bob alice ");
    expect_exact(&mut bob, &num("318", "bob", "ALICE :End of /WHOIS list"));
}

#[test]
fn mode_queries_answer_324_329_368_221() {
    let server = start(&[]);
    let mut alice = irc::register(&server, "alice");
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    send(&mut bob, "MODE #room");
    // A new room is +nt.
    expect_exact(&mut bob, &num("324", "bob", "#room +nt"));
    let created = next(&mut bob);
    let secs = created.strip_prefix(":irc.test 329 bob #room ").unwrap_or_else(|| panic!("bad 329: {created:?}"));
    assert!(secs.parse::<u64>().is_ok_and(|s| s > 1_600_000_000), "{created:?}");
    send(&mut bob, "MODE #room b");
    expect_exact(&mut bob, &num("368", "bob", "#room :End of channel ban list"));
    send(&mut bob, "MODE #room +z");
    expect_exact(&mut bob, &num("472", "bob", "z :is unknown mode char to me"));
    send(&mut bob, "MODE #nowhere");
    expect_exact(&mut bob, &num("403", "bob", "#nowhere :No such channel"));
    send(&mut bob, "MODE bob");
    expect_exact(&mut bob, &num("221", "bob", "+i"));
    send(&mut bob, "MODE BOB");
    expect_exact(&mut bob, &num("221", "bob", "+i"));
    // Clients set +i on connect: accepted silently.
    send(&mut bob, "MODE bob +i");
    settle(&mut bob, "mode-i");
    send(&mut bob, "MODE alice");
    expect_exact(&mut bob, &num("502", "bob", ":Can't change mode for other users"));
    settle(&mut alice, "untouched");
}

#[test]
fn ison_userhost_version_time_motd_and_lusers() {
    let server = start(&[]);
    let _alice = server.register("alice");
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "ISON alice nobody BOB");
    expect_exact(&mut bob, &num("303", "bob", ":alice bob"));
    send(&mut bob, "ISON :nobody");
    expect_exact(&mut bob, &num("303", "bob", ":"));
    send(&mut bob, "USERHOST alice bob nobody");
    expect_exact(&mut bob, &num("302", "bob", ":alice=+~alice@127.0.0.1 bob=+~u@127.0.0.1"));
    send(&mut bob, "VERSION");
    expect_exact(&mut bob, &num("351", "bob", &format!("{VERSION} irc.test :a small self-hosted chat daemon")));
    send(&mut bob, "TIME");
    let time = next(&mut bob);
    let stamp = time.strip_prefix(":irc.test 391 bob irc.test ").unwrap_or_else(|| panic!("bad 391: {time:?}"));
    assert!(stamp.len() == 24 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T', "{time:?}");
    send(&mut bob, "MOTD");
    expect_exact(&mut bob, &num("375", "bob", ":- irc.test Message of the day - "));
    expect_exact(&mut bob, &num("372", "bob", ":- Welcome to chatd. Netcat users and IRC users share these rooms."));
    expect_exact(&mut bob, &num("372", "bob", ":- Try: /join #lobby"));
    expect_exact(&mut bob, &num("376", "bob", ":End of /MOTD command."));
    // One more connection that has not registered shows as unknown.
    let mut pending = server.connect();
    send(&mut pending, "NICK pending");
    settle(&mut pending, "known");
    send(&mut bob, "JOIN #extra");
    bob.expect(&num("366", "bob", "#extra :End of /NAMES list"));
    send(&mut bob, "LUSERS");
    expect_exact(&mut bob, &num("251", "bob", ":There are 0 users and 2 invisible on 1 servers"));
    expect_exact(&mut bob, &num("253", "bob", "1 :unknown connection(s)"));
    expect_exact(&mut bob, &num("254", "bob", "2 :channels formed"));
    expect_exact(&mut bob, &num("255", "bob", ":I have 2 clients and 0 servers"));
    expect_exact(&mut bob, &num("265", "bob", "2 2 :Current local users 2, max 2"));
    expect_exact(&mut bob, &num("266", "bob", "2 2 :Current global users 2, max 2"));
    settle(&mut bob, "end");
}

#[test]
fn away_gives_306_and_305_and_private_messages_to_an_away_user_get_301() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut alice, "AWAY :gone to lunch");
    expect_exact(&mut alice, &num("306", "alice", ":You have been marked as being away"));
    send(&mut bob, "PRIVMSG alice :are you there?");
    expect_exact(&mut bob, &num("301", "bob", "alice :gone to lunch"));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG alice :are you there?");
    // Away shows in WHO (G), USERHOST (-) and WHOIS (301).
    send(&mut bob, "WHO alice");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice G :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "alice :End of /WHO list"));
    send(&mut bob, "USERHOST alice");
    expect_exact(&mut bob, &num("302", "bob", "alice=-~u@127.0.0.1"));
    send(&mut bob, "WHOIS alice");
    bob.expect(&num("312", "bob", "alice irc.test chatd"));
    expect_exact(&mut bob, &num("301", "bob", "alice :gone to lunch"));
    bob.expect(&num("318", "bob", "alice :End of /WHOIS list"));
    // A NOTICE is never answered, not even with 301; a room message neither.
    send(&mut bob, "NOTICE alice :just so you know");
    send(&mut bob, "PRIVMSG #room :anyone?");
    settle(&mut bob, "no-301");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 NOTICE alice :just so you know");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room anyone?");
    // Back.
    send(&mut alice, "AWAY");
    expect_exact(&mut alice, &num("305", "alice", ":You are no longer marked as being away"));
    send(&mut alice, "AWAY :");
    expect_exact(&mut alice, &num("305", "alice", ":You are no longer marked as being away"));
    send(&mut bob, "PRIVMSG alice :back?");
    settle(&mut bob, "no-301-any-more");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG alice back?");
}

#[test]
fn a_join_past_the_channel_limit_gets_405_naming_the_channel() {
    let server = start(&[]);
    let mut bob = irc::register(&server, "bob");
    // CHANLIMIT=#:20
    for n in 0..20 {
        irc::join(&mut bob, "bob", &format!("#r{n}"));
    }
    send(&mut bob, "JOIN #one-more");
    expect_exact(&mut bob, &num("405", "bob", "#one-more :You have joined too many channels"));
    settle(&mut bob, "limit");
}

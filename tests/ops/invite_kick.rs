//! JOIN refusals (keys, limits, invite-only, bans), INVITE, KICK, and the room modes that
//! decide who may speak or set the topic.

use crate::common::irc::{self, expect_exact, next, num, send, settle, start};
use crate::common::netcat::{self, expect_said, netcat_settle};

// ---------------------------------------------------------------------------------------------
// JOIN refusals and INVITE
// ---------------------------------------------------------------------------------------------

#[test]
fn key_protected_room_refuses_joins_without_the_key_with_475() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::register(&server, "bob");
    send(&mut alice, "MODE #room +k sesame");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +k sesame");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("475", "bob", "#room :Cannot join channel (+k)"));
    send(&mut bob, "JOIN #room SESAME");
    expect_exact(&mut bob, &num("475", "bob", "#room :Cannot join channel (+k)"));
    // Keys pair with rooms by position.
    send(&mut bob, "JOIN #other,#room sesame");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #other");
    bob.expect(&num("366", "bob", "#other :End of /NAMES list"));
    expect_exact(&mut bob, &num("475", "bob", "#room :Cannot join channel (+k)"));
    send(&mut bob, "JOIN #other,#room x,sesame");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    bob.expect_next(&num("366", "bob", "#room "));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // Netcat: /join #ROOM KEY.
    let mut dan = netcat::register_at_once(&server, "dan");
    dan.send("/join #room");
    expect_exact(&mut dan, "error: #room needs the right key: /join #room KEY");
    dan.send("/join #room wrong");
    expect_exact(&mut dan, "error: #room needs the right key: /join #room KEY");
    dan.send("/join #room sesame");
    expect_exact(&mut dan, "-- You joined #room. 3 here: alice, bob, dan");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    // Without the key, anyone may come in again.
    send(&mut alice, "MODE #room -k");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -k *");
    send(&mut bob, "PART #room");
    bob.expect(":bob!~u@127.0.0.1 PART #room");
    irc::join(&mut bob, "bob", "#room");
    settle(&mut bob, "end");
}

#[test]
fn limit_refuses_joins_to_a_full_room_with_471() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::register(&server, "bob");
    let mut carol = irc::register(&server, "carol");
    let mut dan = netcat::register_at_once(&server, "dan");
    send(&mut alice, "MODE #room +l 2");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +l 2");
    irc::join(&mut bob, "bob", "#room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut carol, "JOIN #room");
    expect_exact(&mut carol, &num("471", "carol", "#room :Cannot join channel (+l)"));
    dan.send("/join #room");
    expect_exact(&mut dan, "error: #room is full");
    // Room is made by someone leaving.
    send(&mut bob, "PART #room");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #room");
    irc::join(&mut carol, "carol", "#room");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("471", "bob", "#room :Cannot join channel (+l)"));
    send(&mut alice, "MODE #room -l");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -l");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 MODE #room -l");
    irc::join(&mut bob, "bob", "#room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 JOIN #room");
    settle(&mut alice, "end");
    settle(&mut carol, "end");
}

#[test]
fn invite_only_room_needs_an_invitation_which_passes_key_limit_and_bans_and_is_used_up() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::register(&server, "bob");
    send(&mut alice, "MODE #room +i");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +i");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("473", "bob", "#room :Cannot join channel (+i)"));
    send(&mut alice, "MODE #room +klb sesame 1 bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +klb sesame 1 bob!*@*");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("474", "bob", "#room :Cannot join channel (+b)"));

    send(&mut alice, "INVITE BOB #ROOM");
    expect_exact(&mut alice, &num("341", "alice", "bob #room"));
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 INVITE bob #room");
    // Banned, no key, full and invite-only: the invitation passes it all.
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    bob.expect_next(&num("366", "bob", "#room "));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // It is used up by the join.
    send(&mut bob, "PART #room");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #room");
    send(&mut bob, "JOIN #room sesame");
    expect_exact(&mut bob, &num("474", "bob", "#room :Cannot join channel (+b)"));

    // Netcat: /invite NICK [#ROOM], and the invitee's /join.
    let mut dan = netcat::register_at_once(&server, "dan");
    dan.send("/join #room");
    expect_exact(&mut dan, "error: #room is invite-only; ask an operator for /invite");
    send(&mut alice, "INVITE dan #room");
    expect_exact(&mut alice, &num("341", "alice", "dan #room"));
    expect_exact(&mut dan, "-- alice invites you to #room (type /join #room)");
    dan.send("/join #room");
    expect_exact(&mut dan, "-- You joined #room. 2 here: alice, dan");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    settle(&mut bob, "end");
}

#[test]
fn invite_errors_401_403_442_443_482_and_461() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::register(&server, "carol");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // In a room without +i any member may invite.
    send(&mut bob, "INVITE carol #room");
    expect_exact(&mut bob, &num("341", "bob", "carol #room"));
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 INVITE carol #room");
    send(&mut bob, "INVITE alice #room");
    expect_exact(&mut bob, &num("443", "bob", "alice #room :is already on channel"));
    send(&mut bob, "INVITE nobody #room");
    expect_exact(&mut bob, &num("401", "bob", "nobody :No such nick/channel"));
    send(&mut carol, "INVITE bob #room");
    expect_exact(&mut carol, &num("442", "carol", "#room :You're not on that channel"));
    send(&mut carol, "INVITE bob #nowhere");
    expect_exact(&mut carol, &num("403", "carol", "#nowhere :No such channel"));
    send(&mut carol, "INVITE bob");
    expect_exact(&mut carol, &num("461", "carol", "INVITE :Not enough parameters"));
    // Under +i only operators invite.
    send(&mut alice, "MODE #room +i");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +i");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room +i");
    send(&mut bob, "INVITE carol #room");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    settle(&mut carol, "nothing-more");
    settle(&mut alice, "nothing-more");
}

// ---------------------------------------------------------------------------------------------
// KICK
// ---------------------------------------------------------------------------------------------

#[test]
fn kick_is_seen_by_everyone_in_the_room_and_the_kicked_may_rejoin() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#room"]);
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":dan!~dan@127.0.0.1 JOIN #room");
    expect_exact(&mut carol, ":dan!~dan@127.0.0.1 JOIN #room");

    send(&mut bob, "KICK #room carol");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    send(&mut alice, "KICK #room CAROL :mind your manners");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":alice!~u@127.0.0.1 KICK #room carol :mind your manners");
    }
    expect_exact(&mut dan, "-- alice kicked carol from #room (mind your manners)");
    server.expect_log(&[" INFO kick ", "by=alice", "nick=carol", "room=#room"]);
    // carol is out: the room does not hear her (+n) and does not list her.
    send(&mut carol, "PRIVMSG #room :hey");
    expect_exact(&mut carol, &num("404", "carol", "#room :Cannot send to channel (join it first)"));
    send(&mut bob, "NAMES #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob dan"));
    bob.expect_next(&num("366", "bob", "#room "));
    // ...and may come back.
    assert_eq!(irc::join(&mut carol, "carol", "#room"), num("353", "carol", "= #room :@alice bob dan carol"));
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    dan.expect("-- carol joined #room");

    // Without a reason, the kicker's nick is the reason; a netcat user can be kicked too.
    send(&mut alice, "KICK #room dan");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":alice!~u@127.0.0.1 KICK #room dan alice");
    }
    expect_exact(&mut dan, "-- alice kicked dan from #room (alice)");
    // dan is out: to him, the room lists none of its members, `+i` (as everyone is at first).
    dan.send("/who #room");
    expect_exact(&mut dan, "-- 0 users in #room");
    send(&mut bob, "NAMES #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob carol"));
    bob.expect_next(&num("366", "bob", "#room "));

    // Errors: no such member, kicker not in the room, no such room, missing nick.
    send(&mut alice, "KICK #room dan");
    expect_exact(&mut alice, &num("441", "alice", "dan #room :They aren't on that channel"));
    send(&mut alice, "KICK #room nobody");
    expect_exact(&mut alice, &num("441", "alice", "nobody #room :They aren't on that channel"));
    let mut out = irc::register(&server, "out");
    send(&mut out, "KICK #room bob");
    expect_exact(&mut out, &num("442", "out", "#room :You're not on that channel"));
    send(&mut out, "KICK #nowhere bob");
    expect_exact(&mut out, &num("403", "out", "#nowhere :No such channel"));
    send(&mut alice, "KICK #room");
    expect_exact(&mut alice, &num("461", "alice", "KICK :Not enough parameters"));
    settle(&mut bob, "end");
    settle(&mut carol, "end");
    netcat_settle(&mut dan);
}

#[test]
fn a_kicked_user_stays_out_of_an_invite_only_room_and_a_banned_one_out_of_any() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut alice, "MODE #room +b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b bob!*@*");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room +b bob!*@*");
    send(&mut alice, "KICK #room bob :banned");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 KICK #room bob banned");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 KICK #room bob banned");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("474", "bob", "#room :Cannot join channel (+b)"));
    send(&mut alice, "MODE #room -b+i bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -b+i bob!*@*");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("473", "bob", "#room :Cannot join channel (+i)"));
    // An invitation taken back by a kick: bob is invited, joins, is kicked, and must be invited
    // again.
    send(&mut alice, "INVITE bob #room");
    expect_exact(&mut alice, &num("341", "alice", "bob #room"));
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 INVITE bob #room");
    irc::join(&mut bob, "bob", "#room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut alice, "KICK #room bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 KICK #room bob alice");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 KICK #room bob alice");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("473", "bob", "#room :Cannot join channel (+i)"));
    settle(&mut alice, "end");
}

// ---------------------------------------------------------------------------------------------
// +m, +t, +n
// ---------------------------------------------------------------------------------------------

#[test]
fn moderated_room_lets_only_operators_and_voiced_members_speak() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":dan!~dan@127.0.0.1 JOIN #room");
    send(&mut alice, "MODE #room +m");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +m");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room +m");
    expect_exact(&mut dan, "-- alice set mode +m on #room");

    send(&mut bob, "PRIVMSG #room :can I talk?");
    let refused = next(&mut bob);
    assert!(refused.starts_with(&num("404", "bob", "#room :Cannot send to channel")), "{refused:?}");
    dan.send("me neither?");
    let refused = next(&mut dan);
    assert_eq!(refused, "error: #room is moderated: only its operators and voiced members may talk");
    // A NOTICE is dropped without a word.
    send(&mut bob, "NOTICE #room :psst");
    settle(&mut bob, "notice-dropped");
    // The operator speaks.
    send(&mut alice, "PRIVMSG #room :order please");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG #room :order please");
    expect_said(&mut dan, "#room <alice> order please");
    // Voiced members speak.
    send(&mut alice, "MODE #room +v bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +v bob");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room +v bob");
    expect_exact(&mut dan, "-- alice set mode +v bob on #room");
    send(&mut bob, "PRIVMSG #room :thanks");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room thanks");
    expect_said(&mut dan, "#room <bob> thanks");
    send(&mut alice, "MODE #room +v dan");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +v dan");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room +v dan");
    expect_exact(&mut dan, "-- alice set mode +v dan on #room");
    dan.send("/me nods");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 PRIVMSG #room :\u{1}ACTION nods\u{1}");
    expect_exact(&mut bob, ":dan!~dan@127.0.0.1 PRIVMSG #room :\u{1}ACTION nods\u{1}");
    // -m: everyone again.
    send(&mut alice, "MODE #room -m-v bob");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room -mv bob");
    send(&mut bob, "PRIVMSG #room :free speech");
    alice.expect(":bob!~u@127.0.0.1 PRIVMSG #room :free speech");
    settle(&mut alice, "end");
    settle(&mut bob, "end");
}

#[test]
fn a_member_refused_under_plus_m_is_not_told_to_join_first() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    send(&mut alice, "MODE #room +m");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +m");
    bob.expect(":alice!~u@127.0.0.1 MODE #room +m");
    dan.expect("-- alice set mode +m on #room");
    send(&mut bob, "PRIVMSG #room :hi");
    let refused = next(&mut bob);
    assert!(refused.starts_with(&num("404", "bob", "#room :")), "{refused:?}");
    assert!(!refused.contains("join it first"), "bob is in #room: {refused:?}");
    dan.send("hi");
    let refused = next(&mut dan);
    assert!(refused.starts_with("error: "), "{refused:?}");
    assert!(!refused.contains("join it first"), "dan is in #room: {refused:?}");
}

#[test]
fn topic_needs_an_operator_under_t_and_anyone_may_set_it_without() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":dan!~dan@127.0.0.1 JOIN #room");
    send(&mut bob, "TOPIC #room :bob's room now");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    dan.send("/topic dan's room now");
    expect_exact(&mut dan, "error: you need to be an operator of #room for that");
    // Reading it is fine.
    send(&mut bob, "TOPIC #room");
    expect_exact(&mut bob, &num("331", "bob", "#room :No topic is set"));
    send(&mut alice, "MODE #room -t");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -t");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room -t");
    expect_exact(&mut dan, "-- alice set mode -t on #room");
    send(&mut bob, "TOPIC #room :anyone's room");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 TOPIC #room :anyone's room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 TOPIC #room :anyone's room");
    expect_exact(&mut dan, "-- bob set the topic of #room: anyone's room");
    dan.send("/topic #room -");
    for client in [&mut alice, &mut bob] {
        expect_exact(client, ":dan!~dan@127.0.0.1 TOPIC #room :");
    }
    expect_exact(&mut dan, "-- dan cleared the topic of #room");
    settle(&mut alice, "end");
}

#[test]
fn no_external_messages_refuses_outsiders_until_minus_n() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    let mut out = irc::register(&server, "out");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    send(&mut out, "PRIVMSG #room :let me in");
    expect_exact(&mut out, &num("404", "out", "#room :Cannot send to channel (join it first)"));
    send(&mut out, "PRIVMSG #lobby :and here?");
    expect_exact(&mut out, &num("404", "out", "#lobby :Cannot send to channel (join it first)"));
    send(&mut alice, "MODE #room -n");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -n");
    expect_exact(&mut dan, "-- alice set mode -n on #room");
    send(&mut out, "PRIVMSG #room :hello from outside");
    expect_exact(&mut alice, ":out!~u@127.0.0.1 PRIVMSG #room :hello from outside");
    expect_said(&mut dan, "#room <out> hello from outside");
    settle(&mut out, "no-echo");
    // +m still applies to outsiders.
    send(&mut alice, "MODE #room +m");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +m");
    send(&mut out, "PRIVMSG #room :again");
    out.expect_next(&num("404", "out", "#room :Cannot send to channel"));
    settle(&mut alice, "end");
    dan.expect("-- alice set mode +m on #room");
    netcat_settle(&mut dan);
}

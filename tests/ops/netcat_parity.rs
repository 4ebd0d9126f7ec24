//! Netcat users run rooms too: /mode, /kick and /invite, seen by IRC users, and IRC operators
//! acting on netcat users.

use crate::common::irc::{self, expect_exact, num, send, settle, start};
use crate::common::netcat::{self, netcat_settle};

// ---------------------------------------------------------------------------------------------
// Netcat parity
// ---------------------------------------------------------------------------------------------

#[test]
fn netcat_users_run_rooms_with_slash_mode_kick_and_invite_and_irc_users_see_it() {
    let server = start(&[]);
    let mut alice = netcat::in_rooms(&server, "alice", &["#r"]);
    let mut bob = netcat::in_rooms(&server, "bob", &["#r"]);
    let mut erin = irc::in_rooms(&server, "erin", &["#r"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    expect_exact(&mut alice, "-- bob joined #r");
    expect_exact(&mut alice, "-- erin joined #r");
    expect_exact(&mut bob, "-- erin joined #r");

    alice.send("/mode");
    expect_exact(&mut alice, "-- Modes of #r: +nt");
    bob.send("/mode +m");
    expect_exact(&mut bob, "error: you need to be an operator of #r for that");
    bob.send("/kick alice");
    expect_exact(&mut bob, "error: you need to be an operator of #r for that");
    alice.send("/mode +o bob");
    expect_exact(&mut alice, "-- alice set mode +o bob on #r");
    expect_exact(&mut bob, "-- alice set mode +o bob on #r");
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r +o bob");
    server.expect_log(&[" INFO mode ", "nick=alice", "room=#r", "changes=\"+o bob\""]);
    bob.send("/who");
    expect_exact(&mut bob, "-- 3 users in #r: @alice, @bob, erin");
    bob.send("/mode #r -o+v bob bob");
    expect_exact(&mut bob, "-- bob set mode -o+v bob bob on #r");
    expect_exact(&mut alice, "-- bob set mode -o+v bob bob on #r");
    expect_exact(&mut erin, ":bob!~bob@127.0.0.1 MODE #r -o+v bob bob");
    bob.send("/who #r");
    expect_exact(&mut bob, "-- 3 users in #r: @alice, +bob, erin");

    // A key, and /join #ROOM KEY.
    alice.send("/mode #r +k sesame");
    expect_exact(&mut alice, "-- alice set mode +k sesame on #r");
    expect_exact(&mut bob, "-- alice set mode +k sesame on #r");
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r +k sesame");
    alice.send("/mode");
    expect_exact(&mut alice, "-- Modes of #r: +ntk sesame");
    let mut carol = netcat::register_at_once(&server, "carol");
    expect_exact(&mut alice, "-- carol joined #lobby");
    expect_exact(&mut bob, "-- carol joined #lobby");
    carol.send("/mode #r");
    expect_exact(&mut carol, "-- Modes of #r: +ntk *");
    carol.send("/join #r");
    expect_exact(&mut carol, "error: #r needs the right key: /join #r KEY");
    carol.send("/join #r sesame");
    expect_exact(&mut carol, "-- You joined #r. 4 here: alice, bob, erin, carol");
    expect_exact(&mut alice, "-- carol joined #r");
    expect_exact(&mut bob, "-- carol joined #r");
    expect_exact(&mut erin, ":carol!~carol@127.0.0.1 JOIN #r");

    // /kick with a reason, seen by everyone including the kicked.
    alice.send("/kick carol too noisy");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- alice kicked carol from #r (too noisy)");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 KICK #r carol :too noisy");
    server.expect_log(&[" INFO kick ", "by=alice", "nick=carol", "room=#r"]);

    // +i and /invite.
    alice.send("/mode +i");
    for client in [&mut alice, &mut bob] {
        expect_exact(client, "-- alice set mode +i on #r");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r +i");
    carol.send("/join #r sesame");
    expect_exact(&mut carol, "error: #r is invite-only; ask an operator for /invite");
    bob.send("/invite carol");
    expect_exact(&mut bob, "error: you need to be an operator of #r for that");
    alice.send("/invite carol");
    expect_exact(&mut alice, "-- You invited carol to #r");
    expect_exact(&mut carol, "-- alice invites you to #r (type /join #r)");
    carol.send("/join #r");
    expect_exact(&mut carol, "-- You joined #r. 4 here: alice, bob, erin, carol");
    for client in [&mut alice, &mut bob] {
        expect_exact(client, "-- carol joined #r");
    }
    expect_exact(&mut erin, ":carol!~carol@127.0.0.1 JOIN #r");
    // An IRC operator's INVITE reaches a netcat user the same way (checked above); the other way
    // round, a netcat operator's invitation reaches an IRC user as INVITE.
    let mut fred = irc::register(&server, "fred");
    alice.send("/invite fred #r");
    expect_exact(&mut alice, "-- You invited fred to #r");
    expect_exact(&mut fred, ":alice!~alice@127.0.0.1 INVITE fred #r");

    // Full and banned.
    alice.send("/mode -i+l 4");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- alice set mode -i+l 4 on #r");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r -i+l 4");
    let mut dave = netcat::register_at_once(&server, "dave");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- dave joined #lobby");
    }
    dave.send("/join #r sesame");
    expect_exact(&mut dave, "error: #r is full");
    alice.send("/mode +b-l dave");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- alice set mode +b-l dave!*@* on #r");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r +b-l dave!*@*");
    dave.send("/join #r sesame");
    expect_exact(&mut dave, "error: you are banned from #r");
    alice.send("/mode b");
    expect_exact(&mut alice, "-- Bans in #r: dave!*@*");
    alice.send("/mode -b dave!*@*");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- alice set mode -b dave!*@* on #r");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r -b dave!*@*");
    alice.send("/mode #r b");
    expect_exact(&mut alice, "-- Bans in #r");

    // Errors.
    alice.send("/kick nobody");
    expect_exact(&mut alice, "error: nobody is not in #r");
    alice.send("/invite carol");
    expect_exact(&mut alice, "error: carol is already in #r");
    alice.send("/invite nobody");
    expect_exact(&mut alice, "error: no such nick: nobody (see /users)");
    alice.send("/mode +x");
    expect_exact(&mut alice, "error: unknown mode x");
    alice.send("/mode +l");
    expect_exact(&mut alice, "error: mode l needs a value (see /help mode)");
    alice.send("/mode +o dave");
    expect_exact(&mut alice, "error: dave is not in #r");
    alice.send("/kick");
    expect_exact(&mut alice, "error: wrong arguments for /kick (usage: /kick [#ROOM] NICK [REASON])");
    alice.send("/invite");
    expect_exact(&mut alice, "error: wrong arguments for /invite (usage: /invite NICK [#ROOM])");
    dave.send("/kick #r bob");
    expect_exact(&mut dave, "error: you are not in #r");

    // /kick #ROOM NICK without a reason: the kicker's nick.
    alice.send("/kick #r bob");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- alice kicked bob from #r (alice)");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 KICK #r bob alice");
    settle(&mut erin, "end");
    settle(&mut fred, "end");
    netcat_settle(&mut bob);
    netcat_settle(&mut carol);
}

#[test]
fn an_irc_operator_kicks_and_sets_modes_for_netcat_users() {
    let server = start(&[]);
    let mut erin = irc::in_rooms(&server, "erin", &["#r"]);
    let mut bob = netcat::in_rooms(&server, "bob", &["#r"]);
    expect_exact(&mut erin, ":bob!~bob@127.0.0.1 JOIN #r");
    send(&mut erin, "MODE #r +o bob");
    expect_exact(&mut erin, ":erin!~u@127.0.0.1 MODE #r +o bob");
    expect_exact(&mut bob, "-- erin set mode +o bob on #r");
    bob.send("/mode -o erin");
    expect_exact(&mut bob, "-- bob set mode -o erin on #r");
    expect_exact(&mut erin, ":bob!~bob@127.0.0.1 MODE #r -o erin");
    send(&mut erin, "KICK #r bob");
    expect_exact(&mut erin, &num("482", "erin", "#r :You're not channel operator"));
    bob.send("/kick erin bye now");
    expect_exact(&mut bob, "-- bob kicked erin from #r (bye now)");
    expect_exact(&mut erin, ":bob!~bob@127.0.0.1 KICK #r erin :bye now");
    settle(&mut erin, "end");
    netcat_settle(&mut bob);
}

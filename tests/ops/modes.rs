//! Who runs a room, and MODE: room flags, operator and voice status, bans, and how mode
//! changes are announced on the wire.

use crate::common::Client;
use crate::common::irc::{self, expect_exact, next, num, prefix, send, settle, start};
use crate::common::netcat::{self, netcat_settle};

// ---------------------------------------------------------------------------------------------
// Who runs a room
// ---------------------------------------------------------------------------------------------

#[test]
fn the_first_member_of_a_new_room_runs_it_but_nobody_runs_the_default_room() {
    let server = start(&[]);
    // The default room, empty until now: its first member gets no @, and it is +n only.
    let mut bob = irc::register(&server, "bob");
    assert_eq!(irc::join(&mut bob, "bob", "#lobby"), num("353", "bob", "= #lobby bob"));
    send(&mut bob, "MODE #lobby");
    expect_exact(&mut bob, &num("324", "bob", "#lobby +n"));
    bob.expect_next(":irc.test 329 bob #lobby ");
    send(&mut bob, "MODE #lobby +m");
    expect_exact(&mut bob, &num("482", "bob", "#lobby :You're not channel operator"));
    // Without +t anyone may set its topic.
    send(&mut bob, "TOPIC #lobby :open to all");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 TOPIC #lobby :open to all");
    let mut alice = netcat::register_at_once(&server, "alice");
    expect_exact(&mut alice, "-- Topic of #lobby: open to all");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 JOIN #lobby");
    alice.send("/who");
    expect_exact(&mut alice, "-- 2 users in #lobby: alice, bob");
    alice.send("/mode");
    expect_exact(&mut alice, "-- Modes of #lobby: +n");
    alice.send("/kick bob");
    expect_exact(&mut alice, "error: you need to be an operator of #lobby for that");

    // A new room: its opener runs it, and it starts +nt.
    assert_eq!(irc::join(&mut bob, "bob", "#new"), num("353", "bob", "= #new @bob"));
    send(&mut bob, "MODE #new");
    expect_exact(&mut bob, &num("324", "bob", "#new +nt"));
    bob.expect_next(":irc.test 329 bob #new ");
    let mut carol = irc::register(&server, "carol");
    assert_eq!(irc::join(&mut carol, "carol", "#new"), num("353", "carol", "= #new :@bob carol"));
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #new");
    send(&mut bob, "MODE #new +im");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 MODE #new +im");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 MODE #new +im");
    // The operator leaving hands nothing on.
    send(&mut bob, "PART #new");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #new");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 PART #new");
    send(&mut carol, "NAMES #new");
    expect_exact(&mut carol, &num("353", "carol", "= #new carol"));
    expect_exact(&mut carol, &num("366", "carol", "#new :End of /NAMES list"));
    send(&mut carol, "MODE #new +m");
    expect_exact(&mut carol, &num("482", "carol", "#new :You're not channel operator"));
    // Once empty the room is gone (+i with it); whoever opens it again runs it, with fresh modes.
    send(&mut carol, "PART #new");
    expect_exact(&mut carol, ":carol!~u@127.0.0.1 PART #new");
    assert_eq!(irc::join(&mut carol, "carol", "#new"), num("353", "carol", "= #new @carol"));
    send(&mut carol, "MODE #new");
    expect_exact(&mut carol, &num("324", "carol", "#new +nt"));
    carol.expect_next(":irc.test 329 carol #new ");
    // A netcat user opening a room runs it too.
    alice.send("/join #nc");
    expect_exact(&mut alice, "-- You joined #nc. 1 here: alice");
    alice.send("/who");
    expect_exact(&mut alice, "-- 1 user in #nc: @alice");
    settle(&mut bob, "end");
    settle(&mut carol, "end");
}

#[test]
fn names_and_who_show_at_and_plus_and_multi_prefix_shows_both() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::register_with(&server, "carol", "multi-prefix");
    irc::join(&mut carol, "carol", "#room");
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    expect_exact(&mut alice, &format!(":{} JOIN #room", prefix("bob")));
    expect_exact(&mut alice, &format!(":{} JOIN #room", prefix("carol")));
    expect_exact(&mut bob, &format!(":{} JOIN #room", prefix("carol")));
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, &format!(":{} JOIN #room", netcat::prefix("dan")));
    }
    send(&mut alice, "MODE #room +vv alice bob");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #room +vv alice bob");
    }
    expect_exact(&mut dan, "-- alice set mode +vv alice bob on #room");

    // Without multi-prefix: the highest status only.
    send(&mut bob, "NAMES #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice +bob carol dan"));
    expect_exact(&mut bob, &num("366", "bob", "#room :End of /NAMES list"));
    send(&mut bob, "WHO #room");
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test alice H@ :0 Real Name"));
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test bob H+ :0 Real Name"));
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test carol H :0 Real Name"));
    expect_exact(&mut bob, &num("352", "bob", "#room ~dan 127.0.0.1 irc.test dan H :0 dan"));
    expect_exact(&mut bob, &num("315", "bob", "#room :End of /WHO list"));
    // With multi-prefix: every status, @ before +.
    send(&mut carol, "NAMES #room");
    expect_exact(&mut carol, &num("353", "carol", "= #room :@+alice +bob carol dan"));
    expect_exact(&mut carol, &num("366", "carol", "#room :End of /NAMES list"));
    send(&mut carol, "WHO #room");
    expect_exact(&mut carol, &num("352", "carol", "#room ~u 127.0.0.1 irc.test alice H@+ :0 Real Name"));
    expect_exact(&mut carol, &num("352", "carol", "#room ~u 127.0.0.1 irc.test bob H+ :0 Real Name"));
    expect_exact(&mut carol, &num("352", "carol", "#room ~u 127.0.0.1 irc.test carol H :0 Real Name"));
    expect_exact(&mut carol, &num("352", "carol", "#room ~dan 127.0.0.1 irc.test dan H :0 dan"));
    expect_exact(&mut carol, &num("315", "carol", "#room :End of /WHO list"));
    // The names on JOIN carry the prefixes too.
    let mut erin = irc::register_with(&server, "erin", "multi-prefix");
    assert_eq!(irc::join(&mut erin, "erin", "#room"), num("353", "erin", "= #room :@+alice +bob carol dan erin"));
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":erin!~u@127.0.0.1 JOIN #room");
    }
    // A WHO for a nickname is about no room: no status.
    send(&mut carol, "WHO alice");
    expect_exact(&mut carol, &num("352", "carol", "* ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut carol, &num("315", "carol", "alice :End of /WHO list"));
    // Netcat's /who shows the highest status.
    dan.expect("-- erin joined #room");
    dan.send("/who");
    expect_exact(&mut dan, "-- 5 users in #room: @alice, +bob, carol, dan, erin");
    send(&mut alice, "MODE #room -v alice");
    for client in [&mut alice, &mut bob, &mut carol, &mut erin] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #room -v alice");
    }
    expect_exact(&mut dan, "-- alice set mode -v alice on #room");
    send(&mut carol, "NAMES #room");
    expect_exact(&mut carol, &num("353", "carol", "= #room :@alice +bob carol dan erin"));
    expect_exact(&mut carol, &num("366", "carol", "#room :End of /NAMES list"));
    settle(&mut bob, "end");
}

// ---------------------------------------------------------------------------------------------
// MODE
// ---------------------------------------------------------------------------------------------

#[test]
fn mode_flags_are_changed_by_operators_announced_to_the_room_and_refused_to_others() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut dan = netcat::in_rooms(&server, "dan", &["#room"]);
    let mut out = irc::register(&server, "out");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":dan!~dan@127.0.0.1 JOIN #room");

    // Not an operator: refused, nothing changes, nobody is told.
    send(&mut bob, "MODE #room +m");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    send(&mut out, "MODE #room -t");
    expect_exact(&mut out, &num("482", "out", "#room :You're not channel operator"));

    send(&mut alice, "MODE #room +im");
    for client in [&mut alice, &mut bob] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #room +im");
    }
    expect_exact(&mut dan, "-- alice set mode +im on #room");
    server.expect_log(&[" INFO mode ", "nick=alice", "room=#room", "changes=+im"]);
    send(&mut bob, "MODE #room");
    expect_exact(&mut bob, &num("324", "bob", "#room +imnt"));
    bob.expect_next(":irc.test 329 bob #room ");
    // Setting what is already set announces nothing.
    send(&mut alice, "MODE #room +i");
    settle(&mut alice, "no-change");
    // Signs switch within one change; parameters follow in order.
    send(&mut alice, "MODE #room -i+kl-m s3cret 5");
    for client in [&mut alice, &mut bob] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #room -i+kl-m s3cret 5");
    }
    expect_exact(&mut dan, "-- alice set mode -i+kl-m s3cret 5 on #room");
    // Members see the key; outsiders see that there is one.
    send(&mut bob, "MODE #room");
    expect_exact(&mut bob, &num("324", "bob", "#room +ntkl s3cret 5"));
    bob.expect_next(":irc.test 329 bob #room ");
    send(&mut out, "MODE #room");
    expect_exact(&mut out, &num("324", "out", "#room +ntkl * 5"));
    out.expect_next(":irc.test 329 out #room ");
    dan.send("/mode #room");
    expect_exact(&mut dan, "-- Modes of #room: +ntkl s3cret 5");
    send(&mut alice, "MODE #room -lk");
    for client in [&mut alice, &mut bob] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #room -lk *");
    }
    expect_exact(&mut dan, "-- alice set mode -lk * on #room");
    send(&mut alice, "MODE #room -nt");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -nt");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #room -nt");
    expect_exact(&mut dan, "-- alice set mode -nt on #room");
    send(&mut alice, "MODE #room");
    expect_exact(&mut alice, &num("324", "alice", "#room +"));
    alice.expect_next(":irc.test 329 alice #room ");

    // Errors.
    send(&mut alice, "MODE #room +y");
    expect_exact(&mut alice, &num("472", "alice", "y :is unknown mode char to me"));
    // A missing parameter is a missing parameter (461) ...
    for change in ["+o", "+v", "+k", "+l"] {
        send(&mut alice, &format!("MODE #room {change}"));
        expect_exact(&mut alice, &num("461", "alice", "MODE :Not enough parameters"));
    }
    // ... one of the wrong form is ERR_INVALIDMODEPARAM (696), naming it (modern IRC).
    for limit in ["zero", "0", "-5"] {
        send(&mut alice, &format!("MODE #room +l {limit}"));
        let why = "the limit must be a positive whole number";
        expect_exact(&mut alice, &num("696", "alice", &format!("#room l {limit} :{why}")));
    }
    // A key longer than 23 bytes, with a comma, a space or empty: the same.
    let long = "k".repeat(24);
    send(&mut alice, &format!("MODE #room +k {long}"));
    expect_exact(&mut alice, &num("696", "alice", "#room k * :a key has at most 23 bytes"));
    send(&mut alice, "MODE #room +k a,b");
    expect_exact(&mut alice, &num("696", "alice", "#room k * :a key cannot contain a comma"));
    send(&mut alice, "MODE #room +k :a b");
    expect_exact(&mut alice, &num("696", "alice", "#room k * :must be one word without control characters"));
    send(&mut alice, "MODE #room +k :");
    expect_exact(&mut alice, &num("696", "alice", "#room k * :a key cannot be empty"));
    send(&mut alice, "MODE #nowhere +m");
    expect_exact(&mut alice, &num("403", "alice", "#nowhere :No such channel"));
    settle(&mut alice, "errors");
    settle(&mut bob, "saw-no-errors");
    netcat_settle(&mut dan);
}

#[test]
fn mode_o_and_v_need_a_member_and_operator_status_can_be_given_and_taken() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#room"]);
    let _out = irc::register(&server, "out");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");

    // One line, several changes; nicks are shown as their owners spell them.
    send(&mut alice, "MODE #room +o-v+v BOB carol carol");
    // -v of someone not voiced changes nothing and is left out.
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #room +ov bob carol");
    }
    // bob runs the room now.
    send(&mut bob, "MODE #room -v carol");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":bob!~u@127.0.0.1 MODE #room -v carol");
    }
    send(&mut bob, "MODE #room -o alice");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":bob!~u@127.0.0.1 MODE #room -o alice");
    }
    send(&mut alice, "MODE #room +o alice");
    expect_exact(&mut alice, &num("482", "alice", "#room :You're not channel operator"));
    send(&mut bob, "NAMES #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :alice @bob carol"));
    bob.expect_next(&num("366", "bob", "#room "));
    // Targets must be in the room; a bad one fails alone.
    send(&mut bob, "MODE #room +o out");
    expect_exact(&mut bob, &num("441", "bob", "out #room :They aren't on that channel"));
    send(&mut bob, "MODE #room +vo nobody carol");
    expect_exact(&mut bob, &num("401", "bob", "nobody :No such nick/channel"));
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":bob!~u@127.0.0.1 MODE #room +o carol");
    }
    // Giving what someone has announces nothing.
    send(&mut bob, "MODE #room +o carol");
    settle(&mut bob, "no-change");
    // An operator may step down.
    send(&mut carol, "MODE #room -o carol");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":carol!~u@127.0.0.1 MODE #room -o carol");
    }
    // Status belongs to the person, not the nickname.
    send(&mut bob, "NICK robert");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":bob!~u@127.0.0.1 NICK robert");
    }
    send(&mut carol, "NAMES #room");
    expect_exact(&mut carol, &num("353", "carol", "= #room :alice @robert carol"));
    carol.expect_next(&num("366", "carol", "#room "));
    send(&mut bob, "MODE #room +v alice");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":robert!~u@127.0.0.1 MODE #room +v alice");
    }
    // A newcomer with bob's old nickname gets nothing of his.
    let mut newbob = irc::register(&server, "bob");
    assert_eq!(irc::join(&mut newbob, "bob", "#room"), num("353", "bob", "= #room :+alice @robert carol bob"));
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":bob!~u@127.0.0.1 JOIN #room");
    }
    send(&mut newbob, "MODE #room +m");
    expect_exact(&mut newbob, &num("482", "bob", "#room :You're not channel operator"));
    settle(&mut alice, "end");
    settle(&mut carol, "end");
}

#[test]
fn bans_are_completed_listed_matched_as_globs_and_refuse_joins_with_474() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::register(&server, "bob");
    let mut carol = irc::register(&server, "carol");
    let mut dan = netcat::register_at_once(&server, "dan");

    send(&mut bob, "MODE #room b");
    expect_exact(&mut bob, &num("368", "bob", "#room :End of channel ban list"));
    send(&mut alice, "MODE #room +b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b bob!*@*");
    server.expect_log(&[" INFO mode ", "nick=alice", "room=#room", "changes=\"+b bob!*@*\""]);
    send(&mut alice, "MODE #room +b C?ROL");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b C?ROL!*@*");
    send(&mut alice, "MODE #room +b *!~dan@*");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b *!~dan@*");
    // The same mask again, in another case: nothing new.
    send(&mut alice, "MODE #room +b BOB!*@*");
    settle(&mut alice, "duplicate");

    // Anyone may list the bans, in the order they were set.
    for list in ["MODE #room b", "MODE #room +b"] {
        send(&mut bob, list);
        // Each with who set it and when (Unix seconds).
        for mask in ["bob!*@*", "C?ROL!*@*", "*!~dan@*"] {
            bob.expect_next(&num("367", "bob", &format!("#room {mask} alice!~u@127.0.0.1 ")));
        }
        expect_exact(&mut bob, &num("368", "bob", "#room :End of channel ban list"));
    }
    dan.send("/mode #room b");
    expect_exact(&mut dan, "-- Bans in #room: bob!*@*, C?ROL!*@*, *!~dan@*");

    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("474", "bob", "#room :Cannot join channel (+b)"));
    send(&mut carol, "JOIN #ROOM");
    expect_exact(&mut carol, &num("474", "carol", "#room :Cannot join channel (+b)"));
    dan.send("/join #room");
    expect_exact(&mut dan, "error: you are banned from #room");
    // A ban on a nickname follows the nickname.
    send(&mut carol, "NICK karol");
    expect_exact(&mut carol, ":carol!~u@127.0.0.1 NICK karol");
    irc::join(&mut carol, "karol", "#room");
    expect_exact(&mut alice, ":karol!~u@127.0.0.1 JOIN #room");
    // A ban set on someone already inside does not remove them, but silences them.
    send(&mut alice, "MODE #room +b karol");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b karol!*@*");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 MODE #room +b karol!*@*");
    send(&mut carol, "PRIVMSG #room :still here");
    expect_exact(&mut carol, &num("404", "karol", "#room :Cannot send to channel (+b)"));

    // Lifting a ban, named as it was given.
    send(&mut alice, "MODE #room -b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -b bob!*@*");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 MODE #room -b bob!*@*");
    send(&mut alice, "MODE #room -b nobody");
    settle(&mut alice, "not-banned");
    irc::join(&mut bob, "bob", "#room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 JOIN #room");
    // Only operators set bans.
    send(&mut bob, "MODE #room +b dan");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    settle(&mut alice, "end");
    settle(&mut carol, "end");
    netcat_settle(&mut dan);
}

// ---------------------------------------------------------------------------------------------
// Mode lines on the wire
// ---------------------------------------------------------------------------------------------

/// The ban masks listed by `MODE room b`.
/// The masks of a room's ban list (367: `<channel> <mask> <set by> <set at>`), in order.
fn ban_list(client: &mut Client, nick: &str, room: &str) -> Vec<String> {
    send(client, &format!("MODE {room} b"));
    let item = format!(":irc.test 367 {nick} {room} ");
    let mut masks = Vec::new();
    loop {
        let line = next(client);
        if let Some(rest) = line.strip_prefix(&item) {
            let fields: Vec<&str> = rest.split(' ').collect();
            assert_eq!(fields.len(), 3, "{line:?}");
            assert!(fields[2].parse::<u64>().is_ok(), "{line:?}");
            masks.push(fields[0].to_string());
        } else {
            assert_eq!(line, num("368", nick, &format!("{room} :End of channel ban list")));
            return masks;
        }
    }
}

#[test]
fn mode_announcements_fit_in_512_bytes_and_tell_exactly_what_was_set() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // Six bans (MODES=6) of complete 80-byte masks: a 505-byte request, legal on the wire.
    let masks: Vec<String> = (0..6).map(|i| format!("*!*@host{i}.{}.example.org", "h".repeat(58))).collect();
    assert!(masks.iter().all(|m| m.len() == 80));
    let request = format!("MODE #room +bbbbbb {}", masks.join(" "));
    assert!(request.len() + 2 <= 512, "{}", request.len());
    send(&mut alice, &request);
    // Once alice's own PING is answered, the broker has queued the announcement to bob too.
    irc::lines_until_pong(&mut alice, "done");
    let told = irc::lines_until_pong(&mut bob, "told");
    let mut announced = Vec::new();
    for line in &told {
        assert!(line.len() + 2 <= 512, "{} bytes: {line:?}", line.len() + 2);
        let rest = line.strip_prefix(":alice!~u@127.0.0.1 MODE #room +").unwrap_or_else(|| panic!("{line:?}"));
        announced.extend(rest.split(' ').skip(1).map(|m| m.trim_start_matches(':').to_string()));
    }
    assert_eq!(announced, ban_list(&mut bob, "bob", "#room"), "announced bans differ from the room's");
    assert_eq!(announced, masks);
}

#[test]
fn mode_parameters_with_spaces_never_become_masks_or_nicks() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    send(&mut alice, "MODE #room +b :two words");
    send(&mut alice, "MODE #room +o :bob x");
    // Refused with 696, the parameter shown as `*`: a middle parameter cannot hold a space.
    let why = "must be one word without control characters";
    expect_exact(&mut alice, &num("696", "alice", &format!("#room b * :{why}")));
    expect_exact(&mut alice, &num("696", "alice", &format!("#room o * :{why}")));
    settle(&mut alice, "refused");
    let masks = ban_list(&mut alice, "alice", "#room");
    assert!(masks.iter().all(|m| !m.contains(' ')), "{masks:?}");
}

#[test]
fn one_mode_line_lists_the_bans_at_most_once() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    send(&mut alice, "MODE #room +b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b bob!*@*");
    send(&mut alice, "MODE #room +mbbbb");
    let lines = irc::lines_until_pong(&mut alice, "listed");
    let ends = lines.iter().filter(|l| l.starts_with(&num("368", "alice", "#room "))).count();
    assert_eq!(ends, 1, "{lines:#?}");
    assert!(lines.contains(&":alice!~u@127.0.0.1 MODE #room +m".to_string()), "{lines:#?}");
}

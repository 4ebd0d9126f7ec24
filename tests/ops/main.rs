mod common;

// Channel operators, room modes, KICK/INVITE, server operators (OPER/KILL), IRCv3 capabilities
// (multi-prefix, server-time) and room history, end to end: the real binary over real TCP, in
// both dialects where a feature exists in both.
//
// Waiting is always on a line. "Nothing else arrived" is checked with a PING sent after the fact
// (IRC: the server handles one client's lines in order, so the very next line must be its PONG)
// or with `/help me` (netcat: the very next line must be its answer).

use common::irc::{expect_exact, next, num, prefix, send, settle, start};
use common::{Client, Server, expect_said, netcat_settle};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a netcat user appears to come from.
fn nc_prefix(nick: &str) -> String {
    format!("{nick}!~{nick}@127.0.0.1")
}

/// Registers an IRC client, requesting `caps` (space separated; none when empty), and returns it
/// once the end of the MOTD has arrived.
fn irc_register_with(server: &Server, nick: &str, caps: &str) -> Client {
    let mut client = server.connect();
    send(&mut client, "CAP LS 302");
    send(&mut client, &format!("NICK {nick}"));
    send(&mut client, "USER u 0 * :Real Name");
    expect_exact(&mut client, ":irc.test CAP * LS :multi-prefix server-time");
    if !caps.is_empty() {
        send(&mut client, &format!("CAP REQ :{caps}"));
        client.expect_next(&format!(":irc.test CAP {nick} ACK "));
    }
    send(&mut client, "CAP END");
    client.expect(&num("376", nick, ":End of /MOTD command."));
    client
}

fn irc_register(server: &Server, nick: &str) -> Client {
    irc_register_with(server, nick, "")
}

/// Sends `JOIN room` and consumes the echo, the topic and the names, returning the 353 line.
fn irc_join(client: &mut Client, nick: &str, room: &str) -> String {
    send(client, &format!("JOIN {room}"));
    expect_exact(client, &format!(":{} JOIN {room}", prefix(nick)));
    let names = client.expect(&format!(":irc.test 353 {nick} = {room} "));
    expect_exact(client, &num("366", nick, &format!("{room} :End of /NAMES list")));
    names
}

/// `irc_register` and then `JOIN` each of `rooms`.
fn irc_in_rooms(server: &Server, nick: &str, rooms: &[&str]) -> Client {
    let mut client = irc_register(server, nick);
    for room in rooms {
        irc_join(&mut client, nick, room);
    }
    client
}

/// Registers a netcat user, returning once it is in the default room. The nickname goes out at
/// once: a first line that is no IRC command makes the connection netcat without the wait for
/// the greeting.
fn nc_register(server: &Server, nick: &str) -> Client {
    let mut client = server.connect();
    client.send(nick);
    client.expect_next("-- Welcome to irc.test ");
    expect_exact(&mut client, "-- Choose a nickname:");
    client.expect_next(&format!("-- Hello {nick}! "));
    client.expect_next("-- You joined #lobby. ");
    client
}

/// A netcat user in the default room, then in each of `rooms` (which it must be able to join).
fn nc_in_rooms(server: &Server, nick: &str, rooms: &[&str]) -> Client {
    let mut client = nc_register(server, nick);
    for room in rooms {
        client.send(&format!("/join {room}"));
        client.expect_next(&format!("-- You joined {room}. "));
    }
    client
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Splits `@time=YYYY-MM-DDTHH:MM:SS.mmmZ rest` into the stamp (as milliseconds since the epoch),
/// the stamp as written, and the rest of the line. Fails on any other shape.
fn time_tagged(line: &str) -> (u64, String, String) {
    let (tag, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no tag in {line:?}"));
    let stamp = tag.strip_prefix("@time=").unwrap_or_else(|| panic!("no @time= tag in {line:?}"));
    let b = stamp.as_bytes();
    let shape = b.len() == 24
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && b[10] == b'T'
        && [13, 16].iter().all(|&i| b[i] == b':')
        && b[19] == b'.'
        && b[23] == b'Z'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22].iter().all(|&i| b[i].is_ascii_digit());
    assert!(shape, "bad time stamp in {line:?}");
    let n = |from: usize, to: usize| stamp[from..to].parse::<i64>().unwrap();
    let days = days_from_civil(n(0, 4), n(5, 7), n(8, 10));
    let secs = days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19);
    let millis = u64::try_from(secs * 1000 + n(20, 23)).unwrap();
    (millis, stamp.to_string(), rest.to_string())
}

/// The next line must be `@time=... ` followed by exactly `rest`, with a time between `since`
/// (milliseconds since the epoch) and now; returns the stamp as written.
fn expect_tagged(client: &mut Client, rest: &str, since: u64) -> String {
    let line = next(client);
    let until = now_millis();
    let (at, stamp, body) = time_tagged(&line);
    assert_eq!(body, rest, "whole line: {line:?}");
    assert!(since <= at && at <= until, "time {stamp} outside [{since}, {until}]: {line:?}");
    stamp
}

/// `[HH:MM]` of a `server-time` stamp, the way history notices show it.
fn clock_of(stamp: &str) -> String {
    format!("[{}]", &stamp[11..16])
}

// ---------------------------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------------------------

#[test]
fn cap_ls_offers_two_caps_req_is_all_or_nothing_and_list_shows_what_is_on() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "CAP LS 302");
    expect_exact(&mut bob, ":irc.test CAP * LS :multi-prefix server-time");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :");
    send(&mut bob, "CAP REQ :multi-prefix server-time");
    expect_exact(&mut bob, ":irc.test CAP * ACK :multi-prefix server-time");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :multi-prefix server-time");
    // One unknown name refuses the whole request: multi-prefix stays on.
    send(&mut bob, "CAP REQ :-multi-prefix away-notify");
    expect_exact(&mut bob, ":irc.test CAP * NAK :-multi-prefix away-notify");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :multi-prefix server-time");
    // A leading '-' turns a capability off.
    send(&mut bob, "CAP REQ -multi-prefix");
    expect_exact(&mut bob, ":irc.test CAP * ACK -multi-prefix");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST server-time");
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
    expect_exact(&mut bob, ":irc.test CAP bob LIST :multi-prefix server-time");
    send(&mut bob, "CAP REQ :sasl");
    expect_exact(&mut bob, ":irc.test CAP bob NAK sasl");
    settle(&mut bob, "done");
}

// ---------------------------------------------------------------------------------------------
// Who runs a room
// ---------------------------------------------------------------------------------------------

#[test]
fn the_first_member_of_a_new_room_runs_it_but_nobody_runs_the_default_room() {
    let server = start(&[]);
    // The default room, empty until now: its first member gets no @, and it is +n only.
    let mut bob = irc_register(&server, "bob");
    assert_eq!(irc_join(&mut bob, "bob", "#lobby"), num("353", "bob", "= #lobby bob"));
    send(&mut bob, "MODE #lobby");
    expect_exact(&mut bob, &num("324", "bob", "#lobby +n"));
    bob.expect_next(":irc.test 329 bob #lobby ");
    send(&mut bob, "MODE #lobby +m");
    expect_exact(&mut bob, &num("482", "bob", "#lobby :You're not channel operator"));
    // Without +t anyone may set its topic.
    send(&mut bob, "TOPIC #lobby :open to all");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 TOPIC #lobby :open to all");
    let mut alice = nc_register(&server, "alice");
    expect_exact(&mut alice, "-- Topic of #lobby: open to all");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 JOIN #lobby");
    alice.send("/who");
    expect_exact(&mut alice, "-- 2 users in #lobby: alice, bob");
    alice.send("/mode");
    expect_exact(&mut alice, "-- Modes of #lobby: +n");
    alice.send("/kick bob");
    expect_exact(&mut alice, "error: you need to be an operator of #lobby for that");

    // A new room: its opener runs it, and it starts +nt.
    assert_eq!(irc_join(&mut bob, "bob", "#new"), num("353", "bob", "= #new @bob"));
    send(&mut bob, "MODE #new");
    expect_exact(&mut bob, &num("324", "bob", "#new +nt"));
    bob.expect_next(":irc.test 329 bob #new ");
    let mut carol = irc_register(&server, "carol");
    assert_eq!(irc_join(&mut carol, "carol", "#new"), num("353", "carol", "= #new :@bob carol"));
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
    assert_eq!(irc_join(&mut carol, "carol", "#new"), num("353", "carol", "= #new @carol"));
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_register_with(&server, "carol", "multi-prefix");
    irc_join(&mut carol, "carol", "#room");
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
    expect_exact(&mut alice, &format!(":{} JOIN #room", prefix("bob")));
    expect_exact(&mut alice, &format!(":{} JOIN #room", prefix("carol")));
    expect_exact(&mut bob, &format!(":{} JOIN #room", prefix("carol")));
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, &format!(":{} JOIN #room", nc_prefix("dan")));
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
    let mut erin = irc_register_with(&server, "erin", "multi-prefix");
    assert_eq!(irc_join(&mut erin, "erin", "#room"), num("353", "erin", "= #room :@+alice +bob carol dan erin"));
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
    let mut out = irc_register(&server, "out");
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
    for change in ["+o", "+v", "+k", "+l", "+l zero", "+l 0"] {
        send(&mut alice, &format!("MODE #room {change}"));
        expect_exact(&mut alice, &num("461", "alice", "MODE :Not enough parameters"));
    }
    // A key longer than 23 bytes, or with a comma, is refused the same way.
    send(&mut alice, &format!("MODE #room +k {}", "k".repeat(24)));
    expect_exact(&mut alice, &num("461", "alice", "MODE :Not enough parameters"));
    send(&mut alice, "MODE #room +k a,b");
    expect_exact(&mut alice, &num("461", "alice", "MODE :Not enough parameters"));
    send(&mut alice, "MODE #nowhere +m");
    expect_exact(&mut alice, &num("403", "alice", "#nowhere :No such channel"));
    settle(&mut alice, "errors");
    settle(&mut bob, "saw-no-errors");
    netcat_settle(&mut dan);
}

#[test]
fn mode_o_and_v_need_a_member_and_operator_status_can_be_given_and_taken() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_in_rooms(&server, "carol", &["#room"]);
    let _out = irc_register(&server, "out");
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
    let mut newbob = irc_register(&server, "bob");
    assert_eq!(irc_join(&mut newbob, "bob", "#room"), num("353", "bob", "= #room :+alice @robert carol bob"));
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_register(&server, "bob");
    let mut carol = irc_register(&server, "carol");
    let mut dan = nc_register(&server, "dan");

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
        expect_exact(&mut bob, &num("367", "bob", "#room bob!*@*"));
        expect_exact(&mut bob, &num("367", "bob", "#room C?ROL!*@*"));
        expect_exact(&mut bob, &num("367", "bob", "#room *!~dan@*"));
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
    irc_join(&mut carol, "karol", "#room");
    expect_exact(&mut alice, ":karol!~u@127.0.0.1 JOIN #room");
    // A ban set on someone already inside does not remove them.
    send(&mut alice, "MODE #room +b karol");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b karol!*@*");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 MODE #room +b karol!*@*");
    send(&mut carol, "PRIVMSG #room :still here");
    expect_exact(&mut alice, ":karol!~u@127.0.0.1 PRIVMSG #room :still here");

    // Lifting a ban, named as it was given.
    send(&mut alice, "MODE #room -b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -b bob!*@*");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 MODE #room -b bob!*@*");
    send(&mut alice, "MODE #room -b nobody");
    settle(&mut alice, "not-banned");
    irc_join(&mut bob, "bob", "#room");
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
// JOIN refusals and INVITE
// ---------------------------------------------------------------------------------------------

#[test]
fn key_protected_room_refuses_joins_without_the_key_with_475() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_register(&server, "bob");
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
    let mut dan = nc_register(&server, "dan");
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
    irc_join(&mut bob, "bob", "#room");
    settle(&mut bob, "end");
}

#[test]
fn limit_refuses_joins_to_a_full_room_with_471() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_register(&server, "bob");
    let mut carol = irc_register(&server, "carol");
    let mut dan = nc_register(&server, "dan");
    send(&mut alice, "MODE #room +l 2");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +l 2");
    irc_join(&mut bob, "bob", "#room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut carol, "JOIN #room");
    expect_exact(&mut carol, &num("471", "carol", "#room :Cannot join channel (+l)"));
    dan.send("/join #room");
    expect_exact(&mut dan, "error: #room is full");
    // Room is made by someone leaving.
    send(&mut bob, "PART #room");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #room");
    irc_join(&mut carol, "carol", "#room");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("471", "bob", "#room :Cannot join channel (+l)"));
    send(&mut alice, "MODE #room -l");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room -l");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 MODE #room -l");
    irc_join(&mut bob, "bob", "#room");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 JOIN #room");
    settle(&mut alice, "end");
    settle(&mut carol, "end");
}

#[test]
fn invite_only_room_needs_an_invitation_which_passes_key_limit_and_bans_and_is_used_up() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_register(&server, "bob");
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
    let mut dan = nc_register(&server, "dan");
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_register(&server, "carol");
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_in_rooms(&server, "carol", &["#room"]);
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
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
    assert_eq!(irc_join(&mut carol, "carol", "#room"), num("353", "carol", "= #room :@alice bob dan carol"));
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    dan.expect("-- carol joined #room");

    // Without a reason, the kicker's nick is the reason; a netcat user can be kicked too.
    send(&mut alice, "KICK #room dan");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":alice!~u@127.0.0.1 KICK #room dan alice");
    }
    expect_exact(&mut dan, "-- alice kicked dan from #room (alice)");
    dan.send("/who #room");
    expect_exact(&mut dan, "-- 3 users in #room: @alice, bob, carol");

    // Errors: no such member, kicker not in the room, no such room, missing nick.
    send(&mut alice, "KICK #room dan");
    expect_exact(&mut alice, &num("441", "alice", "dan #room :They aren't on that channel"));
    send(&mut alice, "KICK #room nobody");
    expect_exact(&mut alice, &num("441", "alice", "nobody #room :They aren't on that channel"));
    let mut out = irc_register(&server, "out");
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
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
    irc_join(&mut bob, "bob", "#room");
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut dan = nc_in_rooms(&server, "dan", &["#room"]);
    let mut out = irc_register(&server, "out");
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

// ---------------------------------------------------------------------------------------------
// Netcat parity
// ---------------------------------------------------------------------------------------------

#[test]
fn netcat_users_run_rooms_with_slash_mode_kick_and_invite_and_irc_users_see_it() {
    let server = start(&[]);
    let mut alice = nc_in_rooms(&server, "alice", &["#r"]);
    let mut bob = nc_in_rooms(&server, "bob", &["#r"]);
    let mut erin = irc_in_rooms(&server, "erin", &["#r"]);
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
    let mut carol = nc_register(&server, "carol");
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
    let mut fred = irc_register(&server, "fred");
    alice.send("/invite fred #r");
    expect_exact(&mut alice, "-- You invited fred to #r");
    expect_exact(&mut fred, ":alice!~alice@127.0.0.1 INVITE fred #r");

    // Full and banned.
    alice.send("/mode -i+l 4");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, "-- alice set mode -i+l 4 on #r");
    }
    expect_exact(&mut erin, ":alice!~alice@127.0.0.1 MODE #r -i+l 4");
    let mut dave = nc_register(&server, "dave");
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
    let mut erin = irc_in_rooms(&server, "erin", &["#r"]);
    let mut bob = nc_in_rooms(&server, "bob", &["#r"]);
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

// ---------------------------------------------------------------------------------------------
// OPER and KILL
// ---------------------------------------------------------------------------------------------

#[test]
fn oper_with_the_right_password_gives_381_and_shows_in_whois_who_and_lusers() {
    let server = start(&["--oper", "admin:s3cret"]);
    server.expect_log(&[" INFO start ", "opers=1"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_register(&server, "carol");
    send(&mut bob, "OPER admin guess");
    expect_exact(&mut bob, &num("464", "bob", ":Password incorrect"));
    let failed = server.expect_log(&[" WARN oper_failed ", "nick=bob", "name=admin"]);
    assert!(!failed.contains("guess"), "the password attempt is logged: {failed:?}");
    send(&mut bob, "OPER root s3cret");
    expect_exact(&mut bob, &num("464", "bob", ":Password incorrect"));
    send(&mut bob, "OPER admin S3CRET");
    expect_exact(&mut bob, &num("464", "bob", ":Password incorrect"));
    send(&mut bob, "OPER admin");
    expect_exact(&mut bob, &num("461", "bob", "OPER :Not enough parameters"));
    // Not an operator yet: no 313, no 252, no '*' in WHO.
    send(&mut carol, "WHOIS bob");
    expect_exact(&mut carol, &num("311", "carol", "bob ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut carol, &num("319", "carol", "bob #room"));
    expect_exact(&mut carol, &num("312", "carol", "bob irc.test chatd"));
    carol.expect_next(":irc.test 317 carol bob ");
    expect_exact(&mut carol, &num("318", "carol", "bob :End of /WHOIS list"));
    send(&mut carol, "LUSERS");
    expect_exact(&mut carol, &num("251", "carol", ":There are 2 users and 0 invisible on 1 servers"));
    expect_exact(&mut carol, &num("254", "carol", "2 :channels formed"));
    carol.expect_next(&num("255", "carol", ":I have 2 clients"));

    send(&mut bob, "OPER admin s3cret");
    expect_exact(&mut bob, &num("381", "bob", ":You are now an IRC operator"));
    let ok = server.expect_log(&[" INFO oper ", "nick=bob", "name=admin"]);
    assert!(!ok.contains("s3cret"), "the password is logged: {ok:?}");
    send(&mut carol, "WHOIS bob");
    expect_exact(&mut carol, &num("311", "carol", "bob ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut carol, &num("319", "carol", "bob #room"));
    expect_exact(&mut carol, &num("312", "carol", "bob irc.test chatd"));
    expect_exact(&mut carol, &num("313", "carol", "bob :is an IRC operator"));
    carol.expect_next(":irc.test 317 carol bob ");
    expect_exact(&mut carol, &num("318", "carol", "bob :End of /WHOIS list"));
    send(&mut carol, "WHO bob");
    expect_exact(&mut carol, &num("352", "carol", "* ~u 127.0.0.1 irc.test bob H* :0 Real Name"));
    expect_exact(&mut carol, &num("315", "carol", "bob :End of /WHO list"));
    send(&mut carol, "WHO #room");
    expect_exact(&mut carol, &num("352", "carol", "#room ~u 127.0.0.1 irc.test bob H*@ :0 Real Name"));
    expect_exact(&mut carol, &num("315", "carol", "#room :End of /WHO list"));
    send(&mut carol, "LUSERS");
    expect_exact(&mut carol, &num("251", "carol", ":There are 2 users and 0 invisible on 1 servers"));
    expect_exact(&mut carol, &num("252", "carol", "1 :operator(s) online"));
    expect_exact(&mut carol, &num("254", "carol", "2 :channels formed"));
    carol.expect_next(&num("255", "carol", ":I have 2 clients"));
    // The count follows operators leaving.
    send(&mut bob, "QUIT");
    bob.expect_closed();
    send(&mut carol, "LUSERS");
    expect_exact(&mut carol, &num("251", "carol", ":There are 1 users and 0 invisible on 1 servers"));
    expect_exact(&mut carol, &num("254", "carol", "1 :channels formed"));
    carol.expect_next(&num("255", "carol", ":I have 1 clients"));
}

#[test]
fn oper_on_a_server_without_operators_gets_491_and_kill_by_a_non_operator_gets_481() {
    let server = start(&[]);
    server.expect_log(&[" INFO start ", "opers=0"]);
    let mut bob = irc_register(&server, "bob");
    let _carol = irc_register(&server, "carol");
    send(&mut bob, "OPER admin s3cret");
    expect_exact(&mut bob, &num("491", "bob", ":No O-lines for your host"));
    send(&mut bob, "KILL carol :go away");
    expect_exact(&mut bob, &num("481", "bob", ":Permission Denied- You're not an IRC operator"));
    settle(&mut bob, "end");
}

#[test]
fn kill_by_an_operator_disconnects_the_target_and_its_rooms_see_why() {
    let server = start(&["--oper", "admin:s3cret", "--oper", "second:pw2"]);
    let mut boss = irc_register(&server, "boss");
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_in_rooms(&server, "carol", &["#room"]);
    let mut dan = nc_register(&server, "dan");
    let mut erin = nc_register(&server, "erin");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut dan, "-- erin joined #lobby");

    send(&mut carol, "KILL bob :not you");
    expect_exact(&mut carol, &num("481", "carol", ":Permission Denied- You're not an IRC operator"));
    // Any of the configured logins works.
    send(&mut boss, "OPER second pw2");
    expect_exact(&mut boss, &num("381", "boss", ":You are now an IRC operator"));
    send(&mut boss, "KILL nobody :who?");
    expect_exact(&mut boss, &num("401", "boss", "nobody :No such nick/channel"));
    send(&mut boss, "KILL bob");
    expect_exact(&mut boss, &num("461", "boss", "KILL :Not enough parameters"));

    send(&mut boss, "KILL BOB :spamming the room");
    expect_exact(&mut bob, "ERROR :Closing link: (Killed (boss (spamming the room)))");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 QUIT :Killed (boss (spamming the room))");
    server.expect_log(&[" WARN evict ", "nick=bob", "reason=killed"]);
    // The killer shared no room with bob: told nothing.
    settle(&mut boss, "after-kill");
    // A netcat user is killed the same way.
    send(&mut boss, "KILL dan :enough");
    expect_exact(&mut dan, "-- Closing connection: killed by boss: enough");
    assert_eq!(dan.expect_closed(), Vec::<String>::new());
    expect_exact(&mut erin, "-- dan quit (killed by boss: enough)");
    server.expect_log(&[" WARN evict ", "nick=dan", "reason=killed"]);
    // Their nicknames are free again.
    send(&mut carol, "ISON bob dan erin boss");
    expect_exact(&mut carol, &num("303", "carol", ":erin boss"));
    let mut bob = irc_register(&server, "bob");
    settle(&mut bob, "back");
    settle(&mut carol, "end");
    netcat_settle(&mut erin);
}

// ---------------------------------------------------------------------------------------------
// server-time and history
// ---------------------------------------------------------------------------------------------

#[test]
fn server_time_clients_get_time_tags_and_the_history_on_join_and_others_get_neither() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut watcher = irc_register_with(&server, "watcher", "server-time");
    irc_join(&mut watcher, "watcher", "#room");
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
    let mut bob = irc_register(&server, "bob");
    irc_join(&mut bob, "bob", "#room");
    settle(&mut bob, "no-history");
    // With it: the history right after the names, with the original times.
    let mut carol = irc_register_with(&server, "carol", "multi-prefix server-time");
    irc_join(&mut carol, "carol", "#room");
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
    let mut dan = nc_register(&server, "dan");
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut watcher = irc_register_with(&server, "watcher", "server-time");
    irc_join(&mut watcher, "watcher", "#room");
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let _elsewhere = irc_in_rooms(&server, "other", &["#elsewhere"]);
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

// ---------------------------------------------------------------------------------------------
// Known bugs (ignored until fixed; see the reasons)
// ---------------------------------------------------------------------------------------------

/// Reads until the PONG for `token`, returning the lines before it.
fn lines_until_pong(client: &mut Client, token: &str) -> Vec<String> {
    send(client, &format!("PING :{token}"));
    let pong = format!(":irc.test PONG irc.test {token}");
    let mut lines = Vec::new();
    loop {
        let line = next(client);
        if line == pong {
            return lines;
        }
        lines.push(line);
    }
}

/// The ban masks listed by `MODE room b`.
fn ban_list(client: &mut Client, nick: &str, room: &str) -> Vec<String> {
    send(client, &format!("MODE {room} b"));
    let item = format!(":irc.test 367 {nick} {room} ");
    let mut masks = Vec::new();
    loop {
        let line = next(client);
        if let Some(mask) = line.strip_prefix(&item) {
            masks.push(mask.strip_prefix(':').unwrap_or(mask).to_string());
        } else {
            assert_eq!(line, num("368", nick, &format!("{room} :End of channel ban list")));
            return masks;
        }
    }
}

#[test]
fn mode_announcements_fit_in_512_bytes_and_tell_exactly_what_was_set() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // Six bans (MODES=6) of complete 80-byte masks: a 505-byte request, legal on the wire.
    let masks: Vec<String> = (0..6).map(|i| format!("*!*@host{i}.{}.example.org", "h".repeat(58))).collect();
    assert!(masks.iter().all(|m| m.len() == 80));
    let request = format!("MODE #room +bbbbbb {}", masks.join(" "));
    assert!(request.len() + 2 <= 512, "{}", request.len());
    send(&mut alice, &request);
    // Once alice's own PING is answered, the broker has queued the announcement to bob too.
    lines_until_pong(&mut alice, "done");
    let told = lines_until_pong(&mut bob, "told");
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
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    send(&mut alice, "MODE #room +b :two words");
    send(&mut alice, "MODE #room +o :bob x");
    for line in lines_until_pong(&mut alice, "refused") {
        // Every middle parameter is one word: the head before " :" is `:server code nick target`.
        if let Some((head, _)) = line.split_once(" :")
            && line.starts_with(":irc.test ")
        {
            assert_eq!(head.split(' ').count(), 4, "a parameter with a space: {line:?}");
        }
    }
    let masks = ban_list(&mut alice, "alice", "#room");
    assert!(masks.iter().all(|m| !m.contains(' ')), "{masks:?}");
}

#[test]
fn one_mode_line_lists_the_bans_at_most_once() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    send(&mut alice, "MODE #room +b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #room +b bob!*@*");
    send(&mut alice, "MODE #room +mbbbb");
    let lines = lines_until_pong(&mut alice, "listed");
    let ends = lines.iter().filter(|l| l.starts_with(&num("368", "alice", "#room "))).count();
    assert_eq!(ends, 1, "{lines:#?}");
    assert!(lines.contains(&":alice!~u@127.0.0.1 MODE #room +m".to_string()), "{lines:#?}");
}

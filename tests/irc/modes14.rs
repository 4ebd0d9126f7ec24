//! Issue 14's channel modes over TCP: secret and private channels (hidden from outsiders'
//! `LIST`, `NAMES`, `WHOIS`, `WHO` and `TOPIC`), mode parameter validation,
//! exception lists, `STATUSMSG`, `ELIST`, `KICK` lists, `JOIN` lists with a bad name, `OPER`'s
//! user mode, the default room's operators, and long messages relayed as one line.

use crate::common::irc::{self, expect_exact, num, send, settle, start};
use crate::common::netcat;

#[test]
fn secret_and_private_channels_hide_from_list_names_and_whois_of_outsiders() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#hidden", "#quiet", "#open"]);
    let mut bob = irc::register(&server, "bob");
    send(&mut alice, "MODE #hidden +s");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #hidden +s");
    send(&mut alice, "MODE #quiet +p");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #quiet +p");
    send(&mut alice, "NAMES #hidden,#quiet");
    expect_exact(&mut alice, &num("353", "alice", "@ #hidden @alice"));
    expect_exact(&mut alice, &num("353", "alice", "* #quiet @alice"));
    expect_exact(&mut alice, &num("366", "alice", "#hidden,#quiet :End of /NAMES list"));

    // To bob, not in them, they are not there.
    send(&mut bob, "LIST");
    expect_exact(&mut bob, &num("321", "bob", "Channel :Users  Name"));
    expect_exact(&mut bob, &num("322", "bob", "#lobby 0 :"));
    expect_exact(&mut bob, &num("322", "bob", "#open 1 :"));
    expect_exact(&mut bob, &num("323", "bob", ":End of /LIST"));
    send(&mut bob, "NAMES #hidden");
    expect_exact(&mut bob, &num("366", "bob", "#hidden :End of /NAMES list"));
    send(&mut bob, "WHOIS alice");
    expect_exact(&mut bob, &num("311", "bob", "alice ~u 127.0.0.1 * :Real Name"));
    // Alice opened #open: her status shows (WHOIS 319 prefixes).
    expect_exact(&mut bob, &num("319", "bob", "alice @#open"));
    bob.expect(&num("318", "bob", "alice :End of /WHOIS list"));
    // Joining one, bob sees it in its symbol.
    send(&mut bob, "JOIN #hidden");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #hidden");
    expect_exact(&mut bob, &num("353", "bob", "@ #hidden :@alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#hidden :End of /NAMES list"));
    send(&mut bob, "MODE #hidden");
    expect_exact(&mut bob, &num("324", "bob", "#hidden +nst"));
    bob.expect_next(":irc.test 329 bob #hidden ");
    settle(&mut bob, "secret");
}

#[test]
fn secret_and_private_channels_hide_from_who_and_topic_of_outsiders() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#hidden", "#quiet", "#open"]);
    send(&mut alice, "MODE #hidden +s");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #hidden +s");
    send(&mut alice, "MODE #quiet +p");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #quiet +p");
    send(&mut alice, "TOPIC #hidden :behind the curtain");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #hidden :behind the curtain");
    // She shows herself to WHO searches (`-i`), so that only the rooms' modes hide her rooms.
    send(&mut alice, "MODE alice -i");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE alice -i");
    let mut bob = irc::register(&server, "bob");
    let mut dan = netcat::register_at_once(&server, "dan");

    // To bob, the rooms answer WHO as if empty, and TOPIC with 442.
    for room in ["#hidden", "#quiet"] {
        send(&mut bob, &format!("WHO {room}"));
        expect_exact(&mut bob, &num("315", "bob", &format!("{room} :End of /WHO list")));
        send(&mut bob, &format!("WHO {room} %cnf,7"));
        expect_exact(&mut bob, &num("315", "bob", &format!("{room} :End of /WHO list")));
        send(&mut bob, &format!("TOPIC {room}"));
        expect_exact(&mut bob, &num("442", "bob", &format!("{room} :You're not on that channel")));
    }
    // A public room's topic is anyone's to read.
    send(&mut bob, "TOPIC #open");
    expect_exact(&mut bob, &num("331", "bob", "#open :No topic is set"));
    // Searching for her never names a room she is in.
    for mask in ["alice", "ali*", "*lice"] {
        send(&mut bob, &format!("WHO {mask} %cn"));
        expect_exact(&mut bob, &num("354", "bob", "* alice"));
        expect_exact(&mut bob, &num("315", "bob", &format!("{mask} :End of /WHO list")));
    }
    // (dan, `+i` and in no room with bob, is not found.)
    send(&mut bob, "WHO * %cn");
    for nick in ["alice", "bob"] {
        expect_exact(&mut bob, &num("354", "bob", &format!("* {nick}")));
    }
    expect_exact(&mut bob, &num("315", "bob", "* :End of /WHO list"));
    send(&mut bob, "WHO alice");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "alice :End of /WHO list"));
    // To its members, the room is all there.
    send(&mut alice, "WHO #hidden");
    expect_exact(&mut alice, &num("352", "alice", "#hidden ~u 127.0.0.1 irc.test alice H@ :0 Real Name"));
    expect_exact(&mut alice, &num("315", "alice", "#hidden :End of /WHO list"));
    send(&mut alice, "TOPIC #hidden");
    expect_exact(&mut alice, &num("332", "alice", "#hidden :behind the curtain"));
    alice.expect_next(&num("333", "alice", "#hidden alice!~u@127.0.0.1 "));
    settle(&mut alice, "member");
    settle(&mut bob, "outsider");

    // A netcat user's /topic and /who go by the same rule.
    for room in ["#hidden", "#quiet"] {
        dan.send(&format!("/topic {room}"));
        netcat::expect_exact(&mut dan, &format!("error: you are not in {room}"));
        dan.send(&format!("/who {room}"));
        netcat::expect_exact(&mut dan, &format!("error: you are not in {room}"));
    }
    dan.send("/topic #open");
    netcat::expect_exact(&mut dan, "-- #open has no topic");
    netcat::netcat_settle(&mut dan);
}

#[test]
fn mode_parameters_of_the_wrong_form_get_696_and_missing_ones_461() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#c"]);
    for limit in ["0", "-1", "ten"] {
        send(&mut alice, &format!("MODE #c +l {limit}"));
        let why = "the limit must be a positive whole number";
        expect_exact(&mut alice, &num("696", "alice", &format!("#c l {limit} :{why}")));
    }
    send(&mut alice, "MODE #c +l");
    expect_exact(&mut alice, &num("461", "alice", "MODE :Not enough parameters"));
    send(&mut alice, "MODE #c +k :two words");
    expect_exact(&mut alice, &num("696", "alice", "#c k * :must be one word without control characters"));
    send(&mut alice, &format!("MODE #c +k {}", "x".repeat(30)));
    expect_exact(&mut alice, &num("696", "alice", "#c k * :a key has at most 23 bytes"));
    // Nothing was changed.
    send(&mut alice, "MODE #c");
    expect_exact(&mut alice, &num("324", "alice", "#c +nt"));
    alice.expect_next(":irc.test 329 alice #c ");
    send(&mut alice, "MODE #c +l 3");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c +l 3");
    settle(&mut alice, "validated");
}

#[test]
fn ban_and_invite_exceptions_are_listed_and_open_the_door() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#c"]);
    send(&mut alice, "MODE #c +be *!*@127.0.0.1 bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c +be *!*@127.0.0.1 bob!*@*");
    let mut bob = irc::register(&server, "bob");
    let mut carol = irc::register(&server, "carol");
    send(&mut carol, "JOIN #c");
    expect_exact(&mut carol, &num("474", "carol", "#c :Cannot join channel (+b)"));
    irc::join(&mut bob, "bob", "#c");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #c");

    send(&mut alice, "MODE #c -b+iI *!*@127.0.0.1 carol");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c -b+iI *!*@127.0.0.1 carol!*@*");
    irc::join(&mut carol, "carol", "#c");
    let mut dave = irc::register(&server, "dave");
    send(&mut dave, "JOIN #c");
    expect_exact(&mut dave, &num("473", "dave", "#c :Cannot join channel (+i)"));
    send(&mut dave, "MODE #c e");
    let listed = dave.expect_next(&num("348", "dave", "#c bob!*@* alice!~u@127.0.0.1 "));
    let at: u64 = listed.rsplit(' ').next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(at <= now && now - at < 60, "set at {at}, now {now}");
    expect_exact(&mut dave, &num("349", "dave", "#c :End of channel exception list"));
    send(&mut dave, "MODE #c I");
    dave.expect_next(&num("346", "dave", "#c carol!*@* alice!~u@127.0.0.1 "));
    expect_exact(&mut dave, &num("347", "dave", "#c :End of Channel Invite Exception List"));
    send(&mut dave, "MODE #c +e dave");
    expect_exact(&mut dave, &num("482", "dave", "#c :You're not channel operator"));
    settle(&mut dave, "exceptions");
}

#[test]
fn status_messages_reach_only_operators_or_voiced_members() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#c"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#c"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#c"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #c");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #c");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #c");
    send(&mut alice, "MODE #c +v bob");
    for client in [&mut alice, &mut bob, &mut carol] {
        expect_exact(client, ":alice!~u@127.0.0.1 MODE #c +v bob");
    }
    send(&mut carol, "PRIVMSG @#c :ops only");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 PRIVMSG @#c :ops only");
    send(&mut alice, "NOTICE +#c :voiced and up");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 NOTICE +#c :voiced and up");
    settle(&mut bob, "status-bob");
    settle(&mut carol, "status-carol");
    settle(&mut alice, "status-alice");
}

#[test]
fn list_filters_count_members_and_match_names() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#rust", "#go"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#rust"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #rust");
    let list = |client: &mut crate::common::Client, query: &str, rooms: &[&str]| {
        send(client, &format!("LIST {query}"));
        expect_exact(client, &num("321", "bob", "Channel :Users  Name"));
        for room in rooms {
            client.expect_next(&format!(":irc.test 322 bob {room} "));
        }
        expect_exact(client, &num("323", "bob", ":End of /LIST"));
    };
    list(&mut bob, ">1", &["#rust"]);
    // The default room is listed even when empty.
    list(&mut bob, "<1", &["#lobby"]);
    list(&mut bob, "#r*", &["#rust"]);
    list(&mut bob, "!#r*,<2", &["#go", "#lobby"]);
    list(&mut bob, "C<5,>0", &["#go", "#rust"]);
    list(&mut bob, "C>5", &[]);
    list(&mut bob, "T<5", &[]);
    settle(&mut alice, "listed");
}

#[test]
fn kick_with_several_nicks_and_join_with_a_bad_name_answer_each() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#c"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#c"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#c"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #c");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #c");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #c");
    send(&mut alice, "KICK #c bob,nobody,carol :out");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 KICK #c bob out");
    expect_exact(&mut alice, &num("441", "alice", "nobody #c :They aren't on that channel"));
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 KICK #c carol out");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 KICK #c bob out");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 KICK #c bob out");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 KICK #c carol out");

    send(&mut bob, "JOIN #valid,inv@lid");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #valid");
    expect_exact(&mut bob, &num("353", "bob", "= #valid @bob"));
    expect_exact(&mut bob, &num("366", "bob", "#valid :End of /NAMES list"));
    expect_exact(&mut bob, &num("403", "bob", "inv@lid :No such channel"));
    settle(&mut bob, "joined");
    settle(&mut alice, "kicked");
}

#[test]
fn kick_with_several_rooms_pairs_each_room_with_its_nick() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#a", "#b"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#a", "#b", "#mine"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #b");
    // Twice the same room, as irctest does; a room where alice is no operator; one that is not.
    send(&mut alice, "KICK #a,#a,#mine,#none,#b bob,alice,bob,bob,bob :bye");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 KICK #a bob bye");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 KICK #a alice bye");
    expect_exact(&mut alice, &num("442", "alice", "#mine :You're not on that channel"));
    expect_exact(&mut alice, &num("403", "alice", "#none :No such channel"));
    settle(&mut alice, "four");
    // Only the first four pairs (TARGMAX KICK:4): bob is still in #b.
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 KICK #a bob bye");
    send(&mut alice, "KICK #a,#b bob");
    expect_exact(&mut alice, &num("461", "alice", "KICK :Not enough parameters"));
    send(&mut bob, "KICK #mine,#b alice,alice");
    expect_exact(&mut bob, &num("441", "bob", "alice #mine :They aren't on that channel"));
    expect_exact(&mut bob, &num("482", "bob", "#b :You're not channel operator"));
    settle(&mut bob, "pairs");
}

#[test]
fn only_server_operators_run_the_default_room_and_oper_brings_user_mode_o() {
    let server = start(&["--oper", "admin:pw"]);
    let mut alice = irc::in_rooms(&server, "alice", &["#lobby"]);
    let mut dan = netcat::register_at_once(&server, "dan");
    expect_exact(&mut alice, ":dan!~dan@127.0.0.1 JOIN #lobby");
    // Its first joiner runs nothing.
    send(&mut alice, "MODE #lobby +i");
    expect_exact(&mut alice, &num("482", "alice", "#lobby :You're not channel operator"));
    send(&mut alice, "OPER admin pw");
    expect_exact(&mut alice, &num("381", "alice", ":You are now an IRC operator"));
    expect_exact(&mut alice, ":alice MODE alice +o");
    send(&mut alice, "MODE #lobby +o dan");
    let why = "only server operators may be operators of the default room";
    expect_exact(&mut alice, &num("696", "alice", &format!("#lobby o dan :{why}")));
    send(&mut alice, "MODE #lobby +o alice");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #lobby +o alice");
    expect_exact(&mut dan, "-- alice set mode +o alice on #lobby");
    settle(&mut alice, "lobby");
}

#[test]
fn a_long_irc_message_reaches_irc_users_as_one_line_cut_at_a_character_boundary() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#c"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#c"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #c");
    // 495 bytes of text in a 510-byte line; relayed, `:bob!~u@127.0.0.1 ` adds 18.
    let text = format!("a{}", "é".repeat(247));
    send(&mut bob, &format!("PRIVMSG #c :{text}"));
    // The text holds no space, so the line needs no `:` before it (one byte to spare).
    let relay = ":bob!~u@127.0.0.1 PRIVMSG #c ";
    let room = 510 - relay.len() - 1;
    let kept = &text[..1 + 2 * ((room - 1) / 2)];
    expect_exact(&mut alice, &format!("{relay}{kept}"));
    settle(&mut alice, "one-line");
}

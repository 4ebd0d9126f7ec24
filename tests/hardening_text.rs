mod common;

// Invisible and direction-changing characters, end to end (issue 10, item 4): names refuse
// them whatever the dialect; text reaches each kind of recipient with what that kind may get.
// IRC users keep CTCP and formatting codes; netcat users get neither; nobody gets controls,
// bidi overrides, separators, BOMs or interlinear annotations; joiners stay in text.
//
// Waiting is always on a line; "nothing else arrived" is checked with a PING (IRC) or a `/help me`
// round trip (netcat) sent after the fact.

use common::irc::{self, expect_exact, next, num, prefix, send, settle, start};
use common::{Client, Server, expect_said, netcat_settle};

/// Every kind of character that no recipient may get, each between two letters.
const HOSTILE: &str =
    "a\u{1b}[2Jb\u{7}c\u{85}d\u{9b}31me\u{7f}f\u{202e}g\u{2066}h\u{2028}i\u{feff}j\u{fff9}k\u{fffb}l\u{61c}m";
/// What is left of `HOSTILE` for everyone.
const HOSTILE_CLEAN: &str = "a[2Jbcd31mefghijklm";

/// A ZWJ emoji (woman technologist) and Persian with a ZWNJ: joiners that text needs.
const JOINED: &str = "\u{1f469}\u{200d}\u{1f4bb} \u{645}\u{06cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}";

/// Netcat user alice and IRC users bob and carol, all in `#lobby`, every join announcement read.
fn lobby_of_three(server: &Server) -> (Client, Client, Client) {
    let mut alice = server.register("alice");
    let mut bob = irc::in_rooms(server, "bob", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    let carol = irc::in_rooms(server, "carol", &["#lobby"]);
    expect_exact(&mut alice, "-- carol joined #lobby");
    expect_exact(&mut bob, &format!(":{} JOIN #lobby", prefix("carol")));
    (alice, bob, carol)
}

#[test]
fn room_names_with_invisible_or_direction_changing_characters_are_refused_from_irc() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc::register_as(&server, "bob", "Bob", "");
    // Each gets the 403 a bad room name has always got, with the name as every IRC user may see it.
    for (room, shown) in [
        ("#\u{202e}gnp.exe", "#gnp.exe"),
        ("#zero\u{200b}width", "#zero\u{200b}width"),
        ("#iso\u{2066}late", "#isolate"),
        ("#j\u{200d}oin", "#j\u{200d}oin"),
        ("#bom\u{feff}", "#bom"),
    ] {
        send(&mut bob, &format!("JOIN {room}"));
        expect_exact(&mut bob, &num("403", "bob", &format!("{shown} :No such channel")));
    }
    settle(&mut bob, "after-joins");

    // No such room exists for anybody.
    alice.send("/rooms");
    expect_exact(&mut alice, "-- 1 room:");
    expect_exact(&mut alice, "--   #lobby (1 user)");
    netcat_settle(&mut alice);

    // A netcat user is held to the same rule, and told why.
    alice.send("/join #zero\u{200b}width");
    let error = alice.expect_next("error:");
    assert!(error.contains("invisible or direction-changing characters"), "{error:?}");
    assert!(error.contains("\\u{200b}"), "the error names the character: {error:?}");

    // Visible Unicode is still welcome.
    send(&mut bob, "JOIN #caf\u{e9}");
    expect_exact(&mut bob, &format!(":{} JOIN #caf\u{e9}", prefix("bob")));
}

#[test]
fn irc_message_reaches_irc_and_netcat_users_without_hostile_characters() {
    let server = start(&[]);
    let (mut alice, mut bob, mut carol) = lobby_of_three(&server);

    send(&mut bob, &format!("PRIVMSG #lobby :{HOSTILE}"));
    expect_exact(&mut carol, &format!(":{} PRIVMSG #lobby {HOSTILE_CLEAN}", prefix("bob")));
    expect_said(&mut alice, &format!("<bob> {HOSTILE_CLEAN}"));

    // CTCP and formatting reach IRC users intact; netcat users see the plain words.
    send(&mut bob, "PRIVMSG #lobby :\u{1}ACTION \u{2}bold\u{2} \u{3}4red\u{1}");
    expect_exact(&mut carol, &format!(":{} PRIVMSG #lobby :\u{1}ACTION \u{2}bold\u{2} \u{3}4red\u{1}", prefix("bob")));
    expect_said(&mut alice, "* bob bold red");
    send(&mut bob, "PRIVMSG #lobby :\u{2}bold\u{2} \u{3}4red \u{3}12,4on blue\u{f} \u{1d}it\u{1d} \u{4}ff0000hex");
    expect_exact(
        &mut carol,
        &format!(
            ":{} PRIVMSG #lobby :\u{2}bold\u{2} \u{3}4red \u{3}12,4on blue\u{f} \u{1d}it\u{1d} \u{4}ff0000hex",
            prefix("bob")
        ),
    );
    expect_said(&mut alice, "<bob> bold red on blue it hex");

    // Joiners stay, for both.
    send(&mut bob, &format!("PRIVMSG #lobby :{JOINED}"));
    expect_exact(&mut carol, &format!(":{} PRIVMSG #lobby :{JOINED}", prefix("bob")));
    expect_said(&mut alice, &format!("<bob> {JOINED}"));

    // Notices and private messages alike.
    send(&mut bob, &format!("NOTICE #lobby :{HOSTILE}"));
    expect_exact(&mut carol, &format!(":{} NOTICE #lobby {HOSTILE_CLEAN}", prefix("bob")));
    expect_said(&mut alice, &format!("-bob- {HOSTILE_CLEAN}"));
    send(&mut bob, &format!("PRIVMSG carol :{HOSTILE}"));
    expect_exact(&mut carol, &format!(":{} PRIVMSG carol {HOSTILE_CLEAN}", prefix("bob")));
    send(&mut bob, &format!("PRIVMSG alice :{HOSTILE}"));
    expect_said(&mut alice, &format!("*bob* {HOSTILE_CLEAN}"));

    // A line of nothing but removed characters is no text at all.
    send(&mut bob, "PRIVMSG #lobby :\u{7}\u{1b}\u{202e}");
    expect_exact(&mut bob, &num("412", "bob", ":No text to send"));

    settle(&mut bob, "bob-done");
    settle(&mut carol, "carol-done");
    netcat_settle(&mut alice);
}

#[test]
fn topics_reach_irc_and_netcat_users_without_hostile_characters() {
    let server = start(&[]);
    let (mut alice, mut bob, mut carol) = lobby_of_three(&server);

    send(&mut bob, &format!("TOPIC #lobby :\u{2}{HOSTILE}\u{2} {JOINED}"));
    let topic_for_irc = format!("\u{2}{HOSTILE_CLEAN}\u{2} {JOINED}");
    let topic_for_netcat = format!("{HOSTILE_CLEAN} {JOINED}");
    expect_exact(&mut carol, &format!(":{} TOPIC #lobby :{topic_for_irc}", prefix("bob")));
    expect_exact(&mut alice, &format!("-- bob set the topic of #lobby: {topic_for_netcat}"));

    // Asked for later, it is the same.
    send(&mut carol, "TOPIC #lobby");
    expect_exact(&mut carol, &num("332", "carol", &format!("#lobby :{topic_for_irc}")));
    carol.expect_next(&num("333", "carol", "#lobby bob!~u@127.0.0.1 "));
    alice.send("/rooms");
    expect_exact(&mut alice, "-- 1 room:");
    expect_exact(&mut alice, &format!("--   #lobby (3 users): {topic_for_netcat}"));

    // A topic of nothing but removed characters is no topic: the line asks for the topic, as the
    // same text does from netcat. An empty topic clears it.
    expect_exact(&mut bob, &format!(":{} TOPIC #lobby :{topic_for_irc}", prefix("bob")));
    send(&mut bob, "TOPIC #lobby :\u{202e}\u{7}");
    expect_exact(&mut bob, &num("332", "bob", &format!("#lobby :{topic_for_irc}")));
    bob.expect_next(&num("333", "bob", "#lobby bob!~u@127.0.0.1 "));
    alice.send("/topic \u{202e}\u{7}");
    alice.expect_next(&format!("-- Topic of #lobby: {topic_for_netcat} (set by bob ["));
    settle(&mut carol, "topic-unchanged");
    send(&mut bob, "TOPIC #lobby :");
    expect_exact(&mut carol, &format!(":{} TOPIC #lobby :", prefix("bob")));
    expect_exact(&mut alice, "-- bob cleared the topic of #lobby");

    settle(&mut carol, "carol-done");
    netcat_settle(&mut alice);
}

#[test]
fn quit_part_and_away_texts_reach_irc_and_netcat_users_without_hostile_characters() {
    let server = start(&[]);
    let (mut alice, mut bob, mut carol) = lobby_of_three(&server);

    send(&mut bob, &format!("AWAY :{HOSTILE}"));
    expect_exact(&mut bob, &num("306", "bob", ":You have been marked as being away"));
    send(&mut carol, "PRIVMSG bob :are you there?");
    expect_exact(&mut carol, &num("301", "carol", &format!("bob {HOSTILE_CLEAN}")));
    alice.send("/msg bob hello?");
    let away = format!("-- bob is away: {HOSTILE_CLEAN}");
    assert_eq!(alice.expect(&away), away);

    send(&mut carol, &format!("PART #lobby :\u{1f}{HOSTILE}"));
    expect_exact(&mut carol, &format!(":{} PART #lobby \u{1f}{HOSTILE_CLEAN}", prefix("carol")));
    expect_exact(&mut alice, &format!("-- carol left #lobby ({HOSTILE_CLEAN})"));

    send(&mut bob, &format!("QUIT :\u{2}{HOSTILE}\u{2} {JOINED}"));
    expect_exact(&mut alice, &format!("-- bob quit (quit: {HOSTILE_CLEAN} {JOINED})"));
    netcat_settle(&mut alice);

    // An IRC user sharing a room sees the reason with its formatting.
    let mut dave = irc::in_rooms(&server, "dave", &["#lobby"]);
    expect_exact(&mut alice, "-- dave joined #lobby");
    let mut erin = irc::in_rooms(&server, "erin", &["#lobby"]);
    expect_exact(&mut dave, &format!(":{} JOIN #lobby", prefix("erin")));
    expect_exact(&mut alice, "-- erin joined #lobby");
    send(&mut erin, &format!("QUIT :\u{2}{HOSTILE}\u{2}"));
    expect_exact(&mut dave, &format!(":{} QUIT :Quit: \u{2}{HOSTILE_CLEAN}\u{2}", prefix("erin")));
    expect_exact(&mut alice, &format!("-- erin quit (quit: {HOSTILE_CLEAN})"));
    settle(&mut dave, "dave-done");
}

#[test]
fn real_names_in_whois_and_who_are_clean() {
    let server = start(&[]);
    let mut bob = irc::register_as(&server, "bob", &format!("\u{2}{HOSTILE}\u{2} {JOINED}"), "");
    let mut carol = irc::register_as(&server, "carol", "Carol", "");
    let realname = format!("\u{2}{HOSTILE_CLEAN}\u{2} {JOINED}");
    send(&mut carol, "WHOIS bob");
    expect_exact(&mut carol, &num("311", "carol", &format!("bob ~u 127.0.0.1 * :{realname}")));
    carol.expect(&num("318", "carol", "bob :End of /WHOIS list"));
    send(&mut carol, "WHO bob");
    let who = next(&mut carol);
    assert!(who.ends_with(&format!(" :0 {realname}")), "{who:?}");
    expect_exact(&mut carol, &num("315", "carol", "bob :End of /WHO list"));
    settle(&mut bob, "bob-done");
}

#[test]
fn kick_reasons_and_keys_are_clean_for_netcat_users() {
    let server = start(&[]);
    let mut bob = irc::register_as(&server, "bob", "Bob", "");
    send(&mut bob, "JOIN #den");
    expect_exact(&mut bob, &format!(":{} JOIN #den", prefix("bob")));
    bob.expect(&num("366", "bob", "#den :End of /NAMES list"));
    let mut alice = server.register("alice");
    alice.send("/join #den");
    alice.expect_next("-- You joined #den");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 JOIN #den");

    send(&mut bob, "MODE #den +k k\u{1b}e\u{202e}y");
    expect_exact(&mut bob, &format!(":{} MODE #den +k key", prefix("bob")));
    assert_eq!(alice.expect("-- bob set mode +k"), "-- bob set mode +k key on #den");

    send(&mut bob, &format!("KICK #den alice :\u{3}4{HOSTILE}"));
    expect_exact(&mut bob, &format!(":{} KICK #den alice \u{3}4{HOSTILE_CLEAN}", prefix("bob")));
    let kicked = format!("-- bob kicked alice from #den ({HOSTILE_CLEAN})");
    assert_eq!(alice.expect(&kicked), kicked);
    settle(&mut bob, "bob-done");
}

#[test]
fn long_text_with_joiners_and_hostile_characters_still_splits_into_512_byte_lines() {
    let server = start(&[]);
    let (mut alice, mut bob, mut carol) = lobby_of_three(&server);

    // A netcat user's long line (within --max-line) reaches IRC users over several PRIVMSGs.
    let typed: Vec<String> = (0..20).map(|i| format!("{JOINED} x{i}\u{202e}\u{2066}\u{feff}\u{7}")).collect();
    let said = typed.join(" ");
    let clean = said.replace(['\u{202e}', '\u{2066}', '\u{feff}', '\u{7}'], "");
    alice.send(&said);
    for irc in [&mut bob, &mut carol] {
        let head = ":alice!~alice@127.0.0.1 PRIVMSG #lobby :";
        let mut got = String::new();
        while got.replace(' ', "") != clean.replace(' ', "") {
            let line = next(irc);
            assert!(line.len() + 2 <= 512, "{} bytes: {line:?}", line.len() + 2);
            let text = line.strip_prefix(head).unwrap_or_else(|| panic!("not a piece of the message: {line:?}"));
            assert!(!text.contains(['\u{202e}', '\u{2066}', '\u{feff}', '\u{7}']), "{text:?}");
            got.push_str(text);
            assert!(got.len() <= clean.len(), "more text than was sent: {got:?}");
        }
    }

    // An IRC user's longest line gains a prefix and is split too; the netcat user gets one line.
    let long = format!("{}\u{2}{}", HOSTILE.repeat(8), "y".repeat(250));
    let cut = (0..=490).rev().find(|&i| long.is_char_boundary(i)).unwrap();
    let long = &long[..cut];
    send(&mut bob, &format!("PRIVMSG #lobby :{long}"));
    let want = long.replace(
        ['\u{1b}', '\u{7}', '\u{85}', '\u{9b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{2028}', '\u{feff}', '\u{fff9}'],
        "",
    );
    let want = want.replace(['\u{fffb}', '\u{61c}'], "");
    let mut got = String::new();
    while got.len() < want.len() {
        let line = next(&mut carol);
        assert!(line.len() + 2 <= 512, "{} bytes: {line:?}", line.len() + 2);
        let text = line.strip_prefix(&format!(":{} PRIVMSG #lobby ", prefix("bob"))).unwrap();
        got.push_str(text.strip_prefix(':').unwrap_or(text));
    }
    assert_eq!(got, want);
    expect_said(&mut alice, &format!("<bob> {}", want.replace('\u{2}', "")));

    settle(&mut bob, "bob-done");
    settle(&mut carol, "carol-done");
    netcat_settle(&mut alice);
}

/// Names typed by a netcat user reach the name rules as typed: refused with the reason, never
/// quietly cleaned into another name (`#\u{202e}gnp.exe` used to join `#gnp.exe`).
#[test]
fn netcat_names_with_invisible_or_direction_changing_characters_are_refused_not_cleaned() {
    let server = start(&[]);
    let mut bob = server.register("bob");
    for (room, shown) in [("#\u{202e}gnp.exe", "\\u{202e}"), ("#a\u{2028}b", "\\u{2028}"), ("#x\u{7}y", "\\u{7}")] {
        bob.send(&format!("/join {room}"));
        let error = bob.expect_next("error:");
        assert!(error.contains("is not a valid room name"), "{room:?}: {error:?}");
        assert!(error.contains(shown), "{room:?}: the error names the character: {error:?}");
        if !room.contains('\u{7}') {
            assert!(error.contains("invisible or direction-changing characters"), "{room:?}: {error:?}");
        }
    }
    bob.send("/rooms");
    expect_exact(&mut bob, "-- 1 room:");
    expect_exact(&mut bob, "--   #lobby (1 user)");
    netcat_settle(&mut bob);

    // At the prompt and with /nick, as IRC's NICK does (432).
    let mut newcomer = server.connect();
    newcomer.expect("-- Choose a nickname:");
    newcomer.send("al\u{202e}ice");
    let error = newcomer.expect_next("error:");
    assert!(error.contains("is not a valid nickname") && error.contains("\\u{202e}"), "{error:?}");
    newcomer.expect_next("-- Choose a nickname:");
    newcomer.send("al\u{7}ice");
    newcomer.expect_next("is not a valid nickname");
    newcomer.expect_next("-- Choose a nickname:");
    bob.send("/nick b\u{200b}ob");
    let error = bob.expect_next("error:");
    assert!(error.contains("is not a valid nickname") && error.contains("\\u{200b}"), "{error:?}");
    bob.send("/users");
    expect_exact(&mut bob, "-- 1 user online: bob");

    let mut carol = irc::register_as(&server, "carol", "Carol", "");
    send(&mut carol, "NICK al\u{202e}ice");
    expect_exact(
        &mut carol,
        &num(
            "432",
            "carol",
            "alice :Erroneous nickname: a nickname may only contain letters, digits and -_[]{}\\|^` (not '\\u{202e}')",
        ),
    );
}

/// A netcat user's free text is cleaned as before, now after parsing: messages, actions,
/// private messages, topics, reasons and away texts.
#[test]
fn netcat_free_text_is_cleaned_after_parsing() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc::in_rooms(&server, "bob", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    // DEL is a backspace for people typing (see framing), so it is left out here.
    let hostile_netcat = format!("{} \u{2}bold\u{2} \u{3}4red", HOSTILE.replace('\u{7f}', ""));
    let clean = format!("{HOSTILE_CLEAN} bold red");

    alice.send(&hostile_netcat);
    expect_exact(&mut bob, &format!(":alice!~alice@127.0.0.1 PRIVMSG #lobby :{clean}"));
    alice.send(&format!("/me {hostile_netcat}"));
    expect_exact(&mut bob, &format!(":alice!~alice@127.0.0.1 PRIVMSG #lobby :\u{1}ACTION {clean}\u{1}"));
    alice.send(&format!("/msg bob {hostile_netcat}"));
    expect_exact(&mut bob, &format!(":alice!~alice@127.0.0.1 PRIVMSG bob :{clean}"));
    alice.send(&format!("/topic {hostile_netcat}"));
    expect_exact(&mut bob, &format!(":alice!~alice@127.0.0.1 TOPIC #lobby :{clean}"));
    alice.expect(&format!("-- alice set the topic of #lobby: {clean}"));
    alice.send(&format!("/away {hostile_netcat}"));
    alice.expect_next(&format!("-- You are marked as away: {clean}"));
    // Text of nothing but removed characters is no text: a plain line says nothing, /msg wants text.
    alice.send("\u{7}\u{202e}");
    alice.send("/msg bob \u{7}\u{202e}");
    alice.expect_next("error: wrong arguments for /msg");
    settle(&mut bob, "nothing-said");
    alice.send(&format!("/part #lobby {hostile_netcat}"));
    expect_exact(&mut bob, &format!(":alice!~alice@127.0.0.1 PART #lobby :{clean}"));
}

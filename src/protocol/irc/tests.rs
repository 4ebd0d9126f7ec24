use super::*;
use crate::core::names::{Nick, RoomName};
use std::sync::Arc;

fn ok(line: &str) -> Command {
    match parse(line) {
        Some(Ok(command)) => command,
        other => panic!("{line:?} gave {other:?}"),
    }
}

fn err(line: &str) -> ParseError {
    match parse(line) {
        Some(Err(error)) => error,
        other => panic!("{line:?} gave {other:?}"),
    }
}

#[test]
fn registration_commands() {
    assert_eq!(ok("CAP LS 302"), Command::Cap { sub: "LS".into(), arg: "302".into() });
    assert_eq!(ok("cap req :multi-prefix"), Command::Cap { sub: "REQ".into(), arg: "multi-prefix".into() });
    assert_eq!(ok("NICK alice"), Command::Nick { nick: "alice".into() });
    assert_eq!(err("NICK"), ParseError::NoNicknameGiven);
    assert_eq!(ok("USER al 0 * :Alice Liddell"), Command::User { user: "al".into(), realname: "Alice Liddell".into() });
    assert_eq!(err("USER al 0 *"), ParseError::Usage("USER"));
    assert_eq!(ok("PASS secret"), Command::Pass { password: "secret".into() });
    assert_eq!(err("PASS"), ParseError::Usage("PASS"));
}

#[test]
fn messages_lists_and_actions() {
    assert_eq!(
        ok("PRIVMSG #a,bob :hi there"),
        Command::Message {
            targets: vec!["#a".into(), "bob".into()],
            text: "hi there".into(),
            kind: MessageKind::Normal,
            tags: None
        }
    );
    assert_eq!(
        ok("PRIVMSG #a :\u{1}ACTION waves\u{1}"),
        Command::Message { targets: vec!["#a".into()], text: "waves".into(), kind: MessageKind::Action, tags: None }
    );
    assert_eq!(
        ok("NOTICE bob :psst"),
        Command::Message { targets: vec!["bob".into()], text: "psst".into(), kind: MessageKind::Notice, tags: None }
    );
    assert_eq!(err("PRIVMSG"), ParseError::NoRecipient("PRIVMSG"));
    assert_eq!(err("PRIVMSG #a"), ParseError::NoTextToSend);
    assert_eq!(err("PRIVMSG #a :"), ParseError::NoTextToSend);
}

#[test]
fn join_part_topic_and_tags() {
    assert_eq!(
        ok("JOIN #a,#b key"),
        Command::JoinMany { rooms: vec!["#a".into(), "#b".into()], keys: vec!["key".into()] }
    );
    assert_eq!(ok("JOIN 0"), Command::PartAll);
    // A key of nothing but control characters stays what it is (it matches no key).
    assert_eq!(
        ok("JOIN #a,#b \x07,k2"),
        Command::JoinMany { rooms: vec!["#a".into(), "#b".into()], keys: vec!["\x07".into(), "k2".into()] }
    );
    assert_eq!(err("JOIN"), ParseError::Usage("JOIN"));
    assert_eq!(ok("PART #a :bye now"), Command::PartMany { rooms: vec!["#a".into()], reason: Some("bye now".into()) });
    assert_eq!(ok("TOPIC #a"), Command::Topic { room: Some("#a".into()), change: None });
    assert_eq!(ok("TOPIC #a :"), Command::Topic { room: Some("#a".into()), change: Some(TopicChange::Clear) });
    assert_eq!(ok("@time=x;y :nick!u@h PING :tok"), Command::Ping { token: "tok".into() });
}

#[test]
fn unknown_empty_and_overlong() {
    assert_eq!(err("FROB x"), ParseError::UnknownCommand("FROB".into()));
    assert!(parse("").is_none());
    assert!(parse("   ").is_none());
    let long = format!("PRIVMSG #a :{}", "x".repeat(600));
    assert_eq!(err(&long), ParseError::LineTooLong { limit: 512 });
    let tagged = format!("@a={} PRIVMSG #a :hi", "x".repeat(1000));
    assert!(matches!(parse(&tagged), Some(Ok(Command::Message { .. }))));
    assert!(matches!(parse(&format!(" {tagged}")), Some(Ok(Command::Message { .. }))));
}

fn person(nick: &str) -> Arc<Person> {
    Arc::new(Person {
        nick: Nick::parse(nick).unwrap(),
        user: "~u".into(),
        host: "127.0.0.1".into(),
        account: None,
        realname: "".into(),
    })
}

fn rendered(reply: &Reply) -> Vec<String> {
    let view = View {
        server: "irc.test",
        nick: "bob",
        started: 0,
        ping_after_secs: 120,
        server_time: false,
        multi_prefix: false,
    };
    let mut out = Vec::new();
    render(reply, &view, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.is_empty() || text.ends_with("\r\n"));
    text.split_terminator("\r\n").map(str::to_string).collect()
}

#[test]
fn room_message_and_action_carry_the_full_prefix() {
    let room = RoomName::parse("#lobby").unwrap();
    let said = |kind| Reply::Said {
        id: 1,
        room: room.clone(),
        from: person("alice"),
        text: "hi".into(),
        kind,
        at: 0,
        tags: None,
    };
    assert_eq!(rendered(&said(MessageKind::Normal)), vec![":alice!~u@127.0.0.1 PRIVMSG #lobby hi"]);
    assert_eq!(rendered(&said(MessageKind::Action)), vec![":alice!~u@127.0.0.1 PRIVMSG #lobby :\u{1}ACTION hi\u{1}"]);
}

#[test]
fn long_text_is_split_not_cut() {
    let room = RoomName::parse("#lobby").unwrap();
    let text: String = (0..300).map(|i| format!("w{i} ")).collect();
    let reply = Reply::Said {
        id: 1,
        room,
        from: person("alice"),
        text: text.as_str().into(),
        kind: MessageKind::Normal,
        at: 0,
        tags: None,
    };
    let lines = rendered(&reply);
    assert!(lines.len() >= 3);
    assert!(lines.iter().all(|l| l.len() + 2 <= 512));
    let joined: Vec<&str> =
        lines.iter().map(|l| l.split_once(" :").map_or_else(|| l.rsplit(' ').next().unwrap(), |(_, t)| t)).collect();
    assert_eq!(joined.join(" ").split_whitespace().count(), 300);
}

#[test]
fn numerics_name_the_recipient_and_errors_use_rfc_codes() {
    assert_eq!(
        rendered(&Reply::Error(ChatError::NickTaken("al".into()))),
        vec![":irc.test 433 bob al :Nickname is already in use"]
    );
    assert_eq!(
        rendered(&Reply::Error(ChatError::Parse(ParseError::UnknownCommand("FROB".into())))),
        vec![":irc.test 421 bob FROB :Unknown command"]
    );
    assert_eq!(rendered(&Reply::Error(ChatError::NickRequired)), vec![":irc.test 451 bob :You have not registered"]);
    assert_eq!(rendered(&Reply::Pong { token: "x".into() }), vec![":irc.test PONG irc.test x"]);
}

#[test]
fn welcome_sends_001_to_005_lusers_and_motd() {
    let counts = Counts { users: 3, invisible: 2, opers: 0, unregistered: 0, rooms: 1, max_users: 3 };
    let lines = rendered(&Reply::Welcome { person: person("bob"), counts });
    assert_eq!(lines[6], ":irc.test 251 bob :There are 1 users and 2 invisible on 1 servers");
    assert_eq!(lines[8], ":irc.test 255 bob :I have 3 clients and 0 servers");
    let codes: Vec<&str> = lines.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(
        codes,
        ["001", "002", "003", "004", "005", "005", "251", "254", "255", "265", "266", "375", "372", "372", "376"]
    );
    assert!(lines[4].contains("CASEMAPPING=ascii") && lines[4].ends_with(":are supported by this server"));
    // At most 13 tokens a line (15 parameters with the recipient and the text).
    for line in &lines[4..6] {
        assert!(line.split(" :").next().unwrap().split(' ').count() <= 3 + 13, "{line}");
    }
    assert!(lines[4..6].iter().any(|l| l.contains(" CHATHISTORY=100 ")), "{lines:?}");
    assert!(lines[4..6].iter().any(|l| l.contains(" MSGREFTYPES=msgid,timestamp ")), "{lines:?}");
}

#[test]
fn long_mode_announcements_are_split_between_whole_changes() {
    let masks: Vec<String> = (0..6).map(|i| format!("user{i}!*@{}.example.org", "h".repeat(60))).collect();
    let reply = Reply::ModesChanged {
        room: RoomName::parse("#room").unwrap(),
        by: person("al"),
        changes: "+bbbbbb-o".into(),
        params: masks.iter().cloned().chain(["bob".to_string()]).collect(),
    };
    let lines = rendered(&reply);
    assert!(lines.len() > 1);
    assert!(lines.iter().all(|l| l.len() + 2 <= 512), "{lines:?}");
    let all = lines.join(" ");
    assert!(masks.iter().all(|m| all.contains(m.as_str())));
    assert!(lines.last().unwrap().contains(" +b-o ") && lines.last().unwrap().ends_with(" bob"), "{lines:?}");
}

/// Text with one of every kind of character a client might send, harmful or not.
const NASTY: &str = "\x1b[2J\x07\u{85}\u{9b}31m\x7f\u{202e}gnp\u{2066}\u{2028}\u{feff}\u{fff9}\t\x02b\x02 \x034red \u{1f469}\u{200d}\u{1f4bb}";
/// What is left of `NASTY` between IRC users.
const NASTY_FOR_IRC: &str = "[2J31mgnp \x02b\x02 \x034red \u{1f469}\u{200d}\u{1f4bb}";

#[test]
fn incoming_free_text_is_cleaned_but_names_are_not() {
    let message =
        |text: &str, kind| Command::Message { targets: vec!["#a".into()], text: text.into(), kind, tags: None };
    assert_eq!(ok(&format!("PRIVMSG #a :{NASTY}")), message(NASTY_FOR_IRC, MessageKind::Normal));
    assert_eq!(ok(&format!("NOTICE #a :{NASTY}")), message(NASTY_FOR_IRC, MessageKind::Notice));
    assert_eq!(ok(&format!("PRIVMSG #a :\x01ACTION {NASTY}\x01")), message(NASTY_FOR_IRC, MessageKind::Action));
    assert_eq!(
        ok(&format!("TOPIC #a :{NASTY}")),
        Command::Topic { room: Some("#a".into()), change: Some(TopicChange::Set(NASTY_FOR_IRC.into())) }
    );
    assert_eq!(ok(&format!("QUIT :{NASTY}")), Command::Quit { reason: Some(NASTY_FOR_IRC.into()) });
    assert_eq!(ok(&format!("AWAY :{NASTY}")), Command::Away { text: Some(NASTY_FOR_IRC.into()) });
    assert_eq!(
        ok(&format!("PART #a :{NASTY}")),
        Command::PartMany { rooms: vec!["#a".into()], reason: Some(NASTY_FOR_IRC.into()) }
    );
    assert_eq!(ok(&format!("USER u 0 * :{NASTY}")), Command::User { user: "u".into(), realname: NASTY_FOR_IRC.into() });
    assert_eq!(
        ok(&format!("KICK #a bob :{NASTY}")),
        Command::KickMany { room: Some("#a".into()), nicks: vec!["bob".into()], reason: Some(NASTY_FOR_IRC.into()) }
    );
    assert_eq!(ok(&format!("KILL bob :{NASTY}")), Command::Kill { nick: "bob".into(), reason: NASTY_FOR_IRC.into() });
    assert_eq!(ok("KILL bob"), Command::Kill { nick: "bob".into(), reason: "no reason given".into() });
    // Names are refused by `names`, not quietly cleaned here.
    assert_eq!(ok("JOIN #\u{202e}gnp.exe"), Command::JoinMany { rooms: vec!["#\u{202e}gnp.exe".into()], keys: vec![] });
    assert_eq!(ok("NICK al\u{200b}ice"), Command::Nick { nick: "al\u{200b}ice".into() });
}

#[test]
fn text_of_nothing_but_removed_characters_is_no_text() {
    assert_eq!(err("PRIVMSG #a :\x07\x1b"), ParseError::NoTextToSend);
    assert!(parse("NOTICE #a :\x07").is_none());
    // A topic of nothing but removed characters asks for the topic, as the same text does from
    // netcat (`/topic #a` plus a bell); only an empty topic clears it.
    assert_eq!(ok("TOPIC #a :\u{202e}\x07"), Command::Topic { room: Some("#a".into()), change: None });
    assert_eq!(ok("TOPIC #a :"), Command::Topic { room: Some("#a".into()), change: Some(TopicChange::Clear) });
    assert_eq!(ok("QUIT :\x07"), Command::Quit { reason: None });
    assert_eq!(ok("AWAY :\u{feff}"), Command::Away { text: None });
    // An empty action stays what it was.
    assert_eq!(
        ok("PRIVMSG #a :\x01ACTION\x01"),
        Command::Message { targets: vec!["#a".into()], text: String::new(), kind: MessageKind::Action, tags: None }
    );
}

#[test]
fn outgoing_text_is_cleaned_for_irc_users() {
    let room = RoomName::parse("#a").unwrap();
    let said = Reply::Said {
        id: 1,
        room: room.clone(),
        from: person("al"),
        text: NASTY.into(),
        kind: MessageKind::Normal,
        at: 0,
        tags: None,
    };
    assert_eq!(rendered(&said), vec![format!(":al!~u@127.0.0.1 PRIVMSG #a :{NASTY_FOR_IRC}")]);
    let topic = Reply::TopicChanged { room: room.clone(), by: person("al"), topic: Some(NASTY.into()) };
    assert_eq!(rendered(&topic), vec![format!(":al!~u@127.0.0.1 TOPIC #a :{NASTY_FOR_IRC}")]);
    let quit = Reply::Quit { who: person("al"), reason: QuitReason::Quit(Some(NASTY.into())) };
    assert_eq!(rendered(&quit), vec![format!(":al!~u@127.0.0.1 QUIT :Quit: {NASTY_FOR_IRC}")]);
    let kick = Reply::Kicked { room, by: person("al"), nick: Nick::parse("bob").unwrap(), reason: NASTY.into() };
    assert_eq!(rendered(&kick), vec![format!(":al!~u@127.0.0.1 KICK #a bob :{NASTY_FOR_IRC}")]);
    let away = Reply::PeerAway { nick: Nick::parse("al").unwrap(), text: NASTY.into() };
    assert_eq!(rendered(&away), vec![format!(":irc.test 301 bob al :{NASTY_FOR_IRC}")]);
    let bad_room = Reply::Error(ChatError::RoomInvalid {
        room: "#\u{202e}gnp.exe".into(),
        why: crate::core::names::RoomError::Invisible('\u{202e}'),
    });
    assert_eq!(rendered(&bad_room), vec![":irc.test 403 bob #gnp.exe :No such channel"]);
}

#[test]
fn nasty_long_text_still_fits_in_512_byte_lines() {
    let room = RoomName::parse("#a").unwrap();
    let text: String = (0..100).map(|i| format!("{NASTY}\r\n\0{i} ")).collect();
    for kind in [MessageKind::Normal, MessageKind::Action, MessageKind::Notice] {
        let said = Reply::Said {
            id: 1,
            room: room.clone(),
            from: person("al"),
            text: text.as_str().into(),
            kind,
            at: 0,
            tags: None,
        };
        let lines = rendered(&said);
        assert!(lines.len() > 3, "{kind:?}");
        for line in &lines {
            assert!(line.len() + 2 <= MAX_LINE_BYTES, "{kind:?}: {} bytes", line.len() + 2);
            assert!(!line.contains(['\r', '\n', '\0', '\x1b', '\u{202e}']), "{kind:?}: {line:?}");
        }
    }
}

#[test]
fn quit_reasons_read_like_irc() {
    let reply = Reply::Quit { who: person("al"), reason: QuitReason::PingTimeout };
    assert_eq!(rendered(&reply), vec![":al!~u@127.0.0.1 QUIT :Ping timeout: 120 seconds"]);
}

mod accounts;
mod ircv3;
mod modes;
mod queries;

use super::*;
use crate::core::names::RoomName;
use crate::protocol::QuitReason;

fn say(text: &str) -> Command {
    Command::Say { text: text.to_string() }
}

#[test]
fn plain_lines_are_messages() {
    assert_eq!(parse("hello there"), Ok(say("hello there")));
    assert_eq!(parse("//not a command"), Ok(say("/not a command")));
}

#[test]
fn commands_are_case_insensitive() {
    assert_eq!(parse("/NICK bob"), Ok(Command::Nick { nick: "bob".into() }));
    assert_eq!(parse("/Join #rust"), Ok(Command::Join { room: "#rust".into(), key: None }));
}

#[test]
fn msg_needs_nick_and_text() {
    assert_eq!(parse("/msg bob hi there"), Ok(Command::Private { to: "bob".into(), text: "hi there".into() }));
    assert_eq!(parse("/msg bob"), Err(ParseError::Usage("msg")));
    assert_eq!(parse("/msg"), Err(ParseError::Usage("msg")));
    assert_eq!(parse("/msg   bob    spaced"), Ok(Command::Private { to: "bob".into(), text: "spaced".into() }));
}

#[test]
fn me_needs_text() {
    assert_eq!(parse("/me waves"), Ok(Command::Action { text: "waves".into() }));
    assert_eq!(parse("/me"), Err(ParseError::Usage("me")));
    assert_eq!(parse("/me   "), Err(ParseError::Usage("me")));
}

#[test]
fn nick_and_join_take_exactly_one_word() {
    assert_eq!(parse("/nick"), Err(ParseError::Usage("nick")));
    assert_eq!(parse("/nick a b"), Err(ParseError::Usage("nick")));
    assert_eq!(parse("/join"), Err(ParseError::Usage("join")));
    assert_eq!(parse("/join #a #b"), Err(ParseError::Usage("join")));
    assert_eq!(parse("/join #a k3y"), Ok(Command::Join { room: "#a".into(), key: Some("k3y".into()) }));
    assert_eq!(parse("/join #a k e"), Err(ParseError::Usage("join")));
}

#[test]
fn part_room_and_reason_are_optional() {
    assert_eq!(parse("/part"), Ok(Command::Part { room: None, reason: None }));
    assert_eq!(parse("/part #rust"), Ok(Command::Part { room: Some("#rust".into()), reason: None }));
    assert_eq!(
        parse("/part #rust see you"),
        Ok(Command::Part { room: Some("#rust".into()), reason: Some("see you".into()) })
    );
    assert_eq!(parse("/part bye all"), Ok(Command::Part { room: None, reason: Some("bye all".into()) }));
}

#[test]
fn listing_commands_take_no_extra_words() {
    assert_eq!(parse("/rooms"), Ok(Command::Rooms));
    assert_eq!(parse("/rooms x"), Err(ParseError::Usage("rooms")));
    assert_eq!(parse("/users"), Ok(Command::Users));
    assert_eq!(parse("/users x"), Err(ParseError::Usage("users")));
    assert_eq!(parse("/who"), Ok(Command::Who { room: None }));
    assert_eq!(parse("/who #a"), Ok(Command::Who { room: Some("#a".into()) }));
    assert_eq!(parse("/who #a b"), Err(ParseError::Usage("who")));
}

#[test]
fn topic_forms() {
    assert_eq!(parse("/topic"), Ok(Command::Topic { room: None, change: None }));
    assert_eq!(parse("/topic #a"), Ok(Command::Topic { room: Some("#a".into()), change: None }));
    assert_eq!(
        parse("/topic #a new topic"),
        Ok(Command::Topic { room: Some("#a".into()), change: Some(TopicChange::Set("new topic".into())) })
    );
    assert_eq!(
        parse("/topic rust is fun"),
        Ok(Command::Topic { room: None, change: Some(TopicChange::Set("rust is fun".into())) })
    );
    assert_eq!(parse("/topic #a -"), Ok(Command::Topic { room: Some("#a".into()), change: Some(TopicChange::Clear) }));
}

#[test]
fn kick_mode_invite() {
    let kick = |room: Option<&str>, nick: &str, reason: Option<&str>| Command::Kick {
        room: room.map(str::to_string),
        nick: nick.to_string(),
        reason: reason.map(str::to_string),
    };
    assert_eq!(parse("/kick bob"), Ok(kick(None, "bob", None)));
    assert_eq!(parse("/kick bob go away"), Ok(kick(None, "bob", Some("go away"))));
    assert_eq!(parse("/kick #r bob bye"), Ok(kick(Some("#r"), "bob", Some("bye"))));
    assert_eq!(parse("/kick"), Err(ParseError::Usage("kick")));
    assert_eq!(parse("/kick #r"), Err(ParseError::Usage("kick")));
    assert_eq!(parse("/mode"), Ok(Command::Mode { target: String::new(), changes: vec![] }));
    assert_eq!(
        parse("/mode #r +o bob"),
        Ok(Command::Mode { target: "#r".into(), changes: vec!["+o".into(), "bob".into()] })
    );
    assert_eq!(parse("/mode +i"), Ok(Command::Mode { target: String::new(), changes: vec!["+i".into()] }));
    assert_eq!(parse("/invite bob"), Ok(Command::Invite { nick: "bob".into(), room: None }));
    assert_eq!(parse("/invite bob #r"), Ok(Command::Invite { nick: "bob".into(), room: Some("#r".into()) }));
    assert_eq!(parse("/invite"), Err(ParseError::Usage("invite")));
}

#[test]
fn away_quit_help() {
    assert_eq!(parse("/away"), Ok(Command::Away { text: None }));
    assert_eq!(parse("/away lunch"), Ok(Command::Away { text: Some("lunch".into()) }));
    assert_eq!(parse("/quit"), Ok(Command::Quit { reason: None }));
    assert_eq!(parse("/quit bye now"), Ok(Command::Quit { reason: Some("bye now".into()) }));
    assert_eq!(parse("/help"), Ok(Command::Help { command: None }));
    assert_eq!(parse("/help msg"), Ok(Command::Help { command: Some("msg".into()) }));
    assert_eq!(parse("/help a b"), Err(ParseError::Usage("help")));
}

#[test]
fn unknown_commands_are_named() {
    assert_eq!(parse("/jion #a"), Err(ParseError::UnknownCommand("/jion".into())));
    assert_eq!(parse("/"), Err(ParseError::UnknownCommand("/".into())));
    assert_eq!(parse("/ msg bob hi"), Err(ParseError::UnknownCommand("/".into())));
}

#[test]
fn clean_input_decodes_and_trims_but_removes_nothing() {
    assert_eq!(clean_input(b"a\tb\x07c \t "), "a b\x07c");
    assert_eq!(clean_input(&[b'o', b'k', 0xff, 0xfe]), "ok\u{fffd}\u{fffd}");
    assert_eq!(clean_input("al\u{202e}ice".as_bytes()), "al\u{202e}ice");
    assert_eq!(clean_input("#a\u{2028}".as_bytes()), "#a\u{2028}", "only spaces are trimmed");
    assert_eq!(clean_input(b""), "");
}

#[test]
fn names_are_parsed_as_typed() {
    let join = |room: &str| Ok(Command::Join { room: room.into(), key: None });
    assert_eq!(parse("/join #\u{202e}gnp.exe"), join("#\u{202e}gnp.exe"));
    assert_eq!(parse("/join #x\u{2028}y"), join("#x\u{2028}y"));
    assert_eq!(parse("/join \u{2028}#x"), join("\u{2028}#x"), "only spaces separate words");
    assert_eq!(parse("/nick al\u{202e}ice"), Ok(Command::Nick { nick: "al\u{202e}ice".into() }));
    assert_eq!(parse("al\u{202e}ice"), Ok(say("al\u{202e}ice")), "a plain line may be a nickname");
    assert_eq!(parse("/msg b\u{7}ob hi"), Ok(Command::Private { to: "b\u{7}ob".into(), text: "hi".into() }));
    assert_eq!(
        parse("/kick #r\u{200b} b\u{7}ob"),
        Ok(Command::Kick { room: Some("#r\u{200b}".into()), nick: "b\u{7}ob".into(), reason: None })
    );
    assert_eq!(parse("/who #\u{feff}a"), Ok(Command::Who { room: Some("#\u{feff}a".into()) }));
    assert_eq!(parse("/invite b\u{7f}ob"), Ok(Command::Invite { nick: "b\u{7f}ob".into(), room: None }));
}

#[test]
fn free_text_is_cleaned_after_parsing() {
    let nasty = "\x1b[31mred\x07 \u{202e}x\u{2028}y\u{feff} \x02b\x034c \u{1f469}\u{200d}\u{1f4bb}";
    let clean = "[31mred xy bc \u{1f469}\u{200d}\u{1f4bb}";
    assert_eq!(parse(&format!("/msg bob {nasty}")), Ok(Command::Private { to: "bob".into(), text: clean.into() }));
    assert_eq!(parse(&format!("/me {nasty}")), Ok(Command::Action { text: clean.into() }));
    assert_eq!(parse(&format!("/away {nasty}")), Ok(Command::Away { text: Some(clean.into()) }));
    assert_eq!(parse(&format!("/quit {nasty}")), Ok(Command::Quit { reason: Some(clean.into()) }));
    assert_eq!(
        parse(&format!("/part #a {nasty}")),
        Ok(Command::Part { room: Some("#a".into()), reason: Some(clean.into()) })
    );
    assert_eq!(
        parse(&format!("/kick bob {nasty}")),
        Ok(Command::Kick { room: None, nick: "bob".into(), reason: Some(clean.into()) })
    );
    assert_eq!(
        parse(&format!("/topic #a {nasty}")),
        Ok(Command::Topic { room: Some("#a".into()), change: Some(TopicChange::Set(clean.into())) })
    );
    assert_eq!(parse("/join #a k\x1b\x02ey"), Ok(Command::Join { room: "#a".into(), key: Some("key".into()) }));
    assert_eq!(
        parse("/mode #a +kb k\u{202e}ey \u{7}"),
        Ok(Command::Mode { target: "#a".into(), changes: vec!["+kb".into(), "key".into()] })
    );
    // Text that cleans to nothing is no text.
    assert_eq!(parse("/msg bob \x07\u{202e}"), Err(ParseError::Usage("msg")));
    assert_eq!(parse("/me \x07"), Err(ParseError::Usage("me")));
    assert_eq!(parse("/away \x07"), Ok(Command::Away { text: None }));
    assert_eq!(parse("/topic #a \x07"), Ok(Command::Topic { room: Some("#a".into()), change: None }));
    assert_eq!(said_text(nasty).as_deref(), Some(clean));
    assert_eq!(said_text("  hi\x07 "), Some("  hi ".into()));
    assert_eq!(said_text("\x07\u{202e} "), None);
}

#[test]
fn invalid_names_are_shown_escaped() {
    use crate::core::names::{NickError, RoomError};
    let room = ChatError::RoomInvalid { room: "#\u{202e}gnp\x1b".into(), why: RoomError::Invisible('\u{202e}') };
    let shown = render_str(&Reply::Error(room), false);
    assert!(shown.starts_with("error: \"#\\u{202e}gnp\\u{1b}\" is not a valid room name: "), "{shown:?}");
    let nick = ChatError::NickInvalid { nick: "al\u{202e}ice".into(), why: NickError::BadChar('\u{202e}') };
    let shown = render_str(&Reply::Error(nick), false);
    assert!(shown.starts_with("error: \"al\\u{202e}ice\" is not a valid nickname: "), "{shown:?}");
    assert!(shown.contains("(not '\\u{202e}')"), "{shown:?}");
}

fn render_str(reply: &Reply, multi_room: bool) -> String {
    let mut out = Vec::new();
    render(reply, View { multi_room, terminator: Terminator::Newline }, &mut out);
    String::from_utf8(out).unwrap()
}

fn person(s: &str) -> std::sync::Arc<Person> {
    std::sync::Arc::new(Person {
        nick: Nick::parse(s).unwrap(),
        user: "~u".into(),
        host: "127.0.0.1".into(),
        account: None,
        realname: "".into(),
    })
}

#[test]
fn messages_render_with_time_and_room_when_in_several() {
    let reply = Reply::Said {
        id: 1,
        room: RoomName::parse("#rust").unwrap(),
        from: person("alice"),
        text: "hi \x1b[2J".into(),
        kind: MessageKind::Normal,
        at: (14 * 3600 + 2 * 60 + 5) * 1000,
        tags: None,
    };
    assert_eq!(render_str(&reply, false), "[14:02] <alice> hi [2J\r\n");
    assert_eq!(render_str(&reply, true), "[14:02] #rust <alice> hi [2J\r\n");
}

#[test]
fn text_from_irc_users_is_shown_without_formatting_or_controls() {
    let room = RoomName::parse("#a").unwrap();
    let nasty = "\x02bold\x02 \x034red\x0f \x1b[2J\x07\u{85}\u{9b}\x7f\u{202e}\u{2066}\u{2028}\u{feff}\u{fff9}\u{1f469}\u{200d}\u{1f4bb}";
    let shown = "bold red [2J\u{1f469}\u{200d}\u{1f4bb}";
    let said = |kind| Reply::Said {
        id: 1,
        room: room.clone(),
        from: person("al"),
        text: nasty.into(),
        kind,
        at: 0,
        tags: None,
    };
    assert_eq!(render_str(&said(MessageKind::Normal), false), format!("[00:00] <al> {shown}\r\n"));
    assert_eq!(render_str(&said(MessageKind::Action), false), format!("[00:00] * al {shown}\r\n"));
    assert_eq!(render_str(&said(MessageKind::Notice), false), format!("[00:00] -al- {shown}\r\n"));
    let topic = Reply::TopicChanged { room: room.clone(), by: person("al"), topic: Some(nasty.into()) };
    assert_eq!(render_str(&topic, false), format!("-- al set the topic of #a: {shown}\r\n"));
    let quit = Reply::Quit { who: person("al"), reason: QuitReason::Quit(Some(nasty.into())) };
    assert_eq!(render_str(&quit, false), format!("-- al quit (quit: {shown})\r\n"));
    let modes = Reply::ModesChanged {
        room,
        by: person("al"),
        changes: "+kb".into(),
        params: vec!["k\x1b\x02ey".into(), "*!*@\u{202e}h".into()],
    };
    assert_eq!(render_str(&modes, false), "-- al set mode +kb key *!*@h on #a\r\n");
}

#[test]
fn nul_view_ends_lines_with_nul() {
    let mut out = Vec::new();
    render(&Reply::NickPrompt { reminder: false }, View { multi_room: false, terminator: Terminator::Nul }, &mut out);
    assert_eq!(out, b"-- Choose a nickname:\0");
}

#[test]
fn usage_errors_show_the_usage() {
    let text = render_str(&Reply::Error(ChatError::Parse(ParseError::Usage("msg"))), false);
    assert_eq!(text, "error: wrong arguments for /msg (usage: /msg NICK TEXT)\r\n");
}

#[test]
fn long_lists_wrap() {
    let users: Vec<UserInfo> = (0..200)
        .map(|i| UserInfo {
            person: person(&format!("user{i}")),
            away: false,
            op: false,
            voice: false,
            oper: false,
            realname: String::new(),
        })
        .collect();
    let text = render_str(&Reply::Users(users), false);
    assert!(text.lines().count() > 3);
    assert!(text.lines().all(|l| l.len() < 420));
    assert!(text.contains("user0,") && text.contains("user199"));
}

#[test]
fn crowds_get_a_count_and_summaries() {
    let room = RoomName::parse("#lobby").unwrap();
    let joined = Reply::YouJoinedCrowd { room: room.clone(), count: 3000, topic: None };
    assert_eq!(render_str(&joined, false), "-- You joined #lobby. 3000 here (type /who to list them)\r\n");
    let nicks = |names: &[&str]| names.iter().map(|n| Nick::parse(n).unwrap()).collect::<Vec<_>>();
    let summary = |joined, left, names: &[&str], span_secs| Reply::CrowdSummary {
        room: room.clone(),
        joined,
        left,
        first_joined: nicks(names),
        span_secs,
    };
    assert_eq!(
        render_str(&summary(12, 3, &["al", "bo", "cy"], 60), false),
        "-- #lobby in the last minute: 12 joined (al, bo, cy, ...), 3 left\r\n"
    );
    assert_eq!(
        render_str(&summary(2, 0, &["al", "bo"], 1), false),
        "-- #lobby in the last second: 2 joined (al, bo)\r\n"
    );
    assert_eq!(render_str(&summary(0, 5, &[], 90), false), "-- #lobby in the last 90 seconds: 5 left\r\n");
    assert_eq!(render_str(&summary(0, 1, &[], 300), false), "-- #lobby in the last 5 minutes: 1 left\r\n");
}

#[test]
fn quit_reason_renders() {
    let reply = Reply::Quit { who: person("bob"), reason: QuitReason::Quit(Some("bye".into())) };
    assert_eq!(render_str(&reply, false), "-- bob quit (quit: bye)\r\n");
}

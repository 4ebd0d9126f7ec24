use super::super::testing::*;
use crate::protocol::{ChatError, ParseError};

/// An IRC client that negotiated `caps`, as its session reports it.
fn irc_with(caps: &str) -> Profile {
    let mut session = crate::protocol::irc::face::IRC.session();
    let req = Command::Cap { sub: "REQ".into(), arg: caps.into() };
    assert_eq!(session.intercept(req, false, &mut Vec::new()), None);
    Profile { registration_held: false, ..session.profile() }
}

fn join(state: &mut State, id: u64, room: &str) -> Output {
    run(state, id, Command::JoinMany { rooms: vec![room.into()], keys: vec![] })
}

fn tagmsg(target: &str) -> Command {
    Command::TagMsg { targets: vec![target.into()], tags: Some("+typing=active".into()) }
}

/// alice (1, echo-message) and bob (2) in #a; carol (3) elsewhere.
fn three() -> State {
    let mut s = state();
    s.connect(ClientId(1), irc_with("echo-message"), "127.0.0.1", 0, &mut Output::default());
    run(&mut s, 1, Command::Nick { nick: "alice".into() });
    run(&mut s, 1, Command::User { user: "u".into(), realname: "Alice".into() });
    irc_registered(&mut s, 2, "bob");
    irc_registered(&mut s, 3, "carol");
    join(&mut s, 1, "#a");
    join(&mut s, 2, "#a");
    s
}

#[test]
fn tagmsg_goes_where_privmsg_goes_with_its_tags_and_an_echo() {
    let mut s = three();
    let out = run(&mut s, 1, tagmsg("#a"));
    let [Reply::TagMsg { target, tags, echo: false, id, .. }] = &replies_to(&out, 2)[..] else { panic!("{out:?}") };
    assert_eq!((target.as_str(), tags.as_deref()), ("#a", Some("+typing=active")));
    assert!(matches!(&replies_to(&out, 1)[..], [Reply::TagMsg { echo: true, id: echoed, .. }] if echoed == id));
    assert!(replies_to(&out, 3).is_empty());
    // To a nickname; bob has no echo.
    let out = run(&mut s, 2, tagmsg("CAROL"));
    assert!(matches!(&replies_to(&out, 3)[..], [Reply::TagMsg { target, .. }] if target == "carol"));
    assert!(replies_to(&out, 2).is_empty());
    // Errors as PRIVMSG's; nothing goes into history.
    let out = run(&mut s, 3, tagmsg("#a"));
    assert_eq!(replies_to(&out, 3), [&Reply::Error(ChatError::CannotSendToRoom(RoomName::parse("#a").unwrap()))]);
    let out = run(&mut s, 3, tagmsg("nobody"));
    assert_eq!(replies_to(&out, 3), [&Reply::Error(ChatError::NoSuchNick("nobody".into()))]);
    let out = run(&mut s, 2, Command::History { room: Some("#a".into()), count: None });
    assert!(replayed(&out, 2).is_empty());
}

#[test]
fn privmsg_carries_its_client_tags_and_echoes_to_an_echo_message_client() {
    let mut s = three();
    let message = |target: &str| Command::Message {
        targets: vec![target.into()],
        text: "hi".into(),
        kind: MessageKind::Normal,
        tags: Some("+draft/reply=x".into()),
    };
    let out = run(&mut s, 1, message("#a"));
    for id in [1, 2] {
        assert!(matches!(&replies_to(&out, id)[..], [Reply::Said { tags: Some(t), .. }] if &**t == "+draft/reply=x"));
    }
    let out = run(&mut s, 1, message("bob"));
    assert!(matches!(&replies_to(&out, 2)[..], [Reply::Private { echo: false, tags: Some(_), .. }]));
    assert!(matches!(&replies_to(&out, 1)[..], [Reply::Private { echo: true, tags: Some(_), .. }]));
}

#[test]
fn setname_changes_the_real_name_for_everyone_sharing_a_room() {
    let mut s = three();
    let out = run(&mut s, 1, Command::SetName { realname: "Alice Liddell".into() });
    for id in [1, 2] {
        assert!(
            matches!(&replies_to(&out, id)[..], [Reply::RealnameChanged { who }] if &*who.realname == "Alice Liddell"),
            "{id}: {out:?}"
        );
    }
    assert!(replies_to(&out, 3).is_empty());
    let out = run(&mut s, 3, Command::Whois { nick: "alice".into() });
    assert!(
        matches!(&replies_to(&out, 3)[..], [Reply::Whois { info: Some(info), .. }] if info.realname == "Alice Liddell")
    );
    let out = run(&mut s, 1, Command::SetName { realname: String::new() });
    assert_eq!(replies_to(&out, 1), [&Reply::Error(ChatError::InvalidRealname)]);
    assert!(replies_to(&out, 2).is_empty());
}

#[test]
fn away_changes_and_away_joiners_are_told_to_room_mates() {
    let mut s = three();
    let out = run(&mut s, 1, Command::Away { text: Some("lunch".into()) });
    assert!(matches!(&replies_to(&out, 2)[..], [Reply::AwayNotify { text: Some(t), .. }] if t == "lunch"));
    assert!(matches!(&replies_to(&out, 1)[..], [Reply::AwayChanged { .. }]));
    assert!(replies_to(&out, 3).is_empty());
    // carol joins while away: after her JOIN, the room hears she is away.
    run(&mut s, 3, Command::Away { text: Some("zzz".into()) });
    let out = join(&mut s, 3, "#a");
    let to_bob = replies_to(&out, 2);
    assert!(matches!(&to_bob[..], [Reply::Joined { .. }, Reply::AwayNotify { text: Some(t), .. }] if t == "zzz"));
    let out = run(&mut s, 1, Command::Away { text: None });
    assert!(matches!(&replies_to(&out, 3)[..], [Reply::AwayNotify { text: None, .. }]));
}

#[test]
fn room_operators_other_than_the_inviter_hear_of_invitations() {
    let mut s = three();
    // alice opened #a and runs it; bob is made an operator too.
    run(&mut s, 1, Command::Mode { target: "#a".into(), changes: vec!["+o".into(), "bob".into()] });
    let out = run(&mut s, 1, Command::Invite { nick: "carol".into(), room: Some("#a".into()) });
    let notice = |r: &&Reply| matches!(r, Reply::InviteNotify { nick, .. } if nick.as_str() == "carol");
    assert!(replies_to(&out, 2).iter().any(notice));
    assert!(!replies_to(&out, 1).iter().any(notice));
    assert!(matches!(&replies_to(&out, 3)[..], [Reply::Invited { .. }]));
}

#[test]
fn a_label_reaching_chat_state_is_dropped_and_the_line_handled() {
    let mut s = three();
    let labeled = Command::Labeled { label: "x".into(), input: Box::new(Ok(Command::Ping { token: "t".into() })) };
    let out = run(&mut s, 2, labeled);
    assert_eq!(replies_to(&out, 2), [&Reply::Pong { token: "t".into() }]);
    let failed = Command::Labeled { label: "x".into(), input: Box::new(Err(ParseError::NoTextToSend)) };
    let out = run(&mut s, 2, failed);
    assert_eq!(replies_to(&out, 2), [&Reply::Error(ChatError::Parse(ParseError::NoTextToSend))]);
}

//! IRCv3 on IRC, byte for byte: `msgid` and client-only tags on messages, `TAGMSG`, `AWAY`,
//! `SETNAME`, invite notices, `userhost-in-names`, `echo-message`, `FAIL`, and the session's
//! part: which replies each capability lets through, and the labeled response it frames.

use super::*;
use crate::protocol::dialect::{Dialect, Session, View as DialectView};
use crate::protocol::irc::face::IRC;

/// The server's start time, as `msgid`s carry it (`18bcfe56800` in hex).
const STARTED: Millis = 1_700_000_000_000;

fn view(server_time: bool) -> View<'static> {
    View { server: "irc.test", nick: "bob", started: STARTED, ping_after_secs: 120, server_time, multi_prefix: false }
}

const TAGS: Ircv3Caps = Ircv3Caps { message_tags: true, userhost_in_names: false, echo_message: false, batch: false };

fn rendered_with(reply: &Reply, server_time: bool, v3: Ircv3Caps) -> Vec<String> {
    let mut out = Vec::new();
    render_with(reply, &view(server_time), AccountCaps::default(), v3, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.is_empty() || text.ends_with("\r\n"));
    text.split_terminator("\r\n").map(str::to_string).collect()
}

fn said(tags: Option<&str>) -> Reply {
    Reply::Said {
        room: RoomName::parse("#a").unwrap(),
        from: person("alice"),
        text: "hi".into(),
        kind: MessageKind::Normal,
        at: 0,
        id: 37,
        tags: tags.map(Arc::from),
    }
}

#[test]
fn a_message_split_over_several_lines_carries_its_msgid_and_client_tags_on_the_first_only() {
    // A netcat or web user's line can be longer than one IRC line.
    let long = format!("{} {}", "a".repeat(400), "b".repeat(400));
    let reply = Reply::Said {
        room: RoomName::parse("#a").unwrap(),
        from: person("alice"),
        text: long.as_str().into(),
        kind: MessageKind::Normal,
        at: 0,
        id: 37,
        tags: Some(Arc::from("+x")),
    };
    let lines = rendered_with(&reply, true, TAGS);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("@time=1970-01-01T00:00:00.000Z;msgid=18bcfe56800-25;+x :alice!~u@127.0.0.1 PRIVMSG #a a"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("@time=1970-01-01T00:00:00.000Z :alice!~u@127.0.0.1 PRIVMSG #a b"), "{}", lines[1]);
    // The same in a chathistory batch.
    let entry =
        HistoryEntry { id: 2, at: 0, from: person("al"), text: long.as_str().into(), kind: MessageKind::Normal };
    let history = Reply::History { room: RoomName::parse("#a").unwrap(), entries: vec![entry.clone()] };
    let lines = rendered_with(&history, true, TAGS);
    assert_eq!(lines.iter().filter(|line| line.contains("msgid=")).count(), 1, "{lines:?}");
    let line = crate::protocol::history::HistoryLine { entry, to: Arc::from("#a") };
    let answer = Reply::ChatHistory { target: "#a".into(), lines: vec![line], from_oldest: true };
    let lines = rendered_with(&answer, true, TAGS);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("@time=1970-01-01T00:00:00.000Z;msgid=18bcfe56800-2 :al!~u@127.0.0.1 PRIVMSG #a a"));
    assert!(lines[1].starts_with("@time=1970-01-01T00:00:00.000Z :al!~u@127.0.0.1 PRIVMSG #a b"), "{lines:?}");
}

#[test]
fn messages_carry_msgid_and_client_tags_only_for_message_tags_clients() {
    let reply = said(Some("+draft/reply=loyw3v28-1;+x"));
    assert_eq!(rendered_with(&reply, false, Ircv3Caps::default()), [":alice!~u@127.0.0.1 PRIVMSG #a hi"]);
    assert_eq!(
        rendered_with(&reply, false, TAGS),
        ["@msgid=18bcfe56800-25;+draft/reply=loyw3v28-1;+x :alice!~u@127.0.0.1 PRIVMSG #a hi"]
    );
    // The server's tags come first: time, msgid, then the client's.
    assert_eq!(
        rendered_with(&said(None), true, TAGS),
        ["@time=1970-01-01T00:00:00.000Z;msgid=18bcfe56800-25 :alice!~u@127.0.0.1 PRIVMSG #a hi"]
    );
    // Replayed history keeps each message's id.
    let entry = HistoryEntry { id: 2, at: 0, from: person("al"), text: "old".into(), kind: MessageKind::Normal };
    let history = Reply::History { room: RoomName::parse("#a").unwrap(), entries: vec![entry] };
    assert_eq!(
        rendered_with(&history, true, TAGS),
        ["@time=1970-01-01T00:00:00.000Z;msgid=18bcfe56800-2 :al!~u@127.0.0.1 PRIVMSG #a old"]
    );
}

#[test]
fn own_private_messages_come_back_only_with_echo_message() {
    let private = |echo| Reply::Private {
        from: person("bob"),
        to: Nick::parse("alice").unwrap(),
        text: "psst".into(),
        kind: MessageKind::Notice,
        at: 0,
        echo,
        id: 1,
        tags: None,
    };
    assert!(rendered_with(&private(true), false, TAGS).is_empty());
    let echo = Ircv3Caps { echo_message: true, ..TAGS };
    let line = "@msgid=18bcfe56800-1 :bob!~u@127.0.0.1 NOTICE alice psst";
    assert_eq!(rendered_with(&private(true), false, echo), [line]);
    assert_eq!(rendered_with(&private(false), false, echo), [line]);
}

#[test]
fn tagmsg_away_setname_and_invite_notices() {
    let tagmsg = Reply::TagMsg {
        from: person("alice"),
        target: "#a".into(),
        tags: Some("+typing=active".into()),
        at: 0,
        id: 3,
        echo: false,
    };
    assert_eq!(
        rendered_with(&tagmsg, false, TAGS),
        ["@msgid=18bcfe56800-3;+typing=active :alice!~u@127.0.0.1 TAGMSG #a"]
    );
    assert!(rendered_with(&tagmsg, false, Ircv3Caps::default()).is_empty(), "never without message-tags");
    let away = Reply::AwayNotify { who: person("alice"), text: Some("gone: lunch".into()) };
    assert_eq!(rendered(&away), [":alice!~u@127.0.0.1 AWAY :gone: lunch"]);
    assert_eq!(rendered(&Reply::AwayNotify { who: person("alice"), text: None }), [":alice!~u@127.0.0.1 AWAY"]);
    let renamed = Arc::new(Person { realname: "Alice L".into(), ..(*person("alice")).clone() });
    assert_eq!(rendered(&Reply::RealnameChanged { who: renamed }), [":alice!~u@127.0.0.1 SETNAME :Alice L"]);
    let invite = Reply::InviteNotify {
        by: person("alice"),
        nick: Nick::parse("carol").unwrap(),
        room: RoomName::parse("#a").unwrap(),
    };
    assert_eq!(rendered(&invite), [":alice!~u@127.0.0.1 INVITE carol #a"]);
    assert_eq!(
        rendered(&Reply::Error(ChatError::InvalidRealname)),
        [":irc.test FAIL SETNAME INVALID_REALNAME :Realname is not valid"]
    );
}

#[test]
fn userhost_in_names_lists_full_masks() {
    let member = |nick: &str, op| UserInfo {
        person: person(nick),
        away: false,
        op,
        voice: false,
        oper: false,
        realname: String::new(),
    };
    let names = Reply::Names {
        room: "#a".into(),
        members: vec![member("alice", true), member("bob", false)],
        visibility: Default::default(),
        end: Some("#a".into()),
    };
    let userhost = Ircv3Caps { userhost_in_names: true, ..Ircv3Caps::default() };
    assert_eq!(
        rendered_with(&names, false, userhost),
        [":irc.test 353 bob = #a :@alice!~u@127.0.0.1 bob!~u@127.0.0.1", ":irc.test 366 bob #a :End of /NAMES list"]
    );
    assert_eq!(rendered_with(&names, false, Ircv3Caps::default())[0], ":irc.test 353 bob = #a :@alice bob");
}

fn dialect_view() -> DialectView<'static> {
    let terminator = crate::framing::Terminator::Newline;
    DialectView { server: "irc.test", started: STARTED, ping_after_secs: 0, nick: "bob", rooms: 1, terminator }
}

/// A session that negotiated `caps` (after registration).
fn session(caps: &str) -> Box<dyn Session> {
    let mut session = IRC.session();
    let mut replies = Vec::new();
    let req = Command::Cap { sub: "REQ".into(), arg: caps.into() };
    assert_eq!(session.intercept(req, true, &mut replies), None);
    assert!(matches!(&replies[..], [Reply::Cap { sub: "ACK", .. }]), "{replies:?}");
    session
}

fn labeled(label: &str, command: Command) -> Result<Command, ParseError> {
    Ok(Command::Labeled { label: label.into(), input: Box::new(Ok(command)) })
}

/// What the session sends at `end` after capturing `replies` (each offered as rendered).
fn framed(session: &mut Box<dyn Session>, replies: &[Reply]) -> (Vec<bool>, String) {
    let view = dialect_view();
    let taken = replies
        .iter()
        .map(|reply| {
            let mut bytes = Vec::new();
            session.render(reply, &view, &mut bytes);
            session.capture(reply, &bytes)
        })
        .collect();
    let mut out = Vec::new();
    session.end(&view, &mut out);
    (taken, String::from_utf8(out).unwrap())
}

#[test]
fn the_session_frames_a_labeled_lines_replies() {
    let mut s = session("labeled-response batch");
    let ping = Command::Ping { token: "x".into() };
    assert_eq!(s.begin(labeled("a", ping.clone())), Ok(ping.clone()));
    let pong = Reply::Pong { token: "x".into() };
    assert_eq!(
        framed(&mut s, std::slice::from_ref(&pong)),
        (vec![true], "@label=a :irc.test PONG irc.test x\r\n".into())
    );
    // Nothing caused: ACK.
    assert_eq!(s.begin(labeled("b", Command::Pong)), Ok(Command::Pong));
    assert_eq!(framed(&mut s, &[]), (vec![], "@label=b :irc.test ACK\r\n".into()));
    // Several lines: a batch.
    assert_eq!(s.begin(labeled("c", ping)), Ok(Command::Ping { token: "x".into() }));
    let (taken, out) = framed(&mut s, &[pong.clone(), pong.clone()]);
    assert_eq!(taken, [true, true]);
    assert_eq!(
        out,
        "@label=c :irc.test BATCH +l1 labeled-response\r\n\
         @batch=l1 :irc.test PONG irc.test x\r\n\
         @batch=l1 :irc.test PONG irc.test x\r\n\
         :irc.test BATCH -l1\r\n"
    );
    // An unlabeled line is not framed; nor is a parse error's label lost.
    assert_eq!(s.begin(Ok(Command::Pong)), Ok(Command::Pong));
    assert_eq!(framed(&mut s, &[pong]), (vec![false], String::new()));
    let error = Ok(Command::Labeled { label: "e".into(), input: Box::new(Err(ParseError::NoTextToSend)) });
    assert_eq!(s.begin(error), Err(ParseError::NoTextToSend));
    let (_, out) = framed(&mut s, &[Reply::Error(ChatError::Parse(ParseError::NoTextToSend))]);
    assert_eq!(out, "@label=e :irc.test 412 bob :No text to send\r\n");
}

#[test]
fn a_message_to_oneself_is_labeled_only_in_its_echo() {
    let mut s = session("labeled-response batch echo-message");
    let privmsg =
        Command::Message { targets: vec!["bob".into()], text: "me".into(), kind: MessageKind::Normal, tags: None };
    s.begin(labeled("m", privmsg)).unwrap();
    let copy = |echo| Reply::Private {
        from: person("bob"),
        to: Nick::parse("bob").unwrap(),
        text: "me".into(),
        kind: MessageKind::Normal,
        at: 0,
        echo,
        id: 1,
        tags: None,
    };
    let (taken, out) = framed(&mut s, &[copy(false), copy(true)]);
    assert_eq!(taken, [false, true]);
    assert_eq!(out, "@label=m :bob!~u@127.0.0.1 PRIVMSG bob me\r\n");
}

#[test]
fn labels_need_labeled_response_and_batch() {
    for caps in ["labeled-response", "batch", "message-tags"] {
        let mut s = session(caps);
        assert_eq!(s.begin(labeled("a", Command::Pong)), Ok(Command::Pong));
        assert_eq!(framed(&mut s, &[]), (vec![], String::new()), "{caps}");
    }
}

#[test]
fn capabilities_decide_which_replies_a_client_accepts() {
    let away = Reply::AwayNotify { who: person("a"), text: None };
    let setname = Reply::RealnameChanged { who: person("a") };
    let invite =
        Reply::InviteNotify { by: person("a"), nick: Nick::parse("c").unwrap(), room: RoomName::parse("#a").unwrap() };
    let tagmsg = Reply::TagMsg { from: person("a"), target: "#a".into(), tags: None, at: 0, id: 1, echo: false };
    let echo = Reply::Private {
        from: person("bob"),
        to: Nick::parse("a").unwrap(),
        text: "x".into(),
        kind: MessageKind::Normal,
        at: 0,
        echo: true,
        id: 1,
        tags: None,
    };
    let plain = IRC.session();
    for reply in [&away, &setname, &invite, &tagmsg, &echo] {
        assert!(!plain.accepts(reply), "{reply:?}");
    }
    assert!(plain.accepts(&said(None)));
    let pairs = [
        ("away-notify", &away),
        ("setname", &setname),
        ("invite-notify", &invite),
        ("message-tags", &tagmsg),
        ("echo-message", &echo),
    ];
    for (cap, reply) in pairs {
        assert!(session(cap).accepts(reply), "{cap}");
    }
    let echoing = session("echo-message");
    assert!(echoing.profile().echo_own_messages && !plain.profile().echo_own_messages);
    let view = dialect_view();
    for cap in ["message-tags", "userhost-in-names", "echo-message"] {
        assert_ne!(session(cap).view_key(&view), plain.view_key(&view), "{cap} changes renderings");
    }
}

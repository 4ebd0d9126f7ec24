//! Accounts on IRC: NickServ and AUTHENTICATE parsing, every account rendering byte for byte,
//! the account capabilities' effect on lines from people, and the session's SASL exchange.

use super::*;
use crate::protocol::dialect::{Dialect, Session, View as DialectView};
use crate::protocol::irc::face::IRC;
use crate::protocol::{AccountCommand, AccountFailure, AccountReply, LoginVia, SaslReply, WhoisInfo};

fn logged_in(nick: &str, account: &str, realname: &str) -> Arc<Person> {
    Arc::new(Person {
        nick: Nick::parse(nick).unwrap(),
        user: "~u".into(),
        host: "127.0.0.1".into(),
        account: Some(account.into()),
        realname: realname.into(),
    })
}

fn view(server_time: bool) -> View<'static> {
    View { server: "irc.test", nick: "bob", started: 0, ping_after_secs: 120, server_time, multi_prefix: false }
}

fn rendered_for(reply: &Reply, server_time: bool, caps: AccountCaps) -> Vec<String> {
    let mut out = Vec::new();
    render_for(reply, &view(server_time), caps, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.is_empty() || text.ends_with("\r\n"));
    text.split_terminator("\r\n").map(str::to_string).collect()
}

fn account(reply: AccountReply) -> Vec<String> {
    rendered(&Reply::Account(reply))
}

const ALL: AccountCaps = AccountCaps { extended_join: true, account_tag: true };

#[test]
fn nickserv_messages_become_account_commands_and_reach_nobody() {
    let identify =
        Command::Account(AccountCommand::Identify { name: None, password: "hunter22".into(), via: LoginVia::Command });
    assert_eq!(ok("PRIVMSG NickServ :IDENTIFY hunter22"), identify);
    assert_eq!(ok("PRIVMSG nickserv@irc.test :identify hunter22"), identify);
    // Another target on the same line gets nothing: the text holds a password.
    assert_eq!(ok("PRIVMSG alice,NICKSERV :IDENTIFY hunter22"), identify);
    assert_eq!(ok("NICKSERV IDENTIFY hunter22"), identify);
    assert_eq!(ok("NS :IDENTIFY hunter22"), identify);
    assert_eq!(ok("ns identify hunter22"), identify);
    assert_eq!(ok("NS"), Command::Account(AccountCommand::Help { topic: None }));
    assert_eq!(ok("PRIVMSG NickServ :frob"), Command::Account(AccountCommand::Help { topic: Some("FROB".into()) }));
    // A notice to the service is never answered, and never passed on.
    assert!(parse("NOTICE NickServ :IDENTIFY hunter22").is_none());
    assert!(parse("NOTICE alice,NickServ :IDENTIFY hunter22").is_none());
    assert_eq!(err("PRIVMSG NickServ"), ParseError::NoTextToSend);
    // Other names stay messages (chat state says nobody holds them).
    assert!(matches!(ok("PRIVMSG NickServ2 :hi"), Command::Message { .. }));
}

#[test]
fn authenticate_is_parsed_for_the_session() {
    assert_eq!(ok("AUTHENTICATE PLAIN"), Command::Authenticate { payload: "PLAIN".into() });
    assert_eq!(ok("AUTHENTICATE +"), Command::Authenticate { payload: "+".into() });
    assert_eq!(ok("AUTHENTICATE"), Command::Authenticate { payload: String::new() });
}

#[test]
fn sasl_steps_render_as_the_spec_writes_them() {
    let sasl = |step| rendered(&Reply::Sasl(step));
    assert_eq!(sasl(SaslReply::Continue), ["AUTHENTICATE +"]);
    assert_eq!(
        sasl(SaslReply::Mechanisms),
        [":irc.test 908 bob PLAIN :are available SASL mechanisms", ":irc.test 904 bob :SASL authentication failed"]
    );
    assert_eq!(sasl(SaslReply::Aborted), [":irc.test 906 bob :SASL authentication aborted"]);
    assert_eq!(sasl(SaslReply::TooLong), [":irc.test 905 bob :SASL message too long"]);
    assert_eq!(sasl(SaslReply::Failed), [":irc.test 904 bob :SASL authentication failed"]);
    assert_eq!(sasl(SaslReply::AlreadyAuthenticated), [":irc.test 907 bob :You have already authenticated using SASL"]);
}

#[test]
fn logins_and_logouts() {
    let bob = logged_in("bob", "bob", "Bob");
    let login = |via| AccountReply::LoggedIn { account: "bob".into(), person: bob.clone(), via };
    let loggedin = ":irc.test 900 bob bob!~u@127.0.0.1 bob :You are now logged in as bob";
    assert_eq!(account(login(LoginVia::Sasl)), [loggedin, ":irc.test 903 bob :SASL authentication successful"]);
    assert_eq!(
        account(login(LoginVia::Command)),
        [loggedin, ":NickServ!NickServ@services. NOTICE bob :You are now identified for bob."]
    );
    assert_eq!(account(login(LoginVia::Pass)), [loggedin]);
    assert_eq!(
        account(AccountReply::LoggedOut { person: bob.clone() }),
        [":irc.test 901 bob bob!~u@127.0.0.1 :You are now logged out"]
    );
    // Before registration (no nickname, no USER yet): `*` stands in.
    let early = Person { user: String::new(), ..(*bob).clone() };
    let mut out = Vec::new();
    let reply =
        Reply::Account(AccountReply::LoggedIn { account: "bob".into(), person: Arc::new(early), via: LoginVia::Sasl });
    render(&reply, &View { nick: "*", ..view(false) }, &mut out);
    assert!(String::from_utf8(out).unwrap().starts_with(":irc.test 900 * *!*@127.0.0.1 bob :You are"));
}

#[test]
fn failures_are_sasl_numerics_or_nickserv_notices() {
    let failed = |failure, via| account(AccountReply::Failed { failure, via });
    assert_eq!(
        failed(AccountFailure::WrongPassword, LoginVia::Sasl),
        [":irc.test 904 bob :SASL authentication failed"]
    );
    assert_eq!(failed(AccountFailure::Busy, LoginVia::Sasl), [":irc.test 904 bob :SASL authentication failed"]);
    assert_eq!(
        failed(AccountFailure::AlreadyLoggedIn("bob".into()), LoginVia::Sasl),
        [":irc.test 907 bob :You have already authenticated using SASL"]
    );
    assert_eq!(
        failed(AccountFailure::WrongPassword, LoginVia::Command),
        [":NickServ!NickServ@services. NOTICE bob :Invalid account name or password."]
    );
    // A server password, to chatd, which has none.
    assert!(failed(AccountFailure::NoSuchAccount("bob".into()), LoginVia::Pass).is_empty());
    assert_eq!(
        failed(AccountFailure::NoSuchAccount("bob".into()), LoginVia::Command),
        [":NickServ!NickServ@services. NOTICE bob :bob is not a registered account."]
    );
    assert_eq!(
        failed(AccountFailure::Throttled { secs: 30 }, LoginVia::Pass),
        [":NickServ!NickServ@services. NOTICE bob :Too many failed logins; try again in 30 s."]
    );
}

#[test]
fn nickserv_notices() {
    let notice = |text: &str| format!(":NickServ!NickServ@services. NOTICE bob :{text}");
    assert_eq!(
        account(AccountReply::Registered { account: "bob".into() }),
        [notice("Account bob registered: the nickname bob is yours.")]
    );
    assert_eq!(
        account(AccountReply::PasswordChanged { account: "bob".into() }),
        [notice("The password of bob was changed.")]
    );
    assert_eq!(
        account(AccountReply::Unregistered { account: "bob".into() }),
        [notice("Account bob dropped: the nickname bob is free for anyone.")]
    );
    assert_eq!(
        account(AccountReply::NickOwned { nick: Nick::parse("bob").unwrap(), grace_secs: 60 }),
        [notice(
            "This nickname is registered. Identify with /msg NickServ IDENTIFY <password> within 60 seconds, or you \
             will be renamed."
        )]
    );
    assert_eq!(
        account(AccountReply::Renamed { from: Nick::parse("alice").unwrap() }),
        [notice("alice is registered to somebody else: you were renamed.")]
    );
    assert_eq!(
        account(AccountReply::PasswordPrompt { nick: Nick::parse("bob").unwrap(), tries_left: 3 }),
        [notice("bob is registered. Identify with /msg NickServ IDENTIFY <password>.")]
    );
    assert_eq!(
        account(AccountReply::Info { account: "alice".into(), registered: 86_400_000, online: true, disabled: false }),
        [notice("Information on alice:"), notice("Registered: 1970-01-02 00:00:00 UTC"), notice("Status: online")]
    );
}

#[test]
fn nickserv_help_lists_commands_shows_usage_or_says_there_is_no_such_command() {
    let list = account(AccountReply::Help { topic: None });
    assert_eq!(list.len(), nickserv::COMMANDS.len() + 2);
    assert!(list[1].starts_with(":NickServ!NickServ@services. NOTICE bob :REGISTER  <password> [email]"), "{list:?}");
    assert_eq!(
        account(AccountReply::Help { topic: Some("GHOST".into()) }),
        [
            ":NickServ!NickServ@services. NOTICE bob :Usage: /msg NickServ REGAIN <nickname> [password]",
            ":NickServ!NickServ@services. NOTICE bob :Takes your registered nickname back from whoever holds it.",
            ":NickServ!NickServ@services. NOTICE bob :Also known as: RECOVER, GHOST",
        ]
    );
    assert_eq!(
        account(AccountReply::Help { topic: Some("FROB\u{7}".into()) }),
        [":NickServ!NickServ@services. NOTICE bob :No such command: FROB. /msg NickServ HELP lists them."]
    );
}

#[test]
fn account_notify_extended_join_and_whois_330() {
    let alice = logged_in("alice", "alice", "Alice Liddell");
    let room = RoomName::parse("#a").unwrap();
    let changed = |account: Option<&str>| Reply::AccountChanged { who: alice.clone(), account: account.map(Arc::from) };
    assert_eq!(rendered(&changed(Some("alice"))), [":alice!~u@127.0.0.1 ACCOUNT alice"]);
    assert_eq!(rendered(&changed(None)), [":alice!~u@127.0.0.1 ACCOUNT *"]);

    let joined = Reply::Joined { room: room.clone(), who: alice.clone() };
    assert_eq!(rendered(&joined), [":alice!~u@127.0.0.1 JOIN #a"]);
    let extended = AccountCaps { extended_join: true, account_tag: false };
    assert_eq!(rendered_for(&joined, false, extended), [":alice!~u@127.0.0.1 JOIN #a alice :Alice Liddell"]);
    let anonymous = Reply::Joined { room: room.clone(), who: person("carol") };
    assert_eq!(rendered_for(&anonymous, false, extended), [":carol!~u@127.0.0.1 JOIN #a * :"]);
    let you_joined =
        Reply::YouJoined { room, me: alice.clone(), members: vec![], topic: None, visibility: Default::default() };
    assert_eq!(rendered_for(&you_joined, false, extended)[0], ":alice!~u@127.0.0.1 JOIN #a alice :Alice Liddell");

    let info = WhoisInfo {
        person: alice,
        realname: "Alice Liddell".into(),
        rooms: vec![],
        away: None,
        idle_secs: 5,
        signon: 0,
        oper: false,
        account: Some("alice".into()),
        server_description: "the test server".into(),
    };
    let lines = rendered(&Reply::Whois { nick: "alice".into(), info: Some(info) });
    assert!(lines.contains(&":irc.test 330 bob alice alice :is logged in as".to_string()), "{lines:?}");
    assert!(lines.contains(&":irc.test 312 bob alice irc.test :the test server".to_string()), "{lines:?}");
}

#[test]
fn account_tag_rides_every_line_from_a_logged_in_person_with_the_time_in_one_block() {
    let alice = logged_in("alice", "alice", "A");
    let room = RoomName::parse("#a").unwrap();
    let said = Reply::Said {
        id: 1,
        room: room.clone(),
        from: alice.clone(),
        text: "hi".into(),
        kind: MessageKind::Normal,
        at: 0,
        tags: None,
    };
    let tag = AccountCaps { extended_join: false, account_tag: true };
    assert_eq!(rendered_for(&said, false, tag), ["@account=alice :alice!~u@127.0.0.1 PRIVMSG #a hi"]);
    assert_eq!(
        rendered_for(&said, true, tag),
        ["@time=1970-01-01T00:00:00.000Z;account=alice :alice!~u@127.0.0.1 PRIVMSG #a hi"]
    );
    assert_eq!(
        rendered_for(&said, true, AccountCaps::default()),
        ["@time=1970-01-01T00:00:00.000Z :alice!~u@127.0.0.1 PRIVMSG #a hi"]
    );
    assert_eq!(rendered_for(&said, false, AccountCaps::default()), [":alice!~u@127.0.0.1 PRIVMSG #a hi"]);
    // Not logged in: no tag.
    let anonymous = Reply::Said {
        id: 1,
        room: room.clone(),
        from: person("carol"),
        text: "hi".into(),
        kind: MessageKind::Normal,
        at: 0,
        tags: None,
    };
    assert_eq!(rendered_for(&anonymous, false, tag), [":carol!~u@127.0.0.1 PRIVMSG #a hi"]);
    // Every kind of line a person is the source of.
    let nick = Nick::parse("bob").unwrap();
    for reply in [
        Reply::Private {
            id: 1,
            from: alice.clone(),
            to: nick.clone(),
            text: "x".into(),
            kind: MessageKind::Notice,
            at: 0,
            echo: false,
            tags: None,
        },
        Reply::Joined { room: room.clone(), who: alice.clone() },
        Reply::Parted { room: room.clone(), who: alice.clone(), reason: None },
        Reply::Quit { who: alice.clone(), reason: QuitReason::Quit(None) },
        Reply::NickChanged { old: alice.clone(), new: nick.clone(), you: false },
        Reply::TopicChanged { room: room.clone(), by: alice.clone(), topic: None },
        Reply::Kicked { room: room.clone(), by: alice.clone(), nick: nick.clone(), reason: "x".into() },
        Reply::ModesChanged { room: room.clone(), by: alice.clone(), changes: "+m".into(), params: vec![] },
        Reply::Invited { by: alice.clone(), room: room.clone() },
        Reply::AccountChanged { who: alice.clone(), account: Some("alice".into()) },
    ] {
        let lines = rendered_for(&reply, false, ALL);
        assert_eq!(lines.len(), 1, "{reply:?}");
        assert!(lines[0].starts_with("@account=alice :alice!~u@127.0.0.1 "), "{lines:?}");
    }
    // Server lines carry no account.
    assert!(!rendered_for(&Reply::Motd, false, ALL).iter().any(|line| line.starts_with('@')));
}

#[test]
fn account_tag_values_are_escaped() {
    let odd = Arc::new(Person { account: Some("a;b c\\".into()), ..(*person("al")).clone() });
    let joined = Reply::Joined { room: RoomName::parse("#a").unwrap(), who: odd };
    let tag = AccountCaps { extended_join: false, account_tag: true };
    assert_eq!(rendered_for(&joined, false, tag), ["@account=a\\:b\\sc\\\\ :al!~u@127.0.0.1 JOIN #a"]);
}

fn dialect_view() -> DialectView<'static> {
    let terminator = crate::framing::Terminator::Newline;
    DialectView { server: "s", started: 0, ping_after_secs: 0, nick: "a", rooms: 1, terminator }
}

/// Sends `payload` with `AUTHENTICATE` to `session` before registration.
fn authenticate(session: &mut Box<dyn Session>, payload: &str) -> (Option<Command>, Vec<Reply>) {
    let mut replies = Vec::new();
    let passed = session.intercept(Command::Authenticate { payload: payload.into() }, false, &mut replies);
    (passed, replies)
}

fn cap(session: &mut Box<dyn Session>, sub: &str, arg: &str) -> Vec<Reply> {
    let mut replies = Vec::new();
    assert_eq!(session.intercept(Command::Cap { sub: sub.into(), arg: arg.into() }, false, &mut replies), None);
    replies
}

#[test]
fn a_sasl_exchange_through_the_session_hands_chat_state_a_login() {
    let mut session = IRC.session();
    // Without the capability: refused (sasl-3.1 requires it).
    assert_eq!(authenticate(&mut session, "PLAIN"), (None, vec![Reply::Sasl(SaslReply::Failed)]));
    cap(&mut session, "REQ", "sasl");
    assert_eq!(authenticate(&mut session, "PLAIN"), (None, vec![Reply::Sasl(SaslReply::Continue)]));
    let (passed, replies) = authenticate(&mut session, "amlsbGVzAGppbGxlcwBzZXNhbWU=");
    assert!(replies.is_empty());
    assert_eq!(
        passed,
        Some(Command::Account(AccountCommand::Identify {
            name: Some("jilles".into()),
            password: "sesame".into(),
            via: LoginVia::Sasl,
        }))
    );
    let usage = Reply::Error(ChatError::Parse(ParseError::Usage("AUTHENTICATE")));
    assert_eq!(authenticate(&mut session, ""), (None, vec![usage]));
    assert_eq!(authenticate(&mut session, "EXTERNAL"), (None, vec![Reply::Sasl(SaslReply::Mechanisms)]));
    assert_eq!(authenticate(&mut session, "*"), (None, vec![Reply::Sasl(SaslReply::Aborted)]));
}

#[test]
fn registering_mid_exchange_aborts_it() {
    let mut session = IRC.session();
    cap(&mut session, "LS", "302");
    cap(&mut session, "REQ", "sasl");
    authenticate(&mut session, "PLAIN");
    assert_eq!(cap(&mut session, "END", ""), vec![Reply::Sasl(SaslReply::Aborted)]);
    assert!(!session.profile().registration_held);
    // The exchange is over: a response now is a stray.
    assert_eq!(
        authenticate(&mut session, "amlsbGVzAGppbGxlcwBzZXNhbWU="),
        (None, vec![Reply::Sasl(SaslReply::Failed)])
    );
    // A finished exchange is not aborted by CAP END.
    authenticate(&mut session, "PLAIN");
    authenticate(&mut session, "amlsbGVzAGppbGxlcwBzZXNhbWU=");
    assert!(cap(&mut session, "END", "").is_empty());
}

#[test]
fn account_notify_is_accepted_only_when_negotiated_and_the_view_key_covers_rendering_caps() {
    let mut session = IRC.session();
    let changed = Reply::AccountChanged { who: person("al"), account: None };
    assert!(!session.accepts(&changed));
    assert!(session.accepts(&Reply::Motd));
    let mut keys = vec![session.view_key(&dialect_view())];
    for cap_name in ["account-notify", "sasl"] {
        cap(&mut session, "REQ", cap_name);
        assert_eq!(session.view_key(&dialect_view()), keys[0], "{cap_name} changes no rendering");
    }
    assert!(session.accepts(&changed));
    for cap_name in ["extended-join", "account-tag"] {
        cap(&mut session, "REQ", cap_name);
        let key = session.view_key(&dialect_view());
        assert!(!keys.contains(&key), "{cap_name} changes the view key");
        keys.push(key);
    }
}

#[test]
fn the_session_renders_with_its_account_capabilities() {
    let mut session = IRC.session();
    cap(&mut session, "REQ", "extended-join account-tag");
    let joined = Reply::Joined { room: RoomName::parse("#a").unwrap(), who: logged_in("al", "al", "Al") };
    let mut out = Vec::new();
    session.render(&joined, &dialect_view(), &mut out);
    assert_eq!(String::from_utf8(out).unwrap(), "@account=al :al!~u@127.0.0.1 JOIN #a al Al\r\n");
}

use super::face::XML;
use super::*;
use crate::core::names::Nick;
use crate::framing::Terminator;
use crate::protocol::dialect::{Decoded, Dialect, View};
use crate::protocol::{AccountFailure, AccountReply, ChatError, MessageKind, Person, QuitReason, Reply, UserInfo};
use std::sync::Arc;

fn input(line: &str) -> Result<Command, ParseError> {
    match parse(line) {
        Line::Input(input) => input,
        other => panic!("{line:?} gave {other:?}"),
    }
}

fn identify(name: &str, password: &str) -> Command {
    Command::Account(AccountCommand::Identify {
        name: Some(name.into()),
        password: password.into(),
        via: LoginVia::Command,
    })
}

#[test]
fn logins_take_exactly_a_name_and_a_password_as_sent() {
    assert_eq!(input("IDENTIFY alice secret"), Ok(identify("alice", "secret")));
    assert_eq!(input("identify  alice  s3cr\u{e9}t\u{7}  "), Ok(identify("alice", "s3cr\u{e9}t\u{7}")));
    assert_eq!(
        input("Register bob hunter2hunter2"),
        Ok(Command::Account(AccountCommand::Register { name: Some("bob".into()), password: "hunter2hunter2".into() }))
    );
    for line in ["IDENTIFY", "IDENTIFY alice", "IDENTIFY alice secret extra"] {
        assert_eq!(input(line), Err(ParseError::Usage("IDENTIFY")), "{line:?}");
    }
    assert_eq!(input("REGISTER a b c"), Err(ParseError::Usage("REGISTER")));
}

#[test]
fn msg_takes_the_rest_of_the_line_cleaned() {
    assert_eq!(input("MSG bob hello  there "), Ok(Command::Private { to: "bob".into(), text: "hello  there".into() }));
    assert_eq!(
        input("msg bob a\u{1b}[2J\u{202e}b <&>"),
        Ok(Command::Private { to: "bob".into(), text: "a[2Jb <&>".into() })
    );
    for line in ["MSG", "MSG bob", "MSG bob \u{7}", "MSG  "] {
        assert_eq!(input(line), Err(ParseError::Usage("MSG")), "{line:?}");
    }
}

#[test]
fn list_quit_and_the_rest() {
    assert_eq!(input("LIST"), Ok(Command::Users));
    assert_eq!(input("list "), Ok(Command::Users));
    assert_eq!(input("LIST all"), Err(ParseError::Usage("LIST")));
    assert_eq!(input("QUIT"), Ok(Command::Quit { reason: None }));
    assert_eq!(input("Quit see you"), Ok(Command::Quit { reason: Some("see you".into()) }));
    assert_eq!(input("NICK bob"), Err(ParseError::UnknownCommand("NICK".into())));
    assert_eq!(input("<msg/>"), Err(ParseError::UnknownCommand("<msg/>".into())));
    assert_eq!(input("<policy-file-request/>x"), Err(ParseError::UnknownCommand("<policy-file-request/>x".into())));
    assert_eq!(parse("   "), Line::Blank);
    assert_eq!(parse(""), Line::Blank);
}

#[test]
fn the_policy_request_with_or_without_a_space() {
    for line in ["<policy-file-request/>", "<policy-file-request />", " <policy-file-request/> "] {
        assert_eq!(parse(line), Line::PolicyRequest, "{line:?}");
    }
}

#[test]
fn the_policy_allows_every_port_until_told_which() {
    // `set_policy_ports` is never called in unit tests (it sets a process-wide value).
    assert_eq!(
        policy_answer(),
        b"<?xml version=\"1.0\"?><cross-domain-policy><allow-access-from domain=\"*\" to-ports=\"*\"/></cross-domain-policy>\0"
    );
}

fn escaped(text: &str) -> String {
    let mut out = String::new();
    escape(text, &mut out);
    out
}

#[test]
fn escaping_covers_markup_line_ends_and_removes_what_xml_cannot_carry() {
    assert_eq!(escaped(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    assert_eq!(escaped("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
    assert_eq!(escaped("\0a\x01\x08\x0b\x0c\x1b\x1fb\u{fffe}\u{ffff}c"), "abc");
    assert_eq!(escaped("caf\u{e9} \u{1f600} \u{fffd} \u{85}"), "caf\u{e9} \u{1f600} \u{fffd} \u{85}");
    assert_eq!(escaped("&amp;"), "&amp;amp;");
}

fn person(nick: &str) -> Arc<Person> {
    Arc::new(Person {
        nick: Nick::parse(nick).expect("valid nick"),
        user: format!("~{nick}"),
        host: "127.0.0.1".into(),
        account: None,
        realname: nick.into(),
    })
}

fn rendered(reply: &Reply) -> String {
    let mut out = Vec::new();
    render(reply, &mut out);
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn logins_render_as_identify_or_error() {
    let logged_in = AccountReply::LoggedIn { account: "alice".into(), person: person("alice"), via: LoginVia::Command };
    assert_eq!(rendered(&Reply::Account(logged_in)), "<identify aid=\"alice\" name=\"alice\"/>\0");
    let failed = AccountReply::Failed { failure: AccountFailure::WrongPassword, via: LoginVia::Command };
    assert_eq!(rendered(&Reply::Account(failed)), "<error value=\"Invalid account name or password.\"/>\0");
    let invalid = AccountReply::Failed { failure: AccountFailure::NameInvalid("<b>".into()), via: LoginVia::Command };
    assert_eq!(rendered(&Reply::Account(invalid)), "<error value=\"&lt;b&gt; cannot be an account name.\"/>\0");
    assert_eq!(rendered(&Reply::Account(AccountReply::Registered { account: "alice".into() })), "");
}

#[test]
fn presence_renders_as_login_and_quit() {
    assert_eq!(rendered(&Reply::Online { who: person("bob") }), "<login aid=\"bob\" name=\"bob\"/>\0");
    let quit = Reply::Quit { who: person("bob"), reason: QuitReason::Quit(Some("<bye>".into())) };
    assert_eq!(rendered(&quit), "<quit aid=\"bob\"/>\0");
    let renamed = Reply::NickChanged { old: person("bob"), new: Nick::parse("bobby").expect("valid"), you: false };
    assert_eq!(rendered(&renamed), "<quit aid=\"bob\"/>\0<login aid=\"bobby\" name=\"bobby\"/>\0");
}

#[test]
fn a_private_message_names_the_sender_aid_and_the_recipient_from() {
    // 1970-01-02 13:04:05.678 UTC.
    let at = ((24 + 13) * 3600 + 4 * 60 + 5) * 1000 + 678;
    for echo in [false, true] {
        let reply = Reply::Private {
            id: 1,
            from: person("alice"),
            to: Nick::parse("bob").expect("valid"),
            text: "1 < 2 & \"q\" 'a'\t\x034red\x03\u{202e}\u{1}".into(),
            kind: MessageKind::Normal,
            at,
            echo,
            tags: None,
        };
        assert_eq!(
            rendered(&reply),
            "<msg aid=\"alice\" time=\"13:04:05\" msg=\"1 &lt; 2 &amp; &quot;q&quot; &apos;a&apos; red\" from=\"bob\"/>\0"
        );
    }
}

#[test]
fn the_user_list_is_one_frame() {
    let user = |nick: &str| UserInfo {
        person: person(nick),
        away: false,
        op: false,
        voice: false,
        oper: false,
        realname: nick.into(),
    };
    assert_eq!(
        rendered(&Reply::Users(vec![user("alice"), user("bob")])),
        "<nicklist><nick aid=\"alice\" name=\"alice\"/><nick aid=\"bob\" name=\"bob\"/></nicklist>\0"
    );
    assert_eq!(rendered(&Reply::Users(Vec::new())), "<nicklist></nicklist>\0");
}

#[test]
fn errors_are_sentences() {
    let error = |e: ChatError| rendered(&Reply::Error(e));
    assert_eq!(error(ChatError::NickRequired), "<error value=\"Not identified.\"/>\0");
    assert_eq!(error(ChatError::NoSuchNick("zed".into())), "<error value=\"User is already left.\"/>\0");
    assert_eq!(
        error(ChatError::Parse(ParseError::Usage("MSG"))),
        "<error value=\"Wrong arguments for MSG (usage: MSG NICK TEXT).\"/>\0"
    );
    assert_eq!(
        error(ChatError::Parse(ParseError::UnknownCommand("<x \u{1b}\"'>".into()))),
        "<error value=\"Unknown command: &lt;x &quot;&apos;&gt;.\"/>\0"
    );
    assert_eq!(
        error(ChatError::Parse(ParseError::LineTooLong { limit: 8 })),
        "<error value=\"Line too long (the limit is 8 bytes); it was dropped.\"/>\0"
    );
}

#[test]
fn closing_is_told_unless_the_client_asked_for_it() {
    let closing = |reason| rendered(&Reply::Closing { reason });
    assert_eq!(
        closing(QuitReason::RegistrationTimeout),
        "<error value=\"Closing connection: no nickname chosen in time.\"/>\0"
    );
    assert_eq!(closing(QuitReason::Quit(None)), "");
    assert_eq!(closing(QuitReason::Answered), "");
}

#[test]
fn the_session_accepts_exactly_what_renders() {
    let session = XML.session();
    let view = View { server: "s", started: 0, ping_after_secs: 0, nick: "a", rooms: 0, terminator: Terminator::Nul };
    let replies = [
        Reply::Online { who: person("a") },
        Reply::Quit { who: person("a"), reason: QuitReason::ConnectionLost },
        Reply::Error(ChatError::NickRequired),
        Reply::Users(Vec::new()),
        Reply::Closing { reason: QuitReason::ServerShutdown },
        Reply::Closing { reason: QuitReason::Quit(None) },
        Reply::Account(AccountReply::Registered { account: "a".into() }),
        Reply::Greeting { server: "s".into(), version: "1" },
        Reply::NickPrompt { reminder: false },
        Reply::Joined { room: crate::core::names::RoomName::parse("#a").expect("valid"), who: person("a") },
        Reply::Ping { token: "x".into() },
        Reply::Motd,
    ];
    for reply in &replies {
        let mut out = Vec::new();
        session.render(reply, &view, &mut out);
        assert_eq!(session.accepts(reply), !out.is_empty(), "{reply:?}");
        assert!(out.is_empty() || out.ends_with(b"\0"), "{reply:?}");
    }
    let other = View { nick: "someone-else", rooms: 3, terminator: Terminator::Newline, ..view };
    assert_eq!(session.view_key(&view), session.view_key(&other));
    let profile = session.profile();
    assert!(profile.registers_by_login && profile.hears_presence && profile.strict_before_registration);
    assert!(!profile.pinged && !profile.prompted && !profile.starts_in_default_room && !profile.echo_own_messages);
}

fn decode(decoder: &mut dyn crate::protocol::dialect::Decoder, bytes: &[u8]) -> Vec<Decoded> {
    let mut out = Vec::new();
    decoder.decode(bytes, &mut out);
    out
}

fn inputs(decoded: &[Decoded]) -> Vec<(Option<Terminator>, Result<Command, ParseError>)> {
    decoded
        .iter()
        .map(|d| match d {
            Decoded::Input { terminator, input } => (*terminator, input.clone()),
            _ => panic!("only inputs expected"),
        })
        .collect()
}

#[test]
fn nul_lf_and_crlf_all_end_a_command() {
    let mut decoder = XML.decoder(1024);
    let decoded = decode(&mut *decoder, b"IDENTIFY alice secret\0LIST\r\nLIST\n\0\0MSG bob h\x08i\0");
    assert_eq!(
        inputs(&decoded),
        vec![
            (Some(Terminator::Nul), Ok(identify("alice", "secret"))),
            (Some(Terminator::Newline), Ok(Command::Users)),
            (Some(Terminator::Newline), Ok(Command::Users)),
            // A backspace is a program's data, not an edit; cleaning removes it from the text.
            (Some(Terminator::Nul), Ok(Command::Private { to: "bob".into(), text: "hi".into() })),
        ]
    );
}

#[test]
fn an_overlong_line_is_an_error_and_the_next_one_is_read() {
    let mut decoder = XML.decoder(16);
    let decoded = decode(&mut *decoder, b"MSG bob 0123456789abcdef\0LIST\0");
    assert_eq!(
        inputs(&decoded),
        vec![(None, Err(ParseError::LineTooLong { limit: 16 })), (Some(Terminator::Nul), Ok(Command::Users))]
    );
}

#[test]
fn the_policy_request_is_answered_and_closes() {
    for request in [&b"<policy-file-request/>\0"[..], b"<policy-file-request />\0", b"<policy-file-request/>\r\n"] {
        let mut decoder = XML.decoder(1024);
        let decoded = decode(&mut *decoder, &[request, b"LIST\0"].concat());
        match decoded.as_slice() {
            [Decoded::Answer { bytes, close: true, note: Some("policy_served") }] => {
                assert_eq!(bytes, &policy_answer())
            }
            _ => panic!("{request:?}: expected one closing answer"),
        }
        assert!(decode(&mut *decoder, b"LIST\0").is_empty(), "nothing is read after the answer");
    }
    // Split anywhere, it is the same answer.
    let mut decoder = XML.decoder(1024);
    assert!(decode(&mut *decoder, b"<policy-fi").is_empty());
    assert!(matches!(decode(&mut *decoder, b"le-request/>\0").as_slice(), [Decoded::Answer { close: true, .. }]));
}

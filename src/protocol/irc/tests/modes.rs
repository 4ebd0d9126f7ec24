//! Issue 14's channel modes on IRC: the parsing of `KICK` lists, `LIST` terms and lines that are
//! not UTF-8, and every new rendering byte for byte.

use super::*;
use crate::protocol::{ListFilter, ListedMask, RoomVisibility, UserInfo};

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

#[test]
fn kick_takes_a_list_of_nicks_and_list_its_search_terms() {
    assert_eq!(
        ok("KICK #a bob,,carol :bye"),
        Command::KickMany {
            room: Some("#a".into()),
            nicks: vec!["bob".into(), "carol".into()],
            reason: Some("bye".into())
        }
    );
    assert_eq!(err("KICK #a ,"), ParseError::Usage("KICK"));
    // As many rooms as nicknames: paired in order (RFC 2812); other counts are refused.
    assert_eq!(
        ok("KICK #a,#b bob,carol :bye"),
        Command::KickPairs {
            pairs: vec![("#a".into(), "bob".into()), ("#b".into(), "carol".into())],
            reason: Some("bye".into())
        }
    );
    assert_eq!(err("KICK #a,#b bob"), ParseError::Usage("KICK"));
    assert_eq!(err("KICK #a,#b,#c bob,carol"), ParseError::Usage("KICK"));
    assert_eq!(ok("LIST"), Command::List { filters: vec![] });
    assert_eq!(
        ok("LIST >2,#r* irc.test"),
        Command::List { filters: vec![ListFilter::MoreMembers(2), ListFilter::Mask("#r*".into())] }
    );
}

#[test]
fn a_line_that_is_not_utf8_is_refused_naming_its_command() {
    assert_eq!(refuse_non_utf8(b"privmsg #a :caf\xe9"), ParseError::InvalidUtf8 { command: "PRIVMSG".into() });
    assert_eq!(refuse_non_utf8(b"@t=\xff NICK x"), ParseError::InvalidUtf8 { command: "NICK".into() });
    assert_eq!(refuse_non_utf8(b"\xff\xfe"), ParseError::InvalidUtf8 { command: "*".into() });
    assert_eq!(
        rendered(&Reply::Error(ChatError::Parse(ParseError::InvalidUtf8 { command: "PRIVMSG".into() }))),
        [
            ":irc.test FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network"
        ]
    );
}

#[test]
fn names_symbols_follow_the_channel_modes() {
    let member =
        UserInfo { person: person("al"), away: false, op: true, voice: false, oper: false, realname: String::new() };
    for (visibility, symbol) in
        [(RoomVisibility::Public, "="), (RoomVisibility::Private, "*"), (RoomVisibility::Secret, "@")]
    {
        let names =
            Reply::Names { room: "#a".into(), members: vec![member.clone()], visibility, end: Some("#a".into()) };
        assert_eq!(
            rendered(&names),
            [format!(":irc.test 353 bob {symbol} #a @al"), ":irc.test 366 bob #a :End of /NAMES list".to_string()]
        );
    }
}

#[test]
fn exception_lists_invalid_parameters_and_the_operator_mode_render_as_modern_irc_says() {
    let listed = |mask: &str, at| ListedMask { mask: mask.into(), set_by: "al!~u@h".into(), at };
    let masks = vec![listed("bob!*@*", 1_700_000_000_999), listed("*!*@h", 1_700_000_060_000)];
    assert_eq!(
        rendered(&Reply::ExceptList { room: room("#a"), masks: masks.clone() }),
        [
            ":irc.test 348 bob #a bob!*@* al!~u@h 1700000000",
            ":irc.test 348 bob #a *!*@h al!~u@h 1700000060",
            ":irc.test 349 bob #a :End of channel exception list"
        ]
    );
    assert_eq!(
        rendered(&Reply::BanList { room: room("#a"), masks }),
        [
            ":irc.test 367 bob #a bob!*@* al!~u@h 1700000000",
            ":irc.test 367 bob #a *!*@h al!~u@h 1700000060",
            ":irc.test 368 bob #a :End of channel ban list"
        ]
    );
    assert_eq!(
        rendered(&Reply::InviteExceptList { room: room("#a"), masks: vec![] }),
        [":irc.test 347 bob #a :End of Channel Invite Exception List"]
    );
    let invalid = |param: &str| {
        let why = "the limit must be a positive whole number".to_string();
        rendered(&Reply::Error(ChatError::InvalidModeParam {
            target: "#a".into(),
            mode: 'l',
            param: param.into(),
            why,
        }))
    };
    assert_eq!(invalid("-5"), [":irc.test 696 bob #a l -5 :the limit must be a positive whole number"]);
    // A parameter a middle parameter cannot carry is shown as `*`.
    for unfit in ["", "a b", ":x"] {
        assert_eq!(invalid(unfit), [":irc.test 696 bob #a l * :the limit must be a positive whole number"]);
    }
    assert_eq!(rendered(&Reply::YoureOper), [":irc.test 381 bob :You are now an IRC operator", ":bob MODE bob +o"]);
    assert_eq!(rendered(&Reply::UserModes { modes: "+io".into() }), [":irc.test 221 bob +io"]);
    assert_eq!(rendered(&Reply::UserModes { modes: "+i".into() }), [":irc.test 221 bob +i"]);
}

#[test]
fn status_messages_and_mask_changes_render_with_their_targets_and_parameters() {
    let said = Reply::SaidToStatus {
        status: '@',
        room: room("#a"),
        from: person("al"),
        text: "ops only".into(),
        kind: MessageKind::Notice,
        at: 0,
        id: 1,
    };
    assert_eq!(rendered(&said), [":al!~u@127.0.0.1 NOTICE @#a :ops only"]);
    let changed = Reply::ModesChanged {
        room: room("#a"),
        by: person("al"),
        changes: "+eI-s".into(),
        params: vec!["bob!*@*".into(), "c!*@*".into()],
    };
    assert_eq!(rendered(&changed), [":al!~u@127.0.0.1 MODE #a +eI-s bob!*@* c!*@*"]);
}

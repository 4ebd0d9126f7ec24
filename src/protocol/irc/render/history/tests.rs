use super::*;
use crate::core::names::Nick;
use crate::protocol::history::{FailCode, HistoryTarget};
use std::sync::Arc;

const STARTED: Millis = 0x19a_0000_0000;

fn rendered(reply: &Reply, server_time: bool, caps: HistoryCaps) -> Vec<String> {
    let view = View {
        server: "irc.test",
        nick: "me",
        started: STARTED,
        ping_after_secs: 120,
        server_time,
        multi_prefix: false,
    };
    let mut out = Vec::new();
    let v3 = Ircv3Caps { message_tags: caps.msgid, batch: caps.batch, ..Ircv3Caps::default() };
    render_with(reply, &view, AccountCaps::default(), v3, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.is_empty() || text.ends_with("\r\n"));
    text.split_terminator("\r\n").map(str::to_string).collect()
}

fn line(id: MsgId, from: &str, to: &str, text: &str, kind: MessageKind) -> HistoryLine {
    let person = Person {
        nick: Nick::parse(from).unwrap(),
        user: "~u".into(),
        host: "h".into(),
        account: None,
        realname: "R".into(),
    };
    let entry = HistoryEntry { id, at: 1_795_350_125_123, from: Arc::new(person), text: text.into(), kind };
    HistoryLine { entry, to: to.into() }
}

const ALL: HistoryCaps = HistoryCaps { batch: true, msgid: true };

#[test]
fn messages_come_in_a_chathistory_batch_with_time_and_msgid() {
    let reply = Reply::ChatHistory {
        target: "#lobby".into(),
        lines: vec![
            line(0x2f, "alice", "#lobby", "hi", MessageKind::Normal),
            line(0x30, "bob", "#lobby", "waves", MessageKind::Action),
        ],
        from_oldest: false,
    };
    assert_eq!(
        rendered(&reply, true, ALL),
        [
            ":irc.test BATCH +chathistory chathistory #lobby",
            "@batch=chathistory;time=2026-11-22T12:22:05.123Z;msgid=19a00000000-2f :alice!~u@h PRIVMSG #lobby hi",
            "@batch=chathistory;time=2026-11-22T12:22:05.123Z;msgid=19a00000000-30 :bob!~u@h PRIVMSG #lobby :\u{1}ACTION waves\u{1}",
            ":irc.test BATCH -chathistory",
        ]
    );
}

#[test]
fn private_lines_name_whom_each_was_for_and_an_empty_answer_is_an_empty_batch() {
    let reply = Reply::ChatHistory {
        target: "bob".into(),
        lines: vec![line(1, "bob", "alice", "hello", MessageKind::Normal)],
        from_oldest: false,
    };
    assert_eq!(rendered(&reply, false, ALL)[1], "@batch=chathistory;msgid=19a00000000-1 :bob!~u@h PRIVMSG alice hello");
    let empty = Reply::ChatHistory { target: "bob".into(), lines: vec![], from_oldest: false };
    assert_eq!(
        rendered(&empty, true, ALL),
        [":irc.test BATCH +chathistory chathistory bob", ":irc.test BATCH -chathistory"]
    );
    // Without batches or tags: the bare lines.
    assert_eq!(rendered(&reply, false, HistoryCaps::default()), [":bob!~u@h PRIVMSG alice hello"]);
}

#[test]
fn targets_come_in_their_own_batch() {
    let targets = vec![
        HistoryTarget { name: "#lobby".into(), latest: 0 },
        HistoryTarget { name: "bob".into(), latest: 1_795_350_125_123 },
    ];
    assert_eq!(
        rendered(&Reply::HistoryTargets { targets }, true, ALL),
        [
            ":irc.test BATCH +chathistorytargets draft/chathistory-targets",
            "@batch=chathistorytargets :irc.test CHATHISTORY TARGETS #lobby 1970-01-01T00:00:00.000Z",
            "@batch=chathistorytargets :irc.test CHATHISTORY TARGETS bob 2026-11-22T12:22:05.123Z",
            ":irc.test BATCH -chathistorytargets",
        ]
    );
}

#[test]
fn failures_are_standard_replies_with_safe_context() {
    let fail = |code, context: &[&str], description| {
        let context = context.iter().map(|c| c.to_string()).collect();
        rendered(&Reply::Error(ChatError::History(HistoryFail::new(code, context, description))), true, ALL)
    };
    assert_eq!(
        fail(FailCode::InvalidTarget, &["LATEST", "#secret"], "Messages could not be retrieved"),
        [":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #secret :Messages could not be retrieved"]
    );
    assert_eq!(
        fail(FailCode::InvalidParams, &["BEFORE", "a b", "", ":x", "\u{1b}[2J"], "Invalid timestamp"),
        [":irc.test FAIL CHATHISTORY INVALID_PARAMS BEFORE * * * [2J :Invalid timestamp"]
    );
    let long = "#".repeat(MAX_CONTEXT_BYTES + 1);
    assert_eq!(
        fail(FailCode::InvalidTarget, &["LATEST", &long], "Messages could not be retrieved"),
        [":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST * :Messages could not be retrieved"]
    );
    assert_eq!(
        fail(FailCode::InvalidParams, &[], "Insufficient parameters"),
        [":irc.test FAIL CHATHISTORY INVALID_PARAMS :Insufficient parameters"]
    );
}

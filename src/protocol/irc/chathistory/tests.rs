use super::*;
use crate::protocol::irc::msgid;

fn parse_line(line: &str) -> Result<HistoryQuery, HistoryFail> {
    let params: Vec<String> = line.split(' ').map(str::to_string).collect();
    parse(&params)
}

fn messages(line: &str) -> (&'static str, String, Selector, usize) {
    match parse_line(line) {
        Ok(HistoryQuery::Messages { subcommand, target, select, limit }) => (subcommand, target, select, limit),
        other => panic!("{line}: {other:?}"),
    }
}

fn failure(line: &str) -> (FailCode, Vec<String>, &'static str) {
    match parse_line(line) {
        Err(HistoryFail { code, context, description }) => (code, context, description),
        other => panic!("{line}: {other:?}"),
    }
}

const T: &str = "2026-11-22T12:22:05.123Z";
const AT: Millis = 1_795_350_125_123;

#[test]
fn every_subcommand_with_either_reference_type() {
    let id = MsgRef::Id { run: 0x19a, id: 0x2f };
    assert_eq!(messages("LATEST #room * 50"), ("LATEST", "#room".into(), Selector::Latest(None), 50));
    assert_eq!(messages("latest bob msgid=19a-2f 5").2, Selector::Latest(Some(id)));
    assert_eq!(messages(&format!("BEFORE #r timestamp={T} 10")).2, Selector::Before(MsgRef::At(AT)));
    assert_eq!(messages("AFTER #r msgid=19a-2f 10").2, Selector::After(id));
    assert_eq!(messages("AROUND #r msgid=19a-2f 10").2, Selector::Around(id));
    assert_eq!(messages(&format!("BETWEEN #r msgid=19a-2f timestamp={T} 10")).2, Selector::Between(id, MsgRef::At(AT)));
    assert_eq!(
        parse_line(&format!("TARGETS timestamp={T} timestamp=1970-01-01T00:00:00.000Z 7")),
        Ok(HistoryQuery::Targets { from: AT, to: 0, limit: 7 })
    );
}

#[test]
fn limits_above_the_most_are_lowered_and_others_refused() {
    assert_eq!(messages("LATEST #r * 100000").3, MAX_HISTORY_LIMIT);
    assert_eq!(messages("LATEST #r * 99999999999999999999999999").3, MAX_HISTORY_LIMIT);
    assert_eq!(messages("LATEST #r * 0").3, 0);
    for bad in ["-1", "+5", "ten", "1.5"] {
        let (code, context, _) = failure(&format!("LATEST #r * {bad}"));
        assert_eq!((code, context), (FailCode::InvalidParams, vec!["LATEST".to_string(), bad.to_string()]));
    }
}

#[test]
fn malformed_commands_get_invalid_params_naming_what_failed() {
    let no_params = parse(&[]);
    assert_eq!(no_params, Err(HistoryFail::new(FailCode::InvalidParams, vec![], "Insufficient parameters")));
    assert_eq!(failure("SOMETIME #r * 5"), (FailCode::InvalidParams, vec!["SOMETIME".into()], "Unknown command"));
    assert_eq!(failure("LATEST #r *"), (FailCode::InvalidParams, vec!["LATEST".into()], "Insufficient parameters"));
    assert_eq!(failure("BEFORE #r * 5 6"), (FailCode::InvalidParams, vec!["BEFORE".into()], "Too many parameters"));
    assert_eq!(failure("BETWEEN #r msgid=1-1 5").2, "Insufficient parameters");
    assert_eq!(
        failure("BEFORE #r timestamp=yesterday 5"),
        (FailCode::InvalidParams, vec!["BEFORE".into(), "timestamp=yesterday".into()], "Invalid timestamp")
    );
    assert_eq!(failure("BEFORE #r msgid=nothex 5").2, "Invalid msgid");
    // `*` is LATEST's alone.
    assert_eq!(failure("BEFORE #r * 5").0, FailCode::InvalidMsgRefType);
    assert_eq!(
        failure("AFTER #r seq=4 5"),
        (
            FailCode::InvalidMsgRefType,
            vec!["AFTER".into(), "#r".into(), "seq=4".into()],
            "Unknown message reference type"
        )
    );
    // TARGETS takes timestamps only.
    assert_eq!(failure(&format!("TARGETS msgid=1-1 timestamp={T} 5")).1, vec!["TARGETS", "msgid=1-1"]);
    assert_eq!(
        parse(&["LATEST".into(), String::new(), "*".into(), "5".into()]).unwrap_err().code,
        FailCode::InvalidParams
    );
}

#[test]
fn msgids_read_back_what_is_written_and_nothing_else() {
    for (run, id) in [(0, 0), (1_795_350_125_123, 1), (u64::MAX, u64::MAX)] {
        assert_eq!(parse_msgid(&msgid(run, id)), Some((run, id)));
    }
    for bad in ["", "-", "1-", "-1", "1_2", "01-1", "1-0a", "A-1", "+1-1", "1-1-1", "11111111111111111-1"] {
        assert_eq!(parse_msgid(bad), None, "{bad:?}");
    }
}

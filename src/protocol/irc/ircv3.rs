//! Parsing what IRCv3 adds to IRC lines: the `label` tag (labeled-response), and the `TAGMSG`
//! (message-tags) and `SETNAME` (setname) commands. Pure, like the rest of `parse`.

use super::message::{Message, split_list};
use super::{clean, tags};
use crate::protocol::{Command, ParseError};

/// The line's `label`, if it has a usable one: labeled-response allows at most
/// `tags::MAX_LABEL_BYTES`; a longer (or empty) one is ignored and the line answered unlabeled.
pub(super) fn label(line_tags: &[(String, Option<String>)]) -> Option<String> {
    let label = tags::value(line_tags, "label")?;
    (label.len() <= tags::MAX_LABEL_BYTES).then(|| label.to_string())
}

/// `parsed` with its label round it, for the session (`Command::Labeled`).
pub(super) fn labeled(label: Option<String>, parsed: Result<Command, ParseError>) -> Result<Command, ParseError> {
    match label {
        Some(label) => Ok(Command::Labeled { label, input: Box::new(parsed) }),
        None => parsed,
    }
}

/// `TAGMSG <targets>` and `SETNAME :<real name>`. `None` for what is to be ignored: nothing is.
pub(super) fn parse(message: &Message) -> Option<Result<Command, ParseError>> {
    let first = message.param(0);
    let command = match message.command.as_str() {
        // Answered as PRIVMSG is (message-tags: "See PRIVMSG ... for more details on replies").
        "TAGMSG" => match first.filter(|targets| !targets.is_empty()) {
            Some(targets) => Command::TagMsg {
                targets: split_list(targets).map(str::to_string).collect(),
                tags: tags::client_only(&message.tags),
            },
            None => return Some(Err(ParseError::NoRecipient("TAGMSG"))),
        },
        // An empty real name is the chat's to refuse (`FAIL SETNAME INVALID_REALNAME`).
        _ => match first {
            Some(realname) => Command::SetName { realname: clean(realname) },
            None => return Some(Err(ParseError::Usage("SETNAME"))),
        },
    };
    Some(Ok(command))
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use crate::protocol::{Command, MessageKind, ParseError};

    fn parsed(line: &str) -> Result<Command, ParseError> {
        match parse(line) {
            Some(result) => result,
            None => panic!("{line:?} was ignored"),
        }
    }

    #[test]
    fn tagmsg_carries_only_client_only_tags() {
        assert_eq!(
            parsed("@+typing=active;msgid=forged TAGMSG #a,bob"),
            Ok(Command::TagMsg { targets: vec!["#a".into(), "bob".into()], tags: Some("+typing=active".into()) })
        );
        assert_eq!(parsed("@unknown-tag TAGMSG #a"), Ok(Command::TagMsg { targets: vec!["#a".into()], tags: None }));
        assert_eq!(parsed("TAGMSG"), Err(ParseError::NoRecipient("TAGMSG")));
        assert_eq!(parsed("TAGMSG :"), Err(ParseError::NoRecipient("TAGMSG")));
    }

    #[test]
    fn privmsg_and_notice_carry_client_only_tags() {
        assert_eq!(
            parsed("@+draft/reply=a\\sb;time=x PRIVMSG #a :hi"),
            Ok(Command::Message {
                targets: vec!["#a".into()],
                text: "hi".into(),
                kind: MessageKind::Normal,
                tags: Some("+draft/reply=a\\sb".into())
            })
        );
    }

    #[test]
    fn setname_takes_the_real_name_cleaned() {
        assert_eq!(parsed("SETNAME :Alice \u{1b}Liddell"), Ok(Command::SetName { realname: "Alice Liddell".into() }));
        assert_eq!(parsed("SETNAME :"), Ok(Command::SetName { realname: String::new() }));
        assert_eq!(parsed("SETNAME"), Err(ParseError::Usage("SETNAME")));
    }

    #[test]
    fn a_label_goes_round_what_the_line_said_even_an_error() {
        let labeled = |label: &str, input| Ok(Command::Labeled { label: label.into(), input: Box::new(input) });
        assert_eq!(parsed("@label=abc PING x"), labeled("abc", Ok(Command::Ping { token: "x".into() })));
        assert_eq!(parsed("@label=a\\:b PRIVMSG"), labeled("a;b", Err(ParseError::NoRecipient("PRIVMSG"))));
        assert_eq!(parsed("@label=1 FOO"), labeled("1", Err(ParseError::UnknownCommand("FOO".into()))));
        // Even a command that is not letters or three digits.
        let unreadable = Err(ParseError::UnknownCommand("NO_SUCH".into()));
        assert_eq!(parsed("@label=2 NO_SUCH x"), labeled("2", unreadable.clone()));
        assert_eq!(parsed("NO_SUCH x"), unreadable);
        // Too long or empty: no label at all.
        let long = format!("@label={} PING x", "x".repeat(65));
        assert_eq!(parsed(&long), Ok(Command::Ping { token: "x".into() }));
        assert_eq!(parsed(&format!("@label={} PING x", "x".repeat(64))), labeled(&"x".repeat(64), parsed("PING x")));
        assert_eq!(parsed("@label= PING x"), Ok(Command::Ping { token: "x".into() }));
        // A NOTICE error stays silent, labeled or not.
        assert_eq!(parse("@label=n NOTICE"), None);
    }
}

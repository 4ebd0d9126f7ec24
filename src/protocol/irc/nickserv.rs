//! `NickServ`, the account service of IRC networks, as chatd answers it: `PRIVMSG NickServ :CMD
//! ...` (also to `NickServ@server`), or the `NICKSERV CMD ...` and `NS CMD ...` commands, for
//! clients without SASL. Its replies come as notices from `PREFIX` (rendered in `render`).
//!
//! Pure: `parse` turns the text a client sent the service into an `AccountCommand`; `COMMANDS`
//! is the service's command list, which `HELP` shows. NickServ is a reserved nickname
//! (`account::RESERVED_NICKS`) nobody can hold, so what is sent to it never reaches a person.

use crate::protocol::{AccountCommand, LoginVia};

/// The service's nickname.
pub const NICK: &str = "NickServ";

/// The source of the service's notices. `services.` is no host anyone can connect from (a
/// trailing dot, as in a fully qualified name), so the prefix cannot be mistaken for a person's.
pub const PREFIX: &str = "NickServ!NickServ@services.";

/// The longest command name kept for `Help { topic }`; longer words are cut (at a character
/// boundary): a topic is shown back to the client, never looked up further.
const MAX_TOPIC_BYTES: usize = 32;

/// One NickServ command, for `HELP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceCommand {
    /// Its name, upper case.
    pub name: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Its arguments, as `HELP` shows them.
    pub arguments: &'static str,
    /// What it does, one sentence.
    pub summary: &'static str,
}

/// Every command the service knows, in the order `HELP` lists them.
pub const COMMANDS: &[ServiceCommand] = &[
    ServiceCommand {
        name: "REGISTER",
        aliases: &[],
        arguments: "<password> [email]",
        summary: "Registers your current nickname as an account (the email is not kept).",
    },
    ServiceCommand {
        name: "IDENTIFY",
        aliases: &[],
        arguments: "[account] <password>",
        summary: "Logs you in to your nickname's account, or to the one named.",
    },
    ServiceCommand {
        name: "REGAIN",
        aliases: &["RECOVER", "GHOST"],
        arguments: "<nickname> [password]",
        summary: "Takes your registered nickname back from whoever holds it.",
    },
    ServiceCommand {
        name: "SET",
        aliases: &[],
        arguments: "PASSWORD <new-password>",
        summary: "Changes the password of the account you are logged in to.",
    },
    ServiceCommand {
        name: "DROP",
        aliases: &[],
        arguments: "<password>",
        summary: "Deletes the account you are logged in to; its nickname becomes free.",
    },
    ServiceCommand {
        name: "INFO",
        aliases: &[],
        arguments: "[account]",
        summary: "Shows what is known of an account (yours by default).",
    },
    ServiceCommand {
        name: "HELP",
        aliases: &[],
        arguments: "[command]",
        summary: "Shows this list, or how to use a command.",
    },
];

/// The command `name` (or one of its aliases), any case.
pub fn command(name: &str) -> Option<&'static ServiceCommand> {
    COMMANDS
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name) || c.aliases.iter().any(|alias| alias.eq_ignore_ascii_case(name)))
}

/// True for a message target that means the service: `NickServ` or `NickServ@server`, any case.
/// (No nickname holds `@`, so every `NickServ@...` is the service, whatever server it names.)
pub fn is_service(target: &str) -> bool {
    let nick = target.split_once('@').map_or(target, |(nick, _)| nick);
    nick.eq_ignore_ascii_case(NICK)
}

/// A command name as `Help { topic }` holds it: upper case, bounded.
fn topic(word: &str) -> String {
    let end = (0..=MAX_TOPIC_BYTES.min(word.len())).rev().find(|&at| word.is_char_boundary(at)).unwrap_or(0);
    word.get(..end).unwrap_or_default().to_ascii_uppercase()
}

/// Parses what a client sent the service: a command name (any case) and its arguments,
/// separated by spaces. Passwords are taken as sent. Unknown commands, and known ones with
/// missing or extra arguments, become `Help { topic: Some(NAME) }` (the renderer says "no such
/// command" or shows the usage); an empty text is `Help { topic: None }`.
pub fn parse(text: &str) -> AccountCommand {
    let mut words = text.split_ascii_whitespace();
    let Some(name) = words.next() else { return AccountCommand::Help { topic: None } };
    let arguments: Vec<&str> = words.collect();
    let owned = |word: &&str| word.to_string();
    let usage = || AccountCommand::Help { topic: Some(topic(name)) };
    let Some(known) = command(name) else { return usage() };
    match (known.name, arguments.as_slice()) {
        ("REGISTER", [password] | [password, _]) => {
            AccountCommand::Register { name: None, password: password.to_string() }
        }
        ("IDENTIFY", [password]) => {
            AccountCommand::Identify { name: None, password: password.to_string(), via: LoginVia::Command }
        }
        ("IDENTIFY", [account, password]) => AccountCommand::Identify {
            name: Some(account.to_string()),
            password: password.to_string(),
            via: LoginVia::Command,
        },
        ("REGAIN", [nick, rest @ ..]) if rest.len() <= 1 => {
            AccountCommand::Regain { nick: nick.to_string(), password: rest.first().map(owned) }
        }
        ("SET", [what, new]) if what.eq_ignore_ascii_case("PASSWORD") => {
            AccountCommand::SetPassword { old: None, new: new.to_string() }
        }
        // `DROP <account> <password>` names an account that must be the caller's own: chat
        // state drops the account logged in to, so the password is all that counts.
        ("DROP", [password] | [_, password]) => AccountCommand::Unregister { password: Some(password.to_string()) },
        ("INFO", []) => AccountCommand::Info { name: None },
        ("INFO", [name]) => AccountCommand::Info { name: Some(name.to_string()) },
        ("HELP", []) => AccountCommand::Help { topic: None },
        ("HELP", [about, ..]) => AccountCommand::Help { topic: Some(topic(about)) },
        _ => usage(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(topic: &str) -> AccountCommand {
        AccountCommand::Help { topic: Some(topic.into()) }
    }

    #[test]
    fn the_service_is_named_any_case_with_or_without_a_server() {
        for target in ["NickServ", "nickserv", "NICKSERV", "NickServ@services.", "nickserv@irc.example.org"] {
            assert!(is_service(target), "{target}");
        }
        for target in ["NickServ2", "#NickServ", "Nick", "ChanServ", "alice@NickServ", ""] {
            assert!(!is_service(target), "{target}");
        }
    }

    #[test]
    fn register_and_identify() {
        let register = AccountCommand::Register { name: None, password: "hunter22".into() };
        assert_eq!(parse("REGISTER hunter22"), register);
        assert_eq!(parse("register hunter22 alice@example.org"), register);
        assert_eq!(parse("REGISTER"), help("REGISTER"));
        assert_eq!(parse("REGISTER a b c"), help("REGISTER"));
        assert_eq!(
            parse("IDENTIFY s3cret!"),
            AccountCommand::Identify { name: None, password: "s3cret!".into(), via: LoginVia::Command }
        );
        assert_eq!(
            parse("  identify   alice   s3cret!  "),
            AccountCommand::Identify { name: Some("alice".into()), password: "s3cret!".into(), via: LoginVia::Command }
        );
        assert_eq!(parse("IDENTIFY"), help("IDENTIFY"));
        assert_eq!(parse("IDENTIFY a b c"), help("IDENTIFY"));
    }

    #[test]
    fn regain_and_its_aliases() {
        let regain = |password: Option<&str>| AccountCommand::Regain {
            nick: "alice".into(),
            password: password.map(str::to_string),
        };
        assert_eq!(parse("REGAIN alice"), regain(None));
        assert_eq!(parse("recover alice pw"), regain(Some("pw")));
        assert_eq!(parse("GHOST alice pw"), regain(Some("pw")));
        assert_eq!(parse("GHOST"), help("GHOST"));
        assert_eq!(parse("REGAIN a b c"), help("REGAIN"));
    }

    #[test]
    fn set_password_drop_info_help() {
        assert_eq!(parse("SET PASSWORD newpass1"), AccountCommand::SetPassword { old: None, new: "newpass1".into() });
        assert_eq!(parse("set password newpass1"), AccountCommand::SetPassword { old: None, new: "newpass1".into() });
        assert_eq!(parse("SET EMAIL x@y"), help("SET"));
        assert_eq!(parse("SET PASSWORD"), help("SET"));
        let drop = AccountCommand::Unregister { password: Some("pw".into()) };
        assert_eq!(parse("DROP pw"), drop);
        assert_eq!(parse("DROP alice pw"), drop);
        assert_eq!(parse("DROP"), help("DROP"));
        assert_eq!(parse("DROP a b c"), help("DROP"));
        assert_eq!(parse("INFO"), AccountCommand::Info { name: None });
        assert_eq!(parse("info alice"), AccountCommand::Info { name: Some("alice".into()) });
        assert_eq!(parse("INFO a b"), help("INFO"));
        assert_eq!(parse("HELP"), AccountCommand::Help { topic: None });
        assert_eq!(parse("help identify"), help("IDENTIFY"));
        assert_eq!(parse(""), AccountCommand::Help { topic: None });
        assert_eq!(parse("   "), AccountCommand::Help { topic: None });
    }

    #[test]
    fn unknown_commands_become_help_with_their_name_bounded() {
        assert_eq!(parse("FROB x"), help("FROB"));
        assert_eq!(parse(&"x".repeat(100)), help(&"X".repeat(MAX_TOPIC_BYTES)));
        // Cut at a character boundary.
        let long = format!("{}é", "a".repeat(MAX_TOPIC_BYTES - 1));
        assert_eq!(parse(&long), help(&"A".repeat(MAX_TOPIC_BYTES - 1)));
    }

    #[test]
    fn every_command_parses_to_something_other_than_help_with_its_usage() {
        for c in COMMANDS {
            let line = format!("{} {}", c.name, c.arguments.replace(['<', '>', '[', ']'], ""));
            let parsed = parse(&line);
            assert!(c.name == "HELP" || !matches!(parsed, AccountCommand::Help { .. }), "{line:?} gave {parsed:?}");
        }
    }
}

//! Parsing the server queries of issue 14 that have no netcat form: `WHOWAS`, `INFO`, `LINKS`,
//! `WALLOPS` and `HELP`/`HELPOP` (the last becomes the shared `Command::Help`). Called from
//! `irc::parse` for exactly the command names `is_query` accepts.

use super::clean;
use super::message::{Message, split_list};
use crate::protocol::{Command, ParseError};

/// Whether `command` (uppercased) is one `parse` handles.
pub fn is_query(command: &str) -> bool {
    matches!(command, "WHOWAS" | "INFO" | "LINKS" | "WALLOPS" | "HELP" | "HELPOP")
}

/// One of the commands `is_query` names, from its parsed line.
pub fn parse(message: &Message) -> Result<Command, ParseError> {
    let param = |i: usize| message.param(i).filter(|p| !p.is_empty());
    match message.command.as_str() {
        // `WHOWAS <nick>[,<nick>...] [<count> [<server>]]`: every nickname of the list (chat state
        // answers the first `TARGMAX` of them). A count that is no positive number means a full
        // search (RFC 2812 3.6.3).
        "WHOWAS" => {
            let nicks: Vec<String> = param(0).map(split_list).into_iter().flatten().map(str::to_string).collect();
            if nicks.is_empty() {
                return Err(ParseError::NoNicknameGiven);
            }
            let count = param(1).and_then(|n| n.parse::<u64>().ok()).filter(|&n| n > 0);
            Ok(Command::Whowas { nicks, count: count.map(|n| usize::try_from(n).unwrap_or(usize::MAX)) })
        }
        "INFO" => Ok(Command::Info),
        // `LINKS [[<remote server>] <server mask>]`: the mask is the last parameter; a remote
        // server could only be this one.
        "LINKS" => Ok(Command::Links { mask: param(1).or(param(0)).map(str::to_string) }),
        "WALLOPS" => {
            let text = param(0).map(clean).filter(|text| !text.is_empty()).ok_or(ParseError::Usage("WALLOPS"))?;
            Ok(Command::Wallops { text })
        }
        // `HELP :two words` keeps its subject whole: the reply names it `*` (not a parameter).
        _ => Ok(Command::Help { command: param(0).map(str::to_string) }),
    }
}

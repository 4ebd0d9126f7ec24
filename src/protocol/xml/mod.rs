//! The XMLSocket gateway dialect: plain command lines in, NUL-terminated XML elements out, for
//! programs (it once served Flash's `XMLSocket`; game and widget authors still use the shape).
//!
//! Pure: `parse` turns one framed line into a `Command` (or the policy request), `render` turns a
//! `Reply` into XML frames, `escape` makes any text an attribute value; `face` puts them behind
//! the `dialect` interface (detection, the decoder, the session).
//!
//! Input grammar (one command a line; a line ends with NUL, LF or CR LF; words are separated by
//! spaces; command words in any case, since programs written against the old gateway differ and
//! nothing is lost by accepting them all):
//!
//! ```text
//! IDENTIFY <name> <password>     log in; the nickname is the account's name
//! REGISTER <name> <password>     create the account and log in to it
//! MSG <nick> <text...>           a private message
//! LIST                           everyone online
//! QUIT [<reason...>]             leave
//! <policy-file-request/>         Flash's policy request: answered, then the connection closes
//! ```
//!
//! Output, every frame followed by NUL (see `render`): `<identify aid="N" name="N"/>`,
//! `<login aid="N" name="N"/>`, `<quit aid="N"/>`, `<msg aid="SENDER" time="HH:MM:SS" msg="TEXT"
//! from="RECIPIENT"/>` (the old gateway's naming: `aid` is the sender, `from` the recipient),
//! `<nicklist><nick aid="N" name="N"/>...</nicklist>` and `<error value="SENTENCE"/>`.

pub mod face;
mod render;

pub use render::{escape, render};

use super::text::for_irc;
use super::{AccountCommand, Command, LoginVia, ParseError};
use std::sync::OnceLock;

/// What a Flash player sends before it may open a socket to a port, as the first bytes of a
/// connection of its own.
pub const POLICY_REQUEST: &str = "<policy-file-request";

/// What one input line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Nothing but spaces: ignored, as every dialect ignores blank lines.
    Blank,
    /// `<policy-file-request/>`: answered with the policy, then the connection closes.
    PolicyRequest,
    /// A command, or why the line is not one.
    Input(Result<Command, ParseError>),
}

/// Splits off the first space-separated word; the rest comes back without its leading spaces.
fn first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches(' ');
    match s.split_once(' ') {
        Some((word, rest)) => (word, rest.trim_start_matches(' ')),
        None => (s, ""),
    }
}

/// The two one-word arguments of `IDENTIFY` and `REGISTER`, if that is exactly what `rest` holds.
fn name_and_password(rest: &str) -> Option<(String, String)> {
    let (name, after) = first_word(rest);
    let (password, extra) = first_word(after);
    (!name.is_empty() && !password.is_empty() && extra.is_empty()).then(|| (name.to_string(), password.to_string()))
}

/// Free text without what no recipient gets (`text::for_irc`), trimmed; `None` when nothing is left.
fn text(s: &str) -> Option<String> {
    let cleaned = for_irc(s);
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_string())
}

/// Parses one framed line (its terminator and carriage returns gone, invalid UTF-8 already
/// U+FFFD). Names and passwords come out as sent, for chat state to judge; message text and
/// reasons come out cleaned (`text::for_irc`), so that history never holds what no recipient
/// would get.
pub fn parse(line: &str) -> Line {
    let line = line.trim_end_matches(' ');
    if line.trim_start_matches(' ').is_empty() {
        return Line::Blank;
    }
    if matches!(line.trim_start_matches(' '), "<policy-file-request/>" | "<policy-file-request />") {
        return Line::PolicyRequest;
    }
    let (word, rest) = first_word(line);
    let command = match word.to_ascii_uppercase().as_str() {
        "IDENTIFY" => match name_and_password(rest) {
            Some((name, password)) => {
                Command::Account(AccountCommand::Identify { name: Some(name), password, via: LoginVia::Command })
            }
            None => return Line::Input(Err(ParseError::Usage("IDENTIFY"))),
        },
        "REGISTER" => match name_and_password(rest) {
            Some((name, password)) => Command::Account(AccountCommand::Register { name: Some(name), password }),
            None => return Line::Input(Err(ParseError::Usage("REGISTER"))),
        },
        "MSG" => {
            let (to, said) = first_word(rest);
            match text(said) {
                Some(text) if !to.is_empty() => Command::Private { to: to.to_string(), text },
                _ => return Line::Input(Err(ParseError::Usage("MSG"))),
            }
        }
        "LIST" if rest.is_empty() => Command::Users,
        "LIST" => return Line::Input(Err(ParseError::Usage("LIST"))),
        "QUIT" => Command::Quit { reason: text(rest) },
        _ => return Line::Input(Err(ParseError::UnknownCommand(word.to_string()))),
    };
    Line::Input(Ok(command))
}

/// How each command is written, for the usage error (`ParseError::Usage` holds the name).
pub fn usage(command: &str) -> Option<&'static str> {
    match command {
        "IDENTIFY" => Some("IDENTIFY NAME PASSWORD"),
        "REGISTER" => Some("REGISTER NAME PASSWORD"),
        "MSG" => Some("MSG NICK TEXT"),
        "LIST" => Some("LIST"),
        "QUIT" => Some("QUIT [REASON]"),
        _ => None,
    }
}

/// The listening ports, as the policy names them (`set_policy_ports`).
static POLICY_PORTS: OnceLock<String> = OnceLock::new();

/// Names the ports the policy file allows: the ports chatd listens on. Called once at start; a
/// later call changes nothing. Until it is called (tests, or an empty list) the policy allows
/// every port (`*`): a decoder does not know which port its connection came to, and naming one
/// port would be wrong for the others.
pub fn set_policy_ports(ports: &[u16]) {
    if ports.is_empty() {
        return;
    }
    let list = ports.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
    let _ = POLICY_PORTS.set(list);
}

/// The answer to `<policy-file-request/>`: the cross-domain policy, NUL-terminated.
pub fn policy_answer() -> Vec<u8> {
    let ports = POLICY_PORTS.get().map_or("*", String::as_str);
    format!(
        "<?xml version=\"1.0\"?><cross-domain-policy><allow-access-from domain=\"*\" to-ports=\"{ports}\"/></cross-domain-policy>\0"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests;

//! The IRC dialect (RFC 1459/2812 and current client practice): IRC lines in, IRC lines out.
//!
//! Pure: `parse` (here) turns one line into a `Command`, `render` turns a `Reply` into lines for
//! one recipient. `message` owns the wire grammar and the 512-byte limit; `numeric` names the
//! replies; `caps` is capability negotiation; `face` puts it all behind the `dialect` interface
//! (detection, the decoder, the session that holds a client's capabilities).
//! Every numeric carries the server as prefix and the recipient's nick (`*` before registration)
//! as first parameter. Text longer than fits one line is split at UTF-8 boundaries, never cut.
//! Every piece of text that came from a user passes through `text::for_irc`, on the way in (so
//! history holds only what every recipient may get) and on the way out.

pub mod batch;
pub mod caps;
pub mod chathistory;
pub mod elist;
pub mod face;
mod ircv3;
pub mod labels;
pub mod message;
pub mod nickserv;
pub mod numeric;
mod query;
mod render;
pub mod sasl;
pub mod tags;

pub use render::{AccountCaps, Ircv3Caps, View, msgid, render, render_for, render_with};

use super::text::for_irc;
use super::{
    ChatError, Command, Counts, HistoryEntry, MessageKind, Millis, MsgId, ParseError, Person, QuitReason, Reply,
    TopicChange, UserInfo, WhoQuery,
};
use crate::core::limits::{
    MAX_PARAM_CHANGES, MAX_REASON_BYTES, MAX_ROOMS_PER_CLIENT, MAX_TARGETS, MAX_TOPIC_BYTES, NICK_MAX_CHARS,
    ROOM_MAX_BYTES,
};
use crate::core::time::utc_timestamp_millis;
use crate::room::{FLAG_MODES, MAX_BANS, MaskList, STATUS_PREFIXES};
use message::{
    MAX_LINE_BYTES, MessageError, ctcp_action, encode_action, split_list, split_text, text_budget, write_line,
};
use numeric::*;
use std::sync::LazyLock;

/// The name IRC clients show for the network.
pub const NETWORK: &str = "chatd";

/// Sent in `RPL_ISUPPORT` (005): what this server implements, and its limits, each taken from the
/// constant that enforces it (`core::limits`). Built once: every registration sends it.
static ISUPPORT: LazyLock<Vec<String>> = LazyLock::new(|| {
    let targets = ["PRIVMSG", "NOTICE", "JOIN", "PART", "NAMES", "KICK", "WHOWAS"]
        .map(|command| format!("{command}:{MAX_TARGETS}"));
    let lists: String = MaskList::ALL.iter().map(|list| list.letter()).collect();
    let maxlist: Vec<String> = MaskList::ALL.iter().map(|list| format!("{}:{MAX_BANS}", list.letter())).collect();
    vec![
        "CASEMAPPING=ascii".to_string(),
        "CHANTYPES=#".to_string(),
        format!("CHANNELLEN={ROOM_MAX_BYTES}"),
        format!("NICKLEN={NICK_MAX_CHARS}"),
        format!("TOPICLEN={MAX_TOPIC_BYTES}"),
        format!("AWAYLEN={MAX_REASON_BYTES}"),
        format!("CHANLIMIT=#:{MAX_ROOMS_PER_CLIENT}"),
        "PREFIX=(ov)@+".to_string(),
        format!("CHANMODES={lists},k,l,{FLAG_MODES}"),
        format!("MODES={MAX_PARAM_CHANGES}"),
        format!("TARGMAX={}", targets.join(",")),
        format!("NETWORK={NETWORK}"),
        // issue 14: modes
        format!("EXCEPTS={}", MaskList::Exceptions.letter()),
        format!("INVEX={}", MaskList::InviteExceptions.letter()),
        format!("MAXLIST={}", maxlist.join(",")),
        format!("STATUSMSG={STATUS_PREFIXES}"),
        format!("ELIST={}", elist::EXTENSIONS),
        // Lines that are not UTF-8 are refused (`ParseError::InvalidUtf8`).
        "UTF8ONLY".to_string(),
        // issue 14: chathistory
        format!("CHATHISTORY={}", crate::protocol::history::MAX_HISTORY_LIMIT),
        format!("MSGREFTYPES={}", chathistory::MSGREFTYPES.join(",")),
        // issue 14: queries (`WHO <mask> %<fields>[,<token>]`, `protocol::query`)
        "WHOX".to_string(),
    ]
});

/// `RPL_MYINFO`'s channel modes: every letter, and those that take a parameter (with `o`, `v`).
static MYINFO_ROOM_MODES: LazyLock<String> = LazyLock::new(|| {
    let mut letters: Vec<char> = MaskList::ALL.iter().map(|list| list.letter()).collect();
    letters.extend(FLAG_MODES.chars().chain("klov".chars()));
    letters.sort_unstable();
    letters.into_iter().collect()
});
static MYINFO_PARAM_MODES: LazyLock<String> = LazyLock::new(|| {
    let mut letters: Vec<char> = MaskList::ALL.iter().map(|list| list.letter()).collect();
    letters.extend("klov".chars());
    letters.sort_unstable();
    letters.into_iter().collect()
});

/// Incoming free text without what no recipient gets (`text::for_irc`): ESC, bidi overrides, ...
fn clean(text: &str) -> String {
    for_irc(text).into_owned()
}

/// Optional incoming free text; nothing left after cleaning counts as nothing given.
fn clean_optional(text: Option<&str>) -> Option<String> {
    text.map(clean).filter(|text| !text.is_empty())
}

/// Parses one IRC line. `None` for lines to ignore silently (empty ones). Free text (messages,
/// topics, reasons, away texts, real names, mode parameters) comes out cleaned (`clean`).
pub fn parse(line: &str) -> Option<Result<Command, ParseError>> {
    let message = match message::parse(line) {
        Ok(message) => message,
        Err(MessageError::Empty) => return None,
        Err(MessageError::TagsTooLong) => return Some(Err(ParseError::LineTooLong { limit: MAX_LINE_BYTES })),
        // Unknown, but answered (421) with the line's label like any other reply.
        Err(MessageError::BadCommand(command)) => {
            let label = ircv3::label(&message::leading_tags(line));
            return Some(ircv3::labeled(label, Err(ParseError::UnknownCommand(command))));
        }
        Err(MessageError::MissingCommand) => return None,
    };
    // issue 14: ircv3 (a `label` goes round whatever the line said, for the session)
    let label = ircv3::label(&message.tags);
    let parsed = parse_message(line, message)?;
    Some(ircv3::labeled(label, parsed))
}

/// One parsed line as a command (see `parse`).
fn parse_message(line: &str, message: message::Message) -> Option<Result<Command, ParseError>> {
    // RFC 2812 2.3: 512 bytes with CR LF; tags (IRCv3) are counted separately, also after the
    // leading spaces `message::parse` tolerates.
    let line = line.trim_start_matches(' ');
    let untagged = if line.starts_with('@') { line.split_once(' ').map_or("", |(_, rest)| rest) } else { line };
    if untagged.trim_start().len() + 2 > MAX_LINE_BYTES {
        return Some(Err(ParseError::LineTooLong { limit: MAX_LINE_BYTES }));
    }
    let param = |i: usize| message.param(i).filter(|p| !p.is_empty());
    let list = |i: usize| param(i).map(|p| split_list(p).map(str::to_string).collect::<Vec<_>>()).unwrap_or_default();
    let words = || message.params.iter().flat_map(|p| p.split(' ')).filter(|w| !w.is_empty()).map(str::to_string);
    let command = match message.command.as_str() {
        "CAP" => match param(0) {
            Some(sub) => Command::Cap { sub: sub.to_ascii_uppercase(), arg: param(1).unwrap_or("").to_string() },
            None => return Some(Err(ParseError::Usage("CAP"))),
        },
        "PASS" if param(0).is_some() => Command::Pass { password: param(0).unwrap_or("").to_string() },
        "NICK" => match param(0) {
            Some(nick) => Command::Nick { nick: nick.to_string() },
            None => return Some(Err(ParseError::NoNicknameGiven)),
        },
        // An empty real name (or one of nothing but removed characters) is none: 461.
        "USER" if message.params.len() >= 4 && param(0).is_some() && !clean(&message.params[3]).is_empty() => {
            Command::User { user: message.params[0].clone(), realname: clean(&message.params[3]) }
        }
        "PING" if param(0).is_some() => Command::Ping { token: param(0).unwrap_or_default().to_string() },
        "PONG" => Command::Pong,
        "JOIN" if param(0) == Some("0") => Command::PartAll,
        "JOIN" if param(0).is_some() => {
            // Keys are compared, never shown, and a room's key can hold no control character
            // (`MODE +k` refuses one), so a key is taken as sent: cleaning could empty it, and
            // an emptied key would shift the keys against their rooms.
            Command::JoinMany { rooms: list(0), keys: list(1) }
        }
        // Several nicknames (`KICK #room a,b,c`) are kicked one by one; several rooms
        // (`KICK #a,#b x,y`) each with the nickname in the same place, as many of each.
        "KICK" if !list(1).is_empty() => {
            let (rooms, nicks, reason) = (list(0), list(1), clean_optional(param(2)));
            match rooms.len() {
                0 | 1 => Command::KickMany { room: param(0).map(str::to_string), nicks, reason },
                n if n == nicks.len() => Command::KickPairs { pairs: rooms.into_iter().zip(nicks).collect(), reason },
                _ => return Some(Err(ParseError::Usage("KICK"))),
            }
        }
        "INVITE" if param(1).is_some() => {
            Command::Invite { nick: param(0).unwrap_or_default().to_string(), room: param(1).map(str::to_string) }
        }
        "OPER" if param(1).is_some() => Command::Oper {
            name: param(0).unwrap_or_default().to_string(),
            password: param(1).unwrap_or_default().to_string(),
        },
        // The comment is the protocol's, but a bare `KILL nick` (as some servers take it) is
        // carried out with a default one rather than refused.
        "KILL" if param(0).is_some() => Command::Kill {
            nick: param(0).unwrap_or_default().to_string(),
            reason: param(1).map_or_else(|| "no reason given".to_string(), clean),
        },
        "HISTORY" if param(0).is_some() => {
            Command::History { room: param(0).map(str::to_string), count: param(1).and_then(|n| n.parse().ok()) }
        }
        "PART" if param(0).is_some() => Command::PartMany { rooms: list(0), reason: clean_optional(param(1)) },
        "PRIVMSG" | "NOTICE" => {
            let notice = message.command == "NOTICE";
            let name = if notice { "NOTICE" } else { "PRIVMSG" };
            // A NOTICE is never answered with an error (RFC 2812 3.3.2), not even for its own form.
            let Some(targets) = param(0) else { return (!notice).then_some(Err(ParseError::NoRecipient(name))) };
            let Some(text) = param(1) else { return (!notice).then_some(Err(ParseError::NoTextToSend)) };
            // NickServ is a service, not a person: what is sent to it (passwords) goes to chat
            // state as an account command and never to anyone else, not even to the other
            // targets of the same line. A NOTICE is never answered (RFC 2812 3.3.2), so one to
            // NickServ is dropped whole.
            if split_list(targets).any(nickserv::is_service) {
                return (!notice).then(|| Ok(Command::Account(nickserv::parse(text))));
            }
            let (given, kind) = match ctcp_action(text) {
                Some(action) if !notice => (action, MessageKind::Action),
                _ if notice => (text, MessageKind::Notice),
                _ => (text, MessageKind::Normal),
            };
            let text = clean(given);
            // Text that was nothing but removed characters (a bell, say) is no text at all.
            if text.is_empty() && !given.is_empty() {
                return (!notice).then_some(Err(ParseError::NoTextToSend));
            }
            let tags = tags::client_only(&message.tags);
            Command::Message { targets: split_list(targets).map(str::to_string).collect(), text, kind, tags }
        }
        "CHATHISTORY" => Command::ChatHistory(chathistory::parse(&message.params)),
        "NICKSERV" | "NS" => Command::Account(nickserv::parse(&message.params.join(" "))),
        // Without a parameter too: the session answers every `AUTHENTICATE`, also before
        // registration (where chat state would answer a usage error with 451).
        "AUTHENTICATE" => Command::Authenticate { payload: message.param(0).unwrap_or_default().to_string() },
        "NAMES" => Command::Names { rooms: list(0) },
        "TOPIC" if param(0).is_some() => {
            let change = match message.param(1) {
                None => None,
                Some("") => Some(TopicChange::Clear),
                // Text that was nothing but removed characters (a bell) is no text: a query, as
                // the same line is from netcat. Only an empty topic clears it.
                Some(given) => Some(clean(given)).filter(|text| !text.is_empty()).map(TopicChange::Set),
            };
            Command::Topic { room: param(0).map(str::to_string), change }
        }
        "WHO" => Command::WhoMask {
            mask: param(0).unwrap_or("*").to_string(),
            query: WhoQuery::parse(param(1).unwrap_or_default()),
        },
        // `WHOIS [server] nick`: the nick is the last parameter.
        "WHOIS" => match message.params.iter().rev().find(|p| !p.is_empty()) {
            Some(nick) => Command::Whois { nick: split_list(nick).next().unwrap_or_default().to_string() },
            None => return Some(Err(ParseError::NoNicknameGiven)),
        },
        "LIST" => Command::List { filters: param(0).map(elist::parse).unwrap_or_default() },
        "MODE" if param(0).is_some() => Command::Mode {
            target: param(0).unwrap_or_default().to_string(),
            changes: message.params.iter().skip(1).map(|change| clean(change)).collect(),
        },
        "AWAY" => Command::Away { text: clean_optional(param(0)) },
        "ISON" if param(0).is_some() => Command::Ison { nicks: words().collect() },
        "USERHOST" if param(0).is_some() => Command::Userhost { nicks: words().collect() },
        "MOTD" => Command::Motd,
        "LUSERS" => Command::Lusers,
        "VERSION" => Command::Version,
        "TIME" => Command::Time,
        "QUIT" => Command::Quit { reason: clean_optional(param(0)) },
        // issue 14: ircv3
        "TAGMSG" | "SETNAME" => return ircv3::parse(&message),
        known @ ("PASS" | "USER" | "PING" | "JOIN" | "PART" | "TOPIC" | "MODE" | "ISON" | "USERHOST" | "KICK"
        | "INVITE" | "OPER" | "KILL" | "HISTORY") => {
            return Some(Err(ParseError::Usage(static_name(known))));
        }
        // issue 14: queries
        name if query::is_query(name) => return Some(query::parse(&message)),
        other => return Some(Err(ParseError::UnknownCommand(other.to_string()))),
    };
    Some(Ok(command))
}

/// A line that is not UTF-8 (`UTF8ONLY` in ISUPPORT: such lines are refused whole, as the IRCv3
/// spec lets a server do, with `FAIL <command> INVALID_UTF8`), naming its command when that much
/// can be read, `*` otherwise.
pub fn refuse_non_utf8(line: &[u8]) -> ParseError {
    let text = String::from_utf8_lossy(line);
    let command = message::parse(&text).map_or_else(|_| "*".to_string(), |message| message.command);
    ParseError::InvalidUtf8 { command }
}

/// The command names `ParseError::Usage` can hold.
fn static_name(command: &str) -> &'static str {
    match command {
        "PASS" => "PASS",
        "USER" => "USER",
        "PING" => "PING",
        "JOIN" => "JOIN",
        "PART" => "PART",
        "TOPIC" => "TOPIC",
        "MODE" => "MODE",
        "ISON" => "ISON",
        "KICK" => "KICK",
        "INVITE" => "INVITE",
        "OPER" => "OPER",
        "KILL" => "KILL",
        "HISTORY" => "HISTORY",
        _ => "USERHOST",
    }
}

#[cfg(test)]
mod tests;

//! The vocabulary of the server queries IRC clients use to learn about people: `WHO`'s options
//! (WHOX fields, the `o` filter), its entries, `WHOWAS` entries, `WHOIS` room statuses and user
//! mode changes (`MODE nick +w`).
//!
//! Pure: what the client asked, parsed from text it sent, and what it is told. Chat state fills
//! these in; the IRC dialect renders them.

use crate::core::names::RoomName;
use crate::protocol::{Millis, Person, UserInfo};
use std::sync::Arc;

/// The WHOX fields in the one order `RPL_WHOSPCRPL` (354) carries them (IRCv3 WHOX): token,
/// channel, user, IP, host, server, nick, flags, hop count, idle seconds, account, op level,
/// real name.
pub const WHOX_ORDER: [char; 13] = ['t', 'c', 'u', 'i', 'h', 's', 'n', 'f', 'd', 'l', 'a', 'o', 'r'];

/// Most digits a WHOX token may have (IRCv3 WHOX: "at most 3 characters").
pub const WHOX_TOKEN_DIGITS: usize = 3;

/// The fields a WHOX query asked for, and its token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhoxFields {
    /// One bit per `WHOX_ORDER` position.
    bits: u16,
    /// Digits only, at most `WHOX_TOKEN_DIGITS`; `None` when none (or no valid one) was given.
    pub token: Option<String>,
}

impl WhoxFields {
    /// Parses what follows the `%` of `WHO <mask> %<fields>[,<token>]`. Letters that are no
    /// standard field are ignored, as the spec requires; a token that is not 1 to 3 digits is
    /// no token.
    pub fn parse(spec: &str) -> WhoxFields {
        let (letters, token) = spec.split_once(',').unwrap_or((spec, ""));
        let bits = letters
            .chars()
            .filter_map(|letter| WHOX_ORDER.iter().position(|&field| field == letter))
            .fold(0u16, |bits, position| bits | (1 << position));
        let token =
            (!token.is_empty() && token.len() <= WHOX_TOKEN_DIGITS && token.bytes().all(|b| b.is_ascii_digit()))
                .then(|| token.to_string());
        WhoxFields { bits, token }
    }

    /// Whether `field` (a letter of `WHOX_ORDER`) was asked for.
    pub fn has(&self, field: char) -> bool {
        WHOX_ORDER.iter().position(|&f| f == field).is_some_and(|position| self.bits & (1 << position) != 0)
    }

    /// The fields asked for, in reply order.
    pub fn requested(&self) -> impl Iterator<Item = char> + '_ {
        WHOX_ORDER.iter().copied().filter(|&field| self.has(field))
    }
}

/// What `WHO <mask> [options]` asks besides the mask: `o` (server operators only) and WHOX
/// fields after a `%`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhoQuery {
    pub opers_only: bool,
    /// `Some`: answer with `RPL_WHOSPCRPL` (354) carrying these fields instead of 352.
    pub whox: Option<WhoxFields>,
}

impl WhoQuery {
    /// Parses `WHO`'s second parameter: filter flags (only `o` means anything here), then
    /// optionally `%` and the WHOX fields.
    pub fn parse(options: &str) -> WhoQuery {
        let (flags, fields) = match options.split_once('%') {
            Some((flags, fields)) => (flags, Some(fields)),
            None => (options, None),
        };
        WhoQuery { opers_only: flags.contains('o'), whox: fields.map(WhoxFields::parse) }
    }
}

/// One line of a `WHO` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoEntry {
    /// The room the listing is about (`WHO #room`); `None` for a nickname or mask search.
    pub room: Option<RoomName>,
    pub user: UserInfo,
    /// Seconds since the user last spoke (WHOX `l`).
    pub idle_secs: u64,
}

/// One who left a nickname, as `WHOWAS` tells of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhowasEntry {
    /// Who they were while they held the nickname.
    pub person: Arc<Person>,
    /// When they left it (renamed or gone): what `RPL_WHOISSERVER` (312) tells in a `WHOWAS`.
    pub left: Millis,
}

/// A room someone is in as `WHOIS` shows it (`RPL_WHOISCHANNELS`), with their status there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomStatus {
    pub room: RoomName,
    pub op: bool,
    pub voice: bool,
}

/// One user mode change a client asked for (`MODE nick +w-i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserModeChange {
    pub set: bool,
    pub mode: char,
}

/// Parses the mode strings of `MODE <nick> <modes>...` into changes, in order. A string without a
/// leading sign adds; every letter is taken (the caller decides which it knows).
pub fn parse_user_modes(changes: &[String]) -> Vec<UserModeChange> {
    let mut parsed = Vec::new();
    for change in changes {
        let mut set = true;
        for letter in change.chars() {
            match letter {
                '+' => set = true,
                '-' => set = false,
                mode => parsed.push(UserModeChange { set, mode }),
            }
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whox_fields_come_out_in_the_fixed_order_whatever_the_order_asked() {
        let fields = WhoxFields::parse("rnaf,42");
        assert_eq!(fields.requested().collect::<String>(), "nfar");
        assert_eq!(fields.token.as_deref(), Some("42"));
        let all = WhoxFields::parse("rolda fsnhiuct");
        assert_eq!(all.requested().collect::<String>(), "tcuihsnfdlaor");
    }

    #[test]
    fn unknown_whox_letters_and_bad_tokens_are_ignored() {
        let fields = WhoxFields::parse("nxzU,1234");
        assert_eq!(fields.requested().collect::<String>(), "n");
        assert_eq!(fields.token, None);
        assert_eq!(WhoxFields::parse("t,ab").token, None);
        assert_eq!(WhoxFields::parse("t,").token, None);
        assert_eq!(WhoxFields::parse("t,007").token.as_deref(), Some("007"));
        assert_eq!(WhoxFields::parse("").requested().count(), 0);
    }

    #[test]
    fn who_options_hold_the_oper_filter_and_the_whox_fields() {
        assert_eq!(WhoQuery::parse(""), WhoQuery::default());
        assert_eq!(WhoQuery::parse("o"), WhoQuery { opers_only: true, whox: None });
        let query = WhoQuery::parse("o%tna,7");
        assert!(query.opers_only);
        assert_eq!(query.whox.as_ref().map(|w| w.requested().collect::<String>()), Some("tna".to_string()));
        // The letters after `%` are fields, not filters.
        assert!(!WhoQuery::parse("%o").opers_only);
    }

    #[test]
    fn user_mode_strings_become_signed_letters() {
        let changes = parse_user_modes(&["+w-i".to_string(), "x".to_string()]);
        let flat: Vec<(bool, char)> = changes.iter().map(|c| (c.set, c.mode)).collect();
        assert_eq!(flat, [(true, 'w'), (false, 'i'), (true, 'x')]);
        assert!(parse_user_modes(&["+-".to_string()]).is_empty());
    }
}

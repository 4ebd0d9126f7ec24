//! One room's state and the rules of its modes: operators, voice, bans, invitations, key, limit.
//!
//! Pure: no sockets, no clock, no logging; `chat` owns the rooms and calls these. Mode letters
//! follow RFC 2811 and current servers: `n` (no messages from outside), `t` (only operators set the
//! topic), `i` (invite only), `m` (moderated: only operators and voiced members speak), `k KEY`,
//! `l LIMIT`, `o NICK`, `v NICK`, `b MASK`.

use crate::event::{ClientId, IdSet};
use crate::names::RoomName;
use crate::protocol::{HistoryEntry, Millis, Topic};
use std::collections::VecDeque;

/// Most bans one room keeps.
pub const MAX_BANS: usize = 50;
/// Longest room key, in bytes.
pub const MAX_KEY_BYTES: usize = 23;
/// Longest ban mask, in bytes (a 20-character nick, an 11-character user and an IPv6 host fit).
pub const MAX_MASK_BYTES: usize = 80;
/// Most changes with a parameter in one `MODE` command (`MODES` in `RPL_ISUPPORT`); more are ignored.
pub const MAX_PARAM_CHANGES: usize = 6;

/// The settable flags and values of a room.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    pub no_external: bool,
    pub topic_ops_only: bool,
    pub invite_only: bool,
    pub moderated: bool,
    pub key: Option<String>,
    pub limit: Option<usize>,
}

impl Modes {
    /// What new rooms start with: `+nt`, as on most IRC servers.
    pub fn new_room() -> Modes {
        Modes { no_external: true, topic_ops_only: true, ..Modes::default() }
    }

    /// `+ntk` and its parameters; the key is shown only to members.
    pub fn describe(&self, show_key: bool) -> (String, Vec<String>) {
        let mut letters = String::from("+");
        let mut params = Vec::new();
        for (on, letter) in
            [(self.invite_only, 'i'), (self.moderated, 'm'), (self.no_external, 'n'), (self.topic_ops_only, 't')]
        {
            if on {
                letters.push(letter);
            }
        }
        if let Some(key) = &self.key {
            letters.push('k');
            params.push(if show_key { key.clone() } else { "*".to_string() });
        }
        if let Some(limit) = self.limit {
            letters.push('l');
            params.push(limit.to_string());
        }
        (letters, params)
    }
}

/// One requested change, parsed from `MODE #room +o-v alice bob`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeChange {
    Flag {
        set: bool,
        mode: char,
    },
    Key {
        set: bool,
        key: String,
    },
    Limit(Option<usize>),
    Op {
        set: bool,
        nick: String,
    },
    Voice {
        set: bool,
        nick: String,
    },
    Ban {
        set: bool,
        mask: String,
    },
    /// `b` without a mask: list the bans.
    BanList,
}

/// Why a mode request could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeError {
    Unknown(char),
    /// A mode that needs a parameter got none.
    NeedsParameter(char),
}

/// Parses mode letters and their parameters (RFC 2811 4; parameters are taken in order).
pub fn parse_changes(args: &[String]) -> Result<Vec<ModeChange>, ModeError> {
    let mut changes = Vec::new();
    let mut params = args.iter().skip(1);
    let Some(letters) = args.first() else { return Ok(changes) };
    let mut set = true;
    for letter in letters.chars() {
        // A parameter is one word: with spaces it could not be announced on one IRC line, and
        // control characters (ESC, BEL, ...) would reach every member's terminal in the announcement.
        let mut param = || -> Result<Option<String>, ModeError> {
            match params.next().filter(|p| !p.is_empty()) {
                Some(p) if p.contains(|c: char| c.is_whitespace() || c.is_control()) => {
                    Err(ModeError::NeedsParameter(letter))
                }
                other => Ok(other.cloned()),
            }
        };
        let change = match letter {
            '+' => {
                set = true;
                continue;
            }
            '-' => {
                set = false;
                continue;
            }
            'n' | 't' | 'i' | 'm' => ModeChange::Flag { set, mode: letter },
            'k' if set => ModeChange::Key { set, key: param()?.ok_or(ModeError::NeedsParameter('k'))? },
            // `-k` may or may not name the key; either way it removes it.
            'k' => ModeChange::Key { set, key: param()?.unwrap_or_default() },
            'l' if set => match param()?.and_then(|p| p.parse::<usize>().ok()).filter(|&l| l > 0) {
                Some(limit) => ModeChange::Limit(Some(limit)),
                None => return Err(ModeError::NeedsParameter('l')),
            },
            'l' => ModeChange::Limit(None),
            'o' => ModeChange::Op { set, nick: param()?.ok_or(ModeError::NeedsParameter('o'))? },
            'v' => ModeChange::Voice { set, nick: param()?.ok_or(ModeError::NeedsParameter('v'))? },
            'b' => match param()?.map(|mask| normalize_mask(&mask)) {
                Some(mask) if mask.len() > MAX_MASK_BYTES => return Err(ModeError::NeedsParameter('b')),
                Some(mask) => ModeChange::Ban { set, mask },
                None => ModeChange::BanList,
            },
            other => return Err(ModeError::Unknown(other)),
        };
        let with_parameter = !matches!(change, ModeChange::Flag { .. } | ModeChange::BanList | ModeChange::Limit(None));
        if with_parameter && changes.iter().filter(|c| has_parameter(c)).count() >= MAX_PARAM_CHANGES {
            continue;
        }
        if change == ModeChange::BanList && changes.contains(&ModeChange::BanList) {
            continue;
        }
        changes.push(change);
    }
    Ok(changes)
}

fn has_parameter(change: &ModeChange) -> bool {
    !matches!(change, ModeChange::Flag { .. } | ModeChange::BanList | ModeChange::Limit(None))
}

/// Completes a ban mask: `bob` is `bob!*@*`, `*@host` is `*!*@host`.
pub fn normalize_mask(mask: &str) -> String {
    match (mask.contains('!'), mask.contains('@')) {
        (true, true) => mask.to_string(),
        (true, false) => format!("{mask}@*"),
        (false, true) => format!("*!{mask}"),
        (false, false) => format!("{mask}!*@*"),
    }
}

/// Case-insensitive (ASCII) glob match with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

/// A room: members in join order, their status, and the room's settings and memory.
#[derive(Debug)]
pub struct Room {
    pub name: RoomName,
    /// In join order; also the delivery order.
    pub members: Vec<ClientId>,
    pub ops: IdSet,
    pub voiced: IdSet,
    pub topic: Option<Topic>,
    pub history: VecDeque<HistoryEntry>,
    pub created: Millis,
    pub modes: Modes,
    /// Normalized `nick!user@host` masks.
    pub bans: Vec<String>,
    /// Invited and not yet joined; an invitation passes `+i`, bans, the key and the limit.
    pub invited: IdSet,
}

impl Room {
    pub fn new(name: RoomName, created: Millis, modes: Modes) -> Room {
        Room {
            name,
            members: Vec::new(),
            ops: IdSet::default(),
            voiced: IdSet::default(),
            topic: None,
            history: VecDeque::new(),
            created,
            modes,
            bans: Vec::new(),
            invited: IdSet::default(),
        }
    }

    pub fn others(&self, id: ClientId) -> Vec<ClientId> {
        // Sized up front: a filtered collect grows step by step, which cost more per message
        // than delivering it to a hundred members (callgrind).
        let mut others = Vec::with_capacity(self.members.len());
        others.extend(self.members.iter().copied().filter(|&m| m != id));
        others
    }

    pub fn is_op(&self, id: ClientId) -> bool {
        self.ops.contains(&id)
    }

    /// May `id` speak here? Outsiders not under `+n`; under `+m` only operators and voiced members.
    pub fn may_speak(&self, id: ClientId) -> Result<(), crate::protocol::ChatError> {
        use crate::protocol::ChatError;
        let member = self.members.contains(&id);
        if !member && self.modes.no_external {
            return Err(ChatError::CannotSendToRoom(self.name.clone()));
        }
        if self.modes.moderated && !self.ops.contains(&id) && !self.voiced.contains(&id) {
            return Err(ChatError::Moderated(self.name.clone()));
        }
        Ok(())
    }

    pub fn is_banned(&self, prefix: &str) -> bool {
        self.bans.iter().any(|mask| glob_match(mask, prefix))
    }

    /// Drops every trace of `id` (membership, status, invitation).
    pub fn forget(&mut self, id: ClientId) {
        self.members.retain(|&m| m != id);
        self.ops.remove(&id);
        self.voiced.remove(&id);
        self.invited.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn mode_strings_take_parameters_in_order() {
        assert_eq!(
            parse_changes(&args("+ov-k alice bob secret")),
            Ok(vec![
                ModeChange::Op { set: true, nick: "alice".into() },
                ModeChange::Voice { set: true, nick: "bob".into() },
                ModeChange::Key { set: false, key: "secret".into() },
            ])
        );
        assert_eq!(
            parse_changes(&args("+tl 10")),
            Ok(vec![ModeChange::Flag { set: true, mode: 't' }, ModeChange::Limit(Some(10))])
        );
        assert_eq!(parse_changes(&args("-l")), Ok(vec![ModeChange::Limit(None)]));
        assert_eq!(parse_changes(&args("b")), Ok(vec![ModeChange::BanList]));
        assert_eq!(parse_changes(&args("+b bob")), Ok(vec![ModeChange::Ban { set: true, mask: "bob!*@*".into() }]));
    }

    #[test]
    fn at_most_six_parameters_and_one_ban_listing() {
        let changes = parse_changes(&args("+oooooooo a b c d e f g h")).unwrap();
        assert_eq!(changes.len(), MAX_PARAM_CHANGES);
        assert_eq!(parse_changes(&args("bbb")), Ok(vec![ModeChange::BanList]));
        assert_eq!(parse_changes(&args(&format!("+b *!*@{}", "x".repeat(77)))), Err(ModeError::NeedsParameter('b')));
        assert!(parse_changes(&args(&format!("+b *!*@{}", "x".repeat(76)))).is_ok());
        let spaced = vec!["+b".to_string(), "two words".to_string()];
        assert_eq!(parse_changes(&spaced), Err(ModeError::NeedsParameter('b')));
        let escape = vec!["+bk".to_string(), "\x1b[2J".to_string(), "key".to_string()];
        assert_eq!(parse_changes(&escape), Err(ModeError::NeedsParameter('b')));
        let bell = vec!["+k".to_string(), "k\x07".to_string()];
        assert_eq!(parse_changes(&bell), Err(ModeError::NeedsParameter('k')));
    }

    #[test]
    fn bad_mode_strings() {
        assert_eq!(parse_changes(&args("+x")), Err(ModeError::Unknown('x')));
        assert_eq!(parse_changes(&args("+k")), Err(ModeError::NeedsParameter('k')));
        assert_eq!(parse_changes(&args("+l zero")), Err(ModeError::NeedsParameter('l')));
        assert_eq!(parse_changes(&args("+o")), Err(ModeError::NeedsParameter('o')));
    }

    #[test]
    fn masks_are_completed_and_matched_without_case() {
        assert_eq!(normalize_mask("*@10.0.0.1"), "*!*@10.0.0.1");
        assert_eq!(normalize_mask("bob!~b"), "bob!~b@*");
        assert!(glob_match("bob!*@*", "Bob!~bob@127.0.0.1"));
        assert!(glob_match("*!*@127.0.0.?", "x!~y@127.0.0.1"));
        assert!(!glob_match("*!*@127.0.0.?", "x!~y@127.0.0.10"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn describe_hides_the_key_from_outsiders() {
        let modes = Modes { key: Some("s3".into()), limit: Some(5), ..Modes::new_room() };
        assert_eq!(modes.describe(true), ("+ntkl".to_string(), vec!["s3".to_string(), "5".to_string()]));
        assert_eq!(modes.describe(false).1[0], "*");
    }
}

//! Parsing a `MODE` request's letters and parameters into changes (RFC 2811 4, with the
//! validation of current servers: a parameter of the wrong form is refused with what was wrong,
//! IRC's `ERR_INVALIDMODEPARAM`; a missing one is a missing parameter, IRC's 461).
//!
//! Pure: the changes are applied by `chat::modes`.

use super::{MAX_KEY_BYTES, MAX_MASK_BYTES, MAX_PARAM_CHANGES};

/// The mask lists of a room: bans (`b`), ban exceptions (`e`) and invite exceptions (`I`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskList {
    Bans,
    Exceptions,
    InviteExceptions,
}

impl MaskList {
    /// Every list, in the order `CHANMODES` names them.
    pub const ALL: [MaskList; 3] = [MaskList::Bans, MaskList::Exceptions, MaskList::InviteExceptions];

    pub fn letter(self) -> char {
        match self {
            MaskList::Bans => 'b',
            MaskList::Exceptions => 'e',
            MaskList::InviteExceptions => 'I',
        }
    }

    fn of(letter: char) -> Option<MaskList> {
        MaskList::ALL.into_iter().find(|list| list.letter() == letter)
    }
}

/// One requested change, parsed from `MODE #room +o-v alice bob`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeChange {
    /// A flag without parameter: `i m n p s t`.
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
    /// Adds a mask to, or removes one from, a mask list.
    Mask {
        list: MaskList,
        set: bool,
        mask: String,
    },
    /// A mask list's letter without a mask: show the list.
    ShowList(MaskList),
}

/// Why a mode request could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeError {
    Unknown(char),
    /// A mode that needs a parameter got none.
    NeedsParameter(char),
    /// A parameter of the wrong form: the mode letter, the parameter as given and what is wrong.
    Invalid {
        mode: char,
        param: String,
        why: String,
    },
}

/// The flags a room may have, none with a parameter.
pub const FLAG_MODES: &str = "imnpst";

/// Parses mode letters and their parameters (RFC 2811 4; parameters are taken in order). At
/// most `MAX_PARAM_CHANGES` changes with a parameter are kept (the rest are dropped, as
/// `MODES` in ISUPPORT says), and each list is shown once.
pub fn parse_changes(args: &[String]) -> Result<Vec<ModeChange>, ModeError> {
    let mut changes = Vec::new();
    let mut params = args.iter().skip(1);
    let Some(letters) = args.first() else { return Ok(changes) };
    let mut set = true;
    for letter in letters.chars() {
        let mut next = || params.next().cloned();
        let change = match letter {
            '+' => {
                set = true;
                continue;
            }
            '-' => {
                set = false;
                continue;
            }
            _ if FLAG_MODES.contains(letter) => ModeChange::Flag { set, mode: letter },
            'k' if set => match next() {
                Some(key) => ModeChange::Key { set, key: checked_key(key)? },
                None => return Err(ModeError::NeedsParameter('k')),
            },
            // `-k` may or may not name the key; either way it removes it, and what was named is
            // never shown.
            'k' => ModeChange::Key { set, key: next().unwrap_or_default() },
            'l' if set => match next() {
                Some(limit) => ModeChange::Limit(Some(checked_limit(limit)?)),
                None => return Err(ModeError::NeedsParameter('l')),
            },
            'l' => ModeChange::Limit(None),
            'o' | 'v' => {
                let Some(nick) = next().filter(|p| !p.is_empty()) else {
                    return Err(ModeError::NeedsParameter(letter));
                };
                let nick = one_word(letter, nick)?;
                if letter == 'o' { ModeChange::Op { set, nick } } else { ModeChange::Voice { set, nick } }
            }
            _ => match MaskList::of(letter) {
                Some(list) => match next().filter(|p| !p.is_empty()) {
                    Some(mask) => ModeChange::Mask { list, set, mask: checked_mask(letter, mask)? },
                    None => ModeChange::ShowList(list),
                },
                None => return Err(ModeError::Unknown(letter)),
            },
        };
        if has_parameter(&change) && changes.iter().filter(|c| has_parameter(c)).count() >= MAX_PARAM_CHANGES {
            continue;
        }
        if matches!(change, ModeChange::ShowList(_)) && changes.contains(&change) {
            continue;
        }
        changes.push(change);
    }
    Ok(changes)
}

fn has_parameter(change: &ModeChange) -> bool {
    !matches!(change, ModeChange::Flag { .. } | ModeChange::ShowList(_) | ModeChange::Limit(None))
}

fn invalid(mode: char, param: String, why: impl Into<String>) -> ModeError {
    ModeError::Invalid { mode, param, why: why.into() }
}

/// A parameter is one word: with spaces it could not be announced on one IRC line, and control
/// characters (ESC, BEL, ...) would reach every member's terminal in the announcement.
fn one_word(mode: char, param: String) -> Result<String, ModeError> {
    if param.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(invalid(mode, param, "must be one word without control characters"));
    }
    Ok(param)
}

/// A key is one word, not empty, without commas (`JOIN` separates keys with them), of at most
/// `MAX_KEY_BYTES` bytes (modern IRC: refuse it with `ERR_INVALIDMODEPARAM` rather than change it).
/// A refused key is not repeated back (`*` stands for it, as Ergo and irctest have it): a key is
/// a secret, and a long one is as likely a password typed in the wrong window.
fn checked_key(key: String) -> Result<String, ModeError> {
    let refused = |why: String| Err(invalid('k', "*".to_string(), why));
    if key.is_empty() {
        return refused("a key cannot be empty".into());
    }
    if key.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return refused("must be one word without control characters".into());
    }
    if key.contains(',') {
        return refused("a key cannot contain a comma".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return refused(format!("a key has at most {MAX_KEY_BYTES} bytes"));
    }
    Ok(key)
}

/// A limit is a whole number of members, at least 1.
fn checked_limit(limit: String) -> Result<usize, ModeError> {
    match limit.parse::<usize>() {
        Ok(n) if n > 0 && !limit.starts_with('+') => Ok(n),
        _ => Err(invalid('l', limit, "the limit must be a positive whole number")),
    }
}

/// A mask is one word, completed (`normalize_mask`) to at most `MAX_MASK_BYTES` bytes.
fn checked_mask(mode: char, mask: String) -> Result<String, ModeError> {
    let mask = one_word(mode, mask)?;
    let completed = normalize_mask(&mask);
    if completed.len() > MAX_MASK_BYTES {
        return Err(invalid(mode, mask, format!("a mask has at most {MAX_MASK_BYTES} bytes")));
    }
    Ok(completed)
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

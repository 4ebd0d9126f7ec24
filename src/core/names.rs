//! Nicknames and room names: validation and case folding in one place.
//!
//! Pure: no state, no I/O. Both dialects and the chat state use these rules, so a name that is
//! valid for a netcat user is valid for everyone else too. A name shows who or where someone is,
//! so it may hold nothing invisible or direction-changing (`core::chars::is_invisible`): text
//! may need joiners and the like, names never do.
//!
//! Case folding is ASCII-only (`CASEMAPPING=ascii` in IRC terms): `Alice`, `ALICE` and `alice`
//! are the same person, `#Rust` and `#rust` the same room.

use super::chars::is_invisible;
use std::fmt;

pub use super::limits::{NICK_MAX_CHARS, ROOM_MAX_BYTES};

/// A validated nickname, spelled as its owner chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nick(String);

/// A validated room name (always starts with `#`), spelled as it was first created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomName(String);

/// The case-folded form of a nickname or room name: the key for lookups and uniqueness.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Folded(String);

/// Why a nickname was refused. Each variant is one sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong,
    BadFirst(char),
    BadChar(char),
}

/// Why a room name was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomError {
    Empty,
    TooLong,
    BadChar(char),
    /// An invisible, formatting or direction-changing character (zero-width, bidi, BOM, ...).
    Invisible(char),
}

fn is_nick_special(c: char) -> bool {
    matches!(c, '_' | '[' | ']' | '{' | '}' | '\\' | '|' | '^' | '`')
}

impl Nick {
    /// Nickname rules: 1 to 20 characters; letters A-Z/a-z, digits and `- _ [ ] { } \ | ^ \``;
    /// the first character is not a digit or `-` (RFC 2812 2.3.1, with a longer limit).
    pub fn parse(s: &str) -> Result<Nick, NickError> {
        let mut chars = s.chars();
        let first = chars.next().ok_or(NickError::Empty)?;
        if !(first.is_ascii_alphabetic() || is_nick_special(first)) {
            return Err(NickError::BadFirst(first));
        }
        if let Some(bad) = chars.find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || is_nick_special(c))) {
            return Err(NickError::BadChar(bad));
        }
        if s.len() > NICK_MAX_CHARS {
            return Err(NickError::TooLong);
        }
        Ok(Nick(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn folded(&self) -> Folded {
        Folded(self.0.to_ascii_lowercase())
    }
}

impl RoomName {
    /// Room rules: `#` and then 1 or more characters, at most 50 bytes in all; no spaces, commas,
    /// colons or control characters, and nothing invisible or direction-changing (`#\u{202e}gnp.exe`
    /// would display as `#exe.png`). A name given without the `#` gets one.
    pub fn parse(s: &str) -> Result<RoomName, RoomError> {
        let body = s.strip_prefix('#').unwrap_or(s);
        if body.is_empty() {
            return Err(RoomError::Empty);
        }
        // The first refused character is named; controls are "bad characters" as they always were,
        // the line and paragraph separators (blanks, but invisible ones) are invisible.
        let refusal = |c: char| {
            if c.is_control() || matches!(c, ',' | ':' | '#') {
                Some(RoomError::BadChar(c))
            } else if is_invisible(c) {
                Some(RoomError::Invisible(c))
            } else if c.is_whitespace() {
                Some(RoomError::BadChar(c))
            } else {
                None
            }
        };
        if let Some(error) = body.chars().find_map(refusal) {
            return Err(error);
        }
        if body.len() + 1 > ROOM_MAX_BYTES {
            return Err(RoomError::TooLong);
        }
        Ok(RoomName(format!("#{body}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn folded(&self) -> Folded {
        Folded(self.0.to_ascii_lowercase())
    }
}

impl Folded {
    /// Folds any string the way names are folded, for looking up a name that was not validated.
    pub fn of(s: &str) -> Folded {
        Folded(s.to_ascii_lowercase())
    }

    /// The folded text: the key the account database stores beside each account's name, so
    /// that it and chat state fold alike.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for NickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NickError::Empty => f.write_str("a nickname cannot be empty"),
            NickError::TooLong => write!(f, "a nickname has at most {NICK_MAX_CHARS} characters"),
            NickError::BadFirst(c) => {
                write!(f, "a nickname must start with a letter or one of _[]{{}}\\|^` (not {c:?})")
            }
            NickError::BadChar(c) => {
                write!(f, "a nickname may only contain letters, digits and -_[]{{}}\\|^` (not {c:?})")
            }
        }
    }
}

impl fmt::Display for RoomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomError::Empty => f.write_str("a room name needs at least one character after #"),
            RoomError::TooLong => write!(f, "a room name has at most {ROOM_MAX_BYTES} bytes"),
            RoomError::BadChar(c) => {
                write!(f, "a room name cannot contain spaces, commas, colons or control characters (not {c:?})")
            }
            RoomError::Invisible(c) => {
                write!(f, "a room name cannot contain invisible or direction-changing characters (not {c:?})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nick_accepts_letters_digits_and_specials() {
        for ok in ["alice", "Bob42", "_x", "[a]", "a-b", "x{}|^`\\", "a2345678901234567890"] {
            assert!(Nick::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn nick_refusals_say_why() {
        assert_eq!(Nick::parse(""), Err(NickError::Empty));
        assert_eq!(Nick::parse("1abc"), Err(NickError::BadFirst('1')));
        assert_eq!(Nick::parse("-abc"), Err(NickError::BadFirst('-')));
        assert_eq!(Nick::parse("a b"), Err(NickError::BadChar(' ')));
        assert_eq!(Nick::parse("al\u{e9}"), Err(NickError::BadChar('\u{e9}')));
        assert_eq!(Nick::parse("a23456789012345678901"), Err(NickError::TooLong));
        assert!(NickError::BadChar(' ').to_string().contains("' '"));
    }

    #[test]
    fn nick_refuses_every_invisible_character() {
        // Nicknames are ASCII, so nothing invisible or direction-changing gets in.
        for c in ['\u{200b}', '\u{200c}', '\u{200d}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{ad}', '\u{1b}'] {
            assert_eq!(Nick::parse(&format!("al{c}ice")), Err(NickError::BadChar(c)), "{c:?}");
        }
    }

    #[test]
    fn nick_folding_is_ascii_case_insensitive() {
        assert_eq!(Nick::parse("Alice").unwrap().folded(), Nick::parse("aLICE").unwrap().folded());
        assert_eq!(Nick::parse("Alice").unwrap().as_str(), "Alice");
    }

    #[test]
    fn room_gets_hash_and_folds() {
        assert_eq!(RoomName::parse("rust").unwrap().as_str(), "#rust");
        assert_eq!(RoomName::parse("#Rust").unwrap().folded(), Folded::of("#rust"));
        assert!(RoomName::parse("#caf\u{e9}").is_ok());
    }

    #[test]
    fn room_refusals() {
        assert_eq!(RoomName::parse("#"), Err(RoomError::Empty));
        assert_eq!(RoomName::parse(""), Err(RoomError::Empty));
        assert_eq!(RoomName::parse("#a b"), Err(RoomError::BadChar(' ')));
        assert_eq!(RoomName::parse("#a,b"), Err(RoomError::BadChar(',')));
        assert_eq!(RoomName::parse("##a"), Err(RoomError::BadChar('#')));
        assert_eq!(RoomName::parse("#a\u{7}"), Err(RoomError::BadChar('\u{7}')));
        assert_eq!(RoomName::parse(&format!("#{}", "a".repeat(50))), Err(RoomError::TooLong));
        assert!(RoomName::parse(&format!("#{}", "a".repeat(49))).is_ok());
    }

    #[test]
    fn room_refuses_invisible_and_direction_changing_characters() {
        let invisible = [
            '\u{202e}',
            '\u{202a}',
            '\u{200e}',
            '\u{200f}',
            '\u{61c}',
            '\u{2066}',
            '\u{2069}', // bidi
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{2063}',
            '\u{feff}',
            '\u{ad}', // zero-width
            '\u{fff9}',
            '\u{fffb}',
            '\u{e0001}',
            '\u{3164}',
            '\u{115f}',
            '\u{34f}',
            '\u{fffe}',
        ];
        for c in invisible {
            assert_eq!(RoomName::parse(&format!("#gnp{c}.exe")), Err(RoomError::Invisible(c)), "{c:?}");
        }
        // Controls and visible blanks were refused before; they still are, as bad characters.
        for c in ['\u{1b}', '\u{85}', '\u{9b}', '\u{7f}', '\u{a0}', ' '] {
            assert_eq!(RoomName::parse(&format!("#a{c}")), Err(RoomError::BadChar(c)), "{c:?}");
        }
        // The line and paragraph separators break a line without showing anything.
        for c in ['\u{2028}', '\u{2029}'] {
            assert_eq!(RoomName::parse(&format!("#a{c}b")), Err(RoomError::Invisible(c)), "{c:?}");
        }
        // The first refused character is the one named.
        assert_eq!(RoomName::parse("#\u{202e}a b"), Err(RoomError::Invisible('\u{202e}')));
        assert_eq!(RoomName::parse("#a b\u{202e}"), Err(RoomError::BadChar(' ')));
        let why = RoomError::Invisible('\u{202e}').to_string();
        assert!(why.contains("invisible or direction-changing") && why.contains("'\\u{202e}'"), "{why}");
    }

    #[test]
    fn room_keeps_visible_unicode() {
        for ok in
            ["#caf\u{e9}", "#\u{4e16}\u{754c}", "#\u{5e9}\u{5dc}\u{5d5}\u{5dd}", "#\u{2615}\u{fe0f}", "#\u{1f600}"]
        {
            assert!(RoomName::parse(ok).is_ok(), "{ok:?}");
        }
    }
}

//! Text hygiene: which characters of user-supplied text each kind of recipient gets.
//!
//! Pure: no state, no I/O. This file is the one place that decides it; the renderers call
//! `for_irc` or `for_netcat` on every piece of text another person supplied (messages, notices,
//! actions, topics, reasons, away texts, real names, ...), and the parsers call the same
//! functions on what comes in, so history never holds what no recipient would get.
//!
//! - Removed for every recipient: what can move a cursor, ring a bell or reorder text. ESC and
//!   the other C0 controls, DEL, C1 controls; the bidirectional marks, embeddings, overrides and
//!   isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, and the deprecated format
//!   controls U+206A–U+206F next to them); the line and paragraph separators U+2028/U+2029; the
//!   byte order mark U+FEFF; the interlinear annotation controls U+FFF9–U+FFFB. A tab becomes a
//!   space.
//! - Between IRC users, CTCP's `\x01` and the formatting codes (`\x02` bold, `\x03` colour,
//!   `\x04` hex colour, `\x0f` reset, `\x11` monospace, `\x16` reverse, `\x1d` italics, `\x1e`
//!   strikethrough, `\x1f` underline) pass: IRC clients display them.
//! - Netcat users get those stripped, a colour code with its parameters (`\x034red` shows `red`).
//! - Joiners (ZWJ, ZWNJ) and the other invisible characters stay in text: emoji and several
//!   scripts need them. Names refuse them (`core::chars::is_invisible`).
//!
//! Both functions borrow the text when nothing needs removing, which is nearly always: the
//! broker renders a shared reply once per kind of recipient, and that must not cost an
//! allocation.

use std::borrow::Cow;

/// What happens to one character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Passes to everyone.
    Keep,
    /// A tab: a space for everyone.
    Tab,
    /// CTCP's delimiter or an IRC formatting code: passes to IRC users, stripped for netcat.
    Formatting,
    /// Removed for every recipient.
    Remove,
}

fn class(c: char) -> Class {
    match c {
        ' '..='~' => Class::Keep,
        '\t' => Class::Tab,
        '\x01' | '\x02' | '\x03' | '\x04' | '\x0f' | '\x11' | '\x16' | '\x1d' | '\x1e' | '\x1f' => Class::Formatting,
        // C0, DEL and C1: ESC, BEL, CR, LF, NUL, U+0085 (NEL), U+009B (CSI), ...
        c if c.is_control() => Class::Remove,
        c if is_bidi_control(c) => Class::Remove,
        '\u{206a}'..='\u{206f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}' => Class::Remove,
        _ => Class::Keep,
    }
}

/// The characters that change the direction of the text around them (Unicode's bidi marks,
/// embeddings, overrides and isolates): `#\u{202e}gnp.exe` displays as `#exe.png`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text as IRC users get it: formatting codes and CTCP pass, everything in the "removed for
/// every recipient" list goes. Also what the IRC parser keeps of incoming text.
pub fn for_irc(text: &str) -> Cow<'_, str> {
    let Some(at) = text.find(|c| !matches!(class(c), Class::Keep | Class::Formatting)) else {
        return Cow::Borrowed(text);
    };
    let (clean, rest) = text.split_at(at);
    let mut out = String::with_capacity(text.len());
    out.push_str(clean);
    for c in rest.chars() {
        match class(c) {
            Class::Keep | Class::Formatting => out.push(c),
            Class::Tab => out.push(' '),
            Class::Remove => {}
        }
    }
    Cow::Owned(out)
}

/// Text as netcat users get it: as for IRC users, and the formatting codes stripped too, each
/// colour code with its colours (`\x03` with `N[N][,N[N]]`, `\x04` with `RRGGBB[,RRGGBB]`).
pub fn for_netcat(text: &str) -> Cow<'_, str> {
    let Some(at) = text.find(|c| class(c) != Class::Keep) else {
        return Cow::Borrowed(text);
    };
    let (clean, rest) = text.split_at(at);
    let mut out = String::with_capacity(text.len());
    out.push_str(clean);
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match class(c) {
            Class::Keep => out.push(c),
            Class::Tab => out.push(' '),
            Class::Remove => {}
            Class::Formatting => match c {
                '\x03' => skip_colours(&mut chars, 1, 2, |c| c.is_ascii_digit()),
                '\x04' => skip_colours(&mut chars, 6, 6, |c| c.is_ascii_hexdigit()),
                _ => {}
            },
        }
    }
    Cow::Owned(out)
}

/// Skips the parameters of a colour code: a foreground of `min..=max` characters that pass
/// `digit`, then, only if there was one, `,` and a background of the same form. A comma not
/// followed by a background is text and stays, as IRC clients show it.
fn skip_colours(chars: &mut std::str::Chars<'_>, min: usize, max: usize, digit: impl Fn(char) -> bool) {
    if !skip_colour(chars, min, max, &digit) {
        return;
    }
    let mut after_comma = chars.clone();
    if after_comma.next() == Some(',') && skip_colour(&mut after_comma, min, max, &digit) {
        *chars = after_comma;
    }
}

/// Skips one colour of `min..=max` digits; false (and nothing skipped) when there is none.
fn skip_colour(chars: &mut std::str::Chars<'_>, min: usize, max: usize, digit: &impl Fn(char) -> bool) -> bool {
    let mut ahead = chars.clone();
    let mut taken = 0;
    while taken < max {
        let mut next = ahead.clone();
        match next.next() {
            Some(c) if digit(c) => {
                ahead = next;
                taken += 1;
            }
            _ => break,
        }
    }
    if taken < min {
        return false;
    }
    *chars = ahead;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One example of every character that is removed for every recipient.
    const REMOVED: &[char] = &[
        '\0', '\x05', '\x06', '\x07', '\x08', '\n', '\x0b', '\x0c', '\r', '\x0e', '\x10', '\x12', '\x13', '\x14',
        '\x15', '\x17', '\x18', '\x19', '\x1a', '\x1b', '\x1c', '\x7f', '\u{80}', '\u{85}', '\u{9b}', '\u{9f}',
        '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}',
        '\u{2067}', '\u{2068}', '\u{2069}', '\u{206a}', '\u{206f}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{fff9}',
        '\u{fffa}', '\u{fffb}',
    ];

    /// Every CTCP and formatting code: kept for IRC users, stripped for netcat users.
    const FORMATTING: &[char] = &['\x01', '\x02', '\x03', '\x04', '\x0f', '\x11', '\x16', '\x1d', '\x1e', '\x1f'];

    /// Characters that look like nothing but belong in text: joiners, emoji, other scripts.
    const KEPT: &[&str] = &[
        "\u{1f469}\u{200d}\u{1f4bb}",                         // woman technologist: ZWJ sequence
        "\u{646}\u{627}\u{645}\u{647}\u{200c}\u{627}\u{6cc}", // Persian with ZWNJ
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}", // England flag: tags
        "\u{2615}\u{fe0f}",                                   // hot beverage, emoji presentation
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd}",                       // Hebrew: right to left by itself, no override needed
        "soft\u{ad}hyphen zero\u{200b}width",                 // invisible, but moves and reorders nothing
        "caf\u{e9} \u{4e16}\u{754c} \u{fffd}",
    ];

    #[test]
    fn plain_text_is_borrowed_for_both() {
        for text in ["", "hello, world: <tags> & {braces} ~", "caf\u{e9} \u{1f600}"] {
            assert!(matches!(for_irc(text), Cow::Borrowed(_)), "{text:?}");
            assert!(matches!(for_netcat(text), Cow::Borrowed(_)), "{text:?}");
        }
        for text in KEPT {
            assert!(matches!(for_irc(text), Cow::Borrowed(t) if t == *text), "{text:?}");
            assert!(matches!(for_netcat(text), Cow::Borrowed(t) if t == *text), "{text:?}");
        }
    }

    #[test]
    fn formatted_text_is_borrowed_for_irc() {
        let text = "\x01ACTION \x02bold\x02 \x034red\x03 \x1ditalic\x0f\x01";
        assert!(matches!(for_irc(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn removed_characters_go_for_every_recipient() {
        for &c in REMOVED {
            let text = format!("a{c}b{c}");
            assert_eq!(for_irc(&text), "ab", "{c:?} for IRC");
            assert_eq!(for_netcat(&text), "ab", "{c:?} for netcat");
            assert_eq!(class(c), Class::Remove, "{c:?}");
        }
    }

    #[test]
    fn every_control_character_is_decided() {
        // Nothing that is a control character, a bidi control or a separator passes to netcat
        // users; to IRC users only the formatting codes do.
        for c in (0..0x2_0000).filter_map(char::from_u32) {
            let dangerous = c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}');
            if !dangerous {
                continue;
            }
            let text = c.to_string();
            assert!(!for_netcat(&text).contains(c), "{c:?} reaches netcat users");
            if !FORMATTING.contains(&c) {
                assert!(!for_irc(&text).contains(c), "{c:?} reaches IRC users");
            }
        }
    }

    #[test]
    fn tabs_become_spaces() {
        assert_eq!(for_irc("a\tb"), "a b");
        assert_eq!(for_netcat("a\tb"), "a b");
    }

    #[test]
    fn ctcp_and_formatting_pass_between_irc_users() {
        for &c in FORMATTING {
            let text = format!("a{c}b");
            assert_eq!(for_irc(&text), text, "{c:?}");
        }
        assert_eq!(for_irc("\x02bold\x02 \x1b[2J\x034red"), "\x02bold\x02 [2J\x034red");
    }

    #[test]
    fn netcat_users_get_formatting_stripped() {
        for &c in FORMATTING {
            assert_eq!(for_netcat(&format!("a{c}b")), "ab", "{c:?}");
        }
        assert_eq!(for_netcat("\x01ACTION waves\x01"), "ACTION waves");
        assert_eq!(for_netcat("\x02bold\x02 \x1funder\x1f \x1ditalic\x0f"), "bold under italic");
    }

    #[test]
    fn netcat_colour_codes_go_with_their_colours() {
        let cases = [
            ("\x034red", "red"),
            ("\x0304red", "red"),
            ("\x03044red", "4red"), // two digits at most: the third is text
            ("\x034,12on blue", "on blue"),
            ("\x0304,1x", "x"),
            ("\x034,", ","),    // no background: the comma is text
            ("\x034,x", ",x"),  // likewise
            ("\x03,5x", ",5x"), // no foreground, so no background either
            ("\x03plain", "plain"),
            ("1\x03 2", "1 2"),
            ("\x03", ""),
            ("\x0399,99\u{e9}", "\u{e9}"),
            ("\x04ff0000red", "red"),
            ("\x04FF0000,00ff00x", "x"),
            ("\x04ff00red", "ff00red"), // not six hex digits: only the code goes
            ("\x04ff0000,12x", ",12x"),
            ("\x04", ""),
        ];
        for (text, want) in cases {
            assert_eq!(for_netcat(text), want, "{text:?}");
        }
    }

    #[test]
    fn mixed_attack_text() {
        let text = "\x02hi\x02 \x1b]0;owned\x07\u{202e}txt.exe\u{2066} \u{2028}\u{feff}\u{fff9}x\u{fffb} \u{1f469}\u{200d}\u{1f4bb}";
        assert_eq!(for_irc(text), "\x02hi\x02 ]0;ownedtxt.exe x \u{1f469}\u{200d}\u{1f4bb}");
        assert_eq!(for_netcat(text), "hi ]0;ownedtxt.exe x \u{1f469}\u{200d}\u{1f4bb}");
    }

    #[test]
    fn cleaning_is_idempotent_and_netcat_is_a_subset_of_irc() {
        let text = "\x034,5a\x02\x1b\u{9b}b\u{202e}\t\u{1f600}\x04abcdef";
        let irc = for_irc(text);
        assert_eq!(for_irc(&irc), irc);
        let netcat = for_netcat(text);
        assert_eq!(for_netcat(&netcat), netcat);
        assert_eq!(for_netcat(&irc), netcat);
    }
}

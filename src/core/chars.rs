//! Which characters cannot be seen or change the direction of the text around them.
//!
//! Pure: imports nothing of chatd's. Shared by `names` (which refuses them in names) and
//! `protocol::text` (which decides what of them each recipient gets): one definition, so that
//! what a name may hold and what text keeps cannot drift apart.

/// Unicode's format characters (general category Cf, as of Unicode 15): soft hyphen, zero-width
/// space and joiners, word joiner, bidi controls, BOM, interlinear annotations, tags, ...
pub fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061c}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// True for characters a name may not hold because they cannot be seen or change how the text
/// around them is shown: controls, format characters (`is_format`), the line and paragraph
/// separators (U+2028, U+2029: a line break without a glyph), the other characters that Unicode
/// says to display as nothing (Hangul fillers, the combining grapheme joiner, Khmer inherent
/// vowels, Mongolian variation selectors), and noncharacters. Emoji variation selectors
/// (U+FE00–U+FE0F, U+E0100–U+E01EF) are allowed: emoji need them and they change no direction.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || is_format(c)
        || matches!(
            c,
            '\u{034f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{3164}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{fdd0}'..='\u{fdef}'
                | '\u{e0000}'..='\u{e00ff}'
                | '\u{e01f0}'..='\u{e0fff}'
        )
        || (c as u32) & 0xfffe == 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_characters_match_unicode() {
        for c in ['\u{ad}', '\u{600}', '\u{61c}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{2064}'] {
            assert!(is_format(c), "{c:?}");
        }
        for c in ['\u{feff}', '\u{fffb}', '\u{1343f}', '\u{e0001}', '\u{e007f}', '\u{110bd}', '\u{1d17a}'] {
            assert!(is_format(c), "{c:?}");
        }
        for c in ['a', ' ', '\u{e9}', '\u{2065}', '\u{fe0f}', '\u{1f600}', '\u{e0080}', '\u{7}'] {
            assert!(!is_format(c), "{c:?}");
        }
    }

    #[test]
    fn invisible_characters_for_names() {
        for c in ['\0', '\x1b', '\u{85}', '\u{ad}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{202e}', '\u{2066}'] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['\u{2060}', '\u{feff}', '\u{fff9}', '\u{3164}', '\u{115f}', '\u{34f}', '\u{fffe}', '\u{1ffff}'] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', '-', '\u{e9}', '\u{4e16}', '\u{1f600}', '\u{fe0f}', '\u{fffd}', '\u{5d0}'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }
}

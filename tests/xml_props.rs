//! Property tests of the XMLSocket gateway's escaper and decoder, on stable Rust (the `xml` fuzz
//! target checks the same and more with libFuzzer on nightly).
//!
//! - Escaping: any text, escaped as an attribute value and unescaped by an XML reader's rules
//!   (written here, independently), gives the text back less the characters XML 1.0 cannot
//!   carry; the escaped value holds no raw markup character, tab, LF or CR.
//! - Decoding: how reads split the input never changes the commands, their order, or the policy
//!   answer, and nothing is decoded after that answer.

use chatd::framing::Terminator;
use chatd::protocol::dialect::{Decoded, Dialect};
use chatd::protocol::xml::{self, face::XML};
use chatd::protocol::{Command, ParseError};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// `cases` cases from a fixed seed, so `cargo test` is the same every run; `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED` in the environment override both.
fn config(cases: u32) -> ProptestConfig {
    let from_env = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") { from_env.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") { from_env.rng_seed } else { RngSeed::Fixed(0x00c4_a7d0) },
        failure_persistence: None,
        ..from_env
    }
}

/// Whether XML 1.0 (2.2) can carry `c`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// An attribute value unescaped as an XML reader would: the predefined entities and decimal or
/// hexadecimal character references; `None` for a value no reader would accept (a raw `<` or
/// `"`, a stray `&`, a character XML cannot carry) or one a reader would change (raw tab, LF or
/// CR, which attribute value normalization turns into spaces).
fn unescape(value: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if c != '&' {
            if matches!(c, '<' | '"' | '\t' | '\n' | '\r') || !is_xml_char(c) {
                return None;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (reference, after) = rest[1..].split_once(';')?;
        let c = match reference {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let number = reference.strip_prefix('#')?;
                let code = match number.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(code).filter(|&c| is_xml_char(c))?
            }
        };
        out.push(c);
        rest = after;
    }
    Some(out)
}

/// Text rich in what escaping treats specially.
fn hostile_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => prop::sample::select("ab &<>\"'\t\n\r\0\x01\x1b\u{7f}\u{85}\u{fffe}\u{ffff}\u{fffd}\u{e9}\u{1f600}".chars().collect::<Vec<_>>()),
        1 => any::<char>(),
    ];
    prop::collection::vec(c, 0..40).prop_map(|chars| chars.into_iter().collect())
}

/// What the decoder made of the input, comparable.
#[derive(Debug, PartialEq)]
enum Seen {
    Input(Option<Terminator>, Result<Command, ParseError>),
    Answer(Vec<u8>, bool, Option<&'static str>),
}

fn decoded(chunks: &[&[u8]]) -> Vec<Seen> {
    let mut decoder = XML.decoder(48);
    let mut seen = Vec::new();
    for chunk in chunks {
        let mut out = Vec::new();
        decoder.decode(chunk, &mut out);
        for item in out {
            seen.push(match item {
                Decoded::Input { terminator, input } => Seen::Input(terminator, input),
                Decoded::Answer { bytes, close, note } => Seen::Answer(bytes, close, note),
                Decoded::Switch { .. } | Decoded::Request(_) => panic!("the XML decoder never switches or requests"),
            });
        }
    }
    seen
}

/// A client's bytes: commands good and bad, the policy request now and then, stray terminators.
fn client_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(vec![
        &b"IDENTIFY alice secret\0"[..],
        b"REGISTER bob hunter2hunter2\r\n",
        b"MSG bob hi <there> & \"you\"\0",
        b"msg bob \xc3\xa9\xff\n",
        b"LIST\0",
        b"LIST x\0",
        b"QUIT bye\0",
        b"NICK x\n",
        b"MSG bob 0123456789012345678901234567890123456789012345678901234567890123456789\0",
        b"<policy-file-request/>\0",
        b"<policy-file-request />\r\n",
        b"\0",
        b"\r\n",
        b"   \0",
        b"\r",
    ]);
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn escaping_round_trips_what_xml_can_carry(text in hostile_text()) {
        let mut escaped = String::new();
        xml::escape(&text, &mut escaped);
        let carried: String = text.chars().filter(|&c| is_xml_char(c)).collect();
        prop_assert_eq!(unescape(&escaped), Some(carried));
    }

    #[test]
    fn decoding_does_not_depend_on_how_reads_split_the_input(
        input in client_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let whole = decoded(&[&input]);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for point in points {
            chunks.push(&input[start..point]);
            start = point;
        }
        chunks.push(&input[start..]);
        prop_assert_eq!(&decoded(&chunks), &whole);
        if let Some(at) = whole.iter().position(|s| matches!(s, Seen::Answer(..))) {
            prop_assert_eq!(at + 1, whole.len(), "nothing after the policy answer");
        }
    }
}

#[test]
fn the_unescaper_is_a_reader_not_a_mirror_of_the_escaper() {
    assert_eq!(unescape("a&#x26;b&#38;c&#10;"), Some("a&b&c\n".to_string()));
    assert_eq!(unescape("a\nb"), None);
    assert_eq!(unescape("a&b"), None);
    assert_eq!(unescape("&#0;"), None);
}

//! Checks shared by the fuzz targets: what every line chatd sends must look like.
//!
//! Each target includes this file with `mod common;` and uses what it needs.
#![allow(dead_code)]

use chatd::framing::Terminator;
use chatd::protocol::irc::message::{self, MAX_LINE_BYTES, Message};

/// Checks IRC output (any number of lines) and returns the lines parsed back.
///
/// Every line: valid UTF-8, ends with CR LF and has no other CR, LF or NUL, is at most 512
/// bytes with its CR LF once its IRCv3 tag section is set aside, and parses as an IRC message.
pub fn check_irc_output(out: &[u8]) -> Vec<Message> {
    let text = std::str::from_utf8(out).unwrap_or_else(|e| panic!("IRC output is not UTF-8 ({e}): {out:?}"));
    assert!(text.is_empty() || text.ends_with("\r\n"), "IRC output ends mid-line: {text:?}");
    text.split_terminator("\r\n")
        .map(|line| {
            assert!(!line.contains(['\r', '\n', '\0']), "CR, LF or NUL inside an IRC line: {line:?}");
            let body = untagged(line);
            assert!(body.len() + 2 <= MAX_LINE_BYTES, "IRC line of {} bytes: {line:?}", body.len() + 2);
            message::parse(line).unwrap_or_else(|e| panic!("chatd wrote an IRC line it cannot read ({e}): {line:?}"))
        })
        .collect()
}

/// The line without its IRCv3 tag section (which the 512-byte limit does not count).
pub fn untagged(line: &str) -> &str {
    if line.starts_with('@') { line.split_once(' ').map_or("", |(_, rest)| rest) } else { line }
}

/// Checks netcat output: valid UTF-8, every line ended by the recipient's terminator, and no
/// control character (C0, DEL, C1: ESC, BEL, CR, LF, NUL, ...) anywhere inside a line, so
/// nothing one user sends can move another user's cursor or end a line early.
pub fn check_netcat_output(out: &[u8], terminator: Terminator) {
    let text = std::str::from_utf8(out).unwrap_or_else(|e| panic!("netcat output is not UTF-8 ({e}): {out:?}"));
    let end = match terminator {
        Terminator::Newline => "\r\n",
        Terminator::Nul => "\0",
    };
    assert!(text.is_empty() || text.ends_with(end), "netcat output ends mid-line: {text:?}");
    for line in text.split_terminator(end) {
        assert!(!line.chars().any(char::is_control), "control character in a netcat line: {line:?}");
    }
}

/// Asserts that `pieces`, slices of `text`, are consecutive except that one space may be
/// dropped where a piece ends (what `split_text` does at a word break), and lose nothing else.
pub fn assert_pieces_cover(text: &str, pieces: &[&str]) {
    let base = text.as_ptr() as usize;
    let mut end = 0;
    for (i, piece) in pieces.iter().enumerate() {
        assert!(!piece.is_empty(), "piece {i} of {text:?} is empty");
        let start = (piece.as_ptr() as usize).wrapping_sub(base);
        assert!(start <= text.len() && start + piece.len() <= text.len(), "piece {i} is not part of {text:?}");
        if start != end {
            assert_eq!(start, end + 1, "piece {i} skips more than one byte of {text:?}");
            assert_eq!(text.as_bytes()[end], b' ', "piece {i} skips a non-space of {text:?}");
        }
        end = start + piece.len();
    }
    let lost = &text[end..];
    assert!(lost.is_empty() || lost == " ", "pieces {pieces:?} lose {lost:?} of {text:?}");
}

/// One XML element as chatd writes them: a name, its attributes (values unescaped) and, for
/// `<nicklist>`, the elements inside it.
#[derive(Debug)]
pub struct XmlElement {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<XmlElement>,
}

impl XmlElement {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Whether XML 1.0 (2.2) can carry `c` at all.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// Checks XMLSocket output (any number of frames) and returns its elements.
///
/// Every frame: valid UTF-8, ended by NUL with no NUL inside, one element `<name a="v" .../>`
/// (or `<nicklist>` holding only `<nick .../>` elements), attribute values holding only
/// characters XML 1.0 can carry, no raw `<`, `"`, tab, LF or CR, and no `&` but the entity and
/// character references chatd writes.
pub fn check_xml_output(out: &[u8]) -> Vec<XmlElement> {
    let text = std::str::from_utf8(out).unwrap_or_else(|e| panic!("XML output is not UTF-8 ({e}): {out:?}"));
    assert!(text.is_empty() || text.ends_with('\0'), "XML output ends mid-frame: {text:?}");
    text.split_terminator('\0')
        .map(|frame| {
            let (element, rest) = xml_element(frame).unwrap_or_else(|| panic!("not one XML element: {frame:?}"));
            assert!(rest.is_empty(), "bytes after the element in {frame:?}");
            element
        })
        .collect()
}

/// Reads one element at the start of `s`; returns it and what follows.
fn xml_element(s: &str) -> Option<(XmlElement, &str)> {
    let s = s.strip_prefix('<')?;
    let end = s.find(|c: char| !c.is_ascii_lowercase())?;
    let (name, mut s) = s.split_at(end);
    if name.is_empty() {
        return None;
    }
    let mut attributes = Vec::new();
    while let Some(rest) = s.strip_prefix(' ') {
        let (attribute, rest) = rest.split_once("=\"")?;
        if attribute.is_empty() || !attribute.chars().all(|c| c.is_ascii_lowercase()) {
            return None;
        }
        let (raw, rest) = rest.split_once('"')?;
        attributes.push((attribute.to_string(), xml_unescape(raw)?));
        s = rest;
    }
    if let Some(rest) = s.strip_prefix("/>") {
        return Some((XmlElement { name: name.to_string(), attributes, children: Vec::new() }, rest));
    }
    // Only the nick list holds elements.
    let mut s = s.strip_prefix('>').filter(|_| name == "nicklist" && attributes.is_empty())?;
    let mut children = Vec::new();
    loop {
        if let Some(rest) = s.strip_prefix("</nicklist>") {
            return Some((XmlElement { name: name.to_string(), attributes, children }, rest));
        }
        let (child, rest) = xml_element(s)?;
        if child.name != "nick" || !child.children.is_empty() {
            return None;
        }
        children.push(child);
        s = rest;
    }
}

/// An attribute value as written between double quotes, unescaped; `None` when it holds what
/// chatd never writes there.
pub fn xml_unescape(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let (entity, after) = rest.split_once(';')?;
            out.push(match entity {
                "&amp" => '&',
                "&lt" => '<',
                "&gt" => '>',
                "&quot" => '"',
                "&apos" => '\'',
                "&#9" => '\t',
                "&#10" => '\n',
                "&#13" => '\r',
                _ => return None,
            });
            rest = after;
            continue;
        }
        if matches!(c, '<' | '"' | '\t' | '\n' | '\r') || !is_xml_char(c) {
            return None;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

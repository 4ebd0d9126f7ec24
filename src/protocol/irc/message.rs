//! IRC message syntax: one line to a `Message` and back, never more than 512 bytes on the wire.
//!
//! Pure: no state, no I/O, no meaning. This file owns the wire grammar (RFC 1459/2812 2.3.1 as
//! practised today, IRCv3 message-tags), the line limit, splitting long text, CTCP ACTION framing
//! and ASCII case folding. It does not know what a command does: the dialect maps a `Message` to a
//! `Command` and a `Reply` to lines built with `write_line`.
//!
//! Input comes straight from a socket, so nothing here may panic on it: no `unwrap`, no `[i]`, and
//! text is only ever cut at a UTF-8 character boundary.

use std::collections::HashSet;
use std::fmt;

/// The wire's limits (`core::limits`), by the names this grammar uses. A client that sends more
/// than `MAX_PARAMS` parameters finds everything from the 15th on in the last one, spaces included.
pub use crate::core::limits::{
    IRC_MAX_CLIENT_TAG_BYTES as MAX_CLIENT_TAG_BYTES, IRC_MAX_LINE_BYTES as MAX_LINE_BYTES,
    IRC_MAX_PARAMS as MAX_PARAMS,
};

/// Bytes `encode_action` adds around the text: `\x01ACTION ` and the closing `\x01`.
pub const ACTION_OVERHEAD_BYTES: usize = 9;

/// Room left for a message's own text once the frame is written: 512 minus CR LF.
const MAX_BODY_BYTES: usize = MAX_LINE_BYTES - 2;

/// One IRC message, as sent by a client or about to be sent to one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// IRCv3 tags in the order sent, values unescaped; `None` for a tag without a value (or with
    /// an empty one, which the spec treats the same). chatd's tag capabilities (`server-time`,
    /// `account-tag`) only tag what it sends, so the dialect may ignore these; they are kept so a
    /// tagged line from an eager client still parses.
    pub tags: Vec<(String, Option<String>)>,
    /// Where the message came from (`nick!user@host` or a server name), without the `:`.
    /// Clients must not send one; servers ignore it when they do.
    pub prefix: Option<String>,
    /// The command, uppercased (`PRIVMSG`), or a three-digit numeric (`001`).
    pub command: String,
    /// The parameters with any `:` of the trailing one removed. A trailing parameter means the
    /// same as any other, so nothing records which one was trailing.
    pub params: Vec<String>,
}

/// Why a line is not an IRC message at all. Each variant maps to one reply (or to silence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageError {
    /// Nothing but spaces. Servers should ignore empty lines without a reply.
    Empty,
    /// Tags or a prefix with no command after them.
    MissingCommand,
    /// The command is neither letters nor exactly three digits; holds it as sent.
    BadCommand(String),
    /// The tag section is longer than `MAX_CLIENT_TAG_BYTES`; IRCv3 says to answer `ERR_INPUTTOOLONG`.
    TagsTooLong,
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::Empty => f.write_str("empty line"),
            MessageError::MissingCommand => f.write_str("no command after the tags or prefix"),
            MessageError::BadCommand(command) => write!(f, "bad command {command:?}"),
            MessageError::TagsTooLong => write!(f, "tags longer than {MAX_CLIENT_TAG_BYTES} bytes"),
        }
    }
}

impl std::error::Error for MessageError {}

impl Message {
    /// A message with no tags and no prefix; `command` is taken as given.
    pub fn new(command: &str, params: &[&str]) -> Message {
        Message {
            tags: Vec::new(),
            prefix: None,
            command: command.to_string(),
            params: params.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// The parameter at `index`, if the client sent that many.
    pub fn param(&self, index: usize) -> Option<&str> {
        self.params.get(index).map(String::as_str)
    }

    /// The line without CR LF. Tags come first and are not counted against the limit (IRCv3);
    /// the rest is cut like `write_line` cuts it, so it never passes 510 bytes.
    pub fn to_line(&self) -> String {
        let mut line = String::new();
        if !self.tags.is_empty() {
            line.push('@');
            for (i, (key, value)) in self.tags.iter().enumerate() {
                if i > 0 {
                    line.push(';');
                }
                // Not `put_clean`: a space would end the tag section early (keys never hold these).
                line.extend(key.chars().filter(|c| !LINE_BREAKERS.contains(c)));
                if let Some(value) = value {
                    line.push('=');
                    escape_tag_value(&mut line, value);
                }
            }
            line.push(' ');
        }
        write_body(&mut line, self.prefix.as_deref(), &self.command, &self.params, MAX_BODY_BYTES);
        line
    }
}

/// The tags of a line whose command could not be read (`BadCommand`): what a reply to it may
/// still need (its `label`). Empty without tags, or with a tag section past the limit.
pub fn leading_tags(line: &str) -> Vec<(String, Option<String>)> {
    let Some(after_at) = skip_spaces(line).strip_prefix('@') else { return Vec::new() };
    match after_at.split_once(' ') {
        Some((raw, _)) if raw.len() + 2 <= MAX_CLIENT_TAG_BYTES => parse_tags(raw),
        _ => Vec::new(),
    }
}

/// Parses one line, CR LF already removed.
///
/// Follows RFC 2812 2.3.1 with today's tolerance (modern.ircdocs.horse, "Message Format"):
/// `[@tags ][:prefix ]COMMAND[ param...][ :trailing]`, where any run of spaces separates parts,
/// leading and trailing spaces are ignored, and the trailing parameter may be empty or hold
/// spaces. After 14 parameters the rest of the line is the 15th, as RFC 2812 allows.
///
/// # Errors
///
/// `Empty` for a blank line, `MissingCommand` when tags or a prefix end the line, `BadCommand`
/// when the command is not letters or three digits, `TagsTooLong` past `MAX_CLIENT_TAG_BYTES`.
pub fn parse(line: &str) -> Result<Message, MessageError> {
    let mut rest = skip_spaces(line);
    if rest.is_empty() {
        return Err(MessageError::Empty);
    }

    let mut tags = Vec::new();
    if let Some(after_at) = rest.strip_prefix('@') {
        let (raw, after) = after_at.split_once(' ').ok_or(MessageError::MissingCommand)?;
        // '@' and the separating space count towards the limit, as the spec measures it.
        if raw.len() + 2 > MAX_CLIENT_TAG_BYTES {
            return Err(MessageError::TagsTooLong);
        }
        tags = parse_tags(raw);
        rest = skip_spaces(after);
    }

    let mut prefix = None;
    if let Some(after_colon) = rest.strip_prefix(':') {
        let (raw, after) = after_colon.split_once(' ').ok_or(MessageError::MissingCommand)?;
        prefix = (!raw.is_empty()).then(|| raw.to_string());
        rest = skip_spaces(after);
    }

    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return Err(MessageError::MissingCommand);
    }
    if !is_valid_command(command) {
        return Err(MessageError::BadCommand(command.to_string()));
    }

    let mut params = Vec::new();
    loop {
        rest = skip_spaces(rest);
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_string());
            break;
        }
        if params.len() == MAX_PARAMS - 1 {
            params.push(rest.to_string());
            break;
        }
        let (middle, after) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(middle.to_string());
        rest = after;
    }

    Ok(Message { tags, prefix, command: command.to_ascii_uppercase(), params })
}

/// Appends one complete line, CR LF included, to `out`: `[:prefix ]COMMAND params...`.
///
/// The last parameter gets a `:` when it needs one (empty, has a space, starts with `:`). If the
/// line would pass `MAX_LINE_BYTES`, the last parameter is cut at a character boundary so that it
/// fits. Other parameters must be non-empty, without spaces and not start with `:`; chatd's
/// nicknames and room names always are. CR, LF and NUL inside any part become spaces, so no text
/// can end a line early and smuggle in a second one.
pub fn write_line(out: &mut Vec<u8>, prefix: Option<&str>, command: &str, params: &[&str]) {
    write_body(out, prefix, command, params, MAX_BODY_BYTES);
    out.extend_from_slice(b"\r\n");
}

/// How many bytes of text fit in `:prefix COMMAND target :text\r\n` within `MAX_LINE_BYTES`.
/// `prefix` is given without its `:`. Use it with `split_text` before relaying a message: the
/// sender's line fit in 512 bytes without a prefix, and may not with one.
pub fn text_budget(prefix: &str, command: &str, target: &str) -> usize {
    // ':' + ' ' after the prefix, ' ' after the command, ' :' before the text, CR LF.
    let frame = prefix.len() + command.len() + target.len() + 7;
    MAX_LINE_BYTES.saturating_sub(frame)
}

/// The longest start of `text`, cut at a character boundary, that one line
/// `:prefix COMMAND target :text` carries (with an action's CTCP framing when `action`). What an
/// IRC server relays of a client's message: the client sized its line without the prefix the
/// server adds, and IRC clients split long messages themselves, so the server cuts rather than
/// splits.
pub fn fit_one_line<'a>(text: &'a str, prefix: &str, command: &str, target: &str, action: bool) -> &'a str {
    let mut budget = text_budget(prefix, command, target);
    if action {
        budget = budget.saturating_sub(ACTION_OVERHEAD_BYTES);
    }
    text.get(..floor_char_boundary(text, budget)).unwrap_or(text)
}

/// Splits `text` into pieces of at most `max_bytes` bytes, each cut at a character boundary.
///
/// A piece ends at its last space when that space lies in the later half of the piece, so words
/// stay whole where they reasonably can; that one space is dropped. Otherwise nothing is lost or
/// repeated. Empty text gives no pieces. Should `max_bytes` be smaller than a character, that
/// character becomes a piece of its own rather than the loop stalling.
pub fn split_text(text: &str, max_bytes: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > max_bytes {
        let mut cut = floor_char_boundary(rest, max_bytes);
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        // The space just past the cut counts too: breaking there loses nothing of the words.
        let space = if rest.as_bytes().get(cut) == Some(&b' ') {
            Some(cut)
        } else {
            rest.get(..cut).and_then(|head| head.rfind(' '))
        };
        let (piece, next) = match space {
            Some(at) if at > 0 && at >= cut / 2 => (rest.get(..at), rest.get(at + 1..)),
            _ => (rest.get(..cut), rest.get(cut..)),
        };
        // cannot fail: `cut` comes from floor_char_boundary or a char length, and a space is one byte.
        let (Some(piece), Some(next)) = (piece, next) else { break };
        pieces.push(piece);
        rest = next;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// The text of a CTCP ACTION (`/me`): `\x01ACTION waves\x01` gives `waves`.
///
/// The closing `\x01` is optional, as parsers should accept (modern CTCP spec: some clients lose
/// it when they split long messages). The word `ACTION` is matched without regard to case.
pub fn ctcp_action(text: &str) -> Option<&str> {
    let body = text.strip_prefix('\x01')?;
    let body = body.strip_suffix('\x01').unwrap_or(body);
    let (command, action) = body.split_once(' ').unwrap_or((body, ""));
    command.eq_ignore_ascii_case("ACTION").then_some(action)
}

/// Wraps `text` as a CTCP ACTION, the form IRC clients display as `* nick text`.
/// Adds `ACTION_OVERHEAD_BYTES`; subtract them from the budget before splitting.
pub fn encode_action(text: &str) -> String {
    format!("\x01ACTION {text}\x01")
}

/// Folds a nickname or channel name for comparison: ASCII letters only (`CASEMAPPING=ascii`).
///
/// Why ascii and not rfc1459: chatd's nicknames are ASCII-only and compared this way by
/// `names::Folded`; folding `[]\~` to `{}|^` as well would let two IRC users collide where
/// netcat users do not. Modern docs also advise against rfc1459 for new servers.
pub fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// True for a channel name. chatd has only `#` channels (`CHANTYPES=#`).
pub fn is_channel(s: &str) -> bool {
    s.starts_with('#')
}

/// The items of a comma list (`JOIN #a,#b`), skipping empty ones (`#a,,#b`).
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|item| !item.is_empty())
}

fn skip_spaces(s: &str) -> &str {
    s.trim_start_matches(' ')
}

/// RFC 2812 2.3.1: `command = 1*letter / 3digit`.
fn is_valid_command(command: &str) -> bool {
    let bytes = command.as_bytes();
    bytes.iter().all(u8::is_ascii_alphabetic) || (bytes.len() == 3 && bytes.iter().all(u8::is_ascii_digit))
}

/// Splits `key[=value];...` (the `@` already removed). Empty entries and empty keys are skipped;
/// a key given twice keeps its last value (IRCv3: "discard all but the final occurrence").
fn parse_tags(raw: &str) -> Vec<(String, Option<String>)> {
    let entries: Vec<(&str, &str)> = raw
        .split(';')
        .map(|entry| entry.split_once('=').unwrap_or((entry, "")))
        .filter(|(key, _)| !key.is_empty())
        .collect();
    let mut seen = HashSet::new();
    let mut tags: Vec<(String, Option<String>)> = entries
        .iter()
        .rev()
        .filter(|(key, _)| seen.insert(*key))
        .map(|(key, value)| {
            let value = unescape_tag_value(value);
            (key.to_string(), (!value.is_empty()).then_some(value))
        })
        .collect();
    tags.reverse();
    tags
}

/// IRCv3 message-tags, "Escaping values": `\:` `;`, `\s` space, `\\` `\`, `\r` CR, `\n` LF.
/// Any other escaped character stands for itself, and a lone `\` at the end is dropped.
fn unescape_tag_value(raw: &str) -> String {
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => value.push(';'),
            Some('s') => value.push(' '),
            Some('r') => value.push('\r'),
            Some('n') => value.push('\n'),
            Some(other) => value.push(other),
            None => {}
        }
    }
    value
}

/// Appends `value` escaped for a tag (IRCv3 message-tags, "Escaping values"); NUL is dropped.
pub fn escape_tag_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\0' => {}
            c => out.push(c),
        }
    }
}

/// The largest index `<= at` that is a character boundary of `s` (std has this only from Rust 1.91).
fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

/// Where serialized text goes: a `String` for `to_line`, a byte buffer for the socket.
trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

const LINE_BREAKERS: [char; 3] = ['\r', '\n', '\0'];

/// Writes `s` with CR, LF and NUL as spaces: same length, and no way to end the line early.
fn put_clean(out: &mut impl Sink, s: &str) {
    let mut pieces = s.split(LINE_BREAKERS);
    if let Some(first) = pieces.next() {
        out.put(first);
    }
    for piece in pieces {
        out.put(" ");
        out.put(piece);
    }
}

/// RFC 2812 2.3.1 and modern docs: a last parameter that is empty, contains a space or starts
/// with `:` must be sent as trailing. CR, LF and NUL count as spaces since `put_clean` makes them so.
fn needs_colon(last: &str) -> bool {
    last.is_empty() || last.starts_with(':') || last.contains(' ') || last.contains(LINE_BREAKERS)
}

/// Writes `[:prefix ]COMMAND params...` in at most `limit` bytes, cutting the last parameter
/// (or, if the parts before it are already too long, the whole line) at a character boundary.
fn write_body<S: AsRef<str>>(out: &mut impl Sink, prefix: Option<&str>, command: &str, params: &[S], limit: usize) {
    let (middles, last) = match params.split_last() {
        Some((last, middles)) => (middles, Some(last.as_ref())),
        None => (params, None),
    };
    let head_len = prefix.map_or(0, |p| p.len() + 2)
        + command.len()
        + middles.iter().map(|m| m.as_ref().len() + 1).sum::<usize>()
        + usize::from(last.is_some());
    let last_len = last.map_or(0, |l| usize::from(needs_colon(l)) + l.len());

    if head_len + last_len > limit && head_len + 1 > limit {
        // Only parts the caller controls can get here (huge prefix or middles): cut the whole line.
        let mut full = String::new();
        write_head(&mut full, prefix, command, middles, last.is_some());
        if let Some(last) = last {
            if needs_colon(last) {
                full.push(':');
            }
            put_clean(&mut full, last);
        }
        out.put(full.get(..floor_char_boundary(&full, limit)).unwrap_or(""));
        return;
    }

    write_head(out, prefix, command, middles, last.is_some());
    if let Some(last) = last {
        if head_len + last_len <= limit {
            if needs_colon(last) {
                out.put(":");
            }
            put_clean(out, last);
        } else {
            // Always trailing once cut: the piece may end up empty, and then it needs the ':'.
            let room = limit - head_len - 1;
            out.put(":");
            put_clean(out, last.get(..floor_char_boundary(last, room)).unwrap_or(""));
        }
    }
}

fn write_head<S: AsRef<str>>(out: &mut impl Sink, prefix: Option<&str>, command: &str, middles: &[S], more: bool) {
    if let Some(prefix) = prefix {
        out.put(":");
        put_clean(out, prefix);
        out.put(" ");
    }
    put_clean(out, command);
    for middle in middles {
        out.put(" ");
        put_clean(out, middle.as_ref());
    }
    if more {
        out.put(" ");
    }
}

#[cfg(test)]
mod tests;

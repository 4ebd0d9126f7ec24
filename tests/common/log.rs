//! The operator log as tests read it: one parsed line (`TIMESTAMP LEVEL EVENT key=value ...`,
//! with the server's quoting undone), single fields, and the addresses of the `start` line.

use super::time::parse_timestamp;
use std::net::SocketAddr;

/// One parsed operator log line: `TIMESTAMP LEVEL EVENT key=value ...`.
#[derive(Debug)]
pub struct LogLine {
    /// The timestamp as milliseconds since the Unix epoch.
    pub millis: i64,
    pub level: String,
    pub event: String,
    pub fields: Vec<(String, String)>,
}

impl LogLine {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn field(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("no {key}= in {self:?}"))
    }
}

/// Splits `key=value key="quoted \"value\"" ...` into pairs, undoing the server's quoting.
pub fn parse_fields(mut rest: &str) -> Result<Vec<(String, String)>, String> {
    let mut fields = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix(' ').ok_or_else(|| format!("expected a space before {rest:?}"))?;
        let eq = rest.find('=').ok_or_else(|| format!("field without '=' at {rest:?}"))?;
        let key = &rest[..eq];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!("bad field name {key:?}"));
        }
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value for {key}")),
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => text.push('\n'),
                        Some((_, c @ ('"' | '\\'))) => text.push(c),
                        Some((_, 'u')) => {
                            // \u{hex}
                            let mut hex = String::new();
                            for (_, c) in chars.by_ref() {
                                match c {
                                    '{' => {}
                                    '}' => break,
                                    c => hex.push(c),
                                }
                            }
                            let code = u32::from_str_radix(&hex, 16).map_err(|e| format!("bad escape: {e}"))?;
                            text.push(char::from_u32(code).ok_or("bad escaped char")?);
                        }
                        other => return Err(format!("bad escape {other:?} in {key}")),
                    },
                    Some((_, c)) => text.push(c),
                }
            };
            value = text;
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            value = rest[..end].to_string();
            if value.is_empty() {
                return Err(format!("empty unquoted value for {key}"));
            }
            rest = &rest[end..];
        }
        fields.push((key.to_string(), value));
    }
    Ok(fields)
}

pub fn try_parse_log_line(line: &str) -> Result<LogLine, String> {
    let (stamp, rest) = line.split_once(' ').ok_or("no space after the timestamp")?;
    let millis = parse_timestamp(stamp)?;
    let (level, rest) = rest.split_once(' ').ok_or("no space after the level")?;
    if !matches!(level, "INFO" | "WARN" | "ERROR") {
        return Err(format!("bad level {level:?}"));
    }
    let (event, rest) = match rest.find(' ') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if event.is_empty() || !event.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(format!("bad event name {event:?}"));
    }
    Ok(LogLine { millis, level: level.to_string(), event: event.to_string(), fields: parse_fields(rest)? })
}

pub fn parse_log_line(line: &str) -> LogLine {
    try_parse_log_line(line).unwrap_or_else(|e| panic!("malformed log line ({e}): {line:?}"))
}

/// Checks that every line of `text` is a well-formed log line stamped between `from` and `to`
/// (milliseconds since the epoch, with a little slack for clock granularity).
pub fn assert_well_formed(text: &str, from: i64, to: i64) {
    for line in text.lines() {
        let parsed = parse_log_line(line);
        assert!(
            parsed.millis >= from - 1000 && parsed.millis <= to + 1000,
            "timestamp of {line:?} is not the current UTC time ({from}..{to} ms since the epoch)"
        );
    }
}

/// The unquoted value of `key=` in a raw log line, if there is one.
pub fn log_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
}

/// The unquoted value of `key=` in a raw log line; fails the test if there is none.
pub fn log_value<'a>(line: &'a str, key: &str) -> &'a str {
    log_field(line, key).unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

/// The first address of a `start ... listen=A,B` log line.
pub fn listen_addr(start_line: &str) -> SocketAddr {
    log_field(start_line, "listen")
        .and_then(|list| list.split(',').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no listen= address in {start_line:?}"))
}

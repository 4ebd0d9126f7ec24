//! A small JSON reader (RFC 8259) for what the web face sends: events, status, login answers.
//! Written for the tests so that they check values, not the server's key order or escaping;
//! numbers are kept as their text, since the tests only read integers.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    Str(String),
    Array(Vec<Json>),
    /// Members in the order written (a repeated key is a test failure, see `parse`).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object; panics (with the whole value) when there is none.
    pub fn get(&self, key: &str) -> &Json {
        self.find(key).unwrap_or_else(|| panic!("no member {key:?} in {self}"))
    }

    /// The member `key` of an object, if any.
    pub fn find(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> &str {
        match self {
            Json::Str(text) => text,
            other => panic!("not a string: {other}"),
        }
    }

    pub fn u64(&self) -> u64 {
        match self {
            Json::Number(text) => text.parse().unwrap_or_else(|_| panic!("not an unsigned integer: {text}")),
            other => panic!("not a number: {other}"),
        }
    }

    pub fn array(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            other => panic!("not an array: {other}"),
        }
    }

    pub fn is_null(&self) -> bool {
        *self == Json::Null
    }

    /// `member(key)` as a string, for the common `event.text("t")`.
    pub fn text(&self, key: &str) -> &str {
        self.get(key).str()
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n),
            Json::Str(s) => write!(f, "{s:?}"),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(members) => {
                f.write_str("{")?;
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{key:?}:{value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Parses one JSON text (surrounding whitespace allowed, nothing else after it).
pub fn parse(text: &str) -> Result<Json, String> {
    let mut reader = Reader { bytes: text.as_bytes(), at: 0 };
    let value = reader.value(0)?;
    reader.space();
    if reader.at != reader.bytes.len() {
        return Err(format!("trailing bytes at {} in {text:?}", reader.at));
    }
    Ok(value)
}

/// `parse`, failing the test with the text on error.
pub fn must_parse(text: &str) -> Json {
    parse(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text:?}"))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn space(&mut self) {
        while self.bytes.get(self.at).is_some_and(|b| b" \t\r\n".contains(b)) {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        let found = self.bytes[self.at..].starts_with(literal.as_bytes());
        if found {
            self.at += literal.len();
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 64 {
            return Err("nested too deep".into());
        }
        self.space();
        match self.bytes.get(self.at) {
            None => Err("unexpected end".into()),
            Some(b'n') if self.eat("null") => Ok(Json::Null),
            Some(b't') if self.eat("true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.eat("]") {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    if self.eat("]") {
                        return Ok(Json::Array(items));
                    }
                    if !self.eat(",") {
                        return Err(format!("expected , or ] at {}", self.at));
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut members: Vec<(String, Json)> = Vec::new();
                self.space();
                if self.eat("}") {
                    return Ok(Json::Object(members));
                }
                loop {
                    self.space();
                    let key = self.string()?;
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(format!("key {key:?} repeated"));
                    }
                    self.space();
                    if !self.eat(":") {
                        return Err(format!("expected : at {}", self.at));
                    }
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    self.space();
                    if self.eat("}") {
                        return Ok(Json::Object(members));
                    }
                    if !self.eat(",") {
                        return Err(format!("expected , or }} at {}", self.at));
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                self.eat("-");
                let digits = |r: &mut Self| {
                    let from = r.at;
                    while r.bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                        r.at += 1;
                    }
                    r.at > from
                };
                if !digits(self) {
                    return Err(format!("bad number at {start}"));
                }
                if self.eat(".") && !digits(self) {
                    return Err(format!("bad fraction at {start}"));
                }
                if self.eat("e") || self.eat("E") {
                    let _ = self.eat("+") || self.eat("-");
                    if !digits(self) {
                        return Err(format!("bad exponent at {start}"));
                    }
                }
                Ok(Json::Number(String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned()))
            }
            Some(other) => Err(format!("unexpected {:?} at {}", *other as char, self.at)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if !self.eat("\"") {
            return Err(format!("expected a string at {}", self.at));
        }
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.bytes.get(self.at) else { return Err("unterminated string".into()) };
            self.at += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let Some(&escape) = self.bytes.get(self.at) else { return Err("bad escape".into()) };
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        other => return Err(format!("bad escape \\{}", other as char)),
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                b if b < 0x20 => return Err(format!("control byte {b:#04x} in a string")),
                b => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or("short \\u escape")?;
        let text = std::str::from_utf8(digits).map_err(|e| e.to_string())?;
        self.at += 4;
        u32::from_str_radix(text, 16).map_err(|e| format!("bad \\u{text}: {e}"))
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.eat("\\u") {
                return Err("lone high surrogate".into());
            }
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err("bad low surrogate".into());
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| format!("bad code point {code:#x}"))
    }
}

//! IRCv3 SASL authentication (`AUTHENTICATE`, sasl-3.1 and 3.2) with the one mechanism chatd
//! offers, PLAIN (RFC 4616): the client's response arrives base64-encoded (RFC 4648) in chunks of
//! 400 bytes and decodes to `authzid NUL authcid NUL password`.
//!
//! Pure: `Exchange` is one connection's state, fed each `AUTHENTICATE` parameter and saying what
//! to answer; `decode_plain` (and `decode_base64` under it) turn a complete response into
//! credentials. Checking the password is chat state's (the IRC session hands it an `Identify`).
//! Nothing here may panic on what a client sends, and a password never reaches `Debug` output.

use crate::protocol::SaslReply;
use std::fmt;

/// Length of a full chunk: a chunk this long means more follows (`AUTHENTICATE +` ends a
/// response whose length is a multiple of it).
pub const CHUNK_BYTES: usize = 400;

/// The longest response accepted, in base64 bytes (three chunks, 900 decoded bytes). A PLAIN
/// response holds two nicknames and a password of at most `account::MAX_PASSWORD_BYTES`, far
/// less; the bound keeps a client from growing the buffer without end (answered 905).
pub const MAX_RESPONSE_BYTES: usize = 3 * CHUNK_BYTES;

/// The longest SASL mechanism name (RFC 4422 3.1: 1 to 20 characters).
const MAX_MECHANISM_CHARS: usize = 20;

/// The mechanism chatd speaks.
const PLAIN: &str = "PLAIN";

/// Who a PLAIN response logs in as, and with what password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The authentication identity: the account name.
    pub authcid: String,
    pub password: String,
}

/// Passwords must never reach a log line, even through `{:?}`.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials {{ authcid: {:?}, .. }}", self.authcid)
    }
}

/// Why a PLAIN response is refused (every one is answered 904).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainError {
    /// Not canonical base64: a character outside the alphabet, missing or misplaced padding,
    /// or bits left over.
    Base64,
    /// The decoded bytes are not UTF-8 (RFC 4616 2: the fields are UTF-8).
    NotUtf8,
    /// Not exactly three NUL-separated fields.
    Shape,
    /// An empty authentication identity or password.
    Empty,
    /// An authorization identity other than the authentication identity: nobody may act as
    /// another account.
    OtherIdentity,
}

/// The value of one base64 character of the standard alphabet (RFC 4648 4).
fn sextet(byte: u8) -> Option<u32> {
    let value = match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Decodes canonical base64 (RFC 4648 4, padded): whole groups of four characters, `=` only to
/// pad the last group (one or two of them), and the bits the padding leaves over all zero, so
/// that each value has exactly one encoding. `None` for anything else. Empty text is no bytes.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let groups = bytes.chunks_exact(4);
    let last = groups.len().saturating_sub(1);
    for (index, group) in groups.enumerate() {
        let padding = group.iter().rev().take_while(|&&byte| byte == b'=').count();
        if padding > 2 || (padding > 0 && index != last) {
            return None;
        }
        let mut bits = 0u32;
        for &byte in group.get(..4 - padding)? {
            bits = bits << 6 | sextet(byte)?;
        }
        bits <<= 6 * padding;
        let [_, first, second, third] = bits.to_be_bytes();
        let decoded = [first, second, third];
        let (kept, dropped) = decoded.split_at(3 - padding);
        if dropped.iter().any(|&byte| byte != 0) {
            return None;
        }
        out.extend_from_slice(kept);
    }
    Some(out)
}

/// Decodes a complete PLAIN response (`authzid NUL authcid NUL password`, base64). The
/// authorization identity may be empty or name the authentication identity itself (ASCII case
/// aside: account names are nicknames).
///
/// # Errors
///
/// `PlainError` says what was wrong; the client is told only that authentication failed.
pub fn decode_plain(base64: &str) -> Result<Credentials, PlainError> {
    let bytes = decode_base64(base64).ok_or(PlainError::Base64)?;
    let text = String::from_utf8(bytes).map_err(|_| PlainError::NotUtf8)?;
    let mut fields = text.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(PlainError::Shape);
    };
    if authcid.is_empty() || password.is_empty() {
        return Err(PlainError::Empty);
    }
    if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(authcid) {
        return Err(PlainError::OtherIdentity);
    }
    Ok(Credentials { authcid: authcid.to_string(), password: password.to_string() })
}

/// RFC 4422 3.1: a mechanism name is 1 to 20 of `A-Z 0-9 - _` (lower case taken too: clients
/// are not that strict, and the answer is the same).
fn is_mechanism_name(word: &str) -> bool {
    (1..=MAX_MECHANISM_CHARS).contains(&word.len())
        && word.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// What one `AUTHENTICATE` comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Answer this.
    Reply(SaslReply),
    /// A full chunk: the rest of the response is still to come; nothing to answer.
    MoreExpected,
    /// A complete, well-formed PLAIN response: check these credentials.
    Login(Credentials),
}

/// One connection's SASL exchange.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// The base64 received so far, once `AUTHENTICATE PLAIN` started an exchange; `None`
    /// between exchanges. Never longer than `MAX_RESPONSE_BYTES`.
    response: Option<String>,
}

/// The buffer holds a password (encoded): never shown.
impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.response {
            None => "idle".to_string(),
            Some(response) => format!("receiving, {} bytes", response.len()),
        };
        write!(f, "Exchange({state})")
    }
}

impl Exchange {
    /// True while a response is being received.
    pub fn in_progress(&self) -> bool {
        self.response.is_some()
    }

    /// How many base64 bytes of the response have arrived (0 between exchanges).
    pub fn buffered(&self) -> usize {
        self.response.as_ref().map_or(0, String::len)
    }

    /// Ends an exchange in progress (the client registered before finishing it: sasl-3.1 says
    /// to answer 906). True if there was one.
    pub fn abort(&mut self) -> bool {
        self.response.take().is_some()
    }

    /// Takes one `AUTHENTICATE` parameter (non-empty: an empty one is the session's 461).
    pub fn step(&mut self, payload: &str) -> Step {
        let Some(response) = &mut self.response else {
            return Step::Reply(if payload == "*" {
                SaslReply::Aborted
            } else if payload.eq_ignore_ascii_case(PLAIN) {
                self.response = Some(String::new());
                SaslReply::Continue
            } else if is_mechanism_name(payload) {
                SaslReply::Mechanisms
            } else {
                // A response with no exchange started, or no mechanism at all.
                SaslReply::Failed
            });
        };
        match payload {
            "*" => {
                self.response = None;
                Step::Reply(SaslReply::Aborted)
            }
            "+" => self.finish(),
            chunk if chunk.len() > CHUNK_BYTES || response.len() + chunk.len() > MAX_RESPONSE_BYTES => {
                self.response = None;
                Step::Reply(SaslReply::TooLong)
            }
            chunk => {
                response.push_str(chunk);
                if chunk.len() == CHUNK_BYTES { Step::MoreExpected } else { self.finish() }
            }
        }
    }

    /// The response is complete: decode it, and the exchange is over either way.
    fn finish(&mut self) -> Step {
        match self.response.take().as_deref().map(decode_plain) {
            Some(Ok(credentials)) => Step::Login(credentials),
            Some(Err(_)) | None => Step::Reply(SaslReply::Failed),
        }
    }
}

#[cfg(test)]
mod tests;

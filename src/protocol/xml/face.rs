//! The XMLSocket gateway behind the `dialect` interface: detection, the decoder (NUL, LF or
//! CR LF framing, the operator's line limit, the policy answer) and the session.
//!
//! Detected from the first bytes: `<policy-file-request` (a Flash player asking for the policy),
//! or a first line `IDENTIFY name password` or `REGISTER name password` with exactly two
//! arguments, in any case. A bare `LIST` or `MSG` stays a netcat nickname attempt: a person may
//! type those. A client slow to speak is taken for a person first and claimed later
//! (`late_claim`) by the same lines, the command in upper case as programs send it (a person
//! typing `identify alice secret` at the nickname prompt stays a person).

use super::render::renders;
use super::{Line, POLICY_REQUEST, parse, policy_answer, render};
use crate::framing::{Frame, Framer};
use crate::protocol::dialect::{Claim, Decoded, Decoder, Dialect, Profile, Session, View, key_space};
use crate::protocol::{ParseError, Reply};

/// The XMLSocket gateway dialect.
pub static XML: Xml = Xml;

/// This dialect's number in view keys.
const KEY_SPACE: u32 = key_space(4);

/// The commands that open an XMLSocket session: a login.
const OPENERS: [&[u8]; 2] = [b"IDENTIFY", b"REGISTER"];

/// The longest first line detection waits for: a command word, a nickname and a password of at
/// most `account::MAX_PASSWORD_BYTES` fit within it. A longer one is not a login; the bound
/// also keeps detection within the reader's first buffer (1024 bytes).
pub const DETECT_LINE_BYTES: usize = 768;

/// The log line's name for a policy answer.
const POLICY_SERVED: &str = "policy_served";

pub struct Xml;

/// The space-separated words of a first line (carriage returns dropped, as the framer drops
/// them), or `None` when the line does not start with a word.
fn words(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line: Vec<u8> = line.iter().copied().filter(|&b| b != b'\r').collect();
    if line.first() == Some(&b' ') {
        return None;
    }
    Some(line.split(|&b| b == b' ').filter(|w| !w.is_empty()).map(<[u8]>::to_vec).collect())
}

/// `IDENTIFY a b` or `REGISTER a b`, complete; `any_case` lets the command word be in any case.
fn is_login_line(line: &[u8], any_case: bool) -> bool {
    let Some(words) = words(line) else { return false };
    let opener = |word: &[u8]| OPENERS.iter().any(|o| if any_case { o.eq_ignore_ascii_case(word) } else { *o == word });
    matches!(words.as_slice(), [command, _, _] if opener(command))
}

/// Whether the start of a first line, not yet ended, may still become a login line.
fn may_become_login(start: &[u8]) -> bool {
    let Some(words) = words(start) else { return false };
    let Some(command) = words.first() else { return true };
    let separated = start.contains(&b' ');
    if !separated {
        // The command word may still be growing.
        return OPENERS.iter().any(|o| o.len() >= command.len() && o[..command.len()].eq_ignore_ascii_case(command));
    }
    OPENERS.iter().any(|o| o.eq_ignore_ascii_case(command)) && words.len() <= 3
}

impl Dialect for Xml {
    fn name(&self) -> &'static str {
        "xml"
    }

    fn claims(&self, first: &[u8]) -> Claim {
        let policy = POLICY_REQUEST.as_bytes();
        if first.starts_with(policy) {
            return Claim::Mine;
        }
        if !first.is_empty() && policy.starts_with(first) {
            return Claim::Undecided;
        }
        let end = first.iter().position(|&b| b == b'\n' || b == 0);
        let line = first.get(..end.unwrap_or(first.len())).unwrap_or_default();
        if line.len() > DETECT_LINE_BYTES {
            return Claim::NotMine;
        }
        match end {
            Some(_) if is_login_line(line, true) => Claim::Mine,
            Some(_) => Claim::NotMine,
            None if may_become_login(line) => Claim::Undecided,
            None => Claim::NotMine,
        }
    }

    /// A login with the command in upper case, or the policy request: lines no person types.
    fn late_claim(&self, line: &[u8]) -> bool {
        line.starts_with(POLICY_REQUEST.as_bytes()) || is_login_line(line, false)
    }

    fn decoder(&self, max_line: usize) -> Box<dyn Decoder> {
        Box::new(XmlDecoder { framer: Framer::raw(max_line), max_line, frames: Vec::new(), answered: false })
    }

    fn session(&self) -> Box<dyn Session> {
        Box::new(XmlSession)
    }
}

struct XmlDecoder {
    /// Raw framing: programs send no telnet negotiation, and a backspace is data.
    framer: Framer,
    max_line: usize,
    /// Kept between calls for its allocation.
    frames: Vec<Frame>,
    /// The policy was answered: the connection closes, nothing more is read.
    answered: bool,
}

impl Decoder for XmlDecoder {
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        if self.answered {
            return;
        }
        self.framer.push(bytes, &mut self.frames);
        for frame in self.frames.drain(..) {
            let (line, terminator) = match frame {
                Frame::TooLong => {
                    let input = Err(ParseError::LineTooLong { limit: self.max_line });
                    out.push(Decoded::Input { terminator: None, input });
                    continue;
                }
                Frame::Line { bytes, terminator } => (bytes, terminator),
            };
            match parse(&String::from_utf8_lossy(&line)) {
                Line::Blank => {}
                Line::PolicyRequest => {
                    out.push(Decoded::Answer { bytes: policy_answer(), close: true, note: Some(POLICY_SERVED) });
                    self.answered = true;
                    break;
                }
                Line::Input(input) => out.push(Decoded::Input { terminator: Some(terminator), input }),
            }
        }
        self.frames.clear();
    }
}

/// An XML client: nothing to negotiate, and the same bytes for every recipient.
struct XmlSession;

impl Session for XmlSession {
    fn profile(&self) -> Profile {
        Profile {
            dialect: "xml",
            prompted: false,
            starts_in_default_room: false,
            needs_user: false,
            registration_held: false,
            strict_before_registration: true,
            hears_every_membership_change: false,
            replay_on_join: false,
            // XMLSocket clients cannot answer PING: TCP keepalive and the registration
            // timeout look after them.
            pinged: false,
            echo_own_messages: false,
            registers_by_login: true,
            hears_presence: true,
        }
    }

    /// Only the replies the protocol has an element for.
    fn accepts(&self, reply: &Reply) -> bool {
        renders(reply)
    }

    /// Frames always end with NUL, whatever the client ends its lines with, and name no room.
    fn view_key(&self, _view: &View<'_>) -> u32 {
        KEY_SPACE
    }

    fn render(&self, reply: &Reply, _view: &View<'_>, out: &mut Vec<u8>) {
        render(reply, out);
    }
}

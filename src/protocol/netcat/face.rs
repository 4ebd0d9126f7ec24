//! The netcat dialect behind the `dialect` interface: people on netcat or telnet.
//!
//! Nobody announces netcat: it is what a connection is when no other dialect claims its first
//! bytes (`dialects::FALLBACK`). A slow IRC client may be taken for a person that way, so until a
//! line could have registered the newcomer (a valid nickname, or `/nick x`), the decoder keeps the
//! lines it got and, when one is a line only another dialect's clients open with
//! (`Dialect::late_claim`: IRC's `CAP LS`, `PASS x`, a full `USER`), hands the connection over
//! with those lines to read again. Once a line could have registered it, the broker may have done
//! so: from then on the connection stays netcat, so there is no race.

use super::{View as NetcatView, clean_input, parse, render};
use crate::core::names::Nick;
use crate::framing::{Frame, Framer, Terminator};
use crate::protocol::dialect::{Claim, Decoded, Decoder, Dialect, Profile, Session, View, key_space};
use crate::protocol::{Command, ParseError, Reply};
use std::collections::VecDeque;

/// This dialect's number in view keys.
const KEY_SPACE: u32 = key_space(0);

/// The netcat dialect, and the dialects a connection taken for a person may turn out to speak.
pub struct Netcat {
    others: &'static [&'static dyn Dialect],
}

impl Netcat {
    /// Netcat, handing a connection over to the first of `others` that makes a late claim on one
    /// of its lines (`Dialect::late_claim`).
    pub const fn handing_over_to(others: &'static [&'static dyn Dialect]) -> Netcat {
        Netcat { others }
    }
}

impl Dialect for Netcat {
    fn name(&self) -> &'static str {
        "netcat"
    }

    /// Never claimed from the first bytes: netcat is what is left.
    fn claims(&self, _first: &[u8]) -> Claim {
        Claim::NotMine
    }

    fn decoder(&self, max_line: usize) -> Box<dyn Decoder> {
        Box::new(NetcatDecoder {
            framer: Framer::new(max_line),
            max_line,
            undecided: Some(Undecided::default()),
            frames: Vec::new(),
            others: self.others,
        })
    }

    fn session(&self) -> Box<dyn Session> {
        Box::new(NetcatSession)
    }
}

/// How much of what a newcomer sent is kept, to be read again should it turn out to speak
/// another dialect: registration takes a handful of short lines.
const REPLAY_LINES: usize = 8;
const REPLAY_BYTES: usize = 4096;

/// The lines a newcomer has sent while it may still turn out to speak another dialect: the last
/// `REPLAY_LINES`, at most `REPLAY_BYTES`.
#[derive(Default)]
struct Undecided {
    lines: VecDeque<(Vec<u8>, Terminator)>,
    bytes: usize,
}

impl Undecided {
    fn remember(&mut self, line: Vec<u8>, terminator: Terminator) {
        if line.len() > REPLAY_BYTES {
            return;
        }
        self.bytes += line.len();
        self.lines.push_back((line, terminator));
        while self.lines.len() > REPLAY_LINES || self.bytes > REPLAY_BYTES {
            if let Some((dropped, _)) = self.lines.pop_front() {
                self.bytes -= dropped.len();
            }
        }
    }
}

/// True when the broker may register a newcomer on this line: a bare nickname or `/nick x`,
/// syntactically valid (taken or not). Mirrors how chat state registers a prompted client.
fn could_register(input: &Result<Command, ParseError>) -> bool {
    matches!(input, Ok(Command::Say { text } | Command::Nick { nick: text }) if Nick::parse(text.trim()).is_ok())
}

/// A line as the client sent it, for another dialect to read again.
fn put_line(out: &mut Vec<u8>, line: &[u8], terminator: Terminator) {
    out.extend_from_slice(line);
    out.extend_from_slice(terminator.bytes());
}

struct NetcatDecoder {
    framer: Framer,
    max_line: usize,
    /// `Some` while the connection may still turn out to speak another dialect.
    undecided: Option<Undecided>,
    /// Kept between calls for its allocation.
    frames: Vec<Frame>,
    /// The dialects this connection may still turn out to speak.
    others: &'static [&'static dyn Dialect],
}

impl Decoder for NetcatDecoder {
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        if self.undecided.is_none() {
            self.framer.push(bytes, &mut self.frames);
            for frame in self.frames.drain(..) {
                decode_frame(frame, self.max_line, &mut None, out);
            }
            return;
        }
        // While the connection may still switch, the bytes go to the framer one line at a time,
        // so that a switch hands over exactly the bytes after the switching line, as sent (not
        // as netcat framing, which edits backspaces and telnet bytes, made them).
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n' || b == 0).map_or(rest.len(), |at| at + 1);
            let (segment, after) = rest.split_at(end);
            rest = after;
            self.framer.push(segment, &mut self.frames);
            let mut frames = self.frames.drain(..);
            while let Some(frame) = frames.next() {
                let Frame::Line { bytes: line, terminator } = &frame else {
                    decode_frame(frame, self.max_line, &mut self.undecided, out);
                    continue;
                };
                if let Some(undecided) = &self.undecided
                    && let Some(&to) = self.others.iter().find(|d| d.late_claim(line))
                {
                    // Everything not yet final goes to `to`: the lines kept, this one, and what
                    // came after it, as sent.
                    let mut replay = Vec::with_capacity(undecided.bytes + line.len() + rest.len() + 64);
                    for (kept, terminator) in &undecided.lines {
                        put_line(&mut replay, kept, *terminator);
                    }
                    put_line(&mut replay, line, *terminator);
                    // A segment ends at its line's end, so nothing else was framed after it.
                    debug_assert!(frames.next().is_none());
                    replay.extend_from_slice(&self.framer.take_pending());
                    replay.extend_from_slice(rest);
                    out.push(Decoded::Switch { to, replay });
                    return;
                }
                decode_frame(frame, self.max_line, &mut self.undecided, out);
            }
            drop(frames);
            if self.undecided.is_none() {
                // Decided for good: the rest needs no care.
                return self.decode(rest, out);
            }
        }
    }
}

/// One frame as a person's line: parsed, and remembered while the connection may still switch.
fn decode_frame(frame: Frame, max_line: usize, undecided: &mut Option<Undecided>, out: &mut Vec<Decoded>) {
    let (bytes, terminator) = match frame {
        Frame::TooLong => {
            out.push(Decoded::Input { terminator: None, input: Err(ParseError::LineTooLong { limit: max_line }) });
            return;
        }
        Frame::Line { bytes, terminator } => (bytes, terminator),
    };
    let text = clean_input(&bytes);
    if text.trim().is_empty() {
        return;
    }
    let input = parse(&text);
    if could_register(&input) {
        *undecided = None;
    } else if let Some(undecided) = undecided {
        undecided.remember(bytes, terminator);
    }
    out.push(Decoded::Input { terminator: Some(terminator), input });
}

/// A person: nothing to negotiate.
struct NetcatSession;

impl Session for NetcatSession {
    fn profile(&self) -> Profile {
        Profile {
            dialect: "netcat",
            prompted: true,
            starts_in_default_room: true,
            needs_user: false,
            registration_held: false,
            strict_before_registration: false,
            hears_every_membership_change: false,
            replay_on_join: true,
            echo_own_messages: false,
            pinged: false,
            registers_by_login: false,
            hears_presence: false,
        }
    }

    fn view_key(&self, view: &View<'_>) -> u32 {
        let terminator = match view.terminator {
            Terminator::Newline => 0,
            Terminator::Nul => 1,
        };
        KEY_SPACE | terminator | u32::from(view.rooms > 1) << 1
    }

    fn render(&self, reply: &Reply, view: &View<'_>, out: &mut Vec<u8>) {
        render(reply, NetcatView { multi_room: view.rooms > 1, terminator: view.terminator }, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::irc::face::IRC;

    static NETCAT: Netcat = Netcat::handing_over_to(&[&IRC]);

    fn decode_all(decoder: &mut dyn Decoder, bytes: &[u8]) -> Vec<Decoded> {
        let mut out = Vec::new();
        decoder.decode(bytes, &mut out);
        out
    }

    fn inputs(decoded: &[Decoded]) -> Vec<Result<Command, ParseError>> {
        decoded
            .iter()
            .filter_map(|d| match d {
                Decoded::Input { input, .. } => Some(input.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_a_valid_nickname_or_slash_nick_could_register() {
        let could = |line: &str| could_register(&parse(line));
        assert!(could("alice") && could("/nick alice") && could("  bob  "));
        assert!(!could("nick alice") && !could("NICK alice") && !could("!!bad") && !could("/users"));
        assert!(!could("/nick") && !could("/bogus") && !could("CAP LS 302"));
    }

    #[test]
    fn undecided_keeps_the_last_lines_within_the_bounds() {
        let mut undecided = Undecided::default();
        for i in 0..20 {
            undecided.remember(format!("line {i}").into_bytes(), Terminator::Newline);
        }
        let kept: Vec<String> = undecided.lines.iter().map(|(l, _)| String::from_utf8_lossy(l).into_owned()).collect();
        assert_eq!(kept, (12..20).map(|i| format!("line {i}")).collect::<Vec<_>>());
        undecided.remember(vec![b'x'; REPLAY_BYTES - 10], Terminator::Nul);
        assert!(undecided.bytes <= REPLAY_BYTES && undecided.lines.len() < REPLAY_LINES);
        assert_eq!(undecided.lines.back().map(|(l, t)| (l.len(), *t)), Some((REPLAY_BYTES - 10, Terminator::Nul)));
        undecided.remember(vec![b'y'; REPLAY_BYTES + 1], Terminator::Newline);
        assert_eq!(undecided.lines.back().map(|(l, _)| l[0]), Some(b'x'), "a line over the bound is not kept");
        assert_eq!(undecided.bytes, undecided.lines.iter().map(|(l, _)| l.len()).sum::<usize>());
    }

    #[test]
    fn an_irc_registration_line_hands_over_everything_not_yet_final() {
        let mut decoder = NETCAT.decoder(4096);
        let first = decode_all(&mut *decoder, b"hello?\r\n");
        assert_eq!(inputs(&first), vec![Ok(Command::Say { text: "hello?".into() })]);
        let switched = decode_all(&mut *decoder, b"CAP LS 302\r\nNICK alice\r\nUSER al");
        match switched.as_slice() {
            [Decoded::Switch { to, replay }] => {
                assert_eq!(to.name(), "irc");
                // Kept lines re-ended as `Terminator::bytes`; what came after the switching line, as sent.
                assert_eq!(replay.as_slice(), b"hello?\r\nCAP LS 302\r\nNICK alice\r\nUSER al");
            }
            other => panic!("expected one switch, got {} items", other.len()),
        }
    }

    #[test]
    fn bytes_after_the_switching_line_are_handed_over_unedited() {
        // Netcat framing would apply the backspace; IRC framing keeps it as data.
        let mut decoder = NETCAT.decoder(4096);
        match decode_all(&mut *decoder, b"CAP LS\nNICK a\x08b\n").as_slice() {
            [Decoded::Switch { replay, .. }] => assert_eq!(replay.as_slice(), b"CAP LS\r\nNICK a\x08b\n"),
            other => panic!("expected one switch, got {} items", other.len()),
        }
    }

    #[test]
    fn after_a_possible_nickname_the_connection_stays_netcat() {
        let mut decoder = NETCAT.decoder(4096);
        decode_all(&mut *decoder, b"alice\n");
        let later = decode_all(&mut *decoder, b"CAP LS 302\n");
        assert_eq!(inputs(&later), vec![Ok(Command::Say { text: "CAP LS 302".into() })]);
    }

    #[test]
    fn an_overlong_line_is_reported_with_the_configured_limit() {
        let mut decoder = NETCAT.decoder(8);
        let decoded = decode_all(&mut *decoder, b"0123456789\nok\n");
        assert_eq!(
            inputs(&decoded),
            vec![Err(ParseError::LineTooLong { limit: 8 }), Ok(Command::Say { text: "ok".into() })]
        );
    }

    #[test]
    fn view_keys_cover_terminator_and_room_count() {
        let session = NETCAT.session();
        let view =
            |rooms, terminator| View { server: "s", started: 0, ping_after_secs: 0, nick: "a", rooms, terminator };
        let keys = [
            session.view_key(&view(1, Terminator::Newline)),
            session.view_key(&view(2, Terminator::Newline)),
            session.view_key(&view(1, Terminator::Nul)),
        ];
        assert!(keys[0] != keys[1] && keys[0] != keys[2] && keys[1] != keys[2]);
        assert_eq!(session.view_key(&view(0, Terminator::Newline)), keys[0]);
    }
}

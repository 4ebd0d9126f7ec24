//! Turns the bytes a client sends into lines.
//!
//! Owns line framing for every dialect: `\n`, `\r\n` and NUL (the XMLSocket terminator) end a
//! line; a line split across reads or several lines in one read both work; lines longer than the
//! limit are reported once and discarded up to their terminator, so memory stays bounded whatever
//! the peer sends. Also drops telnet negotiation (IAC sequences) and applies backspace/DEL the way
//! a terminal user meant them.
//!
//! Pure: it never touches a socket. The reader feeds it byte slices; tests do the same.

/// How a client ends its lines; chatd ends the lines it sends that client the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminator {
    /// `\n` or `\r\n`: answered with `\r\n`.
    Newline,
    /// `\0`, as XMLSocket-style clients send: answered with `\0`.
    Nul,
}

impl Terminator {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Newline => b"\r\n",
            Terminator::Nul => b"\0",
        }
    }
}

/// One unit of input.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete, non-empty line without its terminator (raw bytes: may be invalid UTF-8).
    Line { bytes: Vec<u8>, terminator: Terminator },
    /// The current line passed the limit; it is being discarded up to its terminator.
    TooLong,
}

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const BACKSPACE: u8 = 0x08;
const DEL: u8 = 0x7f;

/// Where we are inside a telnet command (RFC 854): these bytes are never part of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Telnet {
    Data,
    /// After IAC.
    Command,
    /// After IAC WILL/WONT/DO/DONT: one option byte follows.
    Option,
    /// Inside IAC SB ... IAC SE.
    Sub,
    /// After IAC inside a subnegotiation.
    SubCommand,
}

/// Incremental line framer with a byte limit per line.
pub struct Framer {
    max_line: usize,
    line: Vec<u8>,
    /// True while discarding the rest of a line that was too long.
    overflow: bool,
    telnet: Telnet,
    /// Telnet and backspace handling, for people typing; off for IRC clients, whose bytes
    /// (including 0xFF in legacy encodings) are data.
    edit: bool,
}

impl Framer {
    /// `max_line` is the most content bytes a line may have (its terminator not counted).
    pub fn new(max_line: usize) -> Framer {
        Framer { max_line, line: Vec::new(), overflow: false, telnet: Telnet::Data, edit: true }
    }

    /// A framer for machine clients: no telnet negotiation, no backspace editing.
    pub fn raw(max_line: usize) -> Framer {
        Framer { edit: false, ..Framer::new(max_line) }
    }

    /// Takes the line in progress, as received so far (nothing while a too-long line is being
    /// discarded): for a connection that turns out to speak another dialect, whose own framer
    /// reads these bytes again.
    pub fn take_pending(&mut self) -> Vec<u8> {
        if self.overflow { Vec::new() } else { std::mem::take(&mut self.line) }
    }

    /// Consumes `bytes`, appending every completed frame to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Frame>) {
        if !self.edit {
            // A run of content at a time rather than byte by byte: this is every IRC client's
            // path, and the reader's main cost per line.
            let mut rest = bytes;
            while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == 0) {
                self.keep_run(&rest[..end], out);
                let terminator = if rest[end] == 0 { Terminator::Nul } else { Terminator::Newline };
                self.end_line(terminator, out);
                rest = &rest[end + 1..];
            }
            self.keep_run(rest, out);
            return;
        }
        for &b in bytes {
            self.telnet = match (self.telnet, b) {
                (Telnet::Data, IAC) => Telnet::Command,
                (Telnet::Data, _) => {
                    self.data(b, out);
                    Telnet::Data
                }
                // IAC IAC is an escaped 255 data byte (never valid UTF-8; it becomes U+FFFD later).
                (Telnet::Command, IAC) => {
                    self.data(IAC, out);
                    Telnet::Data
                }
                (Telnet::Command, 251..=254) => Telnet::Option,
                (Telnet::Command, SB) => Telnet::Sub,
                (Telnet::Command, _) => Telnet::Data,
                (Telnet::Option, _) => Telnet::Data,
                (Telnet::Sub, IAC) => Telnet::SubCommand,
                (Telnet::Sub, _) => Telnet::Sub,
                (Telnet::SubCommand, SE) => Telnet::Data,
                (Telnet::SubCommand, _) => Telnet::Sub,
            };
        }
    }

    fn data(&mut self, b: u8, out: &mut Vec<Frame>) {
        match b {
            b'\n' => self.end_line(Terminator::Newline, out),
            0 => self.end_line(Terminator::Nul, out),
            b'\r' => {}
            BACKSPACE | DEL => {
                if !self.overflow {
                    // Remove one whole UTF-8 character: its continuation bytes, then its lead byte.
                    while let Some(last) = self.line.pop() {
                        if last & 0xc0 != 0x80 {
                            break;
                        }
                    }
                }
            }
            _ => self.keep(b, out),
        }
    }

    /// Adds a content byte, or starts discarding when the line passes the limit.
    fn keep(&mut self, b: u8, out: &mut Vec<Frame>) {
        if self.overflow {
            return;
        }
        self.line.push(b);
        if self.line.len() > self.max_line {
            self.overflow = true;
            self.line = Vec::new();
            out.push(Frame::TooLong);
        }
    }

    /// `keep` for every byte of `run` but carriage returns, which are dropped wherever they are.
    fn keep_run(&mut self, run: &[u8], out: &mut Vec<Frame>) {
        if self.overflow || run.is_empty() {
            return;
        }
        self.line.reserve(run.len());
        self.line.extend(run.iter().copied().filter(|&b| b != b'\r'));
        if self.line.len() > self.max_line {
            self.overflow = true;
            self.line = Vec::new();
            out.push(Frame::TooLong);
        }
    }

    fn end_line(&mut self, terminator: Terminator, out: &mut Vec<Frame>) {
        if self.overflow {
            self.overflow = false;
        } else if !self.line.is_empty() {
            out.push(Frame::Line { bytes: std::mem::take(&mut self.line), terminator });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        out
    }

    fn line(s: &[u8], terminator: Terminator) -> Frame {
        Frame::Line { bytes: s.to_vec(), terminator }
    }

    #[test]
    fn lf_crlf_and_nul_all_end_lines() {
        assert_eq!(
            frames(100, &[b"a\nb\r\nc\0"]),
            vec![line(b"a", Terminator::Newline), line(b"b", Terminator::Newline), line(b"c", Terminator::Nul)]
        );
    }

    #[test]
    fn line_split_across_reads_is_joined() {
        assert_eq!(frames(100, &[b"hel", b"lo wo", b"rld\r", b"\n"]), vec![line(b"hello world", Terminator::Newline)]);
    }

    #[test]
    fn unterminated_tail_waits_for_more() {
        assert_eq!(frames(100, &[b"one\ntw"]), vec![line(b"one", Terminator::Newline)]);
    }

    #[test]
    fn empty_lines_are_skipped() {
        assert_eq!(frames(100, &[b"\n\r\n\0\nx\n"]), vec![line(b"x", Terminator::Newline)]);
    }

    #[test]
    fn overlong_line_reported_once_then_discarded_to_its_end() {
        let long = vec![b'x'; 25];
        assert_eq!(frames(10, &[&long, &long, b"\nok\n"]), vec![Frame::TooLong, line(b"ok", Terminator::Newline)]);
    }

    #[test]
    fn line_of_exactly_the_limit_passes() {
        assert_eq!(frames(3, &[b"abc\nabcd\n"]), vec![line(b"abc", Terminator::Newline), Frame::TooLong]);
    }

    #[test]
    fn backspace_and_del_erase_whole_characters() {
        assert_eq!(frames(100, &[b"helo\x08lo\n"]), vec![line(b"hello", Terminator::Newline)]);
        assert_eq!(frames(100, &["caf\u{e9}\x7fe\n".as_bytes()]), vec![line(b"cafe", Terminator::Newline)]);
        assert_eq!(frames(100, &[b"\x08\x08a\n"]), vec![line(b"a", Terminator::Newline)]);
    }

    #[test]
    fn telnet_negotiation_is_dropped() {
        // IAC DO ECHO, IAC WILL SGA, IAC SB NAWS 0 80 0 24 IAC SE, IAC NOP, then text.
        let input: &[u8] =
            &[255, 253, 1, 255, 251, 3, 255, 250, 31, 0, 80, 0, 24, 255, 240, 255, 241, b'h', b'i', b'\n'];
        assert_eq!(frames(100, &[input]), vec![line(b"hi", Terminator::Newline)]);
    }

    #[test]
    fn telnet_sequence_split_across_reads() {
        assert_eq!(frames(100, &[&[b'a', 255], &[253], &[1, b'b', b'\n']]), vec![line(b"ab", Terminator::Newline)]);
    }

    #[test]
    fn escaped_iac_is_a_data_byte() {
        assert_eq!(frames(100, &[&[b'a', 255, 255, b'\n']]), vec![line(&[b'a', 255], Terminator::Newline)]);
    }

    #[test]
    fn raw_framer_frames_like_the_editing_one_at_every_split() {
        // The raw framer takes runs of bytes at a time; without telnet or backspace bytes it must
        // agree with the byte-at-a-time editing framer wherever the reads split the input.
        let input: &[u8] = b"PRIVMSG #a :hi\r\n\r\nNICK\rx\0\nPING 12345678901\r\nPONG :a\r\ntail";
        let mut expected = Vec::new();
        Framer::new(12).push(input, &mut expected);
        assert!(expected.contains(&Frame::TooLong));
        for first in 0..=input.len() {
            for second in first..=input.len() {
                let mut framer = Framer::raw(12);
                let mut out = Vec::new();
                for chunk in [&input[..first], &input[first..second], &input[second..]] {
                    framer.push(chunk, &mut out);
                }
                assert_eq!(out, expected, "split at {first} and {second}");
            }
        }
    }

    #[test]
    fn raw_framer_keeps_backspace_and_0xff_as_data() {
        let mut framer = Framer::raw(100);
        let mut out = Vec::new();
        framer.push(&[b'a', 8, 255, 253, 1, b'\r', b'\n'], &mut out);
        assert_eq!(out, vec![line(&[b'a', 8, 255, 253, 1], Terminator::Newline)]);
    }

    #[test]
    fn take_pending_hands_over_the_line_in_progress() {
        let mut framer = Framer::new(100);
        let mut out = Vec::new();
        framer.push(b"CAP LS 302\nNICK al", &mut out);
        assert_eq!(out, vec![line(b"CAP LS 302", Terminator::Newline)]);
        assert_eq!(framer.take_pending(), b"NICK al");
        assert_eq!(framer.take_pending(), b"");
        // Nothing of a line being discarded.
        let mut framer = Framer::new(4);
        framer.push(b"0123456", &mut out);
        assert_eq!(framer.take_pending(), b"");
    }

    #[test]
    fn invalid_utf8_passes_through_as_bytes() {
        assert_eq!(frames(100, &[&[0xc3, 0x28, b'\n']]), vec![line(&[0xc3, 0x28], Terminator::Newline)]);
    }
}

//! The framer (`chatd::framing`): bytes from a socket to lines.
//!
//! Input: one control byte (bit 0: raw framer as for IRC, else the editing one for netcat;
//! bits 1-3: the line limit from `LIMITS`), one byte seeding the read sizes, then the bytes a
//! peer sends.
//!
//! Checks: the frames do not depend on how reads split the input (one read, one byte per read,
//! reads of varying sizes); every line is non-empty, within the limit, and holds no terminator
//! or CR; the raw framer gives exactly what a plain split on LF and NUL gives; and on input
//! without telnet or backspace bytes both framers agree.
#![no_main]

use chatd::framing::{Frame, Framer, Terminator};
use libfuzzer_sys::fuzz_target;

/// Line limits to frame with: tiny ones make overlong lines common, 4608 is IRC's (512 + tags).
const LIMITS: [usize; 8] = [1, 2, 3, 7, 16, 64, 510, 4608];

fn new_framer(raw: bool, max_line: usize) -> Framer {
    if raw { Framer::raw(max_line) } else { Framer::new(max_line) }
}

/// Frames `input` pushed in reads of the given sizes (cycled; 0 is taken as 1).
fn frames(raw: bool, max_line: usize, input: &[u8], sizes: &mut dyn Iterator<Item = usize>) -> Vec<Frame> {
    let mut framer = new_framer(raw, max_line);
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let size = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, after) = rest.split_at(size);
        framer.push(chunk, &mut out);
        rest = after;
    }
    // An empty read changes nothing.
    let before = out.len();
    framer.push(&[], &mut out);
    assert_eq!(out.len(), before, "an empty read produced frames");
    out
}

/// What the raw framer must produce: split at LF and NUL, drop CR, skip empty lines, report a
/// line past the limit once (also when its terminator has not arrived yet).
fn reference_raw(max_line: usize, input: &[u8]) -> Vec<Frame> {
    let mut expected = Vec::new();
    let mut rest = input;
    loop {
        let end = rest.iter().position(|&b| b == b'\n' || b == 0);
        let segment = &rest[..end.unwrap_or(rest.len())];
        let line: Vec<u8> = segment.iter().copied().filter(|&b| b != b'\r').collect();
        if line.len() > max_line {
            expected.push(Frame::TooLong);
        } else if let Some(end) = end
            && !line.is_empty()
        {
            let terminator = if rest[end] == 0 { Terminator::Nul } else { Terminator::Newline };
            expected.push(Frame::Line { bytes: line, terminator });
        }
        match end {
            Some(end) => rest = &rest[end + 1..],
            None => return expected,
        }
    }
}

/// A small deterministic generator of read sizes from one seed byte.
fn read_sizes(seed: u8) -> impl Iterator<Item = usize> {
    let mut state = u32::from(seed) | 0x100;
    std::iter::from_fn(move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        Some((state % 97) as usize + 1)
    })
}

fuzz_target!(|data: &[u8]| {
    let [control, seed, input @ ..] = data else { return };
    let raw = control & 1 == 1;
    let max_line = LIMITS[usize::from(control >> 1) % LIMITS.len()];

    let whole = frames(raw, max_line, input, &mut std::iter::empty());
    let bytewise = frames(raw, max_line, input, &mut std::iter::repeat(1));
    let varied = frames(raw, max_line, input, &mut read_sizes(*seed));
    assert_eq!(whole, bytewise, "one read and one byte per read differ");
    assert_eq!(whole, varied, "one read and reads of varied sizes differ");

    for frame in &whole {
        if let Frame::Line { bytes, .. } = frame {
            assert!(!bytes.is_empty(), "empty line framed");
            assert!(bytes.len() <= max_line, "line of {} bytes passed the limit {max_line}", bytes.len());
            assert!(!bytes.iter().any(|&b| matches!(b, b'\n' | b'\r' | 0)), "terminator or CR in {bytes:?}");
            if !raw {
                // Backspace and DEL are edits, never content, for a person typing.
                assert!(!bytes.iter().any(|&b| matches!(b, 0x08 | 0x7f)), "edit byte kept in {bytes:?}");
            }
        }
    }

    if raw {
        assert_eq!(whole, reference_raw(max_line, input), "raw framer differs from a plain split");
    } else if !input.iter().any(|&b| matches!(b, 0x08 | 0x7f | 0xff)) {
        let raw_frames = frames(true, max_line, input, &mut std::iter::empty());
        assert_eq!(whole, raw_frames, "editing and raw framers differ on plain input");
    }
});

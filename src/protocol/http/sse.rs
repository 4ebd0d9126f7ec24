//! Server-Sent Events, as the WHATWG HTML standard ("Server-sent events", 9.2) defines the
//! `text/event-stream` format: the response head that opens a stream, events with an `id:` (so
//! a reconnecting browser says where it stopped, in `Last-Event-ID`), and the comment lines
//! that keep proxies from closing an idle stream.
//!
//! Pure text formatting; what goes in an event (JSON of a chat reply) is the web face's.

use super::StatusCode;
use super::response::{push_field, status_line_and_date};
use crate::protocol::Millis;
use std::fmt::Write as _;

/// How often an idle stream gets `KEEP_ALIVE`: under the 30 to 60 s after which common proxies
/// and load balancers drop a silent connection.
pub const KEEP_ALIVE_SECS: u64 = 15;

/// A comment line (ignored by `EventSource`) that keeps an idle stream's connection busy.
pub const KEEP_ALIVE: &str = ": keep-alive\n\n";

/// The head of an event stream. The stream has no length: it ends when the connection closes,
/// so the head says `Connection: close` (RFC 9112 6.3, item 8). `X-Accel-Buffering: no` tells
/// nginx not to hold events back.
pub fn stream_head(now: Millis) -> Vec<u8> {
    let mut out = status_line_and_date(StatusCode::OK, now);
    push_field(&mut out, "Content-Type", "text/event-stream");
    push_field(&mut out, "Cache-Control", "no-store");
    push_field(&mut out, "X-Content-Type-Options", "nosniff");
    push_field(&mut out, "X-Accel-Buffering", "no");
    push_field(&mut out, "Connection", "close");
    out.extend_from_slice(b"\r\n");
    out
}

/// One event: `id:`, an `event:` line when `name` is given (else the browser's `message`
/// event fires), one `data:` line per line of `data`, and the blank line that dispatches it.
pub fn event(id: u64, name: Option<&str>, data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 32);
    write_event(&mut out, id, name, data);
    out
}

/// `event`, appended to `out` (to batch several events into one write).
pub fn write_event(out: &mut String, id: u64, name: Option<&str>, data: &str) {
    let _ = writeln!(out, "id: {id}");
    if let Some(name) = name {
        // A line break in the name would end the field; the name is chatd's own, but the
        // stream must stay well-formed whatever it is given.
        out.push_str("event: ");
        out.extend(name.chars().filter(|c| !matches!(c, '\r' | '\n')));
        out.push('\n');
    }
    // The browser ends a line at CR LF, LF or CR and joins `data:` lines with LF, so every
    // line of `data` is its own field, empty ones too: the text arrives as sent, with any CR
    // or CR LF read as LF.
    for line in lines(data) {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
}

/// `retry:`, the reconnection delay the browser uses after the stream drops.
pub fn retry(millis: u64) -> String {
    format!("retry: {millis}\n\n")
}

/// Splits on CR LF, LF and CR, keeping empty lines (a final empty one too: `"a\n"` is `a`, ``).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            Some(at) => {
                let after = if current.get(at..at + 2) == Some("\r\n") { at + 2 } else { at + 1 };
                rest = current.get(after..);
                current.get(..at)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an `EventSource` makes of a stream (the WHATWG "interpret the stream" steps, for
    /// the fields chatd writes): (id, event type, data) per dispatched event.
    fn interpret(stream: &str) -> Vec<(String, String, String)> {
        let mut events = Vec::new();
        let (mut id, mut kind, mut data) = (String::new(), String::new(), String::new());
        for line in lines(stream) {
            if line.is_empty() {
                if !data.is_empty() {
                    data.pop();
                    let kind = if kind.is_empty() { "message".to_owned() } else { std::mem::take(&mut kind) };
                    events.push((id.clone(), kind, std::mem::take(&mut data)));
                }
                kind.clear();
                data.clear();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => id = value.to_owned(),
                "event" => kind = value.to_owned(),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                _ => {}
            }
        }
        events
    }

    #[test]
    fn events_carry_id_name_and_data() {
        assert_eq!(event(7, None, "hello"), "id: 7\ndata: hello\n\n");
        assert_eq!(event(8, Some("said"), "{\"a\":1}"), "id: 8\nevent: said\ndata: {\"a\":1}\n\n");
    }

    #[test]
    fn data_is_split_on_every_line_ending() {
        assert_eq!(event(1, None, "a\nb\r\nc\rd"), "id: 1\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
        assert_eq!(event(1, None, ""), "id: 1\ndata: \n\n");
        assert_eq!(event(1, None, "a\n"), "id: 1\ndata: a\ndata: \n\n");
        assert_eq!(event(1, None, "\r\n\r"), "id: 1\ndata: \ndata: \ndata: \n\n");
    }

    #[test]
    fn browsers_read_back_what_was_sent() {
        let texts = ["hello", "two\nlines", "trailing\n", "\nleading", " spaced ", "a\r\nb", "x\ry", ": not a comment"];
        let mut stream = String::from(KEEP_ALIVE);
        for (id, text) in texts.iter().enumerate() {
            write_event(&mut stream, id as u64, (id % 2 == 0).then_some("said"), text);
            stream.push_str(KEEP_ALIVE);
        }
        let events = interpret(&stream);
        assert_eq!(events.len(), texts.len());
        for (id, ((got_id, kind, data), text)) in events.iter().zip(texts).enumerate() {
            assert_eq!(got_id, &id.to_string());
            assert_eq!(kind, if id % 2 == 0 { "said" } else { "message" });
            assert_eq!(data, &text.replace("\r\n", "\n").replace('\r', "\n"));
        }
    }

    #[test]
    fn a_name_cannot_break_the_stream() {
        assert_eq!(event(1, Some("evil\ndata: x\r"), "y"), "id: 1\nevent: evildata: x\ndata: y\n\n");
    }

    #[test]
    fn the_stream_head_has_no_length_and_closes() {
        let head = String::from_utf8(stream_head(784_111_777_000)).unwrap();
        assert_eq!(
            head,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/event-stream\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Accel-Buffering: no\r\n\
             Connection: close\r\n\r\n"
        );
        assert_eq!(retry(3000), "retry: 3000\n\n");
    }
}

//! A client that keeps the raw bytes it receives, for checking terminators (LF, CR LF, NUL),
//! exact encodings and the 512-byte IRC line limit on the wire. Every read has a deadline.

use super::{LogLines, Server, TIMEOUT};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

pub struct Raw {
    stream: TcpStream,
    buffer: Vec<u8>,
    log: Arc<LogLines>,
}

impl Raw {
    /// Connects with Nagle off, so that each `send` leaves as its own segment.
    pub fn connect(server: &Server) -> Raw {
        let stream = TcpStream::connect(server.addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw { stream, buffer: Vec::new(), log: Arc::clone(&server.log) }
    }

    /// Sends `bytes` exactly as given.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends one IRC line, CR LF terminated.
    pub fn send_line(&mut self, line: &str) {
        self.send(format!("{line}\r\n").as_bytes());
    }

    /// Reads until `needle` has arrived; returns every byte up to and including it.
    pub fn until(&mut self, needle: &[u8]) -> Vec<u8> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(at) = self.buffer.windows(needle.len()).position(|w| w == needle) {
                return self.buffer.drain(..at + needle.len()).collect();
            }
            let what = format!("{:?}", String::from_utf8_lossy(needle));
            self.read_more(deadline, &what, &[]);
        }
    }

    /// Reads until a whole line (ended by `\n`) containing `needle` has arrived; returns every
    /// whole line up to and including it, terminators kept.
    pub fn lines_until(&mut self, needle: &str) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + TIMEOUT;
        let mut lines = Vec::new();
        loop {
            while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let found = String::from_utf8_lossy(&line).contains(needle);
                lines.push(line);
                if found {
                    return lines;
                }
            }
            self.read_more(deadline, &format!("a line with {needle:?}"), &lines);
        }
    }

    /// One read into the buffer; fails the test on the deadline, EOF or an error.
    fn read_more(&mut self, deadline: Instant, what: &str, lines: &[Vec<u8>]) {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            self.fail(&format!("no {what} within {TIMEOUT:?}"), lines)
        };
        self.stream.set_read_timeout(Some(left)).unwrap();
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(0) => self.fail(&format!("closed while waiting for {what}"), lines),
            Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => self.fail(&format!("read failed: {e}"), lines),
        }
    }

    fn fail(&self, what: &str, lines: &[Vec<u8>]) -> ! {
        let lines: Vec<String> = lines.iter().map(|l| format!("{:?}", String::from_utf8_lossy(l))).collect();
        panic!(
            "{what}\n--- whole lines read:\n{}\n--- unread bytes: {:?}\n--- server log:\n{}",
            lines.join("\n"),
            self.buffer,
            self.log.text()
        )
    }
}

/// Every raw line must end in CR LF and be at most 512 bytes with it (RFC 2812 2.3).
pub fn assert_wire_lines(lines: &[Vec<u8>]) {
    for line in lines {
        let text = String::from_utf8_lossy(line);
        assert!(line.ends_with(b"\r\n"), "line not ended by CR LF: {text:?}");
        assert!(line.len() <= 512, "{} bytes on the wire (limit 512): {text:?}", line.len());
        assert!(!line[..line.len() - 2].contains(&b'\r'), "stray CR inside {text:?}");
    }
}

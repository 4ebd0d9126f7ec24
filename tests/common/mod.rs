//! Test harness: start the real chatd binary on 127.0.0.1:0 and talk to it over TCP.
//!
//! The server logs to stderr (or to a file in a fresh temp directory); its port comes from the
//! exact `start ... listen=ADDR` log line. Waiting is always on a line or a log event, with a
//! deadline; failures print what was received and the server's log.

#![allow(dead_code)]

pub mod irc;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single expectation may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Log lines seen so far, with a condition variable signalled on each new line.
#[derive(Default)]
pub struct LogLines {
    lines: Mutex<Vec<String>>,
    added: Condvar,
}

impl LogLines {
    pub fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
        self.added.notify_all();
    }

    pub fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits for a line containing every one of `needles`; returns it.
    pub fn wait_for(&self, needles: &[&str], timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = self.lines.lock().unwrap();
        loop {
            if let Some(line) = lines.iter().find(|l| needles.iter().all(|n| l.contains(n))) {
                return Some(line.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = self.added.wait_timeout(lines, left).unwrap().0;
        }
    }
}

/// A running chatd; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: Arc<LogLines>,
    /// A temp directory for this server (log files and the like); removed on drop.
    pub dir: PathBuf,
    /// Set when the log goes to a file rather than stderr.
    pub log_file: Option<PathBuf>,
}

pub fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("chatd-test-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_chatd")
}

impl Server {
    /// Starts chatd on 127.0.0.1:0 with `args` added, logging to stderr.
    pub fn start(args: &[&str]) -> Server {
        Self::launch(args, false)
    }

    /// Starts chatd logging to `chatd.log` in the server's temp directory.
    pub fn start_with_log_file(args: &[&str]) -> Server {
        Self::launch(args, true)
    }

    fn launch(args: &[&str], to_file: bool) -> Server {
        let dir = temp_dir("server");
        let log_file = to_file.then(|| dir.join("chatd.log"));
        let mut command = Command::new(binary());
        command.args(["--listen", "127.0.0.1:0"]).args(args);
        if let Some(path) = &log_file {
            command.arg("--log-file").arg(path);
        }
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let log = Arc::new(LogLines::default());
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        thread::spawn(move || forward_lines(stderr, &sink));
        if let Some(path) = &log_file {
            let path = path.clone();
            let sink = Arc::clone(&log);
            thread::spawn(move || follow_file(&path, &sink));
        }
        let start = log
            .wait_for(&[" INFO start "], TIMEOUT)
            .unwrap_or_else(|| panic!("chatd did not start; log:\n{}", log.text()));
        let addr = start
            .split(' ')
            .find_map(|field| field.strip_prefix("listen="))
            .and_then(|list| list.split(',').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no listen= address in {start:?}"));
        Server { child, addr, log, dir, log_file }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a log line containing all of `needles`.
    pub fn expect_log(&self, needles: &[&str]) -> String {
        self.log
            .wait_for(needles, TIMEOUT)
            .unwrap_or_else(|| panic!("no log line with {needles:?} within {TIMEOUT:?}; log:\n{}", self.log.text()))
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr, Arc::clone(&self.log))
    }

    /// Connects and registers `nick`, returning once the default room is joined.
    pub fn register(&self, nick: &str) -> Client {
        let mut client = self.connect();
        client.expect("Choose a nickname");
        client.send(nick);
        client.expect("You joined");
        client
    }

    /// Sends a signal with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status().unwrap();
        assert!(status.success());
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            // A child process has no readable event to wait on without blocking forever.
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn forward_lines(mut source: impl Read, sink: &LogLines) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = source.read(&mut buf) {
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            sink.push(String::from_utf8_lossy(&line[..end]).into_owned());
        }
    }
}

/// Tails a log file (a file has no readable event, so this polls), following it by path.
fn follow_file(path: &Path, sink: &LogLines) {
    use std::os::unix::fs::MetadataExt;
    let mut seen = 0usize;
    let mut inode = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        let current = std::fs::metadata(path).ok().map(|m| m.ino());
        if current != inode {
            // Rotated (or created): the path now names a new file; read it from the start.
            inode = current;
            seen = 0;
        }
        if let Ok(text) = std::fs::read_to_string(path) {
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() > seen {
                for line in &lines[seen..] {
                    sink.push(line.to_string());
                }
                seen = lines.len();
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A line-oriented test client.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
    /// Every line received so far, for failure messages.
    pub received: Vec<String>,
    log: Arc<LogLines>,
    closed: bool,
}

impl Client {
    pub fn connect(addr: SocketAddr, log: Arc<LogLines>) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        Client { stream, buffer: Vec::new(), received: Vec::new(), log, closed: false }
    }

    /// Sends `line` followed by `\n`.
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Reads the next line (ended by `\n` or `\0`; a `\r` before `\n` is removed) before `deadline`.
    /// `Ok(None)` when the server closed the connection.
    pub fn next_line(&mut self, deadline: Instant) -> io::Result<Option<String>> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n' || b == 0) {
                let raw: Vec<u8> = self.buffer.drain(..=end).collect();
                let mut text = &raw[..end];
                if text.last() == Some(&b'\r') {
                    text = &text[..text.len() - 1];
                }
                let line = String::from_utf8_lossy(text).into_owned();
                self.received.push(line.clone());
                return Ok(Some(line));
            }
            if self.closed {
                return Ok(None);
            }
            let left = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero());
            let Some(left) = left else { return Err(io::Error::from(io::ErrorKind::TimedOut)) };
            self.stream.set_read_timeout(Some(left))?;
            let mut buf = [0u8; 8192];
            match self.stream.read(&mut buf) {
                Ok(0) => self.closed = true,
                Ok(n) => self.buffer.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => self.closed = true,
                Err(e) => return Err(e),
            }
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- lines received by this client:\n{}\n--- server log:\n{}",
            self.received.join("\n"),
            self.log.text()
        )
    }

    /// Reads lines until one contains `needle`; returns it. Fails after `TIMEOUT`.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next_line(deadline) {
                Ok(Some(line)) if line.contains(needle) => return line,
                Ok(Some(_)) => {}
                Ok(None) => self.fail(&format!("connection closed while waiting for {needle:?}")),
                Err(e) => self.fail(&format!("no line containing {needle:?} within {TIMEOUT:?} ({e})")),
            }
        }
    }

    /// The very next line must contain `needle`.
    pub fn expect_next(&mut self, needle: &str) -> String {
        match self.next_line(Instant::now() + TIMEOUT) {
            Ok(Some(line)) if line.contains(needle) => line,
            Ok(Some(line)) => self.fail(&format!("expected a line containing {needle:?}, got {line:?}")),
            Ok(None) => self.fail(&format!("connection closed while waiting for {needle:?}")),
            Err(e) => self.fail(&format!("no line containing {needle:?} within {TIMEOUT:?} ({e})")),
        }
    }

    /// Asserts that no line arrives within `wait` (the one place a bounded wait is the point).
    pub fn expect_silence(&mut self, wait: Duration) {
        match self.next_line(Instant::now() + wait) {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
            Ok(Some(line)) => self.fail(&format!("expected silence, got {line:?}")),
            Ok(None) => self.fail("expected silence, but the connection closed"),
            Err(e) => self.fail(&format!("expected silence, got an error: {e}")),
        }
    }

    /// Reads until the server closes the connection; returns the lines read meanwhile.
    pub fn expect_closed(&mut self) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        let mut lines = Vec::new();
        loop {
            match self.next_line(deadline) {
                Ok(Some(line)) => lines.push(line),
                Ok(None) => return lines,
                Err(e) => self.fail(&format!("connection not closed within {TIMEOUT:?} ({e})")),
            }
        }
    }
}

// Netcat lines, for every test file that talks to netcat users.

/// Checks that `line` starts with a plausible `[HH:MM] ` clock and returns the rest.
pub fn after_clock(line: &str) -> &str {
    let b = line.as_bytes();
    let well_formed = b.len() >= 8
        && b[0] == b'['
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit)
        && b[6] == b']'
        && b[7] == b' ';
    assert!(well_formed, "no [HH:MM] clock at the start of {line:?}");
    let hours: u32 = line[1..3].parse().unwrap();
    let minutes: u32 = line[4..6].parse().unwrap();
    assert!(hours < 24 && minutes < 60, "impossible clock in {line:?}");
    &line[8..]
}

/// The very next line must be `[HH:MM] ` followed by exactly `text`.
pub fn expect_said(client: &mut Client, text: &str) -> String {
    let line = client.expect_next(text);
    assert_eq!(after_clock(&line), text, "whole line: {line:?}");
    line
}

/// A netcat round trip: `/help me` is answered with one known line, after everything before it.
pub fn netcat_settle(client: &mut Client) {
    client.send("/help me");
    let line = client.expect_next("-- /me ACTION");
    assert_eq!(line, "-- /me ACTION: describe an action in the current room");
}

//! Test harness: start the real chatd binary on 127.0.0.1:0 and talk to it over TCP.
//!
//! The server logs to stderr (or to a file in a fresh temp directory); its port comes from the
//! exact `start ... listen=ADDR` log line. Waiting is always on a line or a log event, with a
//! deadline; failures print what was received and the server's log. "Nothing else arrived" is
//! never a quiet window (which passes falsely on a slow machine) but a round trip whose answer
//! must be the very next line: `Client::expect_nothing_before_round_trip`.
//!
//! Each test binary (a file in tests/, or a directory with main.rs and one module per topic)
//! includes this module; its helpers live by subject: `irc` and `netcat` (each dialect's
//! registration and exact lines), `raw` (bytes on the wire), `time` (clocks and timestamps),
//! `log` (parsing operator log lines), `process` (runs of chatd that end by themselves), and for
//! the web face `http` (requests and answers on raw TCP, Server-Sent Events), `json` (reading
//! what it sends) and `web` (a browser's session: login, posts, the event stream, long-polls).

#![allow(dead_code)]

pub mod http;
pub mod irc;
pub mod json;
pub mod log;
pub mod netcat;
pub mod process;
pub mod raw;
pub mod time;
pub mod web;

#[allow(unused_imports)] // each test binary uses its own few helpers
pub use netcat::{after_clock, expect_said, netcat_settle};

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

    /// How many lines so far contain every one of `needles`.
    pub fn count(&self, needles: &[&str]) -> usize {
        self.lines.lock().unwrap().iter().filter(|l| needles.iter().all(|n| l.contains(n))).count()
    }

    /// Waits until more than `seen` lines contain every one of `needles`; true if they do.
    pub fn wait_for_more(&self, needles: &[&str], seen: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut lines = self.lines.lock().unwrap();
        loop {
            if lines.iter().filter(|l| needles.iter().all(|n| l.contains(n))).count() > seen {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            lines = self.added.wait_timeout(lines, left).unwrap().0;
        }
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
        let mut command = Command::new(binary());
        command.args(["--listen", "127.0.0.1:0"]).args(args);
        Self::spawn(command, to_file)
    }

    /// Starts `command`, which runs chatd (perhaps through a wrapper such as prlimit, or with
    /// its own environment) and already names where it listens.
    pub fn start_command(command: Command) -> Server {
        Self::spawn(command, false)
    }

    fn spawn(mut command: Command, to_file: bool) -> Server {
        let dir = temp_dir("server");
        let log_file = to_file.then(|| dir.join("chatd.log"));
        if let Some(path) = &log_file {
            command.arg("--log-file").arg(path);
        }
        // Run in the server's own directory, so that its account database (the default state dir,
        // `chatd-state`, is relative) is its own and not shared with other tests.
        let mut child = command
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
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
        let addr = self::log::listen_addr(&start);
        Server { child, addr, log, dir, log_file }
    }

    /// Fails the test if chatd has exited.
    pub fn assert_running(&mut self) {
        let status = self.child.try_wait().unwrap();
        assert!(status.is_none(), "chatd exited ({status:?}); log:\n{}", self.log.text());
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

    /// An operator creates the account `name` with `chatd account add` (the password on standard
    /// input) while the server runs; returns once the server has read it.
    pub fn add_account(&self, name: &str, password: &str) {
        let reloaded = ["accounts_reloaded", "added=1"];
        let seen = self.log.count(&reloaded);
        let mut child = Command::new(binary())
            .args(["account", "add", name, "--state-dir"])
            .arg(self.dir.join("chatd-state"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let read = self.log.wait_for_more(&reloaded, seen, TIMEOUT);
        assert!(read, "chatd never read the account {name}; log:\n{}", self.log.text());
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
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
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

/// Which dialect a test client speaks: it decides the round trip that proves nothing else
/// arrived (see `Client::expect_nothing_before_round_trip`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Netcat,
    /// IRC to a server named `irc.test` (as `irc::start` starts it).
    Irc,
}

/// A line-oriented test client.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
    /// Every line received so far, for failure messages.
    pub received: Vec<String>,
    log: Arc<LogLines>,
    closed: bool,
    /// Netcat unless an IRC helper registered this client.
    pub dialect: Dialect,
}

impl Client {
    pub fn connect(addr: SocketAddr, log: Arc<LogLines>) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        Client { stream, buffer: Vec::new(), received: Vec::new(), log, closed: false, dialect: Dialect::Netcat }
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
                // A signal (the test harness's threads get some) interrupts the read: read again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
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

    /// Asserts that nothing was sent to this client before a round trip made now: a request
    /// whose one known answer must be the very next line (netcat: `/help me`; IRC: a PING and
    /// its PONG). The server handles one client's lines in order and queues its output in order,
    /// so anything queued for this client before the request was handled arrives before the
    /// answer, however slow the machine. What the check covers is what the server handled before
    /// this request: a line sent by another client counts once a reply to it (or to a later
    /// line from that client) has been seen.
    pub fn expect_nothing_before_round_trip(&mut self) {
        let (request, answer) = match self.dialect {
            Dialect::Netcat => ("/help me\n", "-- /me ACTION: describe an action in the current room"),
            Dialect::Irc => ("PING :nothing-else\r\n", ":irc.test PONG irc.test nothing-else"),
        };
        self.send_raw(request.as_bytes());
        let request = request.trim_end();
        match self.next_line(Instant::now() + TIMEOUT) {
            Ok(Some(line)) if line == answer => {}
            Ok(Some(line)) => self.fail(&format!("expected nothing before the answer to {request:?}, got {line:?}")),
            Ok(None) => self.fail(&format!("connection closed before the answer to {request:?}")),
            Err(e) => self.fail(&format!("no answer to {request:?} within {TIMEOUT:?} ({e})")),
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

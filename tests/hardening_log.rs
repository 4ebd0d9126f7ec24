mod common;

// Hardening of the operator log (issue 10, items 1 and 5): a stderr that is broken or blocked
// must neither kill nor stall chatd, and a flood of refused connections must not flood the log.
//
// These tests start chatd themselves, with stderr on a pipe they control: read until the `start`
// line (which names the port), then closed, left unread, or forwarded line by line. Every wait is
// on a line, a log line or process exit, with a deadline.

use common::log::{listen_addr, log_field};
use common::{Client, LogLines, TIMEOUT};
use crossbeam_channel::Receiver;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A running chatd whose stderr the test holds; killed when dropped.
struct Chatd {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Chatd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chatd {
    /// Starts chatd on 127.0.0.1:0 with `args` added; returns it with its stderr, read up to and
    /// including the `start` line.
    fn start(args: &[&str]) -> (Chatd, BufReader<ChildStderr>) {
        // In a directory of its own: the account database goes in `chatd-state` there.
        let mut child = Command::new(common::binary())
            .current_dir(common::temp_dir("cwd"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        // Read on another thread so that a chatd that never logs cannot hang the test.
        let (found, start) = crossbeam_channel::bounded(1);
        thread::spawn(move || {
            let mut line = String::new();
            loop {
                line.clear();
                match stderr.read_line(&mut line) {
                    Ok(n) if n > 0 && !line.contains(" INFO start ") => continue,
                    Ok(n) if n > 0 => return found.send(Ok((line, stderr))),
                    _ => return found.send(Err(line)),
                }
            }
        });
        let (line, stderr) = match start.recv_timeout(TIMEOUT) {
            Ok(Ok(started)) => started,
            Ok(Err(last)) => panic!("chatd ended its log before the start line; last: {last:?}"),
            Err(_) => panic!("no start line within {TIMEOUT:?}"),
        };
        let addr = listen_addr(&line);
        (Chatd { child, addr }, stderr)
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "chatd still running {limit:?} after SIGTERM");
            // A child process has no readable event to wait on: poll its exit status.
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// A netcat user `nick`, registered and in the default room.
    fn register(&self, nick: &str) -> Client {
        // The log is not forwarded to the client's failure messages: there is none to show.
        let mut client = Client::connect(self.addr, Arc::new(LogLines::default()));
        client.expect("Choose a nickname");
        client.send(nick);
        client.expect("You joined");
        client
    }
}

/// Forwards the rest of chatd's stderr, line by line, until it closes.
fn forward(mut stderr: BufReader<ChildStderr>) -> Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    thread::spawn(move || {
        let mut line = String::new();
        while matches!(stderr.read_line(&mut line), Ok(n) if n > 0) {
            if tx.send(std::mem::take(&mut line)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Two new users see each other's messages, each within `TIMEOUT`.
fn chat_works(chatd: &Chatd, one: &str, two: &str) {
    let mut first = chatd.register(one);
    let mut second = chatd.register(two);
    first.send(&format!("hello {two}"));
    second.expect(&format!("<{one}> hello {two}"));
    second.send(&format!("hi {one}"));
    first.expect(&format!("<{two}> hi {one}"));
}

#[test]
fn a_closed_stderr_neither_kills_nor_silences_chatd() {
    let (mut chatd, stderr) = Chatd::start(&["--max-per-ip", "100"]);
    // The reader of the log goes away (`chatd 2>&1 | tee log` interrupted): every write now fails.
    drop(stderr);
    chat_works(&chatd, "alice", "bob");
    // Connections after a while still work (the acceptor logs each one).
    let mut clients: Vec<Client> =
        (0..20).map(|_| Client::connect(chatd.addr, Arc::new(LogLines::default()))).collect();
    for client in &mut clients {
        client.expect("Choose a nickname");
    }
    chat_works(&chatd, "carol", "dave");
    assert!(chatd.alive(), "chatd died with its stderr closed");
    let status = chatd.terminate(TIMEOUT);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// Bytes waiting in the pipe, and its capacity.
fn pipe_fill(stderr: &BufReader<ChildStderr>) -> (usize, usize) {
    let fd = stderr.get_ref().as_raw_fd();
    let mut queued: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer; F_GETPIPE_SZ takes no argument.
    let (read, size) = unsafe { (libc::ioctl(fd, libc::FIONREAD, &mut queued), libc::fcntl(fd, libc::F_GETPIPE_SZ)) };
    assert!(read == 0 && size > 0, "cannot look into the pipe");
    (queued as usize, size as usize)
}

/// Opens and closes a connection: chatd logs `connect` and `quit` (or `refused`).
fn churn(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

#[test]
fn a_blocked_stderr_does_not_stall_delivery() {
    let (mut chatd, stderr) = Chatd::start(&["--max-per-ip", "10000"]);
    // One page is the smallest a pipe can be: a few dozen lines fill it. (A full 64 KiB pipe
    // behaves the same, it only takes longer to fill.)
    // SAFETY: F_SETPIPE_SZ takes an int; the pipe is empty, so shrinking cannot fail for its contents.
    unsafe { libc::fcntl(stderr.get_ref().as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    // Nobody reads the log (`chatd | less`, paused): log until the pipe takes no more. Each
    // connection logs two lines of about 100 bytes. The pipe is full when what it holds stops
    // growing while lines keep coming — not necessarily at its nominal size: a pipe page that was
    // partly read before keeps its read part until it is emptied, so writes may block earlier.
    // "Stops growing" means for 200 more connections and a whole second with something in the
    // pipe: on a busy machine the log writer may not run for a while, and an empty pipe that has
    // not grown yet is not a full one.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut held, mut still, mut grew) = (pipe_fill(&stderr).0, 0, Instant::now());
    while !(still >= 200 && held > 0 && grew.elapsed() >= Duration::from_secs(1)) && churn(chatd.addr) {
        assert!(Instant::now() < deadline, "the pipe did not fill: {:?}", pipe_fill(&stderr));
        let now = pipe_fill(&stderr).0;
        if now > held {
            (held, still, grew) = (now, 0, Instant::now());
        } else {
            still += 1;
        }
    }
    // (A chatd that stopped accepting ended the loop early: the old behaviour, shown next.)

    let (blocked_at, _) = pipe_fill(&stderr);
    let started = Instant::now();
    chat_works(&chatd, "alice", "bob");
    assert!(started.elapsed() < TIMEOUT, "delivery took {:?}", started.elapsed());
    // Nothing more reached the pipe meanwhile: the log was blocked all along.
    assert_eq!(pipe_fill(&stderr).0, blocked_at, "the log was not blocked after all");
    assert!(chatd.alive());

    // A blocked log cannot hold up the exit for long either (the last lines wait a bounded time).
    let status = chatd.terminate(TIMEOUT);
    assert_eq!(status.code(), Some(0), "{status:?}");
    drop(stderr);
}

#[test]
fn a_flood_of_refusals_is_summarised_in_a_few_lines() {
    const FLOOD: u64 = 2000;
    let (chatd, stderr) = Chatd::start(&["--max-per-ip", "1", "--log-summary-interval", "1"]);
    let log = forward(stderr);
    // Hold the address's one slot.
    let _alice = chatd.register("alice");

    let started = Instant::now();
    for n in 0..FLOOD {
        let mut refused = TcpStream::connect(chatd.addr).unwrap();
        refused.set_read_timeout(Some(TIMEOUT)).unwrap();
        // Read to the close: chatd has handled this connection before the next one comes.
        let mut reply = String::new();
        let read = refused.read_to_string(&mut reply);
        assert!(read.is_ok() && reply.contains("too many connections"), "connection {n}: {read:?} {reply:?}");
    }
    let flood_secs = started.elapsed().as_secs();

    // Every refusal is accounted for, in its own line or in a count, within the interval and slack.
    let deadline = Instant::now() + Duration::from_secs(1) + TIMEOUT;
    let (mut lines, mut counted) = (Vec::new(), 0);
    while counted < FLOOD {
        let line = log.recv_deadline(deadline).unwrap_or_else(|_| {
            panic!("{counted} of {FLOOD} refusals accounted for in time; refusal lines:\n{}", lines.join(""))
        });
        if line.contains(" WARN refused ") {
            assert_eq!(log_field(&line, "reason"), Some("max-per-ip"), "{line}");
            counted += 1;
        } else if line.contains(" WARN refused_summary ") {
            assert_eq!(log_field(&line, "from"), Some("127.0.0.1"), "{line}");
            assert_eq!(log_field(&line, "interval"), Some("1s"), "{line}");
            counted += log_field(&line, "repeated").and_then(|n| n.parse::<u64>().ok()).expect("no repeated=N");
        } else {
            continue;
        }
        lines.push(line);
    }
    assert_eq!(counted, FLOOD, "refusal lines:\n{}", lines.join(""));
    // The first refusal in full, then one count per interval (give or take a tick at each end).
    assert!(lines[0].contains(" WARN refused "), "{}", lines.join(""));
    assert!(
        lines.len() as u64 <= flood_secs + 3,
        "{} lines for a {flood_secs} s flood:\n{}",
        lines.len(),
        lines.join("")
    );
}

#[test]
fn output_to_a_broken_pipe_is_no_panic() {
    // stdout or stderr whose reader is gone (`chatd --check | true`): chatd says what it would
    // and exits with its usual status, not the 101 of a panic.
    let cases: [(&[&str], bool, i32); 4] = [
        (&["--check", "--listen", "127.0.0.1:0"], true, 0),
        (&["--version"], true, 0),
        (&["--help"], true, 0),
        (&["--max-clients", "many"], false, 2),
    ];
    for (args, on_stdout, code) in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (stdout, stderr) = if on_stdout { (writer.into(), Stdio::null()) } else { (Stdio::null(), writer.into()) };
        let mut child = Command::new(common::binary())
            .current_dir(common::temp_dir("cwd"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("chatd {args:?} still running after {TIMEOUT:?}");
            }
            // A child process has no readable event to wait on: poll its exit status.
            thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(code), "chatd {args:?}: {status:?}");
    }
}

//! The listen backlog (issue 10, item 6): std listens with 128, which a burst of connects
//! overflows; chatd asks for the system's maximum.

mod common;

use common::{LogLines, TIMEOUT, binary, forward_lines};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;

/// A chatd started by this file's own command line (environment, a prlimit wrapper); killed on drop.
struct Chatd {
    child: Child,
    addr: SocketAddr,
    log: Arc<LogLines>,
}

impl Chatd {
    fn start(mut command: Command) -> Chatd {
        command.args(["--listen", "127.0.0.1:0", "--max-clients", "1000", "--max-per-ip", "1000"]);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        let log = Arc::new(LogLines::default());
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        thread::spawn(move || forward_lines(stderr, &sink));
        let start = log
            .wait_for(&[" INFO start "], TIMEOUT)
            .unwrap_or_else(|| panic!("chatd did not start; log:\n{}", log.text()));
        let addr = field(&start, "listen").parse().unwrap();
        Chatd { child, addr, log }
    }

    fn expect_log(&self, needles: &[&str]) -> String {
        self.log
            .wait_for(needles, TIMEOUT)
            .unwrap_or_else(|| panic!("no log line with {needles:?}; log:\n{}", self.log.text()))
    }
}

impl Drop for Chatd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `key=` in a log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key}=");
    line.split(' ').find_map(|f| f.strip_prefix(prefix.as_str())).unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "needs Linux (ss, /proc/sys/net/core/somaxconn)")]
fn the_listener_has_the_systems_longest_backlog() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn").unwrap().trim().parse().unwrap();
    let server = Chatd::start(Command::new(binary()));

    // On a listening socket, ss's Send-Q column is the backlog it was given.
    let out = Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", server.addr.port())])
        .output()
        .unwrap_or_else(|e| panic!("this test needs ss (iproute2): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let columns: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(columns.first(), Some(&"LISTEN"), "ss said: {text:?}");
    let backlog: u32 = columns[2].parse().unwrap();
    // chatd asks for the largest backlog; the kernel cuts it to net.core.somaxconn.
    assert_eq!(backlog, somaxconn, "ss said: {text:?}");
    // std's default is 128; where the system allows no more, there is nothing to show.
    assert!(somaxconn <= 128 || backlog > 128, "ss said: {text:?}");
    // And the start line says so.
    let start = server.expect_log(&[" INFO start "]);
    assert_eq!(field(&start, "backlog"), somaxconn.to_string());
}

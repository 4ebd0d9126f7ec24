mod common;

// Regression tests for defects found in review of the hardening work (issue 10).
//
// A client that stopped reading and then reads again gets the rest of its queue even when nothing
// new is sent to it (it used to be retried once, then forgotten until more output came).
//
// Every wait is on a line or a log line, with a deadline.

use common::{Server, TIMEOUT};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::FromRawFd;

/// Bytes of each line said.
const LINE_BYTES: usize = 1_000;

/// Line `i` of room `room`, numbered at both ends so that any piece of it is known.
fn history_line(room: usize, i: usize) -> String {
    let head = format!("r{room}:{i:03} ");
    let tail = format!(" end{i:03}");
    format!("{head}{}{tail}", "x".repeat(LINE_BYTES - head.len() - tail.len()))
}

/// A TCP connection to `addr` whose receive buffer is shrunk before connecting, so that what it
/// does not read stays in chatd's send queue rather than in the kernel's buffers.
fn small_buffer_connection(addr: SocketAddr) -> TcpStream {
    let SocketAddr::V4(v4) = addr else { panic!("IPv4 only") };
    // SAFETY: plain socket calls on a descriptor this function owns; the sockaddr is fully initialised.
    let fd = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
        let size: libc::c_int = 4096;
        let set = libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
        assert_eq!(set, 0, "SO_RCVBUF: {}", io::Error::last_os_error());
        // Loopback's segments are 64 KiB, and the kernel sizes a connection's send buffer by
        // them (megabytes at once): small segments keep chatd's own socket buffer small too.
        let mss: libc::c_int = 536;
        let set = libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_MAXSEG,
            (&mss as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
        assert_eq!(set, 0, "TCP_MAXSEG: {}", io::Error::last_os_error());
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: v4.port().to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
            sin_zero: [0; 8],
        };
        let sin_len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), sin_len) < 0 {
            let e = io::Error::last_os_error();
            libc::close(fd);
            panic!("connect: {e}");
        }
        fd
    };
    // SAFETY: `fd` is a connected socket that nothing else owns.
    unsafe { TcpStream::from_raw_fd(fd) }
}

/// Reads lines from a raw connection, each within the test's deadline.
struct Lines {
    reader: BufReader<TcpStream>,
}

impl Lines {
    fn new(stream: &TcpStream) -> Lines {
        Lines { reader: BufReader::new(stream.try_clone().unwrap()) }
    }

    /// The next line without its CR LF; fails on timeout or end of file.
    fn next(&mut self, server: &Server) -> String {
        let mut line = Vec::new();
        self.reader.get_ref().set_read_timeout(Some(TIMEOUT)).unwrap();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => panic!("connection closed\n--- server log:\n{}", server.log.text()),
            Ok(_) => String::from_utf8_lossy(line.strip_suffix(b"\r\n").unwrap_or(&line)).into_owned(),
            Err(e) => panic!("no line within {TIMEOUT:?}: {e}\n--- server log:\n{}", server.log.text()),
        }
    }

    /// Reads up to and including the line equal to `want`; returns the lines before it.
    fn until(&mut self, server: &Server, want: &str) -> Vec<String> {
        let mut before = Vec::new();
        loop {
            let line = self.next(server);
            if line == want {
                return before;
            }
            before.push(line);
        }
    }
}

/// Registers an IRC client called `nick` over a small-buffer connection and joins `#lobby`.
fn slow_irc_in_lobby(server: &Server, nick: &str) -> (TcpStream, Lines) {
    let mut slow = small_buffer_connection(server.addr);
    slow.write_all(format!("NICK {nick}\r\nUSER u 0 * :Slow\r\nJOIN #lobby\r\n").as_bytes()).unwrap();
    let mut lines = Lines::new(&slow);
    lines.until(server, &format!(":irc.test 366 {nick} #lobby :End of /NAMES list"));
    (slow, lines)
}

#[test]
fn a_reader_that_stopped_gets_the_rest_of_its_queue_once_it_reads_again() {
    let server = Server::start(&["--server-name", "irc.test", "--flood-rate", "0"]);
    let (mut slow, mut lines) = slow_irc_in_lobby(&server, "slow");
    let mut alice = server.register("alice");
    // 150 lines of 1 KB: more than the kernel's buffers take, less than --max-sendq (256 KiB).
    let said: String = (0..150).map(|i| history_line(0, i) + "\n").collect();
    alice.send_raw(said.as_bytes());
    alice.send("/who");
    alice.expect("-- 2 users in #lobby: ");
    // Everything is queued; nothing more is sent to slow until it has read all of it. IRC splits
    // each message over lines of at most 512 bytes (at a space, which then goes): compare the
    // texts without spaces.
    lines.until(&server, ":alice!~alice@127.0.0.1 JOIN #lobby");
    let want: String = (0..150).map(|i| history_line(0, i).replace(' ', "")).collect();
    let mut got = String::new();
    while got.len() < want.len() {
        let line = lines.next(&server);
        let text = line.strip_prefix(":alice!~alice@127.0.0.1 PRIVMSG #lobby ").expect("a message from alice");
        got.push_str(&text.strip_prefix(':').unwrap_or(text).replace(' ', ""));
    }
    assert!(got == want, "the messages arrived changed or out of order");
    slow.write_all(b"PING :alive\r\n").unwrap();
    lines.until(&server, ":irc.test PONG irc.test alive");
    assert!(!server.log.text().contains("sendq-exceeded"), "evicted:\n{}", server.log.text());
}

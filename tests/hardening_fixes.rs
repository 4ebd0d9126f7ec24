mod common;

// Regression tests for defects found in review of the hardening work (issue 10).
//
// History replay and the send queue: a client that joins many busy rooms at once (an IRC client
// reconnecting with its autojoin list) used to be sent up to a quarter of --max-sendq per room,
// so one burst of JOINs and HISTORYs passed --max-sendq and evicted it although it was about to
// read. History replies are now trimmed to what the client's send queue has room for.
//
// A client that stopped reading and then reads again gets the rest of its queue even when nothing
// new is sent to it (it used to be retried once, then forgotten until more output came).
//
// Every wait is on a line or a log line, with a deadline.

use common::{Server, TIMEOUT};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::FromRawFd;

/// Busy rooms the reconnecting client joins at once, and the lines of about 1 KB in each.
const ROOMS: usize = 8;
const LINES_PER_ROOM: usize = 30;
const LINE_BYTES: usize = 1_000;
/// How many times the client asks for each room's history on top of the JOIN replay.
const HISTORY_ROUNDS: usize = 2;

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

#[test]
fn a_client_joining_many_busy_rooms_at_once_is_not_evicted_by_their_histories() {
    let server = Server::start(&[
        "--server-name",
        "irc.test",
        "--max-sendq",
        "65536",
        "--history",
        "10000",
        "--history-bytes",
        "67108864",
        "--flood-rate",
        "0",
    ]);

    // Alice fills every room with lines of 1 KB, all in one write.
    let mut alice = server.register("alice");
    let mut batch = String::new();
    for room in 0..ROOMS {
        batch.push_str(&format!("/join #r{room}\n"));
        for i in 0..LINES_PER_ROOM {
            batch.push_str(&history_line(room, i));
            batch.push('\n');
        }
    }
    alice.send_raw(batch.as_bytes());
    alice.send(&format!("/who #r{}", ROOMS - 1));
    alice.expect(&format!("-- 1 user in #r{}: @alice", ROOMS - 1));

    // A reconnecting IRC client with server-time registers, then sends its whole autojoin burst
    // (and asks for every history again, a few times) in one write without reading.
    let mut slow = small_buffer_connection(server.addr);
    slow.write_all(b"CAP LS 302\r\nNICK slow\r\nUSER u 0 * :Slow\r\nCAP REQ :server-time\r\nCAP END\r\n").unwrap();
    let mut lines = Lines::new(&slow);
    lines.until(&server, ":irc.test 376 slow :End of /MOTD command.");
    let rooms: Vec<String> = (0..ROOMS).map(|r| format!("#r{r}")).collect();
    let mut burst = String::new();
    for four in rooms.chunks(4) {
        burst.push_str(&format!("JOIN {}\r\n", four.join(",")));
    }
    for _ in 0..HISTORY_ROUNDS {
        for room in &rooms {
            burst.push_str(&format!("HISTORY {room}\r\n"));
        }
    }
    // The broker handles one client's lines in order: once this join is logged, every reply
    // above has been queued (an evicted client's later lines are ignored, so it is never logged).
    burst.push_str("JOIN #marker\r\n");
    slow.write_all(burst.as_bytes()).unwrap();
    if server.log.wait_for(&[" join ", "nick=slow", "room=#marker"], TIMEOUT).is_none() {
        panic!("the burst was not handled to its end\n--- server log:\n{}", server.log.text());
    }
    assert!(!server.log.text().contains("sendq-exceeded"), "evicted:\n{}", server.log.text());

    // Now it reads: everything queued arrives, and it is still connected.
    let received = lines.until(&server, ":slow!~u@127.0.0.1 JOIN #marker");
    let history: Vec<&String> = received.iter().filter(|l| l.contains(" :alice!~alice@127.0.0.1 PRIVMSG #r")).collect();
    assert!(history.iter().all(|l| l.starts_with("@time=")), "history without its time");
    for room in &rooms {
        assert!(
            received.iter().any(|l| l.starts_with(&format!(":slow!~u@127.0.0.1 JOIN {room}"))),
            "not joined to {room}"
        );
    }
    // The first room's replay had the whole queue to itself: its newest line is there.
    let newest = format!(" end{:03}", LINES_PER_ROOM - 1);
    assert!(
        history.iter().any(|l| l.contains(" PRIVMSG #r0 ") && l.ends_with(&newest)),
        "no newest line from #r0 in {} history lines",
        history.len()
    );
    slow.write_all(b"PING :alive\r\n").unwrap();
    lines.until(&server, ":irc.test PONG irc.test alive");
    assert!(!server.log.text().contains("sendq-exceeded"), "evicted:\n{}", server.log.text());
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

/// Memory mappings of process `pid` now.
fn mappings(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/maps")).map(|maps| maps.lines().count()).unwrap_or(0)
}

/// Send queues above glibc's first mmap threshold (128 KiB) each used to get a memory mapping of
/// their own, outside the map-count budget chatd measures at start: thousands of slow readers
/// could exhaust `vm.max_map_count` again. chatd now raises the threshold above any send queue.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn big_send_queues_do_not_each_take_a_memory_mapping() {
    const SLOW: usize = 40;
    let server = Server::start(&[
        "--server-name",
        "irc.test",
        "--flood-rate",
        "0",
        "--max-sendq",
        "2097152",
        "--max-per-ip",
        "100",
    ]);
    let mut slow: Vec<(TcpStream, Lines)> =
        (0..SLOW).map(|i| slow_irc_in_lobby(&server, &format!("slow{i}"))).collect();
    let mut alice = server.register("alice");
    for (_, lines) in &mut slow {
        lines.until(&server, ":alice!~alice@127.0.0.1 JOIN #lobby");
    }
    let before = mappings(server.pid());
    // 600 KB for each slow reader, who reads none of it: every send queue passes 512 KiB.
    let said: String = (0..600).map(|i| history_line(0, i) + "\n").collect();
    alice.send_raw(said.as_bytes());
    alice.send("/who");
    alice.expect(&format!("-- {} users in #lobby: ", SLOW + 1));
    let after = mappings(server.pid());
    assert!(
        after < before + SLOW / 4,
        "{SLOW} send queues of 512 KiB took {} mappings ({before} before, {after} after)",
        after.saturating_sub(before)
    );
    assert!(!server.log.text().contains("sendq-exceeded"), "evicted:\n{}", server.log.text());
}

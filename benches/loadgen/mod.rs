//! The load generator: many non-blocking IRC (or netcat) connections on one epoll instance (mio),
//! driven from one thread, plus the IRC helpers the scenarios read replies with.
//!
//! `Net::poll` answers every PING itself and hands each other line over without its line end (LF,
//! or NUL on connections opened with `open_nul`: XMLSocket clients);
//! the time of the read that brought a line is `Net::now`, for latency samples. Registration of
//! many clients (`establish`) keeps at most a window of them in flight, below the server's listen
//! backlog. `open_from` connects from another loopback address, for clients the server must tell
//! apart by address (its per-address throttles). `slow` is the one blocking client: a member that never reads. `web` is the browser's
//! side of the web face: its requests, and a reader of HTTP answers and event streams for the
//! connections opened with `open_raw`, whose bytes `Net::poll` hands over as they were read.

pub mod slow;
pub mod web;

use crate::measure::now_ns;
use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

pub struct Conn {
    sock: Option<MioStream>,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    pub closed: bool,
    /// Bytes are handed over as read, not as lines (and no PING is answered): an HTTP connection.
    raw: bool,
    /// The byte that ends each line: LF, or NUL for an XMLSocket connection (`open_nul`).
    terminator: u8,
    /// The last ERROR line from the server, or why reading failed.
    pub last_line: String,
}

pub struct Net {
    poll: Poll,
    events: Events,
    pub conns: Vec<Conn>,
    addr: SocketAddr,
    scratch: Vec<u8>,
    ready: Vec<(usize, bool, bool)>,
    /// Time of the last read, for latency samples of the lines it brought.
    pub now: u64,
}

impl Net {
    pub fn new(addr: SocketAddr) -> io::Result<Net> {
        Ok(Net {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            conns: Vec::new(),
            addr,
            scratch: vec![0; 256 * 1024],
            ready: Vec::new(),
            now: now_ns(),
        })
    }

    pub fn open(&mut self) -> io::Result<usize> {
        let i = self.closed_slot();
        self.reopen(i)?;
        Ok(i)
    }

    /// A new connection whose bytes `poll` hands over as read (see `poll`).
    pub fn open_raw(&mut self) -> io::Result<usize> {
        let i = self.closed_slot();
        self.conns[i].raw = true;
        self.reopen(i)?;
        Ok(i)
    }

    /// A new connection whose lines end with NUL, as an XMLSocket gateway's frames do.
    pub fn open_nul(&mut self) -> io::Result<usize> {
        let i = self.closed_slot();
        self.conns[i].terminator = 0;
        self.reopen(i)?;
        Ok(i)
    }

    /// A new connection from `source`, any address of 127.0.0.0/8 (all of it is loopback on
    /// Linux): to the server, a client at an address of its own.
    pub fn open_from(&mut self, source: Ipv4Addr) -> io::Result<usize> {
        let i = self.closed_slot();
        let sock = connect_from(source, self.addr)?;
        self.attach(i, sock)?;
        Ok(i)
    }

    /// A new connection slot, closed until `reopen`ed.
    pub fn closed_slot(&mut self) -> usize {
        self.conns.push(Conn {
            sock: None,
            rbuf: Vec::new(),
            wbuf: Vec::new(),
            closed: true,
            raw: false,
            terminator: b'\n',
            last_line: String::new(),
        });
        self.conns.len() - 1
    }

    /// Replaces connection `i` with a fresh connection (the old one, if any, is closed).
    pub fn reopen(&mut self, i: usize) -> io::Result<usize> {
        self.close(i);
        let sock = MioStream::connect(self.addr)?;
        self.attach(i, sock)?;
        Ok(i)
    }

    /// Makes `sock`, connecting, connection `i`.
    fn attach(&mut self, i: usize, mut sock: MioStream) -> io::Result<()> {
        self.poll.registry().register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE)?;
        let c = &mut self.conns[i];
        c.sock = Some(sock);
        c.rbuf.clear();
        c.wbuf.clear();
        c.closed = false;
        c.last_line.clear();
        Ok(())
    }

    pub fn close(&mut self, i: usize) {
        if let Some(mut sock) = self.conns[i].sock.take() {
            let _ = self.poll.registry().deregister(&mut sock);
        }
        self.conns[i].closed = true;
    }

    pub fn send(&mut self, i: usize, data: &[u8]) {
        self.conns[i].wbuf.extend_from_slice(data);
        self.flush(i);
    }

    fn flush(&mut self, i: usize) {
        let c = &mut self.conns[i];
        let Some(sock) = c.sock.as_mut() else { return };
        let mut done = 0;
        while done < c.wbuf.len() {
            match sock.write(&c.wbuf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::NotConnected) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    c.wbuf.clear();
                    return;
                }
            }
        }
        c.wbuf.drain(..done);
    }

    /// Waits up to `timeout` for sockets, answers PINGs, and hands every other line (without its
    /// line end) to `f`; `None` means the connection closed. A raw connection's bytes are handed
    /// over as each read brought them, whatever they are.
    pub fn poll<F: FnMut(&mut Net, usize, Option<&[u8]>)>(&mut self, timeout: Duration, mut f: F) {
        if let Err(e) = self.poll.poll(&mut self.events, Some(timeout))
            && e.kind() != io::ErrorKind::Interrupted
        {
            panic!("epoll: {e}");
        }
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        ready.extend(self.events.iter().map(|e| (e.token().0, e.is_readable() || e.is_read_closed(), e.is_writable())));
        for &(i, readable, writable) in &ready {
            if i >= self.conns.len() || self.conns[i].closed {
                continue;
            }
            if writable {
                self.flush(i);
            }
            if readable {
                self.read(i, &mut f);
            }
        }
        self.ready = ready;
    }

    fn read<F: FnMut(&mut Net, usize, Option<&[u8]>)>(&mut self, i: usize, f: &mut F) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut rbuf = std::mem::take(&mut self.conns[i].rbuf);
        let mut eof = false;
        loop {
            if self.conns[i].closed {
                break;
            }
            let Some(sock) = self.conns[i].sock.as_mut() else { break };
            let n = match sock.read(&mut scratch) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.conns[i].last_line = format!("read: {e}");
                    eof = true;
                    break;
                }
            };
            self.now = now_ns();
            let data = &scratch[..n];
            if self.conns[i].raw {
                f(self, i, Some(data));
                continue;
            }
            let end = self.conns[i].terminator;
            let mut start = 0;
            if !rbuf.is_empty() {
                match data.iter().position(|&b| b == end) {
                    Some(p) => {
                        rbuf.extend_from_slice(&data[..p]);
                        self.line(i, &rbuf, f);
                        rbuf.clear();
                        start = p + 1;
                    }
                    None => {
                        rbuf.extend_from_slice(data);
                        continue;
                    }
                }
            }
            while let Some(p) = data[start..].iter().position(|&b| b == end) {
                self.line(i, &data[start..start + p], f);
                start += p + 1;
            }
            rbuf.extend_from_slice(&data[start..]);
        }
        self.scratch = scratch;
        if eof && !self.conns[i].closed {
            self.close(i);
            self.conns[i].rbuf = rbuf;
            f(self, i, None);
        } else {
            self.conns[i].rbuf = rbuf;
        }
    }

    fn line<F: FnMut(&mut Net, usize, Option<&[u8]>)>(&mut self, i: usize, line: &[u8], f: &mut F) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(token) = line.strip_prefix(b"PING ") {
            let mut pong = b"PONG ".to_vec();
            pong.extend_from_slice(token);
            pong.extend_from_slice(b"\r\n");
            self.send(i, &pong);
            return;
        }
        if line.starts_with(b"ERROR") {
            self.conns[i].last_line = String::from_utf8_lossy(line).into_owned();
        }
        f(self, i, Some(line));
    }
}

/// A non-blocking connection to `to` from `source` (port chosen by the kernel), connecting.
fn connect_from(source: Ipv4Addr, to: SocketAddr) -> io::Result<MioStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(to) = to else { return Err(io::Error::new(io::ErrorKind::Unsupported, "IPv4 only")) };
    let sockaddr = |ip: Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(ip).to_be() },
        sin_zero: [0; 8],
    };
    let (from, to) = (sockaddr(source, 0), sockaddr(*to.ip(), to.port()));
    let len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls; the descriptor is owned by `stream` from its creation on (and
    // closed with it on every error), and both sockaddrs are fully initialised.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let stream = std::net::TcpStream::from_raw_fd(fd);
        if libc::bind(fd, (&from as *const libc::sockaddr_in).cast(), len) < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::connect(fd, (&to as *const libc::sockaddr_in).cast(), len) < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINPROGRESS) {
                return Err(e);
            }
        }
        Ok(MioStream::from_std(stream))
    }
}

/// The numeric of a server reply (`:server 376 nick :End of MOTD` gives 376).
pub fn numeric(line: &[u8]) -> Option<u16> {
    let rest = line.strip_prefix(b":")?;
    let sp = rest.iter().position(|&b| b == b' ')?;
    let cmd = rest[sp + 1..].get(..4)?;
    if cmd[3] != b' ' || !cmd[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(cmd[..3].iter().fold(0u16, |a, &d| a * 10 + (d - b'0') as u16))
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `<sender> <seq> <send-ns>` from a PRIVMSG's text.
pub fn bench_payload(line: &[u8]) -> Option<(usize, u64, u64)> {
    let p = find(line, b" PRIVMSG ")?;
    let rest = &line[p + 9..];
    let t = find(rest, b" :")?;
    let mut nums = rest[t + 2..]
        .split(|&b| b == b' ')
        .map(|f| f.iter().try_fold(0u64, |a, &d| d.is_ascii_digit().then(|| a * 10 + (d - b'0') as u64)));
    Some((nums.next()?? as usize, nums.next()??, nums.next()??))
}

/// Opens `n` more connections, registers each (NICK/USER, then waits for the end of the MOTD)
/// and joins it to `room(i)` (waits for the end of NAMES), with at most `window` registrations in
/// flight. Returns the indexes and the time it took.
pub fn establish(
    net: &mut Net,
    n: usize,
    nick: &dyn Fn(usize) -> String,
    room: &dyn Fn(usize) -> String,
    window: usize,
    limit: Duration,
) -> Result<(std::ops::Range<usize>, Duration), String> {
    let t0 = Instant::now();
    let first = net.conns.len();
    let mut state = vec![0u8; n]; // 0 registering, 1 joining, 2 joined
    let (mut opened, mut done) = (0, 0);
    let mut error: Option<String> = None;
    let mut last = vec![Vec::new(); n];
    while done < n {
        while opened < n && opened - done < window {
            let i = net.open().map_err(|e| format!("connect: {e}"))?;
            let hello = format!("NICK {}\r\nUSER u 0 * :r\r\n", nick(i - first));
            net.send(i, hello.as_bytes());
            opened += 1;
        }
        net.poll(Duration::from_millis(50), |net, i, line| {
            if i < first || i >= first + n {
                return;
            }
            let k = i - first;
            if let Some(line) = line {
                last[k].clear();
                last[k].extend_from_slice(line);
            }
            let Some(line) = line else {
                let why = &net.conns[i].last_line;
                error.get_or_insert_with(|| format!("connection {k} closed while registering ({why})"));
                return;
            };
            match numeric(line) {
                Some(376 | 422) if state[k] == 0 => {
                    state[k] = 1;
                    net.send(i, format!("JOIN {}\r\n", room(k)).as_bytes());
                }
                Some(366) if state[k] == 1 => {
                    state[k] = 2;
                    done += 1;
                }
                Some(400..=599) if state[k] < 2 => {
                    error.get_or_insert_with(|| format!("connection {k}: {}", String::from_utf8_lossy(line)));
                }
                _ => {}
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        if t0.elapsed() > limit {
            let stuck = state.iter().position(|&s| s < 2).unwrap_or(0);
            return Err(format!(
                "only {done} of {n} clients registered and joined within {limit:?} (client {stuck} in state {}, \
                 last line {:?})",
                state[stuck],
                String::from_utf8_lossy(&last[stuck])
            ));
        }
    }
    Ok((first..first + n, t0.elapsed()))
}

//! `cargo bench`: chatd under load on loopback, optionally against ngircd and InspIRCd.
//!
//! Starts a release chatd (and each `--peer`) afresh for every scenario, drives it over IRC with a
//! single-threaded epoll load generator (mio), and prints a table plus one JSON line per run. See
//! `cargo bench -- --help` for the options. Everything runs on 127.0.0.1 only, and every loop is
//! bounded in time and count.

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

mod soak;

// ---------------------------------------------------------------------------------------------
// Clock, histogram, /proc

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the bench started (monotonic; senders and receivers share this process).
fn now_ns() -> u64 {
    EPOCH
        .get_or_init(|| {
            let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let _ = WALL_AT_EPOCH.set(wall.as_nanos());
            Instant::now()
        })
        .elapsed()
        .as_nanos() as u64
}

/// Log-linear latency histogram: exact below 128 ns, then 64 sub-buckets per power of two (<1.6 %).
struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    const SUB: u32 = 7;

    fn new() -> Self {
        Histogram { counts: vec![0; (1 << Self::SUB) + 64 * (1 << (Self::SUB - 1))], total: 0 }
    }

    fn index(v: u64) -> usize {
        if v < (1 << Self::SUB) {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb + 1 - Self::SUB;
        let mantissa = (v >> shift) as usize - (1 << (Self::SUB - 1));
        (1 << Self::SUB) + (shift as usize - 1) * (1 << (Self::SUB - 1)) + mantissa
    }

    fn value(index: usize) -> u64 {
        if index < (1 << Self::SUB) {
            return index as u64;
        }
        let rest = index - (1 << Self::SUB);
        let shift = rest / (1 << (Self::SUB - 1)) + 1;
        let mantissa = (rest % (1 << (Self::SUB - 1)) + (1 << (Self::SUB - 1))) as u64;
        // Middle of the bucket.
        (mantissa << shift) + (1u64 << shift) / 2
    }

    fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.total += 1;
    }

    /// The q-quantile in nanoseconds (NaN when empty).
    fn quantile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return f64::NAN;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i) as f64;
            }
        }
        f64::NAN
    }
}

fn clock_ticks_per_s() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// utime and stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return (f64::NAN, f64::NAN) };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else { return (f64::NAN, f64::NAN) };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14 and stime field 15.
    let utime: f64 = fields.get(11).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let stime: f64 = fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    (utime / clock_ticks_per_s(), stime / clock_ticks_per_s())
}

/// Resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> f64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return f64::NAN };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit for both calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            // Root may raise the hard limit too; servers started from here inherit it (chatd uses
            // two descriptors per client, so 20000 would not hold 10000 clients).
            if lim.rlim_max < 65536 {
                let want = libc::rlimit { rlim_cur: 65536, rlim_max: 65536 };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                    libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
                }
            }
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    lim.rlim_cur
}

// ---------------------------------------------------------------------------------------------
// Servers under test

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Chatd,
    /// Another chatd binary (`--base PATH`, e.g. a build of main), to compare before and after.
    ChatdBase,
    Ngircd,
    Inspircd,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Chatd => "chatd",
            Kind::ChatdBase => "chatd-base",
            Kind::Ngircd => "ngircd",
            Kind::Inspircd => "inspircd",
        }
    }

    /// Registrations kept in flight while connecting many clients: below the server's listen
    /// backlog (chatd: std's 128; ngircd: 10, compiled in; InspIRCd: somaxconn=4096, capped at
    /// 256), so that no SYN is dropped and no client waits for a retransmission.
    fn connect_window(self) -> usize {
        match self {
            Kind::Chatd | Kind::ChatdBase => 100,
            Kind::Ngircd => 8,
            Kind::Inspircd => 256,
        }
    }

    /// The output a client may leave unread in the server before it is dropped, as the bench
    /// configures it (ngircd's is compiled in).
    fn sendq_limit(self) -> u64 {
        match self {
            Kind::Chatd | Kind::ChatdBase | Kind::Inspircd => 1 << 20,
            Kind::Ngircd => 32 * 1024,
        }
    }

    fn binary(self) -> &'static str {
        match self {
            Kind::Chatd => env!("CARGO_BIN_EXE_chatd"),
            Kind::ChatdBase => BASE_BINARY.get().map_or("chatd-base", String::as_str),
            Kind::Ngircd => "/usr/sbin/ngircd",
            Kind::Inspircd => "/usr/sbin/inspircd",
        }
    }
}

impl Kind {
    /// Either chatd binary (both speak netcat too; the peers only IRC).
    fn is_chatd(self) -> bool {
        matches!(self, Kind::Chatd | Kind::ChatdBase)
    }
}

/// The other chatd binary given with `--base`.
static BASE_BINARY: OnceLock<String> = OnceLock::new();

/// A command chatd runs under (CHATD_BENCH_WRAP, or callgrind for `--profile`); empty for none.
static CHATD_WRAP: OnceLock<String> = OnceLock::new();

fn chatd_wrap() -> &'static str {
    CHATD_WRAP.get_or_init(|| std::env::var("CHATD_BENCH_WRAP").unwrap_or_default())
}

struct Server {
    kind: Kind,
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    /// When chatd logged its first `evict` line (ns since the bench started).
    evicted: Arc<Mutex<Option<(u64, String)>>>,
    /// chatd's first few ERROR/WARN log lines other than evictions, shown when a scenario fails.
    problems: Arc<Mutex<Vec<String>>>,
    /// Tells the thread that follows chatd's log to end.
    stop: Arc<AtomicBool>,
}

/// Follows chatd's log file (polling: it is written to, never truncated): sends the listening
/// address of the `start` line, and records the first eviction (at the time the line gives, in
/// ns since the bench started) and the first few warnings and errors.
fn tail_chatd_log(
    path: &Path,
    listen: &std::sync::mpsc::Sender<String>,
    evicted: &Mutex<Option<(u64, String)>>,
    problems: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    let (mut file, mut pending) = (None, Vec::new());
    let mut chunk = [0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        if file.is_none() {
            file = std::fs::File::open(path).ok();
        }
        let got = file.as_mut().map_or(0, |f| f.read(&mut chunk).unwrap_or(0));
        if got == 0 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        pending.extend_from_slice(&chunk[..got]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..=end);
            if line.contains(" evict ") {
                let at = log_line_ns(&line).unwrap_or_else(now_ns);
                evicted.lock().unwrap().get_or_insert((at, line));
            } else if line.contains(" ERROR ") || line.contains(" WARN ") {
                let mut problems = problems.lock().unwrap();
                if problems.len() < 5 {
                    problems.push(line);
                }
            } else if line.contains(" start ")
                && let Some(port) = line.split_whitespace().find_map(|f| f.strip_prefix("listen="))
            {
                let _ = listen.send(port.to_string());
            }
        }
    }
}

/// The time a chatd log line gives (`2026-12-02T17:27:29.292Z ...`), in ns since the bench
/// started (on the bench's clock, through the wall clock read when it started).
fn log_line_ns(line: &str) -> Option<u64> {
    let t = line.get(..24)?;
    let num = |a: usize, b: usize| t.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    // Days since 1970-01-01 in the proleptic Gregorian calendar, years counted from March.
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let unix_ms = ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms;
    let start_wall_ns = *WALL_AT_EPOCH.get()?;
    u64::try_from(unix_ms as i128 * 1_000_000 - start_wall_ns as i128).ok()
}

/// The wall clock (ns since 1970) when `now_ns` started counting, to place log lines on it.
static WALL_AT_EPOCH: OnceLock<u128> = OnceLock::new();

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn start(kind: Kind) -> Result<Server, String> {
        Server::start_with(kind, &[])
    }

    /// Starts a server; `chatd_options` replace chatd's bench options of the same name or add more
    /// (the peers take none).
    fn start_with(kind: Kind, chatd_options: &[&str]) -> Result<Server, String> {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("chatd-bench-{}-{}-{n}", std::process::id(), kind.name()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let log = dir.join("server.log");
        // Appending: chatd's own log and whatever it writes to stderr share this file.
        let logf = std::fs::OpenOptions::new().create(true).append(true).open(&log).map_err(|e| e.to_string())?;
        match kind {
            Kind::Chatd | Kind::ChatdBase => {
                let mut words: Vec<&str> = chatd_wrap().split_whitespace().collect();
                words.push(kind.binary());
                // The log goes to a file, as an operator's would and as the peers' does: a pipe
                // read by this process would cost a wake-up of the bench per log line.
                let child = Command::new(words[0])
                    .args(&words[1..])
                    .args(["--listen", "127.0.0.1:0", "--log-file"])
                    .arg(&log)
                    .args(chatd_bench_options(chatd_options))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(logf)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", kind.binary()))?;
                let evicted = Arc::new(Mutex::new(None));
                let problems = Arc::new(Mutex::new(Vec::new()));
                let stop = Arc::new(AtomicBool::new(false));
                let (tx, rx) = std::sync::mpsc::channel();
                let (seen, noted, stopped, path) = (evicted.clone(), problems.clone(), stop.clone(), log.clone());
                std::thread::spawn(move || tail_chatd_log(&path, &tx, &seen, &noted, &stopped));
                let mut server =
                    Server { kind, child, addr: "127.0.0.1:0".parse().unwrap(), dir, evicted, problems, stop };
                let listen = rx.recv_timeout(Duration::from_secs(10)).map_err(|_| "chatd logged no start line")?;
                server.addr = listen.parse().map_err(|e| format!("bad listen address {listen}: {e}"))?;
                Ok(server)
            }
            Kind::Ngircd | Kind::Inspircd => {
                if !Path::new(kind.binary()).exists() {
                    return Err(format!(
                        "{} is not installed: apt-get update && apt-get install -y {}",
                        kind.binary(),
                        kind.name()
                    ));
                }
                let port =
                    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
                let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
                let conf = dir.join("server.conf");
                let (text, args) = if kind == Kind::Ngircd {
                    (ngircd_config(port, &dir), vec!["-n".to_string(), "-f".into(), conf.display().to_string()])
                } else {
                    let mut args = vec!["--nofork".to_string(), format!("--config={}", conf.display())];
                    // SAFETY: geteuid has no preconditions.
                    if unsafe { libc::geteuid() } == 0 {
                        args.push("--runasroot".into());
                    }
                    (inspircd_config(port, &dir), args)
                };
                std::fs::write(&conf, text).map_err(|e| e.to_string())?;
                std::fs::write(dir.join("motd"), "chatd bench\n").map_err(|e| e.to_string())?;
                let mut child = Command::new(kind.binary())
                    .args(&args)
                    .stdin(Stdio::null())
                    .stdout(logf.try_clone().map_err(|e| e.to_string())?)
                    .stderr(logf)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", kind.binary()))?;
                let deadline = Instant::now() + Duration::from_secs(15);
                loop {
                    if TcpStream::connect(addr).is_ok() {
                        break;
                    }
                    if let Ok(Some(status)) = child.try_wait() {
                        let log = std::fs::read_to_string(&log).unwrap_or_default();
                        return Err(format!("{} exited ({status}) before listening:\n{log}", kind.name()));
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        return Err(format!("{} did not listen on {addr} within 15 s", kind.name()));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(Server {
                    kind,
                    child,
                    addr,
                    dir,
                    evicted: Arc::default(),
                    problems: Arc::default(),
                    stop: Arc::default(),
                })
            }
        }
    }
}

/// chatd's options in the bench: no flood control and no history, and the client limits out of
/// the way (every client comes from 127.0.0.1); `extra` replaces any of them by name or adds more.
fn chatd_bench_options<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let defaults = [
        ["--flood-rate", "0"],
        ["--max-clients", "20000"],
        ["--max-per-ip", "20000"],
        ["--max-sendq", "1048576"],
        ["--history", "0"],
    ];
    let mut options: Vec<&str> = defaults.iter().filter(|[name, _]| !extra.contains(name)).flatten().copied().collect();
    options.extend_from_slice(extra);
    options
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            eprintln!("bench: {} had exited during the run ({status})", self.kind.name());
        }
        self.stop.store(true, Ordering::Relaxed);
        // SAFETY: kill has no memory-safety preconditions; the pid is our own child's.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        // Under valgrind, shutting down and writing the profile takes a while.
        let grace = if self.kind.is_chatd() && !chatd_wrap().is_empty() { 60 } else { 3 };
        let deadline = Instant::now() + Duration::from_secs(grace);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What each peer's configuration could not relax, printed once.
fn peer_limits(kind: Kind) -> &'static str {
    match kind {
        Kind::Chatd => "",
        Kind::ChatdBase => "chatd-base: another chatd binary (--base), started with chatd's options",
        Kind::Ngircd => {
            "ngircd: the per-client write buffer is compiled in (not configurable; clients over it are \
             dropped); a client's commands are handled at most 3 per main-loop pass; MaxPenaltyTime=0 \
             turns the command penalty off, DNS/Ident/PAM are off"
        }
        Kind::Inspircd => {
            "inspircd: commandrate/threshold set very high and fakelag off (no switch removes the penalty \
             accounting itself); hardsendq=1 MiB like chatd's --max-sendq; hostname lookups off"
        }
    }
}

fn ngircd_config(port: u16, dir: &Path) -> String {
    // MaxConnections = 0 is ngircd's default, no limit. Raising it to 20,000 instead made ngircd
    // take twice the CPU per delivery (fanout-100: 0.34 M -> 0.60 M deliveries/s with 0).
    format!(
        "[Global]\n\tName = bench.local\n\tInfo = chatd bench peer\n\tListen = 127.0.0.1\n\tPorts = {port}\n\
         \tMotdFile = {motd}\n\tPidFile = {pid}\n\
         [Limits]\n\tMaxConnections = 0\n\tMaxConnectionsIP = 0\n\tMaxJoins = 50\n\tMaxNickLength = 30\n\
         \tMaxPenaltyTime = 0\n\tPingTimeout = 600\n\tPongTimeout = 600\n\tConnectRetry = 60\n\
         [Options]\n\tDNS = no\n\tIdent = no\n\tPAM = no\n\tSyslog = no\n",
        motd = dir.join("motd").display(),
        pid = dir.join("ngircd.pid").display(),
    )
}

fn inspircd_config(port: u16, dir: &Path) -> String {
    format!(
        r#"<server name="bench.local" description="chatd bench peer" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect allow="*" timeout="60" pingfreq="600" hardsendq="1048576" softsendq="1048576" recvq="1048576"
         threshold="1000000" commandrate="1000000000" fakelag="no" penaltythreshold="1000000"
         localmax="20000" globalmax="20000" limit="20000" maxchans="50" resolvehostnames="no" useident="no">
<files motd="{motd}">
<channels users="50" opers="60">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxquit="255" maxtopic="307" maxkick="255"
        maxreal="128" maxgecos="128" maxaway="200">
<pid file="{pid}">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15">
<security hideserver="" userstats="Pu" customversion="" maxtargets="20">
<performance quietbursts="yes" softlimit="20000" somaxconn="4096" netbuffersize="65536" nouserdns="yes">
"#,
        motd = dir.join("motd").display(),
        pid = dir.join("inspircd.pid").display(),
    )
}

// ---------------------------------------------------------------------------------------------
// The load generator: many non-blocking IRC connections on one epoll instance

struct Conn {
    sock: Option<MioStream>,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    closed: bool,
    last_line: String,
}

struct Net {
    poll: Poll,
    events: Events,
    conns: Vec<Conn>,
    addr: SocketAddr,
    scratch: Vec<u8>,
    ready: Vec<(usize, bool, bool)>,
    /// Time of the last read, for latency samples of the lines it brought.
    now: u64,
}

impl Net {
    fn new(addr: SocketAddr) -> io::Result<Net> {
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

    fn open(&mut self) -> io::Result<usize> {
        let i = self.conns.len();
        self.conns.push(Conn {
            sock: None,
            rbuf: Vec::new(),
            wbuf: Vec::new(),
            closed: true,
            last_line: String::new(),
        });
        self.reopen(i)?;
        Ok(i)
    }

    /// Replaces connection `i` with a fresh connection (the old one, if any, is closed).
    fn reopen(&mut self, i: usize) -> io::Result<usize> {
        self.close(i);
        let mut sock = MioStream::connect(self.addr)?;
        self.poll.registry().register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE)?;
        let c = &mut self.conns[i];
        c.sock = Some(sock);
        c.rbuf.clear();
        c.wbuf.clear();
        c.closed = false;
        c.last_line.clear();
        Ok(i)
    }

    fn close(&mut self, i: usize) {
        if let Some(mut sock) = self.conns[i].sock.take() {
            let _ = self.poll.registry().deregister(&mut sock);
        }
        self.conns[i].closed = true;
    }

    fn send(&mut self, i: usize, data: &[u8]) {
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
    /// line end) to `f`; `None` means the connection closed.
    fn poll<F: FnMut(&mut Net, usize, Option<&[u8]>)>(&mut self, timeout: Duration, mut f: F) {
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
            let mut start = 0;
            if !rbuf.is_empty() {
                match data.iter().position(|&b| b == b'\n') {
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
            while let Some(p) = data[start..].iter().position(|&b| b == b'\n') {
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

/// The numeric of a server reply (`:server 376 nick :End of MOTD` gives 376).
fn numeric(line: &[u8]) -> Option<u16> {
    let rest = line.strip_prefix(b":")?;
    let sp = rest.iter().position(|&b| b == b' ')?;
    let cmd = rest[sp + 1..].get(..4)?;
    if cmd[3] != b' ' || !cmd[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(cmd[..3].iter().fold(0u16, |a, &d| a * 10 + (d - b'0') as u16))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `<sender> <seq> <send-ns>` from a PRIVMSG's text.
fn bench_payload(line: &[u8]) -> Option<(usize, u64, u64)> {
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
fn establish(
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

// ---------------------------------------------------------------------------------------------
// Scenarios

type Metrics = Vec<(&'static str, f64)>;

/// One scenario of the plan: its name, and how to run it against a started server.
type Scenario = (String, Box<dyn Fn(&Server) -> Result<Metrics, String>>);

struct Load {
    clients: usize,
    senders: usize,
    /// Messages in flight per sender (sent, not yet received by every other member).
    window: usize,
    /// Total messages per second, or as fast as the window allows.
    rate: Option<f64>,
    warmup: Duration,
    measure: Duration,
    slow_reader: bool,
    /// Messages per sender, then stop (a fixed workload, for profiles); None: send for `measure`.
    per_sender: Option<u64>,
}

fn room_load(server: &Server, load: &Load) -> Result<Metrics, String> {
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let (range, _) = establish(
        &mut net,
        load.clients,
        &|i| format!("b{i}"),
        &|_| "#bench".into(),
        server.kind.connect_window(),
        Duration::from_secs(60),
    )?;
    let n = range.len();
    let s = load.senders;
    let mut slow = None;
    if load.slow_reader {
        slow = Some(slow_client(server.addr, "slow", "#bench")?);
    }
    let receivers = (n - 1) as u64;
    let w = load.window;
    let mut next = vec![0u64; s]; // next sequence number per sender
    let mut oldest = vec![0u64; s]; // oldest message not yet received by everyone
    let mut ring = vec![0u64; s * w]; // receipts of the messages in the window
    let mut last = vec![u64::MAX; n * s]; // last sequence per (receiver, sender)
    let mut got = vec![0u64; n * s];
    let (mut ooo, mut received_total) = (0u64, 0u64);
    let mut hist = Histogram::new();
    let (mut deliveries, mut measuring) = (0u64, false);
    let mut evicted_at: Option<u64> = None;
    // The slow client's backlog inside the server: what was sent its way (a receiver that keeps up
    // gets the same lines) less what the kernel holds for it at either end of its connection.
    let mut slow_bytes = 0u64;
    // The last sample that found the backlog at most the limit: it passed the limit after that.
    let mut below_limit_at: Option<u64> = None;
    let mut backlog_passed = false;
    let mut backlog = 0u64;
    let mut last_sample = Instant::now();

    let start = Instant::now();
    let start_ns = now_ns();
    let t_measure = start + load.warmup;
    let t_end = t_measure + load.measure;
    let (mut cpu0, mut cpu1) = ((0.0, 0.0), (0.0, 0.0));
    let mut msg = Vec::with_capacity(64);
    let mut stalled_since: Option<Instant> = None;
    let mut sending = true;
    let rate_gap = load.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut sent_total = 0u64;
    loop {
        let now = Instant::now();
        if !measuring && now >= t_measure && now < t_end && cpu0 == (0.0, 0.0) {
            measuring = true;
            cpu0 = cpu_seconds(server.pid());
        }
        let evicted = evicted_at.is_some() || server.evicted.lock().unwrap().is_some();
        if let Some(slow) = &slow
            && !backlog_passed
            && !evicted
            && now.duration_since(last_sample) >= Duration::from_millis(10)
        {
            last_sample = now;
            if let Some(in_kernel) = kernel_queued(slow, server.addr.port()) {
                backlog = slow_bytes.saturating_sub(in_kernel);
                if backlog > server.kind.sendq_limit() {
                    backlog_passed = true;
                } else {
                    below_limit_at = Some(now_ns());
                }
            }
        }
        if measuring && now >= t_end {
            cpu1 = cpu_seconds(server.pid());
            measuring = false;
        }
        // With a slow reader, keep the load on (unmeasured) until it is evicted, for at most 10 s more.
        let more = load.slow_reader && !evicted && now < t_end + Duration::from_secs(10);
        let all_sent = load.per_sender.is_some_and(|c| next.iter().all(|&n| n >= c));
        if sending && (all_sent || now >= t_end && !more) {
            sending = false;
        }
        if sending {
            for k in 0..s {
                loop {
                    if let Some(gap) = rate_gap {
                        // Message m (over all senders) is due at m × gap; sender k sends m ≡ k (mod s).
                        let m = next[k] * s as u64 + k as u64;
                        if start + gap.mul_f64(m as f64) > now {
                            break;
                        }
                    } else if next[k] - oldest[k] >= w as u64 {
                        break;
                    }
                    if load.per_sender.is_some_and(|c| next[k] >= c) {
                        break;
                    }
                    msg.clear();
                    let _ = write!(&mut msg, "PRIVMSG #bench :{k} {} {}\r\n", next[k], now_ns());
                    if rate_gap.is_none() {
                        ring[k * w + (next[k] % w as u64) as usize] = 0;
                    }
                    next[k] += 1;
                    sent_total += 1;
                    net.send(range.start + k, &msg);
                }
            }
        } else {
            let expected = sent_total * receivers;
            if received_total >= expected || now > t_end + Duration::from_secs(15) {
                break;
            }
        }
        let timeout = match rate_gap {
            Some(_) => Duration::from_millis(1),
            None => Duration::from_millis(20),
        };
        let progress = received_total;
        net.poll(timeout, |net, i, line| {
            let Some(line) = line else { return };
            if i < range.start || i >= range.end {
                return;
            }
            let r = i - range.start;
            let Some((k, seq, ts)) = bench_payload(line) else {
                if line.starts_with(b":slow!") && find(line, b" QUIT").is_some() {
                    evicted_at.get_or_insert(net.now);
                }
                return;
            };
            if k >= s || k == r {
                return;
            }
            if r == s {
                slow_bytes += line.len() as u64 + 2;
            }
            received_total += 1;
            let pair = r * s + k;
            if last[pair] != u64::MAX && seq <= last[pair] {
                ooo += 1;
            } else {
                last[pair] = seq;
            }
            got[pair] += 1;
            if measuring {
                deliveries += 1;
                hist.record(net.now.saturating_sub(ts));
            }
            if rate_gap.is_none() && seq >= oldest[k] && seq < next[k] {
                ring[k * w + (seq % w as u64) as usize] += 1;
                while oldest[k] < next[k] && ring[k * w + (oldest[k] % w as u64) as usize] >= receivers {
                    oldest[k] += 1;
                }
            }
        });
        if received_total == progress && sending && rate_gap.is_none() {
            let since = *stalled_since.get_or_insert(Instant::now());
            if since.elapsed() > Duration::from_secs(3) {
                return Err("no message arrived for 3 s (lost messages stall the window)".into());
            }
        } else {
            stalled_since = None;
        }
        if let Some(c) = net.conns[range.clone()].iter().position(|c| c.closed) {
            return Err(format!("client {c} was disconnected: {}", net.conns[range.start + c].last_line));
        }
    }
    let (mut lost, mut dup) = (0u64, 0u64);
    for r in 0..n {
        for k in 0..s {
            if k == r {
                continue;
            }
            let g = got[r * s + k];
            lost += next[k].saturating_sub(g);
            dup += g.saturating_sub(next[k]);
        }
    }
    let secs = load.measure.as_secs_f64();
    let mut m: Metrics = vec![
        ("deliveries_per_s", deliveries as f64 / secs),
        ("msgs_per_s", deliveries as f64 / secs / receivers as f64),
        ("p50_us", hist.quantile(0.5) / 1e3),
        ("p99_us", hist.quantile(0.99) / 1e3),
        ("p999_us", hist.quantile(0.999) / 1e3),
        ("cpu_us_per_delivery", (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) * 1e6 / deliveries.max(1) as f64),
        // Most of a server's time on loopback is the kernel's (send, and the receiving side's
        // TCP work, which runs in the sender's context).
        ("cpu_kernel_share", (cpu1.1 - cpu0.1) / (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1)),
        ("lost", lost as f64),
        ("duplicated", dup as f64),
        ("out_of_order", ooo as f64),
    ];
    if load.slow_reader {
        // The server's own log is the first witness where there is one (chatd); else the others'
        // view of its QUIT.
        let logged = server.evicted.lock().unwrap().as_ref().map(|e| e.0);
        let at = logged.or(evicted_at);
        m.push(("evicted_after_s", at.map_or(f64::NAN, |t| t.saturating_sub(start_ns) as f64 / 1e9)));
        m.push(("quit_seen_after_s", evicted_at.map_or(f64::NAN, |t| t.saturating_sub(start_ns) as f64 / 1e9)));
        // An upper bound: the backlog passed the limit after the last sample (every 10 ms) that
        // found it below.
        let after = match (at, below_limit_at) {
            (Some(at), Some(below)) => at.saturating_sub(below) as f64 / 1e9,
            _ => f64::NAN,
        };
        m.push(("evict_after_sendq_max_s", after));
        m.push(("last_backlog_kib", backlog as f64 / 1024.0));
    }
    drop(slow);
    Ok(m)
}

/// Bytes the kernel holds on the slow client's loopback connection: unread by the client plus
/// not yet acknowledged from the server. The server's side is looked up by its exact address
/// with sock_diag (one hash lookup; reading /proc/net/tcp walks every socket and takes
/// milliseconds, which would slow the load generator down).
fn kernel_queued(client: &TcpStream, server_port: u16) -> Option<u64> {
    use std::os::fd::AsRawFd;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    let client_port = client.local_addr().ok()?.port();
    let mut unread: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which is valid.
    if unsafe { libc::ioctl(client.as_raw_fd(), libc::FIONREAD, &mut unread) } < 0 {
        return None;
    }
    // nlmsghdr (16 bytes) + inet_diag_req_v2 (56 bytes), built by hand: libc has no such types.
    let mut req = [0u8; 72];
    req[0..4].copy_from_slice(&72u32.to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req[16] = libc::AF_INET as u8;
    req[17] = libc::IPPROTO_TCP as u8;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
    req[24..26].copy_from_slice(&server_port.to_be_bytes());
    req[26..28].copy_from_slice(&client_port.to_be_bytes());
    req[28..32].copy_from_slice(&[127, 0, 0, 1]);
    req[44..48].copy_from_slice(&[127, 0, 0, 1]);
    req[64..72].copy_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
    let mut resp = [0u8; 512];
    // SAFETY: plain socket calls on a descriptor owned here; the buffers are valid for their lengths.
    let got = unsafe {
        let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, libc::NETLINK_SOCK_DIAG);
        if fd < 0 {
            return None;
        }
        let sent = libc::send(fd, req.as_ptr().cast(), req.len(), 0);
        let got = if sent == req.len() as isize { libc::recv(fd, resp.as_mut_ptr().cast(), resp.len(), 0) } else { -1 };
        libc::close(fd);
        got
    };
    // The answer: nlmsghdr, then inet_diag_msg, whose idiag_wqueue is at byte 60 of it.
    let kind = u16::from_ne_bytes([resp[4], resp[5]]);
    if got < 80 || kind != SOCK_DIAG_BY_FAMILY {
        return None;
    }
    let unacked = u32::from_ne_bytes(resp[76..80].try_into().ok()?);
    Some(unread as u64 + unacked as u64)
}

/// A registered member of `room` that never reads again (its receive buffer is kept small).
fn slow_client(addr: SocketAddr, nick: &str, room: &str) -> Result<TcpStream, String> {
    // SAFETY: plain socket calls on a descriptor this function owns; the sockaddr is fully initialised.
    let fd = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error().to_string());
        }
        let size: libc::c_int = 4096;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as u32,
        );
        let SocketAddr::V4(v4) = addr else { return Err("IPv4 only".into()) };
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: v4.port().to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
            sin_zero: [0; 8],
        };
        if libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), size_of::<libc::sockaddr_in>() as u32) < 0 {
            let e = io::Error::last_os_error();
            libc::close(fd);
            return Err(format!("slow client connect: {e}"));
        }
        fd
    };
    // SAFETY: `fd` is a connected socket that nothing else owns.
    let mut sock = unsafe { <TcpStream as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    sock.write_all(format!("NICK {nick}\r\nUSER u 0 * :r\r\n").as_bytes()).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(sock.try_clone().map_err(|e| e.to_string())?);
    let mut joined = false;
    let mut line = String::new();
    while !joined {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| format!("slow client: {e}"))? == 0 {
            return Err("slow client closed while registering".into());
        }
        let bytes = line.trim_end().as_bytes();
        if let Some(token) = bytes.strip_prefix(b"PING ") {
            sock.write_all(&[b"PONG ", token, b"\r\n"].concat()).map_err(|e| e.to_string())?;
        }
        match numeric(bytes) {
            Some(376 | 422) => sock.write_all(format!("JOIN {room}\r\n").as_bytes()).map_err(|e| e.to_string())?,
            Some(366) => joined = true,
            _ => {}
        }
    }
    Ok(sock)
}

fn idle(server: &Server, clients: usize) -> Result<Metrics, String> {
    let rss0 = rss_kib(server.pid());
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let (range, took) = establish(
        &mut net,
        clients,
        &|i| format!("i{i}"),
        &|i| format!("#idle{}", i / 100),
        server.kind.connect_window(),
        Duration::from_secs(120),
    )?;
    // Let the server settle (and answer any PING meanwhile).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(1) {
        net.poll(Duration::from_millis(100), |_, _, _| {});
    }
    let rss1 = rss_kib(server.pid());
    let open = net.conns[range].iter().filter(|c| !c.closed).count();
    if open != clients {
        return Err(format!("{} of {clients} idle clients were disconnected", clients - open));
    }
    Ok(vec![
        ("connect_all_s", took.as_secs_f64()),
        ("rss_per_conn_kib", (rss1 - rss0) / clients as f64),
        ("rss_total_mib", rss1 / 1024.0),
    ])
}

fn churn(server: &Server, loops: usize, duration: Duration) -> Result<Metrics, String> {
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let mut state = vec![0u8; loops]; // 0 registering, 1 joining, 2 quitting
    let mut iter = vec![0u32; loops];
    let mut since = vec![Instant::now(); loops];
    let nick = |slot: usize, it: u32| format!("NICK c{slot}x{}\r\nUSER u 0 * :r\r\n", it % 1000);
    for slot in 0..loops {
        net.open().map_err(|e| e.to_string())?;
        net.send(slot, nick(slot, 0).as_bytes());
    }
    let t0 = Instant::now();
    let cpu0 = cpu_seconds(server.pid());
    let (mut sessions, mut failed) = (0u64, 0u64);
    let mut error = None;
    let mut restart = Vec::new();
    while t0.elapsed() < duration {
        net.poll(Duration::from_millis(20), |net, i, line| {
            let Some(line) = line else {
                if state[i] == 2 {
                    sessions += 1;
                } else {
                    failed += 1;
                    error.get_or_insert_with(|| format!("closed while registering: {}", net.conns[i].last_line));
                }
                restart.push(i);
                return;
            };
            match numeric(line) {
                Some(376 | 422) if state[i] == 0 => {
                    state[i] = 1;
                    net.send(i, b"JOIN #churn\r\n");
                }
                Some(366) if state[i] == 1 => {
                    state[i] = 2;
                    net.send(i, b"PRIVMSG #churn :hello\r\nQUIT :bye\r\n");
                }
                Some(code @ 400..=599) if state[i] < 2 && code != 401 => {
                    error.get_or_insert_with(|| String::from_utf8_lossy(line).into_owned());
                }
                _ => {}
            }
        });
        for slot in 0..loops {
            if !net.conns[slot].closed && since[slot].elapsed() > Duration::from_secs(5) {
                failed += 1;
                error.get_or_insert_with(|| format!("a session stuck in state {} for 5 s", state[slot]));
                restart.push(slot);
            }
        }
        for slot in restart.drain(..) {
            iter[slot] += 1;
            state[slot] = 0;
            since[slot] = Instant::now();
            net.reopen(slot).map_err(|e| format!("connect: {e}"))?;
            net.send(slot, nick(slot, iter[slot]).as_bytes());
        }
        if failed > 100 && sessions == 0 {
            return Err(format!("churn: {failed} sessions failed; first: {}", error.unwrap_or_default()));
        }
    }
    if let Some(e) = error.filter(|_| failed > 0) {
        eprintln!("bench: churn: {failed} session(s) failed; first: {e}");
    }
    let (cpu1, secs) = (cpu_seconds(server.pid()), t0.elapsed().as_secs_f64());
    let cpu = cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1;
    Ok(vec![
        ("sessions_per_s", sessions as f64 / secs),
        ("failed_sessions", failed as f64),
        ("cpu_us_per_session", cpu * 1e6 / sessions.max(1) as f64),
        ("cpu_kernel_share", (cpu1.1 - cpu0.1) / cpu),
        // The server's share of a core: near 1 means it is what limits the rate.
        ("cpu_load", cpu / secs),
    ])
}

/// `crowd-N`: N netcat users connect (a window of registrations in flight) and each registers
/// into the default room by sending its nickname as its first line. Measures the time until the
/// last has its "You joined" line, what the server sent them all until it fell quiet (each join's
/// notices to the members before it), and the server's CPU for the whole storm.
fn crowd(server: &Server, clients: usize) -> Result<Metrics, String> {
    /// What the netcat users have seen so far.
    struct Seen {
        joined: Vec<bool>,
        done: usize,
        bytes: u64,
        error: Option<String>,
    }
    fn on_line(seen: &mut Seen, net: &Net, i: usize, line: Option<&[u8]>) {
        match line {
            // Netcat lines end in CR LF; `poll` hands them over without it.
            Some(line) => {
                seen.bytes += line.len() as u64 + 2;
                if !seen.joined[i] && line.starts_with(b"-- You joined ") {
                    seen.joined[i] = true;
                    seen.done += 1;
                }
            }
            None => {
                seen.error.get_or_insert_with(|| format!("connection {i} closed ({})", net.conns[i].last_line));
            }
        }
    }
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let cpu0 = cpu_seconds(server.pid());
    let t0 = Instant::now();
    let limit = Duration::from_secs(120);
    let mut seen = Seen { joined: vec![false; clients], done: 0, bytes: 0, error: None };
    let mut opened = 0;
    while seen.done < clients {
        while opened < clients && opened - seen.done < server.kind.connect_window() {
            let i = net.open().map_err(|e| format!("connect: {e}"))?;
            net.send(i, format!("crowd{i}\n").as_bytes());
            opened += 1;
        }
        net.poll(Duration::from_millis(50), |net, i, line| on_line(&mut seen, net, i, line));
        if let Some(e) = seen.error.take() {
            return Err(e);
        }
        if t0.elapsed() > limit {
            return Err(format!("only {} of {clients} netcat users joined within {limit:?}", seen.done));
        }
    }
    let join_all = t0.elapsed();
    // What is still on its way to earlier members is part of the storm: read until quiet.
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(300) && t0.elapsed() < limit {
        let before = seen.bytes;
        net.poll(Duration::from_millis(50), |net, i, line| on_line(&mut seen, net, i, line));
        if seen.bytes != before {
            quiet_since = Instant::now();
        }
    }
    if let Some(e) = seen.error {
        return Err(e);
    }
    let cpu1 = cpu_seconds(server.pid());
    Ok(vec![
        ("join_all_s", join_all.as_secs_f64()),
        ("mib_to_clients", seen.bytes as f64 / (1024.0 * 1024.0)),
        ("cpu_s", cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1),
    ])
}

// ---------------------------------------------------------------------------------------------
// Options, the run plan, reporting

struct Options {
    quick: bool,
    rounds: usize,
    peers: Vec<Kind>,
    only: Vec<String>,
    /// Replay a saved results.jsonl instead of running.
    from: Option<PathBuf>,
    /// Count chatd's instructions under callgrind instead of timing it.
    profile: bool,
    /// Fanout's messages in flight per sender.
    window: usize,
    /// Netcat users in the crowd scenario (None: its default).
    crowd: Option<usize>,
    /// The soak's seconds of load.
    soak_secs: u64,
}

const USAGE: &str =
    "usage: cargo bench --bench bench -- [--quick] [--rounds N] [--peer ngircd|inspircd]... [--only LIST]
   or: CHATD_BENCH_ARGS='--quick --peer ngircd' cargo bench

  --quick        shorter runs (about a third of the time); also CHATD_BENCH_QUICK=1
  --rounds N     repeat every scenario N times, servers interleaved (A B A B); default 1
  --peer NAME    also run against ngircd or inspircd (repeatable, or comma-separated)
  --only LIST    comma-separated scenarios: fanout, rate, idle, churn, slow, crowd (default: all);
                 soak runs only when named: chatd (and --base) under mixed load, sampled every
                 second into the results and target/bench/soak-plot.svg
  --soak-secs N  soak: seconds of mixed load (default 600)
  --window N     fanout: messages in flight per sender (default 8; more favours throughput
                 over latency)
  --crowd N      crowd: netcat users joining the default room (default 3000; quick 1000)
  --base PATH    also run chatd-base, another chatd binary (e.g. main's, built in a second
                 worktree), with the same options: before and after in one run
  --from FILE    run nothing: print the table and write the plot from a saved results.jsonl
  --profile      run chatd alone under valgrind's callgrind with a fixed workload (100 clients,
                 10 senders x 2,000 lines) and print its instructions per delivery
CHATD_BENCH_WRAP='valgrind --tool=callgrind' runs chatd under that command (for profiles).
Results: a table on stdout, one JSON line per run (also in target/bench/results.jsonl),
and target/bench/plot.svg.";

fn options() -> Result<Options, String> {
    let mut o = Options {
        quick: std::env::var("CHATD_BENCH_QUICK").is_ok_and(|v| v != "0" && !v.is_empty()),
        rounds: 1,
        peers: Vec::new(),
        only: Vec::new(),
        from: None,
        profile: false,
        window: 8,
        crowd: None,
        soak_secs: 600,
    };
    let extra = std::env::var("CHATD_BENCH_ARGS").unwrap_or_default();
    let mut args = extra.split_whitespace().map(String::from).chain(std::env::args().skip(1));
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {} // cargo bench passes this
            "--quick" => o.quick = true,
            "--rounds" => {
                o.rounds = args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).ok_or("--rounds needs N > 0")?
            }
            "--peer" => {
                for p in args.next().ok_or("--peer needs a name")?.split(',') {
                    o.peers.push(match p {
                        "ngircd" => Kind::Ngircd,
                        "inspircd" => Kind::Inspircd,
                        _ => return Err(format!("unknown peer {p} (ngircd or inspircd)")),
                    });
                }
            }
            "--only" => o.only = args.next().ok_or("--only needs a list")?.split(',').map(String::from).collect(),
            "--from" => o.from = Some(args.next().ok_or("--from needs a file")?.into()),
            "--profile" => o.profile = true,
            "--window" => {
                o.window = args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).ok_or("--window needs N > 0")?
            }
            "--crowd" => {
                o.crowd =
                    Some(args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).ok_or("--crowd needs N > 0")?)
            }
            "--base" => {
                let path = args.next().ok_or("--base needs the path of a chatd binary")?;
                if !Path::new(&path).is_file() {
                    return Err(format!("--base {path}: no such file"));
                }
                let _ = BASE_BINARY.set(path);
                o.peers.push(Kind::ChatdBase);
            }
            "--soak-secs" => {
                o.soak_secs =
                    args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).ok_or("--soak-secs needs N > 0")?
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    o.peers.dedup();
    Ok(o)
}

/// Whether a larger value of this metric is better (for the ratio's reading).
fn higher_is_better(metric: &str) -> bool {
    matches!(metric, "deliveries_per_s" | "msgs_per_s" | "sessions_per_s" | "relative_to_no_slow")
}

#[derive(Default)]
struct Results {
    /// (scenario, metric) in first-seen order.
    order: Vec<(String, &'static str)>,
    values: BTreeMap<(String, &'static str), BTreeMap<Kind, Vec<f64>>>,
}

impl Results {
    fn add(&mut self, scenario: &str, kind: Kind, metrics: &Metrics) {
        for &(name, value) in metrics {
            let key = (scenario.to_string(), name);
            if !self.values.contains_key(&key) {
                self.order.push(key.clone());
            }
            self.values.entry(key).or_default().entry(kind).or_default().push(value);
        }
    }

    fn median(&self, scenario: &str, metric: &'static str, kind: Kind) -> Option<f64> {
        self.values.get(&(scenario.to_string(), metric))?.get(&kind).map(|v| median(v))
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    if s.len() % 2 == 1 { s[s.len() / 2] } else { (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0 }
}

fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn json_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "null".into() }
}

fn print_table(results: &Results, kinds: &[Kind], rounds: usize) -> String {
    let mut out = String::new();
    let cell = |v: &[f64]| {
        let min = v.iter().copied().filter(|x| !x.is_nan()).fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().filter(|x| !x.is_nan()).fold(f64::NEG_INFINITY, f64::max);
        if rounds > 1 && min.is_finite() {
            format!("{} [{}–{}]", fmt_num(median(v)), fmt_num(min), fmt_num(max))
        } else {
            fmt_num(median(v))
        }
    };
    let _ = write!(out, "{:<18} {:<22}", "scenario", "metric");
    for k in kinds {
        let _ = write!(out, " {:>26}", k.name());
    }
    for k in &kinds[1..] {
        let _ = write!(out, " {:>15}", format!("chatd/{}", k.name()));
    }
    out.push('\n');
    for (scenario, metric) in &results.order {
        let row = &results.values[&(scenario.clone(), *metric)];
        let better = if higher_is_better(metric) { "↑" } else { "↓" };
        let _ = write!(out, "{scenario:<18} {:<22}", format!("{metric} {better}"));
        for k in kinds {
            let _ = write!(out, " {:>26}", row.get(k).map_or("-".into(), |v| cell(v)));
        }
        for k in &kinds[1..] {
            let ratio = match (row.get(&Kind::Chatd), row.get(k)) {
                (Some(a), Some(b)) if median(b) != 0.0 => fmt_num(median(a) / median(b)),
                _ => "-".into(),
            };
            let _ = write!(out, " {ratio:>15}");
        }
        out.push('\n');
    }
    out
}

/// What the table's cells and ratios are.
fn table_legend(rounds: usize) -> String {
    format!(
        "latencies in µs; cpu_us_per_delivery is the server's utime+stime per delivery; ratios are chatd/peer \
         medians{}",
        if rounds > 1 { ", cells are median [min–max]" } else { "" }
    )
}

fn plot_svg(results: &Results, kinds: &[Kind], sizes: &[usize]) -> String {
    let colors = ["#1f77b4", "#d62728", "#2ca02c"];
    let (w, h, pad) = (420.0, 300.0, 60.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" \
         font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        2.0 * w,
        h + 30.0
    );
    // Axis labels in the unit a reader thinks in: millions of deliveries per second, milliseconds.
    let panels =
        [("deliveries_per_s", "fanout deliveries/s (millions)", 1e6), ("p99_us", "fanout p99 latency (ms)", 1e3)];
    for (panel, &(metric, title, unit)) in panels.iter().enumerate() {
        let x0 = panel as f64 * w;
        let series: Vec<(Kind, Vec<(usize, f64)>)> = kinds
            .iter()
            .map(|&k| {
                let pts = sizes
                    .iter()
                    .filter_map(|&n| results.median(&format!("fanout-{n}"), metric, k).map(|v| (n, v)))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                (k, pts)
            })
            .collect();
        let ymax = series.iter().flat_map(|(_, p)| p.iter().map(|&(_, v)| v)).fold(0.0, f64::max) * 1.1;
        let ymax = if ymax > 0.0 { ymax } else { 1.0 };
        let (lx0, lx1) = ((sizes[0] as f64).log10(), (*sizes.last().unwrap() as f64).log10());
        let span = if lx1 > lx0 { lx1 - lx0 } else { 1.0 };
        let px = |n: usize| x0 + pad + ((n as f64).log10() - lx0) / span * (w - 2.0 * pad);
        let py = |v: f64| h - pad + 20.0 - v / ymax * (h - 2.0 * pad);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{title}</text>",
            x0 + w / 2.0
        );
        let _ = writeln!(
            svg,
            "<line x1=\"{a}\" y1=\"{b}\" x2=\"{c}\" y2=\"{b}\" stroke=\"black\"/><line x1=\"{a}\" y1=\"{b}\" x2=\"{a}\" \
             y2=\"{d}\" stroke=\"black\"/>",
            a = x0 + pad,
            b = py(0.0),
            c = x0 + w - pad,
            d = py(ymax)
        );
        for i in 0..=4 {
            let v = ymax * i as f64 / 4.0;
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                x0 + pad - 4.0,
                py(v) + 4.0,
                if ymax / unit < 10.0 { format!("{:.1}", v / unit) } else { format!("{:.0}", v / unit) }
            );
        }
        for &n in sizes {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n} clients</text>",
                px(n),
                py(0.0) + 16.0
            );
        }
        for (si, (k, pts)) in series.iter().enumerate() {
            let color = colors[si % colors.len()];
            let path: Vec<String> = pts.iter().map(|&(n, v)| format!("{:.1},{:.1}", px(n), py(v))).collect();
            let _ = writeln!(
                svg,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
                path.join(" ")
            );
            for &(n, v) in pts {
                let _ = writeln!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>", px(n), py(v));
            }
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
                x0 + w - pad - 60.0,
                45.0 + 15.0 * si as f64,
                k.name()
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Clients in the fanout scenarios (the plot's x axis).
const FANOUT_SIZES: [usize; 2] = [100, 1000];

/// The flat JSON lines this bench prints, read back: (server, round, scenario, metrics).
fn parse_result_line(line: &str) -> Option<(Kind, usize, String, Metrics)> {
    let body = line.trim().strip_prefix('{')?.strip_suffix('}')?;
    let (mut kind, mut round, mut scenario, mut metrics) = (None, 0, None, Metrics::new());
    // Keys and string values never contain commas or quotes here, so splitting is exact.
    for field in body.split(',') {
        let (key, value) = field.split_once(':')?;
        let key = key.trim().trim_matches('"');
        let text = value.trim().trim_matches('"');
        match key {
            "bench" | "quick" | "window" | "seconds" => {}
            "server" => {
                kind =
                    [Kind::Chatd, Kind::ChatdBase, Kind::Ngircd, Kind::Inspircd].into_iter().find(|k| k.name() == text)
            }
            "round" => round = text.parse().ok()?,
            "scenario" => scenario = Some(text.to_string()),
            // A bench binary reads a handful of files once: leaking the names keeps Metrics' type.
            _ => metrics.push((Box::leak(key.to_string().into_boxed_str()), text.parse().unwrap_or(f64::NAN))),
        }
    }
    Some((kind?, round, scenario?, metrics))
}

/// `--from FILE`: the table and the plot of an earlier run, without running anything.
fn replay(path: &Path, out_dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut results, mut kinds, mut rounds) = (Results::default(), vec![Kind::Chatd], 1);
    let mut soak_samples = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| l.starts_with('{')) {
        if let Some(sample) = soak::Sample::parse(line) {
            soak_samples.push(sample);
            continue;
        }
        let (kind, round, scenario, metrics) =
            parse_result_line(line).ok_or_else(|| format!("{}:{}: not a bench result line", path.display(), n + 1))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
        rounds = rounds.max(round);
        results.add(&scenario, kind, &metrics);
    }
    if results.order.is_empty() {
        return Err(format!("{}: no result lines", path.display()));
    }
    println!("{}", print_table(&results, &kinds, rounds));
    println!("{}; replayed from {}", table_legend(rounds), path.display());
    if results.order.iter().any(|(scenario, _)| scenario.starts_with("fanout-")) {
        let plot = out_dir.join("plot.svg");
        std::fs::write(&plot, plot_svg(&results, &kinds, &FANOUT_SIZES))
            .map_err(|e| format!("{}: {e}", plot.display()))?;
        println!("plot: {}", plot.display());
    }
    for (name, svg) in soak::plots_by_server(soak_samples) {
        let plot = out_dir.join(name);
        std::fs::write(&plot, svg).map_err(|e| format!("{}: {e}", plot.display()))?;
        println!("soak plot: {}", plot.display());
    }
    Ok(())
}

/// `--profile`: chatd's user-space instructions for a fixed fanout workload, counted by callgrind
/// (repeatable where timings are not: the same binary and workload count about the same whatever
/// else the machine does). Kernel time, most of chatd's CPU on loopback, is not counted.
fn profile(out_dir: &Path) -> Result<(), String> {
    const CLIENTS: u64 = 100;
    const SENDERS: u64 = 10;
    const PER_SENDER: u64 = 2000;
    if Command::new("valgrind").arg("--version").stdout(Stdio::null()).status().is_err() {
        return Err("valgrind is not installed: apt-get update && apt-get install -y valgrind".into());
    }
    let out = out_dir.join("callgrind.out");
    if out.display().to_string().contains(char::is_whitespace) {
        return Err(format!("{}: the profile's path must not contain spaces", out.display()));
    }
    let _ = std::fs::remove_file(&out);
    CHATD_WRAP
        .set(format!("valgrind --tool=callgrind --callgrind-out-file={}", out.display()))
        .map_err(|_| "chatd's wrapper was already chosen")?;
    let load = Load {
        clients: CLIENTS as usize,
        senders: SENDERS as usize,
        window: 8,
        rate: None,
        warmup: Duration::ZERO,
        measure: Duration::from_secs(600),
        slow_reader: false,
        per_sender: Some(PER_SENDER),
    };
    println!("profile: chatd under callgrind, {CLIENTS} clients in one room, {SENDERS} senders x {PER_SENDER} lines");
    let metrics = {
        let server = Server::start(Kind::Chatd)?;
        room_load(&server, &load)?
        // Dropping the server stops chatd, and callgrind writes the profile as it exits.
    };
    let bad: f64 = metrics.iter().filter(|m| matches!(m.0, "lost" | "duplicated" | "out_of_order")).map(|m| m.1).sum();
    if bad != 0.0 {
        return Err(format!("messages lost, duplicated or reordered: {metrics:?}"));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let instructions: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no instruction total", out.display()))?;
    let deliveries = SENDERS * PER_SENDER * (CLIENTS - 1);
    println!(
        "instructions: {instructions} for {deliveries} deliveries (including start-up and registration): {:.0} per delivery",
        instructions as f64 / deliveries as f64
    );
    println!("profile: {} (callgrind_annotate {} | head -40)", out.display(), out.display());
    Ok(())
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("bench: {e}\n");
            }
            eprintln!("{USAGE}");
            std::process::exit(if e.is_empty() { 0 } else { 2 });
        }
    };
    let out_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("bench");
    let _ = std::fs::create_dir_all(&out_dir);
    if let Some(from) = &o.from {
        if let Err(e) = replay(from, &out_dir) {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    now_ns();
    if o.profile {
        if let Err(e) = profile(&out_dir) {
            eprintln!("bench: --profile: {e}");
            std::process::exit(1);
        }
        return;
    }
    let fd_limit = raise_fd_limit();
    let want = |s: &str| o.only.is_empty() || o.only.iter().any(|x| x == s);
    let mut kinds = vec![Kind::Chatd];
    for &p in &o.peers {
        if !Path::new(p.binary()).exists() {
            eprintln!(
                "bench: {} not found at {}; install it with: apt-get update && apt-get install -y {}",
                p.name(),
                p.binary(),
                p.name()
            );
            std::process::exit(2);
        }
        if !kinds.contains(&p) {
            kinds.push(p);
        }
    }
    let q = o.quick;
    let secs = |full: f64, quick: f64| Duration::from_secs_f64(if q { quick } else { full });
    let idle_sizes: &[usize] = if q { &[1000, 5000] } else { &[1000, 5000, 10000] };
    if fd_limit < *idle_sizes.last().unwrap() as u64 + 100 {
        eprintln!("bench: warning: open-file limit {fd_limit} is below the idle scenario's size");
    }
    println!(
        "chatd bench: {} round(s), {} mode, fanout window {}, servers: {}; {} cores; load generator: 1 thread \
         (mio/epoll)",
        o.rounds,
        if q { "quick" } else { "full" },
        o.window,
        kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    for &k in &kinds[1..] {
        println!("note: {}", peer_limits(k));
    }
    let mut jsonl = String::new();
    let soak_series = Arc::new(Mutex::new(Vec::new()));
    let mut results = Results::default();
    let started = Instant::now();

    for round in 1..=o.rounds {
        let mut plan: Vec<Scenario> = Vec::new();
        let fanout = |clients, slow_reader| Load {
            clients,
            senders: 10,
            window: o.window,
            rate: None,
            warmup: secs(1.0, 0.5),
            measure: secs(5.0, 2.0),
            slow_reader,
            per_sender: None,
        };
        if want("fanout") || want("slow") {
            for &n in &FANOUT_SIZES {
                if n == 100 || want("fanout") {
                    let load = fanout(n, false);
                    plan.push((format!("fanout-{n}"), Box::new(move |s| room_load(s, &load))));
                }
                // The slow reader's throughput is compared with fanout-100's, so the two run back to
                // back: the scenarios in between would change the machine under the comparison
                // (churn alone leaves over 10,000 loopback sockets in TIME_WAIT for a minute).
                if n == 100 && want("slow") {
                    let load = fanout(100, true);
                    plan.push(("slow-reader-100".into(), Box::new(move |s| room_load(s, &load))));
                }
            }
        }
        if want("rate") {
            let load = Load { rate: Some(1000.0), measure: secs(10.0, 5.0), ..fanout(100, false) };
            plan.push(("rate-1000/s".into(), Box::new(move |s| room_load(s, &load))));
        }
        if want("idle") {
            for &n in idle_sizes {
                plan.push((format!("idle-{n}"), Box::new(move |s| idle(s, n))));
            }
        }
        if want("churn") {
            let d = secs(5.0, 2.0);
            plan.push(("churn-32".into(), Box::new(move |s| churn(s, 32, d))));
        }
        if want("crowd") {
            let n = o.crowd.unwrap_or(if q { 1000 } else { 3000 });
            plan.push((format!("crowd-{n}"), Box::new(move |s| crowd(s, n))));
        }
        if o.only.iter().any(|s| s == "soak") {
            let (d, dir, series) = (Duration::from_secs(o.soak_secs), out_dir.clone(), soak_series.clone());
            plan.push(("soak".into(), Box::new(move |s| soak::run(s, d, &dir, &mut series.lock().unwrap()))));
        }
        for (scenario, run) in &plan {
            for &kind in &kinds {
                // Only chatd speaks netcat (crowd), and the soak reads chatd's log.
                let soaking = scenario == "soak";
                if (soaking || scenario.starts_with("crowd")) && !kind.is_chatd() {
                    continue;
                }
                let t = Instant::now();
                let options = if soaking { soak::CHATD_OPTIONS } else { &[] };
                let outcome = Server::start_with(kind, options).and_then(|server| {
                    run(&server).map_err(|e| {
                        let mut log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
                        for line in server.problems.lock().unwrap().iter() {
                            log.push_str(line);
                            log.push('\n');
                        }
                        let tail: Vec<&str> = log.lines().rev().take(5).collect();
                        if tail.is_empty() { e } else { format!("{e}; server log ends:\n  {}", tail.join("\n  ")) }
                    })
                });
                let mut metrics = match outcome {
                    Ok(m) => m,
                    Err(e) => {
                        eprintln!("bench: {scenario} on {}: {e}", kind.name());
                        vec![("failed", 1.0)]
                    }
                };
                if scenario.starts_with("slow-reader")
                    && let (Some(with), Some(without)) = (
                        metrics.iter().find(|m| m.0 == "deliveries_per_s").map(|m| m.1),
                        results
                            .values
                            .get(&("fanout-100".to_string(), "deliveries_per_s"))
                            .and_then(|r| r.get(&kind))
                            .and_then(|v| v.last().copied()),
                    )
                {
                    metrics.push(("relative_to_no_slow", with / without));
                }
                results.add(scenario, kind, &metrics);
                let mut line = format!(
                    "{{\"bench\":\"chatd\",\"server\":\"{}\",\"round\":{round},\"scenario\":\"{scenario}\",\"quick\":{q},\"window\":{},\"seconds\":{:.2}",
                    kind.name(),
                    o.window,
                    t.elapsed().as_secs_f64()
                );
                for (name, v) in &metrics {
                    let _ = write!(line, ",\"{name}\":{}", json_num(*v));
                }
                line.push('}');
                println!("{line}");
                jsonl.push_str(&line);
                jsonl.push('\n');
                // The soak's samples follow its result line (they are not printed: one a second).
                for sample in soak_series.lock().unwrap().drain(..) {
                    jsonl.push_str(&sample);
                    jsonl.push('\n');
                }
            }
        }
    }
    let table = print_table(&results, &kinds, o.rounds);
    println!("\n{table}");
    println!("{}; total {:.0} s", table_legend(o.rounds), started.elapsed().as_secs_f64());
    let _ = std::fs::write(out_dir.join("results.jsonl"), &jsonl);
    let _ = std::fs::write(out_dir.join("table.txt"), &table);
    if want("fanout") {
        let svg = plot_svg(&results, &kinds, &FANOUT_SIZES);
        match std::fs::write(out_dir.join("plot.svg"), svg) {
            Ok(()) => println!("plot: {}", out_dir.join("plot.svg").display()),
            Err(e) => eprintln!("bench: cannot write the plot: {e}"),
        }
    }
}

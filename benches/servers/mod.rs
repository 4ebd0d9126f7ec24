//! The servers under test: chatd (and a second chatd binary with `--base`), ngircd and InspIRCd,
//! each started afresh per scenario in its own temporary directory, on 127.0.0.1 only.
//!
//! Owns process control (start, wait until listening, stop with SIGTERM then SIGKILL, remove the
//! directory), chatd's bench options, and the peers' configurations (`peers`). chatd logs to a
//! file that `log` follows, for its listening address, its first eviction and its warnings, and
//! keeps its accounts in a state directory of its own inside the temporary directory (never the
//! default `./chatd-state`), which a scenario may fill before chatd starts (`start_prepared`).
//! Dropping a `Server` always stops its process and ends the log follower.

mod log;
mod peers;

pub use peers::peer_limits;

use log::tail_chatd_log;
use peers::{inspircd_config, ngircd_config};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Kind {
    Chatd,
    /// Another chatd binary (`--base PATH`, e.g. a build of main), to compare before and after.
    ChatdBase,
    Ngircd,
    Inspircd,
}

impl Kind {
    pub fn name(self) -> &'static str {
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
    pub fn connect_window(self) -> usize {
        match self {
            Kind::Chatd | Kind::ChatdBase => 100,
            Kind::Ngircd => 8,
            Kind::Inspircd => 256,
        }
    }

    /// The output a client may leave unread in the server before it is dropped, as the bench
    /// configures it (ngircd's is compiled in).
    pub fn sendq_limit(self) -> u64 {
        match self {
            Kind::Chatd | Kind::ChatdBase | Kind::Inspircd => 1 << 20,
            Kind::Ngircd => 32 * 1024,
        }
    }

    pub fn binary(self) -> &'static str {
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
    pub fn is_chatd(self) -> bool {
        matches!(self, Kind::Chatd | Kind::ChatdBase)
    }
}

/// The other chatd binary given with `--base`.
pub static BASE_BINARY: OnceLock<String> = OnceLock::new();

/// A command chatd runs under (CHATD_BENCH_WRAP, or callgrind for `--profile`); empty for none.
pub static CHATD_WRAP: OnceLock<String> = OnceLock::new();

fn chatd_wrap() -> &'static str {
    CHATD_WRAP.get_or_init(|| std::env::var("CHATD_BENCH_WRAP").unwrap_or_default())
}

pub struct Server {
    pub kind: Kind,
    child: Child,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    /// When chatd logged its first `evict` line (ns since the bench started).
    pub evicted: Arc<Mutex<Option<(u64, String)>>>,
    /// chatd's first few ERROR/WARN log lines other than evictions, shown when a scenario fails.
    pub problems: Arc<Mutex<Vec<String>>>,
    /// Tells the thread that follows chatd's log to end.
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn start(kind: Kind) -> Result<Server, String> {
        Server::start_with(kind, &[])
    }

    /// Starts a server; `chatd_options` replace chatd's bench options of the same name or add more
    /// (the peers take none).
    pub fn start_with(kind: Kind, chatd_options: &[&str]) -> Result<Server, String> {
        Server::start_prepared(kind, chatd_options, &|_, _| Ok(()))
    }

    /// Starts a server after `prepare` has filled chatd's state directory (given the chatd binary
    /// that will use it, and the directory, which does not exist yet); the peers skip it.
    pub fn start_prepared(
        kind: Kind,
        chatd_options: &[&str],
        prepare: &dyn Fn(&str, &Path) -> Result<(), String>,
    ) -> Result<Server, String> {
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
                let state = dir.join("state");
                let state_option = if knows_state_dir(kind) && !chatd_options.contains(&"--state-dir") {
                    prepare(kind.binary(), &state)?;
                    vec!["--state-dir".into(), state.into_os_string()]
                } else {
                    Vec::new()
                };
                // The log goes to a file, as an operator's would and as the peers' does: a pipe
                // read by this process would cost a wake-up of the bench per log line.
                let child = Command::new(words[0])
                    .args(&words[1..])
                    .args(["--listen", "127.0.0.1:0", "--log-file"])
                    .arg(&log)
                    .args(chatd_bench_options(chatd_options))
                    .args(state_option)
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

/// Whether this chatd binary has accounts (`--state-dir`): a `--base` binary may predate them.
fn knows_state_dir(kind: Kind) -> bool {
    static KNOWS: OnceLock<[Option<bool>; 2]> = OnceLock::new();
    let ask = |kind: Kind| {
        Command::new(kind.binary())
            .arg("--help")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .map(|out| String::from_utf8_lossy(&out.stdout).contains("--state-dir"))
    };
    let known = KNOWS.get_or_init(|| [ask(Kind::Chatd), BASE_BINARY.get().and_then(|_| ask(Kind::ChatdBase))]);
    match kind {
        Kind::Chatd => known[0].unwrap_or(true),
        Kind::ChatdBase => known[1].unwrap_or(false),
        Kind::Ngircd | Kind::Inspircd => false,
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

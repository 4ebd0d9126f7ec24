//! Command-line options: `Config::from_args` turns arguments into a checked `Config`.
//!
//! Pure: never opens files or sockets. Every default lives here, in `Config::default`, and the
//! usage text lists them.

use crate::core::cidr::Cidr;
use crate::core::names::RoomName;
use getopts::Options;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// What IRC says of this server unless `--server-description` says otherwise.
pub const DEFAULT_SERVER_DESCRIPTION: &str = "chatd";

/// The longest `--server-description`: it ends a numeric line, with the server name before it.
pub const MAX_SERVER_DESCRIPTION_BYTES: usize = 200;

/// Everything the operator can set.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub listen: Vec<SocketAddr>,
    /// Shown in the greeting; `None` means "use the host name".
    pub server_name: Option<String>,
    /// What IRC's WHOIS (312) and LINKS (364) say of this server (`--server-description`).
    pub server_description: String,
    /// `None` means stderr.
    pub log_file: Option<PathBuf>,
    /// Log message texts (off by default: chat content is the users' business).
    pub log_messages: bool,
    /// Repeats of a per-peer log line (e.g. `refused`) within this interval are counted, not written.
    pub log_summary_interval: Duration,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub max_line: usize,
    pub max_sendq: usize,
    pub history: usize,
    /// Bytes of history one room may hold (entries counted with their overhead, see `room`).
    pub history_bytes: usize,
    /// Bytes of history all rooms together may hold.
    pub history_total_bytes: usize,
    /// How long a room's history outlives its last member; zero: not at all.
    pub history_linger: Duration,
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// How long a connection may stay without a nickname, counted from connect whatever it sends.
    /// Defaults to `ping_interval + ping_timeout`.
    pub register_timeout: Duration,
    pub default_room: RoomName,
    /// Lines a client may send in a burst before it is slowed down.
    pub flood_burst: u32,
    /// Lines per second a client may send after its burst; 0 turns flood control off.
    pub flood_rate: u32,
    /// IRC server operators: (name, password) pairs from `--oper NAME:PASSWORD`.
    pub opers: Vec<(String, String)>,
    /// Rooms with more members than this tell netcat users of joins and leaves in summaries;
    /// 0 never does.
    pub crowd_size: usize,
    /// At most one such summary per room per this interval.
    pub crowd_interval: Duration,
    /// Ports that speak only HTTP (`--http-listen`), e.g. behind a reverse proxy.
    pub http_listen: Vec<SocketAddr>,
    /// How long a browser's session outlives its last event stream.
    pub web_grace: Duration,
    /// Where HTTP requests for unknown paths are redirected (`301`) instead of `404`.
    pub http_redirect: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Who may read `/server-status` and `/metrics` (empty: status public, metrics loopback).
    pub status_allow: Vec<Cidr>,
    /// Where the account database lives (`chatd.db` inside it); relative to the working directory.
    pub state_dir: PathBuf,
    /// Whether users may create accounts themselves.
    pub registration: Registration,
    /// The shortest password a user may choose (`--min-password`).
    pub min_password: usize,
    /// Threads that hash and verify passwords.
    pub hashers: usize,
    /// `--check`: validate, try the listen addresses, print the configuration, exit.
    pub check: bool,
}

/// Who may create accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    /// Anyone, for their own nickname (rate-limited per address).
    Open,
    /// Only operators, with `chatd account add`.
    Closed,
}

impl fmt::Display for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Registration::Open => "open",
            Registration::Closed => "closed",
        })
    }
}

/// Password hashing threads for a machine with `cores` cores: one on a small machine, so that a
/// storm of logins leaves a core for the broker and the readers; two above that.
pub fn hashers_for_cores(cores: usize) -> usize {
    if cores <= 2 { 1 } else { 2 }
}

/// The default number of hashing threads for this machine. The one thing here that asks the
/// system: how many cores this process may use.
fn default_hashers() -> usize {
    hashers_for_cores(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: vec![SocketAddr::from(([0, 0, 0, 0], 6667))],
            server_name: None,
            server_description: DEFAULT_SERVER_DESCRIPTION.to_string(),
            log_file: None,
            log_messages: false,
            log_summary_interval: Duration::from_secs(10),
            max_clients: 1024,
            max_per_ip: 16,
            max_line: 1024,
            max_sendq: 256 * 1024,
            history: 50,
            history_bytes: 1 << 20,
            history_total_bytes: 64 << 20,
            history_linger: Duration::from_secs(3600),
            ping_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(60),
            register_timeout: Duration::from_secs(120),
            // cannot fail: a constant, valid room name.
            default_room: RoomName::parse("#lobby").expect("valid default room"),
            flood_burst: 20,
            flood_rate: 5,
            opers: Vec::new(),
            crowd_size: 100,
            crowd_interval: Duration::from_secs(60),
            http_listen: Vec::new(),
            web_grace: Duration::from_secs(60),
            http_redirect: None,
            trusted_proxies: Vec::new(),
            status_allow: Vec::new(),
            state_dir: PathBuf::from("chatd-state"),
            registration: Registration::Open,
            min_password: crate::protocol::account::MIN_PASSWORD_BYTES,
            hashers: default_hashers(),
            check: false,
        }
    }
}

/// What `from_args` found: a configuration to run, or a request for help or the version.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(Box<Config>),
    Help,
    Version,
}

/// A command line that cannot be used. `Display` names the option and the problem.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn options() -> Options {
    let d = Config::default();
    let mut opts = Options::new();
    opts.optmulti("", "listen", "address and port to listen on; repeat for more (default 0.0.0.0:6667)", "ADDR:PORT");
    opts.optopt("", "server-name", "name shown to clients (default: the host name)", "NAME");
    opts.optopt(
        "",
        "server-description",
        &format!(
            "what IRC's WHOIS and LINKS say of this server, 1-{MAX_SERVER_DESCRIPTION_BYTES} bytes (default {DEFAULT_SERVER_DESCRIPTION})"
        ),
        "TEXT",
    );
    opts.optopt("", "log-file", "append the log to PATH (default: stderr)", "PATH");
    opts.optflag("", "log-messages", "also log message texts (default: off)");
    opts.optopt(
        "",
        "log-summary-interval",
        &format!(
            "a refused connection is logged once per address, then counted and summarised every SECS, 1-3600 (default {})",
            d.log_summary_interval.as_secs()
        ),
        "SECS",
    );
    opts.optopt("", "max-clients", &format!("most clients connected at once (default {})", d.max_clients), "N");
    opts.optopt("", "max-per-ip", &format!("most clients from one IP address (default {})", d.max_per_ip), "N");
    opts.optopt("", "max-line", &format!("longest input line in bytes, 64-65536 (default {})", d.max_line), "BYTES");
    opts.optopt(
        "",
        "max-sendq",
        &format!("output backlog in bytes before a client that does not read is dropped (default {})", d.max_sendq),
        "BYTES",
    );
    opts.optopt("", "history", &format!("messages remembered per room, 0-10000 (default {})", d.history), "N");
    opts.optopt(
        "",
        "history-bytes",
        &format!(
            "bytes of history one room may hold, each message counted as its text plus {} (default {})",
            crate::room::HISTORY_ENTRY_OVERHEAD,
            d.history_bytes
        ),
        "BYTES",
    );
    opts.optopt(
        "",
        "history-total-bytes",
        &format!(
            "bytes of history all rooms together may hold; the oldest messages anywhere go first (default {})",
            d.history_total_bytes
        ),
        "BYTES",
    );
    opts.optopt(
        "",
        "history-linger",
        &format!(
            "seconds a room's history outlives its last member, 0-604800; 0 forgets it at once (default {})",
            d.history_linger.as_secs()
        ),
        "SECS",
    );
    opts.optopt(
        "",
        "ping-interval",
        &format!("seconds of silence before a client is probed (default {})", d.ping_interval.as_secs()),
        "SECS",
    );
    opts.optopt(
        "",
        "ping-timeout",
        &format!("seconds a probed client has to show life (default {})", d.ping_timeout.as_secs()),
        "SECS",
    );
    opts.optopt(
        "",
        "register-timeout",
        &format!(
            "seconds from connecting to choosing a nickname, whatever the client sends meanwhile (default \
             --ping-interval + --ping-timeout, {})",
            d.register_timeout.as_secs()
        ),
        "SECS",
    );
    opts.optopt("", "default-room", &format!("room everyone joins first (default {})", d.default_room), "#ROOM");
    opts.optopt("", "flood-burst", &format!("lines a client may send at once (default {})", d.flood_burst), "N");
    opts.optopt(
        "",
        "flood-rate",
        &format!("lines per second after the burst; 0 turns flood control off (default {})", d.flood_rate),
        "N",
    );
    opts.optopt(
        "",
        "crowd-size",
        &format!(
            "rooms with more members than N tell netcat users of joins and leaves in summaries, not one line \
             each; 0 never does (default {})",
            d.crowd_size
        ),
        "N",
    );
    opts.optopt(
        "",
        "crowd-interval",
        &format!("at most one such summary per room per SECS, 1-3600 (default {})", d.crowd_interval.as_secs()),
        "SECS",
    );
    opts.optopt(
        "",
        "web-grace",
        &format!("keep a browser's session SECS after its stream closed, 1-86400 (default {})", d.web_grace.as_secs()),
        "SECS",
    );
    opts.optmulti("", "http-listen", "also listen on ADDR:PORT for HTTP only (the web face); repeatable", "ADDR:PORT");
    opts.optopt("", "http-redirect", "send HTTP requests for unknown paths to URL (301) instead of 404", "URL");
    opts.optmulti(
        "",
        "trusted-proxy",
        "a reverse proxy whose X-Forwarded-For names the client (limits, bans, log); repeatable",
        "ADDR",
    );
    opts.optmulti(
        "",
        "status-allow",
        "who may read /server-status and /metrics; repeatable (default: status public, metrics loopback only)",
        "CIDR",
    );
    opts.optmulti(
        "",
        "oper",
        "an IRC operator login (OPER NAME PASSWORD); repeatable. Keep it out of shell history: use a root-only environment file",
        "NAME:PASSWORD",
    );
    opts.optopt(
        "",
        "state-dir",
        &format!("keep the account database (chatd.db) in DIR, created if missing (default {})", d.state_dir.display()),
        "DIR",
    );
    opts.optopt(
        "",
        "registration",
        "open: users may register their nicknames; closed: only `chatd account add` creates accounts (default open)",
        "open|closed",
    );
    opts.optopt(
        "",
        "min-password",
        &format!(
            "shortest password, in bytes, a user may choose when registering or changing it, 1-{} (default {})",
            crate::protocol::account::MAX_PASSWORD_BYTES,
            d.min_password
        ),
        "BYTES",
    );
    opts.optopt(
        "",
        "hashers",
        &format!("threads that hash and check passwords, 1-64 (default {}: 1 on up to 2 cores, else 2)", d.hashers),
        "N",
    );
    opts.optflag(
        "",
        "check",
        "check the options, the log file, the account database and that the addresses can be bound; print the configuration; exit 0 or 1",
    );
    opts.optflag("h", "help", "print this help and exit");
    opts.optflag("V", "version", "print the version and exit");
    opts
}

/// The usage text printed by `--help` and after a usage error.
pub fn usage() -> String {
    options().usage("Usage: chatd [OPTIONS]\n\nA small, fast, self-hosted chat server: connect with `nc HOST 6667` or any IRC client.")
}

fn number<T: std::str::FromStr + PartialOrd + fmt::Display + Copy>(
    matches: &getopts::Matches,
    name: &str,
    default: T,
    min: T,
    max: T,
) -> Result<T, UsageError> {
    let Some(text) = matches.opt_str(name) else { return Ok(default) };
    match text.trim().parse::<T>() {
        Ok(value) if value >= min && value <= max => Ok(value),
        Ok(_) => Err(UsageError(format!("--{name} must be between {min} and {max}, not {text}"))),
        Err(_) => Err(UsageError(format!("--{name} needs a whole number, not {text:?}"))),
    }
}

impl Config {
    /// The effective configuration as command-line options, one per line; passwords masked.
    pub fn describe(&self, server_name: &str) -> String {
        let mut lines: Vec<String> = self.listen.iter().map(|a| format!("--listen {a}")).collect();
        lines.push(format!("--server-name {server_name}"));
        lines.push(format!("--server-description {:?}", self.server_description));
        match &self.log_file {
            Some(path) => lines.push(format!("--log-file {}", path.display())),
            None => lines.push("# log: stderr (no --log-file)".to_string()),
        }
        if self.log_messages {
            lines.push("--log-messages".to_string());
        }
        lines.extend([
            format!("--log-summary-interval {}", self.log_summary_interval.as_secs()),
            format!("--max-clients {}", self.max_clients),
            format!("--max-per-ip {}", self.max_per_ip),
            format!("--max-line {}", self.max_line),
            format!("--max-sendq {}", self.max_sendq),
            format!("--history {}", self.history),
            format!("--history-bytes {}", self.history_bytes),
            format!("--history-total-bytes {}", self.history_total_bytes),
            format!("--history-linger {}", self.history_linger.as_secs()),
            format!("--ping-interval {}", self.ping_interval.as_secs()),
            format!("--ping-timeout {}", self.ping_timeout.as_secs()),
            format!("--register-timeout {}", self.register_timeout.as_secs()),
            format!("--default-room {}", self.default_room),
            format!("--flood-burst {}", self.flood_burst),
            format!("--flood-rate {}", self.flood_rate),
            format!("--crowd-size {}", self.crowd_size),
            format!("--crowd-interval {}", self.crowd_interval.as_secs()),
        ]);
        lines.extend(self.http_listen.iter().map(|addr| format!("--http-listen {addr}")));
        lines.push(format!("--web-grace {}", self.web_grace.as_secs()));
        lines.extend(self.http_redirect.iter().map(|url| format!("--http-redirect {url}")));
        lines.extend(self.trusted_proxies.iter().map(|ip| format!("--trusted-proxy {ip}")));
        lines.extend(self.status_allow.iter().map(|cidr| format!("--status-allow {cidr}")));
        lines.extend(self.opers.iter().map(|(name, _)| format!("--oper {name}:********")));
        lines.extend([
            format!("--state-dir {}", self.state_dir.display()),
            format!("--registration {}", self.registration),
            format!("--min-password {}", self.min_password),
            format!("--hashers {}", self.hashers),
        ]);
        lines.join("\n") + "\n"
    }

    /// Parses the arguments after the program name.
    pub fn from_args(args: &[String]) -> Result<Parsed, UsageError> {
        let matches = options().parse(args).map_err(|e| UsageError(e.to_string()))?;
        if matches.opt_present("help") {
            return Ok(Parsed::Help);
        }
        if matches.opt_present("version") {
            return Ok(Parsed::Version);
        }
        if let Some(extra) = matches.free.first() {
            return Err(UsageError(format!("unexpected argument {extra:?} (options start with --)")));
        }
        let d = Config::default();
        let mut listen = Vec::new();
        for text in matches.opt_strs("listen") {
            let addr = text.parse::<SocketAddr>().map_err(|_| {
                UsageError(format!("--listen needs ADDR:PORT such as 0.0.0.0:6667 or [::]:6667, not {text:?}"))
            })?;
            listen.push(addr);
        }
        if listen.is_empty() {
            listen = d.listen;
        }
        let mut http_listen = Vec::new();
        for text in matches.opt_strs("http-listen") {
            let addr = text.parse::<SocketAddr>().map_err(|_| {
                UsageError(format!("--http-listen needs ADDR:PORT such as 127.0.0.1:8080, not {text:?}"))
            })?;
            http_listen.push(addr);
        }
        let server_name = match matches.opt_str("server-name") {
            Some(name) if name.is_empty() || name.len() > 63 || !name.chars().all(|c| c.is_ascii_graphic()) => {
                return Err(UsageError(format!(
                    "--server-name needs 1 to 63 visible ASCII characters without spaces, not {name:?}"
                )));
            }
            name => name,
        };
        let server_description = match matches.opt_str("server-description") {
            None => d.server_description,
            Some(text)
                if text.trim().is_empty()
                    || text.len() > MAX_SERVER_DESCRIPTION_BYTES
                    || text.chars().any(char::is_control) =>
            {
                return Err(UsageError(format!(
                    "--server-description needs 1 to {MAX_SERVER_DESCRIPTION_BYTES} bytes of text without control characters, not {text:?}"
                )));
            }
            Some(text) => text,
        };
        let default_room = match matches.opt_str("default-room") {
            None => d.default_room,
            Some(text) => RoomName::parse(&text)
                .map_err(|why| UsageError(format!("--default-room {text:?} is not a valid room name: {why}")))?,
        };
        let mut opers = Vec::new();
        for text in matches.opt_strs("oper") {
            match text.split_once(':') {
                Some((name, password))
                    if !name.is_empty()
                        && !password.is_empty()
                        && !text.chars().any(|c| c.is_whitespace() || c.is_control()) =>
                {
                    opers.push((name.to_string(), password.to_string()));
                }
                // The value is a secret: the error must not repeat it.
                _ => return Err(UsageError("--oper needs NAME:PASSWORD, both non-empty and without spaces".into())),
            }
        }
        let seconds = |name: &str, default: Duration| -> Result<Duration, UsageError> {
            number(&matches, name, default.as_secs(), 1, 86_400).map(Duration::from_secs)
        };
        let http_redirect = match matches.opt_str("http-redirect") {
            Some(url)
                if !(url.starts_with("http://") || url.starts_with("https://"))
                    || url.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                return Err(UsageError(format!("--http-redirect needs an http:// or https:// URL, not {url:?}")));
            }
            url => url,
        };
        let mut trusted_proxies = Vec::new();
        for text in matches.opt_strs("trusted-proxy") {
            let ip = text
                .parse::<IpAddr>()
                .map_err(|_| UsageError(format!("--trusted-proxy needs an IP address, not {text:?}")))?;
            trusted_proxies.push(ip.to_canonical());
        }
        let mut status_allow = Vec::new();
        for text in matches.opt_strs("status-allow") {
            status_allow.push(text.parse::<Cidr>().map_err(|why| UsageError(format!("--status-allow: {why}")))?);
        }
        let registration = match matches.opt_str("registration").as_deref() {
            None => d.registration,
            Some("open") => Registration::Open,
            Some("closed") => Registration::Closed,
            Some(other) => return Err(UsageError(format!("--registration needs open or closed, not {other:?}"))),
        };
        let state_dir = match matches.opt_str("state-dir") {
            None => d.state_dir,
            Some(dir) if dir.is_empty() => return Err(UsageError("--state-dir needs a directory".into())),
            Some(dir) => PathBuf::from(dir),
        };
        let ping_interval = seconds("ping-interval", d.ping_interval)?;
        let ping_timeout = seconds("ping-timeout", d.ping_timeout)?;
        Ok(Parsed::Run(Box::new(Config {
            listen,
            server_name,
            server_description,
            log_file: matches.opt_str("log-file").map(PathBuf::from),
            log_messages: matches.opt_present("log-messages"),
            log_summary_interval: number(&matches, "log-summary-interval", d.log_summary_interval.as_secs(), 1, 3600)
                .map(Duration::from_secs)?,
            max_clients: number(&matches, "max-clients", d.max_clients, 1, 1_000_000)?,
            max_per_ip: number(&matches, "max-per-ip", d.max_per_ip, 1, 1_000_000)?,
            max_line: number(&matches, "max-line", d.max_line, 64, 65_536)?,
            max_sendq: number(&matches, "max-sendq", d.max_sendq, 4096, 1 << 30)?,
            history: number(&matches, "history", d.history, 0, 10_000)?,
            history_bytes: number(&matches, "history-bytes", d.history_bytes, 1024, 1 << 30)?,
            // Parsed as u64 so that the range is the same on every platform.
            history_total_bytes: number(&matches, "history-total-bytes", d.history_total_bytes as u64, 1024, 1 << 40)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))?,
            history_linger: number(&matches, "history-linger", d.history_linger.as_secs(), 0, 604_800)
                .map(Duration::from_secs)?,
            ping_interval,
            ping_timeout,
            register_timeout: seconds("register-timeout", ping_interval + ping_timeout)?,
            default_room,
            flood_burst: number(&matches, "flood-burst", d.flood_burst, 1, 1_000_000)?,
            flood_rate: number(&matches, "flood-rate", d.flood_rate, 0, 1_000_000)?,
            opers,
            crowd_size: number(&matches, "crowd-size", d.crowd_size, 0, 1_000_000)?,
            crowd_interval: number(&matches, "crowd-interval", d.crowd_interval.as_secs(), 1, 3600)
                .map(Duration::from_secs)?,
            http_listen,
            web_grace: seconds("web-grace", d.web_grace)?,
            http_redirect,
            trusted_proxies,
            status_allow,
            state_dir,
            registration,
            min_password: number(
                &matches,
                "min-password",
                d.min_password,
                1,
                crate::protocol::account::MAX_PASSWORD_BYTES,
            )?,
            hashers: number(&matches, "hashers", d.hashers, 1, 64)?,
            check: matches.opt_present("check"),
        })))
    }
}

#[cfg(test)]
mod tests;

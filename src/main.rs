//! Process lifetime: options, log, listeners, signal handler, broker and acceptor threads, exit
//! status. Never parses protocol and never touches chat state.
//!
//! Exit status: 0 after a clean stop (SIGINT, SIGTERM or SIGHUP), 1 when the server cannot start
//! (a port taken or not permitted, a log file or account database that cannot be opened), 2 for a
//! bad command line. `chatd account ...` is the operator's account command (`accounts::cli`):
//! 0 when done, 1 when it failed, 2 for a bad command line.

use chatd::accounts::{self, Record, Report, Service, Store};
use chatd::broker::{self, Broker};
use chatd::chat;
use chatd::config::{self, Config, Parsed};
use chatd::log::Log;
use chatd::net::capacity::{self, Capacity};
use chatd::net::event::Event;
use chatd::net::listener::{Acceptor, accept_loop};
use chatd::net::reader::InputLimits;
use chatd::net::sys;
use chatd::notify::Notifier;
use std::fmt::Display;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

/// Events waiting for the broker; a full channel slows readers down, which pushes back on clients.
const EVENT_QUEUE: usize = 16 * 1024;

/// Password jobs waiting for a hashing thread; past this, logins are answered "busy, try again".
/// At tens of milliseconds a hash, a full queue is a second or two of work for one thread.
const HASH_QUEUE: usize = 64;

/// How long an unidentified client may hold a registered nickname before it is renamed.
const GUEST_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("account") {
        return account(&args[1..]);
    }
    let config = match Config::from_args(&args) {
        Ok(Parsed::Run(config)) => *config,
        Ok(Parsed::Help) => {
            say(&mut io::stdout(), &config::usage());
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            say(&mut io::stdout(), &format!("chatd {}\n", env!("CARGO_PKG_VERSION")));
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            say(&mut io::stderr(), &format!("chatd: {error}\n\n{}", config::usage()));
            return ExitCode::from(2);
        }
    };
    let result = if config.check { check(&config) } else { run(config) };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            say(&mut io::stderr(), &format!("chatd: {message}\n"));
            ExitCode::from(1)
        }
    }
}

/// `chatd account ...`: manage accounts in the database, whether the server runs or not.
fn account(args: &[String]) -> ExitCode {
    let invocation = match accounts::cli::parse(args) {
        Ok(accounts::cli::Parsed::Run(invocation)) => invocation,
        Ok(accounts::cli::Parsed::Help) => {
            say(&mut io::stdout(), &accounts::cli::usage());
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            say(&mut io::stderr(), &format!("chatd account: {error}\n\n{}", accounts::cli::usage()));
            return ExitCode::from(2);
        }
    };
    match accounts::cli::run(&invocation, &mut accounts::cli::Interactive, &mut io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            say(&mut io::stderr(), &format!("chatd account: {error}\n"));
            ExitCode::from(1)
        }
    }
}

/// Writes `text` to stdout or stderr and flushes, ignoring failure: a closed or broken stream
/// (`chatd --check >&-`, a pipe whose reader left) must not make chatd panic, and there is nowhere
/// else to say it.
fn say(stream: &mut dyn Write, text: &str) {
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}

fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            io::ErrorKind::AddrInUse => " (is another server using that port?)",
            io::ErrorKind::PermissionDenied => " (ports below 1024 need CAP_NET_BIND_SERVICE or root)",
            io::ErrorKind::AddrNotAvailable => " (that address is not on this machine)",
            _ => "",
        };
        format!("cannot listen on {addr}: {e}{hint}")
    })
}

/// The host name, for the default server name. `/etc/hostname` is the fallback for sandboxes
/// that hide `/proc/sys` (the systemd unit's `ProcSubset=pid`).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or_else(|| "chatd".to_string())
}

fn open_store(config: &Config) -> Result<Store, String> {
    Store::open(&config.state_dir)
        .map_err(|e| format!("cannot open the account database in {}: {e}", config.state_dir.display()))
}

/// Opens the account database, reads every account and starts the accounts threads (one for the
/// database, `--hashers` for passwords). `report` is called on those threads with each answer.
fn start_accounts(
    config: &Config,
    report: Box<dyn Fn(Report) + Send + Sync>,
) -> Result<(Service, Vec<Record>), String> {
    let store = open_store(config)?;
    // Read before the accounts: whatever the operator commits from here on is noticed.
    let seen = store
        .data_version()
        .map_err(|e| format!("cannot read the account database in {}: {e}", config.state_dir.display()))?;
    let records = store
        .load_all()
        .map_err(|e| format!("cannot read the account database in {}: {e}", config.state_dir.display()))?;
    let service = Service::start(store, Some(seen), config.hashers, HASH_QUEUE, report)
        .map_err(|e| format!("cannot start the accounts threads: {e}"))?;
    Ok((service, records))
}

/// `--check`: everything `run` would verify before serving, without serving.
fn check(config: &Config) -> Result<(), String> {
    if let Some(path) = &config.log_file {
        Log::file(path).map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
    }
    drop(open_store(config)?);
    for &addr in config.listen.iter().chain(&config.http_listen) {
        drop(bind(addr)?);
    }
    let server_name = config.server_name.clone().unwrap_or_else(host_name);
    say(&mut io::stdout(), &format!("{}# configuration OK\n", config.describe(&server_name)));
    Ok(())
}

fn run(config: Config) -> Result<(), String> {
    let log = Arc::new(match &config.log_file {
        Some(path) => Log::file(path).map_err(|e| format!("cannot open log file {}: {e}", path.display()))?,
        None => Log::stderr(),
    });
    log.set_summary_interval(config.log_summary_interval);
    let (events_tx, events_rx) = crossbeam_channel::bounded::<Event>(EVENT_QUEUE);
    // Before binding: a database that cannot be opened stops the server before it serves. The
    // accounts threads answer the broker through its one channel, like everyone else.
    let reports = events_tx.clone();
    let (accounts, records) = start_accounts(
        &config,
        Box::new(move |report| {
            let _ = reports.send(Event::Accounts(report));
        }),
    )?;
    // Before any client: send queues must come from the heap, not each from a mapping of its
    // own, or slow readers would spend the map-count budget `capacity` measures below.
    let mmap_threshold = capacity::mmap_threshold(config.max_sendq);
    if !capacity::set_mmap_threshold(mmap_threshold) {
        log.warn("mmap_threshold_not_set", &[("bytes", &mmap_threshold)]);
    }
    // Bind everything before starting anything, so a failure leaves nothing half-started.
    // The chat ports detect each connection's dialect; `--http-listen` ports speak only HTTP.
    let web: &'static dyn chatd::protocol::dialect::Dialect = &chatd::protocol::web::WEB;
    let ports =
        config.listen.iter().map(|addr| (addr, None)).chain(config.http_listen.iter().map(|addr| (addr, Some(web))));
    let (listeners, dialects): (Vec<_>, Vec<_>) = ports
        .map(|(&addr, dialect)| bind(addr).map(|l| (l, dialect)))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let bound: Vec<String> =
        listeners.iter().map(|l| l.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into())).collect();
    // The Flash policy file names the chat ports (not the HTTP-only ones).
    let chat_ports: Vec<u16> = listeners
        .iter()
        .zip(&dialects)
        .filter(|(_, dialect)| dialect.is_none())
        .filter_map(|(listener, _)| listener.local_addr().ok().map(|a| a.port()))
        .collect();
    chatd::protocol::xml::set_policy_ports(&chat_ports);

    let notifier = Arc::new(Notifier::from_env());
    // Installed before the start line is logged: whoever sees that line may signal at once.
    // ctrlc's `termination` feature routes SIGINT, SIGTERM and SIGHUP here: all mean "stop".
    // The handler runs on a thread of its own, which may wait for room in the queue.
    let stop_tx = events_tx.clone();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(Event::Stop { why: "signal" });
    })
    .map_err(|e| format!("cannot install the signal handler: {e}"))?;

    // std listens with a backlog of 128; ask for the system's maximum instead.
    let mut backlog = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .map_or_else(|| "unknown".to_string(), |n| n.to_string());
    for (listener, addr) in listeners.iter().zip(&bound) {
        if let Err(e) = sys::listen_with_longest_backlog(listener) {
            log.warn("backlog_not_raised", &[("listen", addr), ("error", &e)]);
            backlog = "128".to_string();
        }
    }

    let fd_limit = sys::raise_fd_limit().ok().map(|(_, after)| after);
    // Measured before the broker and acceptor threads start: `capacity` keeps room for them.
    let limits = capacity::Limits::read(fd_limit);
    let capacity = Capacity::of(&limits);
    let fd_limit = fd_limit.map_or_else(|| "unknown".to_string(), |n| n.to_string());
    let server_name = config.server_name.clone().unwrap_or_else(host_name);
    log.info(
        "start",
        &[
            ("version", &env!("CARGO_PKG_VERSION")),
            ("listen", &bound.join(",")),
            ("server_name", &server_name),
            ("pid", &std::process::id()),
            ("max_clients", &config.max_clients),
            ("max_per_ip", &config.max_per_ip),
            ("max_line", &config.max_line),
            ("max_sendq", &config.max_sendq),
            ("history", &config.history),
            ("history_bytes", &config.history_bytes),
            ("history_total_bytes", &config.history_total_bytes),
            ("history_linger", &format!("{}s", config.history_linger.as_secs())),
            ("ping_interval", &format!("{}s", config.ping_interval.as_secs())),
            ("ping_timeout", &format!("{}s", config.ping_timeout.as_secs())),
            ("register_timeout", &format!("{}s", config.register_timeout.as_secs())),
            ("default_room", &config.default_room),
            ("flood", &format!("{}/{}", config.flood_burst, config.flood_rate)),
            ("opers", &config.opers.len()),
            ("crowd", &format!("{}/{}s", config.crowd_size, config.crowd_interval.as_secs())),
            ("fd_limit", &fd_limit),
            ("backlog", &backlog),
        ],
    );
    log.info(
        "accounts",
        &[
            ("path", &config.state_dir.join(accounts::DATABASE_FILE).display()),
            ("accounts", &records.len()),
            ("registration", &config.registration),
            ("hashers", &config.hashers),
        ],
    );
    let fields = capacity.log_fields(&limits);
    log.info("capacity", &fields.iter().map(|(key, value)| (*key, value as &dyn Display)).collect::<Vec<_>>());
    if config.max_clients > capacity.clients {
        log.warn(
            "capacity_low",
            &[("max_clients", &config.max_clients), ("capacity", &capacity.clients), ("bound", &capacity.bound.name())],
        );
    }

    let traffic = Arc::new(chatd::net::traffic::Traffic::default());
    let broker = Broker::new(
        broker::Settings {
            server_name: server_name.clone(),
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            max_sendq: config.max_sendq,
            ping_interval: config.ping_interval,
            ping_timeout: config.ping_timeout,
            register_timeout: config.register_timeout,
            log_messages: config.log_messages,
            web: broker::WebSettings {
                grace: config.web_grace,
                redirect: config.http_redirect.clone(),
                trusted_proxies: config.trusted_proxies.clone(),
                status_allow: config.status_allow.clone(),
                max_clients: config.max_clients,
                max_per_ip: config.max_per_ip,
                max_line: config.max_line,
                flood_burst: config.flood_burst,
                flood_rate: config.flood_rate,
            },
        },
        chat::Settings {
            server_name,
            server_description: config.server_description.clone(),
            default_room: config.default_room.clone(),
            history: chatd::room::HistoryLimits {
                lines: config.history,
                room_bytes: config.history_bytes,
                total_bytes: config.history_total_bytes,
                replay_bytes: chatd::room::replay_budget(config.max_sendq),
            },
            audit_messages: config.log_messages,
            opers: config.opers.clone(),
            crowd_size: config.crowd_size,
            crowd_interval: config.crowd_interval.as_millis() as u64,
            registration_open: config.registration == config::Registration::Open,
            min_password: config.min_password,
            guest_grace: GUEST_GRACE.as_millis() as u64,
            history_linger: config.history_linger.as_millis() as u64,
        },
        Arc::clone(&log),
        Arc::clone(&notifier),
    )
    .with_traffic(Arc::clone(&traffic))
    .with_accounts(accounts, records);
    let broker_thread = thread::Builder::new()
        .name("broker".into())
        .spawn(move || broker.run(events_rx))
        .map_err(|e| format!("cannot start the broker thread: {e}"))?;

    let acceptor = Acceptor::new(
        events_tx,
        Arc::clone(&log),
        config.max_clients,
        config.max_per_ip,
        InputLimits { max_line: config.max_line, flood_burst: config.flood_burst, flood_rate: config.flood_rate },
        config.ping_interval,
        config.ping_timeout,
    );
    let acceptor = acceptor.with_capacity(capacity.clients, capacity.reader_threads);
    let acceptor = Arc::new(acceptor.sharing(traffic, config.trusted_proxies.clone()));
    for ((listener, addr), dialect) in listeners.into_iter().zip(&bound).zip(dialects) {
        let acceptor = Arc::clone(&acceptor);
        thread::Builder::new()
            .name(format!("accept-{addr}"))
            .spawn(move || accept_loop(listener, acceptor, dialect))
            .map_err(|e| format!("cannot start the acceptor thread: {e}"))?;
    }
    drop(acceptor);
    // Every listener is bound and accepting (the kernel queues connections from `bind` on). The
    // start line is written before READY=1 (for up to `log::FLUSH_WAIT`: a blocked stderr must
    // not keep the service from starting).
    log.flush();
    notifier.send("READY=1\nSTATUS=accepting connections");

    let result = broker_thread.join();
    match result {
        Ok(()) => {
            // Counts of repeated per-peer lines still pending go out before the last line; the
            // flush waits a bounded time for the writer, so a blocked stderr cannot hold up exit.
            log.flush_summaries();
            log.info("stopped", &[]);
            log.flush();
            Ok(())
        }
        Err(_) => {
            log.flush_summaries();
            log.error("broker_panicked", &[]);
            log.flush();
            Err("internal error: the broker thread panicked (see the log)".to_string())
        }
    }
}

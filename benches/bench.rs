//! `cargo bench`: chatd under load on loopback, optionally against ngircd and InspIRCd.
//!
//! Starts a release chatd (and each `--peer`) afresh for every scenario, drives it over IRC with a
//! single-threaded epoll load generator (mio), and prints a table plus one JSON line per run. See
//! `cargo bench -- --help` for the options. Everything runs on 127.0.0.1 only, and every loop is
//! bounded in time and count.
//!
//! This file holds the options, the run plan (which scenarios, in which order, against which
//! servers, how many rounds) and `--profile`. The rest, one concern a module:
//! - `servers`: starting and stopping chatd, ngircd and InspIRCd, their configurations, chatd's log;
//! - `loadgen`: the epoll load generator (`Net`), registering clients, the slow reader;
//! - `measure`: the shared clock, the latency histogram, /proc;
//! - `scenarios`: fanout, rate, slow reader, idle, churn, crowd, the web face's fanout and idle
//!   sessions, the fanout beside a storm of logins, private messages between XMLSocket clients
//!   beside the same between IRC clients, and the soak, each returning metrics;
//! - `report`: the table, the JSON lines, the plot, and `--from` (replay of a saved run).
//!
//! Modules live in directories (`benches/NAME/mod.rs`): cargo would take a `benches/NAME.rs` for
//! a bench target of its own.

mod loadgen;
mod measure;
mod report;
mod scenarios;
mod servers;

use measure::{now_ns, raise_fd_limit};
use report::Results;
use scenarios::room::{FANOUT_SIZES, Load, room_load};
use scenarios::{Scenario, churn::churn, crowd::crowd, idle::idle, login, soak, web::idle_web, xml};
use servers::{BASE_BINARY, CHATD_WRAP, Kind, Server, peer_limits};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// Logins in the login scenario's storm (None: its default).
    logins: Option<usize>,
    /// Pairs of each face in the xml scenario (None: its default).
    pairs: Option<usize>,
    /// The soak's seconds of load.
    soak_secs: u64,
}

const USAGE: &str =
    "usage: cargo bench --bench bench -- [--quick] [--rounds N] [--peer ngircd|inspircd]... [--only LIST]
   or: CHATD_BENCH_ARGS='--quick --peer ngircd' cargo bench

  --quick        shorter runs (about a third of the time); also CHATD_BENCH_QUICK=1
  --rounds N     repeat every scenario N times, servers interleaved (A B A B); default 1
  --peer NAME    also run against ngircd or inspircd (repeatable, or comma-separated)
  --only LIST    comma-separated scenarios: fanout, rate, idle, churn, slow, crowd, web, login,
                 xml (default: all);
                 web (chatd only): the fanout with web sessions as receivers, each size right
                 after the IRC fanout's (which it runs too), and idle web sessions
                 login (chatd only): fanout-100 alone, then while a storm of netcat users log in
                 to accounts made before the server started (one in four with a wrong password)
                 xml (chatd only): private messages between pairs of IRC clients, then between
                 pairs of XMLSocket clients (logged in to accounts), on one server
                 soak runs only when named: chatd (and --base) under mixed load, sampled every
                 second into the results and target/bench/soak-plot.svg
  --soak-secs N  soak: seconds of mixed load (default 600)
  --window N     fanout and xml: messages in flight per sender (default 8; more favours
                 throughput over latency)
  --crowd N      crowd: netcat users joining the default room (default 3000; quick 1000)
  --logins N     login: users in the storm (default 200; quick 50)
  --pairs N      xml: sender-receiver pairs of each face (default 50; quick 20)
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
        logins: None,
        pairs: None,
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
            "--logins" => {
                o.logins = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|&n| n > 0 && n <= login::MAX_LOGINS)
                        .ok_or(format!("--logins needs 0 < N <= {}", login::MAX_LOGINS))?,
                )
            }
            "--pairs" => {
                o.pairs = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|&n| n > 0 && n <= xml::MAX_PAIRS)
                        .ok_or(format!("--pairs needs 0 < N <= {}", xml::MAX_PAIRS))?,
                )
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
        web: false,
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
        if let Err(e) = report::replay(from, &out_dir) {
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
    let idle_web_size = if q { 5000 } else { 10000 };
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
            web: false,
        };
        // The web fanout is read beside the IRC fanout of the same run, so `web` runs that too.
        let irc_fanout = want("fanout") || want("web");
        if irc_fanout || want("slow") {
            for &n in &FANOUT_SIZES {
                if n == 100 || irc_fanout {
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
                if want("web") {
                    let load = Load { web: true, ..fanout(n, false) };
                    plan.push((format!("web-{n}"), Box::new(move |s| room_load(s, &load))));
                }
            }
        }
        if want("login") {
            let n = o.logins.unwrap_or(if q { 50 } else { 200 });
            let load = fanout(100, false);
            plan.push((format!("login-{n}"), Box::new(move |s| login::login(s, &load, n))));
        }
        if want("xml") {
            let pairs = o.pairs.unwrap_or(if q { 20 } else { 50 });
            let load = xml::PairLoad { pairs, window: o.window, warmup: secs(1.0, 0.5), measure: secs(5.0, 2.0) };
            plan.push((format!("xml-{pairs}"), Box::new(move |s| xml::xml(s, &load))));
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
        if want("web") {
            let n = idle_web_size;
            plan.push((format!("idle-web-{n}"), Box::new(move |s| idle_web(s, n))));
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
                // Only chatd speaks netcat (crowd) and XMLSocket (xml) and has a web face and
                // accounts (login), and the soak reads chatd's log.
                let soaking = scenario == "soak";
                let chatd_only =
                    ["crowd", "web-", "idle-web-", "login-", "xml-"].iter().any(|p| scenario.starts_with(p));
                if (soaking || chatd_only) && !kind.is_chatd() {
                    continue;
                }
                let t = Instant::now();
                let options = if soaking { soak::CHATD_OPTIONS } else { &[] };
                // The login storm's and the XML clients' accounts exist before chatd starts, as
                // after a restart.
                let number = |prefix: &str| scenario.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok());
                let (logins, pairs) = (number("login-"), number("xml-"));
                let prepare = |binary: &str, state: &Path| match (logins, pairs) {
                    (Some(n), _) => login::prepare_accounts(binary, state, n),
                    (_, Some(n)) => xml::prepare_accounts(binary, state, n),
                    _ => Ok(()),
                };
                let outcome = Server::start_prepared(kind, options, &prepare).and_then(|server| {
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
                if let Some(size) = scenario.strip_prefix("web-")
                    && let (Some(web), Some(irc)) = (
                        metrics.iter().find(|m| m.0 == "deliveries_per_s").map(|m| m.1),
                        results
                            .values
                            .get(&(format!("fanout-{size}"), "deliveries_per_s"))
                            .and_then(|r| r.get(&kind))
                            .and_then(|v| v.last().copied()),
                    )
                {
                    metrics.push(("web_to_irc", web / irc));
                }
                results.add(scenario, kind, &metrics);
                let seconds = t.elapsed().as_secs_f64();
                let line = report::result_line(kind, round, scenario, q, o.window, seconds, &metrics);
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
    let table = report::print_table(&results, &kinds, o.rounds);
    println!("\n{table}");
    println!("{}; total {:.0} s", report::table_legend(o.rounds), started.elapsed().as_secs_f64());
    let _ = std::fs::write(out_dir.join("results.jsonl"), &jsonl);
    let _ = std::fs::write(out_dir.join("table.txt"), &table);
    if want("fanout") {
        let svg = report::plot_svg(&results, &kinds, &FANOUT_SIZES);
        match std::fs::write(out_dir.join("plot.svg"), svg) {
            Ok(()) => println!("plot: {}", out_dir.join("plot.svg").display()),
            Err(e) => eprintln!("bench: cannot write the plot: {e}"),
        }
    }
}

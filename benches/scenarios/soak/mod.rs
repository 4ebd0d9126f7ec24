//! The soak scenario (`cargo bench -- --only soak [--soak-secs N]`): chatd under mixed load for a
//! long time (10 minutes by default), its process sampled every second.
//!
//! Owns the mixed load, the samples (resident memory, threads and open descriptors from /proc;
//! connected clients from chatd's log), the soak's verdicts and its chart. The load, all on
//! 127.0.0.1, each part bounded in connections and in time:
//! - fanout: 100 members of #fanout, 5 of them sending numbered lines at a fixed rate; every member
//!   checks that it got each other sender's lines once and in order;
//! - flood: 2 netcat users in #flood sending 1 KB lines fast, which keeps the room's history full
//!   (they check each other's lines the same way); every few seconds a netcat newcomer joins
//!   #flood, is shown its history, reads for 2 s and quits: it reads, so it must not be evicted;
//! - churn: connect, register, join, one line, quit, in a loop, at a bounded rate;
//! - slow readers: members of #flood that stop reading; each is replaced once chatd's log shows it
//!   evicted;
//! - garbage: connections sending random bytes (NULs, invalid UTF-8, overlong lines, IRC-shaped
//!   nonsense) for a few seconds each, then the next;
//! - dawdlers: connections that never register but keep talking (`PING`, invalid nicknames); a
//!   registration deadline evicts them. How many are open is sampled, not asserted.
//!
//! When the load stops, the server must settle: descriptors back to what it had idle, threads too
//! (an idle reader thread waits 10 s for a next client before it ends), no client left, and a new
//! client is served.
//!
//! The files: `load` (the load's parts, one thread each, and what they share), `log` (what the
//! soak learns from chatd's log), `sample` (the sampler, once a second), `verdict` (the metrics
//! and the verdicts printed at the end) and `chart` (the SVG). The load's shape is set by the
//! constants here, in one place.

mod chart;
mod load;
mod log;
mod sample;
mod verdict;

pub use chart::plots_by_server;
pub use sample::Sample;

use super::Metrics;
use crate::loadgen::numeric;
use crate::measure::cpu_seconds;
use crate::report::fmt_num;
use crate::servers::Server;
use chart::{out_file, plot_svg};
use load::{Live, Load};
use log::{LogSeen, follow_log};
use sample::Sampler;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use verdict::Outcome;

/// chatd's options for the soak, over the bench's: the most history lines `--history` allows
/// (10,000), so that only the byte bounds (`--history-bytes`, `--history-total-bytes`, at their
/// defaults) limit it, and a chatd without them keeps about 10 MB of 1 KB lines in #flood, far
/// more than a send queue; the flood fills that in 25 s and the fanout its own in 50 s, within the
/// warm-up. A ping cycle of 30 + 30 s: slow readers meet their send queue long before a ping
/// timeout, and the registration deadline (by default the two together) turns over about ten
/// times in a 10-minute soak.
pub const CHATD_OPTIONS: &[&str] = &["--history", "10000", "--ping-interval", "30", "--ping-timeout", "30"];

/// Well-behaved readers in #fanout; the first `FANOUT_SENDERS` of them also send.
const FANOUT_READERS: usize = 100;
const FANOUT_SENDERS: usize = 5;
/// Lines per second into #fanout, all senders together.
const FANOUT_RATE: f64 = 200.0;
/// Members of #flood that send long lines.
const FLOODERS: usize = 2;
/// Lines per second into #flood, all flooders together, and the padding of each (about 1,000
/// bytes a line with the numbers, near chatd's default `--max-line` of 1,024).
const FLOOD_RATE: f64 = 400.0;
const FLOOD_TEXT: usize = 960;
/// A history joiner comes this often, stays this long once joined.
const JOINER_EVERY: Duration = Duration::from_secs(5);
const JOINER_STAYS: Duration = Duration::from_secs(2);
/// Churn loops, and the most sessions per second they start together.
const CHURN_LOOPS: usize = 4;
const CHURN_RATE: f64 = 20.0;
/// Slow readers at a time; one that is not evicted within `SLOW_GIVE_UP` is given up (and counted).
const SLOW_READERS: usize = 3;
const SLOW_GIVE_UP: Duration = Duration::from_secs(90);
/// Garbage connections at a time: each sends `GARBAGE_CHUNK` bytes every 100 ms for `GARBAGE_LASTS`.
const GARBAGE: usize = 4;
const GARBAGE_CHUNK: usize = 2048;
const GARBAGE_LASTS: Duration = Duration::from_secs(3);
/// Dawdlers at a time; each says something every `DAWDLE_EVERY` and never registers.
const DAWDLERS: usize = 8;
const DAWDLE_EVERY: Duration = Duration::from_secs(2);
/// How long readers may take to receive what was sent before the load stopped.
const DRAIN: Duration = Duration::from_secs(10);
/// How long the server may take to free everything once the load has stopped.
const SETTLE: Duration = Duration::from_secs(30);
/// A soak value that grew by more than this (last half against the minute after the warm-up) is
/// not flat.
const FLAT_PCT: f64 = 10.0;

/// The warm-up of a soak with this much load: the first minute, or the first quarter of a short run.
pub fn warmup(load_for: f64) -> f64 {
    (load_for / 4.0).min(60.0)
}

/// The soak against a chatd started with `CHATD_OPTIONS`: `load_for` of mixed load, then the
/// settling. Pushes one JSON line per sample onto `series` and writes the chart into `out_dir`.
pub fn run(server: &Server, load_for: Duration, out_dir: &Path, series: &mut Vec<String>) -> Result<Metrics, String> {
    let (pid, addr) = (server.pid(), server.addr);
    let seen = Arc::new(Mutex::new(LogSeen::default()));
    let log_done = Arc::new(AtomicBool::new(false));
    let follower = {
        let (seen, done, path) = (seen.clone(), log_done.clone(), server.dir.join("server.log"));
        std::thread::spawn(move || follow_log(&path, &seen, &done))
    };
    // Ends the log follower however this returns.
    struct Done(Arc<AtomicBool>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let done = Done(log_done);
    let live = Arc::new(Live::default());
    let (user, system) = cpu_seconds(pid);
    let mut sampler = Sampler {
        server: server.kind.name(),
        pid,
        seen: &seen,
        live: &live,
        t0: Instant::now(),
        cpu: (Instant::now(), user + system),
        samples: Vec::new(),
        series,
    };

    // What the idle server holds.
    std::thread::sleep(Duration::from_secs(1));
    let idle = sampler.take("idle").clone();
    let secs = load_for.as_secs_f64();
    println!(
        "soak: {secs:.0} s of mixed load (warm-up {:.0} s), then up to {} s to settle; idle chatd: {} MiB, {} \
         threads, {} descriptors",
        warmup(secs),
        SETTLE.as_secs(),
        fmt_num(idle.rss_kib / 1024.0),
        idle.threads,
        idle.fds
    );

    sampler.t0 = Instant::now();
    let load = Load::start(addr, &live, &seen);
    let mut died = false;
    let load_secs = sampler
        .every_second("load", load_for, |s| {
            if (s.t_s as u64).is_multiple_of(10) {
                println!(
                    "soak: {:>4} s  rss {:>6} MiB  threads {:>4}  fds {:>5}  clients {:>5}  dawdlers open {}  cpu \
                     {:>3.0} %  evictions {}",
                    s.t_s,
                    fmt_num(s.rss_kib / 1024.0),
                    s.threads,
                    s.fds,
                    s.clients,
                    s.dawdlers_open,
                    s.cpu_pct,
                    s.evictions
                );
            }
            died = exited(pid);
            !died && !load.broken()
        })
        .as_secs_f64();
    live.stop.store(true, Ordering::Relaxed);
    let parts = load.finish()?;
    if died {
        return Err("chatd exited during the soak".into());
    }

    // Settling: every client gone, descriptors and threads back to the idle server's.
    let mut freed = false;
    let settle = sampler.every_second("settle", SETTLE, |s| {
        freed = s.fds <= idle.fds && s.threads <= idle.threads && s.clients == 0.0;
        !freed
    });
    let settled_after = if freed { settle.as_secs_f64() } else { f64::NAN };
    let fresh = fresh_client(addr);
    // Let the log follower read the last lines (the fresh client's quit among them).
    std::thread::sleep(Duration::from_millis(300));
    drop(done);
    let _ = follower.join();
    let seen = seen.lock().unwrap();
    let samples = sampler.samples;

    let outcome = Outcome { parts, seen: &seen, samples: &samples, idle, load_secs, settled_after, fresh };
    let metrics = outcome.metrics();
    outcome.report(&metrics);
    let plot = out_dir.join(out_file("plot", server.kind.name(), "svg"));
    match std::fs::write(&plot, plot_svg(&samples)) {
        Ok(()) => println!("soak plot: {}", plot.display()),
        Err(e) => eprintln!("bench: cannot write {}: {e}", plot.display()),
    }
    // chatd's log goes with its server directory: keep a copy to look into.
    let log = out_dir.join(out_file("server", server.kind.name(), "log"));
    match std::fs::copy(server.dir.join("server.log"), &log) {
        Ok(bytes) => {
            println!("soak: chatd's log ({} MiB): {}", fmt_num(bytes as f64 / (1 << 20) as f64), log.display())
        }
        Err(e) => eprintln!("bench: cannot copy chatd's log to {}: {e}", log.display()),
    }
    Ok(metrics)
}

/// Registers a new IRC client, joins #fanout, says one line and quits; within 10 s.
fn fresh_client(addr: SocketAddr) -> Result<(), String> {
    let mut sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    sock.write_all(b"NICK fresh\r\nUSER u 0 * :r\r\n").map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(sock.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| format!("fresh client: {e}"))? == 0 {
            return Err("the fresh client was closed while registering".into());
        }
        match numeric(line.trim_end().as_bytes()) {
            Some(376 | 422) => sock.write_all(b"JOIN #fanout\r\n").map_err(|e| e.to_string())?,
            Some(366) => break,
            Some(code @ 400..=599) => return Err(format!("fresh client: {code}: {}", line.trim_end())),
            _ => {}
        }
    }
    sock.write_all(b"PRIVMSG #fanout :still here\r\nQUIT :bye\r\n").map_err(|e| e.to_string())?;
    Ok(())
}

/// Whether the process has exited (it is a zombie until the bench reaps it, or gone).
fn exited(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return true };
    stat.rfind(')').and_then(|i| stat.get(i + 2..)?.chars().next()) == Some('Z')
}

//! `login-N`: does a storm of N logins stall message delivery? (Only chatd has accounts.)
//!
//! The fanout of `fanout-100` (the same 10 senders and window) runs twice in one room on one
//! server: alone, then while N netcat users connect at once and log in to accounts made before
//! the server started (`chatd account add`), one in four with a wrong password. A password check
//! is Argon2id (about 19 MiB and tens of milliseconds of a core), done by chatd's small pool of
//! hashing threads, which answers "busy" at once when its queue is full: a user told so tries
//! again half a second later, as a person or a client reconnecting after a restart would, so
//! the pool stays busy until every login has been checked. The storm's run measures the fanout
//! from the storm's first connection until its last login is answered, and reports each figure
//! beside the run alone (their ratio is the goal's reading: close to 1).
//!
//! Each storm user connects from an address of its own in 127.1.0.0/16: chatd counts failed
//! logins per address (20 in 10 minutes stop an address's logins), and a storm after a restart
//! comes from many addresses, not one.

use super::Metrics;
use super::room::{Beside, Load, Room};
use crate::loadgen::{Net, find};
use crate::measure::{Histogram, threads_cpu_seconds};
use crate::servers::Server;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Storm users at most (each needs an address of its own in 127.1.0.0/16).
pub const MAX_LOGINS: usize = 250 * 256;
/// How long a user told "busy" waits before trying again.
const RETRY_AFTER: Duration = Duration::from_millis(500);
/// The storm's longest run: every login must be answered within it.
const STORM_LIMIT: Duration = Duration::from_secs(120);

/// Storm user `j`'s account (and nickname).
fn account(j: usize) -> String {
    format!("acct{j}")
}

/// Whether storm user `j` types a wrong password: one in four.
fn types_wrong(j: usize) -> bool {
    j % 4 == 3
}

fn right_password(j: usize) -> String {
    format!("right-password-{j}")
}

/// The password storm user `j` types.
fn typed_password(j: usize) -> String {
    if types_wrong(j) { format!("wrong-password-{j}") } else { right_password(j) }
}

/// Storm user `j`'s address.
fn address(j: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 1, (j / 250) as u8, (j % 250 + 1) as u8)
}

/// Creates the accounts of `logins` storm users in `state`, before the server starts.
pub fn prepare_accounts(binary: &str, state: &Path, logins: usize) -> Result<(), String> {
    (0..logins).try_for_each(|j| add_account(binary, state, &account(j), &right_password(j)))
}

/// Creates the account `name` in `state` with chatd's operator command (the password as a line of
/// its standard input), before the server starts.
pub fn add_account(binary: &str, state: &Path, name: &str, password: &str) -> Result<(), String> {
    let mut child = Command::new(binary)
        .args(["account", "add", name, "--state-dir"])
        .arg(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {binary} account add: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}").map_err(|e| format!("chatd account add: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("chatd account add: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "chatd account add {name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// Where a storm user is in its login.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    /// Sent its nickname, waiting for the password prompt.
    Choosing,
    /// Sent its password, waiting for the answer.
    Checking,
    /// Told "busy": sends its nickname again at this time.
    Retrying(Instant),
    /// Its password was checked (and the answer was the right one).
    Answered,
}

/// What the storm measured.
struct Storm {
    /// From the first connection until the last login was answered.
    took: Duration,
    refused: u64,
    /// Busy answers, and the users who had one or more.
    busy: u64,
    told_busy: u64,
    /// Each user's wait, from connecting until its password was checked (busy answers included).
    waits: Histogram,
}

/// N users connect (at most `window` waiting for their prompt, below chatd's listen backlog) once
/// the run beside it measures, and log in; ends `beside` when every login is answered.
fn storm(addr: SocketAddr, logins: usize, window: usize, beside: &Beside) -> Result<Storm, String> {
    let mut net = Net::new(addr).map_err(|e| e.to_string())?;
    while !beside.started() {
        if beside.over() {
            return Err("the storm was called off".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let t0 = Instant::now();
    let mut steps: Vec<Step> = Vec::with_capacity(logins);
    let mut opened_at: Vec<Instant> = Vec::with_capacity(logins);
    let (mut prompted, mut was_busy) = (vec![false; logins], vec![false; logins]);
    let (mut prompts, mut answered, mut refused, mut busy) = (0, 0, 0u64, 0u64);
    let mut waits = Histogram::new();
    let mut error: Option<String> = None;
    while answered < logins {
        while steps.len() < logins && steps.len() - prompts < window {
            let j = steps.len();
            let i = net.open_from(address(j)).map_err(|e| format!("connect from {}: {e}", address(j)))?;
            if i != j {
                return Err(format!("storm user {j} got connection {i}"));
            }
            net.send(i, format!("{}\n", account(j)).as_bytes());
            steps.push(Step::Choosing);
            opened_at.push(Instant::now());
        }
        let now = Instant::now();
        for (j, step) in steps.iter_mut().enumerate() {
            if matches!(*step, Step::Retrying(at) if at <= now) {
                net.send(j, format!("{}\n", account(j)).as_bytes());
                *step = Step::Choosing;
            }
        }
        net.poll(Duration::from_millis(10), |net, j, line| {
            let Some(step) = steps.get_mut(j) else { return };
            let Some(line) = line else {
                if *step != Step::Answered {
                    error.get_or_insert_with(|| format!("storm user {j} was disconnected in step {step:?}"));
                }
                return;
            };
            let said = |text: &[u8]| find(line, text).is_some();
            match *step {
                Step::Choosing if line.starts_with(b"Password for ") => {
                    if !prompted[j] {
                        prompted[j] = true;
                        prompts += 1;
                    }
                    net.send(j, format!("{}\n", typed_password(j)).as_bytes());
                    *step = Step::Checking;
                }
                Step::Checking if said(b"busy checking passwords") => {
                    busy += 1;
                    was_busy[j] = true;
                    *step = Step::Retrying(Instant::now() + RETRY_AFTER);
                }
                Step::Checking
                    if said(b"-- You are now logged in as ") || said(b"Invalid account name or password") =>
                {
                    let accepted = said(b"-- You are now logged in as ");
                    if accepted == types_wrong(j) {
                        let what = if accepted { "a wrong password was accepted" } else { "the right one was refused" };
                        error.get_or_insert_with(|| format!("storm user {j}: {what}"));
                    }
                    if !accepted {
                        refused += 1;
                        // Back at the prompt with a try less: this user gives up.
                        net.close(j);
                    }
                    waits.record(opened_at[j].elapsed().as_nanos() as u64);
                    answered += 1;
                    *step = Step::Answered;
                }
                Step::Choosing if line.starts_with(b"-- Hello ") => {
                    error.get_or_insert_with(|| format!("storm user {j}: {} is not a registered nickname", account(j)));
                }
                Step::Choosing | Step::Checking if line.starts_with(b"error: ") => {
                    let line = String::from_utf8_lossy(line);
                    error.get_or_insert_with(|| format!("storm user {j} in step {step:?}: {line}"));
                }
                _ => {}
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        if beside.over() {
            return Err(format!("the storm was called off after {answered} of {logins} logins"));
        }
        if t0.elapsed() > STORM_LIMIT {
            return Err(format!("only {answered} of {logins} logins were answered within {STORM_LIMIT:?}"));
        }
    }
    let told_busy = was_busy.iter().filter(|&&b| b).count() as u64;
    Ok(Storm { took: t0.elapsed(), refused, busy, told_busy, waits })
}

/// A figure of a fanout run's metrics (NaN when missing).
fn figure(metrics: &Metrics, name: &str) -> f64 {
    metrics.iter().find(|m| m.0 == name).map_or(f64::NAN, |m| m.1)
}

/// `login-N`: the fanout `load` alone, then beside a storm of `logins` logins.
pub fn login(server: &Server, load: &Load, logins: usize) -> Result<Metrics, String> {
    if logins > MAX_LOGINS {
        return Err(format!("at most {MAX_LOGINS} logins"));
    }
    let mut room = Room::join(server, load)?;
    let alone = room.run(server, load, None)?;
    let beside = Beside::default();
    let hashing0 = threads_cpu_seconds(server.pid(), "hasher-");
    let (addr, window) = (server.addr, server.kind.connect_window());
    let (during, storm) = std::thread::scope(|scope| {
        let storm = scope.spawn(|| {
            let storm = storm(addr, logins, window, &beside);
            beside.end();
            storm
        });
        // The storm's run measures for as long as the storm lasts (it fails past STORM_LIMIT).
        let during = room.run(server, &Load { measure: STORM_LIMIT, ..*load }, Some(&beside));
        beside.end();
        (during, storm.join().unwrap_or_else(|_| Err("the storm's thread panicked".into())))
    });
    let hashing = threads_cpu_seconds(server.pid(), "hasher-") - hashing0;
    let (during, storm) = (during?, storm?);
    let pair = |name| (figure(&alone, name), figure(&during, name));
    let (deliveries, p50, p99, cpu) =
        (pair("deliveries_per_s"), pair("p50_us"), pair("p99_us"), pair("cpu_us_per_delivery"));
    let storm_s = storm.took.as_secs_f64();
    // The storm run's deliveries, to take the hashing threads' CPU out of its CPU per delivery.
    let storm_deliveries = deliveries.1 * storm_s;
    Ok(vec![
        ("alone_deliveries_per_s", deliveries.0),
        ("storm_deliveries_per_s", deliveries.1),
        ("storm_to_alone_deliveries", deliveries.1 / deliveries.0),
        ("alone_p50_us", p50.0),
        ("storm_p50_us", p50.1),
        ("alone_p99_us", p99.0),
        ("storm_p99_us", p99.1),
        ("storm_to_alone_p99", p99.1 / p99.0),
        ("alone_cpu_us_per_delivery", cpu.0),
        ("storm_cpu_us_per_delivery", cpu.1),
        // The storm's CPU per delivery less the hashing threads' CPU: what delivering itself cost.
        ("storm_cpu_us_less_hashing", cpu.1 - hashing * 1e6 / storm_deliveries),
        ("storm_hashing_cpu_s", hashing),
        // The hashing threads' share of the machine's cores during the storm.
        ("storm_hashing_cores", hashing / storm_s),
        // Also the storm run's measured time.
        ("all_answered_s", storm_s),
        ("logins_per_s", logins as f64 / storm_s),
        ("logins_refused", storm.refused as f64),
        ("busy_answers", storm.busy as f64),
        ("logins_told_busy", storm.told_busy as f64),
        ("login_p50_ms", storm.waits.quantile(0.5) / 1e6),
        ("login_p99_ms", storm.waits.quantile(0.99) / 1e6),
        ("lost", figure(&during, "lost")),
        ("duplicated", figure(&during, "duplicated")),
        ("out_of_order", figure(&during, "out_of_order")),
    ])
}

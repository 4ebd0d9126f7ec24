//! `xml-N`: private messages between XMLSocket clients, beside the same load between IRC clients
//! on the same server. (Only chatd speaks XMLSocket; the peers skip it.)
//!
//! N pairs of each face: the first client of a pair sends numbered, timestamped private messages
//! to the second (IRC `PRIVMSG nick :...`, XML `MSG nick ...`), keeping a window of them in flight
//! (sent, not yet received by its partner). All 4N clients are connected first, the XML ones
//! logged in to accounts made before the server started; then the IRC pairs run the load, then the
//! XML pairs, so that both runs see the same server with the same connections open. Each run
//! reports deliveries per second (a delivery: the partner read the message), latency (from
//! sending until the partner's read) and the server's CPU per delivery; the XML run's figures are
//! set beside the IRC run's as XML/IRC.
//!
//! Every message is checked received once and in order. The gateway also sends an XML sender a
//! copy of its own message (its confirmation; IRC senders get none): those are checked too, and
//! their cost is part of the XML run's CPU per delivery, since a program using the gateway pays it.

use super::Metrics;
use super::login::add_account;
use crate::loadgen::{Net, bench_payload, establish, find};
use crate::measure::{Histogram, cpu_seconds, now_ns};
use crate::servers::Server;
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

/// Pairs at most: each XML client's account is made by a run of `chatd account add`.
pub const MAX_PAIRS: usize = 1000;
/// Connecting and logging in every client must be done within this.
const SETUP_LIMIT: Duration = Duration::from_secs(120);
/// Logins waiting for their answer at once: the hashing threads check a few at a time and answer
/// "busy" past their queue.
const LOGINS_IN_FLIGHT: usize = 4;
/// How long a client told "busy" waits before logging in again.
const RETRY_AFTER: Duration = Duration::from_millis(100);
/// How long a run waits for its last messages after it stops sending.
const DRAIN_LIMIT: Duration = Duration::from_secs(15);

/// The load of one run: `pairs` senders, each with `window` messages in flight to its partner.
pub struct PairLoad {
    pub pairs: usize,
    pub window: usize,
    pub warmup: Duration,
    pub measure: Duration,
}

/// XML client `j`'s account (and nickname).
fn xml_account(j: usize) -> String {
    format!("x{j}")
}

fn password(j: usize) -> String {
    format!("pair-password-{j}")
}

/// IRC client `j`'s nickname.
fn irc_nick(j: usize) -> String {
    format!("i{j}")
}

/// Creates the accounts of the XML clients of `pairs` pairs in `state`, before the server starts.
pub fn prepare_accounts(binary: &str, state: &Path, pairs: usize) -> Result<(), String> {
    (0..2 * pairs).try_for_each(|j| add_account(binary, state, &xml_account(j), &password(j)))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Irc,
    Xml,
}

/// One face's clients: client `2p` sends to client `2p + 1`.
struct Pairs {
    face: Face,
    conns: Range<usize>,
}

impl Pairs {
    /// The start of pair `p`'s messages, up to the payload.
    fn target(&self, p: usize) -> String {
        match self.face {
            Face::Irc => format!("PRIVMSG {} :", irc_nick(2 * p + 1)),
            Face::Xml => format!("MSG {} ", xml_account(2 * p + 1)),
        }
    }

    fn line_end(&self) -> &'static [u8] {
        match self.face {
            Face::Irc => b"\r\n",
            Face::Xml => b"\0",
        }
    }

    /// `<pair> <seq> <send-ns>` from a received message of this face.
    fn payload(&self, line: &[u8]) -> Option<(usize, u64, u64)> {
        match self.face {
            Face::Irc => bench_payload(line),
            Face::Xml => xml_payload(line),
        }
    }
}

/// `<pair> <seq> <send-ns>` from a `<msg aid=".." time=".." msg="TEXT" from=".."/>` frame.
fn xml_payload(line: &[u8]) -> Option<(usize, u64, u64)> {
    if !line.starts_with(b"<msg ") {
        return None;
    }
    let start = find(line, b" msg=\"")? + 6;
    let len = line[start..].iter().position(|&b| b == b'"')?;
    let mut nums = line[start..start + len]
        .split(|&b| b == b' ')
        .map(|f| f.iter().try_fold(0u64, |a, &d| d.is_ascii_digit().then(|| a * 10 + (d - b'0') as u64)));
    Some((nums.next()?? as usize, nums.next()??, nums.next()??))
}

/// Opens `n` XMLSocket connections and logs each in to its account (`x0`, `x1`, ...), at most
/// `LOGINS_IN_FLIGHT` waiting for their answer; a client told "busy" tries again shortly.
fn log_in_xml(net: &mut Net, n: usize) -> Result<(Range<usize>, Duration), String> {
    let t0 = Instant::now();
    let first = net.conns.len();
    let identify = |j: usize| format!("IDENTIFY {} {}\0", xml_account(j), password(j));
    let (mut opened, mut done) = (0, 0);
    let mut retry_at: Vec<Option<Instant>> = vec![None; n];
    let mut logged_in = vec![false; n];
    let mut error: Option<String> = None;
    while done < n {
        while opened < n && opened - done < LOGINS_IN_FLIGHT {
            let i = net.open_nul().map_err(|e| format!("connect: {e}"))?;
            net.send(i, identify(opened).as_bytes());
            opened += 1;
        }
        let now = Instant::now();
        for (j, at) in retry_at.iter_mut().enumerate() {
            if at.is_some_and(|at| at <= now) {
                *at = None;
                net.send(first + j, identify(j).as_bytes());
            }
        }
        net.poll(Duration::from_millis(10), |_, i, line| {
            let Some(j) = i.checked_sub(first).filter(|&j| j < n) else { return };
            let Some(line) = line else {
                error.get_or_insert_with(|| format!("XML client {j} was disconnected while logging in"));
                return;
            };
            if logged_in[j] {
                return;
            }
            if line.starts_with(format!("<identify aid=\"{}\"", xml_account(j)).as_bytes()) {
                logged_in[j] = true;
                done += 1;
            } else if find(line, b"busy checking passwords").is_some() {
                retry_at[j] = Some(Instant::now() + RETRY_AFTER);
            } else if line.starts_with(b"<error") {
                error.get_or_insert_with(|| format!("XML client {j}: {}", String::from_utf8_lossy(line)));
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        if t0.elapsed() > SETUP_LIMIT {
            return Err(format!("only {done} of {n} XML clients logged in within {SETUP_LIMIT:?}"));
        }
    }
    Ok((first..first + n, t0.elapsed()))
}

/// Receipts of one kind (the partners' deliveries, or the XML senders' copies) per pair.
struct Receipts {
    got: Vec<u64>,
    last: Vec<Option<u64>>,
    out_of_order: u64,
}

impl Receipts {
    fn new(pairs: usize) -> Receipts {
        Receipts { got: vec![0; pairs], last: vec![None; pairs], out_of_order: 0 }
    }

    fn record(&mut self, p: usize, seq: u64) {
        if self.last[p].is_some_and(|last| seq <= last) {
            self.out_of_order += 1;
        } else {
            self.last[p] = Some(seq);
        }
        self.got[p] += 1;
    }

    fn total(&self) -> u64 {
        self.got.iter().sum()
    }

    /// Messages lost and duplicated, given how many each pair sent.
    fn lost_and_duplicated(&self, sent: &[u64]) -> (u64, u64) {
        sent.iter()
            .zip(&self.got)
            .fold((0, 0), |(lost, dup), (&s, &g)| (lost + s.saturating_sub(g), dup + g.saturating_sub(s)))
    }
}

/// What one run measured.
struct Run {
    deliveries_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_delivery: f64,
    loadgen_cpu_share: f64,
    lost: u64,
    duplicated: u64,
    out_of_order: u64,
    /// The XML senders' copies of their own messages lost, duplicated or out of order.
    copies_wrong: u64,
}

/// Runs `load` on `pairs`: sends for the warm-up and the measured time, then waits until every
/// message (and, for XML, every sender's copy) has arrived.
fn run(net: &mut Net, server: &Server, pairs: &Pairs, load: &PairLoad) -> Result<Run, String> {
    let (n, w) = (load.pairs, load.window as u64);
    let targets: Vec<String> = (0..n).map(|p| pairs.target(p)).collect();
    let conns = pairs.conns.clone();
    let mut sent = vec![0u64; n];
    let mut delivered = Receipts::new(n);
    let mut copies = Receipts::new(n);
    let mut hist = Histogram::new();
    let mut deliveries = 0u64;
    let mut strays = 0u64;
    let mut measuring = false;
    let start = Instant::now();
    let t_measure = start + load.warmup;
    let t_end = t_measure + load.measure;
    let (mut measured_from, mut measured_to): (Option<Instant>, Option<Instant>) = (None, None);
    let (mut cpu0, mut cpu1) = ((0.0, 0.0), (0.0, 0.0));
    let (mut own0, mut own1) = ((0.0, 0.0), (0.0, 0.0));
    let mut msg = Vec::with_capacity(64);
    let mut stalled_since: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if measured_from.is_none() && now >= t_measure && now < t_end {
            measuring = true;
            measured_from = Some(now);
            cpu0 = cpu_seconds(server.pid());
            own0 = cpu_seconds(std::process::id());
        }
        if measuring && now >= t_end {
            cpu1 = cpu_seconds(server.pid());
            own1 = cpu_seconds(std::process::id());
            measured_to = Some(now);
            measuring = false;
        }
        let sending = now < t_end;
        if sending {
            for p in 0..n {
                while sent[p] - delivered.got[p] < w {
                    msg.clear();
                    msg.extend_from_slice(targets[p].as_bytes());
                    let _ = write!(&mut msg, "{p} {} {}", sent[p], now_ns());
                    msg.extend_from_slice(pairs.line_end());
                    sent[p] += 1;
                    net.send(conns.start + 2 * p, &msg);
                }
            }
        } else {
            let all: u64 = sent.iter().sum();
            let copies_due = if pairs.face == Face::Xml { all } else { 0 };
            if delivered.total() >= all && copies.total() >= copies_due || now > t_end + DRAIN_LIMIT {
                break;
            }
        }
        let progress = delivered.total();
        net.poll(Duration::from_millis(20), |net, i, line| {
            let (Some(line), Some(j)) = (line, i.checked_sub(conns.start).filter(|&j| j < conns.len())) else {
                return;
            };
            let Some((k, seq, ts)) = pairs.payload(line) else { return };
            // Pair p's messages go to client 2p + 1 only, and their copies to client 2p.
            let p = j / 2;
            if k != p {
                strays += 1;
                return;
            }
            if j % 2 == 1 {
                delivered.record(p, seq);
                if measuring {
                    deliveries += 1;
                    hist.record(net.now.saturating_sub(ts));
                }
            } else if pairs.face == Face::Xml {
                copies.record(p, seq);
            }
        });
        if strays > 0 {
            return Err(format!("{strays} message(s) reached a client of another pair"));
        }
        if delivered.total() == progress && sending {
            let since = *stalled_since.get_or_insert(Instant::now());
            if since.elapsed() > Duration::from_secs(3) {
                return Err("no message arrived for 3 s (lost messages stall the window)".into());
            }
        } else {
            stalled_since = None;
        }
        if let Some(j) = net.conns[conns.clone()].iter().position(|c| c.closed) {
            return Err(format!("client {j} was disconnected: {}", net.conns[conns.start + j].last_line));
        }
    }
    let secs = match (measured_from, measured_to) {
        (Some(from), Some(to)) => to.duration_since(from).as_secs_f64(),
        _ => f64::NAN,
    };
    let (lost, duplicated) = delivered.lost_and_duplicated(&sent);
    let copies_wrong = if pairs.face == Face::Xml {
        let (lost, duplicated) = copies.lost_and_duplicated(&sent);
        lost + duplicated + copies.out_of_order
    } else {
        0
    };
    Ok(Run {
        deliveries_per_s: deliveries as f64 / secs,
        p50_us: hist.quantile(0.5) / 1e3,
        p99_us: hist.quantile(0.99) / 1e3,
        cpu_us_per_delivery: (cpu1.0 + cpu1.1 - cpu0.0 - cpu0.1) * 1e6 / deliveries.max(1) as f64,
        loadgen_cpu_share: (own1.0 + own1.1 - own0.0 - own0.1) / secs,
        lost,
        duplicated,
        out_of_order: delivered.out_of_order,
        copies_wrong,
    })
}

/// `xml-N`: N IRC pairs and N XML pairs connected (the XML clients logged in), then the load run
/// on the IRC pairs, then on the XML pairs.
pub fn xml(server: &Server, load: &PairLoad) -> Result<Metrics, String> {
    if load.pairs == 0 || load.pairs > MAX_PAIRS {
        return Err(format!("between 1 and {MAX_PAIRS} pairs"));
    }
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let clients = 2 * load.pairs;
    // A room of its own for each IRC client: it hears nothing but its partner's messages.
    let (irc, _) =
        establish(&mut net, clients, &irc_nick, &|j| format!("#p{j}"), server.kind.connect_window(), SETUP_LIMIT)?;
    let (xml, logging_in) = log_in_xml(&mut net, clients)?;
    let irc = run(&mut net, server, &Pairs { face: Face::Irc, conns: irc }, load)?;
    let xml = run(&mut net, server, &Pairs { face: Face::Xml, conns: xml }, load)?;
    Ok(vec![
        ("irc_deliveries_per_s", irc.deliveries_per_s),
        ("xml_deliveries_per_s", xml.deliveries_per_s),
        ("xml_to_irc_deliveries", xml.deliveries_per_s / irc.deliveries_per_s),
        ("irc_p50_us", irc.p50_us),
        ("xml_p50_us", xml.p50_us),
        ("irc_p99_us", irc.p99_us),
        ("xml_p99_us", xml.p99_us),
        ("xml_to_irc_p99", xml.p99_us / irc.p99_us),
        ("irc_cpu_us_per_delivery", irc.cpu_us_per_delivery),
        ("xml_cpu_us_per_delivery", xml.cpu_us_per_delivery),
        ("xml_to_irc_cpu", xml.cpu_us_per_delivery / irc.cpu_us_per_delivery),
        // Near 1, the load generator (one thread) is the limit, not the server.
        ("irc_loadgen_cpu_share", irc.loadgen_cpu_share),
        ("xml_loadgen_cpu_share", xml.loadgen_cpu_share),
        ("xml_logins_s", logging_in.as_secs_f64()),
        ("lost", (irc.lost + xml.lost) as f64),
        ("duplicated", (irc.duplicated + xml.duplicated) as f64),
        ("out_of_order", (irc.out_of_order + xml.out_of_order) as f64),
        ("xml_copies_wrong", xml.copies_wrong as f64),
    ])
}

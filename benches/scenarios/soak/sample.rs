//! The soak's samples: once a second, the server's memory, threads, descriptors and CPU from
//! /proc, its client count and evictions from its log, and the dawdlers the load holds open. Each
//! sample is also one JSON line of the results, which `Sample::parse` reads back for `--from`.

use super::load::Live;
use super::log::LogSeen;
use crate::measure::cpu_seconds;
use crate::report::json_num;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// One second of the soak: the server's process, its log's client count and the dawdlers open.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// The server soaked (`chatd`, or `chatd-base` with `--base`).
    pub server: String,
    /// Seconds since the load started (the idle sample before it is at 0).
    pub t_s: f64,
    /// `idle` (before the load), `load`, or `settle` (after it).
    pub phase: String,
    pub rss_kib: f64,
    pub threads: f64,
    pub fds: f64,
    /// From the last `connect`, `quit` or `evict` line of chatd's log.
    pub clients: f64,
    pub dawdlers_open: f64,
    /// The server's CPU (user + system) over the last interval, in percent of one core.
    pub cpu_pct: f64,
    /// Evictions logged so far.
    pub evictions: f64,
}

impl Sample {
    fn json(&self) -> String {
        format!(
            "{{\"bench\":\"chatd-soak\",\"server\":\"{}\",\"t_s\":{:.1},\"phase\":\"{}\",\"rss_kib\":{},\"threads\":{},\"fds\":{},\
             \"clients\":{},\"dawdlers_open\":{},\"cpu_pct\":{},\"evictions\":{}}}",
            self.server,
            self.t_s,
            self.phase,
            json_num(self.rss_kib),
            json_num(self.threads),
            json_num(self.fds),
            json_num(self.clients),
            json_num(self.dawdlers_open),
            json_num((self.cpu_pct * 10.0).round() / 10.0),
            json_num(self.evictions),
        )
    }

    /// A line `json` wrote, read back (`None` for any other line).
    pub fn parse(line: &str) -> Option<Sample> {
        let body = line.trim().strip_prefix('{')?.strip_suffix('}')?;
        if !body.starts_with("\"bench\":\"chatd-soak\"") {
            return None;
        }
        let mut s = Sample::default();
        // No key or value here contains a comma or a quote.
        for field in body.split(',') {
            let (key, value) = field.split_once(':')?;
            let value = value.trim_matches('"');
            let num = value.parse().unwrap_or(f64::NAN);
            match key.trim_matches('"') {
                "server" => s.server = value.to_string(),
                "t_s" => s.t_s = num,
                "phase" => s.phase = value.to_string(),
                "rss_kib" => s.rss_kib = num,
                "threads" => s.threads = num,
                "fds" => s.fds = num,
                "clients" => s.clients = num,
                "dawdlers_open" => s.dawdlers_open = num,
                "cpu_pct" => s.cpu_pct = num,
                "evictions" => s.evictions = num,
                _ => {}
            }
        }
        Some(s)
    }
}

/// One value of a sample (for windows, slopes and charts).
pub type Measure = fn(&Sample) -> f64;

/// Resident memory (KiB) and threads from /proc/PID/status, open descriptors from /proc/PID/fd.
fn read_process(pid: u32) -> (f64, f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(f64::NAN, |d| d.count() as f64);
    (field("VmRSS:"), field("Threads:"), fds)
}

/// The sampler: the server's process and log, the load's shared state, the samples so far.
pub struct Sampler<'a> {
    pub server: &'static str,
    pub pid: u32,
    pub seen: &'a Mutex<LogSeen>,
    pub live: &'a Live,
    /// When the load started (samples count their time from it).
    pub t0: Instant,
    /// The server's CPU seconds at the last sample, and when.
    pub cpu: (Instant, f64),
    pub samples: Vec<Sample>,
    pub series: &'a mut Vec<String>,
}

impl Sampler<'_> {
    pub fn take(&mut self, phase: &str) -> &Sample {
        let (rss_kib, threads, fds) = read_process(self.pid);
        let (user, system) = cpu_seconds(self.pid);
        let now = Instant::now();
        let cpu_pct = (user + system - self.cpu.1) / now.duration_since(self.cpu.0).as_secs_f64() * 100.0;
        self.cpu = (now, user + system);
        let seen = self.seen.lock().unwrap();
        let sample = Sample {
            server: self.server.to_string(),
            t_s: if phase == "idle" { 0.0 } else { self.t0.elapsed().as_secs_f64().round() },
            phase: phase.into(),
            rss_kib,
            threads,
            fds,
            clients: seen.clients.map_or(0.0, |c| c as f64),
            dawdlers_open: self.live.dawdlers_open.load(Ordering::Relaxed) as f64,
            cpu_pct,
            evictions: seen.evictions.values().sum::<u64>() as f64,
        };
        self.series.push(sample.json());
        self.samples.push(sample);
        self.samples.last().unwrap()
    }

    /// Samples every second while `go` says so, for at most `limit`; returns when it stopped.
    pub fn every_second(&mut self, phase: &str, limit: Duration, mut go: impl FnMut(&Sample) -> bool) -> Duration {
        let from = Instant::now();
        let mut next = from + Duration::from_secs(1);
        while next <= from + limit {
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
            next += Duration::from_secs(1);
            if !go(self.take(phase)) {
                break;
            }
        }
        from.elapsed()
    }
}

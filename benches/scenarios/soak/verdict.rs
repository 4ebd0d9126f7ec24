//! The soak's outcome: its metrics (one result line) and its verdicts, in the words, with
//! what each rests on: flat after the warm-up, no lost messages among well-behaved clients, no
//! panics, every slot freed. The verdicts are printed, not asserted: the bench goes on.

use super::load::Parts;
use super::log::LogSeen;
use super::sample::{Measure, Sample};
use super::{DAWDLERS, FLAT_PCT, warmup};
use crate::report::{fmt_num, median};
use crate::scenarios::Metrics;

/// `f` of the samples of the load whose time is in `from..to`.
fn in_window(samples: &[Sample], from: f64, to: f64, f: Measure) -> Vec<f64> {
    samples.iter().filter(|s| s.phase == "load" && s.t_s >= from && s.t_s < to).map(f).collect()
}

/// Median of `f` over the samples of the load whose time is in `from..to`.
fn window(samples: &[Sample], from: f64, to: f64, f: Measure) -> f64 {
    median(&in_window(samples, from, to, f))
}

/// Least-squares slope of `f` per minute over the samples of the load whose time is in `from..to`.
fn slope_per_min(samples: &[Sample], from: f64, to: f64, f: Measure) -> f64 {
    let pts: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.phase == "load" && s.t_s >= from && s.t_s < to && f(s).is_finite())
        .map(|s| (s.t_s, f(s)))
        .collect();
    let n = pts.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx == 0.0 { f64::NAN } else { sxy / sxx * 60.0 }
}

/// Everything a finished soak found.
pub struct Outcome<'a> {
    pub parts: Parts,
    pub seen: &'a LogSeen,
    pub samples: &'a [Sample],
    pub idle: Sample,
    pub load_secs: f64,
    /// Seconds from the end of the load until everything was freed (NaN: not within `SETTLE`).
    pub settled_after: f64,
    /// Whether a new client was served at the end.
    pub fresh: Result<(), String>,
}

impl Outcome<'_> {
    /// The minute (or quarter of a short run) after the warm-up, and the last half of the load:
    /// "flat after warm-up" compares them.
    fn windows(&self) -> ((f64, f64), (f64, f64)) {
        let warm = warmup(self.load_secs);
        ((warm, warm + warmup(self.load_secs)), (self.load_secs / 2.0, f64::INFINITY))
    }

    /// How much a value grew, in percent: its median over the last half against the reference window.
    fn growth(&self, f: Measure) -> f64 {
        let (reference, last_half) = self.windows();
        (window(self.samples, last_half.0, last_half.1, f) / window(self.samples, reference.0, reference.1, f) - 1.0)
            * 100.0
    }

    pub fn metrics(&self) -> Metrics {
        let (reference, last_half) = self.windows();
        let (p, seen, samples) = (&self.parts, self.seen, self.samples);
        let (fanout, flood) = (&p.fanout, &p.flood);
        let rss = |s: &Sample| s.rss_kib / 1024.0;
        let threads = |s: &Sample| s.threads;
        let fds = |s: &Sample| s.fds;
        let after_warmup = |f| window(samples, reference.0, reference.1, f);
        let in_last_half = |f| window(samples, last_half.0, last_half.1, f);
        let max_after_warmup = |f: Measure| {
            samples.iter().filter(|s| s.phase == "load" && s.t_s >= reference.0).map(f).fold(f64::NAN, f64::max)
        };
        let eviction = |reason: &str| *seen.evictions.get(reason).unwrap_or(&0) as f64;
        let last = samples.last().cloned().unwrap_or_default();
        vec![
            ("load_s", self.load_secs),
            ("rss_mib_idle", rss(&self.idle)),
            ("rss_mib_after_warmup", after_warmup(rss)),
            ("rss_mib_last_half", in_last_half(rss)),
            ("rss_mib_max", max_after_warmup(rss)),
            ("rss_growth_pct", self.growth(rss)),
            ("rss_slope_mib_per_min", slope_per_min(samples, last_half.0, last_half.1, rss)),
            ("threads_idle", self.idle.threads),
            ("threads_after_warmup", after_warmup(threads)),
            ("threads_last_half", in_last_half(threads)),
            ("threads_max", max_after_warmup(threads)),
            ("threads_growth_pct", self.growth(threads)),
            ("fds_idle", self.idle.fds),
            ("fds_after_warmup", after_warmup(fds)),
            ("fds_last_half", in_last_half(fds)),
            ("fds_max", max_after_warmup(fds)),
            ("fds_growth_pct", self.growth(fds)),
            ("fds_slope_per_min", slope_per_min(samples, last_half.0, last_half.1, fds)),
            ("fanout_sent", fanout.sent as f64),
            ("fanout_received", fanout.received as f64),
            ("fanout_p50_ms", fanout.p50_ms),
            ("fanout_p99_ms", fanout.p99_ms),
            ("fanout_max_ms", fanout.max_ms),
            ("flood_sent", flood.sent as f64),
            ("flood_received", flood.received as f64),
            ("lost", (fanout.lost + flood.lost) as f64),
            ("duplicated", (fanout.duplicated + flood.duplicated) as f64),
            ("out_of_order", (fanout.reordered + flood.reordered) as f64),
            ("well_behaved_disconnected", (fanout.disconnected + flood.disconnected) as f64),
            ("well_behaved_evicted", seen.well_behaved_evicted as f64),
            ("history_joiners", flood.joiners as f64),
            ("history_joiners_evicted", flood.joiners_evicted as f64),
            ("history_lines_per_joiner", flood.joiner_lines as f64 / flood.joiners.max(1) as f64),
            ("churn_sessions", p.churn.sessions as f64),
            ("churn_failed", p.churn.failed as f64),
            ("slow_readers", p.slow.connected as f64),
            ("slow_evicted_sendq", seen.slow_sendq as f64),
            ("slow_evicted_other", seen.slow_other as f64),
            ("slow_not_evicted", p.slow.not_evicted as f64),
            ("slow_evicted_after_s", median(&p.slow.evict_after)),
            ("garbage_sessions", p.abuse.garbage_sessions as f64),
            ("garbage_mib", p.abuse.garbage_bytes as f64 / (1 << 20) as f64),
            ("garbage_closed_by_server", p.abuse.garbage_closed_by_server as f64),
            ("dawdler_sessions", p.abuse.dawdler_sessions as f64),
            ("dawdlers_evicted", p.abuse.dawdlers_evicted as f64),
            ("dawdler_evicted_after_s", median(&p.abuse.dawdler_lifetimes)),
            ("dawdler_longest_s", p.abuse.dawdler_longest),
            ("dawdlers_open_mean_last_half", {
                let open = in_window(samples, last_half.0, last_half.1, |s| s.dawdlers_open);
                open.iter().sum::<f64>() / open.len().max(1) as f64
            }),
            ("evictions_registration", eviction("registration-timeout")),
            ("evictions_sendq", eviction("sendq-exceeded")),
            ("evictions_ping", eviction("ping-timeout")),
            ("log_errors", seen.errors as f64),
            ("log_lines_dropped", seen.dropped as f64),
            ("panics", seen.panics as f64),
            ("settled_after_s", self.settled_after),
            ("fds_settled", last.fds),
            ("threads_settled", last.threads),
            ("clients_settled", last.clients),
            ("fresh_client_ok", if self.fresh.is_ok() { 1.0 } else { 0.0 }),
        ]
    }

    /// The verdicts, in the words, with what they rest on.
    pub fn report(&self, m: &Metrics) {
        let get = |name: &str| m.iter().find(|(n, _)| *n == name).map_or(f64::NAN, |(_, v)| *v);
        let yes = |ok: bool| if ok { "yes" } else { "NO" };
        let (p, seen) = (&self.parts, self.seen);
        let (fanout, flood) = (&p.fanout, &p.flood);
        let (reference, _) = self.windows();
        let flat = ["rss_growth_pct", "threads_growth_pct", "fds_growth_pct"].iter().all(|&n| get(n) <= FLAT_PCT);
        println!(
            "soak: flat after warm-up: {} (last half against {:.0}-{:.0} s: rss {:+.1} % ({} MiB/min), threads \
             {:+.1} %, fds {:+.1} %; limit +{FLAT_PCT} %)",
            yes(flat),
            reference.0,
            reference.1,
            get("rss_growth_pct"),
            fmt_num(get("rss_slope_mib_per_min")),
            get("threads_growth_pct"),
            get("fds_growth_pct")
        );
        let (lost, duplicated, reordered) =
            (fanout.lost + flood.lost, fanout.duplicated + flood.duplicated, fanout.reordered + flood.reordered);
        let disconnected = fanout.disconnected + flood.disconnected;
        let harmed = lost
            + duplicated
            + reordered
            + disconnected
            + seen.well_behaved_evicted
            + flood.joiners_evicted
            + p.churn.failed;
        println!(
            "soak: no lost messages among well-behaved clients: {} (lost {lost}, duplicated {duplicated}, reordered \
             {reordered} of {} lines to read; members disconnected {disconnected}, evicted {}; history joiners \
             evicted {} of {}; churn sessions failed {} of {})",
            yes(harmed == 0),
            fanout.expected + flood.expected,
            seen.well_behaved_evicted,
            flood.joiners_evicted,
            flood.joiners,
            p.churn.failed,
            p.churn.sessions + p.churn.failed
        );
        let firsts =
            [&fanout.first_disconnect, &flood.first_disconnect, &flood.first_joiner_eviction, &p.churn.first_failure];
        for why in firsts.into_iter().flatten() {
            println!("soak:   first: {why}");
        }
        for line in &seen.well_behaved_lines {
            println!("soak:   log: {line}");
        }
        println!(
            "soak: no panics: {} ({} in the log, {} ERROR lines, {} log lines dropped)",
            yes(seen.panics == 0),
            seen.panics,
            seen.errors,
            seen.dropped
        );
        for line in &seen.panic_lines {
            println!("soak:   log: {line}");
        }
        let last = self.samples.last().cloned().unwrap_or_default();
        println!(
            "soak: every slot freed: {} (after {} s: descriptors {} (idle {}), threads {} (idle {}), clients {}; a \
             new client {})",
            yes(self.settled_after.is_finite() && self.fresh.is_ok()),
            fmt_num(self.settled_after),
            last.fds,
            self.idle.fds,
            last.threads,
            self.idle.threads,
            last.clients,
            match &self.fresh {
                Ok(()) => "was served".to_string(),
                Err(e) => format!("was not served: {e}"),
            }
        );
        println!(
            "soak: slow readers: {} joined, {} evicted for their send queue (median {} s after joining), {} for \
             another reason, {} never evicted",
            p.slow.connected,
            seen.slow_sendq,
            fmt_num(median(&p.slow.evict_after)),
            seen.slow_other,
            p.slow.not_evicted
        );
        if let Some(e) = &p.slow.first_failure {
            println!("soak:   {} slow reader(s) could not join; first: {e}", p.slow.failed);
        }
        println!(
            "soak: dawdlers: {} sessions, {} closed by the server (median {} s after connecting), the longest \
             connected {} s; {} of {DAWDLERS} connected on average over the last half",
            p.abuse.dawdler_sessions,
            p.abuse.dawdlers_evicted,
            fmt_num(median(&p.abuse.dawdler_lifetimes)),
            fmt_num(p.abuse.dawdler_longest),
            fmt_num(get("dawdlers_open_mean_last_half"))
        );
        println!(
            "soak: garbage: {} sessions, {} MiB, {} closed by the server; connections refused {}",
            p.abuse.garbage_sessions,
            fmt_num(get("garbage_mib")),
            p.abuse.garbage_closed_by_server,
            p.abuse.connect_failures
        );
    }
}

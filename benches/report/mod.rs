//! Reporting: the results of every run kept by (scenario, metric) and server, the table (medians,
//! with min–max over rounds, and chatd's ratio to each other server), the JSON lines (`jsonl`),
//! the fanout plot (`plot`), the web fanout beside the IRC fanout, the fanout during a login
//! storm beside it alone and XML private messages beside IRC ones (`beside`), and the replay of a
//! saved run (`replay`, for `--from`).

mod beside;
mod jsonl;
mod plot;
mod replay;

pub use jsonl::{json_num, result_line};
pub use plot::plot_svg;
pub use replay::replay;

use crate::scenarios::Metrics;
use crate::servers::Kind;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Whether a larger value of this metric is better (for the ratio's reading).
fn higher_is_better(metric: &str) -> bool {
    matches!(
        metric,
        "deliveries_per_s"
            | "msgs_per_s"
            | "sessions_per_s"
            | "relative_to_no_slow"
            | "web_to_irc"
            | "alone_deliveries_per_s"
            | "storm_deliveries_per_s"
            | "storm_to_alone_deliveries"
            | "logins_per_s"
            | "irc_deliveries_per_s"
            | "xml_deliveries_per_s"
            | "xml_to_irc_deliveries"
    )
}

#[derive(Default)]
pub struct Results {
    /// (scenario, metric) in first-seen order.
    pub order: Vec<(String, &'static str)>,
    pub values: BTreeMap<(String, &'static str), BTreeMap<Kind, Vec<f64>>>,
}

impl Results {
    pub fn add(&mut self, scenario: &str, kind: Kind, metrics: &Metrics) {
        for &(name, value) in metrics {
            let key = (scenario.to_string(), name);
            if !self.values.contains_key(&key) {
                self.order.push(key.clone());
            }
            self.values.entry(key).or_default().entry(kind).or_default().push(value);
        }
    }

    pub fn median(&self, scenario: &str, metric: &'static str, kind: Kind) -> Option<f64> {
        self.values.get(&(scenario.to_string(), metric))?.get(&kind).map(|v| median(v))
    }
}

pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    if s.len() % 2 == 1 { s[s.len() / 2] } else { (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0 }
}

pub fn fmt_num(v: f64) -> String {
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

pub fn print_table(results: &Results, kinds: &[Kind], rounds: usize) -> String {
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
    let _ = write!(out, "{:<18} {:<28}", "scenario", "metric");
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
        let _ = write!(out, "{scenario:<18} {:<28}", format!("{metric} {better}"));
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
    out.push_str(&beside::web_beside_irc(results, kinds));
    out.push_str(&beside::storm_beside_alone(results, kinds));
    out.push_str(&beside::xml_beside_irc(results, kinds));
    out
}

/// What the table's cells and ratios are.
pub fn table_legend(rounds: usize) -> String {
    format!(
        "latencies in µs; cpu_us_per_delivery is the server's utime+stime per delivery; ratios are chatd/peer \
         medians{}",
        if rounds > 1 { ", cells are median [min–max]" } else { "" }
    )
}

//! The web fanout beside the IRC fanout of the same run: for each room size, each figure with IRC
//! receivers (`fanout-N`) and with web sessions (`web-N`), and their ratio, per chatd binary.

use super::{Results, fmt_num, higher_is_better};
use crate::servers::Kind;
use std::fmt::Write as _;

const FIGURES: [&str; 4] = ["deliveries_per_s", "p50_us", "p99_us", "cpu_us_per_delivery"];

/// The block, or nothing when the run has no `web-N` scenario.
pub fn web_beside_irc(results: &Results, kinds: &[Kind]) -> String {
    let mut sizes: Vec<usize> =
        results.order.iter().filter_map(|(scenario, _)| scenario.strip_prefix("web-")?.parse().ok()).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut out = String::new();
    if sizes.is_empty() {
        return out;
    }
    for &kind in kinds.iter().filter(|k| k.is_chatd()) {
        let _ = write!(out, "\n{:<26}", format!("web beside IRC, {}", kind.name()));
        for n in &sizes {
            let _ = write!(out, " {:>12} {:>12} {:>8}", format!("fanout-{n}"), format!("web-{n}"), "web/IRC");
        }
        out.push('\n');
        for metric in FIGURES {
            let better = if higher_is_better(metric) { "↑" } else { "↓" };
            let _ = write!(out, "{:<26}", format!("{metric} {better}"));
            for n in &sizes {
                let irc = results.median(&format!("fanout-{n}"), metric, kind).unwrap_or(f64::NAN);
                let web = results.median(&format!("web-{n}"), metric, kind).unwrap_or(f64::NAN);
                let ratio = if irc != 0.0 { web / irc } else { f64::NAN };
                let _ = write!(out, " {:>12} {:>12} {:>8}", fmt_num(irc), fmt_num(web), fmt_num(ratio));
            }
            out.push('\n');
        }
    }
    out
}

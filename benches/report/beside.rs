//! Figures beside each other, with their ratio, per chatd binary: the web fanout beside the IRC
//! fanout of the same run (for each room size, `fanout-N` and `web-N`), the fanout during a
//! login storm beside the same fanout alone (`login-N`'s two runs), and private messages between
//! XML clients beside the same between IRC clients (`xml-N`'s two runs).

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

/// The block for every `login-N` scenario of the run (nothing when there is none): each figure of
/// the fanout alone and during the storm, and storm/alone.
pub fn storm_beside_alone(results: &Results, kinds: &[Kind]) -> String {
    let mut scenarios: Vec<&str> =
        results.order.iter().map(|(scenario, _)| scenario.as_str()).filter(|s| s.starts_with("login-")).collect();
    scenarios.dedup();
    let mut out = String::new();
    for scenario in scenarios {
        for &kind in kinds.iter().filter(|k| k.is_chatd()) {
            let title = format!("{scenario} fanout-100, {}", kind.name());
            let _ = writeln!(out, "\n{title:<26} {:>12} {:>12} {:>11}", "alone", "storm", "storm/alone");
            let figures = [
                ("deliveries_per_s", "alone_deliveries_per_s", "storm_deliveries_per_s"),
                ("p50_us", "alone_p50_us", "storm_p50_us"),
                ("p99_us", "alone_p99_us", "storm_p99_us"),
                ("cpu_us_per_delivery", "alone_cpu_us_per_delivery", "storm_cpu_us_per_delivery"),
                ("  less hashing", "alone_cpu_us_per_delivery", "storm_cpu_us_less_hashing"),
            ];
            for (label, alone, storm) in figures {
                let better = if higher_is_better(label) { "↑" } else { "↓" };
                let alone = results.median(scenario, alone, kind).unwrap_or(f64::NAN);
                let storm = results.median(scenario, storm, kind).unwrap_or(f64::NAN);
                let ratio = if alone != 0.0 { storm / alone } else { f64::NAN };
                let _ = writeln!(
                    out,
                    "{:<26} {:>12} {:>12} {:>11}",
                    format!("{label} {better}"),
                    fmt_num(alone),
                    fmt_num(storm),
                    fmt_num(ratio)
                );
            }
            let logins: Vec<String> = [
                "logins_per_s",
                "busy_answers",
                "logins_told_busy",
                "all_answered_s",
                "login_p99_ms",
                "storm_hashing_cores",
            ]
            .iter()
            .map(|m| format!("{m} {}", fmt_num(results.median(scenario, m, kind).unwrap_or(f64::NAN))))
            .collect();
            let _ = writeln!(out, "storm: {}", logins.join(", "));
        }
    }
    out
}

/// The block for every `xml-N` scenario of the run (nothing when there is none): each figure of
/// the IRC pairs' run and the XML pairs' run, and XML/IRC.
pub fn xml_beside_irc(results: &Results, kinds: &[Kind]) -> String {
    let mut scenarios: Vec<&str> =
        results.order.iter().map(|(scenario, _)| scenario.as_str()).filter(|s| s.starts_with("xml-")).collect();
    scenarios.dedup();
    let mut out = String::new();
    for scenario in scenarios {
        for &kind in kinds.iter().filter(|k| k.is_chatd()) {
            let title = format!("{scenario} pairs, {}", kind.name());
            let _ = writeln!(out, "\n{title:<26} {:>12} {:>12} {:>8}", "IRC", "XML", "XML/IRC");
            let figures = [
                ("deliveries_per_s", "irc_deliveries_per_s", "xml_deliveries_per_s"),
                ("p50_us", "irc_p50_us", "xml_p50_us"),
                ("p99_us", "irc_p99_us", "xml_p99_us"),
                ("cpu_us_per_delivery", "irc_cpu_us_per_delivery", "xml_cpu_us_per_delivery"),
            ];
            for (metric, irc, xml) in figures {
                let better = if higher_is_better(metric) { "↑" } else { "↓" };
                let irc = results.median(scenario, irc, kind).unwrap_or(f64::NAN);
                let xml = results.median(scenario, xml, kind).unwrap_or(f64::NAN);
                let ratio = if irc != 0.0 { xml / irc } else { f64::NAN };
                let _ = writeln!(
                    out,
                    "{:<26} {:>12} {:>12} {:>8}",
                    format!("{metric} {better}"),
                    fmt_num(irc),
                    fmt_num(xml),
                    fmt_num(ratio)
                );
            }
        }
    }
    out
}

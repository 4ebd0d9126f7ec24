//! The JSON lines a run prints, one per server and scenario, and reading them back. The lines are
//! flat: no key or string value contains a comma or a quote, so reading them needs no JSON parser.

use crate::scenarios::Metrics;
use crate::servers::Kind;
use std::fmt::Write as _;

pub fn json_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "null".into() }
}

/// The result line of one run: which bench, server, round and scenario, the run's settings and
/// length, then every metric (NaN and infinities as `null`).
pub fn result_line(
    kind: Kind,
    round: usize,
    scenario: &str,
    quick: bool,
    window: usize,
    seconds: f64,
    metrics: &Metrics,
) -> String {
    let mut line = format!(
        "{{\"bench\":\"chatd\",\"server\":\"{}\",\"round\":{round},\"scenario\":\"{scenario}\",\"quick\":{quick},\"window\":{window},\"seconds\":{seconds:.2}",
        kind.name(),
    );
    for (name, v) in metrics {
        let _ = write!(line, ",\"{name}\":{}", json_num(*v));
    }
    line.push('}');
    line
}

/// The flat JSON lines this bench prints, read back: (server, round, scenario, metrics).
pub fn parse_result_line(line: &str) -> Option<(Kind, usize, String, Metrics)> {
    let body = line.trim().strip_prefix('{')?.strip_suffix('}')?;
    let (mut kind, mut round, mut scenario, mut metrics) = (None, 0, None, Metrics::new());
    // Keys and string values never contain commas or quotes here, so splitting is exact.
    for field in body.split(',') {
        let (key, value) = field.split_once(':')?;
        let key = key.trim().trim_matches('"');
        let text = value.trim().trim_matches('"');
        match key {
            "bench" | "quick" | "window" | "seconds" => {}
            "server" => {
                kind =
                    [Kind::Chatd, Kind::ChatdBase, Kind::Ngircd, Kind::Inspircd].into_iter().find(|k| k.name() == text)
            }
            "round" => round = text.parse().ok()?,
            "scenario" => scenario = Some(text.to_string()),
            // A bench binary reads a handful of files once: leaking the names keeps Metrics' type.
            _ => metrics.push((Box::leak(key.to_string().into_boxed_str()), text.parse().unwrap_or(f64::NAN))),
        }
    }
    Some((kind?, round, scenario?, metrics))
}

//! The soak's chart: six small panels over the soak's time, written as SVG by hand.

use super::sample::{Measure, Sample};
use super::warmup;
use std::fmt::Write as _;

/// The name of a soak's output file: `soak-WHAT.EXT` for chatd, `soak-WHAT-SERVER.EXT` for another.
pub fn out_file(what: &str, server: &str, ext: &str) -> String {
    if server == "chatd" { format!("soak-{what}.{ext}") } else { format!("soak-{what}-{server}.{ext}") }
}

/// The charts of the samples of one or more soaks, in order: (file name, SVG) for each server's
/// last soak (each soak starts with its idle sample).
pub fn plots_by_server(samples: Vec<Sample>) -> Vec<(String, String)> {
    let mut servers: Vec<(String, Vec<Sample>)> = Vec::new();
    for sample in samples {
        let at = match servers.iter().position(|(name, _)| *name == sample.server) {
            Some(at) => at,
            None => {
                servers.push((sample.server.clone(), Vec::new()));
                servers.len() - 1
            }
        };
        if sample.phase == "idle" {
            servers[at].1.clear();
        }
        servers[at].1.push(sample);
    }
    servers.into_iter().map(|(name, list)| (out_file("plot", &name, "svg"), plot_svg(&list))).collect()
}

/// Six small charts over the soak's time (memory, threads, descriptors, clients, dawdlers, CPU);
/// dashed lines mark the end of the warm-up and of the load.
pub fn plot_svg(samples: &[Sample]) -> String {
    let (w, h) = (400.0, 250.0);
    let load_end = samples.iter().filter(|s| s.phase == "load").map(|s| s.t_s).fold(0.0, f64::max);
    let marks = [warmup(load_end), load_end];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" \
         font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" \
         text-anchor=\"middle\" font-size=\"14\">chatd soak: mixed load for {load_end:.0} s, sampled every second \
         (dashed: end of warm-up, end of load)</text>\n",
        3.0 * w,
        2.0 * h + 30.0,
        1.5 * w
    );
    let panels: [(&str, Measure); 6] = [
        ("resident memory (MiB)", |s| s.rss_kib / 1024.0),
        ("threads", |s| s.threads),
        ("open file descriptors", |s| s.fds),
        ("clients (from the log)", |s| s.clients),
        ("dawdlers connected", |s| s.dawdlers_open),
        ("CPU (% of a core)", |s| s.cpu_pct),
    ];
    for (i, (title, f)) in panels.into_iter().enumerate() {
        let points: Vec<(f64, f64)> = samples.iter().map(|s| (s.t_s, f(s))).filter(|p| p.1.is_finite()).collect();
        let (x0, y0) = ((i % 3) as f64 * w, 30.0 + (i / 3) as f64 * h);
        chart(&mut svg, (x0, y0, w, h), title, &marks, &points);
    }
    svg.push_str("</svg>\n");
    svg
}

/// One chart of (seconds, value) points in the `frame` (x, y, width, height).
fn chart(svg: &mut String, frame: (f64, f64, f64, f64), title: &str, marks: &[f64], points: &[(f64, f64)]) {
    let (x0, y0, w, h) = frame;
    let pad = 50.0;
    let tmax = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let top = points.iter().map(|p| p.1).fold(0.0, f64::max);
    // Four ticks a round number apart (1, 2, 2.5 or 5 times a power of ten).
    let magnitude = 10f64.powf((top.max(1e-9) / 4.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&s| 4.0 * s >= top).unwrap_or(magnitude);
    let ymax = if top > 0.0 { 4.0 * step } else { 1.0 };
    let px = |t: f64| x0 + pad + t / tmax * (w - 1.5 * pad);
    let py = |v: f64| y0 + h - pad + 10.0 - v / ymax * (h - 1.5 * pad);
    let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{title}</text>", x0 + w / 2.0, y0 + 16.0);
    let _ = writeln!(
        svg,
        "<line x1=\"{a}\" y1=\"{b}\" x2=\"{c}\" y2=\"{b}\" stroke=\"black\"/><line x1=\"{a}\" y1=\"{b}\" x2=\"{a}\" \
         y2=\"{d}\" stroke=\"black\"/>",
        a = px(0.0),
        b = py(0.0),
        c = px(tmax),
        d = py(ymax)
    );
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let label = if step < 1.0 { format!("{v:.1}") } else { format!("{v:.0}") };
        let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>", px(0.0) - 4.0, py(v) + 4.0);
        let t = tmax * k as f64 / 4.0;
        let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{t:.0} s</text>", px(t), py(0.0) + 16.0);
    }
    for &t in marks.iter().filter(|&&t| t > 0.0) {
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"gray\" stroke-dasharray=\"4 3\"/>",
            py(0.0),
            py(ymax),
            x = px(t)
        );
    }
    let path: Vec<String> = points.iter().map(|&(t, v)| format!("{:.1},{:.1}", px(t), py(v))).collect();
    let _ = writeln!(
        svg,
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"{}\"/>",
        path.join(" ")
    );
}

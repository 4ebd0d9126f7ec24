//! The fanout plot: deliveries per second and p99 latency against the room's size, one line per
//! server (an SVG written by hand: two panels, linear axes in millions and milliseconds).

use super::Results;
use crate::servers::Kind;
use std::fmt::Write as _;

pub fn plot_svg(results: &Results, kinds: &[Kind], sizes: &[usize]) -> String {
    let colors = ["#1f77b4", "#d62728", "#2ca02c"];
    let (w, h, pad) = (420.0, 300.0, 60.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" \
         font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        2.0 * w,
        h + 30.0
    );
    // Axis labels in the unit a reader thinks in: millions of deliveries per second, milliseconds.
    let panels =
        [("deliveries_per_s", "fanout deliveries/s (millions)", 1e6), ("p99_us", "fanout p99 latency (ms)", 1e3)];
    for (panel, &(metric, title, unit)) in panels.iter().enumerate() {
        let x0 = panel as f64 * w;
        let series: Vec<(Kind, Vec<(usize, f64)>)> = kinds
            .iter()
            .map(|&k| {
                let pts = sizes
                    .iter()
                    .filter_map(|&n| results.median(&format!("fanout-{n}"), metric, k).map(|v| (n, v)))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                (k, pts)
            })
            .collect();
        let ymax = series.iter().flat_map(|(_, p)| p.iter().map(|&(_, v)| v)).fold(0.0, f64::max) * 1.1;
        let ymax = if ymax > 0.0 { ymax } else { 1.0 };
        let (lx0, lx1) = ((sizes[0] as f64).log10(), (*sizes.last().unwrap() as f64).log10());
        let span = if lx1 > lx0 { lx1 - lx0 } else { 1.0 };
        let px = |n: usize| x0 + pad + ((n as f64).log10() - lx0) / span * (w - 2.0 * pad);
        let py = |v: f64| h - pad + 20.0 - v / ymax * (h - 2.0 * pad);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{title}</text>",
            x0 + w / 2.0
        );
        let _ = writeln!(
            svg,
            "<line x1=\"{a}\" y1=\"{b}\" x2=\"{c}\" y2=\"{b}\" stroke=\"black\"/><line x1=\"{a}\" y1=\"{b}\" x2=\"{a}\" \
             y2=\"{d}\" stroke=\"black\"/>",
            a = x0 + pad,
            b = py(0.0),
            c = x0 + w - pad,
            d = py(ymax)
        );
        for i in 0..=4 {
            let v = ymax * i as f64 / 4.0;
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                x0 + pad - 4.0,
                py(v) + 4.0,
                if ymax / unit < 10.0 { format!("{:.1}", v / unit) } else { format!("{:.0}", v / unit) }
            );
        }
        for &n in sizes {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n} clients</text>",
                px(n),
                py(0.0) + 16.0
            );
        }
        for (si, (k, pts)) in series.iter().enumerate() {
            let color = colors[si % colors.len()];
            let path: Vec<String> = pts.iter().map(|&(n, v)| format!("{:.1},{:.1}", px(n), py(v))).collect();
            let _ = writeln!(
                svg,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
                path.join(" ")
            );
            for &(n, v) in pts {
                let _ = writeln!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>", px(n), py(v));
            }
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
                x0 + w - pad - 60.0,
                45.0 + 15.0 * si as f64,
                k.name()
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

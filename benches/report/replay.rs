//! `--from FILE`: the table and the plots of a saved run, without running anything.

use super::{Results, jsonl::parse_result_line, plot_svg, print_table, table_legend};
use crate::scenarios::room::FANOUT_SIZES;
use crate::scenarios::soak;
use crate::servers::Kind;
use std::path::Path;

/// `--from FILE`: the table and the plot of an earlier run, without running anything.
pub fn replay(path: &Path, out_dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut results, mut kinds, mut rounds) = (Results::default(), vec![Kind::Chatd], 1);
    let mut soak_samples = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| l.starts_with('{')) {
        if let Some(sample) = soak::Sample::parse(line) {
            soak_samples.push(sample);
            continue;
        }
        let (kind, round, scenario, metrics) =
            parse_result_line(line).ok_or_else(|| format!("{}:{}: not a bench result line", path.display(), n + 1))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
        rounds = rounds.max(round);
        results.add(&scenario, kind, &metrics);
    }
    if results.order.is_empty() {
        return Err(format!("{}: no result lines", path.display()));
    }
    println!("{}", print_table(&results, &kinds, rounds));
    println!("{}; replayed from {}", table_legend(rounds), path.display());
    if results.order.iter().any(|(scenario, _)| scenario.starts_with("fanout-")) {
        let plot = out_dir.join("plot.svg");
        std::fs::write(&plot, plot_svg(&results, &kinds, &FANOUT_SIZES))
            .map_err(|e| format!("{}: {e}", plot.display()))?;
        println!("plot: {}", plot.display());
    }
    for (name, svg) in soak::plots_by_server(soak_samples) {
        let plot = out_dir.join(name);
        std::fs::write(&plot, svg).map_err(|e| format!("{}: {e}", plot.display()))?;
        println!("soak plot: {}", plot.display());
    }
    Ok(())
}

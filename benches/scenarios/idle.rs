//! `idle-N`: N registered clients, a hundred to a room, doing nothing: how long connecting them
//! all takes and what they cost the server in memory.

use super::Metrics;
use crate::loadgen::{Net, establish};
use crate::measure::rss_kib;
use crate::servers::Server;
use std::time::{Duration, Instant};

pub fn idle(server: &Server, clients: usize) -> Result<Metrics, String> {
    let rss0 = rss_kib(server.pid());
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let (range, took) = establish(
        &mut net,
        clients,
        &|i| format!("i{i}"),
        &|i| format!("#idle{}", i / 100),
        server.kind.connect_window(),
        Duration::from_secs(120),
    )?;
    // Let the server settle (and answer any PING meanwhile).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(1) {
        net.poll(Duration::from_millis(100), |_, _, _| {});
    }
    let rss1 = rss_kib(server.pid());
    let open = net.conns[range].iter().filter(|c| !c.closed).count();
    if open != clients {
        return Err(format!("{} of {clients} idle clients were disconnected", clients - open));
    }
    Ok(vec![
        ("connect_all_s", took.as_secs_f64()),
        ("rss_per_conn_kib", (rss1 - rss0) / clients as f64),
        ("rss_total_mib", rss1 / 1024.0),
    ])
}

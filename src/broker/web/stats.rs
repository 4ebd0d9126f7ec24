//! The counts behind `/server-status` and `/metrics`, and those pages.

use super::super::{Broker, now_millis};
use super::access::may_read;
use crate::protocol::QuitReason;
use crate::protocol::http::{Head, Response, Stats, StatusCode, metrics, status};
use std::net::IpAddr;

/// What the broker counts since start.
#[derive(Debug, Default)]
pub struct Counts {
    pub messages: u64,
    pub deliveries: u64,
    pub bytes_queued: u64,
    evictions: Vec<(&'static str, u64)>,
}

impl Counts {
    /// One more client removed for `reason`, when the server did it.
    pub fn evicted(&mut self, reason: &QuitReason) {
        if !reason.is_eviction() {
            return;
        }
        let token = reason.log_token();
        match self.evictions.iter_mut().find(|(t, _)| *t == token) {
            Some((_, n)) => *n += 1,
            None => self.evictions.push((token, 1)),
        }
    }
}

impl Broker {
    /// A snapshot of the counts.
    pub(in crate::broker) fn stats(&self, queue_depth: u64) -> Stats {
        let mut by_dialect: Vec<(&'static str, u64)> = vec![("netcat", 0), ("irc", 0), ("web", 0), ("http", 0)];
        for client in self.clients.values() {
            let dialect = client.session.as_ref().map_or("undecided", |s| s.profile().dialect);
            match by_dialect.iter_mut().find(|(d, _)| *d == dialect) {
                Some((_, n)) => *n += 1,
                None => by_dialect.push((dialect, 1)),
            }
        }
        if let Some((_, n)) = by_dialect.iter_mut().find(|(d, _)| *d == "web") {
            *n += self.web.len() as u64;
        }
        let counts = &self.web.counts;
        Stats {
            version: env!("CARGO_PKG_VERSION"),
            clients_by_dialect: by_dialect,
            max_clients: self.settings.web.max_clients as u64,
            rooms: self.state.counts().rooms as u64,
            created: self.settings.started,
            now: now_millis(),
            messages_relayed: counts.messages,
            deliveries: counts.deliveries,
            connections_accepted: self.traffic.accepted_total(),
            connections_refused: self.traffic.refused_totals(),
            evictions: counts.evictions.clone(),
            bytes_received: self.traffic.bytes_received_total(),
            bytes_sent: counts.bytes_queued,
            event_queue_depth: queue_depth,
        }
    }

    /// `/server-status` (text, or JSON when asked) and `/metrics`, for those allowed to read them.
    pub(in crate::broker) fn status_page(&self, head: &Head, peer: IpAddr) -> Response {
        let metrics = head.path == "/metrics";
        if !may_read(&self.settings.web.status_allow, peer, metrics) {
            return Response::text(StatusCode::FORBIDDEN, "forbidden\n");
        }
        let stats = self.stats(self.queue_depth);
        if metrics {
            Response::dynamic(StatusCode::OK, metrics::CONTENT_TYPE, metrics::exposition(&stats))
        } else if head.wants_json() || head.query_param("format").as_deref() == Some("json") {
            Response::json(StatusCode::OK, status::json(&stats))
        } else {
            Response::text(StatusCode::OK, status::text(&stats))
        }
    }
}

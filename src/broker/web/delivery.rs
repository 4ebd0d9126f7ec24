//! Web sessions' events: numbered, kept, streamed (Server-Sent Events) or answered to a
//! long-poll; streams attached and detached; sessions resynced, swept and removed.

use super::{KEEP_BYTES, KEEP_EVENTS, MAX_STREAMS, POLL_WAIT, RETRY_MS, WebSession, error_json, mark_dirty};
use crate::broker::{Broker, Client, now_millis};
use crate::core::ids::ClientId;
use crate::protocol::http::fields::query_value;
use crate::protocol::http::{Head, Response, StatusCode, sse};
use crate::protocol::{QuitReason, Reply};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Broker {
    /// `GET /api/events`: attaches the connection as the session's stream.
    pub(super) fn stream(&mut self, conn: ClientId, head: &Head) -> Option<Response> {
        let Some(id) = self.session_of(head) else {
            return Some(Response::json(StatusCode::UNAUTHORIZED, error_json("no session")).closing());
        };
        let after = head
            .last_event_id
            .as_deref()
            .map(str::to_string)
            .or_else(|| head.query.as_deref().and_then(|q| query_value(q, "after")))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let mut bytes = sse::stream_head(now_millis());
        bytes.extend_from_slice(sse::retry(RETRY_MS).as_bytes());
        self.send_raw(conn, &bytes);
        // Another tab of the same browser streams too; past the bound the oldest stream goes.
        let oldest_stream = self.web.sessions.get_mut(&id).and_then(|s| {
            s.streams.retain(|c| *c != conn);
            s.streams.push(conn);
            (s.streams.len() > MAX_STREAMS).then(|| s.streams.remove(0))
        });
        if let Some(old) = oldest_stream {
            self.doom(old, QuitReason::Answered);
        }
        if let Some(client) = self.clients.get_mut(&conn) {
            client.web_chat = Some(id);
        }
        let session = self.web.sessions.get_mut(&id)?;
        session.detached_since = None;
        let oldest = session.events.front().map_or(session.next_event, |(n, _)| *n);
        // What was missed is gone (the buffer no longer reaches back), or more than the send
        // queue may take at once: start over from a snapshot.
        let missed: usize = session.events.iter().filter(|(n, _)| *n > after).map(|(_, json)| json.len() + 32).sum();
        // An id the session never gave (a server restarted since) needs the snapshot too.
        let unknown = after >= session.next_event;
        if unknown || after.saturating_add(1) < oldest || missed > self.settings.max_sendq / 2 {
            self.resync(id);
        } else {
            let mut text = String::new();
            for (n, json) in session.events.iter().filter(|(n, _)| *n > after) {
                sse::write_event(&mut text, *n, None, json);
            }
            self.send_raw(conn, text.as_bytes());
        }
        None
    }

    /// Forgets the session's events and sends a `resync` and a snapshot of its state.
    fn resync(&mut self, id: ClientId) {
        if let Some(session) = self.web.sessions.get_mut(&id) {
            session.events.clear();
            session.bytes = 0;
        }
        self.push_event(id, Arc::from("{\"t\":\"resync\"}"));
        self.state.resync(id, &mut self.out);
        self.dispatch();
    }

    /// `GET /api/poll?after=N`: the events after N, or wait for the next.
    pub(super) fn poll(&mut self, conn: ClientId, head: &Head) -> Option<Response> {
        let Some(id) = self.session_of(head) else {
            return Some(Response::json(StatusCode::UNAUTHORIZED, error_json("no session")).closing());
        };
        let after: u64 =
            head.query.as_deref().and_then(|q| query_value(q, "after")).and_then(|n| n.parse().ok()).unwrap_or(0);
        if let Some(client) = self.clients.get_mut(&conn) {
            client.web_chat = Some(id);
        }
        let session = self.web.sessions.get_mut(&id)?;
        // One poll waits per session: an earlier one still waiting is answered now, else its
        // connection (which reads nothing more) would be held until the browser gave up.
        if let Some((earlier, earlier_after, _)) = session.poll.take() {
            let response = poll_answer(session, earlier_after);
            self.respond(earlier, response, None);
        }
        let session = self.web.sessions.get_mut(&id)?;
        let oldest = session.events.front().map_or(session.next_event, |(n, _)| *n);
        if after.saturating_add(1) < oldest || after >= session.next_event {
            // Missed events are gone (or the id is one this session never gave): the answer is
            // the resync and the snapshot after it.
            self.resync(id);
            let session = self.web.sessions.get_mut(&id)?;
            let resync = session.events.front().map_or(session.next_event, |(n, _)| *n);
            return Some(poll_answer(session, resync - 1));
        }
        let session = self.web.sessions.get_mut(&id)?;
        if session.events.iter().any(|(n, _)| *n > after) {
            // Polled just now: the grace counts from here, as from a poll answered later.
            if session.streams.is_empty() {
                session.detached_since = Some(Instant::now());
            }
            return Some(poll_answer(session, after));
        }
        session.detached_since = None;
        session.poll = Some((conn, after, Instant::now() + POLL_WAIT));
        None
    }

    /// Delivers one reply to web session `id` (see `deliver_web_many`).
    pub(in crate::broker) fn deliver_web(&mut self, id: ClientId, reply: &Reply) {
        self.deliver_web_many(&[id], reply);
    }

    /// Delivers one reply to web sessions `ids`: rendered once (a web event is the same for every
    /// recipient), then numbered, kept and passed on to each session's stream or waiting poll.
    pub(in crate::broker) fn deliver_web_many(&mut self, ids: &[ClientId], reply: &Reply) {
        let closing = matches!(reply, Reply::Closing { .. });
        let mut json: Option<Arc<str>> = None;
        for &id in ids {
            let Some(session) = self.web.sessions.get_mut(&id) else { continue };
            if session.doomed && !closing {
                continue;
            }
            let json = json.get_or_insert_with(|| {
                let mut bytes = Vec::new();
                session.session.render(reply, &crate::broker::base_view(&self.settings), &mut bytes);
                String::from_utf8_lossy(&bytes).into()
            });
            if json.is_empty() {
                return;
            }
            let forward = keep(session, Arc::clone(json), &mut self.web.frame);
            self.forward(forward);
        }
    }

    /// Keeps one event in session `id` and passes it on.
    fn push_event(&mut self, id: ClientId, json: Arc<str>) {
        let Some(session) = self.web.sessions.get_mut(&id) else { return };
        let forward = keep(session, json, &mut self.web.frame);
        self.forward(forward);
    }

    /// Sends an event where `keep` said: the frame in `web.frame` to a stream, or a poll's answer.
    fn forward(&mut self, forward: Forward) {
        match forward {
            Forward::Nowhere => {}
            Forward::Streams(conns) => {
                let max_sendq = self.settings.max_sendq;
                for conn in conns.into_iter().flatten() {
                    if let Some(client) = self.clients.get_mut(&conn)
                        && !client.doomed
                    {
                        match client.outbox.queue(&self.web.frame, max_sendq) {
                            Ok(()) => mark_dirty(client, conn, &mut self.dirty),
                            Err(reason) => self.doom(conn, reason),
                        }
                    }
                }
            }
            Forward::Poll(conn, response) => self.respond(conn, response, None),
        }
    }

    /// A connection is going: its session (if it streamed or polled for one) is detached.
    pub(in crate::broker) fn detach(&mut self, client: &Client, conn: ClientId) {
        let Some(session) = client.web_chat.and_then(|id| self.web.sessions.get_mut(&id)) else { return };
        session.streams.retain(|c| *c != conn);
        if session.poll.is_some_and(|(c, _, _)| c == conn) {
            session.poll = None;
        }
        if session.streams.is_empty() && session.poll.is_none() {
            session.detached_since.get_or_insert(Instant::now());
        }
    }

    /// Removes web session `id`: tells its stream why, frees it in chat state, logs one line.
    pub(in crate::broker) fn evict_web(&mut self, id: ClientId, reason: QuitReason) {
        if !matches!(reason, QuitReason::ConnectionLost) {
            self.deliver_web(id, &Reply::Closing { reason: reason.clone() });
        }
        let Some(session) = self.web.sessions.remove(&id) else { return };
        self.web.tokens.remove(&session.token);
        let nick = self.state.remove(id, &reason, &mut self.out);
        self.dispatch();
        for &conn in &session.streams {
            self.doom(conn, QuitReason::Answered);
        }
        if let Some((conn, after, _)) = session.poll {
            let response = poll_answer(&session, after);
            self.respond(conn, response, None);
        }
        self.web.counts.evicted(&reason);
        let nick = nick.map_or_else(|| "-".to_string(), |n| n.to_string());
        let fields: [(&str, &dyn std::fmt::Display); 5] = [
            ("client", &id),
            ("nick", &nick),
            ("peer", &session.peer),
            ("reason", &reason.log_token()),
            ("dialect", &"web"),
        ];
        if reason.is_eviction() {
            self.log.warn("evict", &fields);
        } else {
            self.log.info("quit", &fields);
        }
    }

    /// The sweep's part for web sessions: keep-alive comments on quiet streams, long-polls
    /// that waited long enough, sessions past their grace.
    pub(in crate::broker) fn sweep_web(&mut self, now: Instant) {
        let mut keep_alive = Vec::new();
        let mut polls = Vec::new();
        let mut expired = Vec::new();
        let grace = self.settings.web.grace;
        for (&id, session) in &mut self.web.sessions {
            if !session.streams.is_empty() {
                if std::mem::take(&mut session.streamed) {
                    session.stream_written = now;
                } else if now.saturating_duration_since(session.stream_written)
                    >= Duration::from_secs(sse::KEEP_ALIVE_SECS)
                {
                    session.stream_written = now;
                    keep_alive.extend_from_slice(&session.streams);
                }
            }
            if let Some((conn, after, deadline)) = session.poll
                && now >= deadline
            {
                session.poll = None;
                if session.streams.is_empty() {
                    session.detached_since = Some(now);
                }
                polls.push((conn, poll_answer(session, after)));
            }
            if session.detached_since.is_some_and(|since| now.saturating_duration_since(since) >= grace) {
                expired.push(id);
            }
        }
        for conn in keep_alive {
            self.send_raw(conn, sse::KEEP_ALIVE.as_bytes());
        }
        for (conn, response) in polls {
            self.respond(conn, response, None);
        }
        for id in expired {
            self.doom(id, QuitReason::ConnectionLost);
        }
    }
}

/// Where a kept event goes.
enum Forward {
    Nowhere,
    /// To these streams: the frame is in `Web::frame`.
    Streams([Option<ClientId>; MAX_STREAMS]),
    /// As the answer to this waiting poll.
    Poll(ClientId, Response),
}

/// Keeps `json` as `session`'s next event (forgetting the oldest past the bounds) and says where
/// it goes; for a stream, frames it into `frame`.
fn keep(session: &mut WebSession, json: Arc<str>, frame: &mut Vec<u8>) -> Forward {
    let n = session.next_event;
    session.next_event += 1;
    session.bytes += json.len();
    session.events.push_back((n, json));
    // The newest event is always kept, however large.
    while session.events.len() > 1 && (session.events.len() > KEEP_EVENTS || session.bytes > KEEP_BYTES) {
        if let Some((_, old)) = session.events.pop_front() {
            session.bytes -= old.len();
        }
    }
    if !session.streams.is_empty() {
        let mut conns = [None; MAX_STREAMS];
        for (slot, conn) in conns.iter_mut().zip(&session.streams) {
            *slot = Some(*conn);
        }
        session.streamed = true;
        frame.clear();
        if let Some((n, json)) = session.events.back() {
            // A web event is one line of JSON (its strings escape every line break), so it is one
            // `data:` field.
            frame.extend_from_slice(b"id: ");
            push_decimal(frame, *n);
            frame.extend_from_slice(b"\ndata: ");
            frame.extend_from_slice(json.as_bytes());
            frame.extend_from_slice(b"\n\n");
        }
        Forward::Streams(conns)
    } else if let Some((conn, after, _)) = session.poll.take() {
        session.detached_since = Some(Instant::now());
        Forward::Poll(conn, poll_answer(session, after))
    } else {
        Forward::Nowhere
    }
}

/// Bytes of events one long-poll answer carries at most (a quarter of the default
/// `--max-sendq`): the client polls on from the last id it got.
const POLL_ANSWER_BYTES: usize = 64 * 1024;

/// A long-poll's answer: the events after `after` (possibly none), as many as fit in
/// `POLL_ANSWER_BYTES` (one at least), so that an answer stays well within the send queue. It
/// ends the connection.
fn poll_answer(session: &WebSession, after: u64) -> Response {
    let mut body = String::from("{\"events\":[");
    let mut first = true;
    for (n, json) in session.events.iter().filter(|(n, _)| *n > after) {
        if !first && body.len() + json.len() > POLL_ANSWER_BYTES {
            break;
        }
        if !first {
            body.push(',');
        }
        first = false;
        body.push_str(&with_id(*n, json));
    }
    body.push_str("]}");
    Response::json(StatusCode::OK, body).closing()
}

/// Appends `n` in decimal (no formatting machinery: once per event per stream).
pub(super) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// The event with its id, as the long-poll lists it: `{"id":N,...}`.
pub(super) fn with_id(id: u64, json: &str) -> String {
    match json.strip_prefix('{') {
        Some(rest) => format!("{{\"id\":{id},{rest}"),
        None => json.to_string(),
    }
}

//! The web face, on the broker's side: every HTTP request a reader framed (`Event::Request`) is
//! answered here, and browsers' chat clients (web sessions) live here.
//!
//! A web session is a chat client without a connection of its own: chat state knows it by a
//! `ClientId` above `WEB_IDS`, and its replies are rendered as JSON events (`web::events`), each
//! numbered and kept in a bounded buffer. The connections a browser uses come and go: the event
//! stream (`GET /api/events`, Server-Sent Events) is attached to the session and gets each event
//! as it comes; a long-poll (`GET /api/poll`) waits up to `POLL_WAIT` for the next; `POST
//! /api/send` applies one line as typed. A stream that reconnects with `Last-Event-ID` gets what
//! it missed from the buffer, or a full resync when the buffer no longer reaches back that far.
//! A session with no stream and no poll for `--web-grace` ends as `connection lost`.
//!
//! Answers leave in request order: the reader sends a connection's requests in order, and every
//! request but the stream and the poll (after which the connection carries nothing more) is
//! answered at once.

use super::{Broker, Client, now_millis};
use crate::core::ids::{ClientId, IdMap};
use crate::net::reader::TokenBucket;
use crate::protocol::dialect::Session;
use crate::protocol::http::status::json_string;
use crate::protocol::http::{Head, Method, Request, RequestError, Response, SetCookie, StatusCode};
use crate::protocol::web::{assets, events};
use crate::protocol::{
    AccountCommand, AccountFailure, AccountReply, ChatError, Command, LoginVia, ParseError, QuitReason, Reply, netcat,
};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod access;
mod delivery;
mod stats;

pub use crate::core::cidr::Cidr;

/// Web sessions' ids in chat state: far above any connection's (the acceptor counts from 1).
pub const WEB_IDS: u64 = 1 << 62;
/// Events a session keeps for a stream that reconnects, and their bytes at most.
const KEEP_EVENTS: usize = 1000;
const KEEP_BYTES: usize = 512 * 1024;
/// Streams one session may have at once (tabs of one browser): a newer one replaces the oldest.
pub(super) const MAX_STREAMS: usize = 4;
/// How long a long-poll waits for an event.
const POLL_WAIT: Duration = Duration::from_secs(25);
/// How long the browser waits before reconnecting a dropped stream.
const RETRY_MS: u64 = 2000;
/// The session cookie's name.
const COOKIE: &str = "chatd_session";

/// The web face's settings, from the configuration.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// How long a session outlives its last stream.
    pub grace: Duration,
    /// Where unknown paths are sent (`301`) instead of `404`.
    pub redirect: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Who may read `/server-status` and `/metrics`; empty: the status is public, metrics loopback only.
    pub status_allow: Vec<Cidr>,
    pub max_clients: usize,
    /// Most web sessions from one client address (`--max-per-ip`): behind a trusted proxy every
    /// connection comes from the proxy, so the limit is applied here, to the forwarded address.
    pub max_per_ip: usize,
    /// The line limit and flood control, as for netcat users.
    pub max_line: usize,
    pub flood_burst: u32,
    pub flood_rate: u32,
}

impl Default for WebSettings {
    fn default() -> WebSettings {
        WebSettings {
            grace: Duration::from_secs(60),
            redirect: None,
            trusted_proxies: Vec::new(),
            status_allow: Vec::new(),
            max_clients: 1024,
            max_per_ip: 16,
            max_line: 1024,
            flood_burst: 10,
            flood_rate: 5,
        }
    }
}

/// One browser's chat client.
pub(super) struct WebSession {
    token: String,
    session: Box<dyn Session>,
    peer: IpAddr,
    /// Events not yet forgotten, oldest first, with their ids.
    events: VecDeque<(u64, Arc<str>)>,
    bytes: usize,
    next_event: u64,
    /// The connections streaming this session's events (one per open tab, `MAX_STREAMS` at
    /// most, oldest first): every event goes to each.
    streams: Vec<ClientId>,
    /// When the sweep last saw the streams written to (a keep-alive comment after 15 quiet
    /// seconds), and whether an event went to them since (cheaper than a clock read per event).
    stream_written: Instant,
    streamed: bool,
    /// A long-poll waiting: its connection, the last event it has, and its deadline.
    poll: Option<(ClientId, u64, Instant)>,
    /// Since when neither a stream nor a poll has been attached.
    detached_since: Option<Instant>,
    bucket: TokenBucket,
    doomed: bool,
}

/// Every web session, by chat id and by token.
#[derive(Default)]
pub(super) struct Web {
    sessions: IdMap<WebSession>,
    tokens: HashMap<String, ClientId>,
    next: u64,
    /// One event framed for one stream, kept between events for its allocation.
    frame: Vec<u8>,
    /// Counts for `/server-status` and `/metrics`.
    pub(super) counts: stats::Counts,
    /// Logins waiting for their password check, by chat client.
    logins: IdMap<PendingLogin>,
}

/// A web login waiting for its password check: the request to answer, and who asked.
pub(super) struct PendingLogin {
    conn: ClientId,
    head: Head,
    nick: String,
    peer: IpAddr,
}

impl Web {
    pub(super) fn session_mut(&mut self, id: ClientId) -> Option<&mut Box<dyn Session>> {
        self.sessions.get_mut(&id).map(|s| &mut s.session)
    }

    /// Every session's id.
    pub(super) fn ids(&self) -> Vec<ClientId> {
        self.sessions.keys().copied().collect()
    }

    pub(super) fn len(&self) -> usize {
        self.sessions.len()
    }

    /// The address a session's browser logged in from (or is logging in from).
    pub(super) fn peer(&self, id: ClientId) -> Option<IpAddr> {
        self.sessions.get(&id).map(|s| s.peer).or_else(|| self.logins.get(&id).map(|l| l.peer))
    }

    /// Marks a session for removal; false when there is none (or it already is).
    pub(super) fn doom(&mut self, id: ClientId) -> bool {
        match self.sessions.get_mut(&id) {
            Some(session) if !session.doomed => {
                session.doomed = true;
                true
            }
            _ => false,
        }
    }
}

/// A token of 128 bits from the operating system's random source, in hex.
fn new_token() -> Option<String> {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer it is given.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    (n == bytes.len() as isize).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A JSON object `{"error":"..."}`.
fn error_json(text: &str) -> String {
    let mut out = String::from("{\"error\":");
    json_string(&mut out, text);
    out.push('}');
    out
}

/// Whether a `POST` comes from the page's own origin (no cross-site requests).
fn same_origin(head: &Head) -> bool {
    match (&head.origin, &head.host) {
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host.as_str())
        }
        _ => false,
    }
}

impl Broker {
    /// Answers one request from connection `conn`.
    pub(super) fn web_request(&mut self, conn: ClientId, request: Result<Box<Request>, RequestError>) {
        let Some(client) = self.clients.get(&conn) else { return };
        if client.doomed {
            return;
        }
        let request = match request {
            Ok(request) => request,
            Err(error) => {
                let peer = client.peer.ip();
                self.log.info(
                    "http",
                    &[("client", &conn), ("status", &error.status().code()), ("peer", &peer), ("error", &error)],
                );
                return self.respond(conn, Response::for_error(&error), None);
            }
        };
        let head = &request.head;
        let peer = self.client_addr(conn, head);
        let (method, path) = (head.method.clone(), head.path.clone());
        let response = self.route(conn, &request, peer);
        if let Some(response) = response {
            if !path.starts_with("/api/") {
                let status = response.status().code();
                let fields: [(&str, &dyn std::fmt::Display); 5] = [
                    ("client", &conn),
                    ("method", &method.as_str()),
                    ("path", &path),
                    ("status", &status),
                    ("peer", &peer),
                ];
                self.log.info("http", &fields);
            }
            self.respond(conn, response, Some(&request.head));
        }
    }

    /// The client's address: the peer, or for a trusted proxy the address it forwards for.
    fn client_addr(&self, conn: ClientId, head: &Head) -> IpAddr {
        let peer = self.clients.get(&conn).map_or(IpAddr::from([0, 0, 0, 0]), |c| c.peer.ip().to_canonical());
        let trusted = &self.settings.web.trusted_proxies;
        head.client_addr(peer, |ip| trusted.contains(&ip))
    }

    /// The answer to one request; `None` when it is answered later (a stream, a waiting poll).
    fn route(&mut self, conn: ClientId, request: &Request, peer: IpAddr) -> Option<Response> {
        let head = &request.head;
        let get = matches!(head.method, Method::Get | Method::Head);
        let post = head.method == Method::Post;
        let path = head.path.as_str();
        let allowed: &[&str] = match path {
            "/api/login" | "/api/send" => &["POST"],
            _ => &["GET", "HEAD"],
        };
        let known = matches!(path, "/api/session" | "/api/events" | "/api/poll" | "/api/login" | "/api/send")
            || matches!(path, "/server-status" | "/metrics" | "/favicon.ico")
            || assets::find(path).is_some();
        if !known {
            return Some(match &self.settings.web.redirect {
                Some(url) => Response::redirect(url),
                None => Response::text(StatusCode::NOT_FOUND, "not found\n"),
            });
        }
        if !(if allowed == ["POST"] { post } else { get }) {
            return Some(Response::method_not_allowed(allowed));
        }
        match path {
            "/favicon.ico" => Some(Response::new(StatusCode::NO_CONTENT)),
            "/server-status" | "/metrics" => Some(self.status_page(head, peer)),
            "/api/session" => Some(self.session_info(head)),
            "/api/login" => self.login(conn, head, &request.body, peer),
            "/api/send" => Some(self.send(head, &request.body)),
            // HEAD of the stream or the poll: their heads, without starting either.
            "/api/events" if head.method == Method::Head => {
                Some(Response::dynamic(StatusCode::OK, "text/event-stream", Vec::new()))
            }
            "/api/poll" if head.method == Method::Head => Some(Response::json(StatusCode::OK, "")),
            "/api/events" => self.stream(conn, head),
            "/api/poll" => self.poll(conn, head),
            _ => assets::find(path).map(asset_response),
        }
    }

    /// Queues `response` on `conn` and closes it afterwards unless it stays open.
    /// Queues `response` on `conn`; one that closes the connection closes it once it has all
    /// left (see `Client::closing_by`).
    pub(super) fn respond(&mut self, conn: ClientId, response: Response, head: Option<&Head>) {
        let bytes = response.to_bytes(now_millis(), head);
        let close = !response.keeps_alive(head);
        self.send_raw(conn, &bytes);
        if close {
            self.close_when_sent(conn);
        }
    }

    /// Queues bytes on a connection under the send-queue rule.
    fn send_raw(&mut self, conn: ClientId, bytes: &[u8]) {
        let max_sendq = self.settings.max_sendq;
        let Some(client) = self.clients.get_mut(&conn) else { return };
        if client.doomed {
            return;
        }
        if let Err(reason) = client.outbox.queue(bytes, max_sendq) {
            self.doom(conn, reason);
            return;
        }
        mark_dirty(client, conn, &mut self.dirty);
    }

    /// The session a request's cookie names.
    fn session_of(&self, head: &Head) -> Option<ClientId> {
        let token = head.cookie(COOKIE)?;
        self.web.tokens.get(token).copied().filter(|id| self.web.sessions.get(id).is_some_and(|s| !s.doomed))
    }

    fn session_info(&self, head: &Head) -> Response {
        let Some(id) = self.session_of(head) else {
            return Response::json(StatusCode::NOT_FOUND, error_json("no session"));
        };
        let nick = self.state.nick(id).map_or("", |n| n.as_str());
        let token = self.web.sessions.get(&id).map_or("", |s| s.token.as_str());
        let mut body = String::from("{\"nick\":");
        json_string(&mut body, nick);
        body.push_str(",\"token\":");
        json_string(&mut body, token);
        body.push('}');
        Response::json(StatusCode::OK, body)
    }

    /// `POST /api/login`: a new web session with the nickname in the body, registered as any
    /// client (taken or invalid nicknames are refused with the reason). A second line in the body
    /// is the password of the nickname's account: the session logs in to it first, and the
    /// answer waits for the password check (`None` here; `web_login_checked` answers).
    fn login(&mut self, conn: ClientId, head: &Head, body: &[u8], peer: IpAddr) -> Option<Response> {
        match self.begin_login(conn, head, body, peer)? {
            Ok(refused) => Some(refused),
            Err((id, nick)) => Some(self.admit(id, nick, peer)),
        }
    }

    /// The checks before a login; `Some(Err((id, nick)))`: chat client `id` was connected and may
    /// be admitted now as `nick`; `None`: it waits for its password check.
    fn begin_login(
        &mut self,
        conn: ClientId,
        head: &Head,
        body: &[u8],
        peer: IpAddr,
    ) -> Option<Result<Response, (ClientId, String)>> {
        let refuse = |status, text: &str| Some(Ok(Response::json(status, error_json(text))));
        if !same_origin(head) {
            return refuse(StatusCode::FORBIDDEN, "cross-origin request refused");
        }
        // Web sessions hold nicknames and event buffers without a connection of their own: they
        // count against --max-clients beside the connections.
        if self.clients.len() + self.web.len() + self.web.logins.len() >= self.settings.web.max_clients {
            let text = format!("server full ({} clients), try again later", self.settings.web.max_clients);
            return refuse(StatusCode::SERVICE_UNAVAILABLE, &text);
        }
        let from_peer = self.web.sessions.values().filter(|s| s.peer == peer && !s.doomed).count()
            + self.web.logins.values().filter(|l| l.peer == peer).count();
        if from_peer >= self.settings.web.max_per_ip {
            let text = format!(
                "too many sessions from your address ({from_peer}/{}), end one first",
                self.settings.web.max_per_ip
            );
            return refuse(StatusCode::TOO_MANY_REQUESTS, &text);
        }
        // The nickname, then (optionally) the password, as typed.
        let body = String::from_utf8_lossy(body);
        let (nick, password) = match body.split_once('\n') {
            Some((nick, password)) => (nick.trim().to_string(), password.trim_end_matches(['\r', '\n']).to_string()),
            None => (body.trim().to_string(), String::new()),
        };
        self.web.next += 1;
        let id = ClientId(WEB_IDS + self.web.next);
        let now = now_millis();
        self.state.connect(id, events::chat_session().profile(), &peer.to_string(), now, &mut self.out);
        if password.is_empty() {
            return Some(Err((id, nick)));
        }
        let identify = AccountCommand::Identify { name: Some(nick.clone()), password, via: LoginVia::Pass };
        let _ = self.state.apply(id, Command::Account(identify), now, &mut self.out);
        if self.out.jobs.iter().any(|job| job.id == id) {
            self.web.logins.insert(id, PendingLogin { conn, head: head.clone(), nick, peer });
            return None;
        }
        Some(Ok(self.refuse_login(id)))
    }

    /// Registers web client `id` with the nickname it asked for and starts its session, or
    /// refuses it with chat state's reason.
    fn admit(&mut self, id: ClientId, nick: String, peer: IpAddr) -> Response {
        let _ = self.state.apply(id, Command::Nick { nick }, now_millis(), &mut self.out);
        if !self.state.is_registered(id) {
            return self.refuse_login(id);
        }
        let Some(token) = new_token() else {
            self.state.remove(id, &QuitReason::ConnectionLost, &mut self.out);
            return Response::json(StatusCode::SERVICE_UNAVAILABLE, error_json("no random source"));
        };
        let session = events::chat_session();
        let web = &self.settings.web;
        self.web.sessions.insert(
            id,
            WebSession {
                token: token.clone(),
                session,
                peer,
                events: VecDeque::new(),
                bytes: 0,
                next_event: 1,
                streams: Vec::new(),
                stream_written: Instant::now(),
                streamed: false,
                poll: None,
                detached_since: Some(Instant::now()),
                bucket: TokenBucket::new(web.flood_burst, web.flood_rate, Instant::now()),
                doomed: false,
            },
        );
        self.web.tokens.insert(token.clone(), id);
        self.log.info("connect", &[("client", &id), ("peer", &peer), ("dialect", &"web")]);
        self.dispatch();
        let nick = self.state.nick(id).map_or("", |n| n.as_str());
        let mut body = String::from("{\"nick\":");
        json_string(&mut body, nick);
        body.push_str(",\"token\":");
        json_string(&mut body, &token);
        body.push('}');
        Response::json(StatusCode::OK, body).with_cookie(&SetCookie::session(COOKIE, &token))
    }

    /// Removes web client `id`, which was refused, and answers with the reason chat state gave
    /// (nothing else it was told is kept).
    fn refuse_login(&mut self, id: ClientId) -> Response {
        let mut refusal = None;
        self.out.deliveries.retain(|d| {
            let mine = d.to == crate::chat::To::One(id);
            if mine
                && refusal.is_none()
                && matches!(d.reply, Reply::Error(_) | Reply::Account(AccountReply::Failed { .. }))
            {
                refusal = Some(d.reply.clone());
            }
            !mine
        });
        self.state.remove(id, &QuitReason::ConnectionLost, &mut self.out);
        let status = match &refusal {
            Some(Reply::Error(ChatError::NickTaken(_))) => StatusCode::CONFLICT,
            Some(Reply::Error(ChatError::NickRegistered(_))) => StatusCode::FORBIDDEN,
            Some(Reply::Account(AccountReply::Failed { failure, .. })) => match failure {
                AccountFailure::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                AccountFailure::Busy | AccountFailure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::FORBIDDEN,
            },
            _ => StatusCode::BAD_REQUEST,
        };
        let text = match &refusal {
            Some(Reply::Account(AccountReply::Failed { failure, .. })) => failure.to_string(),
            other => events::error_text(other.as_ref()),
        };
        let response = Response::json(status, error_json(&text));
        match &refusal {
            Some(Reply::Account(AccountReply::Failed { failure: AccountFailure::Throttled { secs }, .. })) => {
                response.with_field("Retry-After", &secs.to_string())
            }
            _ => response,
        }
    }

    /// A password check for a web login finished (`id` may be any client's): answer the login.
    pub(super) fn web_login_checked(&mut self, id: ClientId) {
        let Some(pending) = self.web.logins.remove(&id) else { return };
        let response = if self.state.account_of(id).is_some() {
            self.admit(id, pending.nick, pending.peer)
        } else {
            self.refuse_login(id)
        };
        self.respond(pending.conn, response, Some(&pending.head));
    }

    /// `POST /api/send`: one line as typed, applied as the session's.
    fn send(&mut self, head: &Head, body: &[u8]) -> Response {
        let Some(id) = self.session_of(head) else {
            return Response::json(StatusCode::UNAUTHORIZED, error_json("no session"));
        };
        let token_ok = self.web.sessions.get(&id).is_some_and(|s| head.session.as_deref() == Some(s.token.as_str()));
        if !token_ok || !same_origin(head) {
            return Response::json(StatusCode::FORBIDDEN, error_json("session token or origin missing"));
        }
        let Some(session) = self.web.sessions.get_mut(&id) else { return Response::new(StatusCode::NO_CONTENT) };
        let wait = session.bucket.take(Instant::now());
        if !wait.is_zero() {
            let retry = wait.as_secs().max(1).to_string();
            return Response::json(StatusCode::TOO_MANY_REQUESTS, error_json("too many lines: slow down"))
                .with_field("Retry-After", &retry);
        }
        let max_line = self.settings.web.max_line;
        let input = if body.len() > max_line {
            Some(Err(ParseError::LineTooLong { limit: max_line }))
        } else {
            let text = netcat::clean_input(body.split(|&b| b == b'\n' || b == b'\r').next().unwrap_or_default());
            (!text.trim().is_empty()).then(|| netcat::parse(&text))
        };
        if let Some(input) = input {
            self.apply_input(id, input);
            self.dispatch();
        }
        Response::new(StatusCode::NO_CONTENT)
    }
}

/// One file of the page, with its own type (one `Content-Type` only: with `nosniff` a script
/// sent as `text/html` would not run) and the security headers.
fn asset_response(asset: &assets::Asset) -> Response {
    let response = Response::new(StatusCode::OK).with_body(asset.content_type, asset.body).with_security_headers();
    if asset.path == "/" { response } else { response.with_field("Cache-Control", "no-cache") }
}

/// Lists `client` for the next flush.
pub(super) fn mark_dirty(client: &mut Client, id: ClientId, dirty: &mut Vec<ClientId>) {
    if !client.outbox.is_empty() && !client.queued {
        client.queued = true;
        dirty.push(id);
    }
}

#[cfg(test)]
mod tests;

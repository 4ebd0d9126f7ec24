//! A browser's part, spoken by hand: log in, post lines, read the event stream or long-poll, as
//! /work/notes' wire protocol (README "The web face") has them. Built on `http`.

use super::http::{HttpClient, Req, Response, one_shot};
use super::json::{Json, must_parse};
use super::{Server, TIMEOUT};
use std::net::SocketAddr;
use std::time::Instant;

/// The page's origin as a browser sends it with every POST.
pub fn origin(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// `POST /api/login` with the page's `Origin`, on a fresh connection.
pub fn login_request(server: &Server, nick: &str) -> Response {
    one_shot(server, &Req::post("/api/login", nick.as_bytes()).field("Origin", &origin(server.addr)).close())
}

/// A logged-in browser: its nickname, token and cookie.
#[derive(Clone, Debug)]
pub struct WebUser {
    pub addr: SocketAddr,
    pub nick: String,
    pub token: String,
    /// `chatd_session=<token>`, as the browser sends it back.
    pub cookie: String,
}

/// Logs `nick` in; fails unless it is accepted.
pub fn login(server: &Server, nick: &str) -> WebUser {
    let response = login_request(server, nick);
    assert_eq!(response.status, 200, "login {nick}: {response:?}\n{}", server.log.text());
    let answer = response.json();
    let token = answer.text("token").to_string();
    assert_eq!(answer.text("nick"), nick);
    let set_cookie = response.must("Set-Cookie");
    let cookie = set_cookie.split(';').next().unwrap_or_default().trim().to_string();
    assert_eq!(cookie, format!("chatd_session={token}"));
    WebUser { addr: server.addr, nick: nick.to_string(), token, cookie }
}

impl WebUser {
    /// `POST /api/send` as the page sends it (cookie, token, origin), without the answer read.
    pub fn send_request(&self, line: &str) -> Req {
        Req::post("/api/send", line.as_bytes())
            .field("Content-Type", "text/plain;charset=UTF-8")
            .field("Origin", &origin(self.addr))
            .field("Cookie", &self.cookie)
            .field("X-Chatd-Session", &self.token)
    }

    /// Posts one line on a fresh connection; returns the answer.
    pub fn post(&self, server: &Server, line: &str) -> Response {
        one_shot(server, &self.send_request(line).close())
    }

    /// Posts one line; it must be taken (`204`).
    pub fn say(&self, server: &Server, line: &str) {
        let response = self.post(server, line);
        assert_eq!(response.status, 204, "send {line:?} as {}: {response:?}", self.nick);
    }

    /// `GET /api/events` with the cookie, and `Last-Event-ID` when resuming.
    pub fn stream_request(&self, last_event_id: Option<u64>) -> Req {
        let request = Req::get("/api/events").field("Accept", "text/event-stream").field("Cookie", &self.cookie);
        match last_event_id {
            Some(id) => request.field("Last-Event-ID", &id.to_string()),
            None => request,
        }
    }

    /// Opens the event stream (resuming after `last_event_id`) and checks its head.
    pub fn stream(&self, server: &Server, last_event_id: Option<u64>) -> EventStream {
        let mut http = HttpClient::connect(server);
        http.send(&self.stream_request(last_event_id));
        let head = http.read_head();
        assert_eq!(head.status, 200, "{head:?}");
        assert_eq!(head.field("Content-Type"), Some("text/event-stream"));
        assert_eq!(head.field("Cache-Control"), Some("no-store"));
        assert!(head.field("Content-Length").is_none(), "a stream has no length: {head:?}");
        EventStream { http, last_id: last_event_id.unwrap_or(0), events: Vec::new() }
    }

    /// `GET /api/poll?after=N` with the cookie, sent on a fresh connection (not read).
    pub fn poll(&self, server: &Server, after: u64) -> HttpClient {
        let mut http = HttpClient::connect(server);
        http.send(&Req::get(&format!("/api/poll?after={after}")).field("Cookie", &self.cookie));
        http
    }
}

/// One chat event: its id and its JSON.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: u64,
    pub json: Json,
    /// The `data:` as sent.
    pub data: String,
}

impl Event {
    pub fn kind(&self) -> &str {
        self.json.text("t")
    }
}

/// An open event stream.
pub struct EventStream {
    pub http: HttpClient,
    /// The id of the last event read (or the one resumed after).
    pub last_id: u64,
    /// Every event read, for failure messages and checks of order.
    pub events: Vec<Event>,
}

impl EventStream {
    /// The next event: it must have an `id:` above the last and one `data:` line of JSON.
    pub fn next(&mut self) -> Event {
        self.next_by(Instant::now() + TIMEOUT)
    }

    pub fn next_by(&mut self, deadline: Instant) -> Event {
        let sse = self.http.next_event_by(deadline);
        let id: u64 = sse
            .id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("event without a numeric id: {sse:?}"));
        assert!(id > self.last_id, "event id {id} after {}: {sse:?}", self.last_id);
        assert_eq!(sse.lines.len(), 2, "one id and one data line: {sse:?}");
        self.last_id = id;
        let event = Event { id, json: must_parse(&sse.data), data: sse.data };
        self.events.push(event.clone());
        event
    }

    /// Reads events until one satisfies `want`; fails after `TIMEOUT`.
    pub fn until(&mut self, what: &str, want: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if Instant::now() >= deadline {
                self.fail(&format!("no {what} within {TIMEOUT:?}"));
            }
            let event = self.next_by(deadline);
            if want(&event) {
                return event;
            }
        }
    }

    /// Reads events until one of type `kind`.
    pub fn expect(&mut self, kind: &str) -> Event {
        self.until(kind, |e| e.kind() == kind)
    }

    /// The very next event must be of type `kind`.
    pub fn expect_next(&mut self, kind: &str) -> Event {
        let event = self.next();
        if event.kind() != kind {
            self.fail(&format!("expected a {kind} event, got {}", event.json));
        }
        event
    }

    /// Reads until a `said` event from `from` in `room`; its text must be `text`.
    pub fn expect_said(&mut self, room: &str, from: &str, text: &str) -> Event {
        let event = self.until(&format!("said by {from} in {room}"), |e| {
            e.kind() == "said" && e.json.text("from") == from && e.json.text("room") == room
        });
        assert_eq!(event.json.text("text"), text, "{}", event.json);
        event
    }

    /// Reads the events a fresh login brings (hello, joined_self, maybe history) up to the
    /// `joined_self` of `room`.
    pub fn expect_joined(&mut self, room: &str) -> Event {
        self.until(&format!("joined_self {room}"), |e| e.kind() == "joined_self" && e.json.text("room") == room)
    }

    fn fail(&self, what: &str) -> ! {
        let events: Vec<String> = self.events.iter().map(|e| format!("{} {}", e.id, e.json)).collect();
        panic!("{what}\n--- events read:\n{}", events.join("\n"))
    }
}

/// The events of a long-poll answer: `{"events":[{"id":N,...},...]}`.
pub fn poll_events(response: &Response) -> Vec<Json> {
    assert_eq!(response.status, 200, "{response:?}");
    response.json().get("events").array().to_vec()
}

//! A whole chat session: what several clients send, framed and parsed as the reader does, applied
//! to the chat state (`chatd::chat::State`) as the broker does, and every reply rendered for each
//! recipient in its own dialect.
//!
//! Input: lines separated by LF. The first byte of a line picks what happens: `0`-`3` (or any
//! byte whose value is 0-3 modulo 8) sends the rest of the line from client 0-3; `4`-`7`
//! reconnects client 0-3 (its connection is lost, a new one takes its place). Clients 0 and 1
//! speak netcat (client 1 ends its lines with NUL), clients 2 and 3 IRC. A line like
//! `2CAP REQ :server-time` therefore comes from the first IRC client.
//!
//! Checks: nothing panics anywhere in parsing, the chat state or rendering; every IRC line any
//! client is sent is valid UTF-8, CR LF terminated, at most 512 bytes (tags aside) and parses;
//! room messages reach IRC clients as PRIVMSG or NOTICE to that room from the sender; every
//! netcat line is valid UTF-8 without any control character inside.
#![no_main]

mod common;

use chatd::chat::{Effect, Output, Settings, State, To};
use chatd::core::ids::ClientId;
use chatd::framing::{Frame, Framer, Terminator};
use chatd::names::RoomName;
use chatd::protocol::irc::message::{MAX_CLIENT_TAG_BYTES, MAX_LINE_BYTES};
use chatd::protocol::{Dialect, ParseError, QuitReason, Reply, irc, netcat};
use chatd::room::HistoryLimits;
use libfuzzer_sys::fuzz_target;

const SERVER: &str = "chatd.example.org";
/// The default `--max-line`.
const NETCAT_MAX_LINE: usize = 1024;
const IRC_MAX_LINE: usize = MAX_CLIENT_TAG_BYTES + MAX_LINE_BYTES;
/// Hosts as the broker passes them; the IPv6 ones exercise `display_host`.
const HOSTS: [&str; 4] = ["127.0.0.1", "::1", "203.0.113.9", "2001:db8::1"];

struct Client {
    id: ClientId,
    dialect: Dialect,
    framer: Framer,
    terminator: Terminator,
    open: bool,
}

struct Session {
    state: State,
    clients: Vec<Client>,
    next_id: u64,
    now: u64,
    out: Output,
}

impl Session {
    fn new() -> Session {
        let settings = Settings {
            server_name: SERVER.to_string(),
            default_room: RoomName::parse("#lobby").expect("valid room"),
            // Small bounds, so that the byte accounting and the replay budget are exercised.
            history: HistoryLimits { lines: 4, room_bytes: 2048, total_bytes: 4096, replay_bytes: 1024 },
            audit_messages: true,
            opers: vec![("admin".to_string(), "secret".to_string())],
            // Rooms of more than two are crowds, so the summaries are exercised too.
            crowd_size: 2,
            crowd_interval: 5_000,
        };
        let mut session =
            Session { state: State::new(settings, 0), clients: Vec::new(), next_id: 1, now: 0, out: Output::default() };
        for slot in 0..4 {
            let client = session.connect(slot);
            session.clients.push(client);
        }
        session.dispatch();
        session
    }

    fn connect(&mut self, slot: usize) -> Client {
        let id = ClientId(self.next_id);
        self.next_id += 1;
        let (dialect, framer) = if slot < 2 {
            (Dialect::Netcat, Framer::new(NETCAT_MAX_LINE))
        } else {
            (Dialect::Irc, Framer::raw(IRC_MAX_LINE))
        };
        self.state.connect(id, dialect, HOSTS[slot], self.now, &mut self.out);
        Client { id, dialect, framer, terminator: Terminator::Newline, open: true }
    }

    fn reconnect(&mut self, slot: usize) {
        if self.clients[slot].open {
            let id = self.clients[slot].id;
            self.evict(id, QuitReason::ConnectionLost);
        }
        self.clients[slot] = self.connect(slot);
        self.dispatch();
    }

    /// What the reader does with one line from `slot`, then the broker with each input.
    fn send(&mut self, slot: usize, line: &[u8]) {
        if !self.clients[slot].open {
            self.reconnect(slot);
        }
        let client = &mut self.clients[slot];
        let end: &[u8] = if slot == 1 { b"\0" } else { b"\n" };
        let mut frames = Vec::new();
        client.framer.push(line, &mut frames);
        client.framer.push(end, &mut frames);
        let (id, dialect) = (client.id, client.dialect);
        for frame in frames {
            self.now += 1_000;
            let input = match frame {
                Frame::TooLong => {
                    let limit = if dialect == Dialect::Netcat { NETCAT_MAX_LINE } else { MAX_LINE_BYTES };
                    Err(ParseError::LineTooLong { limit })
                }
                Frame::Line { bytes, terminator } => {
                    self.clients[slot].terminator = terminator;
                    match dialect {
                        Dialect::Netcat => {
                            let text = netcat::clean_input(&bytes);
                            if text.trim().is_empty() {
                                continue;
                            }
                            netcat::parse(&text)
                        }
                        Dialect::Irc => match irc::parse(&String::from_utf8_lossy(&bytes)) {
                            Some(input) => input,
                            None => continue,
                        },
                    }
                }
            };
            if !self.clients[slot].open {
                // Closed by an earlier line of this read (QUIT): the rest is never read.
                return;
            }
            match input {
                Ok(command) => {
                    if let Effect::Close(reason) = self.state.apply(id, command, self.now, &mut self.out) {
                        self.dispatch();
                        self.evict(id, reason);
                    }
                }
                Err(error) => self.state.parse_error(id, error, &mut self.out),
            }
            self.state.summarise_crowds(self.now, &mut self.out);
            self.dispatch();
        }
    }

    /// The broker's eviction: last words to the client (when it can still hear), then removal.
    fn evict(&mut self, id: ClientId, reason: QuitReason) {
        let Some(slot) = self.clients.iter().position(|c| c.id == id && c.open) else { return };
        if !matches!(reason, QuitReason::ConnectionLost | QuitReason::SendQueueExceeded) {
            self.render_to(slot, &Reply::Closing { reason: reason.clone() }, false);
        }
        self.state.remove(id, &reason, &mut self.out);
        self.clients[slot].open = false;
        self.dispatch();
    }

    /// Delivers everything `state` produced, and carries out its kills.
    fn dispatch(&mut self) {
        let deliveries = std::mem::take(&mut self.out.deliveries);
        self.out.audit.clear();
        for outgoing in &deliveries {
            let ids = match &outgoing.to {
                To::One(id) => std::slice::from_ref(id),
                To::Many(ids) => ids.as_slice(),
            };
            for id in ids {
                if let Some(slot) = self.clients.iter().position(|c| c.id == *id && c.open) {
                    self.render_to(slot, &outgoing.reply, true);
                }
            }
        }
        for (id, reason) in std::mem::take(&mut self.out.kills) {
            self.evict(id, reason);
        }
    }

    /// Renders `reply` as the broker would for the client in `slot`, and checks the bytes.
    fn render_to(&self, slot: usize, reply: &Reply, in_context: bool) {
        let client = &self.clients[slot];
        let (rooms, nick, caps) = self.state.render_info(client.id);
        let nick = nick.map_or("*", |n| n.as_str());
        let mut out = Vec::new();
        match client.dialect {
            Dialect::Netcat => {
                let view = netcat::View { multi_room: in_context && rooms > 1, terminator: client.terminator };
                netcat::render(reply, view, &mut out);
                common::check_netcat_output(&out, client.terminator);
            }
            Dialect::Irc => {
                let caps = if in_context { caps } else { Default::default() };
                let view = irc::View {
                    server: SERVER,
                    nick,
                    started: 0,
                    ping_after_secs: 300,
                    server_time: caps.server_time,
                    multi_prefix: caps.multi_prefix,
                };
                irc::render(reply, &view, &mut out);
                let lines = common::check_irc_output(&out);
                if let Reply::Said { room, from, .. } = reply {
                    for line in &lines {
                        assert!(matches!(line.command.as_str(), "PRIVMSG" | "NOTICE"), "{line:?} for {reply:?}");
                        assert_eq!(line.param(0), Some(room.as_str()), "room message sent elsewhere: {line:?}");
                        assert_eq!(line.prefix.as_deref(), Some(from.prefix().as_str()), "wrong sender: {line:?}");
                    }
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut session = Session::new();
    for line in data.split(|&b| b == b'\n') {
        let Some((&first, rest)) = line.split_first() else { continue };
        let slot = usize::from(first % 4);
        if first % 8 < 4 {
            session.send(slot, rest);
        } else {
            session.reconnect(slot);
        }
    }
    for slot in 0..4 {
        if session.clients[slot].open {
            let id = session.clients[slot].id;
            session.evict(id, QuitReason::ServerShutdown);
        }
    }
});

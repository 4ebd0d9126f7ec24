//! A whole chat session: what several clients send, decoded by each dialect's decoder as the
//! reader does, offered to each client's dialect session and applied to the chat state
//! (`chatd::chat::State`) as the broker does, and every reply rendered by the recipient's session.
//!
//! Input: lines separated by LF. The first byte of a line picks what happens: `0`-`3` (or any
//! byte whose value is 0-3 modulo 8) sends the rest of the line from client 0-3; `4`-`7`
//! reconnects client 0-3 (its connection is lost, a new one takes its place). Clients 0 and 1
//! start as people on netcat (client 1 ends its lines with NUL) and may turn out to be IRC
//! clients (`CAP LS` before a nickname) or XMLSocket clients (`IDENTIFY a b`,
//! `<policy-file-request/>`), clients 2 and 3 are IRC. A line like `2CAP REQ :server-time`
//! therefore comes from the first IRC client.
//!
//! Checks: nothing panics anywhere in decoding, sessions, the chat state or rendering; every IRC
//! line any client is sent is valid UTF-8, CR LF terminated, at most 512 bytes (tags aside) and
//! parses; room messages reach IRC clients as PRIVMSG or NOTICE to that room from the sender;
//! every netcat line is valid UTF-8 without any control character inside; every XML frame is
//! one well-formed element ended by NUL, and the policy answer closes its connection. Each line
//! is framed by its session as the broker frames it (`begin`, `capture`, `end`): what a session
//! sends at a line's end is valid IRC lines, the first of them carrying the line's `label`.
#![no_main]

mod common;

use chatd::chat::{Effect, Outgoing, Output, Settings, State, To};
use chatd::core::ids::ClientId;
use chatd::framing::Terminator;
use chatd::names::RoomName;
use chatd::protocol::dialect::{Decoded, Decoder, Dialect, Session, View};
use chatd::protocol::dialects;
use chatd::protocol::irc::face::IRC;
use chatd::protocol::{QuitReason, Reply};
use chatd::room::HistoryLimits;
use libfuzzer_sys::fuzz_target;

const SERVER: &str = "chatd.example.org";
/// The default `--max-line`.
const NETCAT_MAX_LINE: usize = 1024;
/// Hosts as the broker passes them; the IPv6 ones exercise `display_host`.
const HOSTS: [&str; 4] = ["127.0.0.1", "::1", "203.0.113.9", "2001:db8::1"];

struct Client {
    id: ClientId,
    decoder: Box<dyn Decoder>,
    session: Box<dyn Session>,
    terminator: Terminator,
    open: bool,
}

struct Chat {
    state: State,
    clients: Vec<Client>,
    next_id: u64,
    now: u64,
    out: Output,
}

impl Chat {
    fn new() -> Chat {
        let settings = Settings {
            server_name: SERVER.to_string(),
            server_description: "chatd".to_string(),
            default_room: RoomName::parse("#lobby").expect("valid room"),
            // Small bounds, so that the byte accounting and the replay budget are exercised.
            history: HistoryLimits { lines: 4, room_bytes: 2048, total_bytes: 4096, replay_bytes: 1024 },
            audit_messages: true,
            opers: vec![("admin".to_string(), "secret".to_string())],
            // Rooms of more than two are crowds, so the summaries are exercised too.
            crowd_size: 2,
            crowd_interval: 5_000,
            registration_open: true,
            min_password: chatd::protocol::account::MIN_PASSWORD_BYTES,
            guest_grace: 60_000,
            history_linger: 0,
        };
        let mut chat =
            Chat { state: State::new(settings, 0), clients: Vec::new(), next_id: 1, now: 0, out: Output::default() };
        for slot in 0..4 {
            let client = chat.connect(slot);
            chat.clients.push(client);
        }
        chat.dispatch();
        chat
    }

    fn connect(&mut self, slot: usize) -> Client {
        let id = ClientId(self.next_id);
        self.next_id += 1;
        let dialect: &'static dyn Dialect = if slot < 2 { dialects::FALLBACK } else { &IRC };
        let session = dialect.session();
        self.state.connect(id, session.profile(), HOSTS[slot], self.now, &mut self.out);
        Client { id, decoder: dialect.decoder(NETCAT_MAX_LINE), session, terminator: Terminator::Newline, open: true }
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
        let end: &[u8] = if slot == 1 { b"\0" } else { b"\n" };
        let mut bytes = line.to_vec();
        bytes.extend_from_slice(end);
        self.feed(slot, &bytes);
    }

    fn feed(&mut self, slot: usize, bytes: &[u8]) {
        let mut decoded = Vec::new();
        self.clients[slot].decoder.decode(bytes, &mut decoded);
        let id = self.clients[slot].id;
        for item in decoded {
            if !self.clients[slot].open {
                // Closed by an earlier line of this read (QUIT): the rest is never read.
                return;
            }
            self.now += 1_000;
            let a_line = matches!(item, Decoded::Input { .. });
            match item {
                Decoded::Input { terminator, input } => {
                    if let Some(terminator) = terminator {
                        self.clients[slot].terminator = terminator;
                    }
                    let input = self.clients[slot].session.begin(input);
                    match input {
                        Ok(command) => self.apply(slot, command),
                        Err(error) => self.state.parse_error(id, error, &mut self.out),
                    }
                }
                Decoded::Switch { to, replay } => {
                    let client = &mut self.clients[slot];
                    assert!(!self.state.is_registered(id), "a registered client switched dialects");
                    client.decoder = to.decoder(NETCAT_MAX_LINE);
                    client.session = to.session();
                    self.state.connect(id, client.session.profile(), HOSTS[slot], self.now, &mut self.out);
                    self.dispatch();
                    return self.feed(slot, &replay);
                }
                Decoded::Answer { bytes, close, .. } => {
                    // Only the XML decoder answers without the chat: the policy file.
                    assert_eq!(self.clients[slot].session.profile().dialect, "xml", "an answer from a chat dialect");
                    assert_eq!(bytes, chatd::protocol::xml::policy_answer());
                    if close {
                        self.evict(id, QuitReason::Answered);
                        return;
                    }
                }
                Decoded::Request(_) => panic!("no chat dialect hands the web face a request"),
            }
            self.state.summarise_crowds(self.now, &mut self.out);
            self.dispatch();
            if a_line {
                self.end_line(slot);
            }
        }
    }

    /// The line is done: what its session framed must be valid IRC lines, labeled first.
    fn end_line(&mut self, slot: usize) {
        let (rooms, nick) = self.state.render_info(self.clients[slot].id);
        let nick = nick.map_or("*", |n| n.as_str()).to_string();
        let terminator = self.clients[slot].terminator;
        let view = View { server: SERVER, started: 0, ping_after_secs: 300, nick: &nick, rooms, terminator };
        let mut framed = Vec::new();
        self.clients[slot].session.end(&view, &mut framed);
        if framed.is_empty() {
            return;
        }
        assert_eq!(self.clients[slot].session.profile().dialect, "irc", "only IRC sessions frame replies");
        let lines = common::check_irc_output(&framed);
        let first = lines.first().expect("framed lines");
        assert!(first.tags.iter().any(|(key, _)| key == "label"), "unlabeled response {first:?}");
    }

    /// The broker with one command: the session first, chat state with what it leaves.
    fn apply(&mut self, slot: usize, command: chatd::protocol::Command) {
        let id = self.clients[slot].id;
        let registered = self.state.is_registered(id);
        let mut replies = Vec::new();
        let session = &mut self.clients[slot].session;
        match session.intercept(command, registered, &mut replies) {
            Some(command) => {
                if let Effect::Close(reason) = self.state.apply(id, command, self.now, &mut self.out) {
                    self.dispatch();
                    self.evict(id, reason);
                }
            }
            None => {
                let profile = session.profile();
                self.out.deliveries.extend(replies.into_iter().map(|reply| Outgoing { to: To::One(id), reply }));
                self.state.set_profile(id, profile, self.now, &mut self.out);
            }
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

    /// What the broker's renderings read of the client in `slot`.
    fn view(&self, slot: usize, in_context: bool) -> View<'_> {
        let client = &self.clients[slot];
        let (rooms, nick) = self.state.render_info(client.id);
        View {
            server: SERVER,
            started: 0,
            ping_after_secs: 300,
            nick: nick.map_or("*", |n| n.as_str()),
            rooms: if in_context { rooms } else { 0 },
            terminator: client.terminator,
        }
    }

    /// Renders `reply` as the broker would for the client in `slot`, checks the bytes and offers
    /// them to the session (part of the answer to the client's line, as the broker does).
    fn render_to(&mut self, slot: usize, reply: &Reply, in_context: bool) {
        let view = self.view(slot, in_context);
        let client = &self.clients[slot];
        if !client.session.accepts(reply) {
            return;
        }
        let mut out = Vec::new();
        client.session.render(reply, &view, &mut out);
        let dialect = client.session.profile().dialect;
        if dialect == "xml" {
            common::check_xml_output(&out);
        } else if dialect == "irc" {
            let lines = common::check_irc_output(&out);
            if let Reply::Said { room, from, .. } = reply {
                for line in &lines {
                    assert!(matches!(line.command.as_str(), "PRIVMSG" | "NOTICE"), "{line:?} for {reply:?}");
                    assert_eq!(line.param(0), Some(room.as_str()), "room message sent elsewhere: {line:?}");
                    assert_eq!(line.prefix.as_deref(), Some(from.prefix().as_str()), "wrong sender: {line:?}");
                }
            }
        } else {
            common::check_netcat_output(&out, client.terminator);
        }
        if in_context {
            self.clients[slot].session.capture(reply, &out);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut session = Chat::new();
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

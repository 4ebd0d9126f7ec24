//! The broker: the one thread that owns chat state and writes to clients.
//!
//! Owns the client table (write handle, pending output, framing, liveness), `chat::State`,
//! delivery, the sweep, eviction and the shutdown farewell. Only this thread changes chat state
//! and only this thread writes chat output to sockets.
//!
//! It never blocks on a client. Output is appended to the recipient's pending buffer; after each
//! batch of events every buffer that grew is written with one non-blocking `send` (so a busy
//! client's lines leave in one write). Whatever the socket does not take stays pending and is
//! retried every few milliseconds. A client whose pending output passes `--max-sendq` bytes —
//! one that stopped reading — is evicted at once. The worst a stuck client costs everyone else
//! is one failed `send` call per batch. History replies are the exception: they are trimmed to
//! what the client's queue has room for (`history_room`), so replaying history never evicts.
//!
//! The alternative, a writer thread per client fed by a queue, doubles the threads (and the memory
//! per idle client) and adds a wake-up per delivery; writing from here batches better.
//!
//! Every removal goes through `evict`, which is idempotent: a late `Disconnected` for a client
//! already gone is ignored.

use crate::chat::{self, Audit, Caps, Effect, Output, To};
use crate::core::ids::{ClientId, IdMap};
use crate::core::names::RoomName;
use crate::framing::Terminator;
use crate::log::Log;
use crate::net::Slot;
use crate::net::event::Event;
use crate::net::sys;
use crate::notify::Notifier;
use crate::protocol::{Dialect, HistoryEntry, Millis, QuitReason, Reply, irc, netcat};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Events handled before pending output is written: bounds latency while batching writes.
const MAX_EVENTS_PER_BATCH: usize = 1024;
/// How often clients whose socket was full are retried.
const RETRY_BLOCKED: Duration = Duration::from_millis(5);
/// How often the sweep runs.
const SWEEP_EVERY: Duration = Duration::from_millis(250);
/// How long the shutdown farewell may take to drain.
const FAREWELL_DRAIN: Duration = Duration::from_millis(1000);
/// Kinds of recipient whose lines differ: netcat (one room or several, CRLF or NUL) and IRC
/// (with or without `server-time`).
const VARIANTS: usize = 6;

/// Broker settings from the configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server's name, as IRC prefixes show it.
    pub server_name: String,
    /// When the server started, for IRC's `RPL_CREATED`.
    pub started: Millis,
    pub max_sendq: usize,
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// How long after connecting a client must have chosen a nickname, whatever it sends.
    pub register_timeout: Duration,
    pub log_messages: bool,
}

/// What the broker knows about one connection.
struct Client {
    /// The client's socket, shared with its reader; the broker only writes to it and shuts it down.
    stream: Arc<TcpStream>,
    /// For the log.
    peer: SocketAddr,
    /// When the acceptor took the connection; the registration deadline counts from here.
    connected: Instant,
    /// Last time the client sent a line; drives the registration reminder and IRC pings.
    last_seen: Instant,
    /// How this client ends its lines, and so how its output lines end.
    terminator: Terminator,
    /// `None` until the reader has identified the dialect; nothing is sent before that.
    dialect: Option<Dialect>,
    /// When an IRC client was sent a `PING` it has not yet answered (any line answers it).
    pinged: Option<Instant>,
    /// Output not yet taken by the socket.
    pending: Vec<u8>,
    /// Output was queued since the last sweep (which frees idle clients' buffers).
    busy: bool,
    /// Already listed in `Broker::dirty` for the next flush.
    queued: bool,
    /// The last send found the socket full; listed in `Broker::blocked`.
    blocked: bool,
    /// The unregistered client has been reminded to choose a nickname.
    reminded: bool,
    /// Listed in `Broker::doomed`; receives nothing more.
    doomed: bool,
    /// Frees the connection's place under the limits when dropped.
    slot: Option<Slot>,
}

pub struct Broker {
    settings: Settings,
    state: chat::State,
    log: Arc<Log>,
    /// systemd: the client count as `STATUS=`, and `STOPPING=1`.
    notifier: Arc<Notifier>,
    /// The client count last reported to systemd.
    reported_clients: Option<usize>,
    clients: IdMap<Client>,
    /// Clients with output added since the last flush.
    dirty: Vec<ClientId>,
    /// Clients whose socket was full at the last attempt.
    blocked: Vec<ClientId>,
    /// Clients to remove after the current batch, with the reason.
    doomed: Vec<(ClientId, QuitReason)>,
    out: Output,
    /// Rendering scratch, one per kind of recipient (see `deliver`), reused across deliveries.
    scratch: [Vec<u8>; VARIANTS],
}

fn now_millis() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Millis)
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

impl Broker {
    pub fn new(settings: Settings, chat: chat::Settings, log: Arc<Log>, notifier: Arc<Notifier>) -> Broker {
        Broker {
            state: chat::State::new(chat, settings.started),
            settings,
            log,
            notifier,
            reported_clients: None,
            clients: IdMap::default(),
            dirty: Vec::new(),
            blocked: Vec::new(),
            doomed: Vec::new(),
            out: Output::default(),
            scratch: Default::default(),
        }
    }

    /// Runs until `Event::Stop` arrives (or every event sender is gone).
    ///
    /// Waits on the one channel with a deadline (the next sweep, or the next retry of full
    /// sockets) rather than `select!` over several: a sender that wakes a `select!` holds the
    /// channel's waker lock while it does, and the woken broker's first step, unregistering
    /// from every channel, blocks on that lock; two more system calls and often one more
    /// sleep per wake-up, which connection churn pays several times per session.
    pub fn run(mut self, events: Receiver<Event>) {
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            let wake_by =
                if self.blocked.is_empty() { next_sweep } else { next_sweep.min(Instant::now() + RETRY_BLOCKED) };
            match events.recv_deadline(wake_by) {
                Ok(mut event) => {
                    for handled in 1.. {
                        if let Event::Stop { why } = event {
                            return self.shutdown(why);
                        }
                        self.handle(event);
                        if handled == MAX_EVENTS_PER_BATCH {
                            break;
                        }
                        let Ok(next) = events.try_recv() else { break };
                        event = next;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return self.shutdown("events-closed"),
            }
            let now = Instant::now();
            if now >= next_sweep {
                self.sweep(now);
                // Like a ticker that drops the ticks it could not deliver: no catching up.
                next_sweep += SWEEP_EVERY;
                if next_sweep <= now {
                    next_sweep = now + SWEEP_EVERY;
                }
            }
            self.settle();
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Connected { id, stream, peer, at, slot } => {
                self.clients.insert(
                    id,
                    Client {
                        stream,
                        peer,
                        connected: at,
                        last_seen: at,
                        terminator: Terminator::Newline,
                        dialect: None,
                        pinged: None,
                        pending: Vec::new(),
                        busy: false,
                        queued: false,
                        blocked: false,
                        reminded: false,
                        doomed: false,
                        slot: Some(slot),
                    },
                );
            }
            Event::Identified { id, dialect } => {
                let Some(client) = self.clients.get_mut(&id) else { return };
                // A second `Identified` restarts a netcat newcomer as an IRC client (see `reader`).
                // The reader sends it only before any line that could have registered the client,
                // so a registered client is never restarted; should one be, its dialect stays.
                if client.doomed || self.state.is_registered(id) {
                    return;
                }
                client.dialect = Some(dialect);
                client.reminded = false;
                client.pinged = None;
                let host = client.peer.ip().to_canonical().to_string();
                self.state.connect(id, dialect, &host, now_millis(), &mut self.out);
            }
            Event::Input { id, terminator, input } => {
                let Some(client) = self.clients.get_mut(&id) else { return };
                if client.doomed {
                    return;
                }
                client.last_seen = Instant::now();
                client.pinged = None;
                if let Some(terminator) = terminator {
                    client.terminator = terminator;
                }
                match input {
                    Ok(command) => {
                        if let Effect::Close(reason) = self.state.apply(id, command, now_millis(), &mut self.out) {
                            self.doom(id, reason);
                        }
                    }
                    Err(error) => self.state.parse_error(id, error, &mut self.out),
                }
            }
            Event::Disconnected { id, reason } => self.doom(id, reason),
            // Handled by `run`, which stops.
            Event::Stop { .. } => {}
        }
        self.dispatch();
    }

    /// Marks `id` for removal after this batch; the first reason given wins.
    fn doom(&mut self, id: ClientId, reason: QuitReason) {
        if let Some(client) = self.clients.get_mut(&id)
            && !client.doomed
        {
            client.doomed = true;
            self.doomed.push((id, reason));
        }
    }

    /// Renders and queues everything in `self.out`, and logs its audit records.
    fn dispatch(&mut self) {
        for audit in std::mem::take(&mut self.out.audit) {
            self.log_audit(audit);
        }
        for (id, reason) in std::mem::take(&mut self.out.kills) {
            self.doom(id, reason);
        }
        let mut deliveries = std::mem::take(&mut self.out.deliveries);
        for outgoing in deliveries.drain(..) {
            self.deliver(&outgoing.to, &outgoing.reply);
        }
        // Keep the allocation for the next round.
        self.out.deliveries = deliveries;
    }

    fn deliver(&mut self, to: &To, reply: &Reply) {
        let (recipients, shared) = match to {
            To::One(id) => (std::slice::from_ref(id), false),
            To::Many(ids) => (ids.as_slice(), true),
        };
        let mut rendered = [false; VARIANTS];
        for &id in recipients {
            let Some(client) = self.clients.get_mut(&id) else { continue };
            if client.doomed {
                continue;
            }
            let Some(dialect) = client.dialect else { continue };
            let (rooms, nick, caps) = self.state.render_info(id);
            let recipient = Recipient {
                dialect,
                terminator: client.terminator,
                multi_room: dialect == Dialect::Netcat && rooms > 1,
                nick: nick.map_or("*", |n| n.as_str()),
                caps,
            };
            let variant = recipient.variant();
            let bytes = &mut self.scratch[variant];
            // What one recipient gets as a room-mate is the same for all of its kind; replies to
            // one client (numerics name their recipient) are rendered for it alone.
            if !rendered[variant] || !shared {
                bytes.clear();
                render(reply, &recipient, &self.settings, bytes);
                rendered[variant] = true;
            }
            if let Reply::History { room, entries } = reply {
                let max_sendq = self.settings.max_sendq;
                if bytes.len() > history_room(max_sendq, client.pending.len()) && !client.pending.is_empty() {
                    // Only what the socket will not take counts: try it before trimming.
                    match write_pending(client) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => {
                            client.doomed = true;
                            self.doomed.push((id, QuitReason::from_socket_error(&e)));
                            continue;
                        }
                    }
                }
                let room_left = history_room(max_sendq, client.pending.len());
                if bytes.len() > room_left {
                    trim_history(room, entries, room_left, &recipient, &self.settings, bytes);
                    // This rendering was for this client alone.
                    rendered[variant] = false;
                }
            }
            client.pending.extend_from_slice(bytes);
            client.busy = true;
            if client.pending.len() > self.settings.max_sendq {
                // Only what the socket will not take counts: try it before judging.
                let verdict = match write_pending(client) {
                    Ok(()) => None,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        (client.pending.len() > self.settings.max_sendq).then_some(QuitReason::SendQueueExceeded)
                    }
                    Err(e) => Some(QuitReason::from_socket_error(&e)),
                };
                if let Some(reason) = verdict {
                    client.doomed = true;
                    self.doomed.push((id, reason));
                    continue;
                }
            }
            if !client.pending.is_empty() && !client.queued {
                client.queued = true;
                self.dirty.push(id);
            }
        }
    }

    /// Writes pending output and removes doomed clients until nothing more changes.
    fn settle(&mut self) {
        loop {
            self.flush();
            if self.doomed.is_empty() {
                return;
            }
            for (id, reason) in std::mem::take(&mut self.doomed) {
                self.evict(id, reason);
            }
        }
    }

    /// One non-blocking write attempt for every client with new output or a full socket.
    fn flush(&mut self) {
        let mut ids = std::mem::take(&mut self.dirty);
        // Taken off the blocked list, so no longer marked as on it: one still blocked is listed
        // again below. (Left marked, it was retried once and then forgotten until new output.)
        for id in self.blocked.drain(..) {
            if let Some(client) = self.clients.get_mut(&id) {
                client.blocked = false;
            }
            ids.push(id);
        }
        for id in ids.drain(..) {
            let Some(client) = self.clients.get_mut(&id) else { continue };
            client.queued = false;
            if client.doomed || client.pending.is_empty() {
                client.blocked = false;
                continue;
            }
            match write_pending(client) {
                Ok(()) => client.blocked = false,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !client.blocked {
                        client.blocked = true;
                        self.blocked.push(id);
                    }
                }
                Err(e) => {
                    client.doomed = true;
                    self.doomed.push((id, QuitReason::from_socket_error(&e)));
                }
            }
        }
        self.dirty = ids;
    }

    /// Removes a client: tells it why (when it can still hear), frees its nickname and seats,
    /// tells its room-mates, closes the socket (which wakes its reader) and logs one line.
    fn evict(&mut self, id: ClientId, reason: QuitReason) {
        let Some(mut client) = self.clients.remove(&id) else { return };
        if !matches!(reason, QuitReason::ConnectionLost | QuitReason::SendQueueExceeded)
            && let Some(dialect) = client.dialect
        {
            let recipient = Recipient::plain(dialect, client.terminator, self.state.nick(id));
            render(&Reply::Closing { reason: reason.clone() }, &recipient, &self.settings, &mut client.pending);
            let _ = write_pending(&mut client);
        }
        let nick = self.state.remove(id, &reason, &mut self.out);
        self.dispatch();
        drop(client.slot.take());
        // A reader still reading holds the other reference: shutting the socket down wakes it. A
        // reader that has stopped (after `QUIT`) has let go, and closing alone sends the FIN:
        // one system call fewer per session. Nothing can take a new reference meanwhile.
        if Arc::strong_count(&client.stream) > 1 {
            let _ = client.stream.shutdown(Shutdown::Both);
        }
        let (peer, connected_for) = (client.peer, seconds(client.connected.elapsed()));
        drop(client);
        let nick = nick.map_or_else(|| "-".to_string(), |n| n.to_string());
        let fields: [(&str, &dyn std::fmt::Display); 6] = [
            ("client", &id),
            ("nick", &nick),
            ("peer", &peer),
            ("reason", &reason.log_token()),
            ("connected_for", &connected_for),
            ("clients", &self.clients.len()),
        ];
        if reason.is_eviction() {
            self.log.warn("evict", &fields);
        } else {
            self.log.info("quit", &fields);
        }
    }

    /// Reminds silent netcat newcomers to choose a nickname, drops connections still without one
    /// `--register-timeout` after they connected, and pings registered IRC clients that have been
    /// silent, dropping those that do not answer in time. Registered netcat clients are probed by
    /// the kernel (TCP keepalive, see `sys::tune_socket`): people never have to answer anything.
    ///
    /// The registration deadline counts from connect, not from the last line: a connection that
    /// keeps sending `PING` or invalid nicknames would otherwise hold its slot forever.
    fn sweep(&mut self, now: Instant) {
        let interval = self.settings.ping_interval;
        let timeout = self.settings.ping_timeout;
        let deadline = self.settings.register_timeout;
        // The reminder must come before the deadline, even when the deadline is short.
        let remind_after = interval.min(deadline / 2);
        let mut remind = Vec::new();
        let mut ping = Vec::new();
        for (&id, client) in &mut self.clients {
            if client.doomed {
                continue;
            }
            // An emptied buffer keeps its allocation so that busy clients do not grow it again
            // (copying) on every batch; a client that got nothing since the last sweep gives it
            // back. Most clients are idle most of the time, and the registration burst alone
            // leaves a few KiB each.
            if !std::mem::take(&mut client.busy) && client.pending.is_empty() && client.pending.capacity() > 0 {
                client.pending = Vec::new();
            }
            let silent = now.saturating_duration_since(client.last_seen);
            let registered = self.state.is_registered(id);
            let age = now.saturating_duration_since(client.connected);
            let verdict = match (registered, client.dialect) {
                (false, _) if age >= deadline => Some(QuitReason::RegistrationTimeout),
                (false, Some(Dialect::Netcat)) if silent >= remind_after && !client.reminded => {
                    client.reminded = true;
                    remind.push(id);
                    None
                }
                (true, Some(Dialect::Irc)) => match client.pinged {
                    Some(at) if now.saturating_duration_since(at) >= timeout => Some(QuitReason::PingTimeout),
                    None if silent >= interval => {
                        client.pinged = Some(now);
                        ping.push(id);
                        None
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(reason) = verdict {
                client.doomed = true;
                self.doomed.push((id, reason));
            }
        }
        for id in remind {
            self.state.remind(id, &mut self.out);
        }
        self.state.summarise_crowds(now_millis(), &mut self.out);
        if self.notifier.is_active() && self.reported_clients != Some(self.clients.len()) {
            let counts = self.state.counts();
            self.reported_clients = Some(self.clients.len());
            self.notifier.send(&format!(
                "STATUS={} clients, {} users in {} rooms",
                self.clients.len(),
                counts.users,
                counts.rooms
            ));
        }
        let token = self.settings.server_name.clone();
        for id in ping {
            self.out.deliveries.push(chat::Outgoing { to: To::One(id), reply: Reply::Ping { token: token.clone() } });
        }
        self.dispatch();
    }

    fn log_audit(&self, audit: Audit) {
        let log = &self.log;
        match audit {
            Audit::Registered { id, nick, dialect } => {
                let dialect = match dialect {
                    Dialect::Netcat => "netcat",
                    Dialect::Irc => "irc",
                };
                log.info("nick", &[("client", &id), ("nick", &nick), ("dialect", &dialect)])
            }
            Audit::NickChanged { id, old, new } => log.info("nick", &[("client", &id), ("old", &old), ("new", &new)]),
            Audit::Joined { id, nick, room, members, created } => log.info(
                "join",
                &[("client", &id), ("nick", &nick), ("room", &room), ("members", &members), ("created", &created)],
            ),
            Audit::Parted { id, nick, room, members, removed } => log.info(
                "part",
                &[("client", &id), ("nick", &nick), ("room", &room), ("members", &members), ("removed", &removed)],
            ),
            Audit::TopicChanged { id, nick, room } => {
                log.info("topic", &[("client", &id), ("nick", &nick), ("room", &room)])
            }
            Audit::Private { id, from, to } => log.info("private", &[("client", &id), ("from", &from), ("to", &to)]),
            Audit::Kicked { id, by, nick, room } => {
                log.info("kick", &[("client", &id), ("by", &by), ("nick", &nick), ("room", &room)])
            }
            Audit::Modes { id, nick, room, changes } => {
                log.info("mode", &[("client", &id), ("nick", &nick), ("room", &room), ("changes", &changes)])
            }
            Audit::Oper { id, nick, name, ok: true } => {
                log.info("oper", &[("client", &id), ("nick", &nick), ("name", &name)])
            }
            Audit::Oper { id, nick, name, ok: false } => {
                log.warn("oper_failed", &[("client", &id), ("nick", &nick), ("name", &name)])
            }
            Audit::Message { id, from, target, text } => {
                if self.settings.log_messages {
                    log.info("message", &[("client", &id), ("from", &from), ("to", &target), ("text", &text)]);
                }
            }
        }
    }

    /// Tells every client the server is stopping, gives the lines a moment to leave, closes
    /// every socket and logs the shutdown.
    fn shutdown(&mut self, why: &str) {
        self.notifier.send("STOPPING=1\nSTATUS=shutting down");
        let count = self.clients.len();
        self.log.info("shutdown", &[("reason", &why), ("clients", &count)]);
        let closing = Reply::Closing { reason: QuitReason::ServerShutdown };
        for (id, client) in &mut self.clients {
            // A connection still being identified is told in the netcat way.
            let dialect = client.dialect.unwrap_or(Dialect::Netcat);
            let recipient = Recipient::plain(dialect, client.terminator, self.state.nick(*id));
            render(&closing, &recipient, &self.settings, &mut client.pending);
        }
        let deadline = Instant::now() + FAREWELL_DRAIN;
        loop {
            let mut waiting = false;
            for client in self.clients.values_mut() {
                if !client.pending.is_empty() {
                    match write_pending(client) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => waiting = true,
                        Err(_) => client.pending.clear(),
                    }
                }
            }
            if !waiting || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(RETRY_BLOCKED);
        }
        for client in self.clients.values() {
            let _ = client.stream.shutdown(Shutdown::Both);
        }
    }
}

/// What a reply's rendering depends on.
struct Recipient<'a> {
    dialect: Dialect,
    terminator: Terminator,
    /// A netcat user in several rooms sees room names on messages.
    multi_room: bool,
    /// The recipient's nickname, `*` before it has one.
    nick: &'a str,
    caps: Caps,
}

impl<'a> Recipient<'a> {
    /// For last words: no room context, no capabilities needed.
    fn plain(dialect: Dialect, terminator: Terminator, nick: Option<&'a crate::names::Nick>) -> Recipient<'a> {
        let nick = nick.map_or("*", |n| n.as_str());
        Recipient { dialect, terminator, multi_room: false, nick, caps: Caps::default() }
    }

    /// Which scratch buffer holds this kind of recipient's rendering of a shared reply.
    fn variant(&self) -> usize {
        match self.dialect {
            Dialect::Netcat => usize::from(self.multi_room) * 2 + usize::from(self.terminator == Terminator::Nul),
            Dialect::Irc => 4 + usize::from(self.caps.server_time),
        }
    }
}

/// Renders `reply` for one recipient.
fn render(reply: &Reply, to: &Recipient<'_>, settings: &Settings, out: &mut Vec<u8>) {
    match to.dialect {
        Dialect::Netcat => {
            netcat::render(reply, netcat::View { multi_room: to.multi_room, terminator: to.terminator }, out)
        }
        Dialect::Irc => {
            let view = irc::View {
                server: &settings.server_name,
                nick: to.nick,
                started: settings.started,
                ping_after_secs: (settings.ping_interval + settings.ping_timeout).as_secs(),
                server_time: to.caps.server_time,
                multi_prefix: to.caps.multi_prefix,
            };
            irc::render(reply, &view, out)
        }
    }
}

/// How many bytes a history reply may add to a client's send queue: half of what is left under
/// `--max-sendq`. History is a courtesy, never a reason to evict: a client that joins many busy
/// rooms at once (a reconnecting IRC client's autojoin) or asks for many histories gets each one
/// trimmed to what its queue has room for, and the queue never passes `--max-sendq` through
/// history alone — each reply takes at most half of what is left, so a burst of them fills at
/// most the rest, and a client that is reading gets room back as it reads.
fn history_room(max_sendq: usize, pending: usize) -> usize {
    max_sendq.saturating_sub(pending) / 2
}

/// How many of the oldest entries of a history reply to leave out so that the rest fits in
/// `room` bytes, where `size(skip)` is the rendering's length without the `skip` oldest (which
/// shrinks as `skip` grows). `count` when not even the newest entry fits. A binary search: a few
/// renderings of a reply that is already bounded (`room::replay_budget`), and history replies are
/// rare.
fn oldest_to_drop(count: usize, room: usize, mut size: impl FnMut(usize) -> usize) -> usize {
    let (mut low, mut high) = (0, count);
    while low < high {
        let mid = low + (high - low) / 2;
        if size(mid) <= room {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// Re-renders a history reply into `out` with only its newest entries that fit in `room` bytes
/// (see `history_room`); leaves `out` empty when none fits, and nothing is sent.
fn trim_history(
    room_name: &RoomName,
    entries: &[HistoryEntry],
    room: usize,
    to: &Recipient<'_>,
    settings: &Settings,
    out: &mut Vec<u8>,
) {
    let render_from = |skip: usize, out: &mut Vec<u8>| {
        out.clear();
        let reply = Reply::History { room: room_name.clone(), entries: entries[skip..].to_vec() };
        render(&reply, to, settings, out);
    };
    let skip = oldest_to_drop(entries.len(), room, |skip| {
        render_from(skip, out);
        out.len()
    });
    if skip < entries.len() {
        render_from(skip, out);
    } else {
        out.clear();
    }
}

/// Sends as much pending output as the socket takes now. `Ok` when all of it went out.
fn write_pending(client: &mut Client) -> io::Result<()> {
    while !client.pending.is_empty() {
        match sys::send_now(&client.stream, &client.pending) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => {
                client.pending.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The emptied buffer keeps its allocation for the next batch; the sweep frees idle ones.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::names::Nick;
    use crate::protocol::{MessageKind, Person};

    #[test]
    fn history_may_take_half_of_what_is_left_under_max_sendq() {
        assert_eq!(history_room(65_536, 0), 32_768);
        assert_eq!(history_room(65_536, 60_000), 2_768);
        assert_eq!(history_room(65_536, 65_536), 0);
        assert_eq!(history_room(65_536, 70_000), 0, "a queue already over the bound gets none");
        // However many replies come in a row, together they stay under the bound.
        let mut pending = 0;
        for _ in 0..100 {
            pending += history_room(65_536, pending);
        }
        assert!(pending <= 65_536);
    }

    #[test]
    fn the_newest_entries_that_fit_are_kept() {
        // A header of 5 bytes and entries of 10, 20, 30 and 40 bytes, oldest first.
        let sizes = [10, 20, 30, 40];
        let mut renderings = 0;
        let mut drop = |room| {
            oldest_to_drop(sizes.len(), room, |skip| {
                renderings += 1;
                5 + sizes[skip..].iter().sum::<usize>()
            })
        };
        assert_eq!(drop(1_000), 0);
        assert_eq!(drop(105), 0);
        assert_eq!(drop(104), 1);
        assert_eq!(drop(75), 2);
        assert_eq!(drop(74), 3);
        assert_eq!(drop(45), 3);
        assert_eq!(drop(44), 4, "not even the newest fits");
        assert_eq!(drop(0), 4);
        assert!(renderings <= 8 * 3, "a binary search, not a scan: {renderings} renderings");
        assert_eq!(oldest_to_drop(0, 0, |_| 0), 0);
    }

    fn settings() -> Settings {
        Settings {
            server_name: "irc.test".into(),
            started: 0,
            max_sendq: 65_536,
            ping_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(60),
            register_timeout: Duration::from_secs(60),
            log_messages: false,
        }
    }

    fn entries(count: usize) -> Vec<HistoryEntry> {
        let from = Arc::new(Person { nick: Nick::parse("alice").unwrap(), user: "~alice".into(), host: "h".into() });
        (0..count)
            .map(|i| HistoryEntry {
                at: i as Millis * 1000,
                from: Arc::clone(&from),
                text: format!("{i:03} {}", "x".repeat(1_000)).into(),
                kind: MessageKind::Normal,
            })
            .collect()
    }

    #[test]
    fn a_trimmed_history_is_its_newest_entries_and_fits() {
        let room = RoomName::parse("#a").unwrap();
        let entries = entries(40);
        let settings = settings();
        let caps = Caps { server_time: true, multi_prefix: false };
        let irc =
            Recipient { dialect: Dialect::Irc, terminator: Terminator::Newline, multi_room: false, nick: "bob", caps };
        let netcat = Recipient::plain(Dialect::Netcat, Terminator::Newline, None);
        for to in [&irc, &netcat] {
            let mut full = Vec::new();
            render(&Reply::History { room: room.clone(), entries: entries.clone() }, to, &settings, &mut full);
            for room_left in [full.len(), 20_000, 5_000, 1_500] {
                let mut trimmed = Vec::new();
                trim_history(&room, &entries, room_left, to, &settings, &mut trimmed);
                assert!(!trimmed.is_empty() && trimmed.len() <= room_left, "{} > {room_left}", trimmed.len());
                let text = String::from_utf8(trimmed).unwrap();
                assert!(text.contains("039 xxx"), "the newest entry is kept");
                // The entries kept are the newest: one more would not have fitted.
                let kept = (0..40).filter(|i| text.contains(&format!("{i:03} xxx"))).collect::<Vec<_>>();
                let first = kept[0];
                assert_eq!(kept, (first..40).collect::<Vec<_>>());
                if first > 0 {
                    let mut one_more = Vec::new();
                    let reply = Reply::History { room: room.clone(), entries: entries[first - 1..].to_vec() };
                    render(&reply, to, &settings, &mut one_more);
                    assert!(one_more.len() > room_left);
                }
            }
            let mut nothing = vec![1, 2, 3];
            trim_history(&room, &entries, 100, to, &settings, &mut nothing);
            assert!(nothing.is_empty(), "nothing is sent when not even the newest entry fits");
        }
    }
}

//! The broker: the one thread that owns chat state and writes to clients.
//!
//! This module is the loop: it waits on the event channel with a deadline, handles events in
//! batches, delivers what chat state answers, writes after each batch, removes clients (`evict`)
//! and says goodbye at shutdown. It owns the client table and `chat::State`. Its parts:
//! `outbox` (one client's pending output, the non-blocking send, the send-queue rule),
//! `input` (a client's lines, each framed by its session), `render` (renderings and the cache
//! that shares them between recipients), `liveness` (the
//! sweep), `writing` (the flush after each batch), `audit` (the log lines for chat state's
//! reports), `accounts` (password checks and account changes on their own threads) and `web`
//! (browsers' requests and sessions). Only this thread changes chat state and only this thread writes chat output to
//! sockets.
//!
//! It never blocks on a client. Output is appended to the recipient's outbox; after each batch
//! of events every outbox that grew is written with one non-blocking `send` (so a busy client's
//! lines leave in one write). Whatever the socket does not take stays pending and is retried
//! every few milliseconds. A client whose pending output passes `--max-sendq` bytes — one that
//! stopped reading — is evicted at once. The worst a stuck client costs everyone else is one
//! failed `send` call per batch. History replies are the exception: they are trimmed to what the
//! client's queue has room for (`outbox::history_room`), so replaying history never evicts.
//!
//! The alternative, a writer thread per client fed by a queue, doubles the threads (and the memory
//! per idle client) and adds a wake-up per delivery; writing from here batches better.
//!
//! Every removal goes through `evict`, which is idempotent: a late `Disconnected` for a client
//! already gone is ignored.

mod accounts;
mod audit;
mod input;
mod liveness;
pub mod outbox;
mod render;
mod web;
mod writing;

pub use web::{Cidr, WebSettings};

use crate::chat::{self, Output, To};
use crate::core::ids::{ClientId, IdMap};
use crate::core::names::Nick;
use crate::framing::Terminator;
use crate::log::Log;
use crate::net::Slot;
use crate::net::event::Event;
use crate::net::traffic::Traffic;
use crate::notify::Notifier;
use crate::protocol::dialect::{Session, View};
use crate::protocol::dialects;
use crate::protocol::{Millis, QuitReason, Reply};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use liveness::Liveness;
use outbox::{Outbox, Sent};
use render::{Recipient, RenderCache};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Events handled before pending output is written: bounds latency while batching writes.
const MAX_EVENTS_PER_BATCH: usize = 1024;
/// How often clients whose socket was full are retried.
const RETRY_BLOCKED: Duration = Duration::from_millis(5);
/// How often the sweep runs.
const SWEEP_EVERY: Duration = Duration::from_millis(250);
/// How long an answer that closes its connection may take to leave before the connection goes
/// anyway.
const ANSWER_DRAIN: Duration = Duration::from_secs(5);
/// How long the shutdown farewell may take to drain.
const FAREWELL_DRAIN: Duration = Duration::from_millis(1000);

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
    /// The web face (`web`).
    pub web: WebSettings,
}

/// What the broker knows about one connection.
struct Client {
    /// Output not yet taken by the client's socket, which is shared with its reader; the broker
    /// only writes to it and shuts it down.
    outbox: Outbox<Arc<TcpStream>>,
    /// For the log.
    peer: SocketAddr,
    /// Connect time, last line, pings and reminders.
    liveness: Liveness,
    /// How this client ends its lines, and so how its output lines end.
    terminator: Terminator,
    /// The client's dialect session (negotiated choices, rendering); `None` until the reader has
    /// identified the dialect, and nothing is sent before that.
    session: Option<Box<dyn Session>>,
    /// Already listed in `Broker::dirty` for the next flush.
    queued: bool,
    /// The last send found the socket full; listed in `Broker::blocked`.
    blocked: bool,
    /// Listed in `Broker::doomed`; receives nothing more.
    doomed: bool,
    /// Frees the connection's place under the limits when dropped.
    slot: Option<Slot>,
    /// The web session this connection streams or polls for (`web`).
    web_chat: Option<ClientId>,
    /// The connection was answered and closes once its output has all left, or at this time
    /// (an HTTP answer with `Connection: close`: removed at once, it would lose its tail).
    closing_by: Option<Instant>,
    /// The client stopped sending (read end of stream) while account work for it was still
    /// running (`printf 'IDENTIFY a pw\0' | nc`): it is answered, then closed, by this time.
    input_ended: Option<Instant>,
}

impl Client {
    /// Why a client closed once its answer left: it was only answered, or it had stopped sending.
    fn closing_why(&self) -> QuitReason {
        if self.input_ended.is_some() { QuitReason::ConnectionLost } else { QuitReason::Answered }
    }
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
    /// Renderings of the reply being delivered, shared by recipients of the same kind.
    cache: RenderCache,
    /// Browsers' chat clients and the web face's counts.
    web: web::Web,
    /// Events waiting in the channel at the last batch (for `/metrics`).
    queue_depth: u64,
    /// What the acceptors and readers count (for `/metrics`).
    traffic: Arc<Traffic>,
    /// The accounts threads, the password hashes and the login throttles.
    accounts: accounts::Accounts,
}

/// What a rendering may read of one recipient (`dialect::View`), on top of `base` (see
/// `base_view`), which is the same for every recipient.
fn view<'a>(base: &View<'a>, nick: Option<&'a Nick>, rooms: usize, terminator: Terminator) -> View<'a> {
    View { nick: nick.map_or("*", |n| n.as_str()), rooms, terminator, ..*base }
}

/// The part of every recipient's `View` that comes from the settings: built once per reply.
fn base_view(settings: &Settings) -> View<'_> {
    View {
        server: &settings.server_name,
        started: settings.started,
        ping_after_secs: (settings.ping_interval + settings.ping_timeout).as_secs(),
        nick: "*",
        rooms: 0,
        terminator: Terminator::Newline,
    }
}

fn now_millis() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Millis)
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
            cache: RenderCache::default(),
            web: web::Web::default(),
            queue_depth: 0,
            traffic: Arc::new(Traffic::default()),
            accounts: accounts::Accounts::default(),
        }
    }

    /// Uses `service` for accounts, which are `records` at start (without it every account
    /// request is answered "unavailable").
    pub fn with_accounts(mut self, service: crate::accounts::Service, records: Vec<crate::accounts::Record>) -> Broker {
        self.accounts = accounts::Accounts::new(service, records);
        self.announce_accounts();
        self.out.deliveries.clear();
        self
    }

    /// Reports `traffic`, which the acceptors and readers count into.
    pub fn with_traffic(self, traffic: Arc<Traffic>) -> Broker {
        Broker { traffic, ..self }
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
                    self.queue_depth = events.len() as u64;
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
                        outbox: Outbox::new(stream),
                        peer,
                        liveness: Liveness::new(at),
                        terminator: Terminator::Newline,
                        session: None,
                        queued: false,
                        blocked: false,
                        doomed: false,
                        slot: Some(slot),
                        web_chat: None,
                        closing_by: None,
                        input_ended: None,
                    },
                );
            }
            Event::Identified { id, session } => {
                let Some(client) = self.clients.get_mut(&id) else { return };
                // A second `Identified` restarts a client taken for a person in another dialect
                // (see `reader`). The reader sends it only before any line that could have
                // registered the client, so a registered client is never restarted; should one
                // be, its session stays.
                if client.doomed || self.state.is_registered(id) {
                    return;
                }
                let profile = session.profile();
                let chat_client = session.chat_client();
                client.session = Some(session);
                client.liveness.restart();
                if !chat_client {
                    return;
                }
                let host = client.peer.ip().to_canonical().to_string();
                self.state.connect(id, profile, &host, now_millis(), &mut self.out);
            }
            Event::Input { id, terminator, input } => {
                let Some(client) = self.clients.get_mut(&id) else { return };
                if client.doomed {
                    return;
                }
                client.liveness.heard(Instant::now());
                if let Some(terminator) = terminator {
                    client.terminator = terminator;
                }
                // While a password is checked for it, a client's next lines wait their turn.
                if self.accounts.pending_for(id) {
                    if !self.accounts.hold(id, input) {
                        self.log.per_peer(
                            client.peer.ip(),
                            crate::log::Level::Warn,
                            "held_dropped",
                            &[("client", &id)],
                        );
                    }
                    return;
                }
                self.apply_input(id, input);
            }
            Event::Request { id, request } => self.web_request(id, request),
            Event::Answer { id, bytes, close, note } => {
                let Some(client) = self.clients.get_mut(&id) else { return };
                if client.doomed {
                    return;
                }
                if let Some(note) = note {
                    // A connection answered outside the chat (the XMLSocket policy file).
                    self.log.info(note, &[("client", &id), ("peer", &client.peer)]);
                }
                if let Err(reason) = client.outbox.queue(&bytes, self.settings.max_sendq) {
                    self.doom(id, reason);
                    return;
                }
                if !client.queued {
                    client.queued = true;
                    self.dirty.push(id);
                }
                if close {
                    self.doom(id, QuitReason::Answered);
                }
            }
            Event::Disconnected { id, reason } => {
                // A client that sent its request and closed its sending side still gets the
                // answer to work in flight (a password check), then is closed.
                if reason == QuitReason::ConnectionLost
                    && self.accounts.pending_for(id)
                    && let Some(client) = self.clients.get_mut(&id)
                    && !client.doomed
                {
                    client.input_ended = Some(Instant::now() + ANSWER_DRAIN);
                    self.accounts.ended.push(id);
                    return;
                }
                self.doom(id, reason);
            }
            Event::Accounts(report) => self.account_report(report),
            // Handled by `run`, which stops.
            Event::Stop { .. } => {}
        }
        self.dispatch();
    }

    /// Closes connection `conn` once what is queued for it has left (see `Client::closing_by`).
    fn close_when_sent(&mut self, conn: ClientId) {
        let Some(client) = self.clients.get_mut(&conn) else { return };
        if client.doomed {
            return;
        }
        if client.outbox.is_empty() {
            let why = client.closing_why();
            return self.doom(conn, why);
        }
        client.closing_by.get_or_insert(Instant::now() + ANSWER_DRAIN);
        if !client.queued {
            client.queued = true;
            self.dirty.push(conn);
        }
    }

    /// Marks `id` for removal after this batch; the first reason given wins.
    fn doom(&mut self, id: ClientId, reason: QuitReason) {
        if let Some(client) = self.clients.get_mut(&id) {
            if !client.doomed {
                client.doomed = true;
                self.doomed.push((id, reason));
            }
        } else if self.web.doom(id) {
            self.doomed.push((id, reason));
        }
    }

    /// Renders and queues everything in `self.out`, and logs its audit records.
    fn dispatch(&mut self) {
        self.run_account_jobs();
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
        let max_sendq = self.settings.max_sendq;
        let base = base_view(&self.settings);
        self.cache.start(reply, shared);
        if matches!(reply, Reply::Said { .. } | Reply::Private { echo: false, .. }) {
            self.web.counts.messages += 1;
        }
        // Web sessions have no connection of their own: delivered after the connections.
        let mut web = Vec::new();
        for &id in recipients {
            let Some(client) = self.clients.get_mut(&id) else {
                web.push(id);
                continue;
            };
            let Client { session, outbox, terminator, doomed, queued, .. } = client;
            if *doomed {
                continue;
            }
            let Some(session) = session.as_deref_mut() else { continue };
            if !session.accepts(reply) {
                continue;
            }
            let (rooms, nick) = self.state.render_info(id);
            let recipient = Recipient { session: &*session, view: view(&base, nick, rooms, *terminator) };
            let mut bytes = self.cache.render(reply, &recipient);
            // A `CHATHISTORY` answer (issue 14) is history too: trimmed, never a reason to evict.
            if matches!(reply, Reply::History { .. } | Reply::ChatHistory { .. }) {
                let room_left = match outbox.history_room(bytes.len(), max_sendq) {
                    Ok(room_left) => room_left,
                    Err(reason) => {
                        *doomed = true;
                        self.doomed.push((id, reason));
                        continue;
                    }
                };
                if bytes.len() > room_left {
                    bytes = match reply {
                        Reply::History { room, entries } => {
                            self.cache.trim_history(room, entries, room_left, &recipient)
                        }
                        Reply::ChatHistory { target, lines, from_oldest } => {
                            self.cache.trim_chat_history(target, lines, *from_oldest, room_left, &recipient)
                        }
                        _ => bytes,
                    };
                }
            }
            self.web.counts.deliveries += 1;
            self.web.counts.bytes_queued += bytes.len() as u64;
            // Part of the answer to this client's own line, sent framed once the line is done.
            if session.capture(reply, bytes) {
                continue;
            }
            if let Err(reason) = outbox.queue(bytes, max_sendq) {
                *doomed = true;
                self.doomed.push((id, reason));
                continue;
            }
            if !outbox.is_empty() && !*queued {
                *queued = true;
                self.dirty.push(id);
            }
        }
        if !web.is_empty() {
            self.deliver_web_many(&web, reply);
        }
    }

    /// Removes a client: tells it why (when it can still hear), frees its nickname and seats,
    /// tells its room-mates, closes the socket (which wakes its reader) and logs one line.
    fn evict(&mut self, id: ClientId, reason: QuitReason) {
        self.accounts.forget(id);
        let Some(mut client) = self.clients.remove(&id) else {
            return self.evict_web(id, reason);
        };
        self.detach(&client, id);
        self.web.counts.evicted(&reason);
        if !matches!(reason, QuitReason::ConnectionLost | QuitReason::SendQueueExceeded)
            && let Some(session) = client.session.as_deref()
        {
            let base = base_view(&self.settings);
            let recipient = Recipient { session, view: view(&base, self.state.nick(id), 0, client.terminator) };
            let closing = Reply::Closing { reason: reason.clone() };
            client.outbox.append_with(|out| render::render(&closing, &recipient, out));
            let _ = client.outbox.send();
        } else if client.closing_by.is_some() && reason == QuitReason::ConnectionLost {
            // An answer still leaving to a client that closed its sending side after its request
            // (`nc -N`): its reading side may well be open; one last try.
            let _ = client.outbox.send();
        }
        let nick = self.state.remove(id, &reason, &mut self.out);
        self.dispatch();
        drop(client.slot.take());
        let (peer, connected_for) = (client.peer, liveness::seconds(client.liveness.connected().elapsed()));
        if reason == QuitReason::Answered || client.closing_by.is_some() {
            // The answer has left: only our direction closes, and the reader reads (and drops)
            // what the client still sends until it closes too, so it gets no reset.
            client.outbox.finish();
        } else {
            client.outbox.close();
        }
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

    /// Tells every client the server is stopping, gives the lines a moment to leave, closes
    /// every socket and logs the shutdown.
    fn shutdown(&mut self, why: &str) {
        self.notifier.send("STOPPING=1\nSTATUS=shutting down");
        let count = self.clients.len();
        self.log.info("shutdown", &[("reason", &why), ("clients", &count)]);
        let closing = Reply::Closing { reason: QuitReason::ServerShutdown };
        // Browsers are told on their streams.
        for id in self.web.ids() {
            self.deliver_web(id, &closing);
        }
        // A connection still being identified is told as a person would be.
        let fallback = dialects::FALLBACK.session();
        let base = base_view(&self.settings);
        for (id, client) in &mut self.clients {
            let session = client.session.as_deref().unwrap_or(&*fallback);
            let recipient = Recipient { session, view: view(&base, self.state.nick(*id), 0, client.terminator) };
            client.outbox.append_with(|out| render::render(&closing, &recipient, out));
        }
        let deadline = Instant::now() + FAREWELL_DRAIN;
        loop {
            let mut waiting = false;
            for client in self.clients.values_mut() {
                if !client.outbox.is_empty() {
                    match client.outbox.send() {
                        Ok(Sent::All) => {}
                        Ok(Sent::Blocked) => waiting = true,
                        Err(_) => client.outbox.clear(),
                    }
                }
            }
            if !waiting || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(RETRY_BLOCKED);
        }
        for client in self.clients.values() {
            client.outbox.shutdown();
        }
    }
}

//! Accepting connections: limits, socket options, ids, and one reader thread per client.
//!
//! Owns `accept_loop` and admission: whether a newcomer gets a slot under `--max-clients`,
//! `--max-per-ip` and the process's capacity (the clients and reader threads the system's limits
//! allow, see `capacity`). The counts themselves, which the slots share, are in `slot`.
//! Never reads lines and never touches chat state. The one socket write outside the broker is
//! here: the single refusal line to a connection that never becomes a client.
//!
//! A reader thread whose client has gone waits a while for the next one before it ends: starting
//! a thread (stack and signal-stack mappings, guard pages, and unmapping them at its end) costs
//! about 70 µs of CPU on the project's machines, handing a connection to a waiting thread about
//! 15 µs, and connect-heavy loads pay that on every session. Each client still has a thread of its
//! own for as long as it is connected. The hand-over is one unpark of the thread that started
//! waiting last (`Acceptor::hand_over`): the zero-capacity channel used before cost about four
//! system calls more per connection (its lock contended, the receiver yielding while the sender
//! finished; measured with strace) and woke the waiting threads in turn, so none ever ran out its
//! wait.

use super::event::Event;
use super::reader::{InputLimits, reader_loop};
use super::slot::{Occupancy, Slot};
use super::sys;
use super::traffic::Traffic;
use crate::core::ids::ClientId;
use crate::log::{Level, Log};
use crate::protocol::dialect::Dialect;
use crossbeam_channel::Sender;
use std::io::{self, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Stack for each client thread: readers need little, and thousands of them must fit.
const CLIENT_STACK_BYTES: usize = 128 * 1024;

/// Reader threads kept waiting for a next client, at most: enough for bursts of reconnects,
/// few enough that their stacks do not matter after a mass disconnect.
const MAX_WAITING_READERS: usize = 256;

/// How long a reader thread without a client waits for one before it ends.
const READER_WAIT: Duration = Duration::from_secs(10);

/// A connection for a reader thread to serve.
struct ReaderJob {
    stream: Arc<TcpStream>,
    id: ClientId,
    /// The dialect the listening port speaks, if only one (`--http-listen`).
    dialect: Option<&'static dyn Dialect>,
}

/// A reader thread without a client, parked until it is handed one or its wait is over.
struct Waiter {
    thread: thread::Thread,
    /// Filled by the acceptor, under the `idle` lock, as it takes the waiter off the list.
    job: Mutex<Option<ReaderJob>>,
}

impl Waiter {
    fn take_job(&self) -> Option<ReaderJob> {
        self.job.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// What all acceptors share.
pub struct Acceptor {
    pub events: Sender<Event>,
    pub log: Arc<Log>,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub input: InputLimits,
    /// Liveness settings handed to the kernel (see `sys::tune_socket`).
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// Reverse proxies (`--trusted-proxy`): every browser behind one shares its address, so
    /// `--max-per-ip` does not apply to it (the clients behind it are told apart by the web face).
    pub trusted_proxies: Vec<IpAddr>,
    /// Connections accepted and refused, bytes read.
    pub traffic: Arc<Traffic>,
    next_id: AtomicU64,
    /// Shared with every slot handed out, which counts itself out when dropped.
    occupancy: Arc<Occupancy>,
    /// Reader threads waiting for a next client, the one that started waiting last at the end:
    /// it is handed the next client, so that a steady load keeps the same few threads (and their
    /// stacks) warm and the ones at the bottom run out their wait and end.
    idle: Mutex<Vec<Arc<Waiter>>>,
    /// `idle.len()`, readable without the lock.
    waiting_readers: AtomicUsize,
    /// The most clients the system's limits allow (`capacity::Capacity::clients`).
    capacity_clients: usize,
    /// The most reader threads the system's limits allow, serving or waiting.
    max_reader_threads: usize,
    /// Reader threads alive: serving a client, waiting for the next one, or ending.
    live_readers: AtomicUsize,
}

/// Why a connection was turned away.
enum Refusal {
    /// `reason` names the limit: `max-clients`, or `capacity` when the system's limits are lower.
    Full {
        count: usize,
        max: usize,
        reason: &'static str,
    },
    PerIp {
        count: usize,
    },
}

impl Acceptor {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        events: Sender<Event>,
        log: Arc<Log>,
        max_clients: usize,
        max_per_ip: usize,
        input: InputLimits,
        ping_interval: Duration,
        ping_timeout: Duration,
    ) -> Acceptor {
        Acceptor {
            events,
            log,
            max_clients,
            max_per_ip,
            input,
            ping_interval,
            ping_timeout,
            trusted_proxies: Vec::new(),
            traffic: Arc::new(Traffic::default()),
            next_id: AtomicU64::new(1),
            occupancy: Arc::new(Occupancy::default()),
            idle: Mutex::new(Vec::new()),
            waiting_readers: AtomicUsize::new(0),
            capacity_clients: usize::MAX,
            max_reader_threads: usize::MAX,
            live_readers: AtomicUsize::new(0),
        }
    }

    /// Counts into `traffic` (shared with the broker, which reports it), and exempts
    /// `trusted_proxies` from `--max-per-ip`.
    pub fn sharing(self, traffic: Arc<Traffic>, trusted_proxies: Vec<IpAddr>) -> Acceptor {
        Acceptor { traffic, trusted_proxies, ..self }
    }

    /// Holds clients and reader threads within what the system allows (see `capacity`).
    pub fn with_capacity(self, clients: usize, reader_threads: usize) -> Acceptor {
        Acceptor { capacity_clients: clients, max_reader_threads: reader_threads, ..self }
    }

    /// The most clients at once: `--max-clients`, or the capacity when that is lower.
    fn client_limit(&self) -> usize {
        self.max_clients.min(self.capacity_clients)
    }

    /// Whether a new client would find a reader thread: a waiting one, or room for one more.
    fn reader_thread_available(&self) -> bool {
        self.waiting_readers.load(Ordering::Acquire) > 0
            || self.live_readers.load(Ordering::Acquire) < self.max_reader_threads
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Waiter>>> {
        // Each update is a single push, pop or removal, so the list stays whole after a panic.
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands `job` to the reader thread that started waiting last. Gives it back when none waits.
    fn hand_over(&self, job: ReaderJob) -> Result<(), ReaderJob> {
        let mut idle = self.idle();
        let Some(waiter) = idle.pop() else { return Err(job) };
        self.waiting_readers.store(idle.len(), Ordering::Release);
        *waiter.job.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(job);
        drop(idle);
        // One wake-up, and the thread finds its job without waiting for anything else.
        waiter.thread.unpark();
        Ok(())
    }

    /// Waits up to `wait` to be handed a client (see `hand_over`). `None` when the wait ran out,
    /// or when enough threads wait already.
    fn next_job(&self, me: &Arc<Waiter>, wait: Duration) -> Option<ReaderJob> {
        {
            let mut idle = self.idle();
            if idle.len() >= MAX_WAITING_READERS {
                return None;
            }
            idle.push(Arc::clone(me));
            self.waiting_readers.store(idle.len(), Ordering::Release);
        }
        let deadline = Instant::now() + wait;
        loop {
            if let Some(job) = me.take_job() {
                return Some(job);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let mut idle = self.idle();
                // A job is set under this lock as its waiter leaves the list: check once more.
                if let Some(job) = me.take_job() {
                    return Some(job);
                }
                idle.retain(|waiter| !Arc::ptr_eq(waiter, me));
                self.waiting_readers.store(idle.len(), Ordering::Release);
                return None;
            }
            // Parking may end early (an unpark meant for an earlier wait, or spuriously): the
            // loop looks again.
            thread::park_timeout(left);
        }
    }

    /// Takes a slot for `ip`, or says why not. Returns the slot and the new total.
    fn reserve(&self, ip: IpAddr) -> Result<(Slot, usize), Refusal> {
        let mut counts = self.occupancy.lock();
        if counts.total >= self.max_clients {
            return Err(Refusal::Full { count: counts.total, max: self.max_clients, reason: "max-clients" });
        }
        // Reader threads whose clients were just dropped may still be ending: while the threads
        // alive are at their limit and none waits for a client, there is no thread to be had.
        if counts.total >= self.capacity_clients || !self.reader_thread_available() {
            return Err(Refusal::Full { count: counts.total, max: self.client_limit(), reason: "capacity" });
        }
        let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if from_ip >= self.max_per_ip && !self.trusted_proxies.contains(&ip) {
            return Err(Refusal::PerIp { count: from_ip });
        }
        let slot = Slot::take(&self.occupancy, &mut counts, ip);
        Ok((slot, counts.total))
    }
}

/// IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`) count as their IPv4 address.
pub fn canonical_ip(peer: &SocketAddr) -> IpAddr {
    peer.ip().to_canonical()
}

/// Accepts connections on `listener` until the process ends. `dialect`: the one dialect the
/// port speaks (`--http-listen`); `None` detects each connection's.
pub fn accept_loop(listener: TcpListener, acceptor: Arc<Acceptor>, dialect: Option<&'static dyn Dialect>) {
    // Where accepted sockets inherit the listener's options (Linux), they are set once here.
    let inherited = sys::tune_listener(&listener, acceptor.ping_interval, acceptor.ping_timeout).is_ok();
    loop {
        match listener.accept() {
            Ok((stream, peer)) => admit(stream, peer, &acceptor, inherited, dialect),
            Err(e) if e.kind() == io::ErrorKind::Interrupted || e.kind() == io::ErrorKind::ConnectionAborted => {}
            Err(e) => {
                // Typically out of file descriptors: pause rather than spin, then go on.
                acceptor.log.error("accept_failed", &[("error", &e)]);
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn refuse(mut stream: TcpStream, peer: SocketAddr, refusal: Refusal, acceptor: &Acceptor) {
    let (reason, line, count, max) = match refusal {
        Refusal::Full { count, max, reason } => {
            (reason, format!("error: server full ({count}/{max} clients), try again later\r\n"), count, max)
        }
        Refusal::PerIp { count } => (
            "max-per-ip",
            format!(
                "error: too many connections from your address ({count}/{}), close one first\r\n",
                acceptor.max_per_ip
            ),
            count,
            acceptor.max_per_ip,
        ),
    };
    // Repeats from one address are summarised (see `Log::per_peer`): a flood of refusals must not
    // flood the log. Nothing is formatted for a line that is only counted.
    let fields: [(&str, &dyn std::fmt::Display); 3] =
        [("peer", &peer), ("reason", &reason), ("count", &format_args!("{count}/{max}"))];
    acceptor.log.per_peer(peer.ip(), Level::Warn, "refused", &fields);
    acceptor.traffic.refused(reason);
    // A fresh socket's send buffer is empty, so this short write cannot block for long.
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = stream.write_all(line.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// Takes `stream` as a client, or refuses it. `tuned`: it has inherited its options from the
/// listener (see `sys::tune_listener`).
fn admit(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: &Arc<Acceptor>,
    tuned: bool,
    dialect: Option<&'static dyn Dialect>,
) {
    let (slot, total) = match acceptor.reserve(canonical_ip(&peer)) {
        Ok(reserved) => reserved,
        Err(refusal) => return refuse(stream, peer, refusal, acceptor),
    };
    if !tuned && let Err(e) = sys::tune_socket(&stream, acceptor.ping_interval, acceptor.ping_timeout) {
        acceptor.log.warn("socket_option_failed", &[("peer", &peer), ("error", &e)]);
    }
    // One socket shared by the reader (which reads) and the broker (which writes and shuts it
    // down): one file descriptor per client rather than the two `try_clone` would cost.
    let stream = Arc::new(stream);
    let writer = Arc::clone(&stream);
    let id = ClientId(acceptor.next_id.fetch_add(1, Ordering::Relaxed));
    acceptor.traffic.accepted();
    acceptor.log.info(
        "connect",
        &[("client", &id), ("peer", &peer), ("clients", &format!("{total}/{}", acceptor.client_limit()))],
    );
    if acceptor.events.send(Event::Connected { id, stream: writer, peer, at: Instant::now(), slot }).is_err() {
        return; // the broker is gone: shutting down
    }
    let job = match acceptor.hand_over(ReaderJob { stream, id, dialect }) {
        Ok(()) => return, // a waiting reader thread took it
        Err(job) => job,
    };
    let for_thread = Arc::clone(acceptor);
    acceptor.live_readers.fetch_add(1, Ordering::AcqRel);
    let spawned = thread::Builder::new()
        .name(thread_name(job.id))
        .stack_size(CLIENT_STACK_BYTES)
        .spawn(move || reader_thread(&for_thread, job));
    if let Err(e) = spawned {
        acceptor.live_readers.fetch_sub(1, Ordering::AcqRel);
        acceptor.log.error("thread_spawn_failed", &[("client", &id), ("error", &e)]);
        let _ = acceptor.events.send(Event::Disconnected { id, reason: crate::protocol::QuitReason::ConnectionLost });
    }
}

/// Counts a reader thread out when it ends, however it ends.
struct LiveReader<'a>(&'a AtomicUsize);

impl Drop for LiveReader<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `job`, then further clients handed over while this thread waits for them.
fn reader_thread(acceptor: &Acceptor, mut job: ReaderJob) {
    let _live = LiveReader(&acceptor.live_readers);
    let me = Arc::new(Waiter { thread: thread::current(), job: Mutex::new(None) });
    loop {
        let sink = super::reader::Sink {
            events: acceptor.events.clone(),
            log: Arc::clone(&acceptor.log),
            traffic: Arc::clone(&acceptor.traffic),
        };
        reader_loop(job.stream, job.id, sink, acceptor.input, job.dialect);
        match acceptor.next_job(&me, READER_WAIT) {
            Some(next) => job = next,
            None => return,
        }
        // Thread names show in `top -H` and debuggers: keep saying whose thread this is.
        sys::name_this_thread(&thread_name(job.id));
    }
}

/// What a client's reader thread is called, from its start and after each hand-over.
fn thread_name(id: ClientId) -> String {
    format!("client-{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_ipv6_counts_as_ipv4() {
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:5000".parse().unwrap();
        let plain: SocketAddr = "192.0.2.7:6000".parse().unwrap();
        assert_eq!(canonical_ip(&mapped), canonical_ip(&plain));
        let v6: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
        assert_eq!(canonical_ip(&v6), v6.ip());
    }

    /// Events for client `id` until `want` matches one (bounded in time).
    fn await_event(events: &crossbeam_channel::Receiver<Event>, id: u64, want: fn(&Event) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = events.recv_timeout(left).expect("the awaited event never came");
            let of = match &event {
                Event::Connected { id, .. }
                | Event::Identified { id, .. }
                | Event::Input { id, .. }
                | Event::Answer { id, .. }
                | Event::Request { id, .. }
                | Event::Disconnected { id, .. } => id.0,
                Event::Stop { .. } | Event::Accounts(_) => continue,
            };
            if of == id && want(&event) {
                return;
            }
        }
    }

    fn thread_names() -> Vec<String> {
        let tasks = std::fs::read_dir("/proc/self/task").map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default();
        tasks
            .iter()
            .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
            .map(|n| n.trim().to_string())
            .collect()
    }

    #[test]
    fn a_reader_thread_whose_client_left_serves_the_next_client() {
        let (tx, events) = crossbeam_channel::unbounded();
        let log_path = std::env::temp_dir().join(format!("chatd-listener-test-{}.log", std::process::id()));
        let input = InputLimits { max_line: 512, flood_burst: 10, flood_rate: 0 };
        let (interval, timeout) = (Duration::from_secs(60), Duration::from_secs(60));
        let log = Arc::new(Log::file(&log_path).unwrap());
        let acceptor = Arc::new(Acceptor::new(tx, log, 10, 10, input, interval, timeout));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let connect = || {
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (served, peer) = listener.accept().unwrap();
            admit(served, peer, &acceptor, false, None);
            client
        };

        let mut first = connect();
        first.write_all(b"NICK first\r\n").unwrap();
        await_event(&events, 1, |e| matches!(e, Event::Input { .. }));
        drop(first);
        await_event(&events, 1, |e| matches!(e, Event::Disconnected { .. }));
        // The thread reports itself waiting just before it waits; no event says more.
        let deadline = Instant::now() + Duration::from_secs(5);
        while acceptor.waiting_readers.load(Ordering::Acquire) == 0 {
            assert!(Instant::now() < deadline, "the reader thread did not wait for a next client");
            thread::sleep(Duration::from_millis(1));
        }

        let mut second = connect();
        second.write_all(b"NICK second\r\n").unwrap();
        await_event(&events, 2, |e| matches!(e, Event::Input { input: Ok(_), .. }));
        if cfg!(target_os = "linux") {
            let names = thread_names();
            assert!(names.iter().any(|n| n == "client-2"), "threads: {names:?}");
            // Had a new thread been started, the first one would still be waiting under its old name.
            assert!(!names.iter().any(|n| n == "client-1"), "threads: {names:?}");
        }
        drop(second);
        await_event(&events, 2, |e| matches!(e, Event::Disconnected { .. }));
        let _ = std::fs::remove_file(&log_path);
    }

    #[test]
    fn a_client_is_refused_as_full_when_no_reader_thread_can_be_had() {
        let (tx, events) = crossbeam_channel::unbounded();
        let log_path = std::env::temp_dir().join(format!("chatd-listener-threads-{}.log", std::process::id()));
        let input = InputLimits { max_line: 512, flood_burst: 10, flood_rate: 0 };
        let (interval, timeout) = (Duration::from_secs(60), Duration::from_secs(60));
        let log = Arc::new(Log::file(&log_path).unwrap());
        // Room for ten clients but only one reader thread.
        let acceptor = Arc::new(Acceptor::new(tx, log, 10, 10, input, interval, timeout).with_capacity(10, 1));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let connect = || {
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (served, peer) = listener.accept().unwrap();
            admit(served, peer, &acceptor, false, None);
            client
        };

        let mut first = connect();
        first.write_all(b"NICK first\r\n").unwrap();
        await_event(&events, 1, |e| matches!(e, Event::Input { .. }));
        let mut second = connect();
        second.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut told = String::new();
        std::io::Read::read_to_string(&mut second, &mut told).unwrap();
        assert_eq!(told, "error: server full (0/10 clients), try again later\r\n");

        // Once the one thread waits for a next client, the next connection gets it.
        drop(first);
        await_event(&events, 1, |e| matches!(e, Event::Disconnected { .. }));
        let deadline = Instant::now() + Duration::from_secs(5);
        while acceptor.waiting_readers.load(Ordering::Acquire) == 0 {
            assert!(Instant::now() < deadline, "the reader thread did not wait for a next client");
            thread::sleep(Duration::from_millis(1));
        }
        let mut third = connect();
        third.write_all(b"NICK third\r\n").unwrap();
        await_event(&events, 2, |e| matches!(e, Event::Input { input: Ok(_), .. }));
        assert_eq!(acceptor.live_readers.load(Ordering::Acquire), 1);
        let _ = std::fs::remove_file(&log_path);
    }

    /// Waits until `n` reader threads wait for a client (bounded in time).
    fn await_waiting(acceptor: &Acceptor, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while acceptor.waiting_readers.load(Ordering::Acquire) != n {
            assert!(Instant::now() < deadline, "{n} threads never waited");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_thread_that_waited_last_is_handed_the_next_client_and_a_wait_runs_out() {
        let (tx, _rx) = crossbeam_channel::unbounded();
        let input = InputLimits { max_line: 512, flood_burst: 1, flood_rate: 0 };
        let second = Duration::from_secs(1);
        let acceptor = Arc::new(Acceptor::new(tx, Arc::new(Log::stderr()), 5, 5, input, second, second));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let stream = Arc::new(listener.accept().unwrap().0);
        let job = |id| ReaderJob { stream: Arc::clone(&stream), id: ClientId(id), dialect: None };
        assert!(acceptor.hand_over(job(1)).is_err(), "nobody waits yet");

        let wait = |acceptor: &Arc<Acceptor>, how_long| {
            let acceptor = Arc::clone(acceptor);
            thread::spawn(move || {
                let me = Arc::new(Waiter { thread: thread::current(), job: Mutex::new(None) });
                acceptor.next_job(&me, how_long).map(|job| job.id.0)
            })
        };
        let first = wait(&acceptor, Duration::from_secs(5));
        await_waiting(&acceptor, 1);
        let last = wait(&acceptor, Duration::from_secs(5));
        await_waiting(&acceptor, 2);
        assert!(acceptor.hand_over(job(2)).is_ok());
        assert_eq!(last.join().unwrap(), Some(2), "the thread that waited last");
        assert!(acceptor.hand_over(job(3)).is_ok());
        assert_eq!(first.join().unwrap(), Some(3));
        assert_eq!(acceptor.waiting_readers.load(Ordering::Acquire), 0);

        let start = Instant::now();
        assert_eq!(wait(&acceptor, Duration::from_millis(30)).join().unwrap(), None);
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(acceptor.waiting_readers.load(Ordering::Acquire), 0, "it left the list");
        assert!(acceptor.hand_over(job(4)).is_err());
    }

    #[test]
    fn the_event_channel_closes_while_the_broker_still_holds_slots() {
        let (tx, events) = crossbeam_channel::unbounded();
        let input = InputLimits { max_line: 512, flood_burst: 1, flood_rate: 0 };
        let second = Duration::from_secs(1);
        let acceptor = Arc::new(Acceptor::new(tx, Arc::new(Log::stderr()), 5, 5, input, second, second));
        let occupancy = Arc::clone(&acceptor.occupancy);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        let (slot, _) = acceptor.reserve(canonical_ip(&peer)).ok().unwrap();
        let connected = Event::Connected { id: ClientId(1), stream: Arc::new(stream), peer, at: Instant::now(), slot };
        acceptor.events.send(connected).unwrap();
        // The broker holds the event, and with it the slot, for as long as it knows the client.
        let held = events.recv().unwrap();
        drop(acceptor);
        assert_eq!(
            events.recv_timeout(Duration::from_secs(5)).unwrap_err(),
            crossbeam_channel::RecvTimeoutError::Disconnected,
            "no slot keeps the channel open"
        );
        assert_eq!(occupancy.lock().total, 1);
        drop(held);
        assert_eq!(occupancy.lock().total, 0, "the slot still counts itself out");
    }

    #[test]
    fn slots_are_limited_by_the_capacity_when_it_is_below_max_clients() {
        let (tx, _rx) = crossbeam_channel::unbounded();
        let input = InputLimits { max_line: 512, flood_burst: 1, flood_rate: 0 };
        let (interval, timeout) = (Duration::from_secs(1), Duration::from_secs(1));
        let acceptor =
            Arc::new(Acceptor::new(tx, Arc::new(Log::stderr()), 5, 5, input, interval, timeout).with_capacity(2, 100));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let _s1 = acceptor.reserve(a).ok().unwrap();
        let (s2, total) = acceptor.reserve(a).ok().unwrap();
        assert_eq!((total, acceptor.client_limit()), (2, 2));
        assert!(matches!(acceptor.reserve(a), Err(Refusal::Full { count: 2, max: 2, reason: "capacity" })));
        drop(s2);
        assert!(acceptor.reserve(a).is_ok());
    }

    #[test]
    fn slots_are_limited_in_total_and_per_ip_and_freed_on_drop() {
        let (tx, _rx) = crossbeam_channel::unbounded();
        let input = InputLimits { max_line: 512, flood_burst: 1, flood_rate: 0 };
        let acceptor = Arc::new(Acceptor::new(
            tx,
            Arc::new(Log::stderr()),
            3,
            2,
            input,
            Duration::from_secs(1),
            Duration::from_secs(1),
        ));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let s1 = acceptor.reserve(a).ok().unwrap();
        let _s2 = acceptor.reserve(a).ok().unwrap();
        assert!(matches!(acceptor.reserve(a), Err(Refusal::PerIp { count: 2 })));
        let _s3 = acceptor.reserve(b).ok().unwrap();
        assert!(matches!(acceptor.reserve(b), Err(Refusal::Full { count: 3, max: 3, reason: "max-clients" })));
        drop(s1);
        assert!(acceptor.reserve(a).is_ok());
    }
}

//! The registration deadline: a connection that never chooses a nickname is closed
//! `--register-timeout` seconds after it connected, whatever it sends meanwhile, so that no one
//! can hold a slot under `--max-clients` by keeping an unregistered connection busy.

mod common;

use common::irc::{expect_exact, send};
use common::{Client, Server, TIMEOUT};
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the dawdlers send a line.
const PACE: Duration = Duration::from_millis(200);

/// A connection that keeps sending lines that never register it.
struct Dawdler {
    client: Client,
    /// When the test connected it; the server's clock starts no earlier.
    connected: Instant,
    /// The line it repeats.
    line: &'static str,
    /// Lines received, and when the connection closed.
    closed: Option<Duration>,
}

impl Dawdler {
    fn irc(server: &Server) -> Dawdler {
        let connected = Instant::now();
        let mut client = server.connect();
        // PING as the first word makes it an IRC client at once; it is answered at any stage.
        send(&mut client, "PING x");
        expect_exact(&mut client, ":irc.test PONG irc.test x");
        Dawdler { client, connected, line: "PING x", closed: None }
    }

    fn netcat(server: &Server) -> Dawdler {
        let connected = Instant::now();
        let mut client = server.connect();
        client.expect("Choose a nickname");
        client.send("!!not a nick");
        client.expect("is not a valid nickname");
        Dawdler { client, connected, line: "!!not a nick", closed: None }
    }

    /// Sends its line (ignoring a failed write: the server may have closed it already), then
    /// reads what comes for one `PACE`. Records when the server closed the connection.
    fn step(&mut self) {
        if self.closed.is_some() {
            return;
        }
        let _ = self.client.stream.write_all(format!("{}\r\n", self.line).as_bytes());
        let until = Instant::now() + PACE;
        loop {
            match self.client.next_line(until) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    self.closed = Some(self.connected.elapsed());
                    return;
                }
                // A reset after our late write is a close too.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    self.closed = Some(self.connected.elapsed());
                    return;
                }
                Err(_) => return,
            }
        }
    }
}

/// Runs `dawdlers` at `PACE` until all are closed; fails after `limit`.
fn dawdle_until_closed(dawdlers: &mut [Dawdler], limit: Duration) {
    let deadline = Instant::now() + limit;
    while dawdlers.iter().any(|d| d.closed.is_none()) {
        assert!(
            Instant::now() < deadline,
            "still open after {limit:?}; lines received: {:?}",
            dawdlers.iter().map(|d| &d.client.received).collect::<Vec<_>>()
        );
        for dawdler in dawdlers.iter_mut() {
            dawdler.step();
        }
    }
}

#[test]
fn busy_unregistered_connections_are_closed_at_the_deadline_and_free_their_slots() {
    let server = Server::start(&["--server-name", "irc.test", "--register-timeout", "2", "--max-clients", "2"]);
    server.expect_log(&[" INFO start ", "register_timeout=2s"]);
    let mut dawdlers = [Dawdler::irc(&server), Dawdler::netcat(&server)];

    // Both slots are held: a real user is turned away meanwhile.
    let mut turned_away = server.connect();
    turned_away.expect("server full");

    dawdle_until_closed(&mut dawdlers, Duration::from_secs(2) + TIMEOUT);
    for dawdler in &dawdlers {
        let closed = dawdler.closed.unwrap();
        assert!(closed >= Duration::from_secs(2), "closed after only {closed:?}");
    }
    let [irc, netcat] = &dawdlers;
    assert!(
        irc.client.received.iter().any(|l| l == "ERROR :Closing link: (Registration timeout)"),
        "{:?}",
        irc.client.received
    );
    assert_eq!(irc.client.received.last().map(String::as_str), Some("ERROR :Closing link: (Registration timeout)"));
    assert_eq!(
        netcat.client.received.last().map(String::as_str),
        Some("-- Closing connection: no nickname chosen in time")
    );
    let evicted = |peer: &Client| {
        let port = format!(":{} ", peer.stream.local_addr().unwrap().port());
        server.expect_log(&[" WARN evict ", "nick=- ", &port, "reason=registration-timeout"]);
    };
    evicted(&irc.client);
    evicted(&netcat.client);

    // The slots are free again: a real user gets in.
    let mut alice = server.register("alice");
    alice.send("/users");
    alice.expect("1 user online: alice");
}

#[test]
fn the_deadline_defaults_to_ping_interval_plus_ping_timeout() {
    // No --register-timeout: 1 s + 1 s.
    let server = Server::start(&["--server-name", "irc.test", "--ping-interval", "1", "--ping-timeout", "1"]);
    server.expect_log(&[" INFO start ", "register_timeout=2s"]);
    let mut dawdlers = [Dawdler::irc(&server), Dawdler::netcat(&server)];
    dawdle_until_closed(&mut dawdlers, Duration::from_secs(2) + TIMEOUT);
    for dawdler in &dawdlers {
        let closed = dawdler.closed.unwrap();
        assert!(closed >= Duration::from_secs(2), "closed after only {closed:?}");
    }
    assert_eq!(
        dawdlers[0].client.received.last().map(String::as_str),
        Some("ERROR :Closing link: (Registration timeout)")
    );
    server.expect_log(&[" WARN evict ", "reason=registration-timeout"]);
}

#[test]
fn a_silent_netcat_newcomer_is_reminded_before_a_short_deadline() {
    // The reminder comes after --ping-interval of silence or half the deadline, whichever is first.
    let server = Server::start(&["--register-timeout", "2"]);
    let connected = Instant::now();
    let mut anon = server.connect();
    anon.expect_next("-- Welcome to ");
    anon.expect_next("-- Choose a nickname:");
    anon.expect_next("-- Still there? Choose a nickname, or you will be disconnected:");
    let reminded = connected.elapsed();
    anon.expect_next("-- Closing connection: no nickname chosen in time");
    assert!(anon.expect_closed().is_empty());
    let closed = connected.elapsed();
    assert!(
        reminded >= Duration::from_millis(1000) && reminded < Duration::from_secs(2),
        "reminded after {reminded:?}"
    );
    assert!(closed >= Duration::from_secs(2), "closed after only {closed:?}");
}

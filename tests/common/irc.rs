//! Helpers for tests that speak IRC to chatd, shared by tests/irc.rs and tests/ops.rs.

use super::{Client, Server, TIMEOUT};
use std::time::Instant;

/// Where an IRC user registered by `irc_register` appears to come from.
pub fn prefix(nick: &str) -> String {
    format!("{nick}!~u@127.0.0.1")
}

/// Starts chatd as `irc.test`. Flood control is off so that tests which send many lines are not
/// paced (pacing has tests of its own elsewhere).
pub fn start(extra: &[&str]) -> Server {
    let mut args = vec!["--server-name", "irc.test", "--flood-rate", "0"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// Sends one IRC line, CR LF terminated.
pub fn send(client: &mut Client, line: &str) {
    client.send_raw(format!("{line}\r\n").as_bytes());
}

/// The next line, whatever it is. Fails on timeout or EOF.
pub fn next(client: &mut Client) -> String {
    match client.next_line(Instant::now() + TIMEOUT) {
        Ok(Some(line)) => line,
        Ok(None) => panic!("connection closed; lines received:\n{}", client.received.join("\n")),
        Err(e) => panic!("no line within {TIMEOUT:?} ({e}); lines received:\n{}", client.received.join("\n")),
    }
}

/// The very next line must be exactly `want`.
pub fn expect_exact(client: &mut Client, want: &str) {
    let got = next(client);
    assert_eq!(got, want, "\n--- lines received:\n{}", client.received.join("\n"));
}

/// Sends `PING :token` and requires the very next line to be its PONG: proves that nothing else
/// was sent to this client before the server handled the PING.
pub fn settle(client: &mut Client, token: &str) {
    send(client, &format!("PING :{token}"));
    expect_exact(client, &format!(":irc.test PONG irc.test {token}"));
}

/// `:irc.test CODE nick rest`
pub fn num(code: &str, nick: &str, rest: &str) -> String {
    format!(":irc.test {code} {nick} {rest}")
}

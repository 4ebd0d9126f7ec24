//! Helpers for tests that speak IRC to chatd: registration, joins, exact lines and the PING
//! round trip that proves nothing else was sent.

use super::{Client, Dialect, Server, TIMEOUT};
use std::time::Instant;

/// The version string IRC replies carry.
pub const VERSION: &str = concat!("chatd-", env!("CARGO_PKG_VERSION"));

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

/// Registers an IRC client the way real clients do (capability negotiation, `realname` as the
/// real name, `caps` requested when not empty) and returns it once the end of the MOTD has
/// arrived. The server must offer exactly the capabilities chatd has.
pub fn register_as(server: &Server, nick: &str, realname: &str, caps: &str) -> Client {
    let mut client = server.connect();
    client.dialect = Dialect::Irc;
    send(&mut client, "CAP LS 302");
    send(&mut client, &format!("NICK {nick}"));
    send(&mut client, &format!("USER u 0 * :{realname}"));
    expect_exact(
        &mut client,
        ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names",
    );
    if !caps.is_empty() {
        send(&mut client, &format!("CAP REQ :{caps}"));
        client.expect_next(&format!(":irc.test CAP {nick} ACK "));
    }
    send(&mut client, "CAP END");
    client.expect(&num("376", nick, ":End of /MOTD command."));
    client
}

/// `register_as` with the real name `Real Name` and no capabilities.
pub fn register(server: &Server, nick: &str) -> Client {
    register_as(server, nick, "Real Name", "")
}

/// `register_as` with the real name `Real Name`, requesting `caps` (space separated).
pub fn register_with(server: &Server, nick: &str, caps: &str) -> Client {
    register_as(server, nick, "Real Name", caps)
}

/// Sends `JOIN room` and consumes the echo, the topic and the names, returning the 353 line.
pub fn join(client: &mut Client, nick: &str, room: &str) -> String {
    send(client, &format!("JOIN {room}"));
    expect_exact(client, &format!(":{} JOIN {room}", prefix(nick)));
    let names = client.expect(&format!(":irc.test 353 {nick} = {room} "));
    expect_exact(client, &num("366", nick, &format!("{room} :End of /NAMES list")));
    names
}

/// `register` and then `JOIN` each of `rooms`.
pub fn in_rooms(server: &Server, nick: &str, rooms: &[&str]) -> Client {
    let mut client = register(server, nick);
    for room in rooms {
        join(&mut client, nick, room);
    }
    client
}

/// Sends `PING :token` and reads up to its PONG; returns the lines before it.
pub fn lines_until_pong(client: &mut Client, token: &str) -> Vec<String> {
    send(client, &format!("PING :{token}"));
    let pong = format!(":irc.test PONG irc.test {token}");
    let mut lines = Vec::new();
    loop {
        let line = next(client);
        if line == pong {
            return lines;
        }
        lines.push(line);
    }
}

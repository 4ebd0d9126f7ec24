//! Dialect detection after the first 300 ms: an IRC client that says nothing at first is greeted
//! as a netcat user, and becomes an IRC client on its first unmistakable IRC registration line
//! (`CAP LS`, `PASS x`, a full `USER`), with its earlier lines read again as IRC. A person typing
//! `nick alice` stays a netcat user. And an unregistered IRC client's malformed commands get 451.

mod common;

use common::irc::{expect_exact, num, send, settle, start};
use common::{Client, Server, expect_said};

/// Connects and waits, saying nothing, for the netcat greeting (sent after 300 ms of silence).
fn greeted_as_netcat(server: &Server) -> Client {
    let mut client = server.connect();
    client.expect_next("-- Welcome to ");
    client.expect_next("-- Choose a nickname:");
    client
}

fn welcome(nick: &str, user: &str) -> String {
    num("001", nick, &format!(":Welcome to the chatd IRC network {nick}!~{user}@127.0.0.1"))
}

#[test]
fn a_slow_irc_client_greeted_as_netcat_registers_with_cap_negotiation() {
    let server = start(&[]);
    let mut client = greeted_as_netcat(&server);
    send(&mut client, "CAP LS 302");
    // The very next line is IRC: the switching line was read as IRC.
    expect_exact(
        &mut client,
        ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names",
    );
    send(&mut client, "NICK x");
    send(&mut client, "USER x 0 * :X");
    // Registration waits for CAP END, as for any IRC client.
    settle(&mut client, "negotiating");
    send(&mut client, "CAP END");
    expect_exact(&mut client, &welcome("x", "x"));
    client.expect(&num("376", "x", ":End of /MOTD command."));
    server.expect_log(&[" INFO nick ", "nick=x ", "dialect=irc"]);
    // An IRC client: it joins what it chooses, and sees IRC lines.
    send(&mut client, "JOIN #lobby");
    expect_exact(&mut client, ":x!~x@127.0.0.1 JOIN #lobby");
}

#[test]
fn lines_sent_before_the_switch_are_read_again_as_irc() {
    let server = start(&[]);
    let mut client = greeted_as_netcat(&server);
    // Read as a netcat nickname first: refused, as any line with a space.
    send(&mut client, "NICK alice");
    client.expect_next("error: \"NICK alice\" is not a valid nickname");
    client.expect_next("-- Choose a nickname:");
    // The full USER line shows an IRC client: NICK alice counts now.
    send(&mut client, "USER a 0 * :A");
    expect_exact(&mut client, &welcome("alice", "a"));
    client.expect(&num("376", "alice", ":End of /MOTD command."));
    server.expect_log(&[" INFO nick ", "nick=alice ", "dialect=irc"]);
    settle(&mut client, "irc");
}

#[test]
fn pass_switches_too_and_the_earlier_lines_come_first() {
    let server = start(&[]);
    let mut client = greeted_as_netcat(&server);
    send(&mut client, "NICK bob");
    client.expect_next("error: \"NICK bob\" is not a valid nickname");
    client.expect_next("-- Choose a nickname:");
    send(&mut client, "USER b 0 *");
    client.expect_next("error: \"USER b 0 *\" is not a valid nickname");
    client.expect_next("-- Choose a nickname:");
    // PASS switches; the replayed short USER gets IRC's 461, naming the nickname claimed before it.
    send(&mut client, "PASS secret");
    expect_exact(&mut client, &num("461", "bob", "USER :Not enough parameters"));
    send(&mut client, "USER b 0 * :B");
    expect_exact(&mut client, &welcome("bob", "b"));
}

#[test]
fn a_person_typing_nick_alice_stays_a_netcat_user() {
    let server = start(&[]);
    let mut bob = server.register("bob");
    let mut person = greeted_as_netcat(&server);
    person.send("nick alice");
    person.expect_next("error: \"nick alice\" is not a valid nickname");
    person.expect_next("-- Choose a nickname:");
    person.send("NICK alice");
    person.expect_next("error: \"NICK alice\" is not a valid nickname");
    person.expect_next("-- Choose a nickname:");
    // Then the nickname alone registers a netcat user, in the default room.
    person.send("alice");
    person.expect("You joined #lobby");
    server.expect_log(&[" INFO nick ", "nick=alice ", "dialect=netcat"]);
    bob.expect_next("-- alice joined #lobby");
    // Once registered, IRC registration lines are just messages.
    person.send("USER a 0 * :A");
    expect_said(&mut bob, "<alice> USER a 0 * :A");
    person.send("CAP LS 302");
    expect_said(&mut bob, "<alice> CAP LS 302");
}

#[test]
fn a_netcat_newcomer_who_tried_a_valid_nickname_never_switches() {
    let server = start(&[]);
    let _alice = server.register("alice");
    let mut person = greeted_as_netcat(&server);
    // A valid nickname, taken: refused, but it could have registered, so no switch from now on.
    person.send("alice");
    person.expect_next("error: the nickname alice is already taken");
    person.expect_next("-- Choose a nickname:");
    person.send("CAP LS 302");
    person.expect_next("error: \"CAP LS 302\" is not a valid nickname");
    person.expect_next("-- Choose a nickname:");
    person.send("carol");
    person.expect("You joined #lobby");
}

#[test]
fn malformed_commands_before_registration_get_451() {
    let server = start(&[]);
    let mut client = server.connect();
    // What irssi sends first.
    send(&mut client, "CAP LS 302");
    expect_exact(
        &mut client,
        ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names",
    );
    send(&mut client, "JOIN :");
    expect_exact(&mut client, &num("451", "*", ":You have not registered"));
    send(&mut client, "PRIVMSG");
    expect_exact(&mut client, &num("451", "*", ":You have not registered"));
    send(&mut client, "PRIVMSG #lobby");
    expect_exact(&mut client, &num("451", "*", ":You have not registered"));
    // Registration commands keep their own errors.
    send(&mut client, "USER x");
    expect_exact(&mut client, &num("461", "*", "USER :Not enough parameters"));
    send(&mut client, "NICK");
    expect_exact(&mut client, &num("431", "*", ":No nickname given"));
    send(&mut client, "NICK x");
    send(&mut client, "USER x 0 * :X");
    send(&mut client, "CAP END");
    expect_exact(&mut client, &welcome("x", "x"));
    client.expect(&num("376", "x", ":End of /MOTD command."));
    // After registration, the usual 461.
    send(&mut client, "JOIN :");
    expect_exact(&mut client, &num("461", "x", "JOIN :Not enough parameters"));
}

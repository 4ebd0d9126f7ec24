//! The XMLSocket gateway over TCP: Flash's policy request is answered with the cross-domain
//! policy and a NUL, then the connection closes; programs log in to accounts, list everyone,
//! hear everyone come and go, and exchange private messages with users of every dialect.

mod common;

use common::{Server, TIMEOUT};
use std::io::{Read, Write};
use std::net::TcpStream;

const POLICY_HEAD: &str = "<?xml version=\"1.0\"?><cross-domain-policy><allow-access-from domain=\"*\" to-ports=\"";
const POLICY_TAIL: &str = "\"/></cross-domain-policy>\0";

/// Sends `pieces` one write each and returns everything received until the server closes.
fn exchange(server: &Server, pieces: &[&[u8]]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    for piece in pieces {
        stream.write_all(piece).unwrap();
    }
    let mut received = Vec::new();
    stream.read_to_end(&mut received).unwrap_or_else(|e| panic!("no close within {TIMEOUT:?} ({e}): {received:?}"));
    received
}

/// Asserts that `received` ends with the policy, allowing every port or naming the server's.
fn assert_policy(server: &Server, received: &[u8]) {
    let text = String::from_utf8_lossy(received);
    let at = text.find(POLICY_HEAD).unwrap_or_else(|| panic!("no policy in {text:?}"));
    let ports = text[at + POLICY_HEAD.len()..].strip_suffix(POLICY_TAIL).unwrap_or_else(|| panic!("{text:?}"));
    let port = server.addr.port().to_string();
    assert_eq!(ports, port, "the policy names the chat port");
}

#[test]
fn the_policy_request_is_answered_then_the_connection_closes() {
    let server = Server::start(&[]);
    for request in [&b"<policy-file-request/>\0"[..], b"<policy-file-request />\0"] {
        let received = exchange(&server, &[request]);
        assert!(received.starts_with(POLICY_HEAD.as_bytes()), "{:?}", String::from_utf8_lossy(&received));
        assert_policy(&server, &received);
    }
    server.expect_log(&["policy_served", "peer=127.0.0.1"]);
    // Split across writes, and with more after it: the same answer, and nothing else.
    let received = exchange(&server, &[b"<policy-fi", b"le-request/>\0IDENTIFY a b\0"]);
    assert!(received.starts_with(POLICY_HEAD.as_bytes()));
    assert_policy(&server, &received);
}

#[test]
fn a_slow_flash_player_taken_for_a_person_still_gets_the_policy() {
    let server = Server::start(&[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    // Silent past the detection wait: greeted as a person first.
    let mut greeting = Vec::new();
    while !String::from_utf8_lossy(&greeting).contains("Choose a nickname") {
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the greeting");
        greeting.extend_from_slice(&buf[..n]);
    }
    stream.write_all(b"<policy-file-request/>\0").unwrap();
    let mut received = Vec::new();
    stream.read_to_end(&mut received).unwrap();
    assert!(received.starts_with(POLICY_HEAD.as_bytes()), "{:?}", String::from_utf8_lossy(&received));
    assert_policy(&server, &received);
}

/// An XMLSocket client: NUL-terminated commands out, NUL-terminated frames in.
struct Xml {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Xml {
    fn connect(server: &Server) -> Xml {
        let stream = TcpStream::connect(server.addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        Xml { stream, pending: Vec::new() }
    }

    fn send(&mut self, command: &str) {
        self.stream.write_all(format!("{command}\0").as_bytes()).unwrap();
    }

    /// The next frame, without its NUL.
    fn next(&mut self) -> String {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == 0) {
                let frame: Vec<u8> = self.pending.drain(..=end).collect();
                return String::from_utf8(frame[..end].to_vec()).unwrap();
            }
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).unwrap_or_else(|e| panic!("no frame within {TIMEOUT:?}: {e}"));
            assert!(n > 0, "closed; pending {:?}", String::from_utf8_lossy(&self.pending));
            self.pending.extend_from_slice(&buf[..n]);
        }
    }

    /// Skips frames until one equal to `want`.
    fn expect(&mut self, want: &str) {
        let mut seen = Vec::new();
        while seen.len() < 50 {
            let frame = self.next();
            if frame == want {
                return;
            }
            seen.push(frame);
        }
        panic!("no {want:?} among {seen:?}");
    }
}

/// A netcat user `nick` with an account of the same name and `password`.
fn netcat_account(server: &Server, nick: &str, password: &str) -> common::Client {
    let mut client = server.register(nick);
    client.send(&format!("/register {password}"));
    client.expect(&format!("-- You are now logged in as {nick}."));
    client
}

#[test]
fn an_xml_client_logs_in_lists_and_talks_with_netcat_users() {
    let server = Server::start(&[]);
    let mut bob = server.register("bob");
    let mut xml = Xml::connect(&server);
    // The first line makes the connection XML; until a login succeeds nothing else works.
    xml.send("IDENTIFY xavier battery-staple");
    assert_eq!(xml.next(), "<error value=\"xavier is not a registered account.\"/>");
    xml.send("LIST");
    assert_eq!(xml.next(), "<error value=\"Not identified.\"/>");
    xml.send("REGISTER xavier battery-staple");
    assert_eq!(xml.next(), "<identify aid=\"xavier\" name=\"xavier\"/>");
    server.expect_log(&["account_registered", "account=xavier"]);
    xml.send("LIST");
    let list = xml.next();
    assert!(list.starts_with("<nicklist>") && list.ends_with("</nicklist>"), "{list}");
    assert!(list.contains("<nick aid=\"bob\" name=\"bob\"/>") && list.contains("<nick aid=\"xavier\""), "{list}");

    // Private messages both ways; aid names the sender, from the recipient, in both copies.
    xml.send("MSG bob hi <bob> & all");
    let sent = xml.next();
    assert!(sent.starts_with("<msg aid=\"xavier\" time=\""), "{sent}");
    assert!(sent.ends_with("msg=\"hi &lt;bob&gt; &amp; all\" from=\"bob\"/>"), "{sent}");
    bob.expect("*xavier* hi <bob> & all");
    bob.send("/msg xavier hello back");
    let got = xml.next();
    assert!(
        got.starts_with("<msg aid=\"bob\" time=\"") && got.ends_with("msg=\"hello back\" from=\"xavier\"/>"),
        "{got}"
    );
    xml.send("MSG nobody hi");
    assert_eq!(xml.next(), "<error value=\"User is already left.\"/>");

    // Presence: everyone who comes, renames and goes, whatever their dialect and rooms.
    let mut carol = server.register("carol");
    xml.expect("<login aid=\"carol\" name=\"carol\"/>");
    carol.send("/nick caroline");
    xml.expect("<quit aid=\"carol\"/>");
    assert_eq!(xml.next(), "<login aid=\"caroline\" name=\"caroline\"/>");
    carol.send("/quit");
    xml.expect("<quit aid=\"caroline\"/>");
    // Others see the XML user in /users.
    bob.send("/users");
    bob.expect("xavier");
}

#[test]
fn identify_checks_the_password_and_takes_the_nick_from_an_unidentified_holder() {
    let server = Server::start(&[]);
    let alice = netcat_account(&server, "alice", "correct-horse");
    drop(alice);
    let mut xml = Xml::connect(&server);
    xml.send("IDENTIFY alice wrong-horse");
    assert_eq!(xml.next(), "<error value=\"Invalid account name or password.\"/>");
    xml.send("IDENTIFY nobody some-password");
    assert_eq!(xml.next(), "<error value=\"nobody is not a registered account.\"/>");
    xml.send("IDENTIFY alice correct-horse");
    assert_eq!(xml.next(), "<identify aid=\"alice\" name=\"alice\"/>");
    server.expect_log(&["login ", "account=alice"]);
}

//! The XMLSocket gateway over TCP: Flash's policy request is answered with the cross-domain
//! policy and a NUL, then the connection closes. (The login path needs accounts; its tests come
//! with chat state's side of the gateway.)

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
    assert!(ports == "*" || ports.split(',').any(|p| p == port), "to-ports={ports:?} for port {port}");
}

#[test]
fn the_policy_request_is_answered_then_the_connection_closes() {
    let server = Server::start(&[]);
    for request in [&b"<policy-file-request/>\0"[..], b"<policy-file-request />\0"] {
        let received = exchange(&server, &[request]);
        assert!(received.starts_with(POLICY_HEAD.as_bytes()), "{:?}", String::from_utf8_lossy(&received));
        assert_policy(&server, &received);
    }
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

mod common;
use common::Server;

#[test]
fn two_users_chat_in_the_lobby() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    alice.expect("-- bob joined #lobby");
    alice.send("hello bob");
    let line = bob.expect("<alice> hello bob");
    assert!(line.starts_with('['), "{line}");
}

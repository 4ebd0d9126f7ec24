//! An operator's `chatd account` changes reach the running server: a disabled or deleted
//! account's sessions end with the reason, and it cannot log in.

use super::common::{Server, TIMEOUT, binary};
use std::process::{Command, Stdio};

fn account(server: &Server, args: &[&str]) {
    let status = Command::new(binary())
        .arg("account")
        .args(args)
        .arg("--state-dir")
        .arg(server.dir.join("chatd-state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "chatd account {args:?} failed");
}

#[test]
fn disabling_an_account_ends_its_sessions_and_stops_its_logins() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    alice.send("/register correct-horse");
    alice.expect("-- You are now logged in as alice.");
    let mut bob = server.register("bob");
    account(&server, &["disable", "alice"]);
    let started = std::time::Instant::now();
    let last = alice.expect_closed();
    assert!(started.elapsed() < TIMEOUT);
    assert!(last.iter().any(|l| l.contains("account alice disabled")), "{last:?}");
    bob.expect("-- alice quit (account alice disabled)");
    server.expect_log(&["account_disabled", "account=alice", "by=operator"]);
    server.expect_log(&["evict ", "nick=alice", "reason=account-closed"]);

    bob.send("/identify alice correct-horse");
    bob.expect("error: The account alice is disabled.");
    // Its nickname stays reserved for it.
    bob.send("/nick alice");
    bob.expect("error: The account alice is disabled.");

    account(&server, &["delete", "alice"]);
    server.expect_log(&["account_deleted", "account=alice", "by=operator"]);
    bob.send("/nick alice");
    bob.expect("-- You are now known as alice");
}

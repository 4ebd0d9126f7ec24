//! A browser logging in to a registered nickname: the login form's password (the body's second
//! line), checked before the session exists.

use super::common::Server;
use super::common::web::{login, login_request};

#[test]
fn a_registered_nickname_needs_its_password_on_the_web() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    alice.send("/register correct-horse");
    alice.expect("-- You are now logged in as alice.");
    alice.send("/quit");
    alice.expect_closed();

    let without = login_request(&server, "alice");
    assert_eq!(without.status, 403, "{without:?}");
    assert!(without.json().text("error").contains("alice is a registered nickname"), "{without:?}");

    let wrong = login_request(&server, "alice\nwrong-horse");
    assert_eq!(wrong.status, 403, "{wrong:?}");
    assert_eq!(wrong.json().text("error"), "Invalid account name or password.");
    server.expect_log(&["login_failed", "account=alice"]);

    let unknown = login_request(&server, "nobody\nsome-password");
    assert_eq!(unknown.status, 403, "{unknown:?}");
    assert_eq!(unknown.json().text("error"), "nobody is not a registered account.");

    // The right one: a session, logged in, under the nickname (the body's second line, as typed).
    let response = login_request(&server, "alice\ncorrect-horse\r\n");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json().text("nick"), "alice");
    server.expect_log(&["login ", "account=alice", "via=pass"]);

    // Unregistered nicknames still log in without one.
    login(&server, "bob");
}

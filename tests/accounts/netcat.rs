use super::common::{Server, temp_dir};

/// Registers `nick` with `password` and waits for the login.
fn register_account(server: &Server, nick: &str, password: &str) -> super::common::Client {
    let mut client = server.register(nick);
    client.send(&format!("/register {password}"));
    client.expect(&format!("-- Account {nick} registered"));
    client.expect(&format!("-- You are now logged in as {nick}."));
    client
}

#[test]
fn a_registered_nickname_asks_for_its_password_at_the_prompt() {
    let server = Server::start(&[]);
    let mut alice = register_account(&server, "alice", "correct-horse");
    alice.send("/quit");
    alice.expect_closed();

    let mut again = server.connect();
    again.expect("Choose a nickname");
    again.send("Alice");
    again.expect("-- alice is a registered nickname.");
    again.expect("Password for alice (3 tries left");
    again.send("wrong horse");
    again.expect("error: Invalid account name or password.");
    again.expect("Password for alice (2 tries left");
    again.send("correct-horse");
    again.expect("-- You are now logged in as alice.");
    again.expect("You joined #lobby");
    server.expect_log(&["login_failed", "account=alice", "peer=127.0.0.1"]);
    server.expect_log(&["login ", "account=alice", "via=command"]);
    // Passwords never reach the log.
    assert!(!server.log.text().contains("horse"), "{}", server.log.text());
}

#[test]
fn three_wrong_passwords_go_back_to_the_nickname_prompt() {
    let server = Server::start(&[]);
    register_account(&server, "alice", "correct-horse");
    let mut mallory = server.connect();
    mallory.expect("Choose a nickname");
    mallory.send("alice");
    mallory.expect("Password for alice (3 tries left");
    for left in ["2 tries left", "1 try left"] {
        mallory.send("guess guess");
        mallory.expect("error: Invalid account name or password.");
        mallory.expect(left);
    }
    mallory.send("guess guess");
    mallory.expect("error: Invalid account name or password.");
    mallory.expect("Choose a nickname");
    mallory.send("mallory");
    mallory.expect("You joined #lobby");
}

#[test]
fn an_account_survives_a_kill_9() {
    let state = temp_dir("state");
    let state_arg = state.to_str().unwrap();
    let mut server = Server::start(&["--state-dir", state_arg]);
    register_account(&server, "alice", "correct-horse");
    server.signal("KILL");
    server.wait_exit(std::time::Duration::from_secs(10)).expect("chatd did not die");

    let server = Server::start(&["--state-dir", state_arg]);
    server.expect_log(&["accounts ", "accounts=1"]);
    let mut alice = server.connect();
    alice.expect("Choose a nickname");
    alice.send("alice");
    alice.expect("Password for alice");
    alice.send("correct-horse");
    alice.expect("-- You are now logged in as alice.");
}

#[test]
fn identify_password_and_unregister() {
    let server = Server::start(&[]);
    let mut alice = register_account(&server, "alice", "correct-horse");
    alice.send("/password wrong-old new-password");
    alice.expect("error: Invalid account name or password.");
    alice.send("/password correct-horse battery staple");
    alice.expect("error: wrong arguments for /password");
    alice.send("/password correct-horse battery-staple");
    alice.expect("-- Password of alice changed.");
    let mut bob = server.register("bob");
    bob.send("/identify alice battery");
    bob.expect("error: Invalid account name or password.");
    bob.send("/register short");
    bob.expect("error: A password must be 8 to 512 bytes long.");
    bob.send("/register bobs-password");
    bob.expect("-- You are now logged in as bob.");
    bob.send("/password bobs-password bobs-new-password");
    bob.expect("-- Password of bob changed.");
    bob.send("/unregister bobs-password");
    bob.expect("error: Invalid account name or password.");
    bob.send("/unregister bobs-new-password");
    bob.expect("-- You are no longer logged in.");
    bob.expect("-- Account bob deleted");
    // Bob's nickname is nobody's now: a newcomer taking it after he leaves is not asked.
    bob.send("/quit");
    bob.expect_closed();
    let mut other = server.connect();
    other.expect("Choose a nickname");
    other.send("bob");
    other.expect("You joined #lobby");
}

#[test]
fn service_names_are_reserved() {
    let server = Server::start(&[]);
    let mut client = server.connect();
    client.expect("Choose a nickname");
    client.send("NickServ");
    client.expect("error: the nickname NickServ is reserved for services");
}

#[test]
fn closed_registration_refuses_self_registration() {
    let server = Server::start(&["--registration", "closed"]);
    let mut alice = server.register("alice");
    alice.send("/register correct-horse");
    alice.expect("error: Registration is closed on this server.");
}

//! Accounts from IRC: SASL PLAIN (IRCv3 sasl-3.1/3.2), `PASS account:password`, the NickServ
//! service, and the account capabilities (WHOIS 330, `account-notify`, `extended-join`,
//! `account-tag`). Exact lines; "nothing else" is a PING whose PONG must come next. The helpers
//! and the SASL and `PASS` logins are here; `nickserv` and `capabilities` hold the rest.

use super::common::irc::{self, expect_exact, next, num, send, settle, start};
use super::common::{Client, Dialect, Server};

mod capabilities;
mod nickserv;

/// `CAP LS 302` as chatd answers it.
pub(super) const CAP_LS: &str = ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names";

/// A notice from the service to `nick`.
pub(super) fn ns(nick: &str, text: &str) -> String {
    format!(":NickServ!NickServ@services. NOTICE {nick} :{text}")
}

/// RPL_LOGGEDIN (900) for `nick`, connected from the tests' address with user `~u`.
pub(super) fn logged_in(nick: &str, account: &str) -> String {
    num("900", nick, &format!("{nick}!~u@127.0.0.1 {account} :You are now logged in as {account}"))
}

/// What an unidentified holder of a registered nickname is told.
pub(super) fn identify_within(nick: &str) -> String {
    ns(
        nick,
        "This nickname is registered. Identify with /msg NickServ IDENTIFY <password> within 60 seconds, or you \
         will be renamed.",
    )
}

/// Standard base64 with padding (RFC 4648 4), as clients encode SASL responses.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let bits = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A SASL PLAIN response (RFC 4616), encoded.
pub(super) fn plain(authzid: &str, authcid: &str, password: &str) -> String {
    base64(format!("{authzid}\0{authcid}\0{password}").as_bytes())
}

#[test]
fn the_test_encoder_is_rfc_4648_base64() {
    for (text, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
        assert_eq!(base64(text.as_bytes()), encoded);
    }
}

/// Fails the test if the server's log holds any of `secrets` (passwords, or SASL responses
/// that encode them).
pub(super) fn assert_not_logged(server: &Server, secrets: &[&str]) {
    let log = server.log.text();
    for secret in secrets {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}

/// An IRC client that registered as `nick` and then the account `nick` with NickServ.
pub(super) fn register_account(server: &Server, nick: &str, password: &str) -> Client {
    let mut client = irc::register(server, nick);
    send(&mut client, &format!("PRIVMSG NickServ :REGISTER {password}"));
    expect_exact(&mut client, &ns(nick, &format!("Account {nick} registered: the nickname {nick} is yours.")));
    expect_exact(&mut client, &logged_in(nick, nick));
    expect_exact(&mut client, &ns(nick, &format!("You are now identified for {nick}.")));
    client
}

/// A client that sent `CAP LS 302`, `NICK nick` and `USER` and enabled `sasl`: registration
/// waits for its `CAP END`.
pub(super) fn sasl_client(server: &Server, nick: &str) -> Client {
    let mut client = server.connect();
    client.dialect = Dialect::Irc;
    send(&mut client, "CAP LS 302");
    send(&mut client, &format!("NICK {nick}"));
    send(&mut client, "USER u 0 * :Real Name");
    expect_exact(&mut client, CAP_LS);
    send(&mut client, "CAP REQ :sasl");
    expect_exact(&mut client, &format!(":irc.test CAP {nick} ACK sasl"));
    client
}

/// The welcome (001) must be the very next line; reads on to the end of the MOTD.
pub(super) fn expect_welcome(client: &mut Client, nick: &str) {
    expect_exact(client, &num("001", nick, &format!(":Welcome to the chatd IRC network {nick}!~u@127.0.0.1")));
    client.expect(&num("376", nick, ":End of /MOTD command."));
}

/// `WHOIS nick` from `client` (known as `me`): returns the account its 330 names, if any.
pub(super) fn whois_account(client: &mut Client, me: &str, nick: &str) -> Option<String> {
    send(client, &format!("WHOIS {nick}"));
    let end = num("318", me, &format!("{nick} :End of /WHOIS list"));
    let prefix = num("330", me, &format!("{nick} "));
    let mut account = None;
    loop {
        let line = next(client);
        if line == end {
            return account;
        }
        if let Some(rest) = line.strip_prefix(&prefix) {
            let (name, text) = rest.split_once(' ').unwrap_or_else(|| panic!("bad 330: {line:?}"));
            assert_eq!(text, ":is logged in as", "{line:?}");
            account = Some(name.to_string());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SASL PLAIN
// ---------------------------------------------------------------------------------------------

#[test]
fn sasl_plain_logs_in_before_registration_and_a_second_exchange_gets_907() {
    let server = start(&[]);
    server.add_account("alice", "correct-horse");
    let mut alice = sasl_client(&server, "alice");
    send(&mut alice, "AUTHENTICATE PLAIN");
    expect_exact(&mut alice, "AUTHENTICATE +");
    send(&mut alice, &format!("AUTHENTICATE {}", plain("", "alice", "correct-horse")));
    expect_exact(&mut alice, &logged_in("alice", "alice"));
    expect_exact(&mut alice, &num("903", "alice", ":SASL authentication successful"));
    send(&mut alice, "CAP END");
    expect_welcome(&mut alice, "alice");
    // Her own nickname: no notice to identify.
    settle(&mut alice, "welcomed");
    server.expect_log(&["login ", "account=alice", "via=sasl"]);
    assert_eq!(whois_account(&mut alice, "alice", "alice").as_deref(), Some("alice"));

    // A second exchange once logged in is refused with 907 at its start, before the client
    // sends its password again (chatd has no sasl-3.2 reauthentication).
    send(&mut alice, "AUTHENTICATE PLAIN");
    expect_exact(&mut alice, &num("907", "alice", ":You have already authenticated using SASL"));
    settle(&mut alice, "refused");
    // A response sent anyway starts nothing: no exchange is open.
    send(&mut alice, &format!("AUTHENTICATE {}", plain("alice", "alice", "correct-horse")));
    expect_exact(&mut alice, &num("907", "alice", ":You have already authenticated using SASL"));
    settle(&mut alice, "refused-again");
    assert_not_logged(&server, &["correct-horse", &plain("", "alice", "correct-horse")]);
}

/// labeled-response for a line whose answer waits for the password check: the label goes on the
/// answer when it comes (900 and 903 in one labeled batch), and what reaches the client
/// meanwhile is not part of it.
#[test]
fn a_labeled_login_is_answered_with_its_label_when_the_check_is_done() {
    let server = start(&[]);
    server.add_account("alice", "correct-horse");
    let mut alice = server.connect();
    alice.dialect = Dialect::Irc;
    send(&mut alice, "CAP LS 302");
    send(&mut alice, "NICK alice");
    send(&mut alice, "USER u 0 * :Real Name");
    expect_exact(&mut alice, CAP_LS);
    send(&mut alice, "CAP REQ :sasl labeled-response batch");
    expect_exact(&mut alice, ":irc.test CAP alice ACK :sasl labeled-response batch");
    send(&mut alice, "@label=a1 AUTHENTICATE PLAIN");
    expect_exact(&mut alice, "@label=a1 AUTHENTICATE +");
    send(&mut alice, &format!("@label=a2 AUTHENTICATE {}", plain("", "alice", "correct-horse")));
    expect_exact(&mut alice, "@label=a2 :irc.test BATCH +l1 labeled-response");
    expect_exact(&mut alice, &format!("@batch=l1 {}", logged_in("alice", "alice")));
    expect_exact(&mut alice, &format!("@batch=l1 {}", num("903", "alice", ":SASL authentication successful")));
    expect_exact(&mut alice, ":irc.test BATCH -l1");
    // Labeled too: the refusal of a second exchange, and a NickServ login's wrong password.
    send(&mut alice, "@label=a3 AUTHENTICATE PLAIN");
    expect_exact(
        &mut alice,
        &format!("@label=a3 {}", num("907", "alice", ":You have already authenticated using SASL")),
    );
    send(&mut alice, "CAP END");
    expect_welcome(&mut alice, "alice");
    settle(&mut alice, "welcomed");

    // bob, not logged in, identifies with a label while alice talks to him: her message
    // arrives on its own, before or after the labeled answer, never inside it.
    server.add_account("bob", "battery-staple");
    let mut bob = irc::register_with(&server, "bobby", "labeled-response batch");
    send(&mut bob, "@label=n1 PRIVMSG NickServ :IDENTIFY bob wrong-password");
    send(&mut alice, "PRIVMSG bobby :in the meantime");
    let refused = ns("bobby", "Invalid account name or password.");
    let mut answered = false;
    let mut heard = false;
    while !(answered && heard) {
        let line = next(&mut bob);
        if line == ":alice!~u@127.0.0.1 PRIVMSG bobby :in the meantime" {
            heard = true;
        } else if line.starts_with("@label=n1 ") {
            assert_eq!(line, format!("@label=n1 {refused}"), "{:?}", bob.received);
            answered = true;
        } else {
            panic!("unexpected line {line:?}; received: {:?}", bob.received);
        }
    }
    // And the next line's own label is answered in turn.
    send(&mut bob, "@label=n2 PING :after");
    expect_exact(&mut bob, "@label=n2 :irc.test PONG irc.test after");
    assert_not_logged(&server, &["correct-horse", "wrong-password"]);
}

#[test]
fn sasl_failures_get_904_905_906_and_908_and_registration_goes_on_without_a_login() {
    let server = start(&[]);
    register_account(&server, "alice", "correct-horse");
    let mut mallory = server.connect();
    mallory.dialect = Dialect::Irc;
    send(&mut mallory, "CAP LS 302");
    send(&mut mallory, "NICK mallory");
    send(&mut mallory, "USER u 0 * :Real Name");
    expect_exact(&mut mallory, CAP_LS);
    let failed = num("904", "mallory", ":SASL authentication failed");
    // sasl-3.1: only once the capability is enabled.
    send(&mut mallory, "AUTHENTICATE PLAIN");
    expect_exact(&mut mallory, &failed);
    send(&mut mallory, "CAP REQ :sasl");
    expect_exact(&mut mallory, ":irc.test CAP mallory ACK sasl");

    let exchange = |client: &mut Client, payload: &str| {
        send(client, "AUTHENTICATE PLAIN");
        expect_exact(client, "AUTHENTICATE +");
        send(client, &format!("AUTHENTICATE {payload}"));
    };
    // A wrong password, an unknown account, another authorization identity, bad base64, and a
    // response that is not three fields: each 904.
    for payload in [
        plain("", "alice", "wrong-horse"),
        plain("", "nobody", "correct-horse"),
        plain("mallory", "alice", "correct-horse"),
        "not*base64".to_string(),
        base64(b"alice\0correct-horse"),
    ] {
        exchange(&mut mallory, &payload);
        expect_exact(&mut mallory, &failed);
    }
    server.expect_log(&["login_failed", "account=alice", "peer=127.0.0.1"]);

    // Aborted by the client.
    send(&mut mallory, "AUTHENTICATE PLAIN");
    expect_exact(&mut mallory, "AUTHENTICATE +");
    send(&mut mallory, "AUTHENTICATE *");
    expect_exact(&mut mallory, &num("906", "mallory", ":SASL authentication aborted"));
    // A mechanism chatd does not offer: the list, then the failure.
    send(&mut mallory, "AUTHENTICATE SCRAM-SHA-256");
    expect_exact(&mut mallory, &num("908", "mallory", "PLAIN :are available SASL mechanisms"));
    expect_exact(&mut mallory, &failed);
    // A full 400-byte chunk waits for more: nothing is answered until `+` ends the response.
    exchange(&mut mallory, &"A".repeat(400));
    send(&mut mallory, "AUTHENTICATE +");
    expect_exact(&mut mallory, &failed);
    // Too long: a chunk over 400 bytes, or more chunks than any PLAIN response needs.
    let too_long = num("905", "mallory", ":SASL message too long");
    exchange(&mut mallory, &"A".repeat(401));
    expect_exact(&mut mallory, &too_long);
    // Three full chunks are as long as a response may be; a fourth is too much.
    exchange(&mut mallory, &"A".repeat(400));
    for _ in 0..3 {
        send(&mut mallory, &format!("AUTHENTICATE {}", "A".repeat(400)));
    }
    expect_exact(&mut mallory, &too_long);
    // sasl-3.1: `CAP END` in the middle of an exchange aborts it; registration goes on.
    send(&mut mallory, "AUTHENTICATE PLAIN");
    expect_exact(&mut mallory, "AUTHENTICATE +");
    send(&mut mallory, "CAP END");
    expect_exact(&mut mallory, &num("906", "mallory", ":SASL authentication aborted"));
    expect_welcome(&mut mallory, "mallory");
    settle(&mut mallory, "registered");
    assert_eq!(whois_account(&mut mallory, "mallory", "mallory"), None);
    assert_not_logged(&server, &["correct-horse", "wrong-horse", &plain("", "alice", "wrong-horse")]);
}

#[test]
fn a_sasl_response_and_cap_end_in_one_write_register_the_client_logged_in() {
    let server = start(&[]);
    register_account(&server, "alice", "correct-horse");

    // The client does not wait for 903 before `CAP END`: registration waits for the login, so
    // the welcome comes after it.
    let mut phone = sasl_client(&server, "phone");
    send(&mut phone, "AUTHENTICATE PLAIN");
    expect_exact(&mut phone, "AUTHENTICATE +");
    let payload = plain("", "alice", "correct-horse");
    phone.send_raw(format!("AUTHENTICATE {payload}\r\nCAP END\r\n").as_bytes());
    expect_exact(&mut phone, &logged_in("phone", "alice"));
    expect_exact(&mut phone, &num("903", "phone", ":SASL authentication successful"));
    expect_welcome(&mut phone, "phone");
    settle(&mut phone, "registered");
    assert_eq!(whois_account(&mut phone, "phone", "phone").as_deref(), Some("alice"));
    assert_not_logged(&server, &["correct-horse", &payload]);
}

/// Everything in one write, under the account's own nickname: had registration not waited for
/// the login, the owner check at registration would have told the client to identify.
#[test]
fn a_burst_login_to_the_nickname_held_gets_no_notice_to_identify() {
    let server = start(&[]);
    server.add_account("alice", "correct-horse");
    let mut alice = server.connect();
    alice.dialect = Dialect::Irc;
    let payload = plain("", "alice", "correct-horse");
    let lines = [
        "CAP LS 302".to_string(),
        "NICK alice".to_string(),
        "USER u 0 * :Real Name".to_string(),
        "CAP REQ :sasl".to_string(),
        "AUTHENTICATE PLAIN".to_string(),
        format!("AUTHENTICATE {payload}"),
        "CAP END".to_string(),
    ];
    alice.send_raw(lines.iter().map(|l| format!("{l}\r\n")).collect::<String>().as_bytes());
    expect_exact(&mut alice, CAP_LS);
    expect_exact(&mut alice, ":irc.test CAP alice ACK sasl");
    expect_exact(&mut alice, "AUTHENTICATE +");
    expect_exact(&mut alice, &logged_in("alice", "alice"));
    expect_exact(&mut alice, &num("903", "alice", ":SASL authentication successful"));
    expect_welcome(&mut alice, "alice");
    settle(&mut alice, "no-notice");
    assert_not_logged(&server, &["correct-horse", &payload]);
}

/// irssi's order: no `NICK` or `USER` until `CAP END`, so 900 comes before either.
#[test]
fn a_sasl_login_before_nick_and_user_shows_what_is_known_in_900() {
    let server = start(&[]);
    server.add_account("alice", "correct-horse");
    let mut client = server.connect();
    client.dialect = Dialect::Irc;
    send(&mut client, "CAP LS 302");
    expect_exact(&mut client, CAP_LS);
    send(&mut client, "CAP REQ :sasl");
    expect_exact(&mut client, ":irc.test CAP * ACK sasl");
    send(&mut client, "AUTHENTICATE PLAIN");
    expect_exact(&mut client, "AUTHENTICATE +");
    send(&mut client, &format!("AUTHENTICATE {}", plain("alice", "alice", "correct-horse")));
    expect_exact(&mut client, &num("900", "*", "*!*@127.0.0.1 alice :You are now logged in as alice"));
    expect_exact(&mut client, &num("903", "*", ":SASL authentication successful"));
    send(&mut client, "CAP END");
    send(&mut client, "NICK alice");
    send(&mut client, "USER u 0 * :Real Name");
    expect_welcome(&mut client, "alice");
    settle(&mut client, "registered");
}

// ---------------------------------------------------------------------------------------------
// PASS at registration
// ---------------------------------------------------------------------------------------------

/// Connects and registers with `PASS pass`, `NICK nick` and `USER` (no capability negotiation),
/// reading to the end of the MOTD.
pub(super) fn register_with_pass(server: &Server, pass: &str, nick: &str) -> Client {
    let mut client = server.connect();
    client.dialect = Dialect::Irc;
    send(&mut client, &format!("PASS {pass}"));
    send(&mut client, &format!("NICK {nick}"));
    send(&mut client, "USER u 0 * :Real Name");
    expect_welcome(&mut client, nick);
    client
}

#[test]
fn pass_account_password_logs_in_after_registration() {
    let server = start(&[]);
    let mut owner = register_account(&server, "alice", "correct-horse");
    send(&mut owner, "QUIT");
    owner.expect_closed();

    let mut alice = register_with_pass(&server, "alice:correct-horse", "alice");
    expect_exact(&mut alice, &logged_in("alice", "alice"));
    settle(&mut alice, "pass");
    server.expect_log(&["login ", "account=alice", "via=pass"]);
    assert_eq!(whois_account(&mut alice, "alice", "alice").as_deref(), Some("alice"));

    // Under another nickname; and a bare password for the nickname's own account.
    let mut other = register_with_pass(&server, "alice:correct-horse", "laptop");
    expect_exact(&mut other, &logged_in("laptop", "alice"));
    settle(&mut other, "other");
    send(&mut alice, "QUIT");
    alice.expect_closed();
    let mut bare = register_with_pass(&server, "correct-horse", "alice");
    expect_exact(&mut bare, &logged_in("alice", "alice"));
    settle(&mut bare, "bare");
    assert_not_logged(&server, &["correct-horse"]);
}

#[test]
fn a_wrong_pass_is_told_and_a_holder_of_the_nickname_must_identify() {
    let server = start(&[]);
    let mut owner = register_account(&server, "alice", "correct-horse");
    send(&mut owner, "QUIT");
    owner.expect_closed();

    let mut holder = register_with_pass(&server, "alice:wrong-horse", "alice");
    expect_exact(&mut holder, &ns("alice", "Invalid account name or password."));
    expect_exact(&mut holder, &identify_within("alice"));
    settle(&mut holder, "told");
    server.expect_log(&["login_failed", "account=alice", "peer=127.0.0.1"]);

    let mut dave = register_with_pass(&server, "alice:wrong-horse", "dave");
    expect_exact(&mut dave, &ns("dave", "Invalid account name or password."));
    settle(&mut dave, "told");
    // A password that names no account is a server password, which chatd has none of: ignored.
    let mut erin = register_with_pass(&server, "server-secret", "erin");
    settle(&mut erin, "ignored");
    assert_eq!(whois_account(&mut erin, "erin", "erin"), None);

    // The holder identifies in time and keeps the nickname.
    send(&mut holder, "PRIVMSG NickServ :IDENTIFY correct-horse");
    expect_exact(&mut holder, &logged_in("alice", "alice"));
    expect_exact(&mut holder, &ns("alice", "You are now identified for alice."));
    settle(&mut holder, "identified");
    assert_not_logged(&server, &["correct-horse", "wrong-horse", "server-secret"]);
}

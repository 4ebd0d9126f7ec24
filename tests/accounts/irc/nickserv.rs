//! The NickServ service from IRC: registering, identifying, changing and dropping an account, its
//! help and information, REGAIN, what never reaches a person, and reserved nicknames.

use super::{
    assert_not_logged, expect_welcome, identify_within, logged_in, ns, plain, register_account, sasl_client,
    whois_account,
};
use crate::common::Dialect;
use crate::common::irc::{self, expect_exact, lines_until_pong, next, num, send, settle, start};
use crate::common::time::{now_millis, parse_timestamp};

#[test]
fn min_password_sets_the_shortest_password_a_user_may_choose() {
    let server = start(&["--min-password", "6"]);
    let mut alice = irc::register(&server, "alice");
    send(&mut alice, "PRIVMSG NickServ :REGISTER short");
    expect_exact(&mut alice, &ns("alice", "A password must be 6 to 512 bytes long."));
    send(&mut alice, "PRIVMSG NickServ :REGISTER sesame");
    expect_exact(&mut alice, &ns("alice", "Account alice registered: the nickname alice is yours."));
    expect_exact(&mut alice, &logged_in("alice", "alice"));
    expect_exact(&mut alice, &ns("alice", "You are now identified for alice."));
    send(&mut alice, "PRIVMSG NickServ :SET PASSWORD five5");
    expect_exact(&mut alice, &ns("alice", "A password must be 6 to 512 bytes long."));
    // And SASL logs in with it.
    let mut again = sasl_client(&server, "alice2");
    send(&mut again, "AUTHENTICATE PLAIN");
    expect_exact(&mut again, "AUTHENTICATE +");
    send(&mut again, &format!("AUTHENTICATE {}", plain("", "alice", "sesame")));
    expect_exact(&mut again, &logged_in("alice2", "alice"));
    expect_exact(&mut again, &num("903", "alice2", ":SASL authentication successful"));
}

#[test]
fn nickserv_register_identify_set_password_and_drop() {
    let server = start(&[]);
    let mut alice = irc::register(&server, "alice");
    send(&mut alice, "PRIVMSG NickServ :REGISTER short");
    expect_exact(&mut alice, &ns("alice", "A password must be 8 to 512 bytes long."));
    send(&mut alice, "PRIVMSG NickServ :REGISTER correct-horse alice@example.org");
    expect_exact(&mut alice, &ns("alice", "Account alice registered: the nickname alice is yours."));
    expect_exact(&mut alice, &logged_in("alice", "alice"));
    expect_exact(&mut alice, &ns("alice", "You are now identified for alice."));
    server.expect_log(&["account_registered", "account=alice"]);
    send(&mut alice, "PRIVMSG NickServ :IDENTIFY correct-horse");
    expect_exact(&mut alice, &ns("alice", "You are already logged in as alice."));
    send(&mut alice, "PRIVMSG NickServ :SET PASSWORD battery-staple");
    expect_exact(&mut alice, &ns("alice", "The password of alice was changed."));
    server.expect_log(&["password_changed", "account=alice"]);

    // Another client logs in to alice by name, in each of the three forms.
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "PRIVMSG NickServ :IDENTIFY alice correct-horse");
    expect_exact(&mut bob, &ns("bob", "Invalid account name or password."));
    send(&mut bob, "NS IDENTIFY alice battery-staple");
    expect_exact(&mut bob, &logged_in("bob", "alice"));
    expect_exact(&mut bob, &ns("bob", "You are now identified for alice."));
    send(&mut bob, "NICKSERV IDENTIFY alice battery-staple");
    expect_exact(&mut bob, &ns("bob", "You are already logged in as alice."));
    assert_eq!(whois_account(&mut bob, "bob", "bob").as_deref(), Some("alice"));

    // DROP: the password must be right; every session of the account is logged out.
    send(&mut alice, "PRIVMSG NickServ :DROP correct-horse");
    expect_exact(&mut alice, &ns("alice", "Invalid account name or password."));
    send(&mut alice, "PRIVMSG NickServ :DROP battery-staple");
    expect_exact(&mut alice, &num("901", "alice", "alice!~u@127.0.0.1 :You are now logged out"));
    expect_exact(&mut alice, &ns("alice", "Account alice dropped: the nickname alice is free for anyone."));
    expect_exact(&mut bob, &num("901", "bob", "bob!~u@127.0.0.1 :You are now logged out"));
    server.expect_log(&["account_deleted", "account=alice"]);
    send(&mut bob, "NS IDENTIFY alice battery-staple");
    expect_exact(&mut bob, &ns("bob", "alice is not a registered account."));
    // Commands that need a login.
    for command in ["SET PASSWORD another-one", "DROP battery-staple"] {
        send(&mut bob, &format!("PRIVMSG NickServ :{command}"));
        expect_exact(&mut bob, &ns("bob", "You are not logged in."));
    }
    settle(&mut alice, "dropped");
    assert_not_logged(&server, &["correct-horse", "battery-staple", "another-one"]);
}

#[test]
fn nickserv_help_info_and_what_it_does_not_know() {
    let server = start(&[]);
    let started = now_millis();
    let mut alice = register_account(&server, "alice", "correct-horse");
    let help = [
        "NickServ keeps registered nicknames for their owners. Commands:",
        "REGISTER  <password> [email]       Registers your current nickname as an account (the email is not kept).",
        "IDENTIFY  [account] <password>     Logs you in to your nickname's account, or to the one named.",
        "REGAIN    <nickname> [password]    Takes your registered nickname back from whoever holds it.",
        "SET       PASSWORD <new-password>  Changes the password of the account you are logged in to.",
        "DROP      <password>               Deletes the account you are logged in to; its nickname becomes free.",
        "INFO      [account]                Shows what is known of an account (yours by default).",
        "HELP      [command]                Shows this list, or how to use a command.",
        "Send them with /msg NickServ COMMAND ... (or /ns COMMAND ...).",
    ];
    for command in ["PRIVMSG NickServ :HELP", "NS HELP", "NICKSERV", "PRIVMSG nickserv@irc.test :help"] {
        send(&mut alice, command);
        for line in help {
            expect_exact(&mut alice, &ns("alice", line));
        }
    }
    send(&mut alice, "PRIVMSG NickServ :HELP ghost");
    expect_exact(&mut alice, &ns("alice", "Usage: /msg NickServ REGAIN <nickname> [password]"));
    expect_exact(&mut alice, &ns("alice", "Takes your registered nickname back from whoever holds it."));
    expect_exact(&mut alice, &ns("alice", "Also known as: RECOVER, GHOST"));
    // A known command with the wrong arguments shows its usage; an unknown one says so.
    send(&mut alice, "PRIVMSG NickServ :IDENTIFY");
    expect_exact(&mut alice, &ns("alice", "Usage: /msg NickServ IDENTIFY [account] <password>"));
    expect_exact(&mut alice, &ns("alice", "Logs you in to your nickname's account, or to the one named."));
    send(&mut alice, "PRIVMSG NickServ :FROB x");
    expect_exact(&mut alice, &ns("alice", "No such command: FROB. /msg NickServ HELP lists them."));
    // A NOTICE is never answered.
    send(&mut alice, "NOTICE NickServ :HELP");
    settle(&mut alice, "notice");

    let mut bob = irc::register(&server, "bob");
    for (command, status) in [("INFO alice", "online"), ("INFO ALICE", "online")] {
        send(&mut bob, &format!("PRIVMSG NickServ :{command}"));
        expect_exact(&mut bob, &ns("bob", "Information on alice:"));
        let registered = next(&mut bob);
        let when = registered
            .strip_prefix(&ns("bob", "Registered: "))
            .and_then(|rest| rest.strip_suffix(" UTC"))
            .unwrap_or_else(|| panic!("{registered:?}"));
        let millis = parse_timestamp(&format!("{}.999Z", when.replacen(' ', "T", 1))).unwrap();
        assert!(millis >= started && millis <= now_millis() + 1000, "{registered:?}");
        expect_exact(&mut bob, &ns("bob", &format!("Status: {status}")));
    }
    send(&mut alice, "QUIT");
    alice.expect_closed();
    send(&mut bob, "NS INFO alice");
    expect_exact(&mut bob, &ns("bob", "Information on alice:"));
    next(&mut bob);
    expect_exact(&mut bob, &ns("bob", "Status: offline"));
    send(&mut bob, "NS INFO nobody");
    expect_exact(&mut bob, &ns("bob", "nobody is not a registered account."));
    // INFO without a name: bob's own nickname, which is nobody's account.
    send(&mut bob, "NS INFO");
    expect_exact(&mut bob, &ns("bob", "bob is not a registered account."));
}

#[test]
fn what_is_sent_to_nickserv_and_a_person_at_once_reaches_only_nickserv() {
    let server = start(&[]);
    let mut owner = register_account(&server, "alice", "correct-horse");
    send(&mut owner, "QUIT");
    owner.expect_closed();
    let mut bob = irc::register(&server, "bob");
    let mut mallory = irc::register(&server, "mallory");
    send(&mut mallory, "PRIVMSG bob,NickServ :IDENTIFY alice correct-horse");
    expect_exact(&mut mallory, &logged_in("mallory", "alice"));
    expect_exact(&mut mallory, &ns("mallory", "You are now identified for alice."));
    send(&mut mallory, "PRIVMSG NickServ@services.,bob :HELP");
    mallory.expect(&ns("mallory", "Send them with /msg NickServ COMMAND"));
    send(&mut mallory, "NOTICE bob,NickServ :IDENTIFY correct-horse");
    settle(&mut mallory, "sent");
    bob.expect_nothing_before_round_trip();
    // Nobody can be NickServ to harvest what clients send it.
    send(&mut bob, "NICK NickServ");
    expect_exact(&mut bob, &num("432", "bob", "NickServ :Erroneous nickname: reserved for services"));
    send(&mut bob, "NICK chanserv");
    expect_exact(&mut bob, &num("432", "bob", "chanserv :Erroneous nickname: reserved for services"));
    let mut early = server.connect();
    early.dialect = Dialect::Irc;
    send(&mut early, "NICK nickserv");
    expect_exact(&mut early, &num("432", "*", "nickserv :Erroneous nickname: reserved for services"));
    send(&mut early, "NICK early");
    send(&mut early, "USER u 0 * :Real Name");
    expect_welcome(&mut early, "early");
    assert_not_logged(&server, &["correct-horse"]);
}

#[test]
fn an_unidentified_holder_is_told_and_regain_renames_it_to_a_guest() {
    let server = start(&[]);
    let mut owner = register_account(&server, "alice", "correct-horse");
    send(&mut owner, "QUIT");
    owner.expect_closed();

    // Someone else takes the nickname: allowed, but told to identify.
    let mut eve = irc::register(&server, "alice");
    expect_exact(&mut eve, &identify_within("alice"));
    settle(&mut eve, "warned");
    irc::join(&mut eve, "alice", "#room");
    let mut olga = irc::in_rooms(&server, "olga", &["#room"]);
    expect_exact(&mut eve, ":olga!~u@127.0.0.1 JOIN #room");

    // The owner comes back under another nickname and takes it back.
    let mut back = irc::register(&server, "back");
    send(&mut back, "PRIVMSG NickServ :REGAIN alice wrong-horse");
    expect_exact(&mut back, &ns("back", "Invalid account name or password."));
    send(&mut back, "PRIVMSG NickServ :REGAIN alice correct-horse");
    let renamed = eve.expect(":alice!~u@127.0.0.1 NICK Guest");
    let guest = renamed.rsplit(' ').next().unwrap().to_string();
    expect_exact(&mut eve, &ns(&guest, "alice is registered to somebody else: you were renamed."));
    expect_exact(&mut olga, &renamed);
    server.expect_log(&["guest_renamed", "old=alice", &format!("new={guest}")]);
    let lines = lines_until_pong(&mut back, "regained");
    assert!(lines.contains(&":back!~u@127.0.0.1 NICK alice".to_string()), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with(":irc.test 900 ") && l.ends_with(" alice :You are now logged in as alice"))
    );
    assert_eq!(whois_account(&mut olga, "olga", "alice").as_deref(), Some("alice"));
    assert_eq!(whois_account(&mut olga, "olga", &guest), None);

    // A stale session of the same account is renamed as well, by a session logged in already.
    let mut phone = sasl_client(&server, "phone");
    send(&mut phone, "AUTHENTICATE PLAIN");
    expect_exact(&mut phone, "AUTHENTICATE +");
    send(&mut phone, &format!("AUTHENTICATE {}", plain("", "alice", "correct-horse")));
    phone.expect(&num("903", "phone", ":SASL authentication successful"));
    send(&mut phone, "CAP END");
    expect_welcome(&mut phone, "phone");
    send(&mut phone, "NS REGAIN alice");
    expect_exact(&mut phone, ":phone!~u@127.0.0.1 NICK alice");
    back.expect(":alice!~u@127.0.0.1 NICK Guest");
    // Regaining a nickname that is no account's, or without being logged in to it.
    send(&mut olga, "NS REGAIN nobody");
    expect_exact(&mut olga, &ns("olga", "nobody is not a registered account."));
    send(&mut olga, "NS REGAIN alice");
    expect_exact(&mut olga, &ns("olga", "You are not logged in."));
    assert_not_logged(&server, &["correct-horse", "wrong-horse"]);
}

/// Every numeric and notice addressed to a client names the nickname the client has when it
/// reads the line (the one given by 001 and the `NICK` lines before it).
fn assert_addressed_to_current_nick(first: &str, lines: &[String]) {
    let mut current = first.to_string();
    for line in lines {
        let words: Vec<&str> = line.splitn(4, ' ').collect();
        if let [source, "NICK", new, ..] = words.as_slice()
            && source.strip_prefix(':').and_then(|s| s.split('!').next()) == Some(current.as_str())
        {
            current = new.trim_start_matches(':').to_string();
            continue;
        }
        let addressed = match words.as_slice() {
            [":irc.test", code, target, ..] if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
                Some(*target)
            }
            [_, "NOTICE", target, ..] => Some(*target),
            _ => None,
        };
        if let Some(target) = addressed {
            assert_eq!(target, current, "{line:?} reached a client known as {current}; all lines:\n{lines:#?}");
        }
    }
}

#[test]
fn a_regain_tells_the_login_under_the_nickname_the_client_has_then() {
    let server = start(&[]);
    let mut owner = register_account(&server, "alice", "correct-horse");
    send(&mut owner, "QUIT");
    owner.expect_closed();
    let mut eve = irc::register(&server, "alice");
    expect_exact(&mut eve, &identify_within("alice"));
    let mut back = irc::register(&server, "back");
    send(&mut back, "PRIVMSG NickServ :REGAIN alice correct-horse");
    back.expect(":back!~u@127.0.0.1 NICK alice");
    let mut lines = back.received.clone();
    lines.extend(lines_until_pong(&mut back, "regained"));
    assert_addressed_to_current_nick("back", &lines);
}

#[test]
fn an_account_an_operator_creates_tells_the_irc_holder_of_its_nickname() {
    let server = start(&[]);
    let mut alice = irc::register(&server, "alice");
    settle(&mut alice, "free");
    server.add_account("alice", "correct-horse");
    expect_exact(&mut alice, &identify_within("alice"));
    send(&mut alice, "NS IDENTIFY correct-horse");
    expect_exact(&mut alice, &logged_in("alice", "alice"));
    expect_exact(&mut alice, &ns("alice", "You are now identified for alice."));
    settle(&mut alice, "identified");
    assert_not_logged(&server, &["correct-horse"]);
}

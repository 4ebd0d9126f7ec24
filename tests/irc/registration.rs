//! Registration: capability negotiation, the welcome burst, NICK errors and what is refused
//! before and after registering.

use crate::common::irc::{self, VERSION, expect_exact, next, num, send, settle, start};

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

#[test]
fn cap_negotiation_holds_registration_until_cap_end_then_welcome_is_001_to_005_lusers_and_motd() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "CAP LS 302");
    expect_exact(
        &mut bob,
        ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names",
    );
    send(&mut bob, "NICK bob");
    send(&mut bob, "USER u 0 * :Real Name");
    // NICK and USER are both there, but the client is still negotiating: no 001 yet.
    settle(&mut bob, "held");
    send(&mut bob, "CAP END");
    expect_exact(&mut bob, &num("001", "bob", ":Welcome to the chatd IRC network bob!~u@127.0.0.1"));
    expect_exact(&mut bob, &num("002", "bob", &format!(":Your host is irc.test, running version {VERSION}")));
    let created = next(&mut bob);
    let stamp = created
        .strip_prefix(":irc.test 003 bob :This server was created ")
        .unwrap_or_else(|| panic!("bad 003: {created:?}"));
    // 2024-01-02T03:04:05.678Z
    let b = stamp.as_bytes();
    assert!(
        b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z',
        "bad timestamp in {created:?}"
    );
    expect_exact(&mut bob, &num("004", "bob", &format!("irc.test {VERSION} iow Ibeiklmnopstv Ibeklov")));
    let isupport = next(&mut bob);
    assert!(isupport.split(' ').any(|token| token == "CASEMAPPING=ascii"), "{isupport:?}");
    assert!(isupport.ends_with(" :are supported by this server"), "{isupport:?}");
    assert_eq!(
        isupport,
        ":irc.test 005 bob CASEMAPPING=ascii CHANTYPES=# CHANNELLEN=50 NICKLEN=20 TOPICLEN=300 AWAYLEN=200 \
         CHANLIMIT=#:20 PREFIX=(ov)@+ CHANMODES=beI,k,l,imnpst MODES=6 \
         TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:4,PART:4,NAMES:4,KICK:4,WHOWAS:4 NETWORK=chatd EXCEPTS=e \
         :are supported by this server"
    );
    expect_exact(
        &mut bob,
        &num(
            "005",
            "bob",
            "INVEX=I MAXLIST=b:50,e:50,I:50 STATUSMSG=@+ ELIST=CMNTU UTF8ONLY CHATHISTORY=100 \
             MSGREFTYPES=msgid,timestamp WHOX :are supported by this server",
        ),
    );
    expect_exact(&mut bob, &num("251", "bob", ":There are 0 users and 1 invisible on 1 servers"));
    // The default room always exists; nobody else is connected, so no 253.
    expect_exact(&mut bob, &num("254", "bob", "1 :channels formed"));
    expect_exact(&mut bob, &num("255", "bob", ":I have 1 clients and 0 servers"));
    expect_exact(&mut bob, &num("265", "bob", "1 1 :Current local users 1, max 1"));
    expect_exact(&mut bob, &num("266", "bob", "1 1 :Current global users 1, max 1"));
    expect_exact(&mut bob, &num("375", "bob", ":- irc.test Message of the day - "));
    expect_exact(&mut bob, &num("372", "bob", ":- Welcome to chatd. Netcat users and IRC users share these rooms."));
    expect_exact(&mut bob, &num("372", "bob", ":- Try: /join #lobby"));
    expect_exact(&mut bob, &num("376", "bob", ":End of /MOTD command."));
    // IRC clients are not put into any room: nothing follows the MOTD.
    settle(&mut bob, "after-motd");
    // CAP after registration names the client.
    send(&mut bob, "CAP LS 302");
    expect_exact(
        &mut bob,
        ":irc.test CAP bob LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname userhost-in-names",
    );
}

#[test]
fn cap_subcommands_refuse_a_request_with_an_unknown_capability_whole_and_unknown_ones_get_410() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "CAP LS");
    expect_exact(
        &mut bob,
        ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join invite-notify labeled-response message-tags multi-prefix sasl server-time setname userhost-in-names",
    );
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :");
    // All or nothing: one unknown name refuses the known one with it.
    send(&mut bob, "CAP REQ :multi-prefix example.org/unknown");
    expect_exact(&mut bob, ":irc.test CAP * NAK :multi-prefix example.org/unknown");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :");
    send(&mut bob, "CAP BOGUS");
    expect_exact(&mut bob, &num("410", "*", "BOGUS :Invalid CAP command"));
    send(&mut bob, "CAP");
    expect_exact(&mut bob, &num("461", "*", "CAP :Not enough parameters"));
    send(&mut bob, "NICK bob");
    send(&mut bob, "USER u 0 * :Real Name");
    settle(&mut bob, "still-negotiating");
    // The subcommand is matched in any case.
    send(&mut bob, "cap end");
    expect_exact(&mut bob, &num("001", "bob", ":Welcome to the chatd IRC network bob!~u@127.0.0.1"));
    bob.expect(&num("376", "bob", ":End of /MOTD command."));
}

#[test]
fn registration_without_cap_completes_on_nick_and_user_in_either_order_and_pass_is_accepted() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "NICK bob");
    settle(&mut bob, "nick-only");
    send(&mut bob, "USER u 0 * :Real Name");
    expect_exact(&mut bob, &num("001", "bob", ":Welcome to the chatd IRC network bob!~u@127.0.0.1"));
    bob.expect(&num("376", "bob", ":End of /MOTD command."));

    // PASS first (chatd has no server password, so any is fine), then USER before NICK.
    let mut carol = server.connect();
    send(&mut carol, "PASS secret");
    send(&mut carol, "USER carol_u 0 * :Carol C");
    settle(&mut carol, "no-nick-yet");
    send(&mut carol, "NICK carol");
    expect_exact(&mut carol, &num("001", "carol", ":Welcome to the chatd IRC network carol!~carol_u@127.0.0.1"));
    expect_exact(&mut carol, &num("002", "carol", &format!(":Your host is irc.test, running version {VERSION}")));
    // Two users now; the welcome's LUSERS counts both.
    carol.expect(&num("251", "carol", ":There are 0 users and 2 invisible on 1 servers"));
    expect_exact(&mut carol, &num("254", "carol", "1 :channels formed"));
    expect_exact(&mut carol, &num("255", "carol", ":I have 2 clients and 0 servers"));
    carol.expect(&num("376", "carol", ":End of /MOTD command."));
    settle(&mut carol, "registered");
}

#[test]
fn commands_before_registration_get_451_and_ping_is_answered() {
    let server = start(&[]);
    let mut bob = server.connect();
    // The first word decides the dialect: PING opens an IRC connection too (some clients measure
    // the round trip first), so it is answered at once, with no netcat greeting before it.
    send(&mut bob, "PING :early");
    expect_exact(&mut bob, ":irc.test PONG irc.test early");
    send(&mut bob, "PASS secret");
    for command in ["JOIN #room", "PRIVMSG #room :hi", "NAMES", "LIST", "WHOIS bob", "AWAY :gone", "MOTD"] {
        send(&mut bob, command);
        expect_exact(&mut bob, &num("451", "*", ":You have not registered"));
    }
    send(&mut bob, "FOO bar");
    expect_exact(&mut bob, &num("421", "*", "FOO :Unknown command"));
    // Once a nickname is claimed, numerics name it, even before registration completes.
    send(&mut bob, "NICK bob");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, &num("451", "bob", ":You have not registered"));
    send(&mut bob, "PONG :whatever");
    send(&mut bob, "USER u 0 * :Real Name");
    expect_exact(&mut bob, &num("001", "bob", ":Welcome to the chatd IRC network bob!~u@127.0.0.1"));
    bob.expect(&num("376", "bob", ":End of /MOTD command."));
    send(&mut bob, "PING :late");
    expect_exact(&mut bob, ":irc.test PONG irc.test late");
    // A PING token may be a middle parameter too.
    send(&mut bob, "PING plain");
    expect_exact(&mut bob, ":irc.test PONG irc.test plain");
}

#[test]
fn nick_errors_431_432_433() {
    let server = start(&[]);
    let _alice = server.register("alice");
    let _bob = irc::register(&server, "bob");
    let mut c = server.connect();
    send(&mut c, "NICK");
    expect_exact(&mut c, &num("431", "*", ":No nickname given"));
    send(&mut c, "NICK :");
    expect_exact(&mut c, &num("431", "*", ":No nickname given"));
    send(&mut c, "NICK 1abc");
    expect_exact(
        &mut c,
        &num(
            "432",
            "*",
            "1abc :Erroneous nickname: a nickname must start with a letter or one of _[]{}\\|^` (not '1')",
        ),
    );
    send(&mut c, "NICK a23456789012345678901");
    expect_exact(
        &mut c,
        &num("432", "*", "a23456789012345678901 :Erroneous nickname: a nickname has at most 20 characters"),
    );
    send(&mut c, "NICK bob!x");
    expect_exact(
        &mut c,
        &num(
            "432",
            "*",
            "bob!x :Erroneous nickname: a nickname may only contain letters, digits and -_[]{}\\|^` (not '!')",
        ),
    );
    // Taken by an IRC user, by a netcat user, and in another case.
    send(&mut c, "NICK bob");
    expect_exact(&mut c, &num("433", "*", "bob :Nickname is already in use"));
    send(&mut c, "NICK alice");
    expect_exact(&mut c, &num("433", "*", "alice :Nickname is already in use"));
    send(&mut c, "NICK BoB");
    expect_exact(&mut c, &num("433", "*", "BoB :Nickname is already in use"));
    send(&mut c, "NICK ALICE");
    expect_exact(&mut c, &num("433", "*", "ALICE :Nickname is already in use"));
    // A nickname claimed by a client that has not finished registering is taken too.
    send(&mut c, "NICK carol");
    settle(&mut c, "claimed");
    let mut d = server.connect();
    send(&mut d, "NICK Carol");
    expect_exact(&mut d, &num("433", "*", "Carol :Nickname is already in use"));
    // 20 characters with specials is fine.
    send(&mut d, "NICK [d]2345678901234567_");
    send(&mut d, "USER u 0 * :D");
    expect_exact(
        &mut d,
        &num("001", "[d]2345678901234567_", ":Welcome to the chatd IRC network [d]2345678901234567_!~u@127.0.0.1"),
    );
    d.expect(&num("376", "[d]2345678901234567_", ":End of /MOTD command."));
    // After registration the errors name the client.
    send(&mut d, "NICK alice");
    expect_exact(&mut d, &num("433", "[d]2345678901234567_", "alice :Nickname is already in use"));
    send(&mut d, "NICK");
    expect_exact(&mut d, &num("431", "[d]2345678901234567_", ":No nickname given"));
}

#[test]
fn after_registration_user_and_pass_get_462_and_unknown_commands_get_421() {
    let server = start(&[]);
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "USER u 0 * :Real Name");
    expect_exact(&mut bob, &num("462", "bob", ":You may not reregister"));
    send(&mut bob, "PASS secret");
    expect_exact(&mut bob, &num("462", "bob", ":You may not reregister"));
    send(&mut bob, "FOO");
    expect_exact(&mut bob, &num("421", "bob", "FOO :Unknown command"));
    // Commands are case-insensitive and named in upper case.
    send(&mut bob, "frob a b :c d");
    expect_exact(&mut bob, &num("421", "bob", "FROB :Unknown command"));
    // Known commands missing their parameters.
    for (line, name) in [("JOIN", "JOIN"), ("PART", "PART"), ("PING", "PING"), ("USER a b", "USER"), ("MODE", "MODE")] {
        send(&mut bob, line);
        expect_exact(&mut bob, &num("461", "bob", &format!("{name} :Not enough parameters")));
    }
    settle(&mut bob, "done");
}

mod common;

// The IRC dialect end to end: the real binary, raw IRC lines over real TCP, the exact lines an
// IRC client receives (and, in mixed rooms, the exact lines a netcat user sees).
//
// Waiting is always on a line. "Nothing else arrived" is checked with a PING sent after the fact:
// the server handles one client's lines in order, so the very next line must be its PONG.

use common::irc::{expect_exact, next, num, prefix, send, settle, start};
use common::{Client, LogLines, Server, TIMEOUT, expect_said, netcat_settle};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The version string IRC replies carry.
const VERSION: &str = concat!("chatd-", env!("CARGO_PKG_VERSION"));

/// How long "nothing arrives" is watched for where no PING can be used (netcat clients).
const QUIET: Duration = Duration::from_millis(200);

/// Registers an IRC client the way real clients do (with capability negotiation) and returns
/// it once the end of the MOTD has arrived.
fn irc_register(server: &Server, nick: &str) -> Client {
    let mut client = server.connect();
    send(&mut client, "CAP LS 302");
    send(&mut client, &format!("NICK {nick}"));
    send(&mut client, "USER u 0 * :Real Name");
    send(&mut client, "CAP END");
    client.expect(&num("376", nick, ":End of /MOTD command."));
    client
}

/// `irc_register` and then `JOIN` each of `rooms`, consuming the JOIN echo and names lines.
fn irc_in_rooms(server: &Server, nick: &str, rooms: &[&str]) -> Client {
    let mut client = irc_register(server, nick);
    for room in rooms {
        send(&mut client, &format!("JOIN {room}"));
        expect_exact(&mut client, &format!(":{} JOIN {room}", prefix(nick)));
        client.expect(&num("366", nick, &format!("{room} :End of /NAMES list")));
    }
    client
}

/// Reads lines, answering each `PING irc.test` with a PONG, until a line that is not a PING;
/// returns that line.
fn next_answering_pings(client: &mut Client) -> String {
    loop {
        let line = next(client);
        if line == "PING irc.test" {
            send(client, "PONG :irc.test");
        } else {
            return line;
        }
    }
}

/// A client that keeps raw bytes, for checking CR LF and the 512-byte limit on the wire.
struct Raw {
    stream: TcpStream,
    buffer: Vec<u8>,
    log: Arc<LogLines>,
}

impl Raw {
    fn connect(server: &Server) -> Raw {
        let stream = TcpStream::connect(server.addr).unwrap();
        Raw { stream, buffer: Vec::new(), log: Arc::clone(&server.log) }
    }

    fn send(&mut self, line: &str) {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    }

    /// Reads until a whole line (ended by `\n`) containing `needle` has arrived; returns every
    /// whole line up to and including it, terminators kept.
    fn lines_until(&mut self, needle: &str) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + TIMEOUT;
        let mut lines = Vec::new();
        loop {
            while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let found = String::from_utf8_lossy(&line).contains(needle);
                lines.push(line);
                if found {
                    return lines;
                }
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
                self.fail(&format!("no line with {needle:?} within {TIMEOUT:?}"), &lines)
            };
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.fail(&format!("closed while waiting for {needle:?}"), &lines),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) => self.fail(&format!("read failed: {e}"), &lines),
            }
        }
    }

    fn fail(&self, what: &str, lines: &[Vec<u8>]) -> ! {
        let lines: Vec<String> = lines.iter().map(|l| format!("{:?}", String::from_utf8_lossy(l))).collect();
        panic!("{what}\n--- lines:\n{}\n--- server log:\n{}", lines.join("\n"), self.log.text())
    }
}

/// Every raw line must end in CR LF and be at most 512 bytes with it (RFC 2812 2.3).
fn assert_wire_lines(lines: &[Vec<u8>]) {
    for line in lines {
        let text = String::from_utf8_lossy(line);
        assert!(line.ends_with(b"\r\n"), "line not ended by CR LF: {text:?}");
        assert!(line.len() <= 512, "{} bytes on the wire (limit 512): {text:?}", line.len());
        assert!(!line[..line.len() - 2].contains(&b'\r'), "stray CR inside {text:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

#[test]
fn cap_negotiation_holds_registration_until_cap_end_then_welcome_is_001_to_005_lusers_and_motd() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "CAP LS 302");
    expect_exact(&mut bob, ":irc.test CAP * LS :multi-prefix server-time");
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
    expect_exact(&mut bob, &num("004", "bob", &format!("irc.test {VERSION} io biklmnotv bklov")));
    let isupport = next(&mut bob);
    assert!(isupport.split(' ').any(|token| token == "CASEMAPPING=ascii"), "{isupport:?}");
    assert!(isupport.ends_with(" :are supported by this server"), "{isupport:?}");
    assert_eq!(
        isupport,
        ":irc.test 005 bob CASEMAPPING=ascii CHANTYPES=# CHANNELLEN=50 NICKLEN=20 TOPICLEN=300 AWAYLEN=200 \
         CHANLIMIT=#:20 PREFIX=(ov)@+ CHANMODES=b,k,l,imnt MODES=6 TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:4,PART:4,NAMES:4 \
         NETWORK=chatd :are supported by this server"
    );
    expect_exact(&mut bob, &num("251", "bob", ":There are 1 users and 0 invisible on 1 servers"));
    // The default room always exists; nobody else is connected, so no 253.
    expect_exact(&mut bob, &num("254", "bob", "1 :channels formed"));
    expect_exact(&mut bob, &num("255", "bob", ":I have 1 clients and 0 servers"));
    expect_exact(&mut bob, &num("375", "bob", ":- irc.test Message of the day - "));
    expect_exact(&mut bob, &num("372", "bob", ":- Welcome to chatd. Netcat users and IRC users share these rooms."));
    expect_exact(&mut bob, &num("372", "bob", ":- Try: /join #lobby"));
    expect_exact(&mut bob, &num("376", "bob", ":End of /MOTD command."));
    // IRC clients are not put into any room: nothing follows the MOTD.
    settle(&mut bob, "after-motd");
    // CAP after registration names the client.
    send(&mut bob, "CAP LS 302");
    expect_exact(&mut bob, ":irc.test CAP bob LS :multi-prefix server-time");
}

#[test]
fn cap_subcommands_refuse_a_request_with_an_unknown_capability_whole_and_unknown_ones_get_410() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "CAP LS");
    expect_exact(&mut bob, ":irc.test CAP * LS :multi-prefix server-time");
    send(&mut bob, "CAP LIST");
    expect_exact(&mut bob, ":irc.test CAP * LIST :");
    // All or nothing: one unknown name refuses the known one with it.
    send(&mut bob, "CAP REQ :multi-prefix sasl");
    expect_exact(&mut bob, ":irc.test CAP * NAK :multi-prefix sasl");
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
    carol.expect(&num("251", "carol", ":There are 2 users and 0 invisible on 1 servers"));
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
    let _bob = irc_register(&server, "bob");
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
    let mut bob = irc_register(&server, "bob");
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

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

#[test]
fn join_is_echoed_with_names_and_other_members_see_it() {
    let server = start(&[]);
    let mut alice = irc_register(&server, "alice");
    send(&mut alice, "JOIN #room");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 JOIN #room");
    // Whoever opens a new room is its operator.
    expect_exact(&mut alice, &num("353", "alice", "= #room @alice"));
    expect_exact(&mut alice, &num("366", "alice", "#room :End of /NAMES list"));
    settle(&mut alice, "joined");

    let mut bob = irc_register(&server, "bob");
    // Room names fold case: #ROOM is #room, and keeps the spelling it was created with.
    send(&mut bob, "JOIN #ROOM");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#room :End of /NAMES list"));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    // Joining a room one is already in says nothing.
    send(&mut bob, "JOIN #room");
    settle(&mut bob, "rejoin");
    settle(&mut alice, "quiet");
    // Invalid room names.
    send(&mut bob, "JOIN #a:b");
    expect_exact(&mut bob, &num("403", "bob", "#a:b :No such channel"));
    send(&mut bob, "JOIN #");
    expect_exact(&mut bob, &num("403", "bob", "# :No such channel"));
}

#[test]
fn join_takes_a_comma_list_and_join_0_parts_every_room() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#a", "#b"]);
    let mut bob = irc_register(&server, "bob");
    send(&mut bob, "JOIN #a,#b,#c key1,key2");
    for (room, names) in [("#a", ":@alice bob"), ("#b", ":@alice bob"), ("#c", "@bob")] {
        expect_exact(&mut bob, &format!(":bob!~u@127.0.0.1 JOIN {room}"));
        expect_exact(&mut bob, &num("353", "bob", &format!("= {room} {names}")));
        expect_exact(&mut bob, &num("366", "bob", &format!("{room} :End of /NAMES list")));
    }
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #b");
    send(&mut bob, "JOIN 0");
    for room in ["#a", "#b", "#c"] {
        expect_exact(&mut bob, &format!(":bob!~u@127.0.0.1 PART {room}"));
    }
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #b");
    settle(&mut alice, "parted");
    // bob is in no room now: #c is gone, #a is someone else's.
    send(&mut bob, "NAMES");
    settle(&mut bob, "no-rooms");
    send(&mut bob, "PRIVMSG #a :still here?");
    expect_exact(&mut bob, &num("404", "bob", "#a :Cannot send to channel (join it first)"));
    send(&mut bob, "PRIVMSG #c :gone?");
    expect_exact(&mut bob, &num("401", "bob", "#c :No such nick/channel"));
}

#[test]
fn part_with_a_reason_is_seen_by_others_and_part_of_a_room_not_joined_gets_442() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room", "#other"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut bob, "PART #room :gone fishing");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #room :gone fishing");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PART #room :gone fishing");
    send(&mut bob, "PART #other");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 PART #other");
    send(&mut bob, "PART #room");
    expect_exact(&mut bob, &num("442", "bob", "#room :You're not on that channel"));
    send(&mut bob, "PART #nowhere");
    expect_exact(&mut bob, &num("442", "bob", "#nowhere :You're not on that channel"));
    settle(&mut alice, "one-part-only");
}

#[test]
fn topic_set_is_seen_by_all_members_and_queried_with_332_333_or_331() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut bob, "TOPIC #room");
    expect_exact(&mut bob, &num("331", "bob", "#room :No topic is set"));
    send(&mut alice, "TOPIC #room :all about rust");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #room :all about rust");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 TOPIC #room :all about rust");
    send(&mut bob, "TOPIC #ROOM");
    expect_exact(&mut bob, &num("332", "bob", "#room :all about rust"));
    let whotime = next(&mut bob);
    let secs = whotime
        .strip_prefix(":irc.test 333 bob #room alice!~u@127.0.0.1 ")
        .unwrap_or_else(|| panic!("bad 333: {whotime:?}"));
    assert!(secs.parse::<u64>().is_ok_and(|s| s > 1_600_000_000), "bad set-at in {whotime:?}");
    // A newcomer gets the topic between the JOIN echo and the names.
    let mut carol = irc_register(&server, "carol");
    send(&mut carol, "JOIN #room");
    expect_exact(&mut carol, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut carol, &num("332", "carol", "#room :all about rust"));
    carol.expect_next(":irc.test 333 carol #room alice!~u@127.0.0.1 ");
    expect_exact(&mut carol, &num("353", "carol", "= #room :@alice bob carol"));
    expect_exact(&mut carol, &num("366", "carol", "#room :End of /NAMES list"));
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    // New rooms are +t: only their operator (alice, who opened it) may change the topic.
    send(&mut bob, "TOPIC #room :");
    expect_exact(&mut bob, &num("482", "bob", "#room :You're not channel operator"));
    // Clearing it.
    send(&mut alice, "TOPIC #room :");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #room :");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 TOPIC #room :");
    send(&mut bob, "TOPIC #room");
    expect_exact(&mut bob, &num("331", "bob", "#room :No topic is set"));
    // Not a member, and no such room.
    let mut dave = irc_register(&server, "dave");
    send(&mut dave, "TOPIC #room :mine now");
    expect_exact(&mut dave, &num("442", "dave", "#room :You're not on that channel"));
    send(&mut dave, "TOPIC #nowhere");
    expect_exact(&mut dave, &num("403", "dave", "#nowhere :No such channel"));
}

#[test]
fn names_who_whois_and_list() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room", "#zeta"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut alice, "TOPIC #room :the topic");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 TOPIC #room :the topic");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 TOPIC #room :the topic");

    // alice opened #room and bob #zeta: each is the operator (@) of that room.
    send(&mut bob, "NAMES #room");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#room :End of /NAMES list"));
    // Without a parameter: every room the client is in.
    send(&mut bob, "NAMES");
    expect_exact(&mut bob, &num("353", "bob", "= #room :@alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#room :End of /NAMES list"));
    expect_exact(&mut bob, &num("353", "bob", "= #zeta @bob"));
    expect_exact(&mut bob, &num("366", "bob", "#zeta :End of /NAMES list"));
    send(&mut bob, "NAMES #nowhere");
    expect_exact(&mut bob, &num("366", "bob", "#nowhere :End of /NAMES list"));

    send(&mut bob, "WHO #room");
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test alice H@ :0 Real Name"));
    expect_exact(&mut bob, &num("352", "bob", "#room ~u 127.0.0.1 irc.test bob H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "#room :End of /WHO list"));
    send(&mut bob, "WHO alice");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "alice :End of /WHO list"));
    send(&mut bob, "WHO nobody");
    expect_exact(&mut bob, &num("315", "bob", "nobody :End of /WHO list"));

    send(&mut bob, "WHOIS alice");
    expect_exact(&mut bob, &num("311", "bob", "alice ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut bob, &num("319", "bob", "alice #room"));
    expect_exact(&mut bob, &num("312", "bob", "alice irc.test chatd"));
    let idle = next(&mut bob);
    let numbers = idle
        .strip_prefix(":irc.test 317 bob alice ")
        .and_then(|rest| rest.strip_suffix(" :seconds idle, signon time"))
        .unwrap_or_else(|| panic!("bad 317: {idle:?}"));
    let (idle_secs, signon) = numbers.split_once(' ').unwrap();
    assert!(idle_secs.parse::<u64>().is_ok_and(|s| s < 60), "{idle:?}");
    assert!(signon.parse::<u64>().is_ok_and(|s| s > 1_600_000_000), "{idle:?}");
    expect_exact(&mut bob, &num("318", "bob", "alice :End of /WHOIS list"));
    // Several rooms, the `WHOIS server nick` form.
    send(&mut alice, "WHOIS irc.test bob");
    expect_exact(&mut alice, &num("311", "alice", "bob ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut alice, &num("319", "alice", "bob :#room #zeta"));
    expect_exact(&mut alice, &num("312", "alice", "bob irc.test chatd"));
    alice.expect_next(":irc.test 317 alice bob ");
    expect_exact(&mut alice, &num("318", "alice", "bob :End of /WHOIS list"));
    send(&mut bob, "WHOIS nobody");
    expect_exact(&mut bob, &num("401", "bob", "nobody :No such nick/channel"));
    expect_exact(&mut bob, &num("318", "bob", "nobody :End of /WHOIS list"));
    send(&mut bob, "WHOIS");
    expect_exact(&mut bob, &num("431", "bob", ":No nickname given"));

    send(&mut bob, "LIST");
    expect_exact(&mut bob, &num("321", "bob", "Channel :Users  Name"));
    expect_exact(&mut bob, &num("322", "bob", "#lobby 0 :"));
    expect_exact(&mut bob, &num("322", "bob", "#room 2 :the topic"));
    expect_exact(&mut bob, &num("322", "bob", "#zeta 1 :"));
    expect_exact(&mut bob, &num("323", "bob", ":End of /LIST"));
    settle(&mut bob, "end");
}

#[test]
fn who_reply_carries_the_real_name_and_a_netcat_users_is_the_nickname() {
    let server = start(&[]);
    let _carol = server.register("carol");
    let _alice = irc_in_rooms(&server, "alice", &["#lobby"]);
    let mut bob = irc_register(&server, "bob");
    send(&mut bob, "WHO #lobby");
    expect_exact(&mut bob, &num("352", "bob", "#lobby ~carol 127.0.0.1 irc.test carol H :0 carol"));
    expect_exact(&mut bob, &num("352", "bob", "#lobby ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "#lobby :End of /WHO list"));
}

#[test]
fn whois_end_names_the_nick_as_the_client_sent_it() {
    let server = start(&[]);
    let _alice = irc_register(&server, "alice");
    let mut bob = irc_register(&server, "bob");
    send(&mut bob, "WHOIS ALICE");
    expect_exact(&mut bob, &num("311", "bob", "alice ~u 127.0.0.1 * :Real Name"));
    bob.expect_next(&num("312", "bob", "alice irc.test chatd"));
    bob.expect_next(":irc.test 317 bob alice ");
    expect_exact(&mut bob, &num("318", "bob", "ALICE :End of /WHOIS list"));
}

#[test]
fn mode_queries_answer_324_329_368_221() {
    let server = start(&[]);
    let mut alice = irc_register(&server, "alice");
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    send(&mut bob, "MODE #room");
    // A new room is +nt.
    expect_exact(&mut bob, &num("324", "bob", "#room +nt"));
    let created = next(&mut bob);
    let secs = created.strip_prefix(":irc.test 329 bob #room ").unwrap_or_else(|| panic!("bad 329: {created:?}"));
    assert!(secs.parse::<u64>().is_ok_and(|s| s > 1_600_000_000), "{created:?}");
    send(&mut bob, "MODE #room b");
    expect_exact(&mut bob, &num("368", "bob", "#room :End of channel ban list"));
    send(&mut bob, "MODE #room +z");
    expect_exact(&mut bob, &num("472", "bob", "z :is unknown mode char to me"));
    send(&mut bob, "MODE #nowhere");
    expect_exact(&mut bob, &num("403", "bob", "#nowhere :No such channel"));
    send(&mut bob, "MODE bob");
    expect_exact(&mut bob, &num("221", "bob", "+i"));
    send(&mut bob, "MODE BOB");
    expect_exact(&mut bob, &num("221", "bob", "+i"));
    // Clients set +i on connect: accepted silently.
    send(&mut bob, "MODE bob +i");
    settle(&mut bob, "mode-i");
    send(&mut bob, "MODE alice");
    expect_exact(&mut bob, &num("502", "bob", ":Can't change mode for other users"));
    settle(&mut alice, "untouched");
}

#[test]
fn ison_userhost_version_time_motd_and_lusers() {
    let server = start(&[]);
    let _alice = server.register("alice");
    let mut bob = irc_register(&server, "bob");
    send(&mut bob, "ISON alice nobody BOB");
    expect_exact(&mut bob, &num("303", "bob", ":alice bob"));
    send(&mut bob, "ISON :nobody");
    expect_exact(&mut bob, &num("303", "bob", ":"));
    send(&mut bob, "USERHOST alice bob nobody");
    expect_exact(&mut bob, &num("302", "bob", ":alice=+~alice@127.0.0.1 bob=+~u@127.0.0.1"));
    send(&mut bob, "VERSION");
    expect_exact(&mut bob, &num("351", "bob", &format!("{VERSION} irc.test :a small self-hosted chat daemon")));
    send(&mut bob, "TIME");
    let time = next(&mut bob);
    let stamp = time.strip_prefix(":irc.test 391 bob irc.test ").unwrap_or_else(|| panic!("bad 391: {time:?}"));
    assert!(stamp.len() == 24 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T', "{time:?}");
    send(&mut bob, "MOTD");
    expect_exact(&mut bob, &num("375", "bob", ":- irc.test Message of the day - "));
    expect_exact(&mut bob, &num("372", "bob", ":- Welcome to chatd. Netcat users and IRC users share these rooms."));
    expect_exact(&mut bob, &num("372", "bob", ":- Try: /join #lobby"));
    expect_exact(&mut bob, &num("376", "bob", ":End of /MOTD command."));
    // One more connection that has not registered shows as unknown.
    let mut pending = server.connect();
    send(&mut pending, "NICK pending");
    settle(&mut pending, "known");
    send(&mut bob, "JOIN #extra");
    bob.expect(&num("366", "bob", "#extra :End of /NAMES list"));
    send(&mut bob, "LUSERS");
    expect_exact(&mut bob, &num("251", "bob", ":There are 2 users and 0 invisible on 1 servers"));
    expect_exact(&mut bob, &num("253", "bob", "1 :unknown connection(s)"));
    expect_exact(&mut bob, &num("254", "bob", "2 :channels formed"));
    expect_exact(&mut bob, &num("255", "bob", ":I have 2 clients and 0 servers"));
    settle(&mut bob, "end");
}

#[test]
fn away_gives_306_and_305_and_private_messages_to_an_away_user_get_301() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut alice, "AWAY :gone to lunch");
    expect_exact(&mut alice, &num("306", "alice", ":You have been marked as being away"));
    send(&mut bob, "PRIVMSG alice :are you there?");
    expect_exact(&mut bob, &num("301", "bob", "alice :gone to lunch"));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG alice :are you there?");
    // Away shows in WHO (G), USERHOST (-) and WHOIS (301).
    send(&mut bob, "WHO alice");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice G :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "alice :End of /WHO list"));
    send(&mut bob, "USERHOST alice");
    expect_exact(&mut bob, &num("302", "bob", "alice=-~u@127.0.0.1"));
    send(&mut bob, "WHOIS alice");
    bob.expect(&num("312", "bob", "alice irc.test chatd"));
    expect_exact(&mut bob, &num("301", "bob", "alice :gone to lunch"));
    bob.expect(&num("318", "bob", "alice :End of /WHOIS list"));
    // A NOTICE is never answered, not even with 301; a room message neither.
    send(&mut bob, "NOTICE alice :just so you know");
    send(&mut bob, "PRIVMSG #room :anyone?");
    settle(&mut bob, "no-301");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 NOTICE alice :just so you know");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room anyone?");
    // Back.
    send(&mut alice, "AWAY");
    expect_exact(&mut alice, &num("305", "alice", ":You are no longer marked as being away"));
    send(&mut alice, "AWAY :");
    expect_exact(&mut alice, &num("305", "alice", ":You are no longer marked as being away"));
    send(&mut bob, "PRIVMSG alice :back?");
    settle(&mut bob, "no-301-any-more");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG alice back?");
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[test]
fn channel_privmsg_and_notice_reach_other_members_with_the_full_prefix_and_are_not_echoed() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc_in_rooms(&server, "carol", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    let mut outsider = irc_in_rooms(&server, "dave", &["#elsewhere"]);

    send(&mut bob, "PRIVMSG #room :hello there");
    send(&mut bob, "NOTICE #room :note this");
    // One-word text goes out as a middle parameter; text starting with ':' keeps its own colon.
    send(&mut bob, "PRIVMSG #room hi");
    send(&mut bob, "PRIVMSG #room ::-)");
    send(&mut bob, "PRIVMSG #room :\u{1}ACTION waves\u{1}");
    send(&mut bob, "privmsg #ROOM :case does not matter");
    settle(&mut bob, "no-echo");
    for member in [&mut alice, &mut carol] {
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room :hello there");
        expect_exact(member, ":bob!~u@127.0.0.1 NOTICE #room :note this");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room hi");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room ::-)");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room :\u{1}ACTION waves\u{1}");
        expect_exact(member, ":bob!~u@127.0.0.1 PRIVMSG #room :case does not matter");
        settle(member, "all-seen");
    }
    settle(&mut outsider, "saw-nothing");
}

#[test]
fn private_messages_and_multiple_targets() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#a"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#a"]);
    let mut carol = irc_register(&server, "carol");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");

    send(&mut carol, "PRIVMSG BOB :psst, bob");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 PRIVMSG bob :psst, bob");
    send(&mut carol, "NOTICE bob :a notice");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 NOTICE bob :a notice");
    settle(&mut carol, "no-echo");
    settle(&mut alice, "not-for-alice");

    send(&mut alice, "PRIVMSG #a,carol :hi all");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG #a :hi all");
    expect_exact(&mut carol, ":alice!~u@127.0.0.1 PRIVMSG carol :hi all");
    settle(&mut alice, "no-echo");
    // A bad target among good ones fails alone.
    send(&mut alice, "PRIVMSG nobody,bob :to bob");
    expect_exact(&mut alice, &num("401", "alice", "nobody :No such nick/channel"));
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG bob :to bob");
    // TARGMAX=PRIVMSG:4: a fifth target is ignored.
    send(&mut alice, "PRIVMSG nobody1,nobody2,nobody3,bob,carol :five");
    for n in 1..=3 {
        expect_exact(&mut alice, &num("401", "alice", &format!("nobody{n} :No such nick/channel")));
    }
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG bob five");
    settle(&mut alice, "four-handled");
    settle(&mut carol, "fifth-ignored");
}

#[test]
fn message_errors_401_404_411_412() {
    let server = start(&[]);
    let _alice = irc_in_rooms(&server, "alice", &["#theirs"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#mine"]);
    send(&mut bob, "PRIVMSG nobody :hello");
    expect_exact(&mut bob, &num("401", "bob", "nobody :No such nick/channel"));
    send(&mut bob, "PRIVMSG #theirs :let me in");
    expect_exact(&mut bob, &num("404", "bob", "#theirs :Cannot send to channel (join it first)"));
    send(&mut bob, "PRIVMSG #nowhere :anyone?");
    expect_exact(&mut bob, &num("401", "bob", "#nowhere :No such nick/channel"));
    send(&mut bob, "PRIVMSG #mine");
    expect_exact(&mut bob, &num("412", "bob", ":No text to send"));
    send(&mut bob, "PRIVMSG #mine :");
    expect_exact(&mut bob, &num("412", "bob", ":No text to send"));
    send(&mut bob, "PRIVMSG");
    expect_exact(&mut bob, &num("411", "bob", ":No recipient given (PRIVMSG)"));
    settle(&mut bob, "end");
}

#[test]
fn notice_errors_are_never_answered() {
    let server = start(&[]);
    let _alice = irc_in_rooms(&server, "alice", &["#theirs"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#mine"]);
    for line in ["NOTICE nobody :hello", "NOTICE #theirs :let me in", "NOTICE #nowhere :anyone?"] {
        send(&mut bob, line);
    }
    settle(&mut bob, "silent");
}

#[test]
fn notice_parse_errors_are_never_answered() {
    let server = start(&[]);
    let mut bob = irc_in_rooms(&server, "bob", &["#mine"]);
    for line in ["NOTICE", "NOTICE #mine", "NOTICE #mine :"] {
        send(&mut bob, line);
    }
    settle(&mut bob, "silent");
}

// ---------------------------------------------------------------------------------------------
// Mixed rooms: netcat and IRC users together
// ---------------------------------------------------------------------------------------------

#[test]
fn netcat_lines_reach_irc_users_as_privmsg_and_ctcp_action() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc_register(&server, "bob");
    send(&mut bob, "JOIN #lobby");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #lobby");
    // The netcat user is in the IRC user's names.
    expect_exact(&mut bob, &num("353", "bob", "= #lobby :alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#lobby :End of /NAMES list"));
    expect_exact(&mut alice, "-- bob joined #lobby");

    // One word: sent as a middle parameter, which means the same as `:hello` (RFC 2812 2.3.1).
    alice.send("hello");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby hello");
    alice.send("hello there, bob");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby :hello there, bob");
    alice.send("/me waves");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby :\u{1}ACTION waves\u{1}");
    alice.send("/msg bob psst");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG bob psst");
    expect_said(&mut alice, "-> *bob* psst");
    alice.send("/msg BOB two words");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG bob :two words");
    expect_said(&mut alice, "-> *bob* two words");
    // The netcat user's view of the IRC user in WHOIS.
    send(&mut bob, "WHOIS alice");
    expect_exact(&mut bob, &num("311", "bob", "alice ~alice 127.0.0.1 * alice"));
    expect_exact(&mut bob, &num("319", "bob", "alice #lobby"));
    expect_exact(&mut bob, &num("312", "bob", "alice irc.test chatd"));
    bob.expect_next(":irc.test 317 bob alice ");
    expect_exact(&mut bob, &num("318", "bob", "alice :End of /WHOIS list"));
    settle(&mut bob, "whois-done");
    netcat_settle(&mut alice);
}

#[test]
fn irc_lines_reach_netcat_users_as_said_action_notice_and_private() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc_in_rooms(&server, "bob", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    send(&mut bob, "PRIVMSG #lobby :hi alice");
    expect_said(&mut alice, "<bob> hi alice");
    send(&mut bob, "PRIVMSG #lobby :\u{1}ACTION dances\u{1}");
    expect_said(&mut alice, "* bob dances");
    send(&mut bob, "NOTICE #lobby :heads up");
    expect_said(&mut alice, "-bob- heads up");
    send(&mut bob, "PRIVMSG alice :psst back");
    expect_said(&mut alice, "*bob* psst back");
    send(&mut bob, "NOTICE alice :private notice");
    expect_said(&mut alice, "-bob- private notice");
    send(&mut bob, "TOPIC #lobby :mixed company");
    expect_exact(&mut alice, "-- bob set the topic of #lobby: mixed company");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 TOPIC #lobby :mixed company");
    // Control characters from IRC (colours with their digits, bold) never reach a terminal.
    send(&mut bob, "PRIVMSG #lobby :\u{3}4red\u{3} and \u{2}bold\u{2} \u{1b}[2J");
    expect_said(&mut alice, "<bob> red and bold [2J");
    settle(&mut bob, "no-echo");
    netcat_settle(&mut alice);
}

#[test]
fn irc_nick_change_and_quit_reach_netcat_users() {
    let server = start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc_in_rooms(&server, "bob", &["#lobby"]);
    let mut carol = irc_in_rooms(&server, "carol", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    expect_exact(&mut alice, "-- carol joined #lobby");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #lobby");
    send(&mut bob, "NICK robert");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 NICK robert");
    expect_exact(&mut alice, "-- bob is now known as robert");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 NICK robert");
    // A netcat user's nick change reaches IRC users as NICK.
    alice.send("/nick alicia");
    expect_exact(&mut alice, "-- You are now known as alicia");
    expect_exact(&mut bob, ":alice!~alice@127.0.0.1 NICK alicia");
    expect_exact(&mut carol, ":alice!~alice@127.0.0.1 NICK alicia");
    // The old nickname is free again.
    send(&mut bob, "ISON bob robert alice alicia");
    expect_exact(&mut bob, &num("303", "robert", ":robert alicia"));
    send(&mut bob, "QUIT :bye");
    expect_exact(&mut bob, "ERROR :Closing link: (Quit: bye)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    expect_exact(&mut alice, "-- robert quit (quit: bye)");
    expect_exact(&mut carol, ":robert!~u@127.0.0.1 QUIT :Quit: bye");
    // A netcat user's quit reaches IRC users as QUIT.
    alice.send("/quit see you");
    alice.expect_closed();
    expect_exact(&mut carol, ":alicia!~alice@127.0.0.1 QUIT :Quit: see you");
    settle(&mut carol, "end");
}

#[test]
fn long_netcat_line_reaches_irc_split_over_lines_of_at_most_512_bytes() {
    let server = start(&["--max-line", "2000"]);
    let mut alice = server.register("alice");
    let mut bob = Raw::connect(&server);
    bob.send("NICK bob");
    bob.send("USER u 0 * :Real Name");
    assert_wire_lines(&bob.lines_until(" 376 bob "));
    bob.send("JOIN #lobby");
    assert_wire_lines(&bob.lines_until(" 366 bob "));
    alice.expect("-- bob joined #lobby");

    let words: Vec<String> = (0..170).map(|i| format!("word{i:04}")).collect();
    let text = words.join(" ");
    assert!(text.len() > 1500 && text.len() < 2000, "{}", text.len());
    alice.send(&text);
    let lines = bob.lines_until(words.last().unwrap());
    assert_wire_lines(&lines);
    assert!(lines.len() >= 4, "{} lines", lines.len());
    let head = ":alice!~alice@127.0.0.1 PRIVMSG #lobby :";
    let pieces: Vec<String> = lines
        .iter()
        .map(|line| {
            let line = String::from_utf8(line.clone()).unwrap();
            let body = line.strip_suffix("\r\n").unwrap();
            body.strip_prefix(head).unwrap_or_else(|| panic!("not a PRIVMSG from alice: {line:?}")).to_string()
        })
        .collect();
    // Split between words: every word arrives whole, once, in order.
    assert_eq!(pieces.join(" "), text);
    assert!(pieces.iter().all(|p| !p.starts_with(' ') && !p.ends_with(' ')), "{pieces:?}");
}

// ---------------------------------------------------------------------------------------------
// Dialect detection
// ---------------------------------------------------------------------------------------------

#[test]
fn a_client_that_sends_nothing_is_greeted_as_netcat() {
    let server = start(&[]);
    let started = Instant::now();
    let mut client = server.connect();
    let version = env!("CARGO_PKG_VERSION");
    expect_exact(&mut client, &format!("-- Welcome to irc.test (chatd {version}). Type /help for commands."));
    let waited = started.elapsed();
    // The server gives an IRC client 300 ms to speak first; then it greets.
    assert!(waited >= Duration::from_millis(250), "greeted after only {waited:?}");
    assert!(waited < Duration::from_secs(2), "greeted only after {waited:?}");
    expect_exact(&mut client, "-- Choose a nickname:");
    client.expect_silence(QUIET);
    // Once greeted as netcat, IRC words are just a nickname attempt.
    client.send("NICK bob");
    expect_exact(
        &mut client,
        "error: \"NICK bob\" is not a valid nickname: a nickname may only contain letters, digits and \
         -_[]{}\\|^` (not ' ')",
    );
}

#[test]
fn first_word_decides_the_dialect() {
    let server = start(&[]);
    // A lowercase IRC opener is IRC: no greeting, straight to the welcome.
    let mut irc = server.connect();
    send(&mut irc, "nick carol");
    send(&mut irc, "user u 0 * :Carol");
    expect_exact(&mut irc, &num("001", "carol", ":Welcome to the chatd IRC network carol!~u@127.0.0.1"));
    irc.expect(&num("376", "carol", ":End of /MOTD command."));
    // So is USER as the first word, with a bare LF.
    let mut other = server.connect();
    other.send("USER x 0 * :X");
    other.send("NICK xavier");
    expect_exact(&mut other, &num("001", "xavier", ":Welcome to the chatd IRC network xavier!~x@127.0.0.1"));
    // A word that merely starts like an opener is netcat: a nickname.
    let mut netcat = server.connect();
    netcat.send("nickel");
    netcat.expect_next("-- Welcome to irc.test ");
    expect_exact(&mut netcat, "-- Choose a nickname:");
    expect_exact(&mut netcat, "-- Hello nickel! 3 users online in 1 room.");
    expect_exact(&mut netcat, "-- You joined #lobby. 1 here: nickel");
}

// ---------------------------------------------------------------------------------------------
// Liveness
// ---------------------------------------------------------------------------------------------

#[test]
fn a_silent_irc_client_is_pinged_then_evicted_and_its_room_is_told_and_an_unregistered_one_dropped() {
    let server = start(&["--ping-interval", "1", "--ping-timeout", "1"]);
    // Not registered, so never pinged: dropped after interval + timeout all the same.
    let mut slow = server.connect();
    send(&mut slow, "NICK slow");
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    // alice answers her own PINGs as they come, and sees bob go.
    assert_eq!(next_answering_pings(&mut alice), ":bob!~u@127.0.0.1 QUIT :Ping timeout: 2 seconds");
    settle(&mut alice, "still-here");
    // What the silent bob was sent meanwhile: one PING, then the reason, then the end.
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, "PING irc.test");
    expect_exact(&mut bob, "ERROR :Closing link: (Ping timeout: 2 seconds)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    server.expect_log(&["evict", "nick=bob", "reason=ping-timeout"]);
    expect_exact(&mut slow, "ERROR :Closing link: (Registration timeout)");
    assert_eq!(slow.expect_closed(), Vec::<String>::new());
    // Their nicknames are free again.
    let mut again = server.connect();
    send(&mut again, "NICK slow");
    send(&mut again, "USER u 0 * :Real Name");
    expect_exact(&mut again, &num("001", "slow", ":Welcome to the chatd IRC network slow!~u@127.0.0.1"));
    send(&mut alice, "ISON bob");
    assert_eq!(next_answering_pings(&mut alice), num("303", "alice", ":"));
}

#[test]
fn an_irc_client_that_answers_ping_stays_connected_past_the_timeout() {
    let server = start(&["--ping-interval", "1", "--ping-timeout", "1"]);
    let mut bob = irc_register(&server, "bob");
    expect_exact(&mut bob, "PING irc.test");
    send(&mut bob, "PONG :irc.test");
    // The next PING comes a full interval after the PONG, later than the first one's deadline:
    // bob outlived the timeout.
    expect_exact(&mut bob, "PING irc.test");
    // Any line counts as an answer.
    send(&mut bob, "LUSERS");
    bob.expect_next(&num("251", "bob", ":There are 1 users"));
    bob.expect(&num("255", "bob", ":I have 1 clients and 0 servers"));
    settle(&mut bob, "alive");
}

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_lines_never_drop_the_connection() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");

    // Ignored without a word: no command at all.
    for line in [":", "@tag", "@a=b;c :bob!x@y", ":prefix-only", "   ", "", "@a=b   "] {
        send(&mut bob, line);
    }
    bob.send_raw(b"\n\r\n\r\r\n");
    settle(&mut bob, "ignored");

    // Too long: 600 bytes of PRIVMSG.
    send(&mut bob, &format!("PRIVMSG #room :{}", "x".repeat(600)));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    // Far too long for the framer as well (dropped up to its end, answered once).
    send(&mut bob, &format!("PRIVMSG #room :{}", "y".repeat(6000)));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    // A tag section over the IRCv3 limit.
    send(&mut bob, &format!("@a={} PING :t", "z".repeat(4100)));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    settle(&mut bob, "after-long");

    // Not a command: neither letters nor three digits.
    send(&mut bob, "PRIV/MSG #room :x");
    expect_exact(&mut bob, &num("421", "bob", "PRIV/MSG :Unknown command"));
    send(&mut bob, "12 x");
    expect_exact(&mut bob, &num("421", "bob", "12 :Unknown command"));

    // Invalid UTF-8 is replaced, not fatal.
    bob.send_raw(b"PRIVMSG #room :caf\xe9 \xff ok\r\n");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :caf\u{fffd} \u{fffd} ok");

    // Tags on commands are accepted and ignored; a client-sent prefix is ignored too.
    send(&mut bob, "@time=2024-01-01T00:00:00.000Z;+draft/label=x PRIVMSG #room :tagged hello");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :tagged hello");
    send(&mut bob, "@label=abc PING :tagged");
    expect_exact(&mut bob, ":irc.test PONG irc.test tagged");
    send(&mut bob, ":mallory!evil@example.org PRIVMSG #room :spoofed, or not?");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :spoofed, or not?");
    // Tags do not count against the 512 bytes: 4000 bytes of tags on a short line are fine.
    send(&mut bob, &format!("@a={} PRIVMSG #room :big tags", "t".repeat(4000)));
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room :big tags");
    // A lone CR inside a line is dropped, so it can never end a relayed line early.
    bob.send_raw(b"PRIVMSG #room :one\rtwo\r\n");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #room onetwo");

    // Still connected and answering; alice heard nothing else.
    send(&mut bob, "PING :still-alive");
    expect_exact(&mut bob, ":irc.test PONG irc.test still-alive");
    settle(&mut alice, "nothing-else");
}

#[test]
fn the_line_limit_is_512_bytes_with_crlf_and_long_text_is_relayed_split_not_cut() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    let head = "PRIVMSG #room :";
    // Exactly 510 bytes plus CR LF is allowed.
    let mut text = (0..200).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    text.truncate(510 - head.len() - 1);
    text.push('e');
    assert_eq!(head.len() + text.len(), 510);
    send(&mut bob, &format!("{head}{text}"));
    // With bob's prefix it no longer fits one line: two lines, all of the text.
    let first = next(&mut alice);
    let second = next(&mut alice);
    let relay = ":bob!~u@127.0.0.1 PRIVMSG #room :";
    for line in [&first, &second] {
        assert!(line.starts_with(relay), "{line:?}");
        assert!(line.len() + 2 <= 512, "{} bytes: {line:?}", line.len() + 2);
    }
    assert_eq!(format!("{} {}", &first[relay.len()..], &second[relay.len()..]), text);
    // One byte more is too long.
    send(&mut bob, &format!("{head}{text}x"));
    expect_exact(&mut bob, &num("417", "bob", ":Input line was too long"));
    settle(&mut alice, "nothing-relayed");
}

// ---------------------------------------------------------------------------------------------
// QUIT
// ---------------------------------------------------------------------------------------------

#[test]
fn quit_closes_with_error_and_room_mates_see_it_once() {
    let server = start(&[]);
    let mut alice = irc_in_rooms(&server, "alice", &["#a", "#b"]);
    let mut bob = irc_in_rooms(&server, "bob", &["#a", "#b"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #b");
    send(&mut bob, "QUIT :bye");
    expect_exact(&mut bob, "ERROR :Closing link: (Quit: bye)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    // Shared two rooms, told once.
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 QUIT :Quit: bye");
    settle(&mut alice, "once");
    server.expect_log(&["quit", "nick=bob", "reason=quit"]);
    // Without a reason; and the nickname is free again.
    let mut bob = irc_in_rooms(&server, "bob", &["#a"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    send(&mut bob, "QUIT");
    expect_exact(&mut bob, "ERROR :Closing link: (Quit)");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 QUIT Quit");
    // Before registration, too.
    let mut early = server.connect();
    send(&mut early, "NICK early");
    send(&mut early, "QUIT :changed my mind");
    expect_exact(&mut early, "ERROR :Closing link: (Quit: changed my mind)");
    assert_eq!(early.expect_closed(), Vec::<String>::new());
    settle(&mut alice, "end");
}

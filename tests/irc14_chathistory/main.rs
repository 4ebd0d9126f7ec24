// IRCv3 `draft/chathistory` end to end: the real binary over TCP, a scripted client that
// reconnects and fills its scrollback with `CHATHISTORY` (Debian's IRC clients do not speak it),
// private scrollback and `TARGETS` for logged-in accounts, the failures, and how long a room's
// history outlives the room (`--history-linger`).

#[path = "../common/mod.rs"]
mod common;

use common::irc::{self, expect_exact, next, num, send, settle, start};
use common::time::{now_millis, parse_timestamp};
use common::{Client, Server};

const CAPS: &str = "draft/chathistory server-time";

/// One line of a history batch: its tags by name, and the line after them.
struct Tagged {
    batch: String,
    time: i64,
    msgid: String,
    rest: String,
}

fn tagged(line: &str) -> Tagged {
    let (tags, rest) = line.strip_prefix('@').and_then(|l| l.split_once(' ')).unwrap_or_else(|| panic!("{line:?}"));
    let tag = |name: &str| {
        tags.split(';')
            .find_map(|t| t.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} tag in {line:?}"))
            .to_string()
    };
    let time = parse_timestamp(&tag("time")).unwrap();
    Tagged { batch: tag("batch"), time, msgid: tag("msgid"), rest: rest.to_string() }
}

/// Reads a whole `chathistory` batch for `target`: the messages in it.
fn batch(client: &mut Client, target: &str) -> Vec<Tagged> {
    let open = next(client);
    let reference = open
        .strip_prefix(":irc.test BATCH +")
        .and_then(|rest| rest.strip_suffix(&format!(" chathistory {target}")))
        .unwrap_or_else(|| panic!("not a chathistory batch for {target}: {open:?}"))
        .to_string();
    let mut lines = Vec::new();
    loop {
        let line = next(client);
        if line == format!(":irc.test BATCH -{reference}") {
            return lines;
        }
        let line = tagged(&line);
        assert_eq!(line.batch, reference);
        lines.push(line);
    }
}

fn texts(lines: &[Tagged]) -> Vec<&str> {
    lines.iter().map(|l| l.rest.rsplit_once(" :").map_or(l.rest.as_str(), |(_, text)| text)).collect()
}

fn stamp(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    // Back from days to the date, by search: tests need only a few stamps.
    let mut year = 1970;
    while common::time::days_from_civil(year + 1, 1, 1) <= days {
        year += 1;
    }
    let mut month = 1;
    while month < 12 && common::time::days_from_civil(year, month + 1, 1) <= days {
        month += 1;
    }
    let day = days - common::time::days_from_civil(year, month, 1) + 1;
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        millis.rem_euclid(1000)
    )
}

#[test]
fn isupport_and_cap_advertise_chathistory() {
    let server = start(&[]);
    let mut bob = server.connect();
    send(&mut bob, "NICK bob");
    send(&mut bob, "USER u 0 * :Bob");
    let isupport = bob.expect(" CHATHISTORY=100");
    assert!(isupport.contains(" MSGREFTYPES=msgid,timestamp"), "{isupport}");
    bob.expect(&num("376", "bob", ":End of /MOTD command."));
    send(&mut bob, "CAP REQ draft/chathistory");
    expect_exact(&mut bob, ":irc.test CAP bob ACK draft/chathistory");
}

#[test]
fn a_reconnecting_client_fills_its_scrollback_with_chathistory() {
    let server = start(&[]);
    let mut carol = irc::in_rooms(&server, "carol", &["#room"]);
    let mut alice = irc::register_with(&server, "alice", CAPS);
    irc::join(&mut alice, "alice", "#room");
    let before = now_millis();
    for n in 1..=3 {
        send(&mut carol, &format!("PRIVMSG #room :early {n}"));
        alice.expect(&format!(":carol!~u@127.0.0.1 PRIVMSG #room :early {n}"));
    }
    send(&mut alice, "QUIT :brb");
    alice.expect_closed();
    for n in 1..=2 {
        send(&mut carol, &format!("PRIVMSG #room :missed {n}"));
    }
    // The room empties: its history lingers (`--history-linger`, an hour by default).
    send(&mut carol, "PART #room");
    carol.expect(":carol!~u@127.0.0.1 PART #room");
    send(&mut carol, "LIST");
    carol.expect_next(&num("321", "carol", "Channel :Users  Name"));
    carol.expect_next(&num("322", "carol", "#lobby 0 :"));
    carol.expect_next(&num("323", "carol", ":End of /LIST"));

    // Back again: a chathistory client is replayed nothing on joining; it asks.
    let mut alice = irc::register_with(&server, "alice", CAPS);
    irc::join(&mut alice, "alice", "#room");
    settle(&mut alice, "no-replay");
    send(&mut alice, "CHATHISTORY LATEST #room * 2");
    let latest = batch(&mut alice, "#room");
    assert_eq!(texts(&latest), ["missed 1", "missed 2"]);
    assert!(latest[0].rest.starts_with(":carol!~u@127.0.0.1 PRIVMSG #room :"));
    assert!(latest.iter().all(|l| before <= l.time && l.time <= now_millis()));
    // Scrolling back from the oldest line it has, by msgid.
    send(&mut alice, &format!("CHATHISTORY BEFORE #room msgid={} 10", latest[0].msgid));
    let earlier = batch(&mut alice, "#room");
    assert_eq!(texts(&earlier), ["early 1", "early 2", "early 3"]);
    // The same stretch by time, and between two messages, either way.
    send(&mut alice, &format!("CHATHISTORY AFTER #room timestamp={} 2", stamp(before - 1)));
    assert_eq!(texts(&batch(&mut alice, "#room")), ["early 1", "early 2"]);
    let (first, last) = (&earlier[0].msgid, &latest[1].msgid);
    send(&mut alice, &format!("CHATHISTORY BETWEEN #room msgid={first} msgid={last} 2"));
    assert_eq!(texts(&batch(&mut alice, "#room")), ["early 2", "early 3"]);
    send(&mut alice, &format!("CHATHISTORY BETWEEN #room msgid={last} msgid={first} 2"));
    assert_eq!(texts(&batch(&mut alice, "#room")), ["early 3", "missed 1"]);
    send(&mut alice, &format!("CHATHISTORY AROUND #room msgid={} 3", earlier[2].msgid));
    assert_eq!(texts(&batch(&mut alice, "#room")), ["early 2", "early 3", "missed 1"]);
    // Nothing newer than the newest.
    send(&mut alice, &format!("CHATHISTORY LATEST #room msgid={last} 10"));
    assert!(batch(&mut alice, "#room").is_empty());
    settle(&mut alice, "done");

    // A client with server-time and not chathistory still gets the replay on joining.
    let mut dave = irc::register_with(&server, "dave", "server-time");
    send(&mut dave, "JOIN #room");
    dave.expect(&num("366", "dave", "#room :End of /NAMES list"));
    let replayed: Vec<String> = (0..5).map(|_| next(&mut dave)).collect();
    assert!(replayed[0].ends_with(":carol!~u@127.0.0.1 PRIVMSG #room :early 1"), "{replayed:?}");
    assert!(replayed[4].ends_with(":carol!~u@127.0.0.1 PRIVMSG #room :missed 2"), "{replayed:?}");
}

/// Registers the account `nick` with NickServ, from a client that negotiated `CAPS`.
fn with_account(server: &Server, nick: &str) -> Client {
    let mut client = irc::register_with(server, nick, CAPS);
    send(&mut client, &format!("PRIVMSG NickServ :REGISTER pw-{nick}-123"));
    client.expect(&num("900", nick, ""));
    client.expect(&format!("NOTICE {nick} :You are now identified for {nick}."));
    client
}

#[test]
fn logged_in_users_get_private_scrollback_and_targets() {
    let server = start(&[]);
    let since = now_millis();
    let mut alice = with_account(&server, "alice");
    let mut bob = with_account(&server, "bob");
    irc::join(&mut alice, "alice", "#room");
    send(&mut alice, "PRIVMSG #room :anyone?");
    send(&mut bob, "PRIVMSG alice :hello alice");
    alice.expect(":bob!~u@127.0.0.1 PRIVMSG alice :hello alice");
    send(&mut alice, "PRIVMSG bob :hi bob");
    bob.expect(":alice!~u@127.0.0.1 PRIVMSG bob :hi bob");
    send(&mut alice, "QUIT");
    alice.expect_closed();
    send(&mut bob, "PRIVMSG alice :are you there?");
    bob.expect(&num("401", "bob", "alice :No such nick/channel"));

    // Alice comes back, logs in, and finds out who talked to her while she was away.
    let mut alice = irc::register_with(&server, "alice", CAPS);
    send(&mut alice, "PRIVMSG NickServ :IDENTIFY pw-alice-123");
    alice.expect(&num("900", "alice", ""));
    alice.expect("NOTICE alice :You are now identified for alice.");
    irc::join(&mut alice, "alice", "#room");
    send(
        &mut alice,
        &format!("CHATHISTORY TARGETS timestamp={} timestamp={} 10", stamp(since), stamp(now_millis() + 60_000)),
    );
    let open = next(&mut alice);
    let reference = open.strip_prefix(":irc.test BATCH +").and_then(|r| r.strip_suffix(" draft/chathistory-targets"));
    let reference = reference.unwrap_or_else(|| panic!("{open:?}")).to_string();
    let room = next(&mut alice);
    assert!(room.starts_with(&format!("@batch={reference} :irc.test CHATHISTORY TARGETS #room ")), "{room:?}");
    let private = next(&mut alice);
    assert!(private.starts_with(&format!("@batch={reference} :irc.test CHATHISTORY TARGETS bob ")), "{private:?}");
    expect_exact(&mut alice, &format!(":irc.test BATCH -{reference}"));

    send(&mut alice, "CHATHISTORY LATEST bob * 10");
    let lines = batch(&mut alice, "bob");
    let rests: Vec<&str> = lines.iter().map(|l| l.rest.as_str()).collect();
    assert_eq!(rests, [":bob!~u@127.0.0.1 PRIVMSG alice :hello alice", ":alice!~u@127.0.0.1 PRIVMSG bob :hi bob"]);
    // Bob, talking with alice, sees the same conversation; a guest has none.
    send(&mut bob, "CHATHISTORY LATEST alice * 10");
    assert_eq!(texts(&batch(&mut bob, "alice")), ["hello alice", "hi bob"]);
    let mut guest = irc::register_with(&server, "guest", CAPS);
    send(&mut guest, "CHATHISTORY LATEST alice * 10");
    assert!(batch(&mut guest, "alice").is_empty());
    settle(&mut guest, "done");
}

#[test]
fn what_cannot_be_answered_fails_as_the_spec_says() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#room"]);
    let mut bob = irc::register_with(&server, "bob", CAPS);
    for (line, answer) in [
        ("CHATHISTORY LATEST #room * 10", "INVALID_TARGET LATEST #room :Messages could not be retrieved"),
        ("CHATHISTORY LATEST #nowhere * 10", "INVALID_TARGET LATEST #nowhere :Messages could not be retrieved"),
        ("CHATHISTORY LATEST nobody * 10", "INVALID_TARGET LATEST nobody :Messages could not be retrieved"),
        ("CHATHISTORY YESTERDAY #room * 10", "INVALID_PARAMS YESTERDAY :Unknown command"),
        ("CHATHISTORY LATEST #room *", "INVALID_PARAMS LATEST :Insufficient parameters"),
        ("CHATHISTORY", "INVALID_PARAMS :Insufficient parameters"),
        ("CHATHISTORY BEFORE #room timestamp=noon 10", "INVALID_PARAMS BEFORE timestamp=noon :Invalid timestamp"),
        ("CHATHISTORY BEFORE #room id=4 10", "INVALID_MSGREFTYPE BEFORE #room id=4 :Unknown message reference type"),
        ("CHATHISTORY LATEST #room * many", "INVALID_PARAMS LATEST many :Invalid limit"),
    ] {
        send(&mut bob, line);
        expect_exact(&mut bob, &format!(":irc.test FAIL CHATHISTORY {answer}"));
    }
    // Before registration, like any command: 451.
    let mut early = server.connect();
    send(&mut early, "NICK early");
    send(&mut early, "CHATHISTORY LATEST #room * 10");
    early.expect(&num("451", "early", ":You have not registered"));
    settle(&mut alice, "done");
}

#[test]
fn with_no_linger_a_rooms_history_goes_with_the_room() {
    let server = start(&["--history-linger", "0"]);
    let mut alice = irc::register_with(&server, "alice", CAPS);
    irc::join(&mut alice, "alice", "#room");
    send(&mut alice, "PRIVMSG #room :soon gone");
    send(&mut alice, "CHATHISTORY LATEST #room * 10");
    assert_eq!(texts(&batch(&mut alice, "#room")), ["soon gone"]);
    send(&mut alice, "PART #room");
    alice.expect(":alice!~u@127.0.0.1 PART #room");
    irc::join(&mut alice, "alice", "#room");
    send(&mut alice, "CHATHISTORY LATEST #room * 10");
    assert!(batch(&mut alice, "#room").is_empty());
}

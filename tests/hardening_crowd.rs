mod common;

// Crowds (issue 10, item 11): above `--crowd-size` members, netcat users get joins and leaves
// summarised once per `--crowd-interval` and a member count instead of every name, while IRC
// clients still get every JOIN and QUIT.
//
// Waiting is always on a line, with a deadline; summaries come from the server's sweep, so the
// test waits on them (bounded by `TIMEOUT`) rather than sleeping.

use common::Client;
use common::irc::{expect_exact, num, prefix, send, settle, start};
use common::netcat;

/// Members up to which every join is told one line at a time, in this test.
const CROWD_SIZE: usize = 5;
/// Netcat users who join after the IRC watcher.
const JOINERS: usize = 10;

/// Reads `client`'s lines until the summaries seen add up to `joined` joins and `left` leaves;
/// every line must be a summary of #lobby. Returns the summary lines.
fn summaries_until(client: &mut Client, joined: usize, left: usize) -> Vec<String> {
    let (mut seen_joined, mut seen_left, mut lines) = (0, 0, Vec::new());
    while seen_joined < joined || seen_left < left {
        let line = client.expect_next("-- #lobby in the last second: ");
        let counts = line.trim_start_matches("-- #lobby in the last second: ");
        for part in counts.split(", ") {
            if let Some(n) = part.split_once(" joined").map(|(n, _)| n) {
                seen_joined += n.parse::<usize>().unwrap_or_else(|_| panic!("bad count in {line:?}"));
            } else if let Some(n) = part.strip_suffix(" left") {
                seen_left += n.parse::<usize>().unwrap_or_else(|_| panic!("bad count in {line:?}"));
            }
        }
        lines.push(line);
    }
    assert_eq!((seen_joined, seen_left), (joined, left), "summaries: {lines:?}");
    lines
}

#[test]
fn a_crowd_is_summarised_for_netcat_users_and_told_in_full_to_irc_clients() {
    let size = CROWD_SIZE.to_string();
    let server = start(&["--crowd-size", &size, "--crowd-interval", "1"]);

    let mut watcher = server.connect();
    send(&mut watcher, "NICK watcher");
    send(&mut watcher, "USER u 0 * :Watcher");
    watcher.expect(&num("376", "watcher", ":End of /MOTD command."));
    send(&mut watcher, "JOIN #lobby");
    expect_exact(&mut watcher, &format!(":{} JOIN #lobby", prefix("watcher")));
    watcher.expect(&num("366", "watcher", "#lobby :End of /NAMES list"));

    let nicks: Vec<String> = (1..=JOINERS).map(|i| format!("n{i}")).collect();
    let mut users: Vec<Client> = nicks.iter().map(|nick| netcat::register_at_once(&server, nick)).collect();

    // The IRC client saw every join, crowd or not.
    for nick in &nicks {
        expect_exact(&mut watcher, &format!(":{nick}!~{nick}@127.0.0.1 JOIN #lobby"));
    }
    settle(&mut watcher, "joins");

    // With the watcher, n1 made the room 2 members. Joins are told one by one while the room has
    // at most CROWD_SIZE members (n2, n3, n4); n5 made it 6, a crowd: n5 to n10 come summarised.
    let (one_by_one, summarised) = (&nicks[1..CROWD_SIZE - 1], &nicks[CROWD_SIZE - 1..]);
    let early = &mut users[0];
    for nick in one_by_one {
        early.expect_next(&format!("-- {nick} joined #lobby"));
    }
    let lines = summaries_until(early, summarised.len(), 0);
    // One summary unless the joins straddled two intervals on a slow machine.
    if lines.len() == 1 {
        assert_eq!(lines[0], "-- #lobby in the last second: 6 joined (n5, n6, n7, ...)");
    } else {
        assert!(
            lines[0].starts_with("-- #lobby in the last second: ") && lines[0].contains(" joined (n5"),
            "{lines:?}"
        );
    }

    // The last joiner got the count, not a list of names; /who still lists everyone.
    let last = users.last_mut().unwrap();
    let here = last.received.iter().find(|l| l.starts_with("-- You joined #lobby.")).cloned().unwrap();
    assert_eq!(here, format!("-- You joined #lobby. {} here (type /who to list them)", JOINERS + 1));
    last.send("/who");
    // (It got the summary too: it was in the room when the summary went out.)
    let who = last.expect(&format!("-- {} users in #lobby: ", JOINERS + 1));
    for nick in nicks.iter().chain([&"watcher".to_string()]) {
        assert!(who.split([' ', ',']).any(|w| w == nick), "{nick} missing from {who:?}");
    }

    // Two quit: the IRC client gets a QUIT line for each, n1 a summary of two leaves.
    for user in users.drain(JOINERS - 2..) {
        let mut user = user;
        user.send("/quit");
        user.expect_closed();
    }
    for nick in &nicks[JOINERS - 2..] {
        watcher.expect(&format!(":{nick}!~{nick}@127.0.0.1 QUIT "));
    }
    let early = &mut users[0];
    let lines = summaries_until(early, 0, 2);
    if lines.len() == 1 {
        assert_eq!(lines[0], "-- #lobby in the last second: 2 left");
    }
}

#[test]
fn crowd_size_zero_tells_every_join() {
    let server = start(&["--crowd-size", "0"]);
    let mut first = netcat::register_at_once(&server, "first");
    let mut others = Vec::new();
    for i in 2..=8 {
        others.push(netcat::register_at_once(&server, &format!("u{i}")));
        first.expect_next(&format!("-- u{i} joined #lobby"));
    }
    let last = netcat::register_at_once(&server, "last");
    let here = last.received.iter().find(|l| l.starts_with("-- You joined #lobby.")).cloned().unwrap();
    assert!(here.starts_with("-- You joined #lobby. 9 here: first, u2, "), "{here}");
}

//! The operator log: timestamped structured lines, message texts kept private unless asked
//! for, and a rotated log file reopened at its path.

use crate::common::Server;
use crate::common::log::{assert_well_formed, parse_log_line};
use crate::common::time::now_millis;

// ---------------------------------------------------------------------------------------------
// The operator log
// ---------------------------------------------------------------------------------------------

#[test]
fn log_lines_are_timestamped_structured_and_keep_message_texts_private() {
    let before = now_millis();
    let server = Server::start(&[]);

    let start = parse_log_line(&server.expect_log(&[" INFO start "]));
    assert_eq!(start.level, "INFO");
    assert_eq!(start.event, "start");
    assert_eq!(start.field("version"), "0.1.0");
    assert_eq!(start.field("listen"), server.addr.to_string());
    assert_eq!(start.field("max_clients"), "1024");
    assert_eq!(start.field("pid"), server.pid().to_string());

    let mut alice = server.register("alice");
    let alice_addr = alice.stream.local_addr().unwrap();
    let connect = parse_log_line(&server.expect_log(&[" INFO connect ", &format!("peer={alice_addr} ")]));
    assert_eq!(connect.field("clients"), "1/1024");
    let alice_id = connect.field("client").to_string();
    assert!(alice_id.parse::<u64>().is_ok(), "{connect:?}");
    let nick = parse_log_line(&server.expect_log(&[" INFO nick ", &format!("client={alice_id} ")]));
    assert_eq!(nick.field("nick"), "alice");
    let join = parse_log_line(&server.expect_log(&[" INFO join ", &format!("client={alice_id} ")]));
    assert_eq!((join.field("nick"), join.field("room")), ("alice", "#lobby"));

    let mut bob = server.register("bob");
    let bob_addr = bob.stream.local_addr().unwrap();
    let connect = parse_log_line(&server.expect_log(&[" INFO connect ", &format!("peer={bob_addr} ")]));
    assert_eq!(connect.field("clients"), "2/1024");
    alice.expect("-- bob joined #lobby");

    alice.send("the quick brown fox ROOMSECRET");
    bob.expect("<alice> the quick brown fox ROOMSECRET");
    alice.send("/me whispers ACTIONSECRET");
    bob.expect("* alice whispers ACTIONSECRET");
    alice.send("/msg bob meet at PRIVATESECRET");
    bob.expect("*alice* meet at PRIVATESECRET");
    alice.expect("-> *bob* meet at PRIVATESECRET");
    let private = parse_log_line(&server.expect_log(&[" INFO private "]));
    assert_eq!((private.field("client"), private.field("from"), private.field("to")), (&*alice_id, "alice", "bob"));

    alice.send("/quit");
    alice.expect("-- Closing connection: quit");
    bob.expect("-- alice quit (quit)");
    let quit = parse_log_line(&server.expect_log(&[" INFO quit ", &format!("client={alice_id} ")]));
    assert_eq!(quit.field("nick"), "alice");
    assert_eq!(quit.field("reason"), "quit");
    assert_eq!(quit.field("peer"), alice_addr.to_string());

    let text = server.log.text();
    assert_well_formed(&text, before, now_millis());
    for secret in ["ROOMSECRET", "ACTIONSECRET", "PRIVATESECRET", "quick brown", "meet at"] {
        assert!(!text.contains(secret), "message text {secret:?} in the log:\n{text}");
    }
    assert!(!text.contains(" message "), "message lines without --log-messages:\n{text}");
}

#[test]
fn log_messages_records_message_texts() {
    let server = Server::start(&["--log-messages"]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    alice.expect("-- bob joined #lobby");

    alice.send("hello \"world\" = everyone");
    bob.expect("<alice> hello \"world\" = everyone");
    let message = parse_log_line(&server.expect_log(&[" INFO message ", "to=#lobby"]));
    assert_eq!(message.field("from"), "alice");
    assert_eq!(message.field("text"), "hello \"world\" = everyone");

    bob.send("/msg alice psst secret");
    alice.expect("*bob* psst secret");
    let message = parse_log_line(&server.expect_log(&[" INFO message ", "to=alice"]));
    assert_eq!((message.field("from"), message.field("text")), ("bob", "psst secret"));
    server.expect_log(&[" INFO private ", "from=bob", "to=alice"]);
}

#[test]
fn a_rotated_log_file_is_reopened_at_its_path_and_nothing_is_lost() {
    let before = now_millis();
    let server = Server::start_with_log_file(&[]);
    let path = server.log_file.clone().unwrap();
    let rotated = path.with_extension("log.1");

    let mut alice = server.register("alice");
    // The log has a writer thread of its own: wait until alice's lines are in the file.
    server.expect_log(&[" INFO join ", "nick=alice"]);
    std::fs::rename(&path, &rotated).unwrap();
    let _bob = server.register("bob");
    alice.expect("-- bob joined #lobby");
    server.expect_log(&[" INFO join ", "nick=bob"]);

    let old = std::fs::read_to_string(&rotated).unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    let after = now_millis();
    assert_well_formed(&old, before, after);
    assert_well_formed(&new, before, after);
    let events = |text: &str| -> Vec<(String, Option<String>)> {
        text.lines()
            .map(parse_log_line)
            .map(|l| {
                let nick = l.get("nick").map(str::to_string);
                (l.event, nick)
            })
            .collect()
    };
    let old_events = events(&old);
    let new_events = events(&new);
    let alice = |event: &str| (event.to_string(), Some("alice".to_string()));
    let bob = |event: &str| (event.to_string(), Some("bob".to_string()));

    // The old file: everything up to the rename, nothing after.
    assert_eq!(old_events.first().map(|e| e.0.as_str()), Some("start"), "old file:\n{old}");
    assert!(old_events.contains(&alice("nick")) && old_events.contains(&alice("join")), "old file:\n{old}");
    assert_eq!(old.matches(" INFO connect ").count(), 1, "old file:\n{old}");
    assert!(!old_events.contains(&bob("nick")) && !old.contains("log_reopened"), "old file:\n{old}");

    // The new file: the reopen note, then bob's arrival.
    let reopened = parse_log_line(new.lines().next().unwrap_or(""));
    assert_eq!(reopened.event, "log_reopened", "new file:\n{new}");
    assert_eq!(reopened.field("path"), path.display().to_string());
    assert_eq!(new.matches(" INFO connect ").count(), 1, "new file:\n{new}");
    assert!(new_events.contains(&bob("nick")) && new_events.contains(&bob("join")), "new file:\n{new}");
    assert!(!new_events.contains(&alice("nick")) && !new.contains(" INFO start "), "new file:\n{new}");

    // Nothing duplicated across the two files.
    let mut all: Vec<&str> = old.lines().chain(new.lines()).collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count, "duplicated lines:\n{old}\n---\n{new}");
}

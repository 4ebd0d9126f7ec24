//! A web user in the same rooms as netcat and IRC users: talking both ways, `/me`, `/msg`,
//! `/join`, `/quit` through `/api/send`, and hostile text carried as JSON text unchanged.

use crate::common::http::{Req, one_shot};
use crate::common::irc::{self, expect_exact as irc_exact};
use crate::common::netcat::expect_exact;
use crate::common::web::{EventStream, WebUser, login};
use crate::common::{Client, Server, after_clock, expect_said};

/// A server as `irc.test` with netcat alice, IRC bob and web webber (streaming) in #lobby.
fn three_dialects() -> (Server, Client, Client, WebUser, EventStream) {
    let server = irc::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = irc::in_rooms(&server, "bob", &["#lobby"]);
    expect_exact(&mut alice, "-- bob joined #lobby");
    let webber = login(&server, "webber");
    let mut stream = webber.stream(&server, None);
    let joined = stream.expect_joined("#lobby");
    let mut nicks: Vec<&str> = joined.json.get("members").array().iter().map(|m| m.text("nick")).collect();
    nicks.sort_unstable();
    assert_eq!(nicks, ["alice", "bob", "webber"]);
    expect_exact(&mut alice, "-- webber joined #lobby");
    let join = irc::next(&mut bob);
    assert!(join.starts_with(":webber!") && join.ends_with(" JOIN #lobby"), "{join}");
    (server, alice, bob, webber, stream)
}

#[test]
fn a_web_user_talks_with_a_netcat_and_an_irc_user_both_ways() {
    let (server, mut alice, mut bob, webber, mut stream) = three_dialects();

    webber.say(&server, "hello from the browser");
    expect_said(&mut alice, "<webber> hello from the browser");
    let line = irc::next(&mut bob);
    assert!(line.starts_with(":webber!") && line.ends_with(" PRIVMSG #lobby :hello from the browser"), "{line}");
    // The page shows its own lines when they come back.
    let echo = stream.expect_said("#lobby", "webber", "hello from the browser");
    assert_eq!(echo.json.text("kind"), "normal");

    alice.send("hi webber, alice here");
    stream.expect_said("#lobby", "alice", "hi webber, alice here");
    irc_exact(&mut bob, ":alice!~alice@127.0.0.1 PRIVMSG #lobby :hi webber, alice here");
    irc::send(&mut bob, "PRIVMSG #lobby :and bob on IRC");
    stream.expect_said("#lobby", "bob", "and bob on IRC");
    expect_said(&mut alice, "<bob> and bob on IRC");

    webber.say(&server, "/me waves");
    expect_said(&mut alice, "* webber waves");
    assert!(irc::next(&mut bob).ends_with(" PRIVMSG #lobby :\u{1}ACTION waves\u{1}"));
    let action = stream.expect_said("#lobby", "webber", "waves");
    assert_eq!(action.json.text("kind"), "action");

    alice.expect_nothing_before_round_trip();
    irc::settle(&mut bob, "talked");
}

#[test]
fn private_messages_go_both_ways_between_web_netcat_and_irc() {
    let (server, mut alice, mut bob, webber, mut stream) = three_dialects();

    webber.say(&server, "/msg alice just for you");
    let line = alice.expect("just for you");
    assert!(after_clock(&line).contains("webber") && !line.contains("#lobby"), "{line}");
    let echo = stream.expect("private");
    assert_eq!((echo.json.text("from"), echo.json.text("to")), ("webber", "alice"));
    assert_eq!(echo.json.text("text"), "just for you");

    alice.send("/msg webber back at you");
    let private = stream.expect("private");
    assert_eq!((private.json.text("from"), private.json.text("to")), ("alice", "webber"));
    assert_eq!(private.json.text("text"), "back at you");

    irc::send(&mut bob, "PRIVMSG webber :from irc");
    let private = stream.expect("private");
    assert_eq!((private.json.text("from"), private.json.text("text")), ("bob", "from irc"));
    webber.say(&server, "/msg bob to irc");
    let line = irc::next(&mut bob);
    assert!(line.starts_with(":webber!") && line.ends_with(" PRIVMSG bob :to irc"), "{line}");
    irc::settle(&mut bob, "private");
}

#[test]
fn join_makes_a_room_current_and_plain_lines_go_there() {
    let (server, mut alice, mut bob, webber, mut stream) = three_dialects();
    webber.say(&server, "/join #rust");
    let joined = stream.expect_joined("#rust");
    assert_eq!(joined.json.get("members").array().len(), 1);
    irc::join(&mut bob, "bob", "#rust");
    let bob_joined = stream.expect("joined");
    assert_eq!((bob_joined.json.text("room"), bob_joined.json.text("nick")), ("#rust", "bob"));

    webber.say(&server, "in rust now");
    let line = irc::next(&mut bob);
    assert!(line.ends_with(" PRIVMSG #rust :in rust now"), "{line}");
    stream.expect_said("#rust", "webber", "in rust now");
    // Back to the lobby: joining a room one is in makes it current.
    webber.say(&server, "/join #lobby");
    assert_eq!(stream.expect("current").json.text("room"), "#lobby");
    webber.say(&server, "lobby again");
    expect_said(&mut alice, "<webber> lobby again");
    let line = irc::next(&mut bob);
    assert!(line.ends_with(" PRIVMSG #lobby :lobby again"), "{line}");
    // A failing command comes back as an error event, not an HTTP error.
    webber.say(&server, "/msg nobody-here hello?");
    assert!(stream.expect("error").json.text("text").contains("nobody-here"));
}

#[test]
fn quit_ends_the_session_at_once_and_everyone_is_told() {
    let (server, mut alice, mut bob, webber, mut stream) = three_dialects();
    webber.say(&server, "/quit see you");
    assert_eq!(stream.expect("closing").json.text("reason"), "quit: see you");
    let rest = stream.http.read_to_close();
    assert!(rest.is_empty(), "after closing: {:?}", String::from_utf8_lossy(&rest));
    expect_exact(&mut alice, "-- webber quit (quit: see you)");
    let line = irc::next(&mut bob);
    assert!(line.starts_with(":webber!") && line.ends_with(" QUIT :Quit: see you"), "{line}");
    assert_eq!(one_shot(&server, &Req::get("/api/session").field("Cookie", &webber.cookie)).status, 404);
    assert_eq!(webber.post(&server, "too late").status, 401);
    server.expect_log(&[" INFO quit ", "nick=webber ", "dialect=web"]);
}

#[test]
fn script_and_markup_arrive_as_json_text_unchanged() {
    let (server, mut alice, mut bob, webber, mut stream) = three_dialects();
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=\"alert('x')\">",
        "</script><b>bold</b> & &amp; \\u003c \"quoted\" \\ back",
    ];
    for payload in payloads {
        alice.send(payload);
        let said = stream.expect_said("#lobby", "alice", payload);
        // The server does not escape for HTML (the page inserts text as text): the JSON string
        // holds the characters themselves, only `"` and `\` escaped.
        let as_json = payload.replace('\\', "\\\\").replace('"', "\\\"");
        assert!(said.data.contains(&format!("\"text\":\"{as_json}\"")), "{}", said.data);
        let line = irc::next(&mut bob);
        assert!(line.starts_with(":alice!~alice@127.0.0.1 PRIVMSG #lobby ") && line.ends_with(payload), "{line}");

        webber.say(&server, payload);
        expect_said(&mut alice, &format!("<webber> {payload}"));
        let line = irc::next(&mut bob);
        assert!(line.starts_with(":webber!") && line.ends_with(payload), "{line}");
        stream.expect_said("#lobby", "webber", payload);
    }
    // One line per post: what follows a line break is not a second line.
    webber.say(&server, "first\nsecond");
    expect_said(&mut alice, "<webber> first");
    alice.expect_nothing_before_round_trip();
}

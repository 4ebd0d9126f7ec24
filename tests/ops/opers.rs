//! Server operators: OPER, and KILL by an operator and by anyone else.

use crate::common::irc::{self, expect_exact, num, send, settle, start};
use crate::common::netcat::{self, netcat_settle};

// ---------------------------------------------------------------------------------------------
// OPER and KILL
// ---------------------------------------------------------------------------------------------

#[test]
fn oper_with_the_right_password_gives_381_and_shows_in_whois_who_and_lusers() {
    let server = start(&["--oper", "admin:s3cret"]);
    server.expect_log(&[" INFO start ", "opers=1"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::register(&server, "carol");
    send(&mut bob, "OPER admin guess");
    expect_exact(&mut bob, &num("464", "bob", ":Password incorrect"));
    let failed = server.expect_log(&[" WARN oper_failed ", "nick=bob", "name=admin"]);
    assert!(!failed.contains("guess"), "the password attempt is logged: {failed:?}");
    send(&mut bob, "OPER root s3cret");
    expect_exact(&mut bob, &num("464", "bob", ":Password incorrect"));
    send(&mut bob, "OPER admin S3CRET");
    expect_exact(&mut bob, &num("464", "bob", ":Password incorrect"));
    send(&mut bob, "OPER admin");
    expect_exact(&mut bob, &num("461", "bob", "OPER :Not enough parameters"));
    // Not an operator yet: no 313, no 252, no '*' in WHO.
    send(&mut carol, "WHOIS bob");
    expect_exact(&mut carol, &num("311", "carol", "bob ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut carol, &num("319", "carol", "bob @#room"));
    expect_exact(&mut carol, &num("312", "carol", "bob irc.test chatd"));
    carol.expect_next(":irc.test 317 carol bob ");
    expect_exact(&mut carol, &num("318", "carol", "bob :End of /WHOIS list"));
    send(&mut carol, "LUSERS");
    expect_exact(&mut carol, &num("251", "carol", ":There are 0 users and 2 invisible on 1 servers"));
    expect_exact(&mut carol, &num("254", "carol", "2 :channels formed"));
    carol.expect_next(&num("255", "carol", ":I have 2 clients"));
    expect_exact(&mut carol, &num("265", "carol", "2 2 :Current local users 2, max 2"));
    expect_exact(&mut carol, &num("266", "carol", "2 2 :Current global users 2, max 2"));

    send(&mut bob, "OPER admin s3cret");
    expect_exact(&mut bob, &num("381", "bob", ":You are now an IRC operator"));
    // The user mode it brings, announced as servers do, and shown from then on.
    expect_exact(&mut bob, ":bob MODE bob +o");
    send(&mut bob, "MODE bob");
    expect_exact(&mut bob, &num("221", "bob", "+io"));
    let ok = server.expect_log(&[" INFO oper ", "nick=bob", "name=admin"]);
    assert!(!ok.contains("s3cret"), "the password is logged: {ok:?}");
    send(&mut carol, "WHOIS bob");
    expect_exact(&mut carol, &num("311", "carol", "bob ~u 127.0.0.1 * :Real Name"));
    expect_exact(&mut carol, &num("319", "carol", "bob @#room"));
    expect_exact(&mut carol, &num("312", "carol", "bob irc.test chatd"));
    expect_exact(&mut carol, &num("313", "carol", "bob :is an IRC operator"));
    carol.expect_next(":irc.test 317 carol bob ");
    expect_exact(&mut carol, &num("318", "carol", "bob :End of /WHOIS list"));
    send(&mut carol, "WHO bob");
    expect_exact(&mut carol, &num("352", "carol", "* ~u 127.0.0.1 irc.test bob H* :0 Real Name"));
    expect_exact(&mut carol, &num("315", "carol", "bob :End of /WHO list"));
    // carol is not in #room: she is shown its members without `+i` only.
    send(&mut bob, "MODE bob -i");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 MODE bob -i");
    send(&mut carol, "WHO #room");
    expect_exact(&mut carol, &num("352", "carol", "#room ~u 127.0.0.1 irc.test bob H*@ :0 Real Name"));
    expect_exact(&mut carol, &num("315", "carol", "#room :End of /WHO list"));
    send(&mut carol, "LUSERS");
    expect_exact(&mut carol, &num("251", "carol", ":There are 1 users and 1 invisible on 1 servers"));
    expect_exact(&mut carol, &num("252", "carol", "1 :operator(s) online"));
    expect_exact(&mut carol, &num("254", "carol", "2 :channels formed"));
    carol.expect_next(&num("255", "carol", ":I have 2 clients"));
    expect_exact(&mut carol, &num("265", "carol", "2 2 :Current local users 2, max 2"));
    expect_exact(&mut carol, &num("266", "carol", "2 2 :Current global users 2, max 2"));
    // The count follows operators leaving.
    send(&mut bob, "QUIT");
    bob.expect_closed();
    send(&mut carol, "LUSERS");
    expect_exact(&mut carol, &num("251", "carol", ":There are 0 users and 1 invisible on 1 servers"));
    expect_exact(&mut carol, &num("254", "carol", "1 :channels formed"));
    carol.expect_next(&num("255", "carol", ":I have 1 clients"));
}

#[test]
fn oper_on_a_server_without_operators_gets_491_and_kill_by_a_non_operator_gets_481() {
    let server = start(&[]);
    server.expect_log(&[" INFO start ", "opers=0"]);
    let mut bob = irc::register(&server, "bob");
    let _carol = irc::register(&server, "carol");
    send(&mut bob, "OPER admin s3cret");
    expect_exact(&mut bob, &num("491", "bob", ":No O-lines for your host"));
    send(&mut bob, "KILL carol :go away");
    expect_exact(&mut bob, &num("481", "bob", ":Permission Denied- You're not an IRC operator"));
    settle(&mut bob, "end");
}

#[test]
fn kill_by_an_operator_disconnects_the_target_and_its_rooms_see_why() {
    let server = start(&["--oper", "admin:s3cret", "--oper", "second:pw2"]);
    let mut boss = irc::register(&server, "boss");
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#room"]);
    let mut dan = netcat::register_at_once(&server, "dan");
    let mut erin = netcat::register_at_once(&server, "erin");
    expect_exact(&mut bob, ":carol!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut dan, "-- erin joined #lobby");

    send(&mut carol, "KILL bob :not you");
    expect_exact(&mut carol, &num("481", "carol", ":Permission Denied- You're not an IRC operator"));
    // Any of the configured logins works.
    send(&mut boss, "OPER second pw2");
    expect_exact(&mut boss, &num("381", "boss", ":You are now an IRC operator"));
    expect_exact(&mut boss, ":boss MODE boss +o");
    send(&mut boss, "KILL nobody :who?");
    expect_exact(&mut boss, &num("401", "boss", "nobody :No such nick/channel"));
    send(&mut boss, "KILL");
    expect_exact(&mut boss, &num("461", "boss", "KILL :Not enough parameters"));

    send(&mut boss, "KILL BOB :spamming the room");
    expect_exact(&mut bob, "ERROR :Closing link: (Killed (boss (spamming the room)))");
    assert_eq!(bob.expect_closed(), Vec::<String>::new());
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 QUIT :Killed (boss (spamming the room))");
    server.expect_log(&[" WARN evict ", "nick=bob", "reason=killed"]);
    // The killer shared no room with bob: told nothing.
    settle(&mut boss, "after-kill");
    // A netcat user is killed the same way.
    send(&mut boss, "KILL dan :enough");
    expect_exact(&mut dan, "-- Closing connection: killed by boss: enough");
    assert_eq!(dan.expect_closed(), Vec::<String>::new());
    expect_exact(&mut erin, "-- dan quit (killed by boss: enough)");
    server.expect_log(&[" WARN evict ", "nick=dan", "reason=killed"]);
    // Their nicknames are free again.
    send(&mut carol, "ISON bob dan erin boss");
    expect_exact(&mut carol, &num("303", "carol", ":erin boss"));
    // Without a comment: carried out, with a default one.
    let mut bob = irc::in_rooms(&server, "bob", &["#room"]);
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 JOIN #room");
    send(&mut boss, "KILL bob");
    expect_exact(&mut bob, "ERROR :Closing link: (Killed (boss (no reason given)))");
    expect_exact(&mut carol, ":bob!~u@127.0.0.1 QUIT :Killed (boss (no reason given))");
    settle(&mut carol, "end");
    netcat_settle(&mut erin);
}

//! Bans on members already in a room: a ban set on someone inside silences them (404 on IRC, an
//! error line on netcat), unless a ban exception matches them or they are voiced or an operator.

use crate::common::irc::{self, expect_exact, num, send, settle, start};

#[test]
fn a_banned_member_cannot_speak_unless_excepted_or_voiced() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#c"]);
    let mut bob = irc::in_rooms(&server, "bob", &["#c"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #c");
    send(&mut alice, "MODE #c +b bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c +b bob!*@*");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #c +b bob!*@*");

    send(&mut bob, "PRIVMSG #c :can you hear me");
    expect_exact(&mut bob, &num("404", "bob", "#c :Cannot send to channel (+b)"));
    send(&mut bob, "NOTICE #c :nor this");
    send(&mut bob, "@+typing=active TAGMSG #c");
    expect_exact(&mut bob, &num("404", "bob", "#c :Cannot send to channel (+b)"));
    settle(&mut bob, "silenced");
    // Nothing reached alice: the next line she gets is her own PONG.
    settle(&mut alice, "nothing");

    // A ban exception lets him speak again.
    send(&mut alice, "MODE #c +e bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c +e bob!*@*");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #c +e bob!*@*");
    send(&mut bob, "PRIVMSG #c :excepted");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #c excepted");

    // So does voice, without the exception.
    send(&mut alice, "MODE #c -e+v bob bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c -e+v bob!*@* bob");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #c -e+v bob!*@* bob");
    send(&mut bob, "PRIVMSG #c :voiced");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 PRIVMSG #c voiced");
    send(&mut alice, "MODE #c -v bob");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #c -v bob");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 MODE #c -v bob");
    send(&mut bob, "PRIVMSG #c :silent again");
    expect_exact(&mut bob, &num("404", "bob", "#c :Cannot send to channel (+b)"));
    settle(&mut alice, "silent");
}

#[test]
fn a_banned_netcat_user_is_told_why_nobody_hears_them() {
    let server = start(&["--oper", "root:secret-password"]);
    let mut carol = server.register("carol");
    let mut alice = irc::register(&server, "alice");
    send(&mut alice, "OPER root secret-password");
    alice.expect(&num("381", "alice", ":You are now an IRC operator"));
    expect_exact(&mut alice, ":alice MODE alice +o");
    irc::join(&mut alice, "alice", "#lobby");
    send(&mut alice, "MODE #lobby +b carol");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #lobby +b carol!*@*");
    carol.send("hello?");
    carol.expect("error: you are banned in #lobby, so you cannot talk there");
    settle(&mut alice, "unheard");
}

//! Accounts as other IRC users see them: WHOIS 330 and the IRCv3 capabilities `account-notify`,
//! `extended-join` and `account-tag` (alone and beside `server-time`).

use super::{assert_not_logged, ns, register_account, whois_account};
use crate::common::Client;
use crate::common::irc::{self, expect_exact, next, num, send, start};
use crate::common::time::{expect_tagged, now_millis, parse_timestamp};

/// The next line must be `@time=STAMP;account=ACCOUNT rest`, stamped between `since` and now.
fn expect_time_and_account(client: &mut Client, account: &str, rest: &str, since: i64) {
    let line = next(client);
    let (tags, body) = line.split_once(' ').unwrap_or_else(|| panic!("{line:?}"));
    let (stamp, others) = tags
        .strip_prefix("@time=")
        .and_then(|t| t.split_once(';'))
        .unwrap_or_else(|| panic!("no @time=...; in {line:?}"));
    assert_eq!(others, format!("account={account}"), "{line:?}");
    assert_eq!(body, rest, "{line:?}");
    let at = parse_timestamp(stamp).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert!(since <= at && at <= now_millis(), "{line:?}");
}

#[test]
fn accounts_show_in_whois_account_notify_extended_join_and_account_tags() {
    let server = start(&[]);
    let mut alice = register_account(&server, "alice", "correct-horse");
    // nate asks for every account capability and server-time; ann for account-notify only;
    // olga for none; tina for account-tag only (and is in no room).
    let mut nate = irc::register_with(&server, "nate", "account-notify account-tag extended-join server-time");
    send(&mut nate, "JOIN #room");
    expect_exact(&mut nate, ":nate!~u@127.0.0.1 JOIN #room * :Real Name");
    nate.expect(&num("366", "nate", "#room :End of /NAMES list"));
    let mut ann = irc::register_with(&server, "ann", "account-notify");
    irc::join(&mut ann, "ann", "#room");
    expect_exact(&mut nate, ":ann!~u@127.0.0.1 JOIN #room * :Real Name");
    let mut olga = irc::in_rooms(&server, "olga", &["#room"]);
    expect_exact(&mut nate, ":olga!~u@127.0.0.1 JOIN #room * :Real Name");
    expect_exact(&mut ann, ":olga!~u@127.0.0.1 JOIN #room");
    let mut tina = irc::register_with(&server, "tina", "account-tag");

    // extended-join: `*` for someone not logged in, the account for someone who is.
    let mut bob = irc::register_as(&server, "bob", "Bob Real", "");
    irc::join(&mut bob, "bob", "#room");
    expect_exact(&mut nate, ":bob!~u@127.0.0.1 JOIN #room * :Bob Real");
    expect_exact(&mut ann, ":bob!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut olga, ":bob!~u@127.0.0.1 JOIN #room");
    irc::join(&mut alice, "alice", "#room");
    expect_exact(&mut nate, "@account=alice :alice!~u@127.0.0.1 JOIN #room alice :Real Name");
    expect_exact(&mut ann, ":alice!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut olga, ":alice!~u@127.0.0.1 JOIN #room");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 JOIN #room");

    // WHOIS: 330 for a logged-in person only.
    assert_eq!(whois_account(&mut olga, "olga", "alice").as_deref(), Some("alice"));
    assert_eq!(whois_account(&mut olga, "olga", "bob"), None);

    // account-notify: bob logs in, then drops his account.
    send(&mut bob, "PRIVMSG NickServ :REGISTER bobs-password");
    bob.expect(&ns("bob", "You are now identified for bob."));
    expect_exact(&mut nate, "@account=bob :bob!~u@127.0.0.1 ACCOUNT bob");
    expect_exact(&mut ann, ":bob!~u@127.0.0.1 ACCOUNT bob");
    olga.expect_nothing_before_round_trip();
    alice.expect_nothing_before_round_trip();
    send(&mut bob, "PRIVMSG NickServ :DROP bobs-password");
    bob.expect(&ns("bob", "Account bob dropped: the nickname bob is free for anyone."));
    expect_exact(&mut nate, ":bob!~u@127.0.0.1 ACCOUNT *");
    expect_exact(&mut ann, ":bob!~u@127.0.0.1 ACCOUNT *");
    olga.expect_nothing_before_round_trip();

    // account-tag, alone and with server-time.
    let since = now_millis();
    send(&mut alice, "PRIVMSG #room :hello there");
    send(&mut alice, "PRIVMSG tina :psst, tina");
    expect_exact(&mut ann, ":alice!~u@127.0.0.1 PRIVMSG #room :hello there");
    expect_exact(&mut olga, ":alice!~u@127.0.0.1 PRIVMSG #room :hello there");
    expect_exact(&mut tina, "@account=alice :alice!~u@127.0.0.1 PRIVMSG tina :psst, tina");
    // Someone not logged in: no account tag.
    send(&mut bob, "PRIVMSG #room :not logged in");
    expect_time_and_account(&mut nate, "alice", ":alice!~u@127.0.0.1 PRIVMSG #room :hello there", since);
    expect_tagged(&mut nate, ":bob!~u@127.0.0.1 PRIVMSG #room :not logged in", since);
    assert_not_logged(&server, &["correct-horse", "bobs-password"]);
}

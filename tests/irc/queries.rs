//! The server queries over TCP: WHO with masks and WHOX, WHOWAS, WHOIS prefixes, NAMES lists,
//! INFO, LINKS, HELP/HELPOP, LUSERS totals, user mode +i (and whom it hides from), user mode +w
//! and WALLOPS, USER without a real name.

use crate::common::irc::{self, expect_exact, next, num, send, settle, start};
use crate::common::{netcat, time};

#[test]
fn who_matches_masks_against_nick_user_host_and_real_name_and_answers_whox() {
    let server = start(&["--oper", "admin:s3cret"]);
    let mut alice = irc::register_as(&server, "alice", "Alice Liddell", "");
    irc::join(&mut alice, "alice", "#room");
    // bob shares a room with each of them: `+i` (everyone's) hides nobody from him.
    let mut bob = irc::in_rooms(&server, "bob", &["#room", "#lobby"]);
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #room");
    let _carol = server.register("carol");
    expect_exact(&mut bob, ":carol!~carol@127.0.0.1 JOIN #lobby");

    send(&mut bob, "WHO ali*");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice H :0 Alice Liddell"));
    expect_exact(&mut bob, &num("315", "bob", "ali* :End of /WHO list"));
    // Everyone, by nickname; a netcat user's user is `~` and the nickname, its real name the nickname.
    for mask in ["*", "0"] {
        send(&mut bob, &format!("WHO {mask}"));
        expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice H :0 Alice Liddell"));
        expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test bob H :0 Real Name"));
        expect_exact(&mut bob, &num("352", "bob", "* ~carol 127.0.0.1 irc.test carol H :0 carol"));
        expect_exact(&mut bob, &num("315", "bob", &format!("{mask} :End of /WHO list")));
    }
    // The real name, and the end line names the mask exactly as sent.
    send(&mut bob, "WHO *LIDDELL");
    bob.expect_next(&num("352", "bob", "* ~u 127.0.0.1 irc.test alice "));
    expect_exact(&mut bob, &num("315", "bob", "*LIDDELL :End of /WHO list"));
    send(&mut bob, "WHO ~caro?");
    bob.expect_next(&num("352", "bob", "* ~carol "));
    expect_exact(&mut bob, &num("315", "bob", "~caro? :End of /WHO list"));
    send(&mut bob, "WHO zz*");
    expect_exact(&mut bob, &num("315", "bob", "zz* :End of /WHO list"));
    // A mask that matches the server's name matches everyone on it (all of them).
    send(&mut bob, "WHO irc.*");
    for user in ["~u 127.0.0.1 irc.test alice ", "~u 127.0.0.1 irc.test bob ", "~carol 127.0.0.1 irc.test carol "] {
        bob.expect_next(&num("352", "bob", &format!("* {user}")));
    }
    expect_exact(&mut bob, &num("315", "bob", "irc.* :End of /WHO list"));

    // WHOX: exactly the fields asked for, in the spec's order; no account is `0`.
    send(&mut bob, "WHO #room %tnuhiraf,42");
    expect_exact(&mut bob, &num("354", "bob", "42 ~u 127.0.0.1 127.0.0.1 alice H@ 0 :Alice Liddell"));
    expect_exact(&mut bob, &num("354", "bob", "42 ~u 127.0.0.1 127.0.0.1 bob H 0 :Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "#room :End of /WHO list"));
    send(&mut bob, "WHO carol %cnfdo");
    expect_exact(&mut bob, &num("354", "bob", "* carol H 0 n/a"));
    expect_exact(&mut bob, &num("315", "bob", "carol :End of /WHO list"));

    // `o`: server operators only.
    send(&mut bob, "WHO * o");
    expect_exact(&mut bob, &num("315", "bob", "* :End of /WHO list"));
    send(&mut alice, "OPER admin s3cret");
    alice.expect(&num("381", "alice", ":You are now an IRC operator"));
    send(&mut bob, "WHO * o%nf");
    expect_exact(&mut bob, &num("354", "bob", "alice H*"));
    expect_exact(&mut bob, &num("315", "bob", "* :End of /WHO list"));
    settle(&mut bob, "who");
}

/// The next line must be `312 <to> <nick> irc.test :<when>`, `when` (as `date -u` writes it)
/// between `since` and now, to the second.
fn expect_left(client: &mut crate::common::Client, to: &str, nick: &str, since: i64) {
    let line = next(client);
    let head = num("312", to, &format!("{nick} irc.test :"));
    let when = line.strip_prefix(&head).unwrap_or_else(|| panic!("{line:?} is not {head:?}..."));
    let at = time::parse_human_utc(when).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let until = time::now_millis();
    assert!(since / 1000 * 1000 <= at && at <= until, "{when} outside [{since}, {until}]: {line:?}");
}

#[test]
fn whowas_remembers_renamed_and_departed_nicknames_newest_first_with_when_they_left() {
    let server = start(&[]);
    let since = time::now_millis();
    let mut alice = irc::register(&server, "alice");
    let bob = irc::register_as(&server, "bob", "Bob B", "");
    send(&mut alice, "NICK alicia");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 NICK alicia");
    send(&mut alice, "NICK alice");
    expect_exact(&mut alice, ":alicia!~u@127.0.0.1 NICK alice");
    // bob's connection closes; his QUIT reaches nobody (no shared room), the log line comes
    // after chat state let him go.
    drop(bob);
    server.expect_log(&["nick=bob ", "quit"]);
    let mut watcher = irc::register(&server, "watcher");
    send(&mut watcher, "WHOWAS alicia");
    expect_exact(&mut watcher, &num("314", "watcher", "alicia ~u 127.0.0.1 * :Real Name"));
    expect_left(&mut watcher, "watcher", "alicia", since);
    expect_exact(&mut watcher, &num("369", "watcher", "alicia :End of WHOWAS"));
    // alice left "alice" once (she holds it again): one entry.
    send(&mut watcher, "WHOWAS ALICE 5");
    expect_exact(&mut watcher, &num("314", "watcher", "alice ~u 127.0.0.1 * :Real Name"));
    expect_left(&mut watcher, "watcher", "alice", since);
    expect_exact(&mut watcher, &num("369", "watcher", "ALICE :End of WHOWAS"));
    send(&mut watcher, "WHOWAS bob 1");
    expect_exact(&mut watcher, &num("314", "watcher", "bob ~u 127.0.0.1 * :Bob B"));
    expect_left(&mut watcher, "watcher", "bob", since);
    expect_exact(&mut watcher, &num("369", "watcher", "bob :End of WHOWAS"));
    // A list (past `TARGMAX`, WHOWAS:4, the rest are dropped): every entry, newest first (alice
    // left "alicia" after "alice"), the nicknames nobody used, one end line for the list.
    send(&mut watcher, "WHOWAS Alice,never,alicia,a,b");
    expect_exact(&mut watcher, &num("314", "watcher", "alicia ~u 127.0.0.1 * :Real Name"));
    expect_left(&mut watcher, "watcher", "alicia", since);
    expect_exact(&mut watcher, &num("314", "watcher", "alice ~u 127.0.0.1 * :Real Name"));
    expect_left(&mut watcher, "watcher", "alice", since);
    expect_exact(&mut watcher, &num("406", "watcher", "never :There was no such nickname"));
    expect_exact(&mut watcher, &num("406", "watcher", "a :There was no such nickname"));
    expect_exact(&mut watcher, &num("369", "watcher", "Alice,never,alicia,a :End of WHOWAS"));
    settle(&mut watcher, "whowas-list");
    send(&mut watcher, "WHOWAS never");
    expect_exact(&mut watcher, &num("406", "watcher", "never :There was no such nickname"));
    expect_exact(&mut watcher, &num("369", "watcher", "never :End of WHOWAS"));
    send(&mut watcher, "WHOWAS");
    expect_exact(&mut watcher, &num("431", "watcher", ":No nickname given"));
    settle(&mut watcher, "whowas");
}

#[test]
fn whois_shows_status_prefixes_and_names_answers_each_room_of_a_list_with_one_end_line() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#a", "#b"]);
    let mut bob = irc::register_with(&server, "bob", "multi-prefix");
    irc::join(&mut bob, "bob", "#a");
    expect_exact(&mut alice, ":bob!~u@127.0.0.1 JOIN #a");
    send(&mut alice, "MODE #a +v alice");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE #a +v alice");
    send(&mut bob, "WHOIS alice");
    bob.expect(&num("319", "bob", "alice :@+#a @#b"));
    bob.expect(&num("318", "bob", "alice :End of /WHOIS list"));
    send(&mut alice, "WHOIS bob");
    alice.expect(&num("319", "alice", "bob #a"));
    alice.expect(&num("318", "alice", "bob :End of /WHOIS list"));
    // A list: each room's names, then one end line naming the list as given.
    send(&mut bob, "NAMES #a,#b");
    expect_exact(&mut bob, &num("353", "bob", "= #a :@+alice bob"));
    // bob is not in #b: its `+i` members (everyone, from the start) are not listed to him.
    expect_exact(&mut bob, &num("366", "bob", "#a,#b :End of /NAMES list"));
    send(&mut alice, "MODE alice -i");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE alice -i");
    send(&mut bob, "NAMES #b,#a");
    expect_exact(&mut bob, &num("353", "bob", "= #b @alice"));
    expect_exact(&mut bob, &num("353", "bob", "= #a :@+alice bob"));
    expect_exact(&mut bob, &num("366", "bob", "#b,#a :End of /NAMES list"));
    settle(&mut bob, "names");
}

#[test]
fn the_server_description_is_what_whois_and_links_say_of_the_server() {
    let server = start(&["--server-description", "test server"]);
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "LINKS");
    expect_exact(&mut bob, &num("364", "bob", "irc.test irc.test :0 test server"));
    expect_exact(&mut bob, &num("365", "bob", "* :End of /LINKS list"));
    send(&mut bob, "WHOIS bob");
    bob.expect(&num("312", "bob", "bob irc.test :test server"));
    bob.expect(&num("318", "bob", "bob :End of /WHOIS list"));
}

#[test]
fn info_links_help_and_lusers_totals() {
    let server = start(&[]);
    let mut bob = irc::register(&server, "bob");
    send(&mut bob, "INFO");
    bob.expect_next(&num("371", "bob", ":chatd-"));
    let end = irc::lines_until_pong(&mut bob, "info");
    assert_eq!(end.last().map(String::as_str), Some(num("374", "bob", ":End of INFO list").as_str()), "{end:?}");
    assert!(end.iter().take(end.len() - 1).all(|l| l.starts_with(&num("371", "bob", ":"))), "{end:?}");
    send(&mut bob, "LINKS");
    expect_exact(&mut bob, &num("364", "bob", "irc.test irc.test :0 chatd"));
    expect_exact(&mut bob, &num("365", "bob", "* :End of /LINKS list"));
    send(&mut bob, "LINKS *.org");
    expect_exact(&mut bob, &num("365", "bob", "*.org :End of /LINKS list"));
    send(&mut bob, "LINKS irc.test irc.*");
    expect_exact(&mut bob, &num("364", "bob", "irc.test irc.test :0 chatd"));
    expect_exact(&mut bob, &num("365", "bob", "irc.* :End of /LINKS list"));
    send(&mut bob, "HELP privmsg");
    expect_exact(&mut bob, &num("704", "bob", "PRIVMSG :** PRIVMSG target[,target...] :text **"));
    expect_exact(&mut bob, &num("705", "bob", "PRIVMSG :"));
    expect_exact(&mut bob, &num("706", "bob", "PRIVMSG :Sends a message to rooms and people."));
    send(&mut bob, "HELPOP");
    expect_exact(&mut bob, &num("704", "bob", "* :** Help System **"));
    let index = irc::lines_until_pong(&mut bob, "index");
    assert!(index.last().is_some_and(|l| l.starts_with(&num("706", "bob", "* :"))), "{index:?}");
    send(&mut bob, "HELP frobnicate");
    expect_exact(&mut bob, &num("524", "bob", "FROBNICATE :No help available on this topic"));
    // The most users seen stays when one leaves.
    let carol = irc::register(&server, "carol");
    drop(carol);
    server.expect_log(&["nick=carol", "quit"]);
    let mut tries = 0;
    loop {
        send(&mut bob, "LUSERS");
        let lines = irc::lines_until_pong(&mut bob, "lusers");
        if lines.contains(&num("265", "bob", "1 2 :Current local users 1, max 2")) {
            assert!(lines.contains(&num("266", "bob", "1 2 :Current global users 1, max 2")), "{lines:?}");
            break;
        }
        tries += 1;
        assert!(tries < 50, "{lines:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn user_mode_i_hides_from_who_and_names_of_those_who_share_no_room_and_lusers_counts_it() {
    let server = start(&[]);
    let mut alice = irc::in_rooms(&server, "alice", &["#a"]);
    let mut carol = irc::in_rooms(&server, "carol", &["#a"]);
    expect_exact(&mut alice, ":carol!~u@127.0.0.1 JOIN #a");
    let mut bob = irc::register(&server, "bob");
    let mut dan = netcat::register_at_once(&server, "dan");
    let lusers = |bob: &mut crate::common::Client, users: usize, invisible: usize| {
        send(bob, "LUSERS");
        let line = format!(":There are {users} users and {invisible} invisible on 1 servers");
        expect_exact(bob, &num("251", "bob", &line));
        irc::lines_until_pong(bob, "lusers");
    };
    let who_star = |client: &mut crate::common::Client, me: &str, found: &[&str]| {
        send(client, "WHO * %n");
        for nick in found {
            expect_exact(client, &num("354", me, nick));
        }
        expect_exact(client, &num("315", me, "* :End of /WHO list"));
    };

    // Everyone is `+i` from the start, netcat users too.
    send(&mut bob, "MODE bob");
    expect_exact(&mut bob, &num("221", "bob", "+i"));
    lusers(&mut bob, 0, 4);
    // bob shares no room with anyone: he finds only himself, and #a's list is empty to him.
    who_star(&mut bob, "bob", &["bob"]);
    send(&mut bob, "WHO #a");
    expect_exact(&mut bob, &num("315", "bob", "#a :End of /WHO list"));
    send(&mut bob, "NAMES #a");
    expect_exact(&mut bob, &num("366", "bob", "#a :End of /NAMES list"));
    // A nickname asked for exactly, and WHOIS, still answer.
    send(&mut bob, "WHO alice");
    expect_exact(&mut bob, &num("352", "bob", "* ~u 127.0.0.1 irc.test alice H :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "alice :End of /WHO list"));
    send(&mut bob, "WHOIS alice");
    expect_exact(&mut bob, &num("311", "bob", "alice ~u 127.0.0.1 * :Real Name"));
    bob.expect(&num("318", "bob", "alice :End of /WHOIS list"));
    // carol shares #a with alice; dan and alice share nothing.
    who_star(&mut carol, "carol", &["alice", "carol"]);
    dan.send("/who #a");
    netcat::expect_exact(&mut dan, "-- 0 users in #a");

    // `-i`: alice is found by all and listed to outsiders; 221 shows the real set.
    send(&mut alice, "MODE alice -i");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE alice -i");
    send(&mut alice, "MODE alice");
    expect_exact(&mut alice, &num("221", "alice", "+"));
    lusers(&mut bob, 1, 3);
    who_star(&mut bob, "bob", &["alice", "bob"]);
    send(&mut bob, "WHO #a");
    expect_exact(&mut bob, &num("352", "bob", "#a ~u 127.0.0.1 irc.test alice H@ :0 Real Name"));
    expect_exact(&mut bob, &num("315", "bob", "#a :End of /WHO list"));
    send(&mut bob, "NAMES #a");
    expect_exact(&mut bob, &num("353", "bob", "= #a @alice"));
    expect_exact(&mut bob, &num("366", "bob", "#a :End of /NAMES list"));
    dan.send("/who #a");
    netcat::expect_exact(&mut dan, "-- 1 user in #a: @alice");

    // `+i` again, with `+w` in the same change.
    send(&mut alice, "MODE alice +iw");
    expect_exact(&mut alice, ":alice!~u@127.0.0.1 MODE alice +iw");
    send(&mut alice, "MODE alice");
    expect_exact(&mut alice, &num("221", "alice", "+iw"));
    who_star(&mut bob, "bob", &["bob"]);
    settle(&mut alice, "modes");
    settle(&mut carol, "quiet");
    netcat::netcat_settle(&mut dan);
}

#[test]
fn wallops_from_an_operator_reach_users_with_plus_w() {
    let server = start(&["--oper", "admin:s3cret"]);
    let mut alice = irc::register(&server, "alice");
    let mut bob = irc::register(&server, "bob");
    let mut carol = irc::register(&server, "carol");
    send(&mut bob, "MODE bob +w");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 MODE bob +w");
    send(&mut bob, "MODE bob");
    expect_exact(&mut bob, &num("221", "bob", "+iw"));
    send(&mut carol, "MODE carol +wz");
    expect_exact(&mut carol, ":carol!~u@127.0.0.1 MODE carol +w");
    expect_exact(&mut carol, &num("501", "carol", ":Unknown MODE flag"));
    send(&mut carol, "MODE carol -w");
    expect_exact(&mut carol, ":carol!~u@127.0.0.1 MODE carol -w");
    send(&mut alice, "WALLOPS :not yet");
    expect_exact(&mut alice, &num("481", "alice", ":Permission Denied- You're not an IRC operator"));
    send(&mut alice, "OPER admin s3cret");
    alice.expect(&num("381", "alice", ":You are now an IRC operator"));
    expect_exact(&mut alice, ":alice MODE alice +o");
    send(&mut alice, "WALLOPS");
    expect_exact(&mut alice, &num("461", "alice", "WALLOPS :Not enough parameters"));
    send(&mut alice, "WALLOPS :the server restarts at noon");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 WALLOPS :the server restarts at noon");
    settle(&mut alice, "sender-without-w");
    settle(&mut carol, "no-w");
    settle(&mut bob, "one-wallops");
}

#[test]
fn user_with_an_empty_real_name_is_461_and_registers_only_with_one() {
    let server = start(&[]);
    let mut client = server.connect();
    send(&mut client, "NICK dave");
    send(&mut client, "USER u 0 * :");
    expect_exact(&mut client, &num("461", "dave", "USER :Not enough parameters"));
    send(&mut client, "USER u 0 * :Dave");
    client.expect(&num("001", "dave", ":Welcome"));
}

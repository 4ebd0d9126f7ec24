//! The server queries of issue 14 on IRC: parsing `WHO` options, `WHOWAS`, `INFO`, `LINKS`,
//! `WALLOPS`, `HELP`, an empty real name; and every reply byte for byte.

use super::*;
use crate::protocol::{RoomStatus, WhoEntry, WhoQuery, WhoisInfo, WhowasEntry, WhoxFields};

fn render_multi(reply: &Reply) -> Vec<String> {
    let view = View {
        server: "irc.test",
        nick: "bob",
        started: 0,
        ping_after_secs: 120,
        server_time: false,
        multi_prefix: true,
    };
    let mut out = Vec::new();
    render(reply, &view, &mut out);
    String::from_utf8(out).unwrap().split_terminator("\r\n").map(str::to_string).collect()
}

fn user(nick: &str, account: Option<&str>) -> UserInfo {
    let person = Arc::new(Person {
        nick: Nick::parse(nick).unwrap(),
        user: "~u".into(),
        host: "127.0.0.1".into(),
        account: account.map(Into::into),
        realname: "Real Name".into(),
    });
    UserInfo { person, away: false, op: false, voice: false, oper: false, realname: "Real Name".into() }
}

#[test]
fn who_takes_its_options_and_whowas_its_count() {
    assert_eq!(ok("WHO"), Command::WhoMask { mask: "*".into(), query: WhoQuery::default() });
    assert_eq!(ok("WHO ali*"), Command::WhoMask { mask: "ali*".into(), query: WhoQuery::default() });
    assert_eq!(
        ok("WHO #chan %tnuhiraf,42"),
        Command::WhoMask { mask: "#chan".into(), query: WhoQuery::parse("%tnuhiraf,42") }
    );
    assert_eq!(ok("WHO 0 o"), Command::WhoMask { mask: "0".into(), query: WhoQuery { opers_only: true, whox: None } });
    let whowas =
        |nicks: &[&str], count| Command::Whowas { nicks: nicks.iter().map(|n| n.to_string()).collect(), count };
    assert_eq!(ok("WHOWAS alice"), whowas(&["alice"], None));
    assert_eq!(ok("WHOWAS alice,bob 2 irc.test"), whowas(&["alice", "bob"], Some(2)));
    assert_eq!(ok("WHOWAS ,alice,,bob,"), whowas(&["alice", "bob"], None));
    // More than `TARGMAX` allows are parsed; chat state answers the first ones.
    assert_eq!(ok("WHOWAS a,b,c,d,e"), whowas(&["a", "b", "c", "d", "e"], None));
    assert_eq!(ok("WHOWAS alice 0"), whowas(&["alice"], None));
    assert_eq!(ok("WHOWAS alice -3"), whowas(&["alice"], None));
    assert_eq!(err("WHOWAS"), ParseError::NoNicknameGiven);
    assert_eq!(err("WHOWAS ,"), ParseError::NoNicknameGiven);
}

#[test]
fn info_links_wallops_help_and_an_empty_real_name() {
    assert_eq!(ok("INFO"), Command::Info);
    assert_eq!(ok("links *"), Command::Links { mask: Some("*".into()) });
    assert_eq!(ok("LINKS"), Command::Links { mask: None });
    assert_eq!(ok("LINKS irc.test *.test"), Command::Links { mask: Some("*.test".into()) });
    assert_eq!(ok("WALLOPS :hello ops"), Command::Wallops { text: "hello ops".into() });
    assert_eq!(err("WALLOPS"), ParseError::Usage("WALLOPS"));
    assert_eq!(err("WALLOPS :\x07"), ParseError::Usage("WALLOPS"));
    assert_eq!(ok("HELP"), Command::Help { command: None });
    assert_eq!(ok("HELPOP privmsg"), Command::Help { command: Some("privmsg".into()) });
    assert_eq!(err("USER u 0 * :"), ParseError::Usage("USER"));
    assert_eq!(err("USER u 0 * :\x1b"), ParseError::Usage("USER"));
}

#[test]
fn who_replies_with_352_or_exactly_the_whox_fields_asked_for() {
    let mut alice = user("alice", Some("acct"));
    alice.op = true;
    alice.voice = true;
    alice.oper = true;
    let room = Some(RoomName::parse("#chan").unwrap());
    let entries = vec![WhoEntry { room: room.clone(), user: alice, idle_secs: 7 }];
    let plain = Reply::WhoList { mask: "#chan".into(), entries: entries.clone(), whox: None };
    assert_eq!(
        rendered(&plain),
        [
            ":irc.test 352 bob #chan ~u 127.0.0.1 irc.test alice H*@ :0 Real Name",
            ":irc.test 315 bob #chan :End of /WHO list",
        ]
    );
    assert_eq!(render_multi(&plain)[0], ":irc.test 352 bob #chan ~u 127.0.0.1 irc.test alice H*@+ :0 Real Name");
    let whox = |spec: &str| Reply::WhoList {
        mask: "#chan".into(),
        entries: entries.clone(),
        whox: Some(WhoxFields::parse(spec)),
    };
    assert_eq!(
        rendered(&whox("tnuhiraf,42"))[0],
        ":irc.test 354 bob 42 ~u 127.0.0.1 127.0.0.1 alice H*@ acct :Real Name"
    );
    assert_eq!(
        rendered(&whox("rolda fsnhiuct,1"))[0],
        ":irc.test 354 bob 1 #chan ~u 127.0.0.1 127.0.0.1 irc.test alice H*@ 0 7 acct n/a :Real Name"
    );
    let no_account = Reply::WhoList {
        mask: "bob".into(),
        entries: vec![WhoEntry { room: None, user: user("bob", None), idle_secs: 0 }],
        whox: Some(WhoxFields::parse("cna")),
    };
    assert_eq!(rendered(&no_account), [":irc.test 354 bob * bob 0", ":irc.test 315 bob bob :End of /WHO list"]);
}

#[test]
fn whois_lists_rooms_with_the_members_prefixes() {
    let room = |name: &str, op, voice| RoomStatus { room: RoomName::parse(name).unwrap(), op, voice };
    let info = WhoisInfo {
        person: user("alice", None).person,
        realname: "Real Name".into(),
        rooms: vec![
            room("#chan1", true, false),
            room("#chan2", false, true),
            room("#both", true, true),
            room("#x", false, false),
        ],
        away: None,
        idle_secs: 0,
        signon: 0,
        oper: false,
        account: None,
        server_description: "chatd".into(),
    };
    let reply = Reply::Whois { nick: "alice".into(), info: Some(info) };
    assert_eq!(rendered(&reply)[1], ":irc.test 319 bob alice :@#chan1 +#chan2 @#both #x");
    assert_eq!(render_multi(&reply)[1], ":irc.test 319 bob alice :@#chan1 +#chan2 @+#both #x");
}

#[test]
fn whowas_info_links_and_lusers_totals() {
    let left = |left| WhowasEntry { person: user("alice", None).person, left };
    let gone =
        Reply::Whowas { asked: "Alice".into(), entries: vec![left(1_647_770_864_999), left(0)], unknown: vec![] };
    assert_eq!(
        rendered(&gone),
        [
            ":irc.test 314 bob alice ~u 127.0.0.1 * :Real Name",
            ":irc.test 312 bob alice irc.test :Sun Mar 20 10:07:44 UTC 2022",
            ":irc.test 314 bob alice ~u 127.0.0.1 * :Real Name",
            ":irc.test 312 bob alice irc.test :Thu Jan  1 00:00:00 UTC 1970",
            ":irc.test 369 bob Alice :End of WHOWAS",
        ]
    );
    assert_eq!(
        rendered(&Reply::Whowas { asked: "nobody".into(), entries: vec![], unknown: vec!["nobody".into()] }),
        [":irc.test 406 bob nobody :There was no such nickname", ":irc.test 369 bob nobody :End of WHOWAS"]
    );
    // A list: the entries, the unknown nicknames, one end line for the list.
    let list = Reply::Whowas { asked: "x,alice".into(), entries: vec![left(0)], unknown: vec!["x".into()] };
    assert_eq!(
        rendered(&list),
        [
            ":irc.test 314 bob alice ~u 127.0.0.1 * :Real Name",
            ":irc.test 312 bob alice irc.test :Thu Jan  1 00:00:00 UTC 1970",
            ":irc.test 406 bob x :There was no such nickname",
            ":irc.test 369 bob x,alice :End of WHOWAS",
        ]
    );
    let info = rendered(&Reply::Info);
    assert!(info.iter().take(info.len() - 1).all(|l| l.starts_with(":irc.test 371 bob :")), "{info:?}");
    assert_eq!(info.last().map(String::as_str), Some(":irc.test 374 bob :End of INFO list"));
    assert_eq!(
        rendered(&Reply::Links { mask: None, description: "chatd".into() }),
        [":irc.test 364 bob irc.test irc.test :0 chatd", ":irc.test 365 bob * :End of /LINKS list"]
    );
    assert_eq!(
        rendered(&Reply::Links { mask: Some("IRC.*".into()), description: "test server".into() }),
        [":irc.test 364 bob irc.test irc.test :0 test server", ":irc.test 365 bob IRC.* :End of /LINKS list"]
    );
    assert_eq!(
        rendered(&Reply::Links { mask: Some("*.org".into()), description: "chatd".into() }),
        [":irc.test 365 bob *.org :End of /LINKS list"]
    );
    let counts = Counts { users: 2, invisible: 2, opers: 0, unregistered: 0, rooms: 1, max_users: 5 };
    let lusers = rendered(&Reply::Lusers { counts });
    assert_eq!(lusers[0], ":irc.test 251 bob :There are 0 users and 2 invisible on 1 servers");
    assert!(lusers.contains(&":irc.test 265 bob 2 5 :Current local users 2, max 5".to_string()), "{lusers:?}");
    assert!(lusers.contains(&":irc.test 266 bob 2 5 :Current global users 2, max 5".to_string()), "{lusers:?}");
}

#[test]
fn help_answers_with_704_705_706_or_524() {
    assert_eq!(
        rendered(&Reply::Help { command: Some("whowas".into()) }),
        [
            ":irc.test 704 bob WHOWAS :** WHOWAS nick[,nick...] [count] **",
            ":irc.test 705 bob WHOWAS :",
            ":irc.test 706 bob WHOWAS :Tells who used each nickname lately, newest first.",
        ]
    );
    let index = rendered(&Reply::Help { command: None });
    assert_eq!(index[0], ":irc.test 704 bob * :** Help System **");
    assert!(index.last().unwrap().starts_with(":irc.test 706 bob * :"));
    assert_eq!(
        rendered(&Reply::Help { command: Some("frob".into()) }),
        [":irc.test 524 bob FROB :No help available on this topic"]
    );
    assert_eq!(
        rendered(&Reply::Help { command: Some("two words".into()) }),
        [":irc.test 524 bob * :No help available on this topic"]
    );
}

#[test]
fn user_modes_wallops_and_the_unknown_flag() {
    assert_eq!(rendered(&Reply::UserModes { modes: "+iw".into() }), [":irc.test 221 bob +iw"]);
    assert_eq!(rendered(&Reply::UserModes { modes: "+".into() }), [":irc.test 221 bob +"]);
    let me = user("bob", None).person;
    assert_eq!(
        rendered(&Reply::UserModesChanged { me: Arc::clone(&me), changes: "+w".into() }),
        [":bob!~u@127.0.0.1 MODE bob +w"]
    );
    assert_eq!(
        rendered(&Reply::UserModesChanged { me: Arc::clone(&me), changes: "-i+w".into() }),
        [":bob!~u@127.0.0.1 MODE bob -i+w"]
    );
    assert_eq!(rendered(&Reply::Wallops { from: me, text: "hi ops".into() }), [":bob!~u@127.0.0.1 WALLOPS :hi ops"]);
    assert_eq!(rendered(&Reply::Error(ChatError::UnknownUserMode)), [":irc.test 501 bob :Unknown MODE flag"]);
}

#[test]
fn isupport_advertises_whox() {
    let counts = Counts { users: 1, invisible: 1, opers: 0, unregistered: 0, rooms: 1, max_users: 1 };
    let lines = rendered(&Reply::Welcome { person: user("bob", None).person, counts });
    let isupport: Vec<&String> = lines.iter().filter(|l| l.contains(" 005 ")).collect();
    assert!(isupport.iter().any(|l| l.split(' ').any(|token| token == "WHOX")), "{isupport:?}");
    for line in isupport {
        // A reply carries at most 15 parameters: the nick, 13 tokens and the text.
        assert!(line.split(" :").next().unwrap().split(' ').count() <= 3 + 13, "{line}");
    }
}

use super::*;
use crate::core::names::Nick;
use crate::framing::Terminator;
use crate::protocol::dialect::Dialect as _;
use crate::protocol::dialects::FALLBACK as NETCAT;
use crate::protocol::irc::face::IRC;
use crate::protocol::{ChatError, Command, MessageKind, Millis, Person, QuitReason, UserInfo};
use std::sync::Arc;

fn person(nick: &str) -> Arc<Person> {
    Arc::new(Person {
        nick: Nick::parse(nick).unwrap(),
        user: format!("~{nick}"),
        host: "h".into(),
        account: None,
        realname: "".into(),
    })
}

fn room() -> RoomName {
    RoomName::parse("#a").unwrap()
}

/// An IRC session that negotiated these capabilities.
fn irc(server_time: bool, multi_prefix: bool) -> Box<dyn Session> {
    let mut session = IRC.session();
    let caps: Vec<&str> = [(server_time, "server-time"), (multi_prefix, "multi-prefix")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    if !caps.is_empty() {
        let request = Command::Cap { sub: "REQ".into(), arg: caps.join(" ") };
        assert_eq!(session.intercept(request, true, &mut Vec::new()), None);
    }
    session
}

/// One kind of recipient, owning its session.
struct Kind {
    session: Box<dyn Session>,
    nick: &'static str,
    rooms: usize,
    terminator: Terminator,
}

impl Kind {
    fn to(&self) -> Recipient<'_> {
        let view = View {
            server: "irc.test",
            started: 0,
            ping_after_secs: 120,
            nick: self.nick,
            rooms: self.rooms,
            terminator: self.terminator,
        };
        Recipient { session: &*self.session, view }
    }
}

fn kind(session: Box<dyn Session>, nick: &'static str, rooms: usize, terminator: Terminator) -> Kind {
    Kind { session, nick, rooms, terminator }
}

/// Recipients that differ from the first in exactly one thing each: the first three only in
/// the nickname, the next six in something their rendering reads.
fn recipients() -> Vec<Kind> {
    use Terminator::{Newline, Nul};
    vec![
        kind(irc(false, false), "bob", 1, Newline),
        kind(irc(false, false), "carol", 1, Newline),
        kind(irc(false, false), "*", 1, Newline),
        kind(irc(true, false), "bob", 1, Newline),
        kind(irc(false, true), "bob", 1, Newline),
        kind(NETCAT.session(), "bob", 1, Newline),
        kind(NETCAT.session(), "carol", 1, Newline),
        kind(NETCAT.session(), "bob", 2, Newline),
        kind(NETCAT.session(), "bob", 1, Nul),
    ]
}

/// Recipients that differ from the first only in what IRC rendering does not read (the room
/// count, the terminator: IRC lines end in CR LF), and so share its key.
fn irc_lookalikes() -> Vec<Kind> {
    vec![
        kind(irc(true, false), "bob", 1, Terminator::Newline),
        kind(irc(true, false), "bob", 3, Terminator::Newline),
        kind(irc(true, false), "bob", 1, Terminator::Nul),
    ]
}

/// Replies of every shareable kind, and some that name their recipient or depend on its
/// capabilities.
fn replies() -> Vec<Reply> {
    let op =
        UserInfo { person: person("dave"), away: false, op: true, voice: true, oper: false, realname: "Dave".into() };
    vec![
        Reply::Said {
            id: 1,
            room: room(),
            from: person("al"),
            text: "hi".into(),
            kind: MessageKind::Normal,
            at: 1_000,
            tags: None,
        },
        Reply::Joined { room: room(), who: person("al") },
        Reply::Parted { room: room(), who: person("al"), reason: Some("bye".into()) },
        Reply::Quit { who: person("al"), reason: QuitReason::PingTimeout },
        Reply::NickChanged { old: person("al"), new: Nick::parse("al2").unwrap(), you: false },
        Reply::TopicChanged { room: room(), by: person("al"), topic: Some("t".into()) },
        Reply::ModesChanged { room: room(), by: person("al"), changes: "+o".into(), params: vec!["bob".into()] },
        Reply::Kicked { room: room(), by: person("al"), nick: Nick::parse("bob").unwrap(), reason: "r".into() },
        Reply::CrowdSummary { room: room(), joined: 3, left: 1, first_joined: vec![], span_secs: 60 },
        // Not shareable: numerics name their recipient, NAMES shows prefixes per `multi-prefix`.
        Reply::Names { room: "#a".into(), members: vec![op], visibility: Default::default(), end: Some("#a".into()) },
        Reply::Error(ChatError::NoSuchNick("zed".into())),
        Reply::Invited { by: person("al"), room: room() },
    ]
}

fn rendered(reply: &Reply, to: &Recipient<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    render(reply, to, &mut out);
    out
}

#[test]
fn every_field_of_a_recipient_but_its_nickname_is_in_the_key() {
    let all = recipients();
    let base = all[0].to().key();
    assert_eq!(all[1].to().key(), base, "nickname only");
    assert_eq!(all[2].to().key(), base, "nickname only");
    for (i, other) in all.iter().enumerate().skip(3) {
        assert_ne!(other.to().key(), base, "recipient {i}");
    }
    // In particular `multi-prefix`, which an old per-kind index left out.
    assert_ne!(all[4].to().key(), all[0].to().key());
    // What IRC rendering does not read is left out of its key.
    let alike = irc_lookalikes();
    assert!(alike.iter().all(|k| k.to().key() == alike[0].to().key()));
}

#[test]
fn a_shareable_rendering_reads_nothing_of_the_recipient_outside_its_key() {
    let mut kinds = recipients();
    kinds.extend(irc_lookalikes());
    for reply in replies().iter().filter(|r| shareable(r)) {
        for (i, a) in kinds.iter().enumerate() {
            for b in &kinds[i + 1..] {
                if a.to().key() == b.to().key() {
                    assert_eq!(rendered(reply, &a.to()), rendered(reply, &b.to()), "{reply:?}");
                }
            }
            for nick in ["*", "x", "a-much-longer-nickname"] {
                let mut other = a.to();
                other.view.nick = nick;
                assert_eq!(rendered(reply, &a.to()), rendered(reply, &other), "{reply:?} for {nick}");
            }
        }
    }
}

#[test]
fn the_cache_gives_each_recipient_what_rendering_for_it_alone_gives() {
    let mut cache = RenderCache::default();
    for reply in replies() {
        for shared in [true, false] {
            cache.start(&reply, shared);
            // Twice round, so that later recipients find renderings made for earlier ones.
            let kinds = recipients();
            for to in kinds.iter().chain(kinds.iter()).map(Kind::to) {
                let to = &to;
                assert_eq!(*cache.render(&reply, to), rendered(&reply, to), "{reply:?} for {to:?}");
            }
        }
    }
}

#[test]
fn recipients_differing_in_what_their_rendering_reads_get_different_renderings() {
    let mut cache = RenderCache::default();
    let all = recipients();
    // `server-time` on a room message: shared, keyed apart.
    let said = &replies()[0];
    cache.start(said, true);
    let plain = cache.render(said, &all[0].to()).clone();
    let timed = cache.render(said, &all[3].to()).clone();
    assert!(timed.starts_with(b"@time=") && !plain.starts_with(b"@time="));
    let shared = cache.render(said, &all[0].to()).as_ptr();
    assert_eq!(cache.render(said, &all[1].to()).as_ptr(), shared, "another nickname shares it");
    // `multi-prefix` on NAMES, sent to many: each gets its own prefixes.
    let names = &replies()[9];
    cache.start(names, true);
    let one = String::from_utf8(cache.render(names, &all[0].to()).clone()).unwrap();
    let many = String::from_utf8(cache.render(names, &all[4].to()).clone()).unwrap();
    assert!(one.contains(" @dave") && many.contains(" @+dave"), "{one} / {many}");
    // The recipient's nickname in a numeric sent to many: each gets its own.
    let error = &replies()[10];
    cache.start(error, true);
    assert!(cache.render(error, &all[0].to()).starts_with(b":irc.test 401 bob "));
    assert!(cache.render(error, &all[1].to()).starts_with(b":irc.test 401 carol "));
}

#[test]
fn a_new_reply_is_rendered_afresh_and_a_trimmed_rendering_is_not_shared() {
    let mut cache = RenderCache::default();
    let replies = replies();
    let kinds = recipients();
    let to = &kinds[0].to();
    cache.start(&replies[0], true);
    let first = cache.render(&replies[0], to).as_ptr();
    cache.start(&replies[1], true);
    let second = cache.render(&replies[1], to);
    assert_eq!(*second, rendered(&replies[1], to));
    assert_eq!(second.as_ptr(), first, "the same buffer, kept");
    // Trimmed for one recipient (to nothing: not even the newest entry fits in no room)...
    assert!(cache.trim_history(&room(), &entries(3), 0, to).is_empty());
    // ...the next recipient of the same kind is given the whole rendering.
    assert_eq!(*cache.render(&replies[1], to), rendered(&replies[1], to));
}

#[test]
fn the_newest_entries_that_fit_are_kept() {
    // A header of 5 bytes and entries of 10, 20, 30 and 40 bytes, oldest first.
    let sizes = [10, 20, 30, 40];
    let mut renderings = 0;
    let mut drop = |room| {
        oldest_to_drop(sizes.len(), room, |skip| {
            renderings += 1;
            5 + sizes[skip..].iter().sum::<usize>()
        })
    };
    assert_eq!(drop(1_000), 0);
    assert_eq!(drop(105), 0);
    assert_eq!(drop(104), 1);
    assert_eq!(drop(75), 2);
    assert_eq!(drop(74), 3);
    assert_eq!(drop(45), 3);
    assert_eq!(drop(44), 4, "not even the newest fits");
    assert_eq!(drop(0), 4);
    assert!(renderings <= 8 * 3, "a binary search, not a scan: {renderings} renderings");
    assert_eq!(oldest_to_drop(0, 0, |_| 0), 0);
}

fn entries(count: usize) -> Vec<HistoryEntry> {
    let from = Arc::new(Person {
        nick: Nick::parse("alice").unwrap(),
        user: "~alice".into(),
        host: "h".into(),
        account: None,
        realname: "".into(),
    });
    (0..count)
        .map(|i| HistoryEntry {
            id: 1,
            at: i as Millis * 1000,
            from: Arc::clone(&from),
            text: format!("{i:03} {}", "x".repeat(1_000)).into(),
            kind: MessageKind::Normal,
        })
        .collect()
}

#[test]
fn a_trimmed_history_is_its_newest_entries_and_fits() {
    let room = RoomName::parse("#a").unwrap();
    let entries = entries(40);
    let irc = kind(irc(true, false), "bob", 1, Terminator::Newline);
    let netcat = kind(NETCAT.session(), "*", 0, Terminator::Newline);
    for to in [&irc.to(), &netcat.to()] {
        let mut full = Vec::new();
        render(&Reply::History { room: room.clone(), entries: entries.clone() }, to, &mut full);
        for room_left in [full.len(), 20_000, 5_000, 1_500] {
            let mut trimmed = Vec::new();
            trim_history(&room, &entries, room_left, to, &mut trimmed);
            assert!(!trimmed.is_empty() && trimmed.len() <= room_left, "{} > {room_left}", trimmed.len());
            let text = String::from_utf8(trimmed).unwrap();
            assert!(text.contains("039 xxx"), "the newest entry is kept");
            // The entries kept are the newest: one more would not have fitted.
            let kept = (0..40).filter(|i| text.contains(&format!("{i:03} xxx"))).collect::<Vec<_>>();
            let first = kept[0];
            assert_eq!(kept, (first..40).collect::<Vec<_>>());
            if first > 0 {
                let mut one_more = Vec::new();
                let reply = Reply::History { room: room.clone(), entries: entries[first - 1..].to_vec() };
                render(&reply, to, &mut one_more);
                assert!(one_more.len() > room_left);
            }
        }
        let mut nothing = vec![1, 2, 3];
        trim_history(&room, &entries, 100, to, &mut nothing);
        assert!(nothing.is_empty(), "nothing is sent when not even the newest entry fits");
    }
}

#[test]
fn a_trimmed_chathistory_answer_keeps_the_end_it_was_counted_from_in_one_batch() {
    use crate::protocol::history::HistoryLine;
    let mut session = IRC.session();
    let request = Command::Cap { sub: "REQ".into(), arg: "draft/chathistory server-time".into() };
    assert_eq!(session.intercept(request, true, &mut Vec::new()), None);
    let client = kind(session, "bob", 1, Terminator::Newline);
    let to = &client.to();
    let lines: Vec<HistoryLine> = entries(40).into_iter().map(|entry| HistoryLine { entry, to: "#a".into() }).collect();
    let mut cache = RenderCache::default();
    for from_oldest in [false, true] {
        let reply = Reply::ChatHistory { target: "#a".into(), lines: lines.clone(), from_oldest };
        cache.start(&reply, false);
        let full = cache.render(&reply, to).len();
        let trimmed = cache.trim_chat_history("#a", &lines, from_oldest, full / 3, to).clone();
        assert!(!trimmed.is_empty() && trimmed.len() <= full / 3);
        let text = String::from_utf8(trimmed).unwrap();
        assert!(text.starts_with(":irc.test BATCH +") && text.ends_with(" BATCH -chathistory\r\n"), "{text}");
        let kept: Vec<usize> = (0..40).filter(|i| text.contains(&format!("{i:03} xxx"))).collect();
        let (first, last) = (kept[0], kept[kept.len() - 1]);
        assert_eq!(kept, (first..=last).collect::<Vec<_>>(), "one stretch");
        if from_oldest {
            assert_eq!(first, 0, "counted from the oldest: the newest go");
        } else {
            assert_eq!(last, 39, "counted from the newest: the oldest go");
        }
        assert!(cache.trim_chat_history("#a", &lines, from_oldest, 10, to).is_empty(), "not even the batch fits");
    }
}

use super::*;
use crate::core::names::Nick;
use crate::protocol::{MessageKind, Person};
use std::sync::Arc;

fn args(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

#[test]
fn mode_strings_take_parameters_in_order() {
    assert_eq!(
        parse_changes(&args("+ov-k alice bob secret")),
        Ok(vec![
            ModeChange::Op { set: true, nick: "alice".into() },
            ModeChange::Voice { set: true, nick: "bob".into() },
            ModeChange::Key { set: false, key: "secret".into() },
        ])
    );
    assert_eq!(
        parse_changes(&args("+tl 10")),
        Ok(vec![ModeChange::Flag { set: true, mode: 't' }, ModeChange::Limit(Some(10))])
    );
    assert_eq!(parse_changes(&args("-l")), Ok(vec![ModeChange::Limit(None)]));
    assert_eq!(parse_changes(&args("b")), Ok(vec![ModeChange::ShowList(MaskList::Bans)]));
    let ban = |mask: &str| ModeChange::Mask { list: MaskList::Bans, set: true, mask: mask.into() };
    assert_eq!(parse_changes(&args("+b bob")), Ok(vec![ban("bob!*@*")]));
    assert_eq!(
        parse_changes(&args("+sp-e+I *@h bob")),
        Ok(vec![
            ModeChange::Flag { set: true, mode: 's' },
            ModeChange::Flag { set: true, mode: 'p' },
            ModeChange::Mask { list: MaskList::Exceptions, set: false, mask: "*!*@h".into() },
            ModeChange::Mask { list: MaskList::InviteExceptions, set: true, mask: "bob!*@*".into() },
        ])
    );
    assert_eq!(
        parse_changes(&args("eIb")),
        Ok(vec![
            ModeChange::ShowList(MaskList::Exceptions),
            ModeChange::ShowList(MaskList::InviteExceptions),
            ModeChange::ShowList(MaskList::Bans),
        ])
    );
}

#[test]
fn at_most_six_parameters_and_one_ban_listing() {
    let changes = parse_changes(&args("+oooooooo a b c d e f g h")).unwrap();
    assert_eq!(changes.len(), MAX_PARAM_CHANGES);
    assert_eq!(parse_changes(&args("bbb")), Ok(vec![ModeChange::ShowList(MaskList::Bans)]));
    let long = format!("*!*@{}", "x".repeat(77));
    assert!(
        matches!(parse_changes(&args(&format!("+b {long}"))), Err(ModeError::Invalid { mode: 'b', param, .. }) if param == long)
    );
    assert!(parse_changes(&args(&format!("+b *!*@{}", "x".repeat(76)))).is_ok());
    let invalid = |args: &[&str]| match parse_changes(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>()) {
        Err(ModeError::Invalid { mode, param, .. }) => Some((mode, param)),
        _ => None,
    };
    assert_eq!(invalid(&["+b", "two words"]), Some(('b', "two words".into())));
    assert_eq!(invalid(&["+bk", "\x1b[2J", "key"]), Some(('b', "\x1b[2J".into())));
    assert_eq!(invalid(&["+k", "k\x07"]), Some(('k', "*".into())));
}

#[test]
fn keys_and_limits_of_the_wrong_form_are_invalid_and_missing_ones_are_missing() {
    let invalid = |args: &[&str]| match parse_changes(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>()) {
        Err(ModeError::Invalid { mode, param, .. }) => Some((mode, param)),
        _ => None,
    };
    for limit in ["0", "-5", "abc", "+5", "1.5", "99999999999999999999999", ""] {
        assert_eq!(invalid(&["+l", limit]), Some(('l', limit.to_string())), "{limit:?}");
    }
    for key in ["", "a b", "a,b", &"k".repeat(MAX_KEY_BYTES + 1)] {
        // A refused key is never repeated back.
        assert_eq!(invalid(&["+k", key]), Some(('k', "*".to_string())), "{key:?}");
    }
    assert_eq!(parse_changes(&args("+l 1")), Ok(vec![ModeChange::Limit(Some(1))]));
    let longest = "k".repeat(MAX_KEY_BYTES);
    assert_eq!(parse_changes(&args(&format!("+k {longest}"))), Ok(vec![ModeChange::Key { set: true, key: longest }]));
    assert_eq!(parse_changes(&args("+l")), Err(ModeError::NeedsParameter('l')));
    assert_eq!(parse_changes(&args("+k")), Err(ModeError::NeedsParameter('k')));
    // `-k` takes what follows, whatever it is, and it is never shown.
    assert_eq!(parse_changes(&args("-k")), Ok(vec![ModeChange::Key { set: false, key: String::new() }]));
}

#[test]
fn bad_mode_strings() {
    assert_eq!(parse_changes(&args("+x")), Err(ModeError::Unknown('x')));
    assert_eq!(parse_changes(&args("+k")), Err(ModeError::NeedsParameter('k')));
    assert!(matches!(parse_changes(&args("+l zero")), Err(ModeError::Invalid { mode: 'l', .. })));
    assert_eq!(parse_changes(&args("+o")), Err(ModeError::NeedsParameter('o')));
}

#[test]
fn masks_are_completed_and_matched_without_case() {
    assert_eq!(normalize_mask("*@10.0.0.1"), "*!*@10.0.0.1");
    assert_eq!(normalize_mask("bob!~b"), "bob!~b@*");
    assert!(glob_match("bob!*@*", "Bob!~bob@127.0.0.1"));
    assert!(glob_match("*!*@127.0.0.?", "x!~y@127.0.0.1"));
    assert!(!glob_match("*!*@127.0.0.?", "x!~y@127.0.0.10"));
    assert!(glob_match("a*b*c", "aXXbYYc"));
    assert!(!glob_match("a*b*c", "aXXbYY"));
    assert!(glob_match("*", ""));
}

// History accounting.

fn limits(lines: usize, room_bytes: usize, total_bytes: usize) -> HistoryLimits {
    HistoryLimits { lines, room_bytes, total_bytes, replay_bytes: 1 << 20 }
}

fn entry(text: &str) -> HistoryEntry {
    let from = Arc::new(Person {
        nick: Nick::parse("alice").unwrap(),
        user: "~alice".into(),
        host: "::1".into(),
        account: None,
        realname: "".into(),
    });
    HistoryEntry { id: 1, at: 0, from, text: text.into(), kind: MessageKind::Normal }
}

fn room(name: &str) -> Folded {
    RoomName::parse(name).unwrap().folded()
}

fn texts(histories: &Histories, key: &Folded) -> Vec<String> {
    histories.replay(key, None).iter().map(|e| e.text.to_string()).collect()
}

/// Recomputes every count from the entries and checks the index of oldest entries.
fn assert_consistent(h: &Histories) {
    let mut total = 0;
    for (key, history) in &h.rooms {
        assert!(!history.entries.is_empty(), "{key:?} kept with no entries");
        let bytes: usize = history.entries.iter().map(|s| s.bytes).sum();
        assert_eq!(history.bytes, bytes, "{key:?}");
        assert!(history.entries.iter().all(|s| s.bytes == stored_bytes(&s.entry)));
        assert!(history.entries.iter().zip(history.entries.iter().skip(1)).all(|(a, b)| a.seq < b.seq));
        assert_eq!(h.oldest.get(&history.entries[0].seq), Some(key));
        assert!(history.entries.len() <= h.limits.lines && history.bytes <= h.limits.room_bytes);
        total += bytes;
    }
    assert_eq!(h.total_bytes, total);
    assert_eq!(h.oldest.len(), h.rooms.len());
    assert!(h.total_bytes <= h.limits.total_bytes);
}

#[test]
fn a_room_drops_its_oldest_entries_past_its_line_or_byte_bound() {
    let unit = stored_bytes(&entry("0123456789"));
    let mut h = Histories::new(limits(3, 10 * unit, usize::MAX));
    let lobby = room("#lobby");
    for text in ["a", "b", "c", "d"] {
        h.push(&lobby, entry(text));
    }
    assert_eq!(texts(&h, &lobby), ["b", "c", "d"]);
    let mut h = Histories::new(limits(100, 3 * unit, usize::MAX));
    for text in ["0000000000", "1111111111", "2222222222", "3333333333"] {
        h.push(&lobby, entry(text));
        assert_consistent(&h);
    }
    assert_eq!(texts(&h, &lobby), ["1111111111", "2222222222", "3333333333"]);
    assert_eq!(h.room_usage(&lobby), (3, 3 * unit));
    // One longer entry pushes out as many old ones as it needs.
    h.push(&lobby, entry(&"x".repeat(10 + unit)));
    assert_eq!(texts(&h, &lobby)[0], "3333333333");
    assert_eq!(h.room_usage(&lobby), (2, 3 * unit));
    // An entry larger than the room's bound is not kept, and pushes nothing out.
    h.push(&lobby, entry(&"y".repeat(3 * unit)));
    assert_eq!(h.room_usage(&lobby), (2, 3 * unit));
    assert_eq!(h.total_bytes(), 3 * unit);
    assert_consistent(&h);
}

#[test]
fn past_the_total_the_oldest_entries_of_any_room_go_first() {
    let unit = stored_bytes(&entry("x"));
    let mut h = Histories::new(limits(100, 100 * unit, 4 * unit));
    let (a, b, c) = (room("#a"), room("#b"), room("#c"));
    h.push(&a, entry("1"));
    h.push(&b, entry("2"));
    h.push(&a, entry("3"));
    h.push(&c, entry("4"));
    assert_eq!(h.total_bytes(), 4 * unit);
    h.push(&b, entry("5"));
    assert_eq!(texts(&h, &a), ["3"]);
    h.push(&c, entry("6"));
    // #b's "2" was the oldest anywhere; then #a's "3", which empties #a.
    assert_eq!(texts(&h, &b), ["5"]);
    h.push(&c, entry("7"));
    assert_eq!(texts(&h, &a), Vec::<String>::new());
    assert_eq!(texts(&h, &c), ["4", "6", "7"]);
    assert_eq!(h.total_bytes(), 4 * unit);
    assert_consistent(&h);
}

#[test]
fn removing_a_room_takes_its_bytes_off_the_total() {
    let unit = stored_bytes(&entry("x"));
    let mut h = Histories::new(limits(100, 100 * unit, 5 * unit));
    let (a, b) = (room("#a"), room("#b"));
    for _ in 0..3 {
        h.push(&a, entry("x"));
        h.push(&b, entry("x"));
    }
    assert_eq!(h.total_bytes(), 5 * unit);
    h.remove_room(&a);
    assert_eq!(h.total_bytes(), 3 * unit);
    assert_eq!(h.room_usage(&a), (0, 0));
    h.remove_room(&a);
    h.remove_room(&room("#never"));
    assert_eq!(h.total_bytes(), 3 * unit);
    assert_consistent(&h);
    // #b now has the whole total to itself, and a recreated #a starts empty.
    h.push(&b, entry("x"));
    h.push(&b, entry("x"));
    assert_eq!(h.room_usage(&b), (5, 5 * unit));
    h.push(&a, entry("n"));
    assert_eq!(texts(&h, &a), ["n"]);
    assert_eq!(h.room_usage(&b).0, 4);
    assert_consistent(&h);
}

#[test]
fn no_history_is_kept_with_zero_lines() {
    let mut h = Histories::new(limits(0, 1 << 20, 1 << 20));
    h.push(&room("#a"), entry("x"));
    assert_eq!(h.total_bytes(), 0);
    assert!(h.replay(&room("#a"), None).is_empty());
}

#[test]
fn random_pushes_and_removals_keep_every_count_exact() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let rooms: Vec<Folded> = (0..7).map(|i| room(&format!("#r{i}"))).collect();
    let mut h = Histories::new(limits(20, 8_000, 30_000));
    for step in 0..20_000 {
        let key = &rooms[(next() % rooms.len() as u64) as usize];
        if next() % 50 == 0 {
            h.remove_room(key);
        } else {
            h.push(key, entry(&"z".repeat((next() % 3_000) as usize)));
        }
        if step % 97 == 0 {
            assert_consistent(&h);
        }
    }
    assert_consistent(&h);
}

#[test]
fn a_replay_is_the_newest_entries_that_fit_its_byte_budget() {
    let short = entry("short");
    let long = entry(&"l".repeat(1_000));
    let budget = 2 * replay_bytes(&short) + replay_bytes(&long);
    let mut h = Histories::new(HistoryLimits { replay_bytes: budget, ..limits(100, 1 << 20, 1 << 20) });
    let lobby = room("#lobby");
    for text in ["old", "short", &long.text, "short", "short"] {
        h.push(&lobby, entry(text));
    }
    // The long entry fits after the two newest; "short" before it would not, nor would "old".
    let replayed = texts(&h, &lobby);
    assert_eq!(replayed.len(), 3);
    assert_eq!(replayed[0].len(), 1_000);
    // A count asks for fewer; more than fit gives what fits; none for an unknown room.
    assert_eq!(h.replay(&lobby, Some(2)).len(), 2);
    assert_eq!(h.replay(&lobby, Some(0)).len(), 0);
    assert_eq!(h.replay(&lobby, Some(100)).len(), 3);
    assert!(h.replay(&room("#none"), None).is_empty());
    // An entry larger than the budget is never sent, but what is older still is, and a count
    // counts what is sent.
    h.push(&lobby, entry(&"h".repeat(budget)));
    assert_eq!(texts(&h, &lobby), replayed);
    assert_eq!(h.replay(&lobby, Some(1)).iter().map(|e| e.text.to_string()).collect::<Vec<_>>(), ["short"]);
    // Also in the middle, in order; then the long entry no longer fits, and the replay ends.
    h.push(&lobby, entry("newest"));
    assert_eq!(texts(&h, &lobby), ["short", "short", "newest"]);
    assert_eq!(replay_budget(65_536), 16_384);
}

/// `replay_bytes` must bound what an entry costs on the wire for every kind of recipient,
/// with the longest names there can be and texts split as badly as `split_text` ever does.
#[test]
fn replay_bytes_bounds_every_rendering_of_an_entry() {
    use crate::framing::Terminator;
    use crate::protocol::{Reply, irc, netcat};
    let from = Arc::new(Person {
        nick: Nick::parse(&"n".repeat(20)).unwrap(),
        user: format!("~{}", "u".repeat(10)),
        host: format!("0{}", "::ffff:255.255.255.255:ffff:ffff:ffff:ffff:ff"),
        // An account name is a nickname (IRC `account-tag` shows it).
        account: Some(Arc::from("a".repeat(20))),
        realname: Arc::from("r".repeat(50)),
    });
    let room_name = RoomName::parse(&format!("#{}", "r".repeat(49))).unwrap();
    let server = "s".repeat(63);
    let nick = "m".repeat(20);
    let render_all = |entries: Vec<HistoryEntry>| -> Vec<usize> {
        let reply = Reply::History { room: room_name.clone(), entries };
        let mut sizes = Vec::new();
        for server_time in [false, true] {
            let view = irc::View {
                server: &server,
                nick: &nick,
                started: 0,
                ping_after_secs: 120,
                server_time,
                multi_prefix: false,
            };
            let mut out = Vec::new();
            irc::render(&reply, &view, &mut out);
            sizes.push(out.len());
        }
        for multi_room in [false, true] {
            let mut out = Vec::new();
            netcat::render(&reply, netcat::View { multi_room, terminator: Terminator::Newline }, &mut out);
            sizes.push(out.len());
        }
        sizes
    };
    let empty = render_all(Vec::new());
    let mut texts: Vec<String> = Vec::new();
    for len in [0, 1, 50, 179, 180, 181, 359, 360, 361, 1_000, 4_000, 20_000] {
        texts.push("a".repeat(len));
        texts.push("\u{1f600}".repeat(len / 4));
    }
    // Words just over half a line long make every line end early at a space.
    for word in (150..=260).step_by(7) {
        let text: Vec<String> = (0..(8_000 / word)).map(|_| "w".repeat(word)).collect();
        texts.push(text.join(" "));
    }
    for text in &texts {
        for kind in [MessageKind::Normal, MessageKind::Action] {
            let at = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z: the longest time tag.
            let one = HistoryEntry { id: 1, at, from: Arc::clone(&from), text: text.as_str().into(), kind };
            let bound = replay_bytes(&one);
            for (rendered, framing) in render_all(vec![one]).into_iter().zip(&empty) {
                let cost = rendered - framing;
                assert!(cost <= bound, "{kind:?} text of {} bytes: {cost} > {bound}", text.len());
            }
        }
    }
}

#[test]
fn describe_hides_the_key_from_outsiders() {
    let modes = Modes { key: Some("s3".into()), limit: Some(5), ..Modes::new_room() };
    assert_eq!(modes.describe(true), ("+ntkl".to_string(), vec!["s3".to_string(), "5".to_string()]));
    assert_eq!(modes.describe(false).1[0], "*");
}

// Who may speak.

#[test]
fn a_ban_silences_members_except_excepted_voiced_and_operators() {
    use crate::protocol::ChatError;
    let name = RoomName::parse("#c").unwrap();
    let mut room = Room::new(name.clone(), 0, Modes::new_room());
    let who = |nick: &str| Person {
        nick: Nick::parse(nick).unwrap(),
        user: "~u".into(),
        host: "127.0.0.1".into(),
        account: None,
        realname: "".into(),
    };
    let (bob, carol) = (ClientId(2), ClientId(3));
    room.members.extend([bob, carol]);
    assert_eq!(room.may_speak(bob, &who("bob")), Ok(()));
    let listed = |mask: &str| crate::protocol::ListedMask { mask: mask.into(), set_by: "al!~u@h".into(), at: 0 };
    room.bans.push(listed("bob!*@*"));
    assert_eq!(room.may_speak(bob, &who("bob")), Err(ChatError::BannedFromRoom(name.clone())));
    assert_eq!(room.may_speak(carol, &who("carol")), Ok(()));
    room.exceptions.push(listed("*!~u@127.0.0.1"));
    assert_eq!(room.may_speak(bob, &who("bob")), Ok(()));
    room.exceptions.clear();
    room.voiced.insert(bob);
    assert_eq!(room.may_speak(bob, &who("bob")), Ok(()));
    room.voiced.clear();
    room.ops.insert(bob);
    assert_eq!(room.may_speak(bob, &who("bob")), Ok(()));
    // An outsider under +n is told that first.
    assert_eq!(room.may_speak(ClientId(4), &who("bob")), Err(ChatError::CannotSendToRoom(name)));
}

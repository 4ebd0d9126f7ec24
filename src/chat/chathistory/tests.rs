use super::super::testing::*;
use super::*;
use crate::chat::AccountEntry;
use crate::protocol::history::MsgRef;

fn run_at(s: &mut State, id: u64, command: Command, now: Millis) -> Output {
    let mut out = Output::default();
    s.apply(ClientId(id), command, now, &mut out);
    out
}

fn lingering(linger: Millis) -> State {
    let mut s =
        state_with(HistoryLimits { lines: 10, room_bytes: 1 << 20, total_bytes: 1 << 26, replay_bytes: 1 << 16 });
    s.settings.history_linger = linger;
    s
}

fn query(subcommand: &'static str, target: &str, select: Selector, limit: usize) -> Command {
    Command::ChatHistory(Ok(HistoryQuery::Messages { subcommand, target: target.into(), select, limit }))
}

/// What `CHATHISTORY` answered `id`: the target and the texts, or the failure.
fn answer(out: &Output, id: u64) -> Result<(String, Vec<String>), HistoryFail> {
    match replies_to(out, id).as_slice() {
        [Reply::ChatHistory { target, lines, .. }] => {
            Ok((target.clone(), lines.iter().map(|l| l.entry.text.to_string()).collect()))
        }
        [Reply::Error(ChatError::History(fail))] => Err(fail.clone()),
        other => panic!("{other:?}"),
    }
}

/// Logs `id` in to `account` (the account exists), as a login would.
fn log_in(s: &mut State, id: u64, account: &str) {
    let name: Arc<str> = account.into();
    let entry = AccountEntry { name: Arc::clone(&name), created: 0, disabled: false };
    s.account_added(entry, 0, &mut Output::default());
    let member = s.members.get_mut(&ClientId(id)).unwrap();
    member.account = Some(Arc::clone(&name));
    let person = member.person.as_ref().unwrap();
    member.person = Some(Arc::new(Person { account: Some(name), ..(**person).clone() }));
}

#[test]
fn members_read_a_rooms_history_and_others_are_told_it_does_not_exist() {
    let mut s = lingering(0);
    registered(&mut s, 1, "alice");
    registered(&mut s, 2, "bob");
    run(&mut s, 2, Command::Part { room: None, reason: None });
    for text in ["one", "two", "three"] {
        run(&mut s, 1, say(text));
    }
    let out = run(&mut s, 1, query("LATEST", "#LOBBY", Selector::Latest(None), 2));
    assert_eq!(answer(&out, 1), Ok(("#lobby".to_string(), vec!["two".into(), "three".into()])));
    let first = MsgRef::Id { run: 0, id: 1 };
    let out = run(&mut s, 1, query("AFTER", "#lobby", Selector::After(first), 10));
    assert_eq!(answer(&out, 1).unwrap().1, ["two", "three"]);
    for target in ["#lobby", "#nowhere", "#bad,name"] {
        let out = run(&mut s, 2, query("LATEST", target, Selector::Latest(None), 10));
        let fail = answer(&out, 2).unwrap_err();
        assert_eq!(fail.code, FailCode::InvalidTarget);
        assert_eq!(fail.context, ["LATEST", target]);
    }
}

#[test]
fn a_parse_failure_is_answered_once_registered() {
    let mut s = state();
    registered(&mut s, 1, "alice");
    let fail = HistoryFail::new(FailCode::InvalidParams, vec!["NOW".into()], "Unknown command");
    let out = run(&mut s, 1, Command::ChatHistory(Err(fail.clone())));
    assert_eq!(answer(&out, 1), Err(fail));
}

#[test]
fn a_rooms_history_outlives_the_room_for_the_linger_time() {
    let mut s = lingering(1_000);
    registered(&mut s, 1, "alice");
    run_at(&mut s, 1, Command::Join { room: "#side".into(), key: None }, 0);
    run_at(&mut s, 1, say("remember me"), 0);
    run_at(&mut s, 1, Command::Part { room: None, reason: None }, 100);
    // An empty room is no room.
    let out = run_at(&mut s, 1, Command::Rooms, 200);
    assert!(matches!(replies_to(&out, 1)[0], Reply::Rooms(rooms) if rooms.len() == 1));
    // Joined again in time: a new room, with the old history.
    let out = run_at(&mut s, 1, Command::Join { room: "#side".into(), key: None }, 1_000);
    assert_eq!(replayed(&out, 1), ["remember me"]);
    // Revived: the first deadline no longer applies while the room lives.
    run_at(&mut s, 1, Command::Rooms, 5_000);
    assert_eq!(s.histories.room_usage(&Folded::of("#side")).0, 1);
    run_at(&mut s, 1, Command::Part { room: None, reason: None }, 5_000);
    s.expire_histories(5_999);
    assert_eq!(s.histories.room_usage(&Folded::of("#side")).0, 1);
    s.expire_histories(6_000);
    assert_eq!(s.histories.room_usage(&Folded::of("#side")).0, 0);
    let out = run_at(&mut s, 1, Command::Join { room: "#side".into(), key: None }, 6_001);
    assert!(replayed(&out, 1).is_empty());
}

#[test]
fn without_linger_or_behind_closed_doors_history_goes_with_the_room() {
    let mut s = lingering(0);
    registered(&mut s, 1, "alice");
    run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
    run(&mut s, 1, say("gone soon"));
    run(&mut s, 1, Command::Part { room: None, reason: None });
    assert_eq!(s.histories.room_usage(&Folded::of("#side")).0, 0);

    let mut s = lingering(60_000);
    registered(&mut s, 1, "alice");
    run(&mut s, 1, Command::Join { room: "#keyed".into(), key: None });
    run(&mut s, 1, Command::Mode { target: "#keyed".into(), changes: vec!["+k".into(), "sesame".into()] });
    run(&mut s, 1, say("secret"));
    run(&mut s, 1, Command::Part { room: None, reason: None });
    assert_eq!(s.histories.room_usage(&Folded::of("#keyed")).0, 0, "whoever re-creates it passed no key");
}

#[test]
fn private_history_is_kept_between_logged_in_accounts_only() {
    let mut s = lingering(0);
    for (id, nick) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        registered(&mut s, id, nick);
    }
    log_in(&mut s, 1, "alice");
    log_in(&mut s, 2, "bob");
    let private = |to: &str, text: &str| Command::Private { to: to.into(), text: text.into() };
    run(&mut s, 1, private("bob", "hi bob"));
    run(&mut s, 2, private("alice", "hi alice"));
    run(&mut s, 3, private("alice", "from a guest"));
    run(
        &mut s,
        1,
        Command::Message { targets: vec!["bob".into()], text: "psst".into(), kind: MessageKind::Notice, tags: None },
    );
    let out = run(&mut s, 1, query("LATEST", "BOB", Selector::Latest(None), 10));
    assert_eq!(answer(&out, 1), Ok(("bob".to_string(), vec!["hi bob".into(), "hi alice".into()])));
    match replies_to(&out, 1)[0] {
        Reply::ChatHistory { lines, .. } => {
            let to: Vec<&str> = lines.iter().map(|l| &*l.to).collect();
            assert_eq!(to, ["bob", "alice"], "each line names whom it was for");
        }
        other => panic!("{other:?}"),
    }
    let out = run(&mut s, 2, query("LATEST", "alice", Selector::Latest(None), 10));
    assert_eq!(answer(&out, 2).unwrap().1, ["hi bob", "hi alice"]);
    // Someone not logged in has nothing kept; a name nobody has does not exist.
    let out = run(&mut s, 3, query("LATEST", "alice", Selector::Latest(None), 10));
    assert_eq!(answer(&out, 3), Ok(("alice".to_string(), vec![])));
    let out = run(&mut s, 1, query("LATEST", "nobody", Selector::Latest(None), 10));
    assert_eq!(answer(&out, 1).unwrap_err().code, FailCode::InvalidTarget);
    // Bob gone offline: his account still names the conversation.
    s.remove(ClientId(2), &QuitReason::Quit(None), &mut Output::default());
    let out = run(&mut s, 1, query("BEFORE", "bob", Selector::Before(MsgRef::Id { run: 0, id: 2 }), 10));
    assert_eq!(answer(&out, 1), Ok(("bob".to_string(), vec!["hi bob".into()])));
    // A deleted account leaves nothing behind.
    s.account_removed("bob", crate::chat::AccountGone::Deleted, &mut Output::default());
    let out = run(&mut s, 1, query("LATEST", "bob", Selector::Latest(None), 10));
    assert_eq!(answer(&out, 1).unwrap_err().code, FailCode::InvalidTarget);
}

#[test]
fn targets_lists_joined_rooms_and_partners_by_latest_message() {
    let mut s = lingering(0);
    registered(&mut s, 1, "alice");
    registered(&mut s, 2, "bob");
    log_in(&mut s, 1, "alice");
    log_in(&mut s, 2, "bob");
    run_at(&mut s, 1, Command::Join { room: "#side".into(), key: None }, 0);
    run_at(&mut s, 1, say("in side"), 10);
    run_at(&mut s, 2, Command::Private { to: "alice".into(), text: "hello".into() }, 20);
    run_at(&mut s, 2, say("in lobby"), 30);
    let targets = |s: &mut State, from, to, limit| {
        let out = run_at(s, 1, Command::ChatHistory(Ok(HistoryQuery::Targets { from, to, limit })), 40);
        match replies_to(&out, 1).as_slice() {
            [Reply::HistoryTargets { targets }] => {
                targets.iter().map(|t| (t.name.clone(), t.latest)).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        }
    };
    let all = vec![("#side".to_string(), 10), ("bob".to_string(), 20), ("#lobby".to_string(), 30)];
    assert_eq!(targets(&mut s, 0, 100, 10), all);
    assert_eq!(targets(&mut s, 100, 0, 10), all, "either order");
    assert_eq!(targets(&mut s, 10, 30, 10), [("bob".to_string(), 20)], "both bounds excluded");
    assert_eq!(targets(&mut s, 0, 100, 2), all[..2]);
    assert_eq!(targets(&mut s, 100, 0, 2), all[1..], "counted from the first bound");
    // Bob's rooms are his own: he is not in #side.
    let out = run_at(&mut s, 2, Command::ChatHistory(Ok(HistoryQuery::Targets { from: 0, to: 100, limit: 10 })), 40);
    assert!(matches!(&replies_to(&out, 2)[..], [Reply::HistoryTargets { targets }] if targets.len() == 2));
}

//! Issue 14's room modes in chat state: exception lists at the door, secret and private rooms in
//! queries, the default room's operators, `KICK` with several nicknames, IRC `JOIN` lists, and
//! IRC messages cut to one line.

use super::super::testing::*;
use super::*;
use crate::protocol::{RoomVisibility, WhoisInfo};

fn mode(s: &mut State, id: u64, room: &str, changes: &str) -> Output {
    let changes = changes.split(' ').map(str::to_string).collect();
    run(s, id, Command::Mode { target: room.into(), changes })
}

fn join(s: &mut State, id: u64, room: &str) -> Output {
    run(s, id, Command::Join { room: room.into(), key: None })
}

fn joined(out: &Output, id: u64) -> bool {
    replies_to(out, id).iter().any(|r| matches!(r, Reply::YouJoined { .. }))
}

fn error(out: &Output, id: u64) -> Option<ChatError> {
    replies_to(out, id).iter().find_map(|r| match r {
        Reply::Error(error) => Some(error.clone()),
        _ => None,
    })
}

#[test]
fn a_ban_exception_lifts_the_ban_and_an_invite_exception_lifts_invite_only() {
    let mut s = state();
    irc_registered(&mut s, 1, "alice");
    irc_registered(&mut s, 2, "bob");
    irc_registered(&mut s, 3, "carol");
    join(&mut s, 1, "#r");
    mode(&mut s, 1, "#r", "+b *!*@127.0.0.1");
    assert!(matches!(error(&join(&mut s, 2, "#r"), 2), Some(ChatError::Banned(_))));
    let out = mode(&mut s, 1, "#r", "+e bob");
    assert!(
        matches!(replies_to(&out, 1)[..], [Reply::ModesChanged { changes, params, .. }] if changes == "+e" && params == &["bob!*@*"])
    );
    assert!(joined(&join(&mut s, 2, "#r"), 2));
    assert!(matches!(error(&join(&mut s, 3, "#r"), 3), Some(ChatError::Banned(_))));

    mode(&mut s, 1, "#r", "-b+iI *!*@127.0.0.1 carol");
    assert!(joined(&join(&mut s, 3, "#r"), 3));
    irc_registered(&mut s, 4, "dave");
    assert!(matches!(error(&join(&mut s, 4, "#r"), 4), Some(ChatError::InviteOnly(_))));

    // The lists, to anyone who asks.
    // The lists, to anyone who asks, with who set each mask.
    let out = mode(&mut s, 4, "#r", "eI");
    let listed = |masks: &[ListedMask]| -> Vec<(String, String)> {
        masks.iter().map(|m| (m.mask.clone(), m.set_by.split('!').next().unwrap_or("").to_string())).collect()
    };
    match replies_to(&out, 4)[..] {
        [Reply::ExceptList { masks: e, .. }, Reply::InviteExceptList { masks: i, .. }] => {
            assert_eq!(listed(e), [("bob!*@*".to_string(), "alice".to_string())]);
            assert_eq!(listed(i), [("carol!*@*".to_string(), "alice".to_string())]);
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn secret_and_private_rooms_hide_from_names_and_whois_of_outsiders() {
    let mut s = state();
    irc_registered(&mut s, 1, "alice");
    irc_registered(&mut s, 2, "bob");
    join(&mut s, 1, "#hidden");
    join(&mut s, 1, "#quiet");
    join(&mut s, 1, "#open");
    mode(&mut s, 1, "#hidden", "+s");
    mode(&mut s, 1, "#quiet", "+p");
    let names = |s: &mut State, id: u64, room: &str| match replies_to(
        &run(s, id, Command::Names { rooms: vec![room.into()] }),
        id,
    )[..]
    {
        [Reply::Names { members, visibility, .. }] => (members.len(), *visibility),
        ref other => panic!("{other:?}"),
    };
    assert_eq!(names(&mut s, 1, "#hidden"), (1, RoomVisibility::Secret));
    assert_eq!(names(&mut s, 1, "#quiet"), (1, RoomVisibility::Private));
    assert_eq!(names(&mut s, 1, "#open"), (1, RoomVisibility::Public));
    assert_eq!(names(&mut s, 2, "#hidden"), (0, RoomVisibility::Public));
    assert_eq!(names(&mut s, 2, "#quiet"), (0, RoomVisibility::Public));
    let rooms = |s: &mut State, id: u64| match replies_to(&run(s, id, Command::Whois { nick: "alice".into() }), id)[..]
    {
        [Reply::Whois { info: Some(WhoisInfo { rooms, .. }), .. }] => {
            rooms.iter().map(|r| r.room.to_string()).collect::<Vec<_>>()
        }
        ref other => panic!("{other:?}"),
    };
    assert_eq!(rooms(&mut s, 2), ["#open"]);
    assert_eq!(rooms(&mut s, 1), ["#hidden", "#quiet", "#open"]);
    join(&mut s, 2, "#quiet");
    assert_eq!(rooms(&mut s, 2), ["#quiet", "#open"]);
    // The joiner's own NAMES carries the room's visibility.
    let out = join(&mut s, 2, "#hidden");
    assert!(
        replies_to(&out, 2).iter().any(|r| matches!(r, Reply::YouJoined { visibility: RoomVisibility::Secret, .. }))
    );
}

#[test]
fn only_server_operators_run_the_default_room() {
    let mut s = state();
    registered(&mut s, 1, "alice");
    registered(&mut s, 2, "bob");
    // Nobody runs it, not even its first joiner.
    for changes in ["+i", "+k key", "+l 5", "+b bob", "+o alice"] {
        let out = mode(&mut s, 1, "#lobby", changes);
        assert!(matches!(error(&out, 1), Some(ChatError::NotRoomOperator(_))), "{changes}");
    }
    run(&mut s, 1, Command::Oper { name: "admin".into(), password: "pw".into() });
    // A server operator may change its modes and make itself its operator, nobody else.
    let out = mode(&mut s, 1, "#lobby", "+o bob");
    assert!(matches!(error(&out, 1), Some(ChatError::InvalidModeParam { mode: 'o', .. })));
    let out = mode(&mut s, 1, "#lobby", "+ol alice 50");
    assert!(matches!(replies_to(&out, 2)[..], [Reply::ModesChanged { changes, .. }] if changes == "+ol"));
    let out = run(&mut s, 1, Command::Kick { room: Some("#lobby".into()), nick: "bob".into(), reason: None });
    assert!(matches!(replies_to(&out, 2)[..], [Reply::Kicked { .. }]));
    // Others still cannot.
    join(&mut s, 2, "#lobby");
    let out = mode(&mut s, 2, "#lobby", "-l");
    assert!(matches!(error(&out, 2), Some(ChatError::NotRoomOperator(_))));
}

#[test]
fn kick_with_several_nicks_kicks_each_and_errs_per_nick() {
    let mut s = state();
    for (id, nick) in [(1, "op"), (2, "a"), (3, "b")] {
        irc_registered(&mut s, id, nick);
        join(&mut s, id, "#r");
    }
    let nicks = ["a", "nobody", "b", "op", "a"].map(str::to_string).to_vec();
    let out = run(&mut s, 1, Command::KickMany { room: Some("#r".into()), nicks, reason: None });
    let told: Vec<String> = replies_to(&out, 1)
        .iter()
        .map(|r| match r {
            Reply::Kicked { nick, .. } => format!("kicked {nick}"),
            Reply::Error(error) => format!("{error:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    // The fifth is past MAX_TARGETS; after kicking itself the operator runs the room no more.
    assert_eq!(told.len(), 4, "{told:?}");
    assert_eq!(told[0], "kicked a");
    assert!(told[1].starts_with("UserNotInRoom"), "{told:?}");
    assert_eq!(told[2..], ["kicked b", "kicked op"]);
    // Kicking itself first, an operator kicks nobody after.
    for id in [1, 2, 3] {
        join(&mut s, id, "#s");
    }
    let nicks = ["op", "a"].map(str::to_string).to_vec();
    let out = run(&mut s, 1, Command::KickMany { room: Some("#s".into()), nicks, reason: None });
    assert!(matches!(replies_to(&out, 1)[..], [Reply::Kicked { .. }, Reply::Error(ChatError::NotRoomOperator(_))]));
    assert!(s.is_member(ClientId(2), &Folded::of("#s")));
}

#[test]
fn irc_join_lists_refuse_names_without_the_channel_prefix() {
    let mut s = state();
    irc_registered(&mut s, 1, "alice");
    let rooms = vec!["#valid".to_string(), "inv@lid".to_string()];
    let out = run(&mut s, 1, Command::JoinMany { rooms, keys: vec![] });
    let told = replies_to(&out, 1);
    assert!(matches!(told[0], Reply::YouJoined { room, .. } if room.as_str() == "#valid"));
    assert_eq!(told[1], &Reply::Error(ChatError::NoSuchRoom("inv@lid".into())));
    assert_eq!(told.len(), 2);
}

#[test]
fn an_irc_message_too_long_for_one_line_with_the_prefix_is_cut_to_fit_at_a_character_boundary() {
    let mut s = state();
    irc_registered(&mut s, 1, "alice");
    registered(&mut s, 2, "bob");
    join(&mut s, 1, "#lobby");
    // `:alice!~u@127.0.0.1 PRIVMSG #lobby :` and CR LF leave 472 bytes; 2-byte characters from 1.
    let text = format!("x{}", "é".repeat(300));
    let targets = vec!["#lobby".to_string()];
    let out = run(&mut s, 1, Command::Message { targets, text: text.clone(), kind: MessageKind::Normal, tags: None });
    let said = replies_to(&out, 2).iter().find_map(|r| match r {
        Reply::Said { text, .. } => Some(text.to_string()),
        _ => None,
    });
    let prefix_line = ":alice!~u@127.0.0.1 PRIVMSG #lobby :".len() + 2;
    assert_eq!(said, Some(text[..1 + 2 * ((512 - prefix_line - 1) / 2)].to_string()));
    // A netcat line of the same text is not cut (IRC recipients get it split).
    let out = run(&mut s, 2, say(&text));
    assert!(matches!(replies_to(&out, 1)[..], [Reply::Said { text: t, .. }] if **t == *text));
}

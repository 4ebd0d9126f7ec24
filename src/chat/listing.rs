//! `LIST` (netcat `/rooms`): every room a client may see, filtered by IRC's `ELIST` search
//! extensions (modern.ircdocs.horse, `ELIST=CMNTU`): member counts (`>n`, `<n`), creation time
//! (`C<n`, `C>n`), topic time (`T<n`, `T>n`), in minutes, and name masks (`M`, `!mask` for `N`).
//!
//! Secret (`+s`) and private (`+p`) rooms are listed to their members only. The default room is
//! always listed, also when empty: it always exists.

use super::{Output, State};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::{ListFilter, Millis, Reply, RoomInfo};
use crate::room::{Room, glob_match};

/// Minutes from `then` to `now` (none when `then` is later).
fn minutes_since(then: Millis, now: Millis) -> u64 {
    now.saturating_sub(then) / 60_000
}

/// Whether `room` passes `filter` at time `now`. A topic-time filter passes no room without a
/// topic: it has no topic time to compare.
pub fn passes(filter: &ListFilter, room: &Room, now: Millis) -> bool {
    let age = minutes_since(room.created, now);
    let topic_age = room.topic.as_ref().map(|t| minutes_since(t.at, now));
    match filter {
        ListFilter::MoreMembers(n) => room.members.len() > *n,
        ListFilter::FewerMembers(n) => room.members.len() < *n,
        ListFilter::CreatedWithin(n) => age < *n,
        ListFilter::CreatedBefore(n) => age > *n,
        ListFilter::TopicWithin(n) => topic_age.is_some_and(|a| a < *n),
        ListFilter::TopicBefore(n) => topic_age.is_some_and(|a| a > *n),
        ListFilter::Mask(mask) => glob_match(mask, room.name.as_str()),
        ListFilter::NotMask(mask) => !glob_match(mask, room.name.as_str()),
    }
}

impl State {
    /// `LIST` / `/rooms`: the rooms `id` may see that pass every filter, by name.
    pub(super) fn list_rooms(&self, id: ClientId, filters: &[ListFilter], now: Millis, out: &mut Output) {
        let mut rooms: Vec<(&Folded, RoomInfo)> = self
            .rooms
            .iter()
            .filter(|(_, room)| room.is_listed() || room.members.contains(&id))
            .filter(|(_, room)| filters.iter().all(|filter| passes(filter, room, now)))
            .map(|(key, room)| {
                let info = RoomInfo {
                    room: room.name.clone(),
                    members: room.members.len(),
                    topic: room.topic.as_ref().map(|t| t.text.clone()),
                };
                (key, info)
            })
            .collect();
        rooms.sort_by(|a, b| a.0.cmp(b.0));
        out.tell(id, Reply::Rooms(rooms.into_iter().map(|(_, info)| info).collect()));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::protocol::{Topic, TopicChange};
    use crate::room::Modes;

    fn listed(out: &Output, id: u64) -> Vec<String> {
        match replies_to(out, id).as_slice() {
            [Reply::Rooms(rooms)] => rooms.iter().map(|r| r.room.to_string()).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn room_at(created: Millis, members: usize, topic_at: Option<Millis>) -> Room {
        let mut room = Room::new(RoomName::parse("#r").unwrap(), created, Modes::new_room());
        room.members = (0..members as u64).map(ClientId).collect();
        let who = Arc::new(Person {
            nick: Nick::parse("a").unwrap(),
            user: "u".into(),
            host: "h".into(),
            account: None,
            realname: "".into(),
        });
        room.topic = topic_at.map(|at| Topic { text: "t".into(), set_by: who, at });
        room
    }

    #[test]
    fn each_filter_compares_as_elist_says() {
        let minute = 60_000;
        let now = 100 * minute;
        let room = room_at(40 * minute, 3, Some(90 * minute));
        let yes = [
            ListFilter::MoreMembers(2),
            ListFilter::FewerMembers(4),
            ListFilter::CreatedBefore(59),
            ListFilter::CreatedWithin(61),
            ListFilter::TopicWithin(11),
            ListFilter::TopicBefore(9),
            ListFilter::Mask("#R".into()),
            ListFilter::Mask("#?".into()),
            ListFilter::NotMask("#rust*".into()),
        ];
        let no = [
            ListFilter::MoreMembers(3),
            ListFilter::FewerMembers(3),
            ListFilter::CreatedBefore(60),
            ListFilter::CreatedWithin(60),
            ListFilter::TopicWithin(10),
            ListFilter::TopicBefore(10),
            ListFilter::Mask("#rust".into()),
            ListFilter::NotMask("#*".into()),
        ];
        for filter in yes {
            assert!(passes(&filter, &room, now), "{filter:?}");
        }
        for filter in no {
            assert!(!passes(&filter, &room, now), "{filter:?}");
        }
        let untopical = room_at(0, 1, None);
        assert!(!passes(&ListFilter::TopicBefore(0), &untopical, now));
        assert!(!passes(&ListFilter::TopicWithin(1000), &untopical, now));
    }

    #[test]
    fn secret_and_private_rooms_are_listed_to_their_members_only_and_the_default_room_always() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Part { room: None, reason: None });
        for (room, mode) in [("#hidden", "+s"), ("#quiet", "+p"), ("#open", "+t")] {
            run(&mut s, 1, Command::Join { room: room.into(), key: None });
            run(&mut s, 1, Command::Mode { target: room.into(), changes: vec![mode.into()] });
        }
        let all = ["#hidden", "#lobby", "#open", "#quiet"];
        assert_eq!(listed(&run(&mut s, 1, Command::List { filters: vec![] }), 1), all);
        assert_eq!(listed(&run(&mut s, 2, Command::List { filters: vec![] }), 2), ["#lobby", "#open"]);
        run(&mut s, 1, Command::Topic { room: Some("#open".into()), change: Some(TopicChange::Set("x".into())) });
        let filters = vec![ListFilter::TopicWithin(5), ListFilter::NotMask("#h*".into())];
        assert_eq!(listed(&run(&mut s, 1, Command::List { filters }), 1), ["#open"]);
        // The default room, empty, is still there.
        run(&mut s, 1, Command::Part { room: Some("#lobby".into()), reason: None });
        let out = run(&mut s, 2, Command::List { filters: vec![ListFilter::FewerMembers(1)] });
        assert_eq!(listed(&out, 2), ["#lobby"]);
    }
}

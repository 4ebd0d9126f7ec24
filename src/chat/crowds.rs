//! Crowds: rooms of more than `Settings::crowd_size` members, whose people (netcat users) hear
//! of joins and leaves in one summary per interval instead of a line each (see the module header
//! of `chat`). The tallies counted here are what those summaries say; IRC clients, which keep
//! member lists, are still told of every change.
//!
//! A room has at most one tally, and a tally goes when its room does.

use super::{CROWD_SUMMARY_NAMES, Member, Output, State};
use crate::core::ids::{ClientId, IdMap};
use crate::core::names::{Folded, Nick};
use crate::protocol::{Millis, Reply};

/// The members among `ids` who are told of every join, part and quit, in order.
pub(super) fn hearing_every_change(members: &IdMap<Member>, ids: &[ClientId]) -> Vec<ClientId> {
    ids.iter().copied().filter(|m| members.get(m).is_some_and(Member::hears_every_membership_change)).collect()
}

/// Joins and leaves in one crowded room not yet told to its people.
#[derive(Debug, Default)]
pub(super) struct CrowdTally {
    /// When the sweep first saw this tally: its summary is due one interval later. (Set by the
    /// sweep, so that leaving, which has no clock, need not know the time.)
    opened: Option<Millis>,
    joined: usize,
    left: usize,
    /// The first few who joined (at most `CROWD_SUMMARY_NAMES`).
    first_joined: Vec<Nick>,
}

impl CrowdTally {
    pub(super) fn record_join(&mut self, nick: &Nick) {
        self.joined = self.joined.saturating_add(1);
        if self.first_joined.len() < CROWD_SUMMARY_NAMES {
            self.first_joined.push(nick.clone());
        }
    }

    pub(super) fn record_leave(&mut self) {
        self.left = self.left.saturating_add(1);
    }
}

impl State {
    /// Who is told that `id` quit: everyone sharing a room with it, each once — but in a crowd
    /// only those who hear every change. Also the crowds it is in, whose tallies count it.
    pub(super) fn quit_audience(&self, id: ClientId) -> (Vec<ClientId>, Vec<Folded>) {
        let mut peers = Vec::new();
        let mut crowds = Vec::new();
        for key in self.members.get(&id).into_iter().flat_map(|m| m.rooms.iter()) {
            let Some(room) = self.rooms.get(key) else { continue };
            if self.settings.is_crowd(room.members.len()) {
                peers.extend(hearing_every_change(&self.members, &room.members));
                crowds.push(key.clone());
            } else {
                peers.extend_from_slice(&room.members);
            }
        }
        peers.retain(|&m| m != id);
        peers.sort_unstable();
        peers.dedup();
        (peers, crowds)
    }

    /// The tally of room `key`'s joins and leaves for its next crowd summary.
    pub(super) fn tally(&mut self, key: &Folded) -> &mut CrowdTally {
        self.tallies.entry(key.clone()).or_default()
    }

    /// Tells the people in each crowded room how many joined and left since its last summary,
    /// at most once per `Settings::crowd_interval`. The broker calls this from its sweep.
    pub fn summarise_crowds(&mut self, now: Millis, out: &mut Output) {
        if self.tallies.is_empty() {
            return;
        }
        let interval = self.settings.crowd_interval;
        let (rooms, members) = (&self.rooms, &self.members);
        self.tallies.retain(|key, tally| {
            let opened = *tally.opened.get_or_insert(now);
            if now < opened.saturating_add(interval) {
                return true;
            }
            if let Some(room) = rooms.get(key) {
                let people = room
                    .members
                    .iter()
                    .copied()
                    .filter(|m| members.get(m).is_some_and(|m| !m.hears_every_membership_change()))
                    .collect();
                let summary = Reply::CrowdSummary {
                    room: room.name.clone(),
                    joined: tally.joined,
                    left: tally.left,
                    first_joined: std::mem::take(&mut tally.first_joined),
                    span_secs: interval / 1000,
                };
                out.tell_many(people, summary);
            }
            false
        });
    }

    /// Who is told that `id` changed nickname: the same people as for a quit (`quit_audience`).
    /// A person who shares only crowds with `id` is not told: in a room of thousands, every nick
    /// change would cost a line to each of them, as every join once did. IRC clients are always
    /// told: they keep their member lists from `NICK` lines.
    pub(super) fn nick_audience(&self, id: ClientId) -> Vec<ClientId> {
        self.quit_audience(id).0
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    /// A state whose rooms are crowds above `size` members, with a one-second summary interval.
    fn crowded(size: usize) -> State {
        let mut s = state();
        s.settings.crowd_size = size;
        s.settings.crowd_interval = 1000;
        s
    }

    /// Registers netcat user `id` as `u<id>` and returns what that produced.
    fn arrive(state: &mut State, id: u64) -> Output {
        state.connect(ClientId(id), person(), "127.0.0.1", 0, &mut Output::default());
        run(state, id, say(&format!("u{id}")))
    }

    fn summaries(out: &Output, id: u64) -> Vec<(usize, usize, Vec<String>)> {
        replies_to(out, id)
            .into_iter()
            .filter_map(|r| match r {
                Reply::CrowdSummary { joined, left, first_joined, .. } => {
                    Some((*joined, *left, first_joined.iter().map(|n| n.to_string()).collect()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn up_to_the_crowd_size_everyone_hears_each_join_and_sees_every_name() {
        let mut s = crowded(3);
        arrive(&mut s, 1);
        arrive(&mut s, 2);
        let out = arrive(&mut s, 3);
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Joined { .. }]));
        assert!(
            replies_to(&out, 3).iter().any(|r| matches!(r, Reply::YouJoined { members, .. } if members.len() == 3))
        );
        let mut out = Output::default();
        s.summarise_crowds(0, &mut out);
        s.summarise_crowds(10_000, &mut out);
        assert!(out.deliveries.is_empty(), "nothing was counted: {:?}", out.deliveries);
    }

    #[test]
    fn above_the_crowd_size_people_get_a_count_and_irc_clients_every_join() {
        let mut s = crowded(3);
        arrive(&mut s, 1);
        irc_registered(&mut s, 9, "ircer");
        run(&mut s, 9, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        arrive(&mut s, 2);
        let out = arrive(&mut s, 3);
        assert!(replies_to(&out, 1).is_empty(), "{:?}", replies_to(&out, 1));
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Joined { .. }]));
        let here = replies_to(&out, 3);
        assert!(here.iter().any(|r| matches!(r, Reply::YouJoinedCrowd { count: 4, .. })), "{here:?}");
        assert!(!here.iter().any(|r| matches!(r, Reply::YouJoined { .. })));
        // An IRC client joining a crowd still gets every name (its NAMES reply).
        irc_registered(&mut s, 10, "other");
        let out = run(&mut s, 10, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        assert!(
            replies_to(&out, 10).iter().any(|r| matches!(r, Reply::YouJoined { members, .. } if members.len() == 5))
        );
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Joined { .. }]));
    }

    #[test]
    fn a_nick_change_in_a_crowd_is_told_to_irc_clients_and_people_sharing_a_small_room_only() {
        let mut s = crowded(3);
        irc_registered(&mut s, 9, "ircer");
        run(&mut s, 9, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        for id in 1..=4 {
            arrive(&mut s, id);
        }
        // u1 and u4 also share a small room.
        run(&mut s, 1, Command::Join { room: "#small".into(), key: None });
        run(&mut s, 4, Command::Join { room: "#small".into(), key: None });
        let out = run(&mut s, 1, Command::Nick { nick: "renamed".into() });
        let told = |id| replies_to(&out, id).iter().any(|r| matches!(r, Reply::NickChanged { you: false, .. }));
        assert!(told(9), "IRC clients hear every NICK");
        assert!(told(4), "a person sharing a small room is told");
        assert!(!told(2) && !told(3), "people sharing only the crowd are not told");
        assert!(replies_to(&out, 1).iter().any(|r| matches!(r, Reply::NickChanged { you: true, .. })));
        // Without a crowd everyone sharing a room is told, as before.
        let mut s = crowded(10);
        for id in 1..=3 {
            arrive(&mut s, id);
        }
        let out = run(&mut s, 1, Command::Nick { nick: "renamed".into() });
        for id in [2, 3] {
            assert!(matches!(replies_to(&out, id)[..], [Reply::NickChanged { you: false, .. }]), "{id}");
        }
    }

    #[test]
    fn a_crowd_summary_comes_once_per_interval_to_people_only() {
        let mut s = crowded(2);
        irc_registered(&mut s, 9, "ircer");
        run(&mut s, 9, Command::JoinMany { rooms: vec!["#lobby".into()], keys: vec![] });
        for id in 1..=6 {
            arrive(&mut s, id);
        }
        // Three leave: two by /part, one by quitting.
        let out = run(&mut s, 5, Command::Part { room: None, reason: None });
        assert!(replies_to(&out, 1).is_empty());
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Parted { .. }]));
        run(&mut s, 6, Command::Part { room: None, reason: None });
        let mut out = Output::default();
        s.remove(ClientId(4), &QuitReason::Quit(None), &mut out);
        assert!(replies_to(&out, 1).is_empty());
        assert!(matches!(replies_to(&out, 9)[..], [Reply::Quit { .. }]));
        // The sweep opens the tally's interval; nothing is due before it ends.
        let mut out = Output::default();
        s.summarise_crowds(5_000, &mut out);
        s.summarise_crowds(5_999, &mut out);
        assert!(out.deliveries.is_empty());
        s.summarise_crowds(6_000, &mut out);
        // u1 joined below the crowd size; from u2 on (the IRC client, u1, u2: 3 > 2) joins count.
        let expected = vec![(5, 3, vec!["u2".to_string(), "u3".into(), "u4".into()])];
        assert_eq!(summaries(&out, 1), expected);
        assert_eq!(summaries(&out, 3), expected);
        assert!(replies_to(&out, 9).is_empty(), "IRC clients get no summary");
        assert!(replies_to(&out, 5).is_empty(), "who left is not told");
        // Told once: the tally is gone until something new happens.
        let mut out = Output::default();
        s.summarise_crowds(60_000, &mut out);
        assert!(out.deliveries.is_empty());
        arrive(&mut s, 7);
        s.summarise_crowds(60_000, &mut out);
        s.summarise_crowds(61_000, &mut out);
        assert_eq!(summaries(&out, 1), vec![(1, 0, vec!["u7".to_string()])]);
    }

    #[test]
    fn crowd_size_zero_never_summarises() {
        let mut s = crowded(0);
        for id in 1..=5 {
            arrive(&mut s, id);
        }
        let out = arrive(&mut s, 6);
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Joined { .. }]));
        assert!(
            replies_to(&out, 6).iter().any(|r| matches!(r, Reply::YouJoined { members, .. } if members.len() == 6))
        );
        assert!(s.tallies.is_empty());
    }

    #[test]
    fn a_crowded_room_that_empties_takes_its_tally_with_it() {
        let mut s = crowded(1);
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        assert!(s.tallies.contains_key(&Folded::of("#side")));
        run(&mut s, 1, Command::Part { room: Some("#side".into()), reason: None });
        run(&mut s, 2, Command::Part { room: Some("#side".into()), reason: None });
        assert!(!s.tallies.contains_key(&Folded::of("#side")));
        assert!(s.tallies.contains_key(&Folded::of("#lobby")));
    }
}

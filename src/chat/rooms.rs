//! Rooms: joining (through the room's doors: bans, `+i`, `+k`, `+l`, or an invitation), leaving,
//! and topics. A room other than the default room is created by its first joiner, who runs it,
//! and goes — with its topic and crowd tally; its history lingers (`chathistory`) — when its last
//! member leaves (`leave_room`, the one place a member leaves a room).
//!
//! Checks kept here rather than in the command table: `JOIN` and `PART` take lists, checked and
//! answered a room at a time; `PART` refuses an overlong reason before looking at the room, and
//! calls a room it cannot find one the client is not in; changing a topic under `+t` needs a room
//! operator, which the room's mode decides.

use super::crowds::hearing_every_change;
use super::{
    Audit, Broken, Handled, MAX_REASON_BYTES, MAX_ROOMS_PER_CLIENT, MAX_TARGETS, MAX_TOPIC_BYTES, Member, Output, State,
};
use crate::core::ids::ClientId;
use crate::core::names::{Folded, RoomName};
use crate::protocol::{ChatError, Millis, Reply, Topic, TopicChange};
use crate::room::{Modes, Room};
use std::sync::Arc;

impl State {
    /// Tells `id` everything a client that lost track needs to start over (a browser whose
    /// missed events were no longer kept): the welcome, then for each of its rooms, in the order
    /// joined, who is there, the topic and the recent history. The last room is left current.
    pub fn resync(&self, id: ClientId, out: &mut Output) {
        if let Err(broken) = self.snapshot(id, out) {
            out.audit.push(Audit::InvariantBroken { id, what: broken.0 });
        }
    }

    fn snapshot(&self, id: ClientId, out: &mut Output) -> Handled {
        let me = self.person(id)?;
        let Some(member) = self.members.get(&id) else { return Ok(()) };
        out.tell(id, Reply::Welcome { person: Arc::clone(&me), counts: self.counts() });
        for key in &member.rooms {
            let Some(room) = self.rooms.get(key) else { return Err(Broken::ROOM_MISSING) };
            let members = self.room_users(key);
            let (name, topic, visibility) = (room.name.clone(), room.topic.clone(), room.visibility());
            out.tell(id, Reply::YouJoined { room: name, me: Arc::clone(&me), members, topic, visibility });
            let history = self.histories.replay(key, None);
            if !history.is_empty() {
                out.tell(id, Reply::History { room: room.name.clone(), entries: history });
            }
        }
        if let Some(current) = member.current.as_ref().and_then(|key| self.rooms.get(key)) {
            out.tell(id, Reply::NowTalkingIn { room: current.name.clone() });
        }
        Ok(())
    }

    pub(super) fn join(
        &mut self,
        id: ClientId,
        name: &str,
        key_given: Option<&str>,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        let room_name = match RoomName::parse(name) {
            Ok(room) => room,
            Err(why) => {
                out.error(id, ChatError::RoomInvalid { room: name.to_string(), why });
                return Ok(());
            }
        };
        let key = room_name.folded();
        let me = self.person(id)?;
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        if member.rooms.contains(&key) {
            member.current = Some(key.clone());
            let name = self.rooms.get(&key).map_or(room_name, |r| r.name.clone());
            out.tell(id, Reply::NowTalkingIn { room: name });
            return Ok(());
        }
        if member.rooms.len() >= MAX_ROOMS_PER_CLIENT {
            out.error(id, ChatError::TooManyRooms { room: room_name, max: MAX_ROOMS_PER_CLIENT });
            return Ok(());
        }
        let replay = member.profile.replay_on_join;
        if let Some(room) = self.rooms.get(&key)
            && !room.invited.contains(&id)
        {
            // An invitation passes every door (as on common servers); without one, check each.
            // A ban exception (`+e`) lifts the bans, an invite exception (`+I`) lifts `+i`.
            let prefix = me.prefix();
            let refusal = if room.is_banned(&prefix) {
                Some(ChatError::Banned(room.name.clone()))
            } else if room.modes.invite_only && !room.is_invite_excepted(&prefix) {
                Some(ChatError::InviteOnly(room.name.clone()))
            } else if room.modes.key.as_deref().is_some_and(|k| Some(k) != key_given) {
                Some(ChatError::BadKey(room.name.clone()))
            } else if room.modes.limit.is_some_and(|limit| room.members.len() >= limit) {
                Some(ChatError::RoomFull(room.name.clone()))
            } else {
                None
            };
            if let Some(refusal) = refusal {
                out.error(id, refusal);
                return Ok(());
            }
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.rooms.push(key.clone());
            member.current = Some(key.clone());
        }
        let created = !self.rooms.contains_key(&key);
        if created {
            self.room_history_revived(&key);
        }
        let away = self.members.get(&id).and_then(|m| m.away.clone());
        let room = self.rooms.entry(key.clone()).or_insert_with(|| Room::new(room_name, now, Modes::new_room()));
        let crowd = self.settings.is_crowd(room.members.len() + 1);
        let audience = if crowd { hearing_every_change(&self.members, &room.members) } else { room.others(id) };
        out.tell_many(audience, Reply::Joined { room: room.name.clone(), who: Arc::clone(&me) });
        // issue 14: ircv3
        super::ircv3::away_joiner(away, room.others(id), &me, out);
        room.invited.remove(&id);
        if room.members.is_empty() && key != self.settings.default_room.folded() {
            // Whoever opens an empty room runs it; the default room belongs to no one.
            room.ops.insert(id);
        }
        room.members.push(id);
        let name = room.name.clone();
        let topic = room.topic.clone();
        let visibility = room.visibility();
        let history = if replay { self.histories.replay(&key, None) } else { Vec::new() };
        let count = room.members.len();
        out.audit.push(Audit::Joined { id, nick: me.nick.clone(), room: name.clone(), members: count, created });
        if crowd {
            self.tally(&key).record_join(&me.nick);
        }
        let hears_every_change = self.members.get(&id).is_some_and(Member::hears_every_membership_change);
        if crowd && !hears_every_change {
            // Listing a crowd to each joiner is what made big rooms cost quadratically.
            out.tell(id, Reply::YouJoinedCrowd { room: name.clone(), count, topic });
        } else {
            let members = self.room_users(&key);
            out.tell(id, Reply::YouJoined { room: name.clone(), me, members, topic, visibility });
        }
        if !history.is_empty() {
            out.tell(id, Reply::History { room: name, entries: history });
        }
        Ok(())
    }

    /// `JOIN` with a list (IRC's): each room (at most `MAX_TARGETS`) with its key, in order. A
    /// name without the `#` is no channel name there (`CHANTYPES=#`): it is answered as no
    /// such room, where netcat's `/join rust` would have completed it to `#rust`.
    pub(super) fn join_many(
        &mut self,
        id: ClientId,
        rooms: &[String],
        keys: &[String],
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        for (i, room) in rooms.iter().take(MAX_TARGETS).enumerate() {
            if !room.starts_with('#') {
                out.error(id, ChatError::NoSuchRoom(room.clone()));
                continue;
            }
            self.join(id, room, keys.get(i).map(String::as_str), now, out)?;
        }
        Ok(())
    }

    /// Removes `id` from the room `key`, deleting the room when it empties (unless it is the
    /// default room). Returns the room's name and the members left.
    pub(super) fn leave_room(&mut self, id: ClientId, key: &Folded) -> Option<(RoomName, Vec<ClientId>, bool)> {
        let room = self.rooms.get_mut(key)?;
        room.forget(id);
        let name = room.name.clone();
        let left = room.members.clone();
        let removed = left.is_empty() && *key != self.settings.default_room.folded();
        if removed {
            // A room whose doors or listing were closed (+i, +k, +s, +p) takes its history with it:
            // whoever re-creates it passed none of them.
            let closed = self.rooms.remove(key).is_some_and(|room| {
                let modes = &room.modes;
                modes.invite_only || modes.key.is_some() || modes.secret || modes.private
            });
            self.tallies.remove(key);
            self.room_history_orphaned(key, closed);
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.rooms.retain(|r| r != key);
            if member.current.as_ref() == Some(key) {
                member.current = member.rooms.last().cloned();
            }
        }
        Some((name, left, removed))
    }

    pub(super) fn part(
        &mut self,
        id: ClientId,
        room: Option<&str>,
        reason: Option<String>,
        out: &mut Output,
    ) -> Handled {
        if reason.as_ref().is_some_and(|r| r.len() > MAX_REASON_BYTES) {
            out.error(id, ChatError::TooLong { what: "reason", max: MAX_REASON_BYTES });
            return Ok(());
        }
        let key = match self.resolve_room(id, room) {
            Ok(key) => key,
            Err(ChatError::NoSuchRoom(name)) => {
                let name = RoomName::parse(&name).ok();
                out.error(id, name.map_or_else(|| self.no_current_room(), ChatError::NotInRoom));
                return Ok(());
            }
            Err(error) => {
                out.error(id, error);
                return Ok(());
            }
        };
        if !self.is_member(id, &key) {
            let name = self.rooms.get(&key).map(|r| r.name.clone());
            out.error(id, name.map_or_else(|| self.no_current_room(), ChatError::NotInRoom));
            return Ok(());
        }
        let me = self.person(id)?;
        let Some((name, left, removed)) = self.leave_room(id, &key) else { return Ok(()) };
        out.audit.push(Audit::Parted { id, nick: me.nick.clone(), room: name.clone(), members: left.len(), removed });
        let audience = if self.settings.is_crowd(left.len() + 1) {
            self.tally(&key).record_leave();
            hearing_every_change(&self.members, &left)
        } else {
            left
        };
        out.tell_many(audience, Reply::Parted { room: name.clone(), who: Arc::clone(&me), reason: reason.clone() });
        let current = self.current_room(id).ok().and_then(|k| self.rooms.get(k)).map(|r| r.name.clone());
        out.tell(id, Reply::YouParted { room: name, me, reason, current });
        Ok(())
    }

    /// `PART` with a list: each room (at most `MAX_TARGETS`), in order.
    pub(super) fn part_many(
        &mut self,
        id: ClientId,
        rooms: &[String],
        reason: Option<String>,
        out: &mut Output,
    ) -> Handled {
        for room in rooms.iter().take(MAX_TARGETS) {
            self.part(id, Some(room), reason.clone(), out)?;
        }
        Ok(())
    }

    /// `JOIN 0`: leaves every room, in the order they were joined.
    pub(super) fn part_all(&mut self, id: ClientId, out: &mut Output) -> Handled {
        let rooms = self.members.get(&id).map(|m| m.rooms.clone()).unwrap_or_default();
        for key in rooms {
            if let Some(name) = self.rooms.get(&key).map(|r| r.name.to_string()) {
                self.part(id, Some(&name), None, out)?;
            }
        }
        Ok(())
    }

    /// `TOPIC` in room `key`, which the command table resolved (and, for a change, checked that
    /// `id` is in): shows the topic, or changes it.
    pub(super) fn topic(
        &mut self,
        id: ClientId,
        key: &Folded,
        change: Option<TopicChange>,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        let Some(change) = change else {
            let room = self.room(key)?;
            out.tell(id, Reply::TopicIs { room: room.name.clone(), topic: room.topic.clone() });
            return Ok(());
        };
        let me = self.person(id)?;
        let room = self.room_mut(key)?;
        if room.modes.topic_ops_only && !room.is_op(id) {
            out.error(id, ChatError::NotRoomOperator(room.name.clone()));
            return Ok(());
        }
        let text = match change {
            TopicChange::Set(text) if text.len() > MAX_TOPIC_BYTES => {
                out.error(id, ChatError::TooLong { what: "topic", max: MAX_TOPIC_BYTES });
                return Ok(());
            }
            TopicChange::Set(text) => Some(text),
            TopicChange::Clear => None,
        };
        room.topic = text.clone().map(|text| Topic { text, set_by: Arc::clone(&me), at: now });
        out.audit.push(Audit::TopicChanged { id, nick: me.nick.clone(), room: room.name.clone() });
        out.tell_many(room.members.clone(), Reply::TopicChanged { room: room.name.clone(), by: me, topic: text });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn empty_rooms_vanish_but_the_default_room_stays() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        run(&mut s, 1, Command::Join { room: "rust".into(), key: None });
        assert_eq!(s.render_info(ClientId(1)).0, 2);
        let out = run(&mut s, 1, Command::Part { room: None, reason: None });
        assert!(matches!(replies_to(&out, 1)[0], Reply::YouParted { current: Some(r), .. } if r.as_str() == "#lobby"));
        let out = run(&mut s, 1, Command::Rooms);
        assert!(matches!(replies_to(&out, 1)[0], Reply::Rooms(rooms) if rooms.len() == 1));
        run(&mut s, 1, Command::Part { room: None, reason: None });
        let out = run(&mut s, 1, Command::Rooms);
        assert!(matches!(replies_to(&out, 1)[0], Reply::Rooms(rooms) if rooms.len() == 1 && rooms[0].members == 0));
    }

    #[test]
    fn part_of_a_room_not_joined_fails() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let out = run(&mut s, 1, Command::Part { room: Some("#nope".into()), reason: None });
        assert!(matches!(replies_to(&out, 1)[0], Reply::Error(ChatError::NotInRoom(r)) if r.as_str() == "#nope"));
    }

    #[test]
    fn room_limit_holds() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        for i in 1..MAX_ROOMS_PER_CLIENT {
            run(&mut s, 1, Command::Join { room: format!("#r{i}"), key: None });
        }
        let out = run(&mut s, 1, Command::Join { room: "#onemore".into(), key: None });
        let room = RoomName::parse("#onemore").unwrap();
        assert_eq!(
            replies_to(&out, 1),
            vec![&Reply::Error(ChatError::TooManyRooms { room, max: MAX_ROOMS_PER_CLIENT })]
        );
    }

    #[test]
    fn topic_needs_membership_to_change_and_has_a_length_limit() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Join { room: "#x".into(), key: None });
        let set = |text: &str| Some(TopicChange::Set(text.into()));
        let out = run(&mut s, 1, Command::Topic { room: Some("#x".into()), change: set("hi") });
        assert!(matches!(replies_to(&out, 1)[0], Reply::Error(ChatError::NotInRoom(_))));
        let out = run(&mut s, 2, Command::Topic { room: None, change: set(&"x".repeat(301)) });
        assert!(matches!(replies_to(&out, 2)[0], Reply::Error(ChatError::TooLong { .. })));
        let out = run(&mut s, 2, Command::Topic { room: None, change: set("rust") });
        assert!(matches!(replies_to(&out, 2)[0], Reply::TopicChanged { .. }));
        let out = run(&mut s, 1, Command::Topic { room: Some("#X".into()), change: None });
        assert!(matches!(replies_to(&out, 1)[0], Reply::TopicIs { topic: Some(t), .. } if t.text == "rust"));
    }
}

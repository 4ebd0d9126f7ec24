//! Queries: what a client may ask about rooms, people and the server (`LIST`, `WHO`, `NAMES`,
//! `WHOIS`, `ISON`, `USERHOST`, `HISTORY`, ...). They change nothing; only netcat's `/who` and
//! `HISTORY` need anything of the command table (the room must exist, and be the client's to
//! see; for history, the client must be in it). `MOTD`, `LUSERS`, `VERSION` and `TIME` are one
//! reply each, given by `apply`.
//!
//! User mode `+i`, everyone's from the start, hides a member from room listings (`WHO #room`,
//! `NAMES`) to those not in that room, and from `WHO` searches to those who share no room with
//! them. `WHOIS`, `ISON`, `USERHOST` and `WHO <nickname>` name anyone, as servers do.

use super::{Handled, MAX_TARGETS, Output, State};
use crate::core::ids::ClientId;
use crate::core::limits::MAX_MASK_BYTES;
use crate::core::names::{Folded, RoomName};
use crate::protocol::{Millis, Reply, RoomStatus, RoomVisibility, UserInfo, WhoEntry, WhoQuery, WhoisInfo};
use crate::room::glob_match;

impl State {
    fn user_info(&self, id: ClientId) -> Option<UserInfo> {
        let member = self.members.get(&id)?;
        Some(UserInfo {
            person: member.person.clone()?,
            away: member.away.is_some(),
            op: false,
            voice: false,
            oper: member.oper,
            realname: member.realname.clone(),
        })
    }

    /// Registered users among `ids`, sorted by nickname.
    fn users_sorted(&self, ids: impl Iterator<Item = ClientId>) -> Vec<UserInfo> {
        let mut users: Vec<UserInfo> = ids.filter_map(|m| self.user_info(m)).collect();
        users.sort_by_key(|u| u.person.nick.folded());
        users
    }

    /// A room's members in join order, with their status there.
    pub(super) fn room_users(&self, key: &Folded) -> Vec<UserInfo> {
        self.room_users_where(key, |_| true)
    }

    /// A room's members as `asker` may see them listed (`WHO #room`, `NAMES`): all of them by a
    /// member; by anyone else, those without `+i` (RFC 2812 3.2.5, 3.6.1).
    fn room_users_seen_by(&self, key: &Folded, asker: ClientId) -> Vec<UserInfo> {
        let inside = self.is_member(asker, key);
        self.room_users_where(key, |m| inside || self.members.get(&m).is_some_and(|member| !member.invisible))
    }

    /// Whether `asker` may find `target` in a `WHO` search: themself, anyone without `+i`, and
    /// anyone sharing a room with them (the modern IRC documentation's "visible users").
    fn sees(&self, asker: ClientId, target: ClientId) -> bool {
        let Some(member) = self.members.get(&target) else { return false };
        asker == target || !member.invisible || member.rooms.iter().any(|key| self.is_member(asker, key))
    }

    fn room_users_where(&self, key: &Folded, keep: impl Fn(ClientId) -> bool) -> Vec<UserInfo> {
        let Some(room) = self.rooms.get(key) else { return Vec::new() };
        room.members
            .iter()
            .filter(|&&m| keep(m))
            .filter_map(|&m| {
                let info = self.user_info(m)?;
                Some(UserInfo { op: room.ops.contains(&m), voice: room.voiced.contains(&m), ..info })
            })
            .collect()
    }

    /// `WHO` (netcat `/who`) for room `key`, which the command table resolved (and showed to
    /// be `id`'s to see). Who is not in it sees its members without `+i` only.
    pub(super) fn who(&self, id: ClientId, key: &Folded, out: &mut Output) -> Handled {
        let room = self.room(key)?;
        let mut members = self.room_users_seen_by(key, id);
        members.sort_by_key(|u| u.person.nick.folded());
        out.tell(id, Reply::Who { room: room.name.clone(), members });
        Ok(())
    }

    pub(super) fn users(&self, id: ClientId, out: &mut Output) {
        out.tell(id, Reply::Users(self.users_sorted(self.nicks.values().copied())));
    }

    /// `NAMES`: each room's names, then one end line: for one room its name, for a list the
    /// list as given (irctest and the RFCs' multi-target form), for none (the asker's own
    /// rooms) `*`.
    pub(super) fn names(&self, id: ClientId, rooms: Vec<String>, out: &mut Output) {
        let (rooms, listed) = if rooms.is_empty() {
            let mine = self.members.get(&id).map(|m| m.rooms.clone()).unwrap_or_default();
            let mine: Vec<String> = mine.iter().filter_map(|k| self.rooms.get(k)).map(|r| r.name.to_string()).collect();
            (mine, Some("*".to_string()))
        } else if rooms.len() > 1 {
            let rooms: Vec<String> = rooms.into_iter().take(MAX_TARGETS).collect();
            let listed = rooms.join(",");
            (rooms, Some(listed))
        } else {
            (rooms, None)
        };
        let count = rooms.len();
        if count == 0 {
            let end = listed.unwrap_or_else(|| "*".to_string());
            let nobody = Reply::Names {
                room: String::new(),
                members: Vec::new(),
                visibility: RoomVisibility::Public,
                end: Some(end),
            };
            out.tell(id, nobody);
            return;
        }
        for (n, name) in rooms.into_iter().enumerate() {
            let key = Folded::of(&name);
            // A secret or private room is listed to its members only (to anyone else, as if it
            // were not there: just the end line); a public one without its `+i` members.
            let (room, members, visibility) = match self.rooms.get(&key) {
                Some(room) if room.is_listed() || room.members.contains(&id) => {
                    (room.name.to_string(), self.room_users_seen_by(&key, id), room.visibility())
                }
                Some(room) => (room.name.to_string(), Vec::new(), RoomVisibility::Public),
                None => (name, Vec::new(), RoomVisibility::Public),
            };
            // One room's end line names it as found (`#Chan` asked as `#chan`).
            let end = (n + 1 == count).then(|| listed.clone().unwrap_or_else(|| room.clone()));
            out.tell(id, Reply::Names { room, members, visibility, end });
        }
    }

    /// `WHO mask [options]`: a room's members (to outsiders: none of a secret or private room,
    /// and no `+i` member of any); or the user with that nickname, `+i` or not (as servers
    /// answer); or else everyone `id` may find (`sees`) whose nickname, username, host or real
    /// name the mask matches (`*`, `?`; `0` is `*`). Only a room listing names the room: the
    /// others say `*`, so they never tell which rooms someone is in.
    pub(super) fn who_mask(&self, id: ClientId, mask: String, query: WhoQuery, now: Millis, out: &mut Output) {
        let idle = |user: &UserInfo| {
            let last = self.nicks.get(&user.person.nick.folded()).and_then(|m| self.members.get(m));
            last.map_or(0, |m| now.saturating_sub(m.last_spoke) / 1000)
        };
        let entry = |room: Option<RoomName>, user: UserInfo| WhoEntry { room, idle_secs: idle(&user), user };
        let entries: Vec<WhoEntry> = if mask.starts_with('#') {
            let key = Folded::of(&mask);
            // A secret or private room answers outsiders as if it were empty (or not there: the
            // same end line alone).
            match self.rooms.get(&key) {
                Some(room) if room.is_listed() || room.members.contains(&id) => {
                    self.room_users_seen_by(&key, id).into_iter().map(|u| entry(Some(room.name.clone()), u)).collect()
                }
                _ => Vec::new(),
            }
        } else if let Some(user) = self.nicks.get(&Folded::of(&mask)).and_then(|&m| self.user_info(m)) {
            vec![entry(None, user)]
        } else if mask.len() > MAX_MASK_BYTES {
            // Matching costs up to mask length times text length per field per user.
            Vec::new()
        } else {
            let pattern = if mask == "0" { "*" } else { mask.as_str() };
            // Everyone is on this server: a mask that matches its name matches them all.
            let server = glob_match(pattern, &self.settings.server_name);
            let matches = |u: &UserInfo| {
                let p = &u.person;
                server
                    || [p.nick.as_str(), &p.user, &p.host, &u.realname].iter().any(|field| glob_match(pattern, field))
            };
            let users = self.users_sorted(self.nicks.values().copied().filter(|&m| self.sees(id, m)));
            users.into_iter().filter(matches).map(|u| entry(None, u)).collect()
        };
        let entries = entries.into_iter().filter(|e| !query.opers_only || e.user.oper).collect();
        out.tell(id, Reply::WhoList { mask, entries, whox: query.whox });
    }

    pub(super) fn whois(&self, id: ClientId, nick: String, now: Millis, out: &mut Output) {
        let found = self.nicks.get(&Folded::of(&nick)).and_then(|m| Some((m, self.members.get(m)?)));
        let info = found.and_then(|(m, member)| {
            Some(WhoisInfo {
                person: member.person.clone()?,
                realname: member.realname.clone(),
                // Secret and private rooms only to who is in them too.
                rooms: member
                    .rooms
                    .iter()
                    .filter_map(|k| self.rooms.get(k))
                    .filter(|r| r.is_listed() || r.members.contains(&id))
                    .map(|r| RoomStatus { room: r.name.clone(), op: r.ops.contains(m), voice: r.voiced.contains(m) })
                    .collect(),
                away: member.away.clone(),
                idle_secs: now.saturating_sub(member.last_spoke) / 1000,
                signon: member.signon,
                oper: member.oper,
                account: member.account.clone(),
                server_description: self.settings.server_description.clone(),
            })
        });
        out.tell(id, Reply::Whois { nick, info });
    }

    /// `ISON`: which of `nicks` are online.
    pub(super) fn ison(&self, id: ClientId, nicks: &[String], out: &mut Output) {
        let online = nicks.iter().filter_map(|n| self.registered_person(n)).map(|p| p.nick.clone()).collect();
        out.tell(id, Reply::Ison { nicks: online });
    }

    /// `USERHOST`: the first five of `nicks` that are online, with their hosts.
    pub(super) fn userhost(&self, id: ClientId, nicks: &[String], out: &mut Output) {
        let entries = nicks
            .iter()
            .take(5)
            .filter_map(|n| self.nicks.get(&Folded::of(n)))
            .filter_map(|&m| self.user_info(m))
            .collect();
        out.tell(id, Reply::Userhost { entries });
    }

    /// `HISTORY` of room `key`, which the command table found `id` in: its recent messages,
    /// newest `count` (all kept when `None`), as many as one replay may send.
    pub(super) fn history(&self, id: ClientId, key: &Folded, count: Option<usize>, out: &mut Output) -> Handled {
        let entries = self.histories.replay(key, count);
        out.tell(id, Reply::History { room: self.room(key)?.name.clone(), entries });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    /// The nicknames and rooms of the `WHO` answer in `out` to `id`.
    fn who_list(out: &Output, id: u64) -> Vec<(String, Option<String>)> {
        match replies_to(out, id)[..] {
            [Reply::WhoList { entries, .. }] => entries
                .iter()
                .map(|e| (e.user.person.nick.to_string(), e.room.as_ref().map(|r| r.to_string())))
                .collect(),
            ref other => panic!("{other:?}"),
        }
    }

    fn who(mask: &str) -> Command {
        Command::WhoMask { mask: mask.into(), query: Default::default() }
    }

    #[test]
    fn who_of_a_secret_or_private_room_answers_outsiders_as_if_empty_and_masks_never_name_rooms() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        // Without `+i`, so that only the room's mode hides her.
        run(&mut s, 1, Command::Mode { target: "alice".into(), changes: vec!["-i".into()] });
        let member = |s: &mut State| who_list(&run(s, 1, who("#SIDE")), 1);
        let outsider = |s: &mut State| who_list(&run(s, 2, who("#side")), 2);
        assert_eq!(outsider(&mut s), [("alice".into(), Some("#side".into()))]);
        for mode in ["+s", "-s+p"] {
            run(&mut s, 1, Command::Mode { target: "#side".into(), changes: vec![mode.into()] });
            assert_eq!(outsider(&mut s), [], "{mode}");
            assert_eq!(member(&mut s), [("alice".into(), Some("#side".into()))], "{mode}");
        }
        for mask in ["*", "alice", "ali*"] {
            let found = who_list(&run(&mut s, 2, who(mask)), 2);
            assert!(found.contains(&("alice".into(), None)) && found.iter().all(|(_, room)| room.is_none()), "{mask}");
        }
    }

    #[test]
    fn invisible_users_hide_from_searches_and_listings_of_those_who_share_no_room() {
        let mut s = state();
        irc_registered(&mut s, 1, "alice");
        irc_registered(&mut s, 2, "bob");
        irc_registered(&mut s, 3, "carol");
        for (id, room) in [(1, "#a"), (3, "#a"), (2, "#b")] {
            run(&mut s, id, Command::Join { room: room.into(), key: None });
        }
        let nicks = |found: Vec<(String, Option<String>)>| found.into_iter().map(|(nick, _)| nick).collect::<Vec<_>>();
        let names = |s: &mut State, id: u64, room: &str| match &replies_to(
            &run(s, id, Command::Names { rooms: vec![room.into()] }),
            id,
        )[..]
        {
            [Reply::Names { members, .. }] => members.iter().map(|u| u.person.nick.to_string()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let netcat_who = |s: &mut State, id: u64, room: &str| match &replies_to(
            &run(s, id, Command::Who { room: Some(room.into()) }),
            id,
        )[..]
        {
            [Reply::Who { members, .. }] => members.iter().map(|u| u.person.nick.to_string()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(s.counts().invisible, 3);
        // Everyone is `+i`: bob finds only himself; alice, whoever shares #a with her.
        assert_eq!(nicks(who_list(&run(&mut s, 2, who("*")), 2)), ["bob"]);
        assert_eq!(nicks(who_list(&run(&mut s, 1, who("*")), 1)), ["alice", "carol"]);
        // A nickname asked for exactly is answered anyway.
        assert_eq!(nicks(who_list(&run(&mut s, 2, who("ALICE")), 2)), ["alice"]);
        // A room's list to an outsider leaves its `+i` members out; to a member, nobody.
        assert_eq!(nicks(who_list(&run(&mut s, 2, who("#a")), 2)), Vec::<String>::new());
        assert!(names(&mut s, 2, "#a").is_empty());
        assert!(netcat_who(&mut s, 2, "#a").is_empty());
        assert_eq!(nicks(who_list(&run(&mut s, 3, who("#a")), 3)), ["alice", "carol"]);
        assert_eq!(names(&mut s, 3, "#a"), ["alice", "carol"]);
        // `-i` shows alice to all.
        run(&mut s, 1, Command::Mode { target: "alice".into(), changes: vec!["-i".into()] });
        assert_eq!(s.counts().invisible, 2);
        assert_eq!(nicks(who_list(&run(&mut s, 2, who("*")), 2)), ["alice", "bob"]);
        assert_eq!(nicks(who_list(&run(&mut s, 2, who("#a")), 2)), ["alice"]);
        assert_eq!(names(&mut s, 2, "#a"), ["alice"]);
        assert_eq!(netcat_who(&mut s, 2, "#a"), ["alice"]);
    }

    #[test]
    fn history_is_bounded_and_replayed_on_join() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        for text in ["one", "two", "three"] {
            run(&mut s, 1, say(text));
        }
        s.connect(ClientId(2), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 2, say("bob"));
        let history = replies_to(&out, 2)
            .into_iter()
            .find_map(|r| match r {
                Reply::History { entries, .. } => Some(entries.iter().map(|e| e.text.to_string()).collect::<Vec<_>>()),
                _ => None,
            })
            .unwrap();
        assert_eq!(history, vec!["two", "three"]);
    }

    #[test]
    fn join_and_history_replay_only_the_newest_lines_that_fit_the_replay_budget() {
        let line = |i: usize| format!("{i:03}{}", "x".repeat(97));
        let cost = room::replay_bytes(&HistoryEntry {
            id: 0,
            at: 0,
            from: Arc::new(Person {
                nick: Nick::parse("a").unwrap(),
                user: String::new(),
                host: String::new(),
                account: None,
                realname: "".into(),
            }),
            text: line(0).into(),
            kind: MessageKind::Normal,
        });
        let limits =
            HistoryLimits { lines: 100, room_bytes: 1 << 20, total_bytes: 1 << 20, replay_bytes: 3 * cost + 1 };
        let mut s = state_with(limits);
        registered(&mut s, 1, "alice");
        for i in 0..10 {
            run(&mut s, 1, say(&line(i)));
        }
        s.connect(ClientId(2), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 2, say("bob"));
        assert_eq!(replayed(&out, 2), [line(7), line(8), line(9)]);
        let out = run(&mut s, 2, Command::History { room: None, count: None });
        assert_eq!(replayed(&out, 2), [line(7), line(8), line(9)]);
        let out = run(&mut s, 2, Command::History { room: None, count: Some(2) });
        assert_eq!(replayed(&out, 2), [line(8), line(9)]);
    }

    #[test]
    fn a_removed_room_takes_its_history_bytes_with_it() {
        let mut s =
            state_with(HistoryLimits { lines: 10, room_bytes: 1 << 20, total_bytes: 1 << 20, replay_bytes: 1 << 16 });
        registered(&mut s, 1, "alice");
        run(&mut s, 1, say("in the lobby"));
        let lobby = s.histories.total_bytes();
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        run(&mut s, 1, say("one"));
        run(&mut s, 1, say("two"));
        let side = RoomName::parse("#side").unwrap().folded();
        assert_eq!(s.histories.room_usage(&side).0, 2);
        assert_eq!(s.histories.total_bytes(), lobby + s.histories.room_usage(&side).1);
        run(&mut s, 1, Command::Part { room: Some("#side".into()), reason: None });
        assert_eq!(s.histories.room_usage(&side), (0, 0));
        assert_eq!(s.histories.total_bytes(), lobby);
        // A room of the same name later starts with nothing to replay.
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        let out = run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        assert!(replayed(&out, 1).is_empty());
        // The default room keeps its history when its last member leaves.
        s.remove(ClientId(1), &QuitReason::ConnectionLost, &mut Output::default());
        s.remove(ClientId(2), &QuitReason::ConnectionLost, &mut Output::default());
        assert_eq!(s.histories.total_bytes(), lobby);
    }
}

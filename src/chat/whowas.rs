//! Who was who, and user modes: `WHOWAS` over a bounded record of the nicknames people left
//! (by changing them or by leaving the server), a user's own modes (`MODE nick -i`, `+w`), and
//! `WALLOPS` to those who set `+w`.
//!
//! The record keeps the newest `WHOWAS_ENTRIES` departures, oldest dropped first; each entry is
//! the departed `Person` (shared with whatever else still holds it, such as room history) and
//! when they left, so it costs little beyond what history already keeps.

use super::{Handled, MAX_TARGETS, Output, State};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::query::parse_user_modes;
use crate::protocol::{ChatError, Millis, Person, Reply, WhowasEntry};
use std::collections::VecDeque;
use std::sync::Arc;

/// Most departures remembered for `WHOWAS`, across all nicknames.
pub const WHOWAS_ENTRIES: usize = 1024;

/// The people who left a nickname, newest last, at most `WHOWAS_ENTRIES`.
#[derive(Debug, Default)]
pub struct Departures {
    entries: VecDeque<WhowasEntry>,
}

impl Departures {
    /// Remembers that `person` stopped using their nickname at `left`.
    pub fn record(&mut self, person: Arc<Person>, left: Millis) {
        if self.entries.len() == WHOWAS_ENTRIES {
            self.entries.pop_front();
        }
        self.entries.push_back(WhowasEntry { person, left });
    }

    /// Who used `nick` (compared without case), newest first, at most `count` (all: `None`).
    #[cfg(test)]
    pub fn find(&self, nick: &str, count: Option<usize>) -> Vec<WhowasEntry> {
        self.find_any(&[Folded::of(nick)], count)
    }

    /// Who used any of `nicks`, newest departure first (the order they were recorded in, which
    /// tells apart departures of the same millisecond), at most `count` per nickname.
    pub fn find_any(&self, nicks: &[Folded], count: Option<usize>) -> Vec<WhowasEntry> {
        let mut taken = vec![0usize; nicks.len()];
        let limit = count.unwrap_or(usize::MAX);
        let mut found = Vec::new();
        for entry in self.entries.iter().rev() {
            let folded = entry.person.nick.folded();
            let Some(n) = nicks.iter().position(|nick| *nick == folded) else { continue };
            if taken[n] < limit {
                taken[n] += 1;
                found.push(entry.clone());
            }
        }
        found
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

impl State {
    /// `WHOWAS nick[,nick...] [count]`: one answer for the first `MAX_TARGETS` nicknames (the
    /// rest are dropped, as `TARGMAX` tells clients): up to `count` entries per nickname, all of
    /// them newest first, then the nicknames nobody used, then one end line naming the list as
    /// asked (RFC 2812 3.6.3: one `RPL_ENDOFWHOWAS` at the end of all the replies).
    pub(super) fn whowas(&self, id: ClientId, nicks: Vec<String>, count: Option<usize>, out: &mut Output) {
        let nicks: Vec<String> = nicks.into_iter().take(MAX_TARGETS).collect();
        let folded: Vec<Folded> = nicks.iter().map(|nick| Folded::of(nick)).collect();
        let entries = self.departures.find_any(&folded, count);
        let unknown = nicks
            .iter()
            .zip(&folded)
            .filter(|(_, wanted)| !entries.iter().any(|entry| entry.person.nick.folded() == **wanted))
            .map(|(nick, _)| nick.clone())
            .collect();
        out.tell(id, Reply::Whowas { asked: nicks.join(","), entries, unknown });
    }

    /// `MODE <own nick>`: with no changes, the modes; otherwise each known change is applied and
    /// the ones that changed something are announced, and an unknown letter is refused after
    /// the known ones were applied (as the modern IRC documentation asks).
    pub(super) fn user_modes(&mut self, id: ClientId, changes: &[String], out: &mut Output) -> Handled {
        let me = self.person(id)?;
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        if changes.is_empty() {
            let mut modes = String::from("+");
            for (letter, set) in [('i', member.invisible), ('o', member.oper), ('w', member.wallops)] {
                if set {
                    modes.push(letter);
                }
            }
            out.tell(id, Reply::UserModes { modes });
            return Ok(());
        }
        let (mut applied, mut sign, mut unknown) = (String::new(), None, false);
        for change in parse_user_modes(changes) {
            // What a client may set on itself: `i` (invisible, on from the start: `queries` says
            // whom it hides from) and `w` (receives `WALLOPS`).
            let flag = match change.mode {
                'i' => &mut member.invisible,
                'w' => &mut member.wallops,
                other => {
                    // `o` is known but only `OPER` gives it; servers ignore a user's `+o`/`-o`.
                    unknown |= other != 'o';
                    continue;
                }
            };
            if *flag != change.set {
                *flag = change.set;
                if sign != Some(change.set) {
                    applied.push(if change.set { '+' } else { '-' });
                    sign = Some(change.set);
                }
                applied.push(change.mode);
            }
        }
        if !applied.is_empty() {
            out.tell(id, Reply::UserModesChanged { me, changes: applied });
        }
        if unknown {
            out.error(id, ChatError::UnknownUserMode);
        }
        Ok(())
    }

    /// `WALLOPS` from a server operator (the command table checked): to every user with `+w`.
    pub(super) fn wallops(&self, id: ClientId, text: String, out: &mut Output) -> Handled {
        let from = self.person(id)?;
        let mut to: Vec<ClientId> =
            self.members.iter().filter(|(_, m)| m.wallops && m.person.is_some()).map(|(&m, _)| m).collect();
        to.sort_unstable();
        out.tell_many(to, Reply::Wallops { from, text });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::protocol::Command;

    #[test]
    fn departures_are_bounded_and_found_newest_first_without_case() {
        let mut departures = Departures::default();
        let someone = |nick: &str, user: &str| {
            Arc::new(Person {
                nick: crate::core::names::Nick::parse(nick).unwrap(),
                user: user.into(),
                host: "h".into(),
                account: None,
                realname: "R".into(),
            })
        };
        departures.record(someone("alice", "first"), 1_000);
        departures.record(someone("bob", "b"), 2_000);
        departures.record(someone("Alice", "second"), 3_000);
        let users = |found: Vec<WhowasEntry>| found.iter().map(|e| (e.person.user.clone(), e.left)).collect::<Vec<_>>();
        assert_eq!(users(departures.find("ALICE", None)), [("second".into(), 3_000), ("first".into(), 1_000)]);
        assert_eq!(users(departures.find("alice", Some(1))), [("second".into(), 3_000)]);
        assert!(departures.find("carol", None).is_empty());
        for i in 0..WHOWAS_ENTRIES {
            departures.record(someone("x", &i.to_string()), 4_000);
        }
        assert_eq!(departures.len(), WHOWAS_ENTRIES);
        assert!(departures.find("alice", None).is_empty(), "the oldest went first");
    }

    #[test]
    fn renames_and_quits_are_remembered() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        s.apply(ClientId(1), Command::Nick { nick: "alicia".into() }, 5_000, &mut Output::default());
        registered(&mut s, 2, "bob");
        // Leaving is dated by the latest time chat state was told (here, the broker's sweep).
        s.expire_histories(9_000);
        s.remove(ClientId(1), &crate::protocol::QuitReason::ConnectionLost, &mut Output::default());
        let whowas =
            |nicks: &[&str]| Command::Whowas { nicks: nicks.iter().map(|n| n.to_string()).collect(), count: None };
        let out = run(&mut s, 2, whowas(&["alice"]));
        assert!(
            matches!(replies_to(&out, 2)[..], [Reply::Whowas { entries, .. }] if entries.len() == 1 && entries[0].person.nick.as_str() == "alice" && entries[0].left == 5_000)
        );
        let out = run(&mut s, 2, whowas(&["ALICIA"]));
        assert!(
            matches!(replies_to(&out, 2)[..], [Reply::Whowas { entries, .. }] if entries.len() == 1 && entries[0].left == 9_000)
        );
        let out = run(&mut s, 2, whowas(&["bob"]));
        assert!(matches!(replies_to(&out, 2)[..], [Reply::Whowas { entries, .. }] if entries.is_empty()));
        // A list: one answer for the first `MAX_TARGETS` nicknames, newest departure first.
        let out = run(&mut s, 2, whowas(&["alice", "bob", "alicia", "x", "alice"]));
        match replies_to(&out, 2)[..] {
            [Reply::Whowas { asked, entries, unknown }] => {
                assert_eq!(asked, "alice,bob,alicia,x");
                let nicks: Vec<&str> = entries.iter().map(|e| e.person.nick.as_str()).collect();
                assert_eq!(nicks, ["alicia", "alice"]);
                assert_eq!(unknown, &["bob", "x"]);
            }
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wallops_reach_those_with_plus_w_and_only_from_operators() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        registered(&mut s, 3, "carol");
        let wallops = || Command::Wallops { text: "hello ops".into() };
        let out = run(&mut s, 1, wallops());
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NotServerOperator)]);
        let mode = |nick: &str, change: &str| Command::Mode { target: nick.into(), changes: vec![change.into()] };
        let out = run(&mut s, 2, mode("bob", "+w"));
        assert!(matches!(replies_to(&out, 2)[..], [Reply::UserModesChanged { changes, .. }] if changes == "+w"));
        // Setting it again changes nothing and says nothing.
        assert!(run(&mut s, 2, mode("bob", "+w")).deliveries.is_empty());
        run(&mut s, 1, Command::Oper { name: "admin".into(), password: "pw".into() });
        let out = run(&mut s, 1, wallops());
        assert_eq!(out.deliveries.len(), 1);
        assert_eq!(out.deliveries[0].to, super::super::To::Many(vec![ClientId(2)]));
        let out = run(&mut s, 2, Command::Mode { target: "bob".into(), changes: vec![] });
        assert_eq!(replies_to(&out, 2), vec![&Reply::UserModes { modes: "+iw".into() }]);
        let out = run(&mut s, 2, mode("bob", "-w+x"));
        assert!(matches!(
            replies_to(&out, 2)[..],
            [Reply::UserModesChanged { changes, .. }, Reply::Error(ChatError::UnknownUserMode)] if changes == "-w"
        ));
        // `+i` is what everyone has from the start: setting it again says nothing.
        assert!(run(&mut s, 2, mode("bob", "+i")).deliveries.is_empty());
        let out = run(&mut s, 2, mode("bob", "-i+w"));
        assert!(matches!(replies_to(&out, 2)[..], [Reply::UserModesChanged { changes, .. }] if changes == "-i+w"));
        let out = run(&mut s, 2, Command::Mode { target: "bob".into(), changes: vec![] });
        assert_eq!(replies_to(&out, 2), vec![&Reply::UserModes { modes: "+w".into() }]);
        let out = run(&mut s, 2, mode("bob", "-w"));
        assert!(matches!(replies_to(&out, 2)[..], [Reply::UserModesChanged { changes, .. }] if changes == "-w"));
        let out = run(&mut s, 2, Command::Mode { target: "bob".into(), changes: vec![] });
        assert_eq!(replies_to(&out, 2), vec![&Reply::UserModes { modes: "+".into() }]);
        let out = run(&mut s, 2, mode("bob", "+i"));
        assert!(matches!(replies_to(&out, 2)[..], [Reply::UserModesChanged { changes, .. }] if changes == "+i"));
    }
}

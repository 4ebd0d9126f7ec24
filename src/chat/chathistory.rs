//! History queries (IRCv3 `draft/chathistory`), the private-message history they read, and how
//! long a room's history outlives the room.
//!
//! A room's history is read by its members only; a private conversation by the two accounts in
//! it (`room::Conversations`: kept only between logged-in users). Whoever may not read a target
//! is told it does not exist, so that a query reveals nothing. `TARGETS` lists the rooms the
//! client is in and the accounts it talked with.
//!
//! Lingering: a room that empties is removed (it is no room: `LIST` does not show it), but its
//! history stays for `Settings::history_linger`, so that a room that was quiet for a moment, or
//! whose members all reconnected, still has its scrollback when it is joined again. History of a
//! room that was invite-only or keyed goes at once: whoever re-creates the room did not pass its
//! doors. Expiry is checked at each command and at each sweep (`expire_histories`), against
//! `State::clock`.

use super::{Output, State};
use crate::core::ids::ClientId;
use crate::core::names::{Folded, RoomName};
use crate::protocol::history::{
    FailCode, HistoryFail, HistoryLine, HistoryQuery, HistoryTarget, MAX_HISTORY_LIMIT, Selector,
};
use crate::protocol::{ChatError, HistoryEntry, Millis, Reply};
use crate::room::select;
use std::sync::Arc;

impl State {
    /// `CHATHISTORY`: the selected messages, the targets, or why not.
    pub(super) fn chat_history(&self, id: ClientId, query: Result<HistoryQuery, HistoryFail>, out: &mut Output) {
        let answer = match query {
            Ok(HistoryQuery::Messages { subcommand, target, select, limit }) => {
                self.history_of(id, subcommand, &target, select, limit)
            }
            Ok(HistoryQuery::Targets { from, to, limit }) => Ok(self.history_targets(id, from, to, limit)),
            Err(fail) => Err(fail),
        };
        match answer {
            Ok(reply) => out.tell(id, reply),
            Err(fail) => out.error(id, ChatError::History(fail)),
        }
    }

    /// The messages of room or conversation `target` that `select` wants.
    fn history_of(
        &self,
        id: ClientId,
        subcommand: &'static str,
        target: &str,
        selector: Selector,
        limit: usize,
    ) -> Result<Reply, HistoryFail> {
        let invalid = || {
            HistoryFail::new(
                FailCode::InvalidTarget,
                vec![subcommand.to_string(), target.to_string()],
                "Messages could not be retrieved",
            )
        };
        let limit = limit.min(MAX_HISTORY_LIMIT);
        if target.starts_with('#') {
            let key = RoomName::parse(target).map_err(|_| invalid())?.folded();
            let room = self.rooms.get(&key).filter(|_| self.is_member(id, &key)).ok_or_else(invalid)?;
            let name: Arc<str> = room.name.as_str().into();
            let entries = self.histories.entries(&key);
            let (chosen, from_oldest) = select(&entries, self.started, selector, limit, self.histories.replay_budget());
            let lines = chosen.into_iter().map(|entry| HistoryLine { entry, to: Arc::clone(&name) }).collect();
            return Ok(Reply::ChatHistory { target: room.name.to_string(), lines, from_oldest });
        }
        let (shown, partner) = self.partner(target).ok_or_else(invalid)?;
        let me = self.members.get(&id).and_then(|m| m.account.clone());
        let (Some(me), Some(partner)) = (me, partner) else {
            // Someone who is not logged in, or talking with someone who is not: nothing is kept.
            return Ok(Reply::ChatHistory { target: shown, lines: Vec::new(), from_oldest: false });
        };
        let entries = self.conversations.entries(&me, &partner);
        let (chosen, from_oldest) = select(&entries, self.started, selector, limit, self.conversations.replay_budget());
        let mine = Folded::of(&me);
        let lines = chosen
            .into_iter()
            .map(|entry| {
                let sent_by_me = entry.from.account.as_deref().is_some_and(|a| Folded::of(a) == mine);
                let to = if sent_by_me { Arc::clone(&partner) } else { Arc::clone(&me) };
                HistoryLine { entry, to }
            })
            .collect();
        Ok(Reply::ChatHistory { target: shown, lines, from_oldest })
    }

    /// Who the nickname `target` is, for a private history: the name to show (their nickname
    /// when online, else the account's name) and their account, if they have one. `None` when
    /// nobody is online under that name and no account owns it.
    fn partner(&self, target: &str) -> Option<(String, Option<Arc<str>>)> {
        let key = Folded::of(target);
        let online = self.nicks.get(&key).and_then(|id| self.members.get(id)).and_then(|m| m.person.as_ref());
        match (online, self.accounts.get(&key)) {
            (Some(person), owned) => {
                let account = person.account.clone().or_else(|| owned.map(|entry| Arc::clone(&entry.name)));
                Some((person.nick.to_string(), account))
            }
            (None, Some(entry)) => Some((entry.name.to_string(), Some(Arc::clone(&entry.name)))),
            (None, None) => None,
        }
    }

    /// `TARGETS`: the rooms `id` is in and the accounts it talked with, whose newest message is
    /// between `from` and `to` (either order, both excluded), the oldest first, at most `limit`.
    fn history_targets(&self, id: ClientId, from: Millis, to: Millis, limit: usize) -> Reply {
        let (low, high) = if from <= to { (from, to) } else { (to, from) };
        let Some(member) = self.members.get(&id) else { return Reply::HistoryTargets { targets: Vec::new() } };
        let rooms = member.rooms.iter().filter_map(|key| {
            let room = self.rooms.get(key)?;
            Some((room.name.to_string(), self.histories.latest(key)?))
        });
        let partners = member.account.iter().flat_map(|account| self.conversations.partners(account));
        let mut targets: Vec<HistoryTarget> = rooms
            .chain(partners.map(|(name, latest)| (name.to_string(), latest)))
            .filter(|(_, latest)| low < *latest && *latest < high)
            .map(|(name, latest)| HistoryTarget { name, latest })
            .collect();
        targets.sort_by(|a, b| a.latest.cmp(&b.latest).then_with(|| a.name.cmp(&b.name)));
        // Counted from the first timestamp given, as `BETWEEN` counts.
        let limit = limit.min(MAX_HISTORY_LIMIT);
        if from > to && targets.len() > limit {
            targets.drain(..targets.len() - limit);
        }
        targets.truncate(limit);
        Reply::HistoryTargets { targets }
    }

    /// Remembers a private message between two logged-in members.
    pub(super) fn remember_private(&mut self, from: ClientId, to: ClientId, entry: HistoryEntry) {
        let account = |id| self.members.get(&id).and_then(|m| m.account.clone());
        if let (Some(a), Some(b)) = (account(from), account(to)) {
            self.conversations.push(&a, &b, entry);
        }
    }

    /// Room `key` was removed: its history lingers, or goes now.
    pub(super) fn room_history_orphaned(&mut self, key: &Folded, closed: bool) {
        if self.settings.history_linger == 0 || closed || self.histories.latest(key).is_none() {
            self.histories.remove_room(key);
            return;
        }
        let until = self.clock.saturating_add(self.settings.history_linger);
        if let Some(old) = self.linger_until.insert(key.clone(), until) {
            self.lingering.remove(&(old, key.clone()));
        }
        self.lingering.insert((until, key.clone()));
    }

    /// Room `key` was created again: its history, if any is left, is the room's again.
    pub(super) fn room_history_revived(&mut self, key: &Folded) {
        if let Some(until) = self.linger_until.remove(key) {
            self.lingering.remove(&(until, key.clone()));
        }
    }

    /// Advances chat state's clock to `now` and forgets the history of rooms empty for longer
    /// than `Settings::history_linger`.
    pub fn expire_histories(&mut self, now: Millis) {
        self.clock = self.clock.max(now);
        while let Some((until, _)) = self.lingering.first()
            && *until <= self.clock
        {
            let Some((_, key)) = self.lingering.pop_first() else { break };
            self.linger_until.remove(&key);
            if !self.rooms.contains_key(&key) {
                self.histories.remove_room(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! Private-message history between logged-in accounts, one conversation per pair of accounts.
//!
//! Pure. Bounded as room history is (`Histories`): each conversation like one room, all of them
//! together by their own total, the oldest messages anywhere going first. Kept by account, not
//! by nickname, so only the two accounts' owners can read a conversation, whatever nicknames
//! they used; messages from or to someone not logged in are not kept.

use super::{Histories, HistoryLimits};
use crate::core::names::Folded;
use crate::protocol::{HistoryEntry, Millis};
use std::collections::HashMap;
use std::sync::Arc;

/// Every conversation between two accounts, and who talked with whom.
#[derive(Debug)]
pub struct Conversations {
    histories: Histories,
    /// Each account's partners with a remembered message, by folded name, with the partner's
    /// account name as written.
    partners: HashMap<Folded, HashMap<Folded, Arc<str>>>,
}

/// The key of the conversation between two accounts: both folded names, in order, with a space
/// between (no account name holds one).
fn pair(a: &Folded, b: &Folded) -> Folded {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    Folded::of(&format!("{} {}", first.as_str(), second.as_str()))
}

impl Conversations {
    pub fn new(limits: HistoryLimits) -> Conversations {
        Conversations { histories: Histories::new(limits), partners: HashMap::new() }
    }

    /// Remembers a message `from` one account `to` another.
    pub fn push(&mut self, from: &Arc<str>, to: &Arc<str>, entry: HistoryEntry) {
        let (a, b) = (Folded::of(from), Folded::of(to));
        let key = pair(&a, &b);
        for gone in self.histories.push(&key, entry) {
            self.unlink(&gone);
        }
        if self.histories.latest(&key).is_some() {
            self.partners.entry(a.clone()).or_default().insert(b.clone(), Arc::clone(to));
            self.partners.entry(b).or_default().insert(a, Arc::clone(from));
        }
    }

    /// Forgets that the two accounts of conversation `key` talked (its history is gone).
    fn unlink(&mut self, key: &Folded) {
        let Some((a, b)) = key.as_str().split_once(' ') else { return };
        for (one, other) in [(a, b), (b, a)] {
            let one = Folded::of(one);
            if let Some(partners) = self.partners.get_mut(&one) {
                partners.remove(&Folded::of(other));
                if partners.is_empty() {
                    self.partners.remove(&one);
                }
            }
        }
    }

    /// The messages between accounts `a` and `b`, oldest first.
    pub fn entries(&self, a: &str, b: &str) -> Vec<&HistoryEntry> {
        self.histories.entries(&pair(&Folded::of(a), &Folded::of(b)))
    }

    /// The accounts `account` has a remembered conversation with, each with the time of the
    /// conversation's newest message.
    pub fn partners(&self, account: &str) -> Vec<(Arc<str>, Millis)> {
        let me = Folded::of(account);
        let Some(partners) = self.partners.get(&me) else { return Vec::new() };
        partners
            .iter()
            .filter_map(|(folded, name)| {
                self.histories.latest(&pair(&me, folded)).map(|latest| (Arc::clone(name), latest))
            })
            .collect()
    }

    /// Forgets every conversation of `account` (deleted).
    pub fn forget_account(&mut self, account: &str) {
        let me = Folded::of(account);
        for partner in self.partners.remove(&me).unwrap_or_default().into_keys() {
            let key = pair(&me, &partner);
            self.histories.remove_room(&key);
            self.unlink(&key);
        }
    }

    /// The most bytes one answer may send.
    pub fn replay_budget(&self) -> usize {
        self.histories.replay_budget()
    }

    /// Bytes remembered in all conversations.
    pub fn total_bytes(&self) -> usize {
        self.histories.total_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MessageKind, Person};

    fn entry(id: u64, from: &str, text: &str) -> HistoryEntry {
        let person = Person {
            nick: crate::core::names::Nick::parse(from).unwrap(),
            user: "u".into(),
            host: "h".into(),
            account: Some(from.into()),
            realname: "R".into(),
        };
        HistoryEntry { id, at: id * 10, from: Arc::new(person), text: text.into(), kind: MessageKind::Normal }
    }

    fn limits(lines: usize, total_bytes: usize) -> HistoryLimits {
        HistoryLimits { lines, room_bytes: 1 << 20, total_bytes, replay_bytes: 1 << 16 }
    }

    #[test]
    fn a_conversation_is_shared_by_its_two_accounts_whichever_way_named() {
        let mut c = Conversations::new(limits(10, 1 << 20));
        let (alice, bob, carol): (Arc<str>, Arc<str>, Arc<str>) = ("Alice".into(), "bob".into(), "carol".into());
        c.push(&alice, &bob, entry(1, "Alice", "hi bob"));
        c.push(&bob, &alice, entry(2, "bob", "hi alice"));
        c.push(&carol, &alice, entry(3, "carol", "psst"));
        let texts = |a: &str, b: &str| c.entries(a, b).iter().map(|e| e.text.to_string()).collect::<Vec<_>>();
        assert_eq!(texts("alice", "BOB"), ["hi bob", "hi alice"]);
        assert_eq!(texts("bob", "Alice"), ["hi bob", "hi alice"]);
        assert_eq!(texts("bob", "carol"), Vec::<String>::new());
        let mut partners = c.partners("ALICE");
        partners.sort();
        assert_eq!(partners, [("bob".into(), 20), ("carol".into(), 30)]);
        assert_eq!(c.partners("bob"), [("Alice".into(), 20)]);
    }

    #[test]
    fn the_total_bound_drops_the_oldest_conversation_and_its_partners() {
        let one = crate::room::stored_bytes(&entry(1, "a", "x"));
        let mut c = Conversations::new(limits(10, one * 2));
        let (a, b, d): (Arc<str>, Arc<str>, Arc<str>) = ("a".into(), "b".into(), "d".into());
        c.push(&a, &b, entry(1, "a", "x"));
        c.push(&a, &d, entry(2, "a", "y"));
        c.push(&a, &d, entry(3, "a", "z"));
        assert!(c.entries("a", "b").is_empty());
        assert!(c.partners("b").is_empty(), "b's only conversation is gone");
        assert_eq!(c.partners("a"), [("d".into(), 30)]);
        assert!(c.total_bytes() <= one * 2);
    }

    #[test]
    fn a_deleted_account_leaves_no_conversation() {
        let mut c = Conversations::new(limits(10, 1 << 20));
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        c.push(&a, &b, entry(1, "a", "secret"));
        c.forget_account("B");
        assert!(c.entries("a", "b").is_empty());
        assert!(c.partners("a").is_empty() && c.partners("b").is_empty());
        assert_eq!(c.total_bytes(), 0);
    }
}

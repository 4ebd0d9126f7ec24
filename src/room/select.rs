//! Which remembered messages a history query (`protocol::history::Selector`) gets.
//!
//! Pure. Entries are in the order chat state accepted them, which is the order of their ids; a
//! message id orders exactly, a time orders as far as the clock did (the IRCv3 chathistory spec
//! asks for ascending time "or some approximation thereof"). References are excluded, except
//! that `Around` centres on the message it names.

use super::replay_bytes;
use crate::protocol::history::{MsgRef, Selector};
use crate::protocol::{HistoryEntry, Millis};

/// Whether `entry` (of the run that started at `run`) came before `reference`.
fn before(entry: &HistoryEntry, run: Millis, reference: MsgRef) -> bool {
    match reference {
        MsgRef::Id { run: other, id } => (run, entry.id) < (other, id),
        MsgRef::At(at) => entry.at < at,
    }
}

/// Whether `entry` came after `reference`.
fn after(entry: &HistoryEntry, run: Millis, reference: MsgRef) -> bool {
    match reference {
        MsgRef::Id { run: other, id } => (run, entry.id) > (other, id),
        MsgRef::At(at) => entry.at > at,
    }
}

/// How many entries came before `reference`: `entries[..n]` did.
fn end_before(entries: &[&HistoryEntry], run: Millis, reference: MsgRef) -> usize {
    entries.partition_point(|e| before(e, run, reference))
}

/// Where the entries after `reference` start: `entries[n..]` came after it.
fn start_after(entries: &[&HistoryEntry], run: Millis, reference: MsgRef) -> usize {
    entries.partition_point(|e| !after(e, run, reference))
}

/// Takes up to `limit` entries from the start of `range` (`oldest`) or from its end, as many as
/// fit in `budget` bytes by `replay_bytes`, and returns them oldest first. An entry that alone
/// is over the whole budget is skipped; otherwise the first that does not fit ends the take, so
/// that what is taken is one stretch next to where the query started.
fn take(range: &[&HistoryEntry], limit: usize, oldest: bool, budget: &mut usize, whole: usize) -> Vec<HistoryEntry> {
    let mut taken = Vec::new();
    let mut step = |entry: &HistoryEntry| {
        if taken.len() >= limit {
            return false;
        }
        let cost = replay_bytes(entry);
        if cost > whole {
            return true;
        }
        match budget.checked_sub(cost) {
            Some(left) => {
                *budget = left;
                taken.push(entry.clone());
                true
            }
            None => false,
        }
    };
    if oldest {
        for entry in range {
            if !step(entry) {
                break;
            }
        }
    } else {
        for entry in range.iter().rev() {
            if !step(entry) {
                break;
            }
        }
        taken.reverse();
    }
    taken
}

/// The entries `selector` wants of `entries` (oldest first, all of the run that started at
/// `run`): at most `limit`, and no more than `budget` bytes of them by `replay_bytes`; oldest
/// first. With them, whether they were counted from the oldest (`AFTER`, `BETWEEN` forwards):
/// then the newest are the ones to leave out should fewer fit somewhere.
pub fn select(
    entries: &[&HistoryEntry],
    run: Millis,
    selector: Selector,
    limit: usize,
    budget: usize,
) -> (Vec<HistoryEntry>, bool) {
    let from_oldest = match selector {
        Selector::After(_) => true,
        Selector::Between(first, second) => start_after(entries, run, first) <= end_before(entries, run, second),
        _ => false,
    };
    (choose(entries, run, selector, limit, budget), from_oldest)
}

fn choose(
    entries: &[&HistoryEntry],
    run: Millis,
    selector: Selector,
    limit: usize,
    budget: usize,
) -> Vec<HistoryEntry> {
    let whole = budget;
    let mut budget = budget;
    let all = entries.len();
    let slice = |from: usize, to: usize| entries.get(from..to.max(from)).unwrap_or_default();
    match selector {
        Selector::Before(reference) => {
            take(slice(0, end_before(entries, run, reference)), limit, false, &mut budget, whole)
        }
        Selector::After(reference) => {
            take(slice(start_after(entries, run, reference), all), limit, true, &mut budget, whole)
        }
        Selector::Latest(None) => take(entries, limit, false, &mut budget, whole),
        Selector::Latest(Some(reference)) => {
            take(slice(start_after(entries, run, reference), all), limit, false, &mut budget, whole)
        }
        Selector::Around(reference) => {
            let centre = end_before(entries, run, reference);
            // Half the budget and half the limit for each side, so that neither starves the other.
            let mut half_budget = whole / 2;
            let mut earlier = take(slice(0, centre), limit / 2, false, &mut half_budget, whole);
            budget = whole - (whole / 2 - half_budget);
            let later = take(slice(centre, all), limit - earlier.len(), true, &mut budget, whole);
            earlier.extend(later);
            earlier
        }
        Selector::Between(first, second) => {
            let (forward_from, forward_to) = (start_after(entries, run, first), end_before(entries, run, second));
            if forward_from <= forward_to {
                take(slice(forward_from, forward_to), limit, true, &mut budget, whole)
            } else {
                let (from, to) = (start_after(entries, run, second), end_before(entries, run, first));
                take(slice(from, to), limit, false, &mut budget, whole)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MessageKind, Person};
    use std::sync::Arc;

    const RUN: Millis = 1_000;

    /// Entries 1 to 10, message `n` sent at time `n * 10`.
    fn ten() -> Vec<HistoryEntry> {
        let from = Arc::new(Person {
            nick: crate::core::names::Nick::parse("alice").unwrap(),
            user: "a".into(),
            host: "h".into(),
            account: None,
            realname: "A".into(),
        });
        (1..=10)
            .map(|n| HistoryEntry {
                id: n,
                at: n * 10,
                from: Arc::clone(&from),
                text: n.to_string().into(),
                kind: MessageKind::Normal,
            })
            .collect()
    }

    fn ids(selector: Selector, limit: usize) -> Vec<u64> {
        let entries = ten();
        let refs: Vec<&HistoryEntry> = entries.iter().collect();
        select(&refs, RUN, selector, limit, 1 << 20).0.iter().map(|e| e.id).collect()
    }

    fn id(n: u64) -> MsgRef {
        MsgRef::Id { run: RUN, id: n }
    }

    #[test]
    fn before_and_after_exclude_the_reference_and_keep_the_nearest() {
        assert_eq!(ids(Selector::Before(id(5)), 3), [2, 3, 4]);
        assert_eq!(ids(Selector::After(id(5)), 3), [6, 7, 8]);
        assert_eq!(ids(Selector::Before(MsgRef::At(50)), 2), [3, 4]);
        assert_eq!(ids(Selector::After(MsgRef::At(55)), 2), [6, 7]);
        assert_eq!(ids(Selector::Before(id(1)), 3), Vec::<u64>::new());
        assert_eq!(ids(Selector::After(id(10)), 3), Vec::<u64>::new());
    }

    #[test]
    fn latest_is_the_newest_after_the_reference_if_any() {
        assert_eq!(ids(Selector::Latest(None), 3), [8, 9, 10]);
        assert_eq!(ids(Selector::Latest(Some(id(8))), 5), [9, 10]);
        assert_eq!(ids(Selector::Latest(Some(MsgRef::At(0))), 2), [9, 10]);
    }

    #[test]
    fn around_centres_on_the_reference() {
        assert_eq!(ids(Selector::Around(id(5)), 4), [3, 4, 5, 6]);
        assert_eq!(ids(Selector::Around(id(1)), 4), [1, 2, 3, 4]);
        assert_eq!(ids(Selector::Around(id(10)), 3), [9, 10]);
        assert_eq!(ids(Selector::Around(MsgRef::At(45)), 2), [4, 5]);
    }

    #[test]
    fn between_goes_either_way_and_counts_from_the_first_reference() {
        assert_eq!(ids(Selector::Between(id(2), id(9)), 3), [3, 4, 5]);
        assert_eq!(ids(Selector::Between(id(9), id(2)), 3), [6, 7, 8]);
        assert_eq!(ids(Selector::Between(MsgRef::At(20), id(5)), 10), [3, 4]);
        assert_eq!(ids(Selector::Between(id(5), id(5)), 10), Vec::<u64>::new());
        assert_eq!(ids(Selector::Between(id(5), id(6)), 10), Vec::<u64>::new());
    }

    #[test]
    fn ids_of_other_runs_are_ordered_by_their_run() {
        let earlier = MsgRef::Id { run: RUN - 1, id: 99 };
        let later = MsgRef::Id { run: RUN + 1, id: 1 };
        assert_eq!(ids(Selector::After(earlier), 2), [1, 2]);
        assert_eq!(ids(Selector::Before(earlier), 2), Vec::<u64>::new());
        assert_eq!(ids(Selector::Before(later), 2), [9, 10]);
        assert_eq!(ids(Selector::Latest(Some(later)), 2), Vec::<u64>::new());
    }

    #[test]
    fn the_byte_budget_keeps_the_stretch_next_to_the_reference() {
        let entries = ten();
        let refs: Vec<&HistoryEntry> = entries.iter().collect();
        let one = replay_bytes(&entries[9]);
        let (got, from_oldest) = select(&refs, RUN, Selector::Latest(None), 100, one * 3);
        assert!(!from_oldest);
        assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [8, 9, 10]);
        let (got, from_oldest) = select(&refs, RUN, Selector::After(id(2)), 100, one * 2);
        assert!(from_oldest);
        assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4]);
        assert!(select(&refs, RUN, Selector::Latest(None), 100, 100).0.is_empty(), "no entry fits");
    }
}

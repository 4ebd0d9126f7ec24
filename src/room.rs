//! One room's state and the rules of its modes: operators, voice, bans, invitations, key, limit;
//! and every room's history (`Histories`), bounded in lines and bytes per room and across all rooms.
//!
//! Pure: no sockets, no clock, no logging; `chat` owns the rooms and calls these. Mode letters
//! follow RFC 2811 and current servers: `n` (no messages from outside), `t` (only operators set the
//! topic), `i` (invite only), `m` (moderated: only operators and voiced members speak), `k KEY`,
//! `l LIMIT`, `o NICK`, `v NICK`, `b MASK`.

use crate::core::ids::{ClientId, IdSet};
use crate::core::names::{Folded, RoomName};
use crate::protocol::{HistoryEntry, Millis, Topic};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub use crate::core::limits::{MAX_BANS, MAX_KEY_BYTES, MAX_MASK_BYTES, MAX_PARAM_CHANGES};

/// The settable flags and values of a room.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    pub no_external: bool,
    pub topic_ops_only: bool,
    pub invite_only: bool,
    pub moderated: bool,
    pub key: Option<String>,
    pub limit: Option<usize>,
}

impl Modes {
    /// What new rooms start with: `+nt`, as on most IRC servers.
    pub fn new_room() -> Modes {
        Modes { no_external: true, topic_ops_only: true, ..Modes::default() }
    }

    /// `+ntk` and its parameters; the key is shown only to members.
    pub fn describe(&self, show_key: bool) -> (String, Vec<String>) {
        let mut letters = String::from("+");
        let mut params = Vec::new();
        for (on, letter) in
            [(self.invite_only, 'i'), (self.moderated, 'm'), (self.no_external, 'n'), (self.topic_ops_only, 't')]
        {
            if on {
                letters.push(letter);
            }
        }
        if let Some(key) = &self.key {
            letters.push('k');
            params.push(if show_key { key.clone() } else { "*".to_string() });
        }
        if let Some(limit) = self.limit {
            letters.push('l');
            params.push(limit.to_string());
        }
        (letters, params)
    }
}

/// One requested change, parsed from `MODE #room +o-v alice bob`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeChange {
    Flag {
        set: bool,
        mode: char,
    },
    Key {
        set: bool,
        key: String,
    },
    Limit(Option<usize>),
    Op {
        set: bool,
        nick: String,
    },
    Voice {
        set: bool,
        nick: String,
    },
    Ban {
        set: bool,
        mask: String,
    },
    /// `b` without a mask: list the bans.
    BanList,
}

/// Why a mode request could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeError {
    Unknown(char),
    /// A mode that needs a parameter got none.
    NeedsParameter(char),
}

/// Parses mode letters and their parameters (RFC 2811 4; parameters are taken in order).
pub fn parse_changes(args: &[String]) -> Result<Vec<ModeChange>, ModeError> {
    let mut changes = Vec::new();
    let mut params = args.iter().skip(1);
    let Some(letters) = args.first() else { return Ok(changes) };
    let mut set = true;
    for letter in letters.chars() {
        // A parameter is one word: with spaces it could not be announced on one IRC line, and
        // control characters (ESC, BEL, ...) would reach every member's terminal in the announcement.
        let mut param = || -> Result<Option<String>, ModeError> {
            match params.next().filter(|p| !p.is_empty()) {
                Some(p) if p.contains(|c: char| c.is_whitespace() || c.is_control()) => {
                    Err(ModeError::NeedsParameter(letter))
                }
                other => Ok(other.cloned()),
            }
        };
        let change = match letter {
            '+' => {
                set = true;
                continue;
            }
            '-' => {
                set = false;
                continue;
            }
            'n' | 't' | 'i' | 'm' => ModeChange::Flag { set, mode: letter },
            'k' if set => ModeChange::Key { set, key: param()?.ok_or(ModeError::NeedsParameter('k'))? },
            // `-k` may or may not name the key; either way it removes it.
            'k' => ModeChange::Key { set, key: param()?.unwrap_or_default() },
            'l' if set => match param()?.and_then(|p| p.parse::<usize>().ok()).filter(|&l| l > 0) {
                Some(limit) => ModeChange::Limit(Some(limit)),
                None => return Err(ModeError::NeedsParameter('l')),
            },
            'l' => ModeChange::Limit(None),
            'o' => ModeChange::Op { set, nick: param()?.ok_or(ModeError::NeedsParameter('o'))? },
            'v' => ModeChange::Voice { set, nick: param()?.ok_or(ModeError::NeedsParameter('v'))? },
            'b' => match param()?.map(|mask| normalize_mask(&mask)) {
                Some(mask) if mask.len() > MAX_MASK_BYTES => return Err(ModeError::NeedsParameter('b')),
                Some(mask) => ModeChange::Ban { set, mask },
                None => ModeChange::BanList,
            },
            other => return Err(ModeError::Unknown(other)),
        };
        let with_parameter = !matches!(change, ModeChange::Flag { .. } | ModeChange::BanList | ModeChange::Limit(None));
        if with_parameter && changes.iter().filter(|c| has_parameter(c)).count() >= MAX_PARAM_CHANGES {
            continue;
        }
        if change == ModeChange::BanList && changes.contains(&ModeChange::BanList) {
            continue;
        }
        changes.push(change);
    }
    Ok(changes)
}

fn has_parameter(change: &ModeChange) -> bool {
    !matches!(change, ModeChange::Flag { .. } | ModeChange::BanList | ModeChange::Limit(None))
}

/// Completes a ban mask: `bob` is `bob!*@*`, `*@host` is `*!*@host`.
pub fn normalize_mask(mask: &str) -> String {
    match (mask.contains('!'), mask.contains('@')) {
        (true, true) => mask.to_string(),
        (true, false) => format!("{mask}@*"),
        (false, true) => format!("*!{mask}"),
        (false, false) => format!("{mask}!*@*"),
    }
}

/// Case-insensitive (ASCII) glob match with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

/// A room: members in join order, their status, and its settings. Its history lives in `Histories`.
#[derive(Debug)]
pub struct Room {
    pub name: RoomName,
    /// In join order; also the delivery order.
    pub members: Vec<ClientId>,
    pub ops: IdSet,
    pub voiced: IdSet,
    pub topic: Option<Topic>,
    pub created: Millis,
    pub modes: Modes,
    /// Normalized `nick!user@host` masks.
    pub bans: Vec<String>,
    /// Invited and not yet joined; an invitation passes `+i`, bans, the key and the limit.
    pub invited: IdSet,
}

impl Room {
    pub fn new(name: RoomName, created: Millis, modes: Modes) -> Room {
        Room {
            name,
            members: Vec::new(),
            ops: IdSet::default(),
            voiced: IdSet::default(),
            topic: None,
            created,
            modes,
            bans: Vec::new(),
            invited: IdSet::default(),
        }
    }

    pub fn others(&self, id: ClientId) -> Vec<ClientId> {
        // Sized up front: a filtered collect grows step by step, which cost more per message
        // than delivering it to a hundred members (callgrind).
        let mut others = Vec::with_capacity(self.members.len());
        others.extend(self.members.iter().copied().filter(|&m| m != id));
        others
    }

    pub fn is_op(&self, id: ClientId) -> bool {
        self.ops.contains(&id)
    }

    /// May `id` speak here? Outsiders not under `+n`; under `+m` only operators and voiced members.
    pub fn may_speak(&self, id: ClientId) -> Result<(), crate::protocol::ChatError> {
        use crate::protocol::ChatError;
        let member = self.members.contains(&id);
        if !member && self.modes.no_external {
            return Err(ChatError::CannotSendToRoom(self.name.clone()));
        }
        if self.modes.moderated && !self.ops.contains(&id) && !self.voiced.contains(&id) {
            return Err(ChatError::Moderated(self.name.clone()));
        }
        Ok(())
    }

    pub fn is_banned(&self, prefix: &str) -> bool {
        self.bans.iter().any(|mask| glob_match(mask, prefix))
    }

    /// Drops every trace of `id` (membership, status, invitation).
    pub fn forget(&mut self, id: ClientId) {
        self.members.retain(|&m| m != id);
        self.ops.remove(&id);
        self.voiced.remove(&id);
        self.invited.remove(&id);
    }
}

/// What a history entry is counted as in memory besides its text: the entry in its room's queue
/// with its bookkeeping (56 bytes, up to twice that while the queue's capacity is half used), the
/// text's allocation header and rounding, and the sender's details, which an entry keeps alive
/// alone once the sender has gone or changed nickname (about 220 bytes). Measured as growth of
/// the resident set (10,000 entries from one sender, texts of 10 and 1,000 bytes): 95 to 120
/// bytes per entry besides the text while a room fills, 175 to 190 once its oldest entries are
/// being replaced. 384 covers that plus sender details of its own; a 1 KB line counts as 1.4 KB.
pub const HISTORY_ENTRY_OVERHEAD: usize = 384;

/// Replay estimate, per line on the wire, of everything besides the text. The longest rendering of
/// a history entry is for an IRC client with `server-time`: each line repeats the time tag (31
/// bytes), `:nick!user@host` (at most 80), ` PRIVMSG `, the room (at most 50), ` :`, CR LF and,
/// for an action, the CTCP framing (9): at most 183 bytes, rounded up.
pub const REPLAY_LINE_OVERHEAD: usize = 192;

/// Replay estimate: the fewest text bytes a 512-byte IRC line carries before the next one starts.
/// Such a line has room for at least 360 bytes of text, and `split_text` ends a piece early only
/// at a space in its later half.
pub const REPLAY_MIN_TEXT_PER_LINE: usize = 180;

/// The most one replay (on join, or for `HISTORY`) may send, counted by `replay_bytes`: a quarter
/// of `--max-sendq`. The rest is left for the other lines of a join (greeting, names, topic), for
/// what the joiner had not read yet, and for the further rooms of a multi-room `JOIN`. This bounds
/// one replay; the broker trims each further to what the client's send queue has room for, so
/// many replays in a row cannot add up past `--max-sendq`.
pub fn replay_budget(max_sendq: usize) -> usize {
    max_sendq / 4
}

/// What a history entry is counted as in memory (`--history-bytes`, `--history-total-bytes`).
pub fn stored_bytes(entry: &HistoryEntry) -> usize {
    HISTORY_ENTRY_OVERHEAD + entry.text.len()
}

/// The most bytes a history entry can take when replayed, to any recipient: its text plus one
/// line's overhead per IRC line it may need. Netcat renders it in fewer (a clock and the nick
/// besides the text); so do IRC clients without `server-time`, which get it in server notices.
pub fn replay_bytes(entry: &HistoryEntry) -> usize {
    let text = entry.text.len();
    text + REPLAY_LINE_OVERHEAD * (1 + text / REPLAY_MIN_TEXT_PER_LINE)
}

/// Bounds on what rooms remember and on what one replay sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Most entries per room (`--history`); 0 keeps none.
    pub lines: usize,
    /// Most bytes per room (`--history-bytes`), entries counted by `stored_bytes`.
    pub room_bytes: usize,
    /// Most bytes in all rooms together (`--history-total-bytes`).
    pub total_bytes: usize,
    /// Most bytes one replay may send, entries counted by `replay_bytes`.
    pub replay_bytes: usize,
}

/// One remembered entry with its bookkeeping.
#[derive(Debug)]
struct Stored {
    /// Order of arrival across all rooms: the smallest is the oldest anywhere.
    seq: u64,
    /// `stored_bytes` of the entry, kept so that removal subtracts exactly what was added.
    bytes: usize,
    entry: HistoryEntry,
}

/// One room's entries, oldest first, and their byte count.
#[derive(Debug, Default)]
struct RoomHistory {
    entries: VecDeque<Stored>,
    bytes: usize,
}

/// The history of every room, bounded per room in entries and bytes and in bytes across all
/// rooms. When a room passes its bounds its oldest entries go; when all rooms together pass the
/// total, the oldest entries anywhere go. Each of these costs O(log rooms), never a scan.
#[derive(Debug)]
pub struct Histories {
    limits: HistoryLimits,
    /// Only rooms with at least one entry.
    rooms: HashMap<Folded, RoomHistory>,
    /// Each room's oldest entry, by `seq`: the first is the oldest entry anywhere.
    oldest: BTreeMap<u64, Folded>,
    /// The sum of every room's `bytes`.
    total_bytes: usize,
    next_seq: u64,
}

impl Histories {
    pub fn new(limits: HistoryLimits) -> Histories {
        Histories { limits, rooms: HashMap::new(), oldest: BTreeMap::new(), total_bytes: 0, next_seq: 0 }
    }

    /// Remembers `entry` as the newest in `room`, then drops the oldest entries of the room and
    /// of all rooms until every bound holds again. An entry larger than a bound is not kept.
    pub fn push(&mut self, room: &Folded, entry: HistoryEntry) {
        let bytes = stored_bytes(&entry);
        if self.limits.lines == 0 || bytes > self.limits.room_bytes || bytes > self.limits.total_bytes {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if !self.rooms.contains_key(room) {
            self.oldest.insert(seq, room.clone());
            self.rooms.insert(room.clone(), RoomHistory::default());
        }
        let Some(history) = self.rooms.get_mut(room) else { return };
        history.entries.push_back(Stored { seq, bytes, entry });
        history.bytes += bytes;
        self.total_bytes += bytes;
        // The new entry fits alone (checked above), so this leaves the room at least that.
        while history.entries.len() > self.limits.lines || history.bytes > self.limits.room_bytes {
            let Some(gone) = history.entries.pop_front() else { break };
            history.bytes -= gone.bytes;
            self.total_bytes -= gone.bytes;
            // The room's key moves from its old oldest entry to its new one, without allocating.
            let key = self.oldest.remove(&gone.seq).unwrap_or_else(|| room.clone());
            if let Some(next) = history.entries.front() {
                self.oldest.insert(next.seq, key);
            }
        }
        while self.total_bytes > self.limits.total_bytes {
            let Some((_, key)) = self.oldest.pop_first() else { break };
            let Some(history) = self.rooms.get_mut(&key) else { continue };
            if let Some(gone) = history.entries.pop_front() {
                history.bytes -= gone.bytes;
                self.total_bytes -= gone.bytes;
            }
            match history.entries.front() {
                Some(next) => {
                    self.oldest.insert(next.seq, key);
                }
                None => {
                    self.rooms.remove(&key);
                }
            }
        }
    }

    /// Forgets a room's history (the room was removed).
    pub fn remove_room(&mut self, room: &Folded) {
        if let Some(history) = self.rooms.remove(room) {
            self.total_bytes -= history.bytes;
            if let Some(first) = history.entries.front() {
                self.oldest.remove(&first.seq);
            }
        }
    }

    /// What to replay from `room`: its newest entries, at most `newest` of them when given, as
    /// many as fit in `HistoryLimits::replay_bytes` by `replay_bytes`; oldest first.
    ///
    /// An entry that alone is larger than that budget can never be replayed: it is left out (and
    /// not counted in `newest`), and older entries still come. Otherwise the replay stops at the
    /// first entry that does not fit what is left, so that what is replayed is the newest stretch
    /// of the conversation, not one with holes wherever a line happened not to fit.
    pub fn replay(&self, room: &Folded, newest: Option<usize>) -> Vec<HistoryEntry> {
        let Some(history) = self.rooms.get(room) else { return Vec::new() };
        let wanted = newest.unwrap_or(usize::MAX);
        let mut budget = self.limits.replay_bytes;
        let mut taken = Vec::new();
        for stored in history.entries.iter().rev() {
            if taken.len() >= wanted {
                break;
            }
            let cost = replay_bytes(&stored.entry);
            if cost > self.limits.replay_bytes {
                continue;
            }
            let Some(left) = budget.checked_sub(cost) else { break };
            budget = left;
            taken.push(stored.entry.clone());
        }
        taken.reverse();
        taken
    }

    /// Entries and bytes remembered for `room`.
    pub fn room_usage(&self, room: &Folded) -> (usize, usize) {
        self.rooms.get(room).map_or((0, 0), |h| (h.entries.len(), h.bytes))
    }

    /// Bytes remembered in all rooms.
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::names::Nick;
    use crate::protocol::{MessageKind, Person};
    use std::sync::Arc;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn mode_strings_take_parameters_in_order() {
        assert_eq!(
            parse_changes(&args("+ov-k alice bob secret")),
            Ok(vec![
                ModeChange::Op { set: true, nick: "alice".into() },
                ModeChange::Voice { set: true, nick: "bob".into() },
                ModeChange::Key { set: false, key: "secret".into() },
            ])
        );
        assert_eq!(
            parse_changes(&args("+tl 10")),
            Ok(vec![ModeChange::Flag { set: true, mode: 't' }, ModeChange::Limit(Some(10))])
        );
        assert_eq!(parse_changes(&args("-l")), Ok(vec![ModeChange::Limit(None)]));
        assert_eq!(parse_changes(&args("b")), Ok(vec![ModeChange::BanList]));
        assert_eq!(parse_changes(&args("+b bob")), Ok(vec![ModeChange::Ban { set: true, mask: "bob!*@*".into() }]));
    }

    #[test]
    fn at_most_six_parameters_and_one_ban_listing() {
        let changes = parse_changes(&args("+oooooooo a b c d e f g h")).unwrap();
        assert_eq!(changes.len(), MAX_PARAM_CHANGES);
        assert_eq!(parse_changes(&args("bbb")), Ok(vec![ModeChange::BanList]));
        assert_eq!(parse_changes(&args(&format!("+b *!*@{}", "x".repeat(77)))), Err(ModeError::NeedsParameter('b')));
        assert!(parse_changes(&args(&format!("+b *!*@{}", "x".repeat(76)))).is_ok());
        let spaced = vec!["+b".to_string(), "two words".to_string()];
        assert_eq!(parse_changes(&spaced), Err(ModeError::NeedsParameter('b')));
        let escape = vec!["+bk".to_string(), "\x1b[2J".to_string(), "key".to_string()];
        assert_eq!(parse_changes(&escape), Err(ModeError::NeedsParameter('b')));
        let bell = vec!["+k".to_string(), "k\x07".to_string()];
        assert_eq!(parse_changes(&bell), Err(ModeError::NeedsParameter('k')));
    }

    #[test]
    fn bad_mode_strings() {
        assert_eq!(parse_changes(&args("+x")), Err(ModeError::Unknown('x')));
        assert_eq!(parse_changes(&args("+k")), Err(ModeError::NeedsParameter('k')));
        assert_eq!(parse_changes(&args("+l zero")), Err(ModeError::NeedsParameter('l')));
        assert_eq!(parse_changes(&args("+o")), Err(ModeError::NeedsParameter('o')));
    }

    #[test]
    fn masks_are_completed_and_matched_without_case() {
        assert_eq!(normalize_mask("*@10.0.0.1"), "*!*@10.0.0.1");
        assert_eq!(normalize_mask("bob!~b"), "bob!~b@*");
        assert!(glob_match("bob!*@*", "Bob!~bob@127.0.0.1"));
        assert!(glob_match("*!*@127.0.0.?", "x!~y@127.0.0.1"));
        assert!(!glob_match("*!*@127.0.0.?", "x!~y@127.0.0.10"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*", ""));
    }

    // History accounting.

    fn limits(lines: usize, room_bytes: usize, total_bytes: usize) -> HistoryLimits {
        HistoryLimits { lines, room_bytes, total_bytes, replay_bytes: 1 << 20 }
    }

    fn entry(text: &str) -> HistoryEntry {
        let from = Arc::new(Person { nick: Nick::parse("alice").unwrap(), user: "~alice".into(), host: "::1".into() });
        HistoryEntry { at: 0, from, text: text.into(), kind: MessageKind::Normal }
    }

    fn room(name: &str) -> Folded {
        RoomName::parse(name).unwrap().folded()
    }

    fn texts(histories: &Histories, key: &Folded) -> Vec<String> {
        histories.replay(key, None).iter().map(|e| e.text.to_string()).collect()
    }

    /// Recomputes every count from the entries and checks the index of oldest entries.
    fn assert_consistent(h: &Histories) {
        let mut total = 0;
        for (key, history) in &h.rooms {
            assert!(!history.entries.is_empty(), "{key:?} kept with no entries");
            let bytes: usize = history.entries.iter().map(|s| s.bytes).sum();
            assert_eq!(history.bytes, bytes, "{key:?}");
            assert!(history.entries.iter().all(|s| s.bytes == stored_bytes(&s.entry)));
            assert!(history.entries.iter().zip(history.entries.iter().skip(1)).all(|(a, b)| a.seq < b.seq));
            assert_eq!(h.oldest.get(&history.entries[0].seq), Some(key));
            assert!(history.entries.len() <= h.limits.lines && history.bytes <= h.limits.room_bytes);
            total += bytes;
        }
        assert_eq!(h.total_bytes, total);
        assert_eq!(h.oldest.len(), h.rooms.len());
        assert!(h.total_bytes <= h.limits.total_bytes);
    }

    #[test]
    fn a_room_drops_its_oldest_entries_past_its_line_or_byte_bound() {
        let unit = stored_bytes(&entry("0123456789"));
        let mut h = Histories::new(limits(3, 10 * unit, usize::MAX));
        let lobby = room("#lobby");
        for text in ["a", "b", "c", "d"] {
            h.push(&lobby, entry(text));
        }
        assert_eq!(texts(&h, &lobby), ["b", "c", "d"]);
        let mut h = Histories::new(limits(100, 3 * unit, usize::MAX));
        for text in ["0000000000", "1111111111", "2222222222", "3333333333"] {
            h.push(&lobby, entry(text));
            assert_consistent(&h);
        }
        assert_eq!(texts(&h, &lobby), ["1111111111", "2222222222", "3333333333"]);
        assert_eq!(h.room_usage(&lobby), (3, 3 * unit));
        // One longer entry pushes out as many old ones as it needs.
        h.push(&lobby, entry(&"x".repeat(10 + unit)));
        assert_eq!(texts(&h, &lobby)[0], "3333333333");
        assert_eq!(h.room_usage(&lobby), (2, 3 * unit));
        // An entry larger than the room's bound is not kept, and pushes nothing out.
        h.push(&lobby, entry(&"y".repeat(3 * unit)));
        assert_eq!(h.room_usage(&lobby), (2, 3 * unit));
        assert_eq!(h.total_bytes(), 3 * unit);
        assert_consistent(&h);
    }

    #[test]
    fn past_the_total_the_oldest_entries_of_any_room_go_first() {
        let unit = stored_bytes(&entry("x"));
        let mut h = Histories::new(limits(100, 100 * unit, 4 * unit));
        let (a, b, c) = (room("#a"), room("#b"), room("#c"));
        h.push(&a, entry("1"));
        h.push(&b, entry("2"));
        h.push(&a, entry("3"));
        h.push(&c, entry("4"));
        assert_eq!(h.total_bytes(), 4 * unit);
        h.push(&b, entry("5"));
        assert_eq!(texts(&h, &a), ["3"]);
        h.push(&c, entry("6"));
        // #b's "2" was the oldest anywhere; then #a's "3", which empties #a.
        assert_eq!(texts(&h, &b), ["5"]);
        h.push(&c, entry("7"));
        assert_eq!(texts(&h, &a), Vec::<String>::new());
        assert_eq!(texts(&h, &c), ["4", "6", "7"]);
        assert_eq!(h.total_bytes(), 4 * unit);
        assert_consistent(&h);
    }

    #[test]
    fn removing_a_room_takes_its_bytes_off_the_total() {
        let unit = stored_bytes(&entry("x"));
        let mut h = Histories::new(limits(100, 100 * unit, 5 * unit));
        let (a, b) = (room("#a"), room("#b"));
        for _ in 0..3 {
            h.push(&a, entry("x"));
            h.push(&b, entry("x"));
        }
        assert_eq!(h.total_bytes(), 5 * unit);
        h.remove_room(&a);
        assert_eq!(h.total_bytes(), 3 * unit);
        assert_eq!(h.room_usage(&a), (0, 0));
        h.remove_room(&a);
        h.remove_room(&room("#never"));
        assert_eq!(h.total_bytes(), 3 * unit);
        assert_consistent(&h);
        // #b now has the whole total to itself, and a recreated #a starts empty.
        h.push(&b, entry("x"));
        h.push(&b, entry("x"));
        assert_eq!(h.room_usage(&b), (5, 5 * unit));
        h.push(&a, entry("n"));
        assert_eq!(texts(&h, &a), ["n"]);
        assert_eq!(h.room_usage(&b).0, 4);
        assert_consistent(&h);
    }

    #[test]
    fn no_history_is_kept_with_zero_lines() {
        let mut h = Histories::new(limits(0, 1 << 20, 1 << 20));
        h.push(&room("#a"), entry("x"));
        assert_eq!(h.total_bytes(), 0);
        assert!(h.replay(&room("#a"), None).is_empty());
    }

    #[test]
    fn random_pushes_and_removals_keep_every_count_exact() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let rooms: Vec<Folded> = (0..7).map(|i| room(&format!("#r{i}"))).collect();
        let mut h = Histories::new(limits(20, 8_000, 30_000));
        for step in 0..20_000 {
            let key = &rooms[(next() % rooms.len() as u64) as usize];
            if next() % 50 == 0 {
                h.remove_room(key);
            } else {
                h.push(key, entry(&"z".repeat((next() % 3_000) as usize)));
            }
            if step % 97 == 0 {
                assert_consistent(&h);
            }
        }
        assert_consistent(&h);
    }

    #[test]
    fn a_replay_is_the_newest_entries_that_fit_its_byte_budget() {
        let short = entry("short");
        let long = entry(&"l".repeat(1_000));
        let budget = 2 * replay_bytes(&short) + replay_bytes(&long);
        let mut h = Histories::new(HistoryLimits { replay_bytes: budget, ..limits(100, 1 << 20, 1 << 20) });
        let lobby = room("#lobby");
        for text in ["old", "short", &long.text, "short", "short"] {
            h.push(&lobby, entry(text));
        }
        // The long entry fits after the two newest; "short" before it would not, nor would "old".
        let replayed = texts(&h, &lobby);
        assert_eq!(replayed.len(), 3);
        assert_eq!(replayed[0].len(), 1_000);
        // A count asks for fewer; more than fit gives what fits; none for an unknown room.
        assert_eq!(h.replay(&lobby, Some(2)).len(), 2);
        assert_eq!(h.replay(&lobby, Some(0)).len(), 0);
        assert_eq!(h.replay(&lobby, Some(100)).len(), 3);
        assert!(h.replay(&room("#none"), None).is_empty());
        // An entry larger than the budget is never sent, but what is older still is, and a count
        // counts what is sent.
        h.push(&lobby, entry(&"h".repeat(budget)));
        assert_eq!(texts(&h, &lobby), replayed);
        assert_eq!(h.replay(&lobby, Some(1)).iter().map(|e| e.text.to_string()).collect::<Vec<_>>(), ["short"]);
        // Also in the middle, in order; then the long entry no longer fits, and the replay ends.
        h.push(&lobby, entry("newest"));
        assert_eq!(texts(&h, &lobby), ["short", "short", "newest"]);
        assert_eq!(replay_budget(65_536), 16_384);
    }

    /// `replay_bytes` must bound what an entry costs on the wire for every kind of recipient,
    /// with the longest names there can be and texts split as badly as `split_text` ever does.
    #[test]
    fn replay_bytes_bounds_every_rendering_of_an_entry() {
        use crate::framing::Terminator;
        use crate::protocol::{Reply, irc, netcat};
        let from = Arc::new(Person {
            nick: Nick::parse(&"n".repeat(20)).unwrap(),
            user: format!("~{}", "u".repeat(10)),
            host: format!("0{}", "::ffff:255.255.255.255:ffff:ffff:ffff:ffff:ff"),
        });
        let room_name = RoomName::parse(&format!("#{}", "r".repeat(49))).unwrap();
        let server = "s".repeat(63);
        let nick = "m".repeat(20);
        let render_all = |entries: Vec<HistoryEntry>| -> Vec<usize> {
            let reply = Reply::History { room: room_name.clone(), entries };
            let mut sizes = Vec::new();
            for server_time in [false, true] {
                let view = irc::View {
                    server: &server,
                    nick: &nick,
                    started: 0,
                    ping_after_secs: 120,
                    server_time,
                    multi_prefix: false,
                };
                let mut out = Vec::new();
                irc::render(&reply, &view, &mut out);
                sizes.push(out.len());
            }
            for multi_room in [false, true] {
                let mut out = Vec::new();
                netcat::render(&reply, netcat::View { multi_room, terminator: Terminator::Newline }, &mut out);
                sizes.push(out.len());
            }
            sizes
        };
        let empty = render_all(Vec::new());
        let mut texts: Vec<String> = Vec::new();
        for len in [0, 1, 50, 179, 180, 181, 359, 360, 361, 1_000, 4_000, 20_000] {
            texts.push("a".repeat(len));
            texts.push("\u{1f600}".repeat(len / 4));
        }
        // Words just over half a line long make every line end early at a space.
        for word in (150..=260).step_by(7) {
            let text: Vec<String> = (0..(8_000 / word)).map(|_| "w".repeat(word)).collect();
            texts.push(text.join(" "));
        }
        for text in &texts {
            for kind in [MessageKind::Normal, MessageKind::Action] {
                let at = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z: the longest time tag.
                let one = HistoryEntry { at, from: Arc::clone(&from), text: text.as_str().into(), kind };
                let bound = replay_bytes(&one);
                for (rendered, framing) in render_all(vec![one]).into_iter().zip(&empty) {
                    let cost = rendered - framing;
                    assert!(cost <= bound, "{kind:?} text of {} bytes: {cost} > {bound}", text.len());
                }
            }
        }
    }

    #[test]
    fn describe_hides_the_key_from_outsiders() {
        let modes = Modes { key: Some("s3".into()), limit: Some(5), ..Modes::new_room() };
        assert_eq!(modes.describe(true), ("+ntkl".to_string(), vec!["s3".to_string(), "5".to_string()]));
        assert_eq!(modes.describe(false).1[0], "*");
    }
}

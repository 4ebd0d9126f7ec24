//! One room's state and the rules of its modes: operators, voice, bans, invitations, key, limit;
//! every room's history (`Histories`), bounded in lines and bytes per room and across all rooms;
//! private conversations between accounts (`Conversations`), bounded alike; and which remembered
//! messages a history query gets (`select`).
//!
//! Pure: no sockets, no clock, no logging; `chat` owns the rooms and calls these. Mode letters
//! follow RFC 2811 and current servers: `n` (no messages from outside), `t` (only operators set the
//! topic), `i` (invite only), `m` (moderated: only operators and voiced members speak), `k KEY`,
//! `l LIMIT`, `o NICK`, `v NICK`, `b MASK`; and `s` (secret), `p` (private), `e MASK` (ban
//! exception), `I MASK` (invite exception) as modern IRC documents them. Parsing a request is
//! `changes`.

use crate::core::ids::{ClientId, IdSet};
use crate::core::names::{Folded, RoomName};
use crate::protocol::{HistoryEntry, ListedMask, Millis, RoomVisibility, Topic};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub use crate::core::limits::{MAX_BANS, MAX_KEY_BYTES, MAX_MASK_BYTES, MAX_PARAM_CHANGES};

mod changes;
pub use changes::{FLAG_MODES, MaskList, ModeChange, ModeError, normalize_mask, parse_changes};

/// The settable flags and values of a room.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    pub no_external: bool,
    pub topic_ops_only: bool,
    pub invite_only: bool,
    pub moderated: bool,
    pub key: Option<String>,
    pub limit: Option<usize>,
    /// `+s`: shown in listings (`LIST`, `NAMES`, `WHOIS`) only to its members.
    pub secret: bool,
    /// `+p`: as `+s` for listings; IRC's `NAMES` marks it `*` rather than `@`.
    pub private: bool,
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
        for (on, letter) in [
            (self.invite_only, 'i'),
            (self.moderated, 'm'),
            (self.no_external, 'n'),
            (self.private, 'p'),
            (self.secret, 's'),
            (self.topic_ops_only, 't'),
        ] {
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

/// The statuses a message may be addressed to (IRC `STATUSMSG`): `@#room` reaches the room's
/// operators, `+#room` its operators and voiced members.
pub const STATUS_PREFIXES: &str = "@+";

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
    /// Normalized `nick!user@host` masks, with who set them and when.
    pub bans: Vec<ListedMask>,
    /// Masks exempt from the bans (`+e`).
    pub exceptions: Vec<ListedMask>,
    /// Masks that pass `+i` without an invitation (`+I`).
    pub invite_exceptions: Vec<ListedMask>,
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
            exceptions: Vec::new(),
            invite_exceptions: Vec::new(),
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

    /// May `id` (who is `who`) speak here? Outsiders not under `+n`; under `+m` only operators
    /// and voiced members; and nobody a ban matches (unless a ban exception does too), except
    /// operators and voiced members, as on common servers: a ban set on someone already inside
    /// silences them.
    pub fn may_speak(&self, id: ClientId, who: &crate::protocol::Person) -> Result<(), crate::protocol::ChatError> {
        use crate::protocol::ChatError;
        let member = self.members.contains(&id);
        if !member && self.modes.no_external {
            return Err(ChatError::CannotSendToRoom(self.name.clone()));
        }
        let privileged = self.ops.contains(&id) || self.voiced.contains(&id);
        if self.modes.moderated && !privileged {
            return Err(ChatError::Moderated(self.name.clone()));
        }
        // The prefix is built only when there are bans to match it against.
        if !self.bans.is_empty() && !privileged && self.is_banned(&who.prefix()) {
            return Err(ChatError::BannedFromRoom(self.name.clone()));
        }
        Ok(())
    }

    /// Banned: matched by a ban and by no ban exception.
    pub fn is_banned(&self, prefix: &str) -> bool {
        let matches = |masks: &[ListedMask]| masks.iter().any(|listed| glob_match(&listed.mask, prefix));
        matches(&self.bans) && !matches(&self.exceptions)
    }

    /// Passes `+i` without an invitation: matched by an invite exception.
    pub fn is_invite_excepted(&self, prefix: &str) -> bool {
        self.invite_exceptions.iter().any(|listed| glob_match(&listed.mask, prefix))
    }

    /// Shown to outsiders in listings (`LIST`, `NAMES`, `WHOIS`): neither `+s` nor `+p`.
    pub fn is_listed(&self) -> bool {
        !self.modes.secret && !self.modes.private
    }

    /// How the room shows in listings, by its modes (`+s` before `+p`).
    pub fn visibility(&self) -> RoomVisibility {
        match (self.modes.secret, self.modes.private) {
            (true, _) => RoomVisibility::Secret,
            (false, true) => RoomVisibility::Private,
            (false, false) => RoomVisibility::Public,
        }
    }

    /// One of the room's mask lists.
    pub fn masks(&self, list: MaskList) -> &Vec<ListedMask> {
        match list {
            MaskList::Bans => &self.bans,
            MaskList::Exceptions => &self.exceptions,
            MaskList::InviteExceptions => &self.invite_exceptions,
        }
    }

    pub fn masks_mut(&mut self, list: MaskList) -> &mut Vec<ListedMask> {
        match list {
            MaskList::Bans => &mut self.bans,
            MaskList::Exceptions => &mut self.exceptions,
            MaskList::InviteExceptions => &mut self.invite_exceptions,
        }
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
    /// Returns the rooms whose history that emptied (never `room`).
    pub fn push(&mut self, room: &Folded, entry: HistoryEntry) -> Vec<Folded> {
        let mut emptied = Vec::new();
        let bytes = stored_bytes(&entry);
        if self.limits.lines == 0 || bytes > self.limits.room_bytes || bytes > self.limits.total_bytes {
            return emptied;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if !self.rooms.contains_key(room) {
            self.oldest.insert(seq, room.clone());
            self.rooms.insert(room.clone(), RoomHistory::default());
        }
        let Some(history) = self.rooms.get_mut(room) else { return emptied };
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
                    emptied.push(key);
                }
            }
        }
        emptied
    }

    /// Every entry remembered for `room`, oldest first.
    pub fn entries(&self, room: &Folded) -> Vec<&HistoryEntry> {
        self.rooms.get(room).map_or_else(Vec::new, |h| h.entries.iter().map(|s| &s.entry).collect())
    }

    /// The time of the newest entry remembered for `room`.
    pub fn latest(&self, room: &Folded) -> Option<Millis> {
        self.rooms.get(room).and_then(|h| h.entries.back()).map(|s| s.entry.at)
    }

    /// The most bytes one answer may send (`HistoryLimits::replay_bytes`).
    pub fn replay_budget(&self) -> usize {
        self.limits.replay_bytes
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

mod conversations;
mod select;

pub use conversations::Conversations;
pub use select::select;

#[cfg(test)]
mod tests;

//! Rendering replies for their recipients, and the render cache that lets a room's message be
//! rendered once per kind of recipient rather than once per recipient.
//!
//! Invariants:
//! - What the cache hands a recipient is byte for byte what rendering the reply for that
//!   recipient alone would give. A rendering is shared only between recipients of one reply
//!   (`To::Many`) whose `ViewKey`s are equal, and only for replies that read nothing else of their
//!   recipient (`dialect::shareable`). Each session's `view_key` covers everything its rendering
//!   reads but the nickname, and the nickname is read only by replies that are not shareable.
//! - No allocation per delivery: renderings go into buffers kept from reply to reply.

use crate::core::names::RoomName;
use crate::protocol::dialect::{Session, View, shareable};
use crate::protocol::history::HistoryLine;
use crate::protocol::{HistoryEntry, Reply};

/// One recipient: its session (which renders) and everything about it a rendering may read.
#[derive(Clone, Copy)]
pub struct Recipient<'a> {
    pub session: &'a dyn Session,
    pub view: View<'a>,
}

/// Which renderings of a shareable reply a recipient may share (see `Session::view_key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewKey(u32);

impl std::fmt::Debug for Recipient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient").field("key", &self.key()).field("view", &self.view).finish()
    }
}

impl Recipient<'_> {
    #[inline]
    pub fn key(&self) -> ViewKey {
        ViewKey(self.session.view_key(&self.view))
    }
}

/// Renders `reply` for one recipient.
pub fn render(reply: &Reply, to: &Recipient<'_>, out: &mut Vec<u8>) {
    to.session.render(reply, &to.view, out);
}

/// The current reply's renderings, one per kind of recipient, in buffers kept between replies.
#[derive(Default)]
pub struct RenderCache {
    /// One per `ViewKey` seen since the start: a handful (the key has few values in practice).
    entries: Vec<Entry>,
    /// Counts replies; an entry holds the current reply's rendering when its `reply` equals it.
    reply: u64,
    /// The current reply is the same for all its recipients and its rendering may be shared.
    sharing: bool,
    /// A rendering for one recipient alone.
    single: Vec<u8>,
    /// The entry whose rendering of the current reply `render` returned last, which the next
    /// recipient (most often of the same kind) may share; `NOT_SHARED` when there is none.
    last: usize,
}

const NOT_SHARED: usize = usize::MAX;

struct Entry {
    key: ViewKey,
    reply: u64,
    bytes: Vec<u8>,
}

impl RenderCache {
    /// Starts a new reply: every rendering held is for an earlier one. `shared`: the reply is
    /// the same for all its recipients (`To::Many`).
    pub fn start(&mut self, reply: &Reply, shared: bool) {
        self.reply += 1;
        self.sharing = shared && shareable(reply);
        self.last = NOT_SHARED;
    }

    /// The current reply rendered for `to`: rendered now, or the rendering made for an earlier
    /// recipient with the same key.
    #[inline]
    pub fn render(&mut self, reply: &Reply, to: &Recipient<'_>) -> &mut Vec<u8> {
        // The usual case in a room, kept small enough to inline: a recipient of the same kind as
        // the one before.
        // (`last` names an entry only while it holds this reply's rendering, shareable.)
        if self.entries.get(self.last).is_some_and(|e| e.key == to.key()) {
            return &mut self.entries[self.last].bytes;
        }
        self.find_or_render(reply, to)
    }

    #[inline(never)]
    fn find_or_render(&mut self, reply: &Reply, to: &Recipient<'_>) -> &mut Vec<u8> {
        if !self.sharing {
            self.last = NOT_SHARED;
            self.single.clear();
            render(reply, to, &mut self.single);
            return &mut self.single;
        }
        let key = to.key();
        let index = match self.entries.iter().position(|e| e.key == key) {
            Some(index) => index,
            None => {
                self.entries.push(Entry { key, reply: 0, bytes: Vec::new() });
                self.entries.len() - 1
            }
        };
        self.last = index;
        let entry = &mut self.entries[index];
        if entry.reply != self.reply {
            entry.bytes.clear();
            render(reply, to, &mut entry.bytes);
            entry.reply = self.reply;
        }
        &mut entry.bytes
    }

    /// Cuts the history reply that `render` returned last down to its newest entries that fit
    /// in `room` bytes (see `trim_history`). The trimmed rendering is for `to` alone: no other
    /// recipient is given it.
    pub fn trim_history(
        &mut self,
        room_name: &RoomName,
        entries: &[HistoryEntry],
        room: usize,
        to: &Recipient<'_>,
    ) -> &mut Vec<u8> {
        let out = match self.entries.get_mut(std::mem::replace(&mut self.last, NOT_SHARED)) {
            Some(entry) => {
                entry.reply = 0;
                &mut entry.bytes
            }
            None => &mut self.single,
        };
        trim_history(room_name, entries, room, to, out);
        out
    }
}

impl RenderCache {
    /// Cuts the `CHATHISTORY` answer that `render` returned last down to the lines that fit in
    /// `room` bytes: its newest when `from_oldest` is false, else its oldest (see
    /// `Reply::ChatHistory`). The answer stays one whole batch; when not even an empty one fits,
    /// nothing is sent. For `to` alone, as `trim_history`.
    pub fn trim_chat_history(
        &mut self,
        target: &str,
        lines: &[HistoryLine],
        from_oldest: bool,
        room: usize,
        to: &Recipient<'_>,
    ) -> &mut Vec<u8> {
        let out = match self.entries.get_mut(std::mem::replace(&mut self.last, NOT_SHARED)) {
            Some(entry) => {
                entry.reply = 0;
                &mut entry.bytes
            }
            None => &mut self.single,
        };
        let render_without = |drop: usize, out: &mut Vec<u8>| {
            out.clear();
            let kept = if from_oldest { &lines[..lines.len() - drop] } else { &lines[drop..] };
            let reply = Reply::ChatHistory { target: target.to_string(), lines: kept.to_vec(), from_oldest };
            render(&reply, to, out);
        };
        let drop = oldest_to_drop(lines.len(), room, |drop| {
            render_without(drop, out);
            out.len()
        });
        render_without(drop, out);
        if out.len() > room {
            out.clear();
        }
        out
    }
}

/// How many of the oldest entries of a history reply to leave out so that the rest fits in
/// `room` bytes, where `size(skip)` is the rendering's length without the `skip` oldest (which
/// shrinks as `skip` grows). `count` when not even the newest entry fits. A binary search: a few
/// renderings of a reply that is already bounded (`room::replay_budget`), and history replies are
/// rare.
fn oldest_to_drop(count: usize, room: usize, mut size: impl FnMut(usize) -> usize) -> usize {
    let (mut low, mut high) = (0, count);
    while low < high {
        let mid = low + (high - low) / 2;
        if size(mid) <= room {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// Re-renders a history reply into `out` with only its newest entries that fit in `room` bytes
/// (see `outbox::history_room`); leaves `out` empty when none fits, and nothing is sent.
fn trim_history(room_name: &RoomName, entries: &[HistoryEntry], room: usize, to: &Recipient<'_>, out: &mut Vec<u8>) {
    let render_from = |skip: usize, out: &mut Vec<u8>| {
        out.clear();
        let reply = Reply::History { room: room_name.clone(), entries: entries[skip..].to_vec() };
        render(&reply, to, out);
    };
    let skip = oldest_to_drop(entries.len(), room, |skip| {
        render_from(skip, out);
        out.len()
    });
    if skip < entries.len() {
        render_from(skip, out);
    } else {
        out.clear();
    }
}

#[cfg(test)]
mod tests;

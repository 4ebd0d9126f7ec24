//! Rendering replies for their recipients, and the render cache that lets a room's message be
//! rendered once per kind of recipient rather than once per recipient.
//!
//! Invariants:
//! - What the cache hands a recipient is byte for byte what rendering the reply for that
//!   recipient alone would give. A rendering is shared only between recipients of one reply
//!   (`To::Many`) whose `ViewKey`s are equal, and only for replies that read nothing else of their
//!   recipient (`shareable`). The key holds every field of `Recipient` but the nickname, and the
//!   nickname is read only by replies that are not shareable.
//! - No allocation per delivery: renderings go into buffers kept from reply to reply.

use super::Settings;
use crate::chat::Caps;
use crate::core::names::{Nick, RoomName};
use crate::framing::Terminator;
use crate::protocol::{Dialect, HistoryEntry, Reply, irc, netcat};

/// Everything a reply's rendering depends on that differs between recipients. (The rest comes
/// from `Settings`, the same for every recipient.)
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    pub dialect: Dialect,
    pub terminator: Terminator,
    /// A netcat user in several rooms sees room names on messages.
    pub multi_room: bool,
    /// The recipient's nickname, `*` before it has one.
    pub nick: &'a str,
    pub caps: Caps,
}

/// The part of a `Recipient` that a shared rendering may depend on: all of it but the nickname,
/// one bit per choice, so that comparing keys (once per delivery) is one comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewKey(u8);

impl<'a> Recipient<'a> {
    /// For last words: no room context, no capabilities needed.
    pub fn plain(dialect: Dialect, terminator: Terminator, nick: Option<&'a Nick>) -> Recipient<'a> {
        let nick = nick.map_or("*", |n| n.as_str());
        Recipient { dialect, terminator, multi_room: false, nick, caps: Caps::default() }
    }

    /// Which renderings of a shareable reply this recipient may share. Written as exhaustive
    /// destructurings and matches, so that a field, capability, dialect or terminator added
    /// later does not compile until it is added to the key (or, like the nickname, argued away).
    #[inline]
    pub fn key(&self) -> ViewKey {
        // The nickname: only replies that are not `shareable` read it.
        let Recipient { dialect, terminator, multi_room, nick: _, caps } = *self;
        let Caps { server_time, multi_prefix } = caps;
        let dialect = match dialect {
            Dialect::Netcat => 0,
            Dialect::Irc => 1,
        };
        let terminator = match terminator {
            Terminator::Newline => 0,
            Terminator::Nul => 1,
        };
        ViewKey(
            dialect
                | terminator << 1
                | u8::from(multi_room) << 2
                | u8::from(server_time) << 3
                | u8::from(multi_prefix) << 4,
        )
    }
}

/// Renders `reply` for one recipient.
pub fn render(reply: &Reply, to: &Recipient<'_>, settings: &Settings, out: &mut Vec<u8>) {
    match to.dialect {
        Dialect::Netcat => {
            netcat::render(reply, netcat::View { multi_room: to.multi_room, terminator: to.terminator }, out)
        }
        Dialect::Irc => {
            let view = irc::View {
                server: &settings.server_name,
                nick: to.nick,
                started: settings.started,
                ping_after_secs: (settings.ping_interval + settings.ping_timeout).as_secs(),
                server_time: to.caps.server_time,
                multi_prefix: to.caps.multi_prefix,
            };
            irc::render(reply, &view, out)
        }
    }
}

/// Replies whose rendering, in every dialect, reads nothing of its recipient but its `ViewKey`:
/// messages from one person to a room, which do not name the recipient. (IRC names the
/// recipient in every numeric, in `INVITE`, `CAP` and history.) Only these are rendered once for
/// all recipients with the same key. Any other reply, including a kind added later until it is
/// listed here, is rendered for each recipient: never wrong, only slower.
pub fn shareable(reply: &Reply) -> bool {
    matches!(
        reply,
        Reply::Said { .. }
            | Reply::Joined { .. }
            | Reply::Parted { .. }
            | Reply::Quit { .. }
            | Reply::NickChanged { .. }
            | Reply::TopicChanged { .. }
            | Reply::ModesChanged { .. }
            | Reply::Kicked { .. }
            | Reply::CrowdSummary { .. }
    )
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
    pub fn render(&mut self, reply: &Reply, to: &Recipient<'_>, settings: &Settings) -> &mut Vec<u8> {
        // The usual case in a room, kept small enough to inline: a recipient of the same kind as
        // the one before.
        // (`last` names an entry only while it holds this reply's rendering, shareable.)
        if self.entries.get(self.last).is_some_and(|e| e.key == to.key()) {
            return &mut self.entries[self.last].bytes;
        }
        self.find_or_render(reply, to, settings)
    }

    #[inline(never)]
    fn find_or_render(&mut self, reply: &Reply, to: &Recipient<'_>, settings: &Settings) -> &mut Vec<u8> {
        if !self.sharing {
            self.last = NOT_SHARED;
            self.single.clear();
            render(reply, to, settings, &mut self.single);
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
            render(reply, to, settings, &mut entry.bytes);
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
        settings: &Settings,
    ) -> &mut Vec<u8> {
        let out = match self.entries.get_mut(std::mem::replace(&mut self.last, NOT_SHARED)) {
            Some(entry) => {
                entry.reply = 0;
                &mut entry.bytes
            }
            None => &mut self.single,
        };
        trim_history(room_name, entries, room, to, settings, out);
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
fn trim_history(
    room_name: &RoomName,
    entries: &[HistoryEntry],
    room: usize,
    to: &Recipient<'_>,
    settings: &Settings,
    out: &mut Vec<u8>,
) {
    let render_from = |skip: usize, out: &mut Vec<u8>| {
        out.clear();
        let reply = Reply::History { room: room_name.clone(), entries: entries[skip..].to_vec() };
        render(&reply, to, settings, out);
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
mod tests {
    use super::*;
    use crate::protocol::{ChatError, MessageKind, Millis, Person, QuitReason, UserInfo};
    use std::sync::Arc;
    use std::time::Duration;

    fn settings() -> Settings {
        Settings {
            server_name: "irc.test".into(),
            started: 0,
            max_sendq: 65_536,
            ping_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(60),
            register_timeout: Duration::from_secs(60),
            log_messages: false,
        }
    }

    fn person(nick: &str) -> Arc<Person> {
        Arc::new(Person { nick: Nick::parse(nick).unwrap(), user: format!("~{nick}"), host: "h".into() })
    }

    fn room() -> RoomName {
        RoomName::parse("#a").unwrap()
    }

    /// Recipients that differ from the first in exactly one field each.
    fn recipients() -> Vec<Recipient<'static>> {
        let irc = Recipient {
            dialect: Dialect::Irc,
            terminator: Terminator::Newline,
            multi_room: false,
            nick: "bob",
            caps: Caps::default(),
        };
        let netcat = Recipient { dialect: Dialect::Netcat, ..irc };
        vec![
            irc,
            Recipient { nick: "carol", ..irc },
            Recipient { nick: "*", ..irc },
            Recipient { caps: Caps { server_time: true, ..irc.caps }, ..irc },
            Recipient { caps: Caps { multi_prefix: true, ..irc.caps }, ..irc },
            netcat,
            Recipient { nick: "carol", ..netcat },
            Recipient { multi_room: true, ..netcat },
            Recipient { terminator: Terminator::Nul, ..netcat },
        ]
    }

    /// Replies of every shareable kind, and some that name their recipient or depend on its
    /// capabilities.
    fn replies() -> Vec<Reply> {
        let op = UserInfo {
            person: person("dave"),
            away: false,
            op: true,
            voice: true,
            oper: false,
            realname: "Dave".into(),
        };
        vec![
            Reply::Said { room: room(), from: person("al"), text: "hi".into(), kind: MessageKind::Normal, at: 1_000 },
            Reply::Joined { room: room(), who: person("al") },
            Reply::Parted { room: room(), who: person("al"), reason: Some("bye".into()) },
            Reply::Quit { who: person("al"), reason: QuitReason::PingTimeout },
            Reply::NickChanged { old: person("al"), new: Nick::parse("al2").unwrap(), you: false },
            Reply::TopicChanged { room: room(), by: person("al"), topic: Some("t".into()) },
            Reply::ModesChanged { room: room(), by: person("al"), changes: "+o".into(), params: vec!["bob".into()] },
            Reply::Kicked { room: room(), by: person("al"), nick: Nick::parse("bob").unwrap(), reason: "r".into() },
            Reply::CrowdSummary { room: room(), joined: 3, left: 1, first_joined: vec![], span_secs: 60 },
            // Not shareable: numerics name their recipient, NAMES shows prefixes per `multi-prefix`.
            Reply::Names { room: "#a".into(), members: vec![op] },
            Reply::Error(ChatError::NoSuchNick("zed".into())),
            Reply::Invited { by: person("al"), room: room() },
        ]
    }

    fn rendered(reply: &Reply, to: &Recipient<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        render(reply, to, &settings(), &mut out);
        out
    }

    #[test]
    fn every_field_of_a_recipient_but_its_nickname_is_in_the_key() {
        let all = recipients();
        let base = all[0].key();
        assert_eq!(all[1].key(), base, "nickname only");
        assert_eq!(all[2].key(), base, "nickname only");
        for (i, other) in all.iter().enumerate().skip(3) {
            assert_ne!(other.key(), base, "recipient {i}");
        }
        // In particular `multi-prefix`, which the old per-kind index left out.
        assert_ne!(all[4].key(), all[0].key());
    }

    #[test]
    fn a_shareable_rendering_reads_nothing_of_the_recipient_outside_its_key() {
        for reply in replies().iter().filter(|r| shareable(r)) {
            for to in recipients() {
                for nick in ["*", "x", "a-much-longer-nickname"] {
                    let other = Recipient { nick, ..to };
                    assert_eq!(rendered(reply, &to), rendered(reply, &other), "{reply:?} for {to:?} and {nick}");
                }
            }
        }
    }

    #[test]
    fn the_cache_gives_each_recipient_what_rendering_for_it_alone_gives() {
        let settings = settings();
        let mut cache = RenderCache::default();
        for reply in replies() {
            for shared in [true, false] {
                cache.start(&reply, shared);
                // Twice round, so that later recipients find renderings made for earlier ones.
                for to in recipients().iter().chain(recipients().iter()) {
                    assert_eq!(*cache.render(&reply, to, &settings), rendered(&reply, to), "{reply:?} for {to:?}");
                }
            }
        }
    }

    #[test]
    fn recipients_differing_in_what_their_rendering_reads_get_different_renderings() {
        let settings = settings();
        let mut cache = RenderCache::default();
        let all = recipients();
        // `server-time` on a room message: shared, keyed apart.
        let said = &replies()[0];
        cache.start(said, true);
        let plain = cache.render(said, &all[0], &settings).clone();
        let timed = cache.render(said, &all[3], &settings).clone();
        assert!(timed.starts_with(b"@time=") && !plain.starts_with(b"@time="));
        let shared = cache.render(said, &all[0], &settings).as_ptr();
        assert_eq!(cache.render(said, &all[1], &settings).as_ptr(), shared, "another nickname shares it");
        // `multi-prefix` on NAMES, sent to many: each gets its own prefixes.
        let names = &replies()[9];
        cache.start(names, true);
        let one = String::from_utf8(cache.render(names, &all[0], &settings).clone()).unwrap();
        let many = String::from_utf8(cache.render(names, &all[4], &settings).clone()).unwrap();
        assert!(one.contains(" @dave") && many.contains(" @+dave"), "{one} / {many}");
        // The recipient's nickname in a numeric sent to many: each gets its own.
        let error = &replies()[10];
        cache.start(error, true);
        assert!(cache.render(error, &all[0], &settings).starts_with(b":irc.test 401 bob "));
        assert!(cache.render(error, &all[1], &settings).starts_with(b":irc.test 401 carol "));
    }

    #[test]
    fn a_new_reply_is_rendered_afresh_and_a_trimmed_rendering_is_not_shared() {
        let settings = settings();
        let mut cache = RenderCache::default();
        let replies = replies();
        let to = &recipients()[0];
        cache.start(&replies[0], true);
        let first = cache.render(&replies[0], to, &settings).as_ptr();
        cache.start(&replies[1], true);
        let second = cache.render(&replies[1], to, &settings);
        assert_eq!(*second, rendered(&replies[1], to));
        assert_eq!(second.as_ptr(), first, "the same buffer, kept");
        // Trimmed for one recipient (to nothing: not even the newest entry fits in no room)...
        assert!(cache.trim_history(&room(), &entries(3), 0, to, &settings).is_empty());
        // ...the next recipient of the same kind is given the whole rendering.
        assert_eq!(*cache.render(&replies[1], to, &settings), rendered(&replies[1], to));
    }

    #[test]
    fn the_newest_entries_that_fit_are_kept() {
        // A header of 5 bytes and entries of 10, 20, 30 and 40 bytes, oldest first.
        let sizes = [10, 20, 30, 40];
        let mut renderings = 0;
        let mut drop = |room| {
            oldest_to_drop(sizes.len(), room, |skip| {
                renderings += 1;
                5 + sizes[skip..].iter().sum::<usize>()
            })
        };
        assert_eq!(drop(1_000), 0);
        assert_eq!(drop(105), 0);
        assert_eq!(drop(104), 1);
        assert_eq!(drop(75), 2);
        assert_eq!(drop(74), 3);
        assert_eq!(drop(45), 3);
        assert_eq!(drop(44), 4, "not even the newest fits");
        assert_eq!(drop(0), 4);
        assert!(renderings <= 8 * 3, "a binary search, not a scan: {renderings} renderings");
        assert_eq!(oldest_to_drop(0, 0, |_| 0), 0);
    }

    fn entries(count: usize) -> Vec<HistoryEntry> {
        let from = Arc::new(Person { nick: Nick::parse("alice").unwrap(), user: "~alice".into(), host: "h".into() });
        (0..count)
            .map(|i| HistoryEntry {
                at: i as Millis * 1000,
                from: Arc::clone(&from),
                text: format!("{i:03} {}", "x".repeat(1_000)).into(),
                kind: MessageKind::Normal,
            })
            .collect()
    }

    #[test]
    fn a_trimmed_history_is_its_newest_entries_and_fits() {
        let room = RoomName::parse("#a").unwrap();
        let entries = entries(40);
        let settings = settings();
        let caps = Caps { server_time: true, multi_prefix: false };
        let irc =
            Recipient { dialect: Dialect::Irc, terminator: Terminator::Newline, multi_room: false, nick: "bob", caps };
        let netcat = Recipient::plain(Dialect::Netcat, Terminator::Newline, None);
        for to in [&irc, &netcat] {
            let mut full = Vec::new();
            render(&Reply::History { room: room.clone(), entries: entries.clone() }, to, &settings, &mut full);
            for room_left in [full.len(), 20_000, 5_000, 1_500] {
                let mut trimmed = Vec::new();
                trim_history(&room, &entries, room_left, to, &settings, &mut trimmed);
                assert!(!trimmed.is_empty() && trimmed.len() <= room_left, "{} > {room_left}", trimmed.len());
                let text = String::from_utf8(trimmed).unwrap();
                assert!(text.contains("039 xxx"), "the newest entry is kept");
                // The entries kept are the newest: one more would not have fitted.
                let kept = (0..40).filter(|i| text.contains(&format!("{i:03} xxx"))).collect::<Vec<_>>();
                let first = kept[0];
                assert_eq!(kept, (first..40).collect::<Vec<_>>());
                if first > 0 {
                    let mut one_more = Vec::new();
                    let reply = Reply::History { room: room.clone(), entries: entries[first - 1..].to_vec() };
                    render(&reply, to, &settings, &mut one_more);
                    assert!(one_more.len() > room_left);
                }
            }
            let mut nothing = vec![1, 2, 3];
            trim_history(&room, &entries, 100, to, &settings, &mut nothing);
            assert!(nothing.is_empty(), "nothing is sent when not even the newest entry fits");
        }
    }
}

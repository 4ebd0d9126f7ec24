//! A browser's chat client (`WebChat`), and every reply rendered for it as one JSON event (the
//! `data:` of one Server-Sent Event; the broker's web face numbers and frames them).
//!
//! The events are listed in README ("The web face"). Replies the page shows as they are get a
//! type of their own (`said`, `joined`, ...); any other one is a `notice` holding the lines a
//! netcat user would read, so nothing the server says is lost on the page. User text is cleaned
//! as for a terminal (`text::for_netcat`: no control or direction characters, no IRC formatting)
//! and the page inserts it as text, never as HTML.

use super::super::dialect::{Profile, Session, View, key_space};
use super::super::http::status::json_string;
use super::super::netcat;
use super::super::text::for_netcat;
use super::super::{HistoryEntry, MessageKind, Person, Reply, Topic, UserInfo};
use crate::framing::Terminator;
use std::fmt::Write as _;

/// This dialect's number in view keys.
const KEY_SPACE: u32 = key_space(3);

/// A browser's chat client: what chat state knows of it.
pub struct WebChat;

/// A new web chat client's session.
pub fn chat_session() -> Box<dyn Session> {
    Box::new(WebChat)
}

impl Session for WebChat {
    fn profile(&self) -> Profile {
        Profile {
            dialect: "web",
            prompted: false,
            starts_in_default_room: true,
            needs_user: false,
            registration_held: false,
            strict_before_registration: false,
            // The page keeps its member lists from these, as IRC clients do.
            hears_every_membership_change: true,
            replay_on_join: true,
            echo_own_messages: true,
            pinged: false,
            registers_by_login: false,
            hears_presence: false,
        }
    }

    /// The JSON never depends on the recipient but through the reply itself.
    fn view_key(&self, _view: &View<'_>) -> u32 {
        KEY_SPACE
    }

    fn render(&self, reply: &Reply, view: &View<'_>, out: &mut Vec<u8>) {
        let _ = view;
        let mut json = String::with_capacity(128);
        event(reply, &mut json);
        out.extend_from_slice(json.as_bytes());
    }
}

/// A JSON object under construction: `{"t":"said"` then `,"key":value` pairs, then `}`.
struct Obj<'a> {
    out: &'a mut String,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String, kind: &str) -> Obj<'a> {
        out.push_str("{\"t\":");
        json_string(out, kind);
        Obj { out }
    }

    fn key(&mut self, key: &str) -> &mut String {
        self.out.push(',');
        json_string(self.out, key);
        self.out.push(':');
        self.out
    }

    fn str(&mut self, key: &str, value: &str) -> &mut Self {
        json_string(self.key(key), value);
        self
    }

    /// User text, cleaned for display.
    fn text(&mut self, key: &str, value: &str) -> &mut Self {
        let cleaned = for_netcat(value);
        self.str(key, &cleaned)
    }

    fn opt(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(key, value),
            None => {
                self.key(key).push_str("null");
                self
            }
        }
    }

    fn num(&mut self, key: &str, value: u64) -> &mut Self {
        let _ = write!(self.key(key), "{value}");
        self
    }

    fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    fn end(&mut self) {
        self.out.push('}');
    }
}

fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Normal => "normal",
        MessageKind::Action => "action",
        MessageKind::Notice => "notice",
    }
}

fn members(out: &mut String, members: &[UserInfo]) {
    out.push('[');
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"nick\":");
        json_string(out, member.person.nick.as_str());
        let _ = write!(out, ",\"op\":{},\"voice\":{},\"away\":{}}}", member.op, member.voice, member.away);
    }
    out.push(']');
}

fn topic(out: &mut String, topic: Option<&Topic>) {
    match topic {
        None => out.push_str("null"),
        Some(topic) => {
            let mut obj = Obj { out };
            obj.out.push('{');
            json_string(obj.out, "text");
            obj.out.push(':');
            json_string(obj.out, &for_netcat(&topic.text));
            obj.str("by", topic.set_by.nick.as_str()).num("at", topic.at);
            obj.end();
        }
    }
}

fn entries(out: &mut String, entries: &[HistoryEntry]) {
    out.push('[');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"from\":");
        json_string(out, entry.from.nick.as_str());
        let mut obj = Obj { out };
        obj.text("text", &entry.text).str("kind", kind_name(entry.kind)).num("at", entry.at).end();
    }
    out.push(']');
}

fn nick(person: &Person) -> &str {
    person.nick.as_str()
}

/// What a netcat user would read for `reply`, as text lines joined by `\n`.
fn as_text(reply: &Reply) -> String {
    let mut bytes = Vec::new();
    netcat::render(reply, netcat::View { multi_room: false, terminator: Terminator::Newline }, &mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    text.trim_end_matches(['\r', '\n']).replace("\r\n", "\n")
}

/// The text of an error reply (as a netcat user reads it, without `error: `); a generic one for
/// anything else.
pub fn error_text(reply: Option<&Reply>) -> String {
    match reply {
        Some(reply @ Reply::Error(_)) => {
            let text = as_text(reply);
            text.strip_prefix("error: ").unwrap_or(&text).to_string()
        }
        _ => "refused".to_string(),
    }
}

/// Renders `reply` as one JSON event; appends nothing for replies the page has no use for
/// (IRC-only answers). The same for every recipient: the broker renders a reply once for all
/// the web sessions it goes to.
pub fn event(reply: &Reply, out: &mut String) {
    match reply {
        Reply::Welcome { person, .. } => Obj::new(out, "hello").str("nick", nick(person)).end(),
        Reply::YouJoined { room, members: list, topic: t, .. } => {
            let mut obj = Obj::new(out, "joined_self");
            obj.str("room", room.as_str());
            topic(obj.key("topic"), t.as_ref());
            members(obj.key("members"), list);
            obj.end();
        }
        Reply::YouJoinedCrowd { room, topic: t, .. } => {
            let mut obj = Obj::new(out, "joined_self");
            obj.str("room", room.as_str());
            topic(obj.key("topic"), t.as_ref());
            members(obj.key("members"), &[]);
            obj.end();
        }
        Reply::History { room, entries: list } => {
            let mut obj = Obj::new(out, "history");
            obj.str("room", room.as_str());
            entries(obj.key("entries"), list);
            obj.end();
        }
        Reply::Said { room, from, text, kind, at, .. } => Obj::new(out, "said")
            .str("room", room.as_str())
            .str("from", nick(from))
            .text("text", text)
            .str("kind", kind_name(*kind))
            .num("at", *at)
            .end(),
        Reply::Private { from, to, text, kind, at, .. } => Obj::new(out, "private")
            .str("from", nick(from))
            .str("to", to.as_str())
            .text("text", text)
            .str("kind", kind_name(*kind))
            .num("at", *at)
            .end(),
        Reply::Joined { room, who } => Obj::new(out, "joined").str("room", room.as_str()).str("nick", nick(who)).end(),
        Reply::Parted { room, who, reason } => Obj::new(out, "parted")
            .str("room", room.as_str())
            .str("nick", nick(who))
            .opt("reason", reason.as_deref())
            .end(),
        Reply::YouParted { room, current, .. } => Obj::new(out, "parted_self")
            .str("room", room.as_str())
            .opt("current", current.as_ref().map(|r| r.as_str()))
            .end(),
        Reply::Kicked { room, by, nick: kicked, reason } => {
            // For the page a kick is a part, with who did it in the reason; the kicked one's page
            // sees its own nickname leave. (The same for every recipient: rendered once for all.)
            let why = format!("kicked by {}: {}", by.nick, for_netcat(reason));
            Obj::new(out, "parted").str("room", room.as_str()).str("nick", kicked.as_str()).str("reason", &why).end()
        }
        Reply::Quit { who, reason } => {
            Obj::new(out, "quit").str("nick", nick(who)).text("reason", &reason.to_string()).end()
        }
        Reply::NickChanged { old, new, you } => {
            Obj::new(out, "nick").str("old", nick(old)).str("new", new.as_str()).bool("you", *you).end()
        }
        Reply::TopicChanged { room, by, topic: t } => {
            Obj::new(out, "topic").str("room", room.as_str()).str("by", nick(by)).opt("topic", t.as_deref()).end()
        }
        Reply::Who { room, members: list } => {
            let mut obj = Obj::new(out, "members");
            obj.str("room", room.as_str());
            members(obj.key("members"), list);
            obj.end();
        }
        Reply::NowTalkingIn { room } => Obj::new(out, "current").str("room", room.as_str()).end(),
        Reply::AwayChanged { text } => Obj::new(out, "away").opt("text", text.as_deref()).end(),
        Reply::CrowdSummary { room, joined, left, .. } => Obj::new(out, "crowd")
            .str("room", room.as_str())
            .num("joined", *joined as u64)
            .num("left", *left as u64)
            .end(),
        Reply::Error(_) => {
            let text = as_text(reply);
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            Obj::new(out, "error").str("text", text).end()
        }
        Reply::Closing { reason } => Obj::new(out, "closing").text("reason", &reason.to_string()).end(),
        // Greeting and prompt: the page has its own login form.
        Reply::Greeting { .. } | Reply::NickPrompt { .. } => {}
        // IRC's own answers never reach a web client (it sends no IRC commands).
        Reply::Cap { .. } | Reply::Pong { .. } | Reply::Ping { .. } => {}
        _ => {
            let text = as_text(reply);
            if !text.is_empty() {
                Obj::new(out, "notice").str("text", &text).end();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::names::{Nick, RoomName};
    use crate::protocol::ChatError;
    use std::sync::Arc;

    fn person(nick: &str) -> Arc<Person> {
        Arc::new(Person {
            nick: Nick::parse(nick).unwrap(),
            user: format!("~{nick}"),
            host: "h".into(),
            account: None,
            realname: "".into(),
        })
    }

    fn json(reply: &Reply) -> String {
        let mut out = String::new();
        event(reply, &mut out);
        out
    }

    #[test]
    fn messages_are_json_with_the_text_cleaned_and_escaped() {
        let room = RoomName::parse("#a").unwrap();
        let said = Reply::Said {
            id: 1,
            room,
            from: person("bob"),
            text: "<script>\"hi\"\u{1b}[31m \u{202e}x".into(),
            kind: MessageKind::Action,
            at: 5,
            tags: None,
        };
        assert_eq!(
            json(&said),
            r##"{"t":"said","room":"#a","from":"bob","text":"<script>\"hi\"[31m x","kind":"action","at":5}"##
        );
    }

    #[test]
    fn errors_and_other_replies_become_text() {
        let error = Reply::Error(ChatError::NoSuchNick("zed".into()));
        assert!(json(&error).starts_with(r##"{"t":"error","text":"##), "{}", json(&error));
        assert!(!json(&error).contains("error: "));
        let help = Reply::Help { command: None };
        assert!(json(&help).starts_with(r##"{"t":"notice","text":"##));
        assert!(json(&help).contains("\\n"), "several lines joined by \\n");
        assert_eq!(json(&Reply::Pong { token: "x".into() }), "");
    }

    #[test]
    fn joining_lists_members_and_topic() {
        let room = RoomName::parse("#a").unwrap();
        let member =
            UserInfo { person: person("bob"), away: true, op: true, voice: false, oper: false, realname: "B".into() };
        let topic = Topic { text: "t".into(), set_by: person("bob"), at: 7 };
        let reply = Reply::YouJoined {
            room,
            me: person("me"),
            members: vec![member],
            topic: Some(topic),
            visibility: Default::default(),
        };
        assert_eq!(
            json(&reply),
            r##"{"t":"joined_self","room":"#a","topic":{"text":"t","by":"bob","at":7},"members":[{"nick":"bob","op":true,"voice":false,"away":true}]}"##
        );
    }
}

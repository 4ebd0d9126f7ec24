//! Messages: netcat lines and actions to the current room, IRC `PRIVMSG`/`NOTICE` to rooms and
//! nicknames, private messages, and the away message that answers them.
//!
//! Who may speak in a room is the room's rule (`Room::may_speak`: `+n`, `+m`), checked here per
//! target rather than by the command table: one `PRIVMSG` names several targets and each is
//! answered on its own, a `NOTICE` is never answered with an error, and an empty netcat line is
//! ignored before any room is looked for. A room's messages go into its history, notices do not.
//!
//! An IRC `PRIVMSG`/`NOTICE` is delivered as the one line it was: cut, at a character boundary,
//! to what one IRC line carries once the sender's prefix is added, never split in two as a long
//! netcat line is (`irc::message::fit_one_line`; IRC clients split long messages themselves).
//! Messages to `@#room` and `+#room` (IRC `STATUSMSG`) are in `status`.

use super::{Audit, Broken, Handled, MAX_REASON_BYTES, MAX_TARGETS, Output, State};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::irc::message::fit_one_line;
use crate::protocol::{ChatError, ClientTags, HistoryEntry, MessageKind, Millis, Reply, netcat};
use std::sync::Arc;

/// How a message travels besides its text: its kind and the client-only tags it was sent with.
#[derive(Clone, Debug)]
pub(super) struct Envelope {
    pub kind: MessageKind,
    pub tags: ClientTags,
}

impl Envelope {
    /// A message of `kind` without tags (all but IRC's tagged lines).
    pub fn plain(kind: MessageKind) -> Envelope {
        Envelope { kind, tags: None }
    }
}

impl State {
    /// A plain netcat line: to the current room, cleaned; a blank one is ignored.
    pub(super) fn say_line(&mut self, id: ClientId, line: &str, now: Millis, out: &mut Output) -> Handled {
        match netcat::said_text(line) {
            Some(text) => self.say(id, text, MessageKind::Normal, now, out),
            None => Ok(()),
        }
    }

    /// A netcat line or action: to the current room.
    pub(super) fn say(
        &mut self,
        id: ClientId,
        text: String,
        kind: MessageKind,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        match self.current_room(id) {
            Ok(key) => {
                let key = key.clone();
                let me = self.person(id)?;
                match self.rooms.get(&key).map(|room| room.may_speak(id, &me)) {
                    Some(Err(error)) => out.error(id, error),
                    _ => self.say_in(id, &key, text.into(), Envelope::plain(kind), now, out)?,
                }
            }
            Err(error) => out.error(id, error),
        }
        Ok(())
    }

    /// `PRIVMSG`/`NOTICE` to each of (at most `MAX_TARGETS`) targets.
    pub(super) fn message_many(
        &mut self,
        id: ClientId,
        targets: &[String],
        text: &str,
        envelope: Envelope,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        for target in targets.iter().take(MAX_TARGETS) {
            self.message(id, target, text, envelope.clone(), now, out)?;
        }
        Ok(())
    }

    /// An IRC `PRIVMSG`/`NOTICE` to one target. Errors are never sent for a `NOTICE`.
    fn message(
        &mut self,
        id: ClientId,
        target: &str,
        text: &str,
        envelope: Envelope,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        let kind = envelope.kind;
        let result = if let Some((status, room)) = super::status::status_target(target) {
            match self.resolve_room(id, Some(room)) {
                Ok(key) => self.status_message(id, status, &key, text, kind, now, out)?,
                Err(_) => Err(ChatError::NoSuchNick(target.to_string())),
            }
        } else if target.starts_with('#') {
            match self.resolve_room(id, Some(target)) {
                Ok(key) => match self.room(&key)?.may_speak(id, &*self.person(id)?) {
                    Ok(()) => {
                        let room = self.room(&key)?.name.to_string();
                        let text = self.one_irc_line(id, text, kind, &room)?;
                        self.say_in(id, &key, text.into(), envelope, now, out)?;
                        Ok(())
                    }
                    Err(error) => Err(error),
                },
                Err(_) => Err(ChatError::NoSuchNick(target.to_string())),
            }
        } else {
            let to = self.registered_person(target).map_or_else(|| target.to_string(), |p| p.nick.to_string());
            let text = self.one_irc_line(id, text, kind, &to)?;
            self.private(id, target, text.to_string(), envelope, now, out)?;
            Ok(())
        };
        if let Err(error) = result
            && kind != MessageKind::Notice
        {
            out.error(id, error);
        }
        Ok(())
    }

    /// What IRC recipients get of `text` from `id` to `target` (as their lines name it) in one
    /// line: all of it, or its start.
    pub(super) fn one_irc_line<'t>(
        &self,
        id: ClientId,
        text: &'t str,
        kind: MessageKind,
        target: &str,
    ) -> Result<&'t str, Broken> {
        let command = if kind == MessageKind::Notice { "NOTICE" } else { "PRIVMSG" };
        let prefix = self.person(id)?.prefix();
        Ok(fit_one_line(text, &prefix, command, target, kind == MessageKind::Action))
    }

    fn say_in(
        &mut self,
        id: ClientId,
        key: &Folded,
        text: Arc<str>,
        envelope: Envelope,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        let Envelope { kind, tags } = envelope;
        let from = self.person(id)?;
        if let Some(member) = self.members.get_mut(&id) {
            member.last_spoke = now;
        }
        let msgid = self.next_msgid();
        let Some(room) = self.rooms.get_mut(key) else { return Err(Broken::ROOM_MISSING) };
        if kind != MessageKind::Notice {
            self.histories
                .push(key, HistoryEntry { id: msgid, at: now, from: Arc::clone(&from), text: text.clone(), kind });
        }
        if self.settings.audit_messages {
            out.audit.push(Audit::Message {
                id,
                from: from.nick.clone(),
                target: room.name.to_string(),
                text: text.clone(),
            });
        }
        let said = Reply::Said { room: room.name.clone(), from, text, kind, at: now, id: msgid, tags };
        if self.members.get(&id).is_some_and(|m| m.profile.echo_own_messages) {
            out.tell(id, said.clone());
        }
        out.tell_many(room.others(id), said);
        Ok(())
    }

    pub(super) fn private(
        &mut self,
        id: ClientId,
        to: &str,
        text: String,
        envelope: Envelope,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        let Envelope { kind, tags } = envelope;
        let target = self.nicks.get(&Folded::of(to)).copied().filter(|t| self.is_registered(*t));
        let Some(target) = target else {
            if kind != MessageKind::Notice {
                out.error(id, ChatError::NoSuchNick(to.to_string()));
            }
            return Ok(());
        };
        let from = self.person(id)?;
        let to = self.person(target)?.nick.clone();
        let text: Arc<str> = text.into();
        if let Some(member) = self.members.get_mut(&id) {
            member.last_spoke = now;
        }
        out.audit.push(Audit::Private { id, from: from.nick.clone(), to: to.clone() });
        if self.settings.audit_messages {
            out.audit.push(Audit::Message { id, from: from.nick.clone(), target: to.to_string(), text: text.clone() });
        }
        let away = self.members.get(&target).and_then(|m| m.away.clone());
        let msgid = self.next_msgid();
        let private = |echo| Reply::Private {
            from: Arc::clone(&from),
            to: to.clone(),
            text: text.clone(),
            kind,
            at: now,
            echo,
            id: msgid,
            tags: tags.clone(),
        };
        if kind != MessageKind::Notice {
            let entry = HistoryEntry { id: msgid, at: now, from: Arc::clone(&from), text: text.clone(), kind };
            self.remember_private(id, target, entry);
        }
        out.tell(target, private(false));
        out.tell(id, private(true));
        if let Some(away) = away
            && kind != MessageKind::Notice
        {
            out.tell(id, Reply::PeerAway { nick: to, text: away });
        }
        Ok(())
    }

    pub(super) fn away(&mut self, id: ClientId, text: Option<String>, out: &mut Output) -> Handled {
        if text.as_ref().is_some_and(|t| t.len() > MAX_REASON_BYTES) {
            out.error(id, ChatError::TooLong { what: "away message", max: MAX_REASON_BYTES });
            return Ok(());
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.away = text.clone();
        }
        self.notify_away(id, text.clone(), out)?;
        out.tell(id, Reply::AwayChanged { text });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn room_message_goes_to_others_not_the_sender_and_into_history() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        let out = run(&mut s, 1, say("hi"));
        assert!(replies_to(&out, 1).is_empty());
        assert!(matches!(replies_to(&out, 2)[0], Reply::Said { text, .. } if &**text == "hi"));
        let out = run(&mut s, 2, Command::History { room: None, count: None });
        assert_eq!(replayed(&out, 2), ["hi"], "the line is in the room's history");
        run(&mut s, 1, say("two"));
        run(&mut s, 1, say("three"));
        // A newcomer is replayed the room's history (two lines are kept here).
        s.connect(ClientId(3), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 3, say("carol"));
        assert_eq!(replayed(&out, 3), ["two", "three"]);
        let out = run(&mut s, 3, Command::Join { room: "#lobby".into(), key: None });
        assert!(matches!(replies_to(&out, 3)[0], Reply::NowTalkingIn { .. }));
    }

    #[test]
    fn private_message_to_missing_nick_fails() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let out = run(&mut s, 1, Command::Private { to: "nobody".into(), text: "x".into() });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NoSuchNick("nobody".into()))]);
    }

    #[test]
    fn private_message_to_away_user_reports_away() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Away { text: Some("lunch".into()) });
        let out = run(&mut s, 1, Command::Private { to: "BOB".into(), text: "x".into() });
        assert!(matches!(replies_to(&out, 2)[0], Reply::Private { echo: false, .. }));
        let to_alice = replies_to(&out, 1);
        assert!(matches!(to_alice[0], Reply::Private { echo: true, .. }));
        assert!(matches!(to_alice[1], Reply::PeerAway { text, .. } if text == "lunch"));
    }
}

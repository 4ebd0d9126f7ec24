//! Messages to the members of a room with a status (IRC `STATUSMSG`, `STATUSMSG=@+` in
//! ISUPPORT): `PRIVMSG @#room` reaches its operators, `PRIVMSG +#room` its operators and voiced
//! members. The sender needs what any message to the room needs (`Room::may_speak`: `+n`,
//! `+m`), not the status itself, as on common servers. Such a message is no part of the room's
//! conversation: it is kept in no history.

use super::{Audit, Broken, Output, State};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::{ChatError, MessageKind, Millis, Reply};
use crate::room::STATUS_PREFIXES;

/// `@#room` or `+#room`: the status and the room's name.
pub fn status_target(target: &str) -> Option<(char, &str)> {
    let status = target.chars().next().filter(|c| STATUS_PREFIXES.contains(*c))?;
    let room = target.get(status.len_utf8()..).filter(|room| room.starts_with('#'))?;
    Some((status, room))
}

impl State {
    /// A message from `id` to the members of room `key` with `status` (`@` or `+`). The error,
    /// if any, is returned for the caller to tell (or not, for a notice).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn status_message(
        &mut self,
        id: ClientId,
        status: char,
        key: &Folded,
        text: &str,
        kind: MessageKind,
        now: Millis,
        out: &mut Output,
    ) -> Result<Result<(), ChatError>, Broken> {
        let room = self.room(key)?;
        if let Err(error) = room.may_speak(id, &*self.person(id)?) {
            return Ok(Err(error));
        }
        let name = room.name.clone();
        let target = format!("{status}{name}");
        let text = self.one_irc_line(id, text, kind, &target)?;
        let room = self.room(key)?;
        let reached = |m: &ClientId| room.ops.contains(m) || (status == '+' && room.voiced.contains(m));
        let audience: Vec<ClientId> = room.members.iter().copied().filter(|m| *m != id && reached(m)).collect();
        let from = self.person(id)?;
        if let Some(member) = self.members.get_mut(&id) {
            member.last_spoke = now;
        }
        let msgid = self.next_msgid();
        let text: std::sync::Arc<str> = text.into();
        if self.settings.audit_messages {
            out.audit.push(Audit::Message { id, from: from.nick.clone(), target, text: text.clone() });
        }
        let said = Reply::SaidToStatus { status, room: name, from, text, kind, at: now, id: msgid };
        if self.members.get(&id).is_some_and(|m| m.profile.echo_own_messages) {
            out.tell(id, said.clone());
        }
        out.tell_many(audience, said);
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::protocol::ChatError;

    #[test]
    fn status_targets_are_a_status_and_a_room() {
        assert_eq!(status_target("@#ops"), Some(('@', "#ops")));
        assert_eq!(status_target("+#x"), Some(('+', "#x")));
        for not in ["#x", "@x", "@", "%#x", "@+#x", "bob"] {
            assert_eq!(status_target(not), None, "{not}");
        }
    }

    fn message(target: &str, text: &str) -> Command {
        Command::Message { targets: vec![target.into()], text: text.into(), kind: MessageKind::Normal, tags: None }
    }

    #[test]
    fn status_messages_reach_operators_or_voiced_members_only_and_stay_out_of_history() {
        let mut s = state();
        for (id, nick) in [(1, "op"), (2, "voiced"), (3, "plain")] {
            irc_registered(&mut s, id, nick);
            run(&mut s, id, Command::Join { room: "#r".into(), key: None });
        }
        run(&mut s, 1, Command::Mode { target: "#r".into(), changes: vec!["+v".into(), "voiced".into()] });
        let out = run(&mut s, 3, message("@#r", "to ops"));
        let reached = |out: &Output, id| replies_to(out, id).iter().any(|r| matches!(r, Reply::SaidToStatus { .. }));
        assert!(reached(&out, 1));
        assert!(!reached(&out, 2) && !reached(&out, 3));
        let out = run(&mut s, 1, message("+#R", "to voice"));
        assert!(reached(&out, 2) && !reached(&out, 1) && !reached(&out, 3));
        let out = run(&mut s, 1, Command::History { room: Some("#r".into()), count: None });
        assert!(replayed(&out, 1).is_empty());
        // The room's rules for messages hold: an outsider under +n cannot.
        irc_registered(&mut s, 4, "out");
        let out = run(&mut s, 4, message("@#r", "hi"));
        assert!(matches!(replies_to(&out, 4)[..], [Reply::Error(ChatError::CannotSendToRoom(_))]));
        let out = run(&mut s, 4, message("@#nowhere", "hi"));
        assert!(matches!(replies_to(&out, 4)[..], [Reply::Error(ChatError::NoSuchNick(n))] if n == "@#nowhere"));
    }
}

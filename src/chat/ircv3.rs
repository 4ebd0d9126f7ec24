//! What chat state does for IRCv3 extensions: `TAGMSG` (message-tags), `SETNAME` (setname), and
//! the notices that only clients with a capability accept (`away-notify`, `invite-notify`; the
//! IRC session's `accepts` drops them for every other client, so chat state stays
//! dialect-free and tells everyone who might want them).

use super::{Handled, MAX_TARGETS, Output, State};
use crate::core::ids::ClientId;
use crate::core::names::{Folded, Nick};
use crate::protocol::{ChatError, ClientTags, Command, Millis, ParseError, Person, Reply};
use std::sync::Arc;

/// The command an IRC line said, without its `label`, which belongs to the IRC session
/// (`Session::begin`). A label that reaches chat state is dropped and the line handled as if it
/// had none.
pub(super) fn unlabeled(command: Command) -> Result<Command, ParseError> {
    match command {
        Command::Labeled { input, .. } => *input,
        other => Ok(other),
    }
}

/// away-notify: room-mates hear that a member who joins while away is away, after its `JOIN`.
pub(super) fn away_joiner(away: Option<String>, room_mates: Vec<ClientId>, me: &Arc<Person>, out: &mut Output) {
    if let Some(text) = away {
        out.tell_many(room_mates, Reply::AwayNotify { who: Arc::clone(me), text: Some(text) });
    }
}

impl State {
    /// `TAGMSG` to each of (at most `MAX_TARGETS`) targets, delivered as `PRIVMSG` is (rooms'
    /// `+n` and `+m`, the sender's copy with `echo-message`), answered with the same errors. Not
    /// kept in history: tag-only messages are not shown as lines.
    pub(super) fn tag_many(
        &mut self,
        id: ClientId,
        targets: &[String],
        tags: ClientTags,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        for target in targets.iter().take(MAX_TARGETS) {
            if let Err(error) = self.tag(id, target, tags.clone(), now, out)? {
                out.error(id, error);
            }
        }
        Ok(())
    }

    /// `TAGMSG` to one room or nickname.
    fn tag(
        &mut self,
        id: ClientId,
        target: &str,
        tags: ClientTags,
        now: Millis,
        out: &mut Output,
    ) -> Result<Result<(), ChatError>, super::Broken> {
        let from = self.person(id)?;
        let echo = self.members.get(&id).is_some_and(|m| m.profile.echo_own_messages);
        let (to, recipients) = if target.starts_with('#') {
            let Ok(key) = self.resolve_room(id, Some(target)) else {
                return Ok(Err(ChatError::NoSuchNick(target.to_string())));
            };
            let room = self.room(&key)?;
            if let Err(error) = room.may_speak(id, &from) {
                return Ok(Err(error));
            }
            (room.name.to_string(), room.others(id))
        } else {
            let found = self.nicks.get(&Folded::of(target)).copied().filter(|t| self.is_registered(*t));
            let Some(recipient) = found else { return Ok(Err(ChatError::NoSuchNick(target.to_string()))) };
            (self.person(recipient)?.nick.to_string(), vec![recipient])
        };
        if let Some(member) = self.members.get_mut(&id) {
            member.last_spoke = now;
        }
        let id_given = self.next_msgid();
        let reply = |echo| Reply::TagMsg {
            from: Arc::clone(&from),
            target: to.clone(),
            tags: tags.clone(),
            at: now,
            id: id_given,
            echo,
        };
        out.tell_many(recipients, reply(false));
        if echo {
            out.tell(id, reply(true));
        }
        Ok(Ok(()))
    }

    /// `SETNAME`: a new real name for `id`, told to it and to everyone sharing a room with it.
    /// An empty one (nothing left once cleaned) is refused: registration needs one too.
    pub(super) fn set_name(&mut self, id: ClientId, realname: String, out: &mut Output) -> Handled {
        if realname.is_empty() {
            out.error(id, ChatError::InvalidRealname);
            return Ok(());
        }
        let old = self.person(id)?;
        let renamed = Arc::new(Person { realname: Arc::from(realname.as_str()), ..(*old).clone() });
        if let Some(member) = self.members.get_mut(&id) {
            member.realname = realname;
            member.person = Some(Arc::clone(&renamed));
        }
        out.tell_many(self.nick_audience(id), Reply::RealnameChanged { who: Arc::clone(&renamed) });
        out.tell(id, Reply::RealnameChanged { who: renamed });
        Ok(())
    }

    /// away-notify: everyone sharing a room with `id` hears that it went away or came back.
    pub(super) fn notify_away(&mut self, id: ClientId, text: Option<String>, out: &mut Output) -> Handled {
        let who = self.person(id)?;
        out.tell_many(self.nick_audience(id), Reply::AwayNotify { who, text });
        Ok(())
    }

    /// invite-notify: the operators of the room `key` other than `by` hear that `by` invited
    /// `nick` (the inviter has 341, the invited its `INVITE`).
    pub(super) fn notify_invite(
        &self,
        by: &Arc<Person>,
        inviter: ClientId,
        nick: &Nick,
        key: &Folded,
        out: &mut Output,
    ) {
        let Some(room) = self.rooms.get(key) else { return };
        let ops: Vec<ClientId> = room.members.iter().copied().filter(|&m| m != inviter && room.is_op(m)).collect();
        let notice = Reply::InviteNotify { by: Arc::clone(by), nick: nick.clone(), room: room.name.clone() };
        out.tell_many(ops, notice);
    }
}

#[cfg(test)]
mod tests;

//! Room modes and the room operators' other powers: `MODE` (query anyone; change: room
//! operators), `KICK` and `INVITE`.
//!
//! `KICK` needs a room operator and `INVITE` a member: the command table checks both. `MODE` keeps
//! its own checks, since a generic check before it would answer differently: its target may be a
//! nickname or a room name taken as given, anyone may query a room's modes or ban list, and the
//! operator check comes only after its changes parse. `INVITE` into a `+i` room needs an operator,
//! which the room's mode decides, after the target's checks.
//!
//! The default room belongs to no one: nobody becomes its operator by joining it, and only
//! server operators may be its operators — they alone may change its modes (lock it with `+i`,
//! `+k`, `+l` or `+b`), give themselves `+o` there and kick from it.

use super::{Audit, Broken, Handled, MAX_REASON_BYTES, Output, State, cut_at_char_boundary, table};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::{ChatError, ListedMask, Millis, Reply};
use crate::room::{self, MaskList, ModeChange, ModeError};

/// A mask list as told to whoever asked for it.
fn list_reply(room: &room::Room, list: MaskList) -> Reply {
    let (name, masks) = (room.name.clone(), room.masks(list).clone());
    match list {
        MaskList::Bans => Reply::BanList { room: name, masks },
        MaskList::Exceptions => Reply::ExceptList { room: name, masks },
        MaskList::InviteExceptions => Reply::InviteExceptList { room: name, masks },
    }
}

impl State {
    /// `MODE`: room modes are shown to anyone and changed by room operators; a user's own modes
    /// are theirs (`whowas::user_modes`).
    pub(super) fn mode(
        &mut self,
        id: ClientId,
        target: String,
        changes: Vec<String>,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        // Netcat's `/mode` without a room means the current one.
        let target = if target.is_empty() {
            match self.current_room(id) {
                Ok(key) => self.room(key)?.name.to_string(),
                Err(error) => {
                    out.error(id, error);
                    return Ok(());
                }
            }
        } else {
            target
        };
        if !target.starts_with('#') {
            let me = self.person(id)?;
            if Folded::of(&target) != me.nick.folded() {
                out.error(id, ChatError::UsersDontMatch);
                return Ok(());
            }
            return self.user_modes(id, &changes, out);
        }
        let key = Folded::of(&target);
        let Some(room) = self.rooms.get(&key) else {
            out.error(id, ChatError::NoSuchRoom(target));
            return Ok(());
        };
        if changes.is_empty() {
            let (modes, params) = room.modes.describe(room.members.contains(&id));
            out.tell(id, Reply::RoomModes { room: room.name.clone(), modes, params, created: room.created });
            return Ok(());
        }
        let parsed = match room::parse_changes(&changes) {
            Ok(parsed) => parsed,
            Err(ModeError::Unknown(mode)) => {
                out.error(id, ChatError::UnknownMode(mode));
                return Ok(());
            }
            Err(ModeError::NeedsParameter(mode)) => {
                out.error(id, ChatError::ModeNeedsParameter(mode));
                return Ok(());
            }
            Err(ModeError::Invalid { mode, param, why }) => {
                let target = room.name.to_string();
                out.error(id, ChatError::InvalidModeParam { target, mode, param, why });
                return Ok(());
            }
        };
        if parsed.iter().all(|c| matches!(c, ModeChange::ShowList(_))) {
            for change in parsed {
                if let ModeChange::ShowList(list) = change {
                    out.tell(id, list_reply(room, list));
                }
            }
            return Ok(());
        }
        if !self.may_change_modes(id, &key) {
            out.error(id, ChatError::NotRoomOperator(room.name.clone()));
            return Ok(());
        }
        let mut applied = String::new();
        let mut params = Vec::new();
        // The log gets the same, but never a room key.
        let mut logged_params = Vec::new();
        let mut sign = None;
        for change in parsed {
            let Some((set, letter, param)) = self.apply_mode(id, &key, change, now, out)? else { continue };
            if sign != Some(set) {
                applied.push(if set { '+' } else { '-' });
                sign = Some(set);
            }
            applied.push(letter);
            if let Some(param) = param {
                logged_params.push(if letter == 'k' { "*".to_string() } else { param.clone() });
                params.push(param);
            }
        }
        if applied.is_empty() {
            return Ok(());
        }
        let me = self.person(id)?;
        let Some(room) = self.rooms.get(&key) else { return Ok(()) };
        let logged =
            std::iter::once(applied.as_str()).chain(logged_params.iter().map(String::as_str)).collect::<Vec<_>>();
        out.audit.push(Audit::Modes { id, nick: me.nick.clone(), room: room.name.clone(), changes: logged.join(" ") });
        out.tell_many(
            room.members.clone(),
            Reply::ModesChanged { room: room.name.clone(), by: me, changes: applied, params },
        );
        Ok(())
    }

    /// A room operator may change a room's modes; in the default room, which belongs to no one,
    /// only a server operator may.
    fn may_change_modes(&self, id: ClientId, key: &Folded) -> bool {
        if *key == self.settings.default_room.folded() {
            return self.members.get(&id).is_some_and(|m| m.oper);
        }
        self.rooms.get(key).is_some_and(|room| room.is_op(id))
    }

    /// Applies one change; returns what to announce (sign, letter, parameter), or `None` when
    /// nothing changed or the change was refused (with the error told).
    fn apply_mode(
        &mut self,
        id: ClientId,
        key: &Folded,
        change: ModeChange,
        now: Millis,
        out: &mut Output,
    ) -> Result<Option<(bool, char, Option<String>)>, Broken> {
        let target_in_room = |state: &State, nick: &str| -> Result<ClientId, ChatError> {
            let Some(room) = state.rooms.get(key).map(|r| r.name.clone()) else {
                return Err(ChatError::NoSuchNick(nick.to_string()));
            };
            let &target = state.nicks.get(&Folded::of(nick)).ok_or_else(|| ChatError::NoSuchNick(nick.to_string()))?;
            if state.is_member(target, key) {
                Ok(target)
            } else {
                Err(ChatError::UserNotInRoom { nick: nick.to_string(), room })
            }
        };
        let status = |state: &State, nick: &str, out: &mut Output| match target_in_room(state, nick) {
            Ok(target) => Ok(Some((target, state.person(target)?.nick.to_string()))),
            Err(error) => {
                out.error(id, error);
                Ok(None)
            }
        };
        let announced = match change {
            ModeChange::Op { set, nick } => {
                let Some((target, nick)) = status(self, &nick, out)? else { return Ok(None) };
                let lobby = *key == self.settings.default_room.folded();
                if set && lobby && !self.members.get(&target).is_some_and(|m| m.oper) {
                    let room = self.room(key)?.name.to_string();
                    let why = "only server operators may be operators of the default room".to_string();
                    out.error(id, ChatError::InvalidModeParam { target: room, mode: 'o', param: nick, why });
                    return Ok(None);
                }
                let room = self.room_mut(key)?;
                let changed = if set { room.ops.insert(target) } else { room.ops.remove(&target) };
                changed.then_some((set, 'o', Some(nick)))
            }
            ModeChange::Voice { set, nick } => {
                let Some((target, nick)) = status(self, &nick, out)? else { return Ok(None) };
                let room = self.room_mut(key)?;
                let changed = if set { room.voiced.insert(target) } else { room.voiced.remove(&target) };
                changed.then_some((set, 'v', Some(nick)))
            }
            ModeChange::Flag { set, mode } => {
                let room = self.room_mut(key)?;
                let flag = match mode {
                    'n' => &mut room.modes.no_external,
                    't' => &mut room.modes.topic_ops_only,
                    'i' => &mut room.modes.invite_only,
                    's' => &mut room.modes.secret,
                    'p' => &mut room.modes.private,
                    _ => &mut room.modes.moderated,
                };
                (*flag != set).then(|| {
                    *flag = set;
                    (set, mode, None)
                })
            }
            // The key's form was checked by `room::parse_changes`.
            ModeChange::Key { set: true, key: new } => {
                let room = self.room_mut(key)?;
                room.modes.key = Some(new.clone());
                Some((true, 'k', Some(new)))
            }
            ModeChange::Key { set: false, .. } => {
                let room = self.room_mut(key)?;
                room.modes.key.take().map(|_| (false, 'k', Some("*".to_string())))
            }
            ModeChange::Limit(limit) => {
                let room = self.room_mut(key)?;
                if room.modes.limit == limit {
                    return Ok(None);
                }
                room.modes.limit = limit;
                Some((limit.is_some(), 'l', limit.map(|l| l.to_string())))
            }
            ModeChange::Mask { list, set, mask } => {
                let set_by = self.person(id)?.prefix();
                let masks = self.room_mut(key)?.masks_mut(list);
                let present = masks.iter().position(|listed| listed.mask.eq_ignore_ascii_case(&mask));
                match (set, present) {
                    (true, None) if masks.len() < room::MAX_BANS => {
                        masks.push(ListedMask { mask: mask.clone(), set_by, at: now });
                    }
                    (false, Some(at)) => {
                        masks.remove(at);
                    }
                    _ => return Ok(None),
                }
                Some((set, list.letter(), Some(mask)))
            }
            ModeChange::ShowList(list) => {
                out.tell(id, list_reply(self.room(key)?, list));
                None
            }
        };
        Ok(announced)
    }

    /// `KICK` from room `key`, where the command table found `id` a room operator.
    pub(super) fn kick(
        &mut self,
        id: ClientId,
        key: &Folded,
        nick: &str,
        reason: Option<String>,
        out: &mut Output,
    ) -> Handled {
        let name = self.room(key)?.name.clone();
        let target = self.nicks.get(&Folded::of(nick)).copied().filter(|&t| self.is_member(t, key));
        let Some(target) = target else {
            out.error(id, ChatError::UserNotInRoom { nick: nick.to_string(), room: name });
            return Ok(());
        };
        let me = self.person(id)?;
        let kicked = self.person(target)?.nick.clone();
        let mut reason = reason.unwrap_or_else(|| me.nick.to_string());
        cut_at_char_boundary(&mut reason, MAX_REASON_BYTES);
        let everyone = self.room(key)?.members.clone();
        out.audit.push(Audit::Kicked { id, by: me.nick.clone(), nick: kicked.clone(), room: name.clone() });
        out.tell_many(everyone, Reply::Kicked { room: name, by: me, nick: kicked, reason });
        self.leave_room(target, key);
        Ok(())
    }

    /// `KICK` with several nicknames: each kicked in turn, each error told on its own. Every
    /// kick after the first checks again that the room is there and `id` still runs it (it may
    /// have kicked itself).
    pub(super) fn kick_many(
        &mut self,
        id: ClientId,
        key: &Folded,
        nicks: &[String],
        reason: Option<String>,
        out: &mut Output,
    ) -> Handled {
        for nick in nicks.iter().take(super::MAX_TARGETS) {
            let Some(room) = self.rooms.get(key) else { return Ok(()) };
            if !room.is_op(id) {
                out.error(id, ChatError::NotRoomOperator(room.name.clone()));
                return Ok(());
            }
            self.kick(id, key, nick, reason.clone(), out)?;
        }
        Ok(())
    }

    /// `KICK #a,#b x,y`: each (room, nickname) pair, at most `MAX_TARGETS`, checked as the
    /// command table checks a single `KICK` (the room, membership, operator) and answered on
    /// its own, so one refused pair does not stop the others.
    pub(super) fn kick_pairs(
        &mut self,
        id: ClientId,
        pairs: &[(String, String)],
        reason: Option<String>,
        out: &mut Output,
    ) -> Handled {
        for (room, nick) in pairs.iter().take(super::MAX_TARGETS) {
            let needs = table::Requirements {
                stage: table::Stage::Registered,
                server_operator: false,
                room: Some(table::RoomNeed { name: Some(room), access: table::Access::Operator }),
            };
            match self.check(id, true, &needs) {
                Ok(Some(key)) => self.kick(id, &key, nick, reason.clone(), out)?,
                Ok(None) => {}
                Err(table::Refusal::Told(error)) => out.error(id, error),
                Err(table::Refusal::Broken(broken)) => return Err(broken),
            }
        }
        Ok(())
    }

    /// `INVITE` into room `key`, which the command table found `id` in.
    pub(super) fn invite(&mut self, id: ClientId, nick: &str, key: &Folded, out: &mut Output) -> Handled {
        let Some(target) = self.nicks.get(&Folded::of(nick)).copied().filter(|&t| self.is_registered(t)) else {
            out.error(id, ChatError::NoSuchNick(nick.to_string()));
            return Ok(());
        };
        let me = self.person(id)?;
        let invited = self.person(target)?.nick.clone();
        let target_inside = self.is_member(target, key);
        let room = self.room_mut(key)?;
        if target_inside {
            out.error(id, ChatError::AlreadyInRoom { nick: invited.to_string(), room: room.name.clone() });
            return Ok(());
        }
        if room.modes.invite_only && !room.is_op(id) {
            out.error(id, ChatError::NotRoomOperator(room.name.clone()));
            return Ok(());
        }
        room.invited.insert(target);
        out.tell(id, Reply::Inviting { nick: invited.clone(), room: room.name.clone() });
        out.tell(target, Reply::Invited { by: me.clone(), room: room.name.clone() });
        // issue 14: ircv3
        self.notify_invite(&me, id, &invited, key, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! The command table: what each command requires of its sender — registration, a room that
//! exists, membership there, room operator status, server operator status — declared once per
//! `Command` variant (`requirements`) and checked once (`State::check`) before its handler runs,
//! in the manner of ngIRCd's `_CMD(name, func, type, min, max)` and Ergo's `usablePreReg`.
//!
//! Argument counts are not here: each dialect's parser refuses a command without its arguments.
//!
//! The checks run in one fixed order, and give the same errors the handlers gave when each
//! checked for itself: registration (`NickRequired`, or `AlreadyRegistered` for `PASS`/`USER`),
//! then server operator (`NotServerOperator`), then the room: resolved from its name or the
//! current room (`RoomInvalid`, `NoSuchRoom`, `NoCurrentRoom`), membership (`NotInRoom`; for
//! reading a secret or private room, `Access::Visible`, only there), room operator
//! (`NotRoomOperator`).
//!
//! Some permissions stay with their handlers, because a generic check before the handler would
//! answer differently. Said there, in short:
//! - those a room's modes decide (`Room::may_speak` for `+n`/`+m`, the `+t` topic lock, `+i` for
//!   inviting), and those that come after the command's own argument checks (`MODE`'s operator
//!   check follows the parse of its changes; `INVITE`'s `+i` check follows its target checks);
//! - commands with several targets (`PRIVMSG`, `JOIN`, `PART` lists), checked and answered one
//!   target at a time;
//! - a netcat line: an empty one is ignored before the current room is looked for; `PART`: a
//!   reason too long is refused before the room, and a room not found is "not in room";
//! - `MODE`'s target: a nickname or a room name taken as given (no name check);
//! - before registration, which commands each dialect registers with (`registration`).

use super::{Broken, State};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::{ChatError, Command};

/// When in a connection's life a command may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Only before registration (`PASS`, `USER`); afterwards: `AlreadyRegistered`.
    Unregistered,
    /// Before and after; before registration the registration handler decides what it means.
    Either,
    /// Only once registered; before: `NickRequired`.
    Registered,
}

/// What the sender needs in the room a command acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The room must exist.
    Exists,
    /// The room must exist, and a secret or private one (`+s`, `+p`) have the sender in it: what
    /// such a room shows only its members.
    Visible,
    /// The sender must be in it.
    Member,
    /// The sender must be one of its operators.
    Operator,
}

/// The room a command acts on: the named one, or the sender's current room when `name` is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomNeed<'a> {
    pub name: Option<&'a str>,
    pub access: Access,
}

/// One command's entry in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirements<'a> {
    pub stage: Stage,
    pub server_operator: bool,
    pub room: Option<RoomNeed<'a>>,
}

const ANYTIME: Requirements<'static> = Requirements { stage: Stage::Either, server_operator: false, room: None };
const UNREGISTERED: Requirements<'static> = Requirements { stage: Stage::Unregistered, ..ANYTIME };
const REGISTERED: Requirements<'static> = Requirements { stage: Stage::Registered, ..ANYTIME };
const SERVER_OPERATOR: Requirements<'static> = Requirements { server_operator: true, ..REGISTERED };

impl Requirements<'_> {
    /// These requirements, plus `access` in the room `name` (or the current room).
    fn in_room(self, name: Option<&str>, access: Access) -> Requirements<'_> {
        Requirements { stage: self.stage, server_operator: self.server_operator, room: Some(RoomNeed { name, access }) }
    }
}

/// The table: one entry per `Command` variant (no wildcard, so a new command must say what it
/// needs). A comment names the checks its handler keeps, and why (see the module header).
pub fn requirements(command: &Command) -> Requirements<'_> {
    match command {
        // Before registration a netcat line is the nickname choice.
        Command::Say { .. } => ANYTIME, // room: an empty line is ignored before the room is looked for
        Command::Action { .. } => REGISTERED, // room: as `Say`, which it shares
        Command::Private { .. } => REGISTERED,
        Command::Message { .. } => REGISTERED, // rooms: per target
        Command::Away { .. } => REGISTERED,
        Command::Nick { .. } => ANYTIME,
        Command::Quit { .. } => ANYTIME,
        Command::Help { .. } => ANYTIME,
        Command::Cap { .. } => ANYTIME,
        Command::Pass { .. } => UNREGISTERED,
        Command::User { .. } => UNREGISTERED,
        Command::Ping { .. } => ANYTIME,
        Command::Pong => ANYTIME,
        Command::Join { .. } => REGISTERED,     // the room's doors: bans, +i, +k, +l
        Command::JoinMany { .. } => REGISTERED, // per room, as `Join`
        Command::Part { .. } => REGISTERED,     // reason length first; "not in room" for a missing room
        Command::PartMany { .. } => REGISTERED, // per room, as `Part`
        Command::PartAll => REGISTERED,
        // Anyone may read a public room's topic; changing it needs membership (and operator
        // status under +t).
        Command::Topic { room, change: None } => REGISTERED.in_room(room.as_deref(), Access::Visible),
        Command::Topic { room, change: Some(_) } => REGISTERED.in_room(room.as_deref(), Access::Member),
        Command::Mode { .. } => REGISTERED, // target and operator checked after parsing the changes
        Command::Kick { room, .. } => REGISTERED.in_room(room.as_deref(), Access::Operator),
        Command::Invite { room, .. } => REGISTERED.in_room(room.as_deref(), Access::Member), // +i: operator
        Command::Rooms | Command::List { .. } => REGISTERED,
        Command::Who { room } => REGISTERED.in_room(room.as_deref(), Access::Visible),
        Command::WhoMask { .. } => REGISTERED,
        Command::Users => REGISTERED,
        Command::Names { .. } => REGISTERED,
        Command::Whois { .. } => REGISTERED,
        Command::Ison { .. } => REGISTERED,
        Command::Userhost { .. } => REGISTERED,
        Command::History { room, .. } => REGISTERED.in_room(room.as_deref(), Access::Member),
        Command::Motd | Command::Lusers | Command::Version | Command::Time => REGISTERED,
        Command::Oper { .. } => REGISTERED,
        Command::Kill { .. } => SERVER_OPERATOR,
        // Before registration too: SASL, XMLSocket IDENTIFY, a password at the prompt. Each
        // account handler says what it needs (`chat::accounts`).
        Command::Account(_) => ANYTIME,
        // Answered by the IRC session; chat state never sees one.
        Command::Authenticate { .. } => ANYTIME,
        // issue 14: modes
        Command::KickMany { room, .. } => REGISTERED.in_room(room.as_deref(), Access::Operator), // per nick
        Command::KickPairs { .. } => REGISTERED, // per pair: the room, membership, operator (`kick_pairs`)
        Command::ChatHistory(_) => REGISTERED,   // target: members only, told as if it did not exist
        // issue 14: queries
        Command::Whowas { .. } | Command::Info | Command::Links { .. } => REGISTERED,
        Command::Wallops { .. } => SERVER_OPERATOR,
        // issue 14: ircv3
        // Unwrapped by the IRC session, or else by `State::apply`: never checked here.
        Command::Labeled { .. } => ANYTIME,
        Command::TagMsg { .. } => REGISTERED, // rooms: per target, as `Message`
        Command::SetName { .. } => REGISTERED,
    }
}

/// Why a command did not pass the table's checks.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The sender lacks something; it is told this error.
    Told(ChatError),
    Broken(Broken),
}

impl From<ChatError> for Refusal {
    fn from(error: ChatError) -> Refusal {
        Refusal::Told(error)
    }
}

impl From<Broken> for Refusal {
    fn from(broken: Broken) -> Refusal {
        Refusal::Broken(broken)
    }
}

impl State {
    /// Checks `needs` for `id` (registered or not) in the order the module header gives. Returns
    /// the room the command acts on, when its entry names one.
    pub(super) fn check(
        &self,
        id: ClientId,
        registered: bool,
        needs: &Requirements,
    ) -> Result<Option<Folded>, Refusal> {
        match (needs.stage, registered) {
            (Stage::Registered, false) => return Err(ChatError::NickRequired.into()),
            (Stage::Unregistered, true) => return Err(ChatError::AlreadyRegistered.into()),
            _ => {}
        }
        if needs.server_operator && !self.members.get(&id).is_some_and(|m| m.oper) {
            return Err(ChatError::NotServerOperator.into());
        }
        let Some(RoomNeed { name, access }) = needs.room else { return Ok(None) };
        let key = self.resolve_room(id, name)?;
        let room = self.room(&key)?;
        let member_needed = match access {
            Access::Exists => false,
            Access::Visible => !room.is_listed(),
            Access::Member | Access::Operator => true,
        };
        if member_needed && !self.is_member(id, &key) {
            return Err(ChatError::NotInRoom(room.name.clone()).into());
        }
        if access == Access::Operator && !room.is_op(id) {
            return Err(ChatError::NotRoomOperator(room.name.clone()).into());
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::protocol::{Reply, TopicChange};

    #[test]
    fn before_registration_only_registration_commands_pass() {
        let mut s = state();
        s.connect(ClientId(1), irc_client(), "127.0.0.1", 0, &mut Default::default());
        for command in [
            Command::Kill { nick: "x".into(), reason: "r".into() },
            Command::Kick { room: Some("#nope".into()), nick: "x".into(), reason: None },
            Command::Topic { room: Some("#lobby".into()), change: None },
            Command::Lusers,
        ] {
            let out = run(&mut s, 1, command);
            assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NickRequired)]);
        }
        let out = run(&mut s, 1, Command::Ping { token: "t".into() });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Pong { token: "t".into() }]);
    }

    #[test]
    fn pass_and_user_after_registration_are_refused() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        for command in
            [Command::Pass { password: "x".into() }, Command::User { user: "u".into(), realname: "R".into() }]
        {
            let out = run(&mut s, 1, command);
            assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::AlreadyRegistered)]);
        }
    }

    #[test]
    fn kill_needs_a_server_operator_before_anything_else() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let out = run(&mut s, 1, Command::Kill { nick: "nobody".into(), reason: "r".into() });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NotServerOperator)]);
        run(&mut s, 1, Command::Oper { name: "admin".into(), password: "pw".into() });
        let out = run(&mut s, 1, Command::Kill { nick: "nobody".into(), reason: "r".into() });
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NoSuchNick("nobody".into()))]);
    }

    #[test]
    fn room_checks_go_from_the_name_to_membership_to_operator() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        let kick = |room: &str| Command::Kick { room: Some(room.into()), nick: "bob".into(), reason: None };
        let out = run(&mut s, 1, kick("bad name"));
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Error(ChatError::RoomInvalid { .. })]));
        let out = run(&mut s, 1, kick("#nope"));
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NoSuchRoom("#nope".into()))]);
        let out = run(&mut s, 1, kick("#SIDE"));
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Error(ChatError::NotInRoom(r))] if r.as_str() == "#side"));
        run(&mut s, 1, Command::Join { room: "#side".into(), key: None });
        let out = run(&mut s, 1, kick("#side"));
        assert!(
            matches!(replies_to(&out, 1)[..], [Reply::Error(ChatError::NotRoomOperator(r))] if r.as_str() == "#side")
        );
        // Whoever opened the room runs it.
        let out = run(&mut s, 2, Command::Kick { room: None, nick: "alice".into(), reason: None });
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Kicked { .. }]));
    }

    #[test]
    fn reading_a_topic_needs_the_room_only_changing_it_membership() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 2, Command::Join { room: "#side".into(), key: None });
        let read = || Command::Topic { room: Some("#side".into()), change: None };
        assert_eq!(requirements(&read()).room.map(|r| r.access), Some(Access::Visible));
        let out = run(&mut s, 1, read());
        assert!(matches!(replies_to(&out, 1)[..], [Reply::TopicIs { .. }]));
        let out = run(&mut s, 1, Command::Topic { room: Some("#side".into()), change: Some(TopicChange::Clear) });
        assert!(matches!(replies_to(&out, 1)[..], [Reply::Error(ChatError::NotInRoom(_))]));
        // A secret or private room shows its topic and members to its members only.
        for mode in ["+s", "-s+p"] {
            run(&mut s, 2, Command::Mode { target: "#side".into(), changes: vec![mode.into()] });
            for command in [read(), Command::Who { room: Some("#side".into()) }] {
                let out = run(&mut s, 1, command.clone());
                assert!(
                    matches!(replies_to(&out, 1)[..], [Reply::Error(ChatError::NotInRoom(r))] if r.as_str() == "#side"),
                    "{mode} {command:?}: {:?}",
                    out.deliveries
                );
                let out = run(&mut s, 2, command);
                assert!(matches!(replies_to(&out, 2)[..], [Reply::TopicIs { .. } | Reply::Who { .. }]));
            }
        }
    }
}

//! Fixtures the chat unit tests share: a small state, registering clients, running commands and
//! reading what each client was told.

// What the tests name most, so each test module needs only `testing::*` and `super::*`.
pub use super::{Output, Settings, State, To};
pub use crate::core::ids::ClientId;
pub use crate::core::names::{Nick, RoomName};
pub use crate::protocol::dialect::{Dialect as _, Profile};
pub use crate::protocol::{Command, HistoryEntry, MessageKind, Person, QuitReason, Reply};
pub use crate::room::{self, HistoryLimits};
pub use std::sync::Arc;

/// A person's profile, as the netcat session reports it.
pub fn person() -> Profile {
    crate::protocol::dialects::FALLBACK.session().profile()
}

/// A fresh IRC client's profile, as the IRC session reports it (no capabilities negotiated).
pub fn irc_client() -> Profile {
    crate::protocol::irc::face::IRC.session().profile()
}

/// A state keeping two history lines per room, with one server operator (`admin`, `pw`).
pub fn state() -> State {
    state_with(HistoryLimits { lines: 2, room_bytes: 1 << 20, total_bytes: 1 << 26, replay_bytes: 1 << 16 })
}

pub fn state_with(history: HistoryLimits) -> State {
    let settings = Settings {
        server_name: "test".into(),
        server_description: "chatd".into(),
        default_room: RoomName::parse("#lobby").unwrap(),
        history,
        audit_messages: false,
        opers: vec![("admin".into(), "pw".into())],
        crowd_size: 0,
        crowd_interval: 60_000,
        registration_open: true,
        min_password: crate::protocol::account::MIN_PASSWORD_BYTES,
        guest_grace: 60_000,
        history_linger: 0,
    };
    State::new(settings, 0)
}

pub fn run(state: &mut State, id: u64, command: Command) -> Output {
    let mut out = Output::default();
    state.apply(ClientId(id), command, 0, &mut out);
    out
}

pub fn replies_to(out: &Output, id: u64) -> Vec<&Reply> {
    let id = ClientId(id);
    out.deliveries
        .iter()
        .filter(|o| match &o.to {
            To::One(one) => *one == id,
            To::Many(many) => many.contains(&id),
        })
        .map(|o| &o.reply)
        .collect()
}

pub fn say(text: &str) -> Command {
    Command::Say { text: text.into() }
}

/// Registers netcat user `id` as `nick` (which joins the default room).
pub fn registered(state: &mut State, id: u64, nick: &str) {
    state.connect(ClientId(id), person(), "127.0.0.1", 0, &mut Output::default());
    run(state, id, say(nick));
    assert!(state.is_registered(ClientId(id)));
}

/// Registers IRC client `id` as `nick` (in no room).
pub fn irc_registered(state: &mut State, id: u64, nick: &str) {
    state.connect(ClientId(id), irc_client(), "127.0.0.1", 0, &mut Output::default());
    run(state, id, Command::Nick { nick: nick.into() });
    run(state, id, Command::User { user: "u".into(), realname: "R".into() });
    assert!(state.is_registered(ClientId(id)));
}

/// The texts of the first history replay `id` was sent, if any.
pub fn replayed(out: &Output, id: u64) -> Vec<String> {
    replies_to(out, id)
        .into_iter()
        .find_map(|r| match r {
            Reply::History { entries, .. } => Some(entries.iter().map(|e| e.text.to_string()).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

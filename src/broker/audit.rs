//! The operator log's lines for what chat state reports (`chat::Audit`): one line per event,
//! key=value fields, no message text unless the operator asked for it.

use super::Broker;
use crate::chat::Audit;

impl Broker {
    pub(super) fn log_audit(&self, audit: Audit) {
        let log = &self.log;
        match audit {
            Audit::Registered { id, nick, dialect } => {
                log.info("nick", &[("client", &id), ("nick", &nick), ("dialect", &dialect)])
            }
            Audit::NickChanged { id, old, new } => log.info("nick", &[("client", &id), ("old", &old), ("new", &new)]),
            Audit::Joined { id, nick, room, members, created } => log.info(
                "join",
                &[("client", &id), ("nick", &nick), ("room", &room), ("members", &members), ("created", &created)],
            ),
            Audit::Parted { id, nick, room, members, removed } => log.info(
                "part",
                &[("client", &id), ("nick", &nick), ("room", &room), ("members", &members), ("removed", &removed)],
            ),
            Audit::TopicChanged { id, nick, room } => {
                log.info("topic", &[("client", &id), ("nick", &nick), ("room", &room)])
            }
            Audit::Private { id, from, to } => log.info("private", &[("client", &id), ("from", &from), ("to", &to)]),
            Audit::Kicked { id, by, nick, room } => {
                log.info("kick", &[("client", &id), ("by", &by), ("nick", &nick), ("room", &room)])
            }
            Audit::Modes { id, nick, room, changes } => {
                log.info("mode", &[("client", &id), ("nick", &nick), ("room", &room), ("changes", &changes)])
            }
            Audit::Oper { id, nick, name, ok: true } => {
                log.info("oper", &[("client", &id), ("nick", &nick), ("name", &name)])
            }
            Audit::Oper { id, nick, name, ok: false } => {
                log.warn("oper_failed", &[("client", &id), ("nick", &nick), ("name", &name)])
            }
            Audit::Message { id, from, target, text } => {
                if self.settings.log_messages {
                    log.info("message", &[("client", &id), ("from", &from), ("to", &target), ("text", &text)]);
                }
            }
            // A bug in chat state: that one command stopped short, the server goes on.
            Audit::LoggedIn { id, account, via } => {
                log.info("login", &[("client", &id), ("account", &account), ("via", &via_token(via))])
            }
            Audit::LoginFailed { .. } => {} // logged with the peer's address by `accounts`
            Audit::AccountRegistered { id, account } => {
                log.info("account_registered", &[("client", &id), ("account", &account)])
            }
            Audit::AccountDeleted { id, account } => {
                log.info("account_deleted", &[("client", &id), ("account", &account)])
            }
            Audit::PasswordChanged { id, account } => {
                log.info("password_changed", &[("client", &id), ("account", &account)])
            }
            Audit::GuestRenamed { id, from, to } => {
                log.info("guest_renamed", &[("client", &id), ("old", &from), ("new", &to)])
            }
            Audit::InvariantBroken { id, what } => log.error("invariant_broken", &[("client", &id), ("what", &what)]),
        }
    }
}

/// How a login was made, for the log.
fn via_token(via: crate::protocol::LoginVia) -> &'static str {
    match via {
        crate::protocol::LoginVia::Command => "command",
        crate::protocol::LoginVia::Sasl => "sasl",
        crate::protocol::LoginVia::Pass => "pass",
    }
}

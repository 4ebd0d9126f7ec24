//! Account replies as IRC lines: the IRCv3 SASL numerics (900–908), and for everything else
//! notices from `NickServ` (`nickserv::PREFIX`), as clients without SASL expect from the
//! service they talk to.

use super::*;
use crate::protocol::irc::caps::SASL_MECHANISMS;
use crate::protocol::irc::nickserv::{self, COMMANDS};
use crate::protocol::{AccountFailure, AccountReply, LoginVia, SaslReply};

impl Out<'_, '_> {
    /// A notice from NickServ to the recipient, split over lines if it must be.
    fn nickserv(&mut self, text: &str) {
        let nick = self.view.nick;
        let text = for_irc(text);
        for piece in split_text(&text, text_budget(nickserv::PREFIX, "NOTICE", nick).max(1)) {
            write_line(self.out, Some(nickserv::PREFIX), "NOTICE", &[nick, piece]);
        }
    }

    /// The recipient as 900 and 901 show it: its nickname now (it may have none yet, before
    /// registration: `*`) with the user and host it connected with.
    fn own_mask(&self, person: &Person) -> String {
        let or_star = |part: &str| if part.is_empty() { "*".to_string() } else { part.to_string() };
        format!("{}!{}@{}", self.view.nick, or_star(&person.user), or_star(&person.host))
    }

    pub(super) fn sasl(&mut self, step: SaslReply) {
        match step {
            // No prefix: the form every server sends and every client expects.
            SaslReply::Continue => write_line(self.out, None, "AUTHENTICATE", &["+"]),
            SaslReply::Mechanisms => {
                self.numeric(RPL_SASLMECHS, &[SASL_MECHANISMS, "are available SASL mechanisms"]);
                self.numeric(ERR_SASLFAIL, &["SASL authentication failed"]);
            }
            SaslReply::Aborted => self.numeric(ERR_SASLABORTED, &["SASL authentication aborted"]),
            SaslReply::TooLong => self.numeric(ERR_SASLTOOLONG, &["SASL message too long"]),
            SaslReply::Failed => self.numeric(ERR_SASLFAIL, &["SASL authentication failed"]),
            SaslReply::AlreadyAuthenticated => {
                self.numeric(ERR_SASLALREADY, &["You have already authenticated using SASL"])
            }
        }
    }

    pub(super) fn account(&mut self, reply: &AccountReply) {
        match reply {
            AccountReply::LoggedIn { account, person, via } => {
                let mask = self.own_mask(person);
                self.numeric(RPL_LOGGEDIN, &[&mask, account, &format!("You are now logged in as {account}")]);
                match via {
                    LoginVia::Sasl => self.numeric(RPL_SASLSUCCESS, &["SASL authentication successful"]),
                    LoginVia::Command => self.nickserv(&format!("You are now identified for {account}.")),
                    // `PASS account:password` at registration: 900 says it all.
                    LoginVia::Pass => {}
                }
            }
            AccountReply::LoggedOut { person } => {
                let mask = self.own_mask(person);
                self.numeric(RPL_LOGGEDOUT, &[&mask, "You are now logged out"]);
            }
            AccountReply::Failed { failure: AccountFailure::AlreadyLoggedIn(_), via: LoginVia::Sasl } => {
                self.sasl(SaslReply::AlreadyAuthenticated)
            }
            AccountReply::Failed { via: LoginVia::Sasl, .. } => self.sasl(SaslReply::Failed),
            // `PASS` is also how clients send a server password (for a bouncer, say); chatd has
            // none, so a `PASS` that names no account is ignored, as it always was. (A
            // nickname the client takes that is registered is told of anyway: `NickOwned`.)
            AccountReply::Failed { failure: AccountFailure::NoSuchAccount(_), via: LoginVia::Pass } => {}
            AccountReply::Failed { failure, .. } => self.nickserv(&failure.to_string()),
            AccountReply::PasswordPrompt { nick, .. } => {
                self.nickserv(&format!("{nick} is registered. Identify with /msg NickServ IDENTIFY <password>."))
            }
            AccountReply::Registered { account } => {
                self.nickserv(&format!("Account {account} registered: the nickname {account} is yours."))
            }
            AccountReply::PasswordChanged { account } => {
                self.nickserv(&format!("The password of {account} was changed."))
            }
            AccountReply::Unregistered { account } => {
                self.nickserv(&format!("Account {account} dropped: the nickname {account} is free for anyone."))
            }
            AccountReply::NickOwned { grace_secs, .. } => self.nickserv(&format!(
                "This nickname is registered. Identify with /msg NickServ IDENTIFY <password> within \
                 {grace_secs} seconds, or you will be renamed."
            )),
            AccountReply::Renamed { from } => {
                self.nickserv(&format!("{from} is registered to somebody else: you were renamed."))
            }
            AccountReply::Info { account, registered, online, disabled } => {
                let status = match (disabled, online) {
                    (true, _) => "disabled",
                    (false, true) => "online",
                    (false, false) => "offline",
                };
                let since = crate::core::time::utc_date_time(*registered);
                self.nickserv(&format!("Information on {account}:"));
                self.nickserv(&format!("Registered: {since} UTC"));
                self.nickserv(&format!("Status: {status}"));
            }
            AccountReply::Help { topic: None } => {
                self.nickserv("NickServ keeps registered nicknames for their owners. Commands:");
                for command in COMMANDS {
                    self.nickserv(&format!("{:<9} {:<24} {}", command.name, command.arguments, command.summary));
                }
                self.nickserv("Send them with /msg NickServ COMMAND ... (or /ns COMMAND ...).");
            }
            AccountReply::Help { topic: Some(topic) } => match nickserv::command(topic) {
                Some(command) => {
                    self.nickserv(&format!("Usage: /msg NickServ {} {}", command.name, command.arguments));
                    self.nickserv(command.summary);
                    if !command.aliases.is_empty() {
                        self.nickserv(&format!("Also known as: {}", command.aliases.join(", ")));
                    }
                }
                None => self.nickserv(&format!("No such command: {topic}. /msg NickServ HELP lists them.")),
            },
        }
    }
}

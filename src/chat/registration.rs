//! Registration and a connection's life in chat state: a new connection (`connect`), choosing
//! and changing a nickname, `USER` completing registration (and the session letting it go on:
//! `set_profile`), and leaving (`remove`). Before registration, what counts depends on the
//! client's `Profile` (a prompted person's plain line is the nickname; otherwise `NICK`, `USER`,
//! `PASS`, `PING`, `PONG`): that choice is made here, not in the command table, which only lets
//! the registration commands through.
//!
//! A nickname is claimed in `nicks` as soon as it is chosen, registered or not, so no two clients
//! can hold one; it is freed when its holder changes it or leaves.

use super::{Audit, Broken, Effect, MAX_REASON_BYTES, MAX_USER_CHARS, Member, Output, State, cut_at_char_boundary};
use crate::core::ids::ClientId;
use crate::core::names::Nick;
use crate::protocol::account::is_reserved_nick;
use crate::protocol::dialect::Profile;
use crate::protocol::{AccountCommand, ChatError, Command, LoginVia, Millis, ParseError, Person, QuitReason, Reply};
use std::sync::Arc;

/// Whether an IRC parse error before registration is answered as it is (true) or with 451.
/// Kept: errors in the registration commands (`CAP`, `PASS`, `NICK`, `USER`, `PING`, `PONG`,
/// `QUIT`; `NoNicknameGiven` is `NICK`'s), unknown commands (421, as after registration),
/// overlong lines (417) and lines that are not UTF-8 (`FAIL`), which are no command at all.
fn allowed_before_registration(error: &ParseError) -> bool {
    match error {
        ParseError::Usage(command) => {
            matches!(*command, "CAP" | "PASS" | "NICK" | "USER" | "PING" | "PONG" | "QUIT")
        }
        ParseError::NoNicknameGiven | ParseError::UnknownCommand(_) | ParseError::LineTooLong { .. } => true,
        // issue 14: modes. A line that is not UTF-8 is refused whole, whatever its command.
        ParseError::InvalidUtf8 { .. } => true,
        ParseError::NoRecipient(_) | ParseError::NoTextToSend => false,
    }
}

/// A quit reason, cut at `MAX_REASON_BYTES` (the client is leaving, so it cannot be asked again).
pub(super) fn quit_reason(reason: Option<String>) -> QuitReason {
    QuitReason::Quit(reason.map(|mut text| {
        cut_at_char_boundary(&mut text, MAX_REASON_BYTES);
        text
    }))
}

/// An IRC username as shown in prefixes: `~` (no ident check) and at most 10 safe characters.
fn username(given: &str) -> String {
    let clean: String = given
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(MAX_USER_CHARS)
        .collect();
    if clean.is_empty() { "~user".to_string() } else { format!("~{clean}") }
}

/// A host as shown in prefixes: IPv6 addresses starting with `:` would end the prefix early.
pub fn display_host(ip: &str) -> String {
    if ip.starts_with(':') { format!("0{ip}") } else { ip.to_string() }
}

impl State {
    /// A new connection whose dialect is known: people (`Profile::prompted`) are greeted and
    /// asked for a nickname; IRC clients speak first. Called again for a connection taken for a
    /// person that turned out to speak another dialect: it starts over, unregistered, with
    /// nothing kept from before. A registered member keeps its profile: the call does nothing.
    pub fn connect(&mut self, id: ClientId, profile: Profile, host: &str, now: Millis, out: &mut Output) {
        if let Some(earlier) = self.members.get(&id) {
            if earlier.person.is_some() {
                return;
            }
            if let Some(nick) = &earlier.nick
                && self.nicks.get(&nick.folded()) == Some(&id)
            {
                self.nicks.remove(&nick.folded());
            }
        }
        let member = Member {
            profile,
            host: display_host(host),
            nick: None,
            user: None,
            realname: String::new(),
            person: None,
            rooms: Vec::new(),
            current: None,
            away: None,
            oper: false,
            signon: now,
            last_spoke: now,
            account: None,
            prompt: None,
            pass: None,
            nick_deadline: None,
            wallops: false,
            invisible: true,
        };
        self.members.insert(id, member);
        if profile.prompted {
            out.tell(
                id,
                Reply::Greeting { server: self.settings.server_name.clone(), version: env!("CARGO_PKG_VERSION") },
            );
            out.tell(id, Reply::NickPrompt { reminder: false });
        }
    }

    /// The client's session changed its choices (IRC: capabilities negotiated, `CAP END`):
    /// chat state follows, and registration completes if it was only waiting for the session.
    pub fn set_profile(&mut self, id: ClientId, profile: Profile, now: Millis, out: &mut Output) {
        let Some(member) = self.members.get_mut(&id) else { return };
        member.profile = profile;
        if let Err(broken) = self.complete_registration(id, now, out) {
            out.audit.push(Audit::InvariantBroken { id, what: broken.0 });
        }
    }

    /// Reminds a silent, unregistered client to choose a nickname.
    pub fn remind(&self, id: ClientId, out: &mut Output) {
        out.tell(id, Reply::NickPrompt { reminder: true });
    }

    /// Tells `id` that its line could not be parsed. Before registration a client whose profile
    /// is strict (IRC) hears 451 (not registered) for any known command other than the
    /// registration ones, well formed or not: irssi sends `JOIN :` then, and 451 is what it gets
    /// for a well-formed `JOIN`.
    pub fn parse_error(&self, id: ClientId, error: ParseError, out: &mut Output) {
        let strict = self.members.get(&id).is_some_and(|m| m.person.is_none() && m.profile.strict_before_registration);
        if strict && !allowed_before_registration(&error) {
            out.error(id, ChatError::NickRequired);
        } else {
            out.error(id, ChatError::Parse(error));
        }
    }

    /// Before registration. A prompted person's plain line (or `/nick`) is the nickname choice,
    /// asked again when refused. Otherwise `NICK` and `USER` complete registration, once the
    /// session no longer holds it (IRC: `CAP END`). The command table let through only the
    /// commands usable before registration; any other still gets 451 here.
    pub(super) fn apply_unregistered(
        &mut self,
        id: ClientId,
        command: Command,
        now: Millis,
        out: &mut Output,
    ) -> Result<Effect, Broken> {
        let prompted = self.members.get(&id).is_some_and(|m| m.profile.prompted);
        match command {
            Command::Quit { reason } => return Ok(Effect::Close(quit_reason(reason))),
            Command::Help { command } => out.tell(id, Reply::Help { command }),
            // At the password prompt a plain line is the password.
            Command::Say { text } if prompted && self.password_line(id, &text, out) => {}
            Command::Say { text } | Command::Nick { nick: text } if prompted => {
                self.leave_prompt(id);
                // Only spaces are trimmed: any other blank is part of the name, and refused.
                let wanted = text.trim_matches(' ');
                match Nick::parse(wanted) {
                    // A registered nickname: its password is asked for first.
                    Ok(nick) if self.ask_password_for(id, &nick, out) => {}
                    _ => match self.claim_nick(id, wanted) {
                        Ok(()) => self.complete_registration(id, now, out)?,
                        Err(error) => {
                            out.error(id, error);
                            out.tell(id, Reply::NickPrompt { reminder: false });
                        }
                    },
                }
            }
            // A client that is not asked for passwords and does not register like IRC (a web
            // session) must log in before taking a registered nickname.
            Command::Nick { nick }
                if !self.members.get(&id).is_some_and(|m| m.profile.needs_user)
                    && Nick::parse(&nick).is_ok_and(|n| {
                        self.owner_of(&n.folded()).is_some()
                            && !self.members.get(&id).is_some_and(|m| self.may_use(m, &n.folded()))
                    }) =>
            {
                out.error(id, ChatError::NickRegistered(nick));
            }
            Command::Nick { nick } => match self.claim_nick(id, &nick) {
                Ok(()) => self.complete_registration(id, now, out)?,
                Err(error) => out.error(id, error),
            },
            Command::User { user, realname } => {
                if let Some(member) = self.members.get_mut(&id) {
                    member.user = Some(username(&user));
                    member.realname = realname;
                }
                self.complete_registration(id, now, out)?;
            }
            // `PASS account:password` (or a bare password, for the nickname's account): logs in
            // once registered. The last one given counts.
            Command::Pass { password } => {
                if let Some(member) = self.members.get_mut(&id) {
                    member.pass = Some(password);
                }
            }
            Command::Account(request) => self.account_command(id, request, now, out)?,
            Command::Pong => {}
            Command::Ping { token } => out.tell(id, Reply::Pong { token }),
            _ => out.error(id, ChatError::NickRequired),
        }
        Ok(Effect::Continue)
    }

    /// Claims a nickname for an unregistered client (replacing any it claimed before).
    fn claim_nick(&mut self, id: ClientId, wanted: &str) -> Result<(), ChatError> {
        let nick = self.check_nick(id, wanted)?;
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        if let Some(old) = member.nick.replace(nick.clone()) {
            self.nicks.remove(&old.folded());
        }
        self.nicks.insert(nick.folded(), id);
        Ok(())
    }

    fn check_nick(&self, id: ClientId, wanted: &str) -> Result<Nick, ChatError> {
        let nick = Nick::parse(wanted).map_err(|why| ChatError::NickInvalid { nick: wanted.to_string(), why })?;
        if is_reserved_nick(nick.as_str()) {
            return Err(ChatError::NickReserved(nick.to_string()));
        }
        match self.nicks.get(&nick.folded()) {
            Some(&owner) if owner != id => Err(ChatError::NickTaken(nick.to_string())),
            _ => Ok(nick),
        }
    }

    /// Registers `id` once everything its profile asks for is there.
    pub(super) fn complete_registration(&mut self, id: ClientId, now: Millis, out: &mut Output) -> Result<(), Broken> {
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        let ready = member.person.is_none()
            && member.nick.is_some()
            && (member.user.is_some() || !member.profile.needs_user)
            && !member.profile.registration_held;
        if !ready {
            return Ok(());
        }
        let Some(nick) = member.nick.clone() else { return Ok(()) };
        let user = member.user.clone().unwrap_or_else(|| username(nick.as_str()));
        if member.realname.is_empty() {
            member.realname = nick.to_string();
        }
        let person = Arc::new(Person {
            nick: nick.clone(),
            user,
            host: member.host.clone(),
            account: member.account.clone(),
            realname: Arc::from(member.realname.as_str()),
        });
        member.person = Some(Arc::clone(&person));
        member.signon = now;
        member.last_spoke = now;
        let profile = member.profile;
        let pass = member.pass.take();
        self.registered += 1;
        self.max_users = self.max_users.max(self.registered);
        out.audit.push(Audit::Registered { id, nick: nick.clone(), dialect: profile.dialect });
        out.tell(id, Reply::Welcome { person: Arc::clone(&person), counts: self.counts() });
        let hearers: Vec<ClientId> = self.presence.iter().copied().collect();
        out.tell_many(hearers, Reply::Online { who: person });
        if profile.hears_presence {
            self.presence.insert(id);
        }
        if profile.starts_in_default_room {
            let default_room = self.settings.default_room.to_string();
            self.join(id, &default_room, None, now, out)?;
        }
        match pass {
            // `PASS account:password`, or a bare password for the nickname's account.
            Some(pass) => {
                let (name, password) = match pass.split_once(':') {
                    Some((name, password)) => (Some(name.to_string()), password.to_string()),
                    None => (None, pass),
                };
                self.account_command(id, AccountCommand::Identify { name, password, via: LoginVia::Pass }, now, out)?;
                // No login started (no such account, ...): the nickname may be somebody's.
                if !out.jobs.iter().any(|job| job.id == id) {
                    self.warn_unless_owner(id, now, out);
                }
            }
            None => self.warn_unless_owner(id, now, out),
        }
        Ok(())
    }

    pub(super) fn change_nick(
        &mut self,
        id: ClientId,
        wanted: &str,
        now: Millis,
        out: &mut Output,
    ) -> Result<(), Broken> {
        let Some(member) = self.members.get(&id) else { return Ok(()) };
        let profile = member.profile;
        // A registered nickname: people are asked for its password; IRC clients may take it
        // but must identify in time; other clients must log in first.
        if let Ok(nick) = Nick::parse(wanted)
            && self.owner_of(&nick.folded()).is_some()
            && !self.may_use(member, &nick.folded())
            && !is_reserved_nick(nick.as_str())
        {
            if profile.prompted {
                self.ask_password_for(id, &nick, out);
                return Ok(());
            }
            if !profile.needs_user {
                out.error(id, ChatError::NickRegistered(nick.to_string()));
                return Ok(());
            }
        }
        let new = match self.check_nick(id, wanted) {
            Ok(nick) => nick,
            Err(error) => {
                out.error(id, error);
                return Ok(());
            }
        };
        self.rename(id, new, out)?;
        self.warn_unless_owner(id, now, out);
        Ok(())
    }

    /// Gives registered member `id` the nickname `new` (checked by the caller) and tells everyone
    /// who knows them.
    pub(super) fn rename(&mut self, id: ClientId, new: Nick, out: &mut Output) -> Result<(), Broken> {
        let old = self.person(id)?;
        if old.nick == new {
            // Nothing changes; say so rather than stay silent.
            out.tell(id, Reply::NickChanged { old, new, you: true });
            return Ok(());
        }
        self.nicks.remove(&old.nick.folded());
        self.nicks.insert(new.folded(), id);
        let renamed = Arc::new(Person { nick: new.clone(), ..(*old).clone() });
        self.departures.record(Arc::clone(&old), self.clock);
        if let Some(member) = self.members.get_mut(&id) {
            member.nick = Some(new.clone());
            member.person = Some(renamed);
        }
        out.audit.push(Audit::NickChanged { id, old: old.nick.clone(), new: new.clone() });
        let mut audience = self.nick_audience(id);
        audience.extend(self.presence.iter().copied().filter(|&m| m != id));
        audience.sort_unstable();
        audience.dedup();
        out.tell_many(audience, Reply::NickChanged { old: Arc::clone(&old), new: new.clone(), you: false });
        out.tell(id, Reply::NickChanged { old, new, you: true });
        Ok(())
    }

    /// Removes `id` entirely, telling everyone who shared a room with it. Returns its nickname,
    /// if it had one. Removing an id that is already gone does nothing.
    pub fn remove(&mut self, id: ClientId, reason: &QuitReason, out: &mut Output) -> Option<Nick> {
        let (peers, crowds) = self.quit_audience(id);
        let member = self.members.get(&id)?;
        let nick = member.nick.clone();
        let person = member.person.clone();
        for key in member.rooms.clone() {
            self.leave_room(id, &key);
        }
        for key in &crowds {
            if self.rooms.contains_key(key) {
                self.tally(key).record_leave();
            }
        }
        self.members.remove(&id);
        if let Some(nick) = &nick {
            self.nicks.remove(&nick.folded());
        }
        self.presence.remove(&id);
        if let Some(person) = person {
            // Leaving has no clock of its own: chat state's is the latest time it was told (the
            // command that quit, or the broker's last sweep), as for a lingering history.
            self.departures.record(Arc::clone(&person), self.clock);
            self.registered = self.registered.saturating_sub(1);
            let mut peers = peers;
            if !self.presence.is_empty() {
                peers.extend(self.presence.iter().copied());
                peers.sort_unstable();
                peers.dedup();
            }
            out.tell_many(peers, Reply::Quit { who: person, reason: reason.clone() });
        }
        nick
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn first_line_is_the_nickname_and_joins_the_default_room() {
        let mut s = state();
        s.connect(ClientId(1), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 1, say("alice"));
        let replies = replies_to(&out, 1);
        assert!(matches!(replies[0], Reply::Welcome { .. }));
        assert!(matches!(replies[1], Reply::YouJoined { room, .. } if room.as_str() == "#lobby"));
        assert_eq!(s.render_info(ClientId(1)).0, 1);
    }

    #[test]
    fn taken_nickname_is_refused_case_insensitively_and_prompted_again() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        s.connect(ClientId(2), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 2, say("ALICE"));
        let replies = replies_to(&out, 2);
        assert_eq!(replies[0], &Reply::Error(ChatError::NickTaken("ALICE".into())));
        assert_eq!(replies[1], &Reply::NickPrompt { reminder: false });
        assert!(!s.is_registered(ClientId(2)));
    }

    #[test]
    fn commands_before_registration_ask_for_a_nick() {
        let mut s = state();
        s.connect(ClientId(1), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 1, Command::Users);
        assert_eq!(replies_to(&out, 1), vec![&Reply::Error(ChatError::NickRequired)]);
    }

    #[test]
    fn a_netcat_newcomer_restarts_as_an_irc_client_but_a_registered_user_stays() {
        let mut s = state();
        s.connect(ClientId(1), person(), "127.0.0.1", 0, &mut Output::default());
        let out = run(&mut s, 1, say("nick alice"));
        assert!(matches!(replies_to(&out, 1)[0], Reply::Error(ChatError::NickInvalid { .. })));
        let mut out = Output::default();
        s.connect(ClientId(1), irc_client(), "127.0.0.1", 0, &mut out);
        assert!(out.deliveries.is_empty(), "an IRC client is not greeted: {:?}", out.deliveries);
        assert_eq!(s.counts().unregistered, 1);
        // IRC registration now: NICK alone does not register, USER completes it, no room joined.
        let out = run(&mut s, 1, Command::Nick { nick: "alice".into() });
        assert!(out.deliveries.is_empty() && !s.is_registered(ClientId(1)));
        let out = run(&mut s, 1, Command::User { user: "a".into(), realname: "A".into() });
        assert!(matches!(replies_to(&out, 1)[0], Reply::Welcome { .. }));
        assert_eq!(replies_to(&out, 1).len(), 1, "IRC clients join no room by themselves");
        assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alice");

        registered(&mut s, 2, "bob");
        s.connect(ClientId(2), irc_client(), "127.0.0.1", 0, &mut Output::default());
        assert!(s.is_registered(ClientId(2)));
        assert_eq!(s.render_info(ClientId(2)).0, 1, "bob is still in the default room");
    }

    #[test]
    fn an_unregistered_irc_client_hears_451_for_malformed_commands_other_than_registration() {
        let mut s = state();
        s.connect(ClientId(1), irc_client(), "127.0.0.1", 0, &mut Output::default());
        let answer = |s: &State, error: ParseError| {
            let mut out = Output::default();
            s.parse_error(ClientId(1), error, &mut out);
            out.deliveries.into_iter().map(|o| o.reply).collect::<Vec<_>>()
        };
        for error in [ParseError::Usage("JOIN"), ParseError::NoRecipient("PRIVMSG"), ParseError::NoTextToSend] {
            assert_eq!(answer(&s, error), vec![Reply::Error(ChatError::NickRequired)]);
        }
        for error in [
            ParseError::Usage("USER"),
            ParseError::Usage("PASS"),
            ParseError::NoNicknameGiven,
            ParseError::UnknownCommand("FOO".into()),
            ParseError::LineTooLong { limit: 512 },
        ] {
            assert_eq!(answer(&s, error.clone()), vec![Reply::Error(ChatError::Parse(error))]);
        }
        run(&mut s, 1, Command::Nick { nick: "bob".into() });
        run(&mut s, 1, Command::User { user: "b".into(), realname: "B".into() });
        assert!(s.is_registered(ClientId(1)));
        let error = ParseError::Usage("JOIN");
        assert_eq!(answer(&s, error.clone()), vec![Reply::Error(ChatError::Parse(error))]);
        // Netcat users keep their usage lines.
        s.connect(ClientId(2), person(), "127.0.0.1", 0, &mut Output::default());
        let mut out = Output::default();
        s.parse_error(ClientId(2), ParseError::Usage("join"), &mut out);
        assert_eq!(replies_to(&out, 2), vec![&Reply::Error(ChatError::Parse(ParseError::Usage("join")))]);
    }

    #[test]
    fn nick_change_tells_each_peer_once() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        run(&mut s, 1, Command::Join { room: "#x".into(), key: None });
        run(&mut s, 2, Command::Join { room: "#x".into(), key: None });
        let out = run(&mut s, 1, Command::Nick { nick: "alicia".into() });
        assert_eq!(replies_to(&out, 2).len(), 1);
        assert!(matches!(replies_to(&out, 1)[0], Reply::NickChanged { you: true, .. }));
        assert_eq!(s.nick(ClientId(1)).unwrap().as_str(), "alicia");
        // The old nick is free again.
        registered(&mut s, 3, "alice");
    }

    #[test]
    fn remove_frees_the_nick_and_tells_room_mates() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        registered(&mut s, 2, "bob");
        let mut out = Output::default();
        let nick = s.remove(ClientId(1), &QuitReason::ConnectionLost, &mut out);
        assert_eq!(nick.unwrap().as_str(), "alice");
        assert!(matches!(replies_to(&out, 2)[0], Reply::Quit { reason: QuitReason::ConnectionLost, .. }));
        assert!(s.remove(ClientId(1), &QuitReason::ConnectionLost, &mut Output::default()).is_none());
        registered(&mut s, 3, "alice");
    }

    #[test]
    fn quit_asks_the_broker_to_close() {
        let mut s = state();
        registered(&mut s, 1, "alice");
        let mut out = Output::default();
        let effect = s.apply(ClientId(1), Command::Quit { reason: Some("bye".into()) }, 0, &mut out);
        assert_eq!(effect, Effect::Close(QuitReason::Quit(Some("bye".into()))));
    }
}

//! A client's lines: each offered to its session, then to chat state, with the session told
//! when the line starts and ends so that it can frame its replies (IRC `labeled-response`).

use super::{Broker, base_view, now_millis, view};
use crate::chat::{Effect, Outgoing, To};
use crate::core::ids::ClientId;
use crate::protocol::dialect::Session;
use crate::protocol::{Command, ParseError};

impl Broker {
    /// One line from client `id` (a connection's, or a web session's): offered to its session
    /// first (IRC `CAP` is the session's), then to chat state. Its session is told when the line
    /// starts and ends (`Session::begin`, `end`), and everything the line caused is rendered in
    /// between, so that the session can frame the replies to it (IRC `labeled-response`).
    ///
    /// A line that starts account work (a password to check) is answered when that work is done:
    /// its session is told to `defer` the end, and the accounts' report `resume`s it
    /// (`Broker::account_report`), so that a labeled `AUTHENTICATE` gets its 900 and 903 labeled.
    /// The client's next lines are held meanwhile, so no other line begins in between.
    pub(super) fn apply_input(&mut self, id: ClientId, input: Result<Command, ParseError>) {
        let was_pending = self.accounts.pending_for(id);
        let input = match self.line_session(id) {
            Some(session) => session.begin(input),
            None => input,
        };
        self.handle_line(id, input);
        self.dispatch();
        if !was_pending && self.accounts.pending_for(id) {
            if let Some(session) = self.line_session(id) {
                session.defer();
            }
            self.accounts.deferred.insert(id);
            return;
        }
        self.end_line(id);
    }

    /// The session of client `id`: its connection's, or its web session's.
    pub(super) fn line_session(&mut self, id: ClientId) -> Option<&mut Box<dyn Session>> {
        match self.clients.get_mut(&id) {
            Some(client) => client.session.as_mut(),
            None => self.web.session_mut(id),
        }
    }

    /// The session of connection `id` has had all that its line caused: queues what it framed.
    pub(super) fn end_line(&mut self, id: ClientId) {
        let base = base_view(&self.settings);
        let (rooms, nick) = self.state.render_info(id);
        let Some(client) = self.clients.get_mut(&id) else {
            if let Some(session) = self.web.session_mut(id) {
                session.end(&base, &mut Vec::new());
            }
            return;
        };
        let Some(session) = client.session.as_deref_mut() else { return };
        let mut framed = Vec::new();
        session.end(&view(&base, nick, rooms, client.terminator), &mut framed);
        if framed.is_empty() || client.doomed {
            return;
        }
        if let Err(reason) = client.outbox.queue(&framed, self.settings.max_sendq) {
            return self.doom(id, reason);
        }
        if !client.queued {
            client.queued = true;
            self.dirty.push(id);
        }
    }

    /// One line, after its session took what is its own (`apply_input`).
    fn handle_line(&mut self, id: ClientId, input: Result<Command, ParseError>) {
        let command = match input {
            Ok(command) => command,
            Err(error) => return self.state.parse_error(id, error, &mut self.out),
        };
        let registered = self.state.is_registered(id);
        let mut replies = Vec::new();
        let command = match self.line_session(id) {
            Some(session) => match session.intercept(command, registered, &mut replies) {
                Some(command) => Ok(command),
                None => Err(session.profile()),
            },
            None => Ok(command),
        };
        match command {
            Ok(command) => {
                if let Effect::Close(reason) = self.state.apply(id, command, now_millis(), &mut self.out) {
                    self.doom(id, reason);
                }
            }
            Err(profile) => {
                let answers = replies.into_iter().map(|reply| Outgoing { to: To::One(id), reply });
                self.out.deliveries.extend(answers);
                self.state.set_profile(id, profile, now_millis(), &mut self.out);
            }
        }
    }
}

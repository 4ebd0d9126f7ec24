//! A client's lines: each offered to its session, then to chat state, with the session told
//! when the line starts and ends so that it can frame its replies (IRC `labeled-response`).

use super::{Broker, base_view, now_millis, view};
use crate::chat::{Effect, Outgoing, To};
use crate::core::ids::ClientId;
use crate::protocol::{Command, ParseError};

impl Broker {
    /// One line from client `id` (a connection's, or a web session's): offered to its session
    /// first (IRC `CAP` is the session's), then to chat state. Its session is told when the line
    /// starts and ends (`Session::begin`, `end`), and everything the line caused is rendered in
    /// between, so that the session can frame the replies to it (IRC `labeled-response`).
    pub(super) fn apply_input(&mut self, id: ClientId, input: Result<Command, ParseError>) {
        let session = match self.clients.get_mut(&id) {
            Some(client) => client.session.as_mut(),
            None => self.web.session_mut(id),
        };
        let input = match session {
            Some(session) => session.begin(input),
            None => input,
        };
        self.handle_line(id, input);
        self.dispatch();
        self.end_line(id);
    }

    /// The session of connection `id` has had all that its line caused: queues what it framed.
    fn end_line(&mut self, id: ClientId) {
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
        let session = match self.clients.get_mut(&id) {
            Some(client) => client.session.as_mut(),
            None => self.web.session_mut(id),
        };
        let command = match session {
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

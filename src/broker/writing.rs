//! Writing: after each batch of events every outbox that grew is written with one non-blocking
//! `send`; a socket that takes less is retried every few milliseconds (see the module header of
//! `broker`).

use super::outbox::Sent;
use super::{Broker, QuitReason};

impl Broker {
    /// Writes pending output and removes doomed clients until nothing more changes.
    pub(super) fn settle(&mut self) {
        loop {
            self.flush();
            if self.doomed.is_empty() {
                return;
            }
            for (id, reason) in std::mem::take(&mut self.doomed) {
                self.evict(id, reason);
            }
        }
    }

    /// One non-blocking write attempt for every client with new output or a full socket.
    pub(super) fn flush(&mut self) {
        let mut ids = std::mem::take(&mut self.dirty);
        // Taken off the blocked list, so no longer marked as on it: one still blocked is listed
        // again below. (Left marked, it was retried once and then forgotten until new output.)
        for id in self.blocked.drain(..) {
            if let Some(client) = self.clients.get_mut(&id) {
                client.blocked = false;
            }
            ids.push(id);
        }
        for id in ids.drain(..) {
            let Some(client) = self.clients.get_mut(&id) else { continue };
            client.queued = false;
            if client.doomed || client.outbox.is_empty() {
                client.blocked = false;
                if client.closing_by.is_some() && !client.doomed {
                    client.doomed = true;
                    self.doomed.push((id, client.closing_why()));
                }
                continue;
            }
            match client.outbox.send() {
                Ok(Sent::All) => {
                    client.blocked = false;
                    if client.closing_by.is_some() {
                        client.doomed = true;
                        self.doomed.push((id, client.closing_why()));
                    }
                }
                Ok(Sent::Blocked) => {
                    if !client.blocked {
                        client.blocked = true;
                        self.blocked.push(id);
                    }
                }
                Err(e) => {
                    client.doomed = true;
                    self.doomed.push((id, QuitReason::from_socket_error(&e)));
                }
            }
        }
        self.dirty = ids;
    }
}

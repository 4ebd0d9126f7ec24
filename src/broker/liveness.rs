//! The sweep: the registration deadline, the nickname reminder, IRC pings, and giving idle
//! clients' output buffers back.
//!
//! Invariants:
//! - The registration deadline counts from connect, not from the last line: a connection that
//!   keeps sending `PING` or invalid nicknames would otherwise hold its slot forever.
//! - Registered netcat clients are probed by the kernel (TCP keepalive, see `sys::tune_socket`):
//!   people never have to answer anything. Only registered IRC clients are pinged.
//! - The sweep only marks clients for removal (`doomed`); `Broker::settle` removes them.

use super::Broker;
use super::Settings;
use crate::chat::{self, To};
use crate::protocol::dialect::Profile;
use crate::protocol::{QuitReason, Reply};
use std::time::{Duration, Instant};

/// When one connection was last heard from, and what it has been asked to do about silence.
pub struct Liveness {
    /// When the acceptor took the connection; the registration deadline counts from here.
    connected: Instant,
    /// Last time the client sent a line; drives the registration reminder and IRC pings.
    last_seen: Instant,
    /// When an IRC client was sent a `PING` it has not yet answered (any line answers it).
    pinged: Option<Instant>,
    /// The unregistered client has been reminded to choose a nickname.
    reminded: bool,
}

/// What the sweep does about one connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Remind the unregistered client to choose a nickname (once).
    Remind,
    /// Send the IRC client a `PING`.
    Ping,
    Drop(QuitReason),
}

impl Liveness {
    pub fn new(connected: Instant) -> Liveness {
        Liveness { connected, last_seen: connected, pinged: None, reminded: false }
    }

    pub fn connected(&self) -> Instant {
        self.connected
    }

    /// The client sent a line: it is alive, and any line answers a `PING`.
    pub fn heard(&mut self, now: Instant) {
        self.last_seen = now;
        self.pinged = None;
    }

    /// The client's dialect was (re)decided: what it was asked so far no longer counts.
    pub fn restart(&mut self) {
        self.reminded = false;
        self.pinged = None;
    }

    /// Judges one connection at `now`. A `Remind` or `Ping` verdict is recorded as given.
    /// `profile`: the client's, once its dialect is known. People (`prompted`) are reminded to
    /// choose a nickname; registered clients that are `pinged` are probed when silent.
    pub fn check(&mut self, now: Instant, registered: bool, profile: Option<Profile>, settings: &Settings) -> Verdict {
        let interval = settings.ping_interval;
        let deadline = settings.register_timeout;
        // The reminder must come before the deadline, even when the deadline is short.
        let remind_after = interval.min(deadline / 2);
        let silent = now.saturating_duration_since(self.last_seen);
        let age = now.saturating_duration_since(self.connected);
        let (prompted, pinged) = profile.map_or((false, false), |p| (p.prompted, p.pinged));
        match (registered, prompted, pinged) {
            (false, ..) if age >= deadline => Verdict::Drop(QuitReason::RegistrationTimeout),
            (false, true, _) if silent >= remind_after && !self.reminded => {
                self.reminded = true;
                Verdict::Remind
            }
            (true, _, true) => match self.pinged {
                Some(at) if now.saturating_duration_since(at) >= settings.ping_timeout => {
                    Verdict::Drop(QuitReason::PingTimeout)
                }
                None if silent >= interval => {
                    self.pinged = Some(now);
                    Verdict::Ping
                }
                _ => Verdict::Keep,
            },
            _ => Verdict::Keep,
        }
    }
}

impl Broker {
    /// Reminds silent netcat newcomers to choose a nickname, drops connections still without one
    /// `--register-timeout` after they connected, and pings registered IRC clients that have been
    /// silent, dropping those that do not answer in time (see `Liveness::check`). Also frees the
    /// buffers of clients that got no output since the last sweep, summarises crowds, and
    /// reports the client count to systemd.
    pub(super) fn sweep(&mut self, now: Instant) {
        let mut remind = Vec::new();
        let mut ping = Vec::new();
        for (&id, client) in &mut self.clients {
            if client.doomed {
                continue;
            }
            client.outbox.free_if_idle();
            if client.input_ended.is_some_and(|by| now >= by) && client.closing_by.is_none() {
                client.doomed = true;
                self.doomed.push((id, QuitReason::ConnectionLost));
                continue;
            }
            if client.closing_by.is_some_and(|by| now >= by) {
                // An answer that would not leave in time: the connection goes without its tail.
                client.doomed = true;
                self.doomed.push((id, QuitReason::Answered));
                continue;
            }
            // A connection that is no chat client (HTTP) has nothing to register.
            let registered = self.state.is_registered(id) || client.session.as_ref().is_some_and(|s| !s.chat_client());
            let profile = client.session.as_ref().map(|s| s.profile());
            match client.liveness.check(now, registered, profile, &self.settings) {
                Verdict::Keep => {}
                Verdict::Remind => remind.push(id),
                Verdict::Ping => ping.push(id),
                Verdict::Drop(reason) => {
                    client.doomed = true;
                    self.doomed.push((id, reason));
                }
            }
        }
        for id in remind {
            self.state.remind(id, &mut self.out);
        }
        self.state.summarise_crowds(super::now_millis(), &mut self.out);
        self.state.rename_unidentified(super::now_millis(), &mut self.out);
        self.state.expire_histories(super::now_millis());
        self.sweep_web(now);
        if self.notifier.is_active() && self.reported_clients != Some(self.clients.len()) {
            let counts = self.state.counts();
            self.reported_clients = Some(self.clients.len());
            self.notifier.send(&format!(
                "STATUS={} clients, {} users in {} rooms",
                self.clients.len(),
                counts.users,
                counts.rooms
            ));
        }
        let token = self.settings.server_name.clone();
        for id in ping {
            self.out.deliveries.push(chat::Outgoing { to: To::One(id), reply: Reply::Ping { token: token.clone() } });
        }
        self.dispatch();
    }
}

/// For the log: a duration in whole seconds.
pub fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::dialect::Dialect as _;
    use crate::protocol::dialects::FALLBACK as NETCAT;
    use crate::protocol::irc::face::IRC;

    fn settings() -> Settings {
        Settings {
            server_name: "irc.test".into(),
            started: 0,
            max_sendq: 65_536,
            ping_interval: Duration::from_secs(60),
            ping_timeout: Duration::from_secs(30),
            register_timeout: Duration::from_secs(40),
            log_messages: false,
            web: Default::default(),
        }
    }

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn an_unregistered_netcat_client_is_reminded_once_then_dropped_at_the_deadline() {
        let settings = settings();
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        let netcat = Some(NETCAT.session().profile());
        // The reminder comes at half the deadline (before the ping interval, which is longer).
        assert_eq!(live.check(t0 + 19 * S, false, netcat, &settings), Verdict::Keep);
        assert_eq!(live.check(t0 + 20 * S, false, netcat, &settings), Verdict::Remind);
        assert_eq!(live.check(t0 + 21 * S, false, netcat, &settings), Verdict::Keep, "once");
        // Lines do not move the deadline: it counts from connect.
        live.heard(t0 + 39 * S);
        assert_eq!(live.check(t0 + 40 * S, false, netcat, &settings), Verdict::Drop(QuitReason::RegistrationTimeout));
    }

    #[test]
    fn a_client_not_yet_identified_is_only_held_to_the_deadline() {
        let settings = settings();
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        assert_eq!(live.check(t0 + 39 * S, false, None, &settings), Verdict::Keep);
        assert_eq!(live.check(t0 + 40 * S, false, None, &settings), Verdict::Drop(QuitReason::RegistrationTimeout));
    }

    #[test]
    fn a_silent_irc_client_is_pinged_and_dropped_if_it_does_not_answer() {
        let settings = settings();
        let t0 = Instant::now();
        let irc = Some(IRC.session().profile());
        let mut live = Liveness::new(t0);
        live.heard(t0 + 10 * S);
        assert_eq!(live.check(t0 + 69 * S, true, irc, &settings), Verdict::Keep);
        assert_eq!(live.check(t0 + 70 * S, true, irc, &settings), Verdict::Ping);
        assert_eq!(live.check(t0 + 99 * S, true, irc, &settings), Verdict::Keep, "one ping, then wait");
        assert_eq!(live.check(t0 + 100 * S, true, irc, &settings), Verdict::Drop(QuitReason::PingTimeout));
        // Any line answers the ping.
        let mut live = Liveness::new(t0);
        assert_eq!(live.check(t0 + 60 * S, true, irc, &settings), Verdict::Ping);
        live.heard(t0 + 61 * S);
        assert_eq!(live.check(t0 + 90 * S, true, irc, &settings), Verdict::Keep);
        assert_eq!(live.check(t0 + 121 * S, true, irc, &settings), Verdict::Ping);
    }

    #[test]
    fn a_registered_netcat_client_is_never_pinged_or_dropped_for_silence() {
        let settings = settings();
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        assert_eq!(live.check(t0 + 100_000 * S, true, Some(NETCAT.session().profile()), &settings), Verdict::Keep);
    }
}

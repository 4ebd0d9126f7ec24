//! IRC capability negotiation (IRCv3 `CAP`): what a client negotiated changes how its lines are
//! rendered. It belongs to the IRC dialect's session state; kept in its own file until it moves
//! there. Dialect checks stay with the caller: before registration only IRC clients reach `cap`.

use super::{Output, State};
use crate::core::ids::ClientId;
use crate::protocol::{ChatError, Reply};

/// IRCv3 capabilities a client negotiated; they change how its lines are rendered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// `server-time`: messages carry `@time=`, and room history is replayed on join.
    pub server_time: bool,
    /// `multi-prefix`: every status prefix in NAMES and WHO, not only the highest.
    pub multi_prefix: bool,
}

/// What `CAP LS` offers.
pub const OFFERED_CAPS: &str = "multi-prefix server-time";

impl State {
    /// Capability negotiation (IRCv3 CAP): `multi-prefix` and `server-time` are offered. While a
    /// client negotiates, registration waits for `CAP END`, as clients expect.
    pub(super) fn cap(&mut self, id: ClientId, sub: &str, arg: &str, out: &mut Output) {
        let registered = self.is_registered(id);
        let Some(member) = self.members.get_mut(&id) else { return };
        match sub {
            "LS" => {
                member.cap_negotiating = !registered;
                out.tell(id, Reply::Cap { sub: "LS", caps: OFFERED_CAPS.to_string() });
            }
            "LIST" => {
                let mut on = Vec::new();
                if member.caps.multi_prefix {
                    on.push("multi-prefix");
                }
                if member.caps.server_time {
                    on.push("server-time");
                }
                out.tell(id, Reply::Cap { sub: "LIST", caps: on.join(" ") });
            }
            "REQ" => {
                member.cap_negotiating = !registered;
                // All or nothing (IRCv3 capability negotiation): one unknown name refuses the lot.
                let mut caps = member.caps;
                let known = arg.split_whitespace().all(|name| {
                    let (on, name) = match name.strip_prefix('-') {
                        Some(name) => (false, name),
                        None => (true, name),
                    };
                    match name {
                        "multi-prefix" => caps.multi_prefix = on,
                        "server-time" => caps.server_time = on,
                        _ => return false,
                    }
                    true
                });
                if known {
                    member.caps = caps;
                }
                out.tell(id, Reply::Cap { sub: if known { "ACK" } else { "NAK" }, caps: arg.trim().to_string() });
            }
            "END" => member.cap_negotiating = false,
            _ => out.error(id, ChatError::InvalidCapCommand(sub.to_string())),
        }
    }
}

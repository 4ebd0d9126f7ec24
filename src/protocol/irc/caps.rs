//! IRCv3 capability negotiation (`CAP`): what a client negotiated changes which replies it gets
//! and how its lines are rendered. Per connection, kept by the IRC session (`face`), never by
//! chat state. While a client negotiates before registering, registration waits for `CAP END`.

use crate::protocol::{ChatError, Reply};

/// IRCv3 capabilities a client negotiated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// `server-time`: messages carry `@time=`, and room history is replayed on join.
    pub server_time: bool,
    /// `multi-prefix`: every status prefix in NAMES and WHO, not only the highest.
    pub multi_prefix: bool,
}

/// What `CAP LS` offers.
pub const OFFERED_CAPS: &str = "multi-prefix server-time";

/// One client's negotiation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Negotiation {
    pub caps: Caps,
    /// The client sent `CAP LS` or `CAP REQ` before registering: registration waits for `CAP END`.
    pub holding: bool,
}

impl Negotiation {
    /// Answers one `CAP` subcommand. `registered`: negotiation after registration never holds
    /// anything up.
    pub fn answer(&mut self, sub: &str, arg: &str, registered: bool, replies: &mut Vec<Reply>) {
        match sub {
            "LS" => {
                self.holding = !registered;
                replies.push(Reply::Cap { sub: "LS", caps: OFFERED_CAPS.to_string() });
            }
            "LIST" => {
                let mut on = Vec::new();
                if self.caps.multi_prefix {
                    on.push("multi-prefix");
                }
                if self.caps.server_time {
                    on.push("server-time");
                }
                replies.push(Reply::Cap { sub: "LIST", caps: on.join(" ") });
            }
            "REQ" => {
                self.holding = !registered;
                // All or nothing (IRCv3 capability negotiation): one unknown name refuses the lot.
                let mut caps = self.caps;
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
                    self.caps = caps;
                }
                replies.push(Reply::Cap { sub: if known { "ACK" } else { "NAK" }, caps: arg.trim().to_string() });
            }
            "END" => self.holding = false,
            _ => replies.push(Reply::Error(ChatError::InvalidCapCommand(sub.to_string()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(n: &mut Negotiation, sub: &str, arg: &str, registered: bool) -> Vec<Reply> {
        let mut replies = Vec::new();
        n.answer(sub, arg, registered, &mut replies);
        replies
    }

    #[test]
    fn negotiation_holds_registration_until_cap_end() {
        let mut n = Negotiation::default();
        assert_eq!(cap(&mut n, "LS", "302", false), vec![Reply::Cap { sub: "LS", caps: OFFERED_CAPS.into() }]);
        assert!(n.holding);
        assert_eq!(
            cap(&mut n, "REQ", "server-time", false),
            vec![Reply::Cap { sub: "ACK", caps: "server-time".into() }]
        );
        assert!(n.holding && n.caps.server_time && !n.caps.multi_prefix);
        assert!(cap(&mut n, "END", "", false).is_empty());
        assert!(!n.holding);
        // After registration nothing waits.
        cap(&mut n, "LS", "", true);
        assert!(!n.holding);
    }

    #[test]
    fn one_unknown_capability_refuses_the_whole_request() {
        let mut n = Negotiation::default();
        let replies = cap(&mut n, "REQ", "multi-prefix bogus", true);
        assert_eq!(replies, vec![Reply::Cap { sub: "NAK", caps: "multi-prefix bogus".into() }]);
        assert_eq!(n.caps, Caps::default());
        cap(&mut n, "REQ", "multi-prefix server-time", true);
        assert_eq!(cap(&mut n, "LIST", "", true), vec![Reply::Cap { sub: "LIST", caps: OFFERED_CAPS.into() }]);
        cap(&mut n, "REQ", "-server-time", true);
        assert_eq!(n.caps, Caps { server_time: false, multi_prefix: true });
        assert_eq!(cap(&mut n, "BOGUS", "", true), vec![Reply::Error(ChatError::InvalidCapCommand("BOGUS".into()))]);
    }
}

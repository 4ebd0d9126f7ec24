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
    /// `sasl`: the client may log in with `AUTHENTICATE` (IRCv3 SASL 3.1: only once enabled).
    pub sasl: bool,
    /// `account-notify`: told with `ACCOUNT` when someone sharing a room logs in or out.
    pub account_notify: bool,
    /// `extended-join`: `JOIN` lines carry the joiner's account (or `*`) and real name.
    pub extended_join: bool,
    /// `account-tag`: lines from a logged-in person carry `@account=`.
    pub account_tag: bool,
    // issue 14: chathistory
    /// `draft/chathistory`: the client asks for history with `CHATHISTORY` and is sent none on
    /// joining a room.
    pub chathistory: bool,
    // issue 14: ircv3
    /// `message-tags`: messages carry `msgid` and their client-only tags; `TAGMSG` is delivered.
    pub message_tags: bool,
    /// `echo-message`: the client's own messages come back to it once delivered.
    pub echo_message: bool,
    /// `away-notify`: told with `AWAY` when someone sharing a room goes away or comes back.
    pub away_notify: bool,
    /// `setname`: told with `SETNAME` when someone sharing a room (or itself) changes real name.
    pub setname: bool,
    /// `invite-notify`: told with `INVITE` when someone is invited into a room it runs.
    pub invite_notify: bool,
    /// `userhost-in-names`: `NAMES` lists `nick!user@host`.
    pub userhost_in_names: bool,
    /// `cap-notify`: told of capabilities added or removed later (chatd never does either).
    pub cap_notify: bool,
    /// `batch`: several lines may come as one batch (here: labeled responses).
    pub batch: bool,
    /// `labeled-response`: replies to a line with a `label` tag carry it (with `batch`).
    pub labeled_response: bool,
}

/// Every capability chatd offers, in the order `CAP LS` and `CAP LIST` name them. Not `chghost`:
/// chatd never changes anyone's user name or host, so it would never send one.
const NAMES: [&str; 16] = [
    "account-notify",
    "account-tag",
    "away-notify",
    "batch",
    "cap-notify",
    "draft/chathistory",
    "echo-message",
    "extended-join",
    "invite-notify",
    "labeled-response",
    "message-tags",
    "multi-prefix",
    "sasl",
    "server-time",
    "setname",
    "userhost-in-names",
];

/// The SASL mechanisms chatd accepts, as `CAP LS 302` shows them (`sasl=PLAIN`) and 908 lists them.
pub const SASL_MECHANISMS: &str = "PLAIN";

/// The first `CAP LS` version whose capabilities may carry values (IRCv3 CAP 3.2).
const VALUES_FROM_VERSION: u32 = 302;

impl Caps {
    /// The switch for capability `name`, if chatd offers it.
    fn switch(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "account-notify" => Some(&mut self.account_notify),
            "account-tag" => Some(&mut self.account_tag),
            "draft/chathistory" => Some(&mut self.chathistory),
            "extended-join" => Some(&mut self.extended_join),
            "multi-prefix" => Some(&mut self.multi_prefix),
            "sasl" => Some(&mut self.sasl),
            "server-time" => Some(&mut self.server_time),
            // issue 14: ircv3
            "message-tags" => Some(&mut self.message_tags),
            "echo-message" => Some(&mut self.echo_message),
            "away-notify" => Some(&mut self.away_notify),
            "setname" => Some(&mut self.setname),
            "invite-notify" => Some(&mut self.invite_notify),
            "userhost-in-names" => Some(&mut self.userhost_in_names),
            "cap-notify" => Some(&mut self.cap_notify),
            "batch" => Some(&mut self.batch),
            "labeled-response" => Some(&mut self.labeled_response),
            _ => None,
        }
    }

    /// The names of the capabilities switched on, space-separated.
    fn enabled(&self) -> String {
        let mut caps = *self;
        NAMES.into_iter().filter(|name| caps.switch(name).is_some_and(|on| *on)).collect::<Vec<_>>().join(" ")
    }
}

/// What `CAP LS` offers: with version 302 or later, `sasl` names its mechanisms.
pub fn offered(version: u32) -> String {
    let values = version >= VALUES_FROM_VERSION;
    NAMES
        .into_iter()
        .map(|name| match name {
            "sasl" if values => format!("sasl={SASL_MECHANISMS}"),
            _ => name.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One client's negotiation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Negotiation {
    pub caps: Caps,
    /// The client sent `CAP LS` or `CAP REQ` before registering: registration waits for `CAP END`.
    pub holding: bool,
    // issue 14: ircv3
    /// The client sent `CAP LS 302` (or later): `cap-notify` is on and stays on (IRCv3
    /// capability negotiation, "cap-notify").
    pub version_302: bool,
}

impl Negotiation {
    /// Answers one `CAP` subcommand. `registered`: negotiation after registration never holds
    /// anything up.
    pub fn answer(&mut self, sub: &str, arg: &str, registered: bool, replies: &mut Vec<Reply>) {
        match sub {
            "LS" => {
                self.holding = !registered;
                // `CAP LS` without a version is version 301; a version that is not a number too.
                let version = arg.trim().parse().unwrap_or(0);
                if version >= VALUES_FROM_VERSION {
                    self.version_302 = true;
                    self.caps.cap_notify = true;
                }
                replies.push(Reply::Cap { sub: "LS", caps: offered(version) });
            }
            "LIST" => replies.push(Reply::Cap { sub: "LIST", caps: self.caps.enabled() }),
            "REQ" => {
                self.holding = !registered;
                // All or nothing (IRCv3 capability negotiation): one unknown name refuses the lot.
                let mut caps = self.caps;
                let known = arg.split_whitespace().all(|name| {
                    let (on, name) = match name.strip_prefix('-') {
                        Some(name) => (false, name),
                        None => (true, name),
                    };
                    // A 302 client's `cap-notify` cannot be switched off.
                    let locked = !on && name == "cap-notify" && self.version_302;
                    !locked && caps.switch(name).map(|switch| *switch = on).is_some()
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

    fn ls(version: &str) -> String {
        match cap(&mut Negotiation::default(), "LS", version, false).as_slice() {
            [Reply::Cap { sub: "LS", caps }] => caps.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ls_302_names_the_sasl_mechanisms_and_older_versions_do_not() {
        let plain = "account-notify account-tag away-notify batch cap-notify draft/chathistory echo-message extended-join \
                     invite-notify labeled-response message-tags multi-prefix sasl server-time setname \
                     userhost-in-names";
        assert_eq!(ls(""), plain);
        assert_eq!(ls("301"), plain);
        assert_eq!(ls("bogus"), plain);
        let valued = plain.replace(" sasl ", " sasl=PLAIN ");
        assert_eq!(ls("302"), valued);
        assert_eq!(ls("303"), valued);
    }

    #[test]
    fn negotiation_holds_registration_until_cap_end() {
        let mut n = Negotiation::default();
        assert_eq!(cap(&mut n, "LS", "302", false), vec![Reply::Cap { sub: "LS", caps: offered(302) }]);
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
    fn ls_302_switches_cap_notify_on_for_good() {
        let mut n = Negotiation::default();
        cap(&mut n, "LS", "", false);
        assert!(!n.caps.cap_notify);
        cap(&mut n, "LS", "302", false);
        assert!(n.caps.cap_notify);
        assert_eq!(
            cap(&mut n, "REQ", "-cap-notify", false),
            vec![Reply::Cap { sub: "NAK", caps: "-cap-notify".into() }]
        );
        assert_eq!(cap(&mut n, "REQ", "cap-notify", false), vec![Reply::Cap { sub: "ACK", caps: "cap-notify".into() }]);
        assert!(n.caps.cap_notify);
        // An older client may switch it off.
        let mut old = Negotiation::default();
        cap(&mut old, "REQ", "cap-notify", false);
        cap(&mut old, "REQ", "-cap-notify", false);
        assert!(!old.caps.cap_notify);
    }

    #[test]
    fn one_unknown_capability_refuses_the_whole_request() {
        let mut n = Negotiation::default();
        let replies = cap(&mut n, "REQ", "multi-prefix bogus", true);
        assert_eq!(replies, vec![Reply::Cap { sub: "NAK", caps: "multi-prefix bogus".into() }]);
        assert_eq!(n.caps, Caps::default());
        // A value is no part of a request's name.
        cap(&mut n, "REQ", "sasl=PLAIN", true);
        assert_eq!(n.caps, Caps::default());
        cap(&mut n, "REQ", "multi-prefix server-time", true);
        assert_eq!(
            cap(&mut n, "LIST", "", true),
            vec![Reply::Cap { sub: "LIST", caps: "multi-prefix server-time".into() }]
        );
        cap(&mut n, "REQ", "-server-time", true);
        assert_eq!(n.caps, Caps { multi_prefix: true, ..Caps::default() });
        assert_eq!(cap(&mut n, "BOGUS", "", true), vec![Reply::Error(ChatError::InvalidCapCommand("BOGUS".into()))]);
    }

    #[test]
    fn the_account_capabilities_are_requested_like_any_other() {
        let mut n = Negotiation::default();
        let all = "sasl account-notify extended-join account-tag";
        assert_eq!(cap(&mut n, "REQ", all, false), vec![Reply::Cap { sub: "ACK", caps: all.into() }]);
        let expected =
            Caps { sasl: true, account_notify: true, extended_join: true, account_tag: true, ..Caps::default() };
        assert_eq!(n.caps, expected);
        assert_eq!(
            cap(&mut n, "LIST", "", false),
            vec![Reply::Cap { sub: "LIST", caps: "account-notify account-tag extended-join sasl".into() }]
        );
    }
}

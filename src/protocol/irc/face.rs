//! The IRC dialect behind the `dialect` interface: detection, the decoder (raw framing, 512-byte
//! lines plus tags) and the session (capability negotiation, the SASL exchange, rendering).

use super::caps::Negotiation;
use super::labels::Labeling;
use super::sasl::{Exchange, Step};
use super::{AccountCaps, Ircv3Caps, View as IrcView, message, parse, render_with};
use crate::core::limits::{IRC_MAX_INPUT_BYTES, IRC_MAX_LINE_BYTES};
use crate::framing::{Frame, Framer};
use crate::protocol::dialect::{Claim, Decoded, Decoder, Dialect, Profile, Session, View, key_space};
use crate::protocol::{AccountCommand, AccountReply, ChatError, Command, LoginVia, ParseError, Reply, SaslReply};

/// The IRC dialect.
pub static IRC: Irc = Irc;

/// This dialect's number in view keys.
const KEY_SPACE: u32 = key_space(1);

/// The commands that open an IRC registration (RFC 2812 3.1, IRCv3 CAP), and `PING`, which some
/// clients send first to measure the round trip.
const OPENERS: [&str; 5] = ["CAP", "PASS", "NICK", "USER", "PING"];

pub struct Irc;

impl Dialect for Irc {
    fn name(&self) -> &'static str {
        "irc"
    }

    /// IRC when the first word is a registration command (any case). Real IRC clients send one
    /// at once; people never type that fast (the reader waits `net::reader::DETECT_WAIT`).
    fn claims(&self, first: &[u8]) -> Claim {
        let end = first.iter().position(|&b| matches!(b, b' ' | b'\r' | b'\n' | 0));
        let word = first.get(..end.unwrap_or(first.len())).unwrap_or_default();
        let opener = |whole: bool| {
            OPENERS.iter().any(|o| {
                let o = o.as_bytes();
                if whole {
                    o.eq_ignore_ascii_case(word)
                } else {
                    // A whole opener not yet followed by its separator (`NICK`) may still become one.
                    o.len() >= word.len() && o[..word.len()].eq_ignore_ascii_case(word)
                }
            })
        };
        match end {
            Some(_) if opener(true) => Claim::Mine,
            Some(_) => Claim::NotMine,
            None if opener(false) => Claim::Undecided,
            None => Claim::NotMine,
        }
    }

    /// `CAP LS` (with or without a version), `PASS` with a parameter, or `USER` with all four
    /// parameters. The command must be upper case, as every client sends it; `nick alice` or
    /// `pass` typed by a person is not IRC (nor is `NICK`, which people do type).
    fn late_claim(&self, line: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(line) else { return false };
        let command = text.split(' ').next().unwrap_or_default();
        if !matches!(command, "CAP" | "PASS" | "USER") {
            return false;
        }
        let Ok(message) = message::parse(text) else { return false };
        let params = message.params.as_slice();
        match command {
            "CAP" => match params {
                [ls] => ls == "LS",
                [ls, version] => ls == "LS" && !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()),
                _ => false,
            },
            "PASS" => params.first().is_some_and(|p| !p.is_empty()),
            _ => params.len() >= 4 && !params[0].is_empty(),
        }
    }

    fn decoder(&self, _max_line: usize) -> Box<dyn Decoder> {
        Box::new(IrcDecoder { framer: Framer::raw(IRC_MAX_INPUT_BYTES), frames: Vec::new() })
    }

    fn session(&self) -> Box<dyn Session> {
        Box::new(IrcSession::default())
    }
}

struct IrcDecoder {
    framer: Framer,
    /// Kept between calls for its allocation.
    frames: Vec<Frame>,
}

impl Decoder for IrcDecoder {
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        self.framer.push(bytes, &mut self.frames);
        for frame in self.frames.drain(..) {
            match frame {
                Frame::TooLong => out.push(Decoded::Input {
                    terminator: None,
                    input: Err(ParseError::LineTooLong { limit: IRC_MAX_LINE_BYTES }),
                }),
                Frame::Line { bytes, terminator } => {
                    let input = match std::str::from_utf8(&bytes) {
                        Ok(line) => parse(line),
                        // `UTF8ONLY`: nothing that is not UTF-8 is relayed, or half relayed.
                        Err(_) => Some(Err(super::refuse_non_utf8(&bytes))),
                    };
                    if let Some(input) = input {
                        out.push(Decoded::Input { terminator: Some(terminator), input });
                    }
                }
            }
        }
    }
}

/// One IRC client's negotiated state.
#[derive(Default)]
struct IrcSession {
    negotiation: Negotiation,
    sasl: Exchange,
    /// The labeled response to the line being handled (labeled-response).
    labels: Labeling,
    /// Logged in to an account, as the client was told (900, until 901): a new SASL exchange
    /// is refused at its start with 907.
    logged_in: bool,
}

impl IrcSession {
    /// One `AUTHENTICATE`: answered here, except a complete PLAIN response, which becomes a
    /// login for chat state (who answers 900/903, 904 or 907). Allowed after registration too
    /// (sasl-3.2 reauthentication; chat state refuses a second login with 907).
    fn authenticate(&mut self, payload: &str, replies: &mut Vec<Reply>) -> Option<Command> {
        if payload.is_empty() {
            return reply(replies, Reply::Error(ChatError::Parse(ParseError::Usage("AUTHENTICATE"))));
        }
        let step = if !self.negotiation.caps.sasl {
            // sasl-3.1: the client must enable the capability before using the command.
            Step::Reply(SaslReply::Failed)
        } else if self.logged_in && !self.sasl.in_progress() && payload != "*" {
            // chatd has no reauthentication: refused before the client sends its password.
            Step::Reply(SaslReply::AlreadyAuthenticated)
        } else {
            self.sasl.step(payload)
        };
        match step {
            Step::Reply(answer) => reply(replies, Reply::Sasl(answer)),
            Step::MoreExpected => None,
            Step::Login(credentials) => Some(Command::Account(AccountCommand::Identify {
                name: Some(credentials.authcid),
                password: credentials.password,
                via: LoginVia::Sasl,
            })),
        }
    }
}

/// Queues `answer` and hands nothing on: the session answered the command itself.
fn reply(replies: &mut Vec<Reply>, answer: Reply) -> Option<Command> {
    replies.push(answer);
    None
}

impl Session for IrcSession {
    fn profile(&self) -> Profile {
        Profile {
            dialect: "irc",
            prompted: false,
            starts_in_default_room: false,
            needs_user: true,
            registration_held: self.negotiation.holding,
            strict_before_registration: true,
            hears_every_membership_change: true,
            // Old lines only to clients that can show their original time, and that do not ask
            // for them with `CHATHISTORY` (draft/chathistory: no automatic playback).
            replay_on_join: self.negotiation.caps.server_time && !self.negotiation.caps.chathistory,
            echo_own_messages: self.negotiation.caps.echo_message,
            pinged: true,
            registers_by_login: false,
            hears_presence: false,
        }
    }

    fn intercept(&mut self, command: Command, registered: bool, replies: &mut Vec<Reply>) -> Option<Command> {
        match command {
            Command::Cap { sub, arg } => {
                // sasl-3.1: registering (`CAP END`) mid-exchange aborts the exchange.
                if sub == "END" && !registered && self.sasl.abort() {
                    replies.push(Reply::Sasl(SaslReply::Aborted));
                }
                self.negotiation.answer(&sub, &arg, registered, replies);
                None
            }
            Command::Authenticate { payload } => self.authenticate(&payload, replies),
            other => Some(other),
        }
    }

    /// A labeled line (`Command::Labeled`) is answered with a labeled response when the client
    /// negotiated `labeled-response` and `batch`; the label is dropped otherwise.
    fn begin(&mut self, input: Result<Command, ParseError>) -> Result<Command, ParseError> {
        match input {
            Ok(Command::Labeled { label, input }) => {
                let caps = self.negotiation.caps;
                if caps.labeled_response && caps.batch {
                    self.labels.open(label);
                }
                *input
            }
            other => other,
        }
    }

    /// Everything a labeled line causes for its client is its response, except a message the
    /// client sent to itself as it arrives (labeled-response: only the `echo-message` copy of
    /// it carries the label). Every reply to the client passes here: the session also notes
    /// its logins and logouts (for 907).
    fn capture(&mut self, reply: &Reply, bytes: &[u8]) -> bool {
        match reply {
            Reply::Account(AccountReply::LoggedIn { .. }) => self.logged_in = true,
            Reply::Account(AccountReply::LoggedOut { .. }) => self.logged_in = false,
            _ => {}
        }
        let to_itself = match reply {
            Reply::Private { from, to, echo: false, .. } => from.nick == *to,
            Reply::TagMsg { from, target, echo: false, .. } => from.nick.as_str() == target,
            _ => false,
        };
        if !self.labels.is_open() || to_itself {
            return false;
        }
        self.labels.capture(bytes);
        true
    }

    fn end(&mut self, view: &View<'_>, out: &mut Vec<u8>) {
        self.labels.close(view.server, out);
    }

    fn defer(&mut self) {
        self.labels.defer();
    }

    fn resume(&mut self) {
        self.labels.resume();
    }

    /// The replies of capabilities only to clients that negotiated them: `ACCOUNT`
    /// (`account-notify`), `TAGMSG` (`message-tags`), `AWAY` (`away-notify`), `SETNAME`
    /// (`setname`), others' `INVITE` (`invite-notify`), the copy of one's own private message
    /// (`echo-message`).
    fn accepts(&self, reply: &Reply) -> bool {
        let caps = self.negotiation.caps;
        match reply {
            Reply::AccountChanged { .. } => caps.account_notify,
            Reply::TagMsg { .. } => caps.message_tags,
            Reply::AwayNotify { .. } => caps.away_notify,
            Reply::RealnameChanged { .. } => caps.setname,
            Reply::InviteNotify { .. } => caps.invite_notify,
            Reply::Private { echo: true, .. } => caps.echo_message,
            _ => true,
        }
    }

    /// IRC lines always end in CR LF and never name the room count; the capabilities change
    /// timestamps, prefixes, `JOIN` lines and tags (`sasl` and `account-notify` change no
    /// rendering: only what is answered and what is accepted).
    fn view_key(&self, _view: &View<'_>) -> u32 {
        let caps = self.negotiation.caps;
        KEY_SPACE
            | u32::from(caps.server_time)
            | u32::from(caps.multi_prefix) << 1
            | u32::from(caps.extended_join) << 2
            | u32::from(caps.account_tag) << 3
            | u32::from(caps.chathistory) << 4
            | u32::from(caps.message_tags) << 5
            | u32::from(caps.userhost_in_names) << 6
            | u32::from(caps.echo_message) << 7
            | u32::from(caps.batch) << 8
    }

    fn render(&self, reply: &Reply, view: &View<'_>, out: &mut Vec<u8>) {
        let view = IrcView {
            server: view.server,
            nick: view.nick,
            started: view.started,
            ping_after_secs: view.ping_after_secs,
            server_time: self.negotiation.caps.server_time,
            multi_prefix: self.negotiation.caps.multi_prefix,
        };
        let caps = self.negotiation.caps;
        let account = AccountCaps { extended_join: caps.extended_join, account_tag: caps.account_tag };
        let v3 = Ircv3Caps {
            message_tags: caps.message_tags,
            userhost_in_names: caps.userhost_in_names,
            echo_message: caps.echo_message,
            // `draft/chathistory` is spoken only by clients that read batches and tags (its
            // prerequisites), whether or not they asked for `batch` by name.
            batch: caps.batch || caps.chathistory,
        };
        render_with(reply, &view, account, v3, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_lines_claim_a_connection_taken_for_a_person() {
        for line in [
            "CAP LS",
            "CAP LS 302",
            "CAP LS :302",
            "PASS secret",
            "PASS :two words",
            "USER alice 0 * :Alice Liddell",
            "USER a 8 * :",
            "USER alice alice localhost :Alice",
        ] {
            assert!(IRC.late_claim(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn what_people_type_is_not_a_late_claim() {
        for line in [
            "nick alice",
            "NICK alice",
            "alice",
            "pass secret",
            "PASS",
            "PASS :",
            "cap ls",
            "CAP",
            "CAP REQ :server-time",
            "CAP END",
            "CAP LS three",
            "CAP LS 302 more",
            "USER alice",
            "USER alice 0 *",
            "USER  :x y z",
            "user alice 0 * :Alice",
            "PING x",
            "/nick alice",
            "CAPITAL letters",
            "PASSWORD is what",
            "",
        ] {
            assert!(!IRC.late_claim(line.as_bytes()), "{line:?}");
        }
        assert!(!IRC.late_claim(&[b'P', b'A', b'S', b'S', b' ', 0xff]));
    }

    fn view() -> View<'static> {
        let terminator = crate::framing::Terminator::Newline;
        View { server: "s", started: 0, ping_after_secs: 0, nick: "a", rooms: 1, terminator }
    }

    #[test]
    fn cap_is_the_sessions_and_changes_the_profile() {
        let mut session = IRC.session();
        let mut replies = Vec::new();
        let ls = Command::Cap { sub: "LS".into(), arg: "302".into() };
        assert_eq!(session.intercept(ls, false, &mut replies), None);
        assert!(session.profile().registration_held && !session.profile().replay_on_join);
        let req = Command::Cap { sub: "REQ".into(), arg: "server-time".into() };
        let before = session.view_key(&view());
        assert_eq!(session.intercept(req, false, &mut replies), None);
        assert!(session.profile().replay_on_join);
        let after = session.view_key(&view());
        assert_ne!(before, after, "a negotiated capability changes the view key");
        assert_eq!(replies.len(), 2);
        let nick = Command::Nick { nick: "a".into() };
        assert_eq!(session.intercept(nick.clone(), false, &mut replies), Some(nick));
        // A client that asks for history with CHATHISTORY is sent none on joining.
        let req = Command::Cap { sub: "REQ".into(), arg: "draft/chathistory".into() };
        assert_eq!(session.intercept(req, false, &mut replies), None);
        assert!(!session.profile().replay_on_join);
        assert_ne!(session.view_key(&view()), after, "chathistory changes how history renders");
    }

    #[test]
    fn overlong_lines_are_reported_with_the_irc_limit() {
        let mut decoder = IRC.decoder(100_000);
        let mut out = Vec::new();
        let mut long = vec![b'a'; IRC_MAX_INPUT_BYTES + 1];
        long.extend_from_slice(b"\r\nPING x\r\n");
        decoder.decode(&long, &mut out);
        let inputs: Vec<_> = out
            .into_iter()
            .map(|d| match d {
                Decoded::Input { input, .. } => input,
                _ => panic!("only inputs"),
            })
            .collect();
        assert_eq!(
            inputs,
            vec![Err(ParseError::LineTooLong { limit: IRC_MAX_LINE_BYTES }), Ok(Command::Ping { token: "x".into() })]
        );
    }
}

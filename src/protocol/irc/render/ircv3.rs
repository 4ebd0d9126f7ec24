//! Rendering what IRCv3 extensions add: `TAGMSG` (message-tags), `AWAY` (away-notify),
//! `SETNAME` (setname), `INVITE` to room operators (invite-notify), and standard replies
//! (`FAIL`). The session's `accepts` keeps each from clients without its capability.

use super::*;

/// The IRCv3 capabilities a recipient negotiated that change how its lines look (`View` and
/// `AccountCaps` hold the others). `render_for` renders for a client that negotiated none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ircv3Caps {
    /// `message-tags`: messages carry `msgid` and their client-only tags.
    pub message_tags: bool,
    /// `userhost-in-names`: `NAMES` lists `nick!user@host`.
    pub userhost_in_names: bool,
    /// `echo-message`: the sender's own copy of a private message is rendered.
    pub echo_message: bool,
    /// `batch`: several lines may come in a batch (history answers).
    pub batch: bool,
}

/// What tags a message's lines from a person carry besides the sender's account: when it was
/// sent, its id, and the client-only tags it was sent with (already in wire form).
#[derive(Clone, Copy, Debug)]
pub(super) struct Stamp<'a> {
    pub at: Millis,
    /// `None` on the second and later lines of a message split over several.
    pub id: Option<crate::protocol::MsgId>,
    pub client: Option<&'a str>,
}

impl Out<'_, '_> {
    /// The replies of IRCv3 extensions (see the module header).
    pub(super) fn ircv3(&mut self, reply: &Reply) {
        match reply {
            Reply::TagMsg { from, target, tags, at, id, .. } if self.v3.message_tags => {
                self.tags(from, Some(&Stamp { at: *at, id: Some(*id), client: tags.as_deref() }));
                write_line(self.out, Some(&from.prefix()), "TAGMSG", &[target]);
            }
            Reply::AwayNotify { who, text: Some(text) } => self.from(who, "AWAY", &[&for_irc(text)]),
            Reply::AwayNotify { who, text: None } => self.from(who, "AWAY", &[]),
            Reply::RealnameChanged { who } => self.from(who, "SETNAME", &[&for_irc(&who.realname)]),
            Reply::InviteNotify { by, nick, room } => self.from(by, "INVITE", &[nick.as_str(), room.as_str()]),
            _ => {}
        }
    }

    /// A standard reply (IRCv3 standard-replies): `:server FAIL <command> <code> :<description>`.
    pub(super) fn fail(&mut self, command: &str, code: &str, description: &str) {
        self.server("FAIL", &[command, code, description]);
    }
}

//! The replies of issue 14's channel modes as IRC lines: the `NAMES` symbol of secret and
//! private channels, the exception lists (`+e`: 348/349, `+I`: 346/347), `ERR_INVALIDMODEPARAM`
//! (696), the operator's own `MODE +o`, `STATUSMSG` messages and `FAIL ... INVALID_UTF8`.

use super::*;
use crate::protocol::{ListedMask, RoomVisibility};
use std::borrow::Cow;

/// The `RPL_NAMREPLY` symbol of a channel: `=` public, `*` private (`+p`), `@` secret (`+s`).
pub(super) fn names_symbol(visibility: RoomVisibility) -> &'static str {
    match visibility {
        RoomVisibility::Public => "=",
        RoomVisibility::Private => "*",
        RoomVisibility::Secret => "@",
    }
}

/// A parameter as a middle parameter of a numeric can carry it: `*` for one that is empty, has
/// a space or starts with `:` (it would end the numeric's parameters early).
fn middle(param: &str) -> Cow<'_, str> {
    if param.is_empty() || param.starts_with(':') || param.contains(' ') { Cow::Borrowed("*") } else { for_irc(param) }
}

impl Out<'_, '_> {
    /// A mask list (`item` per mask: `<channel> <mask> <set by> <set at, Unix seconds>`, as
    /// modern servers send 367, 346 and 348) and its end line.
    pub(super) fn mask_list(&mut self, room: &str, masks: &[ListedMask], item: u16, end: u16, end_text: &str) {
        for listed in masks {
            let at = (listed.at / 1000).to_string();
            self.numeric(item, &[room, &for_irc(&listed.mask), &middle(&listed.set_by), &at]);
        }
        self.numeric(end, &[room, end_text]);
    }

    /// `ERR_INVALIDMODEPARAM`: `<target> <mode char> <parameter> :<description>`.
    pub(super) fn invalid_mode_param(&mut self, target: &str, mode: char, param: &str, why: &str) {
        let mode = mode.to_string();
        self.numeric(ERR_INVALIDMODEPARAM, &[&middle(target), &middle(&mode), &middle(param), why]);
    }

    /// `RPL_YOUREOPER`, then the user mode it brings, as servers announce a mode change of the
    /// recipient's own (from the recipient's nickname).
    pub(super) fn youre_oper(&mut self) {
        self.numeric(RPL_YOUREOPER, &["You are now an IRC operator"]);
        write_line(self.out, Some(self.view.nick), "MODE", &[self.view.nick, "+o"]);
    }

    /// `FAIL <command> INVALID_UTF8 :...` (IRCv3 `UTF8ONLY` with standard replies).
    pub(super) fn invalid_utf8(&mut self, command: &str) {
        let text = "Message rejected, your IRC software MUST use UTF-8 encoding on this network";
        self.server("FAIL", &[&middle(command), "INVALID_UTF8", text]);
    }
}

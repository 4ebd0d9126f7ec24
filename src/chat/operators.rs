//! Server operators: `OPER` (log in with a `--oper NAME:PASSWORD`) and `KILL` (disconnect
//! someone; the broker carries it out). That `KILL` needs a server operator is the command
//! table's to check.

use super::{Audit, Handled, MAX_REASON_BYTES, Output, State, cut_at_char_boundary};
use crate::core::ids::ClientId;
use crate::core::names::Folded;
use crate::protocol::{ChatError, QuitReason, Reply};

/// Compares secrets without stopping at the first difference, so timing does not tell how much
/// of a guessed password was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl State {
    /// `OPER`: the name and password must match one `--oper NAME:PASSWORD`.
    pub(super) fn oper(&mut self, id: ClientId, name: &str, password: &str, out: &mut Output) -> Handled {
        if self.settings.opers.is_empty() {
            out.error(id, ChatError::NoOperators);
            return Ok(());
        }
        let ok =
            self.settings.opers.iter().any(|(n, p)| n == name && constant_time_eq(p.as_bytes(), password.as_bytes()));
        let nick = self.person(id)?.nick.clone();
        out.audit.push(Audit::Oper { id, nick, name: name.to_string(), ok });
        if !ok {
            out.error(id, ChatError::PasswordMismatch);
            return Ok(());
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.oper = true;
        }
        out.tell(id, Reply::YoureOper);
        Ok(())
    }

    /// `KILL`, from a server operator (the command table checked): the broker disconnects `nick`.
    pub(super) fn kill(&mut self, id: ClientId, nick: &str, mut reason: String, out: &mut Output) -> Handled {
        let Some(&target) = self.nicks.get(&Folded::of(nick)) else {
            out.error(id, ChatError::NoSuchNick(nick.to_string()));
            return Ok(());
        };
        cut_at_char_boundary(&mut reason, MAX_REASON_BYTES);
        out.kills.push((target, QuitReason::Killed { by: self.person(id)?.nick.clone(), reason }));
        Ok(())
    }
}

//! Accounts in chat state (being written).

use super::{Broken, Output, State};
use crate::core::ids::ClientId;
use crate::protocol::{AccountCommand, AccountFailure, AccountReply, LoginVia, Millis, Reply};

impl State {
    pub(super) fn account_command(
        &mut self,
        id: ClientId,
        request: AccountCommand,
        now: Millis,
        out: &mut Output,
    ) -> Result<(), Broken> {
        let _ = (request, now);
        out.tell(
            id,
            Reply::Account(AccountReply::Failed { failure: AccountFailure::Unavailable, via: LoginVia::Command }),
        );
        Ok(())
    }
}

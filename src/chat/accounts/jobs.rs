//! What chat state and the broker exchange about accounts: the accounts chat state knows
//! (`AccountEntry`) and the slow work it asks the broker for (`AccountJob`).

use crate::core::ids::ClientId;
use crate::core::names::Nick;
use crate::protocol::{LoginVia, Millis};
use std::fmt;
use std::sync::Arc;

/// Tries a person gets at the password prompt before going back to the nickname prompt.
pub const PASSWORD_TRIES: u8 = 3;

/// One account as chat state knows it: enough to tell who owns a nickname and who may log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountEntry {
    /// The account's name as registered (the nickname it owns).
    pub name: Arc<str>,
    /// When it was registered.
    pub created: Millis,
    /// An operator disabled it: nobody can log in, and its nickname stays reserved.
    pub disabled: bool,
}

/// Slow work chat state asks the broker to do for client `id` (see the module header).
#[derive(Clone, PartialEq, Eq)]
pub struct AccountJob {
    pub id: ClientId,
    pub work: Work,
}

/// What an `AccountJob` does. Passwords travel only as far as the hashing threads.
#[derive(Clone, PartialEq, Eq)]
pub enum Work {
    /// Check `password` against `account`'s hash; on success carry on with `then`.
    Verify { account: Arc<str>, password: String, then: AfterLogin },
    /// Create an account named `name` with `password`, then log in to it.
    Create { name: Nick, password: String, via: LoginVia },
    /// Store a new password for `account`.
    SetPassword { account: Arc<str>, password: String },
    /// Delete `account`.
    Delete { account: Arc<str> },
}

impl Work {
    /// The account the work is about (for the log and the throttles).
    pub fn account(&self) -> &str {
        match self {
            Work::Verify { account, .. } | Work::SetPassword { account, .. } | Work::Delete { account } => account,
            Work::Create { name, .. } => name.as_str(),
        }
    }

    /// How the request that caused the work was made.
    pub(super) fn via(&self) -> LoginVia {
        match self {
            Work::Verify { then: AfterLogin::Login { via }, .. } | Work::Create { via, .. } => *via,
            _ => LoginVia::Command,
        }
    }
}

/// Passwords must never reach a log line, even through `{:?}`.
impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Work::Verify { account, then, .. } => write!(f, "Verify {{ account: {account}, then: {then:?}, .. }}"),
            Work::Create { name, via, .. } => write!(f, "Create {{ name: {name}, via: {via:?}, .. }}"),
            Work::SetPassword { account, .. } => write!(f, "SetPassword {{ account: {account}, .. }}"),
            Work::Delete { account } => write!(f, "Delete {{ account: {account} }}"),
        }
    }
}

impl fmt::Debug for AccountJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountJob {{ id: {:?}, work: {:?} }}", self.id, self.work)
    }
}

/// What a successful password check leads to.
#[derive(Clone, PartialEq, Eq)]
pub enum AfterLogin {
    /// Log in, keeping the nickname.
    Login { via: LoginVia },
    /// Log in and take `nick` (the nickname chosen at the prompt or with `/nick`).
    TakeNick { nick: Nick },
    /// Take `nick` back from whoever holds it.
    Regain { nick: Nick },
    /// Store `new` as the password.
    SetPassword { new: String },
    /// Delete the account.
    Unregister,
}

impl fmt::Debug for AfterLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AfterLogin::Login { via } => write!(f, "Login({via:?})"),
            AfterLogin::TakeNick { nick } => write!(f, "TakeNick({nick})"),
            AfterLogin::Regain { nick } => write!(f, "Regain({nick})"),
            AfterLogin::SetPassword { .. } => f.write_str("SetPassword"),
            AfterLogin::Unregister => f.write_str("Unregister"),
        }
    }
}

/// A person at the password prompt (see the module header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::chat) struct PasswordPrompt {
    /// The registered nickname they chose.
    pub nick: Nick,
    pub tries_left: u8,
    /// A password is being checked: lines typed meanwhile are not taken as another try.
    pub checking: bool,
}

/// Why an account's sessions lose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountGone {
    /// Its owner unregistered it: their sessions are logged out and stay.
    Unregistered,
    /// An operator deleted it: its sessions end.
    Deleted,
}

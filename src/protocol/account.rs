//! The accounts vocabulary every dialect shares: what a user can ask of their account
//! (`AccountCommand`), what they are told (`AccountReply`) and why a request failed
//! (`AccountFailure`).
//!
//! Each dialect reaches these its own way — netcat's `/register`, `/identify`, a password typed at
//! the nickname prompt; IRC's SASL `PLAIN`, `PASS account:password` and `NickServ`; XMLSocket's
//! `IDENTIFY` and `REGISTER` — and renders the replies its own way (netcat lines, `NickServ`
//! notices and numerics 900–908, `<identify>` and `<error>` elements). Chat state decides; the
//! broker carries out the slow parts (hashing, the database) on other threads.
//!
//! Passwords travel inside these values only as far as the hashing pool; nothing here is ever
//! logged (`Debug` of a command hides them).

use super::Person;
use crate::core::names::Nick;
use std::fmt;
use std::sync::Arc;

/// Shortest password accepted for a new account or a new password, in bytes.
pub const MIN_PASSWORD_BYTES: usize = 8;
/// Longest password accepted anywhere, in bytes (hashing cost does not depend on it, but a
/// bound keeps every queue small).
pub const MAX_PASSWORD_BYTES: usize = 512;

/// Nicknames nobody may take: the names of services, so that no user can pose as one and
/// harvest the passwords clients send them. Compared case-insensitively.
pub const RESERVED_NICKS: &[&str] =
    &["NickServ", "ChanServ", "MemoServ", "OperServ", "HostServ", "BotServ", "Global", "SaslServ", "services"];

/// How the user asked to log in: decides how success and failure are told (IRC SASL has its own
/// numerics; a login at registration is quiet about the details).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginVia {
    /// A command: netcat `/identify`, `NickServ IDENTIFY`, XMLSocket `IDENTIFY`, a web login.
    Command,
    /// IRC SASL `PLAIN` (`AUTHENTICATE`), answered with 900/903 or 904.
    Sasl,
    /// IRC `PASS account:password` before registration.
    Pass,
}

/// An account request. Password fields hold what the user typed.
#[derive(Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// Create an account named `name` (`None`: after the current nickname) and log in to it.
    Register { name: Option<String>, password: String },
    /// Log in to `name`'s account (`None`: the current nickname's) without changing nickname.
    Identify { name: Option<String>, password: String, via: LoginVia },
    /// Take `nick` back from whoever holds it: an unidentified user, or a connection of your own
    /// that is going stale. Without `password` the asker must already be logged in to it.
    Regain { nick: String, password: Option<String> },
    /// Change the password of the account logged in to (`old`, when given, is checked first).
    SetPassword { old: Option<String>, new: String },
    /// Delete the account logged in to (`password`, when given, is checked first).
    Unregister { password: Option<String> },
    /// What is known of an account (`None`: your own).
    Info { name: Option<String> },
    /// The account commands' help (IRC `NickServ HELP`).
    Help { topic: Option<String> },
}

/// Passwords must never reach a log line, even through `{:?}`.
impl fmt::Debug for AccountCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountCommand::Register { name, .. } => write!(f, "Register {{ name: {name:?}, .. }}"),
            AccountCommand::Identify { name, via, .. } => write!(f, "Identify {{ name: {name:?}, via: {via:?}, .. }}"),
            AccountCommand::Regain { nick, .. } => write!(f, "Regain {{ nick: {nick:?}, .. }}"),
            AccountCommand::SetPassword { .. } => f.write_str("SetPassword { .. }"),
            AccountCommand::Unregister { .. } => f.write_str("Unregister { .. }"),
            AccountCommand::Info { name } => write!(f, "Info {{ name: {name:?} }}"),
            AccountCommand::Help { topic } => write!(f, "Help {{ topic: {topic:?} }}"),
        }
    }
}

/// What an account's owner is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountReply {
    /// netcat: `nick` is registered; the next line is its password (`tries_left` of them).
    PasswordPrompt { nick: Nick, tries_left: u8 },
    /// The account was created (a login follows).
    Registered { account: Arc<str> },
    /// The recipient is now logged in to `account`; `person` is who they are now.
    LoggedIn { account: Arc<str>, person: Arc<Person>, via: LoginVia },
    /// The recipient's sessions of `account` ended its login (the account was deleted or disabled).
    LoggedOut { person: Arc<Person> },
    /// The password was changed.
    PasswordChanged { account: Arc<str> },
    /// The account was deleted; its nickname is free.
    Unregistered { account: Arc<str> },
    /// The recipient holds a registered nickname without being logged in to it: identify within
    /// `grace_secs` or be renamed.
    NickOwned { nick: Nick, grace_secs: u64 },
    /// The recipient was renamed from `from` (registered to somebody else) to a guest nickname.
    Renamed { from: Nick },
    /// Answer to `Info`.
    Info { account: Arc<str>, registered: u64, online: bool, disabled: bool },
    /// Answer to `Help`.
    Help { topic: Option<String> },
    /// The request failed; `via` tells how it was asked (a failed SASL login is 904).
    Failed { failure: AccountFailure, via: LoginVia },
}

/// The steps of an IRC SASL exchange that its session answers without chat state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslReply {
    /// `AUTHENTICATE +`: send the payload.
    Continue,
    /// 908 then 904: a mechanism chatd does not offer.
    Mechanisms,
    /// 906: the client aborted (`AUTHENTICATE *`).
    Aborted,
    /// 905: the payload was longer than allowed.
    TooLong,
    /// 904: the payload could not be decoded.
    Failed,
    /// 907: a second exchange after a successful one.
    AlreadyAuthenticated,
}

/// Why an account request failed. Each variant is one sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountFailure {
    /// Wrong password (or no such account: the two are not told apart to a login).
    WrongPassword,
    /// Too many failed logins from this address (or for this account from it): wait `secs`.
    Throttled { secs: u64 },
    /// The password checkers are all busy: try again in a moment.
    Busy,
    /// No account has that name.
    NoSuchAccount(String),
    /// The account exists but an operator disabled it.
    Disabled(String),
    /// An account of that name exists already.
    AlreadyExists(String),
    /// Self-registration is turned off (`--registration closed`).
    RegistrationClosed,
    /// Too many accounts registered from this address lately: wait `secs`.
    RegistrationThrottled { secs: u64 },
    /// The request needs a login first.
    NotLoggedIn,
    /// Already logged in to `account` (a second SASL exchange: 907).
    AlreadyLoggedIn(Arc<str>),
    /// A password shorter than `MIN_PASSWORD_BYTES` (`min`) or longer than `MAX_PASSWORD_BYTES`.
    PasswordLength { min: usize, max: usize },
    /// The account name is not a valid nickname (or is a reserved one).
    NameInvalid(String),
    /// The nickname is held by a logged-in user of its account (regain refused).
    NickInUse(String),
    /// The account storage failed; the operator's log says why.
    Unavailable,
    /// The request arrived before registration in a dialect that needs a nickname for it.
    NeedsNickname,
    /// An account command chatd does not know (IRC `NickServ FOO`); holds the name as typed.
    UnknownCommand(String),
    /// An account command with missing or extra arguments; holds its name.
    Usage(&'static str),
}

impl fmt::Display for AccountFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountFailure::WrongPassword => f.write_str("Invalid account name or password."),
            AccountFailure::Throttled { secs } => {
                write!(f, "Too many failed logins; try again in {secs} s.")
            }
            AccountFailure::Busy => f.write_str("The server is busy checking passwords; try again in a moment."),
            AccountFailure::NoSuchAccount(name) => write!(f, "{name} is not a registered account."),
            AccountFailure::Disabled(name) => write!(f, "The account {name} is disabled."),
            AccountFailure::AlreadyExists(name) => write!(f, "{name} is already registered."),
            AccountFailure::RegistrationClosed => f.write_str("Registration is closed on this server."),
            AccountFailure::RegistrationThrottled { secs } => {
                write!(f, "Too many accounts registered from your address; try again in {secs} s.")
            }
            AccountFailure::NotLoggedIn => f.write_str("You are not logged in."),
            AccountFailure::AlreadyLoggedIn(account) => write!(f, "You are already logged in as {account}."),
            AccountFailure::PasswordLength { min, max } => {
                write!(f, "A password must be {min} to {max} bytes long.")
            }
            AccountFailure::NameInvalid(name) => write!(f, "{name} cannot be an account name."),
            AccountFailure::NickInUse(nick) => write!(f, "{nick} is in use by a logged-in user."),
            AccountFailure::Unavailable => f.write_str("Accounts are unavailable right now; try again later."),
            AccountFailure::NeedsNickname => f.write_str("Choose a nickname first."),
            AccountFailure::UnknownCommand(name) => write!(f, "Unknown account command: {name}."),
            AccountFailure::Usage(name) => write!(f, "Wrong arguments for {name}."),
        }
    }
}

/// True for a nickname nobody may take (`RESERVED_NICKS`).
pub fn is_reserved_nick(nick: &str) -> bool {
    RESERVED_NICKS.iter().any(|reserved| reserved.eq_ignore_ascii_case(nick))
}

/// Whether a password's length is acceptable for a new password, `min` bytes the least (the
/// server's `--min-password`, `MIN_PASSWORD_BYTES` by default).
pub fn password_length_ok(password: &str, min: usize) -> bool {
    (min..=MAX_PASSWORD_BYTES).contains(&password.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_password() {
        let command = AccountCommand::Identify {
            name: Some("alice".into()),
            password: "hunter2hunter2".into(),
            via: LoginVia::Sasl,
        };
        let shown = format!("{command:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"));
        for command in [
            AccountCommand::Register { name: None, password: "hunter2hunter2".into() },
            AccountCommand::Regain { nick: "a".into(), password: Some("hunter2hunter2".into()) },
            AccountCommand::SetPassword { old: Some("hunter2hunter2".into()), new: "hunter2hunter2".into() },
            AccountCommand::Unregister { password: Some("hunter2hunter2".into()) },
        ] {
            assert!(!format!("{command:?}").contains("hunter2"));
        }
    }

    #[test]
    fn service_names_are_reserved_whatever_their_case() {
        assert!(is_reserved_nick("nickserv") && is_reserved_nick("NICKSERV") && is_reserved_nick("ChanServ"));
        assert!(!is_reserved_nick("alice") && !is_reserved_nick("NickServ2"));
    }

    #[test]
    fn password_lengths() {
        assert!(!password_length_ok("short", MIN_PASSWORD_BYTES));
        assert!(password_length_ok("12345678", MIN_PASSWORD_BYTES));
        assert!(password_length_ok(&"x".repeat(512), MIN_PASSWORD_BYTES));
        assert!(!password_length_ok(&"x".repeat(513), MIN_PASSWORD_BYTES));
        // A server that asks less (`--min-password 6`), and never nothing at all.
        assert!(password_length_ok("sesame", 6));
        assert!(!password_length_ok("", 1));
    }
}

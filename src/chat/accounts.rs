//! Accounts in chat state: who is logged in to which account, which nicknames accounts own, and
//! the requests of `protocol::account` (register, identify, regain, change the password,
//! unregister).
//!
//! Chat state decides but never waits: a password check, a new hash or a database change is
//! asked of the broker as an `AccountJob` (in `Output::jobs`), which runs it on other threads
//! and comes back with `job_done`. The accounts themselves (`AccountEntry`: name, created,
//! disabled; never a password hash) are told by the broker as the database changes
//! (`account_added`, `account_updated`, `account_removed`), so "is this nickname registered?"
//! is a map lookup.
//!
//! Nickname ownership: an account owns the nickname it is named after. A person (netcat) who
//! chooses an owned nickname is asked for its password before getting it; an IRC client may
//! take it but is told to identify and is renamed to a guest nickname after
//! `Settings::guest_grace`; a client that registers by logging in (XMLSocket) gets its account's
//! nickname, which is taken from an unidentified holder. Service names are nobody's.

use super::{Audit, Broken, Handled, Member, Output, State};
use crate::core::ids::ClientId;
use crate::core::names::{Folded, Nick};
use crate::protocol::account::{MAX_PASSWORD_BYTES, is_reserved_nick, password_length_ok};
use crate::protocol::{
    AccountCommand, AccountFailure, AccountReply, ChatError, LoginVia, Millis, Person, QuitReason, Reply,
};
use std::sync::Arc;

mod jobs;
mod prompt;
#[cfg(test)]
mod tests;

pub(super) use jobs::PasswordPrompt;
pub use jobs::{AccountEntry, AccountGone, AccountJob, AfterLogin, PASSWORD_TRIES, Work};

/// `failed`, for handlers that return at once.
fn refuse(out: &mut Output, id: ClientId, failure: AccountFailure, via: LoginVia) -> Handled {
    failed(out, id, failure, via);
    Ok(())
}

fn failed(out: &mut Output, id: ClientId, failure: AccountFailure, via: LoginVia) {
    out.tell(id, Reply::Account(AccountReply::Failed { failure, via }));
}

impl State {
    /// The account that owns `nick`, if any.
    pub(super) fn owner_of(&self, nick: &Folded) -> Option<&AccountEntry> {
        self.accounts.get(nick)
    }

    /// Whether `member` may use `nick` without a password: nobody owns it, or it is logged in to
    /// the owner.
    pub(super) fn may_use(&self, member: &Member, nick: &Folded) -> bool {
        match self.accounts.get(nick) {
            None => true,
            Some(entry) => member.account.as_deref().is_some_and(|a| Folded::of(a) == *nick) && !entry.disabled,
        }
    }

    /// Who is logged in to `account`.
    fn sessions_of(&self, account: &Folded) -> Vec<ClientId> {
        self.members
            .iter()
            .filter(|(_, m)| m.account.as_deref().is_some_and(|a| Folded::of(a) == *account))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every known account, told by the broker at start and whenever one is created.
    pub fn account_added(&mut self, entry: AccountEntry, now: Millis, out: &mut Output) {
        let key = Folded::of(&entry.name);
        self.accounts.insert(key.clone(), entry);
        // Someone holding the nickname without the account (an operator created it just now) is
        // told to identify, or be renamed.
        if let Some(&holder) = self.nicks.get(&key) {
            self.warn_unless_owner(holder, now, out);
        }
    }

    /// An account changed (an operator disabled or enabled it): a disabled account's sessions end.
    pub fn account_updated(&mut self, entry: AccountEntry, out: &mut Output) {
        let key = Folded::of(&entry.name);
        if entry.disabled {
            for id in self.sessions_of(&key) {
                out.kills.push((id, QuitReason::AccountClosed { account: Arc::clone(&entry.name), disabled: true }));
            }
        }
        self.accounts.insert(key, entry);
    }

    /// An account is gone (unregistered by its owner, or deleted by an operator).
    pub fn account_removed(&mut self, name: &str, why: AccountGone, out: &mut Output) {
        let key = Folded::of(name);
        let Some(entry) = self.accounts.remove(&key) else { return };
        self.conversations.forget_account(name);
        for id in self.sessions_of(&key) {
            match why {
                AccountGone::Deleted => out
                    .kills
                    .push((id, QuitReason::AccountClosed { account: Arc::clone(&entry.name), disabled: false })),
                AccountGone::Unregistered => {
                    let _ = self.set_account(id, None, LoginVia::Command, out);
                }
            }
        }
    }

    /// How many accounts chat state knows.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// An account request from `id` (the command table lets it through before registration; what
    /// each needs is checked here).
    pub(super) fn account_command(
        &mut self,
        id: ClientId,
        request: AccountCommand,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        let Some(member) = self.members.get(&id) else { return Ok(()) };
        let registered = member.person.is_some();
        let by_login = member.profile.registers_by_login;
        match request {
            AccountCommand::Help { topic } => out.tell(id, Reply::Account(AccountReply::Help { topic })),
            AccountCommand::Identify { name, password, via } => {
                // Before registration only SASL and clients that register by logging in.
                if !registered && via == LoginVia::Command && !by_login {
                    out.error(id, ChatError::NickRequired);
                } else {
                    self.identify(id, name, password, via, out);
                }
            }
            AccountCommand::Register { name, password } => {
                if !registered && !by_login {
                    out.error(id, ChatError::NickRequired);
                } else {
                    self.register(id, name, password, out);
                }
            }
            _ if !registered => out.error(id, ChatError::NickRequired),
            AccountCommand::Info { name } => self.info(id, name, out),
            AccountCommand::Regain { nick, password } => self.regain(id, &nick, password, now, out)?,
            AccountCommand::SetPassword { old, new } => {
                let Some(account) = member.account.clone() else {
                    return refuse(out, id, AccountFailure::NotLoggedIn, LoginVia::Command);
                };
                let min = self.settings.min_password;
                if !password_length_ok(&new, min) {
                    let failure = AccountFailure::PasswordLength { min, max: MAX_PASSWORD_BYTES };
                    return refuse(out, id, failure, LoginVia::Command);
                }
                let work = match old {
                    Some(old) => Work::Verify { account, password: old, then: AfterLogin::SetPassword { new } },
                    None => Work::SetPassword { account, password: new },
                };
                out.jobs.push(AccountJob { id, work });
            }
            AccountCommand::Unregister { password } => {
                let Some(account) = member.account.clone() else {
                    return refuse(out, id, AccountFailure::NotLoggedIn, LoginVia::Command);
                };
                let Some(password) = password else {
                    return refuse(out, id, AccountFailure::Usage("unregister"), LoginVia::Command);
                };
                out.jobs
                    .push(AccountJob { id, work: Work::Verify { account, password, then: AfterLogin::Unregister } });
            }
        }
        Ok(())
    }

    fn identify(&mut self, id: ClientId, name: Option<String>, password: String, via: LoginVia, out: &mut Output) {
        let Some(member) = self.members.get(&id) else { return };
        let Some(name) = name.or_else(|| member.nick.as_ref().map(|n| n.to_string())) else {
            return failed(out, id, AccountFailure::NeedsNickname, via);
        };
        if let Some(account) = &member.account {
            return failed(out, id, AccountFailure::AlreadyLoggedIn(Arc::clone(account)), via);
        }
        match self.accounts.get(&Folded::of(&name)) {
            None => {
                out.audit.push(Audit::LoginFailed { id, account: name.clone() });
                failed(out, id, AccountFailure::NoSuchAccount(name), via)
            }
            Some(entry) if entry.disabled => failed(out, id, AccountFailure::Disabled(entry.name.to_string()), via),
            Some(_) if password.len() > MAX_PASSWORD_BYTES => {
                out.audit.push(Audit::LoginFailed { id, account: name });
                failed(out, id, AccountFailure::WrongPassword, via)
            }
            Some(entry) => out.jobs.push(AccountJob {
                id,
                work: Work::Verify { account: Arc::clone(&entry.name), password, then: AfterLogin::Login { via } },
            }),
        }
    }

    fn register(&mut self, id: ClientId, name: Option<String>, password: String, out: &mut Output) {
        let via = LoginVia::Command;
        let Some(member) = self.members.get(&id) else { return };
        if !self.settings.registration_open {
            return failed(out, id, AccountFailure::RegistrationClosed, via);
        }
        if let Some(account) = &member.account {
            return failed(out, id, AccountFailure::AlreadyLoggedIn(Arc::clone(account)), via);
        }
        let Some(name) = name.or_else(|| member.nick.as_ref().map(|n| n.to_string())) else {
            return failed(out, id, AccountFailure::NeedsNickname, via);
        };
        let nick = match Nick::parse(&name) {
            Ok(nick) if !is_reserved_nick(nick.as_str()) && !is_guest_nick(nick.as_str()) => nick,
            _ => return failed(out, id, AccountFailure::NameInvalid(name), via),
        };
        let min = self.settings.min_password;
        if !password_length_ok(&password, min) {
            return failed(out, id, AccountFailure::PasswordLength { min, max: MAX_PASSWORD_BYTES }, via);
        }
        let key = nick.folded();
        if self.accounts.contains_key(&key) || self.creating.contains(&key) {
            return failed(out, id, AccountFailure::AlreadyExists(nick.to_string()), via);
        }
        // Registering a nickname someone else holds would take it from them: only your own.
        if let Some(&holder) = self.nicks.get(&key)
            && holder != id
        {
            return failed(out, id, AccountFailure::NickInUse(nick.to_string()), via);
        }
        self.creating.insert(key);
        out.jobs.push(AccountJob { id, work: Work::Create { name: nick, password, via } });
    }

    fn info(&self, id: ClientId, name: Option<String>, out: &mut Output) {
        let member = self.members.get(&id);
        let name = name
            .or_else(|| member.and_then(|m| m.account.as_deref().map(str::to_string)))
            .or_else(|| member.and_then(|m| m.nick.as_ref().map(|n| n.to_string())))
            .unwrap_or_default();
        let key = Folded::of(&name);
        match self.accounts.get(&key) {
            Some(entry) => out.tell(
                id,
                Reply::Account(AccountReply::Info {
                    account: Arc::clone(&entry.name),
                    registered: entry.created,
                    online: !self.sessions_of(&key).is_empty(),
                    disabled: entry.disabled,
                }),
            ),
            None => failed(out, id, AccountFailure::NoSuchAccount(name), LoginVia::Command),
        }
    }

    fn regain(&mut self, id: ClientId, nick: &str, password: Option<String>, now: Millis, out: &mut Output) -> Handled {
        let key = Folded::of(nick);
        let Some(entry) = self.accounts.get(&key) else {
            return refuse(out, id, AccountFailure::NoSuchAccount(nick.to_string()), LoginVia::Command);
        };
        if entry.disabled {
            return refuse(out, id, AccountFailure::Disabled(entry.name.to_string()), LoginVia::Command);
        }
        let Ok(nick) = Nick::parse(&entry.name) else { return Err(Broken("account_name_not_a_nick")) };
        let logged_in = self.members.get(&id).is_some_and(|m| self.may_use(m, &key));
        match password {
            _ if logged_in => self.take_nick(id, nick, now, out),
            Some(password) => {
                let account = Arc::clone(&entry.name);
                out.jobs.push(AccountJob {
                    id,
                    work: Work::Verify { account, password, then: AfterLogin::Regain { nick } },
                });
                Ok(())
            }
            None => refuse(out, id, AccountFailure::NotLoggedIn, LoginVia::Command),
        }
    }

    /// The broker finished `work` for `id` (`Err`: why it failed). For `Create` the broker has
    /// already told `account_added`; for `Delete`, `account_removed`.
    pub fn job_done(
        &mut self,
        id: ClientId,
        work: Work,
        result: Result<(), AccountFailure>,
        now: Millis,
        out: &mut Output,
    ) {
        if let Err(broken) = self.finish_job(id, work, result, now, out) {
            out.audit.push(Audit::InvariantBroken { id, what: broken.0 });
        }
    }

    fn finish_job(
        &mut self,
        id: ClientId,
        work: Work,
        result: Result<(), AccountFailure>,
        now: Millis,
        out: &mut Output,
    ) -> Handled {
        if let Work::Create { name, .. } = &work {
            self.creating.remove(&name.folded());
        }
        if !self.members.contains_key(&id) {
            return Ok(());
        }
        let via = work.via();
        let failure = match result {
            Ok(()) => return self.succeeded(id, work, now, out),
            Err(failure) => failure,
        };
        if matches!(failure, AccountFailure::WrongPassword) {
            out.audit.push(Audit::LoginFailed { id, account: work.account().to_string() });
        }
        let at_prompt = matches!(&work, Work::Verify { then: AfterLogin::TakeNick { .. }, .. });
        if at_prompt {
            self.prompt_failed(id, failure, out);
            return Ok(());
        }
        failed(out, id, failure, via);
        // A login at registration that failed: the nickname it was for may be owned.
        if via == LoginVia::Pass && self.members.get(&id).is_some_and(|m| m.person.is_some()) {
            self.warn_unless_owner(id, now, out);
        }
        Ok(())
    }

    fn succeeded(&mut self, id: ClientId, work: Work, now: Millis, out: &mut Output) -> Handled {
        // The account may have been disabled or deleted while its password was checked.
        if let Work::Verify { account, then, .. } = &work {
            let failure = match self.accounts.get(&Folded::of(account)) {
                None => Some(AccountFailure::NoSuchAccount(account.to_string())),
                Some(entry) if entry.disabled => Some(AccountFailure::Disabled(entry.name.to_string())),
                Some(_) => None,
            };
            if let Some(failure) = failure {
                if matches!(then, AfterLogin::TakeNick { .. }) {
                    if let Some(member) = self.members.get_mut(&id) {
                        member.prompt = None;
                    }
                    self.prompt_failed(id, failure, out);
                } else {
                    failed(out, id, failure, work.via());
                }
                return Ok(());
            }
        }
        match work {
            Work::Verify { account, then, .. } => match then {
                AfterLogin::Login { via } => self.log_in(id, account, via, now, out),
                AfterLogin::TakeNick { nick } => {
                    out.audit.push(Audit::LoggedIn { id, account: account.to_string(), via: LoginVia::Command });
                    self.set_account(id, Some(account), LoginVia::Command, out)?;
                    if let Some(member) = self.members.get_mut(&id) {
                        member.prompt = None;
                    }
                    self.take_nick(id, nick, now, out)
                }
                AfterLogin::Regain { nick } => {
                    // Renamed first: the login's replies are addressed to the nickname regained.
                    out.audit.push(Audit::LoggedIn { id, account: account.to_string(), via: LoginVia::Command });
                    self.take_nick(id, nick, now, out)?;
                    self.set_account(id, Some(account), LoginVia::Command, out)
                }
                AfterLogin::SetPassword { new } => {
                    out.jobs.push(AccountJob { id, work: Work::SetPassword { account, password: new } });
                    Ok(())
                }
                AfterLogin::Unregister => {
                    out.jobs.push(AccountJob { id, work: Work::Delete { account } });
                    Ok(())
                }
            },
            Work::Create { name, via, .. } => {
                let account: Arc<str> = Arc::from(name.as_str());
                out.audit.push(Audit::AccountRegistered { id, account: name.to_string() });
                out.tell(id, Reply::Account(AccountReply::Registered { account: Arc::clone(&account) }));
                self.log_in(id, account, via, now, out)
            }
            Work::SetPassword { account, .. } => {
                out.audit.push(Audit::PasswordChanged { id, account: account.to_string() });
                out.tell(id, Reply::Account(AccountReply::PasswordChanged { account }));
                Ok(())
            }
            Work::Delete { account } => {
                out.audit.push(Audit::AccountDeleted { id, account: account.to_string() });
                out.tell(id, Reply::Account(AccountReply::Unregistered { account }));
                Ok(())
            }
        }
    }

    /// Logs `id` in to `account` after a password check. A client that registers by logging in
    /// (XMLSocket) gets the account's nickname and is registered.
    fn log_in(&mut self, id: ClientId, account: Arc<str>, via: LoginVia, now: Millis, out: &mut Output) -> Handled {
        let Some(member) = self.members.get(&id) else { return Ok(()) };
        if member.account.is_some() {
            return Ok(());
        }
        if member.person.is_none() && member.profile.registers_by_login {
            let Ok(nick) = Nick::parse(&account) else { return Err(Broken("account_name_not_a_nick")) };
            let key = nick.folded();
            // Whoever holds it, an unidentified user or a stale session of the same account (an
            // XMLSocket client is never pinged, so a dead one may linger), gives it up: a login
            // here regains the nickname.
            if let Some(&holder) = self.nicks.get(&key)
                && holder != id
            {
                self.rename_to_guest(holder, now, out)?;
            }
            if let Some(member) = self.members.get_mut(&id) {
                member.account = Some(Arc::clone(&account));
                member.nick = Some(nick.clone());
            }
            self.nicks.insert(key, id);
            out.audit.push(Audit::LoggedIn { id, account: account.to_string(), via });
            self.complete_registration(id, now, out)?;
            let person = self.person(id)?;
            out.tell(id, Reply::Account(AccountReply::LoggedIn { account, person, via }));
            return Ok(());
        }
        out.audit.push(Audit::LoggedIn { id, account: account.to_string(), via });
        self.set_account(id, Some(account), via, out)?;
        if let Some(member) = self.members.get_mut(&id)
            && member
                .nick
                .as_ref()
                .is_some_and(|n| member.account.as_deref().is_some_and(|a| n.folded() == Folded::of(a)))
        {
            member.nick_deadline = None;
        }
        Ok(())
    }

    /// Sets or clears `id`'s account, tells it (and, when registered, those sharing a room with
    /// it, for IRC `account-notify`).
    fn set_account(&mut self, id: ClientId, account: Option<Arc<str>>, via: LoginVia, out: &mut Output) -> Handled {
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        if member.account == account {
            return Ok(());
        }
        member.account = account.clone();
        let person = match &member.person {
            Some(old) => {
                let person = Arc::new(Person { account: account.clone(), ..(**old).clone() });
                member.person = Some(Arc::clone(&person));
                Some(person)
            }
            None => None,
        };
        let shown = match &person {
            Some(person) => Arc::clone(person),
            // Not registered yet (SASL before `CAP END`): who they will be.
            None => Arc::new(provisional_person(member, account.clone())?),
        };
        match account {
            Some(account) => {
                out.tell(id, Reply::Account(AccountReply::LoggedIn { account, person: Arc::clone(&shown), via }))
            }
            None => out.tell(id, Reply::Account(AccountReply::LoggedOut { person: Arc::clone(&shown) })),
        }
        if let Some(person) = person {
            let account = person.account.clone();
            out.tell_many(self.nick_audience(id), Reply::AccountChanged { who: person, account });
        }
        Ok(())
    }

    /// Gives `nick` to `id`, who may use it: whoever else holds it (an unidentified user, or a
    /// stale session of the same account) is renamed to a guest nickname first.
    fn take_nick(&mut self, id: ClientId, nick: Nick, now: Millis, out: &mut Output) -> Handled {
        let key = nick.folded();
        if let Some(&holder) = self.nicks.get(&key)
            && holder != id
        {
            self.rename_to_guest(holder, now, out)?;
        }
        let registered = self.members.get(&id).is_some_and(|m| m.person.is_some());
        if registered {
            self.rename(id, nick, out)
        } else {
            if let Some(member) = self.members.get_mut(&id)
                && let Some(old) = member.nick.replace(nick)
            {
                self.nicks.remove(&old.folded());
            }
            self.nicks.insert(key, id);
            self.complete_registration(id, now, out)
        }
    }

    /// Tells `id` to identify if it holds a nickname owned by an account it is not logged in to,
    /// and sets the time it will be renamed.
    pub(super) fn warn_unless_owner(&mut self, id: ClientId, now: Millis, out: &mut Output) {
        let grace = self.settings.guest_grace;
        let Some(member) = self.members.get(&id) else { return };
        let Some(nick) = member.nick.clone() else { return };
        if member.person.is_none() {
            return;
        }
        if self.may_use(member, &nick.folded()) {
            if let Some(member) = self.members.get_mut(&id) {
                member.nick_deadline = None;
            }
            return;
        }
        // Already told, and due: the first deadline stands (a repeated NICK does not buy time).
        if member.nick_deadline.is_some() {
            return;
        }
        if let Some(member) = self.members.get_mut(&id) {
            member.nick_deadline = Some(now + grace);
        }
        self.deadlines.push((now + grace, id));
        out.tell(id, Reply::Account(AccountReply::NickOwned { nick, grace_secs: grace / 1000 }));
    }

    /// Renames the unidentified holders of owned nicknames whose grace period ran out. The
    /// broker calls this from its sweep.
    pub fn rename_unidentified(&mut self, now: Millis, out: &mut Output) {
        if self.deadlines.is_empty() {
            return;
        }
        let (due, later): (Vec<_>, Vec<_>) = self.deadlines.drain(..).partition(|(at, _)| *at <= now);
        self.deadlines = later;
        for (_, id) in due {
            let Some(member) = self.members.get(&id) else { continue };
            let still = member.nick_deadline.is_some_and(|at| at <= now)
                && member.nick.as_ref().is_some_and(|n| !self.may_use(member, &n.folded()));
            if still && let Err(broken) = self.rename_to_guest(id, now, out) {
                out.audit.push(Audit::InvariantBroken { id, what: broken.0 });
            }
        }
    }

    /// Renames `id` to a free guest nickname (it held one that is now somebody else's).
    pub(super) fn rename_to_guest(&mut self, id: ClientId, now: Millis, out: &mut Output) -> Handled {
        let _ = now;
        // A few numbered tries, then one named after the client (unique: ids are never reused),
        // so the search is bounded however many guest names are taken.
        let free = |state: &State, nick: &Nick| {
            !state.nicks.contains_key(&nick.folded()) && !state.accounts.contains_key(&nick.folded())
        };
        let mut guest = None;
        for _ in 0..16 {
            self.guests = self.guests.wrapping_add(1);
            if let Ok(nick) = Nick::parse(&format!("Guest{}", 10_000 + self.guests % 90_000))
                && free(self, &nick)
            {
                guest = Some(nick);
                break;
            }
        }
        let fallback = Nick::parse(&format!("Guest-{}", id.0 % 100_000_000_000_000)).ok().filter(|n| free(self, n));
        let Some(guest) = guest.or(fallback) else { return Err(Broken("no_guest_nick")) };
        let Some(member) = self.members.get_mut(&id) else { return Ok(()) };
        member.nick_deadline = None;
        let Some(from) = member.nick.clone() else { return Ok(()) };
        out.audit.push(Audit::GuestRenamed { id, from: from.clone(), to: guest.clone() });
        if member.person.is_some() {
            self.rename(id, guest, out)?;
        } else {
            member.nick = Some(guest.clone());
            self.nicks.remove(&from.folded());
            self.nicks.insert(guest.folded(), id);
        }
        out.tell(id, Reply::Account(AccountReply::Renamed { from }));
        Ok(())
    }
}

/// A guest nickname (`Guest12345`): handed out to the renamed, never an account's.
fn is_guest_nick(nick: &str) -> bool {
    match (nick.get(..5), nick.get(5..)) {
        (Some(head), Some(tail)) => {
            head.eq_ignore_ascii_case("guest")
                && !tail.is_empty()
                && tail.trim_start_matches('-').chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Who a client not registered yet will be, as far as it is known (IRC 900 shows a mask).
fn provisional_person(member: &Member, account: Option<Arc<str>>) -> Result<Person, Broken> {
    let nick = match &member.nick {
        Some(nick) => nick.clone(),
        None => Nick::parse("Guest").map_err(|_| Broken("guest_nick_invalid"))?,
    };
    // No user name before `USER`: shown as unknown, not made up.
    let user = member.user.clone().unwrap_or_default();
    Ok(Person { nick, user, host: member.host.clone(), account, realname: Arc::from(member.realname.as_str()) })
}

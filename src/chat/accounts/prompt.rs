//! The password prompt: a person (netcat) who chooses a registered nickname is asked for its
//! password, and their next line is taken whole as the password, three tries at most.

use super::super::{Output, State};
use super::{AccountJob, AfterLogin, PASSWORD_TRIES, PasswordPrompt, Work};
use crate::core::ids::ClientId;
use crate::core::names::Nick;
use crate::protocol::{AccountFailure, AccountReply, LoginVia, Reply};
use std::sync::Arc;

impl State {
    /// A wrong password (or a throttle, or a busy server) at the password prompt.
    pub(in crate::chat) fn prompt_failed(&mut self, id: ClientId, failure: AccountFailure, out: &mut Output) {
        let Some(member) = self.members.get_mut(&id) else { return };
        let registered = member.person.is_some();
        let again = match (&mut member.prompt, &failure) {
            (Some(prompt), AccountFailure::WrongPassword) if prompt.tries_left > 1 => {
                prompt.tries_left -= 1;
                prompt.checking = false;
                Some(AccountReply::PasswordPrompt { nick: prompt.nick.clone(), tries_left: prompt.tries_left })
            }
            _ => None,
        };
        if again.is_none() {
            member.prompt = None;
        }
        out.tell(id, Reply::Account(AccountReply::Failed { failure, via: LoginVia::Command }));
        match again {
            Some(prompt) => out.tell(id, Reply::Account(prompt)),
            None if !registered => out.tell(id, Reply::NickPrompt { reminder: false }),
            None => {}
        }
    }

    /// A person chose `nick`, which an account they are not logged in to owns: asks for its
    /// password. Returns false when nobody owns it (the caller claims it as usual).
    pub(in crate::chat) fn ask_password_for(&mut self, id: ClientId, nick: &Nick, out: &mut Output) -> bool {
        let key = nick.folded();
        let Some(member) = self.members.get(&id) else { return false };
        let Some(entry) = self.accounts.get(&key) else { return false };
        if self.may_use(member, &key) {
            return false;
        }
        if entry.disabled {
            out.tell(
                id,
                Reply::Account(AccountReply::Failed {
                    failure: AccountFailure::Disabled(entry.name.to_string()),
                    via: LoginVia::Command,
                }),
            );
            if member.person.is_none() {
                out.tell(id, Reply::NickPrompt { reminder: false });
            }
            return true;
        }
        let prompt = PasswordPrompt {
            nick: Nick::parse(&entry.name).unwrap_or_else(|_| nick.clone()),
            tries_left: PASSWORD_TRIES,
            checking: false,
        };
        out.tell(
            id,
            Reply::Account(AccountReply::PasswordPrompt { nick: prompt.nick.clone(), tries_left: prompt.tries_left }),
        );
        if let Some(member) = self.members.get_mut(&id) {
            member.prompt = Some(prompt);
        }
        true
    }

    /// A plain line from a person at the password prompt: the password (or nothing, while the
    /// last one is being checked). Returns false when `id` is not at the prompt.
    pub(in crate::chat) fn password_line(&mut self, id: ClientId, line: &str, out: &mut Output) -> bool {
        let Some(member) = self.members.get_mut(&id) else { return false };
        let Some(prompt) = &mut member.prompt else { return false };
        if prompt.checking {
            return true;
        }
        let key = prompt.nick.folded();
        // The account went away (or was disabled) while the person typed: the line is still a
        // password, never a message.
        let usable = self.accounts.get(&key).filter(|entry| !entry.disabled);
        let Some(entry) = usable else {
            let nick = prompt.nick.to_string();
            let registered = member.person.is_some();
            member.prompt = None;
            let failure = match self.accounts.get(&key) {
                Some(entry) => AccountFailure::Disabled(entry.name.to_string()),
                None => AccountFailure::NoSuchAccount(nick),
            };
            out.tell(id, Reply::Account(AccountReply::Failed { failure, via: LoginVia::Command }));
            if !registered {
                out.tell(id, Reply::NickPrompt { reminder: false });
            }
            return true;
        };
        prompt.checking = true;
        let nick = prompt.nick.clone();
        let work = Work::Verify {
            account: Arc::clone(&entry.name),
            password: line.to_string(),
            then: AfterLogin::TakeNick { nick },
        };
        out.jobs.push(AccountJob { id, work });
        true
    }

    /// Leaves the password prompt (the person typed a command instead).
    pub(in crate::chat) fn leave_prompt(&mut self, id: ClientId) {
        if let Some(member) = self.members.get_mut(&id) {
            member.prompt = None;
        }
    }
}

//! The broker's side of accounts: it carries out the jobs chat state asks for (`chat::AccountJob`)
//! on the accounts threads (`accounts::Service`) and hands their reports back to chat state.
//!
//! The broker never waits for a hash or the database: a job is submitted with `try_send` and its
//! answer arrives later as `Event::Accounts`, matched to its client by a ticket. What stays here,
//! on the broker's thread, is cheap: the password hashes by account (to hand one to a check),
//! the login throttles (asked before any hashing, so a guessing client costs a map lookup) and
//! the registration limit per address. A full hashing queue answers "busy, try again" at once.
//!
//! Failed logins are logged `login_failed account=... peer=...`, summarised per address like
//! refusals (`Log::per_peer`), for fail2ban; no password is ever logged.

use super::{Broker, now_millis};
use crate::accounts::{CreateError, Job, LoginThrottle, Record, RegistrationLimit, Report, Service};
use crate::chat::{AccountEntry, AccountGone, AccountJob, AfterLogin, Work};
use crate::core::ids::{ClientId, IdMap, IdSet};
use crate::core::names::Folded;
use crate::log::Level;
use crate::protocol::{AccountFailure, Command, ParseError};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};

/// The accounts threads and what the broker keeps for them.
#[derive(Default)]
pub(super) struct Accounts {
    /// `None`: accounts are unavailable (every job fails with a clear answer).
    service: Option<Service>,
    /// Every account with its password hash, by folded name.
    records: HashMap<Folded, Record>,
    /// Jobs submitted and not yet answered.
    tickets: HashMap<u64, Ticket>,
    next_ticket: u64,
    logins: LoginThrottle,
    registrations: RegistrationLimit,
    /// Clients that stopped sending while their work ran (`Client::input_ended`).
    pub(super) ended: Vec<ClientId>,
    /// Tickets in flight per client.
    busy: IdMap<u32>,
    /// Lines from clients with work in flight, held until it is done, in order: a program that
    /// sends `IDENTIFY` and its next command at once gets the second handled as identified.
    held: IdMap<VecDeque<Result<Command, ParseError>>>,
    /// Clients whose line's answer waits for its work (`Session::defer`).
    pub(super) deferred: IdSet,
    /// Clients whose deferred answer is being rendered now, ended once it is (`after_report`).
    resumed: Vec<ClientId>,
}

/// Most lines held for one client while its work runs (flood control bounds the rate; this
/// bounds what a client that never stops can park).
const MAX_HELD: usize = 64;

/// A job in flight: whose it is, and what to tell chat state when it is done (passwords removed,
/// except a new password waiting for the old one's check).
struct Ticket {
    id: ClientId,
    work: Work,
    peer: IpAddr,
}

impl Accounts {
    /// Whether work for client `id` is still running.
    pub(super) fn pending_for(&self, id: ClientId) -> bool {
        self.busy.contains_key(&id)
    }

    /// Holds a line from `id` until its work is done; false when too many are held already (the
    /// line is dropped).
    pub(super) fn hold(&mut self, id: ClientId, input: Result<Command, ParseError>) -> bool {
        let held = self.held.entry(id).or_default();
        if held.len() >= MAX_HELD {
            return false;
        }
        held.push_back(input);
        true
    }

    fn take_ticket(&mut self, ticket: u64) -> Option<Ticket> {
        let taken = self.tickets.remove(&ticket)?;
        if let Some(count) = self.busy.get_mut(&taken.id) {
            *count -= 1;
            if *count == 0 {
                self.busy.remove(&taken.id);
            }
        }
        Some(taken)
    }

    /// Forgets a client that is gone: its held lines, and its answers when they come.
    pub(super) fn forget(&mut self, id: ClientId) {
        self.held.remove(&id);
        self.deferred.remove(&id);
    }

    /// Accounts backed by `service`, knowing `records` (loaded at start).
    pub(super) fn new(service: Service, records: Vec<Record>) -> Accounts {
        let records = records.into_iter().map(|r| (Folded::of(&r.name), r)).collect();
        Accounts { service: Some(service), records, ..Accounts::default() }
    }
}

fn entry(record: &Record) -> AccountEntry {
    AccountEntry { name: record.name.as_str().into(), created: record.created, disabled: record.disabled }
}

/// `work` without the password it carried to the threads.
fn without_password(work: &Work) -> Work {
    match work {
        Work::Verify { account, then, .. } => {
            Work::Verify { account: account.clone(), password: String::new(), then: then.clone() }
        }
        Work::Create { name, via, .. } => Work::Create { name: name.clone(), password: String::new(), via: *via },
        Work::SetPassword { account, .. } => Work::SetPassword { account: account.clone(), password: String::new() },
        Work::Delete { account } => Work::Delete { account: account.clone() },
    }
}

impl Broker {
    /// Tells chat state what every account is, at start.
    pub(super) fn announce_accounts(&mut self) {
        let now = now_millis();
        let entries: Vec<AccountEntry> = self.accounts.records.values().map(entry).collect();
        for entry in entries {
            self.state.account_added(entry, now, &mut self.out);
        }
    }

    /// The address a client's requests come from (a web session's is its browser's).
    fn peer_ip(&self, id: ClientId) -> IpAddr {
        match self.clients.get(&id) {
            Some(client) => client.peer.ip().to_canonical(),
            // A web session's browser, or one still logging in.
            None => self.web.peer(id).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        }
    }

    /// Starts every job chat state asked for; a job refused at once (throttled, busy) is answered
    /// at once, which may ask for more.
    pub(super) fn run_account_jobs(&mut self) {
        while !self.out.jobs.is_empty() {
            for job in std::mem::take(&mut self.out.jobs) {
                self.start_job(job);
            }
        }
    }

    fn start_job(&mut self, job: AccountJob) {
        let AccountJob { id, work } = job;
        let now = now_millis();
        let peer = self.peer_ip(id);
        let refused = |broker: &mut Broker, work: Work, failure: AccountFailure| {
            broker.state.job_done(id, work, Err(failure), now, &mut broker.out);
            broker.web_login_checked(id);
        };
        let job = match &work {
            Work::Verify { account, password, .. } => {
                let key = Folded::of(account);
                if let Err(secs) = self.accounts.logins.check(&key, peer, now) {
                    self.log.per_peer(
                        peer,
                        Level::Warn,
                        "login_throttled",
                        &[("client", &id), ("account", account), ("peer", &peer), ("wait_s", &secs)],
                    );
                    return refused(self, without_password(&work), AccountFailure::Throttled { secs });
                }
                let Some(record) = self.accounts.records.get(&key) else {
                    return refused(self, without_password(&work), AccountFailure::WrongPassword);
                };
                Job::Verify { phc: record.phc.clone(), password: password.clone() }
            }
            Work::Create { name, password, .. } => {
                if let Err(secs) = self.accounts.registrations.check(peer, now) {
                    return refused(self, without_password(&work), AccountFailure::RegistrationThrottled { secs });
                }
                Job::Create { name: name.to_string(), password: password.clone(), now_ms: now }
            }
            Work::SetPassword { account, password } => {
                Job::SetPassword { name: account.to_string(), password: password.clone() }
            }
            Work::Delete { account } => Job::Delete { name: account.to_string() },
        };
        let Some(service) = &self.accounts.service else {
            return refused(self, without_password(&work), AccountFailure::Unavailable);
        };
        self.accounts.next_ticket += 1;
        let ticket = self.accounts.next_ticket;
        if service.submit(ticket, job).is_err() {
            self.log.per_peer(peer, Level::Warn, "login_busy", &[("client", &id), ("peer", &peer)]);
            return refused(self, without_password(&work), AccountFailure::Busy);
        }
        // A new password waits here for the old one's check; nothing else keeps a password.
        let kept = match work {
            Work::Verify { account, then: then @ AfterLogin::SetPassword { .. }, .. } => {
                Work::Verify { account, password: String::new(), then }
            }
            work => without_password(&work),
        };
        self.accounts.tickets.insert(ticket, Ticket { id, work: kept, peer });
        *self.accounts.busy.entry(id).or_default() += 1;
    }

    /// The job `ticket` is done. When it was the last its client waited for, and the line that
    /// started it is still unanswered, that line's response resumes: what the report causes
    /// for the client is the answer to it.
    fn ticket_of(&mut self, ticket: u64) -> Option<Ticket> {
        let taken = self.accounts.take_ticket(ticket)?;
        let id = taken.id;
        if !self.accounts.pending_for(id) && self.accounts.deferred.remove(&id) {
            if let Some(session) = self.line_session(id) {
                session.resume();
            }
            self.accounts.resumed.push(id);
        }
        Some(taken)
    }

    /// A report from the accounts threads.
    pub(super) fn account_report(&mut self, report: Report) {
        let now = now_millis();
        match report {
            Report::Verified { ticket, ok } => {
                let Some(Ticket { id, work, peer }) = self.ticket_of(ticket) else { return };
                let key = Folded::of(work.account());
                let result = if ok {
                    self.accounts.logins.succeeded(&key, peer);
                    Ok(())
                } else {
                    self.accounts.logins.failed(&key, peer, now);
                    self.log.per_peer(
                        peer,
                        Level::Warn,
                        "login_failed",
                        &[("client", &id), ("account", &work.account()), ("peer", &peer)],
                    );
                    Err(AccountFailure::WrongPassword)
                };
                self.state.job_done(id, work, result, now, &mut self.out);
                self.web_login_checked(id);
            }
            Report::Created { ticket, result } => {
                let Some(Ticket { id, work, peer }) = self.ticket_of(ticket) else { return };
                let result = match result {
                    Ok(record) => {
                        self.accounts.registrations.record(peer, now);
                        // Logged in first, then announced: the one who registered it holds the
                        // nickname, and must not be told to identify.
                        let entry = entry(&record);
                        self.accounts.records.insert(Folded::of(&record.name), record);
                        self.state.job_done(id, work, Ok(()), now, &mut self.out);
                        self.state.account_added(entry, now, &mut self.out);
                        self.web_login_checked(id);
                        return self.after_report();
                    }
                    Err(CreateError::Exists) => Err(AccountFailure::AlreadyExists(work.account().to_string())),
                    Err(CreateError::Invalid(_)) => Err(AccountFailure::NameInvalid(work.account().to_string())),
                    Err(CreateError::Storage(error)) => {
                        self.log.error("accounts_error", &[("what", &"create"), ("error", &error)]);
                        Err(AccountFailure::Unavailable)
                    }
                };
                self.state.job_done(id, work, result, now, &mut self.out);
                self.web_login_checked(id);
            }
            Report::PasswordSet { ticket, result } => {
                let Some(Ticket { id, work, .. }) = self.ticket_of(ticket) else { return };
                let result = match result {
                    Ok(record) => {
                        self.accounts.records.insert(Folded::of(&record.name), record);
                        Ok(())
                    }
                    Err(error) => {
                        self.log.error("accounts_error", &[("what", &"set_password"), ("error", &error)]);
                        Err(AccountFailure::Unavailable)
                    }
                };
                self.state.job_done(id, work, result, now, &mut self.out);
                self.web_login_checked(id);
            }
            Report::Deleted { ticket, result } => {
                let Some(Ticket { id, work, .. }) = self.ticket_of(ticket) else { return };
                let result = match result {
                    Ok(()) => {
                        self.accounts.records.remove(&Folded::of(work.account()));
                        self.state.account_removed(work.account(), AccountGone::Unregistered, &mut self.out);
                        Ok(())
                    }
                    Err(error) => {
                        self.log.error("accounts_error", &[("what", &"delete"), ("error", &error)]);
                        Err(AccountFailure::Unavailable)
                    }
                };
                self.state.job_done(id, work, result, now, &mut self.out);
                self.web_login_checked(id);
            }
            Report::Reloaded(records) => self.reload_accounts(records, now),
            Report::Failed { what, error } => self.log.error("accounts_error", &[("what", &what), ("error", &error)]),
        }
        self.after_report();
    }

    /// What follows every report: deliver, end the responses it answered (or defer them again
    /// when it started more work), carry on with held lines, close finished inputs.
    fn after_report(&mut self) {
        self.dispatch();
        for id in std::mem::take(&mut self.accounts.resumed) {
            if self.accounts.pending_for(id) {
                if let Some(session) = self.line_session(id) {
                    session.defer();
                }
                self.accounts.deferred.insert(id);
            } else {
                self.end_line(id);
            }
        }
        self.release_held();
        self.close_finished_inputs();
    }

    /// Handles the lines held for clients whose work is done, in order, until one starts work
    /// again.
    fn release_held(&mut self) {
        let ready: Vec<ClientId> =
            self.accounts.held.keys().copied().filter(|id| !self.accounts.pending_for(*id)).collect();
        for id in ready {
            while !self.accounts.pending_for(id) {
                // A client removed meanwhile (its account disabled, its own QUIT held before)
                // has nothing more handled.
                if self.clients.get(&id).is_some_and(|c| c.doomed) {
                    self.accounts.held.remove(&id);
                    break;
                }
                let Some(input) = self.accounts.held.get_mut(&id).and_then(VecDeque::pop_front) else { break };
                self.apply_input(id, input);
                self.dispatch();
            }
            if self.accounts.held.get(&id).is_some_and(VecDeque::is_empty) {
                self.accounts.held.remove(&id);
            }
        }
    }

    /// Clients that stopped sending while their account work ran, and whose work is done:
    /// closed once their answers have left.
    fn close_finished_inputs(&mut self) {
        if self.accounts.ended.is_empty() {
            return;
        }
        let ended = std::mem::take(&mut self.accounts.ended);
        let (done, waiting): (Vec<ClientId>, Vec<ClientId>) = ended
            .into_iter()
            .filter(|id| self.clients.contains_key(id))
            .partition(|id| !self.accounts.pending_for(*id));
        self.accounts.ended = waiting;
        for id in done {
            self.close_when_sent(id);
        }
    }

    /// Another process (the operator's `chatd account`) changed the database: chat state
    /// follows, and the sessions of disabled or deleted accounts end.
    fn reload_accounts(&mut self, records: Vec<Record>, now: u64) {
        let mut fresh: HashMap<Folded, Record> = records.into_iter().map(|r| (Folded::of(&r.name), r)).collect();
        let (mut added, mut removed, mut changed) = (0usize, 0usize, 0usize);
        let gone: Vec<Folded> = self.accounts.records.keys().filter(|k| !fresh.contains_key(*k)).cloned().collect();
        for key in gone {
            if let Some(old) = self.accounts.records.remove(&key) {
                removed += 1;
                self.log.info("account_deleted", &[("account", &old.name), ("by", &"operator")]);
                self.state.account_removed(&old.name, AccountGone::Deleted, &mut self.out);
            }
        }
        for (key, record) in fresh.drain() {
            match self.accounts.records.get(&key) {
                None => {
                    added += 1;
                    self.state.account_added(entry(&record), now, &mut self.out);
                }
                Some(old) if old.disabled != record.disabled => {
                    changed += 1;
                    let what = if record.disabled { "account_disabled" } else { "account_enabled" };
                    self.log.info(what, &[("account", &record.name), ("by", &"operator")]);
                    self.state.account_updated(entry(&record), &mut self.out);
                }
                Some(_) => {}
            }
            self.accounts.records.insert(key, record);
        }
        self.log.info(
            "accounts_reloaded",
            &[
                ("accounts", &self.accounts.records.len()),
                ("added", &added),
                ("removed", &removed),
                ("changed", &changed),
            ],
        );
    }
}

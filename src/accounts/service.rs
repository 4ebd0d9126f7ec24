//! The accounts threads: one database thread that owns the `Store` and does every query and
//! commit in turn, and a few hashing threads that take password work from one bounded queue.
//!
//! The broker calls `Service::submit`, which never blocks: when the queue is full the answer is
//! `Busy` and the user is told to try again, so a storm of logins (say, every client after a
//! restart) costs the broker nothing and delays no message. Answers come back as `Report`s
//! through the `report` callback, called on these threads (the broker's wraps them as events).
//!
//! Passwords live in jobs only until hashed or verified, and are never logged (`Debug` of a job
//! hides them). Nothing here panics on a database or hashing failure: it is reported.

use super::hash;
use super::store::{CreateError, Record, Store};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use std::fmt;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often the database thread asks whether another process changed the file.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Work for the accounts threads. `ticket` (given to `submit`) comes back in the report.
#[derive(Clone, PartialEq, Eq)]
pub enum Job {
    /// Does `password` match the hash `phc`? (The caller looked the hash up in its own index.)
    Verify { phc: String, password: String },
    /// Create the account `name` with `password`.
    Create { name: String, password: String, now_ms: u64 },
    /// Give the account `name` a new password.
    SetPassword { name: String, password: String },
    /// Delete the account `name`.
    Delete { name: String },
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Job::Verify { .. } => f.write_str("Verify { .. }"),
            Job::Create { name, now_ms, .. } => write!(f, "Create {{ name: {name:?}, now_ms: {now_ms}, .. }}"),
            Job::SetPassword { name, .. } => write!(f, "SetPassword {{ name: {name:?}, .. }}"),
            Job::Delete { name } => write!(f, "Delete {{ name: {name:?} }}"),
        }
    }
}

/// What became of a job, or news from the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    Verified {
        ticket: u64,
        ok: bool,
    },
    Created {
        ticket: u64,
        result: Result<Record, CreateError>,
    },
    PasswordSet {
        ticket: u64,
        result: Result<Record, String>,
    },
    Deleted {
        ticket: u64,
        result: Result<(), String>,
    },
    /// Another process (the operator's `chatd account`) changed the database: every account as
    /// it now is. Disabled or deleted accounts' sessions should end.
    Reloaded(Vec<Record>),
    /// A failure worth logging that answers no job (`what` names the step).
    Failed {
        what: &'static str,
        error: String,
    },
}

/// The queue was full (or the threads are gone): try again later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the accounts service is busy")
    }
}

/// Work the database thread does; `Create` and `SetPassword` arrive hashed.
enum DbJob {
    Create { ticket: u64, name: String, phc: String, now_ms: u64 },
    SetPassword { ticket: u64, name: String, phc: String },
    Delete { ticket: u64, name: String },
}

type ReportFn = Arc<dyn Fn(Report) + Send + Sync>;

/// The running accounts threads. Dropping it closes their queues; they finish the work in hand
/// and exit.
pub struct Service {
    hash_jobs: Option<Sender<(u64, Job)>>,
    db_jobs: Option<Sender<DbJob>>,
    threads: Vec<JoinHandle<()>>,
}

impl Service {
    /// Starts the database thread (owning `store`) and `hashers` hashing threads (at least one)
    /// sharing one queue of `queue` jobs (at least one). `seen`: the store's `data_version`
    /// read before the caller loaded the accounts it knows, so that a change another process
    /// commits after that is reported, however soon (`None`: report the first poll's table).
    pub fn start(
        store: Store,
        seen: Option<i64>,
        hashers: usize,
        queue: usize,
        report: Box<dyn Fn(Report) + Send + Sync>,
    ) -> std::io::Result<Service> {
        let report: ReportFn = Arc::from(report);
        let (hash_tx, hash_rx) = crossbeam_channel::bounded::<(u64, Job)>(queue.max(1));
        // Unbounded, but only the hashing threads (each with one job in hand) and `Delete`
        // (bounded by the broker's own flood control) feed it.
        let (db_tx, db_rx) = crossbeam_channel::unbounded::<DbJob>();
        let mut threads = Vec::new();
        let db_report = Arc::clone(&report);
        threads.push(thread::Builder::new().name("accounts-db".into()).spawn(move || {
            database_loop(store, seen, db_rx, db_report.as_ref());
        })?);
        for n in 0..hashers.max(1) {
            let (jobs, db, report) = (hash_rx.clone(), db_tx.clone(), Arc::clone(&report));
            threads.push(
                thread::Builder::new()
                    .name(format!("hasher-{n}"))
                    .spawn(move || hash_loop(jobs, db, report.as_ref()))?,
            );
        }
        Ok(Service { hash_jobs: Some(hash_tx), db_jobs: Some(db_tx), threads })
    }

    /// Queues `job` without waiting; `Busy` when the queue is full or the threads are gone.
    pub fn submit(&self, ticket: u64, job: Job) -> Result<(), Busy> {
        match job {
            Job::Delete { name } => {
                let db = self.db_jobs.as_ref().ok_or(Busy)?;
                db.send(DbJob::Delete { ticket, name }).map_err(|_| Busy)
            }
            job => {
                let jobs = self.hash_jobs.as_ref().ok_or(Busy)?;
                jobs.try_send((ticket, job)).map_err(|e| match e {
                    TrySendError::Full(_) | TrySendError::Disconnected(_) => Busy,
                })
            }
        }
    }

    /// Jobs waiting for a hashing thread (not counting those being hashed).
    pub fn queued(&self) -> usize {
        self.hash_jobs.as_ref().map_or(0, Sender::len)
    }

    /// Closes the queues and waits for the threads to finish the work in hand. Call it only where
    /// nothing blocks `report` (not from the thread that drains the reports).
    pub fn stop(mut self) {
        self.close();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }

    fn close(&mut self) {
        self.hash_jobs = None;
        self.db_jobs = None;
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Not joined: the threads may be waiting to hand a report to whoever is dropping this.
        self.close();
    }
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service").field("threads", &self.threads.len()).field("queued", &self.queued()).finish()
    }
}

fn hash_loop(jobs: Receiver<(u64, Job)>, db: Sender<DbJob>, report: &(dyn Fn(Report) + Send + Sync)) {
    // Hashing yields to everything else: a login storm slows logins, not message delivery (the
    // benchmark's `login` scenario measured delivery at about half its rate on 2 busy cores
    // with the hashers at normal priority, and close to it at the lowest).
    if let Err(error) = crate::net::sys::lower_thread_priority() {
        report(Report::Failed { what: "hasher_priority", error: error.to_string() });
    }
    for (ticket, job) in jobs {
        match job {
            Job::Verify { phc, password } => report(Report::Verified { ticket, ok: hash::verify(&phc, &password) }),
            Job::Create { name, password, now_ms } => match hash::hash(&password) {
                Ok(phc) => {
                    if let Err(lost) = db.send(DbJob::Create { ticket, name, phc, now_ms }) {
                        report(refused(lost.0));
                    }
                }
                Err(e) => report(Report::Created { ticket, result: Err(CreateError::Storage(e.to_string())) }),
            },
            Job::SetPassword { name, password } => match hash::hash(&password) {
                Ok(phc) => {
                    if let Err(lost) = db.send(DbJob::SetPassword { ticket, name, phc }) {
                        report(refused(lost.0));
                    }
                }
                Err(e) => report(Report::PasswordSet { ticket, result: Err(e.to_string()) }),
            },
            Job::Delete { name } => {
                if let Err(lost) = db.send(DbJob::Delete { ticket, name }) {
                    report(refused(lost.0));
                }
            }
        }
    }
}

/// The answer to a database job that could not reach the database thread (it has gone).
fn refused(job: DbJob) -> Report {
    let gone = "the database thread has stopped".to_string();
    match job {
        DbJob::Create { ticket, .. } => Report::Created { ticket, result: Err(CreateError::Storage(gone)) },
        DbJob::SetPassword { ticket, .. } => Report::PasswordSet { ticket, result: Err(gone) },
        DbJob::Delete { ticket, .. } => Report::Deleted { ticket, result: Err(gone) },
    }
}

fn database_loop(store: Store, seen: Option<i64>, jobs: Receiver<DbJob>, report: &(dyn Fn(Report) + Send + Sync)) {
    // Not read here: this thread starts some time after the caller loaded the accounts, and a
    // commit in between would go unnoticed until the next one.
    let mut version = seen;
    let mut next_poll = Instant::now() + POLL_INTERVAL;
    loop {
        match jobs.recv_deadline(next_poll) {
            Ok(job) => report(run(&store, job)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Checked after jobs too, so that a steady stream of them cannot put the poll off.
        if Instant::now() >= next_poll {
            poll(&store, &mut version, report);
            next_poll = Instant::now() + POLL_INTERVAL;
        }
    }
}

fn run(store: &Store, job: DbJob) -> Report {
    match job {
        DbJob::Create { ticket, name, phc, now_ms } => {
            Report::Created { ticket, result: store.create(&name, &phc, now_ms) }
        }
        DbJob::SetPassword { ticket, name, phc } => {
            Report::PasswordSet { ticket, result: store.set_password(&name, &phc).map_err(|e| e.to_string()) }
        }
        DbJob::Delete { ticket, name } => {
            Report::Deleted { ticket, result: store.delete(&name).map_err(|e| e.to_string()) }
        }
    }
}

/// Reports the whole table when another connection has committed since the last look.
fn poll(store: &Store, version: &mut Option<i64>, report: &(dyn Fn(Report) + Send + Sync)) {
    let now = match store.data_version() {
        Ok(now) => now,
        Err(e) => {
            report(Report::Failed { what: "data_version", error: e.to_string() });
            return;
        }
    };
    if *version == Some(now) {
        return;
    }
    match store.load_all() {
        Ok(records) => {
            *version = Some(now);
            report(Report::Reloaded(records));
        }
        // `version` stays as it was, so the next poll tries again.
        Err(e) => report(Report::Failed { what: "reload", error: e.to_string() }),
    }
}

#[cfg(test)]
mod tests;

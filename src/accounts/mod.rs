//! Accounts on disk and the slow work around them: the database (`store`), password hashing
//! (`hash`), the threads that do both off the broker's path (`service`), the throttles that slow
//! password guessing and mass registration (`throttle`), and the operator's `chatd account`
//! command (`cli`).
//!
//! The broker never waits here: it submits jobs to a `Service` with `try_send` and hears back
//! through `Report`s. The throttles are plain data the broker owns and asks before submitting.
//! Chat state keeps its own in-memory index of accounts, loaded from `Store::load_all` at start
//! and refreshed by `Report::Reloaded` when another process (the CLI) changed the database.

pub mod cli;
pub mod hash;
mod os;
pub mod service;
pub mod store;
pub mod throttle;

#[cfg(test)]
mod testing;

pub use hash::{HashError, hash, verify};
pub use service::{Busy, Job, Report, Service};
pub use store::{CreateError, Record, Store, StoreError};
pub use throttle::{LoginThrottle, RegistrationLimit};

/// The database file's name inside the state directory.
pub const DATABASE_FILE: &str = "chatd.db";

/// The present time in milliseconds since the Unix epoch, as accounts record their creation.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

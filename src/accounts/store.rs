//! The account database: one SQLite file, `chatd.db`, in the state directory.
//!
//! Written by two kinds of process at once: the running server (its one database thread) and the
//! operator's `chatd account` command. SQLite's write-ahead log lets readers and one writer work
//! side by side, and `busy_timeout` makes a writer that finds the file locked wait a moment
//! instead of failing. `synchronous=FULL` makes every commit durable before it returns: an
//! account registered just before a power cut or `kill -9` is there after restart.
//!
//! The schema is versioned from the first release: `schema_version` holds one number, and
//! `MIGRATIONS` are applied in order, each in the same transaction as the version it reaches. A
//! database written by a newer chatd (a higher version) is refused rather than misread.

use super::DATABASE_FILE;
use crate::core::names::Nick;
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a write waits for another process's write to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema, one step per version: `MIGRATIONS[0]` takes an empty file to version 1, and so
/// on. Never edit a released step; add one.
const MIGRATIONS: &[&str] = &[
    // 1: accounts. `folded` is the nickname's case-folded key (`names::Folded`), so that `Alice`
    // and `alice` are one account; `created` is milliseconds since the Unix epoch.
    "CREATE TABLE accounts (
        name TEXT NOT NULL,
        folded TEXT PRIMARY KEY,
        phc TEXT NOT NULL,
        created INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );",
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// One account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// The nickname as its owner spelled it when registering.
    pub name: String,
    /// The password hash (a PHC string); never shown.
    pub phc: String,
    /// Milliseconds since the Unix epoch.
    pub created: u64,
    pub disabled: bool,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("name", &self.name)
            .field("phc", &"<hidden>")
            .field("created", &self.created)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// Why the store could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The state directory could not be created or used.
    Directory(String),
    /// The file was written by a newer chatd.
    TooNew { found: i64, known: i64 },
    /// No account has that name.
    NotFound(String),
    /// The name is not a valid nickname, so no account can have it.
    InvalidName(String),
    /// SQLite failed (a damaged file, a full disk, a lock held too long).
    Sqlite(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Directory(why) => f.write_str(why),
            StoreError::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, newer than the {known} this chatd knows: \
                 run the chatd that wrote it, or restore a backup"
            ),
            StoreError::NotFound(name) => write!(f, "no account is named {name}"),
            StoreError::InvalidName(why) => f.write_str(why),
            StoreError::Sqlite(why) => write!(f, "database error: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(error.to_string())
    }
}

/// Why an account could not be created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateError {
    /// An account with that name (in any letter case) exists.
    Exists,
    /// The name is not a valid nickname (the reason, for the user).
    Invalid(String),
    /// The database or the hasher failed (the reason, for the log).
    Storage(String),
}

impl fmt::Display for CreateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreateError::Exists => f.write_str("that account exists already"),
            CreateError::Invalid(why) => f.write_str(why),
            CreateError::Storage(why) => f.write_str(why),
        }
    }
}

/// An open account database. Not `Sync`: one thread owns it.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The folded key of `name`, or why it is no nickname.
fn key(name: &str) -> Result<String, String> {
    Nick::parse(name).map(|nick| nick.folded().as_str().to_string()).map_err(|why| why.to_string())
}

fn millis_to_sql(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        name: row.get(0)?,
        phc: row.get(1)?,
        created: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        disabled: row.get::<_, i64>(3)? != 0,
    })
}

const COLUMNS: &str = "name, phc, created, disabled";

impl Store {
    /// Opens (creating when missing) `dir/chatd.db`, creating `dir` itself with mode 0700 when it
    /// does not exist, and brings the schema up to date.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| StoreError::Directory(format!("cannot create {}: {e}", dir.display())))?;
        }
        let path = dir.join(DATABASE_FILE);
        let connection = Connection::open(&path)?;
        // The hashes are nobody else's business, whatever the directory's mode (SQLite gives its
        // -wal and -shm files the database file's mode).
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        // Set before anything that may need the write lock (WAL mode, the migrations).
        connection.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = connection.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sqlite(format!("cannot switch to write-ahead logging (journal mode {mode})")));
        }
        connection.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        let mut store = Store { connection, path };
        store.migrate()?;
        Ok(store)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies the migrations this file lacks, all in one transaction taken for writing at once
    /// (`IMMEDIATE`), so that two processes opening a new file together cannot both migrate it.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        transaction.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")?;
        let found: Option<i64> =
            transaction.query_row("SELECT max(version) FROM schema_version", [], |row| row.get(0))?;
        let found = found.unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found, known: SCHEMA_VERSION });
        }
        let start = usize::try_from(found).unwrap_or(0);
        for step in MIGRATIONS.iter().skip(start) {
            transaction.execute_batch(step)?;
        }
        if found < SCHEMA_VERSION {
            transaction.execute("DELETE FROM schema_version", [])?;
            transaction.execute("INSERT INTO schema_version (version) VALUES (?1)", [SCHEMA_VERSION])?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.connection.query_row("SELECT max(version) FROM schema_version", [], |row| row.get(0))?)
    }

    /// Every account, in folded-name order.
    pub fn load_all(&self) -> Result<Vec<Record>, StoreError> {
        let mut statement = self.connection.prepare(&format!("SELECT {COLUMNS} FROM accounts ORDER BY folded"))?;
        let rows = statement.query_map([], record)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The account named `name` (in any letter case), if there is one.
    pub fn find(&self, name: &str) -> Result<Option<Record>, StoreError> {
        let Ok(folded) = key(name) else { return Ok(None) };
        Ok(self
            .connection
            .query_row(&format!("SELECT {COLUMNS} FROM accounts WHERE folded = ?1"), [folded], record)
            .optional()?)
    }

    /// Creates the account `name` with the password hash `phc`, committed before returning.
    pub fn create(&self, name: &str, phc: &str, now_ms: u64) -> Result<Record, CreateError> {
        let folded = key(name).map_err(CreateError::Invalid)?;
        let inserted = self.connection.execute(
            "INSERT INTO accounts (name, folded, phc, created, disabled) VALUES (?1, ?2, ?3, ?4, 0)
             ON CONFLICT (folded) DO NOTHING",
            params![name, folded, phc, millis_to_sql(now_ms)],
        );
        match inserted {
            Ok(0) => Err(CreateError::Exists),
            Ok(_) => Ok(Record { name: name.to_string(), phc: phc.to_string(), created: now_ms, disabled: false }),
            Err(e) => Err(CreateError::Storage(format!("database error: {e}"))),
        }
    }

    /// Runs `change` (an UPDATE of one account, `?1` its folded name) and returns the account as
    /// it is afterwards, or `NotFound`.
    fn update(&self, name: &str, change: &str, value: &dyn rusqlite::ToSql) -> Result<Record, StoreError> {
        let folded = key(name).map_err(|_| StoreError::NotFound(name.to_string()))?;
        let changed = self.connection.query_row(
            &format!("UPDATE accounts SET {change} WHERE folded = ?1 RETURNING {COLUMNS}"),
            params![folded, value],
            record,
        );
        match changed.optional()? {
            Some(record) => Ok(record),
            None => Err(StoreError::NotFound(name.to_string())),
        }
    }

    /// Replaces the password hash of `name`.
    pub fn set_password(&self, name: &str, phc: &str) -> Result<Record, StoreError> {
        self.update(name, "phc = ?2", &phc)
    }

    /// Disables (`true`) or enables an account. A disabled account cannot log in.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<Record, StoreError> {
        self.update(name, "disabled = ?2", &i64::from(disabled))
    }

    /// Deletes the account `name`.
    pub fn delete(&self, name: &str) -> Result<(), StoreError> {
        let folded = key(name).map_err(|_| StoreError::NotFound(name.to_string()))?;
        match self.connection.execute("DELETE FROM accounts WHERE folded = ?1", [folded])? {
            0 => Err(StoreError::NotFound(name.to_string())),
            _ => Ok(()),
        }
    }

    /// SQLite's `data_version`: a number that changes when another connection (another process)
    /// has committed to the file since this one last looked. Its value means nothing; compare it.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self.connection.query_row("PRAGMA data_version", [], |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests;

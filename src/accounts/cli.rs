//! `chatd account add|passwd|disable|enable|delete|list [NAME] [--state-dir DIR]`: the
//! operator's way to manage accounts, whether the server is running or not.
//!
//! It writes the database directly: SQLite (write-ahead log, `busy_timeout`) lets it and a
//! running server share the file, and the server notices the change within about a second
//! (`service`: the database thread polls `data_version`) and ends the sessions of disabled or
//! deleted accounts. Run as root (`sudo chatd account ...`), it first becomes the user that owns
//! the state directory, so that the files it creates are the service's to write.

use super::os;
use super::store::{Record, Store};
use crate::core::names::Nick;
use crate::core::time::utc_date_time;
use crate::protocol::account::{MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, is_reserved_nick, password_length_ok};
use getopts::Options;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The state directory when `--state-dir` is not given; the server's default too.
pub const DEFAULT_STATE_DIR: &str = "chatd-state";

/// What the operator asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Add(String),
    Passwd(String),
    Disable(String),
    Enable(String),
    Delete(String),
    List,
}

/// A checked `chatd account` command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub command: Command,
    pub state_dir: PathBuf,
}

/// What `parse` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Invocation),
    Help,
}

fn options() -> Options {
    let mut opts = Options::new();
    opts.optopt("", "state-dir", &format!("the server's state directory (default {DEFAULT_STATE_DIR})"), "DIR");
    opts.optflag("h", "help", "print this help and exit");
    opts
}

/// The usage text of `chatd account --help`.
pub fn usage() -> String {
    options().usage(&format!(
        "Usage: chatd account COMMAND [NAME] [--state-dir DIR]\n\n\
         Commands:\n  \
           add NAME       create the account NAME (asks for its password)\n  \
           passwd NAME    give NAME a new password\n  \
           disable NAME   stop NAME logging in and end its sessions\n  \
           enable NAME    let NAME log in again\n  \
           delete NAME    delete the account NAME\n  \
           list           list the accounts: name, created (UTC), status\n\n\
         The password is read from the terminal without echo (asked twice) or, when standard input\n\
         is not a terminal, as one line from it: 1 to {MAX_PASSWORD_BYTES} bytes (below {MIN_PASSWORD_BYTES}, with a\n\
         warning). Works while the server runs, which notices changes within a few seconds. Run as\n\
         root, it acts as the state directory's owner."
    ))
}

/// Parses the arguments after `account`; `Err` is a usage error.
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let matches = options().parse(args).map_err(|e| e.to_string())?;
    if matches.opt_present("help") {
        return Ok(Parsed::Help);
    }
    let state_dir = match matches.opt_str("state-dir") {
        Some(dir) if dir.is_empty() => return Err("--state-dir needs a directory".into()),
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(DEFAULT_STATE_DIR),
    };
    let mut free = matches.free.into_iter();
    let verb = free.next().ok_or("which command? add, passwd, disable, enable, delete or list")?;
    let name = free.next();
    if let Some(extra) = free.next() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let named = |make: fn(String) -> Command| name.clone().map(make).ok_or(format!("{verb} needs an account name"));
    let command = match verb.as_str() {
        "add" => named(Command::Add)?,
        "passwd" => named(Command::Passwd)?,
        "disable" => named(Command::Disable)?,
        "enable" => named(Command::Enable)?,
        "delete" => named(Command::Delete)?,
        "list" => match name {
            None => Command::List,
            Some(extra) => return Err(format!("list takes no name (not {extra:?})")),
        },
        other => return Err(format!("unknown command {other:?}: add, passwd, disable, enable, delete or list")),
    };
    Ok(Parsed::Run(Invocation { command, state_dir }))
}

/// How the command gets a password: from the terminal, or a line of standard input.
pub trait PasswordSource {
    fn new_password(&mut self, name: &str) -> Result<String, String>;
}

/// The real source: the terminal when standard input is one, else a line of standard input.
pub struct Interactive;

impl PasswordSource for Interactive {
    fn new_password(&mut self, name: &str) -> Result<String, String> {
        if std::io::stdin().is_terminal() {
            os::ask_password_twice(&format!("New password for {name}: "), "Again: ")
        } else {
            os::read_password_line()
        }
    }
}

/// Carries out `invocation`, writing what it did to `out`. `Err` is a sentence for the operator.
pub fn run(invocation: &Invocation, passwords: &mut dyn PasswordSource, out: &mut dyn Write) -> Result<(), String> {
    let dir = &invocation.state_dir;
    let cannot_open = |why: String| format!("cannot open the account database in {}: {why}", dir.display());
    // Checked before the database is touched: a wrong name should cost nothing.
    if let Command::Add(name) = &invocation.command {
        check_new_name(name)?;
    }
    let created = !dir.is_dir();
    // Where the database is, absolute, for the operator to see which one was changed (a
    // forgotten --state-dir would otherwise change ./chatd-state unnoticed).
    let shown = std::fs::canonicalize(dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
        .map(|parent| parent.join(dir.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| dir.to_path_buf());
    enter(dir).map_err(cannot_open)?;
    if created {
        let note = format!(
            "chatd account: created a new state directory {} (the server's is the --state-dir it runs with; /var/lib/chatd for the shipped unit)\n",
            shown.display()
        );
        let _ = std::io::stderr().write_all(note.as_bytes());
    }
    let store = Store::open(Path::new(".")).map_err(|e| cannot_open(e.to_string()))?;
    let said = match &invocation.command {
        Command::Add(name) => {
            if store.find(name).map_err(|e| e.to_string())?.is_some() {
                return Err(format!("an account named {name} exists already"));
            }
            let phc = new_hash(passwords, name)?;
            let record = store.create(name, &phc, super::now_ms()).map_err(|e| e.to_string())?;
            format!("account {} created", record.name)
        }
        Command::Passwd(name) => {
            let record = store.find(name).map_err(|e| e.to_string())?.ok_or(format!("no account is named {name}"))?;
            let phc = new_hash(passwords, &record.name)?;
            let record = store.set_password(&record.name, &phc).map_err(|e| e.to_string())?;
            format!("password of {} changed", record.name)
        }
        Command::Disable(name) => {
            let record = store.set_disabled(name, true).map_err(|e| e.to_string())?;
            format!("account {} disabled", record.name)
        }
        Command::Enable(name) => {
            let record = store.set_disabled(name, false).map_err(|e| e.to_string())?;
            format!("account {} enabled", record.name)
        }
        Command::Delete(name) => {
            store.delete(name).map_err(|e| e.to_string())?;
            format!("account {name} deleted")
        }
        Command::List => list(&store.load_all().map_err(|e| e.to_string())?),
    };
    let said = match &invocation.command {
        Command::List => said,
        _ => format!("{said} (in {})", shown.join(super::DATABASE_FILE).display()),
    };
    out.write_all(format!("{said}\n").as_bytes()).and_then(|()| out.flush()).map_err(|e| e.to_string())
}

/// Goes into the state directory (creating it when missing) and, when root, becomes its owner.
fn enter(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::env::set_current_dir(dir).map_err(|e| format!("cannot enter {}: {e}", dir.display()))?;
    os::become_owner_of_current_dir()?;
    Ok(())
}

/// Refuses names no account may have: invalid nicknames and the services' names.
fn check_new_name(name: &str) -> Result<(), String> {
    Nick::parse(name).map_err(|why| format!("{name:?} cannot be an account: {why}"))?;
    if is_reserved_nick(name) {
        return Err(format!("{name} is reserved for services"));
    }
    Ok(())
}

fn new_hash(passwords: &mut dyn PasswordSource, name: &str) -> Result<String, String> {
    let password = passwords.new_password(name)?;
    // The operator's choice, unlike a user's (`--min-password`): any length the server accepts,
    // with a word when it is short.
    if !password_length_ok(&password, 1) {
        return Err(format!("a password needs 1 to {MAX_PASSWORD_BYTES} bytes"));
    }
    if password.len() < MIN_PASSWORD_BYTES {
        // Not eprintln!: a closed stderr must not stop the command.
        let warning = format!("chatd: warning: a password of fewer than {MIN_PASSWORD_BYTES} bytes is easy to guess\n");
        let _ = std::io::stderr().write_all(warning.as_bytes());
    }
    super::hash::hash(&password).map_err(|e| e.to_string())
}

/// The accounts as a table: name, created (UTC), status.
pub fn list(records: &[Record]) -> String {
    let mut lines = vec![format!("{:<20}  {:<19}  STATUS", "NAME", "CREATED (UTC)")];
    lines.extend(records.iter().map(|r| {
        let status = if r.disabled { "disabled" } else { "enabled" };
        format!("{:<20}  {}  {status}", r.name, utc_date_time(r.created))
    }));
    lines.join("\n")
}

#[cfg(test)]
mod tests;

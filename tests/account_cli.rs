//! `chatd account ...` end to end: the built binary against a state directory of each test's own,
//! with and without a server running on the same database; and a state directory that cannot be
//! used stopping `chatd --check` and the server with the reason.

mod common;

use chatd::accounts::{Store, verify};
use common::process::run_chatd;
use common::{Server, TIMEOUT, binary, temp_dir};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// What one run of the account command left.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `chatd account ARGS --state-dir STATE` with `input` on standard input (a pipe, so the
/// password is read as a line).
fn account(state: &Path, args: &[&str], input: &str) -> Ran {
    let mut child = Command::new(binary())
        .arg("account")
        .args(args)
        .arg("--state-dir")
        .arg(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading (a bad name): a broken pipe here is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(ran: Ran, said: &str) {
    assert_eq!(ran.code, Some(0), "stderr: {}", ran.stderr);
    assert!(ran.stdout.contains(said), "{:?} lacks {said:?}", ran.stdout);
}

fn fails(ran: Ran, code: i32, said: &str) {
    assert_eq!(ran.code, Some(code), "stdout: {} stderr: {}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains(said), "{:?} lacks {said:?}", ran.stderr);
}

#[test]
fn add_list_passwd_disable_enable_delete() {
    let dir = temp_dir("cli");
    let state = dir.join("state");
    ok(account(&state, &["add", "Alice"], "first password\n"), "account Alice created");
    let listed = account(&state, &["list"], "");
    assert_eq!(listed.code, Some(0));
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("NAME") && lines[1].starts_with("Alice ") && lines[1].ends_with(" enabled"));
    let phc = |name: &str| Store::open(&state).unwrap().find(name).unwrap().unwrap().phc;
    assert!(verify(&phc("alice"), "first password"));

    fails(account(&state, &["add", "ALICE"], "another password\n"), 1, "an account named ALICE exists already");
    ok(account(&state, &["passwd", "alice"], "second password\r\n"), "password of Alice changed");
    assert!(verify(&phc("alice"), "second password") && !verify(&phc("alice"), "first password"));

    ok(account(&state, &["disable", "alice"], ""), "account Alice disabled");
    assert!(account(&state, &["list"], "").stdout.contains(" disabled"));
    assert!(Store::open(&state).unwrap().find("alice").unwrap().unwrap().disabled);
    ok(account(&state, &["enable", "ALICE"], ""), "account Alice enabled");
    assert!(!Store::open(&state).unwrap().find("alice").unwrap().unwrap().disabled);

    ok(account(&state, &["delete", "alice"], ""), "account alice deleted");
    assert_eq!(account(&state, &["list"], "").stdout.lines().count(), 1);
    for verb in ["delete", "disable", "enable"] {
        fails(account(&state, &[verb, "alice"], ""), 1, "chatd account: no account is named alice");
    }
    fails(account(&state, &["passwd", "bob"], "some password\n"), 1, "no account is named bob");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_passwords_and_names_are_refused_and_nothing_is_written() {
    let dir = temp_dir("cli-refusals");
    let state = dir.join("state");
    fails(account(&state, &["add", "alice"], "\n"), 1, "a password needs 1 to 512 bytes");
    fails(account(&state, &["add", "alice"], &format!("{}\n", "x".repeat(513))), 1, "1 to 512 bytes");
    fails(account(&state, &["add", "alice"], ""), 1, "no password on standard input");
    fails(account(&state, &["add", "NickServ"], "long enough\n"), 1, "NickServ is reserved for services");
    fails(account(&state, &["add", "1abc"], "long enough\n"), 1, "cannot be an account");
    assert!(Store::open(&state).unwrap().load_all().unwrap().is_empty());
    ok(account(&state, &["add", "alice"], &format!("{}\n", "y".repeat(512))), "created");
    // Shorter than users may choose: the operator's call, with a warning.
    let short = account(&state, &["add", "bob"], "sesame\n");
    assert!(short.stderr.contains("warning: a password of fewer than 8 bytes is easy to guess"), "{}", short.stderr);
    ok(short, "created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = temp_dir("cli-usage");
    let state = dir.join("state");
    fails(account(&state, &[], ""), 2, "which command?");
    fails(account(&state, &["add"], ""), 2, "add needs an account name");
    fails(account(&state, &["rename", "a"], ""), 2, "unknown command \"rename\"");
    fails(account(&state, &["list", "extra"], ""), 2, "list takes no name");
    fails(account(&state, &["list", "--bogus"], ""), 2, "Usage: chatd account");
    let help = account(&state, &["--help"], "");
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.starts_with("Usage: chatd account COMMAND"), "{}", help.stdout);
    assert!(!state.exists(), "usage errors touch nothing");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_dir_that_cannot_be_used_stops_check_the_server_and_the_command() {
    let run = run_chatd(&["--check", "--listen", "127.0.0.1:0", "--state-dir", "/proc/forbidden"], TIMEOUT);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.starts_with("chatd: cannot open the account database in /proc/forbidden: cannot create"),
        "{}",
        run.stderr
    );
    let run = run_chatd(&["--listen", "127.0.0.1:0", "--state-dir", "/proc/forbidden"], TIMEOUT);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("chatd: cannot open the account database in /proc/forbidden"), "{}", run.stderr);
    fails(account(Path::new("/proc/forbidden"), &["list"], ""), 1, "cannot open the account database");

    // A file where the database should be that is not one.
    let dir = temp_dir("not-a-db");
    std::fs::write(dir.join("chatd.db"), vec![b'x'; 4096]).unwrap();
    let state = dir.to_str().unwrap();
    let run = run_chatd(&["--check", "--listen", "127.0.0.1:0", "--state-dir", state], TIMEOUT);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("cannot open the account database in") && run.stderr.contains("database"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_creates_the_state_dir_and_describes_it() {
    let dir = temp_dir("check");
    let state = dir.join("deeper/state");
    let run = run_chatd(&["--check", "--listen", "127.0.0.1:0", "--state-dir", state.to_str().unwrap()], TIMEOUT);
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    assert!(run.stdout.contains(&format!("--state-dir {}\n", state.display())), "{}", run.stdout);
    assert!(run.stdout.contains("--registration open\n") && run.stdout.contains("--hashers "));
    assert!(state.join("chatd.db").is_file());
    assert_eq!(std::fs::metadata(&state).unwrap().mode() & 0o777, 0o700);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_running_server_notices_changes_and_accounts_survive_kill_9() {
    let dir = temp_dir("serving");
    let state = dir.join("state");
    ok(account(&state, &["add", "before"], "password one\n"), "created");
    let state_arg = state.to_str().unwrap();
    let mut server = Server::start(&["--state-dir", state_arg, "--registration", "closed", "--hashers", "2"]);
    let line = server.expect_log(&[" INFO accounts "]);
    assert!(
        line.ends_with(&format!(" path={}/chatd.db accounts=1 registration=closed hashers=2", state.display())),
        "{line}"
    );

    // The command and the server share the file; the server sees each change within a poll.
    ok(account(&state, &["add", "during"], "password two\n"), "created");
    server.expect_log(&[" INFO accounts_reloaded ", "accounts=2"]);
    ok(account(&state, &["disable", "before"], ""), "disabled");
    ok(account(&state, &["delete", "during"], ""), "deleted");
    server.expect_log(&[" INFO accounts_reloaded ", "accounts=1"]);
    ok(account(&state, &["add", "last"], "password three\n"), "created");
    server.assert_running();

    // The command has exited: its commit is on disk whatever happens to the server now.
    server.signal("KILL");
    assert!(server.wait_exit(TIMEOUT).is_some());
    let records = Store::open(&state).unwrap().load_all().unwrap();
    let names: Vec<(&str, bool)> = records.iter().map(|r| (r.name.as_str(), r.disabled)).collect();
    assert_eq!(names, [("before", true), ("last", false)]);
    assert!(verify(&records[1].phc, "password three"));

    let server = Server::start(&["--state-dir", state_arg]);
    server.expect_log(&[" INFO accounts ", "accounts=2 registration=open"]);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_as_root_the_command_writes_as_the_state_dirs_owner() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to change users");
        return;
    }
    let dir = temp_dir("owner");
    let state = dir.join("state");
    std::fs::create_dir(&state).unwrap();
    // nobody:nogroup, as a service user would be.
    let (uid, gid) = (65534, 65534);
    std::os::unix::fs::chown(&state, Some(uid), Some(gid)).unwrap();
    ok(account(&state, &["add", "alice"], "root's password\n"), "created");
    for entry in std::fs::read_dir(&state).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        assert_eq!((meta.uid(), meta.gid()), (uid, gid));
    }
    // A root-owned state dir stays root's.
    let own = dir.join("root-state");
    ok(account(&own, &["add", "bob"], "root's password\n"), "created");
    assert_eq!(std::fs::metadata(own.join("chatd.db")).unwrap().uid(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

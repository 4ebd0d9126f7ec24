//! The operating-system calls the `chatd account` command needs and std does not wrap: turning
//! the terminal's echo off while a password is typed, and taking on the identity of the user who
//! owns the state directory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

/// The terminal settings to put back if the command is interrupted while echo is off: the
/// terminal's descriptor and its settings before.
static SAVED_TERMINAL: Mutex<Option<(i32, libc::termios)>> = Mutex::new(None);

/// Turns echo off on a terminal and back on when dropped, whatever path leaves the scope.
struct EchoOff<'a> {
    tty: &'a File,
    before: libc::termios,
}

impl<'a> EchoOff<'a> {
    fn new(tty: &'a File) -> io::Result<EchoOff<'a>> {
        let fd = tty.as_raw_fd();
        // SAFETY: `termios` is plain data that tcgetattr fills in; `fd` is an open descriptor.
        let mut before: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut before) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if let Ok(mut saved) = SAVED_TERMINAL.lock() {
            *saved = Some((fd, before));
        }
        let mut quiet = before;
        // No echo, but the newline still shows, so the next prompt starts on a line of its own.
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: as above; `quiet` is a valid copy of the terminal's own settings.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(EchoOff { tty, before })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same open descriptor.
        unsafe { libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.before) };
        if let Ok(mut saved) = SAVED_TERMINAL.lock() {
            *saved = None;
        }
    }
}

/// Puts the terminal back and exits when SIGINT, SIGTERM or SIGHUP arrives: otherwise an
/// interrupted password prompt would leave the operator's shell without echo.
fn restore_terminal_on_signals() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(saved) = SAVED_TERMINAL.lock()
            && let Some((fd, before)) = *saved
        {
            // SAFETY: `fd` stays open while its settings are saved here (see `EchoOff`).
            unsafe { libc::tcsetattr(fd, libc::TCSANOW, &before) };
        }
        let _ = io::stderr().write_all(b"\n");
        std::process::exit(130);
    });
}

/// The longest line read as a password; anything longer is refused by the length check, and the
/// bound keeps a runaway input from filling memory.
const MAX_LINE: u64 = 4096;

/// Reads one line (without its line ending) from `input`; `None` at end of input.
fn read_line(input: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    input.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    String::from_utf8(line).map(Some).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

/// Asks for a password on the controlling terminal without echoing it: `prompt`, then `again`
/// to confirm. `Err` holds a sentence for the operator.
pub fn ask_password_twice(prompt: &str, again: &str) -> Result<String, String> {
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| format!("cannot open the terminal to ask for the password: {e}"))?;
    restore_terminal_on_signals();
    let ask = |question: &str| -> Result<String, String> {
        let mut writer = &tty;
        writer.write_all(question.as_bytes()).and_then(|()| writer.flush()).map_err(|e| e.to_string())?;
        let _quiet = EchoOff::new(&tty).map_err(|e| format!("cannot turn the terminal's echo off: {e}"))?;
        let mut reader = BufReader::new(&tty);
        read_line(&mut reader)
            .map_err(|e| format!("cannot read the password: {e}"))?
            .ok_or_else(|| "no password was typed".to_string())
    };
    let first = ask(prompt)?;
    let second = ask(again)?;
    if first != second {
        return Err("the two passwords differ; nothing was changed".into());
    }
    Ok(first)
}

/// Reads a password as one line from standard input (when it is not a terminal: a pipe or file).
pub fn read_password_line() -> Result<String, String> {
    read_line(&mut io::stdin().lock())
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?
        .ok_or_else(|| "no password on standard input".to_string())
}

/// When running as root, becomes the user and group that own the current directory (the state
/// directory), so that the files SQLite creates belong to the service's user, not to root.
/// Returns the uid taken on, or `None` when nothing changed (not root, or a root-owned directory).
pub fn become_owner_of_current_dir() -> Result<Option<u32>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let meta = std::fs::metadata(".").map_err(|e| format!("cannot inspect the state directory: {e}"))?;
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid == 0 {
        return Ok(None);
    }
    let failed = |call: &str| {
        Err(format!("cannot switch to the state directory's owner ({call}): {}", io::Error::last_os_error()))
    };
    // Groups first: once the user is not root, it can no longer change them.
    // SAFETY: plain system calls with a one-element array that outlives the call.
    if unsafe { libc::setgroups(1, &gid) } != 0 {
        return failed("setgroups");
    }
    if unsafe { libc::setgid(gid) } != 0 {
        return failed("setgid");
    }
    if unsafe { libc::setuid(uid) } != 0 {
        return failed("setuid");
    }
    // SAFETY: as above.
    if unsafe { libc::geteuid() } != uid || unsafe { libc::getegid() } != gid {
        return Err("cannot switch to the state directory's owner".into());
    }
    Ok(Some(uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<Option<String>> {
        let mut input = text;
        let mut out = Vec::new();
        loop {
            match read_line(&mut input) {
                Ok(None) => break,
                Ok(line) => out.push(line),
                Err(_) => {
                    out.push(None);
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn lines_lose_their_ending_and_a_last_line_needs_none() {
        assert_eq!(lines(b"one\ntwo\r\nthree"), [Some("one".into()), Some("two".into()), Some("three".into())]);
        assert_eq!(lines(b""), Vec::<Option<String>>::new());
        assert_eq!(lines(b"\n"), [Some(String::new())]);
        assert_eq!(lines(b"\xff\n"), [None]);
    }

    #[test]
    fn an_endless_line_is_cut_at_the_bound() {
        let long = vec![b'x'; 10_000];
        let mut input = &long[..];
        assert_eq!(read_line(&mut input).unwrap().unwrap().len(), MAX_LINE as usize);
    }
}

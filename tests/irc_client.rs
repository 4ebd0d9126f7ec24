//! A real IRC client against chatd: irssi, in a tmux server of the test's own (its own socket,
//! so no other tmux is touched), configured through its config file to connect with SASL PLAIN.
//! Its screen says SASL succeeded; told to join a room, it arrives there logged in, as a test
//! client with `extended-join` sees, and WHOIS shows its account.
//!
//! Ignored by default: it needs `irssi` and `tmux` (Debian packages of those names).

mod common;

use common::irc::{self, expect_exact, next, num, send};
use common::{TIMEOUT, temp_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tmux server on a socket of its own; killed (with the irssi in it) when dropped.
struct Tmux {
    socket: String,
    home: PathBuf,
}

impl Tmux {
    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]).stdin(Stdio::null());
        command
    }

    /// Runs irssi with `home` as its home directory in a detached session.
    fn start_irssi(home: &Path) -> Tmux {
        let socket = format!("chatd-test-{}", std::process::id());
        let tmux = Tmux { socket, home: home.to_path_buf() };
        let irssi = format!("irssi --home={}", home.display());
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "irssi", "-x", "200", "-y", "50", &irssi])
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    /// Types `line` into irssi, as a user would, and Enter.
    fn type_line(&self, line: &str) {
        let status = self.command().args(["send-keys", "-t", "irssi", "-l", line]).status().unwrap();
        assert!(status.success(), "tmux send-keys failed");
        let status = self.command().args(["send-keys", "-t", "irssi", "Enter"]).status().unwrap();
        assert!(status.success(), "tmux send-keys failed");
    }

    /// What irssi's window shows now.
    fn screen(&self) -> String {
        let output = self.command().args(["capture-pane", "-p", "-t", "irssi"]).output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits for `text` on irssi's screen. A terminal has no event to wait on: this polls,
    /// within the common timeout.
    fn expect_screen(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            assert!(Instant::now() < deadline, "irssi never showed {text:?}; its screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").stderr(Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// An irssi configuration: one network, `local`, logging in with SASL PLAIN as `account`, and
/// one server on `port` that it connects to at start.
fn irssi_config(port: u16, account: &str, password: &str) -> String {
    format!(
        r#"servers = (
  {{ address = "127.0.0.1"; chatnet = "local"; port = "{port}"; use_tls = "no"; autoconnect = "yes"; }}
);
chatnets = {{
  local = {{
    type = "IRC";
    sasl_mechanism = "PLAIN";
    sasl_username = "{account}";
    sasl_password = "{password}";
  }};
}};
settings = {{ core = {{ real_name = "Real Name"; user_name = "u"; nick = "{account}"; }}; }};
"#
    )
}

#[test]
#[ignore = "needs irssi and tmux"]
fn irssi_logs_in_with_sasl_plain() {
    let server = irc::start(&[]);
    server.add_account("alice", "correct-horse");
    let mut bob = irc::register_with(&server, "bob", "extended-join");
    send(&mut bob, "JOIN #room");
    expect_exact(&mut bob, ":bob!~u@127.0.0.1 JOIN #room * :Real Name");
    bob.expect(&num("366", "bob", "#room :End of /NAMES list"));

    let home = temp_dir("irssi");
    std::fs::write(home.join("config"), irssi_config(server.addr.port(), "alice", "correct-horse")).unwrap();
    let tmux = Tmux::start_irssi(&home);
    tmux.expect_screen("You are now logged in as alice");
    tmux.expect_screen("SASL authentication succeeded");
    tmux.expect_screen("End of /MOTD command.");
    server.expect_log(&["login ", "account=alice", "via=sasl"]);
    // Logged in before it registered, so it joins with its account.
    tmux.type_line("/join #room");
    expect_exact(&mut bob, ":alice!~u@127.0.0.1 JOIN #room alice :Real Name");

    send(&mut bob, "WHOIS alice");
    let account = num("330", "bob", "alice alice :is logged in as");
    loop {
        let line = next(&mut bob);
        if line == account {
            break;
        }
        assert!(!line.contains(" 318 "), "no 330 in the WHOIS of alice: {:?}", bob.received);
    }
    assert!(!server.log.text().contains("correct-horse"));
    drop(tmux);
}

//! A real IRC client against chatd: WeeChat, as Debian's `weechat-headless` (WeeChat without a
//! terminal). It is told what to do through its FIFO plugin, as a script would, and what it saw is
//! read from its logger plugin's files, which are written as each line is shown. It connects with
//! SASL PLAIN and every capability it asks for, joins a room beside a test client, and the two
//! talk both ways: messages, server time, account tags, extended-join, setname, invite-notify,
//! WHO, WHOIS, NICK and QUIT, each checked on both sides.
//!
//! Ignored by default: it needs `weechat-headless` (the Debian package of that name).

mod common;

use common::irc::{self, next, num, send};
use common::{Client, temp_dir};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// WeeChat loads its plugins and reads its configuration before anything else: allow it more than
/// the common timeout for any one expectation.
const WEECHAT_TIMEOUT: Duration = Duration::from_secs(15);

/// A weechat-headless process with a home directory of its own; killed, and its home removed,
/// when dropped.
struct Weechat {
    child: Child,
    home: PathBuf,
}

impl Weechat {
    /// Starts WeeChat with only the plugins the test uses, a server `local` on `port` that logs
    /// in with SASL PLAIN as `account`, and autojoins `room`. Every buffer is logged, each line
    /// flushed at once.
    fn start(home: &Path, port: u16, account: &str, password: &str, room: &str) -> Weechat {
        std::fs::write(home.join("weechat.conf"), "[plugin]\nautoload = \"irc,logger,fifo\"\n").unwrap();
        let commands = [
            "/set logger.file.auto_log on".to_string(),
            "/set logger.file.flush_delay 0".to_string(),
            "/set logger.level.irc 9".to_string(),
            format!(
                "/server add local 127.0.0.1/{port} -notls -nicks={account} -username=u -sasl_mechanism=plain \
                 -sasl_username={account} -sasl_password={password} -autojoin={room}"
            ),
            "/set irc.server.local.realname \"Real Name\"".to_string(),
            // WeeChat paces what it sends, 2 s apart by default: not needed against a test server.
            "/set irc.server.local.anti_flood_prio_high 0".to_string(),
            "/set irc.server.local.anti_flood_prio_low 0".to_string(),
            "/connect local".to_string(),
        ]
        .join(";");
        let child = Command::new("weechat-headless")
            .arg("--dir")
            .arg(home)
            .args(["-r", &commands])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run weechat-headless: {e}"));
        Weechat { child, home: home.to_path_buf() }
    }

    /// Runs `command` (`/msg ...`, `/whois ...`) on the server's buffer, through the FIFO plugin.
    /// The FIFO's name carries WeeChat's pid; it exists once the plugin has loaded.
    fn run(&mut self, command: &str) {
        let fifo = self.home.join(format!("weechat_fifo_{}", self.child.id()));
        let deadline = Instant::now() + WEECHAT_TIMEOUT;
        // Opened without blocking: if WeeChat is not reading (yet), this fails instead of hanging.
        let mut pipe = loop {
            match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&fifo) {
                Ok(pipe) => break pipe,
                Err(e) => {
                    self.assert_running();
                    assert!(Instant::now() < deadline, "WeeChat's FIFO {} never opened: {e}", fifo.display());
                    // Nothing signals that a FIFO got its reader: poll.
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        pipe.write_all(format!("irc.server.local */{command}\n").as_bytes()).unwrap();
    }

    fn assert_running(&mut self) {
        let status = self.child.try_wait().unwrap();
        assert!(status.is_none(), "weechat-headless exited: {status:?}");
    }

    /// What WeeChat has shown so far in `buffer` (`irc.server.local`, `irc.local.#room`).
    fn shown(&self, buffer: &str) -> String {
        std::fs::read_to_string(self.home.join("logs").join(format!("{buffer}.weechatlog"))).unwrap_or_default()
    }

    /// Every buffer's log, for a failure's message.
    fn everything(&self) -> String {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(self.home.join("logs"))
            .map(|dir| dir.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
            .unwrap_or_default();
        logs.sort();
        let show =
            |path: &PathBuf| format!("--- {}\n{}", path.display(), std::fs::read_to_string(path).unwrap_or_default());
        logs.iter().map(show).collect::<Vec<_>>().join("\n")
    }

    /// Waits until WeeChat has shown a line in `buffer` containing every one of `needles`;
    /// returns that line. A log file has no readable event to wait on: this polls.
    fn expect_shown(&mut self, buffer: &str, needles: &[&str]) -> String {
        let deadline = Instant::now() + WEECHAT_TIMEOUT;
        loop {
            let shown = self.shown(buffer);
            if let Some(line) = shown.lines().find(|line| needles.iter().all(|n| line.contains(n))) {
                return line.to_string();
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "WeeChat never showed {needles:?} in {buffer}; it showed:\n{}",
                self.everything()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Weechat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// The next line that, tags aside, is exactly `want`; returns its tags (empty without any).
/// Other lines before it are skipped: WeeChat's own queries (MODE, WHO) may come in between.
fn expect_untagged(client: &mut Client, want: &str) -> String {
    loop {
        let line = next(client);
        let (tags, rest) = match line.strip_prefix('@') {
            Some(tagged) => tagged.split_once(' ').unwrap_or((tagged, "")),
            None => ("", line.as_str()),
        };
        if rest == want {
            return tags.to_string();
        }
    }
}

/// The capabilities WeeChat says it requested, and the ones it says were enabled.
fn negotiated(shown: &str) -> (Vec<&str>, Vec<&str>) {
    let after = |what: &str| -> Vec<&str> {
        let line = shown.lines().find(|line| line.contains(what)).unwrap_or("");
        let caps = line.split_once(what).map_or("", |(_, caps)| caps);
        caps.split_whitespace().collect()
    };
    (after("client capability, requesting: "), after("client capability, enabled: "))
}

#[test]
#[ignore = "needs weechat-headless"]
fn weechat_logs_in_and_talks_with_its_capabilities() {
    let server = irc::start(&[]);
    server.add_account("alice", "correct-horse");
    let mut bob = irc::register_with(&server, "bob", "extended-join account-tag message-tags setname");
    send(&mut bob, "JOIN #room");
    expect_untagged(&mut bob, ":bob!~u@127.0.0.1 JOIN #room * :Real Name");
    bob.expect(&num("366", "bob", "#room :End of /NAMES list"));

    let home = temp_dir("weechat");
    let mut weechat = Weechat::start(&home, server.addr.port(), "alice", "correct-horse", "#room");

    // Logged in with SASL before registering, with every capability it asked for.
    weechat.expect_shown("irc.server.local", &["SASL authentication successful"]);
    weechat.expect_shown("irc.server.local", &["You are now logged in as alice"]);
    weechat.expect_shown("irc.server.local", &["End of /MOTD command."]);
    let server_buffer = weechat.shown("irc.server.local");
    let (requested, enabled) = negotiated(&server_buffer);
    for cap in ["sasl", "message-tags", "server-time", "account-notify", "extended-join", "away-notify", "setname"] {
        assert!(requested.contains(&cap), "WeeChat did not ask for {cap}: {requested:?}");
    }
    assert_eq!(requested, enabled, "chatd refused some of what WeeChat asked for");
    server.expect_log(&["login ", "account=alice", "via=sasl"]);

    // It joins with its account (extended-join) and sees both members, bob as the room's operator.
    expect_untagged(&mut bob, ":alice!~u@127.0.0.1 JOIN #room alice :Real Name");
    weechat.expect_shown("irc.local.#room", &["alice [alice] (Real Name) (~u@127.0.0.1) has joined #room"]);
    weechat.expect_shown("irc.local.#room", &["Channel #room: 2 nicks (1 op, 0 voices, 1 normal)"]);

    // Both ways: bob's message reaches WeeChat; WeeChat's reaches bob with its account and msgid.
    send(&mut bob, "PRIVMSG #room :hello from bob");
    weechat.expect_shown("irc.local.#room", &["\t@bob\thello from bob"]);
    weechat.run("msg #room hi from weechat");
    let tags = expect_untagged(&mut bob, ":alice!~u@127.0.0.1 PRIVMSG #room :hi from weechat");
    assert!(tags.split(';').any(|tag| tag == "account=alice"), "no account tag: {tags:?}");
    assert!(tags.split(';').any(|tag| tag.starts_with("msgid=")), "no msgid: {tags:?}");

    // setname and invite-notify reach WeeChat as events it shows.
    send(&mut bob, "SETNAME :Robert B");
    expect_untagged(&mut bob, ":bob!~u@127.0.0.1 SETNAME :Robert B");
    weechat.expect_shown("irc.local.#room", &["bob has changed real name to \"Robert B\""]);
    // invite-notify tells a room's operators: bob makes alice one first.
    send(&mut bob, "MODE #room +o alice");
    expect_untagged(&mut bob, ":bob!~u@127.0.0.1 MODE #room +o alice");
    weechat.expect_shown("irc.local.#room", &["Mode #room [+o alice] by bob"]);
    let mut carol = irc::register(&server, "carol");
    send(&mut bob, "INVITE carol #room");
    carol.expect(":bob!~u@127.0.0.1 INVITE carol #room");
    weechat.expect_shown("irc.server.local", &["bob has invited carol to #room"]);

    // Queries WeeChat renders from the numerics: WHO in the WHOX form WeeChat itself uses when the
    // server advertises WHOX (accounts, bob away, ops), and WHOIS with the account.
    send(&mut bob, "AWAY :lunch");
    bob.expect(&num("306", "bob", ":You have been marked as being away"));
    weechat.run("who #room %cuhsnfdar");
    weechat.expect_shown("irc.server.local", &["[#room] bob [0] (~u@127.0.0.1) G@ 0 (Robert B)"]);
    weechat.expect_shown("irc.server.local", &["[#room] alice [alice] (~u@127.0.0.1) H@ 0 (Real Name)"]);
    weechat.expect_shown("irc.server.local", &["[#room] End of /WHO list"]);
    weechat.run("whois alice");
    weechat.expect_shown("irc.server.local", &["[alice] is logged in as alice"]);
    weechat.expect_shown("irc.server.local", &["[alice] End of /WHOIS list"]);

    // A new nick, then a quit with a reason: bob sees both, and the operator's log says so.
    weechat.run("nick alicia");
    expect_untagged(&mut bob, ":alice!~u@127.0.0.1 NICK alicia");
    weechat.expect_shown("irc.server.local", &["You are now known as alicia"]);
    weechat.run("quit see you");
    let quit = next_quit(&mut bob);
    assert!(quit.starts_with(":alicia!~u@127.0.0.1 QUIT :") && quit.contains("see you"), "{quit:?}");
    server.expect_log(&["quit ", "nick=alicia", "reason=quit"]);
    assert!(!server.log.text().contains("correct-horse"));
}

/// The next QUIT line bob receives, tags stripped.
fn next_quit(client: &mut Client) -> String {
    loop {
        let line = next(client);
        let rest = match line.strip_prefix('@') {
            Some(tagged) => tagged.split_once(' ').map_or("", |(_, rest)| rest).to_string(),
            None => line,
        };
        if rest.contains(" QUIT ") {
            return rest;
        }
    }
}

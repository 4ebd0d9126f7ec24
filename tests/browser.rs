//! The browser chat page in a real browser: headless Chromium, driven by `tests/browser/chat.mjs`
//! (Node and playwright-core), against the real chatd, with a netcat user on the other side.
//!
//! The script drives the browser; when the netcat user must act it prints `need STEP`, this test
//! does the netcat part of STEP (`netcat_step`) and answers `go`. The script's last line is `PASS`
//! or `FAIL reason`. Two scenarios, each against its own server: `chat` (the conversation, rooms,
//! a reload, markup, a cut-off, a phone, `/quit`, the long-poll) and `expiry` (cut off past
//! `--web-grace`). Screenshots go to `target/browser/` (`chat.png`, `chat-phone.png`,
//! `chat-phone-rooms.png`, `chat-login-again.png`, and `failure-SCENARIO.png` on a failure).
//!
//! Ignored by default: it needs `/usr/bin/chromium`, `node` and the npm package playwright-core,
//! found through `NODE_PATH` (default: `target/browser/node_modules`, where `.ci/run` installs it).

mod common;

use common::{Client, Server};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// The longest the script may stay silent (one browser step, with its own waits of 15-30 s).
const SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// The build's target directory: the chatd binary is `<target>/<profile>/chatd`.
fn target_dir() -> PathBuf {
    let binary = Path::new(common::binary());
    binary.parent().and_then(Path::parent).map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
}

/// The node process; killed if the test fails before it ends.
struct Script(Child);

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The netcat user's part of one step the script asks for.
fn netcat_step(step: &str, bob: &mut Client) {
    match step {
        "bob-says-hello" => {
            bob.expect("-- alice joined #lobby");
            bob.send("hello from netcat");
        }
        "bob-hears-browser" => {
            bob.expect("<alice> hello from the browser");
        }
        "bob-sees-action" => {
            bob.expect("* alice waves from the browser");
        }
        "bob-gets-private" => {
            bob.expect("*alice* psst bob");
            bob.send("/msg alice psst back");
        }
        "bob-talks-in-rust" => {
            bob.send("/join #rust");
            bob.expect("-- You joined #rust");
            bob.send("rust talk from netcat");
        }
        "bob-talks-in-rust-unseen" => bob.send("unread in rust"),
        "bob-hears-lobby" => {
            // Bob talks in #rust, so lines from #lobby come with the room's name.
            let line = bob.expect("<alice> back in the lobby");
            assert!(line.contains("#lobby <alice>"), "not said in #lobby: {line:?}");
        }
        "bob-before-reload" => bob.send("before the reload"),
        "bob-during-reload" => bob.send("during the reload"),
        "bob-sends-markup" => {
            bob.expect("<alice> <script>alert(1)</script>");
            bob.expect("<alice> <img src=x onerror=alert(1)>");
            bob.send("/join #lobby");
            bob.expect("-- Now talking in #lobby");
            bob.send("<img src=y onerror=alert(2)><b>bold</b>");
        }
        "bob-says-while-cut-off" => {
            bob.send("said while you were away");
        }
        "bob-opens-den" => {
            bob.send("/join #den");
            bob.expect("-- You joined #den");
        }
        "bob-kicks-alice" => {
            bob.expect("-- alice joined #den");
            bob.send("/kick #den alice behave");
        }
        "bob-sees-quit" => {
            let line = bob.expect("-- alice quit (");
            assert!(line.contains("gone for coffee"), "quit without its reason: {line:?}");
        }
        "bob-sees-rejoin" => {
            bob.expect("-- alice joined #rust");
        }
        "bob-writes-to-carol" => {
            bob.expect("-- carol joined #lobby");
            bob.send("/msg carol hello long-poll");
        }
        "bob-hears-carol" => {
            bob.expect("<carol> hi from the long-poll");
        }
        "bob-joins-far" => {
            bob.send("/join #far");
            bob.expect("-- You joined #far");
        }
        "bob-sees-dave-lost" => {
            let line = bob.expect("-- dave quit (");
            assert!(line.contains("connection lost"), "not lost: {line:?}");
        }
        "bob-welcomes-dave-back" => {
            bob.expect("-- dave joined #far");
            bob.send("welcome back");
        }
        other => panic!("the script asked for an unknown step {other:?}"),
    }
}

/// Runs the script's `scenario` against `server`, doing bob's part; fails with everything the
/// script printed, its stderr and the server's log.
fn run_script(server: &Server, bob: &mut Client, scenario: &str) {
    let shots = target_dir().join("browser");
    let node_path = std::env::var_os("NODE_PATH").unwrap_or_else(|| shots.join("node_modules").into_os_string());
    let script_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/chat.mjs");
    let child = Command::new("node")
        .arg(&script_path)
        .arg(format!("http://{}/", server.addr))
        .arg(&shots)
        .arg(scenario)
        .env("NODE_PATH", node_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let mut script = Script(child);
    let mut to_script = script.0.stdin.take().unwrap();
    let stdout = script.0.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = script.0.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut output: Vec<String> = Vec::new();
    loop {
        let line = match lines.recv_timeout(SILENCE_LIMIT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the script said nothing for {SILENCE_LIMIT:?}; so far:\n{}", output.join("\n"))
            }
        };
        println!("script: {line}");
        output.push(line.clone());
        if let Some(step) = line.strip_prefix("need ") {
            netcat_step(step, bob);
            writeln!(to_script, "go").unwrap();
        }
    }
    let status = script.0.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        status.success() && output.iter().any(|line| line == "PASS"),
        "the browser script ({scenario}) failed ({status}):\n{}\n--- its stderr:\n{stderr}\n--- server log:\n{}",
        output.join("\n"),
        server.log.text()
    );
}

#[test]
#[ignore = "needs chromium and node with playwright-core"]
fn a_browser_chats_with_a_netcat_user() {
    let server = Server::start(&[]);
    // alice is a registered account: the page logs in to it with its password.
    let mut add = Command::new(common::binary())
        .args(["account", "add", "alice", "--state-dir"])
        .arg(server.dir.join("chatd-state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"alice in the browser\n").unwrap();
    assert!(add.wait().unwrap().success());
    server.expect_log(&["accounts_reloaded", "accounts=1"]);
    let mut bob = server.register("bob");
    run_script(&server, &mut bob, "chat");
    let shot = target_dir().join("browser/chat.png");
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
}

#[test]
#[ignore = "needs chromium and node with playwright-core"]
fn a_page_cut_off_past_the_grace_period_logs_in_again_and_rejoins_its_rooms() {
    let server = Server::start(&["--web-grace", "1"]);
    let mut bob = server.register("bob");
    run_script(&server, &mut bob, "expiry");
}

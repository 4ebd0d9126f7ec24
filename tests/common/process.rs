//! Runs of chatd that end by themselves (bad options, `--help`, `--check`, a taken port): the
//! exit status and both outputs, with a bounded wait.

use super::{binary, temp_dir};
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a chatd run that ended by itself left behind.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs chatd with exactly `args` and waits up to `limit` for it to exit on its own.
pub fn run_chatd(args: &[&str], limit: Duration) -> Finished {
    let started = Instant::now();
    // A directory of its own, for the account database in the default (relative) state dir.
    let dir = temp_dir("run");
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes on their own threads so a chatty child can never block on a full pipe.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_thread = thread::spawn(move || {
        let mut text = String::new();
        let _ = out_pipe.read_to_string(&mut text);
        text
    });
    let err_thread = thread::spawn(move || {
        let mut text = String::new();
        let _ = err_pipe.read_to_string(&mut text);
        text
    });
    let deadline = started + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err_thread.join().unwrap();
            panic!("chatd {args:?} still running after {limit:?}; stderr:\n{stderr}");
        }
        // A child process has no readable event to wait on: poll its exit status.
        thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Finished { status, stdout: out_thread.join().unwrap(), stderr: err_thread.join().unwrap(), elapsed }
}

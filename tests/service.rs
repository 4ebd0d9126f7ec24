//! Running chatd as a service: the systemd notification protocol, the unit's own command line,
//! the unit's validity and hardening, and the SysV init script.

mod common;

use common::log::listen_addr;
use common::{Client, LogLines, TIMEOUT, binary, forward_lines, temp_dir};
use std::io::Read;
use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Kills the child on drop, so a failing test leaves no server behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for a datagram starting with `prefix`, skipping others (such as `STATUS=`).
fn expect_notification(socket: &UnixDatagram, prefix: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.checked_duration_since(Instant::now()).expect("notification in time");
        socket.set_read_timeout(Some(left)).unwrap();
        let n = socket.recv(&mut buf).unwrap_or_else(|e| panic!("no {prefix} notification: {e}"));
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with(prefix) {
            return text;
        }
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "did not exit within {timeout:?}");
        // A child process has no readable event to wait on with a deadline.
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ready_comes_once_the_port_accepts_and_stopping_on_sigterm() {
    let dir = temp_dir("notify");
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let mut child = Command::new(binary())
        .args(["--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir.join("state"))
        .env("NOTIFY_SOCKET", &socket_path)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut running = Running(child);
    let log = Arc::new(LogLines::default());
    let sink = Arc::clone(&log);
    std::thread::spawn(move || forward_lines(stderr, &sink));

    let ready = expect_notification(&socket, "READY=1");
    let ready_at = chatd::log::utc_timestamp(std::time::SystemTime::now());
    assert!(ready.contains("STATUS="), "{ready:?}");
    // READY=1 is sent after the start line is logged and every listener is accepting. The line
    // reaches this test through the stderr pipe and a forwarding thread, which may not have
    // passed it on yet: wait for it with a deadline, and judge the order by its timestamp.
    let start = log.wait_for(&[" INFO start "], TIMEOUT).expect("start line logged");
    let logged_at = start.split(' ').next().unwrap_or_default();
    // Same fixed-width UTC format: the strings compare as the times do.
    assert!(logged_at <= ready_at.as_str(), "start line logged at {logged_at}, after READY=1 came at {ready_at}");
    // One connection attempt, no retry: the port accepted by the time READY=1 was sent.
    let mut client = Client::connect(listen_addr(&start), Arc::clone(&log));
    client.expect("Choose a nickname");
    client.send("alice");
    client.expect("You joined #lobby");
    let status = expect_notification(&socket, "STATUS=");
    assert!(status.contains("1 clients"), "{status:?}");

    let kill = Command::new("kill").args(["-TERM", &running.0.id().to_string()]).status().unwrap();
    assert!(kill.success());
    expect_notification(&socket, "STOPPING=1");
    assert!(wait_exit(&mut running.0, Duration::from_secs(2)).success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The value of `Key=` in a unit file (the first one).
fn unit_value(unit: &str, key: &str) -> String {
    unit.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in the unit"))
        .to_string()
}

/// Words of a command line with `$CHATD_OPTS` expanded the way systemd does (split on spaces),
/// and the installed paths mapped into `dir`.
fn unit_command(line: &str, opts: &str, dir: &Path) -> Vec<String> {
    let log = dir.join("chatd.log");
    line.split_whitespace()
        .flat_map(|word| match word {
            "$CHATD_OPTS" => opts.split_whitespace().map(str::to_string).collect(),
            "/usr/local/bin/chatd" => vec![binary().to_string()],
            "/var/log/chatd/chatd.log" => vec![log.display().to_string()],
            "/var/lib/chatd" => vec![dir.join("state").display().to_string()],
            other => vec![other.to_string()],
        })
        .collect()
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn the_units_own_command_lines_check_and_serve() {
    let unit = repo_file("init/chatd.service");
    let defaults = repo_file("init/chatd.default");
    let opts = defaults
        .lines()
        .find_map(|l| l.strip_prefix("CHATD_OPTS="))
        .expect("CHATD_OPTS in chatd.default")
        .trim_matches('"')
        .to_string();
    // The only change from the shipped defaults: an ephemeral loopback port, not 0.0.0.0:6667.
    let opts = format!("{opts} --listen 127.0.0.1:0");
    let dir = temp_dir("unit");

    let pre = unit_command(&unit_value(&unit, "ExecStartPre"), &opts, &dir);
    let checked = Command::new(&pre[0]).args(&pre[1..]).output().unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    assert!(String::from_utf8_lossy(&checked.stdout).contains("# configuration OK"));

    let start = unit_command(&unit_value(&unit, "ExecStart"), &opts, &dir);
    let child = Command::new(&start[0]).args(&start[1..]).stdin(Stdio::null()).spawn().unwrap();
    let mut running = Running(child);
    let log_path = dir.join("chatd.log");
    let deadline = Instant::now() + TIMEOUT;
    let start_line = loop {
        // The log file has no readable event; poll it within the deadline.
        if let Some(line) = std::fs::read_to_string(&log_path)
            .ok()
            .and_then(|t| t.lines().find(|l| l.contains(" INFO start ")).map(String::from))
        {
            break line;
        }
        assert!(Instant::now() < deadline, "no start line in {}", log_path.display());
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stream = TcpStream::connect(listen_addr(&start_line)).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut greeting = [0u8; 64];
    let n = stream.read(&mut greeting).unwrap();
    assert!(String::from_utf8_lossy(&greeting[..n]).starts_with("-- Welcome to "));
    let _ = running.0.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs systemd-analyze (apt-get install systemd); .ci/run runs it where it is installed"]
fn the_unit_verifies_and_its_exposure_is_at_most_2() {
    let dir = temp_dir("verify");
    let unit = repo_file("init/chatd.service").replace("/usr/local/bin/chatd", binary());
    let path = dir.join("chatd.service");
    std::fs::write(&path, unit).unwrap();
    let verify = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    let complaints = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && !complaints.contains("chatd.service:"), "{complaints}");

    let security =
        Command::new("systemd-analyze").args(["security", "--offline=true", "--no-pager"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&security.stdout);
    let exposure: f64 = text
        .lines()
        .find_map(|l| l.split("Overall exposure level for chatd.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    assert!(exposure <= 2.0, "exposure {exposure}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_sysv_script_starts_reports_and_stops() {
    let dir = temp_dir("sysv");
    let defaults = dir.join("default");
    std::fs::write(&defaults, "CHATD_OPTS=\"--listen 127.0.0.1:0\"\n").unwrap();
    let script = |action: &str| {
        Command::new("sh")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("init/chatd.init"))
            .arg(action)
            .env("DAEMON", binary())
            .env("PIDFILE", dir.join("chatd.pid"))
            .env("LOGFILE", dir.join("log/chatd.log"))
            .env("DEFAULTS", &defaults)
            .env("STATEDIR", dir.join("state"))
            // As the user running the test: the script's default, the `chatd` user, need not exist here.
            .env("RUN_AS", "")
            .output()
            .unwrap()
    };
    let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();

    let status = script("status");
    assert_eq!(status.status.code(), Some(3), "{}", out(&status));
    let start = script("start");
    assert!(start.status.success(), "{}", out(&start));
    assert!(out(&start).starts_with("chatd started (pid "));
    let pid = std::fs::read_to_string(dir.join("chatd.pid")).unwrap().trim().to_string();
    let status = script("status");
    assert!(status.status.success());
    assert_eq!(out(&status).trim(), format!("chatd is running (pid {pid})"));

    let log = std::fs::read_to_string(dir.join("log/chatd.log")).unwrap();
    let start_line = log.lines().find(|l| l.contains(" INFO start ")).unwrap();
    let mut stream = TcpStream::connect(listen_addr(start_line)).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut greeting = [0u8; 64];
    assert!(stream.read(&mut greeting).unwrap() > 0);

    let stop = script("stop");
    assert!(stop.status.success() && out(&stop).contains("chatd stopped"), "{}", out(&stop));
    assert_eq!(script("status").status.code(), Some(3));
    let log = std::fs::read_to_string(dir.join("log/chatd.log")).unwrap();
    assert!(log.contains(" INFO shutdown ") && log.contains(" INFO stopped"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

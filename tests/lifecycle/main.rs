mod common;

// Lifecycle of the real chatd binary: connection limits, eviction of a client that does not
// read, the registration sweep, graceful stop on signals, the command line, the operator log
// (format, privacy, rotation) and IPv6 listening.
//
// Every wait is on a line, a log line or process exit, with a deadline.

use common::{Client, Server, TIMEOUT};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What a chatd run that ended by itself left behind.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs chatd with exactly `args` and waits (bounded) for it to exit on its own.
fn run_chatd(args: &[&str], limit: Duration) -> Finished {
    let started = Instant::now();
    let mut child = Command::new(common::binary())
        .args(args)
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
    Finished { status, stdout: out_thread.join().unwrap(), stderr: err_thread.join().unwrap(), elapsed }
}

/// Every option the usage text must document.
const ALL_OPTIONS: &[&str] = &[
    "--listen",
    "--server-name",
    "--log-file",
    "--log-messages",
    "--log-summary-interval",
    "--max-clients",
    "--max-per-ip",
    "--max-line",
    "--max-sendq",
    "--history",
    "--ping-interval",
    "--ping-timeout",
    "--default-room",
    "--flood-burst",
    "--flood-rate",
    "--help",
    "--version",
];

/// One parsed operator log line: `TIMESTAMP LEVEL EVENT key=value ...`.
#[derive(Debug)]
struct LogLine {
    /// The timestamp as milliseconds since the Unix epoch.
    millis: i64,
    level: String,
    event: String,
    fields: Vec<(String, String)>,
}

impl LogLine {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn field(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("no {key}= in {self:?}"))
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the inverse of the server's conversion,
/// written independently).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Parses `2026-11-22T14:02:05.123Z` (exactly that shape) into milliseconds since the epoch.
fn parse_timestamp(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(format!("timestamp {text:?} is not YYYY-MM-DDTHH:MM:SS.mmmZ"));
    }
    let num = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (hour, minute, second, millis) = (num(11..13), num(14..16), num(17..19), num(20..23));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(format!("timestamp {text:?} is out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Splits `key=value key="quoted \"value\"" ...` into pairs, undoing the server's quoting.
fn parse_fields(mut rest: &str) -> Result<Vec<(String, String)>, String> {
    let mut fields = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix(' ').ok_or_else(|| format!("expected a space before {rest:?}"))?;
        let eq = rest.find('=').ok_or_else(|| format!("field without '=' at {rest:?}"))?;
        let key = &rest[..eq];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!("bad field name {key:?}"));
        }
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value for {key}")),
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => text.push('\n'),
                        Some((_, c @ ('"' | '\\'))) => text.push(c),
                        Some((_, 'u')) => {
                            // \u{hex}
                            let mut hex = String::new();
                            for (_, c) in chars.by_ref() {
                                match c {
                                    '{' => {}
                                    '}' => break,
                                    c => hex.push(c),
                                }
                            }
                            let code = u32::from_str_radix(&hex, 16).map_err(|e| format!("bad escape: {e}"))?;
                            text.push(char::from_u32(code).ok_or("bad escaped char")?);
                        }
                        other => return Err(format!("bad escape {other:?} in {key}")),
                    },
                    Some((_, c)) => text.push(c),
                }
            };
            value = text;
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            value = rest[..end].to_string();
            if value.is_empty() {
                return Err(format!("empty unquoted value for {key}"));
            }
            rest = &rest[end..];
        }
        fields.push((key.to_string(), value));
    }
    Ok(fields)
}

fn try_parse_log_line(line: &str) -> Result<LogLine, String> {
    let (stamp, rest) = line.split_once(' ').ok_or("no space after the timestamp")?;
    let millis = parse_timestamp(stamp)?;
    let (level, rest) = rest.split_once(' ').ok_or("no space after the level")?;
    if !matches!(level, "INFO" | "WARN" | "ERROR") {
        return Err(format!("bad level {level:?}"));
    }
    let (event, rest) = match rest.find(' ') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if event.is_empty() || !event.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(format!("bad event name {event:?}"));
    }
    Ok(LogLine { millis, level: level.to_string(), event: event.to_string(), fields: parse_fields(rest)? })
}

fn parse_log_line(line: &str) -> LogLine {
    try_parse_log_line(line).unwrap_or_else(|e| panic!("malformed log line ({e}): {line:?}"))
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Checks that every line of `text` is a well-formed log line stamped between `from` and `to`
/// (milliseconds since the epoch, with a little slack for clock granularity).
fn assert_well_formed(text: &str, from: i64, to: i64) {
    for line in text.lines() {
        let parsed = parse_log_line(line);
        assert!(
            parsed.millis >= from - 1000 && parsed.millis <= to + 1000,
            "timestamp of {line:?} is not the current UTC time ({from}..{to} ms since the epoch)"
        );
    }
}

/// Whether the server's log already has a line with all of `needles` (no waiting).
fn logged(server: &Server, needles: &[&str]) -> bool {
    server.log.wait_for(needles, Duration::ZERO).is_some()
}

/// Connects; the connection must be refused with exactly `refusal` and then closed.
fn expect_refused(server: &Server, refusal: &str) {
    let mut client = server.connect();
    let line = client.expect_next("error:");
    assert_eq!(line, refusal);
    let rest = client.expect_closed();
    assert!(rest.is_empty(), "lines after the refusal: {rest:?}");
}

/// `client` leaves with /quit (seeing the farewell and the close); a new connection made right
/// then must be admitted at once. Returns it, greeted and asked for a nickname.
fn quit_then_admit(server: &Server, mut client: Client, nick: &str) -> Client {
    client.send("/quit");
    client.expect("-- Closing connection: quit");
    assert!(client.expect_closed().is_empty());
    server.expect_log(&[" INFO quit ", &format!("nick={nick} "), "reason=quit"]);
    let mut next = server.connect();
    next.expect_next("-- Welcome to ");
    next.expect_next("-- Choose a nickname:");
    next
}

// ---------------------------------------------------------------------------------------------
// Connection limits
// ---------------------------------------------------------------------------------------------

#[test]
fn max_clients_refuses_the_extra_connection_and_admits_again_after_a_quit() {
    let server = Server::start(&["--max-clients", "2"]);
    // Both kinds of connection take a slot: a registered user and one still choosing a nick.
    let alice = server.register("alice");
    let mut pending = server.connect();
    pending.expect("Choose a nickname");
    server.expect_log(&[" INFO connect ", "clients=2/2"]);

    expect_refused(&server, "error: server full (2/2 clients), try again later");
    let refused = parse_log_line(&server.expect_log(&[" WARN refused ", "reason=max-clients"]));
    assert_eq!(refused.field("count"), "2/2");
    assert!(refused.field("peer").starts_with("127.0.0.1:"), "{refused:?}");
    // The unregistered connection was not disturbed by the refusal.
    pending.send("bob");
    pending.expect("-- You joined #lobby");

    let mut carol = quit_then_admit(&server, alice, "alice");
    carol.send("carol");
    carol.expect("-- You joined #lobby");
    server.expect_log(&[" INFO nick ", "nick=carol"]);
    // Full again.
    expect_refused(&server, "error: server full (2/2 clients), try again later");
}

#[test]
fn max_per_ip_refuses_a_second_connection_from_the_same_address() {
    let server = Server::start(&["--max-per-ip", "1"]);
    let alice = server.register("alice");

    expect_refused(&server, "error: too many connections from your address (1/1), close one first");
    let refused = parse_log_line(&server.expect_log(&[" WARN refused ", "reason=max-per-ip"]));
    assert_eq!(refused.field("count"), "1/1");
    assert!(!logged(&server, &["reason=max-clients"]));

    let mut next = quit_then_admit(&server, alice, "alice");
    next.send("alice2");
    next.expect("-- You joined #lobby");
    expect_refused(&server, "error: too many connections from your address (1/1), close one first");
}

/// A user who saw "Closing connection" and EOF, and whose quit the log already counted
/// (`quit ... clients=0`), reconnects at once and must be let in: the broker frees the connection
/// slot before it closes the socket.
#[test]
fn admission_right_after_a_quit() {
    const ROUNDS: usize = 20;
    let server = Server::start(&["--max-clients", "1"]);
    let mut client = server.register("user0");
    for round in 1..=ROUNDS {
        let mut next = quit_then_admit(&server, client, &format!("user{}", round - 1));
        next.send(&format!("user{round}"));
        next.expect("-- You joined #lobby");
        client = next;
    }
}

// ---------------------------------------------------------------------------------------------
// A client that never reads
// ---------------------------------------------------------------------------------------------

/// Lines delivered to the watching client, shared with the sender for flow control.
#[derive(Default)]
struct Progress {
    received: Mutex<usize>,
    changed: Condvar,
}

const FLOOD_MARKER: &str = "<sender> seq=";

fn flood_line(seq: usize) -> String {
    // 900 bytes of text in all: "seq=NNNNNNN " and padding.
    let head = format!("seq={seq:07} ");
    format!("{head}{}", "x".repeat(900 - head.len()))
}

/// Reads `client` until `<sender> done`, checking that flood lines arrive numbered 0, 1, 2, ...
/// Returns the client, the number of flood lines and whether the slow client's quit was announced.
fn watch_flood(mut client: Client, progress: &Progress, log: &common::LogLines) -> (Client, usize, bool) {
    let mut expected = 0usize;
    let mut saw_quit = false;
    loop {
        // Each line must follow the previous one promptly, whatever the slow client does.
        let line = match client.next_line(Instant::now() + TIMEOUT) {
            Ok(Some(line)) => line,
            Ok(None) => {
                // The broker logs a removal just after closing the socket: give the line a moment.
                log.wait_for(&[" evict "], Duration::from_secs(1));
                panic!("watcher disconnected after {expected} flood lines; log:\n{}", log.text())
            }
            Err(e) => {
                panic!("watcher got nothing for {TIMEOUT:?} after {expected} flood lines ({e}); log:\n{}", log.text())
            }
        };
        if let Some(at) = line.find(FLOOD_MARKER) {
            let seq: usize = line[at + FLOOD_MARKER.len()..][..7].parse().unwrap();
            assert_eq!(seq, expected, "flood lines out of order or missing");
            assert_eq!(line.len() - at - "<sender> ".len(), 900, "flood line changed: {line:?}");
            expected += 1;
            *progress.received.lock().unwrap() = expected;
            progress.changed.notify_all();
        } else if line.contains("<sender> done") {
            return (client, expected, saw_quit);
        } else if line == "-- slow quit (send queue exceeded)" {
            saw_quit = true;
        } else {
            assert!(line.starts_with("-- "), "unexpected line for the watcher: {line:?}");
        }
    }
}

#[test]
fn a_client_that_never_reads_is_evicted_and_the_room_keeps_flowing() {
    /// The sender stays at most this many lines ahead of the watcher. It must be small: chatd
    /// counts a batch's output against --max-sendq before writing any of it, so more than ~70
    /// 900-byte lines queued at once evict even a client that reads (see the ignored
    /// `a_reading_client_survives_a_burst_larger_than_max_sendq`).
    const WINDOW: usize = 48;
    /// Give up (fail) if this much was sent without an eviction.
    const MAX_BYTES: usize = 64 << 20;
    /// Lines sent after the eviction, to show the room keeps flowing.
    const AFTER: usize = 200;
    /// "Promptly": the watcher must never hold the sender up longer than this.
    const PROMPT: Duration = Duration::from_secs(2);

    let server = Server::start(&["--max-sendq", "65536", "--flood-rate", "0"]);
    let watcher = server.register("watcher");
    let slow = server.register("slow"); // never reads again until the end
    let mut sender = server.register("sender");

    let progress = Arc::new(Progress::default());
    let watching = {
        let progress = Arc::clone(&progress);
        let log = Arc::clone(&server.log);
        thread::spawn(move || watch_flood(watcher, &progress, &log))
    };

    let started = Instant::now();
    let mut sent = 0usize;
    let mut evicted_at = None;
    let mut longest_wait = Duration::ZERO;
    loop {
        // Flow control against the watcher: wait (bounded) until it is within WINDOW lines.
        let waited = Instant::now();
        {
            let received = progress.received.lock().unwrap();
            let (received, timeout) =
                progress.changed.wait_timeout_while(received, PROMPT, |received| sent - *received >= WINDOW).unwrap();
            assert!(
                !timeout.timed_out(),
                "the watcher stalled at {} of {sent} lines while the slow client was stuck; log:\n{}",
                *received,
                server.log.text()
            );
        }
        longest_wait = longest_wait.max(waited.elapsed());

        sender.send(&flood_line(sent));
        sent += 1;
        if evicted_at.is_none() && sent.is_multiple_of(32) && logged(&server, &[" WARN evict ", "nick=slow "]) {
            evicted_at = Some(sent);
        }
        if evicted_at.is_some_and(|at| sent >= at + AFTER) {
            break;
        }
        assert!(sent * 900 < MAX_BYTES, "sent {sent} lines ({MAX_BYTES} bytes) and slow was not evicted");
    }
    sender.send("done");
    let (mut watcher, flood_lines, saw_quit) = watching.join().expect("watcher thread failed");
    let took = started.elapsed();
    eprintln!(
        "slow client evicted after ~{} lines (~{} KiB); {sent} lines in {took:?}; longest flow-control wait {longest_wait:?}",
        evicted_at.unwrap(),
        evicted_at.unwrap() * 920 / 1024
    );

    assert_eq!(flood_lines, sent, "the watcher must get every line, in order");
    assert!(saw_quit, "the room was not told that slow left");
    let evict = parse_log_line(&server.expect_log(&[" WARN evict ", "nick=slow "]));
    assert_eq!(evict.field("reason"), "sendq-exceeded");
    assert_eq!(evict.level, "WARN");
    assert!(!logged(&server, &[" evict ", "nick=watcher "]), "the reading client was evicted");
    assert!(!logged(&server, &[" evict ", "nick=sender "]), "the sender was evicted");

    // The slow client finally reads: it gets a gap-free prefix of the flood (whatever the kernel
    // held), then the connection is closed; no farewell was queued for a client that cannot read.
    let mut slow = slow;
    let rest = slow.expect_closed();
    let mut expected = 0usize;
    for line in &rest {
        if let Some(at) = line.find(FLOOD_MARKER) {
            let seq: usize = line[at + FLOOD_MARKER.len()..][..7].parse().unwrap();
            assert_eq!(seq, expected, "the slow client's backlog has a gap");
            expected += 1;
        }
    }
    assert!(expected > 0 && expected < sent, "slow got {expected} of {sent} lines");
    assert!(!rest.iter().any(|l| l.contains("Closing connection")), "farewell queued behind a full backlog");

    // Everyone else is still fine.
    sender.send("still here");
    watcher.expect_next("<sender> still here");
    let mut check = server.register("late");
    watcher.expect_next("-- late joined #lobby");
    check.send("/who");
    let who = check.expect("users in #lobby: ");
    assert!(who.contains("watcher") && who.contains("sender") && !who.contains("slow"), "{who}");
}

/// A burst bigger than --max-sendq, sent in one write by one user, must reach a client that is
/// reading as fast as loopback allows. chatd appends a whole batch of events (up to 1024) to each
/// recipient's pending output and checks it against --max-sendq before writing any of it, so the
/// reading client is evicted as if it had stopped reading.
#[test]
fn a_reading_client_survives_a_burst_larger_than_max_sendq() {
    const LINES: usize = 2000; // 2000 x ~920 bytes: about 28 x --max-sendq
    let server = Server::start(&["--max-sendq", "65536", "--flood-rate", "0"]);
    let reader = server.register("reader");
    let mut sender = server.register("sender");
    let progress = Arc::new(Progress::default());
    let watching = {
        let progress = Arc::clone(&progress);
        let log = Arc::clone(&server.log);
        thread::spawn(move || watch_flood(reader, &progress, &log))
    };
    let burst: String = (0..LINES).map(|seq| flood_line(seq) + "\n").collect();
    sender.send_raw(burst.as_bytes());
    sender.send("done");
    let (_reader, flood_lines, _) = watching.join().expect("the reading client lost lines (see its panic)");
    assert_eq!(flood_lines, LINES);
    assert!(!logged(&server, &[" evict ", "nick=reader "]), "log:\n{}", server.log.text());
}

// ---------------------------------------------------------------------------------------------
// The sweep
// ---------------------------------------------------------------------------------------------

#[test]
fn sweep_reminds_then_drops_a_connection_without_a_nickname_but_not_a_silent_user() {
    let server = Server::start(&["--ping-interval", "1", "--ping-timeout", "1"]);
    let mut quiet = server.register("quiet");
    let quiet_since = Instant::now();
    let quiet_id = parse_log_line(&server.expect_log(&[" INFO nick ", "nick=quiet"])).field("client").to_string();

    let mut anon = server.connect();
    let connected = Instant::now();
    anon.expect_next("-- Welcome to ");
    anon.expect_next("-- Choose a nickname:");
    anon.expect_next("-- Still there? Choose a nickname, or you will be disconnected:");
    let reminded = connected.elapsed();
    anon.expect_next("-- Closing connection: no nickname chosen in time");
    let rest = anon.expect_closed();
    let closed = connected.elapsed();
    assert!(rest.is_empty(), "lines after the farewell: {rest:?}");
    // interval 1 s, then 1 s more; the sweep runs every 250 ms.
    assert!(reminded >= Duration::from_millis(900), "reminded after only {reminded:?}");
    assert!(closed >= Duration::from_millis(1900), "closed after only {closed:?}");

    let evict = parse_log_line(&server.expect_log(&[" WARN evict ", "reason=registration-timeout"]));
    assert_eq!(evict.field("nick"), "-");
    assert_ne!(evict.field("client"), quiet_id);

    // The registered user said nothing for well over interval + timeout and is still here.
    let silent_for = Duration::from_millis(2600).saturating_sub(quiet_since.elapsed());
    quiet.expect_silence(silent_for.max(Duration::from_millis(300)));
    assert!(!logged(&server, &[" evict ", &format!("client={quiet_id} ")]), "the silent user was evicted");
    quiet.send("/users");
    quiet.expect_next("-- 1 user online: quiet");
}

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

/// Stops a server holding two users and one unregistered connection with `signal`: everyone gets
/// the farewell then EOF, the process exits 0 within 2 s and the log records the stop.
fn graceful_stop(signal: &str) {
    let mut server = Server::start(&[]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    alice.expect("-- bob joined #lobby");
    let mut anon = server.connect();
    // The greeting comes from the broker, which starts after the signal handler is installed
    // (see `sigterm_right_after_the_start_line_still_stops_cleanly`).
    anon.expect("-- Choose a nickname:");

    let signalled = Instant::now();
    server.signal(signal);
    for (name, client) in [("alice", &mut alice), ("bob", &mut bob), ("anon", &mut anon)] {
        client.expect_next("-- Closing connection: server shutting down");
        let rest = client.expect_closed();
        assert!(rest.is_empty(), "{name} got lines after the farewell: {rest:?}");
    }
    let status = server.wait_exit(Duration::from_secs(2));
    let took = signalled.elapsed();
    let status = status.unwrap_or_else(|| panic!("still running 2 s after SIG{signal}; log:\n{}", server.log.text()));
    assert_eq!(status.code(), Some(0), "SIG{signal}: {status:?}");
    assert!(took < Duration::from_secs(2), "SIG{signal}: took {took:?}");

    let shutdown = parse_log_line(&server.expect_log(&[" INFO shutdown "]));
    assert_eq!(shutdown.field("clients"), "3");
    server.expect_log(&[" INFO stopped"]);
    let text = server.log.text();
    let at = |needle: &str| text.find(needle).unwrap();
    assert!(at(" INFO shutdown ") < at(" INFO stopped"), "stopped before shutdown:\n{text}");
    assert!(!text.contains(" ERROR "), "errors during the stop:\n{text}");
}

/// An init system (or a test) may stop chatd as soon as it has logged `start`. chatd logs
/// `start` before it installs its signal handler, so a SIGTERM in that window kills the process
/// outright (status "signal 15", no `shutdown`/`stopped` lines) instead of stopping it cleanly.
#[test]
fn sigterm_right_after_the_start_line_still_stops_cleanly() {
    let mut killed = Vec::new();
    for attempt in 0..10 {
        let mut server = Server::start(&[]);
        server.signal("TERM");
        let status = server.wait_exit(Duration::from_secs(2)).expect("still running 2 s after SIGTERM");
        if status.code() != Some(0) {
            killed.push((attempt, status));
        }
    }
    assert!(killed.is_empty(), "SIGTERM right after `start` did not stop cleanly: {killed:?}");
}

#[test]
fn sigterm_stops_gracefully() {
    graceful_stop("TERM");
}

#[test]
fn sigint_stops_gracefully() {
    graceful_stop("INT");
}

#[test]
fn sighup_stops_gracefully() {
    graceful_stop("HUP");
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_command_lines_exit_2_with_the_problem_and_usage() {
    let cases: &[(&[&str], &str)] = &[
        (&["--max-clients", "abc"], "--max-clients needs a whole number, not \"abc\""),
        (&["--max-clients"], "max-clients"),
        (&["--max-clients", "0"], "--max-clients must be between 1 and 1000000, not 0"),
        (&["--bogus"], "bogus"),
        (&["stray"], "stray"),
        (&["--listen", "6667"], "--listen needs ADDR:PORT"),
        (&["--ping-interval", "0"], "--ping-interval"),
    ];
    for (args, problem) in cases {
        let run = run_chatd(args, Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(2), "{args:?}: {:?}\n{}", run.status, run.stderr);
        assert!(run.stderr.starts_with("chatd: "), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(problem), "{args:?}: stderr lacks {problem:?}:\n{}", run.stderr);
        assert!(run.stderr.contains("Usage: chatd [OPTIONS]"), "{args:?}: no usage:\n{}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: stdout {:?}", run.stdout);
        assert!(!run.stderr.contains(" INFO start "), "{args:?} started a server");
    }
}

#[test]
fn help_lists_every_option_and_exits_0() {
    for flag in ["--help", "-h"] {
        let run = run_chatd(&[flag], Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(0), "{flag}: {:?}", run.status);
        assert!(run.stdout.starts_with("Usage: chatd [OPTIONS]"), "{flag}:\n{}", run.stdout);
        for option in ALL_OPTIONS {
            assert!(run.stdout.contains(option), "{flag}: usage lacks {option}:\n{}", run.stdout);
        }
        assert!(run.stderr.is_empty(), "{flag}: stderr {:?}", run.stderr);
    }
}

#[test]
fn version_prints_the_version_and_exits_0() {
    for flag in ["--version", "-V"] {
        let run = run_chatd(&[flag], Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(0), "{flag}: {:?}", run.status);
        assert_eq!(run.stdout, "chatd 0.1.0\n", "{flag}");
        assert!(run.stderr.is_empty(), "{flag}: stderr {:?}", run.stderr);
    }
}

#[test]
fn a_taken_port_exits_1_quickly_without_starting() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    // Alone, and after an address that binds fine: either way nothing starts.
    for args in [vec!["--listen", addr.as_str()], vec!["--listen", "127.0.0.1:0", "--listen", addr.as_str()]] {
        let run = run_chatd(&args, Duration::from_secs(5));
        assert_eq!(run.status.code(), Some(1), "{args:?}: {:?}\n{}", run.status, run.stderr);
        assert!(run.elapsed < Duration::from_secs(2), "{args:?}: took {:?}", run.elapsed);
        assert!(
            run.stderr.contains(&format!("cannot listen on {addr}")) && run.stderr.contains("another server"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(" INFO start "), "{args:?}: half-started:\n{}", run.stderr);
        assert!(!run.stderr.contains("Usage:"), "{args:?}: not a usage error:\n{}", run.stderr);
    }
    drop(taken);
}

#[test]
fn an_unopenable_log_file_exits_1() {
    let dir = common::temp_dir("badlog");
    let path = dir.join("missing-dir").join("chatd.log");
    let run = run_chatd(&["--listen", "127.0.0.1:0", "--log-file", path.to_str().unwrap()], Duration::from_secs(5));
    assert_eq!(run.status.code(), Some(1), "{:?}\n{}", run.status, run.stderr);
    assert!(run.stderr.contains("cannot open log file"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// The operator log
// ---------------------------------------------------------------------------------------------

#[test]
fn log_lines_are_timestamped_structured_and_keep_message_texts_private() {
    let before = now_millis();
    let server = Server::start(&[]);

    let start = parse_log_line(&server.expect_log(&[" INFO start "]));
    assert_eq!(start.level, "INFO");
    assert_eq!(start.event, "start");
    assert_eq!(start.field("version"), "0.1.0");
    assert_eq!(start.field("listen"), server.addr.to_string());
    assert_eq!(start.field("max_clients"), "1024");
    assert_eq!(start.field("pid"), server.pid().to_string());

    let mut alice = server.register("alice");
    let alice_addr = alice.stream.local_addr().unwrap();
    let connect = parse_log_line(&server.expect_log(&[" INFO connect ", &format!("peer={alice_addr} ")]));
    assert_eq!(connect.field("clients"), "1/1024");
    let alice_id = connect.field("client").to_string();
    assert!(alice_id.parse::<u64>().is_ok(), "{connect:?}");
    let nick = parse_log_line(&server.expect_log(&[" INFO nick ", &format!("client={alice_id} ")]));
    assert_eq!(nick.field("nick"), "alice");
    let join = parse_log_line(&server.expect_log(&[" INFO join ", &format!("client={alice_id} ")]));
    assert_eq!((join.field("nick"), join.field("room")), ("alice", "#lobby"));

    let mut bob = server.register("bob");
    let bob_addr = bob.stream.local_addr().unwrap();
    let connect = parse_log_line(&server.expect_log(&[" INFO connect ", &format!("peer={bob_addr} ")]));
    assert_eq!(connect.field("clients"), "2/1024");
    alice.expect("-- bob joined #lobby");

    alice.send("the quick brown fox ROOMSECRET");
    bob.expect("<alice> the quick brown fox ROOMSECRET");
    alice.send("/me whispers ACTIONSECRET");
    bob.expect("* alice whispers ACTIONSECRET");
    alice.send("/msg bob meet at PRIVATESECRET");
    bob.expect("*alice* meet at PRIVATESECRET");
    alice.expect("-> *bob* meet at PRIVATESECRET");
    let private = parse_log_line(&server.expect_log(&[" INFO private "]));
    assert_eq!((private.field("client"), private.field("from"), private.field("to")), (&*alice_id, "alice", "bob"));

    alice.send("/quit");
    alice.expect("-- Closing connection: quit");
    bob.expect("-- alice quit (quit)");
    let quit = parse_log_line(&server.expect_log(&[" INFO quit ", &format!("client={alice_id} ")]));
    assert_eq!(quit.field("nick"), "alice");
    assert_eq!(quit.field("reason"), "quit");
    assert_eq!(quit.field("peer"), alice_addr.to_string());

    let text = server.log.text();
    assert_well_formed(&text, before, now_millis());
    for secret in ["ROOMSECRET", "ACTIONSECRET", "PRIVATESECRET", "quick brown", "meet at"] {
        assert!(!text.contains(secret), "message text {secret:?} in the log:\n{text}");
    }
    assert!(!text.contains(" message "), "message lines without --log-messages:\n{text}");
}

#[test]
fn log_messages_records_message_texts() {
    let server = Server::start(&["--log-messages"]);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    alice.expect("-- bob joined #lobby");

    alice.send("hello \"world\" = everyone");
    bob.expect("<alice> hello \"world\" = everyone");
    let message = parse_log_line(&server.expect_log(&[" INFO message ", "to=#lobby"]));
    assert_eq!(message.field("from"), "alice");
    assert_eq!(message.field("text"), "hello \"world\" = everyone");

    bob.send("/msg alice psst secret");
    alice.expect("*bob* psst secret");
    let message = parse_log_line(&server.expect_log(&[" INFO message ", "to=alice"]));
    assert_eq!((message.field("from"), message.field("text")), ("bob", "psst secret"));
    server.expect_log(&[" INFO private ", "from=bob", "to=alice"]);
}

#[test]
fn a_rotated_log_file_is_reopened_at_its_path_and_nothing_is_lost() {
    let before = now_millis();
    let server = Server::start_with_log_file(&[]);
    let path = server.log_file.clone().unwrap();
    let rotated = path.with_extension("log.1");

    let mut alice = server.register("alice");
    // The log has a writer thread of its own: wait until alice's lines are in the file.
    server.expect_log(&[" INFO join ", "nick=alice"]);
    std::fs::rename(&path, &rotated).unwrap();
    let _bob = server.register("bob");
    alice.expect("-- bob joined #lobby");
    server.expect_log(&[" INFO join ", "nick=bob"]);

    let old = std::fs::read_to_string(&rotated).unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    let after = now_millis();
    assert_well_formed(&old, before, after);
    assert_well_formed(&new, before, after);
    let events = |text: &str| -> Vec<(String, Option<String>)> {
        text.lines()
            .map(parse_log_line)
            .map(|l| {
                let nick = l.get("nick").map(str::to_string);
                (l.event, nick)
            })
            .collect()
    };
    let old_events = events(&old);
    let new_events = events(&new);
    let alice = |event: &str| (event.to_string(), Some("alice".to_string()));
    let bob = |event: &str| (event.to_string(), Some("bob".to_string()));

    // The old file: everything up to the rename, nothing after.
    assert_eq!(old_events.first().map(|e| e.0.as_str()), Some("start"), "old file:\n{old}");
    assert!(old_events.contains(&alice("nick")) && old_events.contains(&alice("join")), "old file:\n{old}");
    assert_eq!(old.matches(" INFO connect ").count(), 1, "old file:\n{old}");
    assert!(!old_events.contains(&bob("nick")) && !old.contains("log_reopened"), "old file:\n{old}");

    // The new file: the reopen note, then bob's arrival.
    let reopened = parse_log_line(new.lines().next().unwrap_or(""));
    assert_eq!(reopened.event, "log_reopened", "new file:\n{new}");
    assert_eq!(reopened.field("path"), path.display().to_string());
    assert_eq!(new.matches(" INFO connect ").count(), 1, "new file:\n{new}");
    assert!(new_events.contains(&bob("nick")) && new_events.contains(&bob("join")), "new file:\n{new}");
    assert!(!new_events.contains(&alice("nick")) && !new.contains(" INFO start "), "new file:\n{new}");

    // Nothing duplicated across the two files.
    let mut all: Vec<&str> = old.lines().chain(new.lines()).collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count, "duplicated lines:\n{old}\n---\n{new}");
}

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

#[test]
fn listens_on_ipv6_loopback_alongside_ipv4() {
    if let Err(e) = TcpListener::bind("[::1]:0") {
        eprintln!("note: skipping the IPv6 test: cannot bind [::1]:0 here ({e})");
        return;
    }
    let server = Server::start(&["--listen", "[::1]:0"]);
    let start = parse_log_line(&server.expect_log(&[" INFO start "]));
    let addrs: Vec<SocketAddr> = start.field("listen").split(',').map(|a| a.parse().unwrap()).collect();
    assert_eq!(addrs.len(), 2, "{start:?}");
    let v6 = *addrs.iter().find(|a| a.is_ipv6()).expect("no IPv6 listener");
    assert!(v6.ip().is_loopback() && v6.port() != 0, "{v6}");

    let mut six = Client::connect(v6, Arc::clone(&server.log));
    six.expect("-- Choose a nickname:");
    six.send("six");
    six.expect("-- You joined #lobby");
    let peer = six.stream.local_addr().unwrap();
    assert!(peer.is_ipv6());
    let connect = parse_log_line(&server.expect_log(&[" INFO connect ", &format!("peer={peer} ")]));
    assert!(connect.field("peer").starts_with("[::1]:"), "{connect:?}");

    let mut four = server.register("four");
    six.expect("-- four joined #lobby");
    four.send("hello over v4");
    six.expect("<four> hello over v4");
    six.send("hello over v6");
    four.expect("<six> hello over v6");
}

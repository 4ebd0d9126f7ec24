//! The web face under load: browsers' sessions on chatd's chat port, each one connection that
//! logs in (`POST /api/login`), may send lines as typed (`POST /api/send`), then opens its event
//! stream (`GET /api/events`) and reads it for as long as the scenario runs.
//!
//! - `web-N` is the fanout of `room` with its receivers replaced: the same 10 IRC senders, window
//!   and length, and N web sessions in the default room reading `said` events from their streams
//!   (`room_load` with `Load::web`; this module sets the sessions up and reads their streams);
//! - `idle-web-N`: N web sessions held, a hundred to a room as `idle` places IRC clients: how
//!   long setting them all up takes and what they cost the server in memory.
//!
//! Only chatd has a web face; the peers skip these scenarios.

use super::Metrics;
use crate::loadgen::web::{WebItem, WebReader, events_request, login_request, send_request};
use crate::loadgen::{Net, find};
use crate::measure::rss_kib;
use crate::servers::Server;
use std::ops::Range;
use std::time::{Duration, Instant};

/// The room every web session is in after logging in (chatd's default, which the bench keeps).
pub const DEFAULT_ROOM: &str = "#lobby";

/// What each session (numbered from 0) does between logging in and being where the scenario wants it.
pub struct Setup<'a> {
    pub nick: &'a dyn Fn(usize) -> String,
    /// Lines sent as typed after logging in, before the stream opens.
    pub lines: &'a dyn Fn(usize) -> Vec<String>,
    /// The start of the event (its JSON) after which the session is set up.
    pub ready: &'a dyn Fn(usize) -> String,
}

/// Web sessions set up, with the readers of their streams (session `w` is connection `range.start + w`).
pub struct Sessions {
    pub range: Range<usize>,
    pub readers: Vec<WebReader>,
    /// The id of each session's last event read by `read_said` (chatd numbers them up from 1).
    last_ids: Vec<u64>,
    pub took: Duration,
}

/// Where a session is in its setup.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    LoggingIn,
    /// Logged in, its lines and the stream request sent: answers to the lines, then the stream.
    Opening {
        answers_due: usize,
    },
    /// Streaming, waiting for the event that says it is set up.
    Streaming,
    Ready,
}

/// Opens `n` more connections as web sessions set up by `setup`, with at most `window` in flight.
pub fn establish_web(
    net: &mut Net,
    host: &str,
    n: usize,
    setup: &Setup<'_>,
    window: usize,
    limit: Duration,
) -> Result<Sessions, String> {
    let t0 = Instant::now();
    let first = net.conns.len();
    let mut steps = vec![Step::LoggingIn; n];
    let mut readers: Vec<WebReader> = (0..n).map(|_| WebReader::new()).collect();
    let (mut opened, mut done) = (0, 0);
    let mut error: Option<String> = None;
    while done < n {
        while opened < n && opened - done < window {
            let i = net.open_raw().map_err(|e| format!("connect: {e}"))?;
            net.send(i, login_request(host, &(setup.nick)(i - first)).as_bytes());
            opened += 1;
        }
        net.poll(Duration::from_millis(50), |net, i, bytes| {
            if i < first || i >= first + n {
                return;
            }
            let w = i - first;
            let Some(bytes) = bytes else {
                error.get_or_insert_with(|| format!("web session {w} closed in step {:?}", steps[w]));
                return;
            };
            let mut step = steps[w];
            let ready = (step != Step::Ready).then(|| (setup.ready)(w));
            let mut failure = None;
            let fed = readers[w].feed(bytes, &mut |item| match (item, step) {
                (WebItem::Answer { status: 200, session: Some(token), .. }, Step::LoggingIn) => {
                    let lines = (setup.lines)(w);
                    let mut requests = String::new();
                    for line in &lines {
                        requests.push_str(&send_request(host, token, line));
                    }
                    requests.push_str(&events_request(host, token));
                    net.send(i, requests.as_bytes());
                    step = Step::Opening { answers_due: lines.len() };
                }
                (WebItem::Answer { status: 204, .. }, Step::Opening { answers_due }) if answers_due > 0 => {
                    step = Step::Opening { answers_due: answers_due - 1 };
                }
                (WebItem::Answer { status, body, .. }, _) => {
                    failure.get_or_insert_with(|| {
                        format!("answer {status} in step {step:?}: {}", String::from_utf8_lossy(body))
                    });
                }
                (WebItem::StreamOpened, Step::Opening { answers_due: 0 }) => step = Step::Streaming,
                (WebItem::StreamOpened, _) => {
                    failure.get_or_insert_with(|| format!("the stream opened in step {step:?}"));
                }
                (WebItem::Event { data, .. }, Step::Streaming) => {
                    if ready.as_ref().is_some_and(|r| data.starts_with(r.as_bytes())) {
                        step = Step::Ready;
                    } else if data.starts_with(br#"{"t":"error""#) || data.starts_with(br#"{"t":"closing""#) {
                        failure.get_or_insert_with(|| String::from_utf8_lossy(data).into_owned());
                    }
                }
                (WebItem::Event { .. }, _) => {}
            });
            if let Err(e) = fed {
                failure.get_or_insert(e);
            }
            if let Some(why) = failure {
                error.get_or_insert_with(|| format!("web session {w}: {why}"));
            }
            if step == Step::Ready && steps[w] != Step::Ready {
                done += 1;
            }
            steps[w] = step;
        });
        if let Some(e) = error {
            return Err(e);
        }
        if t0.elapsed() > limit {
            let stuck = steps.iter().position(|&s| s != Step::Ready).unwrap_or(0);
            return Err(format!(
                "only {done} of {n} web sessions were set up within {limit:?} (session {stuck} in step {:?})",
                steps[stuck]
            ));
        }
    }
    Ok(Sessions { range: first..first + n, readers, last_ids: vec![0; n], took: t0.elapsed() })
}

/// The fanout's receivers as web sessions in the default room.
pub fn fanout_receivers(net: &mut Net, host: &str, n: usize, window: usize) -> Result<Sessions, String> {
    let joined = format!(r#"{{"t":"joined_self","room":"{DEFAULT_ROOM}""#);
    let setup = Setup { nick: &|w| format!("w{w}"), lines: &|_| Vec::new(), ready: &|_| joined.clone() };
    establish_web(net, host, n, &setup, window, Duration::from_secs(60))
}

/// `<sender> <seq> <send-ns>` from a `said` event's text (the fanout's line, as the IRC sender
/// wrote it): `{"t":"said","room":"#lobby","from":"b3","text":"3 17 123456",...}`.
pub fn said_payload(data: &[u8]) -> Option<(usize, u64, u64)> {
    let rest = data.strip_prefix(br#"{"t":"said","#)?;
    let at = find(rest, br#""text":""#)? + 8;
    let text = &rest[at..];
    let text = &text[..text.iter().position(|&b| b == b'"')?];
    let mut nums = text
        .split(|&b| b == b' ')
        .map(|f| f.iter().try_fold(0u64, |a, &d| d.is_ascii_digit().then(|| a * 10 + (d - b'0') as u64)));
    Some((nums.next()?? as usize, nums.next()??, nums.next()??))
}

/// Reads session `w`'s new bytes, handing the payload of each fanout line it was told of to `f`.
/// Event ids must go up (a stream that repeats or goes back is an error).
pub fn read_said(
    sessions: &mut Sessions,
    w: usize,
    bytes: &[u8],
    f: &mut dyn FnMut(usize, u64, u64),
) -> Result<(), String> {
    let last_id = &mut sessions.last_ids[w];
    let mut error = None;
    sessions.readers[w].feed(bytes, &mut |item| {
        let WebItem::Event { id, data } = item else { return };
        if id <= *last_id {
            error.get_or_insert_with(|| format!("event id {id} after {last_id}"));
        }
        *last_id = id;
        if let Some((k, seq, ts)) = said_payload(data) {
            f(k, seq, ts);
        }
    })?;
    error.map_or(Ok(()), Err)
}

/// `idle-web-N`: N web sessions, each logged in, moved to a room of its own hundred (`/join`,
/// then `/part` of the default room, so that no room holds them all: every member of a room is
/// told of every join there) and streaming; then held for a second.
pub fn idle_web(server: &Server, sessions: usize) -> Result<Metrics, String> {
    let rss0 = rss_kib(server.pid());
    let mut net = Net::new(server.addr).map_err(|e| e.to_string())?;
    let host = server.addr.to_string();
    let parted = format!(r#"{{"t":"parted_self","room":"{DEFAULT_ROOM}""#);
    let setup = Setup {
        nick: &|w| format!("w{w}"),
        lines: &|w| vec![format!("/join #idle{}", w / 100), format!("/part {DEFAULT_ROOM}")],
        ready: &|_| parted.clone(),
    };
    let mut web =
        establish_web(&mut net, &host, sessions, &setup, server.kind.connect_window(), Duration::from_secs(120))?;
    // Let the server settle, reading whatever the streams still bring.
    let settle = Instant::now();
    let mut error = None;
    while settle.elapsed() < Duration::from_secs(1) {
        net.poll(Duration::from_millis(100), |_, i, bytes| {
            if let (Some(bytes), Some(w)) = (bytes, i.checked_sub(web.range.start).filter(|&w| w < sessions))
                && let Err(e) = web.readers[w].feed(bytes, &mut |_| {})
            {
                error.get_or_insert(e);
            }
        });
    }
    if let Some(e) = error {
        return Err(e);
    }
    let rss1 = rss_kib(server.pid());
    let open = net.conns[web.range.clone()].iter().filter(|c| !c.closed).count();
    if open != sessions {
        return Err(format!("{} of {sessions} idle web sessions were disconnected", sessions - open));
    }
    Ok(vec![
        ("connect_all_s", web.took.as_secs_f64()),
        ("rss_per_session_kib", (rss1 - rss0) / sessions as f64),
        ("rss_total_mib", rss1 / 1024.0),
    ])
}

//! The log writer thread: the only code that touches the log's file or stderr.
//!
//! Owns the sink. Takes formatted lines from the bounded queue, writes whatever has arrived in one
//! `write` (lines stay whole and in order), and between batches writes what the per-peer
//! summariser says is due and the count of lines the queue had to drop. A sink that blocks stalls
//! only this thread; one that fails costs a count, never a panic.

use super::summary::Summary;
use super::{Level, Shared, format_line};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::fmt::Display;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// Bytes gathered into one write at most (a batch may end with one line more).
const BATCH_BYTES: usize = 64 * 1024;

/// How long the writer lets lines gather after the first one of a burst.
const GATHER: Duration = Duration::from_millis(1);

/// How often pending per-peer counts are looked at while there are any.
const TICK: Duration = Duration::from_millis(250);

/// What the queue carries.
pub(super) enum Record {
    Line(String),
    /// Acknowledge once everything queued before this is written.
    Flush(Sender<()>),
}

pub(super) enum Sink {
    Stderr,
    File {
        path: PathBuf,
        file: File,
        /// (device, inode) of the open file, to notice when the path points elsewhere.
        identity: (u64, u64),
    },
    #[cfg(test)]
    Test(Box<dyn Write + Send>),
}

fn open_append(path: &Path) -> io::Result<(File, (u64, u64))> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let meta = file.metadata()?;
    Ok((file, (meta.dev(), meta.ino())))
}

impl Sink {
    /// Opens (creating if needed) `path` for appending.
    pub(super) fn file(path: &Path) -> io::Result<Sink> {
        let (file, identity) = open_append(path)?;
        Ok(Sink::File { path: path.to_path_buf(), file, identity })
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stderr => io::stderr().lock().write_all(bytes),
            Sink::File { path, file, identity } => {
                // When logrotate (or anyone) moved or deleted the file, start a new one at the path.
                let moved = match std::fs::metadata(&*path) {
                    Ok(meta) => (meta.dev(), meta.ino()) != *identity,
                    Err(_) => true,
                };
                if moved && let Ok((new_file, new_identity)) = open_append(path) {
                    *file = new_file;
                    *identity = new_identity;
                    let note =
                        format_line(SystemTime::now(), Level::Info, "log_reopened", &[("path", &path.display())]);
                    file.write_all(note.as_bytes())?;
                }
                file.write_all(bytes)
            }
            #[cfg(test)]
            Sink::Test(writer) => writer.write_all(bytes),
        }
    }

    /// Says once, on stderr, that the log file cannot be written. When the log IS stderr there
    /// is nowhere to say it.
    fn report_failure(&self, error: &io::Error) {
        if let Sink::File { path, .. } = self {
            let fields: [(&str, &dyn Display); 2] = [("path", &path.display()), ("error", error)];
            let line = format_line(SystemTime::now(), Level::Error, "log_write_failed", &fields);
            let _ = io::stderr().lock().write_all(line.as_bytes());
        }
    }
}

/// The line for one per-peer summary: `EVENT_summary from=GROUP repeated=N interval=10s` (`from=
/// other-addresses` for groups beyond the tracked ones), or `log_capped lines=N interval=10s`.
pub(super) fn summary_line(time: SystemTime, summary: &Summary, interval: Duration) -> String {
    let interval = format!("{}s", interval.as_secs_f64());
    match summary {
        Summary::Repeated { level, event, from, repeated } => {
            let from: &dyn Display = match from {
                Some(group) => group,
                None => &"other-addresses",
            };
            let event = format!("{event}_summary");
            format_line(time, *level, &event, &[("from", from), ("repeated", repeated), ("interval", &interval)])
        }
        Summary::Capped { lines } => {
            format_line(time, Level::Warn, "log_capped", &[("lines", lines), ("interval", &interval)])
        }
    }
}

/// Lines that could not be written since the last successful write.
#[derive(Default)]
struct Lost {
    lines: u64,
    error: String,
    reported: bool,
}

pub(super) struct Writer {
    sink: Sink,
    records: Receiver<Record>,
    shared: Arc<Shared>,
    batch: Vec<u8>,
    /// Lines in `batch`, not counting a `log_write_failed` line put first.
    batch_lines: u64,
    acks: Vec<Sender<()>>,
    lost: Lost,
    summaries: Vec<Summary>,
    /// When to look at the per-peer counts next; `None` while there are none.
    next_tick: Option<Instant>,
}

impl Writer {
    pub(super) fn new(sink: Sink, records: Receiver<Record>, shared: Arc<Shared>) -> Writer {
        Writer {
            sink,
            records,
            shared,
            batch: Vec::with_capacity(BATCH_BYTES),
            batch_lines: 0,
            acks: Vec::new(),
            lost: Lost::default(),
            summaries: Vec::new(),
            next_tick: None,
        }
    }

    /// Runs until every `Log` handle is gone and the queue is empty.
    pub(super) fn run(mut self) {
        loop {
            let first = match self.next_tick {
                None => self.records.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(at) => self.records.recv_deadline(at),
            };
            let mut open = true;
            match first {
                Ok(record) => {
                    self.take(record);
                    // Let a burst gather: one write for many lines, and senders that find the
                    // writer not waiting need not wake it (a line is at most this much later).
                    thread::sleep(GATHER);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
            while open && self.batch.len() < BATCH_BYTES {
                match self.records.try_recv() {
                    Ok(record) => self.take(record),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => open = false,
                }
            }
            self.add_summaries(Instant::now(), !open);
            let dropped = self.shared.dropped.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                self.add_line(Level::Warn, "log_dropped", &[("lines", &dropped)]);
            }
            self.write_batch();
            for ack in self.acks.drain(..) {
                let _ = ack.send(());
            }
            if !open {
                return;
            }
        }
    }

    fn take(&mut self, record: Record) {
        match record {
            Record::Line(line) => {
                self.shared.queued_bytes.fetch_sub(line.len(), Ordering::Relaxed);
                self.batch.extend_from_slice(line.as_bytes());
                self.batch_lines += 1;
            }
            Record::Flush(ack) => self.acks.push(ack),
        }
    }

    fn add_line(&mut self, level: Level, event: &str, fields: &[(&str, &dyn Display)]) {
        let line = format_line(SystemTime::now(), level, event, fields);
        self.batch.extend_from_slice(line.as_bytes());
        self.batch_lines += 1;
    }

    /// Formats what the summariser has due (everything, when `all`), and sets the next tick.
    fn add_summaries(&mut self, now: Instant, all: bool) {
        let (interval, idle) = {
            let mut summary = self.shared.summary();
            if all {
                summary.drain(&mut self.summaries);
            } else if self.next_tick.is_some_and(|at| now >= at) {
                summary.due(now, &mut self.summaries);
            }
            (summary.interval(), summary.is_idle())
        };
        self.next_tick = match self.next_tick {
            _ if idle => None,
            Some(at) if at > now => Some(at),
            _ => Some(now + TICK),
        };
        let time = SystemTime::now();
        for summary in self.summaries.drain(..) {
            self.batch.extend_from_slice(summary_line(time, &summary, interval).as_bytes());
            self.batch_lines += 1;
        }
    }

    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        if self.lost.lines > 0 {
            // Say first what was lost, now that the sink may work again.
            let line = format_line(
                SystemTime::now(),
                Level::Warn,
                "log_write_failed",
                &[("lines", &self.lost.lines), ("error", &self.lost.error)],
            );
            self.batch.splice(0..0, line.into_bytes());
        }
        match self.sink.write_all(&self.batch) {
            Ok(()) => self.lost.lines = 0,
            Err(error) => {
                self.lost.lines += self.batch_lines;
                self.lost.error = error.to_string();
                if !self.lost.reported {
                    self.lost.reported = true;
                    self.sink.report_failure(&error);
                }
            }
        }
        self.batch.clear();
        self.batch_lines = 0;
    }
}

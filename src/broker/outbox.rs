//! One client's output on its way out: the bytes not yet taken by the connection, the single
//! non-blocking send, and the send-queue rule.
//!
//! Invariants:
//! - Nothing here ever waits. The connection is reached through `Transport`, whose `send` takes
//!   what it can now and says `WouldBlock` otherwise; whatever it does not take stays pending.
//! - A partial send never copies the backlog: it advances a cursor over the buffer. The sent part
//!   is cut off only when it is at least as long as the rest (so each byte is moved at most as
//!   often as bytes were sent before it), and so the buffer holds at most twice what is pending.
//! - A client is judged against `--max-sendq` only after the connection was offered its backlog:
//!   only what the socket will not take counts.

use crate::net::sys;
use crate::protocol::QuitReason;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

/// The write side of a connection, as the broker sees it.
///
/// Every call returns at once: the broker thread serves every client and must never wait on one,
/// nor on a lock a reader thread holds. A transport that has state of its own (an encrypted one
/// keeps its record layer and keys) keeps its sending half apart from its reader's, so that
/// encrypting and sending here never waits for a read in progress.
pub trait Transport {
    /// Sends what the connection takes now, at most `bytes.len()`: `WouldBlock` when it takes
    /// nothing, `Interrupted` (retried) after a signal, any other error when it is broken.
    fn send(&mut self, bytes: &[u8]) -> io::Result<usize>;
    /// Closes both directions at once, whoever else holds the connection (the shutdown farewell).
    fn shutdown(&self);
    /// Closes the connection as the client is removed: wakes its reader if one is still
    /// reading, and releases the broker's hold.
    fn close(self);
    /// Closes only the broker's direction once an answer has all left: a reader still reading
    /// sees the peer's own close (or its time limit) and lets go; the peer gets no reset for
    /// bytes it sent after its request.
    fn finish(self);
}

/// A client's socket, shared with its reader, which only reads from it.
impl Transport for Arc<TcpStream> {
    fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
        sys::send_now(self, bytes)
    }

    fn shutdown(&self) {
        let _ = TcpStream::shutdown(self, Shutdown::Both);
    }

    fn finish(self) {
        if Arc::strong_count(&self) > 1 {
            let _ = TcpStream::shutdown(&self, Shutdown::Write);
        }
    }

    fn close(self) {
        // A reader still reading holds the other reference: shutting the socket down wakes it. A
        // reader that has stopped (after `QUIT`) has let go, and closing alone sends the FIN:
        // one system call fewer per session. Nothing can take a new reference meanwhile.
        if Arc::strong_count(&self) > 1 {
            Transport::shutdown(&self);
        }
    }
}

/// What one `Outbox::send` achieved short of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Nothing is pending any more.
    All,
    /// The connection took what it could; the rest waits for the next attempt.
    Blocked,
}

/// One client's pending output and the connection it goes to.
pub struct Outbox<T> {
    transport: T,
    /// Output; the first `sent` bytes have already gone out.
    buf: Vec<u8>,
    sent: usize,
    /// Output was queued since the last `free_if_idle`.
    busy: bool,
}

impl<T: Transport> Outbox<T> {
    pub fn new(transport: T) -> Outbox<T> {
        Outbox { transport, buf: Vec::new(), sent: 0, busy: false }
    }

    /// Bytes waiting for the connection.
    pub fn len(&self) -> usize {
        self.buf.len() - self.sent
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes waiting for the connection.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// Appends `bytes` without sending them (see `queue` for the rule that goes with it).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.busy = true;
    }

    /// Lets `render` append to the pending output directly, for lines that are not shared with
    /// other recipients (last words). `render` must only append.
    pub fn append_with(&mut self, render: impl FnOnce(&mut Vec<u8>)) {
        render(&mut self.buf);
        self.busy = true;
    }

    /// Appends `bytes` and applies the send-queue rule: a client whose pending output passes
    /// `max_sendq` bytes, even after the connection was offered all of it, has stopped reading
    /// and must go. `Err` says why the client must be removed.
    /// Inlined: it runs once per delivery, and all but the last step is a copy and a compare.
    #[inline]
    pub fn queue(&mut self, bytes: &[u8], max_sendq: usize) -> Result<(), QuitReason> {
        self.push(bytes);
        if self.len() <= max_sendq {
            return Ok(());
        }
        self.over_sendq(max_sendq)
    }

    /// The backlog passed `max_sendq`: offer it all to the connection; what stays decides.
    #[cold]
    #[inline(never)]
    fn over_sendq(&mut self, max_sendq: usize) -> Result<(), QuitReason> {
        match self.send() {
            Ok(Sent::All) => Ok(()),
            Ok(Sent::Blocked) if self.len() <= max_sendq => Ok(()),
            Ok(Sent::Blocked) => Err(QuitReason::SendQueueExceeded),
            Err(e) => Err(QuitReason::from_socket_error(&e)),
        }
    }

    /// How many bytes a history reply of `wanted` bytes may add (see `history_room`). When it
    /// would not fit, the backlog is offered to the connection first: only what the socket will
    /// not take counts. `Err` when that send found the connection broken.
    pub fn history_room(&mut self, wanted: usize, max_sendq: usize) -> Result<usize, QuitReason> {
        if wanted > history_room(max_sendq, self.len()) && !self.is_empty() {
            self.send().map_err(|e| QuitReason::from_socket_error(&e))?;
        }
        Ok(history_room(max_sendq, self.len()))
    }

    /// Sends as much pending output as the connection takes now: one `send` when it takes all
    /// of it (the usual case), more only while it keeps taking.
    pub fn send(&mut self) -> io::Result<Sent> {
        while self.sent < self.buf.len() {
            match self.transport.send(&self.buf[self.sent..]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => self.sent += n.min(self.buf.len() - self.sent),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.compact();
                    return Ok(Sent::Blocked);
                }
                Err(e) => return Err(e),
            }
        }
        // The emptied buffer keeps its allocation for the next batch; `free_if_idle` frees idle ones.
        self.buf.clear();
        self.sent = 0;
        Ok(Sent::All)
    }

    /// Cuts off what was sent once it is at least as long as what is left, so that moving the
    /// rest costs no more than the bytes already sent.
    fn compact(&mut self) {
        if self.sent > 0 && self.sent >= self.buf.len() - self.sent {
            self.buf.copy_within(self.sent.., 0);
            self.buf.truncate(self.buf.len() - self.sent);
            self.sent = 0;
        }
    }

    /// Drops what is pending (the connection failed; nothing more will be sent).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.sent = 0;
    }

    /// Gives an empty buffer's memory back if nothing was queued since the last call. An emptied
    /// buffer keeps its allocation so that busy clients do not grow it again (copying) on every
    /// batch; most clients are idle most of the time, and the registration burst alone leaves a
    /// few KiB each.
    pub fn free_if_idle(&mut self) {
        if !std::mem::take(&mut self.busy) && self.is_empty() && self.buf.capacity() > 0 {
            self.buf = Vec::new();
            self.sent = 0;
        }
    }

    /// See `Transport::shutdown`.
    pub fn shutdown(&self) {
        self.transport.shutdown();
    }

    /// See `Transport::close`.
    pub fn close(self) {
        self.transport.close();
    }

    /// See `Transport::finish`.
    pub fn finish(self) {
        self.transport.finish();
    }
}

/// How many bytes a history reply may add to a client's send queue: half of what is left under
/// `--max-sendq`. History is a courtesy, never a reason to evict: a client that joins many busy
/// rooms at once (a reconnecting IRC client's autojoin) or asks for many histories gets each one
/// trimmed to what its queue has room for, and the queue never passes `--max-sendq` through
/// history alone — each reply takes at most half of what is left, so a burst of them fills at
/// most the rest, and a client that is reading gets room back as it reads.
pub fn history_room(max_sendq: usize, pending: usize) -> usize {
    max_sendq.saturating_sub(pending) / 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// What the fake connection does on each `send`, in order; once the script is done it takes
    /// everything.
    #[derive(Clone, Copy, Debug)]
    enum Step {
        Take(usize),
        Full,
        Interrupted,
        Broken,
    }

    #[derive(Default)]
    struct Wire {
        script: VecDeque<Step>,
        received: Vec<u8>,
        sends: usize,
        shut: bool,
        closed: bool,
    }

    #[derive(Clone, Default)]
    struct Fake(Rc<RefCell<Wire>>);

    impl Fake {
        fn scripted(steps: &[Step]) -> Fake {
            let fake = Fake::default();
            fake.0.borrow_mut().script.extend(steps);
            fake
        }

        fn wire(&self) -> std::cell::Ref<'_, Wire> {
            self.0.borrow()
        }
    }

    impl Transport for Fake {
        fn send(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut wire = self.0.borrow_mut();
            wire.sends += 1;
            let taken = match wire.script.pop_front() {
                None => bytes.len(),
                Some(Step::Take(n)) => n.min(bytes.len()),
                Some(Step::Full) => return Err(io::ErrorKind::WouldBlock.into()),
                Some(Step::Interrupted) => return Err(io::ErrorKind::Interrupted.into()),
                Some(Step::Broken) => return Err(io::ErrorKind::ConnectionReset.into()),
            };
            wire.received.extend_from_slice(&bytes[..taken]);
            Ok(taken)
        }

        fn shutdown(&self) {
            self.0.borrow_mut().shut = true;
        }

        fn close(self) {
            self.0.borrow_mut().closed = true;
        }

        fn finish(self) {
            self.0.borrow_mut().closed = true;
        }
    }

    fn outbox(steps: &[Step]) -> (Outbox<Fake>, Fake) {
        let fake = Fake::scripted(steps);
        (Outbox::new(fake.clone()), fake)
    }

    #[test]
    fn everything_goes_out_in_one_send_when_the_connection_takes_it() {
        let (mut out, wire) = outbox(&[]);
        out.push(b"one\r\n");
        out.push(b"two\r\n");
        assert_eq!(out.len(), 10);
        assert_eq!(out.send().unwrap(), Sent::All);
        assert_eq!((wire.wire().sends, wire.wire().received.as_slice()), (1, &b"one\r\ntwo\r\n"[..]));
        assert!(out.is_empty());
        assert_eq!(out.send().unwrap(), Sent::All, "nothing pending: nothing sent");
        assert_eq!(wire.wire().sends, 1);
    }

    #[test]
    fn a_connection_taking_one_byte_at_a_time_gets_every_byte_once_in_order() {
        let mut expected: Vec<u8> = (0..200u8).collect();
        let (mut out, wire) = outbox(&[]);
        out.push(&expected);
        let mut sent = 0;
        while !out.is_empty() {
            wire.0.borrow_mut().script.extend([Step::Take(1), Step::Full]);
            let last = out.len() == 1;
            assert_eq!(out.send().unwrap(), if last { Sent::All } else { Sent::Blocked });
            sent += 1;
            assert_eq!(out.pending(), &expected[sent..]);
            // New output goes behind the backlog, whatever the cursor's position.
            if sent == 50 {
                out.push(b"tail");
                expected.extend_from_slice(b"tail");
            }
            // Half the buffer is dead at most: the sent part is cut off once it is the larger.
            assert!(out.buf.len() <= 2 * out.len().max(1), "{} bytes held for {} pending", out.buf.len(), out.len());
        }
        assert_eq!(sent, expected.len());
        assert_eq!(wire.wire().received, expected);
    }

    #[test]
    fn a_partial_send_moves_a_cursor_instead_of_copying_the_backlog() {
        let (mut out, _wire) = outbox(&[Step::Take(10), Step::Full]);
        out.push(&[7; 1000]);
        assert_eq!(out.send().unwrap(), Sent::Blocked);
        assert_eq!((out.sent, out.len()), (10, 990), "the 990 bytes left were not moved");
        // Once more than half has gone, the rest moves to the front (once, and it is the smaller part).
        let (mut out, _wire) = outbox(&[Step::Take(600), Step::Full]);
        out.push(&[7; 1000]);
        assert_eq!(out.send().unwrap(), Sent::Blocked);
        assert_eq!((out.sent, out.buf.len()), (0, 400));
    }

    #[test]
    fn a_full_connection_keeps_the_backlog_and_a_signal_is_retried() {
        let (mut out, wire) = outbox(&[Step::Interrupted, Step::Take(3), Step::Full]);
        out.push(b"abcdef");
        assert_eq!(out.send().unwrap(), Sent::Blocked);
        assert_eq!(out.pending(), b"def");
        assert_eq!(wire.wire().sends, 3);
        assert_eq!(out.send().unwrap(), Sent::All);
        assert_eq!(wire.wire().received, b"abcdef");
    }

    #[test]
    fn a_broken_connection_is_an_error_and_so_is_one_that_takes_nothing() {
        let (mut out, _wire) = outbox(&[Step::Take(2), Step::Broken]);
        out.push(b"abcdef");
        assert_eq!(out.send().unwrap_err().kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(out.pending(), b"cdef", "what was sent is not sent again");
        let (mut out, _wire) = outbox(&[Step::Take(0)]);
        out.push(b"abc");
        assert_eq!(out.send().unwrap_err().kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn the_send_queue_is_judged_only_after_the_connection_was_offered_the_backlog() {
        // Under the bound: queued, and nothing is sent yet (the broker sends once per batch).
        let (mut out, wire) = outbox(&[]);
        assert_eq!(out.queue(&[1; 100], 100), Ok(()));
        assert_eq!(wire.wire().sends, 0);
        // Over the bound, but the connection takes it all: the client stays.
        assert_eq!(out.queue(&[1; 1], 100), Ok(()));
        assert_eq!((wire.wire().sends, out.len()), (1, 0));

        // Over the bound, and the connection takes enough to get back under it: stays.
        let (mut out, wire) = outbox(&[Step::Take(50), Step::Full]);
        assert_eq!(out.queue(&[1; 140], 100), Ok(()));
        assert_eq!((wire.wire().sends, out.len()), (2, 90));

        // Over the bound after the connection took what it could: the client stopped reading.
        let (mut out, _wire) = outbox(&[Step::Take(30), Step::Full]);
        assert_eq!(out.queue(&[1; 140], 100), Err(QuitReason::SendQueueExceeded));
        assert_eq!(out.len(), 110);

        // A full connection from the start: over is over.
        let (mut out, _wire) = outbox(&[Step::Full]);
        assert_eq!(out.queue(&[1; 101], 100), Err(QuitReason::SendQueueExceeded));

        // A broken connection is reported as such, not as a full queue.
        let (mut out, _wire) = outbox(&[Step::Broken]);
        let broken = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(out.queue(&[1; 101], 100), Err(QuitReason::from_socket_error(&broken)));
    }

    #[test]
    fn history_gets_half_the_room_left_after_the_backlog_was_offered() {
        let (mut out, wire) = outbox(&[Step::Full]);
        out.push(&[1; 600]);
        // Fits in what is left: nothing is sent.
        assert_eq!(out.history_room(100, 1000), Ok(200));
        assert_eq!(wire.wire().sends, 0);
        // Does not fit: the backlog is offered first (here the connection is full).
        assert_eq!(out.history_room(300, 1000), Ok(200));
        assert_eq!(wire.wire().sends, 1);
        // Now it takes everything, and the whole room is free again.
        assert_eq!(out.history_room(300, 1000), Ok(500));
        assert!(out.is_empty());
        let (mut out, _wire) = outbox(&[Step::Broken]);
        out.push(&[1; 600]);
        assert!(out.history_room(300, 1000).is_err());
    }

    #[test]
    fn an_idle_client_gives_its_buffer_back_at_the_second_sweep() {
        let (mut out, _wire) = outbox(&[]);
        out.push(&[1; 4096]);
        out.send().unwrap();
        out.free_if_idle();
        assert!(out.buf.capacity() >= 4096, "busy since the last sweep: kept");
        out.free_if_idle();
        assert_eq!(out.buf.capacity(), 0, "idle: freed");
        let (mut out, _wire) = outbox(&[Step::Full]);
        out.push(&[1; 10]);
        out.send().unwrap();
        out.free_if_idle();
        out.free_if_idle();
        assert_eq!(out.len(), 10, "pending output is never dropped");
    }

    #[test]
    fn closing_and_shutting_down_reach_the_transport() {
        let (out, wire) = outbox(&[]);
        out.shutdown();
        assert!(wire.wire().shut);
        out.close();
        assert!(wire.wire().closed);
    }

    #[test]
    fn history_may_take_half_of_what_is_left_under_max_sendq() {
        assert_eq!(history_room(65_536, 0), 32_768);
        assert_eq!(history_room(65_536, 60_000), 2_768);
        assert_eq!(history_room(65_536, 65_536), 0);
        assert_eq!(history_room(65_536, 70_000), 0, "a queue already over the bound gets none");
        // However many replies come in a row, together they stay under the bound.
        let mut pending = 0;
        for _ in 0..100 {
            pending += history_room(65_536, pending);
        }
        assert!(pending <= 65_536);
    }
}

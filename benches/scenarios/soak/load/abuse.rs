//! The soak's abusers: garbage senders (random bytes, invalid UTF-8, overlong lines, IRC-shaped
//! nonsense, a few seconds each) and dawdlers (connections that talk but never register).

use super::Live;
use crate::loadgen::Net;
use crate::scenarios::soak::{DAWDLE_EVERY, DAWDLERS, GARBAGE, GARBAGE_CHUNK, GARBAGE_LASTS};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// xorshift64*: random enough for garbage, and repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A chunk of what a broken or hostile client sends.
fn garbage(rng: &mut Rng, out: &mut Vec<u8>) {
    const SHAPES: [&[u8]; 12] = [
        b"\xc0\x80\xc1\xbf\r\n",             // overlong encodings
        b"\xed\xa0\x80\xed\xbf\xbf\n",       // UTF-16 surrogates
        b"\xf8\x88\x80\x80\x80\xff\xfe\r\n", // five-byte forms, bytes never valid
        b"\x80\x80\x80 lone continuations\n",
        b"PRIVMSG #flood :\x00\xff\x1b[2J\r\n",
        b"NICK \xff\xfe\r\nUSER \x00 \x00\r\n",
        b"JOIN #\x00,#\xe2\x80\xae,&&&\r\n",
        b":::: : : :\r\n\r\n\r\n",
        b"\x00\x00\x00\x00\r\n",
        b"MODE * +++++++++++++++++++++++++++++++++++++++\r\n",
        b"\r\r\r\n\n\n\t\t\x7f\x7f\n",
        b"CAP REQ :\xe2\x80\x8b\xef\xbb\xbf\r\n",
    ];
    out.clear();
    while out.len() < GARBAGE_CHUNK {
        match rng.below(4) {
            // Random bytes: a line end now and then, everything else too.
            0 => out.extend((0..rng.below(512)).map(|_| rng.next() as u8)),
            // A line longer than any limit (chatd's default is 1,024 bytes).
            1 => {
                out.extend((0..3000 + rng.below(3000)).map(|_| b'a' + (rng.next() % 26) as u8));
                out.push(b'\n');
            }
            // A command with hundreds of parameters.
            2 => {
                out.extend_from_slice(b"PRIVMSG");
                for _ in 0..200 {
                    out.extend_from_slice(b" x");
                }
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(SHAPES[rng.below(SHAPES.len())]),
        }
    }
}

#[derive(Default)]
pub struct AbuseStats {
    pub garbage_sessions: u64,
    pub garbage_bytes: u64,
    /// Garbage connections the server closed before the sender did.
    pub garbage_closed_by_server: u64,
    pub dawdler_sessions: u64,
    /// Dawdlers the server closed, and how long each had been connected.
    pub dawdlers_evicted: u64,
    pub dawdler_lifetimes: Vec<f64>,
    /// The longest any dawdler stayed connected, closed or still open when the load stopped.
    pub dawdler_longest: f64,
    pub connect_failures: u64,
}

/// Garbage senders and registration dawdlers.
pub fn abuse(addr: SocketAddr, live: &Live) -> Result<AbuseStats, String> {
    let mut net = Net::new(addr).map_err(|e| e.to_string())?;
    let mut stats = AbuseStats::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut chunk = Vec::new();
    let count = GARBAGE + DAWDLERS;
    let is_garbage = |i: usize| i < GARBAGE;
    let now = Instant::now();
    // Per connection: when it opened, when it next sends, when it may reopen once closed.
    let mut opened_at = vec![now; count];
    let mut next_send = vec![now; count];
    let mut reopen_at = vec![now; count];
    let mut said = vec![0u64; count];
    for _ in 0..count {
        net.closed_slot();
    }
    while !live.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        for i in 0..count {
            if net.conns[i].closed {
                if now < reopen_at[i] {
                    continue;
                }
                if net.reopen(i).is_err() {
                    stats.connect_failures += 1;
                    reopen_at[i] = now + Duration::from_secs(1);
                    continue;
                }
                opened_at[i] = now;
                said[i] = 0;
                // A dawdler of the netcat kind stays silent at first, and is greeted as a person.
                next_send[i] = if is_garbage(i) || i % 2 == 0 { now } else { now + Duration::from_secs(1) };
                if is_garbage(i) {
                    stats.garbage_sessions += 1;
                } else {
                    stats.dawdler_sessions += 1;
                }
            }
            if now < next_send[i] {
                continue;
            }
            if is_garbage(i) {
                if now.duration_since(opened_at[i]) >= GARBAGE_LASTS {
                    net.close(i);
                    continue;
                }
                garbage(&mut rng, &mut chunk);
                // Half the garbage senders start like an IRC client, half like a person.
                if i % 2 == 0 && said[i] == 0 {
                    chunk.splice(0..0, b"PING :garbage\r\n".iter().copied());
                }
                said[i] += 1;
                stats.garbage_bytes += chunk.len() as u64;
                net.send(i, &chunk);
                next_send[i] = now + Duration::from_millis(100);
            } else {
                let words: &[u8] = match (i % 2, said[i] % 2) {
                    (0, 0) => b"PING :dawdle\r\n",
                    (0, _) => b"NICK 9bad\r\n",
                    (_, 0) => b"not a nickname!\r\n",
                    _ => b"#\r\n",
                };
                said[i] += 1;
                net.send(i, words);
                next_send[i] = now + DAWDLE_EVERY;
            }
        }
        net.poll(Duration::from_millis(20), |_, i, line| {
            if line.is_some() {
                return;
            }
            if is_garbage(i) {
                stats.garbage_closed_by_server += 1;
            } else {
                stats.dawdlers_evicted += 1;
                stats.dawdler_lifetimes.push(opened_at[i].elapsed().as_secs_f64());
            }
            reopen_at[i] = Instant::now() + Duration::from_secs(1);
        });
        let open = (GARBAGE..count).filter(|&i| !net.conns[i].closed).count();
        live.dawdlers_open.store(open as u64, Ordering::Relaxed);
    }
    let still_open = (GARBAGE..count).filter(|&i| !net.conns[i].closed).map(|i| opened_at[i].elapsed().as_secs_f64());
    stats.dawdler_longest = stats.dawdler_lifetimes.iter().copied().chain(still_open).fold(0.0, f64::max);
    for i in 0..count {
        net.close(i);
    }
    live.dawdlers_open.store(0, Ordering::Relaxed);
    Ok(stats)
}

//! The soak's load: its parts (`room` for #fanout and #flood, `churn`, `abuse` for garbage and
//! dawdlers, `slow` for slow readers), each on its own thread with its own load generator, and
//! what they share with the sampler (`Live`). A part runs until `Live::stop`, then reports its
//! counts; a part that ends early or panics fails the soak.

mod abuse;
mod churn;
mod room;
mod slow;

use super::log::LogSeen;
use super::{FANOUT_RATE, FANOUT_READERS, FANOUT_SENDERS, FLOOD_RATE, FLOODERS};
use abuse::{AbuseStats, abuse};
use churn::{ChurnStats, churn};
use room::{RoomStats, room};
use slow::{SlowStats, slow_readers};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// State the load's threads share with the sampler.
#[derive(Default)]
pub struct Live {
    /// Set when the load is to stop.
    pub stop: AtomicBool,
    pub dawdlers_open: AtomicU64,
}

/// Runs a thread of the load; its panic becomes an error.
fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> JoinHandle<Result<T, String>> {
    std::thread::Builder::new().name(format!("soak-{name}")).spawn(f).expect("cannot start a load thread")
}

fn join<T>(name: &str, handle: JoinHandle<Result<T, String>>) -> Result<T, String> {
    handle.join().map_err(|_| format!("the {name} load panicked"))?.map_err(|e| format!("{name}: {e}"))
}

/// What the load's parts report when they end.
pub struct Parts {
    pub fanout: RoomStats,
    pub flood: RoomStats,
    pub churn: ChurnStats,
    pub abuse: AbuseStats,
    pub slow: SlowStats,
}

/// The running load: one thread per part.
pub struct Load {
    fanout: JoinHandle<Result<RoomStats, String>>,
    flood: JoinHandle<Result<RoomStats, String>>,
    churn: JoinHandle<Result<ChurnStats, String>>,
    abuse: JoinHandle<Result<AbuseStats, String>>,
    slow: JoinHandle<Result<SlowStats, String>>,
}

impl Load {
    pub fn start(addr: SocketAddr, live: &Arc<Live>, seen: &Arc<Mutex<LogSeen>>) -> Load {
        let (l1, l2, l3, l4, l5) = (live.clone(), live.clone(), live.clone(), live.clone(), live.clone());
        let seen = seen.clone();
        Load {
            fanout: spawn("fanout", move || room(addr, &l1, "#fanout", FANOUT_READERS, FANOUT_SENDERS, FANOUT_RATE)),
            flood: spawn("flood", move || room(addr, &l2, "#flood", FLOODERS, FLOODERS, FLOOD_RATE)),
            churn: spawn("churn", move || churn(addr, &l3)),
            abuse: spawn("abuse", move || abuse(addr, &l4)),
            slow: spawn("slow", move || Ok(slow_readers(addr, &l5, &seen))),
        }
    }

    /// A part that ended while the load should run has failed (to set up, mostly).
    pub fn broken(&self) -> bool {
        [self.fanout.is_finished(), self.flood.is_finished(), self.churn.is_finished(), self.abuse.is_finished()]
            .contains(&true)
    }

    /// Waits for every part (after `Live::stop`); any part's error fails the soak.
    pub fn finish(self) -> Result<Parts, String> {
        let fanout = join("fanout", self.fanout);
        let flood = join("flood", self.flood);
        let churn = join("churn", self.churn);
        let abuse = join("abuse", self.abuse);
        let slow = join("slow", self.slow);
        match (fanout, flood, churn, abuse, slow) {
            (Ok(fanout), Ok(flood), Ok(churn), Ok(abuse), Ok(slow)) => Ok(Parts { fanout, flood, churn, abuse, slow }),
            (a, b, c, d, e) => {
                let errors: Vec<String> = [a.err(), b.err(), c.err(), d.err(), e.err()].into_iter().flatten().collect();
                Err(errors.join("; "))
            }
        }
    }
}

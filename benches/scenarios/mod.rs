//! The scenarios: each drives a started server through the load generator and returns its
//! metrics, or an error that fails that run (the bench goes on with the next).
//!
//! - `room`: one room under load: fanout (as fast as a window of messages in flight allows), rate
//!   (a fixed rate), slow reader (fanout with one member that never reads), and the fanout to
//!   web sessions (`web-N`);
//! - `web`: browsers' sessions on the web face: set up, read (for `web-N`), and held idle
//!   (`idle-web-N`);
//! - `idle`: many registered clients doing nothing; `churn`: sessions opened and closed in a loop;
//!   `crowd`: a storm of netcat users joining one room;
//! - `login`: the fanout alone, then beside a storm of netcat users logging in to accounts;
//! - `xml`: private messages between XMLSocket clients beside the same between IRC clients;
//! - `soak`: chatd under mixed load for a long time, sampled every second.
//!
//! Every loop is bounded in time and in count.

pub mod churn;
pub mod crowd;
pub mod idle;
pub mod login;
pub mod room;
pub mod soak;
pub mod web;
pub mod xml;

use crate::servers::Server;

pub type Metrics = Vec<(&'static str, f64)>;

/// One scenario of the plan: its name, and how to run it against a started server.
pub type Scenario = (String, Box<dyn Fn(&Server) -> Result<Metrics, String>>);

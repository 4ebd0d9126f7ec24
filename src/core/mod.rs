//! The bottom layer: what every other part of chatd shares and that depends on none of them.
//!
//! Invariant: nothing under `core` imports anything of chatd's outside `core` (check with
//! `grep -rn "use crate::" src/core/`). Everything here is pure: no I/O, no clock, no threads.
//!
//! - `ids`: client ids and the maps keyed by them.
//! - `names`: nicknames and room names, validated and case-folded.
//! - `chars`: which characters are invisible or change text direction.
//! - `limits`: every fixed limit a client can run into.
//! - `time`: ISO-8601 UTC, HTTP date and status-page time formatting.

pub mod chars;
pub mod cidr;
pub mod ids;
pub mod limits;
pub mod names;
pub mod time;

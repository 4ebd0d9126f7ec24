//! Networking: accepting connections, one reader thread per client, and the socket and process
//! controls they need. Sits above `core`, `log` and `protocol` (readers frame and parse input),
//! below `broker`; never touches chat state.
//!
//! - `listener`: accept loop, admission (limits, refusals), reader threads and their hand-over.
//! - `slot`: the connection counts and the slot each client holds while the broker knows it.
//! - `reader`: one client's input: dialect detection, framing, parsing, flood control.
//! - `event`: what acceptors and readers tell the broker, through one channel.
//! - `capacity`: how many clients the system's limits allow.
//! - `sys`: the socket and process controls std does not offer (everything unsafe in chatd).
//!
//! Inside `net` the order is `sys`, `capacity`, `slot` <- `event` <- `reader` <- `listener`.

pub mod capacity;
pub mod event;
pub mod listener;
pub mod reader;
pub mod slot;
pub mod sys;
pub mod traffic;

pub use slot::Slot;

// Lifecycle of the real chatd binary: connection limits, eviction of a client that does not
// read, the registration sweep, graceful stop on signals, the command line, the operator log
// (format, privacy, rotation) and IPv6 listening. One test binary; one module per topic.
//
// Every wait is on a line, a log line or process exit, with a deadline.

#[path = "../common/mod.rs"]
mod common;

mod limits;
mod log;
mod process;

// The netcat dialect end to end: the real binary, real TCP, the exact texts a user sees. One
// test binary; one module per topic.
//
// Waiting is always on a line. "Nothing else arrived" is checked with `/help me` sent after the
// fact: the server handles one client's lines in order, so the very next line must be its answer.

#[path = "../common/mod.rs"]
mod common;

mod framing;
mod registration;
mod rooms;
mod talking;

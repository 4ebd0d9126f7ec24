// The IRC dialect end to end: the real binary, raw IRC lines over real TCP, the exact lines an
// IRC client receives (and, in mixed rooms, the exact lines a netcat user sees). One test
// binary; one module per topic.
//
// Waiting is always on a line. "Nothing else arrived" is checked with a PING sent after the fact:
// the server handles one client's lines in order, so the very next line must be its PONG.

#[path = "../common/mod.rs"]
mod common;

mod bans;
mod channels;
mod connection;
mod ircv3;
mod messages;
mod modes14;
mod queries;
mod registration;

// Accounts end to end: the real binary, real TCP, a state directory per server. One test binary;
// one module per face. Password hashing is real (Argon2id), so each login takes a few tens of
// milliseconds; every wait is on a line, bounded by the common timeout.

#[path = "../common/mod.rs"]
mod common;

mod irc;
mod netcat;
mod operator;
mod web;

// Channel operators, room modes, KICK/INVITE, server operators (OPER/KILL), IRCv3 capabilities
// (multi-prefix, server-time) and room history, end to end: the real binary over real TCP, in
// both dialects where a feature exists in both. One test binary; one module per topic.
//
// Waiting is always on a line. "Nothing else arrived" is checked with a PING sent after the fact
// (IRC: the server handles one client's lines in order, so the very next line must be its PONG)
// or with `/help me` (netcat: the very next line must be its answer).

#[path = "../common/mod.rs"]
mod common;

mod caps_history;
mod invite_kick;
mod modes;
mod netcat_parity;
mod opers;

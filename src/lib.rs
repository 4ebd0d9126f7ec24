//! chatd: a small, fast, self-hosted chat daemon; people connect with netcat or an IRC client.
//!
//! One blocking listener per address spawns one reader thread per client (`net::listener`,
//! `net::reader`). Readers frame and parse input (`framing`, `protocol`) and send
//! `net::event::Event`s into one channel. A single broker thread (`broker`) owns all chat state
//! (`chat`) and every client's write handle. See README.md for the user's and operator's view.
//!
//! Layers, each importing only from those before it: `core` (ids, names, limits, time; imports
//! nothing of chatd's), `log`, `framing`, `protocol`, `accounts` (the database, password hashing
//! and its threads), `net`, `room` and `chat`, `broker`, and the binary (`main.rs`). `config` and `notify` serve the binary and import only `core`.

pub mod accounts;
pub mod broker;
pub mod chat;
pub mod config;
pub mod core;
pub mod framing;
pub mod log;
pub mod net;
pub mod notify;
pub mod protocol;
pub mod room;

/// Kept at its old path: tests and other callers name `chatd::names`.
pub use crate::core::names;

//! chatd: a small, fast, self-hosted chat daemon; people connect with netcat or an IRC client.
//!
//! One blocking listener per address spawns one reader thread per client (`listener`, `reader`).
//! Readers frame and parse input (`framing`, `protocol`) and send `event::Event`s into one channel.
//! A single broker thread (`broker`) owns all chat state (`chat`) and every client's write handle.
//! See README.md for the user's and operator's view.

pub mod broker;
pub mod capacity;
pub mod chat;
pub mod config;
pub mod event;
pub mod framing;
pub mod listener;
pub mod log;
pub mod names;
pub mod notify;
pub mod protocol;
pub mod reader;
pub mod room;
pub mod sys;

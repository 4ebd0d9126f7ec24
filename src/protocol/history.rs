//! The vocabulary of history queries (IRCv3 `draft/chathistory`): what a client may ask of a room's
//! or a private conversation's remembered messages, what it is answered, and why a query fails.
//!
//! Pure data: the IRC dialect parses `CHATHISTORY` into a `HistoryQuery` (`irc::chathistory`),
//! chat state selects the entries (`room::select`), and the IRC renderer frames them in a batch.

use super::{HistoryEntry, Millis, MsgId};

/// The most messages one query returns, and the most targets `TARGETS` lists: a larger limit
/// is lowered to this. `CHATHISTORY` in `RPL_ISUPPORT`.
pub const MAX_HISTORY_LIMIT: usize = 100;

/// A message named in a query: by its id, or by a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgRef {
    /// A message id as IRC shows it: the start time of the run that gave it (`run`) and its
    /// number in that run. An id of another run is ordered by its run: an earlier run's messages
    /// all came before every message of this one.
    Id { run: Millis, id: MsgId },
    /// A time, in milliseconds since the Unix epoch.
    At(Millis),
}

/// Which messages a query wants, relative to its references (each one excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The newest messages before the reference.
    Before(MsgRef),
    /// The oldest messages after the reference.
    After(MsgRef),
    /// The newest messages, all of them after the reference when one is given (`*`: none).
    Latest(Option<MsgRef>),
    /// Messages on both sides of the reference, about half before and half after.
    Around(MsgRef),
    /// Messages between the two references, counted from the first: the oldest after it when it
    /// is the earlier one, the newest before it when it is the later one.
    Between(MsgRef, MsgRef),
}

/// A history query, as parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryQuery {
    /// Messages of one room or one private conversation (`target`: a room or a nickname).
    /// `subcommand` is as the client wrote it, upper case, for error replies.
    Messages { subcommand: &'static str, target: String, select: Selector, limit: usize },
    /// The rooms and conversations with a latest message between two times (either order).
    Targets { from: Millis, to: Millis, limit: usize },
}

/// Why a history query gets no history (IRCv3 standard replies: `FAIL CHATHISTORY <code> ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailCode {
    /// Unknown subcommand, missing, extra or unparsable parameters.
    InvalidParams,
    /// No such target, or none the client may read.
    InvalidTarget,
    /// A reference of a type the server does not know.
    InvalidMsgRefType,
}

impl FailCode {
    /// The code as the standard reply writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailCode::InvalidParams => "INVALID_PARAMS",
            FailCode::InvalidTarget => "INVALID_TARGET",
            FailCode::InvalidMsgRefType => "INVALID_MSGREFTYPE",
        }
    }
}

/// A failed history query: its code, the parameters that say what failed (the subcommand as
/// given, then the target or the offending parameter), and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryFail {
    pub code: FailCode,
    pub context: Vec<String>,
    pub description: &'static str,
}

impl HistoryFail {
    pub fn new(code: FailCode, context: Vec<String>, description: &'static str) -> HistoryFail {
        HistoryFail { code, context, description }
    }
}

/// One message of a history answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryLine {
    pub entry: HistoryEntry,
    /// Whom it was sent to: the room, or, in a private conversation, the other party's account.
    pub to: std::sync::Arc<str>,
}

/// One line of a `TARGETS` answer: a room or a conversation partner, and the time of its latest
/// message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryTarget {
    pub name: String,
    pub latest: Millis,
}

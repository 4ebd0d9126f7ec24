//! History answers as IRC lines (IRCv3 `draft/chathistory`): the selected messages in a
//! `chathistory` batch, `TARGETS` in a `draft/chathistory-targets` batch, and failures as
//! standard replies (`FAIL CHATHISTORY ...`). Also the `msgid` every message is shown with.

use super::*;
use crate::protocol::history::{HistoryFail, HistoryLine, HistoryTarget};

/// How a message id is written (the `msgid` tag): the run's start time and the id, both in hex,
/// so that ids of different runs never match. `irc::chathistory::parse_msgid` reads it back.
pub fn msgid(started: Millis, id: MsgId) -> String {
    super::super::tags::msgid(started, id)
}

/// The capabilities a history answer's lines depend on, besides those `View` holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryCaps {
    /// `batch`: the answer comes in a batch, each line tagged with it.
    pub batch: bool,
    /// `message-tags`: each message carries its `msgid`.
    pub msgid: bool,
}

/// The batch reference of a history answer. One answer is written whole, its batch opened and
/// closed in one go, so no two of its batches are ever open at once.
const MESSAGES_REF: &str = "chathistory";
const TARGETS_REF: &str = "chathistorytargets";

/// The longest context parameter a failure repeats back: longer than any room name, nickname or
/// reference chatd accepts, short enough that three of them leave the line room to spare.
const MAX_CONTEXT_BYTES: usize = 100;

/// A standard reply's context parameter: cleaned, and `*` where it could not be one middle
/// parameter (empty, with a space, or starting with `:`) or is longer than any valid one.
fn context(param: &str) -> String {
    let param = for_irc(param);
    let unfit = param.is_empty() || param.contains(' ') || param.starts_with(':') || param.len() > MAX_CONTEXT_BYTES;
    if unfit { "*".to_string() } else { param.into_owned() }
}

impl Out<'_, '_> {
    /// `BATCH +ref type params...` or `BATCH -ref`, when the client takes batches.
    fn batch(&mut self, caps: HistoryCaps, open: Option<(&str, &[&str])>, reference: &str) {
        if !caps.batch {
            return;
        }
        match open {
            Some((kind, params)) => {
                let opener = format!("+{reference}");
                let mut all = vec![opener.as_str(), kind];
                all.extend_from_slice(params);
                self.server("BATCH", &all);
            }
            None => self.server("BATCH", &[&format!("-{reference}")]),
        }
    }

    /// The tags of one remembered message: its batch, its time, its id (on its `first` line
    /// only, as when it was sent) and its sender's account, each as the client negotiated.
    fn history_tags(&mut self, caps: HistoryCaps, line: &HistoryLine, first: bool) {
        let mut tags = Vec::new();
        if caps.batch {
            tags.push(format!("batch={MESSAGES_REF}"));
        }
        if self.view.server_time {
            tags.push(format!("time={}", timestamp(line.entry.at)));
        }
        if caps.msgid && first {
            tags.push(format!("msgid={}", msgid(self.view.started, line.entry.id)));
        }
        if let Some(account) = line.entry.from.account.as_deref().filter(|_| self.account.account_tag) {
            let mut tag = String::from("account=");
            message::escape_tag_value(&mut tag, account);
            tags.push(tag);
        }
        if !tags.is_empty() {
            self.out.push(b'@');
            self.out.extend_from_slice(tags.join(";").as_bytes());
            self.out.push(b' ');
        }
    }

    /// A `chathistory` batch with the messages as they were first sent.
    pub(super) fn chat_history(&mut self, target: &str, lines: &[HistoryLine]) {
        let caps = self.history;
        let target = for_irc(target);
        self.batch(caps, Some(("chathistory", &[&target])), MESSAGES_REF);
        for line in lines {
            let entry = &line.entry;
            let command = if entry.kind == MessageKind::Notice { "NOTICE" } else { "PRIVMSG" };
            let prefix = entry.from.prefix();
            let mut budget = text_budget(&prefix, command, &line.to);
            if entry.kind == MessageKind::Action {
                budget = budget.saturating_sub(message::ACTION_OVERHEAD_BYTES);
            }
            let text = for_irc(&entry.text);
            for (n, piece) in split_text(&text, budget.max(1)).into_iter().enumerate() {
                self.history_tags(caps, line, n == 0);
                match entry.kind {
                    MessageKind::Action => {
                        write_line(self.out, Some(&prefix), command, &[&*line.to, &encode_action(piece)])
                    }
                    _ => write_line(self.out, Some(&prefix), command, &[&*line.to, piece]),
                }
            }
        }
        self.batch(caps, None, MESSAGES_REF);
    }

    /// A `draft/chathistory-targets` batch: `CHATHISTORY TARGETS <name> <time>` per target.
    pub(super) fn history_targets(&mut self, targets: &[HistoryTarget]) {
        let caps = self.history;
        self.batch(caps, Some(("draft/chathistory-targets", &[])), TARGETS_REF);
        for target in targets {
            if caps.batch {
                self.out.extend_from_slice(format!("@batch={TARGETS_REF} ").as_bytes());
            }
            self.server("CHATHISTORY", &["TARGETS", &target.name, &timestamp(target.latest)]);
        }
        self.batch(caps, None, TARGETS_REF);
    }

    /// `FAIL CHATHISTORY <code> <context...> :<description>` (IRCv3 standard replies).
    pub(super) fn history_fail(&mut self, fail: &HistoryFail) {
        let context: Vec<String> = fail.context.iter().map(|param| context(param)).collect();
        let mut params = vec!["CHATHISTORY", fail.code.as_str()];
        params.extend(context.iter().map(String::as_str));
        params.push(fail.description);
        self.server("FAIL", &params);
    }
}

#[cfg(test)]
mod tests;

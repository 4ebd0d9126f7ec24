//! `CHATHISTORY` (IRCv3 `draft/chathistory`): its parameters into a `HistoryQuery`, or into the
//! standard reply that says what is wrong with them.
//!
//! Pure. The forms, as the spec gives them:
//!
//! ```text
//! CHATHISTORY BEFORE|AFTER|AROUND <target> <reference> <limit>
//! CHATHISTORY LATEST <target> <* | reference> <limit>
//! CHATHISTORY BETWEEN <target> <reference> <reference> <limit>
//! CHATHISTORY TARGETS <timestamp=...> <timestamp=...> <limit>
//! ```
//!
//! A reference is `timestamp=YYYY-MM-DDThh:mm:ss.sssZ` or `msgid=<id>`, where an id is what
//! `render::msgid` writes. A limit above `MAX_HISTORY_LIMIT` is lowered to it.

use crate::core::time::parse_utc_timestamp;
use crate::protocol::history::{FailCode, HistoryFail, HistoryQuery, MAX_HISTORY_LIMIT, MsgRef, Selector};
use crate::protocol::{Millis, MsgId};

/// The reference types `CHATHISTORY` takes, most preferred first (`MSGREFTYPES` in `RPL_ISUPPORT`):
/// an id orders exactly, a time only as well as the clock did.
pub const MSGREFTYPES: [&str; 2] = ["msgid", "timestamp"];

/// Reads a `msgid` as `render::msgid` writes it: `<run start>-<id>`, both in lower-case hex.
pub fn parse_msgid(text: &str) -> Option<(Millis, MsgId)> {
    let (run, id) = text.split_once('-')?;
    let hex = |part: &str| {
        let canonical = !part.is_empty()
            && part.len() <= 16
            && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && (part == "0" || !part.starts_with('0'));
        canonical.then(|| u64::from_str_radix(part, 16).ok()).flatten()
    };
    Some((hex(run)?, hex(id)?))
}

/// The subcommands, as the spec names them (the name a failure repeats back).
const SUBCOMMANDS: [&str; 6] = ["BEFORE", "AFTER", "LATEST", "AROUND", "BETWEEN", "TARGETS"];

fn fail(code: FailCode, context: &[&str], description: &'static str) -> HistoryFail {
    HistoryFail::new(code, context.iter().map(|p| p.to_string()).collect(), description)
}

/// A reference: `timestamp=`, `msgid=`, or a type chatd does not know.
fn reference(subcommand: &str, target: &str, param: &str) -> Result<MsgRef, HistoryFail> {
    if let Some(time) = param.strip_prefix("timestamp=") {
        let at = parse_utc_timestamp(time)
            .ok_or_else(|| fail(FailCode::InvalidParams, &[subcommand, param], "Invalid timestamp"))?;
        return Ok(MsgRef::At(at));
    }
    if let Some(id) = param.strip_prefix("msgid=") {
        let (run, id) =
            parse_msgid(id).ok_or_else(|| fail(FailCode::InvalidParams, &[subcommand, param], "Invalid msgid"))?;
        return Ok(MsgRef::Id { run, id });
    }
    Err(fail(FailCode::InvalidMsgRefType, &[subcommand, target, param], "Unknown message reference type"))
}

/// A limit: a whole number, lowered to `MAX_HISTORY_LIMIT`.
fn limit(subcommand: &str, param: &str) -> Result<usize, HistoryFail> {
    if param.is_empty() || !param.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail(FailCode::InvalidParams, &[subcommand, param], "Invalid limit"));
    }
    // All digits: only too many of them can fail, and that is more than the most anyway.
    Ok(param.parse::<usize>().map_or(MAX_HISTORY_LIMIT, |n| n.min(MAX_HISTORY_LIMIT)))
}

/// A `TARGETS` bound: a timestamp only.
fn bound(param: &str) -> Result<Millis, HistoryFail> {
    param
        .strip_prefix("timestamp=")
        .and_then(parse_utc_timestamp)
        .ok_or_else(|| fail(FailCode::InvalidParams, &["TARGETS", param], "Invalid timestamp"))
}

/// Parses `CHATHISTORY`'s parameters (the subcommand first).
pub fn parse(params: &[String]) -> Result<HistoryQuery, HistoryFail> {
    let Some(given) = params.first() else {
        return Err(fail(FailCode::InvalidParams, &[], "Insufficient parameters"));
    };
    let upper = given.to_ascii_uppercase();
    let Some(&subcommand) = SUBCOMMANDS.iter().find(|s| **s == upper) else {
        return Err(fail(FailCode::InvalidParams, &[given], "Unknown command"));
    };
    let wanted = if subcommand == "BETWEEN" { 5 } else { 4 };
    if params.len() < wanted {
        return Err(fail(FailCode::InvalidParams, &[subcommand], "Insufficient parameters"));
    }
    if params.len() > wanted {
        return Err(fail(FailCode::InvalidParams, &[subcommand], "Too many parameters"));
    }
    let param = |i: usize| params.get(i).map_or("", String::as_str);
    if subcommand == "TARGETS" {
        return Ok(HistoryQuery::Targets {
            from: bound(param(1))?,
            to: bound(param(2))?,
            limit: limit("TARGETS", param(3))?,
        });
    }
    let target = param(1);
    if target.is_empty() {
        return Err(fail(FailCode::InvalidParams, &[subcommand], "Insufficient parameters"));
    }
    let one = || reference(subcommand, target, param(2));
    let select = match subcommand {
        "BEFORE" => Selector::Before(one()?),
        "AFTER" => Selector::After(one()?),
        "AROUND" => Selector::Around(one()?),
        "LATEST" if param(2) == "*" => Selector::Latest(None),
        "LATEST" => Selector::Latest(Some(one()?)),
        _ => Selector::Between(one()?, reference(subcommand, target, param(3))?),
    };
    let limit = limit(subcommand, param(wanted - 1))?;
    Ok(HistoryQuery::Messages { subcommand, target: target.to_string(), select, limit })
}

#[cfg(test)]
mod tests;

//! Rendering replies as XMLSocket frames: one element each, followed by NUL (the frame end every
//! XMLSocket client waits for). Replies the protocol has no element for render as nothing
//! (`renders` says which do, for `Session::accepts`).
//!
//! Every attribute value goes through `escape`. Text another person supplied goes through
//! `text::for_netcat` first: an XML client shows text, and IRC formatting codes (with their colour
//! numbers) would only show as noise.

use super::usage;
use crate::protocol::text::for_netcat;
use crate::protocol::{AccountReply, ChatError, Millis, ParseError, QuitReason, Reply, UserInfo};

/// Appends `text` as an XML attribute value (between double quotes) to `out`.
///
/// The five markup characters become entity references; tab, LF and CR become character
/// references, since a parser would otherwise turn them into spaces (XML 1.0, 3.3.3, attribute
/// value normalization); characters XML 1.0 cannot carry at all (2.2: the C0 controls but those
/// three, U+FFFE and U+FFFF; Rust strings hold no lone surrogates) are removed.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\0'..='\x1f' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// Writes `<name a="v" .../>`: one element with its attributes, values escaped.
fn element(frame: &mut String, name: &str, attributes: &[(&str, &str)]) {
    frame.push('<');
    frame.push_str(name);
    for (attribute, value) in attributes {
        frame.push(' ');
        frame.push_str(attribute);
        frame.push_str("=\"");
        escape(value, frame);
        frame.push('"');
    }
    frame.push_str("/>");
}

/// Ends a frame.
fn end(frame: &mut String) {
    frame.push('\0');
}

/// `<error value="..."/>`, a frame of its own.
fn error(frame: &mut String, sentence: &str) {
    element(frame, "error", &[("value", &for_netcat(sentence))]);
    end(frame);
}

fn login(frame: &mut String, nick: &str) {
    element(frame, "login", &[("aid", nick), ("name", nick)]);
    end(frame);
}

fn quit(frame: &mut String, nick: &str) {
    element(frame, "quit", &[("aid", nick)]);
    end(frame);
}

/// `HH:MM:SS` of a UTC time.
fn clock(at: Millis) -> String {
    let secs = at / 1000;
    format!("{:02}:{:02}:{:02}", (secs / 3600) % 24, (secs / 60) % 60, secs % 60)
}

fn nicklist(frame: &mut String, users: &[UserInfo]) {
    frame.push_str("<nicklist>");
    for user in users {
        let nick = user.person.nick.as_str();
        element(frame, "nick", &[("aid", nick), ("name", nick)]);
    }
    frame.push_str("</nicklist>");
    end(frame);
}

/// Whether `render` writes anything for `reply`: what an XML client wants at all.
pub fn renders(reply: &Reply) -> bool {
    match reply {
        Reply::Account(AccountReply::LoggedIn { .. } | AccountReply::Failed { .. })
        | Reply::Online { .. }
        | Reply::Quit { .. }
        | Reply::NickChanged { .. }
        | Reply::Private { .. }
        | Reply::Users(_)
        | Reply::Error(_) => true,
        Reply::Closing { reason } => closing_told(reason),
        _ => false,
    }
}

/// A client that asked to leave, or was only answered, needs no reason for the close.
fn closing_told(reason: &QuitReason) -> bool {
    !matches!(reason, QuitReason::Quit(_) | QuitReason::Answered)
}

/// Renders `reply` for an XML client, appending its frames (none, one, or two for a nickname
/// change) to `out`. Reads nothing of the recipient: every XML client gets the same bytes.
pub fn render(reply: &Reply, out: &mut Vec<u8>) {
    let mut frame = String::new();
    match reply {
        Reply::Account(AccountReply::LoggedIn { account, person, .. }) => {
            element(&mut frame, "identify", &[("aid", account), ("name", person.nick.as_str())]);
            end(&mut frame);
        }
        Reply::Account(AccountReply::Failed { failure, .. }) => error(&mut frame, &failure.to_string()),
        Reply::Online { who } => login(&mut frame, who.nick.as_str()),
        Reply::Quit { who, .. } => quit(&mut frame, who.nick.as_str()),
        // The protocol has no rename: the old name leaves and the new one comes.
        Reply::NickChanged { old, new, .. } => {
            quit(&mut frame, old.nick.as_str());
            login(&mut frame, new.as_str());
        }
        // The old gateway's naming, kept for its clients: `aid` is the sender, `from` the
        // recipient, for the copy the sender gets and the one the recipient gets alike.
        Reply::Private { from, to, text, at, .. } => {
            let time = clock(*at);
            let text = for_netcat(text);
            let attributes = [("aid", from.nick.as_str()), ("time", &time), ("msg", &text), ("from", to.as_str())];
            element(&mut frame, "msg", &attributes);
            end(&mut frame);
        }
        Reply::Users(users) => nicklist(&mut frame, users),
        Reply::Error(chat_error) => error(&mut frame, &sentence(chat_error)),
        Reply::Closing { reason } if closing_told(reason) => {
            error(&mut frame, &format!("Closing connection: {reason}."))
        }
        _ => {}
    }
    out.extend_from_slice(frame.as_bytes());
}

/// One sentence for each error. Most cannot follow an XML command (XML clients are in no room),
/// but every one is worded, so that nothing a client is told is blank.
fn sentence(error: &ChatError) -> String {
    match error {
        ChatError::NickRequired => "Not identified.".to_string(),
        ChatError::NoSuchNick(_) => "User is already left.".to_string(),
        ChatError::Parse(ParseError::UnknownCommand(name)) => format!("Unknown command: {name}."),
        ChatError::Parse(ParseError::Usage(name)) => match usage(name) {
            Some(usage) => format!("Wrong arguments for {name} (usage: {usage})."),
            None => format!("Wrong arguments for {name}."),
        },
        ChatError::Parse(ParseError::LineTooLong { limit }) => {
            format!("Line too long (the limit is {limit} bytes); it was dropped.")
        }
        ChatError::Parse(ParseError::NoNicknameGiven) => "No nickname given.".to_string(),
        ChatError::Parse(ParseError::NoRecipient(command)) => format!("{command} needs a recipient."),
        ChatError::Parse(ParseError::NoTextToSend) => "No text to send.".to_string(),
        // Escaped (`"al\u{202e}ice"`), so that the character refused can be seen.
        ChatError::NickInvalid { nick, why } => format!("{nick:?} is not a valid nickname: {why}."),
        ChatError::NickTaken(nick) => format!("The nickname {nick} is already taken."),
        ChatError::NickReserved(nick) => format!("The nickname {nick} is reserved for services."),
        ChatError::NickRegistered(nick) => format!("The nickname {nick} is registered: identify first."),
        ChatError::AlreadyRegistered => "Already identified.".to_string(),
        ChatError::TooLong { what, max } => format!("The {what} is too long (at most {max} bytes)."),
        ChatError::RoomInvalid { room, why } => format!("{room:?} is not a valid room name: {why}."),
        ChatError::NoSuchRoom(room) => format!("No such room: {room}."),
        ChatError::NotInRoom(room) | ChatError::CannotSendToRoom(room) => format!("You are not in {room}."),
        ChatError::NoCurrentRoom { .. } => "You are in no room.".to_string(),
        ChatError::TooManyRooms { max, .. } => format!("You are already in {max} rooms, the most allowed."),
        ChatError::UnknownMode(mode) => format!("Unknown mode {mode:?}."),
        ChatError::ModeNeedsParameter(mode) => format!("Mode {mode} needs a value."),
        ChatError::UsersDontMatch => "You can only see your own user modes.".to_string(),
        ChatError::NotRoomOperator(room) => format!("You need to be an operator of {room} for that."),
        ChatError::UserNotInRoom { nick, room } => format!("{nick} is not in {room}."),
        ChatError::AlreadyInRoom { nick, room } => format!("{nick} is already in {room}."),
        ChatError::InviteOnly(room) => format!("{room} is invite-only."),
        ChatError::BadKey(room) => format!("{room} needs the right key."),
        ChatError::RoomFull(room) => format!("{room} is full."),
        ChatError::Banned(room) => format!("You are banned from {room}."),
        ChatError::Moderated(room) => format!("{room} is moderated."),
        ChatError::BannedFromRoom(room) => format!("You are banned in {room}."),
        ChatError::PasswordMismatch => "Wrong operator name or password.".to_string(),
        ChatError::NoOperators => "This server has no operators.".to_string(),
        ChatError::NotServerOperator => "Only server operators may do that.".to_string(),
        ChatError::InvalidCapCommand(sub) => format!("Unknown CAP subcommand {sub}."),
        ChatError::Parse(ParseError::InvalidUtf8 { .. }) => "That line was not UTF-8.".to_string(),
        ChatError::InvalidModeParam { mode, param, why, .. } => {
            format!("{param:?} is no value for mode {mode}: {why}.")
        }
        // issue 14: chathistory (IRC only)
        ChatError::History(_) => "That history is not available.".to_string(),
        // issue 14: queries
        ChatError::UnknownUserMode => "Unknown user mode.".to_string(),
        // issue 14: ircv3
        ChatError::InvalidRealname => "That real name is not valid.".to_string(),
    }
}

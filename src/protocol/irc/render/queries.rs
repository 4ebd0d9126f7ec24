//! Answers to the server queries as IRC lines: `WHO` (352, or WHOX 354), `WHOIS` channels (319),
//! `WHOWAS` (314/312 with the time of leaving/369, 406), `INFO` (371/374), `LINKS` (364/365), `HELP` (704–706, 524),
//! the user counts of `LUSERS` (265/266), user mode changes and `WALLOPS`.

use super::help::{HELP_INDEX, help_topic};
use super::*;
use crate::core::time::human_utc;
use crate::protocol::{RoomStatus, WhoEntry, WhowasEntry, WhoxFields};

/// `WHO` flags: `H` here or `G` gone (away), `*` for a server operator, then the status prefix
/// in the room listed (`@`, `+`; both for `multi-prefix` clients).
fn who_flags(user: &UserInfo, multi_prefix: bool) -> String {
    let mut flags = String::from(if user.away { "G" } else { "H" });
    if user.oper {
        flags.push('*');
    }
    if user.op {
        flags.push('@');
    }
    if user.voice && (multi_prefix || !user.op) {
        flags.push('+');
    }
    flags
}

/// A room with the member's status prefix, as `RPL_WHOISCHANNELS` lists it.
fn room_with_prefix(status: &RoomStatus, multi_prefix: bool) -> String {
    let mut name = String::new();
    if status.op {
        name.push('@');
    }
    if status.voice && (multi_prefix || !status.op) {
        name.push('+');
    }
    name.push_str(status.room.as_str());
    name
}

/// What `HELP`'s replies name as their subject: the one asked for, uppercased, or `*` when
/// there is none or it could not be a parameter of its own.
fn help_subject(asked: Option<&str>) -> String {
    match asked {
        Some(subject) if !subject.is_empty() && !subject.contains(' ') && !subject.starts_with(':') => {
            for_irc(&subject.to_ascii_uppercase()).into_owned()
        }
        _ => "*".to_string(),
    }
}

impl Out<'_, '_> {
    pub(super) fn who_list(&mut self, mask: &str, entries: &[WhoEntry], whox: Option<&WhoxFields>) {
        for entry in entries {
            match whox {
                Some(fields) => self.whox_entry(entry, fields),
                None => {
                    let (user, person) = (&entry.user, &entry.user.person);
                    let room = entry.room.as_ref().map_or("*", |r| r.as_str());
                    let flags = who_flags(user, self.view.multi_prefix);
                    let real = format!("0 {}", for_irc(&user.realname));
                    let server = self.view.server;
                    let params = [room, &person.user, &person.host, server, person.nick.as_str(), &flags, &real];
                    self.numeric(RPL_WHOREPLY, &params);
                }
            }
        }
        self.numeric(RPL_ENDOFWHO, &[&for_irc(mask), "End of /WHO list"]);
    }

    /// One `RPL_WHOSPCRPL`: exactly the fields asked for, in WHOX order.
    fn whox_entry(&mut self, entry: &WhoEntry, fields: &WhoxFields) {
        let (user, person) = (&entry.user, &entry.user.person);
        let values: Vec<String> = fields
            .requested()
            .map(|field| match field {
                // A client must send a token with `t`; one that did not gets ircu's default.
                't' => fields.token.clone().unwrap_or_else(|| "0".to_string()),
                'c' => entry.room.as_ref().map_or("*", |r| r.as_str()).to_string(),
                'u' => person.user.clone(),
                // The host chatd shows is the peer's address.
                'i' | 'h' => person.host.clone(),
                's' => self.view.server.to_string(),
                'n' => person.nick.to_string(),
                'f' => who_flags(user, self.view.multi_prefix),
                'd' => "0".to_string(),
                'l' => entry.idle_secs.to_string(),
                'a' => person.account.as_deref().unwrap_or("0").to_string(),
                // chatd has no op levels; ircu answers so.
                'o' => "n/a".to_string(),
                _ => for_irc(&user.realname).into_owned(),
            })
            .collect();
        let params: Vec<&str> = values.iter().map(String::as_str).collect();
        self.numeric(RPL_WHOSPCRPL, &params);
    }

    /// `RPL_WHOISCHANNELS`, over as many lines as the rooms need.
    pub(super) fn whois_channels(&mut self, nick: &str, rooms: &[RoomStatus]) {
        let fixed = self.view.server.len() + self.view.nick.len() + nick.len() + 16;
        let budget = MAX_LINE_BYTES.saturating_sub(fixed);
        let mut line = String::new();
        for status in rooms {
            let room = room_with_prefix(status, self.view.multi_prefix);
            if !line.is_empty() && line.len() + 1 + room.len() > budget {
                self.numeric(RPL_WHOISCHANNELS, &[nick, &line]);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&room);
        }
        if !line.is_empty() {
            self.numeric(RPL_WHOISCHANNELS, &[nick, &line]);
        }
    }

    /// One `WHOWAS` answer: 314 and 312 per entry, 312 telling when they left (as ngIRCd and
    /// InspIRCd use it there), or 406; then 369.
    /// `WHOWAS`: 314 and 312 (when they left) per entry, 406 per nickname nobody used, and one
    /// 369 naming what was asked.
    pub(super) fn whowas(&mut self, asked: &str, entries: &[WhowasEntry], unknown: &[String]) {
        for WhowasEntry { person, left } in entries {
            let nick = person.nick.as_str();
            self.numeric(RPL_WHOWASUSER, &[nick, &person.user, &person.host, "*", &for_irc(&person.realname)]);
            self.numeric(RPL_WHOISSERVER, &[nick, self.view.server, &human_utc(*left)]);
        }
        for nick in unknown {
            self.numeric(ERR_WASNOSUCHNICK, &[&for_irc(nick), "There was no such nickname"]);
        }
        self.numeric(RPL_ENDOFWHOWAS, &[&for_irc(asked), "End of WHOWAS"]);
    }

    pub(super) fn info(&mut self) {
        let version = format!("chatd-{}", env!("CARGO_PKG_VERSION"));
        let lines = [
            format!("{version}: a small, self-hosted chat daemon."),
            "Netcat users, IRC clients, browsers and XMLSocket clients share the same rooms.".to_string(),
            "One server, no links: every user is local.".to_string(),
            format!("This server started {}.", timestamp(self.view.started)),
        ];
        for line in &lines {
            self.numeric(RPL_INFO, &[line]);
        }
        self.numeric(RPL_ENDOFINFO, &["End of INFO list"]);
    }

    /// `LINKS [mask]`: this server, the only one, when the mask matches its name (364 names it
    /// twice, as the server that matched and the one it links from, as servers send it); the
    /// end line repeats the mask.
    pub(super) fn links(&mut self, mask: Option<&str>, description: &str) {
        let server = self.view.server;
        if mask.is_none_or(|mask| crate::room::glob_match(mask, server)) {
            self.numeric(RPL_LINKS, &[server, server, &format!("0 {}", for_irc(description))]);
        }
        let mask = mask.map_or(std::borrow::Cow::Borrowed("*"), for_irc);
        self.numeric(RPL_ENDOFLINKS, &[&mask, "End of /LINKS list"]);
    }

    /// `HELP [subject]`: the index, one command's help, or `ERR_HELPNOTFOUND`.
    pub(super) fn help(&mut self, asked: Option<&str>) {
        let subject = help_subject(asked);
        let (title, text): (String, &[&str]) = match asked {
            None => ("** Help System **".to_string(), HELP_INDEX),
            Some(topic) => match help_topic(topic) {
                Some((usage, text)) => (format!("** {usage} **"), text),
                None => {
                    self.numeric(ERR_HELPNOTFOUND, &[&subject, "No help available on this topic"]);
                    return;
                }
            },
        };
        self.numeric(RPL_HELPSTART, &[&subject, &title]);
        // The first text line is empty, as most servers send it (modern IRC documentation).
        self.numeric(RPL_HELPTXT, &[&subject, ""]);
        let (last, lines) = text.split_last().map_or(("", &[][..]), |(last, lines)| (*last, lines));
        for line in lines {
            self.numeric(RPL_HELPTXT, &[&subject, line]);
        }
        self.numeric(RPL_ENDOFHELP, &[&subject, last]);
    }

    /// `RPL_LOCALUSERS` and `RPL_GLOBALUSERS`: on one server, both are every user.
    pub(super) fn user_totals(&mut self, counts: &Counts) {
        let (now, max) = (counts.users.to_string(), counts.max_users.max(counts.users).to_string());
        self.numeric(RPL_LOCALUSERS, &[&now, &max, &format!("Current local users {now}, max {max}")]);
        self.numeric(RPL_GLOBALUSERS, &[&now, &max, &format!("Current global users {now}, max {max}")]);
    }

    /// `WALLOPS`, split over as many lines as the text needs.
    pub(super) fn wallops(&mut self, from: &Person, text: &str) {
        let prefix = from.prefix();
        let text = for_irc(text);
        // `:prefix WALLOPS :text` has no target: budget as for an empty one.
        for piece in split_text(&text, text_budget(&prefix, "WALLOPS", "").max(1)) {
            self.tags(from, None);
            write_line(self.out, Some(&prefix), "WALLOPS", &[piece]);
        }
    }
}

//! The text of IRC `HELP` (and `HELPOP`): an index and one entry per command chatd answers.

/// `HELP` without a subject.
pub const HELP_INDEX: &[&str] = &[
    "chatd speaks IRC to IRC clients; netcat users share the same rooms.",
    "Commands: AWAY CAP HELP HISTORY INFO INVITE ISON JOIN KICK KILL LINKS",
    "LIST LUSERS MODE MOTD NAMES NICK NICKSERV NOTICE OPER PART PASS PING",
    "PRIVMSG QUIT TIME TOPIC USER USERHOST VERSION WALLOPS WHO WHOIS WHOWAS",
    "Try HELP <command> for one of them.",
];

/// Each command's usage and what it does.
const TOPICS: &[(&str, &str, &[&str])] = &[
    ("AWAY", "AWAY [:message]", &["Marks you away with a message, or back without one."]),
    ("CAP", "CAP LS|LIST|REQ|END", &["Negotiates IRCv3 capabilities."]),
    ("HELP", "HELP [command]", &["Shows the command list, or help on one command."]),
    ("HELPOP", "HELPOP [command]", &["The same as HELP."]),
    ("HISTORY", "HISTORY #room [count]", &["Replays a room's recent messages."]),
    ("INFO", "INFO", &["Tells what this server is."]),
    ("INVITE", "INVITE nick #room", &["Invites someone into a room (+i rooms: operators only)."]),
    ("ISON", "ISON nick...", &["Tells which of the nicknames are online."]),
    ("JOIN", "JOIN #room[,#room...] [key[,key...]]", &["Joins rooms; JOIN 0 leaves every room."]),
    ("KICK", "KICK #room nick [:reason]", &["Removes someone from a room (room operators)."]),
    ("KILL", "KILL nick :reason", &["Disconnects someone (server operators)."]),
    ("LINKS", "LINKS", &["Lists the servers: chatd is one server, with no links."]),
    ("LIST", "LIST", &["Lists the rooms with their member counts and topics."]),
    ("LUSERS", "LUSERS", &["Counts users, operators and rooms."]),
    (
        "MODE",
        "MODE #room|nick [changes]",
        &["Shows or changes room modes (b k l i m n t o v)", "or your own (-i: be found by WHO; +w: receive WALLOPS)."],
    ),
    ("MOTD", "MOTD", &["Shows the message of the day."]),
    ("NAMES", "NAMES [#room[,#room...]]", &["Lists the members of rooms."]),
    ("NICK", "NICK nickname", &["Chooses or changes your nickname."]),
    (
        "NICKSERV",
        "NICKSERV command",
        &["Talks to NickServ: REGISTER, IDENTIFY, GHOST, ...", "NICKSERV HELP lists them."],
    ),
    ("NOTICE", "NOTICE target[,target...] :text", &["Sends a notice, which is never answered automatically."]),
    ("OPER", "OPER name password", &["Makes you a server operator."]),
    ("PART", "PART #room[,#room...] [:reason]", &["Leaves rooms."]),
    ("PASS", "PASS account:password", &["Before registration: logs in to an account once registered."]),
    ("PING", "PING token", &["Asks the server for a PONG with the same token."]),
    ("PRIVMSG", "PRIVMSG target[,target...] :text", &["Sends a message to rooms and people."]),
    ("QUIT", "QUIT [:reason]", &["Leaves the server."]),
    ("TIME", "TIME", &["Tells the server's time."]),
    ("TOPIC", "TOPIC #room [:topic]", &["Shows or changes a room's topic; an empty topic clears it."]),
    ("USER", "USER username 0 * :real name", &["Registers, with NICK: both are needed."]),
    ("USERHOST", "USERHOST nick...", &["Tells the user and host of up to five nicknames."]),
    ("VERSION", "VERSION", &["Tells the server's version."]),
    ("WALLOPS", "WALLOPS :text", &["Sends text to every user with mode +w (server operators)."]),
    (
        "WHO",
        "WHO #room|nick|mask [o][%fields[,token]]",
        &[
            "Lists people: a room's members, or everyone a mask",
            "(* and ?) matches by nick, user, host or real name.",
            "o: operators only; %fields: WHOX (tcuihsnfdlaor).",
        ],
    ),
    ("WHOIS", "WHOIS nick", &["Tells about someone: rooms, idle time, account, away."]),
    ("WHOWAS", "WHOWAS nick[,nick...] [count]", &["Tells who used each nickname lately, newest first."]),
];

/// The usage and text of `HELP <topic>` (any case), if there is one.
pub fn help_topic(topic: &str) -> Option<(&'static str, &'static [&'static str])> {
    TOPICS.iter().find(|(name, _, _)| name.eq_ignore_ascii_case(topic)).map(|&(_, usage, text)| (usage, text))
}

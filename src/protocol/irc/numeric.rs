//! IRC numeric replies: the three-digit codes a small server sends, under their RFC names.
//!
//! Pure: names and numbers only, in one place (as ngIRCd's `messages.h` keeps them). What each
//! reply says is the dialect's business. Numbers and names follow RFC 1459/2812 as updated by the
//! modern IRC client protocol (modern.ircdocs.horse); each `///` line shows the parameters after
//! the prefix and the numeric, where `<client>` is the recipient's nick (`*` before it has one).

/// Defines each numeric as a `pub const` and lists them all in `NAMES`, so a name and its
/// number cannot drift apart between the constant and the lookup table.
macro_rules! numerics {
    ($($(#[$doc:meta])* $name:ident = $number:literal;)*) => {
        $($(#[$doc])* pub const $name: u16 = $number;)*

        /// Every numeric defined here with its RFC name, in numeric order.
        pub const NAMES: &[(u16, &str)] = &[$(($number, stringify!($name))),*];
    };
}

numerics! {
    /// `<client> :Welcome to the <network> Network, <nick>[!<user>@<host>]`: registration is complete.
    RPL_WELCOME = 1;
    /// `<client> :Your host is <servername>, running version <version>`
    RPL_YOURHOST = 2;
    /// `<client> :This server was created <datetime>`
    RPL_CREATED = 3;
    /// `<client> <servername> <version> <user modes> <channel modes> [<channel modes with a parameter>]`
    RPL_MYINFO = 4;
    /// `<client> <1-13 tokens> :are supported by this server`; 13 because a reply has at most 15
    /// parameters. Send several if more tokens are needed (`CASEMAPPING=ascii`, `CHANTYPES=#`, ...).
    RPL_ISUPPORT = 5;
    /// `<client> <user modes>`
    RPL_UMODEIS = 221;
    /// `<client> :There are <u> users and <i> invisible on <s> servers`
    RPL_LUSERCLIENT = 251;
    /// `<client> <ops> :operator(s) online`
    RPL_LUSEROP = 252;
    /// `<client> <connections> :unknown connection(s)`
    RPL_LUSERUNKNOWN = 253;
    /// `<client> <channels> :channels formed`
    RPL_LUSERCHANNELS = 254;
    /// `<client> :I have <c> clients and <s> servers`
    RPL_LUSERME = 255;
    /// `<client> [<u> <m>] :Current local users <u>, max <m>`
    RPL_LOCALUSERS = 265;
    /// `<client> [<u> <m>] :Current global users <u>, max <m>`
    RPL_GLOBALUSERS = 266;
    /// `<client> <nick> :<away message>`: sent to whoever messages an away user.
    RPL_AWAY = 301;
    /// `<client> :[<reply>{ <reply>}]` where a reply is `nick[*]=<+|-><host>` (`-` means away).
    RPL_USERHOST = 302;
    /// `<client> :[<nick>{ <nick>}]`: which of the asked nicks are online.
    RPL_ISON = 303;
    /// `<client> :You are no longer marked as being away`
    RPL_UNAWAY = 305;
    /// `<client> :You have been marked as being away`
    RPL_NOWAWAY = 306;
    /// `<client> <nick> <username> <host> * :<realname>`
    RPL_WHOISUSER = 311;
    /// `<client> <nick> <server> :<server info>`
    RPL_WHOISSERVER = 312;
    /// `<client> <nick> :is an IRC operator`
    RPL_WHOISOPERATOR = 313;
    /// `<client> <nick> <username> <host> * :<realname>`: one who used `<nick>` (WHOWAS).
    RPL_WHOWASUSER = 314;
    /// `<client> <mask> :End of WHO list`, with the mask exactly as the client sent it.
    RPL_ENDOFWHO = 315;
    /// `<client> <nick> <secs> <signon> :seconds idle, signon time`
    RPL_WHOISIDLE = 317;
    /// `<client> <nick> :End of /WHOIS list`, with the nick exactly as the client sent it.
    RPL_ENDOFWHOIS = 318;
    /// `<client> <nick> :[prefix]<channel>{ [prefix]<channel>}`
    RPL_WHOISCHANNELS = 319;
    /// `<client> Channel :Users  Name`; optional, clients must not depend on it.
    RPL_LISTSTART = 321;
    /// `<client> <channel> <client count> :<topic>`
    RPL_LIST = 322;
    /// `<client> :End of /LIST`
    RPL_LISTEND = 323;
    /// `<client> <channel> <modestring> <mode arguments>...`
    RPL_CHANNELMODEIS = 324;
    /// `<client> <channel> <creationtime>` (Unix seconds).
    RPL_CREATIONTIME = 329;
    /// `<client> <nick> <account> :is logged in as`: the account `<nick>` is logged in to.
    RPL_WHOISACCOUNT = 330;
    /// `<client> <channel> :No topic is set`
    RPL_NOTOPIC = 331;
    /// `<client> <channel> :<topic>`
    RPL_TOPIC = 332;
    /// `<client> <channel> <nick> <setat>` (Unix seconds), sent after `RPL_TOPIC`.
    RPL_TOPICWHOTIME = 333;
    /// `<client> <nick> <channel>`: the invitation was sent.
    RPL_INVITING = 341;
    /// `<client> <channel> <mask>`: one of a channel's invite exceptions (`+I`); RFC 2812 called
    /// it `RPL_INVITELIST`.
    RPL_INVEXLIST = 346;
    /// `<client> <channel> :End of Channel Invite Exception List`
    RPL_ENDOFINVEXLIST = 347;
    /// `<client> <channel> <mask>`: one of a channel's ban exceptions (`+e`).
    RPL_EXCEPTLIST = 348;
    /// `<client> <channel> :End of channel exception list`
    RPL_ENDOFEXCEPTLIST = 349;
    /// `<client> <version> <server> :<comments>`
    RPL_VERSION = 351;
    /// `<client> <channel> <username> <host> <server> <nick> <flags> :<hopcount> <realname>`;
    /// flags start with `H` (here) or `G` (gone, i.e. away).
    RPL_WHOREPLY = 352;
    /// `<client> <symbol> <channel> :[prefix]<nick>{ [prefix]<nick>}`; symbol `=` is a public channel.
    RPL_NAMREPLY = 353;
    /// `<client> [token] [channel] [user] [ip] [host] [server] [nick] [flags] [hopcount] [idle]
    /// [account] [oplevel] [:realname]`: exactly the WHOX fields asked for, in this order.
    RPL_WHOSPCRPL = 354;
    /// `<client> * <server> :<hopcount> <server info>`
    RPL_LINKS = 364;
    /// `<client> * :End of /LINKS list`
    RPL_ENDOFLINKS = 365;
    /// `<client> <channel> :End of /NAMES list`
    RPL_ENDOFNAMES = 366;
    /// `<client> <channel> <mask> [<who> <set-ts>]`
    RPL_BANLIST = 367;
    /// `<client> <channel> :End of channel ban list`
    RPL_ENDOFBANLIST = 368;
    /// `<client> <nick> :End of WHOWAS`
    RPL_ENDOFWHOWAS = 369;
    /// `<client> :<string>`: a line of `INFO`.
    RPL_INFO = 371;
    /// `<client> :<line of the motd>`
    RPL_MOTD = 372;
    /// `<client> :End of INFO list`
    RPL_ENDOFINFO = 374;
    /// `<client> :- <server> Message of the day - `
    RPL_MOTDSTART = 375;
    /// `<client> :End of /MOTD command.`
    RPL_ENDOFMOTD = 376;
    /// `<client> :You are now an IRC operator`
    RPL_YOUREOPER = 381;
    /// `<client> <server> [<timestamp> [<TS offset>]] :<human-readable time>`
    RPL_TIME = 391;
    /// `<client> <nickname> :No such nick/channel`
    ERR_NOSUCHNICK = 401;
    /// `<client> <server name> :No such server`
    ERR_NOSUCHSERVER = 402;
    /// `<client> <channel> :No such channel`
    ERR_NOSUCHCHANNEL = 403;
    /// `<client> <channel> :Cannot send to channel`
    ERR_CANNOTSENDTOCHAN = 404;
    /// `<client> <channel> :You have joined too many channels`
    ERR_TOOMANYCHANNELS = 405;
    /// `<client> <nick> :There was no such nickname` (WHOWAS of a nickname nobody used lately).
    ERR_WASNOSUCHNICK = 406;
    /// `<client> <target> :<error code> recipients. <abort message>` (RFC 2812).
    ERR_TOOMANYTARGETS = 407;
    /// `<client> :No origin specified`: a PING or PONG without its token.
    ERR_NOORIGIN = 409;
    /// `<client> <subcommand> :Invalid CAP command` (IRCv3 capability negotiation).
    ERR_INVALIDCAPCMD = 410;
    /// `<client> :No recipient given (<command>)`
    ERR_NORECIPIENT = 411;
    /// `<client> :No text to send`
    ERR_NOTEXTTOSEND = 412;
    /// `<client> :Input line was too long`: over 512 bytes, or tags over their own limit (IRCv3).
    ERR_INPUTTOOLONG = 417;
    /// `<client> <command> :Unknown command`
    ERR_UNKNOWNCOMMAND = 421;
    /// `<client> :MOTD File is missing`
    ERR_NOMOTD = 422;
    /// `<client> :No nickname given`
    ERR_NONICKNAMEGIVEN = 431;
    /// `<client> <nick> :Erroneus nickname` (the RFC's spelling, in name and text).
    ERR_ERRONEUSNICKNAME = 432;
    /// `<client> <nick> :Nickname is already in use`
    ERR_NICKNAMEINUSE = 433;
    /// `<client> <nick> <channel> :They aren't on that channel`
    ERR_USERNOTINCHANNEL = 441;
    /// `<client> <channel> :You're not on that channel`
    ERR_NOTONCHANNEL = 442;
    /// `<client> <nick> <channel> :is already on channel`
    ERR_USERONCHANNEL = 443;
    /// `<client> :You have not registered`
    ERR_NOTREGISTERED = 451;
    /// `<client> <command> :Not enough parameters`
    ERR_NEEDMOREPARAMS = 461;
    /// `<client> :You may not reregister`. RFC 2812 spells it `ERR_ALREADYREGISTRED`; modern docs fix it.
    ERR_ALREADYREGISTERED = 462;
    /// `<client> :Password incorrect`
    ERR_PASSWDMISMATCH = 464;
    /// `<client> <channel> :Channel key already set` (RFC 2812).
    ERR_KEYSET = 467;
    /// `<client> <channel> :Cannot join channel (+l)`
    ERR_CHANNELISFULL = 471;
    /// `<client> <modechar> :is unknown mode char to me`
    ERR_UNKNOWNMODE = 472;
    /// `<client> <channel> :Cannot join channel (+i)`
    ERR_INVITEONLYCHAN = 473;
    /// `<client> <channel> :Cannot join channel (+b)`
    ERR_BANNEDFROMCHAN = 474;
    /// `<client> <channel> :Cannot join channel (+k)`
    ERR_BADCHANNELKEY = 475;
    /// `<client> :Permission Denied- You're not an IRC operator`
    ERR_NOPRIVILEGES = 481;
    /// `<client> <channel> :You're not channel operator`
    ERR_CHANOPRIVSNEEDED = 482;
    /// `<client> :No O-lines for your host`
    ERR_NOOPERHOST = 491;
    /// `<client> :Unknown MODE flag`
    ERR_UMODEUNKNOWNFLAG = 501;
    /// `<client> :Cant change mode for other users`
    ERR_USERSDONTMATCH = 502;
    /// `<client> <subject> :<text>`: no help on that subject (`*` when the subject is no valid
    /// parameter).
    ERR_HELPNOTFOUND = 524;
    /// `<client> <target chan/user> <mode char> <parameter> :<description>`: a mode parameter of
    /// the wrong form (a limit that is no positive number, a key with a space, ...).
    ERR_INVALIDMODEPARAM = 696;
    /// `<client> <subject> :<first line of help section>`
    RPL_HELPSTART = 704;
    /// `<client> <subject> :<line of help text>`
    RPL_HELPTXT = 705;
    /// `<client> <subject> :<last line of help text>`
    RPL_ENDOFHELP = 706;
    /// `<client> <nick>!<user>@<host> <account> :You are now logged in as <account>` (IRCv3 SASL,
    /// sent for every login, SASL or not).
    RPL_LOGGEDIN = 900;
    /// `<client> <nick>!<user>@<host> :You are now logged out`
    RPL_LOGGEDOUT = 901;
    /// `<client> :SASL authentication successful`, after `RPL_LOGGEDIN`.
    RPL_SASLSUCCESS = 903;
    /// `<client> :SASL authentication failed`: bad credentials, or a response that is no PLAIN one.
    ERR_SASLFAIL = 904;
    /// `<client> :SASL message too long`: a chunk over 400 bytes, or a response over the bound.
    ERR_SASLTOOLONG = 905;
    /// `<client> :SASL authentication aborted`: `AUTHENTICATE *`, or registration mid-exchange.
    ERR_SASLABORTED = 906;
    /// `<client> :You have already authenticated using SASL`
    ERR_SASLALREADY = 907;
    /// `<client> <mechanisms> :are available SASL mechanisms` (comma-separated), before 904.
    RPL_SASLMECHS = 908;
}

/// The numeric as it goes on the wire: always three digits, zero-padded (`1` is `"001"`).
pub fn code(n: u16) -> String {
    format!("{n:03}")
}

/// The RFC name of a numeric defined here, for logs and test failures.
pub fn name(n: u16) -> Option<&'static str> {
    NAMES.iter().find(|(number, _)| *number == n).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_digits_zero_padded() {
        assert_eq!(code(RPL_WELCOME), "001");
        assert_eq!(code(RPL_ISUPPORT), "005");
        assert_eq!(code(RPL_UMODEIS), "221");
        assert_eq!(code(ERR_NEEDMOREPARAMS), "461");
    }

    #[test]
    fn every_numeric_is_a_distinct_three_digit_code() {
        for (i, (number, name)) in NAMES.iter().enumerate() {
            assert!((1..=999).contains(number), "{name} = {number}");
            assert_eq!(code(*number).len(), 3, "{name}");
            assert!(name.starts_with("RPL_") || name.starts_with("ERR_"), "{name}");
            assert!(NAMES.iter().skip(i + 1).all(|(other, _)| other != number), "{name} = {number} is duplicated");
        }
    }

    #[test]
    fn names_are_listed_in_numeric_order() {
        assert!(NAMES.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn numbers_match_the_rfc_and_modern_docs() {
        let expected = [
            (RPL_WELCOME, 1),
            (RPL_MYINFO, 4),
            (RPL_LUSERME, 255),
            (RPL_AWAY, 301),
            (RPL_ISON, 303),
            (RPL_ENDOFWHO, 315),
            (RPL_WHOISIDLE, 317),
            (RPL_CHANNELMODEIS, 324),
            (RPL_CREATIONTIME, 329),
            (RPL_TOPICWHOTIME, 333),
            (RPL_INVITING, 341),
            (RPL_NAMREPLY, 353),
            (RPL_ENDOFNAMES, 366),
            (RPL_ENDOFMOTD, 376),
            (RPL_TIME, 391),
            (ERR_TOOMANYTARGETS, 407),
            (ERR_NOORIGIN, 409),
            (ERR_INPUTTOOLONG, 417),
            (ERR_UNKNOWNCOMMAND, 421),
            (ERR_NICKNAMEINUSE, 433),
            (ERR_NOTREGISTERED, 451),
            (ERR_ALREADYREGISTERED, 462),
            (ERR_KEYSET, 467),
            (ERR_CHANOPRIVSNEEDED, 482),
            (ERR_NOOPERHOST, 491),
            (ERR_USERSDONTMATCH, 502),
            (RPL_WHOISACCOUNT, 330),
            (RPL_LOGGEDIN, 900),
            (RPL_LOGGEDOUT, 901),
            (RPL_SASLSUCCESS, 903),
            (ERR_SASLFAIL, 904),
            (ERR_SASLTOOLONG, 905),
            (ERR_SASLABORTED, 906),
            (ERR_SASLALREADY, 907),
            (RPL_SASLMECHS, 908),
            // issue 14: queries
            (RPL_LOCALUSERS, 265),
            (RPL_GLOBALUSERS, 266),
            (RPL_WHOWASUSER, 314),
            (RPL_WHOSPCRPL, 354),
            (RPL_LINKS, 364),
            (RPL_ENDOFLINKS, 365),
            (RPL_ENDOFWHOWAS, 369),
            (RPL_INFO, 371),
            (RPL_ENDOFINFO, 374),
            (ERR_WASNOSUCHNICK, 406),
            (ERR_HELPNOTFOUND, 524),
            (RPL_HELPSTART, 704),
            (RPL_HELPTXT, 705),
            (RPL_ENDOFHELP, 706),
        ];
        for (constant, number) in expected {
            assert_eq!(constant, number);
        }
    }

    #[test]
    fn names_are_found_by_number() {
        assert_eq!(name(433), Some("ERR_NICKNAMEINUSE"));
        assert_eq!(name(RPL_WELCOME), Some("RPL_WELCOME"));
        assert_eq!(name(999), None);
    }
}

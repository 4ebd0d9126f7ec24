//! Every fixed limit a client can run into, defined once.
//!
//! Pure: imports nothing of chatd's. The rules that enforce these live with the rules (`names`,
//! `chat`, `room`, the IRC grammar); this file only says how much. IRC clients learn most of them
//! from `RPL_ISUPPORT` (005), which `protocol::irc` builds from these constants, so what the
//! server advertises cannot drift from what it enforces.
//!
//! Limits an operator sets (`--max-line`, `--max-sendq`, ...) are options, with their defaults in
//! `config`; tuning figures that no client sees (thread stacks, batch sizes, log queues) stay
//! next to the mechanism they tune.

// Names (`names`).

/// Longest nickname, in characters (all nickname characters are ASCII, so also bytes).
/// `NICKLEN` in `RPL_ISUPPORT`.
pub const NICK_MAX_CHARS: usize = 20;
/// Longest room name in bytes, the leading `#` included. `CHANNELLEN`.
pub const ROOM_MAX_BYTES: usize = 50;

// Chat state (`chat`).

/// The most rooms one client may be in at once. `CHANLIMIT`.
pub const MAX_ROOMS_PER_CLIENT: usize = 20;
/// Longest topic, in bytes. `TOPICLEN`.
pub const MAX_TOPIC_BYTES: usize = 300;
/// Longest away message or part reason, in bytes. `AWAYLEN`.
pub const MAX_REASON_BYTES: usize = 200;
/// Longest IRC username kept (the rest is cut).
pub const MAX_USER_CHARS: usize = 10;
/// Most targets in one `PRIVMSG`/`NOTICE`, `JOIN`, `PART`, `NAMES`, `KICK` or `WHOWAS`. `TARGMAX`.
pub const MAX_TARGETS: usize = 4;

// Rooms and their modes (`room`).

/// Most bans one room keeps.
pub const MAX_BANS: usize = 50;
/// Longest room key, in bytes.
pub const MAX_KEY_BYTES: usize = 23;
/// Longest ban mask, in bytes (a 20-character nick, an 11-character user and an IPv6 host fit).
pub const MAX_MASK_BYTES: usize = 80;
/// Most changes with a parameter in one `MODE` command; more are ignored. `MODES`.
pub const MAX_PARAM_CHANGES: usize = 6;

// The IRC wire (`protocol::irc::message`).

/// Longest IRC line on the wire, CR LF included (RFC 2812 2.3); IRCv3 tags are counted separately.
pub const IRC_MAX_LINE_BYTES: usize = 512;
/// Longest tag section an IRC client may send, the leading `@` and the space after it included
/// (IRCv3 message-tags, "Size limit": 4094 bytes of tag data). Longer gets `ERR_INPUTTOOLONG`.
pub const IRC_MAX_CLIENT_TAG_BYTES: usize = 4096;
/// Longest IRC line read from a client: a line and a tag section.
pub const IRC_MAX_INPUT_BYTES: usize = IRC_MAX_CLIENT_TAG_BYTES + IRC_MAX_LINE_BYTES;
/// Most parameters in one IRC message (RFC 2812 2.3.1: 14 middles and one trailing).
pub const IRC_MAX_PARAMS: usize = 15;

// The HTTP face (`protocol::http`).

/// Longest HTTP request head (request line and header fields, the blank line included); longer
/// gets 431. Browsers send well under 2 KiB; 8 KiB is what common servers allow.
pub const HTTP_MAX_HEAD_BYTES: usize = 8 * 1024;
/// Most header fields in one request head; more gets 431.
pub const HTTP_MAX_HEADERS: usize = 64;
/// Largest HTTP request body; larger gets 413. A chat line and its JSON wrapping fit many times.
pub const HTTP_MAX_BODY_BYTES: usize = 4 * 1024;
/// How long a started request may take to arrive in full before the reader answers 408 and
/// closes, so a slowloris holds no thread for long.
pub const HTTP_REQUEST_TIMEOUT_SECS: u64 = 10;

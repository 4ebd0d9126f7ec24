//! Property tests of the invariants every parser and renderer must keep, on stable Rust (the
//! cargo-fuzz targets in fuzz/ check the same and more with libFuzzer on nightly).
//!
//! - Framing: how reads split the input never changes the lines.
//! - Decoding (each dialect's decoder, as the reader drives it, switches included): how reads
//!   split the input never changes the commands, their order or the dialect they end up in.
//! - IRC: a room message or private message chatd renders, from any valid nickname, room,
//!   user, host and text, is valid UTF-8, CR LF terminated, at most 512 bytes (the IRCv3 tag
//!   section aside), and parses back to the same command, sender, target and text (the text
//!   split at word breaks over several lines when it does not fit one).
//! - Netcat: `clean_input` leaves no control character, `parse` never panics, and a rendered
//!   message holds no control character whatever its text.
//! - IRCv3 tags: client-only tags of any value survive parsing and relaying unchanged (other
//!   tags never do); a `label` of any value up to 64 bytes goes round what its line said; a
//!   `msgid` names its message in its run only.
//! - IRC `CHATHISTORY`: any parameters parse to a query within the limits or to a failure that
//!   renders as one valid line; message ids and timestamps read back what chatd writes.
//! - HTTP: valid requests, pipelined and split across reads anywhere, come out of the request
//!   framer whole, in order, with the method, path, query and body they were written with.
//!
//! Case counts are kept small so `cargo test` stays fast; the fuzz targets run for minutes.

use chatd::core::time::{parse_utc_timestamp, utc_timestamp_millis};
use chatd::framing::{Frame, Framer, Terminator};
use chatd::names::{Nick, RoomName};
use chatd::protocol::dialect::{Decoded, Dialect};
use chatd::protocol::dialects;
use chatd::protocol::history::{HistoryQuery, MAX_HISTORY_LIMIT};
use chatd::protocol::http::{Request, RequestError, RequestFramer};
use chatd::protocol::irc::message::{
    self, ACTION_OVERHEAD_BYTES, MAX_LINE_BYTES, Message, ctcp_action, text_budget, write_line,
};
use chatd::protocol::irc::{self, View};
use chatd::protocol::{ChatError, Command, ListFilter, MessageKind, ParseError, Person, Reply, TopicChange, netcat};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::sync::Arc;

/// `cases` cases from a fixed seed, so `cargo test` is the same every run; `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED` in the environment override both (`PROPTEST_CASES=100000` for a long run).
fn config(cases: u32) -> ProptestConfig {
    let from_env = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") { from_env.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") { from_env.rng_seed } else { RngSeed::Fixed(0x00c4_a7d0) },
        failure_persistence: None,
        ..from_env
    }
}

/// Bytes a peer may send, rich in what the framer treats specially: LF, CR, NUL, backspace,
/// DEL and the telnet IAC bytes.
fn peer_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"ab \xc3\xa9".to_vec()),
        2 => prop::sample::select(b"\n\r\0".to_vec()),
        1 => prop::sample::select(vec![0x08u8, 0x7f, 0xff, 0xfd, 0xfa, 0xf0, 0x01]),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..max)
}

fn frames(raw: bool, max_line: usize, chunks: &[&[u8]]) -> Vec<Frame> {
    let mut framer = if raw { Framer::raw(max_line) } else { Framer::new(max_line) };
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk, &mut out);
    }
    out
}

/// Cuts `input` at the given points (taken modulo its length, in order).
fn split_at_points<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    chunks
}

fn nick() -> impl Strategy<Value = Nick> {
    "[A-Za-z_\\[\\]{}\\\\|^`][A-Za-z0-9_\\-\\[\\]{}\\\\|^`]{0,19}".prop_map(|s| Nick::parse(&s).expect("valid nick"))
}

/// Room names as `RoomName::parse` allows them: any characters but spaces, controls and `,:#`,
/// at most 50 bytes with the `#`.
fn room() -> impl Strategy<Value = RoomName> {
    "[a-zA-Z0-9\\-_.!'+é世😀]{1,20}".prop_filter_map("too long", |body| {
        (body.len() < 50).then(|| RoomName::parse(&format!("#{body}")).expect("valid room"))
    })
}

fn person() -> impl Strategy<Value = Arc<Person>> {
    let host = prop_oneof![
        any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string()),
        any::<[u16; 8]>().prop_map(|s| std::net::Ipv6Addr::from(s).to_string()),
    ];
    (nick(), "[A-Za-z0-9_.\\-]{1,10}", host).prop_map(|(nick, user, host)| {
        Arc::new(Person {
            nick,
            user: format!("~{user}"),
            host: chatd::chat::display_host(&host),
            account: None,
            realname: "".into(),
        })
    })
}

/// Message text without anything a hygiene rule could remove or a line could not carry:
/// letters, digits, punctuation (`:` included), runs of spaces, accented letters, CJK, emoji
/// with a zero-width joiner. Never blank: chatd does not relay blank text.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => "[a-zA-Z0-9]{1,12}",
        3 => "[ ]{1,3}",
        1 => "[:.,!?#@\\-]{1,3}",
        1 => "[éü世界]{1,6}",
        1 => Just("\u{1f469}\u{200d}\u{1f4bb}".to_string()),
    ];
    prop::collection::vec(piece, 1..160)
        .prop_map(|pieces| pieces.concat())
        .prop_filter("blank", |t| !t.trim().is_empty())
}

fn kind() -> impl Strategy<Value = MessageKind> {
    prop_oneof![Just(MessageKind::Normal), Just(MessageKind::Action), Just(MessageKind::Notice)]
}

/// True when `pieces`, in order, make up `text`, except that one space may be missing where a
/// piece ends (`split_text` drops the space it breaks at). Tries every way to place them.
fn covers(text: &str, pieces: &[String]) -> bool {
    fn from(text: &str, pieces: &[String]) -> bool {
        let Some((first, rest)) = pieces.split_first() else { return text.is_empty() || text == " " };
        let place = |t: &str| t.strip_prefix(first.as_str()).is_some_and(|after| from(after, rest));
        !first.is_empty() && (place(text) || text.strip_prefix(' ').is_some_and(place))
    }
    from(text, pieces)
}

fn irc_view(server_time: bool) -> View<'static> {
    View {
        server: "chatd.example.org",
        nick: "reader",
        started: 0,
        ping_after_secs: 300,
        server_time,
        multi_prefix: false,
    }
}

/// Checks every IRC line of `out` and returns them parsed.
fn irc_lines(out: &[u8], server_time: bool) -> Vec<Message> {
    let text = std::str::from_utf8(out).expect("IRC output is valid UTF-8");
    assert!(text.ends_with("\r\n"), "output ends mid-line: {text:?}");
    text.split_terminator("\r\n")
        .map(|line| {
            assert!(!line.contains(['\r', '\n', '\0']), "line break or NUL inside {line:?}");
            let body = if server_time {
                let (tags, body) = line.split_once(' ').expect("a tag section");
                assert!(tags.starts_with("@time="), "no server time on {line:?}");
                body
            } else {
                line
            };
            assert!(body.len() + 2 <= MAX_LINE_BYTES, "{} bytes: {line:?}", body.len() + 2);
            message::parse(line).expect("chatd's own line parses")
        })
        .collect()
}

/// Checks that `out` carries `text` from `from` to `target` as `kind`, and nothing else.
fn assert_delivers(out: &[u8], server_time: bool, from: &Person, target: &str, text: &str, kind: MessageKind) {
    let lines = irc_lines(out, server_time);
    assert!(!lines.is_empty(), "nothing sent");
    let command = if kind == MessageKind::Notice { "NOTICE" } else { "PRIVMSG" };
    let mut pieces = Vec::new();
    for line in &lines {
        assert_eq!(line.command, command);
        assert_eq!(line.prefix.as_deref(), Some(from.prefix().as_str()));
        assert_eq!(line.params.len(), 2, "{line:?}");
        assert_eq!(line.param(0), Some(target));
        let sent = line.param(1).unwrap_or_default();
        let piece = match kind {
            MessageKind::Action => ctcp_action(sent).unwrap_or_else(|| panic!("not an ACTION: {sent:?}")),
            _ => sent,
        };
        pieces.push(piece.to_string());
    }
    let mut budget = text_budget(&from.prefix(), command, target);
    if kind == MessageKind::Action {
        budget -= ACTION_OVERHEAD_BYTES;
    }
    if text.len() <= budget {
        assert_eq!(pieces, [text], "text that fits one line is sent whole");
    }
    assert!(covers(text, &pieces), "{pieces:?} do not make up {text:?}");
}

/// One thing a reader sends the broker: an input (with its line's terminator), or the name of
/// the dialect the connection switched to.
type Sent = Result<(Option<Terminator>, Result<Command, ParseError>), &'static str>;

/// What a reader sends the broker for `chunks` read in turn from a connection first taken as
/// `start`: each input, and the name of each dialect switched to, in order.
fn decoded(start: &'static dyn Dialect, chunks: &[&[u8]]) -> Vec<Sent> {
    let mut decoder = start.decoder(64);
    let mut seen = Vec::new();
    let mut pending: Vec<Vec<u8>> = chunks.iter().map(|c| c.to_vec()).collect();
    pending.reverse();
    while let Some(chunk) = pending.pop() {
        let mut out = Vec::new();
        decoder.decode(&chunk, &mut out);
        for item in out {
            match item {
                Decoded::Input { terminator, input } => seen.push(Ok((terminator, input))),
                Decoded::Switch { to, replay } => {
                    seen.push(Err(to.name()));
                    decoder = to.decoder(64);
                    // Read again before anything read later.
                    pending.push(replay);
                }
                Decoded::Answer { .. } => seen.push(Err("answer")),
                Decoded::Request(_) => seen.push(Err("request")),
            }
        }
    }
    seen
}

/// Input that exercises the netcat-to-IRC switch: lines people and IRC clients send.
fn session_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop::sample::select(vec![
        "CAP LS 302\r\n",
        "PASS secret\r\n",
        "NICK alice\r\n",
        "USER a 0 * :A\r\n",
        "hello there\n",
        "/who\n",
        "alice\n",
        "!!\n",
        "PRIVMSG #a :hi\r\n",
        "QUIT\r\n",
    ]);
    prop::collection::vec(line, 0..8).prop_map(|lines| lines.concat().into_bytes())
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn decoding_does_not_depend_on_how_reads_split_the_input(
        input in prop_oneof![peer_bytes(300), session_bytes()],
        points in prop::collection::vec(any::<usize>(), 0..8),
        irc in any::<bool>(),
    ) {
        let start = if irc { dialects::DIALECTS[0] } else { dialects::FALLBACK };
        let whole = decoded(start, &[&input]);
        prop_assert_eq!(&whole, &decoded(start, &split_at_points(&input, &points)));
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&whole, &decoded(start, &bytewise));
    }

    #[test]
    fn framing_does_not_depend_on_how_reads_split_the_input(
        input in peer_bytes(300),
        points in prop::collection::vec(any::<usize>(), 0..8),
        raw in any::<bool>(),
        max_line in prop::sample::select(vec![1usize, 3, 16, 64, 4608]),
    ) {
        let whole = frames(raw, max_line, &[&input]);
        let split = frames(raw, max_line, &split_at_points(&input, &points));
        prop_assert_eq!(&whole, &split);
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&whole, &frames(raw, max_line, &bytewise));
        for frame in &whole {
            if let Frame::Line { bytes, .. } = frame {
                prop_assert!(!bytes.is_empty() && bytes.len() <= max_line);
                prop_assert!(!bytes.iter().any(|&b| matches!(b, b'\n' | b'\r' | 0)));
            }
        }
    }

}

proptest! {
    // Long texts over several lines: fewer cases, each does more.
    #![proptest_config(config(64))]

    #[test]
    fn room_messages_render_as_valid_irc_lines_that_parse_back(
        from in person(), room in room(), text in text(), kind in kind(), server_time in any::<bool>(),
    ) {
        let reply = Reply::Said { room: room.clone(), from: from.clone(), text: text.as_str().into(), kind, at: 0, id: 1, tags: None };
        let mut out = Vec::new();
        irc::render(&reply, &irc_view(server_time), &mut out);
        assert_delivers(&out, server_time, &from, room.as_str(), &text, kind);
    }

    #[test]
    fn private_messages_render_as_valid_irc_lines_that_parse_back(
        from in person(), to in nick(), text in text(), kind in kind(), server_time in any::<bool>(),
    ) {
        let reply =
            Reply::Private { from: from.clone(), to: to.clone(), text: text.as_str().into(), kind, at: 0, echo: false, id: 1, tags: None };
        let mut out = Vec::new();
        irc::render(&reply, &irc_view(server_time), &mut out);
        assert_delivers(&out, server_time, &from, to.as_str(), &text, kind);
    }

    #[test]
    fn written_lines_never_pass_512_bytes_nor_break_early(
        prefix in "[^ ]{1,80}", command in "[A-Z]{1,10}", target in "[^ :]{1,60}", last in any::<String>(),
    ) {
        let mut out = Vec::new();
        write_line(&mut out, Some(&prefix), &command, &[&target, &last]);
        prop_assert!(out.len() <= MAX_LINE_BYTES);
        let line = std::str::from_utf8(&out).expect("write_line writes UTF-8");
        let body = line.strip_suffix("\r\n").expect("ends with CR LF");
        prop_assert!(!body.contains(['\r', '\n', '\0']));
    }

    #[test]
    fn netcat_input_is_decoded_and_any_line_parses_to_clean_free_text(
        bytes in any::<Vec<u8>>(), raw in any::<String>(),
    ) {
        // `clean_input` only decodes: names must reach the name rules as typed (so that one
        // rule refuses them in every dialect); free text is cleaned by `parse`.
        let text = netcat::clean_input(&bytes);
        prop_assert!(!text.contains('\t'), "{:?}", text);
        prop_assert_eq!(text.trim_end_matches(' '), text.as_str());
        prop_assert_eq!(netcat::clean_input(text.as_bytes()), text.clone());
        for line in [text.as_str(), raw.as_str()] {
            // Never a panic; what a command carries as free text holds no control character.
            let free_text = match netcat::parse(line) {
                Ok(Command::Action { text } | Command::Private { text, .. }) => Some(text),
                Ok(Command::Away { text: Some(text) } | Command::Quit { reason: Some(text) }) => Some(text),
                Ok(Command::Topic { change: Some(TopicChange::Set(text)), .. }) => Some(text),
                _ => None,
            };
            if let Some(free_text) = free_text {
                prop_assert!(!free_text.chars().any(char::is_control), "{:?} from {:?}", free_text, line);
            }
        }
    }

    #[test]
    fn netcat_messages_hold_no_control_character_whatever_their_text(
        from in person(), room in room(), text in any::<String>(), kind in kind(), nul in any::<bool>(),
    ) {
        let terminator = if nul { Terminator::Nul } else { Terminator::Newline };
        let reply = Reply::Said { room, from, text: text.as_str().into(), kind, at: 0, id: 1, tags: None };
        let mut out = Vec::new();
        netcat::render(&reply, netcat::View { multi_room: true, terminator }, &mut out);
        let line = std::str::from_utf8(&out).expect("netcat output is valid UTF-8");
        let line = line.strip_suffix(if nul { "\0" } else { "\r\n" }).expect("one terminated line");
        prop_assert!(!line.chars().any(char::is_control), "{:?}", line);
    }
}

#[test]
fn covers_allows_one_dropped_space_per_break_and_nothing_else() {
    let owned = |pieces: &[&str]| pieces.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    assert!(covers("ab cd", &owned(&["ab", "cd"])));
    assert!(covers("ab cd", &owned(&["ab ", "cd"])));
    assert!(covers("\0   ", &owned(&["\0", " "])));
    assert!(!covers("ab  cd", &owned(&["ab", "cd"])));
    assert!(!covers("abcd", &owned(&["ab", "d"])));
    assert!(!covers("ab", &owned(&["ab", "x"])));
}

/// A valid HTTP/1.1 request as a client writes it, with what the framer must read from it.
#[derive(Clone, Debug)]
struct WrittenRequest {
    bytes: Vec<u8>,
    method: &'static str,
    path: String,
    query: Option<String>,
    body: Vec<u8>,
}

/// Requests with any of the common methods, a path and maybe a query, a few extra fields, a
/// body with its `Content-Length` (sometimes with none), CR LF or bare LF line ends.
fn http_request(last: bool) -> impl Strategy<Value = WrittenRequest> {
    let method = prop::sample::select(vec!["GET", "HEAD", "POST", "OPTIONS", "DELETE"]);
    let fields = prop::collection::vec(("[A-Za-z0-9-]{1,12}", "[ -~]{0,30}"), 0..5);
    let body = prop::collection::vec(any::<u8>(), 0..120);
    let options = (any::<bool>(), any::<bool>(), any::<bool>());
    (
        method,
        "(/[a-zA-Z0-9._~%!$'()*+,;=:@-]{0,12}){1,3}",
        prop::option::of("[a-zA-Z0-9=&%+./?-]{0,20}"),
        fields,
        body,
        options,
    )
        .prop_map(move |(method, path, query, fields, body, (bare_lf, no_length, close))| {
            let end = if bare_lf { "\n" } else { "\r\n" };
            let target = match &query {
                Some(query) => format!("{path}?{query}"),
                None => path.clone(),
            };
            let mut head = format!("{method} {target} HTTP/1.1{end}Host: chat.example.org{end}");
            for (name, value) in &fields {
                head.push_str(&format!("X-Prop-{name}: {value}{end}"));
            }
            if !(no_length && body.is_empty()) {
                head.push_str(&format!("Content-Length: {}{end}", body.len()));
            }
            if last && close {
                head.push_str(&format!("Connection: close{end}"));
            }
            head.push_str(end);
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            WrittenRequest { bytes, method, path, query, body }
        })
}

fn http_requests() -> impl Strategy<Value = Vec<WrittenRequest>> {
    (prop::collection::vec(http_request(false), 0..3), http_request(true)).prop_map(|(mut requests, last)| {
        requests.push(last);
        requests
    })
}

fn framed(chunks: &[&[u8]]) -> Vec<Result<Request, RequestError>> {
    let mut framer = RequestFramer::new();
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(outcome) = framer.next_request() {
            out.push(outcome);
        }
    }
    out
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn http_requests_come_out_whole_however_reads_split_them(
        requests in http_requests(),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let input: Vec<u8> = requests.iter().flat_map(|r| r.bytes.iter().copied()).collect();
        let whole = framed(&[&input]);
        prop_assert_eq!(&whole, &framed(&split_at_points(&input, &points)));
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&whole, &framed(&bytewise));
        prop_assert_eq!(whole.len(), requests.len());
        for (outcome, written) in whole.iter().zip(&requests) {
            let request = outcome.as_ref().map_err(|e| TestCaseError::fail(format!("{e} for {written:?}")))?;
            prop_assert_eq!(request.head.method.as_str(), written.method);
            prop_assert_eq!(&request.head.path, &written.path);
            prop_assert_eq!(&request.head.query, &written.query);
            prop_assert_eq!(&request.body, &written.body);
            prop_assert_eq!(request.wire_len, written.bytes.len());
        }
    }
}

// issue 14: modes

proptest! {
    #![proptest_config(config(256))]

    /// `LIST`'s search terms (`irc::elist`): any text, at most `MAX_TERMS` filters, each term's
    /// mask one comma-free, non-empty piece of what was sent.
    #[test]
    fn list_terms_parse_to_at_most_max_terms_filters_with_comma_free_masks(
        terms in prop::collection::vec(prop_oneof![
            "[<>][0-9]{0,4}", "[CcTt][<>][0-9]{0,4}", "!?[#*?a-z]{0,8}", any::<String>(),
        ], 0..12),
    ) {
        let line = terms.join(",");
        let filters = irc::elist::parse(&line);
        prop_assert!(filters.len() <= irc::elist::MAX_TERMS);
        for filter in filters {
            if let ListFilter::Mask(mask) | ListFilter::NotMask(mask) = filter {
                prop_assert!(!mask.is_empty() && !mask.contains(','));
                prop_assert!(line.contains(&mask));
            }
        }
    }

    /// An IRC client's message relayed as one line (`fit_one_line`): a start of the text, cut at a
    /// character boundary, whose line fits 512 bytes, and nothing shorter than needed.
    #[test]
    fn irc_messages_are_cut_to_exactly_one_line(from in person(), room in room(), text in text(), action in any::<bool>()) {
        let prefix = from.prefix();
        let kept = message::fit_one_line(&text, &prefix, "PRIVMSG", room.as_str(), action);
        prop_assert!(text.starts_with(kept));
        let framing = if action { ACTION_OVERHEAD_BYTES } else { 0 };
        let budget = text_budget(&prefix, "PRIVMSG", room.as_str()) - framing;
        prop_assert!(kept.len() <= budget);
        if kept.len() < text.len() {
            let next = text[kept.len()..].chars().next().map_or(0, char::len_utf8);
            prop_assert!(kept.len() + next > budget, "cut {} bytes short", budget - kept.len());
        }
        let mut out = Vec::new();
        let body = if action { message::encode_action(kept) } else { kept.to_string() };
        write_line(&mut out, Some(&prefix), "PRIVMSG", &[room.as_str(), &body]);
        prop_assert!(out.len() <= MAX_LINE_BYTES);
        let line = std::str::from_utf8(&out).expect("write_line writes UTF-8");
        let parsed = message::parse(line.trim_end_matches("\r\n")).expect("a valid line");
        prop_assert_eq!(parsed.params.last().map(String::as_str), Some(body.as_str()), "the line cut the text");
    }
}

// IRCv3 chathistory (issue 14): `CHATHISTORY` parameters, message ids and timestamps.
proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn chathistory_parameters_parse_or_fail_with_one_valid_line(
        sub in prop::sample::select(vec!["LATEST", "before", "AFTER", "AROUND", "BETWEEN", "TARGETS", "NOW", ""]),
        params in prop::collection::vec(
            prop_oneof![
                "[#a-z*]{0,8}",
                "(msgid|timestamp|seq)=[0-9a-fTZ:.\\-]{0,26}",
                "[0-9]{0,22}",
                "\\PC{0,40}",
            ],
            0..6,
        ),
    ) {
        let line = format!("CHATHISTORY {sub} {}", params.join(" "));
        let Some(Ok(Command::ChatHistory(query))) = irc::parse(&line) else {
            return Err(TestCaseError::fail(format!("not CHATHISTORY: {line:?}")));
        };
        match query {
            Ok(HistoryQuery::Messages { limit, target, .. }) => {
                prop_assert!(limit <= MAX_HISTORY_LIMIT && !target.is_empty());
            }
            Ok(HistoryQuery::Targets { limit, .. }) => prop_assert!(limit <= MAX_HISTORY_LIMIT),
            Err(fail) => {
                let mut out = Vec::new();
                irc::render(&Reply::Error(ChatError::History(fail)), &irc_view(false), &mut out);
                let lines = irc_lines(&out, false);
                prop_assert_eq!(lines.len(), 1);
                prop_assert_eq!(lines[0].command.as_str(), "FAIL");
            }
        }
    }

    #[test]
    fn msgids_and_timestamps_read_back_what_chatd_writes(
        run in any::<u64>(), id in any::<u64>(), at in 0u64..253_402_300_800_000,
    ) {
        prop_assert_eq!(irc::chathistory::parse_msgid(&irc::msgid(run, id)), Some((run, id)));
        prop_assert_eq!(parse_utc_timestamp(&utc_timestamp_millis(at)), Some(at));
    }
}

/// A tag key as a client may write it: client-only or not, well-formed or not.
fn tag_key() -> impl Strategy<Value = String> {
    "\\+?([a-z0-9.-]{1,8}/)?[a-zA-Z0-9-]{1,10}|\\+?[a-z _]{1,5}"
}

/// The tags of a parsed line, values escaped, as the line's tag section.
fn tag_section(tags: &[(String, String)]) -> String {
    let mut section = String::new();
    for (key, value) in tags {
        if !section.is_empty() {
            section.push(';');
        }
        section.push_str(key);
        section.push('=');
        message::escape_tag_value(&mut section, value);
    }
    section
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn client_only_tags_are_relayed_unchanged_and_no_other(
        sent in prop::collection::btree_map(tag_key(), "[^\\x00]{0,12}", 0..6),
    ) {
        let sent: Vec<(String, String)> = sent.into_iter().filter(|(key, _)| !key.contains([' ', ';', '='])).collect();
        let line = if sent.is_empty() { "TAGMSG #a".to_string() } else { format!("@{} TAGMSG #a", tag_section(&sent)) };
        let Some(Ok(Command::TagMsg { tags, .. })) = irc::parse(&line) else {
            return Err(TestCaseError::fail(format!("{line:?} is no TAGMSG")));
        };
        // What is relayed parses back, in a recipient's line, to exactly the well-formed
        // client-only tags sent (an empty value reads as none).
        let relayed = match &tags {
            Some(tags) => message::parse(&format!("@{tags} TAGMSG #a")).map_err(|e| TestCaseError::fail(e.to_string()))?.tags,
            None => Vec::new(),
        };
        let expected: Vec<(String, Option<String>)> = sent
            .iter()
            .filter(|(key, _)| key.starts_with('+') && irc::tags::valid_key(key))
            .map(|(key, value)| (key.clone(), (!value.is_empty()).then(|| value.clone())))
            .collect();
        prop_assert_eq!(relayed, expected);
    }

    #[test]
    fn a_label_goes_round_whatever_its_line_said(label in "[^\\x00]{1,64}", line in "[A-Z]{1,8}( [a-z#:]{1,8}){0,3}") {
        let mut escaped = String::new();
        message::escape_tag_value(&mut escaped, &label);
        let plain = irc::parse(&line);
        let labeled = irc::parse(&format!("@label={escaped} {line}"));
        match (plain, labeled) {
            (None, None) => {}
            (Some(input), Some(Ok(Command::Labeled { label: got, input: inner }))) if label.len() <= 64 => {
                prop_assert_eq!(got, label);
                prop_assert_eq!(*inner, input);
            }
            // Longer than labeled-response allows: ignored.
            (plain, labeled) if label.len() > 64 => prop_assert_eq!(plain, labeled),
            (plain, labeled) => return Err(TestCaseError::fail(format!("{plain:?} became {labeled:?}"))),
        }
    }

    #[test]
    fn a_msgid_names_its_message_in_its_run_only(started in any::<u64>(), id in any::<u64>(), other in any::<u64>()) {
        let msgid = irc::tags::msgid(started, id);
        prop_assert!(msgid.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-'));
        prop_assert_eq!(irc::tags::parse_msgid(started, &msgid), Some(id));
        if other != started {
            prop_assert_eq!(irc::tags::parse_msgid(other, &msgid), None);
        }
    }
}

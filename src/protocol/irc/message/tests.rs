use super::*;

fn msg(command: &str, params: &[&str]) -> Message {
    Message::new(command, params)
}

fn line_of(prefix: Option<&str>, command: &str, params: &[&str]) -> String {
    let mut out = Vec::new();
    write_line(&mut out, prefix, command, params);
    String::from_utf8(out).expect("write_line writes UTF-8")
}

#[test]
fn plain_command_with_params_and_trailing() {
    let m = parse("PRIVMSG #rust :hello there").unwrap();
    assert_eq!(m, msg("PRIVMSG", &["#rust", "hello there"]));
}

#[test]
fn rfc_examples_parse() {
    // RFC 1459/2812 and modern-docs examples.
    let m = parse(":WiZ!jto@tolsun.oulu.fi NICK Kilroy").unwrap();
    assert_eq!(m.prefix.as_deref(), Some("WiZ!jto@tolsun.oulu.fi"));
    assert_eq!((m.command.as_str(), m.params.as_slice()), ("NICK", &["Kilroy".to_string()][..]));

    let m = parse("USER guest 0 * :Ronnie Reagan").unwrap();
    assert_eq!(m, msg("USER", &["guest", "0", "*", "Ronnie Reagan"]));

    let m = parse(":irc.example.com CAP * LIST :").unwrap();
    assert_eq!(m.params, ["*", "LIST", ""]);

    let m = parse("CAP REQ :sasl message-tags foo").unwrap();
    assert_eq!(m.params, ["REQ", "sasl message-tags foo"]);

    let m = parse(":dan!d@localhost PRIVMSG #chan Hey!").unwrap();
    assert_eq!(m.params, ["#chan", "Hey!"]);

    let m = parse(":dan!d@localhost PRIVMSG #chan ::-)").unwrap();
    assert_eq!(m.params, ["#chan", ":-)"]);
}

#[test]
fn command_is_uppercased_and_may_be_numeric() {
    assert_eq!(parse("privmsg #a :x").unwrap().command, "PRIVMSG");
    assert_eq!(parse("Join #a").unwrap().command, "JOIN");
    assert_eq!(parse(":srv 001 alice :Welcome").unwrap().command, "001");
}

#[test]
fn bad_commands_are_named() {
    assert_eq!(parse("PRIV/MSG x"), Err(MessageError::BadCommand("PRIV/MSG".into())));
    assert_eq!(parse("12 x"), Err(MessageError::BadCommand("12".into())));
    assert_eq!(parse("1234"), Err(MessageError::BadCommand("1234".into())));
    assert_eq!(parse("JOIN1 #a"), Err(MessageError::BadCommand("JOIN1".into())));
    assert_eq!(parse("\u{e9}t\u{e9}"), Err(MessageError::BadCommand("\u{e9}t\u{e9}".into())));
    assert!(MessageError::BadCommand("X/Y".into()).to_string().contains("\"X/Y\""));
}

#[test]
fn empty_and_commandless_lines_are_errors() {
    assert_eq!(parse(""), Err(MessageError::Empty));
    assert_eq!(parse("    "), Err(MessageError::Empty));
    assert_eq!(parse(":"), Err(MessageError::MissingCommand));
    assert_eq!(parse(":nick!u@h"), Err(MessageError::MissingCommand));
    assert_eq!(parse(":nick!u@h   "), Err(MessageError::MissingCommand));
    assert_eq!(parse("@"), Err(MessageError::MissingCommand));
    assert_eq!(parse("@a=b"), Err(MessageError::MissingCommand));
    assert_eq!(parse("@a :"), Err(MessageError::MissingCommand));
    assert_eq!(parse("@a :pre"), Err(MessageError::MissingCommand));
    assert_eq!(parse("@a   "), Err(MessageError::MissingCommand));
}

#[test]
fn runs_of_spaces_separate_like_one() {
    let m = parse("  PRIVMSG   #a    b   :  two  spaces ").unwrap();
    assert_eq!(m, msg("PRIVMSG", &["#a", "b", "  two  spaces "]));
    let m = parse(":p    NICK    bob   ").unwrap();
    assert_eq!(m.prefix.as_deref(), Some("p"));
    assert_eq!(m.params, ["bob"]);
}

#[test]
fn trailing_may_be_empty_or_hold_colons() {
    assert_eq!(parse("AWAY :").unwrap().params, [""]);
    assert_eq!(parse("TOPIC #a :").unwrap().params, ["#a", ""]);
    assert_eq!(parse("PRIVMSG #a :a:b :c").unwrap().params, ["#a", "a:b :c"]);
    assert_eq!(parse("PRIVMSG #a b:c").unwrap().params, ["#a", "b:c"]);
    assert_eq!(parse("QUIT").unwrap().params, Vec::<String>::new());
}

#[test]
fn fifteenth_param_takes_the_rest_of_the_line() {
    let middles: Vec<String> = (1..=14).map(|i| format!("p{i}")).collect();
    let line = format!("CMD {} p15 p16 p17", middles.join(" "));
    let m = parse(&line).unwrap();
    assert_eq!(m.params.len(), MAX_PARAMS);
    assert_eq!(m.param(13), Some("p14"));
    assert_eq!(m.param(14), Some("p15 p16 p17"));

    let line = format!("CMD {} :trailing text", middles.join(" "));
    assert_eq!(parse(&line).unwrap().param(14), Some("trailing text"));
}

#[test]
fn twenty_params_never_make_more_than_fifteen() {
    let line = format!("CMD {}", (1..=20).map(|i| i.to_string()).collect::<Vec<_>>().join(" "));
    let m = parse(&line).unwrap();
    assert_eq!(m.params.len(), 15);
    assert_eq!(m.param(14), Some("15 16 17 18 19 20"));
}

#[test]
fn tags_are_parsed_unescaped_and_kept() {
    let m = parse("@aaa=bbb;ccc;example.com/ddd=eee :nick!ident@host.com PRIVMSG me :Hello").unwrap();
    assert_eq!(
        m.tags,
        [
            ("aaa".to_string(), Some("bbb".to_string())),
            ("ccc".to_string(), None),
            ("example.com/ddd".to_string(), Some("eee".to_string())),
        ]
    );
    assert_eq!(m.prefix.as_deref(), Some("nick!ident@host.com"));
    assert_eq!(m.params, ["me", "Hello"]);

    // The IRCv3 example: raw `raw+:=,escaped; \` travels as `raw+:=,escaped\:\s\\`.
    let m = parse(r"@+example=raw+:=,escaped\:\s\\ NOTICE #channel :Message").unwrap();
    assert_eq!(m.tags, [("+example".to_string(), Some(r"raw+:=,escaped; \".to_string()))]);
}

#[test]
fn tag_escapes_follow_ircv3() {
    let value = |line: &str| parse(line).unwrap().tags.first().and_then(|(_, v)| v.clone());
    assert_eq!(value(r"@k=a\sb\:c\\d\re\nf CMD"), Some("a b;c\\d\re\nf".to_string()));
    assert_eq!(value(r"@k=test\ CMD"), Some("test".to_string()));
    assert_eq!(value(r"@k=\b\x CMD"), Some("bx".to_string()));
    assert_eq!(value(r"@k= CMD"), None);
    assert_eq!(value(r"@k=\ CMD"), None);
    assert_eq!(value("@k=caf\\s\u{e9} CMD"), Some("caf \u{e9}".to_string()));
}

#[test]
fn repeated_tag_keeps_the_last_value_and_empty_entries_vanish() {
    let m = parse("@a=1;b;;=x;a=2 PING x").unwrap();
    assert_eq!(m.tags, [("b".to_string(), None), ("a".to_string(), Some("2".to_string()))]);
}

#[test]
fn tag_section_over_the_client_limit_is_refused() {
    let fits = format!("@k={} PING x", "v".repeat(MAX_CLIENT_TAG_BYTES - 4));
    assert!(parse(&fits).is_ok());
    let over = format!("@k={} PING x", "v".repeat(MAX_CLIENT_TAG_BYTES - 3));
    assert_eq!(parse(&over), Err(MessageError::TagsTooLong));
}

#[test]
fn empty_prefix_is_no_prefix() {
    let m = parse(": PING x").unwrap();
    assert_eq!(m.prefix, None);
    assert_eq!(m.command, "PING");
}

#[test]
fn unicode_survives_parsing() {
    let m = parse("PRIVMSG #caf\u{e9} :h\u{e9}llo \u{1f600} \u{4e16}\u{754c}").unwrap();
    assert_eq!(m.params, ["#caf\u{e9}", "h\u{e9}llo \u{1f600} \u{4e16}\u{754c}"]);
}

#[test]
fn odd_inputs_never_panic() {
    let long = "x".repeat(100_000);
    let long_params = format!("PRIVMSG {}", "a ".repeat(5_000));
    let long_unicode = format!("PRIVMSG #a :{}", "\u{1f600}".repeat(3_000));
    let twenty = format!("CMD {}", (1..=20).map(|i| format!("p{i}")).collect::<Vec<_>>().join(" "));
    let inputs: Vec<&str> = vec![
        "",
        " ",
        "     ",
        ":",
        "::",
        ": ",
        "@",
        "@ ",
        "@;",
        "@=",
        "@a :",
        "@a : ",
        "@a :p",
        "@a :p CMD",
        "@\\",
        "@k=\\ CMD",
        ":prefix",
        ":prefix ",
        ":pre fix",
        "CMD :",
        "CMD ::",
        "CMD : :",
        "\0",
        "CMD \0 :\0",
        "\r",
        "CMD \r\n x",
        "\u{1}ACTION\u{1}",
        "\u{e9}",
        "\u{1f600} \u{1f600}",
        "PRIVMSG \u{1f600} :\u{1f600}",
        "@\u{e9}=\u{e9} :\u{e9} \u{e9} \u{e9}",
        &long,
        &long_params,
        &long_unicode,
        &twenty,
    ];
    for input in inputs {
        if let Ok(m) = parse(input) {
            assert!(!m.command.is_empty(), "{input:?}");
            assert!(m.params.len() <= MAX_PARAMS, "{input:?}");
            let line = m.to_line();
            assert!(!line.contains(['\r', '\n', '\0']), "{input:?}");
        }
    }
}

/// A tiny deterministic generator, so the mixed-input test needs no crate and never flakes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_lines_parse_without_panic_and_round_trip() {
    let alphabet = [" ", " ", ":", "@", ";", "=", "\\", "a", "B", "1", "#", "\u{e9}", "\u{20ac}", "\u{1f600}", "\u{1}"];
    let starts =
        ["", "", "", "", "PRIVMSG ", "join #a", "001 ", "@a=b\\s;c :n!u@h NOTICE ", "@k=\\:\\\\x=", ":srv PING"];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for _ in 0..20_000 {
        // Half the lines start like a real message, so that many of them parse.
        let start = starts[(rng.next() % starts.len() as u64) as usize];
        let len = (rng.next() % 60) as usize;
        let tail: String = (0..len).map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize]).collect();
        let line = format!("{start}{tail}");
        if let Ok(m) = parse(&line) {
            parsed += 1;
            let again = parse(&m.to_line());
            assert_eq!(again.as_ref(), Ok(&m), "line {line:?} wrote {:?}", m.to_line());
        }
    }
    assert!(parsed > 2_000, "only {parsed} lines parsed: the generator needs more commands");
}

#[test]
fn to_line_adds_colon_only_when_needed() {
    assert_eq!(msg("NICK", &["bob"]).to_line(), "NICK bob");
    assert_eq!(msg("PRIVMSG", &["#a", "hi there"]).to_line(), "PRIVMSG #a :hi there");
    assert_eq!(msg("AWAY", &[""]).to_line(), "AWAY :");
    assert_eq!(msg("PRIVMSG", &["#a", ":-)"]).to_line(), "PRIVMSG #a ::-)");
    assert_eq!(msg("PRIVMSG", &["#a", "a:b"]).to_line(), "PRIVMSG #a a:b");
    assert_eq!(msg("QUIT", &[]).to_line(), "QUIT");
}

#[test]
fn to_line_writes_prefix_and_escaped_tags() {
    let mut m = msg("PRIVMSG", &["#a", "hi"]);
    m.prefix = Some("alice!a@host".into());
    m.tags = vec![("time".into(), Some("2024-01-02T03:04:05.000Z".into())), ("k".into(), Some("a b;c\\".into()))];
    m.tags.push(("flag".into(), None));
    assert_eq!(m.to_line(), r"@time=2024-01-02T03:04:05.000Z;k=a\sb\:c\\;flag :alice!a@host PRIVMSG #a hi");
    assert_eq!(parse(&m.to_line()), Ok(m));
}

#[test]
fn to_line_keeps_the_tag_section_whole_whatever_the_keys_hold() {
    let mut m = msg("PING", &["x"]);
    m.tags = vec![(format!("k\0{}", "v".repeat(600)), None), ("a\r\nb".into(), Some("c".into()))];
    let line = m.to_line();
    assert!(line.starts_with("@k") && line.ends_with(";ab=c PING x"), "{line}");
    assert_eq!(parse(&line).unwrap().command, "PING");
}

#[test]
fn write_line_ends_with_crlf() {
    assert_eq!(line_of(Some("chatd"), "001", &["alice", "Welcome"]), ":chatd 001 alice Welcome\r\n");
    assert_eq!(line_of(None, "PING", &["chatd"]), "PING chatd\r\n");
    assert_eq!(line_of(Some("a!b@c"), "PRIVMSG", &["#r", "hi all"]), ":a!b@c PRIVMSG #r :hi all\r\n");
    assert_eq!(line_of(Some("chatd"), "PONG", &[]), ":chatd PONG\r\n");
}

#[test]
fn written_text_cannot_inject_a_second_line() {
    let line = line_of(Some("a!b@c"), "PRIVMSG", &["#r", "hi\r\nQUIT :pwned\0"]);
    assert_eq!(line, ":a!b@c PRIVMSG #r :hi  QUIT :pwned \r\n");
    // A lone CR or LF also forces the ':' since it is written as a space.
    assert_eq!(line_of(None, "PRIVMSG", &["#r", "a\nb"]), "PRIVMSG #r :a b\r\n");
}

#[test]
fn long_last_param_is_cut_to_512_bytes() {
    let text = "a".repeat(600);
    let line = line_of(Some("alice!a@host"), "PRIVMSG", &["#rust", &text]);
    assert_eq!(line.len(), MAX_LINE_BYTES);
    assert!(line.starts_with(":alice!a@host PRIVMSG #rust :aaa"));
    assert!(line.ends_with("a\r\n"));
}

#[test]
fn truncation_never_splits_a_character() {
    // Every alignment of 1-, 2-, 3- and 4-byte characters against the cut.
    for filler in ["a", "\u{e9}", "\u{20ac}", "\u{1f600}"] {
        for shift in 0..4 {
            let text = format!("{}{}", "x".repeat(shift), filler.repeat(600));
            let line = line_of(Some("srv"), "NOTICE", &["bob", &text]);
            assert!(line.len() <= MAX_LINE_BYTES, "{filler} {shift}: {}", line.len());
            assert!(line.len() > MAX_LINE_BYTES - 4, "{filler} {shift}: cut too much");
            let body = line.strip_suffix("\r\n").unwrap();
            let m = parse(body).unwrap();
            assert!(text.starts_with(m.param(1).unwrap()), "{filler} {shift}");
        }
    }
}

#[test]
fn to_line_is_cut_like_write_line_but_tags_do_not_count() {
    let mut m = msg("PRIVMSG", &["#a", &"\u{e9}".repeat(400)]);
    assert!(m.to_line().len() <= MAX_LINE_BYTES - 2);
    m.tags = vec![("t".into(), Some("v".repeat(100)))];
    let line = m.to_line();
    let (tags, body) = line.split_once(' ').unwrap();
    assert_eq!(tags.len(), 103);
    assert!(body.len() <= MAX_LINE_BYTES - 2 && body.len() >= MAX_LINE_BYTES - 3);
}

#[test]
fn text_cut_to_nothing_still_gets_a_colon() {
    let prefix = "p".repeat(480);
    let line = line_of(Some(&prefix), "PRIVMSG", &["#channel-name-x", "textual"]);
    assert_eq!(line.len(), MAX_LINE_BYTES);
    assert!(line.ends_with(" #channel-name-x :tex\r\n"), "{line}");

    let prefix = "p".repeat(483);
    let line = line_of(Some(&prefix), "PRIVMSG", &["#channel-name-x", "text"]);
    assert!(line.ends_with(" #channel-name-x :\r\n"), "{line}");
    assert!(line.len() <= MAX_LINE_BYTES);
}

#[test]
fn oversized_head_is_cut_too() {
    let nick = "\u{e9}".repeat(400);
    let line = line_of(Some("srv"), "353", &[&nick, "=", "#a", "x y"]);
    assert!(line.len() <= MAX_LINE_BYTES);
    assert!(line.ends_with("\r\n"));
    assert!(std::str::from_utf8(line.as_bytes()).is_ok());
    assert!(line_of(Some(&"p".repeat(600)), "PING", &[]).len() <= MAX_LINE_BYTES);
}

#[test]
fn text_budget_fills_a_line_exactly() {
    let (prefix, command, target) = ("alice!a@host.example", "PRIVMSG", "#rust");
    let budget = text_budget(prefix, command, target);
    assert_eq!(budget, 512 - (1 + 20 + 1 + 7 + 1 + 5 + 2 + 2));
    let text = format!("{} {}", "w".repeat(budget / 2), "w".repeat(budget - budget / 2 - 1));
    assert_eq!(text.len(), budget);
    let line = line_of(Some(prefix), command, &[target, &text]);
    assert_eq!(line.len(), MAX_LINE_BYTES);
    assert_eq!(parse(line.trim_end()).unwrap().param(1), Some(text.as_str()));
    assert_eq!(text_budget(&"p".repeat(600), command, target), 0);
}

/// Checks that `pieces` are consecutive slices of `text`, each gap being one dropped space.
fn assert_covers(text: &str, pieces: &[&str], max_bytes: usize) {
    let base = text.as_ptr() as usize;
    let mut end = 0;
    for (i, piece) in pieces.iter().enumerate() {
        assert!(!piece.is_empty(), "piece {i} is empty");
        assert!(piece.len() <= max_bytes.max(4), "piece {i} has {} bytes", piece.len());
        let start = piece.as_ptr() as usize - base;
        if start != end {
            assert_eq!(start, end + 1, "piece {i} skips more than one byte");
            assert_eq!(text.as_bytes().get(end), Some(&b' '), "piece {i} skips a non-space");
        }
        end = start + piece.len();
    }
    // The last split may have dropped a space that ended the text.
    let dropped_last_space = end + 1 == text.len() && text.ends_with(' ');
    assert!(end == text.len() || dropped_last_space, "text lost at the end");
}

#[test]
fn split_text_keeps_short_text_whole() {
    assert_eq!(split_text("hello world", 100), ["hello world"]);
    assert_eq!(split_text("hello", 5), ["hello"]);
    assert!(split_text("", 10).is_empty());
}

#[test]
fn split_text_breaks_at_a_late_space() {
    assert_eq!(split_text("hello world again", 12), ["hello world", "again"]);
    assert_eq!(split_text("aaaa bbbb", 4), ["aaaa", "bbbb"]);
    // The only space is early in the piece: cut by bytes instead of leaving a stub.
    assert_eq!(split_text("a bcdefghij", 8), ["a bcdefg", "hij"]);
    assert_eq!(split_text("abcdefghij", 4), ["abcd", "efgh", "ij"]);
}

#[test]
fn split_text_cuts_only_at_char_boundaries() {
    let text = "\u{e9}\u{20ac}\u{1f600}".repeat(50);
    for max in 4..40 {
        let pieces = split_text(&text, max);
        assert_covers(&text, &pieces, max);
        assert_eq!(pieces.concat(), text, "max {max}");
    }
}

#[test]
fn split_text_never_exceeds_the_budget_and_loses_nothing() {
    let mut rng = XorShift(42);
    let alphabet = ["a", "b", " ", " ", "\u{e9}", "\u{20ac}", "\u{1f600}", ":", "\u{1}"];
    for _ in 0..3_000 {
        let len = (rng.next() % 300) as usize;
        let text: String = (0..len).map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize]).collect();
        let max = 4 + (rng.next() % 60) as usize;
        assert_covers(&text, &split_text(&text, max), max);
    }
}

#[test]
fn split_text_with_a_tiny_budget_still_progresses() {
    assert_eq!(split_text("\u{1f600}\u{1f600}", 2), ["\u{1f600}", "\u{1f600}"]);
    assert_eq!(split_text("ab", 0), ["a", "b"]);
}

#[test]
fn split_text_pieces_fit_the_text_budget() {
    let text = "lorem ipsum dolor sit amet ".repeat(60);
    let (prefix, target) = ("bob!b@example.org", "#rust");
    let budget = text_budget(prefix, "PRIVMSG", target);
    let pieces = split_text(text.trim_end(), budget);
    assert!(pieces.len() > 1);
    for piece in pieces {
        let line = line_of(Some(prefix), "PRIVMSG", &[target, piece]);
        assert!(line.len() <= MAX_LINE_BYTES);
        assert_eq!(parse(line.trim_end()).unwrap().param(1), Some(piece));
    }
}

#[test]
fn ctcp_action_is_recognised_with_or_without_closing_delimiter() {
    assert_eq!(ctcp_action("\u{1}ACTION waves\u{1}"), Some("waves"));
    assert_eq!(ctcp_action("\u{1}ACTION waves hello"), Some("waves hello"));
    assert_eq!(ctcp_action("\u{1}action waves\u{1}"), Some("waves"));
    assert_eq!(ctcp_action("\u{1}ACTION\u{1}"), Some(""));
    assert_eq!(ctcp_action("\u{1}ACTION \u{1f600}\u{1}"), Some("\u{1f600}"));
}

#[test]
fn other_text_is_not_an_action() {
    assert_eq!(ctcp_action("ACTION waves"), None);
    assert_eq!(ctcp_action("\u{1}VERSION\u{1}"), None);
    assert_eq!(ctcp_action("\u{1}ACTIONS x\u{1}"), None);
    assert_eq!(ctcp_action("\u{1}"), None);
    assert_eq!(ctcp_action("\u{1}\u{1}"), None);
    assert_eq!(ctcp_action(""), None);
}

#[test]
fn encode_action_round_trips() {
    let encoded = encode_action("dances \u{e9}");
    assert_eq!(encoded, "\u{1}ACTION dances \u{e9}\u{1}");
    assert_eq!(encoded.len(), "dances \u{e9}".len() + ACTION_OVERHEAD_BYTES);
    assert_eq!(ctcp_action(&encoded), Some("dances \u{e9}"));
}

#[test]
fn fold_is_ascii_only() {
    assert_eq!(fold("Alice"), "alice");
    assert_eq!(fold("#RuSt"), "#rust");
    // Unlike rfc1459 casemapping, brackets and friends stay as they are.
    assert_eq!(fold("Nick[]\\~"), "nick[]\\~");
    assert_eq!(fold("\u{c9}T\u{c9}"), "\u{c9}t\u{c9}");
    assert_eq!(fold("Alice"), fold("ALICE"));
}

#[test]
fn channels_start_with_hash() {
    assert!(is_channel("#rust"));
    assert!(is_channel("#"));
    assert!(!is_channel("rust"));
    assert!(!is_channel("&local"));
    assert!(!is_channel(""));
}

#[test]
fn comma_lists_skip_empty_items() {
    assert_eq!(split_list("#a,#b").collect::<Vec<_>>(), ["#a", "#b"]);
    assert_eq!(split_list(",#a,,#b,").collect::<Vec<_>>(), ["#a", "#b"]);
    assert_eq!(split_list("").count(), 0);
    assert_eq!(split_list(",,,").count(), 0);
}

//! Unit tests of `head`: good heads, and a table of hostile ones with the status each gets.

use super::*;

fn parse(text: &str) -> Result<Option<(Head, usize)>, RequestError> {
    parse_head(text.as_bytes(), &Limits::default())
}

fn head(text: &str) -> Head {
    match parse(text) {
        Ok(Some((head, len))) => {
            assert_eq!(len, text.len(), "head length of {text:?}");
            head
        }
        other => panic!("{text:?} gave {other:?}"),
    }
}

fn error(text: &str) -> RequestError {
    match parse(text) {
        Err(error) => error,
        other => panic!("{text:?} gave {other:?}, not an error"),
    }
}

#[test]
fn a_browser_get_is_read_in_full() {
    let head = head(
        "GET /events?after=42&x=%20y HTTP/1.1\r\nHost: chat.example.org:6667\r\n\
         Accept: text/event-stream\r\nCookie: a=1\r\nCookie: chatd_session=tok\r\n\
         Last-Event-ID: 41\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 10.0.0.1\r\n\
         If-None-Match: \"a\"\r\nUser-Agent: test\r\n\r\n",
    );
    assert_eq!(head.method, Method::Get);
    assert_eq!(head.path, "/events");
    assert_eq!(head.query.as_deref(), Some("after=42&x=%20y"));
    assert_eq!(head.version, Version::Http11);
    assert!(head.keep_alive);
    assert_eq!(head.content_length, 0);
    assert_eq!(head.host.as_deref(), Some("chat.example.org:6667"));
    assert_eq!(head.accept.as_deref(), Some("text/event-stream"));
    assert_eq!(head.cookie.as_deref(), Some("a=1; chatd_session=tok"));
    assert_eq!(head.last_event_id.as_deref(), Some("41"));
    assert_eq!(head.forwarded_for.as_deref(), Some("1.2.3.4, 10.0.0.1"));
    assert_eq!(head.if_none_match.as_deref(), Some("\"a\""));
    assert_eq!(head.origin, None);
}

#[test]
fn a_post_names_its_body_and_session() {
    let head = head(
        "POST /say HTTP/1.1\r\nhost: h\r\ncontent-length: 12\r\ncontent-type: application/json\r\n\
         origin: http://h\r\nx-chatd-session:   tok  \r\n\r\n",
    );
    assert_eq!(head.method, Method::Post);
    assert_eq!(head.content_length, 12);
    assert_eq!(head.content_type.as_deref(), Some("application/json"));
    assert_eq!(head.origin.as_deref(), Some("http://h"));
    assert_eq!(head.session.as_deref(), Some("tok"));
    assert!(!head.expect_continue);
}

#[test]
fn keep_alive_follows_rfc_9112_section_9_3() {
    let keeps = |text: &str| head(text).keep_alive;
    assert!(keeps("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert!(!keeps("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
    assert!(!keeps("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n"));
    assert!(!keeps("GET / HTTP/1.0\r\n\r\n"));
    assert!(keeps("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert!(!keeps("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
    assert!(keeps("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: x\r\n\r\n"));
}

#[test]
fn partial_heads_wait_for_more() {
    for text in ["", "G", "GET", "GET /", "GET / HTTP/1.", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: h\r\n"] {
        assert_eq!(parse(text), Ok(None), "{text:?}");
    }
    // A later 1.x minor version is only known once its line ends.
    assert_eq!(parse("GET / HTTP/1.2"), Ok(None));
}

#[test]
fn targets_become_paths() {
    let path = |target: &str| {
        let head = head(&format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n"));
        (head.path, head.query)
    };
    assert_eq!(path("/"), ("/".to_owned(), None));
    assert_eq!(path("/a/b?"), ("/a/b".to_owned(), Some(String::new())));
    assert_eq!(path("/a?b?c"), ("/a".to_owned(), Some("b?c".to_owned())));
    assert_eq!(path("/a#frag"), ("/a".to_owned(), None));
    assert_eq!(path("http://h:6667/server-status?x=1"), ("/server-status".to_owned(), Some("x=1".to_owned())));
    assert_eq!(path("HTTPS://h"), ("/".to_owned(), None));
    assert_eq!(path("http://h?q"), ("/".to_owned(), Some("q".to_owned())));
    assert_eq!(head("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path, "*");
    // The target's authority wins over `Host` (RFC 9112 3.2.2).
    assert_eq!(head("GET http://a.example:80/x HTTP/1.1\r\nHost: b\r\n\r\n").host.as_deref(), Some("a.example:80"));
    assert_eq!(head("GET /x HTTP/1.1\r\nHost: [2001:db8::1]:6667\r\n\r\n").host.as_deref(), Some("[2001:db8::1]:6667"));
    assert_eq!(head("GET /x HTTP/1.1\r\nHost:\r\n\r\n").host.as_deref(), Some(""));
    for target in ["*", "h:443", "ftp://h/", "index.html", "http:///x", "http://u@h/"] {
        assert_eq!(error(&format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n")), RequestError::BadTarget, "{target}");
    }
}

#[test]
fn methods_are_case_sensitive_tokens() {
    assert_eq!(head("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").method, Method::Head);
    assert_eq!(head("get / HTTP/1.1\r\nHost: h\r\n\r\n").method, Method::Other("get".to_owned()));
    assert_eq!(head("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n").method.as_str(), "DELETE");
}

#[test]
fn empty_lines_before_the_request_line_are_skipped() {
    let text = "\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(parse(text).map(|parsed| parsed.map(|(_, len)| len)), Ok(Some(text.len())));
}

#[test]
fn bare_lf_line_ends_are_accepted() {
    // RFC 9112 2.2 lets a recipient take a lone LF as a line terminator.
    let head = head("GET /x HTTP/1.1\nHost: h\n\n");
    assert_eq!(head.path, "/x");
}

#[test]
fn later_minor_versions_are_read_as_1_1() {
    let head = head("GET /x HTTP/1.7\r\nHost: h\r\n\r\n");
    assert_eq!(head.version, Version::Http11);
    assert_eq!(head.path, "/x");
}

#[test]
fn other_major_versions_get_505() {
    let h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    for text in [h2_preface, "GET / HTTP/2.0\r\n\r\n", "GET / HTTP/3\r\n", "GET / HTTP/0.9\r\n", "GET / HTTP/2"] {
        assert_eq!(error(text), RequestError::UnsupportedVersion, "{text:?}");
        assert_eq!(error(text).status(), StatusCode::VERSION_NOT_SUPPORTED);
    }
}

#[test]
fn expect_100_continue_is_noted_and_others_refused() {
    let head = head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n");
    assert!(head.expect_continue);
    assert_eq!(error("GET / HTTP/1.1\r\nHost: h\r\nExpect: coffee\r\n\r\n").status(), StatusCode::EXPECTATION_FAILED);
    // HTTP/1.0 expectations are ignored (RFC 9110 10.1.1).
    assert!(!self::head("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

#[test]
fn identical_content_lengths_are_one() {
    assert_eq!(head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42, 42\r\n\r\n").content_length, 42);
    assert_eq!(head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n").content_length, 7);
    assert_eq!(head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0004096\r\n\r\n").content_length, 4096);
}

#[test]
fn limits_can_be_set() {
    let limits = Limits { max_head_bytes: 64, max_headers: 2, max_body_bytes: 10 };
    let small = |text: &str| parse_head(text.as_bytes(), &limits);
    assert!(matches!(small("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"), Ok(Some(_))));
    assert_eq!(
        small("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"),
        Err(RequestError::BodyTooLarge { length: 11, limit: 10 })
    );
    assert_eq!(small("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), Err(RequestError::TooManyHeaders { limit: 2 }));
    let long = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(60));
    assert_eq!(small(&long), Err(RequestError::HeadTooLarge { limit: 64 }));
    assert_eq!(small(&long[..70]), Err(RequestError::HeadTooLarge { limit: 64 }));
    assert_eq!(small(&long[..63]), Ok(None));
}

/// Hostile heads, each with the status it must get.
#[test]
fn hostile_heads_get_their_status() {
    let huge = format!("GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n", "a".repeat(9000));
    let flood: String = std::iter::once("GET / HTTP/1.1\r\nHost: h\r\n".to_owned())
        .chain((0..100).map(|i| format!("X{i}: y\r\n")))
        .collect();
    let flood = flood + "\r\n";
    let table: Vec<(&str, u16)> = vec![
        (" GET / HTTP/1.1\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400),
        ("GET /\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400),
        ("\0GET / HTTP/1.1\r\n\r\n", 400),
        ("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\n: novalue\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: y\r\n continued\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nOrigin: a\r\nOrigin: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-Chatd-Session: a\r\nx-chatd-session: a\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1,\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4097\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (&huge, 431),
        (&flood, 431),
    ];
    for (text, status) in table {
        let got = error(text);
        assert_eq!(got.status().code(), status, "{text:?} gave {got:?}");
        // Every error reads as a lowercase sentence without a trailing period.
        let message = got.to_string();
        assert!(!message.ends_with('.') && message.chars().next().is_some_and(|c| c.is_lowercase()), "{message}");
    }
}

#[test]
fn invalid_utf8_in_a_value_is_kept_lossily() {
    let mut bytes = b"GET / HTTP/1.1\r\nHost: h\r\nOrigin: a".to_vec();
    bytes.extend_from_slice(b"\xff\r\n\r\n");
    let (head, _) = parse_head(&bytes, &Limits::default()).unwrap().unwrap();
    assert_eq!(head.origin.as_deref(), Some("a\u{fffd}"));
}

#[test]
fn request_lines_are_detected_as_early_as_they_can_be() {
    let detect = |first: &str| detect_request_line(first.as_bytes());
    for line in [
        "GET / HTTP/1.1\r\n",
        "POST /say HTTP/1.0\n",
        "OPTIONS * HTTP/1.1\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM",
        "GET / HTTP/1.4\r\n",
        "GET / HTTP/2",
    ] {
        assert_eq!(detect(line), Some(true), "{line:?}");
    }
    // People's lines are told apart at the first byte that cannot open a method.
    for line in [
        "a",
        "hello world foo",
        "NICK alice\r\n",
        "Get lost",
        "GETTY",
        "/join #rust\n",
        "\r\nGET / HTTP/1.1\r\n",
        "\n",
        "\0",
        "FOO / HTTP/1.1\r\n",
    ] {
        assert_eq!(detect(line), Some(false), "{line:?}");
    }
    // A known method, but no request line.
    for line in ["GET / HTTP/1.1x", "GET /\r\n", "GET lost\n", "POST  /x HTTP/1.1\r\n"] {
        assert_eq!(detect(line), Some(false), "{line:?}");
    }
    for line in ["", "G", "GET", "PA", "GET ", "GET /index.html", "GET / HTTP/1.", "GET / HTTP/1.1", "GET / HTTP/1.1\r"]
    {
        assert_eq!(detect(line), None, "{line:?}");
    }
    // The header fields after the line play no part.
    assert_eq!(detect("GET / HTTP/1.1\r\nBad Field\r\n"), Some(true));
    // A line still unfinished at the head limit is HTTP (and gets 431); what follows is not read.
    let long = format!("GET /{}", "a".repeat(HTTP_MAX_HEAD_BYTES));
    assert_eq!(detect(&long[..HTTP_MAX_HEAD_BYTES - 1]), None);
    assert_eq!(detect(&long), Some(true));
    assert_eq!(detect(&format!("{long} \0\n")), Some(true));
}

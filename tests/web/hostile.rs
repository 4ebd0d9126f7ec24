//! Hostile input: garbage after a request line, a 10 MB body, a header flood, smuggling
//! shapes, binary bodies. Each gets its status and the close, and the server goes on serving
//! chat and HTTP. (A request line followed by silence is `routes`' 408 test.)

use crate::common::TIMEOUT;
use crate::common::http::{HttpClient, Req, flood_from_thread, one_shot};
use crate::common::web::login;
use crate::common::{Server, expect_said};
use std::net::Shutdown;
use std::time::Instant;

/// The server still serves: a fresh HTTP request and a chat line between two netcat users.
fn assert_serving(server: &mut Server) {
    server.assert_running();
    assert_eq!(one_shot(server, &Req::get("/favicon.ico")).status, 204);
    let mut alice = server.register("alice");
    let mut bob = server.register("bob");
    alice.expect("-- bob joined #lobby");
    bob.send("still here");
    expect_said(&mut alice, "<bob> still here");
}

/// Writes `bytes` from a thread (the server may stop reading and close: write errors are the
/// point, not failures) and returns what the server answered before closing. The server must
/// stop taking the bytes soon after its answer: the writer ends within `TIMEOUT`.
fn answer_to_flood(server: &Server, bytes: Vec<u8>) -> (crate::common::http::Response, Vec<u8>) {
    let mut http = HttpClient::connect(server);
    let writing = flood_from_thread(&http.stream, bytes);
    let response = http.read_response(false);
    assert!(response.closes(), "{response:?}");
    let rest = http.read_to_close();
    let answered = Instant::now();
    writing.join().unwrap();
    assert!(answered.elapsed() < TIMEOUT, "the server read on for {:?} after its answer", answered.elapsed());
    (response, rest)
}

#[test]
fn binary_garbage_after_a_request_line_gets_400_and_the_close() {
    let mut server = Server::start(&[]);
    // Bytes from a fixed generator: NULs, high bytes, bare CRs, stray colons and line ends.
    let mut state = 0x2545_f491_u32;
    let garbage: Vec<u8> = (0..3000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    for tail in [&garbage[..], b"\0\0\0\r\n\r\n", b"\xff\xfe: x\r\n\r\n", b"Host: a\r\n\x01\x02\r\n\r\n"] {
        let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
        bytes.extend_from_slice(tail);
        let (response, rest) = answer_to_flood(&server, bytes);
        assert!(matches!(response.status, 400 | 431), "{response:?}");
        assert!(rest.is_empty(), "after {}: {rest:?}", response.status);
    }
    server.expect_log(&[" INFO http ", "status=400 ", "error="]);
    assert_serving(&mut server);
}

#[test]
fn a_ten_megabyte_body_gets_413_and_the_close_and_the_server_is_fine() {
    let mut server = Server::start(&[]);
    let body_len = 10 << 20;
    for path in ["/api/login", "/api/send", "/nope"] {
        let mut bytes = format!("POST {path} HTTP/1.1\r\nHost: a\r\nContent-Length: {body_len}\r\n\r\n").into_bytes();
        bytes.resize(bytes.len() + body_len, b'A');
        let (response, rest) = answer_to_flood(&server, bytes);
        assert_eq!(response.status, 413, "{path}: {response:?}");
        assert_eq!(response.reason, "Content Too Large");
        assert!(rest.is_empty(), "after 413: {} bytes", rest.len());
    }
    // A length past any integer is refused the same way.
    let huge = b"POST /api/send HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n".to_vec();
    assert_eq!(answer_to_flood(&server, huge).0.status, 413);
    // And ten megabytes with no length at all, after a good request: the rest is no request.
    let mut bytes = Req::get("/favicon.ico").bytes(server.addr);
    bytes.resize(bytes.len() + body_len, b'A');
    let mut http = HttpClient::connect(&server);
    let writing = flood_from_thread(&http.stream, bytes);
    assert_eq!(http.read_response(false).status, 204);
    let second = http.read_response(false);
    assert!(matches!(second.status, 400 | 431), "{second:?}");
    http.read_to_close();
    let answered = Instant::now();
    writing.join().unwrap();
    assert!(answered.elapsed() < TIMEOUT, "the server read on for {:?}", answered.elapsed());
    assert_serving(&mut server);
}

#[test]
fn a_header_flood_gets_431_without_the_server_reading_it_all() {
    let mut server = Server::start(&[]);
    let mut bytes = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    while bytes.len() < 4 << 20 {
        bytes.extend_from_slice(b"X-Flood: 0123456789abcdef\r\n");
    }
    let (response, _) = answer_to_flood(&server, bytes);
    assert_eq!(response.status, 431, "{response:?}");
    // One field of a megabyte, too.
    let mut long = b"GET / HTTP/1.1\r\nHost: a\r\nCookie: ".to_vec();
    long.resize(long.len() + (1 << 20), b'c');
    assert_eq!(answer_to_flood(&server, long).0.status, 431);
    assert_serving(&mut server);
}

#[test]
fn smuggling_shapes_are_refused() {
    let server = Server::start(&[]);
    let cases: [(&[u8], u16); 4] = [
        (b"POST /api/send HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400),
        (b"POST /api/send HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"POST /api/send HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\n Folded: x\r\n\r\n", 400),
    ];
    for (bytes, status) in cases {
        let (response, _) = answer_to_flood(&server, bytes.to_vec());
        assert_eq!(response.status, status, "{:?}: {response:?}", String::from_utf8_lossy(bytes));
    }
}

#[test]
fn binary_bodies_are_cleaned_like_netcat_input() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let binary_nick = one_shot(
        &server,
        &Req::post("/api/login", b"\xff\xfe\0bad").field("Origin", &crate::common::web::origin(server.addr)),
    );
    assert_eq!(binary_nick.status, 400, "{binary_nick:?}");
    let user = login(&server, "webber");
    alice.expect("-- webber joined #lobby");
    let response = one_shot(&server, &user.send_request("café \u{7}bell\u{1b}[31m red").close());
    assert_eq!(response.status, 204);
    let line = alice.expect("<webber> ");
    assert!(line.contains("<webber> café") && line.contains("red"), "{line}");
    assert!(!line.contains('\u{7}') && !line.contains('\u{1b}'), "control bytes passed: {line:?}");
}

#[test]
fn a_client_that_half_closes_after_its_request_still_gets_the_answer() {
    // `printf 'GET /server-status HTTP/1.0\r\n\r\n' | nc -N host port` and the like: the
    // request, then end of input. The answer must still come before the close.
    let server = Server::start(&[]);
    for _ in 0..20 {
        let mut http = HttpClient::connect(&server);
        http.send_raw(b"GET /server-status HTTP/1.0\r\n\r\n");
        http.stream.shutdown(Shutdown::Write).unwrap();
        let response = http.read_response(false);
        assert_eq!(response.status, 200, "{response:?}");
        assert!(response.text().starts_with("Version: "));
    }
}

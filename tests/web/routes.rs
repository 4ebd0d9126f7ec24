//! Every route and status of the plain HTTP side: the page and its assets, favicon, 404 and the
//! redirect, 405, the errors that close (400, 413, 431, 408, 505), keep-alive and pipelining.

use crate::common::Server;
use crate::common::http::{HttpClient, Req, one_shot};
use std::time::{Duration, Instant};

/// The fields every answer carrying the page or an asset must have.
fn assert_security_fields(response: &crate::common::http::Response) {
    let csp = response.must("Content-Security-Policy");
    assert!(csp.split(';').any(|d| d.trim() == "default-src 'self'"), "CSP {csp:?}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "CSP {csp:?}");
    assert_eq!(response.field("X-Content-Type-Options"), Some("nosniff"));
    assert!(response.field("Referrer-Policy").is_some(), "{response:?}");
}

#[test]
fn the_page_and_its_assets_are_served_with_the_security_fields() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    for (path, kind) in [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
    ] {
        let response = http.request(&Req::get(path));
        assert_eq!(response.status, 200, "{path}: {response:?}");
        assert_eq!(response.reason, "OK");
        // One type only: with nosniff a script served as text/html would not run.
        assert_eq!(response.count("Content-Type"), 1, "{path}: {response:?}");
        assert_eq!(response.field("Content-Type"), Some(kind), "{path}");
        assert_security_fields(&response);
        assert!(!response.closes(), "{path} closed a keep-alive connection");
        assert!(!response.body.is_empty(), "{path} is empty");
        assert!(response.field("Date").is_some_and(|d| d.ends_with(" GMT")), "{response:?}");
    }
}

#[test]
fn head_gets_the_fields_of_get_and_no_body() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    let get = http.request(&Req::get("/app.js"));
    let head = http.request(&Req::new("HEAD", "/app.js"));
    assert_eq!(head.status, 200);
    assert_eq!(head.field("Content-Length"), Some(get.body.len().to_string().as_str()));
    assert_eq!(head.field("Content-Type"), get.field("Content-Type"));
    assert_security_fields(&head);
    // Had HEAD's answer carried a body, it would be read as the start of this answer.
    let status = http.request(&Req::new("HEAD", "/server-status"));
    assert_eq!(status.status, 200);
    let after = http.request(&Req::get("/favicon.ico").close());
    assert_eq!(after.status, 204, "{after:?}");
    http.expect_closed();
}

#[test]
fn favicon_is_answered_with_no_content_and_unknown_paths_with_404() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    let favicon = http.request(&Req::get("/favicon.ico"));
    assert_eq!((favicon.status, favicon.body.len()), (204, 0), "{favicon:?}");
    assert!(favicon.field("Content-Length").is_none(), "204 has no Content-Length: {favicon:?}");
    for path in ["/nope", "/api", "/api/", "/app.js/x", "/server-status/", "/%2e%2e/etc/passwd"] {
        let missing = http.request(&Req::get(path));
        assert_eq!(missing.status, 404, "{path}: {missing:?}");
        assert_eq!(missing.reason, "Not Found");
        assert!(!missing.closes(), "a 404 keeps the connection");
    }
    let line = server.expect_log(&[" INFO http ", "method=GET ", "path=/nope ", "status=404 "]);
    assert!(line.contains("peer=127.0.0.1"), "{line}");
}

#[test]
fn http_redirect_sends_unknown_paths_away_with_301() {
    let server = Server::start(&["--http-redirect", "https://example.org/chat"]);
    let mut http = HttpClient::connect(&server);
    let moved = http.request(&Req::get("/wiki/Main_Page?x=1"));
    assert_eq!(moved.status, 301, "{moved:?}");
    assert_eq!(moved.reason, "Moved Permanently");
    assert_eq!(moved.field("Location"), Some("https://example.org/chat"));
    // Known paths are still served.
    assert_eq!(http.request(&Req::get("/app.css")).status, 200);
    assert_eq!(http.request(&Req::get("/favicon.ico")).status, 204);
}

#[test]
fn a_wrong_method_gets_405_with_allow() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    for (method, path, allow) in [
        ("POST", "/", "GET, HEAD"),
        ("PUT", "/server-status", "GET, HEAD"),
        // Regression: a 405 on the stream's path left the connection parked, never read again.
        ("DELETE", "/api/events", "GET, HEAD"),
        ("POST", "/api/poll", "GET, HEAD"),
        ("GET", "/api/login", "POST"),
        ("HEAD", "/api/send", "POST"),
        ("OPTIONS", "/metrics", "GET, HEAD"),
    ] {
        let request = Req::new(method, path).field("Content-Length", "0");
        let response = http.request(&request);
        assert_eq!(response.status, 405, "{method} {path}: {response:?}");
        assert_eq!(response.field("Allow"), Some(allow), "{method} {path}");
    }
}

/// Sends `bytes` on a fresh connection; the answer must be `status` and then the close.
fn refused(server: &Server, bytes: &[u8], status: u16) -> crate::common::http::Response {
    let mut http = HttpClient::connect(server);
    http.send_raw(bytes);
    let response = http.read_response(false);
    assert_eq!(response.status, status, "{:?}: {response:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(80)]));
    assert!(response.closes(), "{response:?}");
    http.expect_closed();
    response
}

#[test]
fn broken_requests_get_400_and_the_connection_closes() {
    let server = Server::start(&[]);
    refused(&server, b"GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", 400);
    refused(&server, b"GET / HTTP/1.1\r\n\r\n", 400); // HTTP/1.1 without Host
    refused(&server, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    refused(&server, b"POST /api/send HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 400);
    refused(&server, b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400);
    let response = refused(&server, b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411);
    assert_eq!(response.reason, "Length Required");
    server.expect_log(&[" INFO http ", "status=400 ", "error="]);
}

#[test]
fn a_body_over_the_limit_gets_413_and_a_head_over_the_limit_431() {
    let server = Server::start(&[]);
    let body = vec![b'x'; 4097];
    let mut bytes = Req::post("/api/login", b"").bytes(server.addr);
    bytes.truncate(bytes.len() - b"Content-Length: 0\r\n\r\n".len());
    bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    let response = refused(&server, &bytes, 413);
    assert_eq!(response.reason, "Content Too Large");
    // 4096 is still fine (and then the login is just a bad nickname).
    let ok = one_shot(&server, &Req::post("/api/login", &[b'x'; 4096]).field("Origin", "http://elsewhere"));
    assert_eq!(ok.status, 403, "{ok:?}");

    let long = format!("GET / HTTP/1.1\r\nHost: a\r\nX-Long: {}\r\n\r\n", "y".repeat(9000));
    let response = refused(&server, long.as_bytes(), 431);
    assert_eq!(response.reason, "Request Header Fields Too Large");
    let mut many = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
    for i in 0..100 {
        many.push_str(&format!("X-{i}: 1\r\n"));
    }
    many.push_str("\r\n");
    refused(&server, many.as_bytes(), 431);
}

#[test]
fn other_major_versions_get_505() {
    let server = Server::start(&[]);
    let response = refused(&server, b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    assert_eq!(response.reason, "HTTP Version Not Supported");
    refused(&server, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
    // A later 1.x is read as 1.1, and answered as 1.1.
    let mut http = HttpClient::connect(&server);
    http.send_raw(b"GET /favicon.ico HTTP/1.7\r\nHost: a\r\n\r\n");
    assert_eq!(http.read_response(false).status, 204);
}

/// The one test that waits out the server's clock: a head not complete within 10 s gets 408.
#[test]
fn a_head_not_complete_in_ten_seconds_gets_408_and_the_close() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    let started = Instant::now();
    http.send_raw(b"GET / HTTP/1.1\r\nHost: a\r\n");
    // Other connections are served meanwhile: the slow one holds only its own thread.
    let mut other = HttpClient::connect(&server);
    assert_eq!(other.request(&Req::get("/favicon.ico")).status, 204);
    let response = http.read_head_by(started + Duration::from_secs(14));
    let waited = started.elapsed();
    assert_eq!(response.status, 408, "{response:?}");
    assert!(waited >= Duration::from_millis(9500), "408 after only {waited:?}");
    assert!(response.closes());
    let rest = http.read_to_close();
    assert_eq!(rest.len(), response.must("Content-Length").parse::<usize>().unwrap());
    assert_eq!(other.request(&Req::get("/favicon.ico")).status, 204, "the other connection is still served");
    // A client that sends on after its 408 is read for a bounded time only, then cut off
    // (regression: it was read as long as it sent, holding a thread the broker had let go).
    let answered = Instant::now();
    let writing = crate::common::http::flood_from_thread(&http.stream, vec![b'x'; 8 << 20]);
    let all_taken = writing.join().unwrap();
    assert!(!all_taken, "8 MiB taken after the 408");
    assert!(answered.elapsed() < crate::common::TIMEOUT, "read on for {:?} after the 408", answered.elapsed());
}

#[test]
fn two_requests_share_a_kept_alive_connection() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    let first = http.request(&Req::get("/server-status"));
    let second = http.request(&Req::get("/app.css"));
    assert_eq!((first.status, second.status), (200, 200));
    assert!(!first.closes() && !second.closes());
    // HTTP/1.0 closes unless it asks to keep alive.
    let mut old = HttpClient::connect(&server);
    old.send_raw(b"GET /favicon.ico HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let kept = old.read_response(false);
    assert_eq!(kept.field("Connection"), Some("keep-alive"));
    old.send_raw(b"GET /favicon.ico HTTP/1.0\r\n\r\n");
    assert!(old.read_response(false).closes());
    old.expect_closed();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = Server::start(&[]);
    let mut http = HttpClient::connect(&server);
    let requests = [
        Req::get("/app.css"),
        Req::get("/nope"),
        Req::new("HEAD", "/"),
        Req::get("/server-status?format=json"),
        Req::get("/favicon.ico"),
        Req::get("/api/login"),
        Req::get("/server-status").close(),
    ];
    let mut bytes = Vec::new();
    for request in &requests {
        bytes.extend_from_slice(&request.bytes(server.addr));
    }
    // One write, so the server reads them together.
    http.send_raw(&bytes);
    let statuses: Vec<u16> = requests.iter().enumerate().map(|(i, _)| http.read_response(i == 2).status).collect();
    assert_eq!(statuses, [200, 404, 200, 200, 204, 405, 200]);
    http.expect_closed();
}

//! Web sessions: login (the cookie, taken and invalid nicknames, the origin rule),
//! `/api/session`, and what `/api/send` demands (session, token, origin, the flood rule).

use crate::common::Server;
use crate::common::http::{Req, one_shot};
use crate::common::netcat::expect_exact;
use crate::common::web::{login, login_request, origin};

#[test]
fn login_sets_an_http_only_strict_cookie_and_the_netcat_users_see_the_joiner() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let response = login_request(&server, "webber");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.field("Cache-Control"), Some("no-store"));
    let answer = response.json();
    assert_eq!(answer.text("nick"), "webber");
    let token = answer.text("token");
    assert!(token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "token {token:?}");
    assert_eq!(response.count("Set-Cookie"), 1);
    let cookie = response.must("Set-Cookie");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert_eq!(attributes[0], format!("chatd_session={token}"));
    for wanted in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&wanted), "{wanted} missing from {cookie:?}");
    }
    expect_exact(&mut alice, "-- webber joined #lobby");
    server.expect_log(&[" INFO connect ", "peer=127.0.0.1", "dialect=web"]);
    // Two logins get two different tokens.
    let other = login(&server, "other");
    assert_ne!(other.token, token);
}

#[test]
fn a_nickname_held_by_a_netcat_user_is_refused_with_409_and_the_reason() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    for nick in ["alice", "ALICE"] {
        let refused = login_request(&server, nick);
        assert_eq!(refused.status, 409, "{nick}: {refused:?}");
        assert!(refused.field("Set-Cookie").is_none());
        let error = refused.json();
        assert!(error.text("error").contains("taken"), "{error}");
    }
    // Nothing happened in the room: the very next line alice gets is her own round trip's.
    alice.expect_nothing_before_round_trip();
}

#[test]
fn an_invalid_nickname_is_refused_with_400_and_the_reason() {
    let server = Server::start(&[]);
    for nick in ["", "has space", "#room", &"x".repeat(100), "<script>"] {
        let refused = login_request(&server, nick);
        assert_eq!(refused.status, 400, "{nick:?}: {refused:?}");
        assert!(refused.field("Set-Cookie").is_none());
        assert!(!refused.json().text("error").is_empty());
    }
    // None of them holds a seat.
    assert_eq!(
        one_shot(&server, &Req::get("/server-status?format=json")).json().get("clients_by_dialect").get("web").u64(),
        0
    );
}

#[test]
fn login_without_the_pages_origin_is_refused_with_403() {
    let server = Server::start(&[]);
    let post = |origin: Option<&str>| {
        let request = Req::post("/api/login", b"mallory");
        one_shot(
            &server,
            &match origin {
                Some(origin) => request.field("Origin", origin),
                None => request,
            },
        )
    };
    for origin in [None, Some("http://evil.example"), Some("null"), Some(&format!("http://{}.evil", server.addr))] {
        let refused = post(origin);
        assert_eq!(refused.status, 403, "{origin:?}: {refused:?}");
        assert!(refused.field("Set-Cookie").is_none());
    }
    // The nickname was never taken.
    let ok = post(Some(&origin(server.addr)));
    assert_eq!(ok.status, 200, "{ok:?}");
}

#[test]
fn api_session_names_a_live_session_and_404_otherwise() {
    let server = Server::start(&[]);
    let user = login(&server, "webber");
    let found = one_shot(&server, &Req::get("/api/session").field("Cookie", &format!("theme=dark; {}", user.cookie)));
    assert_eq!(found.status, 200, "{found:?}");
    let answer = found.json();
    assert_eq!((answer.text("nick"), answer.text("token")), ("webber", user.token.as_str()));
    assert_eq!(found.field("Cache-Control"), Some("no-store"));

    let none = one_shot(&server, &Req::get("/api/session"));
    assert_eq!(none.status, 404);
    assert!(!none.json().text("error").is_empty());
    let forged =
        one_shot(&server, &Req::get("/api/session").field("Cookie", "chatd_session=00112233445566778899aabbccddeeff"));
    assert_eq!(forged.status, 404);

    // After /quit the session is gone.
    user.say(&server, "/quit bye");
    assert_eq!(one_shot(&server, &Req::get("/api/session").field("Cookie", &user.cookie)).status, 404);
}

#[test]
fn send_needs_the_session_the_token_and_the_origin() {
    let server = Server::start(&[]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    alice.expect("-- webber joined #lobby");
    let page = origin(server.addr);

    let no_session = one_shot(&server, &Req::post("/api/send", b"hi").field("Origin", &page));
    assert_eq!(no_session.status, 401, "{no_session:?}");
    assert!(!no_session.json().text("error").is_empty());
    let unknown = Req::post("/api/send", b"hi")
        .field("Origin", &page)
        .field("Cookie", "chatd_session=00112233445566778899aabbccddeeff")
        .field("X-Chatd-Session", "00112233445566778899aabbccddeeff");
    assert_eq!(one_shot(&server, &unknown).status, 401);

    let base = || Req::post("/api/send", b"forged").field("Cookie", &user.cookie);
    let cases = [
        ("no token", base().field("Origin", &page)),
        ("wrong token", base().field("Origin", &page).field("X-Chatd-Session", "0123")),
        ("no origin", base().field("X-Chatd-Session", &user.token)),
        ("foreign origin", base().field("X-Chatd-Session", &user.token).field("Origin", "https://evil.example")),
    ];
    for (what, request) in cases {
        let refused = one_shot(&server, &request);
        assert_eq!(refused.status, 403, "{what}: {refused:?}");
    }
    // None of the refused lines reached the room; a good one does.
    user.say(&server, "real");
    let line = alice.expect("<webber>");
    assert!(line.ends_with("<webber> real"), "{line}");
}

#[test]
fn send_answers_429_with_retry_after_when_flooding() {
    let server = Server::start(&["--flood-burst", "3", "--flood-rate", "1"]);
    let mut alice = server.register("alice");
    let user = login(&server, "webber");
    alice.expect("-- webber joined #lobby");
    // Three at once, then one a second: well before ten, one is refused (however slow this
    // machine, ten posts do not take the seven seconds that would refill the bucket).
    let mut taken = 0;
    let refused = loop {
        let response = user.post(&server, &format!("line {taken}"));
        if response.status != 204 {
            break response;
        }
        taken += 1;
        assert!(taken < 10, "ten lines taken at once with --flood-burst 3 --flood-rate 1");
    };
    assert!(taken >= 3, "the burst of three was not taken: {taken}");
    assert_eq!(refused.status, 429, "{refused:?}");
    let retry: u64 = refused.must("Retry-After").parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    for i in 0..taken {
        alice.expect(&format!("<webber> line {i}"));
    }
    // The refused line was dropped, not queued.
    alice.expect_nothing_before_round_trip();
}

#[test]
fn behind_a_trusted_proxy_max_per_ip_counts_the_forwarded_address() {
    let server = Server::start(&["--trusted-proxy", "127.0.0.1", "--max-per-ip", "2"]);
    let login_from = |nick: &str, client: &str| {
        let request = Req::post("/api/login", nick.as_bytes())
            .field("Origin", &origin(server.addr))
            .field("X-Forwarded-For", client);
        one_shot(&server, &request)
    };
    assert_eq!(login_from("one", "203.0.113.7").status, 200);
    assert_eq!(login_from("two", "203.0.113.7").status, 200);
    let refused = login_from("three", "203.0.113.7");
    assert_eq!(refused.status, 429, "{refused:?}");
    assert!(refused.json().text("error").contains("too many sessions"), "{refused:?}");
    // Another browser behind the same proxy is its own address; the proxy itself is not limited.
    assert_eq!(login_from("four", "198.51.100.2").status, 200);
    server.expect_log(&[" INFO connect ", "peer=203.0.113.7", "dialect=web"]);
}

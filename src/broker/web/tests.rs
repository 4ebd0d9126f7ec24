//! Unit tests of the web face's pure helpers.

use super::delivery::{push_decimal, with_id};
use super::*;

#[test]
fn origins_must_match_the_host() {
    let head = |origin: Option<&str>, host: Option<&str>| {
        let mut head =
            crate::protocol::http::head::parse_head(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", &Default::default())
                .unwrap()
                .unwrap()
                .0;
        head.origin = origin.map(str::to_string);
        head.host = host.map(str::to_string);
        head
    };
    assert!(same_origin(&head(Some("http://chat.example:6667"), Some("chat.example:6667"))));
    assert!(same_origin(&head(Some("https://chat.example"), Some("chat.example"))));
    assert!(!same_origin(&head(Some("http://evil.example"), Some("chat.example"))));
    assert!(!same_origin(&head(None, Some("chat.example"))));
}

#[test]
fn every_asset_has_one_content_type_its_own() {
    for asset in &assets::ASSETS {
        let response = asset_response(asset);
        let bytes = String::from_utf8(response.to_bytes(0, None)).unwrap();
        let types: Vec<&str> = bytes.lines().filter(|l| l.starts_with("Content-Type:")).collect();
        assert_eq!(types, [format!("Content-Type: {}", asset.content_type)], "{}", asset.path);
        assert_eq!(response.field("X-Content-Type-Options"), Some("nosniff"));
        assert!(response.field("Content-Security-Policy").is_some());
    }
}

#[test]
fn poll_events_carry_their_ids() {
    assert_eq!(with_id(7, r#"{"t":"x"}"#), r#"{"id":7,"t":"x"}"#);
}

#[test]
fn tokens_are_random_hex() {
    let (a, b) = (new_token().unwrap(), new_token().unwrap());
    assert_eq!(a.len(), 32);
    assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

#[test]
fn decimals_are_written_as_digits() {
    for n in [0, 7, 10, 1234567890, u64::MAX] {
        let mut out = Vec::new();
        push_decimal(&mut out, n);
        assert_eq!(out, n.to_string().into_bytes());
    }
}

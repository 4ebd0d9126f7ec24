use super::*;

/// A test-side encoder (RFC 4648 4, padded), independent of the decoder under test.
fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let mut padded = [0u8; 3];
        padded[..group.len()].copy_from_slice(group);
        let bits = u32::from(padded[0]) << 16 | u32::from(padded[1]) << 8 | u32::from(padded[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn credentials(authcid: &str, password: &str) -> Credentials {
    Credentials { authcid: authcid.into(), password: password.into() }
}

#[test]
fn rfc_4648_test_vectors_decode() {
    for (text, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(decode_base64(encoded).as_deref(), Some(text.as_bytes()), "{encoded}");
        assert_eq!(encode(text.as_bytes()), encoded);
    }
    let every_byte: Vec<u8> = (0..=255).collect();
    assert_eq!(decode_base64(&encode(&every_byte)), Some(every_byte));
}

#[test]
fn only_canonical_padded_base64_decodes() {
    for bad in [
        "Zg",       // padding missing
        "Zg=",      // short group
        "Zg===",    // too long
        "Z===",     // three pads
        "Zg==Zm9v", // padding before the end
        "Zh==",     // bits left over after the padding
        "Zm9=",     // likewise
        "Zm 9v",    // a space
        "Zm9v\n",   // a line break
        "Zm-_",     // the URL-safe alphabet
        "=Zm9",     // padding first
        "Zm=v",     // padding inside a group
        "Zm9vé===", // not ASCII
    ] {
        assert_eq!(decode_base64(bad), None, "{bad:?}");
    }
}

#[test]
fn plain_responses_split_into_three_fields() {
    // The sasl-3.1 spec's example: jilles, jilles, sesame.
    assert_eq!(decode_plain("amlsbGVzAGppbGxlcwBzZXNhbWU="), Ok(credentials("jilles", "sesame")));
    let plain = |text: &str| decode_plain(&encode(text.as_bytes()));
    assert_eq!(plain("\0alice\0hunter2 with spaces"), Ok(credentials("alice", "hunter2 with spaces")));
    assert_eq!(plain("ALICE\0alice\0pw"), Ok(credentials("alice", "pw")));
    assert_eq!(plain("\0älice\0pässwörd"), Ok(credentials("älice", "pässwörd")));
    assert_eq!(plain("bob\0alice\0pw"), Err(PlainError::OtherIdentity));
    assert_eq!(plain("\0\0pw"), Err(PlainError::Empty));
    assert_eq!(plain("\0alice\0"), Err(PlainError::Empty));
    assert_eq!(plain("alice\0pw"), Err(PlainError::Shape));
    assert_eq!(plain("\0alice\0pw\0more"), Err(PlainError::Shape));
    assert_eq!(plain(""), Err(PlainError::Shape));
    assert_eq!(decode_plain(&encode(b"\0alice\0\xff\xfe")), Err(PlainError::NotUtf8));
    assert_eq!(decode_plain("not base64!"), Err(PlainError::Base64));
}

#[test]
fn debug_never_shows_a_password() {
    let shown = format!("{:?}", credentials("alice", "hunter2hunter2"));
    assert!(shown.contains("alice") && !shown.contains("hunter2"), "{shown}");
    let mut exchange = Exchange::default();
    exchange.step("PLAIN");
    exchange.step(&encode(b"\0alice\0hunter2hunter2").repeat(20)[..CHUNK_BYTES]);
    let shown = format!("{exchange:?}");
    assert_eq!(shown, "Exchange(receiving, 400 bytes)");
}

#[test]
fn a_short_response_in_one_chunk() {
    let mut exchange = Exchange::default();
    assert_eq!(exchange.step("PLAIN"), Step::Reply(SaslReply::Continue));
    assert!(exchange.in_progress());
    assert_eq!(exchange.step("amlsbGVzAGppbGxlcwBzZXNhbWU="), Step::Login(credentials("jilles", "sesame")));
    assert!(!exchange.in_progress());
    // Lower case is taken, and another exchange may follow (chat state says 907 if it must).
    assert_eq!(exchange.step("plain"), Step::Reply(SaslReply::Continue));
}

#[test]
fn a_long_response_in_400_byte_chunks() {
    let password = "p".repeat(500);
    let response = encode(format!("\0alice\0{password}").as_bytes());
    assert!(response.len() > CHUNK_BYTES && !response.len().is_multiple_of(CHUNK_BYTES));
    let mut exchange = Exchange::default();
    exchange.step("PLAIN");
    let (first, rest) = response.split_at(CHUNK_BYTES);
    assert_eq!(exchange.step(first), Step::MoreExpected);
    assert_eq!(exchange.buffered(), CHUNK_BYTES);
    assert_eq!(exchange.step(rest), Step::Login(credentials("alice", &password)));
}

#[test]
fn a_response_of_whole_chunks_ends_with_a_plus() {
    // 300 decoded bytes are exactly 400 base64 bytes.
    let password = "q".repeat(300 - "\0alice\0".len());
    let response = encode(format!("\0alice\0{password}").as_bytes());
    assert_eq!(response.len(), CHUNK_BYTES);
    let mut exchange = Exchange::default();
    exchange.step("PLAIN");
    assert_eq!(exchange.step(&response), Step::MoreExpected);
    assert_eq!(exchange.step("+"), Step::Login(credentials("alice", &password)));
    // An empty response (`+` alone) is no PLAIN response.
    exchange.step("PLAIN");
    assert_eq!(exchange.step("+"), Step::Reply(SaslReply::Failed));
    assert!(!exchange.in_progress());
}

#[test]
fn overlong_chunks_and_responses_are_refused() {
    let mut exchange = Exchange::default();
    exchange.step("PLAIN");
    assert_eq!(exchange.step(&"A".repeat(CHUNK_BYTES + 1)), Step::Reply(SaslReply::TooLong));
    assert!(!exchange.in_progress());
    exchange.step("PLAIN");
    for _ in 0..MAX_RESPONSE_BYTES / CHUNK_BYTES {
        assert_eq!(exchange.step(&"A".repeat(CHUNK_BYTES)), Step::MoreExpected);
    }
    assert_eq!(exchange.step("AAAA"), Step::Reply(SaslReply::TooLong));
    assert!(!exchange.in_progress());
    // Three full chunks and a `+` are within the bound (and decode to garbage here).
    exchange.step("PLAIN");
    for _ in 0..3 {
        exchange.step(&"A".repeat(CHUNK_BYTES));
    }
    assert_eq!(exchange.step("+"), Step::Reply(SaslReply::Failed));
}

#[test]
fn aborts_mechanisms_and_strays() {
    let mut exchange = Exchange::default();
    assert_eq!(exchange.step("*"), Step::Reply(SaslReply::Aborted));
    assert_eq!(exchange.step("EXTERNAL"), Step::Reply(SaslReply::Mechanisms));
    assert_eq!(exchange.step("SCRAM-SHA-256"), Step::Reply(SaslReply::Mechanisms));
    // Not a mechanism name: a response with no exchange started.
    assert_eq!(exchange.step("+"), Step::Reply(SaslReply::Failed));
    assert_eq!(exchange.step("amlsbGVzAGppbGxlcwBzZXNhbWU="), Step::Reply(SaslReply::Failed));
    assert!(!exchange.in_progress());
    exchange.step("PLAIN");
    assert_eq!(exchange.step("*"), Step::Reply(SaslReply::Aborted));
    assert!(!exchange.in_progress());
    exchange.step("PLAIN");
    assert!(exchange.abort());
    assert!(!exchange.abort());
    assert_eq!(exchange.step("garbage!"), Step::Reply(SaslReply::Failed));
}

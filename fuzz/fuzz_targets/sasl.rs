//! IRC SASL PLAIN (`chatd::protocol::irc::sasl`): the base64 and PLAIN decoders, and the
//! exchange that collects a response from 400-byte `AUTHENTICATE` chunks.
//!
//! Input: lines separated by LF, each the parameter of one `AUTHENTICATE` (decoded as the IRC
//! reader decodes a line, lossily); the whole input is also given to the decoders as it is.
//!
//! Checks: base64 decoding is canonical (what decodes re-encodes to exactly the same text) and
//! encoding any bytes decodes back to them; a decoded PLAIN response has a non-empty account and
//! password without NUL, and encodes back to the same credentials; the exchange never buffers
//! more than `MAX_RESPONSE_BYTES`, is in progress exactly after `AUTHENTICATE +` was answered or
//! a full chunk arrived, and every answer renders as valid IRC lines.
#![no_main]

mod common;

use chatd::protocol::irc::sasl::{self, CHUNK_BYTES, Exchange, MAX_RESPONSE_BYTES, Step};
use chatd::protocol::irc::{self, View};
use chatd::protocol::{Reply, SaslReply};
use libfuzzer_sys::fuzz_target;

/// Standard base64 with padding (RFC 4648 4), written independently of the decoder.
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

fn check_decoders(data: &[u8]) {
    assert_eq!(sasl::decode_base64(&encode(data)).as_deref(), Some(data), "encoded bytes do not decode back");
    let text = String::from_utf8_lossy(data);
    if let Some(bytes) = sasl::decode_base64(&text) {
        assert_eq!(encode(&bytes), text, "a non-canonical encoding was accepted");
    }
    if let Ok(credentials) = sasl::decode_plain(&text) {
        check_credentials(&credentials.authcid, &credentials.password);
    }
}

fn check_credentials(authcid: &str, password: &str) {
    assert!(!authcid.is_empty() && !password.is_empty(), "empty account or password accepted");
    assert!(!authcid.contains('\0') && !password.contains('\0'), "NUL inside a field");
    let again = sasl::decode_plain(&encode(format!("\0{authcid}\0{password}").as_bytes()));
    assert_eq!(again.as_ref().map(|c| (c.authcid.as_str(), c.password.as_str())), Ok((authcid, password)));
}

fn check_rendering(step: SaslReply) {
    let view = View {
        server: "chatd.example.org",
        nick: "*",
        started: 0,
        ping_after_secs: 300,
        server_time: false,
        multi_prefix: false,
    };
    let mut out = Vec::new();
    irc::render(&Reply::Sasl(step), &view, &mut out);
    assert!(!common::check_irc_output(&out).is_empty(), "{step:?} rendered nothing");
}

fuzz_target!(|data: &[u8]| {
    check_decoders(data);

    let mut exchange = Exchange::default();
    for line in data.split(|&byte| byte == b'\n') {
        let payload = String::from_utf8_lossy(line);
        let before = exchange.in_progress();
        let step = exchange.step(&payload);
        assert!(exchange.buffered() <= MAX_RESPONSE_BYTES, "{} bytes buffered", exchange.buffered());
        match step {
            Step::Reply(answer) => {
                assert_eq!(exchange.in_progress(), answer == SaslReply::Continue, "{answer:?} for {payload:?}");
                assert!(answer != SaslReply::Continue || !before, "a second Continue mid-exchange");
                check_rendering(answer);
            }
            Step::MoreExpected => {
                assert!(before && exchange.in_progress(), "more expected outside an exchange");
                assert_eq!(payload.len(), CHUNK_BYTES, "only a full chunk expects more");
            }
            Step::Login(credentials) => {
                assert!(before && !exchange.in_progress(), "a login outside an exchange, or one that goes on");
                check_credentials(&credentials.authcid, &credentials.password);
            }
        }
    }
});

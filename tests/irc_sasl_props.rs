//! Property tests of IRC SASL PLAIN on stable Rust (the `sasl` fuzz target checks the same and
//! more on nightly):
//!
//! - any credentials a client may send (an authorization identity that is empty or the account
//!   itself, any account name, any password without NUL), encoded with a test-side base64
//!   encoder and cut into 400-byte `AUTHENTICATE` chunks as sasl-3.1 says (with `+` after a
//!   last chunk of exactly 400 bytes), come out of the exchange, and of the IRC session, as the
//!   same account and password;
//! - a response longer than the bound is refused with 905 and logs nobody in;
//! - base64 decoding is canonical: whatever decodes re-encodes to the very same text.

use chatd::protocol::dialect::Dialect;
use chatd::protocol::irc::face::IRC;
use chatd::protocol::irc::sasl::{self, CHUNK_BYTES, Credentials, Exchange, MAX_RESPONSE_BYTES, Step};
use chatd::protocol::{AccountCommand, Command, LoginVia, Reply, SaslReply};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// `cases` cases from a fixed seed, so `cargo test` is the same every run; `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED` in the environment override both.
fn config(cases: u32) -> ProptestConfig {
    let from_env = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") { from_env.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") { from_env.rng_seed } else { RngSeed::Fixed(0x5a51_0001) },
        failure_persistence: None,
        ..from_env
    }
}

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

/// The `AUTHENTICATE` parameters that carry `response` (sasl-3.1).
fn chunks(response: &str) -> Vec<String> {
    // Base64 is ASCII: every cut is at a character boundary.
    let mut chunks: Vec<String> =
        response.as_bytes().chunks(CHUNK_BYTES).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    if response.len().is_multiple_of(CHUNK_BYTES) {
        chunks.push("+".to_string());
    }
    chunks
}

/// An authorization identity, an account name and a password as a client may send them; the
/// whole is at most 900 bytes, so that its base64 fits `MAX_RESPONSE_BYTES`.
fn credentials() -> impl Strategy<Value = (String, String, String)> {
    let account = "[A-Za-z0-9_\\[\\]{}|^-]{1,30}";
    let password = prop::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 1..200)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    (account, password, 0..3u8).prop_map(|(account, password, authzid)| {
        let authzid = match authzid {
            0 => String::new(),
            1 => account.clone(),
            _ => account.to_ascii_uppercase(),
        };
        (authzid, account, password)
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn chunked_plain_responses_decode_to_what_was_sent((authzid, account, password) in credentials()) {
        let response = encode(format!("{authzid}\0{account}\0{password}").as_bytes());
        prop_assert!(response.len() <= MAX_RESPONSE_BYTES);
        let mut exchange = Exchange::default();
        prop_assert_eq!(exchange.step("PLAIN"), Step::Reply(SaslReply::Continue));
        let parts = chunks(&response);
        let (last, full) = parts.split_last().expect("at least one chunk");
        for chunk in full {
            prop_assert_eq!(exchange.step(chunk), Step::MoreExpected);
        }
        let expected = Credentials { authcid: account.clone(), password: password.clone() };
        prop_assert_eq!(exchange.step(last), Step::Login(expected));
        prop_assert!(!exchange.in_progress());

        // The same through the IRC session, as the broker offers it each command.
        let mut session = IRC.session();
        let mut replies = Vec::new();
        let offer = |session: &mut Box<dyn chatd::protocol::dialect::Session>, command, replies: &mut Vec<Reply>| {
            session.intercept(command, false, replies)
        };
        offer(&mut session, Command::Cap { sub: "REQ".into(), arg: "sasl".into() }, &mut replies);
        offer(&mut session, Command::Authenticate { payload: "PLAIN".into() }, &mut replies);
        let mut passed = None;
        for chunk in &parts {
            passed = offer(&mut session, Command::Authenticate { payload: chunk.clone() }, &mut replies);
        }
        let login = AccountCommand::Identify { name: Some(account), password, via: LoginVia::Sasl };
        prop_assert_eq!(passed, Some(Command::Account(login)));
        prop_assert_eq!(
            replies,
            vec![Reply::Cap { sub: "ACK", caps: "sasl".into() }, Reply::Sasl(SaslReply::Continue)]
        );
    }

    #[test]
    fn responses_past_the_bound_are_refused(extra in 1..800usize) {
        let response = "A".repeat(MAX_RESPONSE_BYTES + extra);
        let mut exchange = Exchange::default();
        exchange.step("PLAIN");
        let mut last = Step::MoreExpected;
        for chunk in chunks(&response) {
            last = exchange.step(&chunk);
            prop_assert!(exchange.buffered() <= MAX_RESPONSE_BYTES);
            if last != Step::MoreExpected {
                break;
            }
        }
        prop_assert_eq!(last, Step::Reply(SaslReply::TooLong));
        prop_assert!(!exchange.in_progress());
    }

    #[test]
    fn base64_decoding_is_canonical(text in "[A-Za-z0-9+/=]{0,24}", bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Some(decoded) = sasl::decode_base64(&text) {
            prop_assert_eq!(encode(&decoded), text);
        }
        prop_assert_eq!(sasl::decode_base64(&encode(&bytes)), Some(bytes));
    }
}

//! Property tests of the IRC server queries on stable Rust (the `irc_command` fuzz target checks
//! the parsing side on nightly):
//!
//! - WHOX: whatever follows the `%`, the fields come out in the spec's one order without
//!   repeats, only letters that were asked for, and a token is 1 to 3 digits or none; a `354`
//!   rendered for any fields, nick, user, host, account and real name is one valid IRC line
//!   carrying exactly those fields, the real name whole as the last one.
//! - User modes: every letter of `MODE nick` strings becomes one change, in order, with the sign
//!   last seen before it.

use chatd::names::{Nick, RoomName};
use chatd::protocol::irc::message::{self, MAX_LINE_BYTES};
use chatd::protocol::irc::{self, View};
use chatd::protocol::query::{WHOX_ORDER, WHOX_TOKEN_DIGITS, parse_user_modes};
use chatd::protocol::{Person, Reply, UserInfo, WhoEntry, WhoxFields};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::sync::Arc;

/// `cases` cases from a fixed seed, so `cargo test` is the same every run; `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED` in the environment override both.
fn config(cases: u32) -> ProptestConfig {
    let from_env = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") { from_env.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") { from_env.rng_seed } else { RngSeed::Fixed(0x0014_0354) },
        failure_persistence: None,
        ..from_env
    }
}

/// What may follow WHOX's `%`: field letters, others, commas, digits.
fn whox_spec() -> impl Strategy<Value = String> {
    "[tcuihsnfdlaorxyzSU%,0-9]{0,20}"
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn whox_fields_are_ordered_unique_asked_for_and_tokens_are_digits(spec in whox_spec()) {
        let fields = WhoxFields::parse(&spec);
        let letters = spec.split_once(',').map_or(spec.as_str(), |(letters, _)| letters);
        let requested: Vec<char> = fields.requested().collect();
        let positions: Vec<usize> =
            requested.iter().map(|f| WHOX_ORDER.iter().position(|o| o == f).unwrap()).collect();
        prop_assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{requested:?}");
        prop_assert!(requested.iter().all(|f| letters.contains(*f)));
        prop_assert!(WHOX_ORDER.iter().filter(|f| letters.contains(**f)).all(|f| requested.contains(f)));
        if let Some(token) = &fields.token {
            prop_assert!(!token.is_empty() && token.len() <= WHOX_TOKEN_DIGITS);
            prop_assert!(token.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn a_whox_reply_carries_exactly_the_fields_asked_for(
        spec in whox_spec(),
        nick in "[a-z][a-z0-9_]{0,19}",
        user in "~[a-z]{1,9}",
        account in proptest::option::of("[a-z]{1,20}"),
        realname in "[A-Za-z:]{1,10}( [A-Za-z:]{1,10}){0,30}",
        away in any::<bool>(),
        idle in any::<u64>(),
    ) {
        let person = Arc::new(Person {
            nick: Nick::parse(&nick).unwrap(),
            user,
            host: "192.0.2.1".into(),
            account: account.clone().map(Into::into),
            realname: realname.as_str().into(),
        });
        let user = UserInfo { person, away, op: false, voice: true, oper: false, realname: realname.clone() };
        let room = Some(RoomName::parse("#room").unwrap());
        let fields = WhoxFields::parse(&spec);
        let reply = Reply::WhoList {
            mask: "#room".into(),
            entries: vec![WhoEntry { room, user, idle_secs: idle }],
            whox: Some(fields.clone()),
        };
        let view = View {
            server: "chatd.example.org", nick: "reader", started: 0, ping_after_secs: 300,
            server_time: false, multi_prefix: false,
        };
        let mut out = Vec::new();
        irc::render(&reply, &view, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        prop_assert_eq!(lines.len(), 2);
        prop_assert!(lines.iter().all(|l| l.len() + 2 <= MAX_LINE_BYTES));
        let parsed = message::parse(lines[0]).unwrap();
        prop_assert_eq!(parsed.command.as_str(), "354");
        prop_assert_eq!(parsed.param(0), Some("reader"));
        let values = &parsed.params[1..];
        let requested: Vec<char> = fields.requested().collect();
        prop_assert_eq!(values.len(), requested.len(), "{:?} for {:?}", values, requested);
        for (field, value) in requested.iter().zip(values) {
            let expected = match field {
                'n' => nick.clone(),
                'a' => account.clone().unwrap_or_else(|| "0".into()),
                'l' => idle.to_string(),
                'r' => realname.clone(),
                'f' => format!("{}+", if away { "G" } else { "H" }),
                'c' => "#room".into(),
                _ => continue,
            };
            prop_assert_eq!(value, &expected, "field {}", field);
        }
    }

    #[test]
    fn every_user_mode_letter_is_one_change_with_the_last_sign(changes in proptest::collection::vec("[-+a-zA-Z]{0,8}", 0..4)) {
        let parsed = parse_user_modes(&changes);
        let letters: Vec<char> = changes.iter().flat_map(|c| c.chars()).filter(|c| *c != '+' && *c != '-').collect();
        prop_assert_eq!(parsed.iter().map(|c| c.mode).collect::<Vec<_>>(), letters);
        let mut expected = Vec::new();
        for change in &changes {
            let mut set = true;
            for letter in change.chars() {
                match letter {
                    '+' => set = true,
                    '-' => set = false,
                    _ => expected.push(set),
                }
            }
        }
        prop_assert_eq!(parsed.iter().map(|c| c.set).collect::<Vec<_>>(), expected);
    }
}

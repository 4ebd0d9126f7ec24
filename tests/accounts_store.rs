//! Properties of the accounts throttles and store, on stable Rust.
//!
//! - Throttles: a wait is never 0 seconds, never longer than the longest rule allows, and
//!   waiting it out (with no new failure) always lets the next try through; failures from one
//!   address never hold back another address logging in to another account; the tables never
//!   hold more than their bound.
//! - Store: after any sequence of creates and deletes, the table holds one account per folded
//!   name, spelled as first created, and survives reopening.
//!
//! Case counts are small and the seed fixed, as in tests/properties.rs.

use chatd::accounts::throttle::{ADDRESS_WINDOW_MS, LONGEST_WAIT_MS, REGISTRATION_WINDOW_MS};
use chatd::accounts::{CreateError, LoginThrottle, RegistrationLimit, Store};
use chatd::names::{Folded, Nick};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn config(cases: u32) -> ProptestConfig {
    let from_env = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") { from_env.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") { from_env.rng_seed } else { RngSeed::Fixed(0x00ac_c075) },
        failure_persistence: None,
        ..from_env
    }
}

/// A few addresses (so that events pile up on some), IPv4 and IPv6 in a few /64s.
fn address() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u8..4).prop_map(|n| IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))),
        (0u16..3, any::<u64>()).prop_map(|(net, low)| {
            IpAddr::V6(Ipv6Addr::from((0x2001_0db8_0000_0000_u128 + u128::from(net)) << 64 | u128::from(low)))
        }),
    ]
}

fn account() -> impl Strategy<Value = Folded> {
    (0u8..4).prop_map(|n| Folded::of(&format!("user{n}")))
}

/// Failures at non-decreasing times: (account, address, milliseconds since the previous one).
fn failures() -> impl Strategy<Value = Vec<(Folded, IpAddr, u64)>> {
    prop::collection::vec((account(), address(), 0u64..120_000), 0..80)
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn waits_are_bounded_and_waiting_them_out_lets_a_try_through(
        events in failures(),
        probe_account in account(),
        probe_address in address(),
    ) {
        let mut throttle = LoginThrottle::with_capacity(64);
        let mut now = 1_000_000u64;
        for (account, ip, gap) in &events {
            now += gap;
            throttle.failed(account, *ip, now);
            prop_assert!(throttle.len().0 <= 64 && throttle.len().1 <= 64);
        }
        match throttle.check(&probe_account, probe_address, now) {
            Ok(()) => {}
            Err(wait) => {
                prop_assert!(wait >= 1);
                prop_assert!(wait * 1000 <= LONGEST_WAIT_MS.max(ADDRESS_WINDOW_MS), "wait {wait}");
                prop_assert_eq!(throttle.check(&probe_account, probe_address, now + wait * 1000), Ok(()));
            }
        }
        // An address that never failed, logging in to an account nobody failed on, is never held.
        let fresh = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        prop_assert_eq!(throttle.check(&Folded::of("untouched"), fresh, now), Ok(()));
        throttle.succeeded(&probe_account, probe_address);
    }

    #[test]
    fn registrations_never_exceed_three_an_hour_per_address(
        tries in prop::collection::vec((address(), 0u64..1_200_000), 0..60),
    ) {
        let mut limit = RegistrationLimit::with_capacity(16);
        let mut now = 0u64;
        let mut granted: Vec<(String, u64)> = Vec::new();
        for (ip, gap) in tries {
            now += gap;
            match limit.check(ip, now) {
                Ok(()) => {
                    limit.record(ip, now);
                    granted.push((chatd::log::PeerGroup::of(ip).to_string(), now));
                }
                Err(wait) => prop_assert!(wait >= 1 && wait * 1000 <= REGISTRATION_WINDOW_MS),
            }
            prop_assert!(limit.len() <= 16);
        }
        for (group, at) in &granted {
            let within = granted.iter().filter(|(g, t)| g == group && *t <= *at && at - t < REGISTRATION_WINDOW_MS).count();
            prop_assert!(within <= 3, "{group}: {within} within an hour before {at}");
        }
    }
}

/// Names that collide when folded (`Ab`, `aB`, `AB`) or are invalid (`1x`).
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-cA-C][a-b]{0,2}",
        1 => Just("1x".to_string()),
    ]
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn the_store_holds_one_account_per_folded_name(
        steps in prop::collection::vec((any::<bool>(), name()), 1..30),
    ) {
        let dir = std::env::temp_dir().join(format!("chatd-accounts-prop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        {
            let store = Store::open(&dir).unwrap();
            for (create, name) in &steps {
                let folded = name.to_ascii_lowercase();
                let valid = Nick::parse(name).is_ok();
                if *create {
                    let result = store.create(name, "phc", 1);
                    match (valid, model.contains_key(&folded)) {
                        (false, _) => prop_assert!(matches!(result, Err(CreateError::Invalid(_)))),
                        (true, true) => prop_assert_eq!(result, Err(CreateError::Exists)),
                        (true, false) => {
                            prop_assert_eq!(result.unwrap().name, name.clone());
                            model.insert(folded, name.clone());
                        }
                    }
                } else {
                    prop_assert_eq!(store.delete(name).is_ok(), model.remove(&folded).is_some());
                }
            }
        }
        let names: Vec<String> = Store::open(&dir).unwrap().load_all().unwrap().into_iter().map(|r| r.name).collect();
        let _ = std::fs::remove_dir_all(&dir);
        prop_assert_eq!(names, model.into_values().collect::<Vec<_>>());
    }
}

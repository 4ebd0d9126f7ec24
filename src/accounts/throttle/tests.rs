use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn account(name: &str) -> Folded {
    Folded::of(name)
}

const SEC: u64 = 1000;

#[test]
fn five_failures_are_free_then_waits_double_up_to_fifteen_minutes() {
    let mut throttle = LoginThrottle::new();
    let (alice, from) = (account("alice"), ip("192.0.2.1"));
    let mut now = 1_000_000;
    for _ in 0..4 {
        throttle.failed(&alice, from, now);
        assert_eq!(throttle.check(&alice, from, now), Ok(()));
    }
    throttle.failed(&alice, from, now);
    assert_eq!(throttle.check(&alice, from, now), Err(10));
    assert_eq!(throttle.check(&alice, from, now + 9 * SEC + 1), Err(1));
    assert_eq!(throttle.check(&alice, from, now + 10 * SEC), Ok(()));
    let mut expected = vec![];
    for _ in 0..9 {
        now += 20 * 60 * SEC; // past any wait and out of the address window
        throttle.failed(&alice, from, now);
        expected.push(throttle.check(&alice, from, now).unwrap_err());
    }
    assert_eq!(expected, [20, 40, 80, 160, 320, 640, 900, 900, 900]);
}

#[test]
fn a_success_clears_the_pair_and_pairs_are_independent() {
    let mut throttle = LoginThrottle::new();
    let (alice, bob, from, other) = (account("alice"), account("bob"), ip("192.0.2.1"), ip("198.51.100.7"));
    for _ in 0..5 {
        throttle.failed(&alice, from, 0);
    }
    assert!(throttle.check(&alice, from, 0).is_err());
    // The owner elsewhere and another account from the same address are unaffected.
    assert_eq!(throttle.check(&alice, other, 0), Ok(()));
    assert_eq!(throttle.check(&bob, from, 0), Ok(()));
    throttle.succeeded(&alice, from);
    assert_eq!(throttle.check(&alice, from, 0), Ok(()));
}

#[test]
fn twenty_failures_from_an_address_stop_it_until_the_window_frees() {
    let mut throttle = LoginThrottle::new();
    let from = ip("192.0.2.9");
    for i in 0..20u64 {
        assert_eq!(throttle.check(&account(&format!("user{i}")), from, i * SEC), Ok(()));
        throttle.failed(&account(&format!("user{i}")), from, i * SEC);
    }
    let fresh = account("nobody");
    assert_eq!(throttle.check(&fresh, from, 20 * SEC), Err(580));
    assert_eq!(throttle.check(&fresh, from, 10 * 60 * SEC - 1), Err(1));
    assert_eq!(throttle.check(&fresh, from, 10 * 60 * SEC), Ok(()));
    // One more failure then fills the window again until the second-oldest leaves it.
    throttle.failed(&fresh, from, 10 * 60 * SEC);
    assert_eq!(throttle.check(&fresh, from, 10 * 60 * SEC), Err(1));
    assert_eq!(throttle.check(&fresh, ip("192.0.2.10"), 0), Ok(()));
    // A success does not reset the address's count.
    throttle.succeeded(&fresh, from);
    assert!(throttle.check(&account("user0"), from, 10 * 60 * SEC).is_err());
}

#[test]
fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
    let mut throttle = LoginThrottle::new();
    let alice = account("alice");
    for i in 0..5 {
        throttle.failed(&alice, ip(&format!("2001:db8:1:2::{i}")), 0);
    }
    assert!(throttle.check(&alice, ip("2001:db8:1:2:ffff::1"), 0).is_err());
    assert_eq!(throttle.check(&alice, ip("2001:db8:1:3::1"), 0), Ok(()));
    for _ in 0..5 {
        throttle.failed(&alice, ip("::ffff:192.0.2.1"), 0);
    }
    assert!(throttle.check(&alice, ip("192.0.2.1"), 0).is_err());
}

#[test]
fn pairs_are_forgotten_after_a_quiet_day() {
    let mut throttle = LoginThrottle::new();
    let (alice, from) = (account("alice"), ip("192.0.2.1"));
    for _ in 0..7 {
        throttle.failed(&alice, from, 0);
    }
    let later = PAIR_MEMORY_MS + LONGEST_WAIT_MS;
    throttle.failed(&alice, from, later);
    assert_eq!(throttle.check(&alice, from, later), Ok(()), "counting starts afresh");
}

#[test]
fn memory_is_bounded_and_the_least_recent_entry_goes_first() {
    let mut throttle = LoginThrottle::with_capacity(8);
    let (target, keeper) = (account("target"), ip("203.0.113.1"));
    for _ in 0..5 {
        throttle.failed(&target, keeper, 0);
    }
    for i in 0..8u64 {
        throttle.failed(&target, ip(&format!("198.51.100.{i}")), 1 + i);
        assert!(throttle.len().0 <= 8 && throttle.len().1 <= 8);
    }
    // The keeper's pair was the least recently touched and made room.
    assert_eq!(throttle.check(&target, keeper, 10), Ok(()));
    assert!(!throttle.is_empty());
    // Stale entries go before live ones.
    let mut throttle = LoginThrottle::with_capacity(2);
    throttle.failed(&target, ip("192.0.2.1"), 0);
    for _ in 0..5 {
        throttle.failed(&target, ip("192.0.2.2"), 1);
    }
    throttle.failed(&target, ip("192.0.2.3"), PAIR_MEMORY_MS + 1);
    assert_eq!(throttle.len().0, 2);
}

#[test]
fn registrations_are_three_per_address_per_hour() {
    let mut limit = RegistrationLimit::new();
    let from = ip("192.0.2.1");
    for minute in 0..3u64 {
        assert_eq!(limit.check(from, minute * 60 * SEC), Ok(()));
        limit.record(from, minute * 60 * SEC);
    }
    assert_eq!(limit.check(from, 3 * 60 * SEC), Err(57 * 60));
    assert_eq!(limit.check(ip("192.0.2.2"), 0), Ok(()));
    assert_eq!(limit.check(ip("2001:db8::1"), 0), Ok(()));
    assert_eq!(limit.check(from, 60 * 60 * SEC), Ok(()));
    limit.record(from, 60 * 60 * SEC);
    assert_eq!(limit.check(from, 60 * 60 * SEC), Err(60));
    assert_eq!(limit.len(), 1);
    let mut small = RegistrationLimit::with_capacity(2);
    for i in 0..10 {
        small.record(ip(&format!("192.0.2.{i}")), i);
    }
    assert_eq!(small.len(), 2);
}

#[test]
fn a_clock_that_goes_back_never_panics() {
    let mut throttle = LoginThrottle::new();
    let (alice, from) = (account("alice"), ip("192.0.2.1"));
    for now in [u64::MAX, 5, 0, u64::MAX - 1, 3] {
        throttle.failed(&alice, from, now);
        let _ = throttle.check(&alice, from, now);
    }
    let mut limit = RegistrationLimit::new();
    for now in [u64::MAX, 0, 7] {
        limit.record(from, now);
        let _ = limit.check(from, now);
    }
}

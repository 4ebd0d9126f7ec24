//! Who may read `/server-status` and `/metrics` (`--status-allow CIDR`).

use crate::core::cidr::Cidr;
use std::net::IpAddr;

/// Whether `ip` may read a status page: listed in `allow`, or, with no list, anyone for the
/// status (`metrics` false) and loopback for the metrics.
pub fn may_read(allow: &[Cidr], ip: IpAddr, metrics: bool) -> bool {
    if allow.is_empty() { !metrics || ip.to_canonical().is_loopback() } else { allow.iter().any(|c| c.contains(ip)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn by_default_the_status_is_public_and_metrics_loopback_only() {
        assert!(may_read(&[], ip("203.0.113.9"), false));
        assert!(!may_read(&[], ip("203.0.113.9"), true));
        assert!(may_read(&[], ip("127.0.0.1"), true) && may_read(&[], ip("::1"), true));
        let allow = ["10.0.0.0/8".parse().unwrap()];
        assert!(!may_read(&allow, ip("127.0.0.1"), false));
        assert!(may_read(&allow, ip("10.1.2.3"), true));
    }
}

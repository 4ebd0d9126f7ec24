//! Which dialects chatd speaks: the list detection walks, and the fallback.
//!
//! The one place that names every dialect. Adding one is a line in `DIALECTS`.

use super::dialect::{Claim, Dialect};
use super::irc::face::IRC;
use super::netcat::face::Netcat;
use super::web::WEB;

/// Every dialect that detection may pick from a connection's first bytes, in the order asked;
/// also those a connection taken for a person may turn out to speak (`Dialect::late_claim`).
pub static DIALECTS: &[&dyn Dialect] = &[&IRC, &WEB];

/// The dialect of a connection nobody claimed: people type, they do not announce a protocol.
pub static FALLBACK: &dyn Dialect = &NETCAT;

static NETCAT: Netcat = Netcat::handing_over_to(DIALECTS);

/// Decides a connection's dialect from its first bytes: the first in `DIALECTS` that claims them,
/// `FALLBACK` when none does, `None` while one of them is still undecided.
pub fn detect(first: &[u8]) -> Option<&'static dyn Dialect> {
    let mut undecided = false;
    for &dialect in DIALECTS {
        match dialect.claims(first) {
            Claim::Mine => return Some(dialect),
            Claim::Undecided => undecided = true,
            Claim::NotMine => {}
        }
    }
    (!undecided).then_some(FALLBACK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(first: &[u8]) -> Option<&'static str> {
        detect(first).map(|d| d.name())
    }

    #[test]
    fn irc_openers_are_detected_in_any_case() {
        for first in [&b"CAP LS 302\r\n"[..], b"nick alice\r\n", b"USER a 0 * :b", b"PASS\r\n", b"PING :x\r\n"] {
            assert_eq!(detected(first), Some("irc"), "{first:?}");
        }
    }

    #[test]
    fn anything_else_is_netcat_and_partial_words_wait() {
        for first in [&b"alice\n"[..], b"nickname\n", b"capital", b"/help\n", &[0xff, 0xfd, 0x01]] {
            assert_eq!(detected(first), Some("netcat"), "{first:?}");
        }
        // Too early to tell; a whole opener whose separator has not arrived yet included.
        for first in [&b"NI"[..], b"ca", b"", b"NICK", b"pass"] {
            assert_eq!(detected(first), None, "{first:?}");
        }
    }
}

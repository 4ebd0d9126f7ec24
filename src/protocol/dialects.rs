//! Which dialects chatd speaks: the list detection walks, and the fallback.
//!
//! The one place that names every dialect. Adding one is a line in `DIALECTS`.

use super::dialect::{Claim, Dialect};
use super::irc::face::IRC;
use super::netcat::face::Netcat;
use super::web::WEB;
use super::xml::face::XML;

/// Every dialect that detection may pick from a connection's first bytes, in the order asked;
/// also those a connection taken for a person may turn out to speak (`Dialect::late_claim`).
pub static DIALECTS: &[&dyn Dialect] = &[&IRC, &WEB, &XML];

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

    #[test]
    fn the_policy_request_is_xml_as_soon_as_its_prefix_is_seen() {
        for first in [&b"<policy-file-request/>\0"[..], b"<policy-file-request />\0", b"<policy-file-request"] {
            assert_eq!(detected(first), Some("xml"), "{first:?}");
        }
        for first in [&b"<"[..], b"<pol", b"<policy-file-reques"] {
            assert_eq!(detected(first), None, "{first:?}");
        }
        assert_eq!(detected(b"<policy-file-x"), Some("netcat"));
    }

    #[test]
    fn a_login_with_exactly_two_arguments_is_xml() {
        for first in [
            &b"IDENTIFY alice secret\0"[..],
            b"REGISTER alice secret\n",
            b"identify alice secret\r\n",
            b"Register  alice  secret  \0",
            b"IDENTIFY alice secret\0MSG bob hi\0",
        ] {
            assert_eq!(detected(first), Some("xml"), "{first:?}");
        }
        for first in [
            &b"IDENTIFY alice\0"[..],
            b"IDENTIFY alice secret more\0",
            b"IDENTIFY\n",
            b" IDENTIFY alice secret\n",
            b"IDENTIFYX alice secret\n",
            b"IDENTIFY alice secret more",
        ] {
            assert_eq!(detected(first), Some("netcat"), "{first:?}");
        }
        let long = [&b"IDENTIFY alice "[..], &[b'x'; 800]].concat();
        assert_eq!(detected(&long), Some("netcat"), "a first line too long to be a login");
        // The longest password an account may have still logs in.
        let longest = [&b"IDENTIFY alice "[..], &[b'x'; crate::protocol::account::MAX_PASSWORD_BYTES], b"\0"].concat();
        assert_eq!(detected(&longest), Some("xml"));
    }

    #[test]
    fn a_login_split_across_reads_waits_for_its_end() {
        let whole = b"IDENTIFY alice secret\0";
        for len in 1..whole.len() {
            assert_eq!(detected(&whole[..len]), None, "{:?}", &whole[..len]);
        }
        assert_eq!(detected(whole), Some("xml"));
    }

    #[test]
    fn bare_list_and_msg_stay_netcat() {
        for first in [&b"LIST\n"[..], b"MSG bob hello\n", b"list\0", b"QUIT\n", b"MSG\0", b"L", b"M"] {
            assert_eq!(detected(first), Some("netcat"), "{first:?}");
        }
    }

    #[test]
    fn a_slow_xml_client_is_claimed_by_an_upper_case_login() {
        let claimed = |line: &[u8]| DIALECTS.iter().find(|d| d.late_claim(line)).map(|d| d.name());
        for line in [&b"IDENTIFY alice secret"[..], b"REGISTER alice secret", b"<policy-file-request/>"] {
            assert_eq!(claimed(line), Some("xml"), "{line:?}");
        }
        for line in [&b"identify alice secret"[..], b"IDENTIFY alice", b"LIST", b"MSG bob hi", b"alice"] {
            assert_eq!(claimed(line), None, "{line:?}");
        }
    }
}

//! Reading the header fields and query strings the web face acts on: a cookie by name, whether
//! the client wants JSON, the client's address behind trusted reverse proxies, `If-None-Match`,
//! and percent-decoded query values.
//!
//! Free functions over the field text (so tests need no `Head`), with `Head` methods that apply
//! them. Pure; never panics whatever the text.

use super::head::Head;
use std::net::{IpAddr, SocketAddr};

impl Head {
    /// The value of cookie `name` (see `cookie_value`).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookie.as_deref().and_then(|cookies| cookie_value(cookies, name))
    }

    /// True when `Accept` asks for `application/json` (see `accepts_json`). The face also takes
    /// `?format=json`, which is a route's business, not the head's.
    pub fn wants_json(&self) -> bool {
        self.accept.as_deref().is_some_and(accepts_json)
    }

    /// The first value of query parameter `name`, percent-decoded (see `query_value`).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.as_deref().and_then(|query| query_value(query, name))
    }

    /// The right-most address of `X-Forwarded-For`: the one the nearest proxy added. Believe it
    /// only when the peer is a configured proxy; `client_addr` does that check.
    pub fn forwarded_for_rightmost(&self) -> Option<IpAddr> {
        self.forwarded_for.as_deref().and_then(|list| list.rsplit(',').next()).and_then(forwarded_addr)
    }

    /// Who the client is, for limits, bans and the log (see `client_addr`).
    pub fn client_addr(&self, peer: IpAddr, is_trusted_proxy: impl Fn(IpAddr) -> bool) -> IpAddr {
        client_addr(peer, self.forwarded_for.as_deref(), is_trusted_proxy)
    }

    /// True when `If-None-Match` names `etag` (see `none_match`): answer 304.
    pub fn not_modified(&self, etag: &str) -> bool {
        self.if_none_match.as_deref().is_some_and(|list| none_match(list, etag))
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`, as HTML forms and
/// `URLSearchParams` encode query strings). A `%` not followed by two hex digits stays as it is,
/// as the WHATWG URL standard's percent-decode does; bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = match (byte, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_value(high).zip(hex_value(low)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(if byte == b'+' && plus_is_space { b' ' } else { byte });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

/// The first value of `name` in a query string (`application/x-www-form-urlencoded`:
/// `a=1&b=two+words`), decoded; a name without `=` has the empty value.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (!pair.is_empty() && percent_decode(key, true) == name).then(|| percent_decode(value, true))
    })
}

/// The value of cookie `name` in a `Cookie` field (`a=1; session=xyz`, RFC 6265 4.2.1), its
/// surrounding double quotes removed. Names compare exactly; the first match wins.
pub fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if key.trim_matches([' ', '\t']) != name {
            return None;
        }
        let value = value.trim_matches([' ', '\t']);
        Some(value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value))
    })
}

/// True when an `Accept` field lists `application/json` with a nonzero weight (RFC 9110
/// 12.5.1). Wildcards do not count: a client that takes anything gets the plain default.
pub fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(|part| part.trim_matches([' ', '\t']));
        let media_type = parts.next().unwrap_or_default();
        let weight_is_zero = parts.any(|param| {
            param.split_once('=').is_some_and(|(key, value)| {
                key.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            })
        });
        media_type.eq_ignore_ascii_case("application/json") && !weight_is_zero
    })
}

/// One entry of `X-Forwarded-For`: an IPv4 or IPv6 address, with a port as some proxies add
/// (`192.0.2.1:5000`, `[2001:db8::1]:5000`). `unknown` and garbage give `None`.
pub fn forwarded_addr(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim_matches([' ', '\t']);
    let bracketed = entry.strip_prefix('[').and_then(|rest| rest.strip_suffix(']'));
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| bracketed.and_then(|inner| inner.parse().ok()))
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
}

/// The client's address for a connection from `peer`: `peer` itself unless it is a trusted
/// proxy; then the right-most `X-Forwarded-For` entry that is not a trusted proxy, walking
/// leftwards through a chain of trusted proxies. Entries left of the first untrusted one were
/// written by the client and prove nothing. An unreadable entry stops the walk at the last
/// proxy reached, so a broken header never names an address nobody vouched for.
pub fn client_addr(peer: IpAddr, forwarded_for: Option<&str>, is_trusted_proxy: impl Fn(IpAddr) -> bool) -> IpAddr {
    let mut client = peer;
    let Some(list) = forwarded_for else { return client };
    for entry in list.rsplit(',') {
        if !is_trusted_proxy(client) {
            break;
        }
        match forwarded_addr(entry) {
            Some(addr) => client = addr,
            None => break,
        }
    }
    client
}

/// True when an `If-None-Match` list holds `etag` by weak comparison (RFC 9110 13.1.2: `W/`
/// ignored), or is `*`. `etag` is written as sent in `ETag`, quotes included (`"v1"`). A list
/// that breaks the syntax matches nothing, so the client gets the full answer.
pub fn none_match(list: &str, etag: &str) -> bool {
    if list.trim_matches([' ', '\t']) == "*" {
        return true;
    }
    let wanted = etag.strip_prefix("W/").unwrap_or(etag);
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let tag = rest.strip_prefix("W/").unwrap_or(rest);
        // entity-tag = [ W/ ] DQUOTE *etagc DQUOTE; etagc has no DQUOTE but may hold commas.
        let Some(inner) = tag.strip_prefix('"') else { return false };
        let Some(end) = inner.find('"') else { return false };
        let (Some(opaque), Some(after)) = (tag.get(..end + 2), inner.get(end + 1..)) else { return false };
        if opaque == wanted {
            return true;
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn percent_decoding_keeps_broken_escapes() {
        assert_eq!(percent_decode("a%20b+c", false), "a b+c");
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("%e4%B8%96", true), "世");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%ff", true), "\u{fffd}");
        assert_eq!(percent_decode("%00", true), "\0");
        assert_eq!(percent_decode("", true), "");
    }

    #[test]
    fn query_values_are_found_by_decoded_name() {
        let query = "format=json&after=42&text=hello+w%C3%B6rld&flag&a%20b=c";
        assert_eq!(query_value(query, "format").as_deref(), Some("json"));
        assert_eq!(query_value(query, "after").as_deref(), Some("42"));
        assert_eq!(query_value(query, "text").as_deref(), Some("hello wörld"));
        assert_eq!(query_value(query, "flag").as_deref(), Some(""));
        assert_eq!(query_value(query, "a b").as_deref(), Some("c"));
        assert_eq!(query_value(query, "missing"), None);
        assert_eq!(query_value("x=1&x=2", "x").as_deref(), Some("1"));
        assert_eq!(query_value("", ""), None);
        assert_eq!(query_value("&&", ""), None);
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let cookies = "theme=dark; chatd_session=abc123;other=\"quoted\"; empty=";
        assert_eq!(cookie_value(cookies, "chatd_session"), Some("abc123"));
        assert_eq!(cookie_value(cookies, "other"), Some("quoted"));
        assert_eq!(cookie_value(cookies, "empty"), Some(""));
        assert_eq!(cookie_value(cookies, "Theme"), None);
        assert_eq!(cookie_value(cookies, "session"), None);
        assert_eq!(cookie_value("novalue; x", "x"), None);
        assert_eq!(cookie_value("a=1; a=2", "a"), Some("1"));
        assert_eq!(cookie_value("a=\"", "a"), Some("\""));
    }

    #[test]
    fn json_is_wanted_only_when_named_with_weight() {
        assert!(accepts_json("application/json"));
        assert!(accepts_json("text/plain;q=0.5, Application/JSON ; q=0.9"));
        assert!(!accepts_json("application/json;q=0"));
        assert!(!accepts_json("application/json; q=0.000"));
        assert!(!accepts_json("*/*"));
        assert!(!accepts_json("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assert!(!accepts_json("application/jsonx"));
        assert!(!accepts_json(""));
    }

    #[test]
    fn forwarded_entries_take_ports_and_brackets() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(forwarded_addr(" 192.0.2.1 "), Some(v4));
        assert_eq!(forwarded_addr("192.0.2.1:5000"), Some(v4));
        assert_eq!(forwarded_addr("2001:db8::1"), Some(v6));
        assert_eq!(forwarded_addr("[2001:db8::1]"), Some(v6));
        assert_eq!(forwarded_addr("[2001:db8::1]:443"), Some(v6));
        assert_eq!(forwarded_addr("unknown"), None);
        assert_eq!(forwarded_addr(""), None);
    }

    #[test]
    fn client_addr_believes_only_trusted_proxies() {
        let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let inner_proxy = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let trusted = |addr: IpAddr| addr == proxy || addr == inner_proxy;
        let client = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
        let stranger = IpAddr::V6(Ipv6Addr::LOCALHOST);
        // A stranger's header is ignored.
        assert_eq!(client_addr(stranger, Some("203.0.113.7"), trusted), stranger);
        // The proxy's right-most entry is the client; what the client wrote before it is not.
        assert_eq!(client_addr(proxy, Some("1.2.3.4, 203.0.113.7"), trusted), client);
        // A chain of trusted proxies is walked.
        assert_eq!(client_addr(proxy, Some("1.2.3.4, 203.0.113.7, 10.0.0.2"), trusted), client);
        // No header, or garbage, leaves the proxy's own address.
        assert_eq!(client_addr(proxy, None, trusted), proxy);
        assert_eq!(client_addr(proxy, Some("1.2.3.4, garbage"), trusted), proxy);
        assert_eq!(client_addr(proxy, Some(""), trusted), proxy);
        assert_eq!(client_addr(proxy, Some("203.0.113.7, garbage, 10.0.0.2"), trusted), inner_proxy);
    }

    #[test]
    fn none_match_compares_weakly() {
        assert!(none_match("\"v1\"", "\"v1\""));
        assert!(none_match("W/\"v1\"", "\"v1\""));
        assert!(none_match("\"v0\", W/\"v1\"", "W/\"v1\""));
        assert!(none_match("\"a,b\", \"v1\"", "\"v1\""));
        assert!(none_match(" * ", "\"v1\""));
        assert!(!none_match("\"v2\"", "\"v1\""));
        assert!(!none_match("v1", "\"v1\""));
        assert!(!none_match("\"v1", "\"v1\""));
        assert!(!none_match("", "\"v1\""));
        assert!(!none_match("W/", "\"v1\""));
    }
}

//! `LIST`'s search terms (the `ELIST` extensions of modern.ircdocs.horse): a comma list whose
//! every term must hold.
//!
//! - `>n` / `<n`: more / fewer than `n` members (`U`);
//! - `C>n` / `C<n`: created more / less than `n` minutes ago (`C`);
//! - `T>n` / `T<n`: topic set more / less than `n` minutes ago (`T`);
//! - `!mask`: names the mask does not match (`N`);
//! - anything else: a name or mask (`*`, `?`) to match (`M`); `LIST #a,#b` lists those two.
//!
//! A term that starts like a count or a time but has no number after it (`>x`, `C<`) is no
//! search at all and is dropped, as servers drop what they cannot read. Pure.

use crate::protocol::ListFilter;

/// The extensions implemented here, as `ELIST` in `RPL_ISUPPORT` names them.
pub const EXTENSIONS: &str = "CMNTU";

/// Most terms one `LIST` may carry; the rest are dropped (each costs a pass over the rooms).
pub const MAX_TERMS: usize = 8;

/// The filters of `LIST`'s first parameter, in order.
pub fn parse(terms: &str) -> Vec<ListFilter> {
    terms.split(',').filter(|t| !t.is_empty()).filter_map(term).take(MAX_TERMS).collect()
}

fn term(term: &str) -> Option<ListFilter> {
    let number = |digits: &str| digits.parse::<u64>().ok().filter(|_| digits.bytes().all(|b| b.is_ascii_digit()));
    let count = |digits: &str| number(digits).and_then(|n| usize::try_from(n).ok());
    // The matched characters below are ASCII, so these cuts are at character boundaries.
    let after = |n: usize| term.get(n..).unwrap_or_default();
    let mut chars = term.chars();
    match (chars.next(), chars.next()) {
        (Some('>'), _) => count(after(1)).map(ListFilter::MoreMembers),
        (Some('<'), _) => count(after(1)).map(ListFilter::FewerMembers),
        (Some('C' | 'c'), Some('<')) => number(after(2)).map(ListFilter::CreatedWithin),
        (Some('C' | 'c'), Some('>')) => number(after(2)).map(ListFilter::CreatedBefore),
        (Some('T' | 't'), Some('<')) => number(after(2)).map(ListFilter::TopicWithin),
        (Some('T' | 't'), Some('>')) => number(after(2)).map(ListFilter::TopicBefore),
        (Some('!'), _) => Some(ListFilter::NotMask(after(1).to_string())).filter(|_| term.len() > 1),
        _ => Some(ListFilter::Mask(term.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_term_becomes_its_filter() {
        assert_eq!(
            parse(">3,<10,C<5,C>60,T<1,t>2,!*bot*,#rust*"),
            vec![
                ListFilter::MoreMembers(3),
                ListFilter::FewerMembers(10),
                ListFilter::CreatedWithin(5),
                ListFilter::CreatedBefore(60),
                ListFilter::TopicWithin(1),
                ListFilter::TopicBefore(2),
                ListFilter::NotMask("*bot*".into()),
                ListFilter::Mask("#rust*".into()),
            ]
        );
        assert_eq!(parse("#a,,#b"), vec![ListFilter::Mask("#a".into()), ListFilter::Mask("#b".into())]);
    }

    #[test]
    fn unreadable_terms_are_dropped() {
        for bad in [">", "<x", ">-1", ">+1", "C<", "T>1h", "!", ">99999999999999999999999"] {
            assert_eq!(parse(bad), vec![], "{bad}");
        }
        assert_eq!(parse(""), vec![]);
        // A name that merely starts with C or T is a name.
        assert_eq!(parse("Cats"), vec![ListFilter::Mask("Cats".into())]);
    }

    #[test]
    fn at_most_max_terms_are_kept() {
        let many = [">1"; MAX_TERMS + 3].join(",");
        assert_eq!(parse(&many).len(), MAX_TERMS);
    }
}

//! IRCv3 `batch`: several lines sent as one logical unit, between `BATCH +ref type params...` and
//! `BATCH -ref`, each line inside tagged `batch=ref`. Used for `labeled-response` (the
//! `labeled-response` type, by the session's `labels`) and for history (the `chathistory` type).
//!
//! References are opaque to clients and need only differ from those of the batches still open
//! on the same connection. Each user of batches makes its own with `reference` and a letter of
//! its own, so that a batch nested in another never shares its reference: `l` labeled
//! responses, `h` history.

use super::message::write_line;
use super::tags;

/// The reference `letter` + `n` in base 36 (`l1`, `h2s`).
pub fn reference(letter: char, n: u64) -> String {
    let mut reference = String::with_capacity(8);
    reference.push(letter);
    tags::base36(n, &mut reference);
    reference
}

/// Appends `:server BATCH +reference kind params...`, the line that opens a batch. Tag it (a
/// `label`) with `tags::tag_line` on its own when needed.
pub fn open(out: &mut Vec<u8>, server: &str, reference: &str, kind: &str, params: &[&str]) {
    let start = format!("+{reference}");
    let mut all = Vec::with_capacity(params.len() + 2);
    all.push(start.as_str());
    all.push(kind);
    all.extend_from_slice(params);
    write_line(out, Some(server), "BATCH", &all);
}

/// Appends `:server BATCH -reference`, the line that closes a batch.
pub fn close(out: &mut Vec<u8>, server: &str, reference: &str) {
    write_line(out, Some(server), "BATCH", &[&format!("-{reference}")]);
}

/// Appends a whole batch: `open`, every line of `rendered` tagged `batch=reference`, `close`.
pub fn wrap(out: &mut Vec<u8>, server: &str, reference: &str, kind: &str, params: &[&str], rendered: &[u8]) {
    open(out, server, reference, kind, params);
    tags::tag_each_line(rendered, &tags::tag("batch", reference), out);
    close(out, server, reference);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_their_users_letter() {
        assert_eq!(reference('l', 0), "l0");
        assert_eq!(reference('h', 100), "h2s");
    }

    #[test]
    fn a_batch_wraps_its_lines() {
        let mut out = Vec::new();
        wrap(
            &mut out,
            "irc.test",
            "h1",
            "chathistory",
            &["#a"],
            b"@time=t :a!u@h PRIVMSG #a :one\r\n:a!u@h PRIVMSG #a :two\r\n",
        );
        assert_eq!(
            String::from_utf8_lossy(&out),
            ":irc.test BATCH +h1 chathistory #a\r\n\
             @batch=h1;time=t :a!u@h PRIVMSG #a :one\r\n\
             @batch=h1 :a!u@h PRIVMSG #a :two\r\n\
             :irc.test BATCH -h1\r\n"
        );
        let mut out = Vec::new();
        open(&mut out, "s", "l1", "labeled-response", &[]);
        close(&mut out, "s", "l1");
        assert_eq!(out, b":s BATCH +l1 labeled-response\r\n:s BATCH -l1\r\n");
    }
}

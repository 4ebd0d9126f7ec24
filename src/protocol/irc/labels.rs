//! IRCv3 labeled-response, the session's half: while a labeled line is handled, every reply it
//! causes for its client is kept (`capture`), and once it is done (`close`) they go out as one
//! labeled response: the label on the one line, or on a `labeled-response` batch round several,
//! or on an `ACK` when the line caused nothing.
//!
//! Only for clients that negotiated `labeled-response` and `batch` (which the specification
//! says must be negotiated to use labels); others' labels are ignored.

use super::{batch, message, tags};

/// Buffers kept past one response only up to this size, so one huge answer does not hold memory.
const KEPT_CAPACITY: usize = 16 * 1024;

/// One client's labeled response in the making.
#[derive(Debug, Default)]
pub struct Labeling {
    /// The label of the line being handled, while there is one.
    label: Option<String>,
    /// What the line caused so far, rendered.
    lines: Vec<u8>,
    /// Labeled-response batches sent so far, for their references.
    batches: u64,
    /// A response put aside while the line's answer is worked out elsewhere (`defer`): its label
    /// and what it had caused by then.
    deferred: Option<(String, Vec<u8>)>,
}

impl Labeling {
    /// A line labeled `label` starts being handled. (The broker holds a client's next lines
    /// while a response is deferred, so none is put aside here.)
    pub fn open(&mut self, label: String) {
        self.label = Some(label);
        self.lines.clear();
    }

    /// Whether a labeled line is being handled.
    pub fn is_open(&self) -> bool {
        self.label.is_some()
    }

    /// The line is handled but its answer comes later (a password being checked): the response
    /// is put aside, and nothing more is captured until `resume`. Replies meanwhile (others'
    /// messages) are not part of it.
    pub fn defer(&mut self) {
        if let Some(label) = self.label.take() {
            self.deferred = Some((label, std::mem::take(&mut self.lines)));
        }
    }

    /// The answer a deferred response waited for is coming: capture again, after what was kept.
    pub fn resume(&mut self) {
        if let Some((label, lines)) = self.deferred.take() {
            self.label = Some(label);
            self.lines = lines;
        }
    }

    /// Keeps `bytes` (complete lines) for the response.
    pub fn capture(&mut self, bytes: &[u8]) {
        self.lines.extend_from_slice(bytes);
    }

    /// The line is done: appends its labeled response to `out` (nothing when it had no label).
    pub fn close(&mut self, server: &str, out: &mut Vec<u8>) {
        let Some(label) = self.label.take() else { return };
        let label = tags::tag("label", &label);
        match tags::lines(&self.lines).count() {
            0 => {
                let mut ack = Vec::new();
                message::write_line(&mut ack, Some(server), "ACK", &[]);
                tags::tag_line(&ack, &label, out);
            }
            1 => tags::tag_line(&self.lines, &label, out),
            _ => {
                self.batches += 1;
                let reference = batch::reference('l', self.batches);
                let mut opening = Vec::new();
                batch::open(&mut opening, server, &reference, "labeled-response", &[]);
                tags::tag_line(&opening, &label, out);
                tags::tag_each_line(&self.lines, &tags::tag("batch", &reference), out);
                batch::close(out, server, &reference);
            }
        }
        self.lines.clear();
        if self.lines.capacity() > KEPT_CAPACITY {
            self.lines = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(labeling: &mut Labeling) -> String {
        let mut out = Vec::new();
        labeling.close("irc.test", &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn nothing_caused_is_acknowledged() {
        let mut l = Labeling::default();
        l.open("a b".into());
        assert!(l.is_open());
        assert_eq!(closed(&mut l), "@label=a\\sb :irc.test ACK\r\n");
        assert!(!l.is_open());
        // Without a label nothing is sent at all.
        assert_eq!(closed(&mut l), "");
    }

    #[test]
    fn one_line_carries_the_label() {
        let mut l = Labeling::default();
        l.open("x".into());
        l.capture(b"@time=t :a!u@h PRIVMSG #a :hi\r\n");
        assert_eq!(closed(&mut l), "@label=x;time=t :a!u@h PRIVMSG #a :hi\r\n");
    }

    #[test]
    fn a_deferred_response_skips_what_comes_meanwhile_and_ends_with_the_answer() {
        let mut l = Labeling::default();
        l.open("s".into());
        l.defer();
        assert!(!l.is_open());
        assert_eq!(closed(&mut l), "", "nothing is sent while deferred");
        l.resume();
        assert!(l.is_open());
        l.capture(b":irc.test 900 me me!u@h me :You are now logged in as me\r\n");
        l.capture(b":irc.test 903 me :SASL authentication successful\r\n");
        assert_eq!(
            closed(&mut l),
            "@label=s :irc.test BATCH +l1 labeled-response\r\n\
             @batch=l1 :irc.test 900 me me!u@h me :You are now logged in as me\r\n\
             @batch=l1 :irc.test 903 me :SASL authentication successful\r\n\
             :irc.test BATCH -l1\r\n"
        );
        // Resuming with nothing deferred opens nothing.
        l.resume();
        assert!(!l.is_open());
        // A deferred line that caused nothing at all is acknowledged.
        l.open("t".into());
        l.defer();
        l.resume();
        assert_eq!(closed(&mut l), "@label=t :irc.test ACK\r\n");
    }

    #[test]
    fn several_lines_come_in_a_labeled_batch() {
        let mut l = Labeling::default();
        for round in 1..=2 {
            l.open("w".into());
            l.capture(b":irc.test 311 me bob ~u h * :Bob\r\n");
            l.capture(b":irc.test 318 me bob :End of /WHOIS list\r\n");
            assert_eq!(
                closed(&mut l),
                format!(
                    "@label=w :irc.test BATCH +l{round} labeled-response\r\n\
                     @batch=l{round} :irc.test 311 me bob ~u h * :Bob\r\n\
                     @batch=l{round} :irc.test 318 me bob :End of /WHOIS list\r\n\
                     :irc.test BATCH -l{round}\r\n"
                )
            );
        }
    }
}

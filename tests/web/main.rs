// The web face end to end: the real binary, HTTP written byte for byte over real TCP, answers
// and Server-Sent Events read as the wire has them, and the chat as netcat and IRC users see it
// beside the browser. One test binary; one module per topic.
//
// Waiting is always on an answer, an event, a line or a log line, each with a deadline. The one
// test that must wait out a server clock (408 after 10 s) says so.

#[path = "../common/mod.rs"]
mod common;

mod chat;
mod hostile;
mod lifetime;
mod routes;
mod sessions;
mod status;
mod stream;

#[test]
fn the_json_reader_reads_what_the_server_writes() {
    use common::json::{must_parse, parse};
    let value = must_parse(r#" {"t":"said","text":"<b>\"x\"\\\u00e9\ud83d\ude00","n":[1,-2.5e3,true,null],"o":{}} "#);
    assert_eq!(value.text("text"), "<b>\"x\"\\é😀");
    assert_eq!(value.get("n").array()[0].u64(), 1);
    assert!(value.get("n").array()[3].is_null());
    assert!(parse(r#"{"a":1,"a":2}"#).is_err());
    assert!(parse(r#"{"a":1} x"#).is_err());
    assert!(parse("\"a\nb\"").is_err());
}

//! The IRC dialect (RFC 1459/2812 and current client practice).
//!
//! Pure: `message` parses and serializes IRC lines; `numeric` names the reply codes.

pub mod message;
pub mod numeric;

//! Password hashing: Argon2id at OWASP's recommended parameters (19 MiB of memory, two passes,
//! one lane), stored as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`) that carry their
//! own parameters, so that raising them later leaves old hashes verifiable.
//!
//! All the cryptography is the RustCrypto `argon2` crate's; salts come from the operating
//! system's random generator. Each call costs tens of milliseconds of one core and 19 MiB: callers
//! run it on the hashing threads (`service`), never on the broker.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, Salt, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::rand_core::{OsRng, RngCore};
use std::fmt;

/// Memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19_456;
/// Passes over the memory.
pub const PASSES: u32 = 2;
/// Lanes (degree of parallelism inside one hash).
pub const LANES: u32 = 1;

/// Why a password could not be hashed: the random generator or the hasher failed. Never holds
/// the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashError(pub String);

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot hash the password: {}", self.0)
    }
}

impl std::error::Error for HashError {}

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with a fresh random salt; the result is a PHC string.
pub fn hash(password: &str) -> Result<String, HashError> {
    // `SaltString::generate` would panic if the system's generator failed; ask it fallibly.
    let mut bytes = [0u8; Salt::RECOMMENDED_LENGTH];
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| HashError(e.to_string()))?;
    let hashed = hasher()?.hash_password(password.as_bytes(), &salt).map_err(|e| HashError(e.to_string()))?;
    Ok(hashed.to_string())
}

/// Whether `password` is the one `phc` was made from. A malformed or unsupported PHC string is
/// simply "no": a damaged row must not let anyone in, nor bring anything down.
pub fn verify(phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    // The parameters come from the PHC string itself; the algorithm must be Argon2 (the crate
    // refuses others), and our own hashes are Argon2id.
    match hasher() {
        Ok(argon) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_at_the_chosen_parameters_and_verifies() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let parsed = PasswordHash::new(&phc).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(verify(&phc, "correct horse"));
        assert!(!verify(&phc, "correct horsE"));
        assert!(!verify(&phc, ""));
    }

    #[test]
    fn salts_differ_so_equal_passwords_hash_apart() {
        let (a, b) = (hash("same password").unwrap(), hash("same password").unwrap());
        assert_ne!(a, b);
        assert!(verify(&a, "same password") && verify(&b, "same password"));
    }

    #[test]
    fn malformed_phc_strings_are_false_and_never_panic() {
        let good = hash("password1").unwrap();
        let truncated = &good[..good.len() - 5];
        for bad in [
            "",
            "$",
            "$$$$",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=99$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$\u{e9}\u{e9}$\u{e9}",
            truncated,
        ] {
            assert!(!verify(bad, "password1"), "{bad:?}");
        }
    }

    #[test]
    fn long_and_unusual_passwords_hash() {
        for password in ["x".repeat(256), "pässwörd ☃ \u{0}".to_string()] {
            let phc = hash(&password).unwrap();
            assert!(verify(&phc, &password));
        }
    }
}

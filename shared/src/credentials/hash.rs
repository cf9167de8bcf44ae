//! Argon2id password hashes as PHC strings: the local credential store's
//! only form of a password. Comparisons are argon2's (constant time).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash};

use super::IdentityError;

/// Hashes `password` with Argon2id at the crate's default parameters
/// (19 MiB, 2 passes, 1 lane: OWASP's minimum) and a fresh 16-byte salt,
/// as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) that
/// carries everything a later check needs. CPU-bound: call it off the async
/// runtime's threads (see [`hash_off_runtime`]).
pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| IdentityError::unavailable(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| IdentityError::unavailable(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`, with the parameters the
/// string names (so older hashes keep verifying if the defaults change).
/// A malformed stored hash is [`IdentityError::Unavailable`], never a match.
pub fn verify_password(password: &str, phc: &str) -> Result<(), IdentityError> {
    let parsed = PasswordHash::new(phc)
        .map_err(|e| IdentityError::unavailable(format!("stored password hash: {e}")))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(()),
        Err(password_hash::Error::Password) => Err(IdentityError::WrongPassword),
        Err(e) => Err(IdentityError::unavailable(format!(
            "verifying a password hash: {e}"
        ))),
    }
}

/// [`hash_password`] on the blocking pool (an Argon2 hash takes tens of
/// milliseconds of one core, too long for an async worker thread).
pub async fn hash_off_runtime(password: &str) -> Result<String, IdentityError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(IdentityError::unavailable)?
}

/// [`verify_password`] on the blocking pool.
pub async fn verify_off_runtime(password: &str, phc: &str) -> Result<(), IdentityError> {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(IdentityError::unavailable)?
}

/// A hash of no one's password, checked against when an account has no
/// credential, so a check takes as long whether the account exists or not.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        // A random password nobody knows; if hashing fails, a fixed hash of
        // the same parameters still costs one Argon2 run to reject.
        let secret = uuid::Uuid::new_v4().to_string();
        hash_password(&secret).unwrap_or_else(|_| FIXED_DECOY.to_owned())
    })
}

/// Argon2id at the default parameters, of a password no one was given.
const FIXED_DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_phc_and_never_the_password() {
        let password = "Correct-Horse-1";
        let phc = hash_password(password).expect("hashed");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains(password));
        let parsed = PasswordHash::new(&phc).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(parsed.salt.map(|s| s.as_str().len()), Some(22));
    }

    #[test]
    fn only_the_right_password_verifies() {
        let phc = hash_password("Correct-Horse-1").expect("hashed");
        assert!(verify_password("Correct-Horse-1", &phc).is_ok());
        for wrong in ["correct-horse-1", "Correct-Horse-1 ", "", "Correct-Horse-2"] {
            assert!(
                matches!(
                    verify_password(wrong, &phc),
                    Err(IdentityError::WrongPassword)
                ),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn the_same_password_gets_a_new_salt_each_time() {
        let a = hash_password("Correct-Horse-1").expect("hashed");
        let b = hash_password("Correct-Horse-1").expect("hashed");
        assert_ne!(a, b);
    }

    #[test]
    fn a_malformed_stored_hash_is_never_a_match() {
        for phc in [
            "",
            "plaintext",
            "$argon2id$v=19$m=19456",
            "$argon2id$v=19$x",
        ] {
            let got = verify_password("Correct-Horse-1", phc);
            assert!(got.is_err(), "{phc:?}: {got:?}");
        }
        assert!(matches!(
            verify_password("plaintext", "plaintext"),
            Err(IdentityError::Unavailable(_))
        ));
    }

    #[test]
    fn the_decoy_is_a_valid_hash_that_matches_nothing_typed() {
        assert!(PasswordHash::new(FIXED_DECOY).is_ok());
        assert!(matches!(
            verify_password("Correct-Horse-1", decoy_hash()),
            Err(IdentityError::WrongPassword)
        ));
    }
}

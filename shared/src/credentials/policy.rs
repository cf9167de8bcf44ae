//! The password policy of the local credential store: the user pool's, as
//! `infra/template.yaml` sets it, so a local run refuses what Cognito would.

use super::IdentityError;

/// Fewest characters (the pool's `MinimumLength`).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most characters (Cognito's limit for any password).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password against the pool's policy: 12 to 256 characters,
/// with a lowercase and an uppercase letter and a digit; symbols optional.
/// The reason names the first rule broken, never the password.
pub fn check_new_password(password: &str) -> Result<(), IdentityError> {
    let refuse = |reason: &str| {
        Err(IdentityError::InvalidPassword {
            reason: reason.to_owned(),
        })
    };
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return refuse("must be at least 12 characters");
    }
    if chars > MAX_PASSWORD_CHARS {
        return refuse("must be at most 256 characters");
    }
    if password.starts_with(char::is_whitespace) || password.ends_with(char::is_whitespace) {
        return refuse("must not begin or end with a space");
    }
    if !password.chars().any(|c| c.is_ascii_lowercase()) {
        return refuse("must contain a lowercase letter");
    }
    if !password.chars().any(|c| c.is_ascii_uppercase()) {
        return refuse("must contain an uppercase letter");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return refuse("must contain a number");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_pool_policy() {
        let long = "Aa1".repeat(86);
        let cases: &[(&str, Option<&str>)] = &[
            ("Correct-Horse-1", None),
            ("correcthorse1A", None),
            ("Short-1a", Some("at least 12")),
            (&long, Some("at most 256")),
            (" Correct-Horse-1", Some("begin or end")),
            ("CORRECT-HORSE-1", Some("lowercase")),
            ("correct-horse-1", Some("uppercase")),
            ("Correct-Horse-x", Some("number")),
        ];
        for (password, refusal) in cases {
            match (check_new_password(password), refusal) {
                (Ok(()), None) => {}
                (Err(IdentityError::InvalidPassword { reason }), Some(part)) => {
                    assert!(reason.contains(part), "{password:?}: {reason}");
                }
                (other, _) => panic!("{password:?}: unexpected {other:?}"),
            }
        }
    }
}

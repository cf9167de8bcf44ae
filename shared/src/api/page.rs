//! Pagination: every list answers a page and an opaque `nextToken` that
//! resumes after it. The token is base64url JSON of where the list stopped;
//! clients must pass it back unchanged, and anything else is refused as
//! invalid before it can reach a key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The token that resumes a list after `position`.
pub fn encode<T: Serialize>(position: &T) -> Result<String> {
    let json = serde_json::to_vec(position).map_err(Error::unexpected)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Where a list resumes, from a token [`encode`] made.
pub fn decode<T: DeserializeOwned>(token: &str) -> Result<T> {
    let invalid = || Error::invalid("nextToken", "is not a token this list gave out");
    if token.len() > 2048 {
        return Err(invalid());
    }
    let json = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    serde_json::from_slice(&json).map_err(|_| invalid())
}

/// The page size of the lists whose OpenAPI parameter is `Limit`.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest page of those lists.
pub const MAX_LIMIT: usize = 100;

/// A page size from the query: `default` when absent, 1..=`max` otherwise.
pub fn limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Error::invalid(
                "limit",
                format!("must be a whole number from 1 to {max}"),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_are_refused() {
        let token = encode(&("member-1", Some("laptop"))).expect("encode");
        let back: (String, Option<String>) = decode(&token).expect("decode");
        assert_eq!(back, ("member-1".to_owned(), Some("laptop".to_owned())));
        for bad in ["", "!!!", "e30", &"A".repeat(3000)] {
            assert!(decode::<(String, Option<String>)>(bad).is_err(), "{bad:?}");
        }
        assert_eq!(limit(None, 100, 500).ok(), Some(100));
        assert_eq!(limit(Some("500"), 100, 500).ok(), Some(500));
        for bad in ["0", "501", "-1", "ten"] {
            assert!(limit(Some(bad), 100, 500).is_err(), "{bad}");
        }
    }
}

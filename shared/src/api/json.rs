//! Field rules serde's defaults get looser than the OpenAPI: an optional
//! field's `null` (which the schema does not allow) and JSON Schema's
//! integers written with a fraction of zero (which it does allow).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// An optional field that may be absent but not `null`: use with
/// `#[serde(default, deserialize_with = "json::present")]`.
pub(crate) fn present<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(de).map(Some)
}

/// An optional whole number, written `7` or `7.0` (both are JSON Schema
/// integers); `7.5` and `null` are refused.
pub(crate) fn whole_number<'de, D>(de: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    let number = serde_json::Number::deserialize(de)?;
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    match number.as_f64() {
        // Exactly representable, so the cast loses nothing.
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => Ok(Some(f as i64)),
        _ => Err(D::Error::custom("must be a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "super::whole_number")]
        days: Option<i64>,
        #[serde(default, deserialize_with = "super::present")]
        flag: Option<bool>,
    }

    fn parse(json: &str) -> Result<Sample, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction_and_nulls_are_refused() {
        assert_eq!(parse(r#"{"days": 7}"#).expect("7").days, Some(7));
        assert_eq!(parse(r#"{"days": 7.0}"#).expect("7.0").days, Some(7));
        assert!(parse(r#"{"days": 7.5}"#).is_err());
        assert!(parse(r#"{"days": null}"#).is_err());
        assert_eq!(parse("{}").expect("absent").days, None);
        assert_eq!(
            parse(r#"{"flag": false}"#).expect("false").flag,
            Some(false)
        );
        assert!(parse(r#"{"flag": null}"#).is_err());
        assert_eq!(parse("{}").expect("absent").flag, None);
    }
}

//! Serde helpers for money: a [`Decimal`] as an exact JSON number.
//!
//! `serde_json` hands numbers to a visitor as `f64` unless its workspace-wide
//! `arbitrary_precision` feature is on, and `1234567.8912` does not survive `f64`. These helpers
//! read the number's source text through [`RawValue`] instead, so they need a deserializer that
//! reads from bytes or a string (`serde_json::from_slice` / `from_str`), which is how both clients
//! decode responses. Quoted numbers (`"25.37"`) are accepted too.
//!
//! ```
//! use rust_decimal::Decimal;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Amount {
//!     #[serde(with = "rest_client_core::json_decimal")]
//!     amount: Decimal,
//! }
//!
//! let parsed: Amount = serde_json::from_str(r#"{"amount": 1234567.8912}"#).unwrap();
//! assert_eq!(parsed.amount.to_string(), "1234567.8912");
//! assert_eq!(serde_json::to_string(&parsed).unwrap(), r#"{"amount":1234567.8912}"#);
//! ```

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Parse the source text of a JSON number or string as an exact decimal.
///
/// Accepts plain (`-12.50`) and scientific (`1.5E+3`) forms.
pub fn parse_decimal_text(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok().or_else(|| Decimal::from_str(text).ok())
    }
}

/// Decode a decimal from the raw JSON of a number or a quoted number.
pub fn decimal_from_raw(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).ok()?;
        parse_decimal_text(&inner)
    } else {
        parse_decimal_text(text)
    }
}

/// Serialize as a JSON number with exactly the decimal's digits.
///
/// # Errors
/// Only the serializer's own errors.
pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let raw =
        RawValue::from_string(value.normalize().to_string()).map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}

/// Deserialize from a JSON number (exactly) or a string holding one.
///
/// # Errors
/// When the value is not a number, or is out of `Decimal`'s range (28 significant digits).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    decimal_from_raw(&raw)
        .ok_or_else(|| D::Error::custom(format!("expected a decimal number, found {}", raw.get())))
}

/// The same helpers for `Option<Decimal>` (`null` and a missing field are `None`).
///
/// Use with `#[serde(default, with = "rest_client_core::json_decimal::option")]`.
pub mod option {
    use super::*;

    /// Serialize `Some` as an exact number and `None` as `null`.
    ///
    /// # Errors
    /// Only the serializer's own errors.
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(decimal) => super::serialize(decimal, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserialize `null` as `None`, a number or numeric string as `Some`.
    ///
    /// # Errors
    /// When the value is neither null nor a decimal number.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
        match raw {
            None => Ok(None),
            Some(raw) if raw.get().trim() == "null" => Ok(None),
            Some(raw) => decimal_from_raw(&raw).map(Some).ok_or_else(|| {
                D::Error::custom(format!("expected a decimal number, found {}", raw.get()))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Money {
        #[serde(with = "super")]
        value: Decimal,
        #[serde(default, with = "super::option")]
        maybe: Option<Decimal>,
    }

    #[test]
    fn exact_round_trip() {
        let cases = [
            (r#"{"value":1234567.8912}"#, "1234567.8912"),
            (r#"{"value":5000000.0000}"#, "5000000.0000"),
            (r#"{"value":"25.37"}"#, "25.37"),
            (r#"{"value":-0.1}"#, "-0.1"),
            (r#"{"value":1.5E+3}"#, "1500"),
            (r#"{"value":79228162514264337593543950335}"#, "79228162514264337593543950335"),
        ];
        for (json, expected) in cases {
            let parsed: Money = serde_json::from_str(json).unwrap();
            assert_eq!(parsed.value.to_string(), expected, "{json}");
            assert_eq!(parsed.maybe, None);
        }
        let money =
            Money { value: Decimal::new(12345678912, 4), maybe: Some(Decimal::new(100, 2)) };
        assert_eq!(serde_json::to_string(&money).unwrap(), r#"{"value":1234567.8912,"maybe":1}"#);
    }

    #[test]
    fn rejects_non_numbers() {
        for json in
            [r#"{"value":"abc"}"#, r#"{"value":true}"#, r#"{"value":null}"#, r#"{"value":1e400}"#]
        {
            assert!(serde_json::from_str::<Money>(json).is_err(), "{json}");
        }
        let parsed: Money = serde_json::from_str(r#"{"value":1,"maybe":null}"#).unwrap();
        assert_eq!(parsed.maybe, None);
    }
}

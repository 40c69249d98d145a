//! Typed attribute and property values.
//!
//! Workflows and records encode the same concepts differently:
//!
//! | concept | workflow attribute | record property |
//! |---|---|---|
//! | money | `{"currency":"USD","amount":25.37}`, type `monetaryAmount` | `{"type":"monetary_amount","value":{…}}` |
//! | duration | object `{"years":1,"months":2,"weeks":3,"days":4}` | ISO 8601 string `"P1Y2M3W4D"` |
//! | address | object | object, or a string unless `addressAsObject=true` |
//! | date | ISO 8601 string with offset | `{"type":"date","value":"…"}` |
//!
//! Values are kept as the exact JSON text Ironclad sent, so amounts never pass through `f64`
//! and types this crate does not know survive unchanged.

mod address;
mod attribute;
mod attributes;
mod duration;
mod money;
mod property;

pub use address::Address;
pub use attribute::AttributeValue;
pub use attributes::{Attributes, LaunchAttributes};
pub use duration::ContractDuration;
pub use money::MonetaryAmount;
pub use property::{PropertyValue, RecordProperty, RecordReference};

/// A value did not have the expected type or shape.
///
/// ```
/// use ironclad_client::values::ContractDuration;
///
/// let error = ContractDuration::from_iso8601("ten years").unwrap_err();
/// assert_eq!(error.to_string(), "expected an ISO 8601 duration like P1Y2M3W4D, found \"ten years\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, found {found}")]
pub struct ValueError {
    expected: &'static str,
    found: String,
}

impl ValueError {
    /// `found` is cut to 200 bytes: it may be a whole attribute value.
    pub(crate) fn new(expected: &'static str, found: impl AsRef<str>) -> Self {
        Self { expected, found: rest_client_core::body_excerpt(found.as_ref().as_bytes(), 200) }
    }

    /// What was expected.
    pub fn expected(&self) -> &str {
        self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let error = ValueError::new("a number", "é".repeat(150));
        assert_eq!(error.to_string(), format!("expected a number, found {}…", "é".repeat(100)));
        assert_eq!(ValueError::new("JSON", "{").to_string(), "expected JSON, found {");
    }
}

//! Typed attribute and property values.
//!
//! Workflows and records encode the same concepts differently (research §3):
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
/// use ironclad_client::ContractDuration;
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
    pub(crate) fn new(expected: &'static str, found: impl Into<String>) -> Self {
        let mut found = found.into();
        if found.len() > 200 {
            let mut end = 200;
            while !found.is_char_boundary(end) {
                end -= 1;
            }
            found.truncate(end);
            found.push('…');
        }
        Self { expected, found }
    }

    /// What was expected.
    pub fn expected(&self) -> &str {
        self.expected
    }
}

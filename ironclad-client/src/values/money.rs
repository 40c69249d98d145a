//! Monetary amounts.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount of money: an exact decimal and an ISO 4217 currency code.
///
/// The same `{"currency":…,"amount":…}` object is a workflow attribute of type
/// [`MonetaryAmount::WORKFLOW_TYPE`] and the `value` of a record property of type
/// [`MonetaryAmount::RECORD_TYPE`]. The amount is read from the JSON number's text, so
/// `1234567.8912` stays exact; a quoted amount (`"25.37"`) is accepted too. Decode it from JSON
/// text (`serde_json::from_str`/`from_slice`), not from a `serde_json::Value`, which has
/// already turned the number into `f64`.
///
/// ```
/// use ironclad_client::values::MonetaryAmount;
/// use rust_decimal::Decimal;
///
/// let value = MonetaryAmount::new(Decimal::new(123456789, 2), "USD");
/// assert_eq!(serde_json::to_string(&value)?, r#"{"currency":"USD","amount":1234567.89}"#);
///
/// let parsed: MonetaryAmount = serde_json::from_str(r#"{"currency":"EUR","amount":25.370}"#)?;
/// assert_eq!(parsed.amount.to_string(), "25.370");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MonetaryAmount {
    /// The ISO 4217 currency code, e.g. `USD`.
    pub currency: String,
    /// The amount, exact.
    #[serde(with = "rest_client_core::json_decimal")]
    pub amount: Decimal,
}

impl MonetaryAmount {
    /// The schema type name on workflows.
    pub const WORKFLOW_TYPE: &'static str = "monetaryAmount";
    /// The property type name on records.
    pub const RECORD_TYPE: &'static str = "monetary_amount";

    /// `amount` in `currency` (an ISO 4217 code such as `USD`).
    pub fn new(amount: Decimal, currency: impl Into<String>) -> Self {
        Self { currency: currency.into(), amount }
    }
}

impl fmt::Display for MonetaryAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

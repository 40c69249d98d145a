//! Workflow attribute values, kept as exact JSON text with typed accessors.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use time::{Date, OffsetDateTime};

use super::{Address, ContractDuration, MonetaryAmount, RecordReference, ValueError};
use crate::serde_util::{format_timestamp, parse_date, parse_timestamp};
use crate::workflows::WorkflowDocument;

/// One workflow attribute value, exactly as JSON.
///
/// Reading: use the typed accessors (`as_str`, `as_monetary_amount`, …), which return `None`
/// when the value has another shape, or [`AttributeValue::parse`] for a typed error. Writing:
/// use the constructors or `From` impls.
///
/// ```
/// use ironclad_client::values::{AttributeValue, MonetaryAmount};
/// use rust_decimal::Decimal;
///
/// let value: AttributeValue = serde_json::from_str(r#"{"currency":"USD","amount":1234567.8912}"#)?;
/// let money = value.as_monetary_amount().unwrap();
/// assert_eq!(money.amount, Decimal::new(12345678912, 4)); // exact: never went through f64
///
/// let written = AttributeValue::from(MonetaryAmount::new(Decimal::new(2537, 2), "USD"));
/// assert_eq!(written.json(), r#"{"currency":"USD","amount":25.37}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct AttributeValue(Box<RawValue>);

impl AttributeValue {
    /// A value from JSON text.
    ///
    /// # Errors
    /// [`ValueError`] when `json` is not valid JSON.
    pub fn from_json(json: &str) -> Result<Self, ValueError> {
        RawValue::from_string(json.trim().to_owned())
            .map(AttributeValue)
            .map_err(|_| ValueError::new("JSON", json))
    }

    /// A value from anything serializable.
    ///
    /// # Errors
    /// [`ValueError`] when `value` cannot be serialized to JSON (e.g. a map with non-string
    /// keys).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, ValueError> {
        serde_json::value::to_raw_value(value)
            .map(AttributeValue)
            .map_err(|e| ValueError::new("a serializable value", e.to_string()))
    }

    /// Serialize a value that cannot fail to serialize (strings, numbers, our own structs).
    fn infallible<T: Serialize + ?Sized>(value: &T) -> Self {
        Self::from_serialize(value).unwrap_or_else(|_| AttributeValue::null())
    }

    /// JSON `null`.
    pub fn null() -> Self {
        AttributeValue(RawValue::NULL.to_owned())
    }

    /// A string (also email, single-select and text attributes).
    pub fn string(value: impl AsRef<str>) -> Self {
        Self::infallible(value.as_ref())
    }

    /// An exact number.
    pub fn number(value: Decimal) -> Self {
        // The decimal's own digits become the JSON number's text.
        Self::from_json(&value.normalize().to_string()).unwrap_or_else(|_| AttributeValue::null())
    }

    /// A boolean (Yes/No attributes).
    pub fn boolean(value: bool) -> Self {
        Self::infallible(&value)
    }

    /// A date as Ironclad's workflow forms store it: midnight UTC, `2024-01-31T00:00:00Z`.
    pub fn date(value: Date) -> Self {
        Self::datetime(value.midnight().assume_utc())
    }

    /// A date-time as RFC 3339 (`2021-05-11T17:16:53-07:00`).
    pub fn datetime(value: OffsetDateTime) -> Self {
        Self::infallible(&format_timestamp(&value))
    }

    /// A list of strings (multi-select attributes).
    pub fn strings<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        Self::infallible(&values)
    }

    /// Documents fetched by Ironclad from public URLs at launch: `[{"url": …}, …]`.
    pub fn document_urls<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        #[derive(Serialize)]
        struct Url {
            url: String,
        }
        let urls: Vec<Url> = urls.into_iter().map(|url| Url { url: url.into() }).collect();
        Self::infallible(&urls)
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// The value as a `serde_json::Value` (numbers become `f64`; use the typed accessors for
    /// money).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.json()).unwrap_or(serde_json::Value::Null)
    }

    /// Decode into `T`.
    ///
    /// # Errors
    /// [`ValueError`] naming the expected type and showing the JSON.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ValueError> {
        serde_json::from_str(self.json())
            .map_err(|_| ValueError::new(std::any::type_name::<T>(), self.json()))
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.json() == "null"
    }

    /// A JSON string.
    pub fn as_str(&self) -> Option<String> {
        self.parse::<String>().ok()
    }

    /// A JSON number, or a string holding one, as an exact decimal.
    pub fn as_decimal(&self) -> Option<Decimal> {
        rest_client_core::json_decimal::decimal_from_raw(&self.0)
    }

    /// A JSON boolean.
    pub fn as_bool(&self) -> Option<bool> {
        self.parse().ok()
    }

    /// A date-time string (RFC 3339; a bare date is midnight UTC).
    pub fn as_datetime(&self) -> Option<OffsetDateTime> {
        self.as_str().and_then(|text| parse_timestamp(&text))
    }

    /// The calendar date of a date string (`2024-01-31` or `2024-01-31T…`), as written,
    /// without shifting time zones.
    pub fn as_date(&self) -> Option<Date> {
        self.as_str().and_then(|text| parse_date(&text))
    }

    /// A `{currency, amount}` object.
    pub fn as_monetary_amount(&self) -> Option<MonetaryAmount> {
        self.parse().ok()
    }

    /// An address object.
    pub fn as_address(&self) -> Option<Address> {
        match self.parse::<Address>() {
            Ok(address) if !address.is_empty() => Some(address),
            _ => None,
        }
    }

    /// A workflow duration object, or tolerantly an ISO 8601 duration string.
    pub fn as_duration(&self) -> Option<ContractDuration> {
        if let Some(text) = self.as_str() {
            return ContractDuration::from_iso8601(&text).ok();
        }
        self.parse().ok()
    }

    /// A list of strings (multi-select).
    pub fn as_strings(&self) -> Option<Vec<String>> {
        self.parse().ok()
    }

    /// A linked, parent or child record (`{"recordId": …, "readableId": …}`).
    pub fn as_record_reference(&self) -> Option<RecordReference> {
        self.parse().ok()
    }

    /// The documents of a document attribute: a list (`draft`, `sentSignaturePacket`, file
    /// attachments; schema type `array` of `document`), or one document (`signed`,
    /// `partiallySigned`; schema type `document`) as a one-element list.
    ///
    /// ```
    /// use ironclad_client::values::AttributeValue;
    ///
    /// let signed: AttributeValue = serde_json::from_str(
    ///     r#"{"filename":"MSA (signed).pdf","key":"Qm3v8TzLr0","versionNumber":1}"#,
    /// )?;
    /// assert_eq!(signed.as_documents().unwrap()[0].key.as_deref(), Some("Qm3v8TzLr0"));
    /// let money: AttributeValue = serde_json::from_str(r#"{"currency":"USD","amount":5}"#)?;
    /// assert_eq!(money.as_documents(), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn as_documents(&self) -> Option<Vec<WorkflowDocument>> {
        if let Ok(documents) = self.parse::<Vec<WorkflowDocument>>() {
            return Some(documents);
        }
        self.as_document().map(|document| vec![document])
    }

    /// One workflow document: an object naming one by `key`, `download` or `filename`.
    pub fn as_document(&self) -> Option<WorkflowDocument> {
        // Every member of a document is optional, so any object would decode: require one
        // that identifies a document.
        self.parse::<WorkflowDocument>().ok().filter(|document| {
            document.key.is_some() || document.download.is_some() || document.filename.is_some()
        })
    }
}

impl Clone for AttributeValue {
    fn clone(&self) -> Self {
        AttributeValue(self.0.clone())
    }
}

impl PartialEq for AttributeValue {
    /// Textual equality of the JSON.
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

impl fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json())
    }
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json())
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(AttributeValue)
    }
}

impl From<&str> for AttributeValue {
    fn from(value: &str) -> Self {
        AttributeValue::string(value)
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> Self {
        AttributeValue::string(value)
    }
}

impl From<&String> for AttributeValue {
    fn from(value: &String) -> Self {
        AttributeValue::string(value)
    }
}

impl From<Decimal> for AttributeValue {
    fn from(value: Decimal) -> Self {
        AttributeValue::number(value)
    }
}

impl From<i64> for AttributeValue {
    fn from(value: i64) -> Self {
        AttributeValue::infallible(&value)
    }
}

impl From<bool> for AttributeValue {
    fn from(value: bool) -> Self {
        AttributeValue::boolean(value)
    }
}

impl From<Date> for AttributeValue {
    fn from(value: Date) -> Self {
        AttributeValue::date(value)
    }
}

impl From<OffsetDateTime> for AttributeValue {
    fn from(value: OffsetDateTime) -> Self {
        AttributeValue::datetime(value)
    }
}

impl From<MonetaryAmount> for AttributeValue {
    fn from(value: MonetaryAmount) -> Self {
        AttributeValue::infallible(&value)
    }
}

impl From<Address> for AttributeValue {
    fn from(value: Address) -> Self {
        AttributeValue::infallible(&value)
    }
}

impl From<ContractDuration> for AttributeValue {
    fn from(value: ContractDuration) -> Self {
        AttributeValue::infallible(&value)
    }
}

impl From<serde_json::Value> for AttributeValue {
    fn from(value: serde_json::Value) -> Self {
        AttributeValue::infallible(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_digits() {
        assert_eq!(AttributeValue::number(Decimal::new(5_000_000, 2)).json(), "50000");
        assert_eq!(AttributeValue::number(Decimal::new(-2537, 2)).json(), "-25.37");
        assert_eq!(AttributeValue::from(7i64).json(), "7");
    }
}

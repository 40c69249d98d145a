//! The attribute map of a workflow, and the builder for launch attributes.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{Address, AttributeValue, ContractDuration, MonetaryAmount, ValueError};
use crate::workflows::WorkflowDocument;

/// A workflow's attributes: attribute id → value.
///
/// Attribute ids are template-specific (`counterpartyName`, `role8b6358fb…`, or custom ids you
/// gave the fields, such as `dynamicsMsaId`); discover them with
/// [`WorkflowSchemas`](crate::workflows::WorkflowSchemas). Every workflow also has `readableId` (`IC-123`)
/// and `currentTurnParty`.
///
/// ```
/// use ironclad_client::values::Attributes;
///
/// let attributes: Attributes = serde_json::from_str(
///     r#"{"counterpartyName":"Acme LLC","totalContractValue":{"currency":"USD","amount":50000}}"#,
/// )?;
/// assert_eq!(attributes.string("counterpartyName").as_deref(), Some("Acme LLC"));
/// assert_eq!(attributes.monetary_amount("totalContractValue").unwrap().currency, "USD");
/// assert_eq!(attributes.string("missing"), None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attributes(BTreeMap<String, AttributeValue>);

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of attribute `id`.
    pub fn get(&self, id: &str) -> Option<&AttributeValue> {
        self.0.get(id)
    }

    /// Set attribute `id`, returning the previous value.
    pub fn insert(
        &mut self,
        id: impl Into<String>,
        value: impl Into<AttributeValue>,
    ) -> Option<AttributeValue> {
        self.0.insert(id.into(), value.into())
    }

    /// Remove attribute `id`.
    pub fn remove(&mut self, id: &str) -> Option<AttributeValue> {
        self.0.remove(id)
    }

    /// Whether attribute `id` is present (possibly `null`).
    pub fn contains(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Attribute ids and values, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.0.iter().map(|(id, value)| (id.as_str(), value))
    }

    /// A string attribute (text, email, single-select). An empty string is `Some("")`.
    pub fn string(&self, id: &str) -> Option<String> {
        self.get(id).and_then(AttributeValue::as_str)
    }

    /// A number attribute, exact.
    pub fn decimal(&self, id: &str) -> Option<Decimal> {
        self.get(id).and_then(AttributeValue::as_decimal)
    }

    /// A Yes/No attribute.
    pub fn boolean(&self, id: &str) -> Option<bool> {
        self.get(id).and_then(AttributeValue::as_bool)
    }

    /// A date attribute's calendar date, as written.
    pub fn date(&self, id: &str) -> Option<Date> {
        self.get(id).and_then(AttributeValue::as_date)
    }

    /// A date attribute as a point in time.
    pub fn datetime(&self, id: &str) -> Option<OffsetDateTime> {
        self.get(id).and_then(AttributeValue::as_datetime)
    }

    /// A monetary-amount attribute.
    pub fn monetary_amount(&self, id: &str) -> Option<MonetaryAmount> {
        self.get(id).and_then(AttributeValue::as_monetary_amount)
    }

    /// An address attribute.
    pub fn address(&self, id: &str) -> Option<Address> {
        self.get(id).and_then(AttributeValue::as_address)
    }

    /// A duration attribute.
    pub fn duration(&self, id: &str) -> Option<ContractDuration> {
        self.get(id).and_then(AttributeValue::as_duration)
    }

    /// A multi-select attribute.
    pub fn strings(&self, id: &str) -> Option<Vec<String>> {
        self.get(id).and_then(AttributeValue::as_strings)
    }

    /// The documents of a document attribute, whether Ironclad sends a list (`draft`) or a
    /// single document (`signed`, `partiallySigned`); see [`AttributeValue::as_documents`].
    pub fn documents(&self, id: &str) -> Option<Vec<WorkflowDocument>> {
        self.get(id).and_then(AttributeValue::as_documents)
    }

    /// Decode attribute `id` as `T`: `Ok(None)` when absent or `null`.
    ///
    /// # Errors
    /// [`ValueError`] when the attribute has another shape.
    pub fn get_as<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, ValueError> {
        match self.get(id) {
            None => Ok(None),
            Some(value) if value.is_null() => Ok(None),
            Some(value) => value.parse().map(Some),
        }
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<AttributeValue>> FromIterator<(K, V)> for Attributes {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Attributes(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl IntoIterator for Attributes {
    type Item = (String, AttributeValue);
    type IntoIter = std::collections::btree_map::IntoIter<String, AttributeValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Builds the `attributes` of a workflow launch with the right encoding for each field type.
///
/// The `_opt` forms skip `None`, which keeps optional source fields (a Dataverse column that is
/// null) out of the request instead of sending `null`.
///
/// ```
/// use ironclad_client::values::{Address, LaunchAttributes, MonetaryAmount};
/// use rust_decimal::Decimal;
/// use time::macros::date;
///
/// let attributes = LaunchAttributes::new()
///     .string("dynamicsMsaId", "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d")
///     .string("counterpartyName", "Acme LLC")
///     .email("counterpartySignerEmail", "signer@acme.example")
///     .date("agreementDate", date!(2024 - 01 - 31))
///     .monetary_amount("totalContractValue", MonetaryAmount::new(Decimal::new(5_000_000, 2), "USD"))
///     .address("counterpartyAddress", Address::new().line("1 Main St").locality("Springfield").country("USA"))
///     .string_opt("dynamicsMsaNumber", None::<String>)
///     .build();
/// let json = serde_json::to_string(&attributes)?;
/// assert!(json.contains(r#""agreementDate":"2024-01-31T00:00:00Z""#));
/// assert!(json.contains(r#""totalContractValue":{"currency":"USD","amount":50000}"#));
/// assert!(!json.contains("dynamicsMsaNumber"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct LaunchAttributes(Attributes);

impl LaunchAttributes {
    /// No attributes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Any value.
    pub fn set(mut self, id: impl Into<String>, value: impl Into<AttributeValue>) -> Self {
        self.0.insert(id, value);
        self
    }

    /// Any value, skipped when `None`.
    pub fn set_opt(self, id: impl Into<String>, value: Option<impl Into<AttributeValue>>) -> Self {
        match value {
            Some(value) => self.set(id, value),
            None => self,
        }
    }

    /// A string (text, single-select) attribute.
    pub fn string(self, id: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(id, AttributeValue::string(value.into()))
    }

    /// A string attribute, skipped when `None`.
    pub fn string_opt(self, id: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        self.set_opt(id, value.map(|v| AttributeValue::string(v.into())))
    }

    /// An email attribute (a plain string on the wire).
    pub fn email(self, id: impl Into<String>, value: impl Into<String>) -> Self {
        self.string(id, value)
    }

    /// A number attribute, exact.
    pub fn number(self, id: impl Into<String>, value: Decimal) -> Self {
        self.set(id, AttributeValue::number(value))
    }

    /// A Yes/No attribute.
    pub fn boolean(self, id: impl Into<String>, value: bool) -> Self {
        self.set(id, AttributeValue::boolean(value))
    }

    /// A date attribute (sent as midnight UTC, `2024-01-31T00:00:00Z`).
    pub fn date(self, id: impl Into<String>, value: Date) -> Self {
        self.set(id, AttributeValue::date(value))
    }

    /// A date attribute, skipped when `None`.
    pub fn date_opt(self, id: impl Into<String>, value: Option<Date>) -> Self {
        self.set_opt(id, value.map(AttributeValue::date))
    }

    /// A date attribute from a point in time (RFC 3339 with its offset).
    pub fn datetime(self, id: impl Into<String>, value: OffsetDateTime) -> Self {
        self.set(id, AttributeValue::datetime(value))
    }

    /// A monetary-amount attribute (`monetaryAmount`).
    pub fn monetary_amount(self, id: impl Into<String>, value: MonetaryAmount) -> Self {
        self.set(id, value)
    }

    /// A monetary-amount attribute, skipped when `None`.
    pub fn monetary_amount_opt(self, id: impl Into<String>, value: Option<MonetaryAmount>) -> Self {
        self.set_opt(id, value)
    }

    /// An address attribute; an empty address is skipped.
    pub fn address(self, id: impl Into<String>, value: Address) -> Self {
        if value.is_empty() { self } else { self.set(id, value) }
    }

    /// A duration attribute (the workflow object encoding).
    pub fn duration(self, id: impl Into<String>, value: ContractDuration) -> Self {
        self.set(id, value)
    }

    /// A multi-select attribute.
    pub fn multi_select<I, S>(self, id: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(id, AttributeValue::strings(values))
    }

    /// The `draft` documents, fetched by Ironclad from these public URLs.
    pub fn draft_urls<I, S>(self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set("draft", AttributeValue::document_urls(urls))
    }

    /// The attributes built so far.
    pub fn build(self) -> Attributes {
        self.0
    }
}

impl From<LaunchAttributes> for Attributes {
    fn from(value: LaunchAttributes) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_accessors_read_real_shapes() {
        let attributes: Attributes = serde_json::from_str(
            r#"{
                "counterpartyName": "Acme LLC",
                "agreementDate": "2021-05-11T17:16:53-07:00",
                "totalContractValue": {"currency": "USD", "amount": 1234567.8912},
                "term": {"years": 1, "months": 2},
                "counterpartyAddress": {"lines": ["325 5th Street"], "locality": "San Francisco", "region": "California", "postcode": "94107", "country": "USA"},
                "colors": ["red", "blue"],
                "standard_timesRenewed": 12,
                "approved": true,
                "empty": null
            }"#,
        )
        .unwrap();
        assert_eq!(attributes.string("counterpartyName").as_deref(), Some("Acme LLC"));
        assert_eq!(attributes.date("agreementDate"), Some(time::macros::date!(2021 - 05 - 11)));
        assert_eq!(
            attributes.monetary_amount("totalContractValue"),
            Some(MonetaryAmount::new(Decimal::new(12345678912, 4), "USD"))
        );
        assert_eq!(attributes.duration("term"), Some(ContractDuration::new().years(1).months(2)));
        assert_eq!(
            attributes.address("counterpartyAddress").unwrap().postcode.as_deref(),
            Some("94107")
        );
        assert_eq!(attributes.strings("colors"), Some(vec!["red".into(), "blue".into()]));
        assert_eq!(attributes.decimal("standard_timesRenewed"), Some(Decimal::from(12)));
        assert_eq!(attributes.boolean("approved"), Some(true));
        assert_eq!(attributes.get_as::<String>("empty"), Ok(None));
        assert!(attributes.get_as::<MonetaryAmount>("counterpartyName").is_err());
        assert_eq!(attributes.monetary_amount("counterpartyName"), None);
        // Round trip keeps the exact text.
        let json = serde_json::to_string(&attributes).unwrap();
        assert!(json.contains("1234567.8912"), "{json}");
    }
}

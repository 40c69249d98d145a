//! Record properties: `{"type": …, "value": …, "originalValue"?: …}`.

use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use super::{Address, AttributeValue, ContractDuration, MonetaryAmount};
use crate::ids::RecordId;
use crate::serde_util::{format_timestamp, parse_timestamp};

/// A record property's value, by its `type`.
///
/// A property whose `type` this crate does not know, or whose `value` does not have the
/// documented shape for its type, is kept as [`PropertyValue::Other`] with the exact JSON, so
/// nothing is lost and it is written back unchanged.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PropertyValue {
    /// `string`.
    String(String),
    /// `number`, exact.
    Number(Decimal),
    /// `boolean`.
    Boolean(bool),
    /// `date` (RFC 3339).
    Date(OffsetDateTime),
    /// `email`.
    Email(String),
    /// `monetary_amount` (the record spelling; workflows say `monetaryAmount`).
    MonetaryAmount(MonetaryAmount),
    /// `address` as an object (with `addressAsObject=true`).
    Address(Address),
    /// `address` as one string (the default when listing or reading records).
    AddressText(String),
    /// `duration`, an ISO 8601 string on records (`P10Y3M2W1D`).
    Duration(ContractDuration),
    /// `array` of strings (multi-select).
    Array(Vec<String>),
    /// `reference` to another record or entity.
    Reference(RecordReference),
    /// `clause`: an extracted or manual clause (`{source, clauseType, clauseText, …}`).
    Clause(serde_json::Value),
    /// `playbookClause`.
    PlaybookClause(String),
    /// Any other type or shape, kept exactly.
    Other {
        /// The `type` as sent.
        kind: String,
        /// The `value` as sent.
        value: AttributeValue,
    },
}

/// A `reference` property value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordReference {
    /// The referenced record or entity id.
    pub record_id: RecordId,
    /// Its sub-type id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type_id: Option<String>,
    /// Its named type ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_type_ids: Option<Vec<String>>,
    /// Its readable id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readable_id: Option<String>,
}

impl RecordReference {
    /// A reference to `record_id`.
    pub fn new(record_id: impl Into<RecordId>) -> Self {
        Self {
            record_id: record_id.into(),
            sub_type_id: None,
            named_type_ids: None,
            readable_id: None,
        }
    }
}

impl PropertyValue {
    /// The wire `type` name.
    pub fn type_name(&self) -> &str {
        match self {
            PropertyValue::String(_) => "string",
            PropertyValue::Number(_) => "number",
            PropertyValue::Boolean(_) => "boolean",
            PropertyValue::Date(_) => "date",
            PropertyValue::Email(_) => "email",
            PropertyValue::MonetaryAmount(_) => MonetaryAmount::RECORD_TYPE,
            PropertyValue::Address(_) | PropertyValue::AddressText(_) => "address",
            PropertyValue::Duration(_) => "duration",
            PropertyValue::Array(_) => "array",
            PropertyValue::Reference(_) => "reference",
            PropertyValue::Clause(_) => "clause",
            PropertyValue::PlaybookClause(_) => "playbookClause",
            PropertyValue::Other { kind, .. } => kind,
        }
    }

    /// The wire `value`.
    pub fn to_json(&self) -> AttributeValue {
        match self {
            PropertyValue::String(s)
            | PropertyValue::Email(s)
            | PropertyValue::AddressText(s)
            | PropertyValue::PlaybookClause(s) => AttributeValue::string(s),
            PropertyValue::Number(n) => AttributeValue::number(*n),
            PropertyValue::Boolean(b) => AttributeValue::boolean(*b),
            PropertyValue::Date(d) => AttributeValue::string(format_timestamp(d)),
            PropertyValue::MonetaryAmount(m) => AttributeValue::from(m.clone()),
            PropertyValue::Address(a) => AttributeValue::from(a.clone()),
            PropertyValue::Duration(d) => AttributeValue::string(d.to_iso8601()),
            PropertyValue::Array(values) => AttributeValue::strings(values.iter().cloned()),
            PropertyValue::Reference(r) => {
                AttributeValue::from_serialize(r).unwrap_or_else(|_| AttributeValue::null())
            }
            PropertyValue::Clause(value) => AttributeValue::from(value.clone()),
            PropertyValue::Other { value, .. } => value.clone(),
        }
    }

    /// Decode a `{type, value}` pair; anything unexpected becomes [`PropertyValue::Other`].
    pub(crate) fn from_wire(kind: &str, value: AttributeValue) -> Self {
        let decoded = match kind {
            "string" => value.as_str().map(PropertyValue::String),
            "email" => value.as_str().map(PropertyValue::Email),
            "playbookClause" => value.as_str().map(PropertyValue::PlaybookClause),
            "number" => value.as_decimal().map(PropertyValue::Number),
            "boolean" => value.as_bool().map(PropertyValue::Boolean),
            "date" => value.as_str().and_then(|t| parse_timestamp(&t)).map(PropertyValue::Date),
            "monetary_amount" | "monetaryAmount" => {
                value.as_monetary_amount().map(PropertyValue::MonetaryAmount)
            }
            "address" => match value.as_str() {
                Some(text) => Some(PropertyValue::AddressText(text)),
                None => value.parse::<Address>().ok().map(PropertyValue::Address),
            },
            "duration" => value
                .as_str()
                .and_then(|t| ContractDuration::from_iso8601(&t).ok())
                .map(PropertyValue::Duration),
            "array" => value.as_strings().map(PropertyValue::Array),
            "reference" => value.parse().ok().map(PropertyValue::Reference),
            "clause" => value.parse().ok().map(PropertyValue::Clause),
            _ => None,
        };
        decoded.unwrap_or_else(|| PropertyValue::Other { kind: kind.to_owned(), value })
    }
}

/// One record property: its typed value and, on amended records, the original value.
///
/// ```
/// use ironclad_client::values::{MonetaryAmount, PropertyValue, RecordProperty};
/// use rust_decimal::Decimal;
///
/// let property: RecordProperty = serde_json::from_str(
///     r#"{"type":"monetary_amount","value":{"currency":"USD","amount":100000}}"#,
/// )?;
/// assert_eq!(
///     property.value,
///     PropertyValue::MonetaryAmount(MonetaryAmount::new(Decimal::from(100000), "USD"))
/// );
///
/// let written = RecordProperty::from(PropertyValue::String("Test notes".into()));
/// assert_eq!(serde_json::to_string(&written)?, r#"{"type":"string","value":"Test notes"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RecordProperty {
    /// The current value.
    pub value: PropertyValue,
    /// The value before an amendment changed it.
    pub original_value: Option<PropertyValue>,
}

impl RecordProperty {
    /// A property with `value` and no original value.
    pub fn new(value: PropertyValue) -> Self {
        Self { value, original_value: None }
    }

    /// A `string` property.
    pub fn string(value: impl Into<String>) -> Self {
        Self::new(PropertyValue::String(value.into()))
    }

    /// A `monetary_amount` property.
    pub fn monetary_amount(value: MonetaryAmount) -> Self {
        Self::new(PropertyValue::MonetaryAmount(value))
    }

    /// A `date` property.
    pub fn date(value: OffsetDateTime) -> Self {
        Self::new(PropertyValue::Date(value))
    }

    /// A `duration` property (ISO 8601 on the wire).
    pub fn duration(value: ContractDuration) -> Self {
        Self::new(PropertyValue::Duration(value))
    }
}

impl From<PropertyValue> for RecordProperty {
    fn from(value: PropertyValue) -> Self {
        RecordProperty::new(value)
    }
}

impl Serialize for RecordProperty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.value.type_name())?;
        map.serialize_entry("value", &self.value.to_json())?;
        if let Some(original) = &self.original_value {
            map.serialize_entry("originalValue", &original.to_json())?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RecordProperty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(rename = "type", default)]
            kind: Option<String>,
            #[serde(default)]
            value: Option<AttributeValue>,
            #[serde(rename = "originalValue", default)]
            original_value: Option<AttributeValue>,
        }
        // Read the raw JSON first, so a property that is not `{type, value}` is kept as
        // `Other` instead of failing the whole record.
        let raw = AttributeValue::deserialize(deserializer)?;
        let Ok(wire) = raw.parse::<Wire>() else {
            return Ok(RecordProperty::new(PropertyValue::Other {
                kind: String::new(),
                value: raw,
            }));
        };
        let kind = wire.kind.unwrap_or_default();
        let value =
            PropertyValue::from_wire(&kind, wire.value.unwrap_or_else(AttributeValue::null));
        let original_value = wire.original_value.map(|v| PropertyValue::from_wire(&kind, v));
        Ok(RecordProperty { value, original_value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> RecordProperty {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn decodes_every_documented_property_type() {
        use PropertyValue::*;
        let cases: Vec<(&str, PropertyValue)> = vec![
            (r#"{"type":"string","value":"x"}"#, String("x".into())),
            (r#"{"type":"number","value":123.450}"#, Number(Decimal::new(123450, 3))),
            (r#"{"type":"boolean","value":true}"#, Boolean(true)),
            (
                r#"{"type":"date","value":"1992-10-04T09:31:00Z"}"#,
                Date(time::macros::datetime!(1992-10-04 09:31:00 UTC)),
            ),
            (r#"{"type":"email","value":"a@b.com"}"#, Email("a@b.com".into())),
            (
                r#"{"type":"monetary_amount","value":{"currency":"USD","amount":100000}}"#,
                MonetaryAmount(super::MonetaryAmount::new(Decimal::from(100000), "USD")),
            ),
            (
                r#"{"type":"address","value":"1 Main St, Springfield"}"#,
                AddressText("1 Main St, Springfield".into()),
            ),
            (
                r#"{"type":"duration","value":"P10Y3M2W1D"}"#,
                Duration(ContractDuration::new().years(10).months(3).weeks(2).days(1)),
            ),
            (
                r#"{"type":"array","value":["red","blue"]}"#,
                Array(vec!["red".into(), "blue".into()]),
            ),
            (
                r#"{"type":"reference","value":{"recordId":"r1"}}"#,
                Reference(RecordReference::new("r1")),
            ),
            (
                r#"{"type":"playbookClause","value":"Limitation of liability"}"#,
                PlaybookClause("Limitation of liability".into()),
            ),
        ];
        for (json, expected) in cases {
            let property = decode(json);
            assert_eq!(property.value, expected, "{json}");
            // Writing it back gives the same wire JSON.
            let round: serde_json::Value = serde_json::to_value(&property).unwrap();
            let original: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(round, original, "{json}");
        }
    }

    #[test]
    fn keeps_unknown_types_and_odd_shapes() {
        let workflow = decode(r#"{"type":"workflow","value":{"id":"6a6b"}}"#);
        assert_eq!(workflow.value.type_name(), "workflow");
        assert!(
            matches!(&workflow.value, PropertyValue::Other { value, .. } if value.json() == r#"{"id":"6a6b"}"#)
        );
        let odd_date = decode(r#"{"type":"date","value":"soon"}"#);
        assert!(matches!(odd_date.value, PropertyValue::Other { .. }));
        let address = decode(
            r#"{"type":"address","value":{"lines":["1 Main St"],"locality":"Springfield","country":"USA","raw":"1 Main St, Springfield, USA"}}"#,
        );
        assert!(matches!(&address.value, PropertyValue::Address(a) if a.raw.is_some()));
        let bare = decode(r#""just a string""#);
        assert!(
            matches!(&bare.value, PropertyValue::Other { kind, value } if kind.is_empty() && value.json() == r#""just a string""#)
        );
        let amended = decode(r#"{"type":"string","value":"new","originalValue":"old"}"#);
        assert_eq!(amended.original_value, Some(PropertyValue::String("old".into())));
    }
}

//! [`Value`]: one attribute, parameter or shared-variable value of the payload.

use std::fmt;

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::datetime::DataverseDateTime;
use crate::entity::{Entity, EntityCollection, EntityReference};

/// A value whose declared .NET type is `object`: an attribute, a parameter, a shared variable.
///
/// Dataverse tags complex values with `"__type"` (`Entity:…`, `EntityReference:…`,
/// `OptionSetValue:…`, `Money:…`, `EntityCollection:…`, `Guid:#System`, `DateTime:#System`, …)
/// and writes primitives bare, as the sample payloads of [Use webhooks](https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks) show. The
/// tag is matched on its name before the `:`,
/// after JSON unescaping, so `http:\/\/…` and `http://…` are the same.
///
/// Numbers keep their exact digits: an integer that fits `i64` is [`Value::Integer`], any other
/// number is [`Value::Decimal`] read from the number's text (never through `f64`), and a
/// number outside `Decimal`'s range is [`Value::Raw`].
///
/// Strings stay strings: a GUID (`"contactid": "6d81…"`) or a `"\/Date(…)\/"` date arrives as
/// a plain string and only the column's metadata could say which it is, so
/// [`kind`](Self::kind), [`as_uuid`](Self::as_uuid) and [`as_datetime`](Self::as_datetime)
/// interpret them on demand. Anything else this crate does not recognise (an unknown
/// `__type`, a malformed tagged object, nesting deeper than 32 levels) is kept as
/// [`Value::Raw`] JSON rather than rejected.
///
/// ```
/// use dataverse_webhook_types::{Value, ValueKind};
///
/// let value = Value::String("/Date(1506384247000)/".to_owned());
/// assert_eq!(value.kind(), ValueKind::DateTime);
/// assert_eq!(value.as_datetime().map(|d| d.unix_millis()), Some(1506384247000));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// JSON `null`: no value (on an Update, the column was cleared).
    Null,
    /// A boolean (two-option column).
    Bool(bool),
    /// A JSON integer that fits `i64` (whole number, big int).
    Integer(i64),
    /// Any other JSON number, exactly (decimal, float/double columns, exchange rates).
    Decimal(Decimal),
    /// A string: text, a GUID, a `/Date(…)/` date, or a choice label from a flow.
    String(String),
    /// A `{"__type":"Guid:#System","__value":…}` wrapper.
    Guid(Uuid),
    /// A `{"__type":"DateTime:#System","__value":…}` wrapper.
    DateTime(DataverseDateTime),
    /// `OptionSetValue`: a choice column's integer value.
    OptionSetValue(i32),
    /// A multi-select choice: a JSON array of `OptionSetValue`s.
    OptionSetValues(Vec<i32>),
    /// `Money`: a currency amount, exactly.
    Money(Decimal),
    /// `EntityReference`: a lookup.
    EntityReference(EntityReference),
    /// `Entity`: a whole row (the `Target` of Create/Update).
    Entity(Box<Entity>),
    /// `EntityCollection`: several rows (`Targets` of CreateMultiple, activity parties).
    EntityCollection(Box<EntityCollection>),
    /// `KeyValuePairOf…` (e.g. the entries of the `ChangedEntityTypes` shared variable).
    KeyValuePair {
        /// The pair's `key`.
        key: String,
        /// The pair's `value`.
        value: Box<Value>,
    },
    /// Any other JSON array.
    Array(Vec<Value>),
    /// JSON this crate does not model, kept verbatim.
    Raw(RawJson),
}

/// What a [`Value`] holds, with strings classified as GUIDs or dates when they parse as one.
///
/// ```
/// use dataverse_webhook_types::{Value, ValueKind};
///
/// assert_eq!(Value::String("6d81597f-0f9f-e711-8122-000d3aa2331c".into()).kind(), ValueKind::Guid);
/// assert_eq!(Value::String("James".into()).kind(), ValueKind::String);
/// assert_eq!(ValueKind::OptionSets.as_str(), "optionsets");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// [`Value::Null`].
    Null,
    /// [`Value::Bool`].
    Boolean,
    /// [`Value::Integer`].
    Integer,
    /// [`Value::Decimal`].
    Decimal,
    /// [`Value::Money`].
    Money,
    /// A [`Value::String`] that is neither a GUID nor a `/Date(…)/`.
    String,
    /// [`Value::Guid`], or a string holding a hyphenated or braced GUID.
    Guid,
    /// [`Value::DateTime`], or a string holding a valid `/Date(…)/`.
    DateTime,
    /// [`Value::OptionSetValue`].
    OptionSet,
    /// [`Value::OptionSetValues`].
    OptionSets,
    /// [`Value::EntityReference`].
    Reference,
    /// [`Value::Entity`].
    Entity,
    /// [`Value::EntityCollection`].
    EntityCollection,
    /// [`Value::KeyValuePair`].
    KeyValuePair,
    /// [`Value::Array`].
    Array,
    /// [`Value::Raw`].
    Raw,
}

impl ValueKind {
    /// A stable lower-case name (`"string"`, `"optionset"`, `"entity_collection"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::Money => "money",
            Self::String => "string",
            Self::Guid => "guid",
            Self::DateTime => "datetime",
            Self::OptionSet => "optionset",
            Self::OptionSets => "optionsets",
            Self::Reference => "reference",
            Self::Entity => "entity",
            Self::EntityCollection => "entity_collection",
            Self::KeyValuePair => "key_value_pair",
            Self::Array => "array",
            Self::Raw => "raw",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Value {
    /// What this value holds; strings are classified as [`ValueKind::Guid`] or
    /// [`ValueKind::DateTime`] when they parse as one.
    pub fn kind(&self) -> ValueKind {
        match self {
            Self::Null => ValueKind::Null,
            Self::Bool(_) => ValueKind::Boolean,
            Self::Integer(_) => ValueKind::Integer,
            Self::Decimal(_) => ValueKind::Decimal,
            Self::Money(_) => ValueKind::Money,
            Self::String(text) => {
                if parse_guid_text(text).is_some() {
                    ValueKind::Guid
                } else if DataverseDateTime::looks_like_ms_ajax(text)
                    && DataverseDateTime::parse(text).is_ok()
                {
                    ValueKind::DateTime
                } else {
                    ValueKind::String
                }
            }
            Self::Guid(_) => ValueKind::Guid,
            Self::DateTime(_) => ValueKind::DateTime,
            Self::OptionSetValue(_) => ValueKind::OptionSet,
            Self::OptionSetValues(_) => ValueKind::OptionSets,
            Self::EntityReference(_) => ValueKind::Reference,
            Self::Entity(_) => ValueKind::Entity,
            Self::EntityCollection(_) => ValueKind::EntityCollection,
            Self::KeyValuePair { .. } => ValueKind::KeyValuePair,
            Self::Array(_) => ValueKind::Array,
            Self::Raw(_) => ValueKind::Raw,
        }
    }

    /// Whether this is JSON `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The text of a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) => Some(text),
            _ => None,
        }
    }

    /// A [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// A [`Value::Integer`].
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(number) => Some(*number),
            _ => None,
        }
    }

    /// The exact amount of a [`Value::Money`], [`Value::Decimal`] or [`Value::Integer`].
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Self::Money(amount) | Self::Decimal(amount) => Some(*amount),
            Self::Integer(number) => Some(Decimal::from(*number)),
            _ => None,
        }
    }

    /// The value of a [`Value::OptionSetValue`].
    pub fn as_option_set(&self) -> Option<i32> {
        match self {
            Self::OptionSetValue(code) => Some(*code),
            _ => None,
        }
    }

    /// The values of a [`Value::OptionSetValues`].
    pub fn as_option_sets(&self) -> Option<&[i32]> {
        match self {
            Self::OptionSetValues(codes) => Some(codes),
            _ => None,
        }
    }

    /// A [`Value::EntityReference`].
    pub fn as_reference(&self) -> Option<&EntityReference> {
        match self {
            Self::EntityReference(reference) => Some(reference),
            _ => None,
        }
    }

    /// A [`Value::Entity`].
    pub fn as_entity(&self) -> Option<&Entity> {
        match self {
            Self::Entity(entity) => Some(entity),
            _ => None,
        }
    }

    /// A [`Value::EntityCollection`].
    pub fn as_entity_collection(&self) -> Option<&EntityCollection> {
        match self {
            Self::EntityCollection(collection) => Some(collection),
            _ => None,
        }
    }

    /// A [`Value::Guid`], or a string holding a hyphenated or braced GUID.
    pub fn as_uuid(&self) -> Option<Uuid> {
        match self {
            Self::Guid(id) => Some(*id),
            Self::String(text) => parse_guid_text(text),
            _ => None,
        }
    }

    /// A [`Value::DateTime`], or a string holding `/Date(…)/` or an RFC 3339 date-time.
    pub fn as_datetime(&self) -> Option<DataverseDateTime> {
        match self {
            Self::DateTime(at) => Some(*at),
            Self::String(text) => DataverseDateTime::parse(text).ok(),
            _ => None,
        }
    }

    /// The JSON text of a [`Value::Raw`].
    pub fn as_raw_json(&self) -> Option<&str> {
        match self {
            Self::Raw(raw) => Some(raw.get()),
            _ => None,
        }
    }
}

/// A hyphenated (36 chars) or braced (38 chars) GUID. The 32-hex "simple" form is not
/// accepted here, so ordinary 32-character text is never mistaken for an id.
pub(crate) fn parse_guid_text(text: &str) -> Option<Uuid> {
    let text = text.trim();
    match text.len() {
        36 | 38 => Uuid::try_parse(text).ok(),
        _ => None,
    }
}

/// JSON kept verbatim because this crate does not model it.
///
/// ```
/// use dataverse_webhook_types::RawJson;
///
/// let raw = RawJson::new(r#"{"SchemaName":"contact_customer_accounts"}"#)?;
/// assert_eq!(raw.get(), r#"{"SchemaName":"contact_customer_accounts"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Wrap JSON text (validated as JSON).
    ///
    /// # Errors
    /// When `json` is not one valid JSON value.
    pub fn new(json: impl Into<String>) -> Result<Self, serde_json::Error> {
        RawValue::from_string(json.into()).map(Self)
    }

    pub(crate) fn from_raw(raw: &RawValue) -> Self {
        Self(raw.to_owned())
    }

    /// The JSON text, exactly as received.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// As a [`RawValue`], which serializes verbatim (e.g. to embed it in other JSON output).
    pub fn as_raw_value(&self) -> &RawValue {
        &self.0
    }

    /// The JSON as a [`serde_json::Value`] (numbers may lose precision, as `serde_json` reads
    /// them as `f64`).
    ///
    /// # Errors
    /// Never for text that came from a payload; the signature follows `serde_json`.
    pub fn to_json_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.get())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson").field(&self.get()).finish()
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

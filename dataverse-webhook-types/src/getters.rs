//! Typed, lenient getters on attributes and parameters: [`Field`], [`AttributeError`].

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use crate::collection::KeyValueList;
use crate::datetime::DataverseDateTime;
use crate::entity::EntityReference;
use crate::number::decimal_from_text;
use crate::value::{Value, ValueKind};

/// The result of looking up a column: missing, null, empty, or a value.
///
/// The four cases mean different things to a receiver that mirrors Dataverse data:
///
/// | case | on the wire | what a receiver should do |
/// |---|---|---|
/// | [`Missing`](Field::Missing) | the column is not in the payload | leave the stored value alone (an Update `Target` only carries changed columns) |
/// | [`Null`](Field::Null) | `null` | the column has no value: on an Update, it was cleared |
/// | [`Empty`](Field::Empty) | `""` | no value was sent: a Power Automate flow writes `""` when its dynamic content was empty, which does **not** reliably mean "cleared", so do not wipe stored data with it |
/// | [`Value`](Field::Value) | a value | use it |
///
/// ```
/// use dataverse_webhook_types::{Field, RemoteExecutionContext};
///
/// let body = br#"{"MessageName":"Update","PrimaryEntityName":"contact","InputParameters":[
///   {"key":"Target","value":{"firstname":"Ada","telephone1":"","statecode":"0"}}]}"#;
/// let context = RemoteExecutionContext::from_slice(body)?;
/// let target = context.target_entity().expect("a Target");
/// assert_eq!(target.attributes.get_string("firstname")?, Field::Value("Ada"));
/// assert_eq!(target.attributes.get_string("telephone1")?, Field::Empty);
/// assert_eq!(target.attributes.get_string("lastname")?, Field::Missing);
/// assert_eq!(target.attributes.get_integer("statecode")?, Field::Value(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field<T> {
    /// The column is not in the payload.
    Missing,
    /// The column is `null`.
    Null,
    /// The column is an empty string.
    Empty,
    /// The column has a value.
    Value(T),
}

impl<T> Field<T> {
    /// The value, if there is one.
    pub fn value(self) -> Option<T> {
        match self {
            Self::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Whether the column is absent from the payload.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing)
    }

    /// Whether the column is `null` (cleared, on an Update).
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Whether the column is an empty string (no value sent; do not wipe stored data).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// Whether the column has a value.
    pub fn is_value(&self) -> bool {
        matches!(self, Self::Value(_))
    }

    /// Transform the value, keeping the other cases.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Self::Missing => Field::Missing,
            Self::Null => Field::Null,
            Self::Empty => Field::Empty,
            Self::Value(value) => Field::Value(f(value)),
        }
    }
}

/// A column is present but its value cannot be read as the requested type.
///
/// The message names the column and what was found, never the value itself (payloads carry
/// personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribute `{name}`: expected {expected}, found {found}")]
pub struct AttributeError {
    name: String,
    expected: &'static str,
    found: &'static str,
}

impl AttributeError {
    /// The column's logical name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the getter wanted (`"an integer"`, …).
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// What the payload held (`"a string that is not an integer"`, …).
    pub fn found(&self) -> &'static str {
        self.found
    }
}

/// A choice column as a flow may send it: the integer value, or only its label.
///
/// Dataverse sends `{"__type":"OptionSetValue:…","Value":0}`; a Power Automate flow sends
/// whatever its dynamic content produced: `0`, `"0"`, or the label `"Active"`. Labels depend
/// on the org's language and customisations, so mapping them to values is the receiver's call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionSetChoice<'a> {
    /// The option's integer value.
    Value(i32),
    /// A label such as `"Active"`.
    Label(&'a str),
}

impl<'a> OptionSetChoice<'a> {
    /// The integer value, when it was sent.
    pub fn value(self) -> Option<i32> {
        match self {
            Self::Value(code) => Some(code),
            Self::Label(_) => None,
        }
    }

    /// The label, when only a label was sent.
    pub fn label(self) -> Option<&'a str> {
        match self {
            Self::Label(label) => Some(label),
            Self::Value(_) => None,
        }
    }
}

type Found = &'static str;

/// Typed getters. Each returns [`Field::Missing`] when the key is absent, [`Field::Null`] for
/// `null`, [`Field::Empty`] for `""` (blank for non-text getters), and otherwise the value or an
/// [`AttributeError`]. They accept what Dataverse sends and what Power Automate flows send.
impl KeyValueList<Value> {
    fn typed<'a, T>(
        &'a self,
        name: &str,
        expected: &'static str,
        read: impl FnOnce(&'a Value) -> Result<Field<T>, Found>,
    ) -> Result<Field<T>, AttributeError> {
        match self.get(name) {
            None => Ok(Field::Missing),
            Some(Value::Null) => Ok(Field::Null),
            Some(value) => read(value).map_err(|found| AttributeError {
                name: name.to_owned(),
                expected,
                found,
            }),
        }
    }

    /// A text column. Only `""` is [`Field::Empty`]; other whitespace is a value.
    ///
    /// # Errors
    /// When the value is not a string.
    ///
    /// ```
    /// # use dataverse_webhook_types::{Field, KeyValueList, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("firstname", Value::String("James".into()));
    /// assert_eq!(row.get_string("firstname")?, Field::Value("James"));
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_string(&self, name: &str) -> Result<Field<&str>, AttributeError> {
        self.typed(name, "a string", |value| match value {
            Value::String(text) if text.is_empty() => Ok(Field::Empty),
            Value::String(text) => Ok(Field::Value(text.as_str())),
            other => Err(describe(other)),
        })
    }

    /// A whole number: an integer, an option set's value, a decimal with no fraction, or a
    /// string holding one (`"0"`).
    ///
    /// # Errors
    /// When the value is none of those (or does not fit `i64`).
    ///
    /// ```
    /// # use dataverse_webhook_types::{Field, KeyValueList, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("statecode", Value::String(" 1 ".into()));
    /// assert_eq!(row.get_integer("statecode")?, Field::Value(1));
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_integer(&self, name: &str) -> Result<Field<i64>, AttributeError> {
        self.typed(name, "an integer", |value| match value {
            Value::Integer(number) => Ok(Field::Value(*number)),
            Value::OptionSetValue(code) => Ok(Field::Value(i64::from(*code))),
            Value::Decimal(number) => {
                whole(*number).map(Field::Value).ok_or("a number with a fraction")
            }
            Value::String(text) => match text.trim() {
                "" => Ok(Field::Empty),
                trimmed => {
                    integer_text(trimmed).map(Field::Value).ok_or("a string that is not an integer")
                }
            },
            other => Err(describe(other)),
        })
    }

    /// A yes/no column: a boolean, `0`/`1`, or a string `true`/`false`/`yes`/`no`/`1`/`0`
    /// (any case).
    ///
    /// # Errors
    /// When the value is none of those.
    ///
    /// ```
    /// # use dataverse_webhook_types::{Field, KeyValueList, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("donotemail", Value::String("True".into()));
    /// assert_eq!(row.get_bool("donotemail")?, Field::Value(true));
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_bool(&self, name: &str) -> Result<Field<bool>, AttributeError> {
        self.typed(name, "a boolean", |value| match value {
            Value::Bool(flag) => Ok(Field::Value(*flag)),
            Value::Integer(0) => Ok(Field::Value(false)),
            Value::Integer(1) => Ok(Field::Value(true)),
            Value::String(text) => {
                let trimmed = text.trim();
                let is = |words: &[&str]| words.iter().any(|w| trimmed.eq_ignore_ascii_case(w));
                if trimmed.is_empty() {
                    Ok(Field::Empty)
                } else if is(&["true", "yes", "1"]) {
                    Ok(Field::Value(true))
                } else if is(&["false", "no", "0"]) {
                    Ok(Field::Value(false))
                } else {
                    Err("a string that is not a boolean")
                }
            }
            other => Err(describe(other)),
        })
    }

    /// An exact amount: money, a decimal, an integer, or a string holding a number. Never
    /// goes through `f64`.
    ///
    /// # Errors
    /// When the value is none of those.
    ///
    /// ```
    /// # use dataverse_webhook_types::{Field, KeyValueList, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("revenue", Value::String("1234567.8912".into()));
    /// let revenue = row.get_decimal("revenue")?.value().unwrap();
    /// assert_eq!(revenue.to_string(), "1234567.8912");
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_decimal(&self, name: &str) -> Result<Field<Decimal>, AttributeError> {
        self.typed(name, "a decimal number", |value| match value {
            Value::Money(amount) | Value::Decimal(amount) => Ok(Field::Value(*amount)),
            Value::Integer(number) => Ok(Field::Value(Decimal::from(*number))),
            Value::String(text) => match text.trim() {
                "" => Ok(Field::Empty),
                trimmed => decimal_from_text(trimmed)
                    .map(Field::Value)
                    .ok_or("a string that is not a number"),
            },
            other => Err(describe(other)),
        })
    }

    /// A choice column: an `OptionSetValue`, an integer, a string holding an integer, or (from
    /// a flow) a label such as `"Active"`.
    ///
    /// # Errors
    /// When the value is none of those (or does not fit `i32`).
    ///
    /// ```
    /// # use dataverse_webhook_types::{Field, KeyValueList, OptionSetChoice, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("statecode", Value::OptionSetValue(0));
    /// row.push("statuscode", Value::String("Active".into()));
    /// assert_eq!(row.get_option_set("statecode")?, Field::Value(OptionSetChoice::Value(0)));
    /// assert_eq!(row.get_option_set("statuscode")?, Field::Value(OptionSetChoice::Label("Active")));
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_option_set(&self, name: &str) -> Result<Field<OptionSetChoice<'_>>, AttributeError> {
        self.typed(name, "an option set value", |value| match value {
            Value::OptionSetValue(code) => Ok(Field::Value(OptionSetChoice::Value(*code))),
            Value::Integer(number) => i32::try_from(*number)
                .map(|code| Field::Value(OptionSetChoice::Value(code)))
                .map_err(|_| "an integer outside the option set range"),
            Value::String(text) => match text.trim() {
                "" => Ok(Field::Empty),
                trimmed => Ok(Field::Value(match trimmed.parse::<i32>() {
                    Ok(code) => OptionSetChoice::Value(code),
                    Err(_) => OptionSetChoice::Label(trimmed),
                })),
            },
            other => Err(describe(other)),
        })
    }

    /// A multi-select choice column: an array of `OptionSetValue`s or integers, a single
    /// value, or the Web API's comma-separated string (`"1,2"`).
    ///
    /// # Errors
    /// When the value or one of its items is none of those.
    ///
    /// ```
    /// # use dataverse_webhook_types::{Field, KeyValueList, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("hobbies", Value::String("257760001, 257760002".into()));
    /// assert_eq!(row.get_option_sets("hobbies")?, Field::Value(vec![257760001, 257760002]));
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_option_sets(&self, name: &str) -> Result<Field<Vec<i32>>, AttributeError> {
        self.typed(name, "option set values", |value| match value {
            Value::OptionSetValues(codes) => Ok(Field::Value(codes.clone())),
            Value::OptionSetValue(code) => Ok(Field::Value(vec![*code])),
            Value::Integer(number) => i32::try_from(*number)
                .map(|code| Field::Value(vec![code]))
                .map_err(|_| "an integer outside the option set range"),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::OptionSetValue(code) => Some(*code),
                    Value::Integer(number) => i32::try_from(*number).ok(),
                    _ => None,
                })
                .collect::<Option<Vec<i32>>>()
                .map(Field::Value)
                .ok_or("an array whose items are not option set values"),
            Value::String(text) => match text.trim() {
                "" => Ok(Field::Empty),
                trimmed => trimmed
                    .split([',', ';'])
                    .map(|part| part.trim().parse::<i32>().ok())
                    .collect::<Option<Vec<i32>>>()
                    .map(Field::Value)
                    .ok_or("a string that is not a list of integers"),
            },
            other => Err(describe(other)),
        })
    }

    /// A lookup column (`EntityReference`).
    ///
    /// # Errors
    /// When the value is not a reference. A bare GUID string (as a flow sends a lookup) has no
    /// table name: read it with [`get_uuid`](Self::get_uuid).
    ///
    /// ```
    /// # use dataverse_webhook_types::{EntityReference, KeyValueList, Value};
    /// # use uuid::Uuid;
    /// let mut row = KeyValueList::new();
    /// row.push("ownerid", Value::EntityReference(EntityReference::new("systemuser", Uuid::nil())));
    /// assert_eq!(row.get_reference("ownerid")?.value().unwrap().logical_name, "systemuser");
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_reference(&self, name: &str) -> Result<Field<&EntityReference>, AttributeError> {
        self.typed(name, "an entity reference", |value| match value {
            Value::EntityReference(reference) => Ok(Field::Value(reference)),
            Value::String(text) if text.trim().is_empty() => Ok(Field::Empty),
            other => Err(describe(other)),
        })
    }

    /// A date-time: a `DateTime` wrapper, a `/Date(…)/` string, or an RFC 3339 string.
    ///
    /// # Errors
    /// When the value is none of those.
    ///
    /// ```
    /// # use dataverse_webhook_types::{KeyValueList, Value};
    /// let mut row = KeyValueList::new();
    /// row.push("modifiedon", Value::String("/Date(1506384247000)/".into()));
    /// let modified = row.get_datetime("modifiedon")?.value().unwrap();
    /// assert_eq!(modified.unix_millis(), 1506384247000);
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_datetime(&self, name: &str) -> Result<Field<DataverseDateTime>, AttributeError> {
        self.typed(name, "a date-time", |value| match value {
            Value::DateTime(at) => Ok(Field::Value(*at)),
            Value::String(text) if text.trim().is_empty() => Ok(Field::Empty),
            Value::String(text) => DataverseDateTime::parse(text)
                .map(Field::Value)
                .map_err(|_| "a string that is not a date"),
            other => Err(describe(other)),
        })
    }

    /// A GUID: a `Guid` wrapper, a string holding a GUID (hyphenated, braced or 32 hex
    /// digits), or the id of an `EntityReference`.
    ///
    /// # Errors
    /// When the value is none of those.
    ///
    /// ```
    /// # use dataverse_webhook_types::{KeyValueList, Value};
    /// # use uuid::uuid;
    /// let mut row = KeyValueList::new();
    /// row.push("contactid", Value::String("6d81597f-0f9f-e711-8122-000d3aa2331c".into()));
    /// assert_eq!(row.get_uuid("contactid")?.value(), Some(uuid!("6d81597f-0f9f-e711-8122-000d3aa2331c")));
    /// # Ok::<(), dataverse_webhook_types::AttributeError>(())
    /// ```
    pub fn get_uuid(&self, name: &str) -> Result<Field<Uuid>, AttributeError> {
        self.typed(name, "a GUID", |value| match value {
            Value::Guid(id) => Ok(Field::Value(*id)),
            Value::EntityReference(EntityReference { id: Some(id), .. }) => Ok(Field::Value(*id)),
            Value::String(text) => match text.trim() {
                "" => Ok(Field::Empty),
                trimmed => Uuid::try_parse(trimmed)
                    .map(Field::Value)
                    .map_err(|_| "a string that is not a GUID"),
            },
            other => Err(describe(other)),
        })
    }
}

/// The integer value of a decimal with no fractional part.
fn whole(number: Decimal) -> Option<i64> {
    if number.fract().is_zero() { number.to_i64() } else { None }
}

/// `"42"`, `"-7"`, or `"4.000"`.
fn integer_text(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| decimal_from_text(text).and_then(whole))
}

/// "a string", "an integer", … for error messages.
fn describe(value: &Value) -> Found {
    match value.kind() {
        ValueKind::Null => "null",
        ValueKind::Boolean => "a boolean",
        ValueKind::Integer => "an integer",
        ValueKind::Decimal => "a decimal number",
        ValueKind::Money => "a money value",
        ValueKind::String => "a string",
        ValueKind::Guid => "a GUID",
        ValueKind::DateTime => "a date-time",
        ValueKind::OptionSet => "an option set value",
        ValueKind::OptionSets => "option set values",
        ValueKind::Reference => "an entity reference",
        ValueKind::Entity => "an entity",
        ValueKind::EntityCollection => "an entity collection",
        ValueKind::KeyValuePair => "a key/value pair",
        ValueKind::Array => "an array",
        ValueKind::Raw => "unrecognised JSON",
    }
}

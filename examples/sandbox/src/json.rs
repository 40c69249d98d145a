//! A JSON value that keeps numbers as their source text and objects in their source order.
//!
//! Both emulated services carry money as JSON numbers (Dataverse `Money` columns, Ironclad
//! `monetaryAmount.amount`), and `serde_json::Value` would turn `1234567.8912` into an `f64`
//! unless the workspace enabled `arbitrary_precision`, which it must not (see CONTRIBUTING.md).
//! [`Json`] reads every value through [`RawValue`] instead, so a number is stored exactly as the
//! client wrote it and written back byte for byte.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

/// A JSON value with exact numbers and ordered object members.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as its JSON source text (for example `5000000.0000`).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, members in source order.
    Object(JsonObject),
}

/// A JSON object whose members keep their order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonObject(Vec<(String, Json)>);

impl JsonObject {
    /// An empty object.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of member `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A mutable reference to the value of member `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Set member `key`, replacing its value in place or appending it.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Set member `key` and return the object (for building literals).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Json>) -> Self {
        self.insert(key, value.into());
        self
    }

    /// Remove member `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }

    /// Whether member `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The member names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for JsonObject {
    type Item = (String, Json);
    type IntoIter = std::vec::IntoIter<(String, Json)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// How deeply arrays and objects may nest: OData readers stop at 100 levels, and each level
/// here is a recursive call, so an unbounded depth would let a small body overflow the stack.
const MAX_DEPTH: usize = 100;

/// Why a body is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

impl Json {
    /// Parse JSON text, keeping numbers exact and members ordered.
    ///
    /// A member name repeated within one object is refused, as OData readers do, and so is
    /// nesting deeper than 100 levels.
    ///
    /// ```
    /// use dataverse_ironclad_sandbox::Json;
    /// let value = Json::parse(r#"{"amount": 1234567.8912}"#).unwrap();
    /// assert_eq!(value.to_string(), r#"{"amount":1234567.8912}"#);
    /// ```
    ///
    /// # Errors
    /// When the text is not JSON.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let raw: Box<RawValue> =
            serde_json::from_str(text).map_err(|e| JsonError(format!("invalid JSON: {e}")))?;
        Self::from_raw(&raw, 0)
    }

    /// Parse a request body (UTF-8 JSON).
    ///
    /// # Errors
    /// When the bytes are not UTF-8 JSON.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Json, JsonError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| JsonError("the body is not valid UTF-8".to_owned()))?;
        Self::parse(text)
    }

    fn from_raw(raw: &RawValue, depth: usize) -> Result<Json, JsonError> {
        let text = raw.get().trim();
        let invalid = |e: serde_json::Error| JsonError(format!("invalid JSON: {e}"));
        if depth >= MAX_DEPTH && matches!(text.as_bytes().first(), Some(b'{' | b'[')) {
            return Err(JsonError(format!("JSON nested deeper than {MAX_DEPTH} levels")));
        }
        match text.as_bytes().first() {
            Some(b'{') => {
                let members: OrderedMembers = serde_json::from_str(text).map_err(invalid)?;
                let mut object = JsonObject::new();
                for (key, raw) in members.0 {
                    if object.contains_key(&key) {
                        return Err(JsonError(format!("duplicate property '{key}'")));
                    }
                    object.0.push((key, Self::from_raw(&raw, depth + 1)?));
                }
                Ok(Json::Object(object))
            }
            Some(b'[') => {
                let items: Vec<Box<RawValue>> = serde_json::from_str(text).map_err(invalid)?;
                items
                    .iter()
                    .map(|item| Self::from_raw(item, depth + 1))
                    .collect::<Result<_, _>>()
                    .map(Json::Array)
            }
            Some(b'"') => serde_json::from_str(text).map(Json::String).map_err(invalid),
            Some(b't') => Ok(Json::Bool(true)),
            Some(b'f') => Ok(Json::Bool(false)),
            Some(b'n') => Ok(Json::Null),
            _ => Ok(Json::Number(text.to_owned())),
        }
    }

    /// A string value.
    pub fn str(value: impl Into<String>) -> Json {
        Json::String(value.into())
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, when this is an object.
    pub fn as_object(&self) -> Option<&JsonObject> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, when this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The bool, when this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number's source text, when this is a number.
    pub fn as_number_text(&self) -> Option<&str> {
        match self {
            Json::Number(text) => Some(text),
            _ => None,
        }
    }

    /// Member `key`, when this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The JSON type's name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// Compact JSON bytes (what `JSON.stringify` produces for the same members).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing our own tree into a Vec cannot fail: every number text came from a
        // JSON parser or from a Rust number's Display.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Convert to a `serde_json::Value` (numbers become `f64`/integers: for display only).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_slice(&self.to_bytes()).unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl From<&str> for Json {
    fn from(value: &str) -> Self {
        Json::String(value.to_owned())
    }
}

impl From<String> for Json {
    fn from(value: String) -> Self {
        Json::String(value)
    }
}

impl From<bool> for Json {
    fn from(value: bool) -> Self {
        Json::Bool(value)
    }
}

impl From<i64> for Json {
    fn from(value: i64) -> Self {
        Json::Number(value.to_string())
    }
}

impl From<u64> for Json {
    fn from(value: u64) -> Self {
        Json::Number(value.to_string())
    }
}

impl From<rust_decimal::Decimal> for Json {
    fn from(value: rust_decimal::Decimal) -> Self {
        Json::Number(value.to_string())
    }
}

impl From<JsonObject> for Json {
    fn from(value: JsonObject) -> Self {
        Json::Object(value)
    }
}

impl From<Vec<Json>> for Json {
    fn from(value: Vec<Json>) -> Self {
        Json::Array(value)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(value: Option<T>) -> Self {
        value.map_or(Json::Null, Into::into)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(text) => {
                let raw = RawValue::from_string(text.clone()).map_err(serde::ser::Error::custom)?;
                raw.serialize(serializer)
            }
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(object) => object.serialize(serializer),
        }
    }
}

impl Serialize for JsonObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Object members in source order, each still unparsed.
struct OrderedMembers(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for OrderedMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = OrderedMembers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push((key, value));
                }
                Ok(OrderedMembers(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_exactly_and_members_keep_order() {
        let text = r#"{"z":5000000.0000,"a":[1e3,-0.10,{"n":null,"t":true}],"s":"q\"uote"}"#;
        let value = Json::parse(text).unwrap();
        assert_eq!(value.to_string(), text);
        assert_eq!(value.get("z").and_then(Json::as_number_text), Some("5000000.0000"));
        let keys: Vec<_> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "s"]);
    }

    #[test]
    fn duplicate_members_and_garbage_are_refused() {
        assert!(Json::parse(r#"{"a":1,"a":2}"#).unwrap_err().0.contains("duplicate"));
        assert!(Json::parse("{").is_err());
        assert!(Json::parse_bytes(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(Json::parse(&nested(100)).is_ok());
        let error = Json::parse(&nested(10_000)).unwrap_err();
        assert_eq!(error.0, "JSON nested deeper than 100 levels");
        let objects = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        assert!(Json::parse(&objects).is_err());
    }
}

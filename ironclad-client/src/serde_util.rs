//! Tolerant serde helpers shared by the models.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// Parse the timestamps Ironclad sends: RFC 3339 (`2026-07-30T11:17:53.797Z`, or with an offset),
/// and, tolerantly, a date-time without offset (taken as UTC) or a bare date (midnight UTC).
pub(crate) fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(parsed) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(parsed);
    }
    let without_offset = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    if let Ok(parsed) = PrimitiveDateTime::parse(text, &without_offset) {
        return Some(parsed.assume_utc());
    }
    parse_date(text).map(|date| date.midnight().assume_utc())
}

/// Parse `YYYY-MM-DD`, or the date part of a timestamp.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let date_only = format_description!("[year]-[month]-[day]");
    if let Ok(date) = Date::parse(text, &date_only) {
        return Some(date);
    }
    if text.len() > 10 && text.is_char_boundary(10) {
        let head = &text[..10];
        if text[10..].starts_with('T') {
            return Date::parse(head, &date_only).ok();
        }
    }
    None
}

/// The JSON path (`roles[1].assignees`) at which `body` fails to decode as `T`, or `.` when it
/// names none. Call it only after a plain decode failed: path tracking slows every success.
pub(crate) fn decode_error_path<T: DeserializeOwned>(body: &[u8]) -> String {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => error.path().to_string(),
        Ok(_) => ".".to_owned(),
    }
}

/// Format as RFC 3339, e.g. `2026-07-30T11:17:53.797Z`.
pub(crate) fn format_timestamp(value: &OffsetDateTime) -> String {
    value.format(&Rfc3339).unwrap_or_else(|_| value.to_string())
}

/// `Option<OffsetDateTime>` fields: RFC 3339 strings (tolerantly, see [`parse_timestamp`]) or
/// epoch milliseconds. `null`, absent, and values that are not a recognizable timestamp are
/// `None` (the latter logged): one odd date must not make a whole workflow or a correctly
/// signed webhook delivery undecodable.
pub(crate) mod timestamp_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_str(&format_timestamp(value)),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(deserializer)?;
        let parsed = match &value {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(serde_json::Value::String(text)) if text.trim().is_empty() => return Ok(None),
            Some(serde_json::Value::String(text)) => parse_timestamp(text),
            Some(serde_json::Value::Number(millis)) => millis.as_i64().and_then(|m| {
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(m) * 1_000_000).ok()
            }),
            Some(_) => None,
        };
        if parsed.is_none() {
            tracing::warn!(value = ?value, "ignoring a timestamp that is not ISO 8601 or epoch milliseconds");
        }
        Ok(parsed)
    }
}

/// A field that may be absent or `null`: both decode as `T::default()` (an empty list, say).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An informational field: absent, `null`, or a value of an unexpected shape decode as
/// `T::default()` (the latter logged), so one odd field never fails a whole response.
///
/// The value is buffered as a `serde_json::Value`, which works inside `#[serde(flatten)]`
/// structs too. Not for exact numbers (money): a `Value` holds them as `f64`.
pub(crate) fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(T::default());
    }
    Ok(decode_or_log(value).unwrap_or_default())
}

/// An informational list: absent, `null` or not a list is empty; elements that do not decode
/// are left out (and logged) rather than failing the response.
pub(crate) fn lenient_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => Vec::new(),
        Value::Array(items) => items.into_iter().filter_map(decode_or_log).collect(),
        other => {
            tracing::warn!(found = json_kind(&other), "ignoring a field that is not a list");
            Vec::new()
        }
    })
}

/// An informational map: absent, `null` or not an object is empty; entries that do not decode
/// are left out (and logged) rather than failing the response.
pub(crate) fn lenient_map<'de, D, T>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => BTreeMap::new(),
        Value::Object(entries) => entries
            .into_iter()
            .filter_map(|(key, value)| decode_or_log(value).map(|decoded| (key, decoded)))
            .collect(),
        other => {
            tracing::warn!(found = json_kind(&other), "ignoring a field that is not an object");
            BTreeMap::new()
        }
    })
}

/// Like [`lenient`], for types that hold exact JSON (attribute values, money): the value is
/// buffered as raw JSON text rather than a `serde_json::Value`, so numbers keep their digits.
/// Only for structs decoded straight from JSON text (not inside `#[serde(flatten)]`).
pub(crate) fn lenient_raw<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let Some(raw) = Option::<Box<RawValue>>::deserialize(deserializer)? else {
        return Ok(T::default());
    };
    Ok(match serde_json::from_str(raw.get()) {
        Ok(decoded) => decoded,
        Err(error) => {
            tracing::warn!(
                expected = std::any::type_name::<T>(),
                %error,
                "ignoring a value that does not have the expected shape"
            );
            T::default()
        }
    })
}

/// Decode `value` as `T`, logging (without the value, which may be customer data) on failure.
fn decode_or_log<T: DeserializeOwned>(value: Value) -> Option<T> {
    match T::deserialize(value) {
        Ok(decoded) => Some(decoded),
        Err(error) => {
            tracing::warn!(
                expected = std::any::type_name::<T>(),
                %error,
                "ignoring a value that does not have the expected shape"
            );
            None
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A count that may arrive as a number or a numeric string.
pub(crate) mod flexible_u64_opt {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Number(u64),
            Float(f64),
            Text(String),
        }
        match Option::<Wire>::deserialize(deserializer)? {
            None => Ok(None),
            Some(Wire::Number(n)) => Ok(Some(n)),
            // Some services send `3600.0`; whole non-negative floats are fine.
            Some(Wire::Float(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
            Some(Wire::Float(f)) => {
                Err(D::Error::custom(format!("expected a whole number, found {f}")))
            }
            Some(Wire::Text(text)) => {
                text.trim().parse().map(Some).map_err(|_| {
                    D::Error::custom(format!("expected a whole number, found {text:?}"))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn parses_the_timestamps_ironclad_sends() {
        let cases = [
            ("2026-07-30T11:17:53.797Z", Some(datetime!(2026-07-30 11:17:53.797 UTC))),
            ("2021-05-11T17:16:53-07:00", Some(datetime!(2021-05-11 17:16:53 -07:00))),
            ("2024-01-31T00:00:00", Some(datetime!(2024-01-31 00:00:00 UTC))),
            ("2024-01-31", Some(datetime!(2024-01-31 00:00:00 UTC))),
            ("yesterday", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_timestamp(text), expected, "{text:?}");
        }
        assert_eq!(parse_date("2024-01-31T00:00:00Z"), Some(date!(2024 - 01 - 31)));
        assert_eq!(parse_date("2024-13-01"), None);
    }
}

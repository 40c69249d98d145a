//! Serde helpers for `Edm.Date` (date-only) columns as [`time::Date`]: `"2024-05-01"`.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Row {
//!     #[serde(default, with = "dataverse_client::typed::date::option")]
//!     birthdate: Option<time::Date>,
//! }
//! let row: Row = serde_json::from_str(r#"{"birthdate":"1990-02-28"}"#).unwrap();
//! assert_eq!(row.birthdate, Some(time::macros::date!(1990-02-28)));
//! assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"birthdate":"1990-02-28"}"#);
//! ```

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use time::Date;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `YYYY-MM-DD`.
pub(crate) fn format(value: Date) -> String {
    // Formatting a date with this description cannot fail; fall back on `Display` regardless.
    value.format(FORMAT).unwrap_or_else(|_| value.to_string())
}

/// Serialize as `"YYYY-MM-DD"`.
///
/// # Errors
/// Only the serializer's own errors.
pub fn serialize<S: Serializer>(value: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*value))
}

/// Deserialize from `"YYYY-MM-DD"`.
///
/// # Errors
/// When the value is not a string holding such a date.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = String::deserialize(deserializer)?;
    Date::parse(&text, FORMAT).map_err(|e| {
        D::Error::custom(format!("expected a date like 2024-05-01, found {text:?}: {e}"))
    })
}

/// The same for `Option<Date>` (`null` and a missing field are `None`); use with
/// `#[serde(default, with = "dataverse_client::typed::date::option")]`.
pub mod option {
    use super::*;

    /// Serialize `Some` as `"YYYY-MM-DD"`, `None` as `null`.
    ///
    /// # Errors
    /// Only the serializer's own errors.
    pub fn serialize<S: Serializer>(
        value: &Option<Date>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => super::serialize(date, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserialize `null` as `None`, else as [`super::deserialize`].
    ///
    /// # Errors
    /// When the value is neither `null` nor a date string.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|text| {
            Date::parse(&text, FORMAT).map_err(|e| {
                D::Error::custom(format!("expected a date like 2024-05-01, found {text:?}: {e}"))
            })
        })
        .transpose()
    }
}

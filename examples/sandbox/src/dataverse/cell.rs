//! Typed column values: decoding from request JSON, encoding to response JSON, comparing.
//!
//! Decoding is strict where the OData reader is strict: a JSON string sent for an
//! `Edm.Decimal`, a date-time for an `Edm.Date`, or an offset-less date-time is refused with the
//! reader's "Cannot convert the literal … to the expected type …" message. Money and decimals are
//! kept as [`Decimal`] parsed from the number's text, so `5000000.0000` comes back unchanged.

use std::cmp::Ordering;

use rest_client_core::json_decimal::parse_decimal_text;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::schema::ColumnKind;
use crate::json::Json;
use crate::timestamps;

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Bool(bool),
    DateTime(OffsetDateTime),
    Date(Date),
    Guid(Uuid),
    /// A lookup: the row id and the entity set it lives in (needed for polymorphic lookups).
    Lookup {
        id: Uuid,
        target_set: String,
    },
    /// `Edm.Double`.
    Float(f64),
    /// A value of a type the sandbox does not interpret, kept as sent.
    Raw(Json),
}

/// A value that does not fit its column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConvertError {
    pub(crate) literal: String,
    pub(crate) edm_type: String,
}

impl ConvertError {
    /// The OData reader's message.
    pub(crate) fn message(&self) -> String {
        format!(
            "Cannot convert the literal '{}' to the expected type '{}'.",
            self.literal, self.edm_type
        )
    }
}

impl Cell {
    /// Decode a request value for a column of `kind`. Lookups are written through navigation
    /// properties, never decoded here.
    pub(crate) fn decode(kind: &ColumnKind, value: &Json) -> Result<Cell, ConvertError> {
        if value.is_null() {
            return Ok(Cell::Null);
        }
        let fail =
            || ConvertError { literal: literal_of(value), edm_type: kind.edm_type().to_owned() };
        match kind {
            ColumnKind::Text { .. }
            | ColumnKind::Memo { .. }
            | ColumnKind::Autonumber { .. }
            | ColumnKind::DocumentBody
            | ColumnKind::EntityName => {
                value.as_str().map(|s| Cell::Text(s.to_owned())).ok_or_else(fail)
            }
            ColumnKind::WholeNumber | ColumnKind::Choice { .. } => value
                .as_number_text()
                .and_then(|t| t.parse::<i32>().ok())
                .map(|n| Cell::Int(i64::from(n)))
                .ok_or_else(fail),
            ColumnKind::BigInt => value
                .as_number_text()
                .and_then(|t| t.parse::<i64>().ok())
                .map(Cell::Int)
                .ok_or_else(fail),
            ColumnKind::SmallInt => value
                .as_number_text()
                .and_then(|t| t.parse::<i16>().ok())
                .map(|n| Cell::Int(i64::from(n)))
                .ok_or_else(fail),
            ColumnKind::Double => value
                .as_number_text()
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|f| f.is_finite())
                .map(Cell::Float)
                .ok_or_else(fail),
            ColumnKind::Binary | ColumnKind::Image { .. } => value
                .as_str()
                .filter(|s| super::store::decode_base64(s).is_some())
                .map(|s| Cell::Text(s.to_owned()))
                .ok_or_else(fail),
            ColumnKind::Other { .. } => Ok(Cell::Raw(value.clone())),
            ColumnKind::Decimal | ColumnKind::Money => value
                .as_number_text()
                .and_then(parse_decimal_text)
                .map(Cell::Decimal)
                .ok_or_else(fail),
            ColumnKind::Boolean => value.as_bool().map(Cell::Bool).ok_or_else(fail),
            ColumnKind::DateTime => value
                .as_str()
                .and_then(timestamps::parse_rfc3339)
                .map(|at| Cell::DateTime(timestamps::whole_seconds(at)))
                .ok_or_else(fail),
            ColumnKind::DateOnly => {
                value.as_str().and_then(timestamps::parse_date).map(Cell::Date).ok_or_else(fail)
            }
            ColumnKind::PrimaryKey
            | ColumnKind::Lookup
            | ColumnKind::Guid
            | ColumnKind::File { .. } => value
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .map(Cell::Guid)
                .ok_or_else(fail),
        }
    }

    /// The response JSON of this value.
    pub(crate) fn encode(&self) -> Json {
        match self {
            Cell::Null => Json::Null,
            Cell::Text(s) => Json::String(s.clone()),
            Cell::Int(n) => Json::Number(n.to_string()),
            Cell::Decimal(d) => Json::Number(d.to_string()),
            Cell::Bool(b) => Json::Bool(*b),
            Cell::DateTime(at) => Json::String(timestamps::dataverse_datetime(*at)),
            Cell::Date(date) => Json::String(timestamps::dataverse_date(*date)),
            Cell::Guid(id) | Cell::Lookup { id, .. } => Json::String(id.to_string()),
            Cell::Float(f) => Json::Number(float_text(*f)),
            Cell::Raw(json) => json.clone(),
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The value as a decimal, for a number (what sums and averages add up).
    pub(crate) fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Cell::Int(n) => Some(Decimal::from(*n)),
            Cell::Decimal(d) => Some(*d),
            Cell::Float(f) => Decimal::try_from(*f).ok(),
            _ => None,
        }
    }

    /// The sum of the numbers among `cells` (`None` when there are none), or a 400 when it
    /// leaves `Decimal`'s range: the values are clients' data, and `Decimal`'s `+` panics on
    /// overflow. What `$apply`'s `sum` and FetchXML's `sum` add up.
    pub(crate) fn sum<'c>(
        cells: impl IntoIterator<Item = &'c Cell>,
    ) -> Result<Option<(Decimal, u64)>, super::errors::DvError> {
        let mut total: Option<(Decimal, u64)> = None;
        for number in cells.into_iter().filter_map(Cell::as_decimal) {
            let (sum, count) = total.unwrap_or((Decimal::ZERO, 0));
            let sum = sum.checked_add(number).ok_or_else(|| {
                super::errors::DvError::query(
                    "The sum of the aggregated values is larger than a decimal can hold.",
                )
            })?;
            total = Some((sum, count + 1));
        }
        Ok(total)
    }

    /// The average of the numbers among `cells` (`None` when there are none).
    pub(crate) fn average<'c>(
        cells: impl IntoIterator<Item = &'c Cell>,
    ) -> Result<Option<Decimal>, super::errors::DvError> {
        Ok(Cell::sum(cells)?.map(|(sum, count)| sum / Decimal::from(count)))
    }

    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_guid(&self) -> Option<Uuid> {
        match self {
            Cell::Guid(id) | Cell::Lookup { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Compare two non-null values the way the query engine does: strings case-insensitively,
    /// numbers across integer/decimal, lookups by id. `None` when the types don't compare.
    pub(crate) fn compare(&self, other: &Cell) -> Option<Ordering> {
        match (self, other) {
            (Cell::Text(a), Cell::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            (Cell::Int(a), Cell::Int(b)) => Some(a.cmp(b)),
            (Cell::Decimal(a), Cell::Decimal(b)) => Some(a.cmp(b)),
            (Cell::Int(a), Cell::Decimal(b)) => Some(Decimal::from(*a).cmp(b)),
            (Cell::Decimal(a), Cell::Int(b)) => Some(a.cmp(&Decimal::from(*b))),
            (Cell::Float(a), Cell::Float(b)) => a.partial_cmp(b),
            (Cell::Float(a), Cell::Int(b)) => a.partial_cmp(&(*b as f64)),
            (Cell::Int(a), Cell::Float(b)) => (*a as f64).partial_cmp(b),
            (Cell::Float(a), Cell::Decimal(b)) => a.partial_cmp(&decimal_f64(*b)),
            (Cell::Decimal(a), Cell::Float(b)) => decimal_f64(*a).partial_cmp(b),
            (Cell::Bool(a), Cell::Bool(b)) => Some(a.cmp(b)),
            (Cell::DateTime(a), Cell::DateTime(b)) => Some(a.cmp(b)),
            (Cell::Date(a), Cell::Date(b)) => Some(a.cmp(b)),
            (a, b) => match (a.as_guid(), b.as_guid()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => None,
            },
        }
    }

    /// Total order for `$orderby`: nulls first (as SQL Server sorts them), then [`Cell::compare`].
    pub(crate) fn sort_cmp(&self, other: &Cell) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.compare(other).unwrap_or(Ordering::Equal),
        }
    }
}

/// A double as JSON text: integral values keep no fraction, others the shortest round trip.
fn float_text(value: f64) -> String {
    let text = value.to_string();
    if text.contains(['e', 'E']) { format!("{value:e}") } else { text }
}

fn decimal_f64(value: Decimal) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// How a JSON value reads in a conversion error (strings without quotes, as OData prints them).
fn literal_of(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(kind: ColumnKind, json: &str) -> Result<Cell, ConvertError> {
        Cell::decode(&kind, &Json::parse(json).unwrap())
    }

    #[test]
    fn money_is_exact_and_strings_are_refused() {
        let cell = decode(ColumnKind::Money, "5000000.0000").unwrap();
        assert_eq!(cell.encode().to_string(), "5000000.0000");
        let err = decode(ColumnKind::Money, r#""25.37""#).unwrap_err();
        assert_eq!(
            err.message(),
            "Cannot convert the literal '25.37' to the expected type 'Edm.Decimal'."
        );
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            decode(ColumnKind::DateOnly, r#""2026-12-01""#).unwrap().encode().to_string(),
            r#""2026-12-01""#
        );
        assert!(decode(ColumnKind::DateOnly, r#""2026-12-01T00:00:00Z""#).is_err());
        assert_eq!(
            decode(ColumnKind::DateTime, r#""2026-11-23T14:45:00.900+01:00""#)
                .unwrap()
                .encode()
                .to_string(),
            r#""2026-11-23T13:45:00Z""#
        );
        assert!(decode(ColumnKind::DateTime, r#""2026-11-23T14:45:00""#).is_err());
    }

    #[test]
    fn whole_numbers_must_fit_int32() {
        assert_eq!(decode(ColumnKind::WholeNumber, "12").unwrap(), Cell::Int(12));
        assert!(decode(ColumnKind::WholeNumber, "1.5").is_err());
        assert!(decode(ColumnKind::WholeNumber, "3000000000").is_err());
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            Cell::Text("ABC".into()).compare(&Cell::Text("abc".into())),
            Some(Ordering::Equal)
        );
        assert_eq!(
            Cell::Int(2).compare(&Cell::Decimal(Decimal::new(15, 1))),
            Some(Ordering::Greater)
        );
        assert_eq!(Cell::Null.sort_cmp(&Cell::Int(0)), Ordering::Less);
        assert_eq!(Cell::Int(1).compare(&Cell::Text("1".into())), None);
    }
}

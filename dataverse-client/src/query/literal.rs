//! OData literals: values written into `$filter` expressions and alternate keys.

use std::fmt;

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A value written into an OData expression, rendered so that it cannot break out of its place:
/// strings are single-quoted with embedded quotes doubled (`'O''Bryan'`), GUIDs, numbers and
/// booleans are bare, date-times are ISO 8601 in UTC (`2024-01-01T00:00:00Z`), dates are
/// `2024-01-01`.
///
/// Build one with `From` (`"text".into()`, `42.into()`, `uuid.into()`, `Some(x).into()`, …) or
/// [`literal`]. `None` renders as `null`.
///
/// ```
/// use dataverse_client::query::{Literal, literal};
/// use time::macros::datetime;
///
/// assert_eq!(literal("O'Bryan").to_string(), "'O''Bryan'");
/// assert_eq!(literal(725_590_000).to_string(), "725590000");
/// assert_eq!(literal(datetime!(2024-01-01 10:00 +02:00)).to_string(), "2024-01-01T08:00:00Z");
/// assert_eq!(Literal::from(None::<&str>).to_string(), "null");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (also choice / option set values).
    Int(i64),
    /// An exact decimal (money).
    Decimal(Decimal),
    /// A floating-point number; `NaN` and infinities render as OData's `NaN`, `INF`, `-INF`.
    Float(f64),
    /// A string, quoted with embedded `'` doubled.
    String(String),
    /// A GUID, bare.
    Guid(Uuid),
    /// A `DateTimeOffset`, written in UTC.
    DateTime(OffsetDateTime),
    /// A `Date`.
    Date(Date),
}

/// Shorthand for `Literal::from(value)`, handy inside `format!` for hand-written filters.
///
/// ```
/// use dataverse_client::query::literal;
///
/// let user_input = "x' or 1 eq 1 or name eq 'y";
/// let filter = format!("name eq {}", literal(user_input));
/// assert_eq!(filter, "name eq 'x'' or 1 eq 1 or name eq ''y'");
/// ```
pub fn literal(value: impl Into<Literal>) -> Literal {
    value.into()
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Decimal(d) => write!(f, "{}", d.normalize()),
            Literal::Float(x) if x.is_nan() => f.write_str("NaN"),
            Literal::Float(x) if x.is_infinite() => {
                f.write_str(if *x > 0.0 { "INF" } else { "-INF" })
            }
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::String(s) => {
                f.write_str("'")?;
                f.write_str(&s.replace('\'', "''"))?;
                f.write_str("'")
            }
            Literal::Guid(g) => write!(f, "{g}"),
            Literal::DateTime(dt) => write_date_time(f, *dt),
            Literal::Date(d) => write_date(f, *d),
        }
    }
}

/// `2024-01-01`, or `-0044-03-15` before year 0 (OData's `year = ["-"] 4*DIGIT`).
fn write_date(f: &mut fmt::Formatter<'_>, date: Date) -> fmt::Result {
    let year = date.year();
    let sign = if year < 0 { "-" } else { "" };
    write!(f, "{sign}{:04}-{:02}-{:02}", year.unsigned_abs(), u8::from(date.month()), date.day())
}

/// The instant in UTC (`2024-01-01T08:00:00Z`), written by hand: RFC 3339 formatting fails for
/// years outside 0000–9999 and converting to UTC panics at the edge of the supported range, and a
/// `Display` error would panic `to_string()` or silently cut a `$filter` short. An instant that
/// has no UTC representation (the last hours of 9999) keeps its own offset.
fn write_date_time(f: &mut fmt::Formatter<'_>, value: OffsetDateTime) -> fmt::Result {
    let value =
        OffsetDateTime::from_unix_timestamp_nanos(value.unix_timestamp_nanos()).unwrap_or(value);
    write_date(f, value.date())?;
    write!(f, "T{:02}:{:02}:{:02}", value.hour(), value.minute(), value.second())?;
    let nanos = value.nanosecond();
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        write!(f, ".{}", fraction.trim_end_matches('0'))?;
    }
    let offset = value.offset();
    if offset.is_utc() {
        return f.write_str("Z");
    }
    let sign = if offset.is_negative() { '-' } else { '+' };
    let (hours, minutes, _) = offset.as_hms();
    write!(f, "{sign}{:02}:{:02}", hours.unsigned_abs(), minutes.unsigned_abs())
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Literal {
            fn from(value: $t) -> Self {
                Literal::Int(i64::from(value))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Literal {
    fn from(value: bool) -> Self {
        Literal::Bool(value)
    }
}
impl From<f64> for Literal {
    fn from(value: f64) -> Self {
        Literal::Float(value)
    }
}
impl From<f32> for Literal {
    fn from(value: f32) -> Self {
        Literal::Float(f64::from(value))
    }
}
impl From<Decimal> for Literal {
    fn from(value: Decimal) -> Self {
        Literal::Decimal(value)
    }
}
impl From<&str> for Literal {
    fn from(value: &str) -> Self {
        Literal::String(value.to_owned())
    }
}
impl From<String> for Literal {
    fn from(value: String) -> Self {
        Literal::String(value)
    }
}
impl From<&String> for Literal {
    fn from(value: &String) -> Self {
        Literal::String(value.clone())
    }
}
impl From<Uuid> for Literal {
    fn from(value: Uuid) -> Self {
        Literal::Guid(value)
    }
}
impl From<OffsetDateTime> for Literal {
    fn from(value: OffsetDateTime) -> Self {
        Literal::DateTime(value)
    }
}
impl From<Date> for Literal {
    fn from(value: Date) -> Self {
        Literal::Date(value)
    }
}
impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(value: Option<T>) -> Self {
        value.map_or(Literal::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn renders_every_kind() {
        let cases: Vec<(Literal, &str)> = vec![
            (Literal::Null, "null"),
            (true.into(), "true"),
            ((-5i32).into(), "-5"),
            (Decimal::new(500_000_000, 4).into(), "50000"),
            (Decimal::new(12345, 2).into(), "123.45"),
            (1.5f64.into(), "1.5"),
            (1e21f64.into(), "1e21"),
            (f64::NAN.into(), "NaN"),
            (f64::NEG_INFINITY.into(), "-INF"),
            ("O'Bryan".into(), "'O''Bryan'"),
            ("''".into(), "''''''"),
            ("a&b+c".into(), "'a&b+c'"),
            (Uuid::from_u128(0xabc).into(), "00000000-0000-0000-0000-000000000abc"),
            (datetime!(2024-01-01 0:00 UTC).into(), "2024-01-01T00:00:00Z"),
            (datetime!(2024-06-30 23:30:15.5 -05:00).into(), "2024-07-01T04:30:15.5Z"),
            (
                datetime!(2024-01-01 0:00:00.000_000_001 UTC).into(),
                "2024-01-01T00:00:00.000000001Z",
            ),
            (date!(2024 - 02 - 29).into(), "2024-02-29"),
            // At the edges of the supported range: never a formatting error (which would panic
            // `to_string` and cut a `$filter` short).
            (datetime!(9999-12-31 23:00 -02:00).into(), "9999-12-31T23:00:00-02:00"),
            (datetime!(-0001-06-30 23:30 -01:00).into(), "-0001-07-01T00:30:00Z"),
            (date!(-0044 - 03 - 15).into(), "-0044-03-15"),
            (Some(3u8).into(), "3"),
        ];
        for (literal, expected) in cases {
            assert_eq!(literal.to_string(), expected, "{literal:?}");
        }
    }

    #[test]
    fn quotes_cannot_escape_the_literal() {
        // Whatever the input, the rendered literal is one quoted token: it starts and ends with a
        // quote and every quote inside comes in pairs.
        for input in ["'", "x' or true or 'y", "''''", "a'b'c", "'); DROP"] {
            let rendered = literal(input).to_string();
            let inner = &rendered[1..rendered.len() - 1];
            assert!(rendered.starts_with('\'') && rendered.ends_with('\''));
            assert_eq!(inner.replace("''", ""), input.replace('\'', ""), "{input}");
        }
    }
}

//! OData literals: values written into `$filter` expressions and alternate keys.

use std::fmt;

use rust_decimal::Decimal;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};
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
/// use dataverse_client::{Literal, literal};
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
/// use dataverse_client::literal;
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
            Literal::DateTime(dt) => {
                let utc = dt.to_offset(UtcOffset::UTC);
                match utc.format(&Rfc3339) {
                    Ok(text) => f.write_str(&text),
                    Err(_) => Err(fmt::Error),
                }
            }
            Literal::Date(d) => {
                write!(f, "{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            }
        }
    }
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
            (date!(2024 - 02 - 29).into(), "2024-02-29"),
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

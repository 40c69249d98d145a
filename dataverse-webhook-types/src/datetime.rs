//! [`DataverseDateTime`]: the `\/Date(ms[±hhmm])\/` dates of the payload.

use std::fmt;
use std::str::FromStr;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A point in time from the payload, with the UTC offset it was sent with (if any).
///
/// Dataverse writes dates the way .NET's `DataContractJsonSerializer` does:
/// `"\/Date(1506409448000-0700)\/"`. The number is milliseconds since the Unix epoch **in UTC**;
/// the optional `±hhmm` suffix only says which offset the sender's clock was in, so it is kept
/// beside the instant rather than added to it (adding it, as one C# library does, yields a
/// wall-clock time, not the instant).
///
/// Tolerance: some producers (debugging tools, Power Automate flows) send RFC 3339 strings
/// instead, so [`parse`](Self::parse) also accepts `2024-07-24T10:28:25Z`,
/// `2020-12-15T05:47:38+01:00`, and an offset-less `2024-07-24T10:28:25`, read as UTC.
///
/// ```
/// use dataverse_webhook_types::DataverseDateTime;
/// use time::macros::{datetime, offset};
///
/// let sent = DataverseDateTime::parse("/Date(1506409448000-0700)/")?;
/// assert_eq!(sent.utc(), datetime!(2017-09-26 07:04:08 UTC));
/// assert_eq!(sent.offset(), Some(offset!(-7)));
/// assert_eq!(sent.in_sent_offset(), datetime!(2017-09-26 00:04:08 -7));
/// assert_eq!(sent.unix_millis(), 1506409448000);
/// # Ok::<(), dataverse_webhook_types::DateTimeParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataverseDateTime {
    /// The instant, expressed in the offset it was sent with (UTC when none was sent).
    at: OffsetDateTime,
    offset_sent: bool,
}

/// Why a string is not a Dataverse date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Dataverse date (expected /Date(milliseconds[±hhmm])/ or RFC 3339): {reason}")]
pub struct DateTimeParseError {
    reason: &'static str,
}

impl DateTimeParseError {
    fn new(reason: &'static str) -> Self {
        Self { reason }
    }
}

impl DataverseDateTime {
    /// Parse `/Date(ms[±hhmm])/` (the JSON `\/` escapes already removed), or an RFC 3339
    /// date-time (an offset-less one is read as UTC).
    ///
    /// # Errors
    /// When the text is neither form, or the instant is outside years -9999..=9999.
    ///
    /// ```
    /// use dataverse_webhook_types::DataverseDateTime;
    ///
    /// let parsed = DataverseDateTime::parse("2024-07-24T10:28:25Z")?;
    /// assert_eq!(parsed.unix_millis(), 1721816905000);
    /// assert!(DataverseDateTime::parse("yesterday").is_err());
    /// # Ok::<(), dataverse_webhook_types::DateTimeParseError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, DateTimeParseError> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("/Date(").and_then(|t| t.strip_suffix(")/")) {
            return Self::parse_ms_ajax(inner);
        }
        if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
            return Ok(Self { at, offset_sent: true });
        }
        let offsetless = format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(text, offsetless)
            .map(|at| Self { at: at.assume_utc(), offset_sent: false })
            .map_err(|_| DateTimeParseError::new("unrecognised format"))
    }

    /// Whether `text` has the `/Date(…)/` shape (a cheap check, no full parse).
    pub(crate) fn looks_like_ms_ajax(text: &str) -> bool {
        text.starts_with("/Date(") && text.ends_with(")/")
    }

    /// The part between `/Date(` and `)/`: `-?digits` then an optional `[+-]hhmm`.
    fn parse_ms_ajax(inner: &str) -> Result<Self, DateTimeParseError> {
        let digits_start = usize::from(inner.starts_with('-'));
        let digits_end = inner
            .get(digits_start..)
            .and_then(|rest| rest.find(|c: char| !c.is_ascii_digit()))
            .map_or(inner.len(), |pos| pos + digits_start);
        let millis_text = inner.get(..digits_end).unwrap_or_default();
        if digits_end == digits_start {
            return Err(DateTimeParseError::new("no milliseconds"));
        }
        let millis: i64 = millis_text
            .parse()
            .map_err(|_| DateTimeParseError::new("milliseconds out of range"))?;
        let nanos = i128::from(millis) * 1_000_000;
        let utc = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map_err(|_| DateTimeParseError::new("date out of range"))?;

        let suffix = inner.get(digits_end..).unwrap_or_default();
        if suffix.is_empty() {
            return Ok(Self { at: utc, offset_sent: false });
        }
        let offset = parse_hhmm_offset(suffix)?;
        Ok(Self { at: utc.to_offset(offset), offset_sent: true })
    }

    /// The instant in UTC.
    pub fn utc(&self) -> OffsetDateTime {
        self.at.to_offset(UtcOffset::UTC)
    }

    /// The instant expressed in the offset it was sent with (UTC when none was sent).
    pub fn in_sent_offset(&self) -> OffsetDateTime {
        self.at
    }

    /// The offset that came with the value (`Some(UTC)` for `+0000`), or `None` when the wire
    /// value had no offset.
    pub fn offset(&self) -> Option<UtcOffset> {
        self.offset_sent.then(|| self.at.offset())
    }

    /// Milliseconds since the Unix epoch (sub-millisecond digits of an RFC 3339 input are
    /// truncated).
    pub fn unix_millis(&self) -> i64 {
        // Years -9999..=9999 are about ±3.2e14 ms, far inside i64.
        i64::try_from(self.at.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
    }
}

/// `+hhmm` / `-hhmm` → offset.
fn parse_hhmm_offset(suffix: &str) -> Result<UtcOffset, DateTimeParseError> {
    let bad = || DateTimeParseError::new("offset must be [+-]hhmm");
    let (sign, digits) = match suffix.as_bytes().first() {
        Some(b'+') => (1i8, &suffix[1..]),
        Some(b'-') => (-1i8, &suffix[1..]),
        _ => return Err(bad()),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: i8 = digits.get(..2).and_then(|h| h.parse().ok()).ok_or_else(bad)?;
    let minutes: i8 = digits.get(2..).and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0)
        .map_err(|_| DateTimeParseError::new("offset out of range"))
}

impl FromStr for DataverseDateTime {
    type Err = DateTimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Debug for DataverseDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataverseDateTime")
            .field("utc", &self.utc())
            .field("offset", &self.offset())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{datetime, offset};

    use super::*;

    #[test]
    fn ms_ajax_forms_keep_the_utc_instant_and_the_offset() {
        let plain = DataverseDateTime::parse("/Date(1721816905786)/").unwrap();
        assert_eq!(plain.utc(), datetime!(2024-07-24 10:28:25.786 UTC));
        assert_eq!(plain.offset(), None);

        let zero = DataverseDateTime::parse("/Date(1722582039000+0000)/").unwrap();
        assert_eq!(zero.offset(), Some(UtcOffset::UTC));
        assert_eq!(zero.utc(), datetime!(2024-08-02 07:00:39 UTC));

        let west = DataverseDateTime::parse("/Date(1506409448000-0700)/").unwrap();
        assert_eq!(west.utc(), datetime!(2017-09-26 07:04:08 UTC));
        assert_eq!(west.in_sent_offset().offset(), offset!(-7));
        assert_eq!(west.in_sent_offset().hour(), 0);

        let east = DataverseDateTime::parse("/Date(0+0530)/").unwrap();
        assert_eq!(east.utc(), datetime!(1970-01-01 00:00 UTC));
        assert_eq!(east.offset(), Some(offset!(+5:30)));
    }

    #[test]
    fn dotnet_min_value_and_negative_millis_parse() {
        // DateTime.MinValue, which DCJS writes for unset non-nullable dates.
        let min = DataverseDateTime::parse("/Date(-62135596800000)/").unwrap();
        assert_eq!(min.utc(), datetime!(0001-01-01 00:00 UTC));
        assert_eq!(min.unix_millis(), -62135596800000);
    }

    #[test]
    fn rfc3339_and_offsetless_inputs_are_tolerated() {
        let z = DataverseDateTime::parse("2024-07-24T10:28:25Z").unwrap();
        assert_eq!(z.unix_millis(), 1721816905000);
        let plus = DataverseDateTime::parse("2020-12-15T05:47:38+01:00").unwrap();
        assert_eq!(plus.utc(), datetime!(2020-12-15 04:47:38 UTC));
        assert_eq!(plus.offset(), Some(offset!(+1)));
        let bare = DataverseDateTime::parse("2020-12-15T05:47:38.5").unwrap();
        assert_eq!(bare.utc(), datetime!(2020-12-15 05:47:38.5 UTC));
        assert_eq!(bare.offset(), None);
    }

    #[test]
    fn malformed_dates_are_errors_not_panics() {
        for bad in [
            "",
            "/Date()/",
            "/Date(-)/",
            "/Date(abc)/",
            "/Date(1+00)/",
            "/Date(1+99999)/",
            "/Date(1+0099)/",
            "/Date(1*0100)/",
            "/Date(99999999999999999999)/",
            "/Date(9223372036854775807)/",
            "/Date(1)",
            "Date(1)/",
            "/Date(1-0é00)/",
            "2024-13-01T00:00:00Z",
        ] {
            assert!(DataverseDateTime::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}

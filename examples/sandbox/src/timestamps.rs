//! Timestamp formats of the two services.
//!
//! Dataverse writes `Edm.DateTimeOffset` values in UTC with whole seconds
//! (`2026-11-23T13:45:00Z`) and `Edm.Date` as `2026-12-01`
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api>).
//! Ironclad writes milliseconds with a `Z` (`2024-12-06T20:52:19.625Z`,
//! <https://developer.ironcladapp.com/reference/webhooks>).

use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// Now, in UTC.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `2026-11-23T13:45:00Z` (whole seconds, UTC).
pub(crate) fn dataverse_datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .unwrap_or_default()
}

/// `2026-12-01`.
pub(crate) fn dataverse_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// `2024-12-06T20:52:19.625Z` (milliseconds, UTC).
pub(crate) fn ironclad_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

/// Truncate to whole seconds, as Dataverse stores date-times.
pub(crate) fn whole_seconds(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

/// Parse an RFC 3339 date-time with an offset (`Z` or `±hh:mm`).
pub(crate) fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Parse `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    if text.len() != 10 {
        return None;
    }
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats() {
        let at = datetime!(2026-11-23 13:45:00.625 +01:00);
        assert_eq!(dataverse_datetime(at), "2026-11-23T12:45:00Z");
        assert_eq!(ironclad_timestamp(at), "2026-11-23T12:45:00.625Z");
        assert_eq!(parse_rfc3339("2026-11-23T12:45:00Z"), Some(datetime!(2026-11-23 12:45 UTC)));
        assert!(parse_rfc3339("2026-11-23").is_none());
        assert!(parse_date("2026-12-01").is_some());
        assert!(parse_date("2026-12-01T00:00:00Z").is_none());
    }
}

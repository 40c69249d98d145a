//! `Retry-After` parsing, tolerant of what real services send.
//!
//! RFC 9110 allows delay-seconds or an HTTP date. Dataverse sends whole seconds; .NET-hosted
//! services sometimes send fractional seconds or a `TimeSpan` (`00:00:05`). A value that cannot
//! be understood is ignored rather than treated as an error: the caller falls back to backoff.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// The longest wait a `Retry-After` value is read as; anything longer is capped here rather than
/// overflowing `Duration`. The retry policy decides what to do with a wait this long.
const MAX_WAIT: Duration = Duration::from_secs(86_400 * 365);

/// Parse one `Retry-After` value relative to `now`.
///
/// Accepts `120`, `1.5`, `00:00:05` (hh:mm:ss, optionally with fractional seconds) and an HTTP
/// date (`Wed, 21 Oct 2026 07:28:00 GMT`; a date in the past means "now", i.e. zero). A wait
/// longer than a year is read as one year.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use rest_client_core::parse_retry_after;
///
/// let now = SystemTime::UNIX_EPOCH;
/// assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
/// assert_eq!(parse_retry_after("00:01:30", now), Some(Duration::from_secs(90)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(seconds) = parse_seconds(value) {
        return Some(seconds);
    }
    if let Some(span) = parse_timespan(value) {
        return Some(span);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_WAIT))
}

/// The `Retry-After` of a response, if present and understood (see [`parse_retry_after`]).
///
/// Also reads `x-ms-retry-after-ms` (milliseconds), which some Microsoft services send instead.
pub fn retry_after_from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(value) = text("retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(value);
    }
    text("x-ms-retry-after-ms")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
}

fn parse_seconds(value: &str) -> Option<Duration> {
    if !value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let seconds: f64 = value.parse().ok()?;
    Duration::try_from_secs_f64(seconds.min(MAX_WAIT.as_secs_f64())).ok()
}

fn parse_timespan(value: &str) -> Option<Duration> {
    let mut parts = value.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let hours: u64 = h.parse().ok()?;
    let minutes: u64 = m.parse().ok()?;
    let seconds = parse_seconds(s)?;
    if minutes >= 60 || seconds >= Duration::from_secs(60) {
        return None;
    }
    // Saturating: the hours come from the network and `u64::MAX` hours must not overflow.
    let whole = hours.saturating_mul(3600).saturating_add(minutes * 60);
    Some(Duration::from_secs(whole).saturating_add(seconds).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn parses_every_form() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap_or(at(0));
        let cases = [
            ("0", Some(Duration::ZERO)),
            ("7", Some(Duration::from_secs(7))),
            (" 12 ", Some(Duration::from_secs(12))),
            ("1.5", Some(Duration::from_millis(1500))),
            ("00:00:05", Some(Duration::from_secs(5))),
            ("01:02:03", Some(Duration::from_secs(3723))),
            ("00:00:00.250", Some(Duration::from_millis(250))),
            // Absurd values are capped at a year, never an overflow.
            ("99999999999999999999", Some(MAX_WAIT)),
            ("5124095576030432:00:00", Some(MAX_WAIT)),
            ("18446744073709551615:59:59.9", Some(MAX_WAIT)),
            ("Wed, 21 Oct 2026 07:28:30 GMT", Some(Duration::from_secs(30))),
            ("Wed, 21 Oct 2026 07:00:00 GMT", Some(Duration::ZERO)),
            ("", None),
            ("-3", None),
            ("soon", None),
            ("00:99:00", None),
            ("1:2", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_retry_after(input, now), expected, "input {input:?}");
        }
    }

    #[test]
    fn reads_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after_from_headers(&headers, at(0)), None);
        headers.insert("x-ms-retry-after-ms", HeaderValue::from_static("1200"));
        assert_eq!(retry_after_from_headers(&headers, at(0)), Some(Duration::from_millis(1200)));
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after_from_headers(&headers, at(0)), Some(Duration::from_secs(3)));
    }
}

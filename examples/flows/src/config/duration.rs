//! Durations written the way people write them: `30s`, `5m`, `1h30m`, `250ms`.

use std::time::Duration;

/// Parse an interval: one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`
/// (`5m`, `1h30m`, `90s`); a bare number is seconds. Zero is refused.
///
/// ```
/// use std::time::Duration;
/// use flows::config::parse_interval;
///
/// assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
/// assert_eq!(parse_interval("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
/// assert!(parse_interval("5 parsecs").is_err());
/// ```
///
/// # Errors
/// A one-line reason for anything else.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an interval such as 5m, 30s or 1h30m is required".to_owned());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return checked(Duration::from_secs(seconds), text);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("{text:?} is not an interval such as 5m, 30s or 1h30m"));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| format!("{text:?} is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.saturating_mul(60)),
            "h" => Duration::from_secs(number.saturating_mul(3600)),
            "d" => Duration::from_secs(number.saturating_mul(86_400)),
            _ => {
                return Err(format!(
                    "{text:?} has an unknown unit {unit:?} (use ms, s, m, h or d)"
                ));
            }
        };
        total = total.saturating_add(part);
    }
    checked(total, text)
}

fn checked(duration: Duration, text: &str) -> Result<Duration, String> {
    if duration.is_zero() {
        Err(format!("{text:?} is zero; the interval must be positive"))
    } else {
        Ok(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_an_interval() {
        for bad in ["", "m", "5x", "0", "0s", "-5m", "5 m", "1.5h"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_interval("1d2h"), Ok(Duration::from_secs(93_600)));
    }
}

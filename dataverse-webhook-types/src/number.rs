//! Exact decimals from JSON number text.
//!
//! The same rule as `rest_client_core::json_decimal`, kept here because this crate is published
//! on its own and must not depend on the clients' unpublished plumbing (nor pull in its tokio).

use std::str::FromStr;

use rust_decimal::Decimal;

/// Parse the text of a JSON number (or a string holding one) exactly: plain (`-12.50`) or
/// scientific (`1.5E+3`). `None` when it is not a number or is outside `Decimal`'s range.
pub(crate) fn decimal_from_text(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        // More than 28 significant digits cannot be exact; round rather than reject.
        Decimal::from_str_exact(text).ok().or_else(|| Decimal::from_str(text).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_forms() {
        let cases = [
            ("1234567.8912", "1234567.8912"),
            ("5000000.0000", "5000000.0000"),
            ("-0.1", "-0.1"),
            ("+7", "7"),
            ("1.5E+3", "1500"),
            ("2.5e-3", "0.0025"),
            ("79228162514264337593543950335", "79228162514264337593543950335"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                decimal_from_text(text).map(|d| d.to_string()).as_deref(),
                Some(expected),
                "{text}"
            );
        }
        for bad in ["", "abc", "1e400", "1e-40", "79228162514264337593543950336", "--1", "1.2.3"] {
            assert_eq!(decimal_from_text(bad), None, "{bad}");
        }
    }
}

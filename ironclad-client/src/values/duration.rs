//! Contract durations: an object on workflows, an ISO 8601 string on records.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValueError;

/// A calendar duration in years, months, weeks and days (a contract term).
///
/// Serde uses the **workflow** encoding, an object with at least one unit:
/// `{"years":1,"months":2,"weeks":3,"days":4}`. Records use an ISO 8601 string
/// (`"P1Y2M3W4D"`): see [`ContractDuration::to_iso8601`] and
/// [`ContractDuration::from_iso8601`].
///
/// ```
/// use ironclad_client::values::ContractDuration;
///
/// let term = ContractDuration::new().years(10).months(3).weeks(2).days(1);
/// assert_eq!(serde_json::to_string(&term)?, r#"{"years":10,"months":3,"weeks":2,"days":1}"#);
/// assert_eq!(term.to_iso8601(), "P10Y3M2W1D");
/// assert_eq!(ContractDuration::from_iso8601("P10Y3M2W1D").unwrap(), term);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContractDuration {
    /// Years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
    /// Months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// Weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks: Option<u32>,
    /// Days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

impl ContractDuration {
    /// An empty duration to fill in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the years.
    pub fn years(mut self, years: u32) -> Self {
        self.years = Some(years);
        self
    }

    /// Set the months.
    pub fn months(mut self, months: u32) -> Self {
        self.months = Some(months);
        self
    }

    /// Set the weeks.
    pub fn weeks(mut self, weeks: u32) -> Self {
        self.weeks = Some(weeks);
        self
    }

    /// Set the days.
    pub fn days(mut self, days: u32) -> Self {
        self.days = Some(days);
        self
    }

    /// The record encoding: `P<y>Y<m>M<w>W<d>D`, omitting unset units (`P0D` when empty).
    pub fn to_iso8601(&self) -> String {
        let mut text = String::from("P");
        for (value, unit) in
            [(self.years, 'Y'), (self.months, 'M'), (self.weeks, 'W'), (self.days, 'D')]
        {
            if let Some(value) = value {
                text.push_str(&value.to_string());
                text.push(unit);
            }
        }
        if text.len() == 1 {
            text.push_str("0D");
        }
        text
    }

    /// Parse the record encoding (`P10Y3M2W1D`, any subset of units, in order).
    ///
    /// # Errors
    /// [`ValueError`] for anything else, including time parts (`PT12H`), which contract terms
    /// do not use.
    pub fn from_iso8601(text: &str) -> Result<Self, ValueError> {
        let error = || ValueError::new("an ISO 8601 duration like P1Y2M3W4D", format!("{text:?}"));
        let body = text.trim().strip_prefix(['P', 'p']).ok_or_else(error)?;
        if body.is_empty() {
            return Err(error());
        }
        let mut duration = ContractDuration::default();
        let mut number = String::new();
        let mut last_unit = 0;
        for c in body.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let rank = match c.to_ascii_uppercase() {
                'Y' => 1,
                'M' => 2,
                'W' => 3,
                'D' => 4,
                _ => return Err(error()),
            };
            if number.is_empty() || rank <= last_unit {
                return Err(error());
            }
            let value: u32 = number.parse().map_err(|_| error())?;
            match rank {
                1 => duration.years = Some(value),
                2 => duration.months = Some(value),
                3 => duration.weeks = Some(value),
                _ => duration.days = Some(value),
            }
            number.clear();
            last_unit = rank;
        }
        if !number.is_empty() {
            return Err(error());
        }
        Ok(duration)
    }
}

impl fmt::Display for ContractDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_round_trips_and_rejects_garbage() {
        for text in ["P1Y", "P2M", "P3W", "P4D", "P1Y4D", "P10Y3M2W1D", "P0D"] {
            let parsed = ContractDuration::from_iso8601(text).unwrap();
            assert_eq!(parsed.to_iso8601(), text);
        }
        for text in ["", "P", "1Y", "PT12H", "P1D1Y", "P1Y1Y", "PY", "P1", "P-1Y", "P99999999999Y"]
        {
            assert!(ContractDuration::from_iso8601(text).is_err(), "{text:?}");
        }
        assert_eq!(ContractDuration::new().to_iso8601(), "P0D");
        let schema_default: ContractDuration =
            serde_json::from_str(r#"{"days":0,"months":0}"#).unwrap();
        assert_eq!(schema_default, ContractDuration::new().days(0).months(0));
    }
}

//! Postal addresses.

use serde::{Deserialize, Serialize};

use crate::serde_util::null_as_default;

/// A postal address:
/// `{"lines":[…],"locality":…,"region":…,"postcode":…,"country":…}`.
///
/// Ironclad validates addresses on workflows: at most 4 lines; outside the US `lines`,
/// `locality` and `country` are required, in the US all five fields. Records may also carry
/// `raw` (the address as one string) and return a plain string unless `addressAsObject=true`
/// (see [`PropertyValue::AddressText`](crate::values::PropertyValue::AddressText)).
///
/// ```
/// use ironclad_client::values::Address;
///
/// let address = Address::new()
///     .line("325 5th Street")
///     .line("Suite 200")
///     .line("   ") // blank lines (an empty Dataverse address1_line2) are skipped
///     .locality("San Francisco")
///     .region("California")
///     .postcode("94107")
///     .country("USA");
/// assert_eq!(
///     serde_json::to_string(&address)?,
///     r#"{"lines":["325 5th Street","Suite 200"],"locality":"San Francisco","region":"California","postcode":"94107","country":"USA"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// Street lines (at most 4).
    #[serde(default, deserialize_with = "null_as_default")]
    pub lines: Vec<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The whole address as one string (records only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl Address {
    /// An empty address to fill in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a street line; blank lines are skipped.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        let line = line.into();
        if !line.trim().is_empty() {
            self.lines.push(line);
        }
        self
    }

    /// Set the city.
    pub fn locality(mut self, locality: impl Into<String>) -> Self {
        self.locality = non_blank(locality.into());
        self
    }

    /// Set the state, province or region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = non_blank(region.into());
        self
    }

    /// Set the postal code.
    pub fn postcode(mut self, postcode: impl Into<String>) -> Self {
        self.postcode = non_blank(postcode.into());
        self
    }

    /// Set the country.
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.country = non_blank(country.into());
        self
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

fn non_blank(value: String) -> Option<String> {
    if value.trim().is_empty() { None } else { Some(value) }
}

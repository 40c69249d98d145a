//! The body of a write that sends only the columns that were set.

use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::records::{RecordKey, bind_path};

/// The columns of a create, update or upsert, in the order they were set, each sent exactly
/// as set: only these columns count as changed for plug-ins and auditing.
///
/// Money is written from its decimal digits (never through `f64`); a lookup is written as
/// `"<navigation property>@odata.bind": "/<entity set>(<key>)"`, with the navigation
/// property's exact case ([Associate table rows on create](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#associate-table-rows-on-create)).
///
/// ```
/// use dataverse_client::typed::ColumnValues;
/// use rust_decimal::Decimal;
/// use std::str::FromStr;
/// use uuid::Uuid;
///
/// let mut values = ColumnValues::new();
/// values
///     .set("name", "Contoso")
///     .set("revenue", Decimal::from_str("1234567.8912").unwrap())
///     .bind("cre6f_Opportunity", "opportunities", Uuid::nil());
/// assert_eq!(
///     serde_json::to_string(&values).unwrap(),
///     r#"{"name":"Contoso","revenue":1234567.8912,"cre6f_Opportunity@odata.bind":"/opportunities(00000000-0000-0000-0000-000000000000)"}"#
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct ColumnValues {
    entries: Vec<(String, Box<RawValue>)>,
}

impl PartialEq for ColumnValues {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl ColumnValues {
    /// No columns.
    pub fn new() -> Self {
        Self::default()
    }

    fn put(&mut self, name: String, value: Box<RawValue>) -> &mut Self {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
        self
    }

    /// Set `column` (replacing an earlier value).
    pub fn set(&mut self, column: impl Into<String>, value: impl ColumnValue) -> &mut Self {
        self.put(column.into(), value.to_raw())
    }

    /// Set `column` to `null` (clear it).
    pub fn set_null(&mut self, column: impl Into<String>) -> &mut Self {
        self.put(column.into(), null())
    }

    /// Point a lookup at a row: `"<navigation_property>@odata.bind": "/<entity_set>(<key>)"`.
    pub fn bind(
        &mut self,
        navigation_property: &str,
        entity_set: &str,
        key: impl Into<RecordKey>,
    ) -> &mut Self {
        let path = bind_path(entity_set, key);
        self.put(format!("{navigation_property}@odata.bind"), string(&path))
    }

    /// Point a polymorphic lookup at a row through one of its navigation properties
    /// (`alternatives`: one per target table, such as `parentcustomerid_account` and
    /// `parentcustomerid_contact`), removing a binding made earlier through another one: the
    /// service refuses a body that sets the same lookup twice.
    pub fn bind_one_of(
        &mut self,
        alternatives: &[&str],
        navigation_property: &str,
        entity_set: &str,
        key: impl Into<RecordKey>,
    ) -> &mut Self {
        self.remove_bindings(alternatives, navigation_property);
        self.bind(navigation_property, entity_set, key)
    }

    /// Clear a polymorphic lookup: remove any binding through `alternatives` and send the
    /// first one as `null`.
    pub fn unbind_one_of(&mut self, alternatives: &[&str]) -> &mut Self {
        let Some(first) = alternatives.first() else { return self };
        self.remove_bindings(alternatives, first);
        self.unbind(first)
    }

    fn remove_bindings(&mut self, alternatives: &[&str], keep: &str) {
        self.entries.retain(|(name, _)| {
            name.strip_suffix("@odata.bind")
                .is_none_or(|navigation| navigation == keep || !alternatives.contains(&navigation))
        });
    }

    /// Clear a lookup: `"<navigation_property>@odata.bind": null`.
    pub fn unbind(&mut self, navigation_property: &str) -> &mut Self {
        self.put(format!("{navigation_property}@odata.bind"), null())
    }

    /// Remove a member (a column, or `<navigation property>@odata.bind`); whether it was set.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(n, _)| n != name);
        self.entries.len() != before
    }

    /// The JSON text of a member, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v.get())
    }

    /// The members and their JSON text, in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.get()))
    }

    /// The members as JSON, for serializers that add members around them.
    pub(crate) fn raw_entries(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), &**v))
    }

    /// How many members are set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Serialize for ColumnValues {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (name, value) in &self.entries {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

fn null() -> Box<RawValue> {
    raw("null".to_owned())
}

fn raw(json: String) -> Box<RawValue> {
    // Every caller passes JSON it produced itself; `null` stands in if that ever failed.
    RawValue::from_string(json).unwrap_or_default()
}

fn string(text: &str) -> Box<RawValue> {
    // Serializing a `&str` into JSON text cannot fail.
    raw(serde_json::to_string(text).unwrap_or_else(|_| "null".to_owned()))
}

mod sealed {
    pub trait Sealed {}
}

/// A value a column can be set to: text, numbers, booleans, GUIDs, exact decimals, dates and
/// date-times, or `Option`s of them (`None` clears the column).
///
/// Sealed: each implementation writes valid JSON the service accepts for its type.
pub trait ColumnValue: sealed::Sealed {
    /// The value as JSON.
    fn to_raw(&self) -> Box<RawValue>;
}

macro_rules! display_number {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl ColumnValue for $t {
            fn to_raw(&self) -> Box<RawValue> {
                raw(self.to_string())
            }
        }
    )*};
}

display_number!(i8, i16, i32, i64, u8, u16, u32, u64);

impl sealed::Sealed for f64 {}
impl ColumnValue for f64 {
    fn to_raw(&self) -> Box<RawValue> {
        // JSON has no NaN or infinity: such a value is sent as null rather than as invalid JSON.
        raw(serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned()))
    }
}

impl sealed::Sealed for bool {}
impl ColumnValue for bool {
    fn to_raw(&self) -> Box<RawValue> {
        raw(self.to_string())
    }
}

impl sealed::Sealed for Decimal {}
impl ColumnValue for Decimal {
    fn to_raw(&self) -> Box<RawValue> {
        raw(self.normalize().to_string())
    }
}

impl sealed::Sealed for str {}
impl ColumnValue for str {
    fn to_raw(&self) -> Box<RawValue> {
        string(self)
    }
}

impl sealed::Sealed for String {}
impl ColumnValue for String {
    fn to_raw(&self) -> Box<RawValue> {
        string(self)
    }
}

impl sealed::Sealed for Uuid {}
impl ColumnValue for Uuid {
    fn to_raw(&self) -> Box<RawValue> {
        string(&self.to_string())
    }
}

impl sealed::Sealed for OffsetDateTime {}
impl ColumnValue for OffsetDateTime {
    fn to_raw(&self) -> Box<RawValue> {
        // Dataverse stores UTC; a year outside RFC 3339's range keeps its text so that the
        // service rejects it with a reason instead of the value being dropped here.
        let utc = self.to_offset(UtcOffset::UTC);
        string(&utc.format(&Rfc3339).unwrap_or_else(|_| utc.to_string()))
    }
}

impl sealed::Sealed for Date {}
impl ColumnValue for Date {
    fn to_raw(&self) -> Box<RawValue> {
        string(&super::date::format(*self))
    }
}

impl<T: ColumnValue + ?Sized> sealed::Sealed for &T {}
impl<T: ColumnValue + ?Sized> ColumnValue for &T {
    fn to_raw(&self) -> Box<RawValue> {
        (**self).to_raw()
    }
}

impl<T: ColumnValue> sealed::Sealed for Option<T> {}
impl<T: ColumnValue> ColumnValue for Option<T> {
    fn to_raw(&self) -> Box<RawValue> {
        self.as_ref().map_or_else(null, ColumnValue::to_raw)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn values_are_written_exactly_and_replaced_in_place() {
        let mut values = ColumnValues::new();
        values
            .set("revenue", Decimal::from_str("79228162514264337593543950335").unwrap())
            .set("name", "O\"Neil \u{e9}")
            .set("count", 3_i32)
            .set("ratio", f64::NAN)
            .set("closed", true)
            .set("when", datetime!(2024-05-01 14:00 +02:00))
            .set("birthday", date!(1990 - 02 - 28))
            .set("gone", Option::<i32>::None)
            .set("name", String::from("Contoso"))
            .set_null("description")
            .bind(
                "parentcustomerid_account",
                "accounts",
                RecordKey::alternate([("accountnumber", "A'1")]),
            );
        assert_eq!(
            serde_json::to_string(&values).unwrap(),
            concat!(
                r#"{"revenue":79228162514264337593543950335,"name":"Contoso","count":3,"ratio":null,"#,
                r#""closed":true,"when":"2024-05-01T12:00:00Z","birthday":"1990-02-28","gone":null,"#,
                r#""description":null,"parentcustomerid_account@odata.bind":"/accounts(accountnumber='A''1')"}"#
            )
        );
        assert_eq!(values.len(), 10);
        assert!(values.remove("parentcustomerid_account@odata.bind"));
        assert!(!values.remove("parentcustomerid_account@odata.bind"));
        values.unbind("parentcustomerid_contact");
        assert_eq!(values.get("parentcustomerid_contact@odata.bind"), Some("null"));

        let customer = ["parentcustomerid_account", "parentcustomerid_contact"];
        values.bind_one_of(&customer, "parentcustomerid_account", "accounts", Uuid::nil());
        assert_eq!(values.get("parentcustomerid_contact@odata.bind"), None);
        assert_eq!(
            values.get("parentcustomerid_account@odata.bind"),
            Some("\"/accounts(00000000-0000-0000-0000-000000000000)\"")
        );
        values.unbind_one_of(&customer);
        assert_eq!(values.get("parentcustomerid_account@odata.bind"), Some("null"));
        values.bind_one_of(&customer, "parentcustomerid_contact", "contacts", Uuid::nil());
        assert_eq!(values.get("parentcustomerid_account@odata.bind"), None);
        assert_eq!(values.get("revenue"), Some("79228162514264337593543950335"));
        assert_eq!(values.get("revenue"), Some("79228162514264337593543950335"));
        assert_eq!(values.iter().next(), Some(("revenue", "79228162514264337593543950335")));
    }
}

//! Dynamic records and helpers for their OData annotations.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::key::{RecordKey, bind_path};
use crate::query::FORMATTED_VALUE;

/// A row as a JSON object, for code that does not declare a struct per table.
///
/// Numbers in a `Record` are read by `serde_json` as `f64`, which is not exact for money: to read
/// a money column exactly, declare it in a struct with
/// `#[serde(with = "dataverse_client::json_decimal")]` (or `json_decimal::option`), or decode the
/// row as a map of raw values (`BTreeMap<String, Box<serde_json::value::RawValue>>`) and convert
/// with [`json_decimal::decimal_from_raw`](crate::json_decimal::decimal_from_raw).
pub type Record = Map<String, Value>;

const LOOKUP_LOGICAL_NAME: &str = "Microsoft.Dynamics.CRM.lookuplogicalname";

/// The value of a lookup column as returned in `_<column>_value` and its annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lookup {
    /// The referenced row's id.
    pub id: Uuid,
    /// The referenced table's logical name (needs
    /// `include_annotations("Microsoft.Dynamics.CRM.lookuplogicalname")` or `"*"`).
    pub logical_name: Option<String>,
    /// The referenced row's primary name (needs formatted values).
    pub name: Option<String>,
}

/// Reading and writing the OData conventions of a [`Record`].
///
/// ```
/// use dataverse_client::records::{Record, RecordExt};
/// use serde_json::json;
/// use uuid::Uuid;
///
/// let row: Record = serde_json::from_value(json!({
///     "@odata.etag": "W/\"536530\"",
///     "statuscode": 1,
///     "statuscode@OData.Community.Display.V1.FormattedValue": "Active",
///     "_parentaccountid_value": "7eb682f1-ca75-e511-80d4-00155d2a68d1",
///     "_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account",
/// })).unwrap();
/// assert_eq!(row.etag(), Some("W/\"536530\""));
/// assert_eq!(row.formatted_value("statuscode"), Some("Active"));
/// assert_eq!(row.lookup("parentaccountid").unwrap().logical_name.as_deref(), Some("account"));
///
/// let mut note = Record::new();
/// note.bind("objectid_cre6f_agreement", "cre6f_agreements", Uuid::nil());
/// assert_eq!(
///     note["objectid_cre6f_agreement@odata.bind"],
///     "/cre6f_agreements(00000000-0000-0000-0000-000000000000)"
/// );
/// ```
pub trait RecordExt {
    /// `@odata.etag`, for optimistic concurrency.
    fn etag(&self) -> Option<&str>;
    /// `<column>@OData.Community.Display.V1.FormattedValue`.
    fn formatted_value(&self, column: &str) -> Option<&str>;
    /// A lookup column: `_<column>_value` with its annotations.
    fn lookup(&self, column: &str) -> Option<Lookup>;
    /// Set a lookup on write: `"<navigation_property>@odata.bind": "/<entity_set>(<key>)"`.
    /// The navigation property name is case-sensitive and used exactly as given.
    fn bind(
        &mut self,
        navigation_property: &str,
        entity_set: &str,
        key: impl Into<RecordKey>,
    ) -> &mut Self;
    /// Clear a lookup on write: `"<navigation_property>@odata.bind": null`.
    fn unbind(&mut self, navigation_property: &str) -> &mut Self;
}

impl RecordExt for Record {
    fn etag(&self) -> Option<&str> {
        self.get("@odata.etag").and_then(Value::as_str)
    }

    fn formatted_value(&self, column: &str) -> Option<&str> {
        self.get(&format!("{column}@{FORMATTED_VALUE}")).and_then(Value::as_str)
    }

    fn lookup(&self, column: &str) -> Option<Lookup> {
        let property = format!("_{column}_value");
        let id =
            self.get(&property).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())?;
        let annotation = |name: &str| {
            self.get(&format!("{property}@{name}")).and_then(Value::as_str).map(str::to_owned)
        };
        Some(Lookup {
            id,
            logical_name: annotation(LOOKUP_LOGICAL_NAME),
            name: annotation(FORMATTED_VALUE),
        })
    }

    fn bind(
        &mut self,
        navigation_property: &str,
        entity_set: &str,
        key: impl Into<RecordKey>,
    ) -> &mut Self {
        self.insert(
            format!("{navigation_property}@odata.bind"),
            Value::String(bind_path(entity_set, key)),
        );
        self
    }

    fn unbind(&mut self, navigation_property: &str) -> &mut Self {
        self.insert(format!("{navigation_property}@odata.bind"), Value::Null);
        self
    }
}

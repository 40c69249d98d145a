//! Serde helpers for flags enumerations (`IsFlags="true"`, such as `AccessRights` or
//! `EntityFilters`) as a `Vec` of members.
//!
//! OData writes such a value as one JSON string of member names separated by commas
//! (`"ReadAccess,WriteAccess"`; the service also writes a space after each comma)
//! ([OData JSON format, primitive value](https://docs.oasis-open.org/odata/odata-json-format/v4.01/odata-json-format-v4.01.html#sec_PrimitiveValue)).
//! The members are any type that gives its name with `AsRef<str>` and is read from one with
//! `From<&str>`, as the enumerations `dataverse-codegen` generates are.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, PartialEq)]
//! struct Member(String);
//! impl AsRef<str> for Member { fn as_ref(&self) -> &str { &self.0 } }
//! impl From<&str> for Member { fn from(name: &str) -> Self { Member(name.to_owned()) } }
//!
//! #[derive(Serialize, Deserialize)]
//! struct Access {
//!     #[serde(rename = "AccessRights", with = "dataverse_client::typed::flags")]
//!     access_rights: Vec<Member>,
//! }
//! let read: Access = serde_json::from_str(r#"{"AccessRights":"ReadAccess, WriteAccess"}"#).unwrap();
//! assert_eq!(read.access_rights, [Member("ReadAccess".into()), Member("WriteAccess".into())]);
//! assert_eq!(serde_json::to_string(&read).unwrap(), r#"{"AccessRights":"ReadAccess,WriteAccess"}"#);
//! ```

use serde::{Deserialize, Deserializer, Serializer};

/// Write the members as `"A,B"`.
pub fn serialize<S: Serializer, T: AsRef<str>>(
    members: &[T],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let names: Vec<&str> = members.iter().map(AsRef::as_ref).collect();
    serializer.serialize_str(&names.join(","))
}

/// Read `"A, B"` (or `"A,B"`; an empty string is no member).
pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    let text = String::deserialize(deserializer)?;
    Ok(split(&text))
}

fn split<T: for<'a> From<&'a str>>(text: &str) -> Vec<T> {
    text.split(',').map(str::trim).filter(|name| !name.is_empty()).map(T::from).collect()
}

/// The same for `Option<Vec<_>>` fields (`null` or absent is `None`).
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Write `Some` as `"A,B"`, `None` as `null`.
    pub fn serialize<S: Serializer, T: AsRef<str>>(
        members: &Option<Vec<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match members {
            Some(members) => super::serialize(members, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Read `"A, B"` or `null`.
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: for<'a> From<&'a str>,
    {
        Ok(Option::<String>::deserialize(deserializer)?.map(|text| super::split(&text)))
    }
}

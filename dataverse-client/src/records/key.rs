//! How a row is addressed: its GUID or an alternate key.

use std::fmt;

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::odata::validate_identifier;
use crate::query::Literal;

/// Characters Dataverse does not support in an alternate-key value in a URL: requests by such a
/// key fail with a query syntax error or "not found", even percent-encoded.
/// - <https://learn.microsoft.com/power-apps/maker/data-platform/define-alternate-keys-portal>:
///   with `/ < > * % & : \ ?` in the data (`#` and `+` in newer versions of the page) "GET or
///   PATCH actions will not work".
/// - <https://learn.microsoft.com/power-apps/maker/data-platform/define-alternate-keys-reference-records#unicode-characters-in-key-value>:
///   `< > * % & : / \` break update and upsert.
/// - <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api#retrieve-using-an-alternate-key>:
///   values with `+` are not supported for retrieval.
const UNSUPPORTED_IN_KEY_VALUES: [char; 11] =
    ['<', '>', '*', '%', '&', ':', '/', '\\', '#', '+', '?'];

/// Identifies one row: by primary key (GUID) or by an alternate key.
///
/// Dataverse cannot address a row by an alternate-key value that contains
/// `< > * % & : / \ # + ?` ([Microsoft's note](https://learn.microsoft.com/power-apps/maker/data-platform/define-alternate-keys-portal)):
/// a request by such a key fails with [`Error::UnsupportedKeyValue`](crate::Error::UnsupportedKeyValue)
/// before anything is sent. Query for the row with [`Filter::eq`](crate::query::Filter::eq) on the key
/// column instead and use its id.
///
/// ```
/// use dataverse_client::{query::Literal, records::RecordKey};
/// use uuid::Uuid;
///
/// let by_id: RecordKey = Uuid::nil().into();
/// assert_eq!(by_id.to_string(), "00000000-0000-0000-0000-000000000000");
///
/// let by_key = RecordKey::alternate([("accountnumber", "ACC-001")]);
/// assert_eq!(by_key.to_string(), "accountnumber='ACC-001'");
///
/// let composite = RecordKey::alternate([("cre6f_region", Literal::from("EU")), ("cre6f_number", Literal::from(42))]);
/// assert_eq!(composite.to_string(), "cre6f_region='EU',cre6f_number=42");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RecordKey {
    /// The primary key.
    Id(Uuid),
    /// An alternate key: one or more `column = value` pairs defined as a key on the table.
    Alternate(Vec<(String, Literal)>),
}

impl RecordKey {
    /// An alternate key from `(column, value)` pairs.
    pub fn alternate<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<Literal>,
    {
        RecordKey::Alternate(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// The row's GUID, when addressed by primary key.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            RecordKey::Id(id) => Some(*id),
            RecordKey::Alternate(_) => None,
        }
    }

    /// Check column names, that an alternate key is not empty, and that its text values hold no
    /// character Dataverse cannot take in a key.
    pub(crate) fn validate(&self) -> Result<()> {
        if let RecordKey::Alternate(pairs) = self {
            if pairs.is_empty() {
                return Err(Error::InvalidRequest(
                    "an alternate key needs at least one column".to_owned(),
                ));
            }
            for (column, value) in pairs {
                validate_identifier("key column", column)?;
                if let Literal::String(text) = value
                    && let Some(character) =
                        text.chars().find(|c| UNSUPPORTED_IN_KEY_VALUES.contains(c))
                {
                    return Err(Error::UnsupportedKeyValue { column: column.clone(), character });
                }
            }
        }
        Ok(())
    }

    /// `entity_set(key)`, validated, as one path segment.
    pub(crate) fn segment(&self, entity_set: &str) -> Result<String> {
        validate_identifier("entity set", entity_set)?;
        self.validate()?;
        Ok(format!("{entity_set}({self})"))
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordKey::Id(id) => write!(f, "{id}"),
            RecordKey::Alternate(pairs) => {
                for (i, (column, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{column}={value}")?;
                }
                Ok(())
            }
        }
    }
}

impl From<Uuid> for RecordKey {
    fn from(id: Uuid) -> Self {
        RecordKey::Id(id)
    }
}

impl From<&Uuid> for RecordKey {
    fn from(id: &Uuid) -> Self {
        RecordKey::Id(*id)
    }
}

/// `"/<entity_set>(<key>)"`: the value of an `…@odata.bind` property.
///
/// An alternate-key value with `< > * % & : / \ # + ?` does not work here either (Dataverse reads
/// `%23` literally, and `#` is a syntax error); bind such rows by id.
///
/// ```
/// use dataverse_client::records::bind_path;
/// use uuid::Uuid;
///
/// assert_eq!(
///     bind_path("opportunities", Uuid::nil()),
///     "/opportunities(00000000-0000-0000-0000-000000000000)"
/// );
/// ```
pub fn bind_path(entity_set: &str, key: impl Into<RecordKey>) -> String {
    format!("/{entity_set}({})", key.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_validate_names() {
        let key = RecordKey::alternate([("accountnumber", "A B'C")]);
        assert_eq!(key.segment("accounts").unwrap(), "accounts(accountnumber='A B''C')");
        assert!(key.segment("accounts)/x(").is_err());
        assert!(RecordKey::alternate([("bad col", 1)]).segment("accounts").is_err());
        assert!(RecordKey::Alternate(Vec::new()).segment("accounts").is_err());
    }

    #[test]
    fn key_values_dataverse_cannot_address_are_refused() {
        for character in UNSUPPORTED_IN_KEY_VALUES {
            let key = RecordKey::alternate([
                ("cre6f_region", Literal::from("EU")),
                ("accountnumber", Literal::from(format!("A{character}1"))),
            ]);
            match key.segment("accounts") {
                Err(Error::UnsupportedKeyValue { column, character: found }) => {
                    assert_eq!((column.as_str(), found), ("accountnumber", character));
                }
                other => panic!("{character:?}: {other:?}"),
            }
        }
        // Other text is fine, and only text values are checked (a date-time key renders with
        // `:` outside quotes, which the URL parser reads as a date-time literal).
        let date = time::macros::datetime!(2024-05-01 12:00 UTC);
        let fine = RecordKey::alternate([
            ("name", Literal::from("O'Hare (EU) - €5; a_b [x] = y")),
            ("cre6f_since", Literal::from(date)),
        ]);
        assert!(fine.segment("accounts").is_ok());
    }
}

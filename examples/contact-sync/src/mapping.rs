//! Field mappings: which Dataverse column feeds which user field.

use std::fmt;
use std::str::FromStr;

/// A field of a synced user that a Dataverse column can feed.
///
/// ```
/// use contact_sync::UserField;
///
/// assert_eq!("email".parse::<UserField>()?, UserField::Email);
/// assert_eq!("attribute:department".parse::<UserField>()?, UserField::Attribute("department".into()));
/// assert_eq!(UserField::FirstName.to_string(), "first_name");
/// # Ok::<(), contact_sync::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum UserField {
    /// `first_name`.
    FirstName,
    /// `last_name`.
    LastName,
    /// `email`: also the second way a contact is matched to an existing user.
    Email,
    /// `phone`.
    Phone,
    /// `active`: fed by a choice column (`statecode`: 0/"0"/"Active" is active, 1/"1"/"Inactive"
    /// is inactive) or a yes/no column.
    Active,
    /// `attribute:<name>`: any other column, kept in the user's `attributes` map.
    Attribute(String),
}

impl fmt::Display for UserField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FirstName => f.write_str("first_name"),
            Self::LastName => f.write_str("last_name"),
            Self::Email => f.write_str("email"),
            Self::Phone => f.write_str("phone"),
            Self::Active => f.write_str("active"),
            Self::Attribute(name) => write!(f, "attribute:{name}"),
        }
    }
}

impl FromStr for UserField {
    type Err = MappingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "first_name" => Ok(Self::FirstName),
            "last_name" => Ok(Self::LastName),
            "email" => Ok(Self::Email),
            "phone" => Ok(Self::Phone),
            "active" => Ok(Self::Active),
            other => match other.strip_prefix("attribute:") {
                Some(name) if is_attribute_name(name) => Ok(Self::Attribute(name.to_owned())),
                Some(name) => Err(MappingError::BadAttributeName(name.to_owned())),
                None => Err(MappingError::UnknownField(other.to_owned())),
            },
        }
    }
}

/// Why a set of field mappings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The target is not a user field.
    #[error(
        "`{0}` is not a user field (expected first_name, last_name, email, phone, active or attribute:<name>)"
    )]
    UnknownField(String),
    /// An `attribute:` name is empty or has characters other than letters, digits, `_`, `-`, `.`.
    #[error("`attribute:{0}`: an attribute name is 1-64 letters, digits, `_`, `-` or `.`")]
    BadAttributeName(String),
    /// A column name is not a Dataverse logical name.
    #[error("`{0}` is not a column logical name (1-128 letters, digits or `_`)")]
    BadColumn(String),
    /// Two columns feed the same user field.
    #[error("both `{first}` and `{second}` map to {field}")]
    DuplicateField {
        /// The field.
        field: UserField,
        /// The first column.
        first: String,
        /// The second column.
        second: String,
    },
    /// No mapping at all.
    #[error("no field mappings: map at least one column")]
    Empty,
}

/// Which Dataverse column feeds which [`UserField`], in a stable order.
///
/// The default is the spec's: `firstname` → first name, `lastname` → last name,
/// `emailaddress1` → email, `telephone1` → phone, `statecode` → active.
///
/// ```
/// use contact_sync::{FieldMappings, UserField};
///
/// let defaults = FieldMappings::default();
/// assert_eq!(defaults.column_for(&UserField::Email), Some("emailaddress1"));
///
/// let custom = FieldMappings::new([("emailaddress2", "email"), ("new_department", "attribute:department")])?;
/// assert_eq!(custom.column_for(&UserField::Email), Some("emailaddress2"));
/// assert_eq!(custom.iter().count(), 2);
/// # Ok::<(), contact_sync::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMappings {
    /// `(column, field)`, sorted by column.
    pairs: Vec<(String, UserField)>,
}

impl Default for FieldMappings {
    fn default() -> Self {
        let pairs = [
            ("emailaddress1", UserField::Email),
            ("firstname", UserField::FirstName),
            ("lastname", UserField::LastName),
            ("statecode", UserField::Active),
            ("telephone1", UserField::Phone),
        ];
        Self {
            pairs: pairs.into_iter().map(|(column, field)| (column.to_owned(), field)).collect(),
        }
    }
}

impl FieldMappings {
    /// Mappings from `(column, user field)` pairs, the user field written as in the config file
    /// (`first_name`, `email`, `attribute:department`, …).
    ///
    /// # Errors
    /// When a column is not a logical name, a target is not a user field, two columns feed the
    /// same field, or there is no pair.
    pub fn new<C, F>(pairs: impl IntoIterator<Item = (C, F)>) -> Result<Self, MappingError>
    where
        C: AsRef<str>,
        F: AsRef<str>,
    {
        let mut checked: Vec<(String, UserField)> = Vec::new();
        for (column, field) in pairs {
            let column = column.as_ref();
            if !is_column_name(column) {
                return Err(MappingError::BadColumn(column.to_owned()));
            }
            let field: UserField = field.as_ref().parse()?;
            if let Some((first, _)) = checked.iter().find(|(_, existing)| *existing == field) {
                return Err(MappingError::DuplicateField {
                    field,
                    first: first.clone(),
                    second: column.to_owned(),
                });
            }
            checked.push((column.to_owned(), field));
        }
        if checked.is_empty() {
            return Err(MappingError::Empty);
        }
        checked.sort();
        checked.dedup_by(|a, b| a.0 == b.0);
        Ok(Self { pairs: checked })
    }

    /// `(column, field)` pairs, by column name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &UserField)> + '_ {
        self.pairs.iter().map(|(column, field)| (column.as_str(), field))
    }

    /// The column that feeds `field`, if any.
    pub fn column_for(&self, field: &UserField) -> Option<&str> {
        self.pairs.iter().find(|(_, mapped)| mapped == field).map(|(column, _)| column.as_str())
    }
}

/// Dataverse logical names are lower case; flows may send other keys, so be a little wider.
pub(crate) fn is_column_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

fn is_attribute_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_columns() {
        let defaults = FieldMappings::default();
        let pairs: Vec<(&str, String)> =
            defaults.iter().map(|(column, field)| (column, field.to_string())).collect();
        assert_eq!(
            pairs,
            [
                ("emailaddress1", "email".to_owned()),
                ("firstname", "first_name".to_owned()),
                ("lastname", "last_name".to_owned()),
                ("statecode", "active".to_owned()),
                ("telephone1", "phone".to_owned()),
            ]
        );
    }

    #[test]
    fn rejects_what_cannot_work() {
        assert_eq!(
            FieldMappings::new([("firstname", "given_name")]),
            Err(MappingError::UnknownField("given_name".into()))
        );
        assert_eq!(
            FieldMappings::new([("first name", "first_name")]),
            Err(MappingError::BadColumn("first name".into()))
        );
        assert_eq!(
            FieldMappings::new([("a", "email"), ("b", "email")]),
            Err(MappingError::DuplicateField {
                field: UserField::Email,
                first: "a".into(),
                second: "b".into()
            })
        );
        assert_eq!(
            FieldMappings::new([("a", "attribute:")]),
            Err(MappingError::BadAttributeName(String::new()))
        );
        assert_eq!(FieldMappings::new(Vec::<(&str, &str)>::new()), Err(MappingError::Empty));
    }

    #[test]
    fn every_field_round_trips_through_its_name() {
        for field in [
            UserField::FirstName,
            UserField::LastName,
            UserField::Email,
            UserField::Phone,
            UserField::Active,
            UserField::Attribute("cost-centre.v2".into()),
        ] {
            assert_eq!(field.to_string().parse::<UserField>(), Ok(field));
        }
    }
}

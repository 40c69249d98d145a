//! Function parameter values and the aliases that carry them in the query string.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::odata::validate_identifier;
use crate::query::Literal;
use crate::records::RecordKey;

/// The value of one function parameter.
///
/// Functions take their parameters in the URL; the client always passes them as parameter aliases
/// (`GetTimeZoneCodeByLocalizedName(LocalizedStandardName=@p1,LocaleId=@p2)?@p1='Pacific%20Standard%20Time'&@p2=1033`),
/// the form Microsoft recommends because values such as date-times and text with reserved
/// characters survive it intact
/// ([Passing parameters to a function](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions#passing-parameters-to-a-function)).
///
/// Build one from any [`Literal`] type (`"text"`, `42`, `true`, a `Uuid`, an `OffsetDateTime`, a
/// `Decimal`, …), or with [`ParameterValue::record`] for a reference to a row,
/// [`ParameterValue::enum_members`] for an enumeration and [`ParameterValue::json`] for a complex
/// type or collection.
///
/// ```
/// use dataverse_client::operations::ParameterValue;
/// use uuid::Uuid;
///
/// assert_eq!(ParameterValue::from("O'Hare").to_string(), "'O''Hare'");
/// assert_eq!(ParameterValue::from(1033).to_string(), "1033");
/// assert_eq!(
///     ParameterValue::record("contacts", Uuid::nil()).to_string(),
///     r#"{"@odata.id":"contacts(00000000-0000-0000-0000-000000000000)"}"#
/// );
/// assert_eq!(
///     ParameterValue::enum_members("Microsoft.Dynamics.CRM.EntityFilters", ["Entity", "Attributes"]).to_string(),
///     "Microsoft.Dynamics.CRM.EntityFilters'Entity,Attributes'"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParameterValue {
    /// A primitive value, written as an OData literal.
    Literal(Literal),
    /// A complex value, a collection or a row reference, written as JSON.
    Json(Value),
    /// Members of an enumeration type, e.g. `Microsoft.Dynamics.CRM.EntityFilters'Entity'`.
    Enum {
        /// The enumeration's qualified type name.
        type_name: String,
        /// The members, joined with `,` (flags enumerations take several).
        members: Vec<String>,
    },
}

impl ParameterValue {
    /// A reference to a row (`{"@odata.id":"<entity_set>(<key>)"}`), for parameters whose type is
    /// an entity type
    /// ([Pass record reference to a function](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions#pass-record-reference-to-a-function)).
    pub fn record(entity_set: &str, key: impl Into<RecordKey>) -> Self {
        let reference = format!("{entity_set}({})", key.into());
        ParameterValue::Json(serde_json::json!({ "@odata.id": reference }))
    }

    /// Members of an enumeration type (`type_name` qualified, e.g.
    /// `Microsoft.Dynamics.CRM.EntityFilters`).
    pub fn enum_members<I, S>(type_name: impl Into<String>, members: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ParameterValue::Enum {
            type_name: type_name.into(),
            members: members.into_iter().map(Into::into).collect(),
        }
    }

    /// A complex value or a collection, sent as JSON.
    pub fn json(value: Value) -> Self {
        ParameterValue::Json(value)
    }

    /// The value for one field of a serialized parameter struct: JSON text becomes a quoted OData
    /// string, everything else (numbers, booleans, `null`, objects, arrays) is written as JSON,
    /// which is also its OData form.
    pub(crate) fn from_json_field(value: Value) -> Self {
        match value {
            Value::String(text) => ParameterValue::Literal(Literal::String(text)),
            other => ParameterValue::Json(other),
        }
    }

    fn validate(&self) -> Result<()> {
        if let ParameterValue::Enum { type_name, members } = self {
            validate_identifier("enumeration type", type_name)?;
            if members.is_empty() {
                return Err(Error::InvalidRequest(format!(
                    "an enumeration value of {type_name} needs at least one member"
                )));
            }
            for member in members {
                validate_identifier("enumeration member", member)?;
            }
        }
        Ok(())
    }
}

impl<T: Into<Literal>> From<T> for ParameterValue {
    fn from(value: T) -> Self {
        ParameterValue::Literal(value.into())
    }
}

impl fmt::Display for ParameterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParameterValue::Literal(literal) => write!(f, "{literal}"),
            ParameterValue::Json(value) => write!(f, "{value}"),
            ParameterValue::Enum { type_name, members } => {
                write!(f, "{type_name}'{}'", members.join(","))
            }
        }
    }
}

/// Named function parameters in the order they were given.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Parameters {
    values: Vec<(String, ParameterValue)>,
    /// The first problem met while adding parameters, reported when the request is built.
    error: Option<String>,
}

impl Parameters {
    pub(crate) fn push(&mut self, name: String, value: ParameterValue) {
        if let Some(existing) = self.values.iter_mut().find(|(n, _)| *n == name) {
            existing.1 = value;
        } else {
            self.values.push((name, value));
        }
    }

    /// Every field of a serialized struct (or map) as a parameter, in name order (the same URL
    /// whether or not `serde_json` preserves field order in this build).
    pub(crate) fn extend_from<T: Serialize + ?Sized>(&mut self, parameters: &T) {
        match serde_json::to_value(parameters) {
            Ok(Value::Object(map)) => {
                let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                for (name, value) in fields {
                    self.push(name, ParameterValue::from_json_field(value));
                }
            }
            Ok(_) => self.fail("the function parameters must serialize to a JSON object"),
            Err(error) => {
                self.fail(&format!("the function parameters cannot be serialized: {error}"))
            }
        }
    }

    fn fail(&mut self, message: &str) {
        if self.error.is_none() {
            self.error = Some(message.to_owned());
        }
    }

    /// `(Name1=@p1,Name2=@p2)` and the alias pairs `@p1=<value>` for the query string.
    pub(crate) fn render(&self) -> Result<(String, Vec<(String, String)>)> {
        if let Some(message) = &self.error {
            return Err(Error::InvalidRequest(message.clone()));
        }
        let mut call = String::from("(");
        let mut aliases = Vec::with_capacity(self.values.len());
        for (i, (name, value)) in self.values.iter().enumerate() {
            validate_identifier("parameter", name)?;
            value.validate()?;
            let alias = format!("@p{}", i + 1);
            if i > 0 {
                call.push(',');
            }
            call.push_str(name);
            call.push('=');
            call.push_str(&alias);
            aliases.push((alias, value.to_string()));
        }
        call.push(')');
        Ok((call, aliases))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use uuid::Uuid;

    #[test]
    fn renders_aliases_in_order() {
        let mut parameters = Parameters::default();
        parameters.push("LocalizedStandardName".into(), "Pacific Standard Time".into());
        parameters.push("LocaleId".into(), 1033.into());
        let (call, aliases) = parameters.render().expect("rendered");
        assert_eq!(call, "(LocalizedStandardName=@p1,LocaleId=@p2)");
        assert_eq!(
            aliases,
            [
                ("@p1".to_owned(), "'Pacific Standard Time'".to_owned()),
                ("@p2".to_owned(), "1033".to_owned())
            ]
        );
    }

    #[test]
    fn typed_values_keep_their_odata_form() {
        assert_eq!(ParameterValue::from(Uuid::nil()).to_string(), Uuid::nil().to_string());
        assert_eq!(
            ParameterValue::from(datetime!(2024-05-01 10:00 +02:00)).to_string(),
            "2024-05-01T08:00:00Z"
        );
        assert_eq!(ParameterValue::from(true).to_string(), "true");
        assert_eq!(ParameterValue::json(serde_json::json!([1, 2])).to_string(), "[1,2]");
    }

    #[test]
    fn struct_fields_become_parameters() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Input<'a> {
            name: &'a str,
            count: u32,
            flag: bool,
            nothing: Option<u8>,
        }
        let mut parameters = Parameters::default();
        parameters.extend_from(&Input { name: "a&b", count: 3, flag: false, nothing: None });
        let (call, aliases) = parameters.render().expect("rendered");
        assert_eq!(call, "(Count=@p1,Flag=@p2,Name=@p3,Nothing=@p4)");
        let values: Vec<&str> = aliases.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["3", "false", "'a&b'", "null"]);
    }

    #[test]
    fn bad_names_and_shapes_are_refused() {
        let mut parameters = Parameters::default();
        parameters.push("a=b".into(), 1.into());
        assert!(parameters.render().is_err());
        let mut not_an_object = Parameters::default();
        not_an_object.extend_from(&[1, 2]);
        assert!(not_an_object.render().is_err());
        let mut bad_enum = Parameters::default();
        bad_enum.push("X".into(), ParameterValue::enum_members("T'", ["A"]));
        assert!(bad_enum.render().is_err());
        let mut empty_enum = Parameters::default();
        empty_enum.push("X".into(), ParameterValue::enum_members("T", Vec::<String>::new()));
        assert!(empty_enum.render().is_err());
    }
}

//! Choice (option set) labels, which `$metadata` does not carry: read from the Web API's
//! attribute metadata responses saved as JSON.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::Error;

/// The options of one choice column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Choice {
    /// The column's schema name, when the response had it (`IndustryCode`); names the enum.
    pub schema_name: Option<String>,
    /// `(value, label)` pairs, ordered by value.
    pub options: Vec<(i32, Option<String>)>,
}

/// What the generator knows beyond `$metadata`, per table: choice labels and, optionally, the
/// primary name column.
///
/// Read from JSON: an object keyed by table logical name, each value a response (or an array
/// of responses) of
/// `GET [org]/api/data/v9.2/EntityDefinitions(LogicalName='<table>')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName,SchemaName&$expand=OptionSet,GlobalOptionSet`
/// (the same works for `StateAttributeMetadata` and `StatusAttributeMetadata`), see
/// [Query table definitions](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api)
/// and [Retrieve definitions by name](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-metadata-name-metadataid).
/// A single response may also stand alone: its `@odata.context`
/// (`…$metadata#EntityDefinitions('account')/Attributes/…`) names the table.
/// A table's object may carry `"PrimaryNameAttribute": "name"`.
///
/// ```
/// use dataverse_codegen::TableExtras;
///
/// let json = r#"{"account": {"PrimaryNameAttribute": "name", "value": [{
///     "LogicalName": "industrycode", "SchemaName": "IndustryCode",
///     "OptionSet": {"Options": [{"Value": 1, "Label": {"LocalizedLabels": [],
///         "UserLocalizedLabel": {"Label": "Accounting", "LanguageCode": 1033}}}]},
///     "GlobalOptionSet": null}]}}"#;
/// let extras = TableExtras::from_json(json).unwrap();
/// let choice = extras.choice("account", "industrycode").unwrap();
/// assert_eq!(choice.options, [(1, Some("Accounting".to_owned()))]);
/// assert_eq!(extras.primary_name("account"), Some("name"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableExtras {
    choices: BTreeMap<String, BTreeMap<String, Choice>>,
    primary_names: BTreeMap<String, String>,
}

impl TableExtras {
    /// Nothing beyond `$metadata`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read the JSON described above; several files can be [merged](Self::merge).
    ///
    /// # Errors
    /// [`Error::Extras`] when the text is not JSON of that shape.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(json).map_err(|e| Error::Extras(e.to_string()))?;
        let mut extras = TableExtras::default();
        let Value::Object(top) = &value else {
            return Err(Error::Extras("expected a JSON object".to_owned()));
        };
        if top.contains_key("@odata.context") {
            let table = table_from_context(&value).ok_or_else(|| {
                Error::Extras(
                    "@odata.context does not name the table (EntityDefinitions(…))".to_owned(),
                )
            })?;
            extras.add_response(&table, &value)?;
            return Ok(extras);
        }
        for (table, responses) in top {
            match responses {
                Value::Array(items) => {
                    for item in items {
                        extras.add_response(table, item)?;
                    }
                }
                other => extras.add_response(table, other)?,
            }
        }
        Ok(extras)
    }

    /// Add what `other` knows; `other` wins where both know a column.
    pub fn merge(&mut self, other: TableExtras) {
        for (table, columns) in other.choices {
            self.choices.entry(table).or_default().extend(columns);
        }
        self.primary_names.extend(other.primary_names);
    }

    /// Set the labels of a choice column by hand.
    pub fn set_choice(&mut self, table: &str, column: &str, choice: Choice) {
        self.choices.entry(table.to_owned()).or_default().insert(column.to_owned(), choice);
    }

    /// Set the primary name column of a table by hand.
    pub fn set_primary_name(&mut self, table: &str, column: &str) {
        self.primary_names.insert(table.to_owned(), column.to_owned());
    }

    /// The labels of `table`'s `column`, if known.
    pub fn choice(&self, table: &str, column: &str) -> Option<&Choice> {
        self.choices.get(table).and_then(|c| c.get(column))
    }

    /// The primary name column of `table`, if given.
    pub fn primary_name(&self, table: &str) -> Option<&str> {
        self.primary_names.get(table).map(String::as_str)
    }

    fn add_response(&mut self, table: &str, response: &Value) -> Result<(), Error> {
        let Value::Object(object) = response else {
            return Err(Error::Extras(format!("{table}: expected an object, found {response}")));
        };
        if let Some(name) = object.get("PrimaryNameAttribute").and_then(Value::as_str) {
            self.primary_names.insert(table.to_owned(), name.to_owned());
        }
        let attributes: Vec<&Value> = match object.get("value") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => {
                return Err(Error::Extras(format!("{table}: `value` is not an array: {other}")));
            }
            None if object.contains_key("LogicalName") => vec![response],
            None => Vec::new(),
        };
        for attribute in attributes {
            let Some(column) = attribute.get("LogicalName").and_then(Value::as_str) else {
                return Err(Error::Extras(format!("{table}: an attribute has no LogicalName")));
            };
            let options = ["OptionSet", "GlobalOptionSet"]
                .iter()
                .filter_map(|set| attribute.get(*set)?.get("Options")?.as_array())
                .find(|options| !options.is_empty());
            let Some(options) = options else { continue };
            let mut parsed = Vec::new();
            for option in options {
                let value = option
                    .get("Value")
                    .and_then(Value::as_i64)
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| {
                        Error::Extras(format!("{table}.{column}: an option has no integer Value"))
                    })?;
                parsed.push((value, label(option)));
            }
            parsed.sort_by_key(|(value, _)| *value);
            parsed.dedup_by_key(|(value, _)| *value);
            let schema_name =
                attribute.get("SchemaName").and_then(Value::as_str).map(str::to_owned);
            self.set_choice(table, column, Choice { schema_name, options: parsed });
        }
        Ok(())
    }
}

/// The user's label, else the English one, else the first.
fn label(option: &Value) -> Option<String> {
    let label = option.get("Label")?;
    let text = |l: &Value| l.get("Label").and_then(Value::as_str).map(str::to_owned);
    if let Some(user) = label.get("UserLocalizedLabel").filter(|l| !l.is_null()) {
        return text(user);
    }
    let localized = label.get("LocalizedLabels")?.as_array()?;
    localized
        .iter()
        .find(|l| l.get("LanguageCode").and_then(Value::as_i64) == Some(1033))
        .or_else(|| localized.first())
        .and_then(text)
}

/// `…$metadata#EntityDefinitions('account')/…` or `EntityDefinitions(LogicalName='account')`.
fn table_from_context(response: &Value) -> Option<String> {
    let context = response.get("@odata.context")?.as_str()?;
    let rest = &context[context.find("EntityDefinitions(")? + "EntityDefinitions(".len()..];
    let inside = &rest[..rest.find(')')?];
    let quoted = inside.strip_prefix("LogicalName=").unwrap_or(inside);
    Some(quoted.trim_matches('\'').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_single_attribute_response() {
        // The shape of Microsoft's example response, trimmed.
        let json = r#"{
          "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#EntityDefinitions('account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata(LogicalName,OptionSet(Options),GlobalOptionSet(Options))/$entity",
          "MetadataId": "118771ca-6fb9-4f60-8fd4-99b6124b63ad",
          "LogicalName": "accountcategorycode",
          "OptionSet": {"Options": [
            {"Value": 2, "Label": {"LocalizedLabels": [{"Label": "Standard", "LanguageCode": 1033}], "UserLocalizedLabel": {"Label": "Standard", "LanguageCode": 1033}}},
            {"Value": 1, "Label": {"LocalizedLabels": [{"Label": "Kunde", "LanguageCode": 1031}, {"Label": "Preferred Customer", "LanguageCode": 1033}], "UserLocalizedLabel": null}}
          ]},
          "GlobalOptionSet": null
        }"#;
        let extras = TableExtras::from_json(json).expect("extras");
        let choice = extras.choice("account", "accountcategorycode").expect("choice");
        assert_eq!(
            choice.options,
            [(1, Some("Preferred Customer".to_owned())), (2, Some("Standard".to_owned()))]
        );
        assert_eq!(choice.schema_name, None);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(TableExtras::from_json("[]").is_err());
        assert!(TableExtras::from_json("{\"account\": {\"value\": 3}}").is_err());
        assert!(
            TableExtras::from_json("{\"account\": {\"value\": [{\"OptionSet\": {}}]}}").is_err()
        );
        let no_value = r#"{"account": {"value": [{"LogicalName": "x", "OptionSet": {"Options": [{"Label": null}]}}]}}"#;
        assert_eq!(
            TableExtras::from_json(no_value).expect_err("no value").to_string(),
            "invalid choices file: account.x: an option has no integer Value"
        );
        assert!(TableExtras::from_json("{\"@odata.context\": \"x\"}").is_err());
    }
}

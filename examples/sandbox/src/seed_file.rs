//! Seed files: rows and Ironclad templates as JSON, loaded when the sandbox starts.
//!
//! ```json
//! {
//!   "dataverse": {
//!     "accounts": [
//!       {"accountid": "7b1f4d3e-0c1a-4c55-9d6e-2f0a7c1b2d3e", "name": "Contoso", "accountnumber": "C-1"}
//!     ],
//!     "contacts": [
//!       {"firstname": "Ada", "lastname": "Lovelace",
//!        "parentcustomerid_account@odata.bind": "/accounts(accountnumber='C-1')"}
//!     ]
//!   },
//!   "ironclad": {
//!     "templates": [
//!       {"id": "64f0c1d2e3a4b5c6d7e8f901", "name": "Mutual NDA", "recordType": "nda",
//!        "fields": [{"id": "counterpartyName", "type": "string", "displayName": "Counterparty Name",
//!                    "propertyKey": "counterpartyName", "required": true}],
//!        "roles": []}
//!     ]
//!   }
//! }
//! ```
//!
//! Each Dataverse row is a Web API create body: it goes through the same validation as a
//! `POST` (unknown columns, wrong types and bad `@odata.bind` references are refused), may carry
//! its primary key to fix its id, and may bind rows created earlier in the file. Tables are seeded
//! in file order, rows in array order. Each Ironclad template is a [`TemplateSeed`]: it is
//! published as a template workflows can be launched from, next to the built-in MSA template (or
//! in its place, with the same id).

use std::path::Path;

use crate::ironclad::TemplateSeed;
use crate::json::{Json, JsonObject};

/// A parsed seed file.
///
/// ```
/// use dataverse_ironclad_sandbox::SeedFile;
/// let seed = SeedFile::parse(r#"{"dataverse": {"accounts": [{"name": "Contoso"}]}}"#).unwrap();
/// assert_eq!(seed.dataverse_rows().len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeedFile {
    dataverse: Vec<(String, Json)>,
    ironclad_templates: Vec<TemplateSeed>,
}

/// Why a seed file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedFileError {
    /// The file could not be read.
    #[error("cannot read the seed file {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a seed document.
    #[error("the seed file is not valid: {0}")]
    Invalid(String),
}

impl SeedFile {
    /// Parse seed JSON.
    ///
    /// # Errors
    /// [`SeedFileError::Invalid`] when the text is not JSON or not shaped as documented.
    pub fn parse(text: &str) -> Result<Self, SeedFileError> {
        let invalid = |message: String| SeedFileError::Invalid(message);
        let root = Json::parse(text).map_err(|e| invalid(e.0))?;
        let root =
            root.as_object().ok_or_else(|| invalid("the top level must be an object".into()))?;
        for key in root.keys() {
            if key != "dataverse" && key != "ironclad" {
                return Err(invalid(format!(
                    "unknown member '{key}' (expected 'dataverse' and 'ironclad')"
                )));
            }
        }
        let mut seed = SeedFile::default();
        if let Some(dataverse) = root.get("dataverse") {
            let tables = dataverse.as_object().ok_or_else(|| {
                invalid("'dataverse' must map entity set names to arrays of rows".into())
            })?;
            for (set, rows) in tables.iter() {
                let rows = rows.as_array().ok_or_else(|| {
                    invalid(format!("'dataverse.{set}' must be an array of rows"))
                })?;
                for (index, row) in rows.iter().enumerate() {
                    if row.as_object().is_none() {
                        return Err(invalid(format!(
                            "'dataverse.{set}[{index}]' must be an object"
                        )));
                    }
                    seed.dataverse.push((set.to_owned(), row.clone()));
                }
            }
        }
        if let Some(ironclad) = root.get("ironclad") {
            let ironclad = ironclad
                .as_object()
                .ok_or_else(|| invalid("'ironclad' must be an object".into()))?;
            for key in ironclad.keys() {
                if key != "templates" {
                    return Err(invalid(format!(
                        "unknown member 'ironclad.{key}' (expected 'templates')"
                    )));
                }
            }
            if let Some(templates) = ironclad.get("templates") {
                let templates = templates
                    .as_array()
                    .ok_or_else(|| invalid("'ironclad.templates' must be an array".into()))?;
                for (index, template) in templates.iter().enumerate() {
                    let template = serde_json::from_slice::<TemplateSeed>(&template.to_bytes())
                        .map_err(|e| invalid(format!("'ironclad.templates[{index}]': {e}")))?;
                    seed.ironclad_templates.push(template);
                }
            }
        }
        Ok(seed)
    }

    /// Read and parse a seed file.
    ///
    /// # Errors
    /// [`SeedFileError::Read`] when the file cannot be read, else as [`SeedFile::parse`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self, SeedFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| SeedFileError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text)
    }

    /// The Dataverse rows, `(entity set, create body)`, in file order.
    pub fn dataverse_rows(&self) -> &[(String, Json)] {
        &self.dataverse
    }

    /// The `ironclad.templates` entries.
    pub fn ironclad_templates(&self) -> &[TemplateSeed] {
        &self.ironclad_templates
    }

    /// Add a Dataverse row.
    pub fn with_row(mut self, entity_set: &str, row: JsonObject) -> Self {
        self.dataverse.push((entity_set.to_owned(), Json::Object(row)));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_file_order_and_exact_numbers() {
        let seed = SeedFile::parse(
            r#"{"dataverse":{"accounts":[{"name":"A","revenue":1234567.8912}],"contacts":[{"lastname":"B"}]},
                "ironclad":{"templates":[{"id":"64f0c1d2e3a4b5c6d7e8f901","name":"NDA","recordType":"nda","fields":[],"roles":[]}]}}"#,
        )
        .unwrap();
        let rows = seed.dataverse_rows();
        assert_eq!((rows[0].0.as_str(), rows[1].0.as_str()), ("accounts", "contacts"));
        assert_eq!(rows[0].1.get("revenue").unwrap().to_string(), "1234567.8912");
        assert_eq!(seed.ironclad_templates()[0].name, "NDA");
    }

    #[test]
    fn bad_shapes_are_named() {
        for (text, expected) in [
            ("[]", "the top level must be an object"),
            (r#"{"rows":{}}"#, "unknown member 'rows'"),
            (r#"{"dataverse":{"accounts":{}}}"#, "'dataverse.accounts' must be an array"),
            (r#"{"dataverse":{"accounts":[1]}}"#, "'dataverse.accounts[0]' must be an object"),
            (r#"{"ironclad":{"workflows":[]}}"#, "unknown member 'ironclad.workflows'"),
            (
                r#"{"ironclad":{"templates":[{"id":"x"}]}}"#,
                "'ironclad.templates[0]': missing field",
            ),
            ("{", "invalid JSON"),
        ] {
            let error = SeedFile::parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}

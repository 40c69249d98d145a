//! `GET /records/metadata`: property and record-type definitions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::serde_util::null_as_default;
use crate::workflows::FieldType;

/// The repository's schema.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordsMetadata {
    /// Property key → definition.
    #[serde(default, deserialize_with = "null_as_default")]
    pub properties: BTreeMap<String, PropertyDefinition>,
    /// Record type key → definition.
    #[serde(default, deserialize_with = "null_as_default")]
    pub record_types: BTreeMap<String, RecordTypeDefinition>,
    /// Link definitions, as sent.
    #[serde(default)]
    pub links: Option<serde_json::Value>,
    /// Attachment definitions, as sent.
    #[serde(default)]
    pub attachments: Option<serde_json::Value>,
    /// The repository id.
    #[serde(default)]
    pub repository_id: Option<String>,
}

/// A record property definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PropertyDefinition {
    /// The type (`string`, `monetary_amount`, `reference`, …).
    #[serde(rename = "type")]
    pub property_type: FieldType,
    /// The label.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether it is shown.
    #[serde(default)]
    pub visible: Option<bool>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    /// The group it is shown in.
    #[serde(default)]
    pub group: Option<String>,
    /// The definition version, as sent.
    #[serde(default)]
    pub version: Option<serde_json::Value>,
    /// The full type name (`reference<uuid>` for entity references).
    #[serde(default)]
    pub full_type_name: Option<String>,
    /// Ironclad's own type name.
    #[serde(default)]
    pub ironclad_type: Option<String>,
}

/// A record type definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordTypeDefinition {
    /// The label.
    #[serde(default)]
    pub display_name: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
}

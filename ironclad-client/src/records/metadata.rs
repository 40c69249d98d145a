//! `GET /records/metadata`: property and record-type definitions.
//!
//! Every member but a property's `type` is informational and decoded leniently: a tenant's
//! metadata lists over a hundred properties, and one of an unexpected shape must not make the
//! whole schema unreadable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::IroncladType;
use crate::serde_util::{lenient, lenient_map, lenient_vec};
use crate::workflows::FieldType;

/// The repository's schema
/// ([reference](https://developer.ironcladapp.com/reference/list-record-metadata)).
///
/// ```
/// use ironclad_client::records::RecordsMetadata;
///
/// let metadata: RecordsMetadata = serde_json::from_str(r#"{
///     "properties": {
///         "standard_intentToRenew": {
///             "type": "string", "displayName": "Intent to Renew", "visible": true, "tags": [],
///             "fullTypeName": "enum<standard_intentToRenew, string>",
///             "ironcladType": {"typeName": "enum", "options": [{"value": "Renew", "hidden": false}]},
///             "erasedType": "enum", "picklistSelectionType": "single-select", "version": 1
///         }
///     },
///     "recordTypes": {"mSA": {"displayName": "MSA", "description": null}},
///     "links": {}, "attachments": {}, "repositoryId": "00000000-0000-0000-0000-000000000000"
/// }"#)?;
/// let renew = &metadata.properties["standard_intentToRenew"];
/// assert_eq!(renew.ironclad_type.as_ref().and_then(|t| t.type_name()), Some("enum"));
/// assert_eq!(renew.picklist_selection_type.as_deref(), Some("single-select"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordsMetadata {
    /// Property key → definition (a definition without a `type` is left out and logged).
    #[serde(default, deserialize_with = "lenient_map")]
    pub properties: BTreeMap<String, PropertyDefinition>,
    /// Record type key → definition.
    #[serde(default, deserialize_with = "lenient_map")]
    pub record_types: BTreeMap<String, RecordTypeDefinition>,
    /// Link definitions, as sent.
    #[serde(default)]
    pub links: Option<serde_json::Value>,
    /// Attachment definitions, as sent.
    #[serde(default)]
    pub attachments: Option<serde_json::Value>,
    /// The repository id.
    #[serde(default, deserialize_with = "lenient")]
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
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// Whether it is shown.
    #[serde(default, deserialize_with = "lenient")]
    pub visible: Option<bool>,
    /// A description.
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Tags (`purpose:contractExtending`, …).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub tags: Vec<String>,
    /// The group it is shown in.
    #[serde(default, deserialize_with = "lenient")]
    pub group: Option<String>,
    /// The definition version, as sent.
    #[serde(default)]
    pub version: Option<serde_json::Value>,
    /// The full type name (`reference<uuid>`, `list<reference<uuid>>`,
    /// `enum<standard_contractSide, string>`).
    #[serde(default, deserialize_with = "lenient")]
    pub full_type_name: Option<String>,
    /// Ironclad's structured type: picklist options, list element types, referenced entity
    /// collections.
    #[serde(default, deserialize_with = "lenient")]
    pub ironclad_type: Option<IroncladType>,
    /// The type with its parameters erased (`enum`, `list`, `reference`).
    #[serde(default, deserialize_with = "lenient")]
    pub erased_type: Option<String>,
    /// For picklists: `single-select` or `multi-select`.
    #[serde(default, deserialize_with = "lenient")]
    pub picklist_selection_type: Option<String>,
}

/// A record type definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordTypeDefinition {
    /// The label.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// A description (`null` when none).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
}

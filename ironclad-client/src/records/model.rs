//! The record object and its parts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::RecordId;
use crate::serde_util::{lenient, lenient_map, lenient_raw, lenient_vec, timestamp_opt};
use crate::string_enum::string_enum;
use crate::values::{PropertyValue, RecordProperty};

/// A repository record (a contract, an amendment, an obligation…).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Record {
    /// The record id (a UUID).
    pub id: RecordId,
    /// The readable id (`IC-31`).
    #[serde(default, deserialize_with = "lenient")]
    pub ironclad_id: Option<RecordId>,
    /// The record type key (`mSA`, `everyFieldType`, …).
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub record_type: Option<String>,
    /// The record name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// When it last changed.
    #[serde(default, with = "timestamp_opt")]
    pub last_updated: Option<OffsetDateTime>,
    /// Property key → typed value.
    #[serde(default, deserialize_with = "lenient_raw")]
    pub properties: BTreeMap<String, RecordProperty>,
    /// Attachment key (`signedCopy`, …) → file metadata.
    #[serde(default, deserialize_with = "lenient_map")]
    pub attachments: BTreeMap<String, RecordAttachment>,
    /// Linked records.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub links: Vec<RecordLink>,
    /// The parent record id (amendments, obligations).
    #[serde(default, deserialize_with = "lenient")]
    pub parent_id: Option<RecordId>,
    /// How the parent is linked (`amendment`, `obligation`).
    #[serde(default, deserialize_with = "lenient")]
    pub parent_link_type: Option<String>,
    /// Child record ids.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub child_ids: Vec<RecordId>,
    /// The contract status.
    #[serde(default, deserialize_with = "lenient")]
    pub contract_status: Option<ContractStatus>,
    /// Where the record came from (a workflow, an import…), as sent.
    #[serde(default)]
    pub source: Option<serde_json::Value>,
}

impl Record {
    /// The value of property `key`.
    pub fn property(&self, key: &str) -> Option<&PropertyValue> {
        self.properties.get(key).map(|p| &p.value)
    }

    /// The metadata of attachment `key` (e.g. `signedCopy`).
    pub fn attachment(&self, key: &str) -> Option<&RecordAttachment> {
        self.attachments.get(key)
    }
}

/// An attachment's metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordAttachment {
    /// The file name, e.g. `MSA - Acme (signed).pdf`.
    #[serde(default, deserialize_with = "lenient")]
    pub filename: Option<String>,
    /// The content type.
    #[serde(default, deserialize_with = "lenient")]
    pub content_type: Option<String>,
    /// Where Ironclad serves it.
    #[serde(default, deserialize_with = "lenient")]
    pub href: Option<String>,
}

/// A link to another record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecordLink {
    /// The linked record id.
    pub record_id: RecordId,
}

impl RecordLink {
    /// A link to `record_id`.
    pub fn new(record_id: impl Into<RecordId>) -> Self {
        Self { record_id: record_id.into() }
    }
}

string_enum! {
    /// Whether a contract is in force.
    pub enum ContractState {
        /// In force.
        Active = "active",
        /// Not in force.
        Inactive = "inactive",
        /// Cannot be determined.
        Indeterminate = "indeterminate",
    }
}

/// A record's contract status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ContractStatus {
    /// Active, inactive or indeterminate.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<ContractState>,
    /// A finer status (`expired`, `terminated`, …).
    #[serde(default, deserialize_with = "lenient")]
    pub enhanced_status: Option<String>,
}

//! Bodies of `POST /records`, `PUT /records/{id}` and `PATCH /records/{id}`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::RecordLink;
use crate::ids::RecordId;
use crate::string_enum::string_enum;
use crate::values::RecordProperty;

string_enum! {
    /// How an amendment record's property rolls up into its parent record (`amendmentType`;
    /// see the [amendments guide](https://developer.ironcladapp.com/docs/record-amendments-crud-api-guide)).
    pub enum AmendmentType {
        /// The amendment's value replaces the parent's.
        Replace = "replace",
    }
}

/// One entry of `addPropertiesToAmend`: `{"amendmentType": "replace"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct PropertyAmendment {
    amendment_type: AmendmentType,
}

/// A parent link (`{"recordId":…,"parentLinkType":"amendment"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ParentLink {
    /// The parent record id.
    pub record_id: RecordId,
    /// `amendment` or `obligation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_link_type: Option<String>,
}

impl ParentLink {
    /// A plain parent link.
    pub fn new(record_id: impl Into<RecordId>) -> Self {
        Self { record_id: record_id.into(), parent_link_type: None }
    }

    /// This record amends the parent.
    pub fn amendment(record_id: impl Into<RecordId>) -> Self {
        Self { record_id: record_id.into(), parent_link_type: Some("amendment".into()) }
    }
}

/// A record to create (`POST /records`) or the full replacement of one (`PUT /records/{id}`).
///
/// `links` and `children` use the `{"recordId": …}` element shape of a record's `links`, and
/// `parent` is `{"recordId", "parentLinkType"}`, as in Ironclad's
/// [guide](https://developer.ironcladapp.com/docs/create-a-record-1).
///
/// ```
/// use ironclad_client::{records::NewRecord, values::RecordProperty};
///
/// let record = NewRecord::new("everyFieldType", "Acme MSA")
///     .property("additionalNotes", RecordProperty::string("Test notes"));
/// assert_eq!(
///     serde_json::to_string(&record)?,
///     r#"{"type":"everyFieldType","name":"Acme MSA","properties":{"additionalNotes":{"type":"string","value":"Test notes"}}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct NewRecord {
    #[serde(rename = "type")]
    record_type: String,
    name: String,
    properties: BTreeMap<String, RecordProperty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<RecordLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<ParentLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<RecordLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties_to_amend: Option<serde_json::Value>,
}

impl NewRecord {
    /// A record of `record_type` named `name`.
    pub fn new(record_type: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            record_type: record_type.into(),
            name: name.into(),
            properties: BTreeMap::new(),
            links: Vec::new(),
            parent: None,
            children: Vec::new(),
            properties_to_amend: None,
        }
    }

    /// Set a property.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<RecordProperty>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Link another record.
    pub fn link(mut self, record_id: impl Into<RecordId>) -> Self {
        self.links.push(RecordLink::new(record_id));
        self
    }

    /// Set the parent.
    pub fn parent(mut self, parent: ParentLink) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Add a child record.
    pub fn child(mut self, record_id: impl Into<RecordId>) -> Self {
        self.children.push(RecordLink::new(record_id));
        self
    }

    /// Which parent properties an amendment changes, as Ironclad's JSON (shape not in the
    /// first-party spec excerpt; passed through verbatim).
    pub fn properties_to_amend(mut self, value: serde_json::Value) -> Self {
        self.properties_to_amend = Some(value);
        self
    }
}

/// A partial update (`PATCH /records/{id}`).
///
/// The field names and shapes are those of Ironclad's
/// [reference](https://developer.ironcladapp.com/reference/patch-record): link lists hold
/// `{"recordId": …}` (like a record's `links`), a parent is `{recordId, parentLinkType}`, and
/// `removeParent` is a boolean. On an amendment record (parent link type `amendment`),
/// `addPropertiesToAmend` rolls properties up into the parent as
/// `{"<property>": {"amendmentType": "replace"}}` and `removePropertiesToAmend` stops that
/// ([update record](https://developer.ironcladapp.com/reference/update-record-metadata)).
///
/// ```
/// use ironclad_client::records::{AmendmentType, RecordPatch};
///
/// let amend = RecordPatch::new()
///     .add_property_to_amend("contractValue", AmendmentType::Replace)
///     .remove_property_to_amend("agreementDate");
/// assert_eq!(
///     serde_json::to_string(&amend)?,
///     r#"{"addPropertiesToAmend":{"contractValue":{"amendmentType":"replace"}},"removePropertiesToAmend":["agreementDate"]}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// ```
/// use ironclad_client::{records::RecordPatch, values::{MonetaryAmount, RecordProperty}};
/// use rust_decimal::Decimal;
///
/// let patch = RecordPatch::new()
///     .add_property("contractValue", RecordProperty::monetary_amount(MonetaryAmount::new(Decimal::from(75000), "USD")))
///     .remove_property("legacyNotes")
///     .add_link("3f1c0a52-8a4e-4d7e-9b7c-2f0e6d5a4b3c");
/// assert_eq!(
///     serde_json::to_string(&patch)?,
///     r#"{"addProperties":{"contractValue":{"type":"monetary_amount","value":{"currency":"USD","amount":75000}}},"removeProperties":["legacyNotes"],"addLinks":[{"recordId":"3f1c0a52-8a4e-4d7e-9b7c-2f0e6d5a4b3c"}]}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct RecordPatch {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    record_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    add_properties: BTreeMap<String, RecordProperty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remove_properties: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    add_links: Vec<RecordLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remove_links: Vec<RecordLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_parent: Option<ParentLink>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    remove_parent: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    add_children: Vec<RecordLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remove_children: Vec<RecordLink>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    add_properties_to_amend: BTreeMap<String, PropertyAmendment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remove_properties_to_amend: Vec<String>,
}

impl RecordPatch {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Change the record type.
    pub fn record_type(mut self, record_type: impl Into<String>) -> Self {
        self.record_type = Some(record_type.into());
        self
    }

    /// Rename the record.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Add or overwrite a property.
    pub fn add_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<RecordProperty>,
    ) -> Self {
        self.add_properties.insert(key.into(), value.into());
        self
    }

    /// Remove a property.
    pub fn remove_property(mut self, key: impl Into<String>) -> Self {
        self.remove_properties.push(key.into());
        self
    }

    /// Link another record.
    pub fn add_link(mut self, record_id: impl Into<RecordId>) -> Self {
        self.add_links.push(RecordLink::new(record_id));
        self
    }

    /// Unlink a record.
    pub fn remove_link(mut self, record_id: impl Into<RecordId>) -> Self {
        self.remove_links.push(RecordLink::new(record_id));
        self
    }

    /// Set the parent.
    pub fn set_parent(mut self, parent: ParentLink) -> Self {
        self.set_parent = Some(parent);
        self
    }

    /// Remove the parent link.
    pub fn remove_parent(mut self) -> Self {
        self.remove_parent = true;
        self
    }

    /// Add a child record.
    pub fn add_child(mut self, record_id: impl Into<RecordId>) -> Self {
        self.add_children.push(RecordLink::new(record_id));
        self
    }

    /// Remove a child record.
    pub fn remove_child(mut self, record_id: impl Into<RecordId>) -> Self {
        self.remove_children.push(RecordLink::new(record_id));
        self
    }

    /// Roll property `key` of this amendment record up into its parent record (only valid when
    /// the record's parent link type is `amendment`).
    pub fn add_property_to_amend(
        mut self,
        key: impl Into<String>,
        amendment_type: AmendmentType,
    ) -> Self {
        self.add_properties_to_amend.insert(key.into(), PropertyAmendment { amendment_type });
        self
    }

    /// Stop rolling property `key` up into the parent, which reverts to its own value.
    pub fn remove_property_to_amend(mut self, key: impl Into<String>) -> Self {
        self.remove_properties_to_amend.push(key.into());
        self
    }

    /// Whether no change was added.
    pub fn is_empty(&self) -> bool {
        self.record_type.is_none()
            && self.name.is_none()
            && self.add_properties.is_empty()
            && self.remove_properties.is_empty()
            && self.add_links.is_empty()
            && self.remove_links.is_empty()
            && self.set_parent.is_none()
            && !self.remove_parent
            && self.add_children.is_empty()
            && self.remove_children.is_empty()
            && self.add_properties_to_amend.is_empty()
            && self.remove_properties_to_amend.is_empty()
    }
}

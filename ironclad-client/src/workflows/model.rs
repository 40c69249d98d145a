//! The workflow object returned by launch, get, list and attribute updates.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::config::Environment;
use crate::ids::{RecordId, TemplateId, WorkflowId};
use crate::serde_util::{lenient, lenient_raw, lenient_vec, timestamp_opt};
use crate::string_enum::string_enum;
use crate::values::{AttributeValue, Attributes};

string_enum! {
    /// The stage a workflow is in.
    pub enum WorkflowStep {
        /// Being filled in (counted as active).
        Create = "Create",
        /// Under review and approval; attributes can be updated only here.
        Review = "Review",
        /// Out for signature.
        Sign = "Sign",
        /// Being archived.
        Archive = "Archive",
        /// Done.
        Complete = "Complete",
    }
}

string_enum! {
    /// A workflow's status (`status` query values and response field).
    pub enum WorkflowStatus {
        /// In Create, Review, Sign or Archive (the list default).
        Active = "active",
        /// Paused.
        Paused = "paused",
        /// Cancelled.
        Cancelled = "cancelled",
        /// Completed.
        Completed = "completed",
    }
}

string_enum! {
    /// Progress of a workflow's approvals or signatures.
    pub enum StageState {
        /// Not started.
        NotStarted = "not_started",
        /// In progress.
        InProgress = "in_progress",
        /// Completed (`completed` for approvals, `complete` for signatures).
        Completed = "completed" | "complete",
        /// Not applicable to this workflow.
        NotApplicable = "not_applicable",
    }
}

/// A workflow.
///
/// Decoded tolerantly: everything except `id` may be missing; unknown fields are ignored;
/// `attributes` keep their exact JSON (see [`Attributes`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Workflow {
    /// The workflow id (`6a6b328004308879e7d439b6`).
    pub id: WorkflowId,
    /// The readable id (`IC-123`), which the API takes as well.
    #[serde(default, deserialize_with = "lenient")]
    pub ironclad_id: Option<WorkflowId>,
    /// The title.
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// The template id.
    #[serde(default, deserialize_with = "lenient")]
    pub template: Option<TemplateId>,
    /// The current stage.
    #[serde(default, deserialize_with = "lenient")]
    pub step: Option<WorkflowStep>,
    /// The status.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<WorkflowStatus>,
    /// Attribute id → value.
    #[serde(default, deserialize_with = "lenient_raw")]
    pub attributes: Attributes,
    /// The form schema: attribute id → field definition (a field whose definition does not
    /// decode is left out, with a `tracing` warning, rather than failing the workflow).
    #[serde(
        default,
        deserialize_with = "lenient_schema",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub schema: BTreeMap<String, SchemaField>,
    /// Deprecated by Ironclad; use [`Workflow::status`].
    #[serde(default, deserialize_with = "lenient")]
    pub is_cancelled: Option<bool>,
    /// Deprecated by Ironclad; use [`Workflow::status`].
    #[serde(default, deserialize_with = "lenient")]
    pub is_complete: Option<bool>,
    /// Who launched it.
    #[serde(default, deserialize_with = "lenient")]
    pub creator: Option<WorkflowUser>,
    /// When it was launched.
    #[serde(default, with = "timestamp_opt")]
    pub created: Option<OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "timestamp_opt")]
    pub last_updated: Option<OffsetDateTime>,
    /// Roles and their assignees.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub roles: Vec<Role>,
    /// Approval progress.
    #[serde(default, deserialize_with = "lenient")]
    pub approvals: Option<StageProgress>,
    /// Signature progress.
    #[serde(default, deserialize_with = "lenient")]
    pub signatures: Option<StageProgress>,
    /// Whether the workflow can be reverted to Review.
    #[serde(default, deserialize_with = "lenient")]
    pub is_revertible_to_review: Option<bool>,
    /// Ids of the records the workflow created (once archived).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub record_ids: Vec<RecordId>,
}

impl Workflow {
    /// The readable id (`IC-123`): `ironcladId`, else the `readableId` attribute.
    pub fn readable_id(&self) -> Option<WorkflowId> {
        self.ironclad_id
            .clone()
            .or_else(|| self.attributes.string("readableId").map(WorkflowId::from))
    }

    /// The workflow's page in the Ironclad web app.
    ///
    /// ```
    /// # use ironclad_client::{config::Environment, workflows::Workflow};
    /// let workflow: Workflow = serde_json::from_str(r#"{"id":"6a6b3289b6"}"#).unwrap();
    /// assert_eq!(
    ///     workflow.browser_url(&Environment::Global).as_str(),
    ///     "https://ironcladapp.com/workflow/6a6b3289b6"
    /// );
    /// ```
    pub fn browser_url(&self, environment: &Environment) -> Url {
        environment.workflow_browser_url(&self.id)
    }

    /// The schema field whose record `propertyKey` is `property_key`, with its attribute id:
    /// how a record property (`counterpartySigner`, or `<attr>_<template>_<type>` for custom
    /// fields) maps back to the workflow's attribute id (`role0521…`, `<attr>`).
    ///
    /// ```
    /// # use ironclad_client::workflows::Workflow;
    /// let workflow: Workflow = serde_json::from_str(r#"{"id":"w1","schema":{
    ///     "role0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e": {"type":"string","displayName":"Counterparty Signer Name","propertyKey":"counterpartySigner"}
    /// }}"#).unwrap();
    /// let (id, _) = workflow.field_by_property_key("counterpartySigner").unwrap();
    /// assert_eq!(id, "role0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e");
    /// ```
    pub fn field_by_property_key(&self, property_key: &str) -> Option<(&str, &SchemaField)> {
        super::schemas::field_by_property_key(&self.schema, property_key)
    }

    /// Whether the workflow is still in flight (status `active`, or no status but not marked
    /// complete or cancelled).
    pub fn is_active(&self) -> bool {
        match &self.status {
            Some(status) => *status == WorkflowStatus::Active,
            None => self.is_complete != Some(true) && self.is_cancelled != Some(true),
        }
    }
}

/// A user as Ironclad describes one in workflows (the creator, comment authors).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowUser {
    /// The user id.
    #[serde(default, alias = "userId", deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Email address.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// Display name.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// User name.
    #[serde(default, deserialize_with = "lenient")]
    pub username: Option<String>,
    /// Job title.
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// Department.
    #[serde(default, deserialize_with = "lenient")]
    pub department: Option<String>,
}

/// A workflow role (`owner`, `approver137e…`, `signerd49e…`) and who holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Role {
    /// The role id.
    pub id: String,
    /// The name shown in Ironclad (`Legal`).
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// The assignees.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub assignees: Vec<RoleAssignee>,
}

/// Someone assigned to a role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleAssignee {
    /// Their name.
    #[serde(default, deserialize_with = "lenient")]
    pub user_name: Option<String>,
    /// Their user id.
    #[serde(default, deserialize_with = "lenient")]
    pub user_id: Option<String>,
    /// Their email.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
}

/// `approvals` / `signatures` on a workflow: a state and a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StageProgress {
    /// The state.
    pub state: StageState,
    /// The API URL with the details.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
}

string_enum! {
    /// The type of a form field.
    pub enum FieldType {
        /// Text.
        String = "string",
        /// Number.
        Number = "number",
        /// Yes/No.
        Boolean = "boolean",
        /// Email address.
        Email = "email",
        /// Date.
        Date = "date",
        /// Money (`monetaryAmount` on workflows, `monetary_amount` on records).
        MonetaryAmount = "monetaryAmount" | "monetary_amount",
        /// Postal address.
        Address = "address",
        /// Duration.
        Duration = "duration",
        /// List (multi-select, dynamic table).
        Array = "array",
        /// Object (dynamic table rows).
        Object = "object",
        /// Document.
        Document = "document",
        /// User.
        User = "user",
        /// Linked record.
        LinkedRecord = "linkedRecord",
        /// Parent record.
        ParentRecord = "parentRecord",
        /// Child record.
        ChildRecord = "childRecord",
        /// Entity reference.
        Reference = "reference",
    }
}

string_enum! {
    /// Whether a form field must be filled at launch.
    pub enum FieldRequirement {
        /// Always required.
        Always = "always",
        /// Never required.
        Never = "never",
        /// Required depending on other fields (the condition is not exposed by the API).
        Conditional = "conditional",
    }
}

/// One field of a workflow form schema.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SchemaField {
    /// The field type.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The label.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// Whether it is required at launch (launch schemas).
    #[serde(default, deserialize_with = "lenient")]
    pub required: Option<FieldRequirement>,
    /// Whether it is read-only (cannot be set by attribute updates).
    #[serde(default, deserialize_with = "lenient")]
    pub read_only: Option<bool>,
    /// Whether it is visible.
    #[serde(default, deserialize_with = "lenient")]
    pub visible: Option<bool>,
    /// The record property it maps to.
    #[serde(default, deserialize_with = "lenient")]
    pub property_key: Option<String>,
    /// The element type of an `array`, as sent (an object, or tolerantly a type name); see
    /// [`SchemaField::element_type`].
    #[serde(default, rename = "elementType", skip_serializing_if = "Option::is_none")]
    element_type_json: Option<AttributeValue>,
    /// Nested fields of an `object` (dynamic table columns).
    #[serde(
        default,
        deserialize_with = "lenient_schema",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub schema: BTreeMap<String, SchemaField>,
    /// Allowed values of a select field.
    #[serde(default, deserialize_with = "lenient")]
    pub options: Option<FieldOptions>,
    /// The default value, exactly as sent.
    #[serde(default)]
    pub default: Option<AttributeValue>,
}

impl SchemaField {
    /// The element type of an `array` field (`{"type":"object","schema":{…}}` for a dynamic
    /// table, `{"type":"string"}` for a multi-select).
    pub fn element_type(&self) -> Option<SchemaField> {
        let json = self.element_type_json.as_ref()?;
        if let Some(name) = json.as_str() {
            return Some(SchemaField::of_type(FieldType::from(name)));
        }
        json.parse().ok()
    }

    fn of_type(field_type: FieldType) -> Self {
        SchemaField {
            field_type,
            display_name: None,
            required: None,
            read_only: None,
            visible: None,
            property_key: None,
            element_type_json: None,
            schema: BTreeMap::new(),
            options: None,
            default: None,
        }
    }
}

/// Decode a schema map field by field, leaving out (and logging) definitions that do not decode.
pub(crate) fn lenient_schema<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, SchemaField>, D::Error> {
    let raw: BTreeMap<String, AttributeValue> = lenient_raw(deserializer)?;
    Ok(raw
        .into_iter()
        .filter_map(|(id, json)| match json.parse::<SchemaField>() {
            Ok(field) => Some((id, field)),
            Err(error) => {
                tracing::warn!(field = %id, %error, "skipping a schema field that does not decode");
                None
            }
        })
        .collect())
}

/// The options of a select field: `{"values": […], "freeTextAllowed": false}`. A bare list of
/// values is read as `values`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "FieldOptionsWire")]
#[non_exhaustive]
pub struct FieldOptions {
    /// The allowed values.
    pub values: Vec<serde_json::Value>,
    /// Whether other values may be typed in.
    pub free_text_allowed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FieldOptionsWire {
    Values(Vec<serde_json::Value>),
    #[serde(rename_all = "camelCase")]
    Object {
        #[serde(default, deserialize_with = "lenient")]
        values: Vec<serde_json::Value>,
        #[serde(default, deserialize_with = "lenient")]
        free_text_allowed: Option<bool>,
    },
}

impl From<FieldOptionsWire> for FieldOptions {
    fn from(wire: FieldOptionsWire) -> Self {
        match wire {
            FieldOptionsWire::Values(values) => FieldOptions { values, free_text_allowed: None },
            FieldOptionsWire::Object { values, free_text_allowed } => {
                FieldOptions { values, free_text_allowed }
            }
        }
    }
}

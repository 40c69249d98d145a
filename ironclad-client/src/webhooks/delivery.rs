//! What Ironclad POSTs to a webhook target.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::WebhookEvent;
use crate::ids::{TemplateId, WebhookId, WorkflowId};
use crate::serde_util::{lenient, timestamp_opt};
use crate::workflows::ApprovalStatus;

/// A webhook delivery: `{companyID, payload: {event, …}, timestamp, webhookID}`.
///
/// Ids are spelled `…ID` in deliveries (`companyID`, `workflowID`) but `…Id` in the REST API;
/// both spellings are accepted. Get one from raw bytes with
/// [`verify_delivery`](crate::webhooks::verify_delivery) or
/// [`WebhookVerifier`](crate::webhooks::WebhookVerifier), which check the signature first.
///
/// ```
/// use ironclad_client::webhooks::{WebhookDelivery, WebhookEvent};
///
/// let delivery: WebhookDelivery = serde_json::from_str(r#"{
///     "companyID": "674f5545728c89fc7fabd5ec",
///     "payload": {
///         "approvalID": "approver137e74661e0b40e38e3a52dff067cd0c",
///         "approvalName": "Legal",
///         "event": "workflow_approval_status_changed",
///         "status": "approved",
///         "userEmail": "",
///         "userID": "67520d8a6e3fe48d53795c29",
///         "workflowID": "67535b8446f877a720c22b29"
///     },
///     "timestamp": "2024-12-06T20:52:19.625Z",
///     "webhookID": "67535d36de552a07db17c508"
/// }"#)?;
/// assert_eq!(delivery.payload.event, WebhookEvent::WorkflowApprovalStatusChanged);
/// assert_eq!(delivery.payload.approval_name(), Some("Legal"));
/// assert_eq!(delivery.payload.user_email(), None); // sent as ""
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The company (tenant) id.
    #[serde(rename = "companyID", alias = "companyId", default, deserialize_with = "lenient")]
    pub company_id: Option<String>,
    /// What happened.
    pub payload: WebhookPayload,
    /// When it happened.
    #[serde(default, with = "timestamp_opt")]
    pub timestamp: Option<OffsetDateTime>,
    /// The subscription that sent it.
    #[serde(rename = "webhookID", alias = "webhookId", default, deserialize_with = "lenient")]
    pub webhook_id: Option<WebhookId>,
}

impl WebhookDelivery {
    /// The event type.
    pub fn event(&self) -> &WebhookEvent {
        &self.payload.event
    }
}

/// The `payload` of a delivery: the event, thin identifiers, and event-specific fields.
///
/// Payloads carry ids, not data: re-read the workflow through the API for its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookPayload {
    /// The event type.
    pub event: WebhookEvent,
    /// The workflow, for workflow events.
    #[serde(
        rename = "workflowID",
        alias = "workflowId",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub workflow_id: Option<WorkflowId>,
    /// The workflow's template (absent on some events, e.g. approval changes).
    #[serde(
        rename = "templateID",
        alias = "templateId",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub template_id: Option<TemplateId>,
    /// The user who caused the event.
    #[serde(
        rename = "userID",
        alias = "userId",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub user_id: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where `workflow_attribute_updated` may list the changed attributes. No public source names
/// the key (Ironclad's guide says only that the payload "includes an array of attribute
/// names"), so every plausible key is tried.
const CHANGED_ATTRIBUTE_KEYS: &[&str] = &[
    "attributes",
    "attributeIds",
    "attributeIDs",
    "attributeNames",
    "attributeKeys",
    "changedAttributes",
    "changedAttributeIds",
    "changedAttributeIDs",
    "updatedAttributes",
    "updatedAttributeIds",
    "updatedAttributeIDs",
    "attributeId",
    "attributeID",
    "attributeName",
];

/// Keys that name an attribute inside an object element of such a list.
const ATTRIBUTE_NAME_KEYS: &[&str] =
    &["id", "attributeId", "attributeID", "name", "attributeName", "key", "path", "fieldId"];

impl WebhookPayload {
    /// A field of the payload by its wire name.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.extra.get(key)
    }

    fn text(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|key| self.extra.get(*key).and_then(Value::as_str))
            .filter(|text| !text.trim().is_empty())
    }

    /// The approval (role) id of `workflow_approval_status_changed` (`approvalID`).
    pub fn approval_id(&self) -> Option<&str> {
        self.text(&["approvalID", "approvalId"])
    }

    /// The approval's display name (`approvalName`, e.g. `Legal`).
    pub fn approval_name(&self) -> Option<&str> {
        self.text(&["approvalName"])
    }

    /// The approval's new status (`status`, e.g. `approved`).
    pub fn approval_status(&self) -> Option<ApprovalStatus> {
        self.text(&["status"]).map(ApprovalStatus::from)
    }

    /// The acting user's email (`userEmail`); `None` when absent or empty, which Ironclad sends
    /// for some actions.
    pub fn user_email(&self) -> Option<&str> {
        self.text(&["userEmail"])
    }

    /// The document keys of document events (`documentKeys`).
    pub fn document_keys(&self) -> Option<Vec<&str>> {
        let keys = self.extra.get("documentKeys")?.as_array()?;
        Some(keys.iter().filter_map(Value::as_str).collect())
    }

    /// The attributes a `workflow_attribute_updated` event says changed, or `None` when the
    /// payload names none (then re-read the workflow and compare).
    ///
    /// The payload key is not documented in the sources this crate was built from, so this
    /// accepts a list of strings, or of objects naming the attribute (`id`, `name`, `key`, …),
    /// or an object keyed by attribute id, under any of the plausible keys (`attributes`,
    /// `attributeIds`, `changedAttributes`, `updatedAttributes`, `attributeNames`, …).
    ///
    /// ```
    /// use ironclad_client::webhooks::WebhookPayload;
    ///
    /// let payload: WebhookPayload = serde_json::from_str(
    ///     r#"{"event":"workflow_attribute_updated","workflowID":"w1","attributes":["totalContractValue","counterpartyName"]}"#,
    /// )?;
    /// assert_eq!(payload.changed_attribute_names().unwrap(), ["totalContractValue", "counterpartyName"]);
    /// assert_eq!(payload.attribute_changed("totalContractValue"), Some(true));
    ///
    /// let silent: WebhookPayload = serde_json::from_str(r#"{"event":"workflow_attribute_updated","workflowID":"w1"}"#)?;
    /// assert_eq!(silent.changed_attribute_names(), None);
    /// assert_eq!(silent.attribute_changed("totalContractValue"), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn changed_attribute_names(&self) -> Option<Vec<String>> {
        CHANGED_ATTRIBUTE_KEYS
            .iter()
            .filter_map(|key| self.extra.get(*key))
            .find_map(|value| attribute_names(value).filter(|names| !names.is_empty()))
    }

    /// Whether the payload says attribute `id` changed: `Some(true|false)` when it lists the
    /// changed attributes, `None` when it does not say.
    pub fn attribute_changed(&self, id: &str) -> Option<bool> {
        self.changed_attribute_names().map(|names| names.iter().any(|name| name == id))
    }
}

fn attribute_names(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(name) if !name.trim().is_empty() => Some(vec![name.clone()]),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|item| match item {
                    Value::String(name) => Some(name.clone()),
                    Value::Object(object) => ATTRIBUTE_NAME_KEYS
                        .iter()
                        .find_map(|key| object.get(*key).and_then(Value::as_str))
                        .map(str::to_owned),
                    _ => None,
                })
                .filter(|name| !name.trim().is_empty())
                .collect(),
        ),
        Value::Object(object) => Some(object.keys().cloned().collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(extra: &str) -> WebhookPayload {
        let json = format!(r#"{{"event":"workflow_attribute_updated","workflowID":"w1"{extra}}}"#);
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn changed_attributes_under_every_plausible_shape() {
        let cases = [
            (r#","attributes":["totalContractValue"]"#, Some(vec!["totalContractValue"])),
            (r#","attributeIds":["a","b"]"#, Some(vec!["a", "b"])),
            (
                r#","changedAttributes":[{"id":"totalContractValue","value":1}]"#,
                Some(vec!["totalContractValue"]),
            ),
            (r#","updatedAttributes":[{"attributeName":"x"},{"name":"y"}]"#, Some(vec!["x", "y"])),
            (r#","attributeNames":["x"]"#, Some(vec!["x"])),
            (
                r#","attributes":{"totalContractValue":{"old":1,"new":2}}"#,
                Some(vec!["totalContractValue"]),
            ),
            (r#","attributeId":"totalContractValue""#, Some(vec!["totalContractValue"])),
            (r#","attributes":[]"#, None),
            (r#","attributes":[1,2]"#, None),
            ("", None),
        ];
        for (extra, expected) in cases {
            let names = payload(extra).changed_attribute_names();
            let expected = expected.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(names, expected, "{extra}");
        }
    }

    #[test]
    fn accepts_both_id_spellings() {
        let delivery: WebhookDelivery = serde_json::from_str(
            r#"{"companyId":"c","payload":{"event":"workflow_launched","workflowId":"w","templateId":"t"},"webhookId":"h"}"#,
        )
        .unwrap();
        assert_eq!(delivery.company_id.as_deref(), Some("c"));
        assert_eq!(delivery.payload.workflow_id.as_deref(), Some("w"));
        assert_eq!(delivery.payload.template_id.as_deref(), Some("t"));
        assert_eq!(delivery.webhook_id.as_deref(), Some("h"));
        assert!(delivery.payload.extra.is_empty());
    }
}

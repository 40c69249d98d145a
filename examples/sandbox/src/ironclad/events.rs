//! Webhook events: payloads and the delivery envelope (<https://developer.ironcladapp.com/docs/webhook-event-types>).
//!
//! The envelope is `{"companyID", "payload", "timestamp", "webhookID"}` with the `ID`
//! capitalisation of deliveries (not the REST model's `companyId`). Payloads are thin
//! identifiers with their keys in the order the real captures show (alphabetical):
//! `workflow_launched` / `workflow_updated` / `workflow_completed` carry `event`, `templateID`,
//! `workflowID`; `workflow_approval_status_changed` carries `approvalID`, `approvalName`,
//! `event`, `status`, `userEmail`, `userID`, `workflowID` and no `templateID` (captured).
//! `workflow_attribute_updated` is not captured, and which member lists the changed attributes,
//! and whether by id, label or property key, is undocumented: by default the payload has
//! no list at all ([`ChangedAttributes::Omitted`]), so a receiver that relies on one misses the
//! change here as it might on a real tenant; [`ChangedAttributes::Ids`] and
//! [`ChangedAttributes::DisplayNames`] send `"attributes": [...]` instead.

use std::sync::Arc;

use super::IroncladState;
use super::model::{User, Workflow};
use crate::json::{Json, JsonObject};
use crate::timestamps;

/// Every event type of the `WebhookEvent` enum of Ironclad's OpenAPI description, plus `*`.
pub(crate) const KNOWN_EVENTS: &[&str] = &[
    "*",
    "workflow_launched",
    "workflow_updated",
    "workflow_cancelled",
    "workflow_completed",
    "workflow_approval_status_changed",
    "workflow_attribute_updated",
    "workflow_comment_added",
    "workflow_comment_removed",
    "workflow_comment_updated",
    "workflow_comment_reaction_added",
    "workflow_comment_reaction_removed",
    "workflow_counterparty_invite_sent",
    "workflow_counterparty_invite_revoked",
    "workflow_documents_added",
    "workflow_documents_removed",
    "workflow_documents_updated",
    "workflow_documents_renamed",
    "workflow_document_edited",
    "workflow_changed_turn",
    "workflow_paused",
    "workflow_resumed",
    "workflow_signature_packet_cancelled",
    "workflow_signature_packet_document_moved",
    "workflow_signature_packet_fully_signed",
    "workflow_signature_packet_sent",
    "workflow_signature_packet_signatures_collected",
    "workflow_signature_packet_signer_first_viewed",
    "workflow_signature_packet_signer_viewed",
    "workflow_signature_packet_uploaded",
    "workflow_signer_added",
    "workflow_signer_removed",
    "workflow_signer_reassigned",
    "workflow_step_updated",
    "workflow_roles_assigned",
    "record_contract_status_changed",
];

fn simple(event: &str, workflow: &Workflow) -> JsonObject {
    JsonObject::new()
        .with("event", event)
        .with("templateID", workflow.template_id.as_str())
        .with("workflowID", workflow.id.as_str())
}

pub(crate) fn launched(workflow: &Workflow) -> JsonObject {
    simple("workflow_launched", workflow)
}

pub(crate) fn updated(workflow: &Workflow) -> JsonObject {
    simple("workflow_updated", workflow)
}

pub(crate) fn completed(workflow: &Workflow) -> JsonObject {
    simple("workflow_completed", workflow)
}

/// How a `workflow_attribute_updated` delivery lists the changed attributes (see
/// [`IroncladControl::set_changed_attributes`](super::IroncladControl::set_changed_attributes)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangedAttributes {
    /// No list (the default): nothing in the delivery says what changed.
    #[default]
    Omitted,
    /// `"attributes": ["totalContractValue"]`: the attribute ids.
    Ids,
    /// `"attributes": ["Total Contract Value"]`: the fields' labels.
    DisplayNames,
}

/// `changed`: `(attribute id, display name)` of each changed attribute.
pub(crate) fn attribute_updated(
    workflow: &Workflow,
    changed: &[(String, String)],
    listing: ChangedAttributes,
    user: &User,
) -> JsonObject {
    let names: Option<Vec<Json>> = match listing {
        ChangedAttributes::Omitted => None,
        ChangedAttributes::Ids => {
            Some(changed.iter().map(|(id, _)| Json::str(id.as_str())).collect())
        }
        ChangedAttributes::DisplayNames => {
            Some(changed.iter().map(|(_, name)| Json::str(name.as_str())).collect())
        }
    };
    let mut payload = JsonObject::new();
    if let Some(names) = names {
        payload.insert("attributes", Json::Array(names));
    }
    payload
        .with("event", "workflow_attribute_updated")
        .with("templateID", workflow.template_id.as_str())
        .with("userID", user.id.as_str())
        .with("workflowID", workflow.id.as_str())
}

pub(crate) fn approval_status_changed(
    workflow: &Workflow,
    role_id: &str,
    role_name: &str,
    status: &str,
    user: &User,
) -> JsonObject {
    JsonObject::new()
        .with("approvalID", role_id)
        .with("approvalName", role_name)
        .with("event", "workflow_approval_status_changed")
        .with("status", status)
        .with("userEmail", user.email.as_str())
        .with("userID", user.id.as_str())
        .with("workflowID", workflow.id.as_str())
}

/// The delivery body for one subscription: compact JSON, as `JSON.stringify` writes it.
pub(crate) fn envelope(company_id: &str, payload: &JsonObject, webhook_id: &str) -> Vec<u8> {
    Json::Object(
        JsonObject::new()
            .with("companyID", company_id)
            .with("payload", Json::Object(payload.clone()))
            .with("timestamp", timestamps::ironclad_timestamp(timestamps::now()))
            .with("webhookID", webhook_id),
    )
    .to_bytes()
}

/// Send `payload` to every enabled subscription that wants its event. Never blocks.
pub(crate) fn emit(state: &Arc<IroncladState>, payload: JsonObject) {
    let event = payload.get("event").and_then(Json::as_str).unwrap_or_default().to_owned();
    let targets: Vec<(String, String)> = state
        .data()
        .subscriptions
        .iter()
        .filter(|s| s.wants(&event))
        .map(|s| (s.id.clone(), s.target_url.clone()))
        .collect();
    state.deliveries.record_event(&payload);
    for (webhook_id, target_url) in targets {
        let body = envelope(&state.company_id, &payload, &webhook_id);
        state.deliveries.enqueue(state, &event, &webhook_id, &target_url, body);
    }
}

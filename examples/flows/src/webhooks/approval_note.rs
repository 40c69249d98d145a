//! Flow 3: `workflow_approval_status_changed` → a note regarding the Agreement.

use ironclad_client::webhooks::WebhookDelivery;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use super::workflow::msa_workflow;
use super::{EventOutcome, note_id};
use crate::{FlowContext, FlowError};

/// The standard Note table.
pub(crate) const ANNOTATIONS: &str = "annotations";

/// Add a note with the approval's name, status and user and the workflow's link to the
/// Agreement. The note's id is derived from the event id and it is created create-only
/// (`PATCH` with `If-None-Match: *`), so a retried event never adds a second note.
pub(crate) async fn note_approval(
    context: &FlowContext,
    delivery: &WebhookDelivery,
    event_id: &str,
) -> Result<EventOutcome, FlowError> {
    let (workflow, agreement) = match msa_workflow(context, delivery).await? {
        Ok(found) => found,
        Err(ignored) => return Ok(ignored),
    };
    let payload = &delivery.payload;
    let approval = payload.approval_name().or(payload.approval_id()).unwrap_or("An approval");
    let status =
        payload.approval_status().map_or_else(|| "changed".to_owned(), |s| s.as_str().to_owned());
    let user = payload
        .user_email()
        .map(str::to_owned)
        .or_else(|| payload.user_id.clone().filter(|id| !id.is_empty()))
        .unwrap_or_else(|| "unknown user".to_owned());
    let url = context.workflow_url(&workflow.id);
    let title = workflow.title.clone().unwrap_or_else(|| workflow.id.to_string());
    let mut text = format!("Approval: {approval}\nStatus: {status}\nBy: {user}\nWorkflow: {title}");
    if let Some(readable) = workflow.readable_id() {
        text.push_str(&format!(" ({readable})"));
    }
    text.push_str(&format!("\nLink: {url}"));
    if let Some(at) = delivery.timestamp.and_then(|at| at.format(&Rfc3339).ok()) {
        text.push_str(&format!("\nAt: {at}"));
    }

    let table = &context.table;
    let note = note_id::approval_note(event_id);
    let mut body = Map::new();
    body.insert(
        "subject".to_owned(),
        Value::String(format!("Ironclad approval: {approval} {status}")),
    );
    body.insert("notetext".to_owned(), Value::String(text));
    body.insert(
        format!("objectid_{}@odata.bind", table.table),
        Value::String(dataverse_client::records::bind_path(&table.entity_set, agreement)),
    );
    let created = match context.dataverse.upsert(ANNOTATIONS, note, &body).create_only().await {
        Ok(_) => true,
        // 412: the note exists, created by an earlier attempt at this event.
        Err(error) if error.is_conflict() => false,
        Err(error) => return Err(error.into()),
    };
    tracing::info!(%agreement, %note, created, "approval noted");
    Ok(EventOutcome::ApprovalNoted { agreement, note, created })
}

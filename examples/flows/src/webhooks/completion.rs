//! Flow 4: `workflow_completed` → the record's signed copy as a note on the Agreement, then the
//! Agreement's Ironclad status.

use dataverse_client::{Document, NewNote, RequestOptions};
use futures_util::TryStreamExt;
use ironclad_client::records::SIGNED_COPY;
use ironclad_client::{Filter, ListRecords, Record, WebhookDelivery, Workflow};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::approval_note::ANNOTATIONS;
use super::workflow::msa_workflow;
use super::{EventOutcome, note_id};
use crate::agreement::{Row, workflow_status};
use crate::{FlowContext, FlowError, attributes};

/// Attach the signed copy and set the status. The note's id is derived from the workflow and
/// its record, and an earlier attempt's note is found rather than duplicated, so one
/// completion gives one document however often it is processed. The document streams from
/// Ironclad into the note's base64 body without being held in memory.
pub(crate) async fn attach_signed_copy(
    context: &FlowContext,
    delivery: &WebhookDelivery,
    attempt: u32,
) -> Result<EventOutcome, FlowError> {
    let (workflow, agreement) = match msa_workflow(context, delivery).await? {
        Ok(found) => found,
        Err(ignored) => return Ok(ignored),
    };
    let record = completed_record(context, &workflow, agreement).await?;
    let note = note_id::signed_copy_note(&workflow.id, &record.id);
    let file_name = record
        .attachment(SIGNED_COPY)
        .and_then(|a| a.filename.clone())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| format!("{}.pdf", workflow.title.as_deref().unwrap_or("signed-copy")));

    // A retry may follow an attempt that created the note and then failed: look before
    // downloading the document again.
    let exists = attempt > 0 && note_exists(context, note).await?;
    let created = if exists {
        false
    } else {
        upload(context, &workflow, &record, agreement, note, &file_name).await?
    };

    let status = workflow_status(&workflow).unwrap_or_else(|| "Complete".to_owned());
    let table = &context.table;
    let mut body = Map::new();
    body.insert(table.workflow_status.clone(), Value::String(status.clone()));
    context.dataverse.update(&table.entity_set, agreement, &body).await?;
    tracing::info!(%agreement, %note, created, %status, "signed copy attached");
    Ok(EventOutcome::SignedCopyAttached { agreement, note, file_name, created, status })
}

/// The repository record the workflow created: from `recordIds`, else found by its
/// `dynamicsMsaId` property.
async fn completed_record(
    context: &FlowContext,
    workflow: &Workflow,
    agreement: Uuid,
) -> Result<Record, FlowError> {
    if let Some(record_id) = workflow.record_ids.first() {
        return Ok(context.ironclad.records().get(record_id).await?);
    }
    let query = ListRecords::new()
        .filter(Filter::equals(attributes::DYNAMICS_MSA_ID, &agreement.to_string()))
        .page_size(10);
    let page = context.ironclad.records().list_page(&query, 0).await?;
    page.list
        .into_iter()
        .filter(|record| record.attachment(SIGNED_COPY).is_some())
        .max_by_key(|record| record.last_updated)
        .ok_or_else(|| {
            FlowError::NotYet(format!(
                "workflow {} has no repository record with a signed copy yet",
                workflow.id
            ))
        })
}

async fn note_exists(context: &FlowContext, note: Uuid) -> Result<bool, FlowError> {
    match context.dataverse.retrieve::<Row>(ANNOTATIONS, note).select(["annotationid"]).await {
        Ok(_) => Ok(true),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Stream the signed copy into a new note; `false` when the note turned out to exist already.
async fn upload(
    context: &FlowContext,
    workflow: &Workflow,
    record: &Record,
    agreement: Uuid,
    note: Uuid,
    file_name: &str,
) -> Result<bool, FlowError> {
    let download = context.ironclad.records().download_attachment(record, SIGNED_COPY).await?;
    let size = download.content_length();
    let stream = download.into_stream().map_err(std::io::Error::other);
    let document = match size {
        Some(size) => Document::from_stream_with_size(stream, size),
        None => Document::from_stream(stream),
    }
    .file_name(file_name)
    .mime_type("application/pdf");
    let title = workflow.title.as_deref().unwrap_or(&workflow.id);
    let readable = workflow.readable_id().map(|id| format!(" ({id})")).unwrap_or_default();
    let table = &context.table;
    let new_note = NewNote::new()
        .regarding(&table.table, &table.entity_set, agreement)
        .subject(format!("Signed contract: {title}"))
        .text(format!(
            "The signed copy of {title}{readable} from the Ironclad repository.\nLink: {}",
            context.workflow_url(&workflow.id)
        ))
        .column("annotationid", note.to_string())
        .column("isdocument", true)
        .document(document);
    // With a fixed id, a replay cannot create a second note: it is safe to replay.
    let options = RequestOptions::new().replay_safe(true);
    match context.dataverse.create_note(new_note).options(options).await {
        Ok(_) => Ok(true),
        Err(error) if error.is_conflict() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

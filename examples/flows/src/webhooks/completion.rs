//! Flow 4: `workflow_completed` → the signed copy as a note on the Agreement, then the
//! Agreement's Ironclad status.
//!
//! The signed copy is the `signedCopy` attachment of the repository record the workflow filed.
//! The record is found through the workflow's `recordIds`, else among the records updated
//! since the workflow was, by their `source` (`{"type": "workflow", "workflowId": …}`), else
//! by the record property the template's Dynamics MSA ID feeds (the schema field's
//! `propertyKey`, such as `dynamicsMsaId_6372fcf6-…_string`; a record property is never keyed
//! by the workflow attribute id). See Ironclad's
//! [records reference](https://developer.ironcladapp.com/reference/list-all-records).
//!
//! The record, or its attachment, can appear after the event: that is "not yet", retried with
//! backoff. When the retries run out, the workflow's own `signed` document is attached instead.

use std::time::Duration;

use dataverse_client::{
    config::RequestOptions,
    notes::{Document, NewNote},
};
use futures_util::TryStreamExt;
use ironclad_client::records::{RecordSortField, SIGNED_COPY, SortDirection};
use ironclad_client::{
    download::Download,
    records::{ListRecords, Record},
    webhooks::WebhookDelivery,
    workflows::{Filter, Workflow, WorkflowDocument},
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::approval_note::ANNOTATIONS;
use super::workflow::msa_workflow;
use super::{EventOutcome, note_id};
use crate::agreement::{Row, workflow_status};
use crate::attributes::MsaField;
use crate::{FlowContext, FlowError};

/// The workflow attribute holding the signed PDF (schema type `document`: one document).
const SIGNED: &str = "signed";
/// Used when Ironclad names no content type.
const PDF: &str = "application/pdf";
/// How far before the workflow's last update its record may have been filed.
const RECORD_CLOCK_SLACK: Duration = Duration::from_secs(3600);
/// Records read when looking for the workflow's record by `source` (one page).
const RECENT_RECORDS: u32 = 100;

/// Where the signed copy comes from.
enum SignedCopy {
    /// The repository record's `signedCopy` attachment.
    Record(Box<Record>),
    /// The workflow's `signed` document (the record never showed one).
    Workflow(Box<WorkflowDocument>),
}

/// Attach the signed copy and set the status. The note's id is derived from the workflow, and
/// an earlier attempt's note is found rather than duplicated, so one completion gives one
/// document however often, and by whichever path, it is processed. The document streams from
/// Ironclad into the note's base64 body without being held in memory. `last_attempt`: the
/// worker will not try again, so a record that still has no signed copy gives way to the
/// workflow's `signed` document.
pub(crate) async fn attach_signed_copy(
    context: &FlowContext,
    delivery: &WebhookDelivery,
    attempt: u32,
    last_attempt: bool,
) -> Result<EventOutcome, FlowError> {
    let (workflow, agreement) = match msa_workflow(context, delivery).await? {
        Ok(found) => found,
        Err(ignored) => return Ok(ignored),
    };
    let note = note_id::signed_copy_note(&workflow.id);

    // A retry may follow an attempt that created the note and then failed: look before
    // downloading the document again.
    let earlier = if attempt > 0 { existing_note(context, note).await? } else { None };
    let (created, file_name) = match earlier {
        Some(file_name) => (false, file_name),
        None => {
            let copy = match find_signed_copy(context, &workflow, agreement).await {
                Err(FlowError::NotYet(reason)) if last_attempt => {
                    let document = signed_document(&workflow).ok_or_else(|| {
                        FlowError::NotYet(format!(
                            "{reason}, and the workflow has no {SIGNED} document"
                        ))
                    })?;
                    tracing::warn!(%reason, "attaching the workflow's signed document instead");
                    SignedCopy::Workflow(Box::new(document))
                }
                found => found?,
            };
            upload(context, &workflow, copy, agreement, note).await?
        }
    };

    let status = workflow_status(&workflow).unwrap_or_else(|| "Complete".to_owned());
    let table = &context.table;
    let mut body = Map::new();
    body.insert(table.workflow_status.clone(), Value::String(status.clone()));
    context.dataverse.update(&table.entity_set, agreement, &body).await?;
    tracing::info!(%agreement, %note, created, %status, "signed copy attached");
    Ok(EventOutcome::SignedCopyAttached { agreement, note, file_name, created, status })
}

/// The record the workflow filed, with its signed copy (see the [module docs](self)).
async fn find_signed_copy(
    context: &FlowContext,
    workflow: &Workflow,
    agreement: Uuid,
) -> Result<SignedCopy, FlowError> {
    let records = context.ironclad.records();
    if let Some(record_id) = workflow.record_ids.first() {
        return with_signed_copy(records.get(record_id).await?, workflow);
    }
    let mut recent = ListRecords::new()
        .sort(RecordSortField::LastUpdated, SortDirection::Descending)
        .page_size(RECENT_RECORDS);
    if let Some(updated) = workflow.last_updated {
        recent = recent.updated_since(updated - RECORD_CLOCK_SLACK);
    }
    let filed =
        records.list_page(&recent, 0).await?.list.into_iter().find(|r| filed_by(r, &workflow.id));
    if let Some(record) = filed {
        return with_signed_copy(record, workflow);
    }
    let msa_id = context.custom_attribute(MsaField::DynamicsMsaId);
    if let Some(key) = workflow.schema.get(msa_id).and_then(|f| f.property_key.as_deref()) {
        let query =
            ListRecords::new().filter(Filter::equals(key, &agreement.to_string())).page_size(10);
        let page = records.list_page(&query, 0).await?;
        let newest = page.list.into_iter().max_by_key(|r| r.last_updated);
        if let Some(record) = newest {
            return with_signed_copy(record, workflow);
        }
    }
    Err(FlowError::NotYet(format!("workflow {} has no repository record yet", workflow.id)))
}

/// Whether `record` says it was filed by workflow `workflow_id`.
fn filed_by(record: &Record, workflow_id: &str) -> bool {
    let Some(source) = &record.source else { return false };
    source.get("type").and_then(Value::as_str) == Some("workflow")
        && source.get("workflowId").and_then(Value::as_str) == Some(workflow_id)
}

fn with_signed_copy(record: Record, workflow: &Workflow) -> Result<SignedCopy, FlowError> {
    if record.attachment(SIGNED_COPY).is_some() {
        Ok(SignedCopy::Record(Box::new(record)))
    } else {
        Err(FlowError::NotYet(format!(
            "record {} of workflow {} has no signed copy yet",
            record.id, workflow.id
        )))
    }
}

/// The workflow's `signed` document: one object (schema type `document`), or tolerantly the
/// first of a list.
fn signed_document(workflow: &Workflow) -> Option<WorkflowDocument> {
    let value = workflow.attributes.get(SIGNED)?;
    let document = match value.parse::<WorkflowDocument>() {
        Ok(one) => Some(one),
        Err(_) => value.as_documents().and_then(|list| list.into_iter().next()),
    };
    document.filter(|d| d.key.is_some())
}

/// The file name of the note of an earlier attempt, if it exists.
async fn existing_note(context: &FlowContext, note: Uuid) -> Result<Option<String>, FlowError> {
    match context.dataverse.retrieve::<Row>(ANNOTATIONS, note).select(["filename"]).await {
        Ok(row) => Ok(Some(row.text("filename")?.unwrap_or_default())),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Stream the signed copy into a new note: whether it was created (`false` when it turned out
/// to exist already) and its file name.
async fn upload(
    context: &FlowContext,
    workflow: &Workflow,
    copy: SignedCopy,
    agreement: Uuid,
    note: Uuid,
) -> Result<(bool, String), FlowError> {
    let title = workflow.title.as_deref().unwrap_or(&workflow.id);
    let (download, file_name, mime_type, origin): (Download, _, _, _) = match &copy {
        SignedCopy::Record(record) => {
            let attachment = record.attachment(SIGNED_COPY);
            let name = attachment.and_then(|a| a.filename.clone());
            let mime = attachment.and_then(|a| a.content_type.clone());
            let download =
                context.ironclad.records().download_attachment(record, SIGNED_COPY).await?;
            (download, name, mime, "the Ironclad repository")
        }
        SignedCopy::Workflow(document) => {
            let download =
                context.ironclad.workflows().download_document(&workflow.id, document).await?;
            (download, document.filename.clone(), None, "the Ironclad workflow")
        }
    };
    let file_name = file_name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| format!("{}.pdf", workflow.title.as_deref().unwrap_or("signed-copy")));
    let mime_type = mime_type.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| PDF.to_owned());
    let size = download.content_length();
    let stream = download.into_stream().map_err(std::io::Error::other);
    let document = match size {
        Some(size) => Document::from_stream_with_size(stream, size),
        None => Document::from_stream(stream),
    }
    .file_name(&file_name)
    .mime_type(&mime_type);
    let readable = workflow.readable_id().map(|id| format!(" ({id})")).unwrap_or_default();
    let table = &context.table;
    let new_note = NewNote::new()
        .regarding(&table.table, &table.entity_set, agreement)
        .subject(format!("Signed contract: {title}"))
        .text(format!(
            "The signed copy of {title}{readable} from {origin}.\nLink: {}",
            context.workflow_url(&workflow.id)
        ))
        .column("annotationid", note.to_string())
        .column("isdocument", true)
        .document(document);
    // With a fixed id, a replay cannot create a second note: it is safe to replay.
    let options = RequestOptions::new().replay_safe(true);
    match context.dataverse.create_note(new_note).options(options).await {
        Ok(_) => Ok((true, file_name)),
        Err(error) if error.is_conflict() => Ok((false, file_name)),
        Err(error) => Err(error.into()),
    }
}

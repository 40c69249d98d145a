//! Completing a workflow: the signed document, the repository record and its signed copy.
//!
//! A completed workflow gets its `signed` document (one document: its schema type is
//! `document`, see the [workflow reference](https://developer.ironcladapp.com/reference/retrieve-a-workflow)),
//! status `completed`, step `Complete`, and `workflow_completed` is emitted. By default the
//! repository record is filed at once, listed in the workflow's `recordIds`, names the
//! workflow as its `source` and carries the `signedCopy` attachment. Whether `recordIds` is
//! filled by the time `workflow_completed` is delivered, and when `signedCopy` is attached, is
//! not documented, so [`Completion`] lets a test take each of them
//! away and add it later ([`IroncladControl::file_record`](super::IroncladControl::file_record),
//! [`IroncladControl::attach_signed_copy`](super::IroncladControl::attach_signed_copy)).

use std::sync::Arc;

use super::errors::IcError;
use super::model::{Document, IroncladData, Record, SIGNED_KEY};
use super::{IroncladState, events};
use crate::ids;
use crate::timestamps;

/// How [`IroncladControl::complete_workflow_with`](super::IroncladControl::complete_workflow_with)
/// files the repository record.
///
/// ```
/// use dataverse_ironclad_sandbox::ironclad::Completion;
///
/// // The record exists at completion, but its signed copy is attached later.
/// let late = Completion::default().signed_copy_later();
/// assert!(late.file_record && !late.attach_signed_copy);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Completion {
    /// Size of the signed PDF in bytes (`None`: the sandbox's configured size).
    pub signed_copy_size: Option<u64>,
    /// File the record at completion (default); otherwise file it later.
    pub file_record: bool,
    /// List the record in the workflow's `recordIds` (default).
    pub list_on_workflow: bool,
    /// Give the record a `source` naming the workflow (default).
    pub record_source: bool,
    /// Attach the record's `signedCopy` when it is filed (default); otherwise attach it later.
    pub attach_signed_copy: bool,
}

impl Default for Completion {
    fn default() -> Self {
        Self {
            signed_copy_size: None,
            file_record: true,
            list_on_workflow: true,
            record_source: true,
            attach_signed_copy: true,
        }
    }
}

impl Completion {
    /// A signed PDF of `bytes` bytes.
    #[must_use]
    pub fn signed_copy_size(mut self, bytes: u64) -> Self {
        self.signed_copy_size = Some(bytes);
        self
    }

    /// No record at completion (file it later).
    #[must_use]
    pub fn record_later(mut self) -> Self {
        self.file_record = false;
        self
    }

    /// The record is not listed in the workflow's `recordIds`.
    #[must_use]
    pub fn unlisted(mut self) -> Self {
        self.list_on_workflow = false;
        self
    }

    /// The record has no `source`.
    #[must_use]
    pub fn without_source(mut self) -> Self {
        self.record_source = false;
        self
    }

    /// The record has no `signedCopy` until it is attached.
    #[must_use]
    pub fn signed_copy_later(mut self) -> Self {
        self.attach_signed_copy = false;
        self
    }
}

fn workflow_not_found() -> IcError {
    IcError::not_found("workflow does not exist", "workflowId")
}

/// Sign and archive the workflow; returns the record id when one was filed.
pub(crate) fn complete(
    state: &Arc<IroncladState>,
    workflow_id: &str,
    completion: Completion,
) -> Result<Option<String>, IcError> {
    let (snapshot, record) = {
        let mut data = state.data();
        let index = data.workflow_index(workflow_id).ok_or_else(workflow_not_found)?;
        let workflow = &mut data.workflows[index];
        if workflow.status != "active" {
            return Err(IcError::invalid_state("only an active workflow can be completed"));
        }
        if workflow.approvals.iter().any(|a| !a.approved) {
            return Err(IcError::invalid_state("the workflow has pending approvals"));
        }
        let now = timestamps::now();
        workflow.documents.push(Document {
            key: format!("{SIGNED_KEY}{}", ids::nano_id()),
            version: ids::nano_id(),
            filename: super::documents::pdf_file_name(&workflow.title),
            size: completion.signed_copy_size.unwrap_or(state.settings.signed_copy_size),
            text: format!("Signed copy: {}", workflow.title),
            modified: now,
        });
        workflow.status = "completed".to_owned();
        workflow.step = "Complete".to_owned();
        workflow.last_updated = now;
        let record =
            if completion.file_record { Some(file(&mut data, index, completion)?) } else { None };
        (data.workflows[index].clone(), record)
    };
    events::emit(state, events::completed(&snapshot));
    Ok(record)
}

/// File the repository record of a completed workflow that has none yet; returns its id.
pub(crate) fn file_record(
    state: &IroncladState,
    workflow_id: &str,
    completion: Completion,
) -> Result<String, IcError> {
    let mut data = state.data();
    let index = data.workflow_index(workflow_id).ok_or_else(workflow_not_found)?;
    let workflow = &data.workflows[index];
    if workflow.status != "completed" {
        return Err(IcError::invalid_state("only a completed workflow files a record"));
    }
    let filed = data.records.iter().any(|r| r.readable == workflow.readable);
    if filed {
        return Err(IcError::invalid_state("the workflow's record is filed already"));
    }
    file(&mut data, index, completion)
}

/// Attach the signed copy to a record that has none yet.
pub(crate) fn attach_signed_copy(state: &IroncladState, record_id: &str) -> Result<(), IcError> {
    let mut data = state.data();
    let readable = data
        .record(record_id)
        .ok_or_else(|| IcError::not_found("record does not exist", "recordId"))?
        .readable;
    let signed = data
        .workflows
        .iter()
        .find(|w| w.readable == readable)
        .and_then(|w| w.documents.iter().find(|d| d.key.starts_with(SIGNED_KEY)).cloned())
        .ok_or_else(|| IcError::invalid_state("the record's workflow has no signed document"))?;
    let record = data
        .records
        .iter_mut()
        .find(|r| r.readable == readable)
        .ok_or_else(|| IcError::not_found("record does not exist", "recordId"))?;
    record.signed_copy = Some(signed);
    record.last_updated = timestamps::now();
    Ok(())
}

/// File the record of workflow `index`: its fields that have a property key, under that key.
fn file(data: &mut IroncladData, index: usize, completion: Completion) -> Result<String, IcError> {
    let workflow = &data.workflows[index];
    let template = data
        .template(&workflow.template_id)
        .cloned()
        .ok_or_else(|| IcError::invalid_state("template is gone"))?;
    let values = template
        .attributes
        .iter()
        .filter(|a| !a.read_only)
        .filter_map(|a| {
            let key = a.property_key.clone()?;
            workflow.attributes.get(&a.id).map(|value| (key, a.kind, value.clone()))
        })
        .collect();
    let signed = workflow.documents.iter().find(|d| d.key.starts_with(SIGNED_KEY)).cloned();
    let record = Record {
        id: uuid::Uuid::new_v4().to_string(),
        readable: workflow.readable,
        record_type: template.record_type.clone(),
        name: workflow.title.clone(),
        last_updated: timestamps::now(),
        values,
        source_workflow: completion.record_source.then(|| workflow.id.clone()),
        signed_copy: signed.filter(|_| completion.attach_signed_copy),
    };
    let id = record.id.clone();
    if completion.list_on_workflow {
        data.workflows[index].record_ids.push(id.clone());
    }
    data.records.push(record);
    Ok(id)
}

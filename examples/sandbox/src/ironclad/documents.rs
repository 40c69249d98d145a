//! Workflow documents (<https://developer.ironcladapp.com/reference>).
//!
//! `GET /workflows/{id}/documents` → `{"signaturePacketDocuments": [WorkflowDocument…],
//! "excludedFromSignaturePacketDocuments": []}`. `GET /workflows/{id}/document/{key}/download`
//! streams the bytes as the real service does: chunked, `content-disposition: attachment` with
//! no file name and no content type (as recorded), so clients must take the name from the
//! document object.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use super::IroncladState;
use super::errors::{IcError, json_response};
use crate::json::{Json, JsonObject};
use crate::pdf::GeneratedPdf;

fn not_found() -> IcError {
    IcError::not_found("workflow does not exist", "workflowId")
}

pub(crate) async fn list(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
) -> Result<Response, IcError> {
    let data = state.data();
    let workflow = &data.workflows[data.workflow_index(&id).ok_or_else(not_found)?];
    let documents: Vec<Json> = workflow.documents.iter().map(|d| d.json(&workflow.id)).collect();
    let body = JsonObject::new()
        .with("signaturePacketDocuments", Json::Array(documents))
        .with("excludedFromSignaturePacketDocuments", Json::Array(Vec::new()));
    Ok(json_response(StatusCode::OK, &Json::Object(body)))
}

pub(crate) async fn download(
    State(state): State<Arc<IroncladState>>,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, IcError> {
    let document = {
        let data = state.data();
        let workflow = &data.workflows[data.workflow_index(&id).ok_or_else(not_found)?];
        workflow
            .documents
            .iter()
            .find(|d| d.key == key)
            .cloned()
            .ok_or_else(|| IcError::not_found("document does not exist", "key"))?
    };
    let pdf = GeneratedPdf::new(&document.text, document.size);
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_DISPOSITION, "attachment")],
        Body::from_stream(pdf.stream()),
    )
        .into_response();
    response.headers_mut().remove(header::CONTENT_TYPE);
    Ok(response)
}

/// The file name Ironclad gives a generated PDF of a workflow: its title, without a trailing
/// period (titles often end in "Inc."), plus `.pdf`.
pub(crate) fn pdf_file_name(title: &str) -> String {
    format!("{}.pdf", title.trim_end().trim_end_matches('.'))
}

#[cfg(test)]
mod file_name_tests {
    #[test]
    fn no_double_period() {
        assert_eq!(super::pdf_file_name("MSA with Fabrikam, Inc."), "MSA with Fabrikam, Inc.pdf");
        assert_eq!(super::pdf_file_name("MSA"), "MSA.pdf");
    }
}

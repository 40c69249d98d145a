//! Repository records and their signed copies (<https://developer.ironcladapp.com/reference>).
//!
//! `GET /records` takes `page`, `pageSize`, `types` (comma list), `filter` (formula over
//! property values), `lastUpdated`, `sortField` (`agreementDate` default | `name` |
//! `lastUpdated`), `sortDirection` (`ASC` | `DESC`, default DESC) and `addressAsObject`
//! (addresses are strings unless true). `GET /records/{id}` takes the id or `IC-n`.
//! Properties are keyed by the template fields' property keys, so a `filter` on a workflow
//! attribute id (`[dynamicsMsaId]`) matches nothing, as on a real tenant.
//! `GET /records/{id}/attachments/{key}` streams the file (a generated PDF; the public sources
//! believes it returns the bytes), or answers 404 while the record has no such attachment with `content-type: application/pdf`, a bare
//! `content-disposition: attachment` and its `content-length`, streamed, never buffered.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri, header};

use super::errors::{IcError, json_response};
use super::model::Record;
use super::params::{Page, query};
use super::{IroncladState, filter_formula};
use crate::json::Json;
use crate::pdf::GeneratedPdf;
use crate::timestamps;

fn not_found() -> IcError {
    IcError::not_found("record does not exist", "recordId")
}

pub(crate) async fn list(
    State(state): State<Arc<IroncladState>>,
    uri: Uri,
) -> Result<Response, IcError> {
    let params = query(&uri);
    let page = Page::from_query(&params)?;
    let types: Option<Vec<&str>> = params.get("types").map(|t| t.split(',').collect());
    let filter = params.get("filter").map(|f| filter_formula::parse(f)).transpose()?;
    let since = match params.get("lastUpdated") {
        None => None,
        Some(text) => Some(timestamps::parse_rfc3339(text).ok_or_else(|| {
            IcError::invalid("lastUpdated must be a UTC date-time", "lastUpdated")
        })?),
    };
    let sort_field = params.get("sortField").map_or("agreementDate", String::as_str);
    if !["agreementDate", "name", "lastUpdated"].contains(&sort_field) {
        return Err(IcError::invalid(
            "sortField must be agreementDate, name or lastUpdated",
            "sortField",
        ));
    }
    let descending = match params.get("sortDirection").map(String::as_str) {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(_) => {
            return Err(IcError::invalid("sortDirection must be ASC or DESC", "sortDirection"));
        }
    };
    let address_as_object = params.get("addressAsObject").is_some_and(|v| v == "true");
    let data = state.data();
    let mut records: Vec<&Record> = data
        .records
        .iter()
        .filter(|r| types.as_ref().is_none_or(|t| t.contains(&r.record_type.as_str())))
        .filter(|r| since.is_none_or(|since| r.last_updated >= since))
        .filter(|r| filter.as_ref().is_none_or(|f| filter_formula::matches(f, &|id| r.value(id))))
        .collect();
    records.sort_by(|a, b| {
        let order = match sort_field {
            "name" => a.name.cmp(&b.name),
            "lastUpdated" => a.last_updated.cmp(&b.last_updated),
            _ => compare_text(a.value("agreementDate"), b.value("agreementDate")),
        };
        if descending { order.reverse() } else { order }
    });
    let api_root = state.api_root();
    let list = page.window(&records).iter().map(|r| r.json(&api_root, address_as_object)).collect();
    Ok(json_response(StatusCode::OK, &page.envelope(records.len(), list, true)))
}

fn compare_text(a: Option<&Json>, b: Option<&Json>) -> Ordering {
    a.and_then(Json::as_str).cmp(&b.and_then(Json::as_str))
}

pub(crate) async fn retrieve(
    State(state): State<Arc<IroncladState>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, IcError> {
    let address_as_object = query(&uri).get("addressAsObject").is_some_and(|v| v == "true");
    let data = state.data();
    let record = data.record(&id).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &record.json(&state.api_root(), address_as_object)))
}

pub(crate) async fn attachment(
    State(state): State<Arc<IroncladState>>,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, IcError> {
    let document = {
        let data = state.data();
        let record = data.record(&id).ok_or_else(not_found)?;
        match (key.as_str(), &record.signed_copy) {
            ("signedCopy", Some(document)) => document.clone(),
            _ => return Err(IcError::not_found("attachment does not exist", "key")),
        }
    };
    let pdf = GeneratedPdf::new(&document.text, document.size);
    let length = pdf.len().to_string();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "attachment"),
            (header::CONTENT_LENGTH, length.as_str()),
        ],
        Body::from_stream(pdf.stream()),
    )
        .into_response())
}

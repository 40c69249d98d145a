//! Multipart file uploads (`attachment` plus an optional JSON `metadata` part), shared by record
//! attachments, workflow documents and signed copies.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::multipart::{Form, Part};

use crate::Error;
use crate::http::FormFactory;

/// A form factory for `file_name` with `content`: the bytes are shared (a cheap `Bytes` clone per
/// attempt), streamed with their length, and typed from the file extension.
pub(crate) fn attachment_form(
    file_name: &str,
    content: Bytes,
    metadata: Option<String>,
) -> Result<FormFactory, Error> {
    if file_name.trim().is_empty() {
        return Err(Error::InvalidRequest("the file needs a name".into()));
    }
    let file_name = file_name.to_owned();
    let mime = mime_for(&file_name);
    Ok(Arc::new(move || -> Result<Form, Error> {
        let attachment =
            Part::stream_with_length(reqwest::Body::from(content.clone()), content.len() as u64)
                .file_name(file_name.clone())
                .mime_str(mime)
                .map_err(|e| Error::InvalidRequest(format!("invalid content type: {e}")))?;
        let form = Form::new().part("attachment", attachment);
        Ok(match &metadata {
            Some(metadata) => form.text("metadata", metadata.clone()),
            None => form,
        })
    }))
}

/// The JSON text of a `metadata` part.
pub(crate) fn metadata_json<T: serde::Serialize>(metadata: &T) -> Result<String, Error> {
    serde_json::to_string(metadata)
        .map_err(|e| Error::InvalidRequest(format!("could not serialize the metadata: {e}")))
}

fn mime_for(file_name: &str) -> &'static str {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".pdf") {
        "application/pdf"
    } else if lower.ends_with(".docx") {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    } else if lower.ends_with(".doc") {
        "application/msword"
    } else {
        "application/octet-stream"
    }
}

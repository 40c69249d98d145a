//! The note (annotation) file messages: chunked upload and download
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/attachment-annotation-files>).
//!
//! Upload: `InitializeAnnotationBlocksUpload {Target}` → `{FileContinuationToken}`;
//! `UploadBlock {BlockId, BlockData, FileContinuationToken}` → 204 (BlockId is base64 of at most
//! 64 bytes, BlockData base64 of less than 4 MB); `CommitAnnotationBlocksUpload {Target,
//! BlockList, FileContinuationToken}` → `{AnnotationId, FileSizeInBytes}`. Download:
//! `InitializeAnnotationBlocksDownload {Target}` → `{FileContinuationToken, FileSizeInBytes,
//! FileName}`; `DownloadBlock {Offset, BlockLength, FileContinuationToken}` → `{Data}`. The
//! committed note goes through the same write rules as a `POST annotations`, including the
//! `MaxUploadFileSize` limit.

use std::collections::HashMap;

use base64::Engine as _;
use http::StatusCode;
use uuid::Uuid;

use super::DataverseState;
use super::errors::DvError;
use super::reply::Reply;
use super::request::ApiRequest;
use super::store::{Store, decode_base64};
use super::tables::ANNOTATIONS;
use crate::ids;
use crate::json::{Json, JsonObject};

const UPLOAD_INIT: &str = "InitializeAnnotationBlocksUpload";
const UPLOAD_BLOCK: &str = "UploadBlock";
const UPLOAD_COMMIT: &str = "CommitAnnotationBlocksUpload";
const DOWNLOAD_INIT: &str = "InitializeAnnotationBlocksDownload";
const DOWNLOAD_BLOCK: &str = "DownloadBlock";
const ANNOTATION_TYPE: &str = "Microsoft.Dynamics.CRM.annotation";
/// Largest `BlockData` the service takes (4 MB, decoded).
const MAX_BLOCK: usize = 4 * 1024 * 1024;

/// An upload in progress: a note's, or a file column's with its target and file name.
#[derive(Debug, Default)]
pub(crate) struct BlockUpload {
    pub(crate) blocks: HashMap<String, Vec<u8>>,
    pub(crate) file: Option<(super::files::FileTarget, String)>,
}

/// What a `DownloadBlock` token reads: a note's document or a file column's file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DownloadTarget {
    Note(Uuid),
    File(Uuid),
}

/// Whether `name` is one of the note file messages.
pub(crate) fn is_action(name: &str) -> bool {
    [UPLOAD_INIT, UPLOAD_BLOCK, UPLOAD_COMMIT, DOWNLOAD_INIT, DOWNLOAD_BLOCK].contains(&name)
}

/// Run message `name`.
pub(crate) fn action(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    name: &str,
) -> Result<Reply, DvError> {
    let body = request.json_body(name)?;
    match name {
        UPLOAD_INIT => upload_init(state, request, &body),
        UPLOAD_BLOCK => upload_block(state, &body),
        UPLOAD_COMMIT => upload_commit(state, store, request, &body),
        DOWNLOAD_INIT => download_init(state, store, request, &body),
        _ => download_block(state, store, request, &body),
    }
}

/// The `…Response` complex type of message `message`.
pub(crate) fn response(request: &ApiRequest, message: &str, body: JsonObject) -> Reply {
    let mut out = JsonObject::new().with(
        "@odata.context",
        request.context(&format!("Microsoft.Dynamics.CRM.{message}Response")),
    );
    for (key, value) in body {
        out.insert(key, value);
    }
    Reply::json(StatusCode::OK, out)
}

/// 400 `0x80040203` (invalid argument).
pub(crate) fn bad(message: impl Into<String>) -> DvError {
    DvError::new(StatusCode::BAD_REQUEST, "0x80040203", message)
}

fn target(body: &JsonObject) -> Result<JsonObject, DvError> {
    let target = body
        .get("Target")
        .and_then(Json::as_object)
        .ok_or_else(|| bad("Required parameter 'Target' is missing."))?;
    if target.get("@odata.type").and_then(Json::as_str) != Some(ANNOTATION_TYPE) {
        return Err(bad(format!(
            "The Target must be an entity of type '{ANNOTATION_TYPE}' (set \"@odata.type\")."
        )));
    }
    check_object_type(target)?;
    Ok(target.clone())
}

/// A `Target` may name the regarding row's table in `objecttypecode` beside its
/// `objectid_<table>@odata.bind` lookup (Microsoft's block-upload example sends both); the two
/// must agree.
fn check_object_type(target: &JsonObject) -> Result<(), DvError> {
    let Some(named) = target.get("objecttypecode") else {
        return Ok(());
    };
    let named =
        named.as_str().ok_or_else(|| bad("objecttypecode must be a table logical name."))?;
    let bound = target.iter().find_map(|(key, _)| {
        key.strip_prefix("objectid_").and_then(|rest| rest.strip_suffix("@odata.bind"))
    });
    match bound {
        Some(table) if table != named => Err(bad(format!(
            "objecttypecode '{named}' does not match the regarding row's table '{table}'."
        ))),
        _ => Ok(()),
    }
}

/// Required text parameter `name` of a message body.
pub(crate) fn text<'a>(body: &'a JsonObject, name: &str) -> Result<&'a str, DvError> {
    body.get(name)
        .and_then(Json::as_str)
        .ok_or_else(|| bad(format!("Required parameter '{name}' is missing.")))
}

fn upload_init(
    state: &DataverseState,
    request: &ApiRequest,
    body: &JsonObject,
) -> Result<Reply, DvError> {
    target(body)?;
    let token = ids::random_token(48);
    state
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(token.clone(), BlockUpload::default());
    Ok(response(request, UPLOAD_INIT, JsonObject::new().with("FileContinuationToken", token)))
}

fn upload_block(state: &DataverseState, body: &JsonObject) -> Result<Reply, DvError> {
    let token = text(body, "FileContinuationToken")?;
    let block_id = text(body, "BlockId")?;
    let id_bytes =
        decode_base64(block_id).ok_or_else(|| bad("BlockId must be a base64 string."))?;
    if id_bytes.len() > 64 {
        return Err(bad("BlockId must be at most 64 bytes before base64 encoding."));
    }
    let data = decode_base64(text(body, "BlockData")?)
        .ok_or_else(|| DvError::invalid_base64(UPLOAD_BLOCK))?;
    if data.len() > MAX_BLOCK {
        return Err(bad("BlockData must be less than 4 MB."));
    }
    let mut uploads = state.uploads.lock().unwrap_or_else(|p| p.into_inner());
    let upload =
        uploads.get_mut(token).ok_or_else(|| bad("The FileContinuationToken is not valid."))?;
    if upload.blocks.keys().next().is_some_and(|first| first.len() != block_id.len()) {
        return Err(bad("Every BlockId of an upload must have the same length."));
    }
    upload.blocks.insert(block_id.to_owned(), data);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The upload a `Commit…BlocksUpload` body names (by `FileContinuationToken`), ended, and its
/// blocks joined in `BlockList` order.
pub(crate) fn commit_blocks(
    state: &DataverseState,
    body: &JsonObject,
) -> Result<(BlockUpload, Vec<u8>), DvError> {
    let token = text(body, "FileContinuationToken")?;
    let block_list = body
        .get("BlockList")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("Required parameter 'BlockList' is missing."))?;
    let upload = state
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(token)
        .ok_or_else(|| bad("The FileContinuationToken is not valid."))?;
    let mut file = Vec::new();
    for id in block_list {
        let id = id.as_str().ok_or_else(|| bad("BlockList must hold BlockId strings."))?;
        let block = upload
            .blocks
            .get(id)
            .ok_or_else(|| bad(format!("The block '{id}' was not uploaded.")))?;
        file.extend_from_slice(block);
    }
    Ok((upload, file))
}

fn upload_commit(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    body: &JsonObject,
) -> Result<Reply, DvError> {
    let mut note = target(body)?;
    let (_, file) = commit_blocks(state, body)?;
    let size = file.len();
    note.remove("@odata.type");
    note.insert(
        "documentbody",
        Json::String(base64::engine::general_purpose::STANDARD.encode(&file)),
    );
    let existing =
        note.get("annotationid").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok());
    note.remove("annotationid");
    let id = match existing {
        Some(id) if store.get(ANNOTATIONS, id).is_some() => {
            store.update(ANNOTATIONS, id, &note)?;
            id
        }
        other => store.create(ANNOTATIONS, other, &note)?,
    };
    Ok(response(
        request,
        UPLOAD_COMMIT,
        JsonObject::new().with("AnnotationId", id.to_string()).with("FileSizeInBytes", size as u64),
    ))
}

fn download_init(
    state: &DataverseState,
    store: &Store,
    request: &ApiRequest,
    body: &JsonObject,
) -> Result<Reply, DvError> {
    let target = target(body)?;
    let id = target
        .get("annotationid")
        .and_then(Json::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| bad("The Target must carry an annotationid."))?;
    let row =
        store.get(ANNOTATIONS, id).ok_or_else(|| DvError::does_not_exist("annotation", id))?;
    let size = match row.get("filesize") {
        super::cell::Cell::Int(n) => *n as u64,
        _ => 0,
    };
    let file_name = row.get("filename").as_text().unwrap_or_default().to_owned();
    let token = ids::random_token(48);
    state
        .downloads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(token.clone(), DownloadTarget::Note(id));
    Ok(response(
        request,
        DOWNLOAD_INIT,
        JsonObject::new()
            .with("FileContinuationToken", token)
            .with("FileSizeInBytes", size)
            .with("FileName", file_name),
    ))
}

fn download_block(
    state: &DataverseState,
    store: &Store,
    request: &ApiRequest,
    body: &JsonObject,
) -> Result<Reply, DvError> {
    let token = text(body, "FileContinuationToken")?;
    let number = |name: &str| {
        body.get(name)
            .and_then(Json::as_number_text)
            .and_then(|t| t.parse::<usize>().ok())
            .ok_or_else(|| bad(format!("Required parameter '{name}' is missing.")))
    };
    let (offset, length) = (number("Offset")?, number("BlockLength")?);
    let target = *state
        .downloads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(token)
        .ok_or_else(|| bad("The FileContinuationToken is not valid."))?;
    let file = match target {
        DownloadTarget::Note(id) => {
            let row = store
                .get(ANNOTATIONS, id)
                .ok_or_else(|| DvError::does_not_exist("annotation", id))?;
            bytes::Bytes::from(
                row.get("documentbody").as_text().and_then(decode_base64).unwrap_or_default(),
            )
        }
        // The stored bytes, shared: a block is a slice, not a copy of the whole file.
        DownloadTarget::File(id) => super::files::file_bytes(store, id)
            .ok_or_else(|| DvError::does_not_exist("fileattachment", id))?,
    };
    let start = offset.min(file.len());
    let end = start.saturating_add(length).min(file.len());
    let data = base64::engine::general_purpose::STANDARD.encode(&file[start..end]);
    Ok(response(request, DOWNLOAD_BLOCK, JsonObject::new().with("Data", data)))
}

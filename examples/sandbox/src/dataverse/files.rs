//! File and image columns
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data>,
//! <https://learn.microsoft.com/power-apps/developer/data-platform/image-column-data>).
//!
//! - Upload in one request: `PATCH <row>/<column>` with the bytes and `x-ms-file-name`.
//! - Upload in chunks: `PATCH <row>/<column>?x-ms-file-name=…` with `x-ms-transfer-mode: chunked`
//!   → `200` with `Location` (`…?sessiontoken=…`), `x-ms-chunk-size` and `Accept-Ranges`; then one
//!   `PATCH <Location>` per chunk with `Content-Range: bytes a-b/size` and
//!   `Content-Type: application/octet-stream` → `206`, the last one `204`. Microsoft's example
//!   repeats `x-ms-file-name` on every chunk; the session already knows the name, and clients
//!   such as dynamics-web-api send it only on the first request, so a chunk may leave it out.
//!   Chunks must come in order and be no larger than the chunk size the sandbox announced (the
//!   real service refuses larger ones, "Maximum chunk size supported: 4 MB").
//! - Upload with the messages `InitializeFileBlocksUpload`, `UploadBlock`,
//!   `CommitFileBlocksUpload` (→ `FileId`, `FileSizeInBytes`).
//! - Download: `GET <row>/<column>/$value`, with `Range: bytes=a-b` → `206` and `x-ms-file-size`,
//!   `x-ms-file-name`, `x-ms-chunk-size`, `mimetype`; `?size=full` for a full-size image; or
//!   `InitializeFileBlocksDownload` and `DownloadBlock`. Without `$value` the column reads as an
//!   OData property (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api#retrieve-a-single-property-value>):
//!   `{"@odata.context","value":"<base64 of the bytes asked for>"}` with the same headers and
//!   `Content-Disposition: attachment; filename="…"`, honouring `Range` the same way; this is
//!   what dynamics-web-api's `downloadFile` reads.
//! - Delete: `DELETE <row>/<column>` or the `DeleteFile` message.
//!
//! A file column reads as the file's id, its `<column>_name` column as the file name. Files
//! larger than the column's `MaxSizeInKB` are refused (`0x80044a02`); an image column takes only
//! image files (`0x80072553`), keeps the image as its thumbnail (the sandbox does not resize) and
//! reads as its base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{StatusCode, header};
use uuid::Uuid;

use super::DataverseState;
use super::cell::Cell;
use super::errors::DvError;
use super::handlers::existing;
use super::keys::{self, RowKey};
use super::notes::{bad, commit_blocks, response, text};
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::{ColumnKind, EntitySetDef};
use super::store::Store;
use crate::ids;
use crate::json::{Json, JsonObject};

const INIT_UPLOAD: &str = "InitializeFileBlocksUpload";
const COMMIT_UPLOAD: &str = "CommitFileBlocksUpload";
const INIT_DOWNLOAD: &str = "InitializeFileBlocksDownload";
const DELETE_FILE: &str = "DeleteFile";
/// The most a single request may carry (128 MB).
const MAX_SINGLE_REQUEST: usize = 128 * 1024 * 1024;
/// The chunk size the sandbox announces unless told otherwise (4 MiB, as the real service).
pub(crate) const DEFAULT_CHUNK_SIZE: usize = 4 * 1024 * 1024;

/// The file stored in a file column.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) set: String,
    pub(crate) row: Uuid,
    pub(crate) column: String,
    pub(crate) name: String,
    pub(crate) mime_type: String,
    pub(crate) bytes: Bytes,
}

/// A chunked upload in progress (`sessiontoken`).
#[derive(Debug)]
pub(crate) struct UploadSession {
    set: String,
    row: Uuid,
    column: String,
    name: String,
    /// The file size the first chunk's `Content-Range` declared; every chunk must repeat it.
    size: Option<usize>,
    received: Vec<u8>,
}

/// Where a block upload will store its file.
#[derive(Debug, Clone)]
pub(crate) struct FileTarget {
    pub(crate) set: String,
    pub(crate) row: Uuid,
    pub(crate) column: String,
}

/// Whether `name` is one of the file messages this module answers (`UploadBlock` and
/// `DownloadBlock` are shared with notes).
pub(crate) fn is_action(name: &str) -> bool {
    [INIT_UPLOAD, COMMIT_UPLOAD, INIT_DOWNLOAD, DELETE_FILE].contains(&name)
}

/// Whether `column` of `def` is a file or image column.
pub(crate) fn is_file_column(def: &EntitySetDef, column: &str) -> bool {
    def.column_def(column)
        .is_some_and(|c| matches!(c.kind, ColumnKind::File { .. } | ColumnKind::Image { .. }))
}

fn too_big() -> DvError {
    DvError::new(StatusCode::BAD_REQUEST, "0x80044a02", "Attachment file size is too big.")
}

fn image_failure(reason: impl std::fmt::Display) -> DvError {
    DvError::new(
        StatusCode::BAD_REQUEST,
        "0x80072553",
        format!("Error occured when processing image. Reason: {reason}"),
    )
}

/// Whether `bytes` start like one of the image types an image column takes (GIF, JPEG, TIFF,
/// BMP, PNG).
fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"GIF8")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"BM")
        || bytes.starts_with(&[0x89, b'P', b'N', b'G'])
}

/// Check `bytes` against the column and store them as its file.
fn store_file(
    store: &mut Store,
    def: &EntitySetDef,
    row: Uuid,
    column: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<(Uuid, u64), DvError> {
    let kind = def.column_def(column).map(|c| c.kind.clone());
    let size = bytes.len() as u64;
    check_size(def, column, size)?;
    if matches!(kind, Some(ColumnKind::Image { .. })) && !is_image(&bytes) {
        return Err(image_failure(format!(
            "Update image properties failed for objectid: {row}, logicalName: {}, attribute: {column}",
            def.logical_name
        )));
    }
    remove_file(store, def, row, column)?;
    let id = Uuid::new_v4();
    let mime_type = mime_type_of(name);
    let mut cells = vec![(column.to_owned(), Cell::Guid(id))];
    if matches!(kind, Some(ColumnKind::Image { .. })) {
        cells = vec![(column.to_owned(), Cell::Text(STANDARD.encode(&bytes)))];
    }
    let name_column = format!("{column}_name");
    if def.column_def(&name_column).is_some() {
        cells.push((name_column, Cell::Text(name.to_owned())));
    }
    store.set_cells(&def.entity_set, row, cells)?;
    store.files.insert(
        id,
        StoredFile {
            set: def.entity_set.clone(),
            row,
            column: column.to_owned(),
            name: name.to_owned(),
            mime_type,
            bytes: Bytes::from(bytes),
        },
    );
    Ok((id, size))
}

/// Refuse a file of `size` bytes larger than the column's `MaxSizeInKB` (checked before a
/// chunked upload buffers anything, and again when the file is stored). The limit saturates: a
/// schema may declare any `u64`.
fn check_size(def: &EntitySetDef, column: &str, size: u64) -> Result<(), DvError> {
    match def.column_def(column).map(|c| &c.kind) {
        Some(ColumnKind::File { max_size_kb }) if size > max_size_kb.saturating_mul(1024) => {
            Err(too_big())
        }
        Some(ColumnKind::Image { max_size_kb }) if size > max_size_kb.saturating_mul(1024) => {
            let mb = |n: u64| n / (1024 * 1024);
            Err(image_failure(format!(
                "File size is too big. MaxSize: {} MB, Uploaded filesize: {} MB.",
                mb(max_size_kb.saturating_mul(1024)),
                mb(size)
            )))
        }
        _ => Ok(()),
    }
}

/// Remove the file of `column` in `row`, if any, and clear the column.
fn remove_file(
    store: &mut Store,
    def: &EntitySetDef,
    row: Uuid,
    column: &str,
) -> Result<(), DvError> {
    let existing: Vec<Uuid> = store
        .files
        .iter()
        .filter(|(_, f)| f.set == def.entity_set && f.row == row && f.column == column)
        .map(|(id, _)| *id)
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    for id in existing {
        store.files.remove(&id);
    }
    let mut cells = vec![(column.to_owned(), Cell::Null)];
    let name_column = format!("{column}_name");
    if def.column_def(&name_column).is_some() {
        cells.push((name_column, Cell::Null));
    }
    store.set_cells(&def.entity_set, row, cells)
}

fn mime_type_of(name: &str) -> String {
    let extension = name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "json" => "application/json",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
    .to_owned()
}

fn file_of<'s>(
    store: &'s Store,
    def: &EntitySetDef,
    row: Uuid,
    column: &str,
) -> Option<&'s StoredFile> {
    store.files.values().find(|f| f.set == def.entity_set && f.row == row && f.column == column)
}

/// `PATCH`, `GET …/$value` and `DELETE` on a file or image column.
pub(crate) fn column_request(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    key: &RowKey,
    column: &str,
    value: bool,
) -> Result<Reply, DvError> {
    let row = existing(store, def, key)?;
    match (&request.method, value) {
        (&http::Method::GET, true) => download(state, store, request, def, row, column, false),
        (&http::Method::GET, false) => download(state, store, request, def, row, column, true),
        (&http::Method::PATCH, false) if request.query_param("sessiontoken").is_some() => {
            upload_chunk(state, store, request, def, row, column)
        }
        (&http::Method::PATCH, false)
            if request
                .header("x-ms-transfer-mode")
                .is_some_and(|m| m.eq_ignore_ascii_case("chunked")) =>
        {
            start_session(state, request, def, row, column)
        }
        (&http::Method::PATCH, false) => {
            let name = request
                .header("x-ms-file-name")
                .map(str::to_owned)
                .ok_or_else(|| bad("The x-ms-file-name header is required to upload a file."))?;
            if request.body.len() > MAX_SINGLE_REQUEST {
                return Err(too_big());
            }
            store_file(store, def, row, column, &name, request.body.to_vec())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (&http::Method::DELETE, false) => {
            remove_file(store, def, row, column)?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}

fn start_session(
    state: &DataverseState,
    request: &ApiRequest,
    def: &EntitySetDef,
    row: Uuid,
    column: &str,
) -> Result<Reply, DvError> {
    // The header wins over the query parameter, as the documentation says.
    let name = request
        .header("x-ms-file-name")
        .map(str::to_owned)
        .or_else(|| request.query_param("x-ms-file-name"))
        .ok_or_else(|| bad("The file name is required: send x-ms-file-name."))?;
    let token = ids::random_token(64);
    let chunk_size = state.file_chunk_size();
    state.file_sessions().insert(
        token.clone(),
        UploadSession {
            set: def.entity_set.clone(),
            row,
            column: column.to_owned(),
            name,
            size: None,
            received: Vec::new(),
        },
    );
    let location = format!("{}{}?sessiontoken={token}", request.origin, request.path);
    let mut reply = Reply::empty(StatusCode::OK);
    reply.header(header::ACCEPT_RANGES, "bytes");
    reply.header(header::LOCATION, &location);
    reply.header(http::HeaderName::from_static("x-ms-chunk-size"), &chunk_size.to_string());
    reply.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, "x-ms-chunk-size");
    Ok(reply)
}

/// `bytes a-b/size` of `Content-Range`.
fn content_range(request: &ApiRequest) -> Result<(usize, usize, usize), DvError> {
    let text = request.header(header::CONTENT_RANGE).ok_or_else(|| {
        bad("A chunk must carry a Content-Range header (bytes <start>-<end>/<size>).")
    })?;
    let parse = || -> Option<(usize, usize, usize)> {
        let (range, size) = text.strip_prefix("bytes ")?.split_once('/')?;
        let (start, end) = range.split_once('-')?;
        Some((start.trim().parse().ok()?, end.trim().parse().ok()?, size.trim().parse().ok()?))
    };
    parse()
        .filter(|(start, end, size)| start <= end && end < size)
        .ok_or_else(|| bad(format!("The Content-Range '{text}' is not valid.")))
}

fn upload_chunk(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    row: Uuid,
    column: &str,
) -> Result<Reply, DvError> {
    let token = request.query_param("sessiontoken").unwrap_or_default();
    let (start, end, size) = content_range(request)?;
    let chunk_size = state.file_chunk_size();
    let length = request.body.len();
    if length > chunk_size {
        return Err(bad(format!(
            "Invalid file chunk size: {length} bytes. Maximum chunk size supported: {chunk_size} bytes."
        )));
    }
    if length != end - start + 1 {
        return Err(bad(format!(
            "The chunk holds {length} bytes but its Content-Range says {}.",
            end - start + 1
        )));
    }
    let mut sessions = state.file_sessions();
    let session = sessions
        .get_mut(&token)
        .filter(|s| s.set == def.entity_set && s.row == row && s.column == column)
        .ok_or_else(|| bad("The sessiontoken is not valid."))?;
    if start != session.received.len() {
        return Err(bad(format!(
            "The chunk starts at byte {start}, but {} bytes were received so far.",
            session.received.len()
        )));
    }
    if size > MAX_SINGLE_REQUEST * 80 {
        return Err(too_big());
    }
    // Refuse an oversized file at its first chunk, not after buffering all of it.
    check_size(def, column, size as u64)?;
    match session.size {
        None => session.size = Some(size),
        Some(declared) if declared != size => {
            return Err(bad(format!(
                "The Content-Range says the file has {size} bytes, but the first chunk said {declared}."
            )));
        }
        Some(_) => {}
    }
    session.received.extend_from_slice(&request.body);
    if session.received.len() < size {
        return Ok(Reply::empty(StatusCode::PARTIAL_CONTENT));
    }
    let session = sessions.remove(&token).ok_or_else(|| bad("The sessiontoken is not valid."))?;
    drop(sessions);
    store_file(store, def, row, column, &session.name, session.received)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `bytes=a-b` (or `bytes=a-`) of a `Range` header.
fn range_of(request: &ApiRequest, size: usize) -> Result<Option<(usize, usize)>, DvError> {
    let Some(text) = request.header(header::RANGE) else { return Ok(None) };
    let parse = || -> Option<(usize, usize)> {
        let (start, end) = text.strip_prefix("bytes=")?.split_once('-')?;
        let start: usize = start.trim().parse().ok()?;
        let end =
            if end.trim().is_empty() { size.saturating_sub(1) } else { end.trim().parse().ok()? };
        Some((start, end.min(size.saturating_sub(1))))
    };
    match parse() {
        Some((start, end)) if start < size && start <= end => Ok(Some((start, end))),
        _ => Err(DvError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "0x80040203",
            format!("The range '{text}' is not satisfiable for a file of {size} bytes."),
        )),
    }
}

/// Whether a `GET <row>/<column>` (without `$value`) is a file download: always for a file
/// column; for an image column only when it asks for a range or a size (else the column reads
/// as its base64 value, like any property).
pub(crate) fn is_download(def: &EntitySetDef, column: &str, request: &ApiRequest) -> bool {
    match def.column_def(column).map(|c| &c.kind) {
        Some(ColumnKind::File { .. }) => true,
        Some(ColumnKind::Image { .. }) => {
            request.header(header::RANGE).is_some() || request.query_param("size").is_some()
        }
        _ => false,
    }
}

/// `GET <row>/<column>/$value` (the bytes) or, with `as_property`, `GET <row>/<column>` (the
/// bytes as the base64 `value` of an OData property).
fn download(
    state: &DataverseState,
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    row: Uuid,
    column: &str,
    as_property: bool,
) -> Result<Reply, DvError> {
    let full = match request.query_param("size").as_deref() {
        None => false,
        Some("full") => true,
        Some(other) => return Err(DvError::query(format!("The size '{other}' is not valid."))),
    };
    let is_image =
        matches!(def.column_def(column).map(|c| &c.kind), Some(ColumnKind::Image { .. }));
    let (name, mime_type, bytes) = match file_of(store, def, row, column) {
        Some(file) => (file.name.clone(), file.mime_type.clone(), file.bytes.clone()),
        None if is_image && full => return Ok(Reply::empty(StatusCode::NO_CONTENT)),
        None => {
            return Err(DvError::new(
                StatusCode::NOT_FOUND,
                "0x80040217",
                format!("No file attachment found for attribute: {column} EntityId: {row}."),
            ));
        }
    };
    let size = bytes.len();
    let range = range_of(request, size)?;
    let (status, part) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, bytes.slice(start..=end)),
        None => (StatusCode::OK, bytes),
    };
    let mut reply = if as_property {
        let body = JsonObject::new()
            .with("@odata.context", request.context(&format!("{}({row})/{column}", def.entity_set)))
            .with("value", STANDARD.encode(&part));
        let mut reply = Reply::json(status, body);
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        reply.header(header::CONTENT_DISPOSITION, &format!("attachment; filename=\"{quoted}\""));
        reply
    } else {
        Reply::bytes(status, "application/octet-stream", part)
    };
    if let Some((start, end)) = range {
        reply.header(header::CONTENT_RANGE, &format!("bytes {start}-{end}/{size}"));
        reply.header(
            http::HeaderName::from_static("x-ms-chunk-size"),
            &state.file_chunk_size().to_string(),
        );
    }
    reply.header(http::HeaderName::from_static("x-ms-file-size"), &size.to_string());
    reply.header(http::HeaderName::from_static("x-ms-file-name"), &name);
    reply.header(http::HeaderName::from_static("mimetype"), &mime_type);
    reply.header(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        "x-ms-file-size; x-ms-file-name; x-ms-chunk-size; mimetype",
    );
    Ok(reply)
}

/// The row a message's `Target` names (`{"<primary key>": "<id>", "@odata.type": "…"}`), and
/// the file column `FileAttributeName` names.
fn target(
    store: &Store,
    body: &JsonObject,
) -> Result<(std::sync::Arc<EntitySetDef>, Uuid, String), DvError> {
    let target = body
        .get("Target")
        .and_then(Json::as_object)
        .ok_or_else(|| bad("Required parameter 'Target' is missing."))?;
    let logical = target
        .get("@odata.type")
        .and_then(Json::as_str)
        .and_then(|t| t.strip_prefix("Microsoft.Dynamics.CRM."))
        .ok_or_else(|| bad("The Target must say its type (\"@odata.type\": \"Microsoft.Dynamics.CRM.<table>\")."))?;
    let def = store
        .catalog
        .set_by_logical(logical)
        .cloned()
        .ok_or_else(|| bad(format!("The entity '{logical}' does not exist.")))?;
    let key = match target.get(&def.primary_key).and_then(Json::as_str) {
        Some(id) => {
            RowKey::Id(Uuid::parse_str(id).map_err(|_| bad("The Target's id is not a GUID."))?)
        }
        None => {
            let pairs: Vec<String> = def
                .alternate_keys
                .iter()
                .find(|k| k.columns.iter().all(|c| target.contains_key(c)))
                .map(|k| {
                    k.columns
                        .iter()
                        .map(|c| {
                            format!(
                                "{c}={}",
                                target
                                    .get(c)
                                    .map(|v| v.to_string())
                                    .unwrap_or_default()
                                    .replace('"', "'")
                            )
                        })
                        .collect()
                })
                .ok_or_else(|| bad("The Target carries neither its id nor an alternate key."))?;
            keys::parse(&def, &pairs.join(","))?
        }
    };
    let row = existing(store, &def, &key)?;
    let column = text(body, "FileAttributeName")?.to_owned();
    if !is_file_column(&def, &column) {
        return Err(bad(format!(
            "The attribute '{column}' of entity '{}' is not a file or image attribute.",
            def.logical_name
        )));
    }
    Ok((def, row, column))
}

/// Run the file message `name`.
pub(crate) fn action(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    name: &str,
) -> Result<Reply, DvError> {
    let body = request.json_body(name)?;
    match name {
        INIT_UPLOAD => {
            let (def, row, column) = target(store, &body)?;
            let file_name = text(&body, "FileName")?.to_owned();
            let token = ids::random_token(48);
            let upload = super::notes::BlockUpload {
                file: Some((FileTarget { set: def.entity_set.clone(), row, column }, file_name)),
                ..Default::default()
            };
            state.uploads.lock().unwrap_or_else(|p| p.into_inner()).insert(token.clone(), upload);
            Ok(response(
                request,
                INIT_UPLOAD,
                JsonObject::new().with("FileContinuationToken", token),
            ))
        }
        COMMIT_UPLOAD => {
            let file_name = text(&body, "FileName")?.to_owned();
            let (upload, file) = commit_blocks(state, &body)?;
            let (target, _) = upload
                .file
                .clone()
                .ok_or_else(|| bad("The FileContinuationToken is not valid."))?;
            let def = store.set_def(&target.set)?;
            let (id, size) = store_file(store, &def, target.row, &target.column, &file_name, file)?;
            if let (Some(mime), Some(stored)) =
                (body.get("MimeType").and_then(Json::as_str), store.files.get_mut(&id))
            {
                stored.mime_type = mime.to_owned();
            }
            Ok(response(
                request,
                COMMIT_UPLOAD,
                JsonObject::new().with("FileId", id.to_string()).with("FileSizeInBytes", size),
            ))
        }
        INIT_DOWNLOAD => {
            let (def, row, column) = target(store, &body)?;
            let file = file_of(store, &def, row, &column).ok_or_else(|| {
                DvError::new(
                    StatusCode::NOT_FOUND,
                    "0x80040217",
                    format!("No FileAttachment records found for attribute {column} of {} record with id {row}.", def.logical_name),
                )
            })?;
            let (size, file_name) = (file.bytes.len() as u64, file.name.clone());
            let file_id = store
                .files
                .iter()
                .find(|(_, f)| f.set == def.entity_set && f.row == row && f.column == column)
                .map(|(id, _)| *id)
                .unwrap_or_default();
            let token = ids::random_token(48);
            state
                .downloads
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(token.clone(), super::notes::DownloadTarget::File(file_id));
            Ok(response(
                request,
                INIT_DOWNLOAD,
                JsonObject::new()
                    .with("FileContinuationToken", token)
                    .with("FileSizeInBytes", size)
                    .with("FileName", file_name)
                    .with("IsChunkingSupported", true),
            ))
        }
        _ => {
            let id = text(&body, "FileId")?;
            let id = Uuid::parse_str(id).map_err(|_| bad("FileId is not a GUID."))?;
            let file = store.files.get(&id).cloned().ok_or_else(|| {
                DvError::new(
                    StatusCode::NOT_FOUND,
                    "0x80040217",
                    format!("fileattachment With Id = {id} Does Not Exist"),
                )
            })?;
            let def = store.set_def(&file.set)?;
            remove_file(store, &def, file.row, &file.column)?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}

/// The bytes `DownloadBlock` serves for a file download token.
pub(crate) fn file_bytes(store: &Store, file_id: Uuid) -> Option<Bytes> {
    store.files.get(&file_id).map(|f| f.bytes.clone())
}

//! Block upload of large note documents: `InitializeAnnotationBlocksUpload`, one `UploadBlock`
//! per block, `CommitAnnotationBlocksUpload`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;
use http::Method;
use rest_client_core::Replay;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::document::Document;
use super::encode::{base64_len, check_limit};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{APPLICATION_JSON, Call, Payload, random_uuid};
use crate::options::RequestOptions;

/// Raw bytes per block: 3 MiB, whose base64 (4 MiB) stays within the 4 MB a block may carry.
pub(crate) const BLOCK_SIZE: usize = 3 * 1024 * 1024;

#[derive(Deserialize)]
struct Initialized {
    #[serde(rename = "FileContinuationToken")]
    file_continuation_token: String,
}

#[derive(Deserialize)]
struct Committed {
    #[serde(rename = "AnnotationId", default)]
    annotation_id: Option<Uuid>,
}

/// A block id: base64 of a fixed-width label, so every id of an upload has the same length (a
/// requirement), well under the 64-byte limit.
pub(crate) fn block_id(index: usize) -> String {
    STANDARD.encode(format!("block-{index:010}"))
}

/// Upload `document` in blocks as a new note with `columns`; returns the note's id.
///
/// The messages need the new note's `annotationid` up front: the caller's when the note has an
/// `annotationid` column (as a single-request create would use it, so a caller can make creates
/// idempotent with an id of its own), else a random (v4) one. The `Target` carries the same
/// columns as a single-request create, including the `objectid_<table>@odata.bind` lookup, and,
/// when the note regards a row, `objecttypecode` with that row's table logical name, as
/// Microsoft's block-upload example sends both
/// (<https://learn.microsoft.com/power-apps/developer/data-platform/attachment-annotation-files#upload-files>).
pub(crate) async fn upload(
    client: &Client,
    mut columns: Map<String, Value>,
    document: &Document,
    limit: Option<u64>,
    options: &RequestOptions,
) -> Result<Uuid> {
    let given =
        columns.get("annotationid").and_then(Value::as_str).and_then(|id| Uuid::parse_str(id).ok());
    let annotation_id = given.unwrap_or_else(random_uuid);
    columns.insert("annotationid".to_owned(), Value::String(annotation_id.to_string()));
    columns.insert(
        "@odata.type".to_owned(),
        Value::String("Microsoft.Dynamics.CRM.annotation".to_owned()),
    );
    let target = Value::Object(columns);

    let mut stream = document.open().await?.ok_or_else(|| {
        Error::InvalidRequest("the document stream was already consumed".to_owned())
    })?;

    // Read the first block before anything is sent, so a document that is already over the
    // limit fails without a request.
    let mut buffer = BytesMut::with_capacity(BLOCK_SIZE);
    let mut finished = fill(&mut stream, &mut buffer, BLOCK_SIZE).await?;
    let mut uploaded: u64 = 0;
    check_limit(buffer.len().min(BLOCK_SIZE) as u64, limit)?;

    // Initializing only reserves a continuation token: safe to replay.
    let call = action(
        client,
        "InitializeAnnotationBlocksUpload",
        &json!({ "Target": target }),
        Replay::Safe,
        options,
    )?;
    let token = client
        .send_json::<Initialized>(call, "the InitializeAnnotationBlocksUpload response".into())
        .await?
        .file_continuation_token;

    let mut block_ids = Vec::new();
    loop {
        if !finished && buffer.len() < BLOCK_SIZE {
            finished = fill(&mut stream, &mut buffer, BLOCK_SIZE).await?;
        }
        let take = buffer.len().min(BLOCK_SIZE);
        if take == 0 {
            break;
        }
        let block = buffer.split_to(take);
        uploaded += block.len() as u64;
        if let Some(expected) = document.size()
            && uploaded > expected
        {
            return Err(length_mismatch(uploaded, expected));
        }
        // Nothing is committed past this point: the service discards uploaded blocks.
        check_limit(uploaded, limit)?;
        block_ids.push(upload_block(client, block_ids.len(), block, &token, options).await?);
        if finished && buffer.is_empty() {
            break;
        }
    }
    check_length(uploaded, document.size())?;

    let body = json!({ "Target": target, "BlockList": block_ids, "FileContinuationToken": token });
    // Committing creates the note: replayed only when Dataverse did not process it. It
    // assembles the whole document first, so it gets the longer timeout of `$batch`.
    let call = action(client, "CommitAnnotationBlocksUpload", &body, Replay::Unsafe, options)?
        .long_running();
    let committed: Committed =
        client.send_json(call, "the CommitAnnotationBlocksUpload response".into()).await?;
    Ok(committed.annotation_id.unwrap_or(annotation_id))
}

/// Send block number `index` of an upload (`UploadBlock`); returns its id. The block is encoded
/// straight into the request body and dropped before sending, so its bytes exist once.
pub(crate) async fn upload_block(
    client: &Client,
    index: usize,
    block: BytesMut,
    token: &str,
    options: &RequestOptions,
) -> Result<String> {
    let id = block_id(index);
    let body = block_body(&id, block.chunk(), token)?;
    drop(block);
    // The same block id again replaces the block: safe to replay.
    let url = client.resource_url(&["UploadBlock"])?;
    let mut call =
        Call::new(Method::POST, url, "UploadBlock").replay(Replay::Safe).options(options.clone());
    call.payload = Payload::Bytes { content_type: APPLICATION_JSON, bytes: body };
    client.send_empty(call).await?;
    Ok(id)
}

/// An upload must have sent exactly the size the document declared.
pub(crate) fn check_length(uploaded: u64, declared: Option<u64>) -> Result<()> {
    match declared {
        Some(expected) if expected != uploaded => Err(length_mismatch(uploaded, expected)),
        _ => Ok(()),
    }
}

pub(crate) fn length_mismatch(uploaded: u64, expected: u64) -> Error {
    Error::Io(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("the document yielded {uploaded} bytes, not its declared {expected}"),
    ))
}

/// `{"BlockId":…,"BlockData":"<base64>","FileContinuationToken":…}`, encoded straight into the
/// body buffer so a block's base64 exists once in memory.
pub(crate) fn block_body(id: &str, block: &[u8], token: &str) -> Result<Bytes> {
    let json = |value: &str| {
        serde_json::to_string(value).map_err(|e| Error::InvalidRequest(e.to_string()))
    };
    let head = format!("{{\"BlockId\":{},\"BlockData\":\"", json(id)?);
    let tail = format!("\",\"FileContinuationToken\":{}}}", json(token)?);
    let encoded_len = base64_len(block.len() as u64) as usize;
    let mut body = Vec::with_capacity(head.len() + encoded_len + tail.len());
    body.extend_from_slice(head.as_bytes());
    let start = body.len();
    body.resize(start + encoded_len, 0);
    // The buffer was sized for exactly this input, so encoding cannot run out of room.
    let written = STANDARD.encode_slice(block, &mut body[start..]).unwrap_or(0);
    body.truncate(start + written);
    body.extend_from_slice(tail.as_bytes());
    Ok(body.into())
}

/// Read until `buffer` holds `size` bytes or the stream ends; returns whether it ended.
pub(crate) async fn fill(
    stream: &mut BoxStream<'static, std::io::Result<Bytes>>,
    buffer: &mut BytesMut,
    size: usize,
) -> Result<bool> {
    while buffer.len() < size {
        match stream.try_next().await.map_err(Error::Io)? {
            Some(chunk) => buffer.extend_from_slice(&chunk),
            None => return Ok(true),
        }
    }
    Ok(false)
}

fn action(
    client: &Client,
    name: &str,
    body: &Value,
    replay: Replay,
    options: &RequestOptions,
) -> Result<Call> {
    let url = client.resource_url(&[name])?;
    Ok(Call::new(Method::POST, url, name).json(body)?.replay(replay).options(options.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_body_is_the_documented_json() {
        let body = block_body("YmxvY2s=", b"abcd", "tok\"en").expect("body");
        let parsed: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            parsed,
            json!({ "BlockId": "YmxvY2s=", "BlockData": "YWJjZA==", "FileContinuationToken": "tok\"en" })
        );
    }

    #[test]
    fn block_ids_have_equal_length_under_64_bytes() {
        let ids: Vec<String> = [0, 9, 10, 999_999].into_iter().map(block_id).collect();
        assert!(ids.iter().all(|id| id.len() == ids[0].len()));
        assert!(STANDARD.decode(&ids[0]).expect("base64").len() <= 64);
        assert_eq!(base64_len(BLOCK_SIZE as u64), 4 * 1024 * 1024);
    }
}

//! The block messages: `InitializeFileBlocksUpload` / `UploadBlock` / `CommitFileBlocksUpload`
//! to upload, `InitializeFileBlocksDownload` (or `InitializeAnnotationBlocksDownload`) /
//! `DownloadBlock` to download
//! ([Use Dataverse messages to upload a file](https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data#use-dataverse-messages-to-upload-a-file),
//! [… to download a file](https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data#use-dataverse-messages-to-download-a-file)).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream;
use http::Method;
use rest_client_core::Replay;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::UploadedFile;
use super::download::FileDownload;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Call, What};
use crate::notes::Document;
use crate::notes::blocks::{BLOCK_SIZE, check_length, fill, length_mismatch, upload_block};
use crate::options::RequestOptions;

/// Bytes asked for per `DownloadBlock`: 4 MiB, as in Microsoft's examples.
pub(crate) const DOWNLOAD_BLOCK: u64 = 4 * 1024 * 1024;

#[derive(Deserialize)]
struct UploadStarted {
    #[serde(rename = "FileContinuationToken")]
    token: String,
}

#[derive(Deserialize)]
struct Committed {
    #[serde(rename = "FileId", default)]
    file_id: Option<Uuid>,
    #[serde(rename = "FileSizeInBytes", default)]
    size: Option<u64>,
}

#[derive(Deserialize)]
struct DownloadStarted {
    #[serde(rename = "FileContinuationToken")]
    token: String,
    #[serde(rename = "FileSizeInBytes")]
    size: u64,
    #[serde(rename = "FileName", default)]
    file_name: Option<String>,
    /// Absent on messages that do not say (notes): blocks are then supported.
    #[serde(rename = "IsChunkingSupported", default)]
    chunking_supported: Option<bool>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "Data")]
    data: String,
}

/// `POST <message>` with a JSON body, decoded as `T`.
async fn post<T: DeserializeOwned>(
    client: &Client,
    message: &str,
    body: &Value,
    replay: Replay,
    options: &RequestOptions,
) -> Result<T> {
    let url = client.resource_url(&[message])?;
    let call =
        Call::new(Method::POST, url, message).json(body)?.replay(replay).options(options.clone());
    client.send_json(call, What::of("the response of", message)).await
}

/// Upload `document` into `column` of the row `target` (an entity reference with its
/// `@odata.type`).
pub(crate) async fn upload(
    client: &Client,
    target: Value,
    column: &str,
    document: &Document,
    options: &RequestOptions,
) -> Result<UploadedFile> {
    let mut stream = document.open().await?.ok_or_else(|| {
        Error::InvalidRequest("the document stream was already consumed".to_owned())
    })?;
    let start = json!({
        "Target": target,
        "FileName": document.file_name,
        "FileAttributeName": column,
    });
    // Initializing only reserves a continuation token: safe to replay.
    let started: UploadStarted =
        post(client, "InitializeFileBlocksUpload", &start, Replay::Safe, options).await?;
    let mut buffer = BytesMut::with_capacity(BLOCK_SIZE);
    let mut block_ids = Vec::new();
    let mut uploaded = 0u64;
    loop {
        let finished = fill(&mut stream, &mut buffer, BLOCK_SIZE).await?;
        let take = buffer.len().min(BLOCK_SIZE);
        if take > 0 {
            let block = buffer.split_to(take);
            uploaded += block.len() as u64;
            if let Some(expected) = document.size()
                && uploaded > expected
            {
                return Err(length_mismatch(uploaded, expected));
            }
            block_ids
                .push(upload_block(client, block_ids.len(), block, &started.token, options).await?);
        }
        if finished && buffer.is_empty() {
            break;
        }
    }
    check_length(uploaded, document.size())?;
    let commit = json!({
        "FileName": document.file_name,
        "MimeType": document.mime_type,
        "BlockList": block_ids,
        "FileContinuationToken": started.token,
    });
    let url = client.resource_url(&["CommitFileBlocksUpload"])?;
    // Committing assembles the whole file: the longer timeout, and no replay after it may have
    // been processed.
    let call = Call::new(Method::POST, url, "CommitFileBlocksUpload")
        .json(&commit)?
        .long_running()
        .options(options.clone());
    let committed: Committed =
        client.send_json(call, "the CommitFileBlocksUpload response".into()).await?;
    Ok(UploadedFile { file_id: committed.file_id, size: committed.size.unwrap_or(uploaded) })
}

/// Download in blocks after `initialize` (`InitializeFileBlocksDownload` or
/// `InitializeAnnotationBlocksDownload`) with `body`.
pub(crate) async fn download(
    client: &Client,
    initialize: &str,
    body: &Value,
    block: u64,
    options: RequestOptions,
) -> Result<FileDownload> {
    // Reading reserves nothing: safe to replay.
    let started: DownloadStarted = post(client, initialize, body, Replay::Safe, &options).await?;
    let size = started.size;
    // A file kept in the database (on-premises, customer-managed keys) comes in one block.
    let block = if started.chunking_supported == Some(false) { size.max(1) } else { block.max(1) };
    let client = client.clone();
    let token = started.token;
    let chunks = stream::unfold(Some(0u64), move |state| {
        let client = client.clone();
        let token = token.clone();
        let options = options.clone();
        async move {
            let offset = state?;
            if offset >= size {
                return None;
            }
            let length = block.min(size - offset);
            let request =
                json!({ "Offset": offset, "BlockLength": length, "FileContinuationToken": token });
            let answered = post::<Block>(
                &client,
                "DownloadBlock",
                &request,
                Replay::Safe,
                &options,
            )
            .await
            .and_then(|block| {
                let bytes = STANDARD.decode(block.data.as_bytes()).map_err(|e| {
                    Error::UnexpectedResponse(format!("a block is not valid base64: {e}"))
                })?;
                if bytes.is_empty() || bytes.len() as u64 > length {
                    return Err(Error::UnexpectedResponse(format!(
                        "the block at byte {offset} holds {} bytes, expected up to {length}",
                        bytes.len()
                    )));
                }
                Ok(Bytes::from(bytes))
            });
            match answered {
                Ok(bytes) => {
                    let next = offset + bytes.len() as u64;
                    Some((Ok(bytes), Some(next)))
                }
                Err(error) => Some((Err(error), None)),
            }
        }
    })
    .boxed();
    Ok(FileDownload { file_name: started.file_name, size: Some(size), mime_type: None, chunks })
}

//! Uploading into a file or image column with `PATCH …/<column>`: in one request, or in chunks
//! (`x-ms-transfer-mode: chunked`, then one `PATCH` per chunk with `Content-Range`)
//! ([Upload Files](https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data#upload-files)).

use std::io;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use http::header::{CONTENT_RANGE, LOCATION};
use http::{HeaderName, HeaderValue, Method};
use rest_client_core::Replay;
use url::Url;

use super::UploadedFile;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{BodySource, Call, OpenedBody, Payload};
use crate::notes::Document;
use crate::notes::blocks::{fill, length_mismatch};
use crate::odata::query_string;
use crate::options::RequestOptions;

const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");
const FILE_NAME: HeaderName = HeaderName::from_static("x-ms-file-name");
const TRANSFER_MODE: HeaderName = HeaderName::from_static("x-ms-transfer-mode");

/// The chunk size when the server does not recommend one: 4 MiB, the size it recommends in
/// Microsoft's example.
pub(crate) const DEFAULT_CHUNK: usize = 4 * 1024 * 1024;

/// The `x-ms-file-name` header, which only takes ASCII ("this will not support file names
/// outside the ASCII character set").
pub(crate) fn file_name_header(name: &str) -> Result<HeaderValue> {
    if !name.is_ascii() {
        return Err(Error::InvalidRequest(format!(
            "the file name {name:?} is not ASCII, which the x-ms-file-name header cannot carry; upload with FileUploadMode::Blocks"
        )));
    }
    HeaderValue::try_from(name)
        .map_err(|_| Error::InvalidRequest(format!("the file name {name:?} is not a valid header")))
}

/// The document's raw bytes, produced per attempt, checked against its declared size.
struct RawBody {
    document: Document,
    slot: Arc<Mutex<Option<Error>>>,
}

/// `stream`, failing (and leaving the reason in `slot`) when it yields more than `declared`
/// bytes or cannot be read.
fn checked(
    stream: BoxStream<'static, io::Result<Bytes>>,
    declared: Option<u64>,
    slot: Arc<Mutex<Option<Error>>>,
) -> BoxStream<'static, io::Result<Bytes>> {
    let mut sent = 0u64;
    stream
        .map(move |chunk| {
            let failure = match chunk {
                Ok(bytes) => {
                    sent += bytes.len() as u64;
                    match declared {
                        Some(size) if sent > size => length_mismatch(sent, size),
                        _ => return Ok(bytes),
                    }
                }
                Err(e) => Error::Io(io::Error::new(e.kind(), e.to_string())),
            };
            let message = failure.to_string();
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
            Err(io::Error::other(message))
        })
        .boxed()
}

impl BodySource for RawBody {
    fn open(&self) -> BoxFuture<'_, Result<Option<OpenedBody>>> {
        Box::pin(async move {
            let Some(stream) = self.document.open().await? else { return Ok(None) };
            let body = checked(stream, self.document.size(), Arc::clone(&self.slot));
            Ok(Some((reqwest::Body::wrap_stream(body), self.document.size())))
        })
    }

    fn take_error(&self) -> Option<Error> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// The whole file in one `PATCH <row>/<column>`, streamed.
pub(crate) async fn single_request(
    client: &Client,
    column_url: Url,
    entity_set: &str,
    document: Document,
    options: RequestOptions,
) -> Result<UploadedFile> {
    let name = file_name_header(&document.file_name)?;
    let size = document.size();
    let source = Arc::new(RawBody { document, slot: Arc::default() });
    let mut call = Call::new(Method::PATCH, column_url, entity_set)
        .header(FILE_NAME, name)
        .replay(Replay::Safe)
        .options(options);
    call.payload = Payload::Source { content_type: OCTET_STREAM, source };
    client.send_empty(call).await?;
    Ok(UploadedFile { file_id: None, size: size.unwrap_or_default() })
}

/// The file in chunks of the size the server recommends (`x-ms-chunk-size`).
pub(crate) async fn chunked(
    client: &Client,
    mut column_url: Url,
    entity_set: &str,
    document: Document,
    options: RequestOptions,
) -> Result<UploadedFile> {
    let size = document.size().ok_or_else(|| {
        Error::InvalidRequest(
            "a chunked upload needs the file's size (Content-Range); upload a stream of unknown size with FileUploadMode::Blocks".to_owned(),
        )
    })?;
    let name = file_name_header(&document.file_name)?;
    // The name goes in the query string of the first request, which takes any text.
    column_url.set_query(Some(&query_string(&[("x-ms-file-name", document.file_name.clone())])));
    // Starting a session writes nothing: safe to replay.
    let start = Call::new(Method::PATCH, column_url, entity_set)
        .header(TRANSFER_MODE, HeaderValue::from_static("chunked"))
        .replay(Replay::Safe)
        .options(options.clone());
    let headers = client.send_empty(start).await?;
    let location = headers.get(LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        Error::UnexpectedResponse("the chunked upload was started without a Location".to_owned())
    })?;
    let session = client.service_link(location)?;
    let chunk = headers
        .get("x-ms-chunk-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_CHUNK);
    let mut stream = document.open().await?.ok_or_else(|| {
        Error::InvalidRequest("the document stream was already consumed".to_owned())
    })?;
    let mut buffer = BytesMut::with_capacity(chunk.min(DEFAULT_CHUNK * 4));
    let mut offset = 0u64;
    loop {
        let finished = fill(&mut stream, &mut buffer, chunk).await?;
        let take = buffer.len().min(chunk);
        if take > 0 {
            let piece: Bytes = buffer.split_to(take).freeze();
            let end = offset + piece.len() as u64 - 1;
            if end >= size {
                return Err(length_mismatch(end + 1, size));
            }
            let range = HeaderValue::try_from(format!("bytes {offset}-{end}/{size}"))
                .map_err(|e| Error::InvalidRequest(e.to_string()))?;
            // The same range again overwrites the same bytes: safe to replay.
            let mut call = Call::new(Method::PATCH, session.clone(), entity_set)
                .header(FILE_NAME, name.clone())
                .header(CONTENT_RANGE, range)
                .replay(Replay::Safe)
                .options(options.clone());
            call.payload = Payload::Bytes { content_type: OCTET_STREAM, bytes: piece };
            client.send_empty(call).await?;
            offset = end + 1;
        }
        if finished && buffer.is_empty() {
            break;
        }
    }
    if offset != size {
        return Err(length_mismatch(offset, size));
    }
    Ok(UploadedFile { file_id: None, size })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    #[tokio::test]
    async fn a_stream_longer_than_declared_fails_with_a_clear_error() {
        let slot = Arc::default();
        let chunks = stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"abcdef"))]).boxed();
        let read: Vec<io::Result<Bytes>> =
            checked(chunks, Some(4), Arc::clone(&slot)).collect().await;
        assert!(read[0].is_err());
        assert!(matches!(slot.lock().expect("slot").take(), Some(Error::Io(_))));
        let fine = stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"abcd"))]).boxed();
        let read: Vec<io::Result<Bytes>> = checked(fine, Some(4), Arc::default()).collect().await;
        assert!(read[0].is_ok());
    }

    #[test]
    fn file_names_must_be_ascii_for_the_header() {
        assert!(file_name_header("contract.pdf").is_ok());
        assert!(file_name_header("Vertrag-Übersicht.pdf").is_err());
        assert!(file_name_header("a\nb").is_err());
    }
}

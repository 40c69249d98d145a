//! Downloading a file column in ranges: `GET …/<column>/$value` with `Range: bytes=a-b`,
//! answered `206 Partial Content` with `x-ms-file-size`, `x-ms-file-name`, `x-ms-chunk-size`
//! and `mimetype`
//! ([Download the file in chunks using Web API](https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data#download-the-file-in-chunks-using-web-api)).

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use http::header::{CONTENT_RANGE, RANGE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use url::Url;

use super::download::FileDownload;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;
use crate::options::RequestOptions;

/// One answered range.
struct Range {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The total size from `Content-Range: bytes 0-4095/25870370`.
fn total_from_content_range(headers: &HeaderMap) -> Option<u64> {
    header(headers, CONTENT_RANGE.as_str())?.rsplit('/').next()?.trim().parse().ok()
}

/// The first byte position of `Content-Range`.
fn start_from_content_range(headers: &HeaderMap) -> Option<u64> {
    let value = header(headers, CONTENT_RANGE.as_str())?;
    let range = value.trim().strip_prefix("bytes")?.trim();
    range.split('-').next()?.trim().parse().ok()
}

async fn fetch(
    client: &Client,
    url: &Url,
    start: u64,
    end: u64,
    options: &RequestOptions,
) -> Result<Range> {
    let value = HeaderValue::try_from(format!("bytes={start}-{end}"))
        .map_err(|e| Error::InvalidRequest(e.to_string()))?;
    let call =
        Call::new(Method::GET, url.clone(), "file").header(RANGE, value).options(options.clone());
    let mut sent = client.send(call).await?;
    let status = sent.response.status();
    let headers = std::mem::take(sent.response.headers_mut());
    let body = sent.body().await?;
    Ok(Range { status, headers, body })
}

/// Start a ranged download of `url` (a `…/$value` URL), `chunk` bytes a request until the
/// server says otherwise. `None` when Dataverse answered `204 No Content` (an image column with
/// no full-size image).
pub(crate) async fn download(
    client: &Client,
    url: Url,
    chunk: u64,
    options: RequestOptions,
) -> Result<Option<FileDownload>> {
    let chunk = chunk.max(1);
    let first = fetch(client, &url, 0, chunk - 1, &options).await?;
    if first.status == StatusCode::NO_CONTENT {
        return Ok(None);
    }
    let file_name = header(&first.headers, "x-ms-file-name").map(str::to_owned);
    let mime_type = header(&first.headers, "mimetype").map(str::to_owned);
    if first.status != StatusCode::PARTIAL_CONTENT {
        // The whole file came back at once.
        let size = Some(first.body.len() as u64);
        let chunks = stream::once(async move { Ok(first.body) }).boxed();
        return Ok(Some(FileDownload { file_name, size, mime_type, chunks }));
    }
    let size = header(&first.headers, "x-ms-file-size")
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| total_from_content_range(&first.headers))
        .ok_or_else(|| {
            Error::UnexpectedResponse("a file range came back without the file's size".to_owned())
        })?;
    check_range(&first, 0, chunk, size)?;
    // Later ranges use the size the server recommends.
    let chunk = header(&first.headers, "x-ms-chunk-size")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(chunk);
    let offset = first.body.len() as u64;
    let client = client.clone();
    let rest = stream::unfold(Some(offset), move |state| {
        let client = client.clone();
        let url = url.clone();
        let options = options.clone();
        async move {
            let offset = state?;
            if offset >= size {
                return None;
            }
            // Saturating: a chunk size near u64::MAX (the caller's, or the server's
            // `x-ms-chunk-size`) must not overflow.
            let end = offset.saturating_add(chunk).min(size) - 1;
            let answered = fetch(&client, &url, offset, end, &options).await.and_then(|range| {
                check_range(&range, offset, end - offset + 1, size)?;
                Ok(range.body)
            });
            match answered {
                Ok(body) => {
                    let next = offset + body.len() as u64;
                    Some((Ok(body), Some(next)))
                }
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    let chunks = stream::once(async move { Ok(first.body) }).chain(rest).boxed();
    Ok(Some(FileDownload { file_name, size: Some(size), mime_type, chunks }))
}

/// A range must start where asked and hold the bytes asked for (or the rest of the file), so a
/// short or misplaced answer can never silently corrupt the file.
fn check_range(range: &Range, start: u64, expected: u64, size: u64) -> Result<()> {
    if range.status != StatusCode::PARTIAL_CONTENT {
        return Err(Error::UnexpectedResponse(format!(
            "a file range was answered {}, not 206 Partial Content",
            range.status
        )));
    }
    if let Some(answered_start) = start_from_content_range(&range.headers)
        && answered_start != start
    {
        return Err(Error::UnexpectedResponse(format!(
            "asked for the range at byte {start}, got the one at byte {answered_start}"
        )));
    }
    let length = range.body.len() as u64;
    let wanted = expected.min(size - start.min(size));
    if length != wanted || length == 0 {
        return Err(Error::UnexpectedResponse(format!(
            "the range at byte {start} holds {length} bytes, expected {wanted}"
        )));
    }
    Ok(())
}

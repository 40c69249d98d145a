//! Streamed document downloads.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;
use http::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Sleep};

use crate::Error;

/// A document being downloaded: metadata from the response, and the body as a byte stream.
///
/// Nothing is buffered: write it with [`Download::save_to`] / [`Download::write_to`] or consume
/// [`Download::into_stream`], and a 100 MiB contract passes through a few chunks of memory.
///
/// ```no_run
/// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
/// let record = client.records().get("IC-31").await?;
/// let download = client.records().download_attachment(&record, "signedCopy").await?;
/// let name = download.sanitized_file_name().unwrap_or_else(|| "signed.pdf".into());
/// let bytes = download.save_to(std::env::temp_dir().join(name)).await?;
/// println!("saved {bytes} bytes");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Download {
    file_name: Option<String>,
    content_type: Option<String>,
    content_length: Option<u64>,
    path: String,
    response: reqwest::Response,
    /// How long the body may stall before the download fails (the client's attempt timeout).
    idle: Option<Duration>,
}

impl Download {
    /// Wrap a 2xx response; `known_file_name` (from document metadata) wins over the
    /// `Content-Disposition` header, which Ironclad often sends without a file name. The body
    /// fails with [`Error::Timeout`] when no data arrives for `idle`.
    pub(crate) fn new(
        response: reqwest::Response,
        known_file_name: Option<String>,
        idle: Option<Duration>,
    ) -> Self {
        let headers = response.headers();
        let header_text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let file_name = known_file_name.filter(|name| !name.trim().is_empty()).or_else(|| {
            header_text(http::header::CONTENT_DISPOSITION).and_then(disposition_file_name)
        });
        let content_type = header_text(http::header::CONTENT_TYPE).map(str::to_owned);
        Self {
            file_name,
            content_type,
            content_length: response.content_length(),
            path: response.url().path().to_owned(),
            response,
            idle,
        }
    }

    /// The file name from the document's metadata, else from `Content-Disposition`.
    ///
    /// It comes from the server: do not join it into a path unchecked; see
    /// [`Download::sanitized_file_name`].
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The file name with path separators, control characters and leading dots removed, safe to
    /// use as the last component of a local path.
    pub fn sanitized_file_name(&self) -> Option<String> {
        self.file_name.as_deref().map(sanitize_file_name).filter(|name| !name.is_empty())
    }

    /// `Content-Type`, when sent.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// `Content-Length`, when sent (Ironclad streams documents chunked, without one).
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The body as a stream of chunks. It ends with [`Error::Timeout`] when no data arrives for
    /// the client's [`timeout`](crate::ClientBuilder::timeout): a large document is never cut off
    /// for its size, a stalled one is.
    pub fn into_stream(self) -> ByteStream {
        let path = self.path;
        let stream = self
            .response
            .bytes_stream()
            .map(move |chunk| chunk.map_err(|e| Error::transport_at(&Method::GET, &path, e)));
        ByteStream {
            inner: Box::pin(stream),
            idle: self.idle.map(|limit| (limit, Box::pin(tokio::time::sleep(limit)))),
            done: false,
        }
    }

    /// Write the body to `writer`, returning the number of bytes written.
    ///
    /// # Errors
    /// [`Error::Transport`] when the download breaks off, [`Error::Io`] when writing fails.
    pub async fn write_to<W: AsyncWrite + Unpin>(self, writer: &mut W) -> Result<u64, Error> {
        let mut stream = self.into_stream();
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(|e| Error::io("writing the download", e))?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|e| Error::io("writing the download", e))?;
        Ok(written)
    }

    /// Save the body to `path`, returning its size. The data goes to `<path>.part` first and is
    /// renamed into place only when complete, so a broken download never leaves a truncated
    /// file under the final name.
    ///
    /// # Errors
    /// [`Error::Transport`] when the download breaks off, [`Error::Io`] when the file cannot be
    /// written.
    pub async fn save_to(self, path: impl AsRef<Path>) -> Result<u64, Error> {
        let path = path.as_ref();
        let partial = partial_path(path);
        let file = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| Error::io(format!("creating {}", partial.display()), e))?;
        let mut writer = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        let result = self.write_to(&mut writer).await;
        let file = writer.into_inner();
        let result = match result {
            Ok(written) => file
                .sync_all()
                .await
                .map_err(|e| Error::io(format!("writing {}", partial.display()), e))
                .map(|()| written),
            Err(error) => Err(error),
        };
        drop(file);
        match result {
            Ok(written) => {
                tokio::fs::rename(&partial, path)
                    .await
                    .map_err(|e| Error::io(format!("renaming into {}", path.display()), e))?;
                Ok(written)
            }
            Err(error) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(error)
            }
        }
    }

    /// Read the whole body into memory (for small documents).
    ///
    /// # Errors
    /// [`Error::Transport`] when the download breaks off, [`Error::Timeout`] when it stalls.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let mut body =
            BytesMut::with_capacity(self.content_length.unwrap_or(0).min(1 << 20) as usize);
        let mut stream = self.into_stream();
        while let Some(chunk) = stream.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok(body.freeze())
    }
}

/// The chunks of a download.
#[must_use = "a ByteStream does nothing until polled"]
pub struct ByteStream {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>,
    /// How long the body may stall, and the timer that measures it (reset per chunk).
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    done: bool,
}

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteStream").finish_non_exhaustive()
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => {
                if let Some((limit, timer)) = self.idle.as_mut()
                    && timer.as_mut().poll(cx).is_ready()
                {
                    let limit = *limit;
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::Timeout(limit))));
                }
                Poll::Pending
            }
            Poll::Ready(Some(Ok(chunk))) => {
                // A deadline too far ahead to represent (`Duration::MAX`) keeps the first,
                // equally unreachable, one.
                if let Some((limit, timer)) = self.idle.as_mut()
                    && let Some(deadline) = Instant::now().checked_add(*limit)
                {
                    timer.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(error))) => {
                self.done = true;
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

/// The file name of a `Content-Disposition` header (`filename*=UTF-8''…` preferred).
pub(crate) fn disposition_file_name(header: &str) -> Option<String> {
    let mut plain = None;
    for part in header.split(';').map(str::trim) {
        let Some((key, value)) = part.split_once('=') else { continue };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = value.trim().trim_matches('"');
                let encoded = encoded.split_once("''").map_or(encoded, |(_, rest)| rest);
                if let Some(decoded) = percent_decode(encoded) {
                    return Some(decoded).filter(|name| !name.is_empty());
                }
            }
            "filename" => plain = Some(value.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    plain.filter(|name| !name.is_empty())
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn sanitize_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if matches!(c, '/' | '\\' | ':') || c.is_control() { '_' } else { c })
        .collect();
    cleaned.trim().trim_start_matches('.').trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_content_disposition_file_names() {
        let cases = [
            ("attachment", None),
            (
                r#"attachment; filename="2026-07-30-records-export.xlsx""#,
                Some("2026-07-30-records-export.xlsx"),
            ),
            ("attachment; filename=plain.pdf", Some("plain.pdf")),
            (
                r#"attachment; filename="fallback.pdf"; filename*=UTF-8''Vertrag%20M%C3%BCller.pdf"#,
                Some("Vertrag Müller.pdf"),
            ),
            (r#"attachment; filename="""#, None),
        ];
        for (header, expected) in cases {
            assert_eq!(disposition_file_name(header).as_deref(), expected, "{header}");
        }
    }

    #[test]
    fn sanitizes_server_file_names() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitize_file_name("MSA - Acme (v2).pdf"), "MSA - Acme (v2).pdf");
        assert_eq!(sanitize_file_name("a\nb.pdf"), "a_b.pdf");
        assert_eq!(partial_path(Path::new("/tmp/x.pdf")), PathBuf::from("/tmp/x.pdf.part"));
    }
}

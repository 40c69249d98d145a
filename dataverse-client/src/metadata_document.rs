//! The CSDL `$metadata` document of the environment, streamed.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http::Method;
use http::header::{ACCEPT, HeaderValue};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;

impl Client {
    /// Download the environment's CSDL `$metadata` document (`GET /api/data/v9.2/$metadata`,
    /// `Accept: application/xml`): every table, column, relationship, action and function the
    /// Web API serves. It is several megabytes, so it arrives as a stream of bytes; write it to
    /// a file or hand it to a streaming XML reader.
    ///
    /// `annotations` adds `?annotations=true`, which includes descriptions, read-only markers
    /// and capabilities (a larger document). See
    /// [Web API service documents](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents#csdl-metadata-document)
    /// and [Download the CSDL $metadata document](https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-ps-and-vscode-web-api#download-the-dataverse-web-api-csdl-metadata-document).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use futures_util::TryStreamExt;
    /// use tokio::io::AsyncWriteExt;
    ///
    /// let mut document = client.metadata_document(false).await?;
    /// let mut file = tokio::fs::File::create("metadata.xml").await.map_err(dataverse_client::Error::Io)?;
    /// while let Some(chunk) = document.try_next().await? {
    ///     file.write_all(&chunk).await.map_err(dataverse_client::Error::Io)?;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As for any request: [`Error::Api`] for a non-2xx answer, transport errors, time-outs.
    /// Errors while the body streams are items of the stream.
    pub async fn metadata_document(&self, annotations: bool) -> Result<MetadataDocument> {
        let mut url = self.resource_url(&["$metadata"])?;
        if annotations {
            url.set_query(Some("annotations=true"));
        }
        let call = Call::new(Method::GET, url, "$metadata")
            .header(ACCEPT, HeaderValue::from_static("application/xml"));
        let sent = self.send(call).await?;
        Ok(MetadataDocument { inner: sent.response.bytes_stream().boxed() })
    }
}

/// The bytes of a `$metadata` document as they arrive; see [`Client::metadata_document`].
#[must_use = "streams do nothing unless polled"]
pub struct MetadataDocument {
    inner: BoxStream<'static, reqwest::Result<Bytes>>,
}

impl Stream for MetadataDocument {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map_err(|e| Error::Transport(e.without_url()))))
    }
}

impl fmt::Debug for MetadataDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataDocument").finish_non_exhaustive()
    }
}

//! A downloaded file as a stream of bytes, fetched one range (or block) at a time.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;

use crate::error::Result;

/// A file or image downloaded from a file or image column (or a note's document read in
/// blocks): its name, size and type, and its bytes as a stream. Only one chunk is in memory at a
/// time, whatever the file's size.
///
/// ```no_run
/// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
/// use futures_util::TryStreamExt;
/// use tokio::io::AsyncWriteExt;
///
/// let mut file = client.download_file("accounts", id, "sample_filecolumn").await?;
/// println!("{:?}: {:?} bytes", file.file_name(), file.size());
/// let mut out = tokio::fs::File::create("download.pdf").await.map_err(dataverse_client::Error::Io)?;
/// while let Some(chunk) = file.try_next().await? {
///     out.write_all(&chunk).await.map_err(dataverse_client::Error::Io)?;
/// }
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct FileDownload {
    pub(crate) file_name: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) mime_type: Option<String>,
    pub(crate) chunks: BoxStream<'static, Result<Bytes>>,
}

impl FileDownload {
    /// The file's name (`x-ms-file-name`, or `FileName` of the block messages).
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The file's size in bytes.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The file's MIME type, when Dataverse sent it (`mimetype`).
    pub fn mime_type(&self) -> Option<&str> {
        self.mime_type.as_deref()
    }

    /// Every byte, in memory: for small files only.
    ///
    /// # Errors
    /// The first error of the download.
    pub async fn bytes(self) -> Result<Bytes> {
        let chunks: Vec<Bytes> = self.chunks.try_collect().await?;
        Ok(Bytes::from(chunks.concat()))
    }
}

impl Stream for FileDownload {
    type Item = Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for FileDownload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileDownload")
            .field("file_name", &self.file_name)
            .field("size", &self.size)
            .field("mime_type", &self.mime_type)
            .finish_non_exhaustive()
    }
}

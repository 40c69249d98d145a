//! A note's document: bytes, a file, or a caller's byte stream.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};

use crate::error::{Error, Result};

/// How much of a file or of in-memory bytes goes into one chunk of the encoded body.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// A document: attached to a note ([`Client::create_note`](crate::Client::create_note)) or
/// uploaded to a file or image column ([`Client::upload_file`](crate::Client::upload_file)).
///
/// ```no_run
/// # async fn run() -> Result<(), dataverse_client::Error> {
/// use bytes::Bytes;
/// use dataverse_client::notes::Document;
/// use futures_util::stream;
///
/// let in_memory = Document::from_bytes(Bytes::from_static(b"%PDF-1.7 ...")).file_name("signed.pdf");
/// let on_disk = Document::from_file("contract.pdf").await?.mime_type("application/pdf");
/// let chunks = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"%PDF"))]);
/// let streamed = Document::from_stream(chunks).file_name("signed.pdf").mime_type("application/pdf");
/// # let _ = (in_memory, on_disk, streamed); Ok(()) }
/// ```
pub struct Document {
    pub(crate) source: Source,
    pub(crate) file_name: String,
    pub(crate) mime_type: String,
}

pub(crate) enum Source {
    Bytes(Bytes),
    File {
        path: PathBuf,
        size: u64,
    },
    /// A one-shot stream; `size` when the caller declared it.
    Stream {
        stream: Mutex<Option<BoxStream<'static, io::Result<Bytes>>>>,
        size: Option<u64>,
    },
}

impl Document {
    /// A document already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(Source::Bytes(bytes.into()), "document".to_owned())
    }

    /// A file, read while the request is sent (never loaded whole). The file name defaults to
    /// the path's last component. The size is taken now, so the upload can declare its exact
    /// `Content-Length` and be checked against `MaxUploadFileSize` before it starts; the file must
    /// not change size in between.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be inspected.
    pub async fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let metadata = tokio::fs::metadata(&path).await.map_err(Error::Io)?;
        if !metadata.is_file() {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        let file_name = path
            .file_name()
            .map_or_else(|| "document".to_owned(), |n| n.to_string_lossy().into_owned());
        Ok(Self::new(Source::File { path, size: metadata.len() }, file_name))
    }

    /// A stream of bytes of unknown length, such as a download from another service. It is
    /// read once: an upload that fails after it started reading is not retried.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        Self::new(
            Source::Stream { stream: Mutex::new(Some(box_stream(stream))), size: None },
            "document".to_owned(),
        )
    }

    /// A stream whose exact length is known (for example from a `Content-Length`): the upload
    /// declares its exact size and is checked against `MaxUploadFileSize` before it starts. A
    /// stream that yields a different number of bytes fails the upload.
    pub fn from_stream_with_size<S, E>(stream: S, size: u64) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        Self::new(
            Source::Stream { stream: Mutex::new(Some(box_stream(stream))), size: Some(size) },
            "document".to_owned(),
        )
    }

    fn new(source: Source, file_name: String) -> Self {
        Self { source, file_name, mime_type: "application/octet-stream".to_owned() }
    }

    /// The note's `filename` (default: the file's name, or `document`).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// The note's `mimetype` (default `application/octet-stream`).
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = mime_type.into();
        self
    }

    /// The document's size in bytes, when known before reading it.
    pub fn size(&self) -> Option<u64> {
        match &self.source {
            Source::Bytes(bytes) => Some(bytes.len() as u64),
            Source::File { size, .. } => Some(*size),
            Source::Stream { size, .. } => *size,
        }
    }

    /// The raw bytes as a stream: a fresh one for bytes and files, the caller's stream once.
    /// `None` when a one-shot stream was already taken.
    pub(crate) async fn open(&self) -> Result<Option<BoxStream<'static, io::Result<Bytes>>>> {
        match &self.source {
            Source::Bytes(bytes) => Ok(Some(chunked(bytes.clone()))),
            Source::File { path, .. } => {
                let file = tokio::fs::File::open(path).await.map_err(Error::Io)?;
                Ok(Some(tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK).boxed()))
            }
            Source::Stream { stream, .. } => {
                Ok(stream.lock().unwrap_or_else(|e| e.into_inner()).take())
            }
        }
    }
}

fn box_stream<S, E>(stream: S) -> BoxStream<'static, io::Result<Bytes>>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    stream.map_err(io::Error::other).boxed()
}

/// In-memory bytes as a stream of zero-copy slices, so the encoder never holds more than one
/// chunk's worth of base64 at a time.
pub(crate) fn chunked(bytes: Bytes) -> BoxStream<'static, io::Result<Bytes>> {
    let len = bytes.len();
    stream::iter(
        (0..len)
            .step_by(READ_CHUNK)
            .map(move |start| Ok(bytes.slice(start..(start + READ_CHUNK).min(len)))),
    )
    .boxed()
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(_) => "bytes",
            Source::File { .. } => "file",
            Source::Stream { .. } => "stream",
        };
        f.debug_struct("Document")
            .field("source", &source)
            .field("size", &self.size())
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .finish()
    }
}

//! Notes (`annotation` rows) with documents.
//!
//! A note's document travels as base64 in its `documentbody` column. Small documents go in one
//! `POST /annotations` whose JSON body is produced while it is sent: the document is read a chunk
//! at a time and encoded on the fly, with the exact `Content-Length` declared up front when the
//! size is known, so memory does not grow with the document. Large documents use the block
//! messages (`InitializeAnnotationBlocksUpload`, `UploadBlock`, `CommitAnnotationBlocksUpload`),
//! one block of at most 3 MiB at a time.
//!
//! Dataverse limits a note's document to the organization's `MaxUploadFileSize` (5 MB by
//! default, at most 128 MB), measured on the base64 text (4/3 of the file). When the limit is
//! known ([`ClientBuilder::max_upload_file_size`](crate::ClientBuilder::max_upload_file_size) or
//! [`Client::fetch_max_upload_file_size`]) a document over it fails with
//! [`Error::DocumentTooLarge`] before any upload.

pub(crate) mod blocks;
mod document;
mod download;
mod encode;

use std::future::IntoFuture;
use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use document::Document;
pub use download::DocumentStream;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{APPLICATION_JSON, BodySource, Call, OpenedBody, Payload};
use crate::odata::{entity_id_from_headers, validate_identifier};
use crate::options::RequestOptions;
use crate::records::{RecordKey, bind_path};
use document::Source;
use encode::{Base64Body, ErrorSlot, base64_len, check_limit};

/// Documents larger than this (raw bytes) use block upload in [`UploadMode::Auto`]. Microsoft
/// recommends the block messages above 4 MB.
pub const AUTO_BLOCK_THRESHOLD: u64 = 4 * 1024 * 1024;

/// How a note's document is uploaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadMode {
    /// One streamed request up to [`AUTO_BLOCK_THRESHOLD`], blocks above it. A stream of unknown
    /// length is read up to the threshold first: if it ends there, it is sent in one request
    /// with its exact length; otherwise it continues in blocks.
    #[default]
    Auto,
    /// Always one `POST /annotations`, streamed (chunked transfer when the size is unknown).
    SingleRequest,
    /// Always the block messages.
    Blocks,
}

/// A note to create.
///
/// ```
/// use bytes::Bytes;
/// use dataverse_client::notes::{Document, NewNote};
/// use uuid::Uuid;
///
/// let note = NewNote::new()
///     .regarding("cre6f_agreement", "cre6f_agreements", Uuid::nil())
///     .subject("Signed contract")
///     .text("The signed PDF from Ironclad.")
///     .document(Document::from_bytes(Bytes::from_static(b"%PDF-1.7")).file_name("msa.pdf").mime_type("application/pdf"));
/// # let _ = note;
/// ```
#[derive(Debug, Default)]
pub struct NewNote {
    subject: Option<String>,
    text: Option<String>,
    regarding: Option<(String, String, RecordKey)>,
    columns: Map<String, Value>,
    document: Option<Document>,
}

impl NewNote {
    /// An empty note.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attach the note to a row: `"objectid_<table_logical_name>@odata.bind":
    /// "/<entity_set>(<key>)"`. The table must have notes enabled. For a custom table the
    /// logical name is lower case with its prefix (`cre6f_agreement`), the entity set its plural
    /// (`cre6f_agreements`); check both in the table's metadata.
    pub fn regarding(
        mut self,
        table_logical_name: impl Into<String>,
        entity_set: impl Into<String>,
        key: impl Into<RecordKey>,
    ) -> Self {
        self.regarding = Some((table_logical_name.into(), entity_set.into(), key.into()));
        self
    }

    /// The note's title (`subject`).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The note's text (`notetext`).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Any other column of the note.
    pub fn column(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.columns.insert(name.into(), value.into());
        self
    }

    /// The attached document (`documentbody`, `filename`, `mimetype`).
    pub fn document(mut self, document: Document) -> Self {
        self.document = Some(document);
        self
    }

    /// The note's columns, without the document body.
    fn columns(&self) -> Result<Map<String, Value>> {
        let mut columns = self.columns.clone();
        if let Some(subject) = &self.subject {
            columns.insert("subject".to_owned(), Value::String(subject.clone()));
        }
        if let Some(text) = &self.text {
            columns.insert("notetext".to_owned(), Value::String(text.clone()));
        }
        if let Some(document) = &self.document {
            columns.insert("filename".to_owned(), Value::String(document.file_name.clone()));
            columns.insert("mimetype".to_owned(), Value::String(document.mime_type.clone()));
        }
        if let Some((table, entity_set, key)) = &self.regarding {
            validate_identifier("table logical name", table)?;
            key.segment(entity_set)?;
            columns.insert(
                format!("objectid_{table}@odata.bind"),
                Value::String(bind_path(entity_set, key.clone())),
            );
        }
        Ok(columns)
    }
}

impl Client {
    /// Create a note, uploading its document if it has one. The result is the note's id.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, agreement: uuid::Uuid,
    /// #     pdf: impl futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static)
    /// # -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::notes::{Document, NewNote};
    ///
    /// // `pdf` is any stream of bytes, such as a download from another API.
    /// let note_id = client
    ///     .create_note(
    ///         NewNote::new()
    ///             .regarding("cre6f_agreement", "cre6f_agreements", agreement)
    ///             .subject("Signed contract")
    ///             .document(Document::from_stream(pdf).file_name("msa.pdf").mime_type("application/pdf")),
    ///     )
    ///     .await?;
    /// # let _ = note_id; Ok(()) }
    /// ```
    pub fn create_note(&self, note: NewNote) -> CreateNote<'_> {
        CreateNote {
            client: self,
            note,
            mode: UploadMode::Auto,
            limit: None,
            options: RequestOptions::default(),
        }
    }

    /// Read the organization's `MaxUploadFileSize` (`GET organizations?$select=maxuploadfilesize`)
    /// and remember it, so later uploads over it fail before they start.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// let limit = client.fetch_max_upload_file_size().await?;
    /// assert_eq!(client.max_upload_file_size(), Some(limit));
    /// # Ok(()) }
    /// ```
    pub async fn fetch_max_upload_file_size(&self) -> Result<u64> {
        #[derive(Deserialize)]
        struct Organization {
            maxuploadfilesize: Option<u64>,
        }
        let mut url = self.resource_url(&["organizations"])?;
        url.set_query(Some("$select=maxuploadfilesize"));
        let call = Call::new(Method::GET, url, "organizations");
        let page: crate::paging::Page<Organization> =
            self.send_json(call, "the organization settings".into()).await?;
        let limit = page.items.first().and_then(|o| o.maxuploadfilesize).ok_or_else(|| {
            Error::UnexpectedResponse("the organization has no maxuploadfilesize".to_owned())
        })?;
        self.remember_max_upload_file_size(limit);
        Ok(limit)
    }

    /// Download a note's document, decoded from base64 while it streams
    /// (`GET /annotations(<id>)/documentbody/$value`).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, note: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use futures_util::TryStreamExt;
    /// use tokio::io::AsyncWriteExt;
    ///
    /// let mut document = client.download_note_document(note).await?;
    /// let mut file = tokio::fs::File::create("contract.pdf").await.map_err(dataverse_client::Error::Io)?;
    /// while let Some(chunk) = document.try_next().await? {
    ///     file.write_all(&chunk).await.map_err(dataverse_client::Error::Io)?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download_note_document(&self, annotation_id: Uuid) -> Result<DocumentStream> {
        let segment = RecordKey::Id(annotation_id).segment("annotations")?;
        let url = self.resource_url(&[segment.as_str(), "documentbody", "$value"])?;
        let sent = self.send(Call::new(Method::GET, url, "annotations")).await?;
        // The document streams for as long as it needs; a stall longer than the attempt
        // timeout ends it.
        Ok(DocumentStream::new(sent.response, self.inner.attempt_timeout))
    }
}

/// A pending [`Client::create_note`]; `.await` it for the note's id.
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct CreateNote<'c> {
    client: &'c Client,
    note: NewNote,
    mode: UploadMode,
    limit: Option<u64>,
    options: RequestOptions,
}

impl<'c> CreateNote<'c> {
    /// How to upload the document (default [`UploadMode::Auto`]).
    pub fn upload_mode(mut self, mode: UploadMode) -> Self {
        self.mode = mode;
        self
    }

    /// The `MaxUploadFileSize` to enforce for this upload, overriding what the client knows.
    pub fn max_upload_file_size(mut self, bytes: u64) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// Per-request options (applied to every request of a block upload).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Create the note.
    ///
    /// # Errors
    /// [`Error::DocumentTooLarge`] (before any upload when the size is known), [`Error::Io`]
    /// when reading the document fails, or an [`Error`] from Dataverse or the transport.
    pub async fn send(self) -> Result<Uuid> {
        let CreateNote { client, note, mode, limit, options } = self;
        let limit = limit.or_else(|| client.max_upload_file_size());
        let columns = note.columns()?;
        let Some(mut document) = note.document else {
            return client.create("annotations", &columns).options(options).await;
        };
        if let Some(size) = document.size() {
            check_limit(size, limit)?;
        }
        let blocks = match (mode, document.size()) {
            (UploadMode::SingleRequest, _) => false,
            (UploadMode::Blocks, _) => true,
            (UploadMode::Auto, Some(size)) => size > AUTO_BLOCK_THRESHOLD,
            (UploadMode::Auto, None) => {
                // Read up to the threshold to learn whether the document is small.
                let (head, rest) = read_head(&document, AUTO_BLOCK_THRESHOLD).await?;
                match rest {
                    None => {
                        check_limit(head.len() as u64, limit)?;
                        document = Document { source: Source::Bytes(head), ..document };
                        false
                    }
                    Some(rest) => {
                        // Already over the limit: fail before anything is sent.
                        check_limit(head.len() as u64, limit)?;
                        let joined = stream::once(async move { Ok(head) }).chain(rest).boxed();
                        document = Document {
                            source: Source::Stream {
                                stream: std::sync::Mutex::new(Some(joined)),
                                size: None,
                            },
                            ..document
                        };
                        true
                    }
                }
            }
        };
        if blocks && document.size() != Some(0) {
            let mut columns = columns;
            if let Some((table, _, _)) = &note.regarding {
                // The block messages' `Target` names the regarding row's table beside the
                // lookup, as Microsoft's block-upload example does.
                columns
                    .entry("objecttypecode".to_owned())
                    .or_insert_with(|| Value::String(table.clone()));
            }
            return blocks::upload(client, columns, &document, limit, &options).await;
        }
        single_request(client, options, columns, document, limit).await
    }
}

async fn single_request(
    client: &Client,
    options: RequestOptions,
    columns: Map<String, Value>,
    document: Document,
    limit: Option<u64>,
) -> Result<Uuid> {
    let prefix = body_prefix(&columns)?;
    let suffix = Bytes::from_static(b"\"}");
    let length =
        document.size().map(|size| prefix.len() as u64 + base64_len(size) + suffix.len() as u64);
    let source = Arc::new(StreamedNote {
        document,
        prefix,
        suffix,
        length,
        limit,
        slot: ErrorSlot::default(),
    });
    let url = client.resource_url(&["annotations"])?;
    let mut call = Call::new(Method::POST, url, "annotations").options(options);
    call.payload = Payload::Source { content_type: APPLICATION_JSON, source };
    let headers = client.send_empty(call).await?;
    entity_id_from_headers(&headers).ok_or_else(|| {
        Error::UnexpectedResponse(
            "the note was created but the response has no OData-EntityId header".to_owned(),
        )
    })
}

impl<'c> IntoFuture for CreateNote<'c> {
    type Output = Result<Uuid>;
    type IntoFuture = BoxFuture<'c, Result<Uuid>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// `{"subject":…,…,"documentbody":"` — the JSON of the columns, left open for the base64 text.
fn body_prefix(columns: &Map<String, Value>) -> Result<Bytes> {
    let mut json = serde_json::to_vec(columns)
        .map_err(|e| Error::InvalidRequest(format!("the note cannot be serialized: {e}")))?;
    json.pop(); // the closing brace
    if columns.is_empty() {
        json.extend_from_slice(b"\"documentbody\":\"");
    } else {
        json.extend_from_slice(b",\"documentbody\":\"");
    }
    Ok(json.into())
}

/// Read up to `limit` bytes of the document: all of it (`None` rest) or the head and the rest.
async fn read_head(
    document: &Document,
    limit: u64,
) -> Result<(Bytes, Option<BoxStream<'static, io::Result<Bytes>>>)> {
    let mut stream = document.open().await?.ok_or_else(|| {
        Error::InvalidRequest("the document stream was already consumed".to_owned())
    })?;
    let mut head = BytesMut::new();
    while (head.len() as u64) <= limit {
        match stream.try_next().await.map_err(Error::Io)? {
            Some(chunk) => head.extend_from_slice(&chunk),
            None => return Ok((head.freeze(), None)),
        }
    }
    Ok((head.freeze(), Some(stream)))
}

/// The body of a single-request note: reopened per attempt when the document allows it.
struct StreamedNote {
    document: Document,
    prefix: Bytes,
    suffix: Bytes,
    length: Option<u64>,
    limit: Option<u64>,
    slot: ErrorSlot,
}

impl BodySource for StreamedNote {
    fn open(&self) -> BoxFuture<'_, Result<Option<OpenedBody>>> {
        Box::pin(async move {
            let Some(raw) = self.document.open().await? else {
                return Ok(None);
            };
            let encoded = Base64Body::new(
                raw,
                self.prefix.clone(),
                self.suffix.clone(),
                self.document.size(),
                self.limit,
                Arc::clone(&self.slot),
            );
            Ok(Some((reqwest::Body::wrap_stream(encoded), self.length)))
        })
    }

    fn take_error(&self) -> Option<Error> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_leaves_the_document_body_open() {
        let note = NewNote::new()
            .subject("S")
            .regarding("cre6f_agreement", "cre6f_agreements", Uuid::nil())
            .document(
                Document::from_bytes(Bytes::new()).file_name("a.pdf").mime_type("application/pdf"),
            );
        let prefix = body_prefix(&note.columns().expect("columns")).expect("prefix");
        let mut json = prefix.to_vec();
        json.extend_from_slice(b"QUJD\"}");
        let parsed: Value = serde_json::from_slice(&json).expect("valid JSON");
        assert_eq!(parsed["documentbody"], "QUJD");
        assert_eq!(
            parsed["objectid_cre6f_agreement@odata.bind"],
            "/cre6f_agreements(00000000-0000-0000-0000-000000000000)"
        );
        assert_eq!(
            body_prefix(&Map::new()).expect("prefix"),
            Bytes::from_static(b"{\"documentbody\":\"")
        );
    }

    #[test]
    fn invalid_regarding_names_are_rejected() {
        let note = NewNote::new().regarding("bad name", "x", Uuid::nil());
        assert!(note.columns().is_err());
    }
}

//! File and image columns: upload in one request, in chunks or with the block messages; download
//! in ranges or blocks as a byte stream; delete. Notes' documents can also be downloaded in
//! blocks.
//!
//! Memory stays flat whatever the file's size: uploads read one chunk (or block) of the source at
//! a time, downloads hold one range (or block) at a time. See
//! [Use file column data](https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data)
//! and [Use image column data](https://learn.microsoft.com/power-apps/developer/data-platform/image-column-data).

mod blocks;
mod download;
mod ranges;
mod upload;

use std::future::IntoFuture;

use futures_util::future::BoxFuture;
use http::Method;
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub use download::FileDownload;

use crate::bulk::literal_json;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Call;
use crate::notes::Document;
use crate::odata::validate_identifier;
use crate::operations::{Action, NAMESPACE};
use crate::options::RequestOptions;
use crate::records::RecordKey;

/// Files up to this size go in one request in [`FileUploadMode::Auto`].
pub const SINGLE_REQUEST_UPLOAD_LIMIT: u64 = 4 * 1024 * 1024;

/// How a file is uploaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileUploadMode {
    /// One request up to [`SINGLE_REQUEST_UPLOAD_LIMIT`], chunks above it; the block messages
    /// for a stream of unknown size or a file name that is not ASCII.
    #[default]
    Auto,
    /// One streamed `PATCH` (Dataverse takes up to 128 MB in one request).
    SingleRequest,
    /// `x-ms-transfer-mode: chunked`, then one `PATCH` per chunk of the size the server
    /// recommends (`x-ms-chunk-size`); needs the file's size and an ASCII file name.
    Chunked,
    /// `InitializeFileBlocksUpload`, `UploadBlock` per block, `CommitFileBlocksUpload`; takes any
    /// file name and a stream of unknown size, and returns the file's id.
    Blocks,
}

/// How a file is downloaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileDownloadMode {
    /// `GET …/<column>/$value` with `Range`, one chunk per request.
    #[default]
    Ranges,
    /// `InitializeFileBlocksDownload`, then `DownloadBlock` per block (always the full-size
    /// image for image columns).
    Blocks,
}

/// Which version of an image to download.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageSize {
    /// The 144×144 thumbnail Dataverse generates.
    #[default]
    Thumbnail,
    /// The image as uploaded (`?size=full`), when the column stores full-size images.
    Full,
}

/// What an upload stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedFile {
    /// The file's id (`FileId`), returned by the block messages; use it with
    /// [`Client::delete_file_by_id`].
    pub file_id: Option<Uuid>,
    /// The file's size in bytes.
    pub size: u64,
}

/// Where a file column is: the row and the column.
#[derive(Clone, Debug)]
struct ColumnRef {
    entity_set: String,
    key: RecordKey,
    column: String,
    table: Option<(String, String)>,
}

impl ColumnRef {
    fn new(entity_set: &str, key: RecordKey, column: &str) -> Self {
        Self { entity_set: entity_set.to_owned(), key, column: column.to_owned(), table: None }
    }

    /// `…/<entity_set>(<key>)/<column>`.
    fn url(&self, client: &Client, suffix: Option<&str>) -> Result<url::Url> {
        validate_identifier("column", &self.column)?;
        let row = self.key.segment(&self.entity_set)?;
        let mut segments = vec![row.as_str(), self.column.as_str()];
        segments.extend(suffix);
        client.resource_url(&segments)
    }

    /// The row as the `Target` of a block message: its key with its `@odata.type`.
    async fn target(&self, client: &Client) -> Result<Value> {
        validate_identifier("column", &self.column)?;
        self.key.segment(&self.entity_set)?;
        let (logical_name, primary_id) = match &self.table {
            Some(table) => table.clone(),
            None => {
                let names = client.table_names(&self.entity_set).await?;
                (names.logical_name.clone(), names.primary_id_attribute.clone())
            }
        };
        let mut target = Map::new();
        match &self.key {
            RecordKey::Id(id) => {
                target.insert(primary_id, Value::String(id.to_string()));
            }
            RecordKey::Alternate(pairs) => {
                for (column, value) in pairs {
                    target.insert(column.clone(), literal_json(value));
                }
            }
        }
        target
            .insert("@odata.type".to_owned(), Value::String(format!("{NAMESPACE}{logical_name}")));
        Ok(Value::Object(target))
    }
}

impl Client {
    /// Upload a file into a file or image column, replacing any file it holds.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::notes::Document;
    ///
    /// let contract = Document::from_file("contract.pdf").await?.mime_type("application/pdf");
    /// let uploaded = client.upload_file("accounts", id, "sample_filecolumn", contract).await?;
    /// println!("{} bytes", uploaded.size);
    /// # Ok(()) }
    /// ```
    pub fn upload_file(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
        document: Document,
    ) -> UploadFile<'_> {
        UploadFile {
            client: self,
            column: ColumnRef::new(entity_set, key.into(), column),
            document,
            mode: FileUploadMode::Auto,
            options: RequestOptions::default(),
        }
    }

    /// Download the file in a file column (or the thumbnail of an image column) as a byte
    /// stream; see [`FileDownload`].
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// let file = client.download_file("accounts", id, "sample_filecolumn").await?;
    /// let bytes = file.bytes().await?;
    /// # let _ = bytes; Ok(()) }
    /// ```
    pub fn download_file(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
    ) -> DownloadFile<'_> {
        DownloadFile {
            client: self,
            column: ColumnRef::new(entity_set, key.into(), column),
            mode: FileDownloadMode::Ranges,
            chunk_size: upload::DEFAULT_CHUNK as u64,
            image_size: None,
            options: RequestOptions::default(),
        }
    }

    /// Download an image column's thumbnail or full-size image. `None` when the full-size image
    /// was asked for and the column does not store one (`204 No Content`).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::files::ImageSize;
    ///
    /// if let Some(image) = client.download_image("accounts", id, "sample_imagecolumn", ImageSize::Full).await? {
    ///     println!("{:?} ({:?})", image.file_name(), image.mime_type());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn download_image(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
        size: ImageSize,
    ) -> DownloadImage<'_> {
        let mut download = self.download_file(entity_set, key, column);
        download.image_size = Some(size);
        DownloadImage { download }
    }

    /// Delete the file (or image) in a column: `DELETE …/<entity_set>(<key>)/<column>`.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client.delete_file("accounts", id, "sample_filecolumn").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` for a missing row) or the transport.
    pub async fn delete_file(
        &self,
        entity_set: &str,
        key: impl Into<RecordKey>,
        column: &str,
    ) -> Result<()> {
        let url = ColumnRef::new(entity_set, key.into(), column).url(self, None)?;
        self.send_empty(Call::new(Method::DELETE, url, entity_set)).await.map(drop)
    }

    /// Delete a file by its id (from [`UploadedFile::file_id`], or the column's value when the
    /// row is read) with the `DeleteFile` action.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, file_id: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// client.delete_file_by_id(file_id).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An [`Error`] from Dataverse or the transport.
    pub async fn delete_file_by_id(&self, file_id: Uuid) -> Result<()> {
        self.action(Action::new("DeleteFile").parameter("FileId", &file_id)).await
    }

    /// Download a note's document in blocks (`InitializeAnnotationBlocksDownload`, then
    /// `DownloadBlock`), for documents too large for one request; the bytes are decoded already.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client, note: uuid::Uuid) -> Result<(), dataverse_client::Error> {
    /// let document = client.download_note_document_in_blocks(note).await?;
    /// println!("{:?}, {:?} bytes", document.file_name(), document.size());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` for a missing note) or the transport; errors while the
    /// blocks stream are items of the stream.
    pub async fn download_note_document_in_blocks(
        &self,
        annotation_id: Uuid,
    ) -> Result<FileDownload> {
        let body = json!({
            "Target": {
                "annotationid": annotation_id.to_string(),
                "@odata.type": format!("{NAMESPACE}annotation"),
            }
        });
        blocks::download(
            self,
            "InitializeAnnotationBlocksDownload",
            &body,
            blocks::DOWNLOAD_BLOCK,
            RequestOptions::default(),
        )
        .await
    }
}

/// A pending [`Client::upload_file`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct UploadFile<'c> {
    client: &'c Client,
    column: ColumnRef,
    document: Document,
    mode: FileUploadMode,
    options: RequestOptions,
}

impl<'c> UploadFile<'c> {
    /// How to upload (default [`FileUploadMode::Auto`]).
    pub fn mode(mut self, mode: FileUploadMode) -> Self {
        self.mode = mode;
        self
    }

    /// The table's logical name and primary key column, for the block messages; without them
    /// the client reads them from the table's definition.
    pub fn table(mut self, logical_name: &str, primary_id_attribute: &str) -> Self {
        self.column.table = Some((logical_name.to_owned(), primary_id_attribute.to_owned()));
        self
    }

    /// Options for every request of the upload.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Upload the file.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid name, a mode the file does not allow (chunks
    /// without a size, a non-ASCII name in a header); [`Error::Io`] when reading the source
    /// fails or it yields another size than declared; an [`Error`] from Dataverse (too large:
    /// `0x80044a02`; not an image: `0x80072553`) or the transport.
    pub async fn send(self) -> Result<UploadedFile> {
        let UploadFile { client, column, document, mode, options } = self;
        let ascii_name = document.file_name.is_ascii();
        let mode = match (mode, document.size()) {
            (FileUploadMode::Auto, Some(size))
                if ascii_name && size <= SINGLE_REQUEST_UPLOAD_LIMIT =>
            {
                FileUploadMode::SingleRequest
            }
            (FileUploadMode::Auto, Some(_)) if ascii_name => FileUploadMode::Chunked,
            (FileUploadMode::Auto, _) => FileUploadMode::Blocks,
            (mode, _) => mode,
        };
        match mode {
            FileUploadMode::SingleRequest => {
                let url = column.url(client, None)?;
                upload::single_request(client, url, &column.entity_set, document, options).await
            }
            FileUploadMode::Chunked if document.size() == Some(0) => {
                let url = column.url(client, None)?;
                upload::single_request(client, url, &column.entity_set, document, options).await
            }
            FileUploadMode::Chunked => {
                let url = column.url(client, None)?;
                upload::chunked(client, url, &column.entity_set, document, options).await
            }
            _ => {
                let target = column.target(client).await?;
                blocks::upload(client, target, &column.column, &document, &options).await
            }
        }
    }
}

impl<'c> IntoFuture for UploadFile<'c> {
    type Output = Result<UploadedFile>;
    type IntoFuture = BoxFuture<'c, Result<UploadedFile>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A pending [`Client::download_file`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct DownloadFile<'c> {
    client: &'c Client,
    column: ColumnRef,
    mode: FileDownloadMode,
    chunk_size: u64,
    image_size: Option<ImageSize>,
    options: RequestOptions,
}

impl<'c> DownloadFile<'c> {
    /// How to download (default [`FileDownloadMode::Ranges`]).
    pub fn mode(mut self, mode: FileDownloadMode) -> Self {
        self.mode = mode;
        self
    }

    /// Bytes asked for by the first range request (default 4 MiB); later ones use the size the
    /// server recommends (`x-ms-chunk-size`). With blocks, the size of every block.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    /// The table's logical name and primary key column, for the block messages.
    pub fn table(mut self, logical_name: &str, primary_id_attribute: &str) -> Self {
        self.column.table = Some((logical_name.to_owned(), primary_id_attribute.to_owned()));
        self
    }

    /// Options for every request of the download.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    async fn start(self) -> Result<Option<FileDownload>> {
        let DownloadFile { client, column, mode, chunk_size, image_size, options } = self;
        match mode {
            FileDownloadMode::Ranges => {
                let mut url = column.url(client, Some("$value"))?;
                if image_size == Some(ImageSize::Full) {
                    url.set_query(Some("size=full"));
                }
                ranges::download(client, url, chunk_size, options).await
            }
            _ => {
                if image_size == Some(ImageSize::Thumbnail) {
                    return Err(Error::InvalidRequest(
                        "the block messages always download the full-size image".to_owned(),
                    ));
                }
                let body = json!({
                    "Target": column.target(client).await?,
                    "FileAttributeName": column.column,
                });
                blocks::download(client, "InitializeFileBlocksDownload", &body, chunk_size, options)
                    .await
                    .map(Some)
            }
        }
    }

    /// Start the download: the first range (or the block session) is requested now, the rest
    /// as the stream is read.
    ///
    /// # Errors
    /// An [`Error`] from Dataverse (`404` for a missing row or an empty column) or the
    /// transport; [`Error::UnexpectedResponse`] when the column holds no file.
    pub async fn send(self) -> Result<FileDownload> {
        self.start().await?.ok_or_else(|| {
            Error::UnexpectedResponse("the column holds no file (204 No Content)".to_owned())
        })
    }
}

impl<'c> IntoFuture for DownloadFile<'c> {
    type Output = Result<FileDownload>;
    type IntoFuture = BoxFuture<'c, Result<FileDownload>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A pending [`Client::download_image`].
#[must_use = "a request does nothing until it is awaited"]
#[derive(Debug)]
pub struct DownloadImage<'c> {
    download: DownloadFile<'c>,
}

impl<'c> DownloadImage<'c> {
    /// How to download (default [`FileDownloadMode::Ranges`]; blocks always give the full-size
    /// image).
    pub fn mode(mut self, mode: FileDownloadMode) -> Self {
        self.download = self.download.mode(mode);
        self
    }

    /// Options for every request of the download.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.download = self.download.options(options);
        self
    }

    /// Start the download; `None` when the full-size image was asked for and there is none.
    ///
    /// # Errors
    /// As [`DownloadFile::send`].
    pub async fn send(self) -> Result<Option<FileDownload>> {
        self.download.start().await
    }
}

impl<'c> IntoFuture for DownloadImage<'c> {
    type Output = Result<Option<FileDownload>>;
    type IntoFuture = BoxFuture<'c, Result<Option<FileDownload>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

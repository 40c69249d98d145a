//! Records (`/records`): list, get, create, update, replace, delete, metadata, attachments, the
//! XLSX export, bulk signed-copy URLs and contract lifecycle actions.

mod actions;
mod download_urls;
mod ironclad_type;
mod metadata;
mod model;
mod query;
mod write;

use bytes::Bytes;
use http::Method;

pub use actions::{AppliedContractAction, ContractAction, ContractActionType};
pub use download_urls::{
    DownloadUrlsJob, DownloadUrlsStatus, MAX_DOWNLOAD_URL_RECORDS, SignedCopyUrl,
    SignedCopyUrlFailure,
};
pub use ironclad_type::{EnumOption, EnumType, IroncladType};
pub use metadata::{PropertyDefinition, RecordTypeDefinition, RecordsMetadata};
pub use model::{ContractState, ContractStatus, Record, RecordAttachment, RecordLink};
pub use query::{ListRecords, RecordSortField, RecordsExport, SortDirection};
pub use write::{AmendmentType, NewRecord, ParentLink, RecordPatch};

pub use crate::ids::RecordId;

use rest_client_core::Replay;

use crate::download::Download;
use crate::http::{ApiRequest, id_segment, segments};
use crate::paging::{Page, Paginated, checked_page_size};
use crate::upload::{attachment_form, metadata_json};
use crate::workflows::DEFAULT_PAGE_SIZE;
use crate::{Client, Error};
use download_urls::DownloadUrlsRequest;

/// The attachment key of a record's signed copy.
pub const SIGNED_COPY: &str = "signedCopy";

/// Record operations; get one with [`Client::records`].
#[derive(Clone, Copy, Debug)]
pub struct Records<'a> {
    client: &'a Client,
}

impl<'a> Records<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// All records matching `query`, as a lazy stream over pages.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::records::ListRecords;
    ///
    /// let mut records = client.records().list(ListRecords::new().types(["mSA"]).page_size(100));
    /// while let Some(record) = records.try_next().await? {
    ///     println!("{} {:?}", record.id, record.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self, query: ListRecords) -> Paginated<Record> {
        let client = self.client.clone();
        let page_size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        Paginated::new(query.start_page, page_size, move |page| {
            let client = client.clone();
            let query = query.clone();
            async move { client.records().list_page(&query, page).await }
        })
    }

    /// One page of `GET /records` (0-based).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::records::ListRecords;
    ///
    /// let page = client.records().list_page(&ListRecords::new(), 0).await?;
    /// # let _ = page; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a page size outside 1–100; the request's error.
    pub async fn list_page(&self, query: &ListRecords, page: u64) -> Result<Page<Record>, Error> {
        let request = ApiRequest::get(segments!["records"])
            .query("page", page)
            .query_opt("pageSize", checked_page_size(query.page_size)?)
            .query_opt("types", query.types_param())
            .query_opt("lastUpdated", query.last_updated_param())
            .query_opt("filter", query.filter.as_deref())
            .query_opt("sortField", query.sort_field.as_ref())
            .query_opt("sortDirection", query.sort_direction.as_ref())
            .query_opt("hydrateEntities", query.hydrate_entities)
            .query_opt("addressAsObject", query.address_as_object);
        self.client.execute_json(request, "page of records").await
    }

    /// A record by id (UUID) or readable id (`IC-31`).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let record = client.records().get("IC-31").await?;
    /// println!("{:?}", record.attachment("signedCopy").and_then(|a| a.filename.as_deref()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] 404 when there is no such record.
    pub async fn get(&self, record_id: impl Into<RecordId>) -> Result<Record, Error> {
        let request = ApiRequest::get(segments!["records", RecordId::segment(record_id)?]);
        self.client.execute_json(request, "record").await
    }

    /// Create a record.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::{records::NewRecord, values::RecordProperty};
    ///
    /// let record = client
    ///     .records()
    ///     .create(&NewRecord::new("mSA", "Acme MSA").property("counterpartyName", RecordProperty::string("Acme LLC")))
    ///     .await?;
    /// # let _ = record; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn create(&self, record: &NewRecord) -> Result<Record, Error> {
        let request = ApiRequest::new(Method::POST, segments!["records"]).json(record)?;
        self.client.execute_json(request, "record").await
    }

    /// Replace a record entirely (`PUT`).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::records::NewRecord;
    ///
    /// let record = client.records().replace("IC-31", &NewRecord::new("mSA", "Acme MSA (restated)")).await?;
    /// # let _ = record; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn replace(
        &self,
        record_id: impl Into<RecordId>,
        record: &NewRecord,
    ) -> Result<Record, Error> {
        let request =
            ApiRequest::new(Method::PUT, segments!["records", RecordId::segment(record_id)?])
                .json(record)?;
        self.client.execute_json(request, "record").await
    }

    /// Update parts of a record (`PATCH`).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::{records::RecordPatch, values::RecordProperty};
    ///
    /// let record = client
    ///     .records()
    ///     .update("IC-31", &RecordPatch::new().add_property("notes", RecordProperty::string("Renewed")))
    ///     .await?;
    /// # let _ = record; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty patch; the request's error.
    pub async fn update(
        &self,
        record_id: impl Into<RecordId>,
        patch: &RecordPatch,
    ) -> Result<Record, Error> {
        if patch.is_empty() {
            return Err(Error::InvalidRequest("the record patch holds no change".into()));
        }
        let request =
            ApiRequest::new(Method::PATCH, segments!["records", RecordId::segment(record_id)?])
                .json(patch)?;
        self.client.execute_json(request, "record").await
    }

    /// Delete a record.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.records().delete("IC-31").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn delete(&self, record_id: impl Into<RecordId>) -> Result<(), Error> {
        let request =
            ApiRequest::new(Method::DELETE, segments!["records", RecordId::segment(record_id)?]);
        self.client.execute_unit(request).await
    }

    /// The repository's property and record-type definitions.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let metadata = client.records().metadata().await?;
    /// for (key, property) in &metadata.properties {
    ///     println!("{key}: {}", property.property_type);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn metadata(&self) -> Result<RecordsMetadata, Error> {
        self.client
            .execute_json(ApiRequest::get(segments!["records", "metadata"]), "records metadata")
            .await
    }

    /// Stream attachment `key` of `record`, named from the record's attachment metadata.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::records::SIGNED_COPY;
    ///
    /// let record = client.records().get("IC-31").await?;
    /// let download = client.records().download_attachment(&record, SIGNED_COPY).await?;
    /// println!("{:?}", download.file_name());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error ([`Error::Api`] 404 when there is no such attachment).
    pub async fn download_attachment(&self, record: &Record, key: &str) -> Result<Download, Error> {
        let file_name = record.attachment(key).and_then(|a| a.filename.clone());
        self.download(&record.id, key, file_name).await
    }

    /// Stream attachment `key` of a record by its id; the file name comes from
    /// `Content-Disposition` when sent.
    ///
    /// Unlike most record endpoints, this one takes the record's UUID only, not its readable
    /// `IC-31` id: resolve a readable id with [`Records::get`] first (or use
    /// [`Records::download_attachment`] with the record).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let download = client
    ///     .records()
    ///     .download_attachment_by_key("1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51", "signedCopy")
    ///     .await?;
    /// # let _ = download; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn download_attachment_by_key(
        &self,
        record_id: impl Into<RecordId>,
        key: &str,
    ) -> Result<Download, Error> {
        self.download(&record_id.into(), key, None).await
    }

    async fn download(
        &self,
        record_id: &RecordId,
        key: &str,
        file_name: Option<String>,
    ) -> Result<Download, Error> {
        let request = ApiRequest::get(segments![
            "records",
            id_segment("record id", record_id)?,
            "attachments",
            id_segment("attachment key", key)?
        ]);
        self.client.execute_download(request, file_name).await
    }

    /// Upload attachment `key` (`multipart/form-data`: `attachment` plus `metadata` with the file
    /// name). Ironclad accepts `.doc`, `.docx` and `.pdf`.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let pdf = std::fs::read("NDA.pdf").map_err(|e| ironclad_client::Error::Io { context: "reading".into(), source: e })?;
    /// client.records().upload_attachment("IC-31", "signedCopy", "NDA.pdf", pdf).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty file name; the request's error.
    pub async fn upload_attachment(
        &self,
        record_id: impl Into<RecordId>,
        key: &str,
        file_name: &str,
        content: impl Into<Bytes>,
    ) -> Result<(), Error> {
        if file_name.trim().is_empty() {
            return Err(Error::InvalidRequest("the attachment needs a file name".into()));
        }
        let metadata = metadata_json(&serde_json::json!({ "filename": file_name }))?;
        let form = attachment_form(file_name, content.into(), Some(metadata))?;
        let request = ApiRequest::new(
            Method::POST,
            segments![
                "records",
                RecordId::segment(record_id)?,
                "attachments",
                id_segment("attachment key", key)?
            ],
        )
        .multipart(form);
        self.client.execute_unit(request).await
    }

    /// Delete attachment `key`.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.records().delete_attachment("IC-31", "signedCopy").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn delete_attachment(
        &self,
        record_id: impl Into<RecordId>,
        key: &str,
    ) -> Result<(), Error> {
        let request = ApiRequest::new(
            Method::DELETE,
            segments![
                "records",
                RecordId::segment(record_id)?,
                "attachments",
                id_segment("attachment key", key)?
            ],
        );
        self.client.execute_unit(request).await
    }

    /// Export records as an XLSX report, streamed
    /// ([reference](https://developer.ironcladapp.com/reference/retrieve-xlsx-export-file-of-all-records)).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::records::RecordsExport;
    ///
    /// let export = RecordsExport::new().types(["mSA", "mutualNDA"]).properties(["counterpartyName", "agreementDate"]);
    /// client.records().export(&export).await?.save_to("records.xlsx").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn export(&self, export: &RecordsExport) -> Result<Download, Error> {
        let request = ApiRequest::get(segments!["records", "export"])
            .query_opt("types", export.types_param())
            .query_opt("properties", export.properties_param());
        self.client.execute_download(request, None).await
    }

    /// Start a job that generates signed download URLs for the latest signed copy of up to
    /// [`MAX_DOWNLOAD_URL_RECORDS`] records (ids or readable ids). The job only reads, so the
    /// request is replayed after transient failures (a duplicate job is harmless).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let mut job = client.records().request_signed_copy_urls(["IC-31", "IC-32"]).await?;
    /// while job.is_processing() {
    ///     tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    ///     job = client.records().signed_copy_urls(job.job_id.as_deref().unwrap_or_default()).await?;
    /// }
    /// for url in &job.succeeded {
    ///     println!("{:?} until {:?}", url.filename, url.expiration);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for no records, more than 100 or an empty id (before
    /// sending); the request's error.
    pub async fn request_signed_copy_urls<I>(&self, record_ids: I) -> Result<DownloadUrlsJob, Error>
    where
        I: IntoIterator,
        I::Item: Into<RecordId>,
    {
        let identifiers: Vec<RecordId> = record_ids.into_iter().map(Into::into).collect();
        if identifiers.is_empty() || identifiers.len() > MAX_DOWNLOAD_URL_RECORDS {
            return Err(Error::InvalidRequest(format!(
                "a download-URLs job takes 1 to {MAX_DOWNLOAD_URL_RECORDS} records, not {}",
                identifiers.len()
            )));
        }
        if identifiers.iter().any(|id| id.trim().is_empty()) {
            return Err(Error::InvalidRequest("a record id is empty".into()));
        }
        let body = DownloadUrlsRequest { identifiers, kind: "latestSignedCopy" };
        let request =
            ApiRequest::new(Method::POST, segments!["records", "attachments", "download-urls"])
                .json(&body)?
                .replay(Replay::Safe);
        self.client.execute_json_withheld(request, "download-URLs job").await
    }

    /// Where a download-URLs job is, and its URLs once complete.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let job = client.records().signed_copy_urls("7d1e8c2a-5b3f-4e6d-9a8b-0c1d2e3f4a5b").await?;
    /// # let _ = job; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty job id; the request's error.
    pub async fn signed_copy_urls(&self, job_id: &str) -> Result<DownloadUrlsJob, Error> {
        let request = ApiRequest::get(segments![
            "records",
            "attachments",
            "download-urls",
            id_segment("job id", job_id)?
        ]);
        self.client.execute_json_withheld(request, "download-URLs job").await
    }

    /// Run a lifecycle action (activate, terminate, extend, …) on a contract record. Not
    /// replayed after a lost answer: extending twice would extend twice.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::records::ContractAction;
    ///
    /// client.records().run_action("IC-31", &ContractAction::cancel_auto_renewal()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] `MISSING_PARAM`/`INVALID_PARAM`/`INVALID_STATE` (with `param`) when the
    /// action does not fit the contract.
    pub async fn run_action(
        &self,
        record_id: impl Into<RecordId>,
        action: &ContractAction,
    ) -> Result<AppliedContractAction, Error> {
        let request = ApiRequest::new(
            Method::POST,
            segments!["records", RecordId::segment(record_id)?, "actions"],
        )
        .json(action)?;
        self.client.execute_json(request, "contract action").await
    }
}

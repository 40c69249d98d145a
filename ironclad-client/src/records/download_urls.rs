//! Signed download URLs for records' latest signed copies, in bulk:
//! `POST /records/attachments/download-urls` starts a job, `GET …/download-urls/{jobId}` reports
//! it ([reference](https://developer.ironcladapp.com/reference/create-attachment-download-urls)).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::RecordId;
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};
use crate::string_enum::string_enum;

/// The most records one job takes.
pub const MAX_DOWNLOAD_URL_RECORDS: usize = 100;

string_enum! {
    /// Where a download-URLs job is.
    pub enum DownloadUrlsStatus {
        /// Still generating; ask again.
        Processing = "processing",
        /// Done: see `succeeded` and `failed`.
        Complete = "complete",
        /// The job failed as a whole.
        Failed = "failed",
    }
}

/// A download-URLs job and, once complete, its results.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DownloadUrlsJob {
    /// The job id, to ask again with.
    #[serde(default, deserialize_with = "lenient")]
    pub job_id: Option<String>,
    /// Where the job is.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<DownloadUrlsStatus>,
    /// The URLs generated (when complete).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub succeeded: Vec<SignedCopyUrl>,
    /// The records without a URL, and why (when complete).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub failed: Vec<SignedCopyUrlFailure>,
}

impl DownloadUrlsJob {
    /// Whether the job is still generating.
    pub fn is_processing(&self) -> bool {
        matches!(self.status, Some(DownloadUrlsStatus::Processing))
    }
}

/// A signed, expiring URL for one record's latest signed copy. Its `Debug` output hides the
/// URL's query, which is the credential.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignedCopyUrl {
    /// The id the request named the record by (UUID or `IC-123`).
    #[serde(default, deserialize_with = "lenient")]
    pub identifier: Option<String>,
    /// The readable id.
    #[serde(default, deserialize_with = "lenient")]
    pub ironclad_id: Option<String>,
    /// The record id.
    #[serde(default, deserialize_with = "lenient")]
    pub record_id: Option<RecordId>,
    /// The signed URL: anyone holding it can download the file until `expiration`.
    #[serde(default, deserialize_with = "lenient")]
    pub download_url: Option<String>,
    /// The file name.
    #[serde(default, deserialize_with = "lenient")]
    pub filename: Option<String>,
    /// The attachment key (`signedCopy[1]`).
    #[serde(default, deserialize_with = "lenient")]
    pub file_key: Option<String>,
    /// The attachment id.
    #[serde(default, deserialize_with = "lenient")]
    pub file_id: Option<String>,
    /// The file's hash.
    #[serde(default, deserialize_with = "lenient")]
    pub file_hash: Option<String>,
    /// When the URL stops working.
    #[serde(default, with = "timestamp_opt")]
    pub expiration: Option<OffsetDateTime>,
}

impl fmt::Debug for SignedCopyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.download_url.as_deref().map(|url| match url.split_once('?') {
            Some((base, _)) => format!("{base}?[redacted]"),
            None => url.to_owned(),
        });
        f.debug_struct("SignedCopyUrl")
            .field("identifier", &self.identifier)
            .field("ironclad_id", &self.ironclad_id)
            .field("record_id", &self.record_id)
            .field("download_url", &url)
            .field("filename", &self.filename)
            .field("file_key", &self.file_key)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// A record the job could not give a URL for.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignedCopyUrlFailure {
    /// The id the request named the record by.
    #[serde(default, deserialize_with = "lenient")]
    pub identifier: Option<String>,
    /// The readable id, if resolved.
    #[serde(default, deserialize_with = "lenient")]
    pub ironclad_id: Option<String>,
    /// The record id, if resolved.
    #[serde(default, deserialize_with = "lenient")]
    pub record_id: Option<RecordId>,
    /// `RECORD_NOT_FOUND`, `ACCESS_DENIED`, `NO_ATTACHMENT_FOUND`, `INTERNAL_ERROR`.
    #[serde(default, deserialize_with = "lenient")]
    pub error_code: Option<String>,
    /// Why.
    #[serde(default, deserialize_with = "lenient")]
    pub error_message: Option<String>,
}

#[derive(Serialize)]
pub(super) struct DownloadUrlsRequest {
    pub(super) identifiers: Vec<RecordId>,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

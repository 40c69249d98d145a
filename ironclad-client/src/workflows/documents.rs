//! Workflow documents: `GET /workflows/{id}/documents` and streamed downloads.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Workflows;
use crate::Error;
use crate::download::Download;
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};

/// A document of a workflow (a version of `draft`, a signed copy, an attachment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowDocument {
    /// The document key, used to download it.
    #[serde(default, deserialize_with = "lenient")]
    pub key: Option<String>,
    /// The file name, e.g. `MSA - Acme.docx`.
    #[serde(default, deserialize_with = "lenient")]
    pub filename: Option<String>,
    /// The version id.
    #[serde(default, deserialize_with = "lenient")]
    pub version: Option<String>,
    /// The version number.
    #[serde(default, deserialize_with = "lenient")]
    pub version_number: Option<u32>,
    /// The download path (without host):
    /// `/public/api/v1/workflows/<id>/document/<key>/download`.
    #[serde(default, deserialize_with = "lenient")]
    pub download: Option<String>,
    /// The last change.
    #[serde(default, deserialize_with = "lenient")]
    pub last_modified: Option<DocumentModification>,
}

/// When and by whom a document was last changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DocumentModification {
    /// When.
    #[serde(default, with = "timestamp_opt")]
    pub timestamp: Option<OffsetDateTime>,
    /// By whom.
    #[serde(default, deserialize_with = "lenient")]
    pub author: Option<DocumentAuthor>,
}

/// The author of a document change (`internalUser`, `externalUser`, `integration`, `system`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DocumentAuthor {
    /// The author type.
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub author_type: Option<String>,
    /// The display name.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// The email.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// The user id.
    #[serde(default, deserialize_with = "lenient")]
    pub user_id: Option<String>,
    /// The company.
    #[serde(default, deserialize_with = "lenient")]
    pub company_name: Option<String>,
}

/// `GET /workflows/{id}/documents`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowDocuments {
    /// Documents in the signature packet.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub signature_packet_documents: Vec<WorkflowDocument>,
    /// Documents left out of the signature packet.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub excluded_from_signature_packet_documents: Vec<WorkflowDocument>,
}

impl WorkflowDocuments {
    /// All documents, packet first.
    pub fn all(&self) -> impl Iterator<Item = &WorkflowDocument> {
        self.signature_packet_documents.iter().chain(&self.excluded_from_signature_packet_documents)
    }
}

impl Workflows<'_> {
    /// The documents of a workflow.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let documents = client.workflows().documents("6a6b328004308879e7d439b6").await?;
    /// for document in documents.all() {
    ///     println!("{:?} ({:?})", document.filename, document.key);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn documents(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Result<WorkflowDocuments, Error> {
        let id = WorkflowId::segment(workflow_id)?;
        self.client
            .execute_json(
                ApiRequest::get(segments!["workflows", id, "documents"]),
                "workflow documents",
            )
            .await
    }

    /// Download `document` as a stream; the file name comes from its metadata (Ironclad's
    /// `Content-Disposition` carries none).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let workflow = client.workflows().get("IC-123").await?;
    /// if let Some(document) = workflow.attributes.documents("signed").and_then(|d| d.into_iter().next()) {
    ///     let download = client.workflows().download_document(&workflow.id, &document).await?;
    ///     let file_name = download.sanitized_file_name().unwrap_or_else(|| "contract.pdf".into());
    ///     download.save_to(file_name).await?;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the document has no key; the request's error.
    pub async fn download_document(
        &self,
        workflow_id: impl Into<WorkflowId>,
        document: &WorkflowDocument,
    ) -> Result<Download, Error> {
        let key = document.key.as_deref().ok_or_else(|| {
            Error::InvalidRequest("the document has no key to download it by".into())
        })?;
        self.download(&workflow_id.into(), key, document.filename.clone()).await
    }

    /// Download a document by key (`GET /workflows/{id}/document/{key}/download`); the file
    /// name is taken from `Content-Disposition` when present.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let download = client.workflows().download_document_by_key("6a6b328004308879e7d439b6", "F7IYVm-59VHKoqCLLuiFd").await?;
    /// let bytes = download.bytes().await?;
    /// # let _ = bytes; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn download_document_by_key(
        &self,
        workflow_id: impl Into<WorkflowId>,
        key: &str,
    ) -> Result<Download, Error> {
        self.download(&workflow_id.into(), key, None).await
    }

    async fn download(
        &self,
        workflow_id: &WorkflowId,
        key: &str,
        file_name: Option<String>,
    ) -> Result<Download, Error> {
        let request = ApiRequest::get(segments![
            "workflows",
            id_segment("workflow id", workflow_id)?,
            "document",
            id_segment("document key", key)?,
            "download"
        ])
        .download();
        let response = self.client.execute(request).await?;
        Ok(Download::new(response, file_name, self.client.inner.timeout))
    }
}

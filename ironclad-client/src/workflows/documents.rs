//! Workflow documents: `GET /workflows/{id}/documents`, streamed downloads, uploads
//! (`POST /workflows/{id}/documents/{attributeId}`) and the signature packet
//! (`PATCH /workflows/{id}/signature-packet`).

use bytes::Bytes;
use rest_client_core::Replay;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{LifecycleComment, Workflows};
use crate::Error;
use crate::download::Download;
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};
use crate::upload::{attachment_form, metadata_json};

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

/// A file to add to a workflow's document attribute (`draft`, a file field, …), with the
/// comment Ironclad requires
/// ([reference](https://developer.ironcladapp.com/reference/create-a-workflow-document)).
///
/// The `metadata` part is `{"comment": {"message": …, "addUsersToWorkflow"?: …}, "key"?: …}`;
/// `key` names an existing draft document to add a new version to (versions exist only for
/// drafts; otherwise the file is appended to the attribute).
///
/// ```
/// use ironclad_client::workflows::DocumentUpload;
///
/// let upload = DocumentUpload::new("MSA - Acme v2.docx", b"PK...".to_vec(), "Acme's redline accepted")
///     .new_version_of("F7IYVm-59VHKoqCLLuiFd");
/// # let _ = upload;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct DocumentUpload {
    file_name: String,
    content: Bytes,
    metadata: DocumentMetadata,
}

#[derive(Clone, Debug, Serialize)]
struct DocumentMetadata {
    comment: LifecycleComment,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

impl DocumentUpload {
    /// Upload `content` as `file_name` (`.pdf`, `.doc` or `.docx`), commenting `comment`.
    pub fn new(
        file_name: impl Into<String>,
        content: impl Into<Bytes>,
        comment: impl Into<LifecycleComment>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            content: content.into(),
            metadata: DocumentMetadata { comment: comment.into(), key: None },
        }
    }

    /// Add the file as a new version of the draft document with this key.
    pub fn new_version_of(mut self, document_key: impl Into<String>) -> Self {
        self.metadata.key = Some(document_key.into());
        self
    }
}

/// The body of `PATCH /workflows/{id}/signature-packet`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignaturePacketBody<'a> {
    signature_packet_document_keys: &'a [String],
}

impl Workflows<'_> {
    /// Add a file to document attribute `attribute_id` (`draft`, `myFileField`, …) of a workflow,
    /// as `multipart/form-data` (`attachment` and `metadata` parts). The workflow is named by its
    /// id (not its `IC-123` readable id). Not replayed after a lost answer: a second upload
    /// would add the file twice. For a signed copy use [`Workflows::upload_signed`].
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::DocumentUpload;
    ///
    /// let docx = std::fs::read("MSA - Acme.docx").map_err(|e| ironclad_client::Error::Io { context: "reading".into(), source: e })?;
    /// client
    ///     .workflows()
    ///     .upload_document("6a6b4091ef38863a01482499", "draft", &DocumentUpload::new("MSA - Acme.docx", docx, "Counterparty paper"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty file name or comment (before sending); the
    /// request's error.
    pub async fn upload_document(
        &self,
        workflow_id: impl Into<WorkflowId>,
        attribute_id: &str,
        upload: &DocumentUpload,
    ) -> Result<(), Error> {
        if upload.metadata.comment.is_blank() {
            return Err(Error::InvalidRequest(
                "Ironclad requires a comment to add a document".into(),
            ));
        }
        let form = attachment_form(
            &upload.file_name,
            upload.content.clone(),
            Some(metadata_json(&upload.metadata)?),
        )?;
        let request = ApiRequest::new(
            http::Method::POST,
            segments![
                "workflows",
                WorkflowId::segment(workflow_id)?,
                "documents",
                id_segment("attribute id", attribute_id)?
            ],
        )
        .multipart(form);
        self.client.execute_unit(request).await
    }

    /// Set which documents form the signature packet, in order: documents listed move in,
    /// others move out ([reference](https://developer.ironcladapp.com/reference/update-workflow-signature-packet)).
    /// The workflow must be in Review; only `.doc`, `.docx` and `.pdf` documents qualify. Setting
    /// the same order twice has the same effect, so it is replayed after transient failures.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let documents = client
    ///     .workflows()
    ///     .set_signature_packet("6a6b4091ef38863a01482499", &["rJklwCHQ".to_owned(), "XZ9j0cHGA".to_owned()])
    ///     .await?;
    /// assert_eq!(documents.signature_packet_documents.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty or blank key (before sending); [`Error::Api`] when
    /// the workflow is not in Review or a key is not an editable document.
    pub async fn set_signature_packet(
        &self,
        workflow_id: impl Into<WorkflowId>,
        document_keys: &[String],
    ) -> Result<WorkflowDocuments, Error> {
        if document_keys.iter().any(|key| key.trim().is_empty()) {
            return Err(Error::InvalidRequest("a signature packet document key is empty".into()));
        }
        let request = ApiRequest::new(
            http::Method::PATCH,
            segments!["workflows", WorkflowId::segment(workflow_id)?, "signature-packet"],
        )
        .json(&SignaturePacketBody { signature_packet_document_keys: document_keys })?
        .replay(Replay::Safe);
        self.client.execute_json(request, "workflow documents").await
    }

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
        ]);
        self.client.execute_download(request, file_name).await
    }
}

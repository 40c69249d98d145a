//! Email communications of a workflow: `GET /workflows/{id}/emails`, one thread, and an
//! attachment's bytes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{DocumentAuthor, Workflows};
use crate::Error;
use crate::download::Download;
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::paging::Paginated;
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};
use crate::string_enum::string_enum;

string_enum! {
    /// Whether an email came into the workflow or was sent from it.
    pub enum EmailDirection {
        /// Received (a reply from the counterparty, …).
        Inbound = "inboundEmail",
        /// Sent from Ironclad.
        Outbound = "outboundEmail",
    }
}

/// An email on a workflow's activity feed, inbound or outbound
/// ([reference](https://developer.ironcladapp.com/reference/retrieve-email-threads-from-workflow)).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowEmail {
    /// Inbound or outbound (`type`).
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub direction: Option<EmailDirection>,
    /// The activity feed item's id.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    /// The thread's id (inbound emails), used to read the thread and its attachments.
    #[serde(default, deserialize_with = "lenient")]
    pub email_thread_id: Option<String>,
    /// When.
    #[serde(default, with = "timestamp_opt")]
    pub timestamp: Option<OffsetDateTime>,
    /// Who sent it.
    #[serde(default, deserialize_with = "lenient")]
    pub author: Option<DocumentAuthor>,
    /// The subject line.
    #[serde(default, deserialize_with = "lenient")]
    pub subject: Option<String>,
    /// The body (may hold control characters).
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    /// The attachments.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub attachments: Vec<EmailAttachment>,
    /// The recipients (outbound emails).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub recipients: Vec<String>,
    /// The CC addresses (outbound emails).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub cc: Vec<String>,
    /// Whether and when each recipient opened it (outbound emails).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub email_opened_timestamps: Vec<EmailOpened>,
}

/// An attachment of a [`WorkflowEmail`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EmailAttachment {
    /// The file name.
    #[serde(default, deserialize_with = "lenient")]
    pub filename: Option<String>,
    /// The download path (without host): an inbound attachment's is
    /// `/public/api/v1/workflows/<id>/emails/<thread>/attachments/<attachmentId>`, an outbound
    /// one's is the workflow document's download path.
    #[serde(default, deserialize_with = "lenient")]
    pub download: Option<String>,
    /// The media type.
    #[serde(default, rename = "content-type", deserialize_with = "lenient")]
    pub content_type: Option<String>,
    /// The workflow document it became (or came from), if any.
    #[serde(default, deserialize_with = "lenient")]
    pub document_key: Option<String>,
    /// That document's version.
    #[serde(default, deserialize_with = "lenient")]
    pub document_version: Option<u32>,
}

impl EmailAttachment {
    /// The attachment id of an inbound email's attachment, taken from its download path
    /// (`…/emails/<thread>/attachments/<id>`; the singular `…/attachment/<id>` that Ironclad's
    /// [reference](https://developer.ironcladapp.com/reference/retrieve-attachment-from-email-thread)
    /// describes is read too).
    ///
    /// ```
    /// # use ironclad_client::workflows::EmailAttachment;
    /// let attachment: EmailAttachment = serde_json::from_str(
    ///     r#"{"filename":"redline.pdf","download":"/public/api/v1/workflows/w1/emails/t1/attachments/att9"}"#,
    /// )?;
    /// assert_eq!(attachment.attachment_id(), Some("att9"));
    /// let singular: EmailAttachment = serde_json::from_str(
    ///     r#"{"download":"/public/api/v1/workflows/w1/emails/t1/attachment/att9"}"#,
    /// )?;
    /// assert_eq!(singular.attachment_id(), Some("att9"));
    /// let document: EmailAttachment =
    ///     serde_json::from_str(r#"{"download":"/public/api/v1/workflows/w1/document/k1/download"}"#)?;
    /// assert_eq!(document.attachment_id(), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn attachment_id(&self) -> Option<&str> {
        let path = self.download.as_deref()?;
        let (before, id) = path.trim_end_matches('/').rsplit_once('/')?;
        let listed = before.ends_with("/attachments") || before.ends_with("/attachment");
        (listed && before.contains("/emails/") && !id.is_empty()).then_some(id)
    }
}

/// Whether a recipient opened an outbound email.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EmailOpened {
    /// The recipient.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// Whether it was opened.
    #[serde(default, deserialize_with = "lenient")]
    pub opened: Option<bool>,
    /// When.
    #[serde(default, with = "timestamp_opt")]
    pub timestamp: Option<OffsetDateTime>,
}

impl Workflows<'_> {
    /// The emails of a workflow (paged).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let emails = client.workflows().emails("6a6b4091ef38863a01482499").collect_all().await?;
    /// for email in &emails {
    ///     println!("{:?} {:?}", email.direction, email.subject);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn emails(&self, workflow_id: impl Into<WorkflowId>) -> Paginated<WorkflowEmail> {
        self.paged(workflow_id.into(), "emails", Vec::new(), "page of emails")
    }

    /// One email thread of a workflow
    /// ([reference](https://developer.ironcladapp.com/reference/retrieve-email-thread-from-workflow)).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let email = client.workflows().email_thread("6a6b4091ef38863a01482499", "emailThread498b9193").await?;
    /// # let _ = email; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] 404 when the workflow or thread does not exist.
    pub async fn email_thread(
        &self,
        workflow_id: impl Into<WorkflowId>,
        email_thread_id: &str,
    ) -> Result<WorkflowEmail, Error> {
        let request = ApiRequest::get(segments![
            "workflows",
            WorkflowId::segment(workflow_id)?,
            "emails",
            id_segment("email thread id", email_thread_id)?
        ]);
        self.client.execute_json(request, "email thread").await
    }

    /// Stream an attachment of an email thread
    /// ([reference](https://developer.ironcladapp.com/reference/retrieve-attachment-from-email-thread));
    /// [`EmailAttachment::attachment_id`] gives the id.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let workflow = "6a6b4091ef38863a01482499";
    /// for email in client.workflows().emails(workflow).collect_all().await? {
    ///     let Some(thread) = email.email_thread_id.as_deref() else { continue };
    ///     for attachment in &email.attachments {
    ///         if let Some(id) = attachment.attachment_id() {
    ///             let download = client.workflows().download_email_attachment(workflow, thread, id).await?;
    ///             let bytes = download.bytes().await?;
    ///             # let _ = bytes;
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] 404 when the workflow, thread or attachment does not exist.
    pub async fn download_email_attachment(
        &self,
        workflow_id: impl Into<WorkflowId>,
        email_thread_id: &str,
        attachment_id: &str,
    ) -> Result<Download, Error> {
        let request = ApiRequest::get(segments![
            "workflows",
            WorkflowId::segment(workflow_id)?,
            "emails",
            id_segment("email thread id", email_thread_id)?,
            "attachments",
            id_segment("attachment id", attachment_id)?
        ]);
        self.client.execute_download(request, None).await
    }
}

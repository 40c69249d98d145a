//! Sign-step actions: send, cancel and schedule the signature request, change, remove and remind
//! signers, recipient URLs (Ironclad Signature), and signed-copy uploads.

use bytes::Bytes;
use http::Method;
use rest_client_core::Replay;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{SignStatus, SignStatusSigner, Signer, WorkflowDocument, Workflows};
use crate::Error;
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};
use crate::upload::{attachment_form, metadata_json};

/// When a signature request goes out, and an optional reminder to the signature coordinator
/// (`POST`/`PATCH /workflows/{id}/sign-status/scheduled-send`; see the
/// [reference](https://developer.ironcladapp.com/reference/schedule-send-signature-request)).
///
/// ```
/// use ironclad_client::workflows::ScheduledSend;
/// use time::macros::datetime;
///
/// let schedule = ScheduledSend::at(datetime!(2026-09-01 12:00 UTC)).remind_days_before(2)?;
/// assert_eq!(
///     serde_json::to_string(&schedule)?,
///     r#"{"notifyAt":"2026-09-01T12:00:00Z","reminder":{"daysBefore":2}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct ScheduledSend {
    #[serde(with = "time::serde::rfc3339")]
    notify_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    reminder: Option<Reminder>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Reminder {
    days_before: u8,
}

impl Reminder {
    fn checked(days_before: u8) -> Result<Self, Error> {
        if (1..=7).contains(&days_before) {
            Ok(Reminder { days_before })
        } else {
            Err(Error::InvalidRequest(format!(
                "a reminder is sent 1 to 7 days before the scheduled send, not {days_before}"
            )))
        }
    }
}

impl ScheduledSend {
    /// Send the signature request at `notify_at`.
    pub fn at(notify_at: OffsetDateTime) -> Self {
        Self { notify_at, reminder: None }
    }

    /// Email the signature coordinator `days` (1–7) days before.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] outside 1–7.
    pub fn remind_days_before(mut self, days: u8) -> Result<Self, Error> {
        self.reminder = Some(Reminder::checked(days)?);
        Ok(self)
    }
}

/// Changes to a scheduled signature request (`PATCH …/sign-status/scheduled-send`): a field not
/// set is left as it is.
///
/// ```
/// use ironclad_client::workflows::ScheduledSendUpdate;
///
/// assert_eq!(serde_json::to_string(&ScheduledSendUpdate::new().remove_reminder())?, r#"{"reminder":null}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct ScheduledSendUpdate {
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    notify_at: Option<OffsetDateTime>,
    // `None`: unchanged; `Some(None)`: removed (`null`); `Some(Some(_))`: set.
    #[serde(skip_serializing_if = "Option::is_none")]
    reminder: Option<Option<Reminder>>,
}

impl ScheduledSendUpdate {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move the send time.
    pub fn notify_at(mut self, notify_at: OffsetDateTime) -> Self {
        self.notify_at = Some(notify_at);
        self
    }

    /// Add or change the reminder, `days` (1–7) days before.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] outside 1–7.
    pub fn remind_days_before(mut self, days: u8) -> Result<Self, Error> {
        self.reminder = Some(Some(Reminder::checked(days)?));
        Ok(self)
    }

    /// Remove the reminder.
    pub fn remove_reminder(mut self) -> Self {
        self.reminder = Some(None);
        self
    }

    fn is_empty(&self) -> bool {
        self.notify_at.is_none() && self.reminder.is_none()
    }
}

/// Who takes over a signer role (`PATCH …/sign-status/signers/{roleName}`), with the reason
/// Ironclad requires ([reference](https://developer.ironcladapp.com/reference/update-signer)).
///
/// ```
/// use ironclad_client::workflows::SignerAssignment;
///
/// let external = SignerAssignment::external("New counterparty signer", "Jane Doe", "jane@acme.example");
/// assert_eq!(
///     serde_json::to_string(&external)?,
///     r#"{"reason":"New counterparty signer","assigned":{"type":"external","email":"jane@acme.example","name":"Jane Doe"}}"#
/// );
/// let internal = SignerAssignment::internal("Legal signs instead", "63d415e0dd0d828c3a878548");
/// assert_eq!(
///     serde_json::to_string(&internal)?,
///     r#"{"reason":"Legal signs instead","assigned":{"type":"internal","userId":"63d415e0dd0d828c3a878548"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use]
pub struct SignerAssignment {
    reason: String,
    assigned: AssignedSigner,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum AssignedSigner {
    Internal {
        #[serde(rename = "userId")]
        user_id: String,
    },
    External {
        email: String,
        name: String,
    },
}

impl SignerAssignment {
    /// An Ironclad user of the workflow's company signs.
    pub fn internal(reason: impl Into<String>, user_id: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            assigned: AssignedSigner::Internal { user_id: user_id.into() },
        }
    }

    /// An external signer, or a new name or email for the external signer.
    pub fn external(
        reason: impl Into<String>,
        name: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        Self {
            reason: reason.into(),
            assigned: AssignedSigner::External { email: email.into(), name: name.into() },
        }
    }
}

/// Who a recipient URL is for (`POST …/signatures/recipient-urls`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Recipient {
    /// The signer of this role (`Counterparty Signer`, …).
    Signer {
        /// The role name, as listed by [`Workflows::signatures`].
        #[serde(rename = "roleName")]
        role_name: String,
    },
    /// A CC recipient who views the request.
    Viewer {
        /// The recipient's email.
        email: String,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddedRecipient<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    role_name: &'a str,
    frame_ancestor: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_multiple_usages: bool,
}

#[derive(Serialize)]
struct CancelBody<'a> {
    reason: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedMetadata<'a> {
    signer_role_names: &'a [String],
}

#[derive(Deserialize)]
struct RecipientUrl {
    url: String,
}

/// The answer to [`Workflows::upload_signed`]: the signed copy, or (when some signers have not
/// signed yet) the partially signed copy and the signers' status.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignedUpload {
    /// The workflow id.
    #[serde(default, deserialize_with = "lenient")]
    pub workflow_id: Option<WorkflowId>,
    /// The workflow title.
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// The fully signed copy.
    #[serde(default, deserialize_with = "lenient")]
    pub signed: Option<WorkflowDocument>,
    /// The partially signed copy.
    #[serde(default, deserialize_with = "lenient")]
    pub partially_signed: Option<WorkflowDocument>,
    /// The signers and their status (partial uploads).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub signers: Vec<Signer>,
}

/// When a scheduled signature request goes out ([`SignStatus::scheduled_send`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScheduledSendStatus {
    /// When the request is sent.
    #[serde(default, with = "timestamp_opt")]
    pub notify_at: Option<OffsetDateTime>,
    /// The reminder to the signature coordinator, if any.
    #[serde(default, deserialize_with = "lenient")]
    pub reminder: Option<ReminderStatus>,
}

/// A scheduled send's reminder.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReminderStatus {
    /// Days before the send.
    #[serde(default, deserialize_with = "lenient")]
    pub days_before: Option<u8>,
    /// When the reminder is sent.
    #[serde(default, with = "timestamp_opt")]
    pub reminder_date: Option<OffsetDateTime>,
}

impl Workflows<'_> {
    fn sign_status_path(
        workflow_id: impl Into<WorkflowId>,
        rest: &[&str],
    ) -> Result<Vec<String>, Error> {
        let mut path = segments!["workflows", WorkflowId::segment(workflow_id)?, "sign-status"];
        path.extend(rest.iter().map(|segment| (*segment).to_owned()));
        Ok(path)
    }

    /// Send the signature packet out for signature (every signer needs a signature tag).
    /// Not replayed after a lost answer.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let status = client.workflows().send_signature_request("6a6b328004308879e7d439b6").await?;
    /// println!("{:?}", status.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] `INVALID_STATE` when the workflow is not in the Sign step.
    pub async fn send_signature_request(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Result<SignStatus, Error> {
        let path = Self::sign_status_path(workflow_id, &["send-signature-request"])?;
        self.client.execute_json(ApiRequest::new(Method::POST, path), "sign status").await
    }

    /// Cancel a signature request that is out for signature, with the reason Ironclad requires.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().cancel_signature_request("6a6b328004308879e7d439b6", "Need to make changes").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty reason (before sending); the request's error.
    pub async fn cancel_signature_request(
        &self,
        workflow_id: impl Into<WorkflowId>,
        reason: &str,
    ) -> Result<SignStatus, Error> {
        if reason.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "Ironclad requires a reason to cancel a signature request".into(),
            ));
        }
        let path = Self::sign_status_path(workflow_id, &["cancel-signature-request"])?;
        let request = ApiRequest::new(Method::POST, path).json(&CancelBody { reason })?;
        self.client.execute_json(request, "sign status").await
    }

    /// Schedule the signature request (Sign step, not yet sent).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use ironclad_client::workflows::ScheduledSend;
    /// use time::macros::datetime;
    ///
    /// let schedule = ScheduledSend::at(datetime!(2026-09-01 12:00 UTC)).remind_days_before(1)?;
    /// client.workflows().schedule_signature_request("6a6b328004308879e7d439b6", &schedule).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] `INVALID_STATE` when the workflow is not in the Sign step.
    pub async fn schedule_signature_request(
        &self,
        workflow_id: impl Into<WorkflowId>,
        schedule: &ScheduledSend,
    ) -> Result<SignStatus, Error> {
        let path = Self::sign_status_path(workflow_id, &["scheduled-send"])?;
        let request = ApiRequest::new(Method::POST, path).json(schedule)?;
        self.client.execute_json(request, "sign status").await
    }

    /// Change a scheduled signature request; it sets values, so it is replayed after transient
    /// failures.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::ScheduledSendUpdate;
    ///
    /// client
    ///     .workflows()
    ///     .update_scheduled_signature_request("6a6b328004308879e7d439b6", &ScheduledSendUpdate::new().remove_reminder())
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an update without changes (before sending); the
    /// request's error.
    pub async fn update_scheduled_signature_request(
        &self,
        workflow_id: impl Into<WorkflowId>,
        update: &ScheduledSendUpdate,
    ) -> Result<SignStatus, Error> {
        if update.is_empty() {
            return Err(Error::InvalidRequest("the scheduled send update holds no change".into()));
        }
        let path = Self::sign_status_path(workflow_id, &["scheduled-send"])?;
        let request = ApiRequest::new(Method::PATCH, path).json(update)?.replay(Replay::Safe);
        self.client.execute_json(request, "sign status").await
    }

    /// Delete a scheduled signature request.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().delete_scheduled_signature_request("6a6b328004308879e7d439b6").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn delete_scheduled_signature_request(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Result<SignStatus, Error> {
        let path = Self::sign_status_path(workflow_id, &["scheduled-send"])?;
        self.client.execute_json(ApiRequest::new(Method::DELETE, path), "sign status").await
    }

    /// Reassign signer role `role_name`, or change the external signer's name or email. It sets
    /// the assignee, so it is replayed after transient failures.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::SignerAssignment;
    ///
    /// let assignment = SignerAssignment::external("New signer at Acme", "Jane Doe", "jane@acme.example");
    /// client.workflows().update_signer("6a6b328004308879e7d439b6", "Counterparty Signer", &assignment).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty role name or reason (before sending); the
    /// request's error.
    pub async fn update_signer(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
        assignment: &SignerAssignment,
    ) -> Result<SignStatusSigner, Error> {
        if assignment.reason.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "Ironclad requires a reason to update a signer".into(),
            ));
        }
        let role = id_segment("signer role name", role_name)?;
        let path = Self::sign_status_path(workflow_id, &["signers", &role])?;
        let request = ApiRequest::new(Method::PATCH, path).json(assignment)?.replay(Replay::Safe);
        self.client.execute_json(request, "signer").await
    }

    /// Remove signer role `role_name` from the packet (this cancels a packet out for signature).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().remove_signer("6a6b328004308879e7d439b6", "Counterparty Signer").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn remove_signer(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
    ) -> Result<(), Error> {
        let role = id_segment("signer role name", role_name)?;
        let path = Self::sign_status_path(workflow_id, &["signers", &role])?;
        self.client.execute_unit(ApiRequest::new(Method::DELETE, path)).await
    }

    /// Email signer role `role_name` a reminder (once an hour at most; Ironclad answers 429
    /// `TOO_MANY_REQUESTS` otherwise). Not replayed after a lost answer.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().remind_signer("6a6b328004308879e7d439b6", "Counterparty Signer").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn remind_signer(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
    ) -> Result<(), Error> {
        let role = id_segment("signer role name", role_name)?;
        let path = Self::sign_status_path(workflow_id, &["signers", &role, "remind"])?;
        self.client.execute_unit(ApiRequest::new(Method::POST, path)).await
    }

    /// A URL through which `recipient` opens the signature request (Ironclad Signature only;
    /// [reference](https://developer.ironcladapp.com/reference/create-recipient-url)).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::Recipient;
    ///
    /// let url = client
    ///     .workflows()
    ///     .recipient_url("6a6b328004308879e7d439b6", &Recipient::Signer { role_name: "Counterparty Signer".into() })
    ///     .await?;
    /// # let _ = url; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error ([`Error::Api`] 429 when asked too often).
    pub async fn recipient_url(
        &self,
        workflow_id: impl Into<WorkflowId>,
        recipient: &Recipient,
    ) -> Result<String, Error> {
        let request = ApiRequest::new(
            Method::POST,
            segments![
                "workflows",
                WorkflowId::segment(workflow_id)?,
                "signatures",
                "recipient-urls"
            ],
        )
        .json(recipient)?;
        let answer: RecipientUrl =
            self.client.execute_json_withheld(request, "recipient URL").await?;
        Ok(answer.url)
    }

    /// A URL for signer role `role_name` to sign inside a frame of `frame_ancestor` (a host,
    /// optionally with scheme and port; no wildcards), usable once unless
    /// `allow_multiple_usages` (Ironclad Signature only;
    /// [reference](https://developer.ironcladapp.com/reference/create-embeddable-recipient-url)).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let url = client
    ///     .workflows()
    ///     .embedded_signer_url("6a6b328004308879e7d439b6", "Counterparty Signer", "https://portal.example.com", false)
    ///     .await?;
    /// # let _ = url; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty role or frame ancestor, or a wildcard in it
    /// (before sending); the request's error.
    pub async fn embedded_signer_url(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
        frame_ancestor: &str,
        allow_multiple_usages: bool,
    ) -> Result<String, Error> {
        if role_name.trim().is_empty() {
            return Err(Error::InvalidRequest("the signer role name is empty".into()));
        }
        if frame_ancestor.trim().is_empty() || frame_ancestor.contains('*') {
            return Err(Error::InvalidRequest(format!(
                "the frame ancestor must be a host without wildcards, got {frame_ancestor:?}"
            )));
        }
        let request = ApiRequest::new(
            Method::POST,
            segments![
                "workflows",
                WorkflowId::segment(workflow_id)?,
                "signatures",
                "recipient-urls",
                "embedded"
            ],
        )
        .json(&EmbeddedRecipient {
            kind: "signer",
            role_name,
            frame_ancestor,
            allow_multiple_usages,
        })?;
        let answer: RecipientUrl =
            self.client.execute_json_withheld(request, "recipient URL").await?;
        Ok(answer.url)
    }

    /// Upload a signed copy in the Sign step (`multipart/form-data`). With no
    /// `signed_by_roles` the copy counts as fully signed and the workflow leaves the Sign step;
    /// otherwise it is a partially signed copy signed by those roles
    /// ([reference](https://developer.ironcladapp.com/reference/workflow-upload-signed-document)).
    /// The workflow is named by its id. Not replayed after a lost answer.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let pdf = std::fs::read("MSA - signed.pdf").map_err(|e| ironclad_client::Error::Io { context: "reading".into(), source: e })?;
    /// let done = client.workflows().upload_signed("6a6b328004308879e7d439b6", "MSA - signed.pdf", pdf, &[]).await?;
    /// println!("{:?}", done.signed.and_then(|d| d.key));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty file name or role name (before sending);
    /// [`Error::Api`] when the workflow is not in the Sign step or a role is not a signer.
    pub async fn upload_signed(
        &self,
        workflow_id: impl Into<WorkflowId>,
        file_name: &str,
        content: impl Into<Bytes>,
        signed_by_roles: &[String],
    ) -> Result<SignedUpload, Error> {
        if signed_by_roles.iter().any(|role| role.trim().is_empty()) {
            return Err(Error::InvalidRequest("a signer role name is empty".into()));
        }
        let metadata = if signed_by_roles.is_empty() {
            None
        } else {
            Some(metadata_json(&SignedMetadata { signer_role_names: signed_by_roles })?)
        };
        let form = attachment_form(file_name, content.into(), metadata)?;
        let request = ApiRequest::new(
            Method::POST,
            segments!["workflows", WorkflowId::segment(workflow_id)?, "upload-signed"],
        )
        .multipart(form);
        self.client.execute_json(request, "signed upload").await
    }
}

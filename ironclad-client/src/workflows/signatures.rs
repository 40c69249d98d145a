//! Signatures: `GET /workflows/{id}/signatures` and `GET /workflows/{id}/sign-status`.

use serde::{Deserialize, Serialize};

use super::{ScheduledSendStatus, Workflows};
use crate::Error;
use crate::http::{ApiRequest, segments};
use crate::ids::WorkflowId;
use crate::serde_util::{lenient, lenient_vec};

/// `GET /workflows/{id}/signatures`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowSignatures {
    /// The workflow id.
    #[serde(default, deserialize_with = "lenient")]
    pub workflow_id: Option<WorkflowId>,
    /// The workflow title.
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// The signers.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub signers: Vec<Signer>,
    /// `sequential` or `parallel`.
    #[serde(default, deserialize_with = "lenient")]
    pub routing: Option<String>,
}

/// A signer in [`WorkflowSignatures`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Signer {
    /// The signer role (`Counterparty Signer`).
    #[serde(default, deserialize_with = "lenient")]
    pub role_name: Option<String>,
    /// The signer's name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// The signer's email.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// `{"status":"pending"}`, …
    #[serde(default, deserialize_with = "lenient")]
    pub signature_status: Option<SignatureStatus>,
    /// The signing order.
    #[serde(default, deserialize_with = "lenient")]
    pub routing_order: Option<u32>,
}

impl Signer {
    /// The signature status text (`pending`, `signed`, …).
    pub fn status(&self) -> Option<&str> {
        self.signature_status.as_ref().and_then(|s| s.status.as_deref())
    }
}

/// A signer's signature status.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignatureStatus {
    /// `pending`, `signed`, …
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
}

/// `GET /workflows/{id}/sign-status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignStatus {
    /// The signers.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub signers: Vec<SignStatusSigner>,
    /// `sequential` or `parallel`.
    #[serde(default, deserialize_with = "lenient")]
    pub routing: Option<String>,
    /// `not_sent`, `sent`, …
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    /// Whether a signed copy must be uploaded.
    #[serde(default, deserialize_with = "lenient")]
    pub require_signed_document_upload: Option<bool>,
    /// The signature provider (`Ironclad Signature`, DocuSign, …).
    #[serde(default, deserialize_with = "lenient")]
    pub provider: Option<String>,
    /// When a scheduled request goes out (only while `not_sent`).
    #[serde(default, deserialize_with = "lenient")]
    pub scheduled_send: Option<ScheduledSendStatus>,
}

/// A signer in [`SignStatus`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignStatusSigner {
    /// The name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// The email.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// The signer role.
    #[serde(default, deserialize_with = "lenient")]
    pub role_name: Option<String>,
    /// The signing order when signing is sequential; `-1` for a signer who signed on paper
    /// ([sign status](https://developer.ironcladapp.com/reference/get-sign-status)).
    #[serde(default, deserialize_with = "lenient")]
    pub routing_order: Option<i32>,
    /// `pending`, `sent`, …
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    /// Whether signed on paper.
    #[serde(default, deserialize_with = "lenient")]
    pub is_wet_signed: Option<bool>,
    /// `external` or `internal`.
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub signer_type: Option<String>,
    /// The user id of an internal signer.
    #[serde(default, deserialize_with = "lenient")]
    pub user_id: Option<String>,
}

impl Workflows<'_> {
    /// The signers of a workflow and their status.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let signatures = client.workflows().signatures("6a6b328004308879e7d439b6").await?;
    /// for signer in &signatures.signers {
    ///     println!("{:?}: {:?}", signer.name, signer.status());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn signatures(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Result<WorkflowSignatures, Error> {
        let id = WorkflowId::segment(workflow_id)?;
        self.client
            .execute_json(
                ApiRequest::get(segments!["workflows", id, "signatures"]),
                "workflow signatures",
            )
            .await
    }

    /// The signature packet's status (Ironclad Signature and supported providers).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let status = client.workflows().sign_status("6a6b328004308879e7d439b6").await?;
    /// println!("{:?} via {:?}", status.status, status.provider);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn sign_status(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Result<SignStatus, Error> {
        let id = WorkflowId::segment(workflow_id)?;
        self.client
            .execute_json(ApiRequest::get(segments!["workflows", id, "sign-status"]), "sign status")
            .await
    }
}

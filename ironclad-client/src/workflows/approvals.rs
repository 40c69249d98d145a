//! Approvals: `GET /workflows/{id}/approvals`, `…/approval-requests`, and
//! `PATCH /workflows/{id}/approvals/{roleId}`.

use rest_client_core::Replay;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Role, Workflows};
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::paging::Paginated;
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};
use crate::string_enum::string_enum;
use crate::{Error, auth::UserRef};

string_enum! {
    /// The status of an approval (reviewer, approval request, or webhook `status`).
    pub enum ApprovalStatus {
        /// Waiting for the reviewer.
        Pending = "pending",
        /// Approved.
        Approved = "approved",
        /// Rejected or sent back.
        Rejected = "rejected",
        /// Not yet reached.
        NotStarted = "not_started",
    }
}

/// `GET /workflows/{id}/approvals`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowApprovals {
    /// The workflow id.
    #[serde(default, deserialize_with = "lenient")]
    pub workflow_id: Option<WorkflowId>,
    /// The workflow title.
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// Approval groups, in order.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub approval_groups: Vec<ApprovalGroup>,
    /// The approver roles and their assignees.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub roles: Vec<Role>,
}

impl WorkflowApprovals {
    /// Every reviewer of every group.
    pub fn reviewers(&self) -> impl Iterator<Item = &Reviewer> {
        self.approval_groups.iter().flat_map(|group| group.reviewers.iter())
    }

    /// The role with this id (for its display name and assignees).
    pub fn role(&self, role_id: &str) -> Option<&Role> {
        self.roles.iter().find(|role| role.id == role_id)
    }
}

/// A group of reviewers that approve together.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApprovalGroup {
    /// The reviewers.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub reviewers: Vec<Reviewer>,
    /// The group's status (`active`, …).
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    /// Its position in the sequence.
    #[serde(default, deserialize_with = "lenient")]
    pub order: Option<u32>,
}

/// One reviewer in an approval group.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Reviewer {
    /// The role id (`approver137e…`), used to approve.
    #[serde(default, deserialize_with = "lenient")]
    pub role: Option<String>,
    /// The role's display name (`Legal`).
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// `role`, or another reviewer type.
    #[serde(default, deserialize_with = "lenient")]
    pub reviewer_type: Option<String>,
    /// The reviewer's status.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<ApprovalStatus>,
}

/// One item of `GET /workflows/{id}/approval-requests`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApprovalRequest {
    /// When the request started.
    #[serde(default, with = "timestamp_opt")]
    pub start_time: Option<OffsetDateTime>,
    /// When it ended.
    #[serde(default, with = "timestamp_opt")]
    pub end_time: Option<OffsetDateTime>,
    /// Its status (`Approved`, …).
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<ApprovalStatus>,
    /// Who acted.
    #[serde(default, deserialize_with = "lenient")]
    pub actor_id: Option<String>,
    /// `User`, …
    #[serde(default, deserialize_with = "lenient")]
    pub actor_type: Option<String>,
    /// The actor's name and email, when asked for with
    /// [`ApprovalRequestsQuery::actor_details`].
    #[serde(default, deserialize_with = "lenient")]
    pub actor_details: Option<ActorDetails>,
    /// The role id.
    #[serde(default, deserialize_with = "lenient")]
    pub role: Option<String>,
    /// The role name.
    #[serde(default, deserialize_with = "lenient")]
    pub role_name: Option<String>,
    /// Duration in milliseconds.
    #[serde(default, deserialize_with = "lenient")]
    pub duration: Option<f64>,
    /// Duration in seconds.
    #[serde(default, deserialize_with = "lenient")]
    pub duration_seconds: Option<f64>,
    /// Duration in milliseconds including earlier requests of the same approver interrupted by
    /// a pause.
    #[serde(default, deserialize_with = "lenient")]
    pub aggregate_duration: Option<f64>,
    /// `Workflow`, …
    #[serde(default, deserialize_with = "lenient")]
    pub approval_type: Option<String>,
}

/// Who acted on an [`ApprovalRequest`] (`actorDetails`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActorDetails {
    /// The user's name.
    #[serde(default, deserialize_with = "lenient")]
    pub user_name: Option<String>,
    /// The user's email.
    #[serde(default, deserialize_with = "lenient")]
    pub user_email: Option<String>,
}

string_enum! {
    /// Whether approval requests are listed per user or per role (`requestType`).
    pub enum ApprovalRequestType {
        /// One item per approving user (Ironclad's default).
        User = "user",
        /// One item per approver role.
        Role = "role",
    }
}

/// Options of `GET /workflows/{id}/approval-requests`
/// ([reference](https://developer.ironcladapp.com/reference/approval-requests)).
///
/// ```
/// use ironclad_client::workflows::{ApprovalRequestType, ApprovalRequestsQuery};
///
/// let query = ApprovalRequestsQuery::new().actor_details(true).request_type(ApprovalRequestType::Role);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct ApprovalRequestsQuery {
    actor_details: bool,
    request_type: Option<ApprovalRequestType>,
}

impl ApprovalRequestsQuery {
    /// Ironclad's defaults: no actor details, per user.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add each actor's name and email ([`ApprovalRequest::actor_details`]).
    pub fn actor_details(mut self, include: bool) -> Self {
        self.actor_details = include;
        self
    }

    /// List per user or per role.
    pub fn request_type(mut self, request_type: ApprovalRequestType) -> Self {
        self.request_type = Some(request_type);
        self
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if self.actor_details {
            params.push(("actorDetails", "true".to_owned()));
        }
        if let Some(request_type) = &self.request_type {
            params.push(("requestType", request_type.as_str().to_owned()));
        }
        params
    }
}

/// The body of `PATCH /workflows/{id}/approvals/{roleId}`.
///
/// ```
/// use ironclad_client::workflows::ApprovalDecision;
///
/// let approve = ApprovalDecision::approve().user_email("legal@example.com");
/// assert_eq!(
///     serde_json::to_string(&approve)?,
///     r#"{"status":"approved","user":{"type":"email","email":"legal@example.com"}}"#
/// );
/// assert_eq!(serde_json::to_string(&ApprovalDecision::reset())?, r#"{"status":"pending"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize)]
#[must_use]
pub struct ApprovalDecision {
    status: ApprovalStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserRef>,
}

impl ApprovalDecision {
    /// Approve.
    pub fn approve() -> Self {
        Self { status: ApprovalStatus::Approved, user: None }
    }

    /// Reset the approval to pending.
    pub fn reset() -> Self {
        Self { status: ApprovalStatus::Pending, user: None }
    }

    /// The approving user, by email: Ironclad identifies the approver by email only (unlike a
    /// launch's creator, there is no id form). Required with a legacy API token; ignored with
    /// OAuth tokens, which approve as the token's (or the acting) user.
    pub fn user_email(mut self, email: impl Into<String>) -> Self {
        self.user = Some(UserRef::email(email));
        self
    }
}

impl Workflows<'_> {
    /// The approval groups and approver roles of a workflow.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let approvals = client.workflows().approvals("6a6b4091ef38863a01482499").await?;
    /// for reviewer in approvals.reviewers() {
    ///     println!("{:?}: {:?}", reviewer.display_name, reviewer.status);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn approvals(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Result<WorkflowApprovals, Error> {
        let id = WorkflowId::segment(workflow_id)?;
        let request = ApiRequest::get(segments!["workflows", id, "approvals"]);
        self.client.execute_json(request, "workflow approvals").await
    }

    /// The history of approval requests (paged).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let history = client.workflows().approval_requests("6a6b4091ef38863a01482499").collect_all().await?;
    /// # let _ = history; Ok(()) }
    /// ```
    pub fn approval_requests(
        &self,
        workflow_id: impl Into<WorkflowId>,
    ) -> Paginated<ApprovalRequest> {
        self.approval_requests_with(workflow_id, &ApprovalRequestsQuery::new())
    }

    /// The history of approval requests (paged), with the options of `query`.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::ApprovalRequestsQuery;
    ///
    /// let history = client
    ///     .workflows()
    ///     .approval_requests_with("6a6b4091ef38863a01482499", &ApprovalRequestsQuery::new().actor_details(true))
    ///     .collect_all()
    ///     .await?;
    /// for request in &history {
    ///     println!("{:?}", request.actor_details.as_ref().and_then(|a| a.user_email.as_deref()));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn approval_requests_with(
        &self,
        workflow_id: impl Into<WorkflowId>,
        query: &ApprovalRequestsQuery,
    ) -> Paginated<ApprovalRequest> {
        self.paged(
            workflow_id.into(),
            "approval-requests",
            query.params(),
            "page of approval requests",
        )
    }

    /// Approve, or reset to pending, the approval of `role_id` (the workflow must be in Review
    /// and the role's group active). Idempotent, so it is replayed after transient failures.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::ApprovalDecision;
    ///
    /// client
    ///     .workflows()
    ///     .set_approval("6a6b4091ef38863a01482499", "approver137e74661e0b40e38e3a52dff067cd0c", &ApprovalDecision::approve())
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] (`is_conflict()`) when the workflow or group is not in a state to approve.
    pub async fn set_approval(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_id: &str,
        decision: &ApprovalDecision,
    ) -> Result<(), Error> {
        let request = ApiRequest::new(
            http::Method::PATCH,
            segments![
                "workflows",
                WorkflowId::segment(workflow_id)?,
                "approvals",
                id_segment("role id", role_id)?
            ],
        )
        .json(decision)?
        .replay(Replay::Safe);
        self.client.execute_unit(request).await
    }
}

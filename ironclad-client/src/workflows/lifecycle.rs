//! Cancel, pause and resume: `POST /workflows/{id}/cancel|pause|resume`; and
//! `PATCH /workflows/{id}/revert-to-review`.

use rest_client_core::Replay;
use serde::Serialize;

use super::Workflows;
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::{Error, auth::UserRef};

/// The comment Ironclad requires when a workflow is cancelled, paused or resumed
/// (`{"comment": {"message": …, "addUsersToWorkflow"?: …}}`); see the
/// [pause reference](https://developer.ironcladapp.com/reference/pause-workflow).
///
/// A `&str` or `String` converts into one, so `cancel(id, "Opportunity lost")` works.
///
/// ```
/// use ironclad_client::workflows::LifecycleComment;
///
/// let comment = LifecycleComment::new("Waiting for budget; see <@cfo@example.com>")
///     .add_users_to_workflow(true);
/// assert_eq!(
///     serde_json::to_string(&comment)?,
///     r#"{"message":"Waiting for budget; see <@cfo@example.com>","addUsersToWorkflow":true}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct LifecycleComment {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    add_users_to_workflow: Option<bool>,
}

impl LifecycleComment {
    /// A comment with this text; mention users as `<@email>`.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), add_users_to_workflow: None }
    }

    /// Whether users mentioned in the comment are added to the workflow.
    pub fn add_users_to_workflow(mut self, add: bool) -> Self {
        self.add_users_to_workflow = Some(add);
        self
    }
}

impl LifecycleComment {
    pub(crate) fn is_blank(&self) -> bool {
        self.message.trim().is_empty()
    }
}

impl From<&str> for LifecycleComment {
    fn from(message: &str) -> Self {
        LifecycleComment::new(message)
    }
}

impl From<String> for LifecycleComment {
    fn from(message: String) -> Self {
        LifecycleComment::new(message)
    }
}

#[derive(Serialize)]
struct RevertBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserRef>,
}

#[derive(Serialize)]
struct TransitionBody<'a> {
    comment: &'a LifecycleComment,
}

impl Workflows<'_> {
    /// Cancel a workflow, with the comment Ironclad requires.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().cancel("6a6b328004308879e7d439b6", "Opportunity lost in Dynamics").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty comment (before sending); the request's error.
    pub async fn cancel(
        &self,
        workflow_id: impl Into<WorkflowId>,
        comment: impl Into<LifecycleComment>,
    ) -> Result<(), Error> {
        self.transition(workflow_id.into(), "cancel", comment.into()).await
    }

    /// Pause a workflow, with the comment Ironclad requires.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::LifecycleComment;
    ///
    /// client.workflows().pause("6a6b328004308879e7d439b6", "Waiting for budget").await?;
    /// client
    ///     .workflows()
    ///     .pause("6a6b328004308879e7d439b6", LifecycleComment::new("Over to <@cfo@example.com>").add_users_to_workflow(true))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty comment (before sending); the request's error.
    pub async fn pause(
        &self,
        workflow_id: impl Into<WorkflowId>,
        comment: impl Into<LifecycleComment>,
    ) -> Result<(), Error> {
        self.transition(workflow_id.into(), "pause", comment.into()).await
    }

    /// Resume a paused workflow, with the comment Ironclad requires.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().resume("6a6b328004308879e7d439b6", "Budget approved").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty comment (before sending); the request's error.
    pub async fn resume(
        &self,
        workflow_id: impl Into<WorkflowId>,
        comment: impl Into<LifecycleComment>,
    ) -> Result<(), Error> {
        self.transition(workflow_id.into(), "resume", comment.into()).await
    }

    /// Move a workflow from the Sign step back to Review (workflows built in Workflow Designer
    /// only; see the [reference](https://developer.ironcladapp.com/reference/revert-to-review)).
    ///
    /// `user_email` names the reverting user, which a legacy API token requires; OAuth tokens
    /// revert as the token's (or the acting) user and Ironclad ignores it. Not replayed after
    /// a lost answer: a second revert of a workflow already in Review fails with
    /// `INVALID_STATE`, which would hide that the first one worked.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().revert_to_review("6a6b328004308879e7d439b6", None).await?;
    /// client.workflows().revert_to_review("IC-123", Some("legal@example.com")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty email; [`Error::Api`] `INVALID_STATE` when the
    /// workflow is not in the Sign step or not built in Workflow Designer.
    pub async fn revert_to_review(
        &self,
        workflow_id: impl Into<WorkflowId>,
        user_email: Option<&str>,
    ) -> Result<(), Error> {
        if user_email.is_some_and(|email| email.trim().is_empty()) {
            return Err(Error::InvalidRequest("the reverting user's email is empty".into()));
        }
        let body = RevertBody { user: user_email.map(UserRef::email) };
        let request = ApiRequest::new(
            http::Method::PATCH,
            segments!["workflows", WorkflowId::segment(workflow_id)?, "revert-to-review"],
        )
        .json(&body)?
        .replay(Replay::Unsafe);
        self.client.execute_unit(request).await
    }

    async fn transition(
        &self,
        workflow_id: WorkflowId,
        action: &'static str,
        comment: LifecycleComment,
    ) -> Result<(), Error> {
        if comment.is_blank() {
            return Err(Error::InvalidRequest(format!(
                "Ironclad requires a comment to {action} a workflow"
            )));
        }
        let request = ApiRequest::new(
            http::Method::POST,
            segments!["workflows", id_segment("workflow id", &workflow_id)?, action],
        )
        .json(&TransitionBody { comment: &comment })?;
        self.client.execute_unit(request).await
    }
}

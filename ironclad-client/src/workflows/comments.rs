//! Comments (`/workflows/{id}/comments`) and participants (`/workflows/{id}/participants`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{DEFAULT_PAGE_SIZE, WorkflowUser, Workflows};
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::{CommentId, WorkflowId};
use crate::paging::{Page, Paginated};
use crate::serde_util::{lenient, timestamp_opt};
use crate::{Error, auth::UserRef};

/// A comment in a workflow's activity feed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Comment {
    /// The comment id.
    pub id: CommentId,
    /// Who wrote it.
    #[serde(default, deserialize_with = "lenient")]
    pub author: Option<WorkflowUser>,
    /// When.
    #[serde(default, with = "timestamp_opt")]
    pub timestamp: Option<OffsetDateTime>,
    /// The text (mentions look like `<@john.doe@example.com>`).
    #[serde(default, deserialize_with = "lenient")]
    pub comment_message: Option<String>,
    /// Users mentioned.
    #[serde(default, deserialize_with = "lenient")]
    pub mentioned_user_details: Vec<serde_json::Value>,
    /// Users added to the workflow by the mention.
    #[serde(default, deserialize_with = "lenient")]
    pub added_participants: Vec<serde_json::Value>,
    /// Reactions.
    #[serde(default, deserialize_with = "lenient")]
    pub reactions: Vec<serde_json::Value>,
}

/// The body of `POST /workflows/{id}/comments`.
///
/// ```
/// use ironclad_client::{auth::UserRef, workflows::NewComment};
///
/// let comment = NewComment::new("Synced from Dynamics; see <@jane@example.com>")
///     .add_users_to_workflow(false)
///     .creator(UserRef::email("integration@example.com"));
/// assert_eq!(
///     serde_json::to_string(&comment)?,
///     r#"{"comment":"Synced from Dynamics; see <@jane@example.com>","addUsersToWorkflow":false,"creator":{"type":"email","email":"integration@example.com"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct NewComment {
    comment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    add_users_to_workflow: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replied_to_activity_feed_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<UserRef>,
}

impl NewComment {
    /// A comment with this text; mention users as `<@email>`.
    pub fn new(comment: impl Into<String>) -> Self {
        Self {
            comment: comment.into(),
            add_users_to_workflow: None,
            replied_to_activity_feed_message_id: None,
            creator: None,
        }
    }

    /// Whether mentioned users are added to the workflow.
    pub fn add_users_to_workflow(mut self, add: bool) -> Self {
        self.add_users_to_workflow = Some(add);
        self
    }

    /// Reply to this activity-feed message.
    pub fn reply_to(mut self, message_id: impl Into<String>) -> Self {
        self.replied_to_activity_feed_message_id = Some(message_id.into());
        self
    }

    /// The author. Required with a legacy API token; ignored with OAuth tokens.
    pub fn creator(mut self, creator: UserRef) -> Self {
        self.creator = Some(creator);
        self
    }
}

/// A workflow participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Participant {
    /// The user id.
    #[serde(default, deserialize_with = "lenient")]
    pub user_id: Option<String>,
    /// The email.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
}

impl Workflows<'_> {
    /// The comments of a workflow (paged).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let mut comments = client.workflows().comments("6a6b4091ef38863a01482499");
    /// while let Some(comment) = comments.try_next().await? {
    ///     println!("{:?}", comment.comment_message);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn comments(&self, workflow_id: impl Into<WorkflowId>) -> Paginated<Comment> {
        self.paged(workflow_id.into(), "comments", Vec::new(), "page of comments")
    }

    /// One comment.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let comment = client.workflows().comment("6a6b4091ef38863a01482499", "019fb2f0-85c3-71b3-af16-800849855019").await?;
    /// # let _ = comment; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn comment(
        &self,
        workflow_id: impl Into<WorkflowId>,
        comment_id: impl Into<CommentId>,
    ) -> Result<Comment, Error> {
        let request = ApiRequest::get(segments![
            "workflows",
            WorkflowId::segment(workflow_id)?,
            "comments",
            CommentId::segment(comment_id)?
        ]);
        self.client.execute_json(request, "comment").await
    }

    /// Post a comment.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::NewComment;
    ///
    /// let posted = client.workflows().add_comment("6a6b4091ef38863a01482499", &NewComment::new("Agreement synced")).await?;
    /// # let _ = posted; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn add_comment(
        &self,
        workflow_id: impl Into<WorkflowId>,
        comment: &NewComment,
    ) -> Result<Comment, Error> {
        let request = ApiRequest::new(
            http::Method::POST,
            segments!["workflows", WorkflowId::segment(workflow_id)?, "comments"],
        )
        .json(comment)?;
        self.client.execute_json(request, "comment").await
    }

    /// The participants of a workflow (paged), optionally only the one with `email`.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let people = client.workflows().participants("6a6b4091ef38863a01482499", None).collect_all().await?;
    /// # let _ = people; Ok(()) }
    /// ```
    pub fn participants(
        &self,
        workflow_id: impl Into<WorkflowId>,
        email: Option<&str>,
    ) -> Paginated<Participant> {
        self.paged(
            workflow_id.into(),
            "participants",
            email.map(|e| ("email", e.to_owned())).into_iter().collect(),
            "page of participants",
        )
    }

    /// A paged sub-resource of a workflow (`/workflows/{id}/<resource>`).
    pub(super) fn paged<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        workflow_id: WorkflowId,
        resource: &'static str,
        filters: Vec<(&'static str, String)>,
        what: &'static str,
    ) -> Paginated<T> {
        match id_segment("workflow id", &workflow_id) {
            Ok(id) => self.paged_at(segments!["workflows", id, resource], filters, what),
            Err(error) => Paginated::failed(error),
        }
    }

    /// A paged list at `path` below the API base, with `filters` on every page.
    pub(super) fn paged_at<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: Vec<String>,
        filters: Vec<(&'static str, String)>,
        what: &'static str,
    ) -> Paginated<T> {
        let client = self.client.clone();
        Paginated::new(0, DEFAULT_PAGE_SIZE, move |page| {
            let mut request = ApiRequest::get(path.clone()).query("page", page);
            for (key, value) in &filters {
                request = request.query(key, value);
            }
            let client = client.clone();
            async move { client.execute_json::<Page<T>>(request, what).await }
        })
    }
}

//! Cancel, pause and resume: `POST /workflows/{id}/cancel|pause|resume`.

use serde::Serialize;

use super::Workflows;
use crate::Error;
use crate::http::{ApiRequest, id_segment, segments};

#[derive(Serialize)]
struct TransitionBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<TransitionComment<'a>>,
}

#[derive(Serialize)]
struct TransitionComment<'a> {
    message: &'a str,
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
    /// [`Error::InvalidRequest`] for an empty comment; the request's error.
    pub async fn cancel(&self, workflow_id: &str, comment: &str) -> Result<(), Error> {
        if comment.trim().is_empty() {
            return Err(Error::InvalidRequest("cancelling a workflow requires a comment".into()));
        }
        self.transition(workflow_id, "cancel", Some(comment)).await
    }

    /// Pause a workflow.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().pause("6a6b328004308879e7d439b6", Some("Waiting for budget")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn pause(&self, workflow_id: &str, comment: Option<&str>) -> Result<(), Error> {
        self.transition(workflow_id, "pause", comment).await
    }

    /// Resume a paused workflow.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.workflows().resume("6a6b328004308879e7d439b6", None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn resume(&self, workflow_id: &str, comment: Option<&str>) -> Result<(), Error> {
        self.transition(workflow_id, "resume", comment).await
    }

    async fn transition(
        &self,
        workflow_id: &str,
        action: &'static str,
        comment: Option<&str>,
    ) -> Result<(), Error> {
        let body = TransitionBody { comment: comment.map(|message| TransitionComment { message }) };
        let request = ApiRequest::new(
            http::Method::POST,
            segments!["workflows", id_segment("workflow id", workflow_id)?, action],
        )
        .json(&body)?;
        self.client.execute_unit(request).await
    }
}

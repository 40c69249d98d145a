//! Launching workflows: synchronously, or asynchronously with a polling helper.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Workflow, Workflows};
use crate::error::ErrorCode;
use crate::http::{ApiRequest, segments};
use crate::ids::{AsyncJobId, TemplateId};
use crate::serde_util::lenient;
use crate::string_enum::string_enum;
use crate::values::Attributes;
use crate::{Error, auth::UserRef};

/// The body of a launch: template, attributes and, for legacy API tokens, the creator.
///
/// ```
/// use ironclad_client::{auth::UserRef, values::LaunchAttributes, workflows::LaunchWorkflow};
///
/// let launch = LaunchWorkflow::new(
///     "68dc41e5a7987b1e623e4711",
///     LaunchAttributes::new().string("counterpartyName", "Acme LLC"),
/// )
/// .creator(UserRef::email("contracts@example.com")); // needed with a legacy API token
/// assert_eq!(
///     serde_json::to_string(&launch)?,
///     r#"{"template":"68dc41e5a7987b1e623e4711","attributes":{"counterpartyName":"Acme LLC"},"creator":{"type":"email","email":"contracts@example.com"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize)]
#[must_use]
pub struct LaunchWorkflow {
    template: TemplateId,
    attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<UserRef>,
    #[serde(skip)]
    use_default_values: Option<bool>,
}

impl LaunchWorkflow {
    /// Launch `template_id` with these attributes (`counterpartyName` is required by Ironclad).
    pub fn new(template_id: impl Into<TemplateId>, attributes: impl Into<Attributes>) -> Self {
        Self {
            template: template_id.into(),
            attributes: attributes.into(),
            creator: None,
            use_default_values: None,
        }
    }

    /// The launching user. Required with a legacy API token; ignored by Ironclad with OAuth
    /// tokens (it records the token's user).
    pub fn creator(mut self, creator: UserRef) -> Self {
        self.creator = Some(creator);
        self
    }

    /// Fill attributes left out with the form's default values (`useDefaultValues=true`).
    pub fn use_default_values(mut self, use_defaults: bool) -> Self {
        self.use_default_values = Some(use_defaults);
        self
    }

    /// The attributes to launch with.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    fn request(&self, path: Vec<String>) -> Result<ApiRequest, Error> {
        if self.template.trim().is_empty() {
            return Err(Error::InvalidRequest("the template id must not be empty".into()));
        }
        ApiRequest::new(http::Method::POST, path)
            .query_opt("useDefaultValues", self.use_default_values)
            .json(self)
    }
}

/// The answer to `POST /workflows/async`: a job to poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AsyncLaunch {
    /// The job id.
    pub async_job_id: AsyncJobId,
    /// The job's status URL.
    #[serde(default, deserialize_with = "lenient")]
    pub async_job_status_url: Option<String>,
}

string_enum! {
    /// The state of an asynchronous launch job.
    pub enum AsyncJobStatus {
        /// Still launching.
        InProgress = "in_progress",
        /// Launched; the job carries the workflow.
        Success = "success",
        /// Failed; the job carries the error.
        Failed = "failed",
    }
}

/// `GET /workflows/async/{asyncJobId}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AsyncLaunchJob {
    /// The job state.
    pub status: AsyncJobStatus,
    /// The launched workflow, on success.
    #[serde(default)]
    pub workflow: Option<Workflow>,
    /// Links to the launched workflow, on success.
    #[serde(default, deserialize_with = "lenient")]
    pub workflow_urls: Option<WorkflowUrls>,
    /// The failure, when `failed`.
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<AsyncLaunchFailure>,
}

/// Links to a launched workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkflowUrls {
    /// The workflow in the web app.
    #[serde(default, deserialize_with = "lenient")]
    pub browser_url: Option<String>,
    /// The workflow in the API.
    #[serde(default, deserialize_with = "lenient")]
    pub api_url: Option<String>,
}

/// Why an asynchronous launch failed (`{code, message, param, redirectUrl}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AsyncLaunchFailure {
    /// The error code.
    #[serde(default, deserialize_with = "lenient")]
    pub code: Option<ErrorCode>,
    /// The message.
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    /// The offending parameter or attribute.
    #[serde(default, deserialize_with = "lenient")]
    pub param: Option<String>,
    /// A page with details.
    #[serde(default, deserialize_with = "lenient")]
    pub redirect_url: Option<String>,
}

impl fmt::Display for AsyncLaunchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.as_ref().map_or("UNKNOWN", ErrorCode::as_str);
        write!(f, "{code}: {}", self.message.as_deref().unwrap_or("no message"))?;
        if let Some(param) = &self.param {
            write!(f, " (param `{param}`)")?;
        }
        Ok(())
    }
}

/// How [`Workflows::launch_and_wait`] polls: intervals double from `initial_interval` up to
/// `max_interval`, until `timeout` (defaults: 1 s, 10 s, 5 minutes).
///
/// ```
/// use std::time::Duration;
/// use ironclad_client::workflows::AsyncPolling;
///
/// let polling = AsyncPolling::default().timeout(Duration::from_secs(60));
/// # let _ = polling;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsyncPolling {
    initial_interval: Duration,
    max_interval: Duration,
    timeout: Duration,
}

impl Default for AsyncPolling {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
        }
    }
}

impl AsyncPolling {
    /// The first wait between polls.
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// The longest wait between polls.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// Give up (with [`Error::LaunchTimedOut`]) after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Workflows<'_> {
    /// Launch a workflow synchronously (`POST /workflows`) and return it.
    ///
    /// Not replayed after a transport error or 5xx, since the workflow may exist already; a 429
    /// is retried (nothing was launched).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::{values::LaunchAttributes, workflows::LaunchWorkflow};
    ///
    /// let attributes = LaunchAttributes::new().string("counterpartyName", "Acme LLC");
    /// let workflow = client
    ///     .workflows()
    ///     .launch(&LaunchWorkflow::new("68dc41e5a7987b1e623e4711", attributes))
    ///     .await?;
    /// println!("launched {} ({:?})", workflow.id, workflow.step);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] with `MISSING_PARAM` / `INVALID_PARAM` (see `param`) for attributes the
    /// form rejects.
    pub async fn launch(&self, launch: &LaunchWorkflow) -> Result<Workflow, Error> {
        let request = launch.request(segments!["workflows"])?;
        self.client.execute_json(request, "launched workflow").await
    }

    /// Start an asynchronous launch (`POST /workflows/async`); poll it with
    /// [`Self::async_launch_status`] or use [`Self::launch_and_wait`].
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client, launch: ironclad_client::workflows::LaunchWorkflow) -> Result<(), ironclad_client::Error> {
    /// let job = client.workflows().launch_async(&launch).await?;
    /// let status = client.workflows().async_launch_status(&job.async_job_id).await?;
    /// println!("{:?}", status.status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Self::launch`].
    pub async fn launch_async(&self, launch: &LaunchWorkflow) -> Result<AsyncLaunch, Error> {
        let request = launch.request(segments!["workflows", "async"])?;
        self.client.execute_json(request, "async launch job").await
    }

    /// The state of an asynchronous launch (`GET /workflows/async/{asyncJobId}`).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let job = client.workflows().async_launch_status("02ZZsOt_eB9EfIE4luV5f").await?;
    /// # let _ = job; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] 404 for an unknown job.
    pub async fn async_launch_status(
        &self,
        job_id: impl Into<AsyncJobId>,
    ) -> Result<AsyncLaunchJob, Error> {
        let request =
            ApiRequest::get(segments!["workflows", "async", AsyncJobId::segment(job_id)?]);
        self.client.execute_json(request, "async launch job").await
    }

    /// Poll an asynchronous launch until it succeeds, fails or `polling` times out.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::AsyncPolling;
    ///
    /// let workflow = client
    ///     .workflows()
    ///     .wait_for_launch("02ZZsOt_eB9EfIE4luV5f", AsyncPolling::default())
    ///     .await?;
    /// # let _ = workflow; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::LaunchFailed`] when the job failed, [`Error::LaunchTimedOut`] when it was still
    /// running at the deadline (keep the job id and poll later), or the polling request's error.
    pub async fn wait_for_launch(
        &self,
        job_id: impl Into<AsyncJobId>,
        polling: AsyncPolling,
    ) -> Result<Workflow, Error> {
        let job_id: AsyncJobId = job_id.into();
        let started = Instant::now();
        let mut interval = polling.initial_interval;
        loop {
            let job = self.async_launch_status(&job_id).await?;
            match job.status {
                AsyncJobStatus::Success => return self.launched_workflow(job_id, job).await,
                AsyncJobStatus::Failed => {
                    let failure = job.error.unwrap_or(AsyncLaunchFailure {
                        code: None,
                        message: Some("the launch failed without details".into()),
                        param: None,
                        redirect_url: None,
                    });
                    return Err(Error::LaunchFailed {
                        job_id: job_id.clone(),
                        failure: Box::new(failure),
                    });
                }
                _ => {}
            }
            let waited = started.elapsed();
            // Saturating: the intervals are the caller's, and may be `Duration::MAX`.
            if waited.saturating_add(interval) > polling.timeout {
                return Err(Error::LaunchTimedOut { job_id: job_id.clone(), waited });
            }
            tokio::time::sleep(interval).await;
            interval = interval.saturating_mul(2).min(polling.max_interval);
        }
    }

    /// The workflow of a successful job: embedded, or (tolerantly) fetched from its API URL.
    async fn launched_workflow(
        &self,
        job_id: AsyncJobId,
        job: AsyncLaunchJob,
    ) -> Result<Workflow, Error> {
        if let Some(workflow) = job.workflow {
            return Ok(workflow);
        }
        let workflow_id = job
            .workflow_urls
            .and_then(|urls| urls.api_url)
            .and_then(|url| url.trim_end_matches('/').rsplit('/').next().map(str::to_owned));
        match workflow_id {
            Some(id) if !id.is_empty() => self.get(&id).await,
            _ => Err(Error::LaunchFailed {
                job_id,
                failure: Box::new(AsyncLaunchFailure {
                    code: None,
                    message: Some("the job succeeded but named no workflow".into()),
                    param: None,
                    redirect_url: None,
                }),
            }),
        }
    }

    /// Launch asynchronously and wait for the workflow (recommended by Ironclad for complex
    /// templates, where a synchronous launch can time out).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client, launch: ironclad_client::workflows::LaunchWorkflow) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::AsyncPolling;
    ///
    /// let workflow = client.workflows().launch_and_wait(&launch, AsyncPolling::default()).await?;
    /// # let _ = workflow; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Self::launch_async`] and [`Self::wait_for_launch`].
    pub async fn launch_and_wait(
        &self,
        launch: &LaunchWorkflow,
        polling: AsyncPolling,
    ) -> Result<Workflow, Error> {
        let job = self.launch_async(launch).await?;
        self.wait_for_launch(&job.async_job_id, polling).await
    }
}

//! Workflows (`/workflows`): list, launch, get, update attributes, approvals, comments,
//! participants, turn history, emails, documents, signatures and lifecycle; and the launch
//! schemas of workflow templates (`/workflow-schemas`).

mod approvals;
mod comments;
mod documents;
mod emails;
mod history;
mod launch;
mod lifecycle;
mod model;
mod query;
mod roles;
mod schemas;
mod signatures;
mod signing;
mod update;

pub use approvals::{
    ActorDetails, ApprovalDecision, ApprovalGroup, ApprovalRequest, ApprovalRequestType,
    ApprovalRequestsQuery, ApprovalStatus, Reviewer, WorkflowApprovals,
};
pub use comments::{Comment, NewComment, Participant};
pub use documents::{
    DocumentAuthor, DocumentModification, DocumentUpload, WorkflowDocument, WorkflowDocuments,
};
pub use emails::{EmailAttachment, EmailDirection, EmailOpened, WorkflowEmail};
pub use history::Turn;
pub use launch::{
    AsyncJobStatus, AsyncLaunch, AsyncLaunchFailure, AsyncLaunchJob, AsyncPolling, LaunchWorkflow,
    WorkflowUrls,
};
pub use lifecycle::LifecycleComment;
pub(crate) use model::lenient_schema;
pub use model::{
    FieldOptions, FieldRequirement, FieldType, Role, RoleAssignee, SchemaField, StageProgress,
    StageState, Workflow, WorkflowStatus, WorkflowStep, WorkflowUser,
};
pub(crate) use query::format_utc_millis;
pub use query::{Filter, ListWorkflows};
pub use roles::{RoleAssignment, RoleUser};
pub use signatures::{SignStatus, SignStatusSigner, Signer, WorkflowSignatures};
pub use signing::{
    Recipient, ReminderStatus, ScheduledSend, ScheduledSendStatus, ScheduledSendUpdate,
    SignedUpload, SignerAssignment,
};
pub use update::AttributeUpdates;

pub use schemas::{WorkflowSchema, WorkflowSchemas};

pub use crate::ids::{AsyncJobId, CommentId, TemplateId, WorkflowId};

use crate::http::{ApiRequest, segments};
use crate::paging::{Page, Paginated, checked_page_size};
use crate::{Client, Error};

/// The page size Ironclad uses when none is requested.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 20;

/// Workflow operations; get one with [`Client::workflows`].
#[derive(Clone, Copy, Debug)]
pub struct Workflows<'a> {
    pub(crate) client: &'a Client,
}

impl<'a> Workflows<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// All workflows matching `query`, as a lazy stream over pages.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::{ListWorkflows, WorkflowStatus};
    ///
    /// let completed = client
    ///     .workflows()
    ///     .list(ListWorkflows::new().status(WorkflowStatus::Completed).page_size(100))
    ///     .collect_all()
    ///     .await?;
    /// # let _ = completed; Ok(()) }
    /// ```
    pub fn list(&self, query: ListWorkflows) -> Paginated<Workflow> {
        let client = self.client.clone();
        let page_size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let first = query.start_page;
        Paginated::new(first, page_size, move |page| {
            let client = client.clone();
            let query = query.clone();
            async move { client.workflows().list_page(&query, page).await }
        })
    }

    /// One page of `GET /workflows` (0-based).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::ListWorkflows;
    ///
    /// let page = client.workflows().list_page(&ListWorkflows::new(), 0).await?;
    /// println!("{} of {:?}", page.list.len(), page.count);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a page size outside 1–100; the request's error.
    pub async fn list_page(
        &self,
        query: &ListWorkflows,
        page: u64,
    ) -> Result<Page<Workflow>, Error> {
        let request = ApiRequest::get(segments!["workflows"])
            .query("page", page)
            .query_opt("pageSize", checked_page_size(query.page_size)?)
            .query_opt("status", query.status_param())
            .query_opt("template", query.template.as_deref())
            .query_opt("lastUpdated", query.last_updated_param())
            .query_opt("filter", query.filter.as_deref())
            .query_opt("hydrateEntities", query.hydrate_entities);
        self.client.execute_json(request, "page of workflows").await
    }

    /// The first workflow matching `query`, if any: the way to find the workflow already
    /// launched for a source record.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::workflows::{Filter, ListWorkflows};
    ///
    /// let existing = client
    ///     .workflows()
    ///     .find_first(
    ///         ListWorkflows::new()
    ///             .template("68dc41e5a7987b1e623e4711")
    ///             .filter(Filter::equals("dynamicsMsaId", "0d4f7d3e-1c2b-4a5f-9e8d-7c6b5a4f3e2d"))
    ///             .any_status(),
    ///     )
    ///     .await?;
    /// # let _ = existing; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn find_first(&self, query: ListWorkflows) -> Result<Option<Workflow>, Error> {
        let page = self.list_page(&query, query.start_page).await?;
        Ok(page.list.into_iter().next())
    }

    /// A workflow by id or readable id (`IC-123`).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let workflow = client.workflows().get("IC-123").await?;
    /// let msa_id = workflow.attributes.string("dynamicsMsaId");
    /// # let _ = msa_id; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] 404 (`is_not_found()`) when there is no such workflow.
    pub async fn get(&self, workflow_id: impl Into<WorkflowId>) -> Result<Workflow, Error> {
        let request = ApiRequest::get(segments!["workflows", WorkflowId::segment(workflow_id)?]);
        self.client.execute_json(request, "workflow").await
    }
}

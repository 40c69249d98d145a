//! Flow 1 (spec 004, "Launching an Ironclad Workflow"): launch one MSA workflow per new MSA
//! agreement in Dataverse, then write the workflow's URL, step and title back to the agreement.
//!
//! The first run (no watermark stored) starts at [`LaunchOptions::initial_watermark`]: by
//! default the time it starts, so agreements already in Dataverse are left alone (their count
//! is logged and reported in [`RunReport::left_alone`]); that start is stored at once, so
//! agreements created after it are picked up by later runs even when the first run finds
//! nothing. Before anything is read, the template's attribute ids are resolved once (see
//! [`crate::attributes`]).
//!
//! One run:
//!
//! 1. reads the MSA agreements that have no workflow URL yet and were modified at or after the
//!    watermark (less [`LaunchOptions::watermark_overlap`], never before the first run's
//!    start), page by page, with the opportunity,
//!    its account and the currency expanded (fetched by id when a server leaves an expansion
//!    out);
//! 2. per page, looks up the launch log in the state, and for the other agreements asks Ironclad
//!    for workflows already carrying their `dynamicsMsaId` in one list call per
//!    [`LaunchOptions::lookup_batch`] agreements (so a crash between a launch and its record
//!    never launches twice);
//! 3. launches the missing workflows with spec 004's attribute mapping, at most
//!    [`LaunchOptions::concurrency`] agreements at a time (Ironclad's write limit is kept by the
//!    Ironclad client's rate limiter), records each launch durably, and writes it back with
//!    `PATCH` and `If-Match: *`;
//! 4. moves the watermark past the agreements fully processed, in query order, and forgets
//!    their launch records.
//!
//! The next page is read and prepared while the current one is launched. Requests per
//! agreement: one launch and one write-back, plus the amortised page read and list call.

mod lookup;
pub mod mapping;
mod progress;
mod watermark;

use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use futures_util::{StreamExt, stream};
use ironclad_client::{
    auth::UserRef,
    workflows::{LaunchWorkflow, Workflow, WorkflowId},
};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tracing::Instrument;
use uuid::Uuid;

use super::agreement::{MsaAgreement, RelatedCache, Row, msa_query, workflow_status};
use super::{FlowContext, FlowError};
use crate::attributes::{MsaAttributes, ResolveError};
use crate::state::{LaunchRecord, LaunchState};
use progress::Progress;
pub use watermark::{InitialWatermark, LeftAlone};

/// How a run of flow 1 behaves.
///
/// ```
/// use flows::LaunchOptions;
///
/// let options = LaunchOptions { concurrency: 8, ..LaunchOptions::default() };
/// assert_eq!(options.page_size, 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
// Options: public fields and `Default`, so `..Default::default()` keeps working as fields
// are added (not `#[non_exhaustive]`, which would forbid that).
pub struct LaunchOptions {
    /// Agreements launched and written back at the same time (default 4).
    pub concurrency: usize,
    /// `Prefer: odata.maxpagesize` of the agreement query (default 100).
    pub page_size: u32,
    /// Agreements per Ironclad lookup of existing workflows (default 50: a filter of 50 ids is
    /// about 4 KB once URL-encoded, within every common URL limit).
    pub lookup_batch: usize,
    /// Where the first run starts, when the state has no watermark (`--since`): by default
    /// the time it starts.
    pub initial_watermark: InitialWatermark,
    /// How far before the watermark a run reads again (default 2 minutes), for rows whose
    /// transaction committed after rows with a later `modifiedon` were read. Rows already
    /// written back are not read again (their URL is set), so this costs nothing.
    pub watermark_overlap: Duration,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            page_size: 100,
            lookup_batch: 50,
            initial_watermark: InitialWatermark::Now,
            watermark_overlap: Duration::from_secs(120),
        }
    }
}

/// How an agreement got its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaunchHow {
    /// Launched by this run.
    Launched,
    /// Found already launched in Ironclad (a crash after an earlier launch), and written back.
    Found,
    /// Launched by an earlier run whose write-back did not finish; written back now.
    Resumed,
}

/// An agreement fully processed: its workflow exists and is written back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgreementLaunched {
    /// The Agreement.
    pub agreement_id: Uuid,
    /// Its workflow.
    pub workflow_id: WorkflowId,
    /// The URL written back.
    pub workflow_url: String,
    /// The workflow's title (written to the Agreement's name).
    pub title: Option<String>,
    /// The workflow's step (written to the Agreement's Ironclad status).
    pub step: Option<String>,
    /// How it got there.
    pub how: LaunchHow,
}

/// An agreement the run could not process; the next run tries it again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgreementFailed {
    /// The Agreement, when its row had a readable id.
    pub agreement_id: Option<Uuid>,
    /// Why.
    pub error: String,
    /// Whether the same attempt may succeed later (throttling, outages) rather than needing the
    /// data to change.
    pub retryable: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunReport {
    /// Agreements fully processed, in completion order.
    pub processed: Vec<AgreementLaunched>,
    /// Agreements not processed.
    pub failed: Vec<AgreementFailed>,
    /// Why the run stopped before reading every page, if it did.
    pub incomplete: Option<String>,
    /// Whether a shutdown stopped the run before it started every agreement.
    pub stopped: bool,
    /// The watermark after the run.
    pub watermark: Option<OffsetDateTime>,
    /// On a first run that started from a time (not `--since all`): the unlinked MSA
    /// agreements modified before it, which it left alone. `None` when they could not be
    /// counted (a warning is logged).
    pub left_alone: Option<LeftAlone>,
}

impl RunReport {
    /// Whether every agreement found was processed and every page read.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.incomplete.is_none()
    }

    /// How many agreements got a new workflow.
    pub fn launched(&self) -> usize {
        self.processed.iter().filter(|a| a.how == LaunchHow::Launched).count()
    }
}

/// Flow 1: see the [module docs](self).
///
/// ```no_run
/// # async fn demo(context: flows::FlowContext) -> Result<(), Box<dyn std::error::Error>> {
/// use flows::LaunchMsaWorkflows;
/// use tokio_util::sync::CancellationToken;
/// use flows::state::LaunchState;
///
/// let flow = LaunchMsaWorkflows::new(context, LaunchState::open("launch-msa-workflows.redb".as_ref())?)
///     .creator_email(Some("integration@example.com".into()));
/// let report = flow.run_once(&CancellationToken::new()).await;
/// println!("{} launched, {} failed", report.launched(), report.failed.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LaunchMsaWorkflows {
    context: FlowContext,
    state: LaunchState,
    creator: Option<String>,
    options: LaunchOptions,
    /// The template's attribute ids, resolved once.
    attributes: Arc<tokio::sync::OnceCell<MsaAttributes>>,
}

/// One agreement to process, in query order.
struct Job {
    seq: usize,
    agreement: Option<Uuid>,
    modified_on: Option<OffsetDateTime>,
    work: Work,
}

enum Work {
    /// Nothing can be done for it this run.
    Fail(AgreementFailed),
    Launch(Box<MsaAgreement>),
    Adopt(Box<Workflow>),
    Resume(LaunchRecord),
    /// A page could not be read: the run ends here.
    PageFailed(String),
}

enum Finished {
    Agreement {
        seq: usize,
        modified_on: Option<OffsetDateTime>,
        result: Result<AgreementLaunched, AgreementFailed>,
    },
    PageFailed(String),
}

fn failure(agreement: Option<Uuid>, error: &FlowError) -> AgreementFailed {
    AgreementFailed {
        agreement_id: agreement,
        error: error.to_string(),
        retryable: error.is_retryable(),
    }
}

impl LaunchMsaWorkflows {
    /// The flow over `context`, with its state.
    pub fn new(context: FlowContext, state: LaunchState) -> Self {
        Self {
            context,
            state,
            creator: None,
            options: LaunchOptions::default(),
            attributes: Arc::default(),
        }
    }

    /// Launch with these attribute ids instead of resolving them from the template.
    #[must_use]
    pub fn attributes(mut self, attributes: MsaAttributes) -> Self {
        self.attributes = Arc::new(tokio::sync::OnceCell::new_with(Some(attributes)));
        self
    }

    /// The template's attribute ids: read from its launch form on the first call (see
    /// [`MsaAttributes::fetch`]), with the context's
    /// [overrides](FlowContext::with_attribute_overrides). A run calls this first; call it at
    /// startup to stop before anything is read when the template lacks a field.
    ///
    /// # Errors
    /// [`ResolveError`]: the form cannot be read, or a field is missing (nothing is cached, so
    /// the next call tries again).
    ///
    /// ```no_run
    /// # async fn demo(flow: flows::LaunchMsaWorkflows) {
    /// use flows::attributes::MsaField;
    ///
    /// match flow.resolve_attributes().await {
    ///     Ok(ids) => println!("signer name: {}", ids.id(MsaField::SignerName)),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    pub async fn resolve_attributes(&self) -> Result<&MsaAttributes, ResolveError> {
        self.attributes
            .get_or_try_init(|| {
                MsaAttributes::fetch(
                    &self.context.ironclad,
                    self.context.template_id(),
                    self.context.attribute_overrides(),
                )
            })
            .await
    }

    /// The Ironclad user launching the workflows (`creator`): needed with a legacy API token,
    /// ignored by Ironclad with OAuth.
    #[must_use]
    pub fn creator_email(mut self, email: Option<String>) -> Self {
        self.creator = email;
        self
    }

    /// Change the options.
    #[must_use]
    pub fn options(mut self, options: LaunchOptions) -> Self {
        self.options = options;
        self
    }

    /// The state.
    pub fn state(&self) -> &LaunchState {
        &self.state
    }

    /// The context.
    pub fn context(&self) -> &FlowContext {
        &self.context
    }

    /// Poll every `interval`, one run at a time, until `shutdown` fires; a run in progress then
    /// starts no new agreement, finishes the ones in flight and saves its watermark. Returns
    /// the number of runs.
    ///
    /// ```no_run
    /// # async fn demo(flow: flows::LaunchMsaWorkflows) {
    /// use std::time::Duration;
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let runs = flow.poll(Duration::from_secs(300), program_support::shutdown::on_signals()).await;
    /// println!("stopped after {runs} runs");
    /// # }
    /// ```
    pub async fn poll(&self, interval: Duration, shutdown: CancellationToken) -> u64 {
        let mut runs = 0;
        loop {
            let report = self.run_once(&shutdown).await;
            runs += 1;
            log_report(&report);
            if shutdown.is_cancelled() {
                return runs;
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = shutdown.cancelled() => return runs,
            }
        }
    }

    /// One run (see the [module docs](self)). Never fails as a whole: what went wrong is in
    /// the report.
    ///
    /// ```no_run
    /// # async fn demo(flow: flows::LaunchMsaWorkflows) {
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let report = flow.run_once(&CancellationToken::new()).await;
    /// for failed in &report.failed {
    ///     eprintln!("{:?}: {} (retryable: {})", failed.agreement_id, failed.error, failed.retryable);
    /// }
    /// # }
    /// ```
    pub async fn run_once(&self, shutdown: &CancellationToken) -> RunReport {
        let mut report = RunReport::default();
        let ids = match self.resolve_attributes().await {
            Ok(ids) => ids.clone(),
            Err(error) => {
                report.incomplete = Some(error.to_string());
                return report;
            }
        };
        // One run at a time across replicas sharing the state: wait for the one in progress,
        // then start from the watermark and launch log it left.
        let _run = tokio::select! {
            lock = self.state.run_lock() => match lock {
                Ok(lock) => lock,
                Err(error) => {
                    report.incomplete = Some(error.to_string());
                    return report;
                }
            },
            () = shutdown.cancelled() => {
                report.stopped = true;
                return report;
            }
        };
        let started = OffsetDateTime::now_utc();
        let bounds = watermark::bounds(&self.context, &self.state, &self.options, started).await;
        let (previous, since) = match bounds {
            Ok(bounds) => {
                report.left_alone = bounds.left_alone;
                (bounds.previous, bounds.since)
            }
            Err(error) => {
                report.incomplete = Some(error.to_string());
                return report;
            }
        };
        report.watermark = previous;
        let capacity = (self.options.page_size as usize).max(self.options.concurrency).max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let producer = tokio::spawn(
            produce(self.context.clone(), self.state.clone(), self.options.clone(), ids, since, tx)
                .in_current_span(),
        );

        let stop = shutdown.clone();
        let jobs = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|job| (job, rx)) })
            .take_while(move |_| std::future::ready(!stop.is_cancelled()))
            .boxed();
        let mut finished =
            jobs.map(|job| self.execute(job)).buffer_unordered(self.options.concurrency.max(1));
        let mut progress = Progress::default();
        let mut written_back = Vec::new();
        while let Some(done) = finished.next().await {
            match done {
                Finished::PageFailed(error) => report.incomplete = Some(error),
                Finished::Agreement { seq, modified_on, result } => {
                    progress.finished(seq, modified_on, result.is_ok());
                    match result {
                        Ok(launched) => {
                            written_back.push(launched.agreement_id);
                            report.processed.push(launched);
                        }
                        Err(failed) => report.failed.push(failed),
                    }
                }
            }
        }
        drop(finished);
        report.stopped = shutdown.is_cancelled();
        // The producer ends once its channel is gone.
        let _ = producer.await;

        report.watermark = progress.watermark(previous);
        if report.watermark.is_none() && report.is_success() && !report.stopped {
            // A first run over everything (`--since all`) that found nothing: later runs start
            // from its start, so nothing created since is missed.
            report.watermark = InitialWatermark::Now.at(started);
        }
        if let Err(error) = self.state.finish_run(report.watermark, written_back).await {
            report.incomplete.get_or_insert(error.to_string());
        }
        report
    }

    async fn execute(&self, job: Job) -> Finished {
        let Job { seq, agreement, modified_on, work } = job;
        let span = tracing::info_span!(
            "agreement",
            id = agreement.map(|a| a.to_string()).unwrap_or_default()
        );
        async {
            match (work, agreement) {
                (Work::PageFailed(error), _) => return Finished::PageFailed(error),
                (Work::Fail(failed), _) => Err(failed),
                (_, None) => Err(AgreementFailed {
                    agreement_id: None,
                    error: "the row has no id".to_owned(),
                    retryable: false,
                }),
                (Work::Launch(msa), Some(id)) => {
                    self.launch(&msa).await.map_err(|e| failure(Some(id), &e))
                }
                (Work::Adopt(workflow), Some(id)) => {
                    self.adopt(id, *workflow).await.map_err(|e| failure(Some(id), &e))
                }
                (Work::Resume(record), Some(id)) => {
                    self.write_back(id, &record, LaunchHow::Resumed).await.map_err(|e| failure(Some(id), &e))
                }
            }
            .map_or_else(
                |failed| {
                    tracing::warn!(error = %failed.error, retryable = failed.retryable, "agreement not processed");
                    Finished::Agreement { seq, modified_on, result: Err(failed) }
                },
                |launched| Finished::Agreement { seq, modified_on, result: Ok(launched) },
            )
        }
        .instrument(span)
        .await
    }

    async fn launch(&self, agreement: &MsaAgreement) -> Result<AgreementLaunched, FlowError> {
        let ids = self.resolve_attributes().await.map_err(|e| FlowError::Data(e.to_string()))?;
        let attributes = mapping::launch_attributes(agreement, ids)?;
        let mut launch = LaunchWorkflow::new(self.context.template_id(), attributes);
        if let Some(email) = &self.creator {
            launch = launch.creator(UserRef::email(email));
        }
        let workflow = self.context.ironclad.workflows().launch(&launch).await?;
        tracing::info!(workflow = %workflow.id, "workflow launched");
        let record = record_of(&workflow, true);
        self.state.record_launch(agreement.id, record.clone()).await?;
        self.write_back(agreement.id, &record, LaunchHow::Launched).await
    }

    async fn adopt(
        &self,
        agreement: Uuid,
        workflow: Workflow,
    ) -> Result<AgreementLaunched, FlowError> {
        tracing::info!(workflow = %workflow.id, "workflow already launched; writing it back");
        let record = record_of(&workflow, false);
        self.state.record_launch(agreement, record.clone()).await?;
        self.write_back(agreement, &record, LaunchHow::Found).await
    }

    /// `PATCH` (with `If-Match: *`) the URL, the step as the status, and the title as the name.
    async fn write_back(
        &self,
        agreement: Uuid,
        record: &LaunchRecord,
        how: LaunchHow,
    ) -> Result<AgreementLaunched, FlowError> {
        let table = &self.context.table;
        let workflow_id = WorkflowId::from(&record.workflow_id);
        let url = self.context.workflow_url(&workflow_id).to_string();
        let mut body = Map::new();
        body.insert(table.workflow_url.clone(), Value::String(url.clone()));
        if let Some(step) = &record.step {
            body.insert(table.workflow_status.clone(), Value::String(step.clone()));
        }
        if let Some(title) = &record.title {
            body.insert(table.name.clone(), Value::String(title.clone()));
        }
        match self.context.dataverse.update(&table.entity_set, agreement, &body).await {
            Ok(()) => {}
            // Deleted since it was read: nothing left to write back to.
            Err(error) if error.is_not_found() => {
                tracing::warn!("the agreement was deleted before its write-back");
            }
            Err(error) => return Err(error.into()),
        }
        Ok(AgreementLaunched {
            agreement_id: agreement,
            workflow_id,
            workflow_url: url,
            title: record.title.clone(),
            step: record.step.clone(),
            how,
        })
    }
}

fn record_of(workflow: &Workflow, launched_here: bool) -> LaunchRecord {
    let step = workflow_status(workflow);
    LaunchRecord::new(workflow.id.clone(), workflow.title.clone(), step, launched_here)
}

/// Read the pages and turn each agreement into a [`Job`], in query order.
async fn produce(
    context: FlowContext,
    state: LaunchState,
    options: LaunchOptions,
    ids: MsaAttributes,
    since: Option<OffsetDateTime>,
    jobs: mpsc::Sender<Job>,
) {
    let query = msa_query(&context.table, since, options.page_size);
    let mut pages = context.dataverse.query::<Row>(query).pages();
    let mut cache = RelatedCache::default();
    let mut seq = 0;
    while let Some(page) = pages.next().await {
        let rows = match page {
            Ok(page) => page.items,
            Err(error) => {
                let error = FlowError::from(error).to_string();
                tracing::warn!(%error, "cannot read the next page of agreements");
                let _ = jobs
                    .send(Job {
                        seq,
                        agreement: None,
                        modified_on: None,
                        work: Work::PageFailed(error),
                    })
                    .await;
                return;
            }
        };
        let mut page_jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let agreement = row.guid(&context.table.id).ok().flatten();
            let modified_on = row.datetime("modifiedon").ok().flatten();
            let work =
                match MsaAgreement::from_row(row, &context.table, &context.dataverse, &mut cache)
                    .await
                {
                    Ok(msa) => Work::Launch(Box::new(msa)),
                    Err(error) => Work::Fail(failure(agreement, &error)),
                };
            page_jobs.push(Job { seq, agreement, modified_on, work });
            seq += 1;
        }
        decide_page(&context, &state, &options, &ids, &mut page_jobs).await;
        for job in page_jobs {
            if jobs.send(job).await.is_err() {
                return; // the run stopped
            }
        }
    }
}

/// Turn the page's launches into resumes (a launch record exists) or adoptions (Ironclad has a
/// workflow for the agreement). Without a successful lookup nothing may be launched.
async fn decide_page(
    context: &FlowContext,
    state: &LaunchState,
    options: &LaunchOptions,
    ids: &MsaAttributes,
    jobs: &mut [Job],
) {
    let to_launch: Vec<Uuid> = jobs
        .iter()
        .filter(|job| matches!(job.work, Work::Launch(_)))
        .filter_map(|job| job.agreement)
        .collect();
    if to_launch.is_empty() {
        return;
    }
    let records = match state.launches(to_launch.clone()).await {
        Ok(records) => records,
        Err(error) => return fail_launches(jobs, &FlowError::from(error)),
    };
    let unknown: Vec<Uuid> = to_launch.into_iter().filter(|id| !records.contains_key(id)).collect();
    let mut existing = if unknown.is_empty() {
        Default::default()
    } else {
        match lookup::existing_workflows(context, ids, &unknown, options.lookup_batch).await {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "cannot look up existing workflows; launching nothing from this page");
                return fail_launches(jobs, &error);
            }
        }
    };
    for job in jobs.iter_mut() {
        let (Work::Launch(_), Some(id)) = (&job.work, job.agreement) else { continue };
        if let Some(record) = records.get(&id) {
            job.work = Work::Resume(record.clone());
        } else if let Some(workflow) = existing.remove(&id) {
            job.work = Work::Adopt(Box::new(workflow));
        }
    }
}

fn fail_launches(jobs: &mut [Job], error: &FlowError) {
    for job in jobs.iter_mut() {
        if matches!(job.work, Work::Launch(_)) {
            job.work = Work::Fail(failure(job.agreement, error));
        }
    }
}

/// Log a run's outcome: one line per run, warnings for what failed.
pub fn log_report(report: &RunReport) {
    tracing::info!(
        processed = report.processed.len(),
        launched = report.launched(),
        failed = report.failed.len(),
        watermark = ?report.watermark,
        stopped = report.stopped,
        "run finished"
    );
    if let Some(reason) = &report.incomplete {
        tracing::warn!(%reason, "the run did not read every agreement");
    }
}

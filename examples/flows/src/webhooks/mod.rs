//! Flows 2–4 (spec 004): Ironclad webhook deliveries → Dynamics.
//!
//! | event | effect |
//! |---|---|
//! | `workflow_attribute_updated` (whatever it lists as changed) | the Agreement Value mirrors the workflow's current `totalContractValue`, exactly |
//! | `workflow_approval_status_changed` | a note regarding the Agreement: approval name, status, user, link |
//! | `workflow_completed` | the record's signed copy (or, if it never shows, the workflow's `signed` document) streamed into a note, then the Agreement's Ironclad status |
//!
//! Only MSA-template workflows are acted on (the delivery's `templateID` when present, else the
//! fetched workflow's template), and the Agreement is the workflow's `dynamicsMsaId` (or the
//! id [configured](crate::attributes::AttributeOverrides) for it).
//!
//! The receiver ([`WebhookFlows::router`]) verifies every delivery with Ironclad's key (401
//! and nothing stored when it fails), stores it in the durable [`EventQueue`] keyed by
//! `X-Ironclad-Webhook-Event-Id` (a redelivery is answered 200 and not queued again) and
//! answers at once; a background worker processes the queue in order, retries failures with
//! exponential backoff, and picks up where it left off after a restart. Every effect is
//! idempotent, so an event processed again after a crash changes nothing twice.

mod approval_note;
mod completion;
mod note_id;
mod outcome;
mod receiver;
mod register;
mod value_sync;
mod worker;
mod workflow;

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use ironclad_client::webhooks::WebhookVerifier;
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use outcome::EventOutcome;
pub use register::{EVENTS, Registration, register_subscription};
pub use worker::WorkerOptions;

use super::FlowContext;
use crate::state::EventQueue;

/// Flows 2–4: the receiver and its worker over one queue. Cheap to clone.
///
/// ```no_run
/// # async fn demo(context: flows::FlowContext) -> Result<(), Box<dyn std::error::Error>> {
/// use flows::WebhookFlows;
/// use flows::state::EventQueue;
///
/// let flows = WebhookFlows::new(context, EventQueue::open("ironclad-webhooks.redb".as_ref())?);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// flows.serve(listener, program_support::shutdown::on_signals()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebhookFlows {
    context: FlowContext,
    queue: EventQueue,
    verifier: WebhookVerifier,
    options: WorkerOptions,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for WebhookFlows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookFlows")
            .field("context", &self.context)
            .field("queue", &self.queue)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl WebhookFlows {
    /// The flows over `context`, verifying with the key `context`'s Ironclad client fetches.
    pub fn new(context: FlowContext, queue: EventQueue) -> Self {
        let verifier = WebhookVerifier::new(context.ironclad.clone());
        Self { context, queue, verifier, options: WorkerOptions::default(), wake: Arc::default() }
    }

    /// Verify with this verifier instead (a fixed key in tests).
    #[must_use]
    pub fn with_verifier(mut self, verifier: WebhookVerifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// Change the worker's options.
    #[must_use]
    pub fn options(mut self, options: WorkerOptions) -> Self {
        self.options = options;
        self
    }

    /// The queue.
    pub fn queue(&self) -> &EventQueue {
        &self.queue
    }

    /// The verifier (to fetch the key at startup: [`WebhookVerifier::prefetch_key`]).
    pub fn verifier(&self) -> &WebhookVerifier {
        &self.verifier
    }

    /// The receiver's routes: `POST` on any path takes a delivery; `GET /healthz`.
    ///
    /// | answer | when |
    /// |---|---|
    /// | `200 {"status":"queued"}` | verified and stored |
    /// | `200 {"status":"duplicate"}` | a redelivery of a known event id: not stored again |
    /// | `401 {"error":"invalid_signature","reason":…}` | a missing, malformed or wrong signature |
    /// | `400 {"error":"invalid_delivery"}` | a verified body that is not a delivery |
    /// | `413` | a body over 256 KiB |
    /// | `503` | the verification key cannot be fetched, or the queue cannot be written (Ironclad retries) |
    ///
    /// ```no_run
    /// # async fn demo(flows: flows::WebhookFlows) -> std::io::Result<()> {
    /// // Mount the receiver in your own server, and run the worker beside it.
    /// let app = axum::Router::new().nest_service("/hooks/ironclad", flows.router());
    /// tokio::spawn({ let flows = flows.clone(); async move { flows.run_worker(program_support::shutdown::on_signals()).await } });
    /// axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8080").await?, app).await
    /// # }
    /// ```
    pub fn router(&self) -> axum::Router {
        receiver::router(self.clone())
    }

    /// Run the worker until `shutdown` (the event in progress is finished).
    pub async fn run_worker(&self, shutdown: CancellationToken) {
        worker::run(self.clone(), shutdown).await;
    }

    /// Serve the receiver on `listener` and run the worker, until `shutdown`: then stop
    /// accepting, finish requests in flight and the event in progress, and return.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let worker = tokio::spawn(worker::run(self.clone(), shutdown.clone()));
        let stop = shutdown;
        let served = axum::serve(listener, self.router())
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        let _ = worker.await;
        served
    }
}

//! The background worker: process queued events, retry with backoff, resume after a restart.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use ironclad_client::webhooks::{WebhookDelivery, WebhookEvent};
use time::OffsetDateTime;
use tracing::Instrument;

use super::{EventOutcome, WebhookFlows, approval_note, completion, value_sync};
use crate::FlowError;
use crate::state::QueuedEvent;

/// How the worker retries and how long it remembers finished events.
///
/// ```
/// use std::time::Duration;
/// use flows::WorkerOptions;
///
/// let fast = WorkerOptions { initial_backoff: Duration::from_millis(10), ..WorkerOptions::default() };
/// assert_eq!(fast.backoff(0), Duration::from_millis(10));
/// assert_eq!(fast.backoff(3), Duration::from_millis(80));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
// Options: public fields and `Default`, so `..Default::default()` keeps working as fields
// are added (not `#[non_exhaustive]`, which would forbid that).
pub struct WorkerOptions {
    /// The wait after a first failed attempt; it doubles with each failure (default 2 s).
    pub initial_backoff: Duration,
    /// The longest wait between attempts (default 10 minutes).
    pub max_backoff: Duration,
    /// Attempts before an event is given up on (default 15, about 1.5 hours of retries).
    pub max_attempts: u32,
    /// How long finished events are remembered, so that a redelivery of one is recognised
    /// (default 7 days; Ironclad stops retrying within 3 days).
    pub retention: Duration,
    /// How long a worker holds an event it took (default 5 minutes): if it dies mid-event,
    /// another worker (of any replica) takes the event when the lease runs out. Longer than
    /// the slowest event (a signed copy streamed into a note).
    pub lease: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            max_attempts: 15,
            retention: Duration::from_secs(7 * 24 * 3600),
            lease: Duration::from_secs(300),
        }
    }
}

impl WorkerOptions {
    /// The wait after `failures` failed attempts (before jitter).
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.min(30));
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// Events taken per look at the queue.
const BATCH: usize = 16;
/// The longest sleep with nothing due (new deliveries wake the worker at once).
const IDLE: Duration = Duration::from_secs(30);
/// The longest sleep on a shared queue: deliveries other replicas accept do not wake this one.
const SHARED_IDLE: Duration = Duration::from_secs(1);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Process events until `shutdown`; the event in progress is finished first.
pub(crate) async fn run(flows: WebhookFlows, shutdown: CancellationToken) {
    let mut last_prune: Option<tokio::time::Instant> = None;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            prune(&flows).await;
            last_prune = Some(tokio::time::Instant::now());
        }
        let processed = match flows.process_due().await {
            Ok(processed) => processed,
            Err(error) => {
                tracing::error!(%error, "cannot read the event queue");
                0
            }
        };
        if processed > 0 {
            continue;
        }
        let idle = if flows.queue.is_shared() { SHARED_IDLE } else { IDLE };
        let wait = match flows.queue.next_due().await {
            Ok(Some(at)) => {
                let until = at - OffsetDateTime::now_utc();
                Duration::try_from(until).unwrap_or(Duration::ZERO).min(idle)
            }
            _ => idle,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = flows.wake.notified() => {}
            () = shutdown.cancelled() => return,
        }
    }
}

async fn prune(flows: &WebhookFlows) {
    let before = OffsetDateTime::now_utc() - flows.options.retention;
    match flows.queue.prune_finished(before).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "forgot old finished events"),
        Err(error) => tracing::warn!(%error, "cannot prune the event queue"),
    }
}

impl WebhookFlows {
    /// Claim every event due now (for [`WorkerOptions::lease`]) and process them one at a
    /// time, oldest first. Returns how many were processed (the worker calls this in a loop;
    /// tests call it directly).
    ///
    /// # Errors
    /// When the queue cannot be read.
    ///
    /// ```no_run
    /// # async fn demo(flows: flows::WebhookFlows) -> Result<(), flows::state::StateError> {
    /// let processed = flows.process_due().await?;
    /// println!("{processed} events processed; {:?}", flows.queue().counts().await?);
    /// # Ok(()) }
    /// ```
    pub async fn process_due(&self) -> Result<usize, crate::state::StateError> {
        let mut processed = 0;
        loop {
            let now = OffsetDateTime::now_utc();
            // On a shared queue, one at a time: the lease of an event waiting behind others
            // would run out, and replicas share the work evenly.
            let batch = if self.queue.is_shared() { 1 } else { BATCH };
            let due = self.queue.claim(now, batch, self.options.lease).await?;
            if due.is_empty() {
                return Ok(processed);
            }
            for event in due {
                self.process(event).await;
                processed += 1;
            }
        }
    }

    async fn process(&self, event: QueuedEvent) {
        let span = tracing::info_span!("event", id = %event.event_id, attempt = event.attempts + 1);
        async {
            let result = match serde_json::from_str::<WebhookDelivery>(&event.body) {
                Ok(delivery) => self.handle(&delivery, &event.event_id, event.attempts).await,
                Err(error) => {
                    Err(FlowError::Data(format!("the stored delivery does not parse: {error}")))
                }
            };
            let stored = match result {
                Ok(outcome) => {
                    tracing::info!(%outcome, "event processed");
                    self.queue.complete(&event.event_id, &outcome.to_string()).await
                }
                Err(error)
                    if error.is_retryable() && event.attempts + 1 < self.options.max_attempts =>
                {
                    let wait = jitter(self.options.backoff(event.attempts));
                    tracing::warn!(%error, retry_in = ?wait, "event failed; will retry");
                    let at = OffsetDateTime::now_utc() + wait;
                    self.queue.retry_at(&event.event_id, at, &error.to_string()).await
                }
                Err(error) => {
                    tracing::error!(%error, "event failed for good");
                    self.queue.fail(&event.event_id, &error.to_string()).await
                }
            };
            if let Err(error) = stored {
                // The event stays due as it was and is tried again: every handler is idempotent.
                tracing::error!(%error, "cannot record the event's result");
            }
        }
        .instrument(span)
        .await;
    }

    /// Process one delivery: flows 2–4 by event type; anything else is ignored.
    ///
    /// # Errors
    /// A [`FlowError`]; [`FlowError::is_retryable`] says whether to try again.
    ///
    /// ```no_run
    /// # async fn demo(flows: flows::WebhookFlows, delivery: ironclad_client::webhooks::WebhookDelivery) -> Result<(), flows::FlowError> {
    /// let outcome = flows.handle(&delivery, "webhookEvent8d9e0c", 0).await?;
    /// println!("{outcome}");
    /// # Ok(()) }
    /// ```
    pub async fn handle(
        &self,
        delivery: &WebhookDelivery,
        event_id: &str,
        attempt: u32,
    ) -> Result<EventOutcome, FlowError> {
        let context = &self.context;
        match delivery.event() {
            WebhookEvent::WorkflowAttributeUpdated => {
                value_sync::sync_value(context, delivery).await
            }
            WebhookEvent::WorkflowApprovalStatusChanged => {
                approval_note::note_approval(context, delivery, event_id).await
            }
            WebhookEvent::WorkflowCompleted => {
                let last_attempt = attempt + 1 >= self.options.max_attempts;
                completion::attach_signed_copy(context, delivery, attempt, last_attempt).await
            }
            other => Ok(EventOutcome::Ignored(format!("{other} is not handled"))),
        }
    }
}

/// Up to 20% less, so events that failed together do not retry together.
fn jitter(wait: Duration) -> Duration {
    wait.mul_f64(1.0 - fastrand::f64() * 0.2)
}

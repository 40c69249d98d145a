//! Flows 2–4's state: the durable queue of accepted webhook deliveries, in the redb file
//! ([`open`](EventQueue::open)) or in PostgreSQL shared by replicas
//! ([`connect`](EventQueue::connect)).
//!
//! Workers [claim](EventQueue::claim) due events for a lease: a claimed event is due again
//! only when its lease runs out, so a worker that dies mid-event (even by SIGKILL) leaves it to
//! another one then. On PostgreSQL, workers of every replica claim with `FOR UPDATE SKIP
//! LOCKED`, so two workers never take the same event at once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use program_support::BoxFuture;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StateError;
use super::queue_postgres::PgEvents;
use super::queue_redb::RedbEvents;

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventStatus {
    /// Waiting for (another) processing attempt.
    Pending,
    /// Processed (applied, or deliberately ignored); see the outcome.
    Done,
    /// Given up on: a permanent error, or every retry failed; see the last error.
    Failed,
}

impl EventStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            EventStatus::Pending => "pending",
            EventStatus::Done => "done",
            EventStatus::Failed => "failed",
        }
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(EventStatus::Pending),
            "done" => Some(EventStatus::Done),
            "failed" => Some(EventStatus::Failed),
            _ => None,
        }
    }
}

/// One accepted delivery and its processing history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueuedEvent {
    /// `X-Ironclad-Webhook-Event-Id`.
    pub event_id: String,
    /// Arrival order.
    pub seq: u64,
    /// The verified delivery body, as received.
    pub body: String,
    /// When it was accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Where it stands.
    pub status: EventStatus,
    /// Processing attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (pending events).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The last failure.
    #[serde(default)]
    pub last_error: Option<String>,
    /// What processing did (done events).
    #[serde(default)]
    pub outcome: Option<String>,
    /// When it was done or given up on.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

impl QueuedEvent {
    /// A new pending event, due at once.
    pub(super) fn new(event_id: String, seq: u64, body: String, now: OffsetDateTime) -> Self {
        Self {
            event_id,
            seq,
            body,
            received_at: now,
            status: EventStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_error: None,
            outcome: None,
            finished_at: None,
        }
    }
}

/// The answer to [`EventQueue::enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// A new event, now durably queued.
    Accepted,
    /// The event id is known: a redelivery. Nothing was queued.
    Duplicate(EventStatus),
}

/// How many events are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueCounts {
    /// Waiting for processing.
    pub pending: u64,
    /// Processed.
    pub done: u64,
    /// Given up on.
    pub failed: u64,
}

/// What processing did to a pending event. Applied only while the event is pending: a worker
/// whose lease ran out cannot undo what the worker after it recorded.
#[derive(Debug, Clone)]
pub(super) enum Finish {
    /// Processed, with what it did.
    Complete(String),
    /// Failed; try again at this time.
    RetryAt(OffsetDateTime, String),
    /// Given up on.
    Fail(String),
}

impl Finish {
    /// Apply to `event` (pending) at `now`.
    pub(super) fn apply(self, event: &mut QueuedEvent, now: OffsetDateTime) {
        match self {
            Finish::Complete(outcome) => {
                event.status = EventStatus::Done;
                event.outcome = Some(outcome);
            }
            Finish::RetryAt(at, error) => {
                event.attempts += 1;
                event.next_attempt_at = Some(at);
                event.last_error = Some(error);
            }
            Finish::Fail(error) => {
                event.attempts += 1;
                event.status = EventStatus::Failed;
                event.last_error = Some(error);
            }
        }
        if event.status != EventStatus::Pending {
            event.next_attempt_at = None;
            event.finished_at = Some(now);
        }
    }
}

/// What an event store does; the redb file and PostgreSQL implement it.
pub(super) trait EventStore: Send + Sync + std::fmt::Debug {
    fn location(&self) -> &str;
    /// Whether other processes share it (their deliveries do not wake this worker).
    fn is_shared(&self) -> bool;
    fn enqueue(
        &self,
        event_id: String,
        body: String,
    ) -> BoxFuture<'_, Result<Enqueued, StateError>>;
    fn due(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<QueuedEvent>, StateError>>;
    /// Take up to `limit` due events: each is due again only at `lease_until`.
    fn claim(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease_until: OffsetDateTime,
    ) -> BoxFuture<'_, Result<Vec<QueuedEvent>, StateError>>;
    fn next_due(&self) -> BoxFuture<'_, Result<Option<OffsetDateTime>, StateError>>;
    fn get(&self, event_id: String) -> BoxFuture<'_, Result<Option<QueuedEvent>, StateError>>;
    fn finish(&self, event_id: String, finish: Finish) -> BoxFuture<'_, Result<(), StateError>>;
    fn counts(&self) -> BoxFuture<'_, Result<QueueCounts, StateError>>;
    fn prune_finished(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<usize, StateError>>;
}

/// The durable queue of accepted webhook deliveries, keyed by event id. Cheap to clone.
///
/// ```
/// # async fn demo() -> Result<(), flows::state::StateError> {
/// use std::time::Duration;
/// use flows::state::{Enqueued, EventQueue};
/// use time::OffsetDateTime;
///
/// let queue = EventQueue::in_memory()?;
/// assert_eq!(queue.enqueue("webhookEvent1", "{}".into()).await?, Enqueued::Accepted);
/// assert!(matches!(queue.enqueue("webhookEvent1", "{}".into()).await?, Enqueued::Duplicate(_)));
/// let claimed = queue.claim(OffsetDateTime::now_utc(), 10, Duration::from_secs(300)).await?;
/// queue.complete(&claimed[0].event_id, "ignored: not the MSA template").await?;
/// assert_eq!(queue.counts().await?.done, 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct EventQueue {
    store: Arc<dyn EventStore>,
}

impl EventQueue {
    /// Open (or create) the state file.
    ///
    /// # Errors
    /// [`StateError::Open`] when the file cannot be opened (another process holds it).
    ///
    /// ```no_run
    /// let queue = flows::state::EventQueue::open("ironclad-webhooks.redb".as_ref())?;
    /// # let _ = queue;
    /// # Ok::<(), flows::state::StateError>(())
    /// ```
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Ok(Self { store: Arc::new(RedbEvents::open(path)?) })
    }

    /// A queue in memory only.
    ///
    /// # Errors
    /// When redb cannot set up its tables.
    pub fn in_memory() -> Result<Self, StateError> {
        Ok(Self { store: Arc::new(RedbEvents::in_memory()?) })
    }

    /// Connect to a PostgreSQL database shared by any number of replicas, and bring its schema
    /// up to date (safe while other replicas start too).
    ///
    /// # Errors
    /// [`StateError::Postgres`] when the URL is invalid, the server cannot be reached or a
    /// migration fails.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), flows::state::StateError> {
    /// let url = std::env::var("IRONCLAD_WEBHOOKS_DATABASE_URL").unwrap_or_default();
    /// let queue = flows::state::EventQueue::connect(&url.into()).await?;
    /// # let _ = queue;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &SecretString) -> Result<Self, StateError> {
        Ok(Self { store: Arc::new(PgEvents::connect(url).await?) })
    }

    /// Where the queue is: a file, `memory`, or `postgres://host:port/dbname`.
    pub fn location(&self) -> &str {
        self.store.location()
    }

    /// Whether other processes share the queue (a PostgreSQL database).
    pub fn is_shared(&self) -> bool {
        self.store.is_shared()
    }

    /// Queue a verified delivery unless its event id is known. Durable when it returns.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn enqueue(&self, event_id: &str, body: String) -> Result<Enqueued, StateError> {
        self.store.enqueue(event_id.to_owned(), body).await
    }

    /// Up to `limit` pending events due at `now`, oldest due first (a look: nothing is
    /// claimed).
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn due(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<QueuedEvent>, StateError> {
        self.store.due(now, limit).await
    }

    /// Take up to `limit` pending events due at `now`, oldest due first, for `lease`: until
    /// it runs out no other worker takes them. Record the result with
    /// [`complete`](Self::complete), [`retry_at`](Self::retry_at) or [`fail`](Self::fail);
    /// an event whose worker died is due again when its lease runs out.
    ///
    /// # Errors
    /// When the claim cannot be committed.
    pub async fn claim(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<QueuedEvent>, StateError> {
        self.store.claim(now, limit, now + lease).await
    }

    /// When the earliest pending event is due, if any is pending.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn next_due(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.store.next_due().await
    }

    /// An event by id.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn get(&self, event_id: &str) -> Result<Option<QueuedEvent>, StateError> {
        self.store.get(event_id.to_owned()).await
    }

    /// Mark a pending event processed, with what it did.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn complete(&self, event_id: &str, outcome: &str) -> Result<(), StateError> {
        self.store.finish(event_id.to_owned(), Finish::Complete(outcome.to_owned())).await
    }

    /// Count a failed attempt of a pending event and schedule the next at `at`.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn retry_at(
        &self,
        event_id: &str,
        at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StateError> {
        self.store.finish(event_id.to_owned(), Finish::RetryAt(at, error.to_owned())).await
    }

    /// Give up on a pending event (a permanent error, or out of retries).
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn fail(&self, event_id: &str, error: &str) -> Result<(), StateError> {
        self.store.finish(event_id.to_owned(), Finish::Fail(error.to_owned())).await
    }

    /// How many events are pending, done and failed.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn counts(&self) -> Result<QueueCounts, StateError> {
        self.store.counts().await
    }

    /// Forget events finished before `before` (their ids then no longer dedupe redeliveries:
    /// keep them longer than Ironclad retries, which is under 3 days). Returns how many went.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn prune_finished(&self, before: OffsetDateTime) -> Result<usize, StateError> {
        self.store.prune_finished(before).await
    }
}

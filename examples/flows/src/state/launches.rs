//! Flow 1's state: the watermark and the launch log, in the redb file
//! ([`open`](LaunchState::open)) or in PostgreSQL shared by replicas
//! ([`connect`](LaunchState::connect)).
//!
//! On PostgreSQL, a run holds a lock across replicas ([`LaunchState::run_lock`]): one poll at
//! a time, each starting from the watermark and launch log the previous one left, so two
//! replicas never launch a workflow for the same agreement.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use program_support::BoxFuture;
use program_support::postgres::SessionLock;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::StateError;
use super::launches_postgres::PgLaunches;
use super::launches_redb::RedbLaunches;

/// A workflow launched (or found) for an agreement whose write-back is not yet confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LaunchRecord {
    /// The workflow id.
    pub workflow_id: String,
    /// The workflow's title (written to the Agreement's name).
    pub title: Option<String>,
    /// The workflow's step (written to the Agreement's Ironclad status).
    pub step: Option<String>,
    /// `true` when this process launched it, `false` when it was found already launched.
    pub launched_here: bool,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

impl LaunchRecord {
    /// A record of `workflow_id` made now.
    pub fn new(
        workflow_id: impl Into<String>,
        title: Option<String>,
        step: Option<String>,
        launched_here: bool,
    ) -> Self {
        Self {
            workflow_id: workflow_id.into(),
            title,
            step,
            launched_here,
            recorded_at: OffsetDateTime::now_utc(),
        }
    }
}

/// Which stored time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// Agreements modified before it were all processed.
    Watermark,
    /// Agreements modified before it are never read.
    Floor,
}

impl Mark {
    pub(super) fn key(self) -> &'static str {
        match self {
            Mark::Watermark => "watermark",
            // The lower bound of every read: the start of the first run (`--since`), so the
            // overlap read again never reaches back into the backlog the first run left alone.
            Mark::Floor => "floor",
        }
    }
}

/// What a launch store does; the redb file and PostgreSQL implement it.
pub(super) trait LaunchStore: Send + Sync + std::fmt::Debug {
    fn location(&self) -> &str;
    fn mark(&self, mark: Mark) -> BoxFuture<'_, Result<Option<OffsetDateTime>, StateError>>;
    /// Store `at` as watermark and floor unless a watermark is stored; whether it was.
    fn start_at(&self, at: OffsetDateTime) -> BoxFuture<'_, Result<bool, StateError>>;
    fn launches(
        &self,
        agreements: Vec<Uuid>,
    ) -> BoxFuture<'_, Result<HashMap<Uuid, LaunchRecord>, StateError>>;
    fn pending_launches(&self) -> BoxFuture<'_, Result<u64, StateError>>;
    /// Durably record these launches, in one commit.
    fn record(&self, launches: Vec<(Uuid, LaunchRecord)>) -> BoxFuture<'_, Result<(), StateError>>;
    fn finish_run(
        &self,
        watermark: Option<OffsetDateTime>,
        written_back: Vec<Uuid>,
    ) -> BoxFuture<'_, Result<(), StateError>>;
    /// Wait until no other replica runs; `None` when no other process can share the state.
    fn run_lock(&self) -> BoxFuture<'_, Result<Option<SessionLock>, StateError>>;
}

type Waiter = oneshot::Sender<Result<(), StateError>>;

/// Launch records waiting for the next commit. Concurrent launches share one commit (and one
/// `fsync`): whoever takes the commit lock commits everything queued so far.
#[derive(Default)]
struct GroupCommit {
    queued: Mutex<Vec<(Uuid, LaunchRecord, Waiter)>>,
    committing: tokio::sync::Mutex<()>,
}

/// Holds the run of one replica: no other replica runs until it is dropped.
#[derive(Debug)]
#[must_use = "the run lock is released when dropped"]
pub struct RunLock {
    _held: Option<SessionLock>,
}

/// Flow 1's durable state: the poll watermark, and the workflows launched for agreements whose
/// write-back is not yet confirmed. Cheap to clone.
///
/// ```
/// # async fn demo() -> Result<(), flows::state::StateError> {
/// use flows::state::{LaunchRecord, LaunchState};
/// use uuid::Uuid;
///
/// let state = LaunchState::in_memory()?;
/// let agreement = Uuid::new_v4();
/// state.record_launch(agreement, LaunchRecord::new("6a6b…", None, Some("Review".into()), true)).await?;
/// assert!(state.launches(vec![agreement]).await?.contains_key(&agreement));
/// state.finish_run(Some(time::OffsetDateTime::now_utc()), vec![agreement]).await?;
/// assert!(state.launches(vec![agreement]).await?.is_empty());
/// assert!(state.watermark().await?.is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LaunchState {
    store: Arc<dyn LaunchStore>,
    group: Arc<GroupCommit>,
}

impl std::fmt::Debug for LaunchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchState")
            .field("location", &self.store.location())
            .finish_non_exhaustive()
    }
}

impl LaunchState {
    fn new(store: impl LaunchStore + 'static) -> Self {
        Self { store: Arc::new(store), group: Arc::default() }
    }

    /// Open (or create) the state file.
    ///
    /// # Errors
    /// [`StateError::Open`] when the file cannot be opened (another process holds it).
    ///
    /// ```no_run
    /// let state = flows::state::LaunchState::open("launch-msa-workflows.redb".as_ref())?;
    /// # let _ = state;
    /// # Ok::<(), flows::state::StateError>(())
    /// ```
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Ok(Self::new(RedbLaunches::open(path)?))
    }

    /// A state in memory only.
    ///
    /// # Errors
    /// When redb cannot set up its tables.
    pub fn in_memory() -> Result<Self, StateError> {
        Ok(Self::new(RedbLaunches::in_memory()?))
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
    /// let url = std::env::var("LAUNCH_MSA_WORKFLOWS_DATABASE_URL").unwrap_or_default();
    /// let state = flows::state::LaunchState::connect(&url.into()).await?;
    /// # let _ = state;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &SecretString) -> Result<Self, StateError> {
        Ok(Self::new(PgLaunches::connect(url).await?))
    }

    /// Where the state is: a file, `memory`, or `postgres://host:port/dbname`.
    pub fn location(&self) -> &str {
        self.store.location()
    }

    /// Wait until no other replica is running a poll, and keep them out until the returned
    /// lock is dropped (or this process dies). Immediate on the redb file, which one process
    /// holds alone.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn run_lock(&self) -> Result<RunLock, StateError> {
        Ok(RunLock { _held: self.store.run_lock().await? })
    }

    /// The watermark: agreements modified before it were all processed.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn watermark(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.store.mark(Mark::Watermark).await
    }

    /// The floor: agreements modified before it are never read (the backlog the first run
    /// left alone). `None` when the first run read everything (`--since all`).
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn floor(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.store.mark(Mark::Floor).await
    }

    /// Start from `at`: store it as the watermark and the floor, unless a watermark is already
    /// stored. Committed before the first run reads anything, so a first run that finds
    /// nothing, or crashes, still starts the next one from `at`. Returns whether it was stored.
    ///
    /// # Errors
    /// When the commit fails.
    ///
    /// ```
    /// # async fn demo() -> Result<(), flows::state::StateError> {
    /// let state = flows::state::LaunchState::in_memory()?;
    /// let start = time::macros::datetime!(2026-05-01 10:00:00 UTC);
    /// assert!(state.start_at(start).await?);
    /// assert!(!state.start_at(time::OffsetDateTime::now_utc()).await?, "already started");
    /// assert_eq!(state.floor().await?, Some(start));
    /// # Ok(()) }
    /// ```
    pub async fn start_at(&self, at: OffsetDateTime) -> Result<bool, StateError> {
        self.store.start_at(at).await
    }

    /// The launch records of these agreements (those that have one).
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn launches(
        &self,
        agreements: Vec<Uuid>,
    ) -> Result<HashMap<Uuid, LaunchRecord>, StateError> {
        self.store.launches(agreements).await
    }

    /// How many launches wait for a confirmed write-back.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn pending_launches(&self) -> Result<u64, StateError> {
        self.store.pending_launches().await
    }

    /// Durably record the workflow of an agreement. Returns once it is committed; concurrent
    /// calls share commits.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn record_launch(
        &self,
        agreement: Uuid,
        record: LaunchRecord,
    ) -> Result<(), StateError> {
        let (done, wait) = oneshot::channel();
        self.group.queued.lock().unwrap_or_else(|p| p.into_inner()).push((agreement, record, done));
        {
            let _turn = self.group.committing.lock().await;
            let batch =
                std::mem::take(&mut *self.group.queued.lock().unwrap_or_else(|p| p.into_inner()));
            if !batch.is_empty() {
                let (entries, waiters): (Vec<_>, Vec<_>) =
                    batch.into_iter().map(|(id, record, waiter)| ((id, record), waiter)).unzip();
                let result = self.store.record(entries).await;
                for waiter in waiters {
                    let _ = waiter.send(result.clone());
                }
            }
        }
        wait.await.map_err(|_| StateError::Worker("the launch commit was abandoned".to_owned()))?
    }

    /// End a run: store the new watermark (when given) and forget the launch records of the
    /// agreements whose write-back succeeded, in one commit.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn finish_run(
        &self,
        watermark: Option<OffsetDateTime>,
        written_back: Vec<Uuid>,
    ) -> Result<(), StateError> {
        self.store.finish_run(watermark, written_back).await
    }
}

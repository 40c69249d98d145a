//! Flow 1's state: the watermark and the launch log.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use redb::{
    ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{StateDb, StateError, decode, encode};

/// `watermark` and `floor` → RFC 3339 text.
const META: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("launch_meta");
/// Agreement id → [`LaunchRecord`] JSON, until the write-back is confirmed.
const LAUNCHES: TableDefinition<'static, u128, &[u8]> = TableDefinition::new("launches");

const WATERMARK: &str = "watermark";
/// The lower bound of every read: the start of the first run (`--since`), so the overlap read
/// again never reaches back into the backlog the first run left alone.
const FLOOR: &str = "floor";

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

type Waiter = oneshot::Sender<Result<(), StateError>>;

/// Launch records waiting for the next commit. Concurrent launches share one commit (and one
/// `fsync`): whoever takes the commit lock commits everything queued so far.
#[derive(Default)]
struct GroupCommit {
    queued: Mutex<Vec<(Uuid, LaunchRecord, Waiter)>>,
    committing: tokio::sync::Mutex<()>,
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
    db: StateDb,
    group: Arc<GroupCommit>,
}

impl std::fmt::Debug for LaunchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchState").field("location", &self.db.location).finish_non_exhaustive()
    }
}

fn create_tables(txn: &WriteTransaction) -> Result<(), StateError> {
    txn.open_table(META)?;
    txn.open_table(LAUNCHES)?;
    Ok(())
}

impl LaunchState {
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
        Ok(Self { db: StateDb::open(path, create_tables)?, group: Arc::default() })
    }

    /// A state in memory only.
    ///
    /// # Errors
    /// When redb cannot set up its tables.
    pub fn in_memory() -> Result<Self, StateError> {
        Ok(Self { db: StateDb::in_memory(create_tables)?, group: Arc::default() })
    }

    /// The watermark: agreements modified before it were all processed.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn watermark(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.meta_time(WATERMARK).await
    }

    /// The floor: agreements modified before it are never read (the backlog the first run
    /// left alone). `None` when the first run read everything (`--since all`).
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn floor(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.meta_time(FLOOR).await
    }

    async fn meta_time(&self, key: &'static str) -> Result<Option<OffsetDateTime>, StateError> {
        self.db
            .blocking(move |db| {
                let txn = db.begin_read()?;
                let meta = txn.open_table(META)?;
                let Some(value) = meta.get(key)? else { return Ok(None) };
                let text = String::from_utf8_lossy(value.value()).into_owned();
                OffsetDateTime::parse(&text, &Rfc3339).map(Some).map_err(|e| StateError::Corrupt {
                    table: "launch_meta",
                    message: e.to_string(),
                })
            })
            .await
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
        let text = rfc3339(at)?;
        self.db
            .blocking(move |db| {
                let txn = db.begin_write()?;
                let stored = {
                    let mut meta = txn.open_table(META)?;
                    if meta.get(WATERMARK)?.is_some() {
                        false
                    } else {
                        meta.insert(WATERMARK, text.as_bytes())?;
                        meta.insert(FLOOR, text.as_bytes())?;
                        true
                    }
                };
                txn.commit()?;
                Ok(stored)
            })
            .await
    }

    /// The launch records of these agreements (those that have one).
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn launches(
        &self,
        agreements: Vec<Uuid>,
    ) -> Result<HashMap<Uuid, LaunchRecord>, StateError> {
        self.db
            .blocking(move |db| {
                let txn = db.begin_read()?;
                let table = txn.open_table(LAUNCHES)?;
                let mut found = HashMap::new();
                for id in agreements {
                    if let Some(value) = table.get(id.as_u128())? {
                        found.insert(id, decode("launches", value.value())?);
                    }
                }
                Ok(found)
            })
            .await
    }

    /// How many launches wait for a confirmed write-back.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn pending_launches(&self) -> Result<u64, StateError> {
        self.db.blocking(|db| Ok(db.begin_read()?.open_table(LAUNCHES)?.len()?)).await
    }

    /// Durably record the workflow of an agreement. Returns once it is on disk; concurrent
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
                let result = self
                    .db
                    .blocking(move |db| {
                        let txn = db.begin_write()?;
                        {
                            let mut table = txn.open_table(LAUNCHES)?;
                            for (id, record) in &entries {
                                table.insert(id.as_u128(), encode(record).as_slice())?;
                            }
                        }
                        txn.commit()?;
                        Ok(())
                    })
                    .await;
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
        self.db
            .blocking(move |db| {
                let txn = db.begin_write()?;
                {
                    if let Some(watermark) = watermark {
                        txn.open_table(META)?.insert(WATERMARK, rfc3339(watermark)?.as_bytes())?;
                    }
                    let mut table = txn.open_table(LAUNCHES)?;
                    for id in written_back {
                        table.remove(id.as_u128())?;
                    }
                }
                txn.commit()?;
                Ok(())
            })
            .await
    }
}

fn rfc3339(at: OffsetDateTime) -> Result<String, StateError> {
    at.format(&Rfc3339)
        .map_err(|e| StateError::Corrupt { table: "launch_meta", message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_records_all_land_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("launch.redb");
        let ids: Vec<Uuid> = (0..32).map(|_| Uuid::new_v4()).collect();
        {
            let state = LaunchState::open(&path).unwrap();
            let tasks: Vec<_> = ids
                .iter()
                .map(|id| {
                    let state = state.clone();
                    let id = *id;
                    tokio::spawn(async move {
                        state
                            .record_launch(id, LaunchRecord::new(id.to_string(), None, None, true))
                            .await
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap().unwrap();
            }
        }
        let state = LaunchState::open(&path).unwrap();
        let found = state.launches(ids.clone()).await.unwrap();
        assert_eq!(found.len(), 32);
        assert_eq!(found[&ids[3]].workflow_id, ids[3].to_string());
        assert_eq!(state.pending_launches().await.unwrap(), 32);
        assert_eq!(state.watermark().await.unwrap(), None);
        let at = time::macros::datetime!(2026-05-01 10:00:00 UTC);
        state.finish_run(Some(at), ids[..30].to_vec()).await.unwrap();
        assert_eq!(state.pending_launches().await.unwrap(), 2);
        assert_eq!(state.watermark().await.unwrap(), Some(at));
    }

    #[test]
    fn a_second_process_cannot_open_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("launch.redb");
        let _first = LaunchState::open(&path).unwrap();
        let error = LaunchState::open(&path).unwrap_err();
        assert!(error.to_string().starts_with("cannot open the state file"), "{error}");
    }
}

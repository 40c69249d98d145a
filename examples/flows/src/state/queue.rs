//! Flows 2–4's state: the durable queue of accepted webhook deliveries.

use std::path::Path;

use redb::{
    ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{StateDb, StateError, decode, encode};

/// Event id → [`QueuedEvent`] JSON (pending, done or failed).
const EVENTS: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("events");
/// `(due unix ms, seq)` → event id, for pending events only.
const DUE: TableDefinition<'static, (u64, u64), &str> = TableDefinition::new("events_due");
/// `(finished unix ms, seq)` → event id, for done and failed events (pruning).
const FINISHED: TableDefinition<'static, (u64, u64), &str> =
    TableDefinition::new("events_finished");
/// `seq`: the last sequence number given.
const COUNTERS: TableDefinition<'static, &str, u64> = TableDefinition::new("events_counters");

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

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// The durable queue of accepted webhook deliveries, keyed by event id. Cheap to clone.
///
/// ```
/// # async fn demo() -> Result<(), flows::state::StateError> {
/// use flows::state::{Enqueued, EventQueue};
/// use time::OffsetDateTime;
///
/// let queue = EventQueue::in_memory()?;
/// assert_eq!(queue.enqueue("webhookEvent1", "{}".into()).await?, Enqueued::Accepted);
/// assert!(matches!(queue.enqueue("webhookEvent1", "{}".into()).await?, Enqueued::Duplicate(_)));
/// let due = queue.due(OffsetDateTime::now_utc(), 10).await?;
/// queue.complete(&due[0].event_id, "ignored: not the MSA template").await?;
/// assert_eq!(queue.counts().await?.done, 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct EventQueue {
    db: StateDb,
}

fn create_tables(txn: &WriteTransaction) -> Result<(), StateError> {
    txn.open_table(EVENTS)?;
    txn.open_table(DUE)?;
    txn.open_table(FINISHED)?;
    txn.open_table(COUNTERS)?;
    Ok(())
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
        Ok(Self { db: StateDb::open(path, create_tables)? })
    }

    /// A queue in memory only.
    ///
    /// # Errors
    /// When redb cannot set up its tables.
    pub fn in_memory() -> Result<Self, StateError> {
        Ok(Self { db: StateDb::in_memory(create_tables)? })
    }

    /// Queue a verified delivery unless its event id is known. Durable when it returns.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn enqueue(&self, event_id: &str, body: String) -> Result<Enqueued, StateError> {
        let event_id = event_id.to_owned();
        self.db
            .blocking(move |db| {
                let txn = db.begin_write()?;
                let answer = {
                    let mut events = txn.open_table(EVENTS)?;
                    if let Some(known) = events.get(event_id.as_str())? {
                        let known: QueuedEvent = decode("events", known.value())?;
                        Enqueued::Duplicate(known.status)
                    } else {
                        let mut counters = txn.open_table(COUNTERS)?;
                        let seq = counters.get("seq")?.map_or(0, |v| v.value()) + 1;
                        counters.insert("seq", seq)?;
                        let now = OffsetDateTime::now_utc();
                        let event = QueuedEvent {
                            event_id: event_id.clone(),
                            seq,
                            body,
                            received_at: now,
                            status: EventStatus::Pending,
                            attempts: 0,
                            next_attempt_at: Some(now),
                            last_error: None,
                            outcome: None,
                            finished_at: None,
                        };
                        events.insert(event_id.as_str(), encode(&event).as_slice())?;
                        txn.open_table(DUE)?.insert((millis(now), seq), event_id.as_str())?;
                        Enqueued::Accepted
                    }
                };
                txn.commit()?;
                Ok(answer)
            })
            .await
    }

    /// Up to `limit` pending events due at `now`, oldest due first.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn due(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<QueuedEvent>, StateError> {
        self.db
            .blocking(move |db| {
                let txn = db.begin_read()?;
                let due = txn.open_table(DUE)?;
                let events = txn.open_table(EVENTS)?;
                let mut found = Vec::new();
                for entry in due.range(..=(millis(now), u64::MAX))?.take(limit) {
                    let (_, id) = entry?;
                    if let Some(event) = events.get(id.value())? {
                        found.push(decode("events", event.value())?);
                    }
                }
                Ok(found)
            })
            .await
    }

    /// When the earliest pending event is due, if any is pending.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn next_due(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.db
            .blocking(|db| {
                let txn = db.begin_read()?;
                let due = txn.open_table(DUE)?;
                let first = due.first()?.map(|(key, _)| key.value().0);
                Ok(first.and_then(|ms| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
                }))
            })
            .await
    }

    /// An event by id.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn get(&self, event_id: &str) -> Result<Option<QueuedEvent>, StateError> {
        let event_id = event_id.to_owned();
        self.db
            .blocking(move |db| {
                let txn = db.begin_read()?;
                let events = txn.open_table(EVENTS)?;
                events.get(event_id.as_str())?.map(|v| decode("events", v.value())).transpose()
            })
            .await
    }

    /// Mark an event processed, with what it did.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn complete(&self, event_id: &str, outcome: &str) -> Result<(), StateError> {
        let outcome = outcome.to_owned();
        self.update(event_id, move |event| {
            event.status = EventStatus::Done;
            event.outcome = Some(outcome);
        })
        .await
    }

    /// Count a failed attempt and schedule the next at `at`.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn retry_at(
        &self,
        event_id: &str,
        at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StateError> {
        let error = error.to_owned();
        self.update(event_id, move |event| {
            event.attempts += 1;
            event.next_attempt_at = Some(at);
            event.last_error = Some(error);
        })
        .await
    }

    /// Give up on an event (a permanent error, or out of retries).
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn fail(&self, event_id: &str, error: &str) -> Result<(), StateError> {
        let error = error.to_owned();
        self.update(event_id, move |event| {
            event.attempts += 1;
            event.status = EventStatus::Failed;
            event.last_error = Some(error);
        })
        .await
    }

    /// Rewrite one event and keep the indexes in step, in one commit.
    async fn update<F>(&self, event_id: &str, change: F) -> Result<(), StateError>
    where
        F: FnOnce(&mut QueuedEvent) + Send + 'static,
    {
        let event_id = event_id.to_owned();
        self.db
            .blocking(move |db| {
                let txn = db.begin_write()?;
                {
                    let mut events = txn.open_table(EVENTS)?;
                    let Some(stored) = events.get(event_id.as_str())?.map(|v| v.value().to_vec())
                    else {
                        return Ok(());
                    };
                    let mut event: QueuedEvent = decode("events", &stored)?;
                    let mut due = txn.open_table(DUE)?;
                    if let Some(at) = event.next_attempt_at {
                        due.remove((millis(at), event.seq))?;
                    }
                    change(&mut event);
                    match event.status {
                        EventStatus::Pending => {
                            let at = event.next_attempt_at.unwrap_or_else(OffsetDateTime::now_utc);
                            due.insert((millis(at), event.seq), event_id.as_str())?;
                        }
                        EventStatus::Done | EventStatus::Failed => {
                            let now = OffsetDateTime::now_utc();
                            event.next_attempt_at = None;
                            event.finished_at = Some(now);
                            txn.open_table(FINISHED)?
                                .insert((millis(now), event.seq), event_id.as_str())?;
                        }
                    }
                    events.insert(event_id.as_str(), encode(&event).as_slice())?;
                }
                txn.commit()?;
                Ok(())
            })
            .await
    }

    /// How many events are pending, done and failed.
    ///
    /// # Errors
    /// When the state cannot be read.
    pub async fn counts(&self) -> Result<QueueCounts, StateError> {
        self.db
            .blocking(|db| {
                let txn = db.begin_read()?;
                let mut counts =
                    QueueCounts { pending: txn.open_table(DUE)?.len()?, ..QueueCounts::default() };
                for entry in txn.open_table(EVENTS)?.iter()? {
                    let (_, value) = entry?;
                    match decode::<QueuedEvent>("events", value.value())?.status {
                        EventStatus::Done => counts.done += 1,
                        EventStatus::Failed => counts.failed += 1,
                        EventStatus::Pending => {}
                    }
                }
                Ok(counts)
            })
            .await
    }

    /// Forget events finished before `before` (their ids then no longer dedupe redeliveries:
    /// keep them longer than Ironclad retries, which is under 3 days). Returns how many went.
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn prune_finished(&self, before: OffsetDateTime) -> Result<usize, StateError> {
        self.db
            .blocking(move |db| {
                let txn = db.begin_write()?;
                let removed = {
                    let mut finished = txn.open_table(FINISHED)?;
                    let mut events = txn.open_table(EVENTS)?;
                    let old: Vec<((u64, u64), String)> = finished
                        .range(..(millis(before), 0))?
                        .map(|entry| entry.map(|(k, v)| (k.value(), v.value().to_owned())))
                        .collect::<Result<_, _>>()?;
                    for (key, id) in &old {
                        finished.remove(*key)?;
                        events.remove(id.as_str())?;
                    }
                    old.len()
                };
                txn.commit()?;
                Ok(removed)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    #[tokio::test]
    async fn an_event_goes_through_retries_to_done_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.redb");
        let now = OffsetDateTime::now_utc();
        {
            let queue = EventQueue::open(&path).unwrap();
            assert_eq!(queue.enqueue("e1", "{\"a\":1}".into()).await.unwrap(), Enqueued::Accepted);
            assert_eq!(queue.enqueue("e2", "{}".into()).await.unwrap(), Enqueued::Accepted);
            queue.retry_at("e1", now + Duration::hours(1), "503").await.unwrap();
            let due = queue.due(now + Duration::seconds(1), 10).await.unwrap();
            assert_eq!(due.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["e2"]);
        }
        let queue = EventQueue::open(&path).unwrap();
        let later = queue.due(now + Duration::hours(2), 10).await.unwrap();
        assert_eq!(later.len(), 2);
        assert_eq!(later[1].event_id, "e1");
        assert_eq!(later[1].attempts, 1);
        assert_eq!(later[1].last_error.as_deref(), Some("503"));
        assert_eq!(later[1].body, "{\"a\":1}");
        queue.complete("e1", "value synced").await.unwrap();
        queue.fail("e2", "agreement does not exist").await.unwrap();
        assert_eq!(
            queue.enqueue("e1", "{}".into()).await.unwrap(),
            Enqueued::Duplicate(EventStatus::Done)
        );
        assert_eq!(queue.counts().await.unwrap(), QueueCounts { pending: 0, done: 1, failed: 1 });
        assert_eq!(queue.next_due().await.unwrap(), None);
        assert_eq!(queue.prune_finished(now - Duration::hours(1)).await.unwrap(), 0);
        assert_eq!(queue.prune_finished(now + Duration::hours(3)).await.unwrap(), 2);
        assert_eq!(queue.get("e1").await.unwrap(), None);
    }
}

//! The event queue in the redb file: one process per file.

use std::path::Path;

use program_support::BoxFuture;
use redb::{
    ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use time::OffsetDateTime;

use super::queue::{Enqueued, EventStatus, EventStore, Finish, QueueCounts, QueuedEvent};
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

fn millis(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn create_tables(txn: &WriteTransaction) -> Result<(), StateError> {
    txn.open_table(EVENTS)?;
    txn.open_table(DUE)?;
    txn.open_table(FINISHED)?;
    txn.open_table(COUNTERS)?;
    Ok(())
}

/// The redb event store.
#[derive(Debug)]
pub(super) struct RedbEvents {
    db: StateDb,
}

impl RedbEvents {
    pub(super) fn open(path: &Path) -> Result<Self, StateError> {
        Ok(Self { db: StateDb::open(path, create_tables)? })
    }

    pub(super) fn in_memory() -> Result<Self, StateError> {
        Ok(Self { db: StateDb::in_memory(create_tables)? })
    }
}

/// Pending events due at `now`, oldest due first.
fn due_in<T: ReadableTable<(u64, u64), &'static str>>(
    due: &T,
    events: &impl ReadableTable<&'static str, &'static [u8]>,
    now: OffsetDateTime,
    limit: usize,
) -> Result<Vec<QueuedEvent>, StateError> {
    let mut found = Vec::new();
    for entry in due.range(..=(millis(now), u64::MAX))?.take(limit) {
        let (_, id) = entry?;
        if let Some(event) = events.get(id.value())? {
            found.push(decode("events", event.value())?);
        }
    }
    Ok(found)
}

impl EventStore for RedbEvents {
    fn location(&self) -> &str {
        &self.db.location
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn enqueue(
        &self,
        event_id: String,
        body: String,
    ) -> BoxFuture<'_, Result<Enqueued, StateError>> {
        Box::pin(self.db.blocking(move |db| {
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
                    let event = QueuedEvent::new(event_id.clone(), seq, body, now);
                    events.insert(event_id.as_str(), encode(&event).as_slice())?;
                    txn.open_table(DUE)?.insert((millis(now), seq), event_id.as_str())?;
                    Enqueued::Accepted
                }
            };
            txn.commit()?;
            Ok(answer)
        }))
    }

    fn due(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<QueuedEvent>, StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_read()?;
            due_in(&txn.open_table(DUE)?, &txn.open_table(EVENTS)?, now, limit)
        }))
    }

    fn claim(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease_until: OffsetDateTime,
    ) -> BoxFuture<'_, Result<Vec<QueuedEvent>, StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_write()?;
            let claimed = {
                let mut due = txn.open_table(DUE)?;
                let mut events = txn.open_table(EVENTS)?;
                let claimed = due_in(&due, &events, now, limit)?;
                for event in &claimed {
                    if let Some(at) = event.next_attempt_at {
                        due.remove((millis(at), event.seq))?;
                    }
                    due.insert((millis(lease_until), event.seq), event.event_id.as_str())?;
                    let mut leased = event.clone();
                    leased.next_attempt_at = Some(lease_until);
                    events.insert(event.event_id.as_str(), encode(&leased).as_slice())?;
                }
                claimed
            };
            txn.commit()?;
            Ok(claimed)
        }))
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<OffsetDateTime>, StateError>> {
        Box::pin(self.db.blocking(|db| {
            let txn = db.begin_read()?;
            let due = txn.open_table(DUE)?;
            let first = due.first()?.map(|(key, _)| key.value().0);
            Ok(first.and_then(|ms| {
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
            }))
        }))
    }

    fn get(&self, event_id: String) -> BoxFuture<'_, Result<Option<QueuedEvent>, StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_read()?;
            let events = txn.open_table(EVENTS)?;
            events.get(event_id.as_str())?.map(|v| decode("events", v.value())).transpose()
        }))
    }

    fn finish(&self, event_id: String, finish: Finish) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_write()?;
            {
                let mut events = txn.open_table(EVENTS)?;
                let Some(stored) = events.get(event_id.as_str())?.map(|v| v.value().to_vec())
                else {
                    return Ok(());
                };
                let mut event: QueuedEvent = decode("events", &stored)?;
                if event.status != EventStatus::Pending {
                    return Ok(());
                }
                let mut due = txn.open_table(DUE)?;
                if let Some(at) = event.next_attempt_at {
                    due.remove((millis(at), event.seq))?;
                }
                let now = OffsetDateTime::now_utc();
                finish.apply(&mut event, now);
                match event.next_attempt_at {
                    Some(at) => {
                        due.insert((millis(at), event.seq), event_id.as_str())?;
                    }
                    None => {
                        txn.open_table(FINISHED)?
                            .insert((millis(now), event.seq), event_id.as_str())?;
                    }
                }
                events.insert(event_id.as_str(), encode(&event).as_slice())?;
            }
            txn.commit()?;
            Ok(())
        }))
    }

    fn counts(&self) -> BoxFuture<'_, Result<QueueCounts, StateError>> {
        Box::pin(self.db.blocking(|db| {
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
        }))
    }

    fn prune_finished(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<usize, StateError>> {
        Box::pin(self.db.blocking(move |db| {
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
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::EventQueue;

    #[tokio::test]
    async fn events_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.redb");
        {
            let queue = EventQueue::open(&path).unwrap();
            queue.enqueue("e1", "{\"a\":1}".into()).await.unwrap();
        }
        let queue = EventQueue::open(&path).unwrap();
        assert_eq!(queue.get("e1").await.unwrap().unwrap().body, "{\"a\":1}");
        assert_eq!(queue.counts().await.unwrap().pending, 1);
    }
}

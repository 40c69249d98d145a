//! The event queue in PostgreSQL: receivers of every replica write to one inbox, and workers of
//! every replica claim from it with `FOR UPDATE SKIP LOCKED`.

use program_support::BoxFuture;
use program_support::postgres::client::Row;
use program_support::postgres::{Database, Migration};
use secrecy::SecretString;
use time::OffsetDateTime;

use super::StateError;
use super::queue::{Enqueued, EventStatus, EventStore, Finish, QueueCounts, QueuedEvent};

const COMPONENT: &str = "ironclad-webhooks";

const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "CREATE SEQUENCE webhook_event_seq;
     CREATE TABLE webhook_events (
         event_id text PRIMARY KEY,
         seq bigint NOT NULL,
         body text NOT NULL,
         received_at timestamptz NOT NULL,
         status text NOT NULL,
         attempts integer NOT NULL DEFAULT 0,
         next_attempt_at timestamptz,
         last_error text,
         outcome text,
         finished_at timestamptz
     );
     CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at, seq)
         WHERE status = 'pending';
     CREATE INDEX webhook_events_finished ON webhook_events (finished_at)
         WHERE status <> 'pending';",
)];

const COLUMNS: &str = "event_id, seq, body, received_at, status, attempts, next_attempt_at, \
                       last_error, outcome, finished_at";

/// Connections per replica: the receiver's inserts and the worker's updates.
const POOL_SIZE: usize = 8;

/// The PostgreSQL event store.
#[derive(Debug)]
pub(super) struct PgEvents {
    db: Database,
    location: String,
}

impl PgEvents {
    pub(super) async fn connect(url: &SecretString) -> Result<Self, StateError> {
        let db = Database::connect(url, POOL_SIZE).await?;
        db.migrate(COMPONENT, MIGRATIONS).await?;
        let location = db.location();
        Ok(Self { db, location })
    }
}

fn status(text: &str) -> Result<EventStatus, StateError> {
    EventStatus::parse(text).ok_or_else(|| StateError::Corrupt {
        table: "webhook_events",
        message: format!("unknown status `{text}`"),
    })
}

fn event(row: &Row) -> Result<QueuedEvent, StateError> {
    let status = status(row.get("status"))?;
    let seq: i64 = row.get("seq");
    let attempts: i32 = row.get("attempts");
    Ok(QueuedEvent {
        event_id: row.get("event_id"),
        seq: u64::try_from(seq).unwrap_or(0),
        body: row.get("body"),
        received_at: row.get("received_at"),
        status,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: row.get("next_attempt_at"),
        last_error: row.get("last_error"),
        outcome: row.get("outcome"),
        finished_at: row.get("finished_at"),
    })
}

fn events(rows: &[Row]) -> Result<Vec<QueuedEvent>, StateError> {
    rows.iter().map(event).collect()
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl EventStore for PgEvents {
    fn location(&self) -> &str {
        &self.location
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn enqueue(
        &self,
        event_id: String,
        body: String,
    ) -> BoxFuture<'_, Result<Enqueued, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let now = OffsetDateTime::now_utc();
            let inserted = client
                .query_opt(
                    "INSERT INTO webhook_events
                         (event_id, seq, body, received_at, status, next_attempt_at)
                     VALUES ($1, nextval('webhook_event_seq'), $2, $3, 'pending', $3)
                     ON CONFLICT (event_id) DO NOTHING RETURNING seq",
                    &[&event_id, &body, &now],
                )
                .await?;
            if inserted.is_some() {
                return Ok(Enqueued::Accepted);
            }
            let row = client
                .query_one("SELECT status FROM webhook_events WHERE event_id = $1", &[&event_id])
                .await?;
            Ok(Enqueued::Duplicate(status(&row.try_get::<_, String>(0)?)?))
        })
    }

    fn due(
        &self,
        now: OffsetDateTime,
        count: usize,
    ) -> BoxFuture<'_, Result<Vec<QueuedEvent>, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM webhook_events
                         WHERE status = 'pending' AND next_attempt_at <= $1
                         ORDER BY next_attempt_at, seq LIMIT $2"
                    ),
                    &[&now, &limit(count)],
                )
                .await?;
            events(&rows)
        })
    }

    fn claim(
        &self,
        now: OffsetDateTime,
        count: usize,
        lease_until: OffsetDateTime,
    ) -> BoxFuture<'_, Result<Vec<QueuedEvent>, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            // The old row's values are what the worker needs (its due time is not).
            let rows = client
                .query(
                    &format!(
                        "WITH taken AS (
                             SELECT event_id FROM webhook_events
                             WHERE status = 'pending' AND next_attempt_at <= $1
                             ORDER BY next_attempt_at, seq LIMIT $2
                             FOR UPDATE SKIP LOCKED)
                         UPDATE webhook_events e SET next_attempt_at = $3
                         FROM taken WHERE e.event_id = taken.event_id
                         RETURNING {}",
                        COLUMNS
                            .split(", ")
                            .map(|c| format!("e.{c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    &[&now, &limit(count), &lease_until],
                )
                .await?;
            let mut claimed = events(&rows)?;
            claimed.sort_by_key(|event| event.seq);
            Ok(claimed)
        })
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<OffsetDateTime>, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client
                .query_one(
                    "SELECT min(next_attempt_at) FROM webhook_events WHERE status = 'pending'",
                    &[],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    fn get(&self, event_id: String) -> BoxFuture<'_, Result<Option<QueuedEvent>, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM webhook_events WHERE event_id = $1"),
                    &[&event_id],
                )
                .await?;
            row.as_ref().map(event).transpose()
        })
    }

    fn finish(&self, event_id: String, finish: Finish) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            let row = txn
                .query_opt(
                    &format!(
                        "SELECT {COLUMNS} FROM webhook_events
                         WHERE event_id = $1 AND status = 'pending' FOR UPDATE"
                    ),
                    &[&event_id],
                )
                .await?;
            let Some(row) = row else { return Ok(()) };
            let mut updated = event(&row)?;
            finish.apply(&mut updated, OffsetDateTime::now_utc());
            let attempts = i32::try_from(updated.attempts).unwrap_or(i32::MAX);
            txn.execute(
                "UPDATE webhook_events SET status = $2, attempts = $3, next_attempt_at = $4,
                     last_error = $5, outcome = $6, finished_at = $7
                 WHERE event_id = $1",
                &[
                    &event_id,
                    &updated.status.as_str(),
                    &attempts,
                    &updated.next_attempt_at,
                    &updated.last_error,
                    &updated.outcome,
                    &updated.finished_at,
                ],
            )
            .await?;
            txn.commit().await?;
            Ok(())
        })
    }

    fn counts(&self) -> BoxFuture<'_, Result<QueueCounts, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let rows = client
                .query("SELECT status, count(*) FROM webhook_events GROUP BY status", &[])
                .await?;
            let mut counts = QueueCounts::default();
            for row in rows {
                let status: String = row.get(0);
                let count = u64::try_from(row.get::<_, i64>(1)).unwrap_or(0);
                match EventStatus::parse(&status) {
                    Some(EventStatus::Pending) => counts.pending = count,
                    Some(EventStatus::Done) => counts.done = count,
                    Some(EventStatus::Failed) => counts.failed = count,
                    None => {}
                }
            }
            Ok(counts)
        })
    }

    fn prune_finished(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<usize, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let removed = client
                .execute(
                    "DELETE FROM webhook_events WHERE status <> 'pending' AND finished_at < $1",
                    &[&before],
                )
                .await?;
            Ok(usize::try_from(removed).unwrap_or(usize::MAX))
        })
    }
}

//! Flow 1's state in PostgreSQL: the watermark and launch log shared by replicas, and the lock
//! that lets one of them poll at a time.

use std::collections::HashMap;

use program_support::BoxFuture;
use program_support::postgres::client::types::Json;
use program_support::postgres::{Database, Migration, SessionLock};
use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StateError;
use super::launches::{LaunchRecord, LaunchStore, Mark};

const COMPONENT: &str = "launch-msa-workflows";

const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "CREATE TABLE launch_marks (name text PRIMARY KEY, at timestamptz NOT NULL);
     CREATE TABLE launch_log (agreement_id uuid PRIMARY KEY, record jsonb NOT NULL);",
)];

/// The name of the lock a run holds.
const RUN_LOCK: &str = "launch-msa-workflows:run";
/// Connections per replica (the run lock has one of its own).
const POOL_SIZE: usize = 8;

/// The PostgreSQL launch store.
#[derive(Debug)]
pub(super) struct PgLaunches {
    db: Database,
    location: String,
}

impl PgLaunches {
    pub(super) async fn connect(url: &SecretString) -> Result<Self, StateError> {
        let db = Database::connect(url, POOL_SIZE).await?;
        db.migrate(COMPONENT, MIGRATIONS).await?;
        let location = db.location();
        Ok(Self { db, location })
    }
}

impl LaunchStore for PgLaunches {
    fn location(&self) -> &str {
        &self.location
    }

    fn mark(&self, mark: Mark) -> BoxFuture<'_, Result<Option<OffsetDateTime>, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client
                .query_opt("SELECT at FROM launch_marks WHERE name = $1", &[&mark.key()])
                .await?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    fn start_at(&self, at: OffsetDateTime) -> BoxFuture<'_, Result<bool, StateError>> {
        Box::pin(async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            let stored = txn
                .execute(
                    "INSERT INTO launch_marks (name, at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&Mark::Watermark.key(), &at],
                )
                .await?
                == 1;
            if stored {
                txn.execute(
                    "INSERT INTO launch_marks (name, at) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET at = excluded.at",
                    &[&Mark::Floor.key(), &at],
                )
                .await?;
            }
            txn.commit().await?;
            Ok(stored)
        })
    }

    fn launches(
        &self,
        agreements: Vec<Uuid>,
    ) -> BoxFuture<'_, Result<HashMap<Uuid, LaunchRecord>, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let rows = client
                .query(
                    "SELECT agreement_id, record FROM launch_log WHERE agreement_id = ANY($1)",
                    &[&agreements],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    let record = program_support::postgres::json::<LaunchRecord>(row, 1).map_err(
                        |error| StateError::Corrupt {
                            table: "launch_log",
                            message: error.to_string(),
                        },
                    )?;
                    Ok((row.try_get(0)?, record))
                })
                .collect()
        })
    }

    fn pending_launches(&self) -> BoxFuture<'_, Result<u64, StateError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client.query_one("SELECT count(*) FROM launch_log", &[]).await?;
            Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }

    fn record(&self, launches: Vec<(Uuid, LaunchRecord)>) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            for (id, record) in &launches {
                txn.execute(
                    "INSERT INTO launch_log (agreement_id, record) VALUES ($1, $2)
                     ON CONFLICT (agreement_id) DO UPDATE SET record = excluded.record",
                    &[id, &Json(record)],
                )
                .await?;
            }
            txn.commit().await?;
            Ok(())
        })
    }

    fn finish_run(
        &self,
        watermark: Option<OffsetDateTime>,
        written_back: Vec<Uuid>,
    ) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            if let Some(at) = watermark {
                txn.execute(
                    "INSERT INTO launch_marks (name, at) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET at = excluded.at",
                    &[&Mark::Watermark.key(), &at],
                )
                .await?;
            }
            txn.execute("DELETE FROM launch_log WHERE agreement_id = ANY($1)", &[&written_back])
                .await?;
            txn.commit().await?;
            Ok(())
        })
    }

    fn run_lock(&self) -> BoxFuture<'_, Result<Option<SessionLock>, StateError>> {
        Box::pin(async move { Ok(Some(self.db.lock(RUN_LOCK).await?)) })
    }
}

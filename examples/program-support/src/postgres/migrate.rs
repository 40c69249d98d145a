//! Versioned schema migrations, safe to run from several replicas at once.
//!
//! Each program (component) has its own numbered migrations; `schema_migrations` records the
//! versions applied. A replica takes a transaction-scoped advisory lock before it looks, so two
//! replicas starting together apply each migration once: the second waits, then finds nothing
//! left to do. Each migration commits with its record, or not at all.

use tokio_postgres::Client;

use super::PgError;

/// One schema change of a component: its version (1, 2, …, in order) and its SQL (one or more
/// statements).
///
/// ```
/// use program_support::postgres::Migration;
///
/// const MIGRATIONS: &[Migration] = &[
///     Migration::new(1, "CREATE TABLE items (id bigint PRIMARY KEY)"),
///     Migration::new(2, "ALTER TABLE items ADD COLUMN name text"),
/// ];
/// assert_eq!(MIGRATIONS[1].version(), 2);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    version: i32,
    sql: &'static str,
}

impl Migration {
    /// A migration to `version`.
    pub const fn new(version: i32, sql: &'static str) -> Self {
        Self { version, sql }
    }

    /// Its version.
    pub const fn version(&self) -> i32 {
        self.version
    }
}

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)";

/// Serializes migrations of every component in this schema.
const LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('schema_migrations'))";

pub(super) async fn run(
    client: &mut Client,
    component: &str,
    migrations: &[Migration],
) -> Result<(), PgError> {
    let known = migrations.iter().map(|m| m.version).max().unwrap_or(0);
    let txn = client.transaction().await?;
    txn.execute(LOCK, &[]).await?;
    txn.batch_execute(CREATE_LEDGER).await?;
    let applied: i32 = txn
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = $1",
            &[&component],
        )
        .await?
        .get(0);
    if applied > known {
        return Err(PgError::SchemaTooNew {
            component: component.to_owned(),
            found: applied,
            known,
        });
    }
    let mut pending: Vec<&Migration> = migrations.iter().filter(|m| m.version > applied).collect();
    pending.sort_by_key(|m| m.version);
    for migration in pending {
        let failed = |source| PgError::Migration {
            component: component.to_owned(),
            version: migration.version,
            source,
        };
        txn.batch_execute(migration.sql).await.map_err(failed)?;
        txn.execute(
            "INSERT INTO schema_migrations (component, version) VALUES ($1, $2)",
            &[&component, &migration.version],
        )
        .await
        .map_err(failed)?;
        tracing::info!(component, version = migration.version, "schema migrated");
    }
    txn.commit().await?;
    Ok(())
}

//! Durable state of the flows: an embedded redb file (the default, one process per file) or a
//! PostgreSQL database shared by any number of replicas.
//!
//! - [`LaunchState`] (flow 1): the watermark of the last poll and a log of launched workflows
//!   whose write-back to Dataverse is still to be confirmed, so a crash between launch and
//!   write-back never launches twice.
//! - [`EventQueue`] (flows 2–4): accepted webhook deliveries keyed by event id, waiting for (or
//!   done with) processing, so a delivery answered `200` is never lost and a redelivery is never
//!   processed twice.
//!
//! Every commit is durable (`fsync`) before the caller continues. redb holds a lock on the file:
//! one process per state file. On PostgreSQL, workers of every replica share the queue (each
//! claims due events for a lease, with `FOR UPDATE SKIP LOCKED`), and flow 1's runs take a lock
//! across replicas ([`LaunchState::run_lock`]).

#![deny(missing_docs)]

mod launches;
mod launches_postgres;
mod launches_redb;
mod queue;
mod queue_postgres;
mod queue_redb;
#[cfg(test)]
mod suite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, WriteTransaction};

pub use launches::{LaunchRecord, LaunchState, RunLock};
use program_support::postgres::PgError;
pub use queue::{Enqueued, EventQueue, EventStatus, QueueCounts, QueuedEvent};

/// A state operation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file cannot be opened or created (another process may hold it).
    #[error("cannot open the state file {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Arc<redb::DatabaseError>,
    },
    /// A transaction, table or storage operation failed.
    #[error("state database error: {0}")]
    Database(#[source] Arc<redb::Error>),
    /// A stored record does not decode (written by an incompatible version?).
    #[error("corrupt record in state table `{table}`: {message}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The decoding error.
        message: String,
    },
    /// PostgreSQL failed (or cannot be reached).
    #[error("{0}")]
    Postgres(#[source] Arc<PgError>),
    /// The blocking task running a state call failed.
    #[error("the state task failed: {0}")]
    Worker(String),
}

program_support::impl_from_redb!(StateError, |e| StateError::Database(Arc::new(e)));

impl From<PgError> for StateError {
    fn from(error: PgError) -> Self {
        StateError::Postgres(Arc::new(error))
    }
}

impl From<program_support::postgres::client::Error> for StateError {
    fn from(error: program_support::postgres::client::Error) -> Self {
        StateError::Postgres(Arc::new(PgError::Query(error)))
    }
}

/// Creates a state's tables.
type CreateTables = fn(&WriteTransaction) -> Result<(), StateError>;

/// The redb database behind a state, shared by its clones.
#[derive(Clone)]
pub(crate) struct StateDb {
    pub(crate) db: Arc<Database>,
    pub(crate) location: Arc<str>,
}

impl std::fmt::Debug for StateDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDb").field("location", &self.location).finish_non_exhaustive()
    }
}

impl StateDb {
    /// Open (or create) the file; `create_tables` runs in the first write transaction.
    fn open(path: &Path, create_tables: CreateTables) -> Result<Self, StateError> {
        let db = Database::create(path).map_err(|source| StateError::Open {
            path: path.to_owned(),
            source: Arc::new(source),
        })?;
        Self::init(db, path.display().to_string(), create_tables)
    }

    /// A database that lives in memory only (the demo, tests).
    fn in_memory(create_tables: CreateTables) -> Result<Self, StateError> {
        Self::init(program_support::redb_store::in_memory()?, "memory".to_owned(), create_tables)
    }

    fn init(
        db: Database,
        location: String,
        create_tables: CreateTables,
    ) -> Result<Self, StateError> {
        program_support::redb_store::create_tables(&db, create_tables)?;
        Ok(Self { db: Arc::new(db), location: location.into() })
    }

    /// Run `work` on the blocking pool: redb commits wait for `fsync`.
    pub(crate) async fn blocking<T, F>(&self, work: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StateError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|e| StateError::Worker(e.to_string()))?
    }
}

pub(crate) use program_support::redb_store::encode;

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<T, StateError> {
    serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt { table, message: e.to_string() })
}

//! The user store: users, their CRM contact links, the sync log, and the state that makes
//! deliveries idempotent and ordered.
//!
//! Two stores keep the same guarantees, behind one trait ([`UserStore`]):
//!
//! - the embedded redb file (the default): one process per file;
//! - PostgreSQL (`--database-url`): any number of replicas on one database. Deliveries of one
//!   contact are serialized across replicas by a transaction-scoped advisory lock, so a change
//!   delivered to two replicas at once applies once, and `modifiedon` ordering holds; the sync
//!   log is one table.
//!
//! Either way, a delivery's user change, contact state, redelivery marker and sync-log entry
//! commit together or not at all, and what a delivery does is decided by one shared function
//! (`decide.rs`).

mod decide;
mod postgres;
mod records;
mod redb;
#[cfg(test)]
mod suite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dataverse_webhook_types::PayloadShape;
use program_support::BoxFuture;
use program_support::postgres::{LostRace, PgError};
use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;

pub use records::{NewUser, SyncLogEntry, User};

use super::change::ContactChange;
use super::config::{Connection, Retention};
use super::dedupe::DedupeKey;
use super::outcome::SyncOutcome;

/// The sync-log bucket of requests to unknown connections (no valid id is empty).
pub(crate) const UNKNOWN_CONNECTIONS: &str = "";

/// What an accepted delivery did, as recorded in the sync log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// What happened.
    pub outcome: SyncOutcome,
    /// The user changed (or matched); for a duplicate, the user of the first delivery.
    pub user_id: Option<Uuid>,
    /// Why, in words.
    pub reason: String,
    /// The sync-log entry's id.
    pub log_id: u64,
    /// For a duplicate: what the first delivery did.
    pub original_outcome: Option<SyncOutcome>,
}

/// A request that was answered with an error before anything could be applied.
#[derive(Debug, Clone)]
pub(crate) struct Rejection<'a> {
    /// The connection id of the URL, as requested.
    pub(crate) connection_id: &'a str,
    /// Whether that connection is configured (unknown ones share one log bucket).
    pub(crate) known: bool,
    pub(crate) status: u16,
    pub(crate) error: &'a str,
    pub(crate) reason: String,
    pub(crate) message: Option<String>,
    pub(crate) contact_id: Option<Uuid>,
    pub(crate) shape: Option<PayloadShape>,
}

/// What a store does; the redb file and PostgreSQL implement it.
pub(crate) trait UserStore: Send + Sync + std::fmt::Debug {
    /// Where the data is (a file, `memory`, or a database without credentials).
    fn location(&self) -> &str;

    /// Apply `change` for `connection` and log it, in one transaction. `key` identifies the
    /// delivery when something does: a delivery with a known key is a resend and changes
    /// nothing; without a key the change is always applied.
    fn apply<'a>(
        &'a self,
        connection: &'a Connection,
        change: &'a ContactChange,
        key: Option<&'a DedupeKey>,
        retention: Retention,
    ) -> BoxFuture<'a, Result<Applied, StoreError>>;

    /// Log a rejected request; returns the entry's id.
    fn log_rejection<'a>(
        &'a self,
        rejection: &'a Rejection<'a>,
        retention: Retention,
    ) -> BoxFuture<'a, Result<u64, StoreError>>;

    /// The newest `limit` entries of a bucket, newest first.
    fn sync_log<'a>(
        &'a self,
        bucket: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SyncLogEntry>, StoreError>>;

    fn user(&self, id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>>;

    fn user_for_contact<'a>(
        &'a self,
        connection: &'a str,
        contact: Uuid,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>>;

    fn user_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>>;

    /// Store a new user, unless another has its email.
    fn create_user(&self, user: User) -> BoxFuture<'_, Result<User, StoreError>>;

    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>>;
}

/// The user store. Cheap to clone; every clone uses the same database.
///
/// ```
/// # async fn demo() -> Result<(), contact_sync::StoreError> {
/// use contact_sync::{NewUser, Store};
///
/// let store = Store::in_memory()?;
/// let user = store.create_user(NewUser::new().email("Ada@Example.com").first_name("Ada")).await?;
/// assert_eq!(store.user_by_email("ada@example.com").await?.map(|u| u.id), Some(user.id));
/// assert!(store.sync_log("contoso", 10).await?.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn UserStore>,
    retention: Retention,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file cannot be opened or created (another process may hold it).
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ::redb::DatabaseError,
    },
    /// A transaction, table or storage operation of the embedded store failed.
    #[error("database error: {0}")]
    Database(#[from] ::redb::Error),
    /// PostgreSQL failed (or cannot be reached).
    #[error("{0}")]
    Postgres(#[from] PgError),
    /// A stored record does not decode (written by an incompatible version?).
    #[error("corrupt record in table `{table}`: {message}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The decoding error.
        message: String,
    },
    /// Another user already has this email.
    #[error("the email is already used by user {0}")]
    EmailTaken(Uuid),
    /// The blocking task running a store call failed (it panicked or was cancelled).
    #[error("the store task failed: {0}")]
    Worker(String),
}

program_support::impl_from_redb!(StoreError, StoreError::Database);

impl From<program_support::postgres::client::Error> for StoreError {
    fn from(error: program_support::postgres::client::Error) -> Self {
        StoreError::Postgres(PgError::Query(error))
    }
}

impl LostRace for StoreError {
    fn is_race(&self) -> bool {
        matches!(self, StoreError::Postgres(error) if error.is_race())
    }
}

impl Store {
    fn new(backend: impl UserStore + 'static) -> Self {
        Self { backend: Arc::new(backend), retention: Retention::default() }
    }

    /// Open the database file, creating it (and its tables) if needed.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the file cannot be opened or created, or another process
    /// has it open.
    ///
    /// ```no_run
    /// use contact_sync::{Retention, Store};
    ///
    /// let store = Store::open("contact-sync.redb".as_ref())?.with_retention(Retention::default());
    /// # Ok::<(), contact_sync::StoreError>(())
    /// ```
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::new(redb::RedbStore::open(path)?))
    }

    /// A store that lives in memory only (the demo, tests).
    ///
    /// # Errors
    /// When redb cannot set up its tables.
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::new(redb::RedbStore::in_memory()?))
    }

    /// Connect to a PostgreSQL database shared by any number of replicas, and bring its
    /// schema up to date (safe while other replicas start too).
    ///
    /// # Errors
    /// [`StoreError::Postgres`] when the URL is invalid, the server cannot be reached, or a
    /// migration fails.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), contact_sync::StoreError> {
    /// let url = std::env::var("CONTACT_SYNC_DATABASE_URL").unwrap_or_default();
    /// let store = contact_sync::Store::connect(&url.into()).await?;
    /// # let _ = store;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &SecretString) -> Result<Self, StoreError> {
        Ok(Self::new(postgres::PgStore::connect(url).await?))
    }

    /// Keep this much history (entries beyond it are dropped oldest first, in the same
    /// transaction as each new entry).
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Where the data is: a file, `memory`, or `postgres://host:port/dbname` (no credentials).
    pub fn location(&self) -> &str {
        self.backend.location()
    }

    pub(crate) async fn apply(
        &self,
        connection: &Connection,
        change: &ContactChange,
        key: Option<&DedupeKey>,
    ) -> Result<Applied, StoreError> {
        self.backend.apply(connection, change, key, self.retention).await
    }

    pub(crate) async fn log_rejection(&self, rejection: &Rejection<'_>) -> Result<u64, StoreError> {
        self.backend.log_rejection(rejection, self.retention).await
    }

    /// The newest `limit` sync-log entries of a connection, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn sync_log(
        &self,
        connection: &str,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        self.backend.sync_log(connection, limit).await
    }

    /// The newest `limit` entries of requests to connections that are not configured.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn unknown_connection_log(
        &self,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        self.backend.sync_log(UNKNOWN_CONNECTIONS, limit).await
    }

    /// A user by id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.backend.user(id).await
    }

    /// The user linked to a CRM contact of a connection.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn user_for_contact(
        &self,
        connection: &str,
        contact: Uuid,
    ) -> Result<Option<User>, StoreError> {
        self.backend.user_for_contact(connection, contact).await
    }

    /// The user with this email (case-insensitive).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.backend.user_by_email(email).await
    }

    /// Create a user outside of a sync (one who signed up, an import). Active, not linked to
    /// any contact.
    ///
    /// # Errors
    /// [`StoreError::EmailTaken`] when another user has the email; database errors.
    pub async fn create_user(&self, draft: NewUser) -> Result<User, StoreError> {
        let mut user = User::new(Uuid::new_v4(), OffsetDateTime::now_utc());
        let clean = |value: Option<String>| {
            value.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty())
        };
        user.first_name = clean(draft.first_name);
        user.last_name = clean(draft.last_name);
        user.email = clean(draft.email);
        user.phone = clean(draft.phone);
        self.backend.create_user(user).await
    }

    /// Whether the database answers (for `/healthz`).
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.backend.check().await
    }
}

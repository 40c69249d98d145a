//! The embedded user store (redb): users, their CRM contact links, the sync log, and the state
//! that makes deliveries idempotent and ordered.
//!
//! Every delivery is one write transaction: the user change, the contact's ordering state, the
//! redelivery marker and the sync-log entry commit together or not at all, and redb runs one
//! write transaction at a time, so two deliveries of the same contact cannot interleave.

mod apply;
mod records;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

pub use apply::Applied;
pub(crate) use apply::Rejection;
pub use records::{NewUser, SyncLogEntry, User};

use super::config::Retention;
use program_support::redb_store::encode;

/// `user id` → [`User`] JSON.
const USERS: TableDefinition<'static, u128, &[u8]> = TableDefinition::new("users");
/// Lower-cased email → user id.
const USERS_BY_EMAIL: TableDefinition<'static, &str, u128> = TableDefinition::new("users_by_email");
/// `(connection id, contact id)` → ordering state JSON (linked user, newest `modifiedon`,
/// deletion).
const CONTACTS: TableDefinition<'static, (&str, u128), &[u8]> = TableDefinition::new("contacts");
/// Redelivery key → what its first delivery did.
const DEDUPE: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("dedupe");
/// Log id of a marker's first delivery → redelivery key, so the oldest markers go first.
const DEDUPE_ORDER: TableDefinition<'static, u64, &[u8]> = TableDefinition::new("dedupe_order");
/// `(connection id, log id)` → entry JSON. Unknown connections share the `""` bucket.
const SYNC_LOG: TableDefinition<'static, (&str, u64), &[u8]> = TableDefinition::new("sync_log");
/// `seq`, `dedupe` (marker count) and `log:<connection>` (entry count).
const COUNTERS: TableDefinition<'static, &str, u64> = TableDefinition::new("counters");

/// The sync-log bucket of requests to unknown connections (no valid id is empty).
pub(crate) const UNKNOWN_CONNECTIONS: &str = "";

/// The user store. Cheap to clone; every clone uses the same database.
///
/// Its methods block on disk I/O (a commit waits for `fsync`): call them from
/// `tokio::task::spawn_blocking` in async code.
///
/// ```
/// use contact_sync::{NewUser, Store};
///
/// let store = Store::in_memory()?;
/// let user = store.create_user(NewUser::new().email("Ada@Example.com").first_name("Ada"))?;
/// assert_eq!(store.user_by_email("ada@example.com")?.map(|u| u.id), Some(user.id));
/// assert!(store.sync_log("contoso", 10)?.is_empty());
/// # Ok::<(), contact_sync::StoreError>(())
/// ```
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    retention: Retention,
    location: Arc<str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
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
        source: redb::DatabaseError,
    },
    /// A transaction, table or storage operation failed.
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
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

impl Store {
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
        let db = Database::create(path)
            .map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        Self::init(db, path.display().to_string())
    }

    /// A store that lives in memory only (the demo, tests).
    ///
    /// # Errors
    /// When redb cannot set up its tables.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(program_support::redb_store::in_memory()?, "memory".to_owned())
    }

    fn init(db: Database, location: String) -> Result<Self, StoreError> {
        program_support::redb_store::create_tables(&db, |txn| -> Result<(), StoreError> {
            txn.open_table(USERS)?;
            txn.open_table(USERS_BY_EMAIL)?;
            txn.open_table(CONTACTS)?;
            txn.open_table(DEDUPE)?;
            txn.open_table(DEDUPE_ORDER)?;
            txn.open_table(SYNC_LOG)?;
            txn.open_table(COUNTERS)?;
            Ok(())
        })?;
        Ok(Self { db: Arc::new(db), retention: Retention::default(), location: location.into() })
    }

    /// Keep this much history (entries beyond it are dropped oldest first, in the same
    /// transaction as each new entry).
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The newest `limit` sync-log entries of a connection, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn sync_log(
        &self,
        connection: &str,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SYNC_LOG)?;
        let mut entries = Vec::new();
        for item in table.range((connection, 0)..=(connection, u64::MAX))?.rev().take(limit) {
            let (_, value) = item?;
            entries.push(decode("sync_log", value.value())?);
        }
        Ok(entries)
    }

    /// The newest `limit` entries of requests to connections that are not configured.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn unknown_connection_log(&self, limit: usize) -> Result<Vec<SyncLogEntry>, StoreError> {
        self.sync_log(UNKNOWN_CONNECTIONS, limit)
    }

    /// A user by id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        let txn = self.db.begin_read()?;
        let users = txn.open_table(USERS)?;
        users.get(id.as_u128())?.map(|value| decode("users", value.value())).transpose()
    }

    /// The user linked to a CRM contact of a connection.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn user_for_contact(
        &self,
        connection: &str,
        contact: Uuid,
    ) -> Result<Option<User>, StoreError> {
        let txn = self.db.begin_read()?;
        let contacts = txn.open_table(CONTACTS)?;
        let Some(state) = contacts.get((connection, contact.as_u128()))? else {
            return Ok(None);
        };
        let state: records::ContactState = decode("contacts", state.value())?;
        let Some(user_id) = state.user_id else { return Ok(None) };
        let users = txn.open_table(USERS)?;
        users.get(user_id.as_u128())?.map(|value| decode("users", value.value())).transpose()
    }

    /// The user with this email (case-insensitive).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let txn = self.db.begin_read()?;
        let index = txn.open_table(USERS_BY_EMAIL)?;
        let Some(id) = index.get(email_key(email).as_str())?.map(|id| id.value()) else {
            return Ok(None);
        };
        let users = txn.open_table(USERS)?;
        users.get(id)?.map(|value| decode("users", value.value())).transpose()
    }

    /// Create a user outside of a sync (one who signed up, an import). Active, not linked to
    /// any contact.
    ///
    /// # Errors
    /// [`StoreError::EmailTaken`] when another user has the email; database errors.
    pub fn create_user(&self, draft: NewUser) -> Result<User, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut user = User::new(Uuid::new_v4(), now);
        let clean = |value: Option<String>| {
            value.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty())
        };
        user.first_name = clean(draft.first_name);
        user.last_name = clean(draft.last_name);
        user.email = clean(draft.email);
        user.phone = clean(draft.phone);
        let txn = self.db.begin_write()?;
        {
            let mut index = txn.open_table(USERS_BY_EMAIL)?;
            if let Some(email) = &user.email {
                let key = email_key(email);
                if let Some(existing) = index.get(key.as_str())? {
                    return Err(StoreError::EmailTaken(Uuid::from_u128(existing.value())));
                }
                index.insert(key.as_str(), user.id.as_u128())?;
            }
            let mut users = txn.open_table(USERS)?;
            users.insert(user.id.as_u128(), encode(&user).as_slice())?;
        }
        txn.commit()?;
        Ok(user)
    }

    /// Whether the database answers (for `/healthz`).
    ///
    /// # Errors
    /// When a read transaction cannot be started.
    pub fn check(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_read()?;
        txn.open_table(COUNTERS)?;
        Ok(())
    }
}

/// Emails match case-insensitively and without surrounding spaces.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|error| StoreError::Corrupt { table, message: error.to_string() })
}

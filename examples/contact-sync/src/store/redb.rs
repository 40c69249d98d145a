//! The embedded store (redb, the default): one file, one process.
//!
//! Every delivery is one write transaction: the user change, the contact's ordering state, the
//! redelivery marker and the sync-log entry commit together or not at all, and redb runs one
//! write transaction at a time, so two deliveries of the same contact cannot interleave. Its
//! calls block on disk I/O (a commit waits for `fsync`): they run on the blocking pool.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, Table, TableDefinition, WriteTransaction};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::{self, Effect, Snapshot, Writes, email_key, new_email};
use super::records::{ContactState, DedupeMarker, SyncLogEntry, User};
use super::{Applied, Rejection, StoreError, UserStore};
use crate::change::ContactChange;
use crate::config::{Connection, Retention};
use crate::dedupe::DedupeKey;
use program_support::BoxFuture;
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

/// The redb store.
pub(super) struct RedbStore {
    db: Arc<Database>,
    location: String,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").field("location", &self.location).finish_non_exhaustive()
    }
}

impl RedbStore {
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)
            .map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        Self::init(db, path.display().to_string())
    }

    pub(super) fn in_memory() -> Result<Self, StoreError> {
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
        Ok(Self { db: Arc::new(db), location })
    }

    /// Run `work` on the blocking pool.
    fn blocking<T, F>(&self, work: F) -> BoxFuture<'static, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || work(&db)).await {
                Ok(result) => result,
                Err(join) => Err(StoreError::Worker(join.to_string())),
            }
        })
    }
}

impl UserStore for RedbStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn apply<'a>(
        &'a self,
        connection: &'a Connection,
        change: &'a ContactChange,
        key: Option<&'a DedupeKey>,
        retention: Retention,
    ) -> BoxFuture<'a, Result<Applied, StoreError>> {
        let (connection, change, key) = (connection.clone(), change.clone(), key.cloned());
        self.blocking(move |db| {
            let now = OffsetDateTime::now_utc();
            let txn = db.begin_write()?;
            let applied = {
                let mut tables = Tables::open(&txn, retention)?;
                let log_id = tables.next_seq()?;
                let first = match &key {
                    Some(key) => tables.marker(key)?,
                    None => None,
                };
                let effect = match first {
                    Some(first) => Effect::duplicate(&first),
                    None => {
                        let snapshot = tables.snapshot(&connection, &change)?;
                        let (effect, writes) =
                            decide::decide(&connection, &change, snapshot, now, Uuid::new_v4());
                        tables.write(connection.id().as_str(), change.contact_id(), writes)?;
                        effect
                    }
                };
                if let (Some(key), true) = (&key, effect.remember) {
                    tables.remember(key, &effect.marker(log_id))?;
                }
                let entry = decide::accepted_entry(
                    log_id,
                    now,
                    &connection,
                    &change,
                    key.as_ref(),
                    &effect,
                );
                tables.log(connection.id().as_str(), &entry)?;
                decide::applied(log_id, effect)
            };
            txn.commit()?;
            Ok(applied)
        })
    }

    fn log_rejection<'a>(
        &'a self,
        rejection: &'a Rejection<'a>,
        retention: Retention,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        // The rejection borrows: build the entry here, write it on the blocking pool.
        let (bucket, mut entry) = decide::rejection_entry(0, rejection);
        let bucket = bucket.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_write()?;
            let id = {
                let mut tables = Tables::open(&txn, retention)?;
                entry.id = tables.next_seq()?;
                tables.log(&bucket, &entry)?;
                entry.id
            };
            txn.commit()?;
            Ok(id)
        })
    }

    fn sync_log<'a>(
        &'a self,
        bucket: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SyncLogEntry>, StoreError>> {
        let bucket = bucket.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(SYNC_LOG)?;
            let mut entries = Vec::new();
            let range = (bucket.as_str(), 0)..=(bucket.as_str(), u64::MAX);
            for item in table.range(range)?.rev().take(limit) {
                let (_, value) = item?;
                entries.push(decode("sync_log", value.value())?);
            }
            Ok(entries)
        })
    }

    fn user(&self, id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>> {
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let users = txn.open_table(USERS)?;
            users.get(id.as_u128())?.map(|value| decode("users", value.value())).transpose()
        })
    }

    fn user_for_contact<'a>(
        &'a self,
        connection: &'a str,
        contact: Uuid,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        let connection = connection.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let contacts = txn.open_table(CONTACTS)?;
            let Some(state) = contacts.get((connection.as_str(), contact.as_u128()))? else {
                return Ok(None);
            };
            let state: ContactState = decode("contacts", state.value())?;
            let Some(user_id) = state.user_id else { return Ok(None) };
            let users = txn.open_table(USERS)?;
            users.get(user_id.as_u128())?.map(|value| decode("users", value.value())).transpose()
        })
    }

    fn user_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        let key = email_key(email);
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let index = txn.open_table(USERS_BY_EMAIL)?;
            let Some(id) = index.get(key.as_str())?.map(|id| id.value()) else {
                return Ok(None);
            };
            let users = txn.open_table(USERS)?;
            users.get(id)?.map(|value| decode("users", value.value())).transpose()
        })
    }

    fn create_user(&self, user: User) -> BoxFuture<'_, Result<User, StoreError>> {
        self.blocking(move |db| {
            let txn = db.begin_write()?;
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
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(|db| {
            let txn = db.begin_read()?;
            txn.open_table(COUNTERS)?;
            Ok(())
        })
    }
}

/// Every table of the store, opened once in one write transaction.
struct Tables<'t> {
    users: Table<'t, u128, &'static [u8]>,
    emails: Table<'t, &'static str, u128>,
    contacts: Table<'t, (&'static str, u128), &'static [u8]>,
    dedupe: Table<'t, &'static [u8], &'static [u8]>,
    dedupe_order: Table<'t, u64, &'static [u8]>,
    log: Table<'t, (&'static str, u64), &'static [u8]>,
    counters: Table<'t, &'static str, u64>,
    retention: Retention,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction, retention: Retention) -> Result<Self, StoreError> {
        Ok(Self {
            users: txn.open_table(USERS)?,
            emails: txn.open_table(USERS_BY_EMAIL)?,
            contacts: txn.open_table(CONTACTS)?,
            dedupe: txn.open_table(DEDUPE)?,
            dedupe_order: txn.open_table(DEDUPE_ORDER)?,
            log: txn.open_table(SYNC_LOG)?,
            counters: txn.open_table(COUNTERS)?,
            retention,
        })
    }

    fn counter(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self.counters.get(name)?.map(|value| value.value()).unwrap_or(0))
    }

    fn next_seq(&mut self) -> Result<u64, StoreError> {
        let next = self.counter("seq")? + 1;
        self.counters.insert("seq", next)?;
        Ok(next)
    }

    fn marker(&self, key: &DedupeKey) -> Result<Option<DedupeMarker>, StoreError> {
        self.dedupe
            .get(key.digest().as_slice())?
            .map(|value| decode("dedupe", value.value()))
            .transpose()
    }

    fn user(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.users.get(id.as_u128())?.map(|value| decode("users", value.value())).transpose()
    }

    fn user_id_by_email(&self, email: &str) -> Result<Option<Uuid>, StoreError> {
        Ok(self.emails.get(email_key(email).as_str())?.map(|id| Uuid::from_u128(id.value())))
    }

    /// What `change` may depend on.
    fn snapshot(
        &self,
        connection: &Connection,
        change: &ContactChange,
    ) -> Result<Snapshot, StoreError> {
        let state: ContactState = self
            .contacts
            .get((connection.id().as_str(), change.contact_id().as_u128()))?
            .map(|value| decode("contacts", value.value()))
            .transpose()?
            .unwrap_or_default();
        let linked = match state.user_id {
            Some(id) => self.user(id)?,
            None => None,
        };
        let by_email = match change.email() {
            Some(email) if linked.is_none() => match self.user_id_by_email(email)? {
                Some(id) => self.user(id)?,
                None => None,
            },
            _ => None,
        };
        let new_email_owner = match new_email(change) {
            Some(Some(email)) => self.user_id_by_email(email)?,
            _ => None,
        };
        Ok(Snapshot { state, linked, by_email, new_email_owner })
    }

    fn write(&mut self, connection: &str, contact: Uuid, writes: Writes) -> Result<(), StoreError> {
        if let Some((key, owner)) = writes.remove_email
            && self.user_id_by_email(&key)? == Some(owner)
        {
            self.emails.remove(key.as_str())?;
        }
        if let Some((key, owner)) = writes.insert_email {
            self.emails.insert(key.as_str(), owner.as_u128())?;
        }
        if let Some(user) = writes.user {
            self.users.insert(user.id.as_u128(), encode(&user).as_slice())?;
        }
        if let Some(state) = writes.state {
            self.contacts.insert((connection, contact.as_u128()), encode(&state).as_slice())?;
        }
        Ok(())
    }

    /// Remember a change's first outcome, dropping the oldest markers beyond retention.
    fn remember(&mut self, key: &DedupeKey, marker: &DedupeMarker) -> Result<(), StoreError> {
        self.dedupe.insert(key.digest().as_slice(), encode(marker).as_slice())?;
        self.dedupe_order.insert(marker.log_id, key.digest().as_slice())?;
        let mut count = self.counter("dedupe")? + 1;
        while count > self.retention.dedupe_markers {
            let oldest = self.dedupe_order.pop_first()?.map(|(_, key)| key.value().to_vec());
            let Some(oldest) = oldest else { break };
            self.dedupe.remove(oldest.as_slice())?;
            count -= 1;
        }
        self.counters.insert("dedupe", count)?;
        Ok(())
    }

    /// Append a log entry to a bucket, dropping its oldest entries beyond retention.
    fn log(&mut self, bucket: &str, entry: &SyncLogEntry) -> Result<(), StoreError> {
        self.log.insert((bucket, entry.id), encode(entry).as_slice())?;
        let counter = format!("log:{bucket}");
        let mut count = self.counter(&counter)? + 1;
        while count > self.retention.sync_log_entries {
            let oldest = self
                .log
                .range((bucket, 0)..=(bucket, u64::MAX))?
                .next()
                .transpose()?
                .map(|(key, _)| key.value().1);
            let Some(oldest) = oldest else { break };
            self.log.remove((bucket, oldest))?;
            count -= 1;
        }
        self.counters.insert(counter.as_str(), count)?;
        Ok(())
    }
}

fn decode<T: DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|error| StoreError::Corrupt { table, message: error.to_string() })
}

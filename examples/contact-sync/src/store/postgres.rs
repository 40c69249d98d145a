//! The shared store (PostgreSQL): any number of replicas on one database.
//!
//! A delivery is one transaction that first takes a transaction-scoped advisory lock on its
//! contact: deliveries of one contact (and so every redelivery of one change, whose key names
//! the contact) run one after the other across replicas, each seeing what the previous one
//! committed. Users are read `FOR UPDATE`, so two contacts linked to one user cannot lose each
//! other's change, and the email index is a unique key: two replicas creating users for one
//! email race, the loser's transaction is retried from the start and finds the winner's user.
//! Log ids come from one sequence, so the sync log is one log.

use program_support::BoxFuture;
use program_support::postgres::client::Row;
use program_support::postgres::client::types::Json;
use program_support::postgres::{Database, Migration, retry_races};
use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;

use super::decide::{self, Effect, Snapshot, Writes, email_key, new_email};
use super::records::{ContactState, DedupeMarker, SyncLogEntry, User};
use super::{Applied, Rejection, StoreError, UserStore};
use crate::change::ContactChange;
use crate::config::{Connection, Retention};
use crate::dedupe::DedupeKey;

/// The schema's name in `schema_migrations`.
const COMPONENT: &str = "contact-sync";

const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "CREATE SEQUENCE contact_sync_log_ids;
     CREATE TABLE contact_sync_users (id uuid PRIMARY KEY, body jsonb NOT NULL);
     CREATE TABLE contact_sync_emails (email_key text PRIMARY KEY, user_id uuid NOT NULL);
     CREATE TABLE contact_sync_contacts (
         connection_id text NOT NULL,
         contact_id uuid NOT NULL,
         state jsonb NOT NULL,
         PRIMARY KEY (connection_id, contact_id)
     );
     CREATE TABLE contact_sync_dedupe (
         digest bytea PRIMARY KEY,
         log_id bigint NOT NULL,
         marker jsonb NOT NULL
     );
     CREATE INDEX contact_sync_dedupe_age ON contact_sync_dedupe (log_id);
     CREATE TABLE contact_sync_log (
         bucket text NOT NULL,
         id bigint NOT NULL,
         entry jsonb NOT NULL,
         PRIMARY KEY (bucket, id)
     );",
)];

/// Connections per replica: a delivery holds one for its transaction.
const POOL_SIZE: usize = 16;
/// Attempts of a transaction that lost a race (see the module docs).
const TRIES: u32 = 8;
/// Retention is enforced exactly when it is this small, else every this many log ids (each
/// prune then looks at `retention` index entries: once per delivery would double its cost).
const PRUNE_EVERY: u64 = 64;

type Txn<'a> = program_support::postgres::client::Transaction<'a>;

/// The PostgreSQL store.
#[derive(Debug)]
pub(super) struct PgStore {
    db: Database,
    location: String,
}

impl PgStore {
    pub(super) async fn connect(url: &SecretString) -> Result<Self, StoreError> {
        let db = Database::connect(url, POOL_SIZE).await?;
        db.migrate(COMPONENT, MIGRATIONS).await?;
        let location = db.location();
        Ok(Self { db, location })
    }
}

/// Column 0 of `row`, a record of `table`; one that does not decode is [`StoreError::Corrupt`].
fn record<T: serde::de::DeserializeOwned>(table: &'static str, row: &Row) -> Result<T, StoreError> {
    program_support::postgres::json(row, 0)
        .map_err(|error| StoreError::Corrupt { table, message: error.to_string() })
}

fn prune_now(log_id: u64, retention: u64) -> bool {
    retention < 1_000 || log_id.is_multiple_of(PRUNE_EVERY)
}

fn log_id(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

async fn next_log_id(txn: &Txn<'_>) -> Result<u64, StoreError> {
    let row = txn.query_one("SELECT nextval('contact_sync_log_ids')", &[]).await?;
    Ok(log_id(row.get(0)))
}

async fn user_for_update(txn: &Txn<'_>, id: Uuid) -> Result<Option<User>, StoreError> {
    let row = txn
        .query_opt("SELECT body FROM contact_sync_users WHERE id = $1 FOR UPDATE", &[&id])
        .await?;
    row.map(|row| record("contact_sync_users", &row)).transpose()
}

async fn email_owner(txn: &Txn<'_>, email: &str) -> Result<Option<Uuid>, StoreError> {
    let row = txn
        .query_opt(
            "SELECT user_id FROM contact_sync_emails WHERE email_key = $1",
            &[&email_key(email)],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// The user with `email`, locked. The index is read before the lock: a change committed
/// meanwhile may have moved the email to another user, so the index is read again once the
/// user is locked, until it still names that user.
async fn user_with_email(txn: &Txn<'_>, email: &str) -> Result<Option<User>, StoreError> {
    let mut owner = email_owner(txn, email).await?;
    for _ in 0..TRIES {
        let Some(id) = owner else { return Ok(None) };
        let user = user_for_update(txn, id).await?;
        owner = email_owner(txn, email).await?;
        if owner == Some(id) {
            return Ok(user);
        }
    }
    Ok(None)
}

/// What `change` may depend on, with the users it may write locked.
async fn snapshot(
    txn: &Txn<'_>,
    connection: &Connection,
    change: &ContactChange,
) -> Result<Snapshot, StoreError> {
    let row = txn
        .query_opt(
            "SELECT state FROM contact_sync_contacts WHERE connection_id = $1 AND contact_id = $2",
            &[&connection.id().as_str(), &change.contact_id()],
        )
        .await?;
    let state: ContactState =
        row.map(|row| record("contact_sync_contacts", &row)).transpose()?.unwrap_or_default();
    let linked = match state.user_id {
        Some(id) => user_for_update(txn, id).await?,
        None => None,
    };
    let by_email = match change.email() {
        Some(email) if linked.is_none() => user_with_email(txn, email).await?,
        _ => None,
    };
    // Read after the locks: a concurrent change to these users has committed by now.
    let new_email_owner = match new_email(change) {
        Some(Some(email)) => email_owner(txn, email).await?,
        _ => None,
    };
    Ok(Snapshot { state, linked, by_email, new_email_owner })
}

async fn write(
    txn: &Txn<'_>,
    connection: &str,
    contact: Uuid,
    writes: Writes,
) -> Result<(), StoreError> {
    if let Some((key, owner)) = &writes.remove_email {
        txn.execute(
            "DELETE FROM contact_sync_emails WHERE email_key = $1 AND user_id = $2",
            &[key, owner],
        )
        .await?;
    }
    if let Some((key, owner)) = &writes.insert_email {
        // A unique violation here is a race with another replica: the transaction is retried.
        txn.execute(
            "INSERT INTO contact_sync_emails (email_key, user_id) VALUES ($1, $2)",
            &[key, owner],
        )
        .await?;
    }
    if let Some(user) = &writes.user {
        txn.execute(
            "INSERT INTO contact_sync_users (id, body) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            &[&user.id, &Json(user)],
        )
        .await?;
    }
    if let Some(state) = &writes.state {
        txn.execute(
            "INSERT INTO contact_sync_contacts (connection_id, contact_id, state) VALUES ($1, $2, $3)
             ON CONFLICT (connection_id, contact_id) DO UPDATE SET state = excluded.state",
            &[&connection, &contact, &Json(state)],
        )
        .await?;
    }
    Ok(())
}

async fn remember(
    txn: &Txn<'_>,
    key: &DedupeKey,
    marker: &DedupeMarker,
    retention: Retention,
) -> Result<(), StoreError> {
    let id = i64::try_from(marker.log_id).unwrap_or(i64::MAX);
    txn.execute(
        "INSERT INTO contact_sync_dedupe (digest, log_id, marker) VALUES ($1, $2, $3)
         ON CONFLICT (digest) DO NOTHING",
        &[&key.digest().as_slice(), &id, &Json(marker)],
    )
    .await?;
    if prune_now(marker.log_id, retention.dedupe_markers) {
        let keep = i64::try_from(retention.dedupe_markers).unwrap_or(i64::MAX);
        txn.execute(
            "DELETE FROM contact_sync_dedupe WHERE log_id <= (
                 SELECT log_id FROM contact_sync_dedupe ORDER BY log_id DESC OFFSET $1 LIMIT 1)",
            &[&keep],
        )
        .await?;
    }
    Ok(())
}

async fn log(
    txn: &Txn<'_>,
    bucket: &str,
    entry: &SyncLogEntry,
    retention: Retention,
) -> Result<(), StoreError> {
    let id = i64::try_from(entry.id).unwrap_or(i64::MAX);
    txn.execute(
        "INSERT INTO contact_sync_log (bucket, id, entry) VALUES ($1, $2, $3)",
        &[&bucket, &id, &Json(entry)],
    )
    .await?;
    if prune_now(entry.id, retention.sync_log_entries) {
        let keep = i64::try_from(retention.sync_log_entries).unwrap_or(i64::MAX);
        txn.execute(
            "DELETE FROM contact_sync_log WHERE bucket = $1 AND id <= (
                 SELECT id FROM contact_sync_log WHERE bucket = $1
                 ORDER BY id DESC OFFSET $2 LIMIT 1)",
            &[&bucket, &keep],
        )
        .await?;
    }
    Ok(())
}

async fn apply_in(
    txn: &Txn<'_>,
    connection: &Connection,
    change: &ContactChange,
    key: Option<&DedupeKey>,
    retention: Retention,
) -> Result<Applied, StoreError> {
    let connection_id = connection.id().as_str();
    let lock = format!("contact:{connection_id}:{}", change.contact_id());
    txn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext($1))", &[&lock])
        .await?;
    let now = OffsetDateTime::now_utc();
    let log_id = next_log_id(txn).await?;
    let first = match key {
        Some(key) => txn
            .query_opt(
                "SELECT marker FROM contact_sync_dedupe WHERE digest = $1",
                &[&key.digest().as_slice()],
            )
            .await?
            .map(|row| record::<DedupeMarker>("contact_sync_dedupe", &row))
            .transpose()?,
        None => None,
    };
    let effect = match first {
        Some(first) => Effect::duplicate(&first),
        None => {
            let snapshot = snapshot(txn, connection, change).await?;
            let (effect, writes) =
                decide::decide(connection, change, snapshot, now, Uuid::new_v4());
            write(txn, connection_id, change.contact_id(), writes).await?;
            effect
        }
    };
    if let (Some(key), true) = (key, effect.remember) {
        remember(txn, key, &effect.marker(log_id), retention).await?;
    }
    let entry = decide::accepted_entry(log_id, now, connection, change, key, &effect);
    log(txn, connection_id, &entry, retention).await?;
    Ok(decide::applied(log_id, effect))
}

impl UserStore for PgStore {
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
        Box::pin(retry_races(TRIES, move || async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            let applied = apply_in(&txn, connection, change, key, retention).await?;
            txn.commit().await?;
            Ok(applied)
        }))
    }

    fn log_rejection<'a>(
        &'a self,
        rejection: &'a Rejection<'a>,
        retention: Retention,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(retry_races(TRIES, move || async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            let id = next_log_id(&txn).await?;
            let (bucket, entry) = decide::rejection_entry(id, rejection);
            log(&txn, bucket, &entry, retention).await?;
            txn.commit().await?;
            Ok(id)
        }))
    }

    fn sync_log<'a>(
        &'a self,
        bucket: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SyncLogEntry>, StoreError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = client
                .query(
                    "SELECT entry FROM contact_sync_log WHERE bucket = $1 ORDER BY id DESC LIMIT $2",
                    &[&bucket, &limit],
                )
                .await?;
            rows.iter().map(|row| record("contact_sync_log", row)).collect()
        })
    }

    fn user(&self, id: Uuid) -> BoxFuture<'_, Result<Option<User>, StoreError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client
                .query_opt("SELECT body FROM contact_sync_users WHERE id = $1", &[&id])
                .await?;
            row.map(|row| record("contact_sync_users", &row)).transpose()
        })
    }

    fn user_for_contact<'a>(
        &'a self,
        connection: &'a str,
        contact: Uuid,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client
                .query_opt(
                    "SELECT u.body FROM contact_sync_contacts c
                     JOIN contact_sync_users u ON u.id = (c.state->>'user_id')::uuid
                     WHERE c.connection_id = $1 AND c.contact_id = $2",
                    &[&connection, &contact],
                )
                .await?;
            row.map(|row| record("contact_sync_users", &row)).transpose()
        })
    }

    fn user_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<User>, StoreError>> {
        Box::pin(async move {
            let client = self.db.client().await?;
            let row = client
                .query_opt(
                    "SELECT u.body FROM contact_sync_emails e
                     JOIN contact_sync_users u ON u.id = e.user_id WHERE e.email_key = $1",
                    &[&email_key(email)],
                )
                .await?;
            row.map(|row| record("contact_sync_users", &row)).transpose()
        })
    }

    fn create_user(&self, user: User) -> BoxFuture<'_, Result<User, StoreError>> {
        Box::pin(async move {
            let mut client = self.db.client().await?;
            let txn = client.transaction().await?;
            if let Some(email) = &user.email {
                let taken = txn
                    .query_opt(
                        "INSERT INTO contact_sync_emails (email_key, user_id) VALUES ($1, $2)
                         ON CONFLICT (email_key) DO NOTHING RETURNING user_id",
                        &[&email_key(email), &user.id],
                    )
                    .await?
                    .is_none();
                if taken {
                    let owner = email_owner(&txn, email).await?.unwrap_or_default();
                    return Err(StoreError::EmailTaken(owner));
                }
            }
            txn.execute(
                "INSERT INTO contact_sync_users (id, body) VALUES ($1, $2)",
                &[&user.id, &Json(&user)],
            )
            .await?;
            txn.commit().await?;
            Ok(user)
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.db.client().await?.simple_query("SELECT 1").await?;
            Ok(())
        })
    }
}

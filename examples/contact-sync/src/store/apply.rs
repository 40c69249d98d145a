//! Applying one delivery in one write transaction: redelivery check, ordering check, the user
//! change, the contact's state, the redelivery marker and the sync-log entry.

use dataverse_webhook_types::PayloadShape;
use redb::{ReadableTable, Table, WriteTransaction};
use time::OffsetDateTime;
use uuid::Uuid;

use super::records::{ContactState, DedupeMarker, SyncLogEntry, User};
use super::{
    CONTACTS, COUNTERS, DEDUPE, DEDUPE_ORDER, SYNC_LOG, Store, StoreError, UNKNOWN_CONNECTIONS,
    USERS, USERS_BY_EMAIL, decode, email_key, encode,
};
use crate::change::{ChangeKind, ContactChange, FieldUpdate};
use crate::config::{Connection, Retention};
use crate::dedupe::DedupeKey;
use crate::mapping::UserField;
use crate::outcome::SyncOutcome;

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

/// The effect decided for a change, before it is logged.
struct Effect {
    outcome: SyncOutcome,
    user_id: Option<Uuid>,
    reason: String,
    /// Whether redeliveries of this change must be answered as duplicates.
    remember: bool,
    original_outcome: Option<SyncOutcome>,
}

impl Effect {
    fn new(outcome: SyncOutcome, user_id: Option<Uuid>, reason: String) -> Self {
        // A conflict changed nothing, so a retry (after someone fixed the data) must run again.
        let remember = outcome != SyncOutcome::Conflict;
        Self { outcome, user_id, reason, remember, original_outcome: None }
    }
}

impl Store {
    /// Apply `change` for `connection` and log it, in one transaction. `key` identifies the
    /// delivery when something does: a delivery with a known key is a resend and changes
    /// nothing; without a key the change is always applied.
    pub(crate) fn apply(
        &self,
        connection: &Connection,
        change: &ContactChange,
        key: Option<&DedupeKey>,
    ) -> Result<Applied, StoreError> {
        let now = OffsetDateTime::now_utc();
        let txn = self.db.begin_write()?;
        let applied = {
            let mut tables = Tables::open(&txn, self.retention)?;
            let log_id = tables.next_seq()?;
            let first = match key {
                Some(key) => tables.marker(key)?,
                None => None,
            };
            let effect = match first {
                Some(first) => Effect {
                    outcome: SyncOutcome::Duplicate,
                    user_id: first.user_id,
                    reason: format!(
                        "already delivered: sync-log entry {} ({}); nothing changed",
                        first.log_id, first.outcome
                    ),
                    remember: false,
                    original_outcome: Some(first.outcome),
                },
                None => tables.apply_change(connection, change, now)?,
            };
            if let (Some(key), true) = (key, effect.remember) {
                tables.remember(key, log_id, &effect)?;
            }
            let entry = SyncLogEntry {
                id: log_id,
                at: now,
                connection_id: connection.id().to_string(),
                status: effect.outcome.status().as_u16(),
                outcome: Some(effect.outcome),
                error: None,
                reason: effect.reason.clone(),
                message: Some(change.message_name().to_owned()),
                contact_id: Some(change.contact_id()),
                user_id: effect.user_id,
                payload_shape: Some(shape_name(change.shape()).to_owned()),
                dedupe_key: key.map(DedupeKey::label),
                original_outcome: effect.original_outcome,
            };
            tables.log(connection.id().as_str(), &entry)?;
            Applied {
                outcome: effect.outcome,
                user_id: effect.user_id,
                reason: effect.reason,
                log_id,
                original_outcome: effect.original_outcome,
            }
        };
        txn.commit()?;
        Ok(applied)
    }

    /// Log a rejected request; returns the entry's id.
    pub(crate) fn log_rejection(&self, rejection: &Rejection<'_>) -> Result<u64, StoreError> {
        let txn = self.db.begin_write()?;
        let id = {
            let mut tables = Tables::open(&txn, self.retention)?;
            let id = tables.next_seq()?;
            let requested: String = rejection.connection_id.chars().take(128).collect();
            let entry = SyncLogEntry {
                id,
                at: OffsetDateTime::now_utc(),
                connection_id: requested,
                status: rejection.status,
                outcome: None,
                error: Some(rejection.error.to_owned()),
                reason: rejection.reason.clone(),
                message: rejection.message.clone(),
                contact_id: rejection.contact_id,
                user_id: None,
                payload_shape: rejection.shape.map(|shape| shape_name(shape).to_owned()),
                dedupe_key: None,
                original_outcome: None,
            };
            let bucket =
                if rejection.known { rejection.connection_id } else { UNKNOWN_CONNECTIONS };
            tables.log(bucket, &entry)?;
            id
        };
        txn.commit()?;
        Ok(id)
    }
}

fn shape_name(shape: PayloadShape) -> &'static str {
    match shape {
        PayloadShape::PowerAutomate => "power-automate",
        PayloadShape::RemoteExecutionContext => "remote-execution-context",
        _ => "other",
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

/// How a change found its user.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    Contact,
    Email,
    Created,
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

    fn put_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.users.insert(user.id.as_u128(), encode(user).as_slice())?;
        Ok(())
    }

    fn state(&self, connection: &str, contact: Uuid) -> Result<ContactState, StoreError> {
        Ok(self
            .contacts
            .get((connection, contact.as_u128()))?
            .map(|value| decode("contacts", value.value()))
            .transpose()?
            .unwrap_or_default())
    }

    fn put_state(
        &mut self,
        connection: &str,
        contact: Uuid,
        state: &ContactState,
    ) -> Result<(), StoreError> {
        self.contacts.insert((connection, contact.as_u128()), encode(state).as_slice())?;
        Ok(())
    }

    fn user_id_by_email(&self, email: &str) -> Result<Option<Uuid>, StoreError> {
        Ok(self.emails.get(email_key(email).as_str())?.map(|id| Uuid::from_u128(id.value())))
    }

    fn apply_change(
        &mut self,
        connection: &Connection,
        change: &ContactChange,
        now: OffsetDateTime,
    ) -> Result<Effect, StoreError> {
        let connection_id = connection.id().as_str();
        let contact = change.contact_id();
        let mut state = self.state(connection_id, contact)?;
        let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        match change.kind() {
            ChangeKind::Delete => {
                let deleted_at = change.occurred_at_ms().unwrap_or(now_ms);
                state.deleted_at_ms =
                    Some(state.deleted_at_ms.map_or(deleted_at, |d| d.max(deleted_at)));
                let linked = match state.user_id.take() {
                    Some(id) => self.user(id)?,
                    None => None,
                };
                let effect = match linked {
                    Some(mut user) => {
                        user.active = false;
                        if user.crm_contacts.get(connection_id) == Some(&contact) {
                            user.crm_contacts.remove(connection_id);
                        }
                        user.updated_at = now;
                        self.put_user(&user)?;
                        Effect::new(
                            SyncOutcome::Deactivated,
                            Some(user.id),
                            format!(
                                "contact {contact} was deleted in Dataverse: its user was deactivated and unlinked (never erased)"
                            ),
                        )
                    }
                    None => Effect::new(
                        SyncOutcome::SkippedNoMatch,
                        None,
                        format!(
                            "no user is linked to contact {contact}; the deletion is remembered so a late update cannot bring the contact back"
                        ),
                    ),
                };
                self.put_state(connection_id, contact, &state)?;
                Ok(effect)
            }
            ChangeKind::Truncated => Ok(Effect::new(
                SyncOutcome::SkippedTruncated,
                state.user_id,
                format!(
                    "Dataverse dropped the contact's columns (payload over 256 KB); re-read contact {contact} from Dataverse to sync it"
                ),
            )),
            ChangeKind::Create | ChangeKind::Update => self.upsert(connection, change, state, now),
        }
    }

    fn upsert(
        &mut self,
        connection: &Connection,
        change: &ContactChange,
        mut state: ContactState,
        now: OffsetDateTime,
    ) -> Result<Effect, StoreError> {
        let connection_id = connection.id().as_str();
        let contact = change.contact_id();
        let modified = change.modified_on_ms();
        if let (Some(modified), Some(last)) = (modified, state.last_modified_ms)
            && modified < last
        {
            return Ok(Effect::new(
                SyncOutcome::IgnoredStale,
                state.user_id,
                format!(
                    "modifiedon {} is older than the last change applied to contact {contact} ({}): nothing changed",
                    rfc3339_ms(modified),
                    rfc3339_ms(last)
                ),
            ));
        }
        if let Some(deleted) = state.deleted_at_ms
            && change.kind() == ChangeKind::Update
            && modified.is_none_or(|modified| modified <= deleted)
        {
            return Ok(Effect::new(
                SyncOutcome::IgnoredStale,
                None,
                format!(
                    "contact {contact} was deleted at {}; an update without a later modifiedon is a late delivery: nothing changed",
                    rfc3339_ms(deleted)
                ),
            ));
        }

        // Find the user: by the contact link, then by email.
        let mut found = match state.user_id {
            Some(id) => self.user(id)?.map(|user| (user, Match::Contact)),
            None => None,
        };
        if found.is_none()
            && let Some(email) = change.email()
            && let Some(id) = self.user_id_by_email(email)?
            && let Some(user) = self.user(id)?
        {
            if let Some(other) = user.crm_contacts.get(connection_id)
                && *other != contact
            {
                return Ok(Effect::new(
                    SyncOutcome::Conflict,
                    Some(user.id),
                    format!(
                        "the user with contact {contact}'s email is linked to another contact ({other}) of this connection: nothing changed"
                    ),
                ));
            }
            found = Some((user, Match::Email));
        }
        let (mut user, matched) = match found {
            Some(found) => found,
            None if connection.auto_create() => (User::new(Uuid::new_v4(), now), Match::Created),
            None => {
                let by_email =
                    if change.email().is_some() { " and no user has its email" } else { "" };
                return Ok(Effect::new(
                    SyncOutcome::SkippedNoMatch,
                    None,
                    format!(
                        "no user is linked to contact {contact}{by_email}; auto-create is off, so nothing was created"
                    ),
                ));
            }
        };

        let was_active = user.active;
        let mut new_email: Option<Option<&str>> = None;
        for (field, update) in change.updates() {
            let text = |update: &FieldUpdate| match update {
                FieldUpdate::Text(text) => Some(Some(text.clone())),
                FieldUpdate::Clear => Some(None),
                _ => None,
            };
            match field {
                UserField::FirstName => user.first_name = text(update).unwrap_or(user.first_name),
                UserField::LastName => user.last_name = text(update).unwrap_or(user.last_name),
                UserField::Phone => user.phone = text(update).unwrap_or(user.phone),
                UserField::Email => match update {
                    FieldUpdate::Text(email) => new_email = Some(Some(email)),
                    FieldUpdate::Clear => new_email = Some(None),
                    _ => {}
                },
                UserField::Active => {
                    if let FieldUpdate::Active(active) = update {
                        user.active = *active;
                    }
                }
                UserField::Attribute(name) => match update {
                    FieldUpdate::Json(value) => {
                        user.attributes.insert(name.clone(), value.clone());
                    }
                    FieldUpdate::Clear => {
                        user.attributes.remove(name);
                    }
                    _ => {}
                },
            }
        }

        // Check the email before writing anything: a conflict must change nothing.
        if let Some(email) = new_email {
            let old_key = user.email.as_deref().map(email_key);
            let new_key = email.map(email_key);
            if old_key != new_key {
                if let Some(key) = &new_key
                    && let Some(owner) = self.user_id_by_email(key)?
                    && owner != user.id
                {
                    return Ok(Effect::new(
                        SyncOutcome::Conflict,
                        Some(user.id).filter(|_| matched != Match::Created),
                        format!(
                            "contact {contact}'s email is already used by another user ({owner}): nothing changed"
                        ),
                    ));
                }
                if let Some(key) = &old_key
                    && self.user_id_by_email(key)? == Some(user.id)
                {
                    self.emails.remove(key.as_str())?;
                }
                if let Some(key) = &new_key {
                    self.emails.insert(key.as_str(), user.id.as_u128())?;
                }
            }
            user.email = email.map(str::to_owned);
        }

        user.crm_contacts.insert(connection_id.to_owned(), contact);
        user.updated_at = now;
        self.put_user(&user)?;
        state.user_id = Some(user.id);
        state.deleted_at_ms = None;
        state.last_modified_ms = state.last_modified_ms.max(modified);
        self.put_state(connection_id, contact, &state)?;

        let (outcome, reason) = match matched {
            Match::Created => (
                SyncOutcome::Created,
                format!(
                    "no user matched contact {contact} by CRM contact id or email; created one (auto-create is on)"
                ),
            ),
            _ if was_active && !user.active => (
                SyncOutcome::Deactivated,
                format!("contact {contact} is inactive: its user was deactivated"),
            ),
            Match::Email => (
                SyncOutcome::Updated,
                format!("matched contact {contact} by email; the user is now linked to it"),
            ),
            Match::Contact => {
                (SyncOutcome::Updated, format!("matched contact {contact} by CRM contact id"))
            }
        };
        Ok(Effect::new(outcome, Some(user.id), reason))
    }

    /// Remember a change's first outcome, dropping the oldest markers beyond retention.
    fn remember(
        &mut self,
        key: &DedupeKey,
        log_id: u64,
        effect: &Effect,
    ) -> Result<(), StoreError> {
        let marker = DedupeMarker { log_id, outcome: effect.outcome, user_id: effect.user_id };
        self.dedupe.insert(key.digest().as_slice(), encode(&marker).as_slice())?;
        self.dedupe_order.insert(log_id, key.digest().as_slice())?;
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

fn rfc3339_ms(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{ms} ms since the epoch"))
}

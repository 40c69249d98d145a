//! What a delivery does, decided from what the store holds: one pure function shared by both
//! stores, so the embedded and the PostgreSQL store cannot disagree about an outcome.
//!
//! A store reads a [`Snapshot`] (the contact's ordering state and the users the change may
//! touch), calls [`decide`], then writes the [`Writes`] and the sync-log entry in the same
//! transaction.

use dataverse_webhook_types::PayloadShape;
use time::OffsetDateTime;
use uuid::Uuid;

use super::records::{ContactState, DedupeMarker, SyncLogEntry, User};
use crate::change::{ChangeKind, ContactChange, FieldUpdate};
use crate::config::Connection;
use crate::dedupe::DedupeKey;
use crate::mapping::UserField;
use crate::outcome::SyncOutcome;

/// What the store holds that a change may depend on.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    /// The contact's ordering state.
    pub(super) state: ContactState,
    /// The user of `state.user_id`.
    pub(super) linked: Option<User>,
    /// The user whose email is the change's [`ContactChange::email`] (looked up only when no
    /// user is linked).
    pub(super) by_email: Option<User>,
    /// The user owning the email the change sets ([`new_email`]), if any.
    pub(super) new_email_owner: Option<Uuid>,
}

/// The effect decided for a change, before it is logged.
#[derive(Debug)]
pub(super) struct Effect {
    pub(super) outcome: SyncOutcome,
    pub(super) user_id: Option<Uuid>,
    pub(super) reason: String,
    /// Whether redeliveries of this change must be answered as duplicates.
    pub(super) remember: bool,
    pub(super) original_outcome: Option<SyncOutcome>,
}

impl Effect {
    fn new(outcome: SyncOutcome, user_id: Option<Uuid>, reason: String) -> Self {
        // A conflict changed nothing, so a retry (after someone fixed the data) must run again.
        let remember = outcome != SyncOutcome::Conflict;
        Self { outcome, user_id, reason, remember, original_outcome: None }
    }

    /// The answer to a redelivery of a change whose first delivery did `first`.
    pub(super) fn duplicate(first: &DedupeMarker) -> Self {
        Self {
            outcome: SyncOutcome::Duplicate,
            user_id: first.user_id,
            reason: format!(
                "already delivered: sync-log entry {} ({}); nothing changed",
                first.log_id, first.outcome
            ),
            remember: false,
            original_outcome: Some(first.outcome),
        }
    }

    /// The redelivery marker of this effect, logged as `log_id`.
    pub(super) fn marker(&self, log_id: u64) -> DedupeMarker {
        DedupeMarker { log_id, outcome: self.outcome, user_id: self.user_id }
    }
}

/// The rows a change writes, in this order: email index removal, email index insertion, the
/// user, the contact's state.
#[derive(Debug, Default)]
pub(super) struct Writes {
    /// Drop this email key, if it still points at this user.
    pub(super) remove_email: Option<(String, Uuid)>,
    /// Point this email key at this user.
    pub(super) insert_email: Option<(String, Uuid)>,
    pub(super) user: Option<User>,
    pub(super) state: Option<ContactState>,
}

/// Emails match case-insensitively and without surrounding spaces.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The email a change sets (`Some(None)` clears it), when it touches the email.
pub(super) fn new_email(change: &ContactChange) -> Option<Option<&str>> {
    let mut new_email = None;
    for (field, update) in change.updates() {
        if *field == UserField::Email {
            match update {
                FieldUpdate::Text(email) => new_email = Some(Some(email.as_str())),
                FieldUpdate::Clear => new_email = Some(None),
                _ => {}
            }
        }
    }
    new_email
}

/// How a change found its user.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    Contact,
    Email,
    Created,
}

/// Decide what `change` does given `snapshot`. `new_user` is the id a created user gets.
pub(super) fn decide(
    connection: &Connection,
    change: &ContactChange,
    mut snapshot: Snapshot,
    now: OffsetDateTime,
    new_user: Uuid,
) -> (Effect, Writes) {
    let connection_id = connection.id().as_str();
    let contact = change.contact_id();
    let mut state = std::mem::take(&mut snapshot.state);
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    match change.kind() {
        ChangeKind::Delete => {
            let deleted_at = change.occurred_at_ms().unwrap_or(now_ms);
            state.deleted_at_ms =
                Some(state.deleted_at_ms.map_or(deleted_at, |d| d.max(deleted_at)));
            let linked = state.user_id.take().and(snapshot.linked);
            let mut writes = Writes::default();
            let effect = match linked {
                Some(mut user) => {
                    user.active = false;
                    if user.crm_contacts.get(connection_id) == Some(&contact) {
                        user.crm_contacts.remove(connection_id);
                    }
                    user.updated_at = now;
                    let id = user.id;
                    writes.user = Some(user);
                    Effect::new(
                        SyncOutcome::Deactivated,
                        Some(id),
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
            writes.state = Some(state);
            (effect, writes)
        }
        ChangeKind::Truncated => (
            Effect::new(
                SyncOutcome::SkippedTruncated,
                state.user_id,
                format!(
                    "Dataverse dropped the contact's columns (payload over 256 KB); re-read contact {contact} from Dataverse to sync it"
                ),
            ),
            Writes::default(),
        ),
        ChangeKind::Create | ChangeKind::Update => {
            upsert(connection, change, state, snapshot, now, new_user)
        }
    }
}

fn unchanged(effect: Effect) -> (Effect, Writes) {
    (effect, Writes::default())
}

fn upsert(
    connection: &Connection,
    change: &ContactChange,
    mut state: ContactState,
    snapshot: Snapshot,
    now: OffsetDateTime,
    new_user: Uuid,
) -> (Effect, Writes) {
    let connection_id = connection.id().as_str();
    let contact = change.contact_id();
    let modified = change.modified_on_ms();
    if let (Some(modified), Some(last)) = (modified, state.last_modified_ms)
        && modified < last
    {
        return unchanged(Effect::new(
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
        return unchanged(Effect::new(
            SyncOutcome::IgnoredStale,
            None,
            format!(
                "contact {contact} was deleted at {}; an update without a later modifiedon is a late delivery: nothing changed",
                rfc3339_ms(deleted)
            ),
        ));
    }

    // Find the user: by the contact link, then by email.
    let mut found = state.user_id.and(snapshot.linked).map(|user| (user, Match::Contact));
    if found.is_none()
        && change.email().is_some()
        && let Some(user) = snapshot.by_email
    {
        if let Some(other) = user.crm_contacts.get(connection_id)
            && *other != contact
        {
            return unchanged(Effect::new(
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
        None if connection.auto_create() => (User::new(new_user, now), Match::Created),
        None => {
            let by_email = if change.email().is_some() { " and no user has its email" } else { "" };
            return unchanged(Effect::new(
                SyncOutcome::SkippedNoMatch,
                None,
                format!(
                    "no user is linked to contact {contact}{by_email}; auto-create is off, so nothing was created"
                ),
            ));
        }
    };

    let was_active = user.active;
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
            // Checked below, before anything is written.
            UserField::Email => {}
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
    let mut writes = Writes::default();
    if let Some(email) = new_email(change) {
        let old_key = user.email.as_deref().map(email_key);
        let new_key = email.map(email_key);
        if old_key != new_key {
            if new_key.is_some()
                && let Some(owner) = snapshot.new_email_owner
                && owner != user.id
            {
                return unchanged(Effect::new(
                    SyncOutcome::Conflict,
                    Some(user.id).filter(|_| matched != Match::Created),
                    format!(
                        "contact {contact}'s email is already used by another user ({owner}): nothing changed"
                    ),
                ));
            }
            writes.remove_email = old_key.map(|key| (key, user.id));
            writes.insert_email = new_key.map(|key| (key, user.id));
        }
        user.email = email.map(str::to_owned);
    }

    user.crm_contacts.insert(connection_id.to_owned(), contact);
    user.updated_at = now;
    state.user_id = Some(user.id);
    state.deleted_at_ms = None;
    state.last_modified_ms = state.last_modified_ms.max(modified);

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
    let id = user.id;
    writes.user = Some(user);
    writes.state = Some(state);
    (Effect::new(outcome, Some(id), reason), writes)
}

/// The sync-log entry of an accepted delivery.
pub(super) fn accepted_entry(
    log_id: u64,
    now: OffsetDateTime,
    connection: &Connection,
    change: &ContactChange,
    key: Option<&DedupeKey>,
    effect: &Effect,
) -> SyncLogEntry {
    SyncLogEntry {
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
    }
}

/// The sync-log entry of a rejected request, and the bucket it goes to.
pub(super) fn rejection_entry<'r>(
    log_id: u64,
    rejection: &'r super::Rejection<'_>,
) -> (&'r str, SyncLogEntry) {
    let requested: String = rejection.connection_id.chars().take(128).collect();
    let entry = SyncLogEntry {
        id: log_id,
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
    let bucket = if rejection.known { rejection.connection_id } else { super::UNKNOWN_CONNECTIONS };
    (bucket, entry)
}

/// The answer to the caller.
pub(super) fn applied(log_id: u64, effect: Effect) -> super::Applied {
    super::Applied {
        outcome: effect.outcome,
        user_id: effect.user_id,
        reason: effect.reason,
        log_id,
        original_outcome: effect.original_outcome,
    }
}

fn shape_name(shape: PayloadShape) -> &'static str {
    match shape {
        PayloadShape::PowerAutomate => "power-automate",
        PayloadShape::RemoteExecutionContext => "remote-execution-context",
        _ => "other",
    }
}

fn rfc3339_ms(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{ms} ms since the epoch"))
}

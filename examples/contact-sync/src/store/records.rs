//! What the store keeps: users, sync-log entries, and the per-contact and per-delivery state
//! that makes effects ordered and idempotent. Stored as JSON values in redb tables.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::outcome::SyncOutcome;

/// A user of the store.
///
/// Synced users are linked to one CRM contact per connection (`crm_contacts`); a deleted contact
/// deactivates and unlinks the user, and never erases it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user id.
    pub id: Uuid,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email, unique across users (compared case-insensitively).
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Whether the user may sign in.
    pub active: bool,
    /// Values of custom-mapped columns (`attribute:<name>` mappings).
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// The CRM contact id this user is linked to, per connection id.
    #[serde(default)]
    pub crm_contacts: BTreeMap<String, Uuid>,
    /// When the user was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the user last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl User {
    pub(crate) fn new(id: Uuid, now: OffsetDateTime) -> Self {
        Self {
            id,
            first_name: None,
            last_name: None,
            email: None,
            phone: None,
            active: true,
            attributes: BTreeMap::new(),
            crm_contacts: BTreeMap::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// A user created by the application itself (not by a sync), e.g. one who signed up; a contact
/// with the same email is then linked to it instead of creating a second user.
///
/// ```
/// use contact_sync::NewUser;
///
/// let user = NewUser::new().email("ada@example.com").first_name("Ada");
/// # let _ = user;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct NewUser {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email (unique).
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

impl NewUser {
    /// An empty draft.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the first name.
    #[must_use]
    pub fn first_name(mut self, value: impl Into<String>) -> Self {
        self.first_name = Some(value.into());
        self
    }

    /// Set the last name.
    #[must_use]
    pub fn last_name(mut self, value: impl Into<String>) -> Self {
        self.last_name = Some(value.into());
        self
    }

    /// Set the email.
    #[must_use]
    pub fn email(mut self, value: impl Into<String>) -> Self {
        self.email = Some(value.into());
        self
    }

    /// Set the phone.
    #[must_use]
    pub fn phone(mut self, value: impl Into<String>) -> Self {
        self.phone = Some(value.into());
        self
    }
}

/// One request to the webhook endpoint, accepted or rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncLogEntry {
    /// Increasing id (shared by all connections).
    pub id: u64,
    /// When the request was handled.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The connection id of the URL (as requested, for unknown connections).
    pub connection_id: String,
    /// The HTTP status answered.
    pub status: u16,
    /// What happened, for accepted deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<SyncOutcome>,
    /// The rejection code, for rejected requests (`unauthorized`, `invalid_payload`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why, in words (never a secret or a personal value).
    pub reason: String,
    /// `MessageName` as sent, when the body was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The CRM contact id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    /// The user affected (or matched), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    /// `power-automate` or `remote-execution-context`, when the body was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_shape: Option<String>,
    /// The redelivery key (`source:hex`), for accepted deliveries that carry a delivery
    /// identity (a request, operation or flow-run id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    /// For a duplicate: the outcome of the first delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_outcome: Option<SyncOutcome>,
}

/// The ordering state of one contact of one connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ContactState {
    /// The linked user.
    pub(crate) user_id: Option<Uuid>,
    /// The newest `modifiedon` applied (Unix ms).
    pub(crate) last_modified_ms: Option<i64>,
    /// When the contact was deleted (Unix ms): later updates without a newer `modifiedon` are
    /// stale redeliveries, not a resurrection.
    pub(crate) deleted_at_ms: Option<i64>,
}

/// What the first delivery of a change did, kept to answer its redeliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DedupeMarker {
    pub(crate) log_id: u64,
    pub(crate) outcome: SyncOutcome,
    pub(crate) user_id: Option<Uuid>,
}

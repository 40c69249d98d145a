//! [`SyncOutcome`]: what a delivery did to the user store.

use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// What one accepted delivery did. Serialized in kebab-case (`"ignored-stale"`).
///
/// ```
/// use contact_sync::SyncOutcome;
///
/// assert_eq!(SyncOutcome::IgnoredStale.as_str(), "ignored-stale");
/// assert_eq!(SyncOutcome::Created.status(), 200);
/// assert_eq!(SyncOutcome::Conflict.status(), 409);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SyncOutcome {
    /// No user matched and auto-create is on: a user was created and linked to the contact.
    Created,
    /// A user matched (by CRM contact id, else email) and was updated and linked.
    Updated,
    /// The contact was deleted, or its state became inactive: the user was deactivated (and,
    /// for a delete, unlinked). Users are never erased.
    Deactivated,
    /// The change is older (by `modifiedon`) than one already applied, or updates a contact
    /// that was deleted since: nothing changed.
    IgnoredStale,
    /// The same change was delivered before: nothing changed; the response repeats the user.
    Duplicate,
    /// No user matched and auto-create is off (or a deleted contact had no user): nothing
    /// changed.
    SkippedNoMatch,
    /// Dataverse dropped the contact's columns (payload over 256 KB): nothing could be applied.
    SkippedTruncated,
    /// The change would give two users the same email, or link a user to a second contact of
    /// the same connection: nothing changed (answered with 409).
    Conflict,
}

impl SyncOutcome {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deactivated => "deactivated",
            Self::IgnoredStale => "ignored-stale",
            Self::Duplicate => "duplicate",
            Self::SkippedNoMatch => "skipped-no-match",
            Self::SkippedTruncated => "skipped-truncated",
            Self::Conflict => "conflict",
        }
    }

    /// The HTTP status the receiver answers with: 200, or 409 for [`SyncOutcome::Conflict`]
    /// (so the flow run or the Dataverse system job shows a failure someone can look at).
    pub fn status(self) -> StatusCode {
        match self {
            Self::Conflict => StatusCode::CONFLICT,
            _ => StatusCode::OK,
        }
    }
}

impl fmt::Display for SyncOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

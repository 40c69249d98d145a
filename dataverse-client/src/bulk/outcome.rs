//! What a bulk operation did with each row.

use std::sync::Arc;

use uuid::Uuid;

use crate::error::Error;

/// How a row was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Via {
    /// In a bulk message (`CreateMultiple`, `UpdateMultiple`, `UpsertMultiple`, `DeleteMultiple`).
    BulkMessage,
    /// In a `$batch`, one request per row: the table does not support the bulk message, or a
    /// failed bulk request was sent again so the good rows go in (see
    /// [`BulkOperation::isolate_failures`](crate::bulk::BulkOperation::isolate_failures)).
    Batch,
}

/// What happened to one row.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RowResult {
    /// The row was created with this id.
    Created(Uuid),
    /// The row was updated.
    Updated,
    /// The row was created or updated; the id when the response named it.
    Upserted(Option<Uuid>),
    /// The row was deleted.
    Deleted,
    /// The row was not written. On a standard table a bulk message is one transaction, so every
    /// row of a failed request shares its error (nothing of that request was written).
    Failed(Arc<Error>),
    /// The request carrying the row got no usable answer (a timeout, a dropped connection after
    /// sending, a gateway error): it may or may not have been written. Read the row to find out.
    Unknown(Arc<Error>),
}

impl RowResult {
    /// Whether the row was written.
    pub fn is_success(&self) -> bool {
        !matches!(self, RowResult::Failed(_) | RowResult::Unknown(_))
    }

    /// The error, for a failed or unknown row.
    pub fn error(&self) -> Option<&Error> {
        match self {
            RowResult::Failed(error) | RowResult::Unknown(error) => Some(error),
            _ => None,
        }
    }

    /// The row's id, when known (created, or upserted and named by the response).
    pub fn id(&self) -> Option<Uuid> {
        match self {
            RowResult::Created(id) => Some(*id),
            RowResult::Upserted(id) => *id,
            _ => None,
        }
    }
}

/// The outcome of one input row.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RowOutcome {
    /// The row's position in the input (from 0).
    pub index: u64,
    /// What happened to it.
    pub result: RowResult,
    /// How it was sent.
    pub via: Via,
}

/// Every row's outcome, in input order; see [`BulkOperation::send`](crate::bulk::BulkOperation::send).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct BulkResults {
    /// One outcome per input row, in input order.
    pub rows: Vec<RowOutcome>,
}

impl BulkResults {
    /// Whether every row was written.
    pub fn all_succeeded(&self) -> bool {
        self.rows.iter().all(|r| r.result.is_success())
    }

    /// The rows that were not written or whose fate is unknown.
    pub fn failures(&self) -> impl Iterator<Item = &RowOutcome> {
        self.rows.iter().filter(|r| !r.result.is_success())
    }

    /// How many rows were sent through `$batch` instead of the bulk message.
    pub fn sent_via_batch(&self) -> usize {
        self.rows.iter().filter(|r| r.via == Via::Batch).count()
    }

    /// The ids of created (or upserted and named) rows, in input order; `None` for the others.
    pub fn ids(&self) -> Vec<Option<Uuid>> {
        self.rows.iter().map(|r| r.result.id()).collect()
    }
}

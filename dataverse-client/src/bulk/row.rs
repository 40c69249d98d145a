//! One row of a bulk operation.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::records::RecordKey;

/// One row of a bulk operation: its columns, the key that identifies it, and the partition of an
/// elastic table.
///
/// Build rows from typed structs or dynamic [`Record`](crate::records::Record)s alike; a row that cannot
/// be serialized to a JSON object fails on its own (its outcome is
/// [`RowResult::Failed`](crate::bulk::RowResult::Failed)) without stopping the others.
///
/// | operation | row |
/// |---|---|
/// | [`Client::create_multiple`](crate::Client::create_multiple) | [`BulkRow::new`]; with a key of [`RecordKey::Id`] to choose the new row's id |
/// | [`Client::update_multiple`](crate::Client::update_multiple) | [`BulkRow::with_key`] and a row id, or [`BulkRow::new`] with the primary key column in the body |
/// | [`Client::upsert_multiple`](crate::Client::upsert_multiple) | [`BulkRow::with_key`]: id or alternate key |
/// | [`Client::delete_multiple`](crate::Client::delete_multiple) | [`BulkRow::key`] |
///
/// ```
/// use dataverse_client::{bulk::BulkRow, records::RecordKey};
/// use serde::Serialize;
/// use serde_json::json;
/// use uuid::Uuid;
///
/// #[derive(Serialize)]
/// struct Reading { contoso_value: i32 }
///
/// let create = BulkRow::new(&Reading { contoso_value: 40 }).partition_id("device-001");
/// let update = BulkRow::with_key(Uuid::nil(), &json!({ "name": "Contoso" }));
/// let upsert = BulkRow::with_key(RecordKey::alternate([("accountnumber", "ACC-001")]), &json!({ "name": "Contoso" }));
/// let delete = BulkRow::key(Uuid::nil()).partition_id("device-001");
/// # let _ = (create, update, upsert, delete);
/// ```
#[derive(Clone)]
pub struct BulkRow {
    pub(crate) key: Option<RecordKey>,
    pub(crate) partition_id: Option<String>,
    pub(crate) columns: Result<Map<String, Value>, String>,
}

impl BulkRow {
    /// A row with these columns and no key.
    pub fn new<T: Serialize + ?Sized>(row: &T) -> Self {
        Self { key: None, partition_id: None, columns: columns_of(row) }
    }

    /// A row with these columns, identified by `key`.
    pub fn with_key<T: Serialize + ?Sized>(key: impl Into<RecordKey>, row: &T) -> Self {
        Self { key: Some(key.into()), partition_id: None, columns: columns_of(row) }
    }

    /// Only a key (for deletes).
    pub fn key(key: impl Into<RecordKey>) -> Self {
        Self { key: Some(key.into()), partition_id: None, columns: Ok(Map::new()) }
    }

    /// The row's partition in an elastic table (`partitionid`), sent with every operation that
    /// takes it: in the row for creates, updates and upserts, with the key for deletes and for
    /// the `$batch` fallback
    /// ([Specifying PartitionId](https://learn.microsoft.com/power-apps/developer/data-platform/use-elastic-tables#specifying-partitionid)).
    pub fn partition_id(mut self, partition_id: impl Into<String>) -> Self {
        self.partition_id = Some(partition_id.into());
        self
    }
}

fn columns_of<T: Serialize + ?Sized>(row: &T) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(row) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the row does not serialize to a JSON object".to_owned()),
        Err(e) => Err(format!("the row cannot be serialized: {e}")),
    }
}

impl fmt::Debug for BulkRow {
    // Column values may be personal data: only their names print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns: Option<Vec<&str>> =
            self.columns.as_ref().ok().map(|m| m.keys().map(String::as_str).collect());
        f.debug_struct("BulkRow")
            .field("key", &self.key)
            .field("partition_id", &self.partition_id)
            .field("columns", &columns)
            .finish()
    }
}

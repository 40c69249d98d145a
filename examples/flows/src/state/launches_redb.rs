//! Flow 1's state in the redb file: one process per file.

use std::collections::HashMap;
use std::path::Path;

use program_support::BoxFuture;
use program_support::postgres::SessionLock;
use redb::{
    ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::launches::{LaunchRecord, LaunchStore, Mark};
use super::{StateDb, StateError, decode, encode};

/// `watermark` and `floor` → RFC 3339 text.
const META: TableDefinition<'static, &str, &[u8]> = TableDefinition::new("launch_meta");
/// Agreement id → [`LaunchRecord`] JSON, until the write-back is confirmed.
const LAUNCHES: TableDefinition<'static, u128, &[u8]> = TableDefinition::new("launches");

fn create_tables(txn: &WriteTransaction) -> Result<(), StateError> {
    txn.open_table(META)?;
    txn.open_table(LAUNCHES)?;
    Ok(())
}

/// The redb launch store.
#[derive(Debug)]
pub(super) struct RedbLaunches {
    db: StateDb,
}

impl RedbLaunches {
    pub(super) fn open(path: &Path) -> Result<Self, StateError> {
        Ok(Self { db: StateDb::open(path, create_tables)? })
    }

    pub(super) fn in_memory() -> Result<Self, StateError> {
        Ok(Self { db: StateDb::in_memory(create_tables)? })
    }
}

fn rfc3339(at: OffsetDateTime) -> Result<String, StateError> {
    at.format(&Rfc3339)
        .map_err(|e| StateError::Corrupt { table: "launch_meta", message: e.to_string() })
}

impl LaunchStore for RedbLaunches {
    fn location(&self) -> &str {
        &self.db.location
    }

    fn mark(&self, mark: Mark) -> BoxFuture<'_, Result<Option<OffsetDateTime>, StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_read()?;
            let meta = txn.open_table(META)?;
            let Some(value) = meta.get(mark.key())? else { return Ok(None) };
            let text = String::from_utf8_lossy(value.value()).into_owned();
            OffsetDateTime::parse(&text, &Rfc3339)
                .map(Some)
                .map_err(|e| StateError::Corrupt { table: "launch_meta", message: e.to_string() })
        }))
    }

    fn start_at(&self, at: OffsetDateTime) -> BoxFuture<'_, Result<bool, StateError>> {
        Box::pin(async move {
            let text = rfc3339(at)?;
            self.db
                .blocking(move |db| {
                    let txn = db.begin_write()?;
                    let stored = {
                        let mut meta = txn.open_table(META)?;
                        if meta.get(Mark::Watermark.key())?.is_some() {
                            false
                        } else {
                            meta.insert(Mark::Watermark.key(), text.as_bytes())?;
                            meta.insert(Mark::Floor.key(), text.as_bytes())?;
                            true
                        }
                    };
                    txn.commit()?;
                    Ok(stored)
                })
                .await
        })
    }

    fn launches(
        &self,
        agreements: Vec<Uuid>,
    ) -> BoxFuture<'_, Result<HashMap<Uuid, LaunchRecord>, StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(LAUNCHES)?;
            let mut found = HashMap::new();
            for id in agreements {
                if let Some(value) = table.get(id.as_u128())? {
                    found.insert(id, decode("launches", value.value())?);
                }
            }
            Ok(found)
        }))
    }

    fn pending_launches(&self) -> BoxFuture<'_, Result<u64, StateError>> {
        Box::pin(self.db.blocking(|db| Ok(db.begin_read()?.open_table(LAUNCHES)?.len()?)))
    }

    fn record(&self, launches: Vec<(Uuid, LaunchRecord)>) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(LAUNCHES)?;
                for (id, record) in &launches {
                    table.insert(id.as_u128(), encode(record).as_slice())?;
                }
            }
            txn.commit()?;
            Ok(())
        }))
    }

    fn finish_run(
        &self,
        watermark: Option<OffsetDateTime>,
        written_back: Vec<Uuid>,
    ) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(self.db.blocking(move |db| {
            let txn = db.begin_write()?;
            {
                if let Some(watermark) = watermark {
                    txn.open_table(META)?
                        .insert(Mark::Watermark.key(), rfc3339(watermark)?.as_bytes())?;
                }
                let mut table = txn.open_table(LAUNCHES)?;
                for id in written_back {
                    table.remove(id.as_u128())?;
                }
            }
            txn.commit()?;
            Ok(())
        }))
    }

    fn run_lock(&self) -> BoxFuture<'_, Result<Option<SessionLock>, StateError>> {
        // redb locks the file: no other process can run on it.
        Box::pin(async { Ok(None) })
    }
}

#[cfg(test)]
mod tests {
    use super::super::LaunchState;

    #[test]
    fn a_second_process_cannot_open_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("launch.redb");
        let _first = LaunchState::open(&path).unwrap();
        let error = LaunchState::open(&path).unwrap_err();
        assert!(error.to_string().starts_with("cannot open the state file"), "{error}");
    }
}

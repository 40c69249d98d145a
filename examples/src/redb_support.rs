//! The redb plumbing shared by the flows' durable state ([`crate::state`]) and the contact-sync
//! user store ([`crate::contact_sync`]): creating tables up front, an in-memory database for the
//! demo and tests, record encoding, and `From` conversions of redb's error types.

use redb::{Database, WriteTransaction};

/// Create a database's tables in one write transaction, so read transactions never meet a
/// missing table.
pub(crate) fn create_tables<E>(
    db: &Database,
    create: impl FnOnce(&WriteTransaction) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<redb::TransactionError> + From<redb::CommitError>,
{
    let txn = db.begin_write()?;
    create(&txn)?;
    txn.commit()?;
    Ok(())
}

/// A database that lives in memory only (the demo, tests).
pub(crate) fn in_memory() -> Result<Database, redb::DatabaseError> {
    Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())
}

/// Records are stored as JSON.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Our own plain structs of strings and numbers always serialize.
    serde_json::to_vec(value).unwrap_or_default()
}

/// `From` every redb error type for `$target`, through `redb::Error` and `$wrap`.
macro_rules! impl_from_redb {
    ($target:ty, $wrap:expr) => {
        $crate::redb_support::impl_from_redb!(
            @each $target, $wrap,
            redb::DatabaseError, redb::TransactionError, redb::TableError,
            redb::StorageError, redb::CommitError
        );
    };
    (@each $target:ty, $wrap:expr, $($error:ty),*) => {$(
        impl From<$error> for $target {
            fn from(error: $error) -> Self {
                let wrap: fn(redb::Error) -> $target = $wrap;
                wrap(redb::Error::from(error))
            }
        }
    )*};
}
pub(crate) use impl_from_redb;

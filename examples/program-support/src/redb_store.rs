//! The redb plumbing shared by the flows' durable state and the contact-sync user store: creating
//! tables up front, an in-memory database for the demo and tests, record encoding, and `From`
//! conversions of redb's error types.

use redb::{Database, WriteTransaction};

/// Create a database's tables in one write transaction, so read transactions never meet a
/// missing table.
pub fn create_tables<E>(
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
pub fn in_memory() -> Result<Database, redb::DatabaseError> {
    Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())
}

/// Records are stored as JSON.
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Our own plain structs of strings and numbers always serialize.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The redb crate, for [`impl_from_redb!`](crate::impl_from_redb) to name its types.
#[doc(hidden)]
pub use redb as engine;

/// `From` every redb error type for `$target`, through `redb::Error` and `$wrap`.
///
/// ```
/// #[derive(Debug)]
/// struct MyError(redb::Error);
/// program_support::impl_from_redb!(MyError, MyError);
///
/// let error: MyError = redb::CommitError::Storage(redb::StorageError::Corrupted("x".into())).into();
/// assert!(matches!(error.0, redb::Error::Corrupted(_)));
/// ```
#[macro_export]
macro_rules! impl_from_redb {
    ($target:ty, $wrap:expr) => {
        $crate::impl_from_redb!(
            @each $target, $wrap,
            $crate::redb_store::engine::DatabaseError, $crate::redb_store::engine::TransactionError,
            $crate::redb_store::engine::TableError, $crate::redb_store::engine::StorageError,
            $crate::redb_store::engine::CommitError
        );
    };
    (@each $target:ty, $wrap:expr, $($error:ty),*) => {$(
        impl From<$error> for $target {
            fn from(error: $error) -> Self {
                let wrap: fn($crate::redb_store::engine::Error) -> $target = $wrap;
                wrap($crate::redb_store::engine::Error::from(error))
            }
        }
    )*};
}

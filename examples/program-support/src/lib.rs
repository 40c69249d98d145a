//! What the example programs share: the plumbing of their embedded redb stores
//! ([`redb_store`]) and of their shared PostgreSQL stores ([`postgres`]), and graceful shutdown
//! on SIGINT/SIGTERM ([`shutdown`]).

#![deny(missing_docs)]

pub mod postgres;
pub mod redb_store;
pub mod shutdown;

/// A boxed, sendable future: what the programs' storage traits return, so one trait object can
/// stand for either store.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

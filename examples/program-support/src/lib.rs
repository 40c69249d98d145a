//! What the example programs share: the plumbing of their embedded redb stores
//! ([`redb_store`]) and graceful shutdown on SIGINT/SIGTERM ([`shutdown`]).

#![deny(missing_docs)]

pub mod redb_store;
pub mod shutdown;

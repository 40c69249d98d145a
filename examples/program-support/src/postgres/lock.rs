//! A lock held across replicas: a session-level advisory lock on a connection of its own.
//!
//! The lock lives exactly as long as its connection: dropping the guard closes the connection,
//! and a replica that dies (even by SIGKILL) loses its connection, so the server releases the
//! lock and another replica takes over. Nothing to expire, nothing to clean up.

use super::PgError;

/// Holds a named lock until dropped. See [`Database::lock`](super::Database::lock).
#[derive(Debug)]
pub struct SessionLock {
    // Dropping the client ends the connection, which releases the lock on the server.
    _client: tokio_postgres::Client,
    name: String,
}

impl SessionLock {
    pub(super) async fn acquire(
        client: tokio_postgres::Client,
        name: &str,
    ) -> Result<Self, PgError> {
        client
            .execute("SELECT pg_advisory_lock(hashtext(current_schema()), hashtext($1))", &[&name])
            .await?;
        Ok(Self { _client: client, name: name.to_owned() })
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

//! The PostgreSQL plumbing shared by the programs' shared stores: a connection pool, versioned
//! migrations that two replicas may run at once, locks held across replicas, and retries of
//! transactions that lost a race.
//!
//! Every lock key includes the current schema, so deployments in two schemas of one database
//! (and parallel tests) never wait on each other.

mod lock;
mod migrate;
pub mod testing;
pub mod tls;

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

pub use lock::SessionLock;
pub use migrate::Migration;

/// The tokio-postgres crate, for the stores' queries.
pub use tokio_postgres as client;

/// A pooled connection.
pub type Client = deadpool_postgres::Object;

/// A PostgreSQL operation failed. Never shows the database URL (it may hold a password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The URL is not a PostgreSQL connection URL.
    #[error("the database URL is invalid: {0}")]
    InvalidUrl(String),
    /// The server cannot be reached, or refused the connection.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    /// TLS cannot be set up as `sslmode` asks (the trusted roots cannot be read).
    #[error("PostgreSQL TLS: {0}")]
    Tls(String),
    /// A query failed.
    #[error("PostgreSQL error: {0}")]
    Query(#[from] tokio_postgres::Error),
    /// A migration failed (the schema is left as it was before it).
    #[error("migration {component} v{version} failed: {source}")]
    Migration {
        /// The program whose schema it is.
        component: String,
        /// The migration's version.
        version: i32,
        /// Why.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database holds a newer schema than this program knows: an older replica must not
    /// write to it.
    #[error(
        "the database's {component} schema is at version {found}, newer than this program's {known}: upgrade the program"
    )]
    SchemaTooNew {
        /// The program whose schema it is.
        component: String,
        /// The newest version applied.
        found: i32,
        /// The newest version this program knows.
        known: i32,
    },
}

impl PgError {
    /// Whether retrying the whole transaction may succeed: a serialization failure, a
    /// deadlock, or a unique key taken by a concurrent transaction.
    pub fn is_race(&self) -> bool {
        match self {
            PgError::Query(error) => is_race(error),
            _ => false,
        }
    }
}

/// Whether `error` is a lost race that a retry of the whole transaction resolves.
pub fn is_race(error: &tokio_postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            | Some(&SqlState::T_R_DEADLOCK_DETECTED)
            | Some(&SqlState::UNIQUE_VIOLATION)
    )
}

/// A pool of connections to one database. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), program_support::postgres::PgError> {
/// use program_support::postgres::{Database, Migration};
///
/// let url = "postgres://app@db.internal/app".to_owned().into();
/// let db = Database::connect(&url, 16).await?;
/// db.migrate("my-program", &[Migration::new(1, "CREATE TABLE things (id bigint PRIMARY KEY)")]).await?;
/// let client = db.client().await?;
/// client.execute("INSERT INTO things VALUES (1) ON CONFLICT DO NOTHING", &[]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("location", &self.location()).finish_non_exhaustive()
    }
}

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Database {
    /// Parse `url` and check the server answers, with at most `max_connections` pooled
    /// connections. TLS follows the URL's `sslmode` (default `prefer`) and `sslrootcert`, as
    /// libpq does ([`tls`]).
    ///
    /// # Errors
    /// [`PgError::InvalidUrl`], [`PgError::Tls`] or [`PgError::Connect`].
    pub async fn connect(url: &SecretString, max_connections: usize) -> Result<Self, PgError> {
        let (rest, settings) = tls::TlsSettings::split(url.expose_secret())?;
        let mut config: tokio_postgres::Config =
            rest.parse().map_err(|e: tokio_postgres::Error| PgError::InvalidUrl(e.to_string()))?;
        config.ssl_mode(settings.ssl_mode());
        // As libpq: no TLS over a unix socket, whatever sslmode says.
        #[cfg(unix)]
        if config
            .get_hosts()
            .iter()
            .all(|host| matches!(host, tokio_postgres::config::Host::Unix(_)))
        {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let tls = settings.connector()?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .build()
            .map_err(|e| PgError::Connect(e.to_string()))?;
        let db = Self { pool, config, tls };
        db.client().await?.simple_query("SELECT 1").await?;
        Ok(db)
    }

    /// Where the database is, without credentials (`host:port/dbname`), for logs.
    pub fn location(&self) -> String {
        let host = self
            .config
            .get_hosts()
            .first()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_default();
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("postgres://{host}:{port}/{}", self.config.get_dbname().unwrap_or_default())
    }

    /// A connection from the pool.
    ///
    /// # Errors
    /// [`PgError::Connect`] when no connection can be made.
    pub async fn client(&self) -> Result<Client, PgError> {
        self.pool.get().await.map_err(|e| PgError::Connect(e.to_string()))
    }

    /// A connection of its own, outside the pool (for a lock that lives as long as it).
    async fn dedicated(&self) -> Result<tokio_postgres::Client, PgError> {
        let (client, connection) = self
            .config
            .connect(self.tls.clone())
            .await
            .map_err(|e| PgError::Connect(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a dedicated PostgreSQL connection ended");
            }
        });
        Ok(client)
    }

    /// Bring `component`'s schema up to the newest of `migrations` (see [`Migration`]).
    ///
    /// # Errors
    /// [`PgError::Migration`] when one fails, [`PgError::SchemaTooNew`] when the database is
    /// ahead of this program.
    pub async fn migrate(&self, component: &str, migrations: &[Migration]) -> Result<(), PgError> {
        let mut client = self.client().await?;
        migrate::run(&mut client, component, migrations).await
    }

    /// Wait for the lock named `name`, held across every replica on this database (and
    /// schema) until the returned guard is dropped, or its connection is lost (a replica that
    /// dies releases it).
    ///
    /// # Errors
    /// When the lock connection cannot be made.
    pub async fn lock(&self, name: &str) -> Result<SessionLock, PgError> {
        SessionLock::acquire(self.dedicated().await?, name).await
    }
}

/// Column `index` of `row`, a `jsonb` value decoded as `T`.
///
/// A value that does not decode (written by another version, or by hand) is an error to report,
/// where `row.get::<_, Json<T>>` would panic the task that read it.
///
/// # Errors
/// The driver's error when the column is missing, is not `json`/`jsonb`, or does not decode.
pub fn json<T: serde::de::DeserializeOwned>(
    row: &tokio_postgres::Row,
    index: usize,
) -> Result<T, tokio_postgres::Error> {
    row.try_get::<_, tokio_postgres::types::Json<T>>(index).map(|json| json.0)
}

/// An error that may be a lost race between transactions (see [`is_race`]).
pub trait LostRace {
    /// Whether retrying the whole transaction may succeed.
    fn is_race(&self) -> bool;
}

impl LostRace for PgError {
    fn is_race(&self) -> bool {
        PgError::is_race(self)
    }
}

/// Run `attempt` again while it fails with a lost race, up to `tries` times in all. Each
/// attempt must run its whole transaction.
///
/// # Errors
/// The last attempt's error.
pub async fn retry_races<T, E, F, Fut>(tries: u32, mut attempt: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: LostRace,
{
    let mut tried = 1;
    loop {
        match attempt().await {
            Err(error) if tried < tries && error.is_race() => {
                tried += 1;
                // A little spread, so the racers do not meet again at once.
                let spread = fastrand::u64(0..=u64::from(tried) * 2);
                tokio::time::sleep(Duration::from_millis(spread)).await;
            }
            other => return other,
        }
    }
}

//! The `contact-sync` command line: flags, startup, graceful shutdown and exit codes.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use secrecy::{ExposeSecret, SecretString};

use super::config::SyncConfig;
use super::server::{ContactSync, serve};
use super::store::Store;

/// Exit code when the config (or a flag) is bad.
pub const EXIT_BAD_CONFIG: u8 = 2;
/// Exit code when the database cannot be opened or the address cannot be bound.
pub const EXIT_RUNTIME: u8 = 1;

/// Receive Dynamics 365 / Dataverse contact changes and sync them into an embedded user store.
///
/// Endpoints:
///   POST /api/crm/webhook/dynamics/{connection_id}   a contact change: the body of a Power
///        Automate HTTP action or a registered Dataverse webhook (RemoteExecutionContext);
///        MessageName Create/Created, Update/Updated/Modify/Modified, Delete/Deleted.
///        200 with the outcome (created, updated, deactivated, ignored-stale, duplicate,
///        skipped-no-match, skipped-truncated) and the user id; 404 unknown connection;
///        401 failed webhook authentication; 413 body too large; 400 not a contact change;
///        409 conflict (email used by another user). Every request is written to the sync log.
///   GET  /api/crm/connections/{connection_id}/sync-log?limit=N   newest first (1-1000, default 50)
///   GET  /api/crm/connections/{connection_id}/contacts/{crm_contact_id}   the synced user, or 404
///   GET  /healthz
///
/// The config file (TOML) lists the connections: id, name, auto_create, field_mappings
/// (default firstname, lastname, emailaddress1, telephone1, statecode) and, for registered
/// Dataverse webhooks, auth (HttpHeader, WebhookKey or HttpQueryString). See
/// examples/contact-sync/README.md. Logs go to stderr (RUST_LOG, default info). SIGINT/SIGTERM stop
/// accepting connections and let requests in flight finish.
///
/// The store is a redb file by default (one process per file). With --database-url it is a
/// PostgreSQL database that any number of replicas share: a change delivered to two replicas
/// at once applies once, and ordering by modifiedon holds across them.
///
/// Exit codes: 0 after a clean shutdown, 2 for a bad config or flag, 1 when the database
/// cannot be opened or reached, or the address cannot be bound.
#[derive(Debug, Parser)]
#[command(name = "contact-sync", version, verbatim_doc_comment)]
pub struct Args {
    /// The connections file (TOML).
    #[arg(long, env = "CONTACT_SYNC_CONFIG", value_name = "PATH")]
    pub config: PathBuf,

    /// The database file (redb); created if missing. One process per file: for replicas, use
    /// --database-url.
    #[arg(long, env = "CONTACT_SYNC_DB", value_name = "PATH", default_value = "contact-sync.redb")]
    pub db: PathBuf,

    /// Keep the users and the sync log in PostgreSQL instead of the file (postgres://user:password@host:port/dbname):
    /// any number of replicas may share one database. The schema is created or migrated at start.
    #[arg(
        long,
        env = "CONTACT_SYNC_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        conflicts_with = "db",
        value_parser = |url: &str| Ok::<_, Infallible>(SecretString::from(url))
    )]
    pub database_url: Option<SecretString>,

    /// The address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(
        long,
        env = "CONTACT_SYNC_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Require `Authorization: Bearer <TOKEN>` on the sync-log and contact endpoints (needed
    /// unless --listen is a loopback address: they return personal data).
    #[arg(
        long,
        env = "CONTACT_SYNC_READ_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        value_parser = |token: &str| Ok::<_, Infallible>(SecretString::from(token))
    )]
    pub read_token: Option<SecretString>,
}

/// Run the receiver until SIGINT/SIGTERM. Prints `contact-sync listening on http://ADDR` to
/// `stdout` once it accepts connections, and one-line errors to `stderr`. Returns the exit code.
///
/// ```no_run
/// use clap::Parser;
/// use contact_sync::cli::{Args, run};
///
/// # async fn main_() {
/// let args = Args::parse_from(["contact-sync", "--config", "contact-sync.toml"]);
/// let code = run(args, std::io::stdout(), std::io::stderr()).await;
/// std::process::exit(i32::from(code));
/// # }
/// ```
pub async fn run(args: Args, mut stdout: impl Write, mut stderr: impl Write) -> u8 {
    let read_token = args.read_token.filter(|token| !token.expose_secret().is_empty());
    if let Err(reason) = check_read_access(args.listen, read_token.is_some()) {
        let _ = writeln!(stderr, "contact-sync: {reason}");
        return EXIT_BAD_CONFIG;
    }
    let config = match SyncConfig::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            let _ = writeln!(stderr, "contact-sync: {}", one_line(&error.to_string()));
            return EXIT_BAD_CONFIG;
        }
    };
    let opened = match &args.database_url {
        Some(url) => Store::connect(url).await,
        None => Store::open(&args.db),
    };
    let store = match opened {
        Ok(store) => store.with_retention(config.retention()),
        Err(error) => {
            let _ = writeln!(stderr, "contact-sync: {}", one_line(&error.to_string()));
            return EXIT_RUNTIME;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            let _ = writeln!(stderr, "contact-sync: cannot listen on {}: {error}", args.listen);
            return EXIT_RUNTIME;
        }
    };
    let address = listener.local_addr().map_or_else(|_| args.listen.to_string(), |a| a.to_string());
    let connections = config.connections().len();
    let mut app = ContactSync::new(config, store);
    if let Some(token) = read_token {
        app = app.with_read_token(token);
    }
    let db = app.store().location().to_owned();
    tracing::info!(%address, connections, db, "contact-sync started");
    let _ = writeln!(stdout, "contact-sync listening on http://{address}");
    let _ = stdout.flush();
    let shutdown = program_support::shutdown::on_signals();
    match serve(listener, app, async move { shutdown.cancelled().await }).await {
        Ok(()) => {
            tracing::info!("contact-sync stopped");
            0
        }
        Err(error) => {
            let _ = writeln!(stderr, "contact-sync: {error}");
            EXIT_RUNTIME
        }
    }
}

/// The sync log and the contact endpoints return names, emails and phone numbers: served
/// beyond this machine, they need `--read-token`. `Err` is the one-line reason to refuse.
fn check_read_access(listen: SocketAddr, has_read_token: bool) -> Result<(), String> {
    if has_read_token || listen.ip().is_loopback() {
        return Ok(());
    }
    Err(format!(
        "--listen {listen} is reachable from other machines, and the sync-log and contact \
         endpoints return personal data: set --read-token (CONTACT_SYNC_READ_TOKEN), or listen \
         on a loopback address such as 127.0.0.1"
    ))
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_beyond_loopback_need_a_token() {
        for loopback in ["127.0.0.1:8080", "[::1]:8080", "127.0.0.2:0"] {
            assert_eq!(check_read_access(loopback.parse().unwrap(), false), Ok(()));
        }
        for open in ["0.0.0.0:8080", "[::]:8080", "10.0.0.4:8080"] {
            let reason = check_read_access(open.parse().unwrap(), false).unwrap_err();
            assert!(reason.contains("--read-token") && !reason.contains('\n'), "{reason}");
            assert_eq!(check_read_access(open.parse().unwrap(), true), Ok(()));
        }
    }

    #[test]
    fn the_database_url_never_prints_and_excludes_the_file() {
        let args = Args::parse_from([
            "contact-sync",
            "--config",
            "contact-sync.toml",
            "--database-url",
            "postgres://sync:pa55w0rd@db.internal/sync",
        ]);
        let shown = format!("{args:?} {args:#?}");
        assert!(!shown.contains("pa55w0rd"), "{shown}");
        assert!(args.database_url.is_some());
        let both = Args::try_parse_from([
            "contact-sync",
            "--config",
            "c.toml",
            "--db",
            "x.redb",
            "--database-url",
            "postgres://db/sync",
        ]);
        assert!(both.is_err(), "a file and a database are two stores");
    }

    #[test]
    fn the_read_token_never_prints() {
        let args = Args::parse_from([
            "contact-sync",
            "--config",
            "contact-sync.toml",
            "--read-token",
            "r3ad-t0ken-s3cret",
        ]);
        let shown = format!("{args:?} {args:#?}");
        assert!(!shown.contains("r3ad-t0ken-s3cret"), "{shown}");
        assert_eq!(
            args.read_token.map(|t| t.expose_secret().to_owned()),
            Some("r3ad-t0ken-s3cret".into())
        );
    }
}

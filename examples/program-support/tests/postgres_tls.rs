//! `sslmode` against real servers.
//!
//! Against the plain test server (`TEST_DATABASE_URL`, from `.ci/postgres start`): `prefer`
//! falls back to plain, `require` refuses. Against a server with TLS on, named by
//! `TEST_TLS_DATABASE_URL` (a `postgres://…@localhost:…` URL) with `TEST_TLS_ROOT_CERT` (the
//! PEM of the root that signed its certificate, issued for `localhost`): `require`,
//! `verify-ca` and `verify-full` connect, `verify-full` refuses another host name and a root
//! that did not sign it. Each part prints why it is skipped when its server is not set.

use program_support::postgres::{Database, PgError};
use secrecy::SecretString;

fn with(url: &str, params: &str) -> SecretString {
    let separator = if url.contains('?') { '&' } else { '?' };
    SecretString::from(format!("{url}{separator}{params}"))
}

/// Connect, and say whether the session is encrypted (as the server sees it).
async fn answers(url: SecretString) -> Result<bool, PgError> {
    let db = Database::connect(&url, 1).await?;
    let row = db
        .client()
        .await?
        .query_one(
            "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

#[tokio::test]
async fn a_plain_server_is_used_by_prefer_and_refused_by_require() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (eval \"$(.ci/postgres start)\")");
        return;
    };
    // Over a unix socket (`.ci/postgres`) the server offers no TLS, and libpq would not ask:
    // `require` is only checked over TCP.
    if !(url.contains("host=/") || url.contains("host=%2F")) {
        let refused = answers(with(&url, "sslmode=require")).await.unwrap_err();
        assert!(matches!(refused, PgError::Connect(_)), "{refused:?}");
    }
    assert!(!answers(with(&url, "sslmode=prefer")).await.expect("prefer falls back to plain"));
    assert!(!answers(with(&url, "sslmode=disable")).await.expect("disable"));
}

#[tokio::test]
async fn a_tls_server_is_verified_as_sslmode_asks() {
    let (Ok(url), Ok(root)) =
        (std::env::var("TEST_TLS_DATABASE_URL"), std::env::var("TEST_TLS_ROOT_CERT"))
    else {
        eprintln!("skipped: TEST_TLS_DATABASE_URL and TEST_TLS_ROOT_CERT are not set");
        return;
    };
    let root = format!("sslrootcert={root}");
    assert!(answers(with(&url, "")).await.expect("prefer (the default) takes TLS"));
    assert!(!answers(with(&url, "sslmode=disable")).await.expect("disable"));
    assert!(answers(with(&url, "sslmode=require")).await.expect("require, not verified"));
    assert!(answers(with(&url, &format!("sslmode=verify-ca&{root}"))).await.expect("verify-ca"));
    assert!(answers(with(&url, &format!("sslmode=verify-full&{root}"))).await.expect("full"));
    // By address, the certificate (for localhost) does not name the host: only verify-ca passes.
    let by_address = url.replace("@localhost", "@127.0.0.1");
    assert!(answers(with(&by_address, &format!("sslmode=verify-ca&{root}"))).await.expect("ca"));
    let wrong_name = answers(with(&by_address, &format!("sslmode=verify-full&{root}"))).await;
    assert!(matches!(wrong_name, Err(PgError::Connect(_))), "{wrong_name:?}");
    // The platform's roots did not sign it.
    let unknown = answers(with(&url, "sslmode=verify-full")).await;
    assert!(matches!(unknown, Err(PgError::Connect(_))), "{unknown:?}");
}

/// A server that answers the TLS request with `N` (no TLS), as PostgreSQL with `ssl=off` does
/// (<https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL>).
#[tokio::test]
async fn require_refuses_a_server_without_tls() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).await.unwrap();
        socket.write_all(b"N").await.unwrap();
        request
    });
    let url = format!("postgres://app:hunter2@127.0.0.1:{port}/app?sslmode=require");
    let refused = Database::connect(&SecretString::from(url), 1).await.unwrap_err();
    assert!(matches!(refused, PgError::Connect(_)), "{refused:?}");
    assert!(!refused.to_string().contains("hunter2"), "{refused}");
    // Length 8, then the SSLRequest code 80877103.
    assert_eq!(server.await.unwrap(), [0, 0, 0, 8, 4, 210, 22, 47]);
}

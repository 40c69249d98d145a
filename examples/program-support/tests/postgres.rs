//! The PostgreSQL plumbing against a real server (`TEST_DATABASE_URL`; skipped without one).

use std::time::Duration;

use program_support::postgres::testing::TestDatabase;
use program_support::postgres::{Database, Migration, PgError};

const MIGRATIONS: &[Migration] = &[
    Migration::new(1, "CREATE TABLE items (id bigint PRIMARY KEY)"),
    Migration::new(2, "ALTER TABLE items ADD COLUMN name text NOT NULL DEFAULT ''"),
];

#[tokio::test]
async fn replicas_starting_together_apply_each_migration_once() {
    let Some(test) = TestDatabase::create("migrations_once").await else { return };
    let url = test.secret_url();
    let replicas: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let db = Database::connect(&url, 2).await?;
                db.migrate("items", MIGRATIONS).await
            })
        })
        .collect();
    for replica in replicas {
        replica.await.unwrap().unwrap();
    }
    let db = Database::connect(&url, 2).await.unwrap();
    let client = db.client().await.unwrap();
    let rows = client
        .query("SELECT version FROM schema_migrations WHERE component = 'items' ORDER BY 1", &[])
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), [1, 2]);
    client.execute("INSERT INTO items (id, name) VALUES (1, 'a')", &[]).await.unwrap();
    // Running again changes nothing.
    db.migrate("items", MIGRATIONS).await.unwrap();
    // An older program refuses a newer schema.
    let error = db.migrate("items", &MIGRATIONS[..1]).await.unwrap_err();
    assert!(matches!(error, PgError::SchemaTooNew { found: 2, known: 1, .. }), "{error}");
}

/// The URL's password reaches neither `Debug` nor the location logged. The test server trusts
/// its clients (`.ci/postgres`), so a password of our own is accepted and ignored; a server of
/// your own keeps the one its URL has.
#[tokio::test]
async fn the_password_of_the_url_never_shows() {
    let Some(test) = TestDatabase::create("url_password").await else { return };
    let url = test.url();
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let (url, password) = match user.split_once(':') {
        Some((_, password)) => (url.clone(), password.to_owned()),
        None => (format!("{scheme}://{user}:s3cret-pw@{host}"), "s3cret-pw".to_owned()),
    };
    let db = Database::connect(&url.into(), 1).await.unwrap();
    assert!(!format!("{db:?}").contains(&password), "{db:?}");
    assert!(!db.location().contains(&password), "{}", db.location());
    assert!(db.location().starts_with("postgres://"), "{}", db.location());
}

#[tokio::test]
async fn a_failed_migration_leaves_the_schema_as_it_was() {
    let Some(test) = TestDatabase::create("migration_fails").await else { return };
    let db = Database::connect(&test.secret_url(), 1).await.unwrap();
    let broken = [MIGRATIONS[0], Migration::new(2, "ALTER TABLE nowhere ADD COLUMN x int")];
    let error = db.migrate("items", &broken).await.unwrap_err();
    assert!(matches!(error, PgError::Migration { version: 2, .. }), "{error}");
    let client = db.client().await.unwrap();
    let ledger = client.query_opt("SELECT to_regclass('items')::text", &[]).await.unwrap();
    assert_eq!(ledger.and_then(|row| row.get::<_, Option<String>>(0)), None);
}

#[tokio::test]
async fn a_lock_is_held_by_one_replica_and_released_when_its_holder_goes() {
    let Some(test) = TestDatabase::create("session_lock").await else { return };
    let first = Database::connect(&test.secret_url(), 1).await.unwrap();
    let second = Database::connect(&test.secret_url(), 1).await.unwrap();
    let held = first.lock("poll").await.unwrap();
    assert_eq!(held.name(), "poll");
    let waiting = tokio::spawn(async move { second.lock("poll").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "the second replica waits");
    // Another name is another lock.
    let other = first.lock("other").await.unwrap();
    drop(held);
    let taken = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
    assert_eq!(taken.unwrap().name(), "poll");
    drop(other);
}

#[tokio::test]
async fn a_bad_url_is_a_clear_error_without_the_password() {
    let error =
        Database::connect(&"postgres://u:hunter2@[bad".to_owned().into(), 1).await.unwrap_err();
    assert!(matches!(error, PgError::InvalidUrl(_)), "{error}");
    let error = Database::connect(&"postgres://u:hunter2@127.0.0.1:1/db".to_owned().into(), 1)
        .await
        .unwrap_err();
    assert!(matches!(error, PgError::Connect(_)), "{error}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

//! A database of its own for each test, on the server named by `TEST_DATABASE_URL`.
//!
//! `.ci/postgres start` starts a throwaway server and prints that variable. Without it (or
//! when the server does not answer) [`TestDatabase::create`] prints why the test is skipped
//! and returns `None`, so `cargo test` passes on a machine without PostgreSQL.

use secrecy::SecretString;
use tokio_postgres::NoTls;

/// The variable naming the test server.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A fresh, empty database, dropped (best effort) with the value.
///
/// ```no_run
/// # async fn demo() {
/// use program_support::postgres::testing::TestDatabase;
///
/// let Some(db) = TestDatabase::create("my_test").await else { return };
/// let url = db.url(); // pass it to the program under test
/// # let _ = url;
/// # }
/// ```
#[derive(Debug)]
pub struct TestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Create a database for the test `test`, or print why not and return `None`.
    pub async fn create(test: &str) -> Option<Self> {
        let Ok(admin) = std::env::var(TEST_DATABASE_URL) else {
            eprintln!(
                "skipped {test}: {TEST_DATABASE_URL} is not set (start a server with `eval \"$(.ci/postgres start)\"`)"
            );
            return None;
        };
        let suffix: String = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let clean: String = test
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .take(40)
            .collect();
        let name = format!("t_{clean}_{suffix}");
        let client = match connect(&admin).await {
            Ok(client) => client,
            Err(error) => {
                eprintln!(
                    "skipped {test}: the server of {TEST_DATABASE_URL} does not answer: {error}"
                );
                return None;
            }
        };
        if let Err(error) = client.batch_execute(&format!("CREATE DATABASE {name}")).await {
            eprintln!("skipped {test}: cannot create a test database: {error}");
            return None;
        }
        let url = with_database(&admin, &name)?;
        Some(Self { admin, name, url })
    }

    /// The URL of the test's database.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The URL as a secret, the way the programs take it.
    pub fn secret_url(&self) -> SecretString {
        self.url.clone().into()
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside and outside runtimes: a thread of its own with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let client = connect(&admin).await.ok()?;
                client.batch_execute(&statement).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.set_path(&format!("/{name}"));
    Some(parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database("postgres://u:p@localhost:5433/postgres?host=/tmp/pg", "t_x").unwrap(),
            "postgres://u:p@localhost:5433/t_x?host=/tmp/pg"
        );
        assert_eq!(with_database("postgres://u@db", "t_y").unwrap(), "postgres://u@db/t_y");
    }
}

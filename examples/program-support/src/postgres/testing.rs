//! A database of its own for each test, on the server named by `TEST_DATABASE_URL`.
//!
//! `.ci/postgres start` starts a throwaway server and prints that variable. Without it
//! [`TestDatabase::create`] prints why the test is skipped and returns `None`, so `cargo test`
//! passes on a machine without PostgreSQL. When the variable is set, the tests must run: a
//! server that does not answer, or a database that cannot be created, fails the test instead
//! of letting it pass without having run.

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
    /// Create a database for the test `test`, or print why not and return `None` when
    /// [`TEST_DATABASE_URL`] is not set.
    ///
    /// # Panics
    /// When [`TEST_DATABASE_URL`] is set but its server does not answer, or the database cannot
    /// be created: the test was asked to run and could not.
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
        let Some(url) = with_database(&admin, &name) else {
            panic!("{test}: {TEST_DATABASE_URL} is not a postgres:// URL");
        };
        let client = match connect(&admin).await {
            Ok(client) => client,
            Err(error) => {
                panic!("{test}: the server of {TEST_DATABASE_URL} does not answer: {error}")
            }
        };
        if let Err(error) = client.batch_execute(&format!("CREATE DATABASE {name}")).await {
            panic!("{test}: cannot create a test database: {error}");
        }
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
///
/// By hand, not with `url::Url`: a unix socket URL (`postgres://user@/db?host=/tmp/dir`, what
/// `.ci/postgres` prints) has an empty host, which `url::Url` refuses.
fn with_database(url: &str, name: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let authority = location.split_once('/').map_or(location, |(authority, _)| authority);
    let mut replaced = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        replaced.push('?');
        replaced.push_str(query);
    }
    Some(replaced)
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
        // `.ci/postgres`: a unix socket, no host.
        assert_eq!(
            with_database("postgres://pg@/postgres?host=/tmp/ci-postgres.x&port=5", "t_z").unwrap(),
            "postgres://pg@/t_z?host=/tmp/ci-postgres.x&port=5"
        );
        assert_eq!(with_database("host=/tmp user=pg", "t_w"), None);
    }
}

//! Two `contact-sync` processes on one PostgreSQL database (`TEST_DATABASE_URL`; skipped
//! without one): duplicate deliveries sent to different replicas, out-of-order changes across
//! replicas, and a replica killed with SIGKILL while deliveries are in flight. Every change
//! applies exactly once, and the sync log is one log.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use futures_util::{StreamExt, stream};
use program_support::postgres::testing::TestDatabase;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_contact-sync");

/// A replica: the process and its base URL.
struct Replica {
    child: Child,
    base: String,
}

impl Replica {
    fn start(config: &std::path::Path, database_url: &str) -> Self {
        let mut child = Command::new(BIN)
            .args(["--config", config.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .env("CONTACT_SYNC_DATABASE_URL", database_url)
            .env_remove("CONTACT_SYNC_DB")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("contact-sync listening on ")
            .unwrap_or_else(|| panic!("no listening line: {line:?}"))
            .to_owned();
        Self { child, base }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registered webhook's contact change: its own operation (the redelivery key), contact and
/// `modifiedon`.
fn change(operation: u32, contact: u32, modified_ms: i64, first_name: &str) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dataverse-webhook-types/tests/fixtures/sample_a_update.json"
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let contact = format!("00000000-0000-4000-8000-{contact:012}");
    body["PrimaryEntityId"] = json!(contact);
    body["OperationId"] = json!(format!("10000000-0000-4000-8000-{operation:012}"));
    body["RequestId"] = json!(format!("10000000-0000-4000-8000-{operation:012}"));
    let target = &mut body["InputParameters"][0]["value"];
    target["Id"] = json!(contact);
    target["Attributes"] = json!([
        { "key": "contactid", "value": contact },
        { "key": "firstname", "value": first_name },
        { "key": "emailaddress1", "value": format!("{contact}@example.com") },
        { "key": "modifiedon", "value": format!("/Date({modified_ms})/") },
    ]);
    body.to_string()
}

async fn post(client: &reqwest::Client, replica: &str, body: String) -> Option<Value> {
    let response = client
        .post(format!("{replica}/api/crm/webhook/dynamics/c1"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .ok()?;
    let json: Value = response.json().await.ok()?;
    Some(json)
}

async fn sync_log(client: &reqwest::Client, replica: &str) -> Vec<Value> {
    let log: Value = client
        .get(format!("{replica}/api/crm/connections/c1/sync-log?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["entries"].as_array().unwrap().clone()
}

/// How many log entries per redelivery key applied something (were not duplicates).
fn applied_per_key(log: &[Value]) -> HashMap<String, usize> {
    let mut applied = HashMap::new();
    for entry in log {
        let key = entry["dedupe_key"].as_str().unwrap_or_default().to_owned();
        let count = applied.entry(key).or_insert(0);
        if entry["outcome"] != "duplicate" {
            *count += 1;
        }
    }
    applied
}

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("contact-sync.toml");
    std::fs::write(&path, "[[connections]]\nid = \"c1\"\nname = \"Contoso\"\nauto_create = true\n")
        .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_to_two_replicas_apply_once_and_order_holds_across_them() {
    let Some(db) = TestDatabase::create("contact_sync_replicas_duplicates").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let (a, b) = (Replica::start(&config, &db.url()), Replica::start(&config, &db.url()));
    let client = reqwest::Client::new();

    // Every change goes to both replicas at once (Dataverse retrying on the other one).
    let sends = (0..40u32).flat_map(|n| {
        let body = change(n, n, 1_700_000_000_000, "First");
        [(a.base.clone(), body.clone()), (b.base.clone(), body)]
    });
    let answers: Vec<Value> = stream::iter(sends)
        .map(|(replica, body)| {
            let client = client.clone();
            async move { post(&client, &replica, body).await.expect("answered") }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let created = answers.iter().filter(|a| a["outcome"] == "created").count();
    let duplicates = answers.iter().filter(|a| a["outcome"] == "duplicate").count();
    assert_eq!((created, duplicates), (40, 40), "{answers:?}");

    // The newer change reaches replica A first, the older one replica B after it.
    let newer = post(&client, &a.base, change(100, 7, 1_700_000_002_000, "Newer")).await.unwrap();
    let older = post(&client, &b.base, change(101, 7, 1_700_000_001_000, "Older")).await.unwrap();
    assert_eq!(
        (newer["outcome"].as_str(), older["outcome"].as_str()),
        (Some("updated"), Some("ignored-stale"))
    );
    let contact = "00000000-0000-4000-8000-000000000007";
    let user: Value = client
        .get(format!("{}/api/crm/connections/c1/contacts/{contact}", b.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["first_name"], "Newer");

    // One log, whichever replica is asked: 82 entries with unique ids.
    let (log_a, log_b) = (sync_log(&client, &a.base).await, sync_log(&client, &b.base).await);
    assert_eq!(log_a, log_b);
    assert_eq!(log_a.len(), 82);
    assert!(applied_per_key(&log_a).values().all(|applied| *applied == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_delivery_loses_and_duplicates_nothing() {
    let Some(db) = TestDatabase::create("contact_sync_replicas_sigkill").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let mut a = Replica::start(&config, &db.url());
    let b = Replica::start(&config, &db.url());
    let client = reqwest::Client::new();
    let bodies: Vec<String> =
        (0..300u32).map(|n| change(n, n, 1_700_000_000_000, "First")).collect();

    // Replica A takes deliveries 32 at a time and is killed (SIGKILL) once some are answered.
    let sending = {
        let (client, base, bodies) = (client.clone(), a.base.clone(), bodies.clone());
        tokio::spawn(async move {
            stream::iter(bodies)
                .map(|body| post(&client, &base, body))
                .buffer_unordered(32)
                .filter_map(std::future::ready)
                .count()
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let answered_by_a = sending.await.unwrap();
    assert!(answered_by_a < 300, "A was killed before it answered everything");

    // The sender retries every delivery on replica B: those A committed are duplicates.
    let answers: Vec<Value> = stream::iter(bodies)
        .map(|body| {
            let (client, base) = (client.clone(), b.base.clone());
            async move { post(&client, &base, body).await.expect("B answers") }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let created = answers.iter().filter(|a| a["outcome"] == "created").count();
    let duplicates = answers.iter().filter(|a| a["outcome"] == "duplicate").count();
    assert_eq!(created + duplicates, 300, "{answers:?}");
    assert!(duplicates >= answered_by_a, "{duplicates} < {answered_by_a}");

    let log = sync_log(&client, &b.base).await;
    let applied = applied_per_key(&log);
    assert_eq!(applied.len(), 300, "every change is in the log");
    assert!(applied.values().all(|applied| *applied == 1), "each change applied once");
}

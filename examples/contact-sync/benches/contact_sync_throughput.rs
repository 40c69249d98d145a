//! Accepted webhook deliveries per second, and latency percentiles, of the contact-sync
//! receiver on loopback with 32 concurrent senders.
//!
//! ```sh
//! cargo bench -p contact-sync --bench contact_sync_throughput
//! ```
//!
//! Every delivery is a distinct change (its own `OperationId`, a registered webhook's
//! RemoteExecutionContext shaped like research sample A) for one of 2,000 contacts, so each one
//! runs the whole path: authentication, parsing, mapping, one redb write transaction (user,
//! contact state, redelivery marker, sync-log entry) and the JSON answer. The first delivery of
//! a contact creates its user, the others update it. Senders and server share the machine.
//!
//! Three stores are measured: the redb file with its default durability (every commit waits for
//! `fsync`: the figure to quote), an in-memory redb (the same work without the disk), and two
//! replicas (two receivers, each with its own pool) on one PostgreSQL database named by
//! `TEST_DATABASE_URL` (skipped without it), the senders alternating between them. After each
//! measured run, 500 of its deliveries are sent again (to the other replica): none may apply.
//! `cargo test --benches` runs a small smoke pass and prints no figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use contact_sync::{ContactSync, Store, SyncConfig, serve};
use program_support::postgres::testing::TestDatabase;
use serde_json::{Value, json};

const SENDERS: usize = 32;
const CONTACTS: usize = 2_000;
const WARMUP: usize = 500;
const MEASURED: usize = 10_000;

struct Figures {
    deliveries: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// Redeliveries (to another replica when there are several) that applied again.
    duplicates_applied: usize,
}

fn main() {
    let measured = std::env::args().any(|arg| arg == "--bench");
    let (warmup, count) = if measured { (WARMUP, MEASURED) } else { (16, 64) };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let bodies = Arc::new(bodies(warmup + count));

    let dir = tempfile::tempdir().expect("temp dir");
    let file = Store::open(&dir.path().join("bench.redb")).expect("redb file");
    let on_disk = runtime.block_on(measure(vec![file], bodies.clone(), warmup, count));
    let in_memory = runtime.block_on(measure(
        vec![Store::in_memory().expect("memory")],
        bodies.clone(),
        warmup,
        count,
    ));
    // Two replicas on one PostgreSQL database (TEST_DATABASE_URL, e.g. from .ci/postgres).
    let replicas = runtime.block_on(async {
        let db = TestDatabase::create("contact_sync_bench").await?;
        let url = db.secret_url();
        let stores = vec![
            Store::connect(&url).await.expect("replica 1"),
            Store::connect(&url).await.expect("replica 2"),
        ];
        Some(measure(stores, bodies, warmup, count).await)
    });
    if measured {
        report("redb file, durable commits", &on_disk);
        report("redb in memory (no fsync)", &in_memory);
        match &replicas {
            Some(figures) => report("two replicas on PostgreSQL", figures),
            None => {
                println!("contact-sync, two replicas on PostgreSQL: skipped (no TEST_DATABASE_URL)")
            }
        }
    }
}

/// Research sample A as a template, with another contact, operation and first name.
fn bodies(count: usize) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dataverse-webhook-types/tests/fixtures/sample_a_update.json"
    );
    let template: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    (0..count)
        .map(|n| {
            let contact = format!("00000000-0000-4000-8000-{:012}", n % CONTACTS);
            let mut body = template.clone();
            body["PrimaryEntityId"] = json!(contact);
            body["OperationId"] = json!(format!("10000000-0000-4000-8000-{n:012}"));
            let target = &mut body["InputParameters"][0]["value"];
            target["Id"] = json!(contact);
            target["Attributes"] = json!([
                { "key": "firstname", "value": format!("First {n}") },
                { "key": "lastname", "value": "Glynn" },
                { "key": "emailaddress1", "value": format!("contact{}@example.com", n % CONTACTS) },
                { "key": "contactid", "value": contact },
                { "key": "modifiedon", "value": format!("/Date({})/", 1_700_000_000_000_i64 + n as i64) },
            ]);
            body.to_string()
        })
        .collect()
}

/// Serve one receiver per store (replicas of one database, or a single store) and send to
/// them in turn; then send the first 500 measured deliveries again, each to another replica.
async fn measure(
    stores: Vec<Store>,
    bodies: Arc<Vec<String>>,
    warmup: usize,
    count: usize,
) -> Figures {
    let config = SyncConfig::from_toml_str(
        "[[connections]]\nid = \"bench\"\nauto_create = true\n[connections.auth]\ntype = \"WebhookKey\"\nkey = \"bench-key\"\n",
    )
    .expect("config");
    let mut urls = Vec::new();
    let mut servers = Vec::new();
    for store in stores {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        urls.push(format!(
            "http://{}/api/crm/webhook/dynamics/bench?code=bench-key",
            listener.local_addr().expect("addr")
        ));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = ContactSync::new(config.clone(), store);
        let server = tokio::spawn(serve(listener, app, async {
            let _ = stopped.await;
        }));
        servers.push((stop, server));
    }
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(SENDERS).build().expect("client");

    run(&client, &urls, &bodies[..warmup], 0).await;
    let started = Instant::now();
    let (latencies, _) = run(&client, &urls, &bodies[warmup..warmup + count], 0).await;
    let elapsed = started.elapsed();
    let again = &bodies[warmup..warmup + count.min(500)];
    let (_, duplicates_applied) = run(&client, &urls, again, 1).await;

    for (stop, server) in servers {
        let _ = stop.send(());
        let _ = server.await;
    }
    Figures { deliveries: latencies.len(), elapsed, latencies, duplicates_applied }
}

/// Send every body once from 32 concurrent senders, body `n` to replica `n + shift`; returns
/// each request's latency and how many answers applied a change again.
async fn run(
    client: &reqwest::Client,
    urls: &[String],
    bodies: &[String],
    shift: usize,
) -> (Vec<Duration>, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let applied_again = Arc::new(AtomicUsize::new(0));
    let bodies: Arc<Vec<String>> = Arc::new(bodies.to_vec());
    let urls: Arc<Vec<String>> = Arc::new(urls.to_vec());
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (client, urls, next, bodies, applied_again) =
                (client.clone(), urls.clone(), next.clone(), bodies.clone(), applied_again.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(index) else { break };
                    let url = &urls[(index + shift) % urls.len()];
                    let sent = Instant::now();
                    let response =
                        client.post(url).body(body.clone()).send().await.expect("delivery");
                    let status = response.status();
                    let answer: Value = response.json().await.expect("JSON answer");
                    latencies.push(sent.elapsed());
                    let outcome = answer["outcome"].as_str().unwrap_or_default();
                    assert_eq!(status, 200, "{answer}");
                    if shift == 0 {
                        assert!(outcome == "created" || outcome == "updated", "{answer}");
                    } else if outcome != "duplicate" {
                        applied_again.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(bodies.len());
    for sender in senders {
        all.extend(sender.await.expect("sender"));
    }
    (all, applied_again.load(Ordering::Relaxed))
}

fn report(store: &str, figures: &Figures) {
    let mut sorted = figures.latencies.clone();
    sorted.sort();
    let percentile = |p: f64| {
        let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index].as_secs_f64() * 1e3
    };
    let per_second = figures.deliveries as f64 / figures.elapsed.as_secs_f64();
    println!(
        "contact-sync, {store}: {} accepted deliveries from {SENDERS} concurrent senders in {:.2} s \
         = {per_second:.0} deliveries/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         redeliveries applied again: {}",
        figures.deliveries,
        figures.elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99),
        percentile(1.0),
        figures.duplicates_applied,
    );
}

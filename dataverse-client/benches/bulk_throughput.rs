//! Bulk create throughput against the sandbox with 20 ms of latency per request: rows per second
//! for `CreateMultiple` (chunks of 100 and of the default 1,000), for `$batch` requests of 1,000
//! creates, and for single creates, four requests in flight each time; and the peak memory growth
//! of the client while it streams the rows in (target: flat, under 64 MiB).
//!
//! The sandbox runs in a child process (this binary, started again with `BULK_BENCH_SANDBOX`),
//! so the rows it stores do not count in the client's memory. `cargo bench --bench
//! bulk_throughput` creates 100,000 rows per mode (single creates: 10,000, which at four in
//! flight and 20 ms each take 50 s already; `BULK_BENCH_SINGLE_ROWS=100000` for the full count);
//! `cargo test --benches` a quick smoke run.

mod support;

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dataverse_client::{
    Client, auth::StaticToken, batch::Batch, batch::BatchRequest, bulk::BulkMessage, bulk::BulkRow,
};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::json;

const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 4;
const CHILD: &str = "BULK_BENCH_SANDBOX";

/// In the child: start a sandbox with 20 ms of latency, print its URL and token, serve until
/// stdin closes.
fn serve_sandbox() {
    let runtime = support::runtime();
    runtime.block_on(async {
        let sandbox = dataverse_ironclad_sandbox::Sandbox::start(
            dataverse_ironclad_sandbox::SandboxConfig::default(),
        )
        .await
        .expect("sandbox");
        sandbox.faults(dataverse_ironclad_sandbox::Service::Dataverse).set_latency(LATENCY);
        use secrecy::ExposeSecret;
        println!("{} {}", sandbox.dataverse_url(), sandbox.dataverse_token().expose_secret());
        std::io::stdout().flush().expect("flush");
        // Serve until the parent closes stdin.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .expect("stdin");
        sandbox.shutdown().await;
    });
}

/// A sandbox in a child process and a client for it.
struct Child_ {
    child: Child,
    client: Client,
}

fn start_sandbox() -> Child_ {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sandbox child");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("sandbox line");
    let mut parts = line.split_whitespace();
    let (url, token) = (parts.next().expect("url"), parts.next().expect("token"));
    let client = Client::builder(url).credential(StaticToken::new(token)).build().expect("client");
    Child_ { child, client }
}

impl Drop for Child_ {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A contact: a table without alternate keys, so the sandbox's own uniqueness checks (a scan of
/// the table per row) do not slow it down as it fills.
fn contact(n: u64) -> serde_json::Value {
    json!({ "firstname": "Bulk", "lastname": format!("Contact {n}"), "emailaddress1": format!("bulk{n}@example.com") })
}

/// Rows per second and peak RSS growth (MiB) of `work`, which creates `rows` rows.
fn measure(
    runtime: &tokio::runtime::Runtime,
    rows: u64,
    work: impl std::future::Future<Output = u64>,
) -> (f64, f64) {
    let ((created, elapsed), peak) = support::peak_growth_mib(|| {
        let started = Instant::now();
        let created = runtime.block_on(work);
        (created, started.elapsed())
    });
    assert_eq!(created, rows, "every row created");
    (rows as f64 / elapsed.as_secs_f64(), peak)
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        serve_sandbox();
        return;
    }
    support::with_pinned_allocator();
    let full = support::full_run();
    let rows: u64 = if full { 100_000 } else { 2_000 };
    // Single creates are latency-bound (four in flight, 20 ms each: at most 200 rows/s), so the
    // full run measures 10,000 of them unless BULK_BENCH_SINGLE_ROWS asks for more.
    let single_rows: u64 = match std::env::var("BULK_BENCH_SINGLE_ROWS").ok().map(|v| v.parse()) {
        Some(Ok(rows)) => rows,
        Some(Err(_)) => panic!("BULK_BENCH_SINGLE_ROWS must be a number of rows"),
        None if full => 10_000,
        None => 200,
    };
    let runtime = support::runtime();
    println!(
        "bulk create into the sandbox, {} ms latency per request, {CONCURRENCY} requests in flight:",
        LATENCY.as_millis()
    );

    for chunk in [100usize, 1000] {
        let sandbox = start_sandbox();
        let client = sandbox.client.clone();
        let (rate, peak) = measure(&runtime, rows, async move {
            let input = stream::iter(0..rows).map(|n| BulkRow::new(&contact(n)));
            client
                .bulk_stream(BulkMessage::Create, "contacts", input)
                .table("contact", "contactid")
                .chunk_size(chunk)
                .concurrency(CONCURRENCY)
                .outcomes()
                .try_fold(0u64, |n, row| async move {
                    assert!(row.result.is_success(), "{row:?}");
                    Ok(n + 1)
                })
                .await
                .expect("outcomes")
        });
        println!(
            "  CreateMultiple, {chunk:>4} rows a request : {rate:>9.0} rows/s   peak RSS growth {peak:>6.1} MiB   ({rows} rows)"
        );
    }

    {
        let sandbox = start_sandbox();
        let client = sandbox.client.clone();
        let (rate, peak) = measure(&runtime, rows, async move {
            let batches = stream::iter(0..rows).chunks(1000).map(|numbers| {
                let client = client.clone();
                async move {
                    let mut batch = Batch::new();
                    for n in numbers {
                        batch.add(BatchRequest::create("contacts", &contact(n)));
                    }
                    let results =
                        client.execute_batch(batch).continue_on_error(true).await.expect("batch");
                    assert!(results.all_succeeded());
                    results.len() as u64
                }
            });
            batches
                .buffer_unordered(CONCURRENCY)
                .fold(0u64, |n, count| async move { n + count })
                .await
        });
        println!(
            "  $batch, 1000 creates a request      : {rate:>9.0} rows/s   peak RSS growth {peak:>6.1} MiB   ({rows} rows)"
        );
    }

    {
        let sandbox = start_sandbox();
        let client = sandbox.client.clone();
        let (rate, peak) = measure(&runtime, single_rows, async move {
            stream::iter(0..single_rows)
                .map(|n| {
                    let client = client.clone();
                    async move { client.create("contacts", &contact(n)).await.expect("created") }
                })
                .buffer_unordered(CONCURRENCY)
                .fold(0u64, |n, _| async move { n + 1 })
                .await
        });
        println!(
            "  single creates                       : {rate:>9.0} rows/s   peak RSS growth {peak:>6.1} MiB   ({single_rows} rows)"
        );
    }
    println!("  target: memory flat, under 64 MiB");
}

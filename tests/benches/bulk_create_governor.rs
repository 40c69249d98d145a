//! Bulk create of 50,000 rows against the sandbox with Dataverse's service protection on, through
//! `$batch` and through `CreateMultiple`: rows per second against the ideal the limits allow,
//! 429s received, rows lost. Each once with the client's throughput governor (told the window)
//! and once with a fixed concurrency of 52 and no governor.
//!
//! ```sh
//! cargo bench -p flow-tests --bench bulk_create_governor
//! ```
//!
//! The limits are Dataverse's documented ones with the window 60 times shorter: 100 requests and
//! 20 s of execution time per 5 s sliding window, 52 concurrent requests, `x-ms-dop-hint: 8`,
//! 1 ms per operation. Requests of 100 rows (one `$batch`, or one `CreateMultiple` of 100
//! targets: either is one request charged the execution time of its 100 operations) make 500
//! requests, five windows' budgets, so the request count binds (execution time would allow 200
//! requests per window).
//!
//! The ideal: the limits admit at most 100 requests in any 5 s, so request `i + 100` starts at
//! least 5 s after request `i`, and the last of `n` requests at least `⌊(n − 1) / 100⌋ × 5 s`
//! after the first (20 s here): rows divided by that time. Every run uses 52 tasks (or 52 chunks
//! in flight), the same retry policy (10 attempts, `Retry-After` honoured) and a sandbox of its
//! own. `cargo test --benches` runs a small smoke pass and prints no figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dataverse_client::{
    Client, auth::StaticToken, batch::Batch, batch::BatchRequest, bulk::BulkRow,
    config::GovernorLimits, config::RetryPolicy,
};
use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, Service, ServiceProtection};
use secrecy::ExposeSecret;
use serde_json::json;

/// Rows per request.
const CHUNK: usize = 100;
/// Tasks (or chunks in flight) of every run.
const TASKS: usize = 52;
const SCALE: f64 = 60.0;

#[derive(Clone, Copy, Debug)]
enum Via {
    Batch,
    CreateMultiple,
}

struct Figures {
    rows: usize,
    created: usize,
    lost: usize,
    throttled: usize,
    elapsed: Duration,
}

fn main() {
    let measured = std::env::args().any(|arg| arg == "--bench");
    let rows: usize = if measured { 50_000 } else { 2_000 };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut limits = ServiceProtection::dataverse().scaled(SCALE);
    // 1 ms per operation: the request count binds.
    limits.cost_per_operation = Duration::from_millis(1);
    let ideal = rows as f64 / ideal_seconds(&limits, rows.div_ceil(CHUNK));
    if measured {
        println!(
            "bulk create of {rows} rows, {CHUNK} per request, service protection at 1/{SCALE} \
             scale ({} requests and {:?} of execution time per {:?}, {} concurrent, dop hint {})",
            limits.requests_per_window,
            limits.execution_time_per_window,
            limits.window,
            limits.concurrent_requests,
            limits.dop_hint
        );
        println!(
            "ideal the limits allow, $batch and CreateMultiple alike (one request, {CHUNK} \
             operations): {ideal:.0} rows/s (request i + {} starts a window after \
             request i)",
            limits.requests_per_window
        );
    }
    for via in [Via::Batch, Via::CreateMultiple] {
        let governed = runtime.block_on(run(&limits, rows, via, true));
        let fixed = runtime.block_on(run(&limits, rows, via, false));
        for figures in [&governed, &fixed] {
            assert_eq!(figures.created + figures.lost, figures.rows, "every row accounted for");
        }
        assert_eq!(governed.lost, 0, "the governor loses no row");
        if measured {
            report(&format!("{via:?}, throughput governor"), &governed, ideal);
            report(&format!("{via:?}, fixed concurrency 52"), &fixed, ideal);
        }
    }
}

/// The least time the limits allow between the first and the last of `requests` requests
/// starting with a full window: request `i + budget` cannot start before request `i` has left
/// the window. Execution time is a budget too: per window, as many requests as it pays for.
fn ideal_seconds(limits: &ServiceProtection, requests: usize) -> f64 {
    let cost = limits.cost_per_operation.as_secs_f64() * CHUNK as f64;
    let by_time = (limits.execution_time_per_window.as_secs_f64() / cost).floor() as usize;
    let per_window = (limits.requests_per_window as usize).min(by_time).max(1);
    let windows = (requests.saturating_sub(1) / per_window) as f64;
    (windows * limits.window.as_secs_f64()).max(cost)
}

fn report(name: &str, figures: &Figures, ideal: f64) {
    let rate = figures.created as f64 / figures.elapsed.as_secs_f64();
    println!(
        "{name:38} {rate:7.0} rows/s ({:.3} of ideal)  {:6.1} s  429s: {:5}  rows lost: {}",
        rate / ideal,
        figures.elapsed.as_secs_f64(),
        figures.throttled,
        figures.lost
    );
}

/// One run against a fresh sandbox.
async fn run(limits: &ServiceProtection, rows: usize, via: Via, governed: bool) -> Figures {
    let config = SandboxConfig {
        dataverse_service_protection: Some(limits.clone()),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    let before = sandbox.dataverse().count("accounts");
    let builder = Client::builder(sandbox.dataverse_url().as_str())
        .credential(StaticToken::new(sandbox.dataverse_token().expose_secret()))
        .retry_policy(RetryPolicy::default().max_attempts(10));
    let builder = if governed {
        builder.throughput_governor(GovernorLimits::default().window(limits.window))
    } else {
        builder.without_throughput_governor()
    };
    let client = builder.build().expect("client");
    let started = Instant::now();
    let lost = match via {
        Via::Batch => batches(&client, rows).await,
        Via::CreateMultiple => create_multiple(&client, rows).await,
    };
    let elapsed = started.elapsed();
    let created = sandbox.dataverse().count("accounts") - before;
    let throttled = sandbox
        .requests(Service::Dataverse)
        .iter()
        .filter(|request| request.status == Some(429))
        .count();
    assert!(created <= rows, "{} rows created twice", created - rows);
    Figures { rows, created, lost, throttled, elapsed }
}

fn name(row: usize) -> serde_json::Value {
    json!({ "name": format!("Bulk {row}") })
}

/// 52 tasks sending `$batch` requests of `CHUNK` creates; the rows of a failed batch are lost.
async fn batches(client: &Client, rows: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let requests = rows.div_ceil(CHUNK);
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, next, lost) = (client.clone(), next.clone(), lost.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        return;
                    }
                    let size = CHUNK.min(rows - n * CHUNK);
                    let mut batch = Batch::new();
                    for row in 0..size {
                        batch.add(BatchRequest::create("accounts", &name(n * CHUNK + row)));
                    }
                    match client.execute_batch(batch).send().await {
                        Ok(results) if results.all_succeeded() => {}
                        _ => {
                            lost.fetch_add(size, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    lost.load(Ordering::Relaxed)
}

/// `CreateMultiple` in chunks of `CHUNK`, 52 chunks in flight; a row not created is lost.
async fn create_multiple(client: &Client, rows: usize) -> usize {
    let input = (0..rows).map(|row| BulkRow::new(&name(row)));
    let results = client
        .create_multiple("accounts", input)
        .table("account", "accountid")
        .chunk_size(CHUNK)
        .concurrency(TASKS)
        .send()
        .await
        .expect("bulk create");
    assert_eq!(results.sent_via_batch(), 0, "accounts take CreateMultiple");
    results.rows.iter().filter(|row| !row.result.is_success()).count()
}

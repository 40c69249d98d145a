//! Bulk create through `$batch` against the sandbox with Dataverse's service protection on
//! (the documented limits with the window 60 times shorter: 100 requests and 20 s of execution
//! time per 5 s, 52 concurrent requests, `x-ms-dop-hint: 8`, 1 ms per operation): rows per
//! second against the ideal the limits allow (the first window's budget at once, then what the
//! window frees), 429s received, rows lost. Once with the client's throughput governor (told
//! the scaled window), once with a fixed concurrency of 52 and no governor.
//!
//! ```sh
//! cargo bench -p flow-tests --bench bulk_create_governor
//! ```
//!
//! Both runs use 52 tasks sending batches of 100 creates, the same retry policy (10 attempts,
//! `Retry-After` honoured), and a sandbox of their own. `cargo test --benches` runs a small
//! smoke pass and prints no figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dataverse_client::{
    Client, auth::StaticToken, batch::Batch, batch::BatchRequest, config::GovernorLimits,
    config::RetryPolicy,
};
use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, Service, ServiceProtection};
use secrecy::ExposeSecret;
use serde_json::json;

const BATCH: usize = 100;
const TASKS: usize = 52;

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
    let mut limits = ServiceProtection::dataverse().scaled(60.0);
    // 1 ms per operation: the request count binds (execution time would allow 4,000 rows/s).
    limits.cost_per_operation = Duration::from_millis(1);
    // A run starts with a full window: the first window's budget at once, then what the
    // sliding window frees.
    let batches = rows.div_ceil(BATCH) as f64;
    let per_window = f64::from(limits.requests_per_window);
    let ideal_seconds = ((batches / per_window) - 1.0).max(0.0) * limits.window.as_secs_f64();
    let ideal = if ideal_seconds > 0.0 {
        rows as f64 / ideal_seconds
    } else {
        limits.ideal_operations_per_second(BATCH as u32)
    };
    let window = limits.window;
    let governed = runtime.block_on(run(limits.clone(), rows, Some(window)));
    let fixed = runtime.block_on(run(limits, rows, None));
    for figures in [&governed, &fixed] {
        assert_eq!(figures.created + figures.lost, figures.rows, "every row accounted for");
    }
    assert_eq!(governed.lost, 0, "the governor loses no row");
    if measured {
        println!(
            "bulk create of {rows} rows via $batch ({BATCH} per batch), service protection 1/60 scale"
        );
        println!("ideal the limits allow: {ideal:.0} rows/s");
        report("throughput governor (default)", &governed, ideal);
        report("fixed concurrency 52, no governor", &fixed, ideal);
    }
}

fn report(name: &str, figures: &Figures, ideal: f64) {
    let rate = figures.created as f64 / figures.elapsed.as_secs_f64();
    println!(
        "{name:36} {rate:7.0} rows/s ({:.2} of ideal)  {:6.1} s  429s: {:5}  rows lost: {}",
        rate / ideal,
        figures.elapsed.as_secs_f64(),
        figures.throttled,
        figures.lost
    );
}

/// One run; `governed` is the window the governor is told (`None`: no governor).
async fn run(limits: ServiceProtection, rows: usize, governed: Option<Duration>) -> Figures {
    let config =
        SandboxConfig { dataverse_service_protection: Some(limits), ..SandboxConfig::default() };
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    let before = sandbox.dataverse().count("accounts");
    let mut builder = Client::builder(sandbox.dataverse_url().as_str())
        .credential(StaticToken::new(sandbox.dataverse_token().expose_secret()))
        .retry_policy(RetryPolicy::default().max_attempts(10));
    builder = match governed {
        Some(window) => builder.throughput_governor(GovernorLimits::default().window(window)),
        None => builder.without_throughput_governor(),
    };
    let client = builder.build().expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let batches = rows.div_ceil(BATCH);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, next, lost) = (client.clone(), next.clone(), lost.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= batches {
                        return;
                    }
                    let size = BATCH.min(rows - n * BATCH);
                    let mut batch = Batch::new();
                    for row in 0..size {
                        let name = format!("Bulk {}", n * BATCH + row);
                        batch.add(BatchRequest::create("accounts", &json!({ "name": name })));
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
    let elapsed = started.elapsed();
    let created = sandbox.dataverse().count("accounts") - before;
    let throttled = sandbox
        .requests(Service::Dataverse)
        .iter()
        .filter(|request| request.status == Some(429))
        .count();
    Figures { rows, created, lost: lost.load(Ordering::Relaxed), throttled, elapsed }
}

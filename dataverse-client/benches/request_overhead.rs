//! Per-request overhead of the client against plain `reqwest` doing the same GET and PATCH
//! (same headers, same JSON decoding, same status checks) on a loopback server, at concurrency 1
//! and 32. Prints the time per request of both and their ratio (target: at most 1.10).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode};
use dataverse_client::Client;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const ROW: &str = r#"{"@odata.context":"http://127.0.0.1/api/data/v9.2/$metadata#accounts(name,revenue,statuscode)/$entity","@odata.etag":"W/\"536530\"","name":"Fourth Coffee (sample)","revenue":1234567.8912,"statuscode":1,"accountid":"7eb682f1-ca75-e511-80d4-00155d2a68d1"}"#;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Account {
    accountid: Uuid,
    name: String,
    #[serde(with = "dataverse_client::json_decimal")]
    revenue: rust_decimal::Decimal,
    statuscode: i32,
}

async fn handle(request: Request<Body>) -> Response<Body> {
    let method = request.method().clone();
    // Read the whole request body, as a real server would.
    let _ = axum::body::to_bytes(request.into_body(), 1 << 20).await;
    let response = if method == Method::GET {
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json; odata.metadata=minimal")
            .header("odata-version", "4.0")
            .body(Body::from(ROW))
    } else {
        Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header("odata-version", "4.0")
            .body(Body::empty())
    };
    response.unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Get,
    Patch,
}

#[derive(Clone)]
struct Plain {
    http: reqwest::Client,
    url: String,
}

impl Plain {
    /// What a careful caller writes by hand: the same headers, status check and decoding.
    async fn run(&self, op: Op) {
        let request = match op {
            Op::Get => self.http.get(&self.url).header("if-none-match", "null"),
            Op::Patch => self
                .http
                .patch(&self.url)
                .header("if-match", "*")
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&json!({ "name": "Contoso" })).expect("json")),
        };
        let response = request
            .header("accept", "application/json")
            .header("odata-maxversion", "4.0")
            .header("odata-version", "4.0")
            .bearer_auth("bench-token")
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success());
        let body = response.bytes().await.expect("body");
        if op == Op::Get {
            let account: Account = serde_json::from_slice(&body).expect("decode");
            std::hint::black_box(account);
        }
    }
}

async fn ours(client: &Client, op: Op, id: Uuid) {
    match op {
        Op::Get => {
            let account: Account = client.retrieve("accounts", id).await.expect("get");
            std::hint::black_box(account);
        }
        Op::Patch => {
            client.update("accounts", id, &json!({ "name": "Contoso" })).await.expect("patch")
        }
    }
}

/// Wall time and CPU time (all threads, server included) per request, for `total` requests
/// spread over `concurrency` tasks.
async fn measure<F, Fut>(total: usize, concurrency: usize, run: F) -> (Duration, Duration)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let run = Arc::new(run);
    let cpu_before = support::process_cpu_ns();
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let run = Arc::clone(&run);
            tokio::spawn(async move {
                for _ in 0..total / concurrency {
                    run().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let requests = (total / concurrency * concurrency) as u32;
    let wall = started.elapsed() / requests;
    let cpu = Duration::from_nanos(support::process_cpu_ns().saturating_sub(cpu_before)) / requests;
    (wall, cpu)
}

async fn run_plain(
    plain: &Plain,
    op: Op,
    total: usize,
    concurrency: usize,
) -> (Duration, Duration) {
    let plain = plain.clone();
    measure(total, concurrency, move || {
        let plain = plain.clone();
        async move { plain.run(op).await }
    })
    .await
}

async fn run_ours(
    client: &Client,
    op: Op,
    id: Uuid,
    total: usize,
    concurrency: usize,
) -> (Duration, Duration) {
    let client = client.clone();
    measure(total, concurrency, move || {
        let client = client.clone();
        async move { ours(&client, op, id).await }
    })
    .await
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let full = support::full_run();
    let address = support::serve(Router::new().fallback(handle));
    let id = Uuid::parse_str("7eb682f1-ca75-e511-80d4-00155d2a68d1").expect("uuid");
    let runtime = support::runtime();
    let client = support::client(address);
    // The same client without its per-attempt timeout, to show what that one timer costs.
    let untimed = dataverse_client::Client::builder(format!("http://{address}"))
        .credential(dataverse_client::auth::StaticToken::new("bench-token"))
        .timeout(None)
        .build()
        .expect("client");
    let plain = Plain {
        http: reqwest::Client::builder().build().expect("reqwest"),
        url: format!("http://{address}/api/data/v9.2/accounts({id})"),
    };
    let rounds = if full { 21 } else { 1 };

    println!(
        "request overhead: dataverse-client vs plain reqwest (loopback, {rounds} paired rounds, medians)"
    );
    println!(
        "{:<6} {:>4} {:>12} {:>12} {:>8} {:>12} {:>12} {:>8} {:>10}",
        "op",
        "conc",
        "wall reqwest",
        "wall client",
        "ratio",
        "cpu reqwest",
        "cpu client",
        "ratio",
        "untimed"
    );
    for concurrency in [1usize, 32] {
        let total = match (full, concurrency) {
            (false, _) => 64,
            (true, 1) => 5_000,
            (true, _) => 16_000,
        };
        for op in [Op::Get, Op::Patch] {
            let (mut wall_ratios, mut cpu_ratios, mut untimed_ratios) =
                (Vec::new(), Vec::new(), Vec::new());
            let (mut plain_wall, mut ours_wall, mut plain_cpu, mut ours_cpu) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            runtime.block_on(async {
                // Warm up both connection pools.
                run_plain(&plain, op, concurrency * 4, concurrency).await;
                run_ours(&client, op, id, concurrency * 4, concurrency).await;
                // Paired rounds, alternating which goes first, so drift on a shared machine
                // hits both alike; each ratio is the median of the per-round ratios.
                for round in 0..rounds {
                    let (p, c) = if round % 2 == 0 {
                        let p = run_plain(&plain, op, total, concurrency).await;
                        (p, run_ours(&client, op, id, total, concurrency).await)
                    } else {
                        let c = run_ours(&client, op, id, total, concurrency).await;
                        (run_plain(&plain, op, total, concurrency).await, c)
                    };
                    let u = run_ours(&untimed, op, id, total, concurrency).await;
                    untimed_ratios.push(u.0.as_secs_f64() / p.0.as_secs_f64());
                    wall_ratios.push(c.0.as_secs_f64() / p.0.as_secs_f64());
                    cpu_ratios.push(c.1.as_secs_f64() / p.1.as_secs_f64());
                    plain_wall.push(p.0);
                    ours_wall.push(c.0);
                    plain_cpu.push(p.1);
                    ours_cpu.push(c.1);
                }
            });
            let wall_ratio = median_f64(wall_ratios);
            let cpu_ratio = median_f64(cpu_ratios);
            let untimed_ratio = median_f64(untimed_ratios);
            println!(
                "{:<6} {:>4} {:>9.1} µs {:>9.1} µs {:>7.3}x {:>9.1} µs {:>9.1} µs {:>7.3}x {:>9.3}x{}",
                format!("{op:?}").to_uppercase(),
                concurrency,
                median(plain_wall).as_secs_f64() * 1e6,
                median(ours_wall).as_secs_f64() * 1e6,
                wall_ratio,
                median(plain_cpu).as_secs_f64() * 1e6,
                median(ours_cpu).as_secs_f64() * 1e6,
                cpu_ratio,
                untimed_ratio,
                if wall_ratio <= 1.10 && cpu_ratio <= 1.10 {
                    ""
                } else {
                    "  (over the 1.10 target)"
                }
            );
        }
    }
}

//! The crate's figures, in one run against a loopback server started here:
//!
//! 1. peak RSS growth while streaming a 100 MiB document to a file (target ≤ 16 MiB);
//! 2. per-request overhead of `Client::workflows().get` against plain reqwest doing the same
//!    GET + JSON decode (target ≤ 1.10×);
//! 3. webhook signature verifications per second (target ≥ 10× the previous `rsa`-crate path).
//!
//! Run with `cargo bench -p ironclad-client --bench figures`.

use std::convert::Infallible;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::stream;
use ironclad_client::webhooks::{TestSigner, verify_delivery, verify_signature};
use ironclad_client::{Client, auth::Credentials, workflows::Workflow};

const DOCUMENT_BYTES: usize = 100 * 1024 * 1024;
const CHUNK_BYTES: usize = 64 * 1024;
static CHUNK: [u8; CHUNK_BYTES] = [b'%'; CHUNK_BYTES];
const TOKEN: &str = "bench-token";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn start_server() -> SocketAddr {
    let workflow = Bytes::from(fixture("workflow.json"));
    let app = Router::new()
        .route(
            "/public/api/v1/workflows/{id}",
            get(move || {
                let workflow = workflow.clone();
                async move { ([("content-type", "application/json")], workflow) }
            }),
        )
        .route(
            "/public/api/v1/workflows/{id}/document/{key}/download",
            get(|| async {
                // Generated on the fly from one static chunk: the server holds no copy.
                let chunks = stream::iter(
                    (0..DOCUMENT_BYTES / CHUNK_BYTES)
                        .map(|_| Ok::<_, Infallible>(Bytes::from_static(&CHUNK))),
                );
                ([("content-disposition", "attachment")], Body::from_stream(chunks))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// `(VmRSS, VmHWM)` in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn download_figure(client: &Client) {
    let target = std::env::temp_dir().join(format!("ironclad-bench-{}.bin", std::process::id()));
    // Warm up the connection and allocator with a first download, then measure a second.
    let warmup = client.workflows().download_document_by_key("w1", "doc").await.unwrap();
    warmup.save_to(&target).await.unwrap();
    // Resetting the peak ("5" → clear_refs) makes VmHWM the peak of the measured download only.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (baseline_rss, _) = memory_kib();
    let started = Instant::now();
    let download = client.workflows().download_document_by_key("w1", "doc").await.unwrap();
    let written = download.save_to(&target).await.unwrap();
    let elapsed = started.elapsed();
    let (_, peak) = memory_kib();
    let _ = std::fs::remove_file(&target);
    assert_eq!(written as usize, DOCUMENT_BYTES);
    let growth_mib = peak.saturating_sub(baseline_rss) as f64 / 1024.0;
    println!(
        "download: 100 MiB streamed to a file in {:.2} s ({:.0} MiB/s)",
        elapsed.as_secs_f64(),
        100.0 / elapsed.as_secs_f64()
    );
    println!(
        "download: peak RSS growth {growth_mib:.1} MiB (baseline {:.1} MiB, peak {:.1} MiB; peak reset: {reset}) — target ≤ 16 MiB: {}",
        baseline_rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        if growth_mib <= 16.0 { "met" } else { "MISSED" }
    );
}

/// One way of doing `GET /workflows/IC-7` + decode, timed per request.
type Getter<'a> = Box<dyn Fn() -> futures_util::future::BoxFuture<'a, Workflow> + 'a>;

fn plain_getter(http: reqwest::Client, url: String) -> Getter<'static> {
    Box::new(move || {
        let request = http.get(&url).bearer_auth(TOKEN).header("accept", "application/json");
        Box::pin(async move {
            let body =
                request.send().await.unwrap().error_for_status().unwrap().bytes().await.unwrap();
            serde_json::from_slice::<Workflow>(&body).unwrap()
        })
    })
}

fn client_getter(client: Client) -> Getter<'static> {
    Box::new(move || {
        let client = client.clone();
        Box::pin(async move { client.workflows().get("IC-7").await.unwrap() })
    })
}

async fn overhead_figure(address: SocketAddr) {
    let url = format!("http://{address}/public/api/v1/workflows/IC-7");
    let base = format!("http://{address}");
    // Plain reqwest with the transport settings ironclad-client uses by default.
    let timed_http = || {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    };
    let ours_default = Client::builder()
        .base_url(&base)
        .credential(Credentials::api_token(TOKEN))
        .build()
        .unwrap();
    let ours_untimed = Client::builder()
        .base_url(&base)
        .credential(Credentials::api_token(TOKEN))
        .http_client(reqwest::Client::new())
        .timeout(None)
        .build()
        .unwrap();
    let contenders: [(&str, Getter<'static>); 4] = [
        ("plain reqwest, no timeouts", plain_getter(reqwest::Client::new(), url.clone())),
        ("plain reqwest, same timeouts as the client", plain_getter(timed_http(), url.clone())),
        ("ironclad-client, defaults (timeouts on)", client_getter(ours_default)),
        ("ironclad-client, no timeouts", client_getter(ours_untimed)),
    ];

    const WARMUP: usize = 300;
    const PER_ROUND: usize = 1000;
    const ROUNDS: usize = 9;
    for (_, get) in &contenders {
        for _ in 0..WARMUP {
            black_box(get().await);
        }
    }
    let mut rounds: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    for _ in 0..ROUNDS {
        // Interleaved rounds, so background load on the machine hits every contender alike.
        for (index, (_, get)) in contenders.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                black_box(get().await);
            }
            rounds[index].push(started.elapsed() / PER_ROUND as u32);
        }
    }
    let medians: Vec<f64> = rounds
        .iter_mut()
        .map(|r| {
            r.sort();
            r[r.len() / 2].as_secs_f64() * 1e6
        })
        .collect();
    println!(
        "overhead: GET + decode of a {:.1} KiB workflow, median µs per request of {ROUNDS}×{PER_ROUND}:",
        fixture("workflow.json").len() as f64 / 1024.0
    );
    for ((label, _), median) in contenders.iter().zip(&medians) {
        println!("overhead:   {label}: {median:.1} µs");
    }
    let verdict = |ratio: f64| if ratio <= 1.10 { "met" } else { "MISSED" };
    let same_transport = medians[2] / medians[1];
    let untimed = medians[3] / medians[0];
    println!(
        "overhead: ironclad-client vs plain reqwest on the same transport settings: {same_transport:.3}× with timeouts, {untimed:.3}× without (target ≤ 1.10×: {}, {})",
        verdict(same_transport),
        verdict(untimed)
    );
    println!(
        "overhead: ironclad-client defaults vs bare reqwest::Client::new(): {:.3}× (includes the cost of the default timeouts' timers)",
        medians[2] / medians[0]
    );
}

/// Verifications per second of `check`, median of interleaved rounds with the others.
fn rates(contenders: &[(&str, &dyn Fn() -> bool)]) -> Vec<f64> {
    const ROUNDS: usize = 7;
    const ROUND: Duration = Duration::from_millis(700);
    for (_, check) in contenders {
        for _ in 0..200 {
            assert!(black_box(check()));
        }
    }
    let mut per_round = vec![Vec::new(); contenders.len()];
    for _ in 0..ROUNDS {
        // Interleaved, so background load on the machine hits every contender alike.
        for (index, (_, check)) in contenders.iter().enumerate() {
            let started = Instant::now();
            let mut count = 0u64;
            while started.elapsed() < ROUND {
                for _ in 0..50 {
                    black_box(check());
                }
                count += 50;
            }
            per_round[index].push(count as f64 / started.elapsed().as_secs_f64());
        }
    }
    let rates: Vec<f64> = per_round
        .into_iter()
        .map(|mut r| {
            r.sort_by(f64::total_cmp);
            r[r.len() / 2]
        })
        .collect();
    for ((label, _), rate) in contenders.iter().zip(&rates) {
        println!("verify: {label}: {rate:.0} per second ({:.1} µs each)", 1e6 / rate);
    }
    rates
}

fn verify_figure() {
    let signer = TestSigner::from_pem(&fixture("webhook_signing_key.pem")).unwrap();
    let key = signer.verification_key();
    assert_eq!(key.bits(), 2048);
    let compact: serde_json::Value =
        serde_json::from_str(&fixture("delivery_approval_status_changed.json")).unwrap();
    let body = serde_json::to_vec(&compact).unwrap();
    let signed = signer.sign("webhookEvent6f1c2b0a9e8d7c6b5a4f3e2d1c0b9a8f", &body);
    let forged = TestSigner::from_pem(&fixture("rotated_signing_key.pem"))
        .unwrap()
        .sign(&signed.event_id, &body);

    // What aws-lc-rs's RSA-2048 check alone costs, to attribute the figures.
    let spki = pem_body(&fixture("webhook_verification_key.pem"));
    let public = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki).unwrap();
    let header: serde_json::Value = serde_json::from_str(&signed.verification).unwrap();
    let signature = STANDARD.decode(header["signature"].as_str().unwrap()).unwrap();
    let signed_bytes =
        [signed.event_id.as_bytes(), &body, header["nonce"].as_str().unwrap().as_bytes()].concat();

    println!("verify: RSA-2048 PKCS#1 v1.5 SHA-256 over a {}-byte delivery (raw body)", body.len());
    let figures = rates(&[
        ("valid signature", &|| {
            verify_signature(&key, &signed.event_id, &signed.verification, &body).is_ok()
        }),
        ("verify then parse the delivery", &|| {
            verify_delivery(&key, &signed.event_id, &signed.verification, &body).is_ok()
        }),
        ("forged signature (raw + re-serialized + JSON.stringify tried)", &|| {
            verify_signature(&key, &forged.event_id, &forged.verification, &body).is_err()
        }),
        ("of which aws-lc-rs's PKCS#1 v1.5 check alone", &|| {
            public.verify_sig(&signed_bytes, &signature).is_ok()
        }),
    ]);
    // The previous path (the `rsa` crate) measured 2,229 valid signatures a second in the same
    // run as this one's first figures (commit "verify webhook signatures with aws-lc-rs").
    const OLD_PATH_PER_SECOND: f64 = 2229.0;
    let speedup = figures[0] / OLD_PATH_PER_SECOND;
    println!(
        "verify: valid signatures per second, 2048-bit key: {:.0}, {speedup:.1}× the previous rsa-crate path's {OLD_PATH_PER_SECOND:.0} (target ≥ 10×: {})",
        figures[0],
        if speedup >= 10.0 { "met" } else { "MISSED" }
    );
}

/// The DER inside a PEM.
fn pem_body(pem: &str) -> Vec<u8> {
    let base64: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    STANDARD.decode(base64).unwrap()
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let address = start_server().await;
        let client = Client::builder()
            .base_url(format!("http://{address}"))
            .credential(Credentials::api_token(TOKEN))
            .build()
            .unwrap();
        download_figure(&client).await;
        overhead_figure(address).await;
    });
    verify_figure();
}

//! Flow 1 over 1,000 MSA agreements in the sandbox with 20 ms of latency on every request of
//! both services: requests per agreement and wall time against the ideal.
//!
//! ```sh
//! cargo bench -p flows --bench launch_msa_workflows
//! ```
//!
//! Two configurations run: latency-bound (concurrency 4, no client-side rate limit) and
//! rate-bound (concurrency 16, Ironclad workflow writes limited on the client to K = 100 per
//! W = 1 s window, which is 6,000 a minute). The state is a redb file: every launch is recorded
//! durably before its write-back, as in production.
//!
//! The ideal, for N agreements, latency L, concurrency C, and K launches per window W:
//!
//! ```text
//! ideal = 3L                                  the template's launch form (read once), the first
//!                                             page and the first lookup, before any launch
//!       + max(ceil(N / C) × 2L,               each agreement: a launch then a write-back, C at a time
//!             floor((N − 1) / K) × W + 2L)    the last launch's window, then its launch and write-back
//! ```
//!
//! (with no rate limit the second term is dropped). Everything else (reading the next pages,
//! the other lookups, the state commits) should overlap with the launches. `cargo test
//! --benches` runs a small smoke pass and prints no figures.

use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, SeedData, Service};
use flows::config::AgreementTable;
use flows::launch::InitialWatermark;
use flows::state::LaunchState;
use flows::{FlowContext, LaunchMsaWorkflows, LaunchOptions};
use ironclad_client::config::{RateLimitBucket, RateLimits};
use secrecy::ExposeSecret;

const LATENCY: Duration = Duration::from_millis(20);

struct Scenario {
    name: &'static str,
    concurrency: usize,
    /// `(K, W)`: at most K launches per window W.
    limit: Option<(u32, Duration)>,
}

struct Figures {
    agreements: usize,
    requests: usize,
    throttled: usize,
    elapsed: Duration,
    ideal: Duration,
}

fn main() {
    let measured = std::env::args().any(|arg| arg == "--bench");
    let agreements = if measured { 1_000 } else { 30 };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let scenarios = [
        Scenario { name: "latency-bound", concurrency: 4, limit: None },
        Scenario {
            name: "rate-bound",
            concurrency: 16,
            limit: Some((if measured { 100 } else { 10 }, Duration::from_secs(1))),
        },
    ];
    if measured {
        println!(
            "flow 1 over {agreements} MSA agreements; sandbox latency {} ms per request on both services; state in a redb file",
            LATENCY.as_millis()
        );
        println!(
            "{:<14} {:>5} {:>12} {:>9} {:>14} {:>9} {:>9} {:>7} {:>6}",
            "scenario",
            "conc",
            "launch limit",
            "requests",
            "req/agreement",
            "wall",
            "ideal",
            "ratio",
            "429s"
        );
    }
    for scenario in &scenarios {
        let figures = runtime.block_on(run(scenario, agreements));
        if measured {
            let limit = scenario
                .limit
                .map_or_else(|| "none".to_owned(), |(k, w)| format!("{k}/{}s", w.as_secs()));
            println!(
                "{:<14} {:>5} {:>12} {:>9} {:>14.3} {:>8.2}s {:>8.2}s {:>7.3} {:>6}",
                scenario.name,
                scenario.concurrency,
                limit,
                figures.requests,
                figures.requests as f64 / figures.agreements as f64,
                figures.elapsed.as_secs_f64(),
                figures.ideal.as_secs_f64(),
                figures.elapsed.as_secs_f64() / figures.ideal.as_secs_f64(),
                figures.throttled,
            );
        }
    }
}

fn ideal(n: usize, scenario: &Scenario) -> Duration {
    let two_l = LATENCY * 2;
    let latency_bound = two_l * n.div_ceil(scenario.concurrency) as u32;
    let rate_bound = scenario
        .limit
        .map_or(Duration::ZERO, |(k, window)| window * ((n - 1) / k as usize) as u32 + two_l);
    LATENCY * 3 + latency_bound.max(rate_bound)
}

async fn run(scenario: &Scenario, count: usize) -> Figures {
    let config = SandboxConfig { seed: SeedData::ReferenceOnly, ..SandboxConfig::default() };
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    sandbox.bulk_create_agreements(count).expect("agreements");
    for service in [Service::Dataverse, Service::Ironclad] {
        sandbox.faults(service).set_latency(LATENCY);
    }
    let dataverse = dataverse_client::Client::builder(sandbox.dataverse_url().as_str())
        .credential(dataverse_client::auth::StaticToken::new(
            sandbox.dataverse_token().expose_secret(),
        ))
        .build()
        .expect("dataverse client");
    let limits = match scenario.limit {
        None => RateLimits::none(),
        Some((k, window)) => {
            RateLimits::none().per_minute(RateLimitBucket::WorkflowsWrite, k).window(window)
        }
    };
    let ironclad = ironclad_client::Client::builder()
        .base_url(sandbox.ironclad_base_url().as_str())
        .credential(ironclad_client::auth::Credentials::api_token(
            sandbox.ironclad_token().expose_secret(),
        ))
        .rate_limits(limits)
        .build()
        .expect("ironclad client");
    let context =
        FlowContext::new(dataverse, ironclad, AgreementTable::default(), sandbox.msa_template_id());
    let dir = tempfile::tempdir().expect("temp dir");
    let state = LaunchState::open(&dir.path().join("launch.redb")).expect("state");
    let flow = LaunchMsaWorkflows::new(context, state)
        .creator_email(Some(sandbox.creator_email().to_owned()))
        .options(LaunchOptions {
            concurrency: scenario.concurrency,
            // The agreements exist before the first run: read them all.
            initial_watermark: InitialWatermark::All,
            ..LaunchOptions::default()
        });

    let started = Instant::now();
    let report = flow.run_once(&CancellationToken::new()).await;
    let elapsed = started.elapsed();
    assert!(report.is_success(), "{:?}", report.failed.first());
    assert_eq!(report.launched(), count);
    assert_eq!(sandbox.ironclad().workflows().len(), count, "one workflow per agreement");
    assert!(sandbox.dataverse().agreements().iter().all(|a| a.workflow_url.is_some()));
    let records: Vec<_> = sandbox
        .requests(Service::Dataverse)
        .into_iter()
        .chain(sandbox.requests(Service::Ironclad))
        .collect();
    let throttled = records.iter().filter(|r| r.status == Some(429)).count();
    sandbox.shutdown().await;
    Figures {
        agreements: count,
        requests: records.len(),
        throttled,
        elapsed,
        ideal: ideal(count, scenario),
    }
}

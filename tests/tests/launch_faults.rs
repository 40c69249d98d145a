//! Flow 1 under fault injection: throttling, server errors, dropped connections, a write-back
//! that fails after the launch, a crash that loses the launch record, a failed lookup, and a
//! shutdown mid-run. Whatever happens: one workflow per MSA agreement, each written back.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use dataverse_ironclad_sandbox::{Fault, Sandbox, SandboxConfig, SeedData, Service};
use flow_tests::sandbox;
use flows::state::LaunchState;
use flows::{LaunchHow, LaunchMsaWorkflows, LaunchOptions, RunReport};
use http::Method;
use uuid::Uuid;

const LAUNCH: &str = "POST /public/api/v1/workflows";

fn flow(sandbox: &Sandbox, state: LaunchState) -> LaunchMsaWorkflows {
    flow_tests::launch_flow(sandbox, state)
}

async fn bulk(count: usize) -> (Sandbox, Vec<Uuid>) {
    let config = SandboxConfig { seed: SeedData::ReferenceOnly, ..SandboxConfig::default() };
    let sandbox = sandbox(config).await;
    let ids = sandbox.bulk_create_agreements(count).unwrap();
    (sandbox, ids)
}

fn launches(sandbox: &Sandbox) -> u64 {
    sandbox.request_counts(Service::Ironclad).get(LAUNCH).copied().unwrap_or(0)
}

/// Every agreement has exactly one workflow and carries its URL.
fn assert_exactly_once(sandbox: &Sandbox, agreements: &[Uuid]) {
    for id in agreements {
        let workflows = sandbox.ironclad().workflows_where("dynamicsMsaId", &id.to_string());
        assert_eq!(workflows.len(), 1, "agreement {id}");
        let workflow_id = workflows[0].get("id").and_then(|v| v.as_str()).unwrap();
        let agreement = sandbox.dataverse().agreement(*id).unwrap();
        assert_eq!(
            agreement.workflow_url.as_deref(),
            Some(sandbox.workflow_url(workflow_id).as_str())
        );
        assert_eq!(agreement.workflow_status.as_deref(), Some("Review"));
    }
    assert_eq!(sandbox.ironclad().workflows().len(), agreements.len());
}

async fn run_until_success(flow: &LaunchMsaWorkflows, runs: usize) -> Vec<RunReport> {
    let mut reports = Vec::new();
    for _ in 0..runs {
        let report = flow.run_once(&CancellationToken::new()).await;
        let done = report.is_success();
        reports.push(report);
        if done {
            return reports;
        }
    }
    panic!("no clean run in {runs}: {:?}", reports.last());
}

#[tokio::test]
async fn throttling_server_errors_and_dropped_connections_still_give_one_workflow_each() {
    let (sandbox, ids) = bulk(60).await;
    for service in [Service::Dataverse, Service::Ironclad] {
        let faults = sandbox.faults(service);
        faults.set_throttle_rate(0.15);
        faults.set_server_error_rate(0.10);
        faults.set_drop_rate(0.05);
    }
    let flow = flow(&sandbox, LaunchState::in_memory().unwrap()).options(LaunchOptions {
        page_size: 25,
        lookup_batch: 10,
        concurrency: 6,
        ..flow_tests::launch_options()
    });
    let reports = run_until_success(&flow, 25).await;
    let injected = sandbox
        .requests(Service::Dataverse)
        .iter()
        .chain(&sandbox.requests(Service::Ironclad))
        .filter(|r| r.fault.is_some())
        .count();
    assert!(injected > 20, "faults were injected: {injected}");
    assert_exactly_once(&sandbox, &ids);
    let processed: usize = reports.iter().map(|r| r.processed.len()).sum();
    assert_eq!(processed, 60, "each agreement processed once across the runs");
}

#[tokio::test]
async fn a_failed_write_back_is_resumed_without_a_second_launch() {
    let (sandbox, ids) = bulk(3).await;
    let state = LaunchState::in_memory().unwrap();
    let flow = flow(&sandbox, state.clone());
    // A 500 is not retried by the client: the write-back fails after the launch.
    let dataverse = sandbox.faults(Service::Dataverse);
    dataverse.set_server_error_status(500);
    dataverse.fail_next_matching(
        1,
        Fault::ServerError,
        Some(Method::PATCH),
        Some("cre6f_agreements"),
    );

    let first = flow.run_once(&CancellationToken::new()).await;
    assert_eq!(first.processed.len(), 2);
    assert_eq!(first.failed.len(), 1);
    assert!(first.failed[0].retryable);
    let failed = first.failed[0].agreement_id.unwrap();
    assert_eq!(launches(&sandbox), 3);
    assert_eq!(state.pending_launches().await.unwrap(), 1, "the launch is on record");
    let modified = sandbox.dataverse().agreement(failed).unwrap().modified_on.unwrap();
    assert!(first.watermark.unwrap() <= modified, "the watermark stops at the failed agreement");

    let second = flow.run_once(&CancellationToken::new()).await;
    assert!(second.is_success(), "{second:?}");
    assert_eq!(second.processed.len(), 1);
    assert_eq!(second.processed[0].agreement_id, failed);
    assert_eq!(second.processed[0].how, LaunchHow::Resumed);
    assert_eq!(launches(&sandbox), 3, "no second launch");
    assert_eq!(state.pending_launches().await.unwrap(), 0);
    assert_exactly_once(&sandbox, &ids);
}

#[tokio::test]
async fn a_crash_that_lost_the_launch_record_finds_the_workflow_in_ironclad() {
    let (sandbox, ids) = bulk(3).await;
    let dataverse = sandbox.faults(Service::Dataverse);
    dataverse.set_server_error_status(500);
    dataverse.fail_next_matching(
        3,
        Fault::ServerError,
        Some(Method::PATCH),
        Some("cre6f_agreements"),
    );
    let first =
        flow(&sandbox, LaunchState::in_memory().unwrap()).run_once(&CancellationToken::new()).await;
    assert_eq!(first.failed.len(), 3);
    assert_eq!(launches(&sandbox), 3);

    // The process died and its state with it: the new one knows nothing of the launches.
    sandbox.clear_requests(Service::Ironclad);
    let second =
        flow(&sandbox, LaunchState::in_memory().unwrap()).run_once(&CancellationToken::new()).await;
    assert!(second.is_success(), "{second:?}");
    assert!(second.processed.iter().all(|a| a.how == LaunchHow::Found));
    let counts = sandbox.request_counts(Service::Ironclad);
    assert_eq!(counts.get(LAUNCH), None, "no launch: {counts:?}");
    assert_eq!(counts.get("GET /public/api/v1/workflows"), Some(&1), "one amortised lookup");
    assert_exactly_once(&sandbox, &ids);
}

#[tokio::test]
async fn nothing_is_launched_without_a_successful_lookup() {
    let (sandbox, ids) = bulk(4).await;
    let ironclad = sandbox.faults(Service::Ironclad);
    ironclad.fail_next_matching(20, Fault::ServerError, Some(Method::GET), Some("/workflows"));
    let flow = flow(&sandbox, LaunchState::in_memory().unwrap());
    let first = flow.run_once(&CancellationToken::new()).await;
    assert_eq!(first.failed.len(), 4);
    assert!(first.failed.iter().all(|f| f.retryable));
    assert_eq!(launches(&sandbox), 0);
    let oldest = ids.iter().filter_map(|id| sandbox.dataverse().agreement(*id)?.modified_on).min();
    assert_eq!(first.watermark, oldest, "nothing processed: the watermark stays at the first");

    ironclad.clear();
    let second = flow.run_once(&CancellationToken::new()).await;
    assert!(second.is_success(), "{second:?}");
    assert_exactly_once(&sandbox, &ids);
}

#[tokio::test]
async fn a_launch_whose_connection_dropped_is_tried_again_next_run() {
    let (sandbox, ids) = bulk(2).await;
    sandbox.faults(Service::Ironclad).fail_next_matching(
        1,
        Fault::DropConnection,
        Some(Method::POST),
        Some("/workflows"),
    );
    let flow = flow(&sandbox, LaunchState::in_memory().unwrap());
    let first = flow.run_once(&CancellationToken::new()).await;
    assert_eq!((first.processed.len(), first.failed.len()), (1, 1));
    let second = flow.run_once(&CancellationToken::new()).await;
    assert!(second.is_success());
    assert_eq!(second.launched(), 1);
    assert_exactly_once(&sandbox, &ids);
}

#[tokio::test]
async fn a_shutdown_mid_run_finishes_what_is_in_flight_and_the_next_run_does_the_rest() {
    let (sandbox, ids) = bulk(40).await;
    sandbox.faults(Service::Ironclad).set_latency(Duration::from_millis(20));
    let state = LaunchState::in_memory().unwrap();
    let flow = flow(&sandbox, state.clone())
        .options(LaunchOptions { concurrency: 2, ..flow_tests::launch_options() });
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    let running = {
        let flow = flow.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move { flow.run_once(&shutdown).await })
    };
    flow_tests::eventually(Duration::from_secs(10), "a few launches", || launches(&sandbox) >= 3)
        .await;
    trigger.cancel();
    let first = running.await.unwrap();
    assert!(first.stopped);
    assert!(first.failed.is_empty(), "in-flight work finished: {:?}", first.failed);
    assert!(!first.processed.is_empty() && first.processed.len() < 40, "{}", first.processed.len());
    // Everything launched was written back before the run returned.
    assert_eq!(sandbox.ironclad().workflows().len(), first.processed.len());
    assert_eq!(state.pending_launches().await.unwrap(), 0);

    let second = flow.run_once(&CancellationToken::new()).await;
    assert!(second.is_success(), "{second:?}");
    assert_eq!(first.processed.len() + second.processed.len(), 40);
    assert_exactly_once(&sandbox, &ids);
}

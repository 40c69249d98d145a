//! Shared helpers for the end-to-end tests in `tests/tests/`: a sandbox with both services, the
//! flows' clients pointed at it with fast retries, and waiting for asynchronous effects.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, Service};
use flows::FlowContext;
use flows::config::AgreementTable;
use secrecy::ExposeSecret;

/// Retries fast enough for tests: 10 ms doubling to 100 ms, five attempts.
pub fn fast_retries() -> dataverse_client::config::RetryPolicy {
    dataverse_client::config::RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(100))
}

/// A sandbox whose Dataverse throttling asks for no wait (tests stay fast).
pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    sandbox.faults(Service::Dataverse).set_retry_after(Duration::ZERO);
    sandbox
}

/// The Dataverse client of the flows, against the sandbox.
pub fn dataverse(sandbox: &Sandbox) -> dataverse_client::Client {
    dataverse_client::Client::builder(sandbox.dataverse_url().as_str())
        .credential(dataverse_client::auth::StaticToken::new(
            sandbox.dataverse_token().expose_secret(),
        ))
        .retry_policy(fast_retries())
        .build()
        .expect("a Dataverse client")
}

/// The Ironclad client of the flows (legacy token), against the sandbox.
pub fn ironclad(sandbox: &Sandbox) -> ironclad_client::Client {
    ironclad_client::Client::builder()
        .base_url(sandbox.ironclad_base_url().as_str())
        .credential(ironclad_client::auth::Credentials::api_token(
            sandbox.ironclad_token().expose_secret(),
        ))
        .retry_policy(fast_retries().retry_internal_server_error(true))
        .build()
        .expect("an Ironclad client")
}

/// The flows' context against the sandbox, with the default table names and its template.
pub fn context(sandbox: &Sandbox) -> FlowContext {
    FlowContext::new(
        dataverse(sandbox),
        ironclad(sandbox),
        AgreementTable::default(),
        sandbox.msa_template_id(),
    )
}

/// Wait until `check` holds, polling every 10 ms, for at most `timeout`; panics with `what`.
pub async fn eventually(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Worker retries fast enough for tests: 10 ms doubling to 200 ms.
pub fn fast_worker() -> flows::WorkerOptions {
    flows::WorkerOptions {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
        ..flows::WorkerOptions::default()
    }
}

/// The webhook receiver and its worker, serving on an ephemeral loopback port and subscribed
/// to the sandbox's deliveries.
pub struct Receiver {
    /// The flows it runs.
    pub flows: flows::WebhookFlows,
    /// `http://127.0.0.1:<port>/ironclad`.
    pub url: String,
    trigger: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Receiver {
    /// Start serving `queue` and subscribe it to the three events.
    pub async fn start(sandbox: &Sandbox, queue: flows::state::EventQueue) -> Receiver {
        let flows = flows::WebhookFlows::new(context(sandbox), queue).options(fast_worker());
        Self::serve(sandbox, flows).await
    }

    /// Serve `flows` and subscribe it.
    pub async fn serve(sandbox: &Sandbox, flows: flows::WebhookFlows) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/ironclad", listener.local_addr().expect("address"));
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        let serving = flows.clone();
        let task = tokio::spawn(async move { serving.serve(listener, shutdown).await });
        flows::webhooks::register_subscription(&ironclad(sandbox), &url).await.expect("subscribed");
        Receiver { flows, url, trigger, task }
    }

    /// Stop it (the event in progress finishes) and wait.
    pub async fn stop(self) {
        self.trigger.cancel();
        self.task.await.expect("joined").expect("served");
    }
}

/// Flow 1's options for tests over the seeded rows: the first run reads every MSA agreement
/// (`--since all`) instead of starting from now.
pub fn launch_options() -> flows::LaunchOptions {
    flows::LaunchOptions {
        initial_watermark: flows::launch::InitialWatermark::All,
        ..flows::LaunchOptions::default()
    }
}

/// Flow 1 over `state` against the sandbox, launching as its creator, with [`launch_options`].
pub fn launch_flow(
    sandbox: &Sandbox,
    state: flows::state::LaunchState,
) -> flows::LaunchMsaWorkflows {
    flows::LaunchMsaWorkflows::new(context(sandbox), state)
        .creator_email(Some(sandbox.creator_email().to_owned()))
        .options(launch_options())
}

/// Launch the workflows of every MSA agreement (flow 1), returning `(agreement, workflow id)`.
pub async fn launch_all(
    sandbox: &Sandbox,
) -> Vec<(uuid::Uuid, ironclad_client::workflows::WorkflowId)> {
    let flow = launch_flow(sandbox, flows::state::LaunchState::in_memory().expect("state"));
    let report = flow.run_once(&CancellationToken::new()).await;
    assert!(report.is_success(), "{report:?}");
    report.processed.into_iter().map(|a| (a.agreement_id, a.workflow_id)).collect()
}

/// Wait until the sandbox has delivered everything and the queue has nothing pending.
pub async fn settle(sandbox: &Sandbox, queue: &flows::state::EventQueue) {
    assert!(
        sandbox.ironclad().wait_for_deliveries(Duration::from_secs(10)).await,
        "deliveries pending"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while queue.counts().await.expect("counts").pending > 0 {
        assert!(tokio::time::Instant::now() < deadline, "events still pending");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A signer holding the sandbox's (public, sandbox-only) signing key, to craft deliveries the
/// receiver accepts.
pub fn sandbox_signer() -> ironclad_client::webhooks::TestSigner {
    ironclad_client::webhooks::TestSigner::from_pem(include_str!(
        "../../examples/sandbox/src/keys/webhook_signing_key.pem"
    ))
    .expect("the sandbox key")
}

/// POST `body` to a receiver with `headers`; the status and the JSON answer.
pub async fn post(url: &str, headers: http::HeaderMap, body: Vec<u8>) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(url)
        .headers(headers)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the receiver answers");
    let status = response.status().as_u16();
    let json = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// A delivery body as Ironclad sends it (compact JSON).
pub fn delivery_body(payload: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "companyID": "674f5545728c89fc7fabd5ec",
        "payload": payload,
        "timestamp": "2026-05-01T10:00:00.000Z",
        "webhookID": "67535d36de552a07db17c508",
    }))
    .expect("json")
}

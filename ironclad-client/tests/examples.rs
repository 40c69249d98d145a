//! Every example in `examples/` runs here against the sandbox, through the same `support::connect`
//! its `main` uses, with the sandbox's URL and token as the settings.

// Each example's `main` is not called here.
#![allow(dead_code)]
// Each example declares `mod support;` so it builds on its own; including several loads it
// several times.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/launch_and_wait.rs"]
mod launch_and_wait;
#[path = "../examples/list_workflows.rs"]
mod list_workflows;
#[path = "../examples/support/mod.rs"]
mod support;
#[cfg(feature = "axum")]
#[path = "../examples/webhook_axum.rs"]
mod webhook_axum;

use std::collections::BTreeSet;

use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig, Service};
use ironclad_client::Client;
use ironclad_client::workflows::{TemplateId, Workflow, WorkflowId};
use secrecy::ExposeSecret;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.expect("sandbox")
}

/// What the examples read from the environment, answered by the sandbox.
fn settings(sandbox: &Sandbox) -> impl Fn(&str) -> Option<String> + use<> {
    let url = sandbox.ironclad_base_url().to_string();
    let token = sandbox.ironclad_token().expose_secret().to_owned();
    move |name| match name {
        "IRONCLAD_BASE_URL" => Some(url.clone()),
        "IRONCLAD_TOKEN" => Some(token.clone()),
        _ => None,
    }
}

fn client(sandbox: &Sandbox) -> Client {
    support::connect(settings(sandbox)).expect("client")
}

fn msa_template(sandbox: &Sandbox) -> TemplateId {
    TemplateId::from(sandbox.msa_template_id())
}

/// The launch example with the sandbox's MSA template and user.
async fn launch(client: &Client, sandbox: &Sandbox, counterparty: &str) -> Workflow {
    launch_and_wait::run(client, msa_template(sandbox), counterparty, sandbox.creator_email())
        .await
        .expect("launch")
}

#[test]
fn a_missing_setting_is_named_in_the_error() {
    let error = support::connect(|_| None).unwrap_err();
    assert!(error.to_string().contains("set IRONCLAD_BASE_URL"), "{error}");
    let error = support::connect(|name| {
        (name == "IRONCLAD_BASE_URL").then(|| "https://ironcladapp.com".to_owned())
    })
    .unwrap_err();
    assert!(error.to_string().contains("set IRONCLAD_TOKEN"), "{error}");
}

#[tokio::test]
async fn launch_and_wait_launches_asynchronously_and_returns_the_workflow() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let workflow = launch(&client, &sandbox, "Acme LLC").await;

    assert_eq!(workflow.template.as_ref(), Some(&msa_template(&sandbox)));
    assert_eq!(workflow.attributes.string("counterpartyName").as_deref(), Some("Acme LLC"));
    assert_eq!(sandbox.ironclad().workflow_ids(), [workflow.id.to_string()]);
    let routes: Vec<String> =
        sandbox.requests(Service::Ironclad).into_iter().map(|r| r.route).collect();
    assert_eq!(routes.first().map(String::as_str), Some("POST /public/api/v1/workflows/async"));
    assert!(
        routes[1..].iter().all(|r| r.starts_with("GET /public/api/v1/workflows/async/")),
        "then only polls of the job: {routes:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn list_workflows_pages_through_the_active_workflows() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let mut launched = BTreeSet::new();
    for counterparty in ["Acme LLC", "Globex", "Initech"] {
        let workflow = launch(&client, &sandbox, counterparty).await;
        launched.insert(workflow.id);
    }
    sandbox.clear_requests(Service::Ironclad);

    let all = list_workflows::run(&client, 10, 2).await.unwrap();
    let listed: BTreeSet<WorkflowId> = all.into_iter().map(|w| w.id).collect();
    assert_eq!(listed, launched);
    let pages = sandbox.requests(Service::Ironclad);
    assert_eq!(pages.len(), 2, "two pages of two: {pages:?}");
    assert!(pages.iter().all(|r| r.query.as_deref().is_some_and(|q| q.contains("pageSize=2"))));

    sandbox.clear_requests(Service::Ironclad);
    let first_two = list_workflows::run(&client, 2, 2).await.unwrap();
    assert_eq!(first_two.len(), 2);
    assert_eq!(sandbox.requests(Service::Ironclad).len(), 1, "no page beyond the limit");
    sandbox.shutdown().await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn webhook_axum_receives_verified_deliveries_and_refuses_forged_ones() {
    use std::time::Duration;

    use ironclad_client::webhooks::{TestSigner, WebhookEvent};

    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (deliveries, mut worker) = tokio::sync::mpsc::channel(8);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ironclad/webhook", listener.local_addr().unwrap());
    let server = tokio::spawn(
        axum::serve(listener, webhook_axum::router(client.clone(), deliveries)).into_future(),
    );

    let webhook = webhook_axum::subscribe(&client, &url).await.unwrap();
    let workflow = launch(&client, &sandbox, "Acme LLC").await;

    let received = tokio::time::timeout(Duration::from_secs(10), worker.recv())
        .await
        .expect("a delivery within 10 s")
        .expect("the receiver is running");
    assert_eq!(received.delivery.payload.event, WebhookEvent::WorkflowLaunched);
    assert_eq!(received.delivery.payload.workflow_id.as_ref(), Some(&workflow.id));
    assert_eq!(received.delivery.webhook_id.as_ref(), Some(&webhook.id));
    assert!(sandbox.ironclad().wait_for_deliveries(Duration::from_secs(10)).await, "delivered");
    let sent = sandbox.ironclad().deliveries();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_id, received.event_id);
    assert_eq!(sent[0].attempts.last().and_then(|a| a.status), Some(200));

    // A delivery signed with another key is answered 401 and never reaches the worker.
    let forged_body = sent[0].body.clone();
    let forger = TestSigner::generate().unwrap();
    let answer = reqwest::Client::new()
        .post(&url)
        .headers(forger.sign("forged-event", forged_body.as_bytes()).header_map())
        .body(forged_body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(worker.try_recv().is_err(), "the forged delivery was not handed over");
    server.abort();
    sandbox.shutdown().await;
}

//! Flows 2–4 under fault injection and abuse: bad signatures, other templates, Dataverse and
//! Ironclad failures while processing, a restart with events still queued, a large signed copy.

use std::time::Duration;

use dataverse_ironclad_sandbox::{Fault, Json, SandboxConfig, Service};
use flow_tests::{
    Receiver, context, delivery_body, fast_worker, launch_all, post, sandbox, sandbox_signer,
    settle,
};
use flows::WebhookFlows;
use flows::state::{EventQueue, EventStatus};
use http::{HeaderMap, Method};
use rust_decimal::Decimal;
use serde_json::json;

#[tokio::test]
async fn deliveries_that_fail_verification_get_401_and_nothing_is_stored() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let body = delivery_body(
        json!({"event": "workflow_completed", "workflowID": "w1", "templateID": sandbox.msa_template_id()}),
    );

    let (status, answer) = post(&receiver.url, HeaderMap::new(), body.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error"], "invalid_signature");
    assert!(answer["reason"].as_str().unwrap().starts_with("missing the "), "{answer}");

    // Signed, then tampered with.
    let signed = sandbox_signer().sign("webhookEvent0123456789abcdef0123456789abcdef", &body);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'w').unwrap();
    tampered[at] = b'x';
    let (status, answer) = post(&receiver.url, signed.header_map(), tampered).await;
    assert_eq!(status, 401);
    assert_eq!(answer["reason"], "the webhook signature does not match the delivery");

    // Signed by someone else's key.
    let other = ironclad_client::webhooks::TestSigner::from_pem(include_str!(
        "../../ironclad-client/tests/fixtures/webhook_signing_key.pem"
    ))
    .unwrap();
    let (status, _) =
        post(&receiver.url, other.sign("webhookEventffff", &body).header_map(), body).await;
    assert_eq!(status, 401);

    let health = reqwest::get(receiver.url.replace("/ironclad", "/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let put = reqwest::Client::new().put(&receiver.url).body("{}").send().await.unwrap();
    assert_eq!(put.status(), 405);

    let queue = receiver.flows.queue().clone();
    receiver.stop().await;
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.pending, counts.done, counts.failed), (0, 0, 0), "nothing stored");
}

#[tokio::test]
async fn a_redelivered_event_id_is_answered_200_and_not_queued_again() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let body =
        delivery_body(json!({"event": "workflow_launched", "workflowID": "w1", "templateID": "t"}));
    let signer = sandbox_signer();
    let event_id = "webhookEvent00000000000000000000000000000001";
    let (status, first) =
        post(&receiver.url, signer.sign(event_id, &body).header_map(), body.clone()).await;
    assert_eq!((status, first["status"].as_str()), (200, Some("queued")));
    let (status, again) =
        post(&receiver.url, signer.sign(event_id, &body).header_map(), body).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("duplicate")));
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let event = queue.get(event_id).await.unwrap().unwrap();
    assert_eq!(event.status, EventStatus::Done);
    assert_eq!(event.outcome.as_deref(), Some("ignored: workflow_launched is not handled"));
    assert_eq!(queue.counts().await.unwrap().done, 1);
}

#[tokio::test]
async fn events_of_other_templates_are_ignored_without_touching_dataverse() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let flows = WebhookFlows::new(context(&sandbox), EventQueue::in_memory().unwrap());
    sandbox.clear_requests(Service::Dataverse);
    sandbox.clear_requests(Service::Ironclad);
    for event in ["workflow_completed", "workflow_attribute_updated"] {
        let payload = json!({"event": event, "workflowID": launched[0].1, "templateID": "5f0000000000000000000000"});
        let delivery = serde_json::from_slice(&delivery_body(payload)).unwrap();
        let outcome = flows.handle(&delivery, "webhookEventX", 0).await.unwrap();
        assert_eq!(
            outcome.to_string(),
            "ignored: template 5f0000000000000000000000 is not the MSA template"
        );
    }
    assert!(sandbox.requests(Service::Dataverse).is_empty());
    assert!(sandbox.requests(Service::Ironclad).is_empty());

    // A workflow without dynamicsMsaId (launched by hand) is ignored after one read.
    let body = serde_json::json!({"template": sandbox.msa_template_id(), "attributes": {"counterpartyName": "Walk-in LLC"},
        "creator": {"type": "email", "email": sandbox.creator_email()}});
    let response = reqwest::Client::new()
        .post(sandbox.ironclad_api_url().join("workflows").unwrap())
        .bearer_auth(secrecy::ExposeSecret::expose_secret(sandbox.ironclad_token()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let manual: serde_json::Value = response.json().await.unwrap();
    let delivery =
        serde_json::from_slice(&delivery_body(json!({"event": "workflow_approval_status_changed",
        "workflowID": manual["id"], "approvalName": "Legal", "status": "approved"})))
        .unwrap();
    let outcome = flows.handle(&delivery, "webhookEventY", 0).await.unwrap();
    assert!(outcome.to_string().ends_with("has no dynamicsMsaId"), "{outcome}");
    assert!(sandbox.requests(Service::Dataverse).is_empty());
}

#[tokio::test]
async fn dataverse_failures_while_processing_are_retried_to_exactly_one_effect() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let (agreement, workflow) = &launched[0];
    let dataverse = sandbox.faults(Service::Dataverse);
    dataverse.set_server_error_status(500); // not retried by the client: the worker retries
    dataverse.fail_next_matching(2, Fault::ServerError, Some(Method::PATCH), Some("annotations"));
    sandbox.ironclad().approve(workflow, "Legal").unwrap();
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    assert_eq!(sandbox.dataverse().notes_regarding(*agreement).len(), 1);

    // The status write fails after the document note was created: the retry finds the note.
    dataverse.fail_next_matching(
        1,
        Fault::ServerError,
        Some(Method::PATCH),
        Some("cre6f_agreements"),
    );
    sandbox.ironclad().approve_all(workflow).unwrap();
    sandbox.ironclad().complete_workflow(workflow).unwrap();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let notes = sandbox.dataverse().notes_regarding(*agreement);
    assert_eq!(notes.iter().filter(|n| n.is_document).count(), 1, "{notes:?}");
    assert_eq!(notes.iter().filter(|n| !n.is_document).count(), 2, "Legal and Finance");
    assert_eq!(
        sandbox.dataverse().agreement(*agreement).unwrap().workflow_status.as_deref(),
        Some("Complete")
    );
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.failed, counts.pending), (0, 0));
    assert_eq!(dataverse.pending_scripted(), 0, "every scripted fault was hit");
}

#[tokio::test]
async fn throttling_errors_and_drops_on_both_sides_still_give_exactly_once_effects() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    for service in [Service::Dataverse, Service::Ironclad] {
        let faults = sandbox.faults(service);
        faults.set_throttle_rate(0.2);
        faults.set_server_error_rate(0.1);
        faults.set_drop_rate(0.1);
    }
    let ironclad = sandbox.ironclad();
    for (_, workflow) in &launched {
        ironclad
            .set_attribute(
                workflow,
                "totalContractValue",
                Json::parse(r#"{"currency":"USD","amount":99.99}"#).unwrap(),
            )
            .unwrap();
        ironclad.approve_all(workflow).unwrap();
        ironclad.complete_workflow(workflow).unwrap();
    }
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.failed, counts.pending), (0, 0));
    let injected =
        sandbox.requests(Service::Dataverse).iter().filter(|r| r.fault.is_some()).count();
    assert!(injected > 0);
    for (agreement, _) in &launched {
        let row = sandbox.dataverse().agreement(*agreement).unwrap();
        assert_eq!(row.value, Some(Decimal::new(9999, 2)));
        assert_eq!(row.workflow_status.as_deref(), Some("Complete"));
        let notes = sandbox.dataverse().notes_regarding(*agreement);
        assert_eq!(notes.iter().filter(|n| n.is_document).count(), 1);
        assert_eq!(notes.iter().filter(|n| !n.is_document).count(), 2);
    }
}

#[tokio::test]
async fn events_accepted_before_a_crash_are_processed_once_after_the_restart() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let (agreement, workflow) = launched[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ironclad-webhooks.redb");

    // The first process accepts deliveries but dies before its worker gets to them.
    let flows = WebhookFlows::new(context(&sandbox), EventQueue::open(&path).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, flows.router()).into_future());
    flows::webhooks::register_subscription(&flow_tests::ironclad(&sandbox), &url).await.unwrap();
    sandbox.ironclad().approve(&workflow, "Legal").unwrap();
    sandbox
        .ironclad()
        .set_attribute(
            &workflow,
            "totalContractValue",
            Json::parse(r#"{"currency":"USD","amount":1}"#).unwrap(),
        )
        .unwrap();
    assert!(sandbox.ironclad().wait_for_deliveries(Duration::from_secs(10)).await);
    assert_eq!(flows.queue().counts().await.unwrap().pending, 2);
    server.abort();
    drop(flows);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(sandbox.dataverse().notes_regarding(agreement).is_empty());

    // The restarted process picks them up.
    let restarted = WebhookFlows::new(context(&sandbox), EventQueue::open(&path).unwrap())
        .options(fast_worker());
    assert_eq!(restarted.process_due().await.unwrap(), 2);
    assert_eq!(restarted.process_due().await.unwrap(), 0);
    assert_eq!(sandbox.dataverse().notes_regarding(agreement).len(), 1);
    assert_eq!(sandbox.dataverse().agreement(agreement).unwrap().value, Some(Decimal::ONE));
    let counts = restarted.queue().counts().await.unwrap();
    assert_eq!((counts.done, counts.pending), (2, 0));
}

#[tokio::test]
async fn a_large_signed_copy_streams_into_one_note_even_when_retried() {
    let config =
        SandboxConfig { max_upload_file_size: 64 * 1024 * 1024, ..SandboxConfig::default() };
    let sandbox = sandbox(config).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let (agreement, workflow) = &launched[0];
    let size: u64 = 9 * 1024 * 1024 + 123; // over 4 MiB: the block messages
    let dataverse = sandbox.faults(Service::Dataverse);
    dataverse.set_server_error_status(500);
    dataverse.fail_next_matching(
        1,
        Fault::ServerError,
        Some(Method::PATCH),
        Some("cre6f_agreements"),
    );
    sandbox.ironclad().approve_all(workflow).unwrap();
    sandbox.ironclad().complete_workflow_with_signed_copy_size(workflow, size).unwrap();
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let documents: Vec<_> = sandbox
        .dataverse()
        .notes_regarding(*agreement)
        .into_iter()
        .filter(|n| n.is_document)
        .collect();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].file_size, Some(size as i64));
    let counts = sandbox.request_counts(Service::Dataverse);
    assert!(counts.get("POST /api/data/v9.2/UploadBlock").copied().unwrap_or(0) >= 3, "{counts:?}");
    assert_eq!(
        sandbox.dataverse().agreement(*agreement).unwrap().workflow_status.as_deref(),
        Some("Complete")
    );
}

//! Webhook deliveries: envelope, headers, an independent signature check, retries, 410,
//! duplicates and out-of-order releases (<https://developer.ironcladapp.com/reference/webhooks>).

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use dataverse_ironclad_sandbox::{
    DeliveryPolicy, DeliveryStatus, Json, ReleaseOrder, Sandbox, SandboxConfig,
};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use super::ironclad::launch;
use super::receiver::Receiver;
use super::{ic, json, keys, settle, start, text};

/// The served SubjectPublicKeyInfo PEM, read as a verifier reads it.
async fn verifying_key(sandbox: &Sandbox) -> UnparsedPublicKey<Vec<u8>> {
    let pem = ic(sandbox, Method::GET, "webhooks/verification-key")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, spki) = rest_client_core::pem::decode(&pem, &["PUBLIC KEY"]).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki)
}

#[tokio::test]
async fn a_delivery_is_signed_over_event_id_body_and_nonce() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[]).await;
    let hook = ic(&sandbox, Method::POST, "webhooks")
        .header(CONTENT_TYPE, "application/json")
        .body(format!(r#"{{"events":["workflow_launched"],"targetURL":"{}","headers":{{"Authorization":"Bearer receiver-secret"}}}}"#, receiver.url))
        .send()
        .await
        .unwrap();
    let webhook_id = text(&json(hook).await, "id").to_owned();
    let workflow = launch(&sandbox, "msa-1").await;
    settle(&sandbox).await;

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let delivery = &received[0];
    assert_eq!(delivery.header("content-type"), "application/json");
    assert_eq!(
        delivery.header("authorization"),
        "Bearer receiver-secret",
        "custom headers are sent"
    );
    let event_id = delivery.header("x-ironclad-webhook-event-id");
    assert!(event_id.starts_with("webhookEvent") && event_id.len() == 44, "{event_id}");
    assert!(event_id[12..].chars().all(|c| c.is_ascii_hexdigit()));

    let body = Json::parse_bytes(&delivery.body).unwrap();
    assert_eq!(keys(&body), ["companyID", "payload", "timestamp", "webhookID"]);
    assert_eq!(text(&body, "webhookID"), webhook_id);
    assert!(text(&body, "timestamp").ends_with('Z') && text(&body, "timestamp").len() == 24);
    let payload = body.get("payload").unwrap();
    assert_eq!(keys(payload), ["event", "templateID", "workflowID"]);
    assert_eq!(text(payload, "event"), "workflow_launched");
    assert_eq!(text(payload, "workflowID"), text(&workflow, "id"));
    assert_eq!(text(payload, "templateID"), sandbox.msa_template_id());
    assert_eq!(body.to_bytes(), delivery.body.to_vec(), "the body is compact JSON");

    let verification = Json::parse(delivery.header("x-ironclad-webhook-verification")).unwrap();
    assert_eq!(keys(&verification), ["nonce", "signAlgorithm", "signature", "encoding"]);
    assert_eq!(
        (text(&verification, "signAlgorithm"), text(&verification, "encoding")),
        ("sha256", "base64")
    );
    let nonce = text(&verification, "nonce");
    let signature =
        base64::engine::general_purpose::STANDARD.decode(text(&verification, "signature")).unwrap();
    assert_eq!(signature.len(), 256);
    let key = verifying_key(&sandbox).await;
    let signed = [event_id.as_bytes(), &delivery.body, nonce.as_bytes()].concat();
    assert!(key.verify(&signed, &signature).is_ok(), "verifies with the served public key");
    let tampered =
        [event_id.as_bytes(), &delivery.body[..delivery.body.len() - 1], b"X}", nonce.as_bytes()]
            .concat();
    assert!(key.verify(&tampered, &signature).is_err());
    let reordered = [event_id.as_bytes(), nonce.as_bytes(), &delivery.body].concat();
    assert!(key.verify(&reordered, &signature).is_err(), "the order is event id, body, nonce");
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_event_again_with_backoff() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[500, 503]).await;
    let webhook = sandbox.ironclad().subscribe(&["workflow_launched"], &receiver.url).unwrap();
    launch(&sandbox, "msa-1").await;
    settle(&sandbox).await;

    let deliveries = sandbox.ironclad().deliveries();
    assert_eq!(deliveries.len(), 1);
    let statuses: Vec<Option<u16>> = deliveries[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(deliveries[0].status, DeliveryStatus::Delivered);
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    let ids: Vec<&str> = received.iter().map(|r| r.header("x-ironclad-webhook-event-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "a redelivery keeps its event id");
    assert!(received.iter().all(|r| r.body == received[0].body), "and its body");
    // DeliveryPolicy::fast: 20 ms after the first failure, doubling.
    let gaps: Vec<_> = deliveries[0].attempts.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[0] >= time::Duration::milliseconds(20), "{gaps:?}");
    assert!(gaps[1] >= time::Duration::milliseconds(40), "backoff doubles: {gaps:?}");
    let hook =
        sandbox.ironclad().webhooks().into_iter().find(|w| text(w, "id") == webhook).unwrap();
    assert_eq!(
        hook.get("consecutiveFailureCount").unwrap().to_string(),
        "0",
        "a success resets the count"
    );
}

#[tokio::test]
async fn retries_stop_after_the_policy_and_failures_are_counted() {
    let policy = DeliveryPolicy { max_retries: 2, ..DeliveryPolicy::fast() };
    let sandbox =
        Sandbox::start(SandboxConfig { delivery_policy: policy, ..SandboxConfig::default() })
            .await
            .unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/gone", listener.local_addr().unwrap())
    };
    let webhook = sandbox.ironclad().subscribe(&["*"], &closed).unwrap();
    launch(&sandbox, "msa-1").await;
    settle(&sandbox).await;
    let delivery = &sandbox.ironclad().deliveries()[0];
    assert_eq!(delivery.status, DeliveryStatus::GaveUp);
    assert_eq!(delivery.attempts.len(), 3);
    assert!(
        delivery.attempts.iter().all(|a| a.status.is_none() && a.error.is_some()),
        "connection failures"
    );
    let hook =
        sandbox.ironclad().webhooks().into_iter().find(|w| text(w, "id") == webhook).unwrap();
    assert_eq!(hook.get("consecutiveFailureCount").unwrap().to_string(), "3");
    assert!(hook.get("firstConsecutiveFailure").is_some());
    assert_eq!(text(&hook, "status"), "enabled", "far from 100 failures over 7 days");
}

#[tokio::test]
async fn gone_disables_the_subscription() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[410]).await;
    let webhook = sandbox.ironclad().subscribe(&["workflow_launched"], &receiver.url).unwrap();
    launch(&sandbox, "msa-1").await;
    settle(&sandbox).await;
    assert_eq!(sandbox.ironclad().deliveries()[0].status, DeliveryStatus::Disabled);
    assert_eq!(sandbox.ironclad().deliveries()[0].attempts.len(), 1, "410 is not retried");
    let hook =
        json(ic(&sandbox, Method::GET, &format!("webhooks/{webhook}")).send().await.unwrap()).await;
    assert_eq!(text(&hook, "status"), "disabledBySystem");
    launch(&sandbox, "msa-2").await;
    settle(&sandbox).await;
    assert_eq!(receiver.received().len(), 1, "nothing more is sent");
}

#[tokio::test]
async fn only_subscribed_events_are_sent() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[]).await;
    sandbox.ironclad().subscribe(&["workflow_completed"], &receiver.url).unwrap();
    let workflow = launch(&sandbox, "msa-1").await;
    let id = text(&workflow, "id");
    sandbox.ironclad().approve_all(id).unwrap();
    sandbox.ironclad().complete_workflow(id).unwrap();
    settle(&sandbox).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let payload = Json::parse_bytes(&received[0].body).unwrap();
    assert_eq!(text(payload.get("payload").unwrap(), "event"), "workflow_completed");
    let emitted: Vec<String> =
        sandbox.ironclad().emitted_events().iter().map(|e| text(e, "event").to_owned()).collect();
    assert_eq!(emitted.iter().filter(|e| *e == "workflow_approval_status_changed").count(), 2);
}

#[tokio::test]
async fn duplicates_share_the_event_id_and_held_deliveries_can_arrive_reversed() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[]).await;
    let ironclad = sandbox.ironclad();
    ironclad.subscribe(&["workflow_launched"], &receiver.url).unwrap();

    ironclad.set_duplicate_deliveries(1);
    launch(&sandbox, "dup").await;
    settle(&sandbox).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].header("x-ironclad-webhook-event-id"),
        received[1].header("x-ironclad-webhook-event-id")
    );
    assert_eq!(received[0].body, received[1].body);
    let deliveries = ironclad.deliveries();
    assert_eq!(deliveries[1].duplicate_of, Some(deliveries[0].id));
    ironclad.set_duplicate_deliveries(0);

    ironclad.hold_deliveries();
    let mut launched = Vec::new();
    for n in 0..3 {
        launched.push(text(&launch(&sandbox, &format!("held-{n}")).await, "id").to_owned());
    }
    settle(&sandbox).await;
    assert_eq!(receiver.received().len(), 2, "held deliveries wait");
    assert_eq!(
        ironclad.deliveries().iter().filter(|d| d.status == DeliveryStatus::Held).count(),
        3
    );
    assert_eq!(ironclad.release_held_deliveries(ReleaseOrder::Reversed), 3);
    settle(&sandbox).await;
    let order: Vec<String> = receiver.received()[2..]
        .iter()
        .map(|r| {
            text(Json::parse_bytes(&r.body).unwrap().get("payload").unwrap(), "workflowID")
                .to_owned()
        })
        .collect();
    launched.reverse();
    assert_eq!(order, launched);
}

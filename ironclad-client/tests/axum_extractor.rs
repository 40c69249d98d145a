//! The `axum` extractor answers 401 for a bad signature and 400 for malformed requests.
#![cfg(feature = "axum")]

mod common;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use common::fixture;
use ironclad_client::webhooks::WebhookVerifier;
use ironclad_client::webhooks::{TestSigner, VERIFICATION_HEADER, VerifiedWebhook};
use tower::ServiceExt;

fn signer() -> TestSigner {
    TestSigner::from_pem(&fixture("webhook_signing_key.pem")).unwrap()
}

fn app() -> Router {
    async fn receive(webhook: VerifiedWebhook) -> String {
        format!(
            "{} {} {}",
            webhook.event_id,
            webhook.delivery.payload.event,
            webhook.delivery.payload.workflow_id.as_deref().unwrap_or_default()
        )
    }
    let verifier = WebhookVerifier::with_key(signer().verification_key());
    Router::new().route("/ironclad", post(receive)).with_state(verifier)
}

async fn send(headers: &[(&str, String)], body: &str) -> (StatusCode, String) {
    let mut request = Request::post("/ironclad").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = app().oneshot(request.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_signed_delivery_reaches_the_handler() {
    let body = fixture("delivery_workflow_completed.json");
    let signed = signer().sign("webhookEventAbc", body.as_bytes());
    let (status, text) = send(&signed.pairs(), &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text, "webhookEventAbc workflow_completed 67535b8446f877a720c22b29");
}

#[tokio::test]
async fn a_tampered_delivery_is_401_with_the_reason() {
    let body = fixture("delivery_workflow_completed.json");
    let signed = signer().sign("webhookEventAbc", body.as_bytes());
    let (status, text) =
        send(&signed.pairs(), &body.replace("workflow_completed", "workflow_cancelled")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(text, "the webhook signature does not match the delivery");
}

#[tokio::test]
async fn malformed_or_missing_headers_are_400_with_the_reason() {
    let body = fixture("delivery_workflow_completed.json");
    let signed = signer().sign("webhookEventAbc", body.as_bytes());
    let [event_id, _] = signed.pairs();
    let (status, text) = send(std::slice::from_ref(&event_id), &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains(VERIFICATION_HEADER), "{text}");
    let (status, text) = send(&[event_id, (VERIFICATION_HEADER, "not json".into())], &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.starts_with("malformed x-ironclad-webhook-verification header"), "{text}");
}

#[test]
fn a_missing_key_is_503_with_a_generic_reason() {
    use ironclad_client::webhooks::{VerifyError, WebhookRejection};
    let rejection = WebhookRejection::from(VerifyError::InvalidKey(
        "PEM from https://internal.example/key had no RSA key".to_owned(),
    ));
    assert_eq!(rejection.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(rejection.reason(), "the webhook verification key is unavailable; retry later");
    // The detail stays available to the receiver's own code and logs.
    assert!(rejection.error().is_some_and(|e| e.to_string().contains("internal.example")));
}

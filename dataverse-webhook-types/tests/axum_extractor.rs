//! The axum extractor: authentication, body limit and parsing, answered with 401/413/400 and
//! a JSON body, driven through a real `Router`.
#![cfg(feature = "axum")]

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRef, Path, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::fixture;
use dataverse_webhook_types::{WebhookAuth, WebhookConfig, WebhookDelivery, headers};
use tower::ServiceExt;

#[derive(Clone)]
struct AppState {
    webhook: WebhookConfig,
}

impl FromRef<AppState> for WebhookConfig {
    fn from_ref(state: &AppState) -> Self {
        state.webhook.clone()
    }
}

/// Echo what a receiver would act on.
async fn summarize(delivery: WebhookDelivery) -> String {
    serde_json::json!({
        "message": delivery.message().as_str(),
        "row_id": delivery.row_id().map(|id| id.to_string()),
        "table": delivery.row_logical_name(),
        "dropped": delivery.parameters_and_images_dropped(),
    })
    .to_string()
}

fn app(limit: usize) -> Router {
    let webhook =
        WebhookConfig::new(WebhookAuth::webhook_key("k-123").unwrap()).with_max_body_bytes(limit);
    Router::new().route("/webhook", post(summarize)).with_state(AppState { webhook })
}

async fn send(router: Router, request: Request) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, content_type, serde_json::from_slice(&bytes).unwrap())
}

fn post_to(uri: &str, body: impl Into<Body>) -> Request {
    Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(body.into()).unwrap()
}

#[tokio::test]
async fn accepts_an_authenticated_delivery() {
    let (status, _, body) =
        send(app(1 << 20), post_to("/webhook?code=k-123", fixture("sample_b_create.json"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        serde_json::json!({
            "message": "Create",
            "row_id": "4b1e3d75-a749-ef11-acce-00224802d26d",
            "table": "msdyn_agentstatus",
            "dropped": false
        })
    );
}

#[tokio::test]
async fn rejects_missing_or_wrong_credentials_with_401() {
    let (status, content_type, body) =
        send(app(1 << 20), post_to("/webhook", fixture("sample_b_create.json"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(
        body,
        serde_json::json!({"error": "unauthorized", "message": "unauthorized: missing query parameter `code`"})
    );

    let (status, _, body) =
        send(app(1 << 20), post_to("/webhook?code=k-12", fixture("sample_b_create.json"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "unauthorized: query parameter `code` does not match");
}

/// A body stream that fails the test if anyone reads it.
struct MustNotBeRead;

impl futures_core::Stream for MustNotBeRead {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        panic!("the body of an unauthenticated or oversized request must not be read");
    }
}

#[tokio::test]
async fn checks_credentials_and_declared_length_before_reading_the_body() {
    let unauthenticated =
        Request::post("/webhook?code=nope").body(Body::from_stream(MustNotBeRead)).unwrap();
    let (status, _, _) = send(app(1 << 20), unauthenticated).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let declared_too_big = Request::post("/webhook?code=k-123")
        .header(header::CONTENT_LENGTH, "2048")
        .body(Body::from_stream(MustNotBeRead))
        .unwrap();
    let (status, _, body) = send(app(1024), declared_too_big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        serde_json::json!({"error": "payload_too_large", "message": "the body is larger than the 1024-byte limit"})
    );
}

#[tokio::test]
async fn stops_reading_a_body_that_grows_past_the_limit() {
    // No Content-Length header: the limit is enforced while reading.
    let body = fixture("sample_b_create.json");
    assert!(body.len() > 1024);
    let (status, _, json) = send(app(1024), post_to("/webhook?code=k-123", body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json["error"], "payload_too_large");
}

#[tokio::test]
async fn rejects_a_bad_payload_with_400_naming_the_field() {
    let (status, content_type, body) = send(
        app(1 << 20),
        post_to("/webhook?code=k-123", r#"{"MessageName":"Update","InputParameters":{}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body["error"], "invalid_payload");
    assert_eq!(body["path"], "InputParameters");
    assert!(body["message"].as_str().unwrap().contains("expected an array"), "{body}");
}

#[tokio::test]
async fn reports_dropped_parameters_from_the_size_exceeded_header() {
    let request = Request::post("/webhook?code=k-123")
        .header(headers::MSG_SIZE_EXCEEDED, "")
        .header(headers::ENTITY_NAME, "contact")
        .body(Body::from(fixture("size_exceeded_update.json")))
        .unwrap();
    let (status, _, body) = send(app(1 << 20), request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["dropped"], true);
    assert_eq!(body["row_id"], "6d81597f-0f9f-e711-8122-000d3aa2331c");
}

/// One config per connection: the handler looks it up and calls `from_request_with`.
#[tokio::test]
async fn per_connection_configs_through_from_request_with() {
    async fn receive(Path(connection): Path<String>, request: Request) -> Response {
        let key = match connection.as_str() {
            "alpha" => "alpha-key",
            "beta" => "beta-key",
            _ => return StatusCode::NOT_FOUND.into_response(),
        };
        let config = WebhookConfig::new(WebhookAuth::webhook_key(key).unwrap());
        match WebhookDelivery::from_request_with(request, &config).await {
            Ok(delivery) => summarize(delivery).await.into_response(),
            Err(rejection) => rejection.into_response(),
        }
    }
    let router = Router::new().route("/api/crm/webhook/dynamics/{connection}", post(receive));
    let body = fixture("power_automate_modified.json");

    let (status, _, json) = send(
        router.clone(),
        post_to("/api/crm/webhook/dynamics/alpha?code=alpha-key", body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["message"], "Update");
    assert_eq!(json["table"], "contact");

    // Another connection's key does not open this one.
    let (status, _, _) =
        send(router, post_to("/api/crm/webhook/dynamics/beta?code=alpha-key", body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

//! The HTTP side: verify each delivery, queue it durably, answer fast.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use ironclad_client::webhooks::VerifyError;
use serde_json::json;

use super::WebhookFlows;
use crate::state::Enqueued;

/// Deliveries are a few hundred bytes; anything much larger is not one.
const MAX_BODY: usize = 256 * 1024;
/// The header naming the event (ironclad.md §4.3).
const EVENT_ID_HEADER: &str = "x-ironclad-webhook-event-id";

pub(crate) fn router(flows: WebhookFlows) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback(any(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(flows)
}

async fn healthz() -> Response {
    (StatusCode::OK, axum::Json(json!({ "status": "ok" }))).into_response()
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `POST` on any path: a delivery.
async fn receive(
    State(flows): State<WebhookFlows>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "error": "method_not_allowed", "reason": "deliveries are POSTed" }),
        );
    }
    let delivery = match flows.verifier.verify(&headers, &body).await {
        Ok(delivery) => delivery,
        Err(error) => return reject(&error),
    };
    // Verification checked the header is there.
    let event_id =
        headers.get(EVENT_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // A verified body parsed as JSON, so it is UTF-8.
    let text = String::from_utf8_lossy(&body).into_owned();
    match flows.queue.enqueue(&event_id, text).await {
        Ok(Enqueued::Accepted) => {
            tracing::info!(event_id, event = %delivery.payload.event, "delivery queued");
            flows.wake.notify_one();
            answer(StatusCode::OK, json!({ "status": "queued", "event_id": event_id }))
        }
        Ok(Enqueued::Duplicate(_)) => {
            tracing::info!(event_id, "redelivery of a known event: not queued again");
            answer(StatusCode::OK, json!({ "status": "duplicate", "event_id": event_id }))
        }
        Err(error) => {
            tracing::error!(event_id, %error, "cannot queue the delivery");
            // Not stored: Ironclad retries a 5xx.
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": "unavailable", "reason": "the delivery could not be stored" }),
            )
        }
    }
}

/// 401 for anything that fails verification, 503 when the key cannot be fetched (Ironclad
/// retries), 400 for a verified body that is not a delivery. Nothing is stored.
fn reject(error: &VerifyError) -> Response {
    let status = match error {
        VerifyError::KeyUnavailable(_) | VerifyError::InvalidKey(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        VerifyError::MalformedBody { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    };
    let code = match status {
        StatusCode::UNAUTHORIZED => "invalid_signature",
        StatusCode::SERVICE_UNAVAILABLE => "verification_key_unavailable",
        _ => "invalid_delivery",
    };
    tracing::warn!(status = status.as_u16(), reason = %error, "delivery rejected");
    answer(status, json!({ "error": code, "reason": error.to_string() }))
}

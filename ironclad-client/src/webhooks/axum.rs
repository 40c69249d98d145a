//! An axum extractor that verifies deliveries before the handler sees them.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::verify::{EVENT_ID_HEADER, VerifyError};
use super::{WebhookDelivery, WebhookVerifier};

/// A verified, parsed webhook delivery. Extracting it reads the body, checks the signature with
/// the [`WebhookVerifier`] in the router state, and parses the delivery; a failure answers
/// 401 (bad signature), 400 (malformed), 413 (too large) or 503 (key unavailable) with the
/// reason as plain text.
///
/// ```
/// use axum::{Router, routing::post};
/// use ironclad_client::webhooks::WebhookVerifier;
/// use ironclad_client::webhooks::{VerificationKey, VerifiedWebhook};
///
/// async fn receive(webhook: VerifiedWebhook) -> &'static str {
///     // Dedupe on webhook.event_id: delivery is at-least-once.
///     println!("{} {:?}", webhook.delivery.payload.event, webhook.delivery.payload.workflow_id);
///     "ok"
/// }
///
/// # let pem = include_str!("../../tests/fixtures/webhook_verification_key.pem");
/// let verifier = WebhookVerifier::with_key(VerificationKey::from_pem(pem)?);
/// let app: Router = Router::new().route("/ironclad/webhook", post(receive)).with_state(verifier);
/// # let _ = app;
/// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// `X-Ironclad-Webhook-Event-Id`: the key to deduplicate redeliveries on.
    pub event_id: String,
    /// The delivery.
    pub delivery: WebhookDelivery,
}

/// Why [`VerifiedWebhook`] refused a request; answers with its status and reason.
#[derive(Debug)]
pub struct WebhookRejection {
    status: StatusCode,
    reason: String,
    error: Option<VerifyError>,
}

impl WebhookRejection {
    /// The status answered (401, 400, 413 or 503).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason sent in the body.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The verification error, when verification (not reading the body) failed.
    pub fn error(&self) -> Option<&VerifyError> {
        self.error.as_ref()
    }
}

impl From<VerifyError> for WebhookRejection {
    fn from(error: VerifyError) -> Self {
        let status = error.status_code();
        // A key-fetch failure describes our own setup (hosts, upstream errors): the sender gets a
        // generic reason and the details stay in `error()` and the log.
        let reason = if status == StatusCode::SERVICE_UNAVAILABLE {
            "the webhook verification key is unavailable; retry later".to_owned()
        } else {
            error.to_string()
        };
        WebhookRejection { status, reason, error: Some(error) }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status, self.reason).into_response()
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    WebhookVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::from_ref(state);
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            let status = rejection.status();
            WebhookRejection { status, reason: rejection.body_text(), error: None }
        })?;
        let delivery = verifier.verify(&headers, &body).await.map_err(|error| {
            tracing::warn!(%error, "rejected an Ironclad webhook delivery");
            WebhookRejection::from(error)
        })?;
        let event_id = headers
            .get(EVENT_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok(VerifiedWebhook { event_id, delivery })
    }
}

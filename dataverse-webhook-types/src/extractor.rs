//! The axum extractor (feature `axum`).

use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};

use crate::receive::{WebhookConfig, WebhookDelivery, WebhookRejection};

/// Extracts a delivery: checks the [`WebhookConfig`] taken from the router state (via
/// [`FromRef`]), reads at most its body limit, and parses. Rejects with 401, 413 or 400 and
/// a JSON body (see [`WebhookRejection`]).
///
/// The credentials are checked before any of the body is read, so an unauthenticated client
/// cannot make the server buffer or parse anything.
impl<S> FromRequest<S> for WebhookDelivery
where
    S: Send + Sync,
    WebhookConfig: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = WebhookConfig::from_ref(state);
        Self::from_request_with(request, &config).await
    }
}

impl WebhookDelivery {
    /// The extractor's work with an explicit config, for routers that hold one config per
    /// connection (e.g. `POST /webhook/{connection_id}`): look the config up, then call this.
    ///
    /// # Errors
    /// As the extractor: 401, 413 or 400.
    ///
    /// ```no_run
    /// use axum::extract::{Path, Request};
    /// use axum::response::{IntoResponse, Response};
    /// use dataverse_webhook_types::{WebhookAuth, WebhookConfig, WebhookDelivery};
    ///
    /// async fn receive(Path(connection): Path<String>, request: Request) -> Response {
    ///     // Look the connection's registration up in your own store.
    ///     let config = WebhookConfig::new(WebhookAuth::webhook_key(format!("key-of-{connection}")).unwrap());
    ///     match WebhookDelivery::from_request_with(request, &config).await {
    ///         Ok(delivery) => format!("{} {:?}", delivery.message(), delivery.row_id()).into_response(),
    ///         Err(rejection) => rejection.into_response(),
    ///     }
    /// }
    /// ```
    pub async fn from_request_with(
        request: Request,
        config: &WebhookConfig,
    ) -> Result<Self, WebhookRejection> {
        let (parts, body) = request.into_parts();
        config.check_head(&parts.headers, parts.uri.query())?;
        let bytes = config.read_body(body).await?;
        WebhookDelivery::parse(&parts.headers, &bytes).map_err(WebhookRejection::InvalidPayload)
    }
}

impl WebhookConfig {
    /// Read a request body, stopping with 413 as soon as it passes
    /// [`max_body_bytes`](Self::max_body_bytes) (a missing or lying `Content-Length` is not
    /// trusted). For handlers that need the raw bytes as well as the parsed delivery (to hash
    /// them, say): call [`check_head`](Self::check_head) first, then this, then
    /// [`WebhookDelivery::parse`].
    ///
    /// # Errors
    /// [`WebhookRejection::PayloadTooLarge`] past the limit,
    /// [`WebhookRejection::UnreadableBody`] when the connection fails mid-body.
    ///
    /// ```
    /// use axum::body::Body;
    /// use dataverse_webhook_types::{WebhookAuth, WebhookConfig};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = WebhookConfig::new(WebhookAuth::unauthenticated()).with_max_body_bytes(8);
    /// assert_eq!(config.read_body(Body::from("{}")).await?, b"{}");
    /// let too_big = config.read_body(Body::from("0123456789")).await.unwrap_err();
    /// assert_eq!(too_big.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_body(&self, mut body: Body) -> Result<Vec<u8>, WebhookRejection> {
        let limit = self.max_body_bytes();
        let mut bytes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            let frame =
                frame.map_err(|error| WebhookRejection::UnreadableBody(error.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len().saturating_add(data.len()) > limit {
                    return Err(WebhookRejection::PayloadTooLarge { limit });
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(bytes)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.to_json()));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        response
    }
}

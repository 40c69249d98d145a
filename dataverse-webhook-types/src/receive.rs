//! Receiving a delivery, framework-agnostic: [`WebhookConfig`], [`WebhookDelivery`],
//! [`WebhookRejection`].

use http::{HeaderMap, StatusCode};
use uuid::Uuid;

use crate::auth::{AuthError, WebhookAuth};
use crate::context::{RemoteExecutionContext, Target};
use crate::error::ParseError;
use crate::headers::WebhookHeaders;
use crate::message::Message;

/// The default body limit: 1 MiB. Dataverse trims payloads above 256 KB itself
/// ([Use webhooks](https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks)) and a flow's body is a few KB, so anything near this is not a
/// delivery.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a receiver endpoint accepts: its authentication and body limit. One per connection
/// (webhook registration); cheap to clone.
///
/// ```
/// use dataverse_webhook_types::{WebhookAuth, WebhookConfig};
///
/// let config = WebhookConfig::new(WebhookAuth::webhook_key("function-key")?)
///     .with_max_body_bytes(512 * 1024);
/// assert_eq!(config.max_body_bytes(), 512 * 1024);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    auth: WebhookAuth,
    max_body_bytes: usize,
}

impl WebhookConfig {
    /// Check `auth` and allow bodies up to [`DEFAULT_MAX_BODY_BYTES`].
    pub fn new(auth: WebhookAuth) -> Self {
        Self { auth, max_body_bytes: DEFAULT_MAX_BODY_BYTES }
    }

    /// Change the body limit.
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The authentication check.
    pub fn auth(&self) -> &WebhookAuth {
        &self.auth
    }

    /// The body limit in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Everything that can be checked before the body is read: the credentials, then a
    /// declared `Content-Length` over the limit.
    ///
    /// # Errors
    /// [`WebhookRejection::Unauthorized`] or [`WebhookRejection::PayloadTooLarge`].
    pub fn check_head(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Result<(), WebhookRejection> {
        self.auth.verify(headers, query).map_err(WebhookRejection::Unauthorized)?;
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        match declared {
            Some(length) if length > self.max_body_bytes as u64 => {
                Err(WebhookRejection::PayloadTooLarge { limit: self.max_body_bytes })
            }
            _ => Ok(()),
        }
    }

    /// Authenticate, size-check and parse a request whose body is already in memory.
    ///
    /// # Errors
    /// 401 when the credentials are missing or wrong, 413 when the body is over the limit,
    /// 400 when it is not a payload; see [`WebhookRejection::status`].
    ///
    /// ```
    /// use dataverse_webhook_types::{Message, WebhookAuth, WebhookConfig};
    /// use http::HeaderMap;
    ///
    /// let config = WebhookConfig::new(WebhookAuth::webhook_key("k")?);
    /// let body = br#"{"MessageName":"Create","PrimaryEntityName":"contact","InputParameters":[]}"#;
    /// let delivery = config.receive(&HeaderMap::new(), Some("code=k"), body)?;
    /// assert_eq!(delivery.message(), Message::Create);
    ///
    /// let rejected = config.receive(&HeaderMap::new(), Some("code=x"), body).unwrap_err();
    /// assert_eq!(rejected.status(), http::StatusCode::UNAUTHORIZED);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookDelivery, WebhookRejection> {
        self.check_head(headers, query)?;
        if body.len() > self.max_body_bytes {
            return Err(WebhookRejection::PayloadTooLarge { limit: self.max_body_bytes });
        }
        WebhookDelivery::parse(headers, body).map_err(WebhookRejection::InvalidPayload)
    }
}

/// One parsed delivery: the body's context and the request's Dataverse headers.
///
/// With the `axum` feature this is also an extractor; see the crate docs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The parsed body.
    pub context: RemoteExecutionContext,
    /// The `x-ms-dynamics-*` headers.
    pub headers: WebhookHeaders,
}

impl WebhookDelivery {
    /// Parse a body and its headers, without any authentication check.
    ///
    /// # Errors
    /// When the body is not a payload.
    ///
    /// ```
    /// use dataverse_webhook_types::WebhookDelivery;
    /// use http::HeaderMap;
    ///
    /// let body = std::fs::read("tests/fixtures/sample_b_create.json")?;
    /// let delivery = WebhookDelivery::parse(&HeaderMap::new(), &body)?;
    /// assert_eq!(delivery.row_logical_name(), Some("msdyn_agentstatus"));
    /// assert!(!delivery.parameters_and_images_dropped());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, ParseError> {
        Ok(Self {
            context: RemoteExecutionContext::from_slice(body)?,
            headers: WebhookHeaders::from_headers(headers),
        })
    }

    /// The normalized `MessageName` of the body.
    pub fn message(&self) -> Message {
        self.context.message()
    }

    /// The row the event is about (see [`RemoteExecutionContext::target`]).
    pub fn target(&self) -> Option<Target<'_>> {
        self.context.target()
    }

    /// The row's id (see [`RemoteExecutionContext::row_id`]).
    pub fn row_id(&self) -> Option<Uuid> {
        self.context.row_id()
    }

    /// The row's table: the body's, else the `x-ms-dynamics-entity-name` header.
    pub fn row_logical_name(&self) -> Option<&str> {
        self.context.row_logical_name().or(self.headers.entity_name.as_deref())
    }

    /// Whether Dataverse dropped `InputParameters`, `ParentContext` and the images because
    /// the payload exceeded 256 KB: the `x-ms-dynamics-msg-size-exceeded` header is present,
    /// or the body has no `InputParameters` at all. The `Target` is then unavailable; re-read
    /// the row by [`row_logical_name`](Self::row_logical_name) and [`row_id`](Self::row_id).
    pub fn parameters_and_images_dropped(&self) -> bool {
        self.headers.parameters_and_images_dropped() || self.context.input_parameters_dropped()
    }
}

/// Why a receiver refused a request, with the HTTP status and JSON body to answer with.
///
/// Dataverse only reads the status code, and retries once only on 502/503/504
/// ([Use webhooks](https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks)),
/// so these 4xx answers are final; the JSON body is for people reading logs and flow run
/// history.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The configured credentials are missing or wrong (401).
    #[error("unauthorized: {0}")]
    Unauthorized(#[source] AuthError),
    /// The body is over the configured limit (413).
    #[error("the body is larger than the {limit}-byte limit")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection (400).
    #[error("the body could not be read: {0}")]
    UnreadableBody(String),
    /// The body is not a webhook payload (400).
    #[error("{0}")]
    InvalidPayload(#[source] ParseError),
}

impl WebhookRejection {
    /// The HTTP status to answer with: 401, 413 or 400.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnreadableBody(_) | Self::InvalidPayload(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// A stable machine-readable code: `unauthorized`, `payload_too_large`,
    /// `unreadable_body`, `invalid_payload`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnreadableBody(_) => "unreadable_body",
            Self::InvalidPayload(_) => "invalid_payload",
        }
    }

    /// The JSON body to answer with: `{"error": code, "message": …}`, plus `"path"` when a
    /// payload error has one.
    ///
    /// ```
    /// use dataverse_webhook_types::{WebhookAuth, WebhookConfig};
    ///
    /// let config = WebhookConfig::new(WebhookAuth::unauthenticated());
    /// let rejection = config.receive(&http::HeaderMap::new(), None, b"{}").unwrap_err();
    /// assert_eq!(rejection.status(), 400);
    /// let body: serde_json::Value = serde_json::from_str(&rejection.to_json())?;
    /// assert_eq!(body["error"], "invalid_payload");
    /// assert!(body["message"].as_str().unwrap().contains("MessageName"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        let mut body = serde_json::Map::new();
        body.insert("error".into(), self.code().into());
        body.insert("message".into(), self.to_string().into());
        if let Self::InvalidPayload(error) = self
            && let Some(path) = error.path()
        {
            body.insert("path".into(), path.into());
        }
        serde_json::Value::Object(body).to_string()
    }
}

//! Webhook subscriptions (`/webhooks`) and `GET /webhooks/verification-key`.

use std::fmt;

use http::Method;
use rest_client_core::Replay;
use secrecy::{ExposeSecret, SecretString};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

use super::{VerificationKey, VerifyError, WebhookEvent};
use crate::http::{ApiRequest, segments};
use crate::ids::WebhookId;
use crate::paging::{Page, Paginated};
use crate::serde_util::{lenient, lenient_vec, timestamp_opt};
use crate::string_enum::string_enum;
use crate::workflows::DEFAULT_PAGE_SIZE;
use crate::{Client, Error};

string_enum! {
    /// Whether a subscription delivers.
    pub enum WebhookStatus {
        /// Delivering.
        Enabled = "enabled",
        /// Turned off by a user.
        Disabled = "disabled",
        /// Turned off by Ironclad after ≥100 consecutive failures over ≥7 days; re-enable with
        /// [`WebhookUpdate::enabled`]. Read-only: it cannot be sent.
        DisabledBySystem = "disabledBySystem",
    }
}

/// A webhook subscription.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Webhook {
    /// The subscription id.
    pub id: WebhookId,
    /// The events it delivers.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub events: Vec<WebhookEvent>,
    /// Where it delivers (HTTPS).
    #[serde(rename = "targetURL", alias = "targetUrl", default, deserialize_with = "lenient")]
    pub target_url: Option<String>,
    /// The company.
    #[serde(alias = "companyID", default, deserialize_with = "lenient")]
    pub company_id: Option<String>,
    /// Tags Ironclad sets (`oauth`, `authorizationCode`).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub tags: Vec<String>,
    /// Whether it delivers.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<WebhookStatus>,
    /// When the status last changed.
    #[serde(default, with = "timestamp_opt")]
    pub status_last_updated_at: Option<OffsetDateTime>,
    /// Who last changed the status.
    #[serde(default, deserialize_with = "lenient")]
    pub status_last_updated_by: Option<String>,
    /// Failed deliveries in a row (a 2xx resets it).
    #[serde(default, deserialize_with = "lenient")]
    pub consecutive_failure_count: Option<u64>,
    /// The first failure of the current run, as sent.
    #[serde(default)]
    pub first_consecutive_failure: Option<serde_json::Value>,
}

/// Extra headers Ironclad sends with each delivery (e.g. `Authorization`); values are secrets.
#[derive(Clone, Default)]
struct DeliveryHeaders(Vec<(String, SecretString)>);

impl Serialize for DeliveryHeaders {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value.expose_secret())?;
        }
        map.end()
    }
}

impl fmt::Debug for DeliveryHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(name, _)| (name, "[redacted]"))).finish()
    }
}

/// A subscription to create (`POST /webhooks`).
///
/// Ironclad allows one subscription per target URL, which must be HTTPS.
///
/// ```
/// use ironclad_client::webhooks::{NewWebhook, WebhookEvent};
///
/// let webhook = NewWebhook::new("https://hooks.example.com/ironclad", [WebhookEvent::WorkflowCompleted])
///     .header("Authorization", "Bearer s3cr3t");
/// assert_eq!(
///     serde_json::to_string(&webhook)?,
///     r#"{"events":["workflow_completed"],"targetURL":"https://hooks.example.com/ironclad","headers":{"Authorization":"Bearer s3cr3t"}}"#
/// );
/// assert!(!format!("{webhook:?}").contains("s3cr3t"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize)]
#[must_use]
pub struct NewWebhook {
    events: Vec<WebhookEvent>,
    #[serde(rename = "targetURL")]
    target_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<WritableStatus>,
    #[serde(skip_serializing_if = "DeliveryHeaders::is_empty")]
    headers: DeliveryHeaders,
}

/// The statuses a subscription may be created or updated with: `disabledBySystem` is set by
/// Ironclad only (<https://developer.ironcladapp.com/reference/webhooks>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum WritableStatus {
    Enabled,
    Disabled,
}

impl WritableStatus {
    fn from_enabled(enabled: bool) -> Self {
        if enabled { WritableStatus::Enabled } else { WritableStatus::Disabled }
    }
}

impl DeliveryHeaders {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl NewWebhook {
    /// Deliver `events` to `target_url`.
    pub fn new(
        target_url: impl Into<String>,
        events: impl IntoIterator<Item = WebhookEvent>,
    ) -> Self {
        Self {
            events: events.into_iter().collect(),
            target_url: target_url.into(),
            status: None,
            headers: DeliveryHeaders::default(),
        }
    }

    /// Create it enabled (`status: "enabled"`, Ironclad's default) or disabled.
    ///
    /// ```
    /// use ironclad_client::webhooks::{NewWebhook, WebhookEvent};
    ///
    /// let paused = NewWebhook::new("https://hooks.example.com/ironclad", [WebhookEvent::WorkflowCompleted])
    ///     .enabled(false);
    /// assert_eq!(
    ///     serde_json::to_string(&paused)?,
    ///     r#"{"events":["workflow_completed"],"targetURL":"https://hooks.example.com/ironclad","status":"disabled"}"#
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.status = Some(WritableStatus::from_enabled(enabled));
        self
    }

    /// A header Ironclad sends with every delivery (e.g. `Authorization: Bearer …` for your
    /// receiver). `GET /webhooks` redacts it.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.0.push((name.into(), SecretString::from(value.into())));
        self
    }
}

/// Changes to a subscription (`PATCH /webhooks/{id}`).
///
/// Ironclad documents `events`, `targetURL` and `status` for an update; delivery `headers` are
/// documented on create only ([webhooks](https://developer.ironcladapp.com/reference/webhooks)),
/// so this type has no way to send them. To change the headers Ironclad sends, delete the
/// subscription and create it again with [`NewWebhook::header`].
///
/// ```
/// use ironclad_client::webhooks::WebhookUpdate;
///
/// let update = WebhookUpdate::new().enabled(true);
/// assert_eq!(serde_json::to_string(&update)?, r#"{"status":"enabled"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, Serialize)]
#[must_use]
pub struct WebhookUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<WebhookEvent>>,
    #[serde(rename = "targetURL", skip_serializing_if = "Option::is_none")]
    target_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<WritableStatus>,
}

impl WebhookUpdate {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace the events.
    pub fn events(mut self, events: impl IntoIterator<Item = WebhookEvent>) -> Self {
        self.events = Some(events.into_iter().collect());
        self
    }

    /// Change the target URL.
    pub fn target_url(mut self, url: impl Into<String>) -> Self {
        self.target_url = Some(url.into());
        self
    }

    /// Enable or disable; enabling also re-enables a subscription Ironclad turned off
    /// ([`WebhookStatus::DisabledBySystem`]).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.status = Some(WritableStatus::from_enabled(enabled));
        self
    }
}

/// Webhook operations; get one with [`Client::webhooks`].
#[derive(Clone, Copy, Debug)]
pub struct Webhooks<'a> {
    client: &'a Client,
}

impl<'a> Webhooks<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Create a subscription.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::webhooks::{NewWebhook, WebhookEvent};
    ///
    /// let webhook = client
    ///     .webhooks()
    ///     .create(&NewWebhook::new("https://hooks.example.com/ironclad", [WebhookEvent::WorkflowAttributeUpdated]))
    ///     .await?;
    /// println!("subscribed as {}", webhook.id);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] `INVALID_PARAM` when a subscription for the target URL already exists or
    /// an event name is invalid.
    pub async fn create(&self, webhook: &NewWebhook) -> Result<Webhook, Error> {
        let request = ApiRequest::new(Method::POST, segments!["webhooks"]).json(webhook)?;
        self.client.execute_json(request, "webhook").await
    }

    /// Every subscription (paged; this list has no total count).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let existing = client.webhooks().list().collect_all().await?;
    /// # let _ = existing; Ok(()) }
    /// ```
    pub fn list(&self) -> Paginated<Webhook> {
        let client = self.client.clone();
        Paginated::new(0, DEFAULT_PAGE_SIZE, move |page| {
            let client = client.clone();
            let request = ApiRequest::get(segments!["webhooks"]).query("page", page);
            async move { client.execute_json::<Page<Webhook>>(request, "page of webhooks").await }
        })
    }

    /// One subscription.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let webhook = client.webhooks().get("6a6b40b128f91b0daeafb068").await?;
    /// # let _ = webhook; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn get(&self, webhook_id: impl Into<WebhookId>) -> Result<Webhook, Error> {
        let request = ApiRequest::get(segments!["webhooks", WebhookId::segment(webhook_id)?]);
        self.client.execute_json(request, "webhook").await
    }

    /// Change a subscription.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::webhooks::WebhookUpdate;
    ///
    /// client.webhooks().update("6a6b40b128f91b0daeafb068", &WebhookUpdate::new().enabled(true)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn update(
        &self,
        webhook_id: impl Into<WebhookId>,
        update: &WebhookUpdate,
    ) -> Result<Webhook, Error> {
        let request =
            ApiRequest::new(Method::PATCH, segments!["webhooks", WebhookId::segment(webhook_id)?])
                .json(update)?
                .replay(Replay::Safe);
        self.client.execute_json(request, "webhook").await
    }

    /// Delete a subscription.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// client.webhooks().delete("6a6b40b128f91b0daeafb068").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn delete(&self, webhook_id: impl Into<WebhookId>) -> Result<(), Error> {
        let request =
            ApiRequest::new(Method::DELETE, segments!["webhooks", WebhookId::segment(webhook_id)?]);
        self.client.execute_unit(request).await
    }

    /// The PEM text of the webhook verification key.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let pem = client.webhooks().verification_key_pem().await?;
    /// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The request's error.
    pub async fn verification_key_pem(&self) -> Result<String, Error> {
        let request = ApiRequest::get(segments!["webhooks", "verification-key"])
            .accept("application/x-pem-file, text/plain, */*");
        let response = self.client.execute(request).await?;
        let path = response.url().path().to_owned();
        let text =
            response.text().await.map_err(|e| Error::transport_at(&Method::GET, &path, e))?;
        // Tolerate a JSON-quoted PEM from a proxy or emulator.
        Ok(match serde_json::from_str::<String>(text.trim()) {
            Ok(unquoted) => unquoted,
            Err(_) => text,
        })
    }

    /// The webhook verification key, parsed.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let key = client.webhooks().verification_key().await?;
    /// assert_eq!(key.bits(), 2048);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`VerifyError::KeyUnavailable`] when the request fails, [`VerifyError::InvalidKey`] when
    /// the answer is not a PEM RSA key.
    pub async fn verification_key(&self) -> Result<VerificationKey, VerifyError> {
        let pem = self
            .verification_key_pem()
            .await
            .map_err(|e| VerifyError::KeyUnavailable(Box::new(e)))?;
        VerificationKey::from_pem(&pem)
    }
}

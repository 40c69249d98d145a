//! [`WebhookVerifier`]: verification with the key fetched from Ironclad and cached.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http::HeaderMap;
use tokio::time::Instant;

use super::WebhookDelivery;
use super::key::VerificationKey;
use super::verify::{
    VerificationHeader, VerifyError, check_event_id, parse_delivery, signature_headers,
    verify_parsed,
};
use crate::Client;

/// How long after a refetch that returned the same key another verification failure may not
/// trigger a refetch (so forged requests cannot make the receiver hammer Ironclad).
const DEFAULT_REFETCH_COOLDOWN: Duration = Duration::from_secs(60);

/// Verifies webhook deliveries with Ironclad's key, fetched once and cached.
///
/// When a signature does not verify with the cached key, the key is fetched again exactly once
/// (Ironclad may have rotated it) and the delivery is checked with the new key. Concurrent
/// failures share one fetch. If the refetch returns the same key, failures in the next minute
/// (see [`WebhookVerifier::refetch_cooldown`]) do not refetch again. Cheap to clone.
///
/// ```no_run
/// # async fn demo(client: ironclad_client::Client, headers: http::HeaderMap, body: bytes::Bytes) {
/// use ironclad_client::webhooks::WebhookVerifier;
///
/// let verifier = WebhookVerifier::new(client);
/// match verifier.verify(&headers, &body).await {
///     Ok(delivery) => println!("{} for {:?}", delivery.payload.event, delivery.payload.workflow_id),
///     Err(error) => eprintln!("answer {}: {error}", error.status_code()),
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    client: Option<Client>,
    cached: RwLock<Cached>,
    fetch_gate: tokio::sync::Mutex<()>,
    refetch_cooldown: Duration,
}

#[derive(Clone, Default)]
struct Cached {
    key: Option<Arc<VerificationKey>>,
    /// Bumped on every fetch, so a waiter can tell whether someone else refetched meanwhile.
    generation: u64,
    /// When a refetch last returned the key already cached.
    unchanged_refetch_at: Option<Instant>,
}

impl WebhookVerifier {
    /// Verify with the key from `GET /webhooks/verification-key`, fetched through `client` on
    /// first use. With client-credentials tokens the client needs an acting user, as for every
    /// request.
    pub fn new(client: Client) -> Self {
        Self::build(Some(client), None, DEFAULT_REFETCH_COOLDOWN)
    }

    /// Verify with a fixed key (no fetching, no refetch on failure).
    ///
    /// ```
    /// use ironclad_client::webhooks::WebhookVerifier;
    /// use ironclad_client::webhooks::VerificationKey;
    ///
    /// # let pem = include_str!("../../tests/fixtures/webhook_verification_key.pem");
    /// let verifier = WebhookVerifier::with_key(VerificationKey::from_pem(pem)?);
    /// # let _ = verifier;
    /// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
    /// ```
    pub fn with_key(key: VerificationKey) -> Self {
        Self::build(None, Some(key), DEFAULT_REFETCH_COOLDOWN)
    }

    /// After a refetch that returned the unchanged key, do not refetch again for this long
    /// (default 60 s; `Duration::ZERO` refetches on every failure).
    pub fn refetch_cooldown(self, cooldown: Duration) -> Self {
        let cached = self.inner.cached.read().unwrap_or_else(|p| p.into_inner()).key.clone();
        Self::build(self.inner.client.clone(), cached.map(|k| (*k).clone()), cooldown)
    }

    fn build(
        client: Option<Client>,
        key: Option<VerificationKey>,
        refetch_cooldown: Duration,
    ) -> Self {
        let cached = Cached { key: key.map(Arc::new), generation: 0, unchanged_refetch_at: None };
        WebhookVerifier {
            inner: Arc::new(Inner {
                client,
                cached: RwLock::new(cached),
                fetch_gate: tokio::sync::Mutex::new(()),
                refetch_cooldown,
            }),
        }
    }

    /// Fetch the key now (at startup), so the first delivery does not wait for it.
    ///
    /// # Errors
    /// [`VerifyError::KeyUnavailable`] / [`VerifyError::InvalidKey`].
    pub async fn prefetch_key(&self) -> Result<(), VerifyError> {
        self.current_key().await.map(|_| ())
    }

    /// Verify a request's headers and raw body, then parse it.
    ///
    /// # Errors
    /// See [`VerifyError`]; [`VerifyError::status_code`] is the answer to send.
    pub async fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookDelivery, VerifyError> {
        let (event_id, verification) = signature_headers(headers)?;
        self.verify_parts(event_id, verification, body).await
    }

    /// Verify from the two header values and the raw body, then parse.
    ///
    /// # Errors
    /// See [`VerifyError`].
    pub async fn verify_parts(
        &self,
        event_id: &str,
        verification_header: &str,
        body: &[u8],
    ) -> Result<WebhookDelivery, VerifyError> {
        // Malformed input is rejected before any key fetch.
        let header = VerificationHeader::parse(verification_header)?;
        check_event_id(event_id)?;
        let (key, generation, fresh) = self.current_key().await?;
        match verify_parsed(&key, event_id, &header, body) {
            Ok(()) => {}
            Err(VerifyError::BadSignature) if !fresh && self.may_refetch() => {
                let Some(newer) = self.refetch(generation).await? else {
                    return Err(VerifyError::BadSignature);
                };
                verify_parsed(&newer, event_id, &header, body)?;
            }
            Err(error) => return Err(error),
        }
        parse_delivery(body)
    }

    fn snapshot(&self) -> Cached {
        self.inner.cached.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn may_refetch(&self) -> bool {
        self.inner.client.is_some()
            && self
                .snapshot()
                .unchanged_refetch_at
                .is_none_or(|at| at.elapsed() >= self.inner.refetch_cooldown)
    }

    /// The cached key (`fresh = false`), or one fetched now (`fresh = true`).
    async fn current_key(&self) -> Result<(Arc<VerificationKey>, u64, bool), VerifyError> {
        let cached = self.snapshot();
        if let Some(key) = cached.key {
            return Ok((key, cached.generation, false));
        }
        let _gate = self.inner.fetch_gate.lock().await;
        let cached = self.snapshot();
        if let Some(key) = cached.key {
            return Ok((key, cached.generation, false));
        }
        let key = Arc::new(self.fetch().await?);
        let generation = self.store(key.clone(), false);
        Ok((key, generation, true))
    }

    /// Fetch again unless another caller already did since `seen_generation`. Returns the new
    /// key, or `None` when Ironclad still serves the key that failed.
    async fn refetch(
        &self,
        seen_generation: u64,
    ) -> Result<Option<Arc<VerificationKey>>, VerifyError> {
        let _gate = self.inner.fetch_gate.lock().await;
        let cached = self.snapshot();
        if cached.generation != seen_generation {
            // Someone refetched while we waited: use their result without fetching again.
            return Ok(cached.key.filter(|_| cached.unchanged_refetch_at.is_none()));
        }
        let key = Arc::new(self.fetch().await?);
        let unchanged = cached.key.as_deref() == Some(&*key);
        self.store(key.clone(), unchanged);
        if unchanged {
            tracing::warn!("webhook signature failed and the verification key is unchanged");
            Ok(None)
        } else {
            tracing::info!("webhook verification key rotated");
            Ok(Some(key))
        }
    }

    fn store(&self, key: Arc<VerificationKey>, unchanged: bool) -> u64 {
        let mut cached = self.inner.cached.write().unwrap_or_else(|p| p.into_inner());
        cached.key = Some(key);
        cached.generation += 1;
        cached.unchanged_refetch_at = unchanged.then(Instant::now);
        cached.generation
    }

    async fn fetch(&self) -> Result<VerificationKey, VerifyError> {
        let Some(client) = &self.inner.client else {
            return Err(VerifyError::InvalidKey("no key configured".into()));
        };
        client.webhooks().verification_key().await
    }
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.snapshot();
        f.debug_struct("WebhookVerifier")
            .field("fetches_key", &self.inner.client.is_some())
            .field("key", &cached.key)
            .field("refetch_cooldown", &self.inner.refetch_cooldown)
            .finish()
    }
}

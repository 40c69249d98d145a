//! An access-token cache with refresh-ahead and single-flight refresh.

use std::fmt;
use std::future::Future;
use std::sync::RwLock;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

/// The longest lifetime [`AccessToken::new`] records.
const MAX_LIFETIME: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// An access token, the instant it stops being valid, and the instant it was obtained (so a cache
/// knows how long the token lives in all).
///
/// `Debug` never shows the token.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    expires_at: Instant,
    obtained_at: Instant,
}

impl AccessToken {
    /// A token that expires `expires_in` from now (as reported by the token endpoint). A
    /// lifetime beyond a hundred years is read as a hundred years.
    pub fn new(secret: SecretString, expires_in: Duration) -> Self {
        // `expires_in` comes from the network: an absurd value must not overflow the clock.
        let now = Instant::now();
        let expires_at = now.checked_add(expires_in.min(MAX_LIFETIME)).unwrap_or(now);
        Self { secret, expires_at, obtained_at: now }
    }

    /// A token that expires at `expires_at` (its lifetime counts from now).
    pub fn expiring_at(secret: SecretString, expires_at: Instant) -> Self {
        Self { secret, expires_at, obtained_at: Instant::now() }
    }

    /// The token itself.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// When the token stops being valid.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Caches one access token.
///
/// - A token is reused until it is within `refresh_ahead` of expiring; then the next caller
///   refreshes it. A token whose whole lifetime is shorter than twice `refresh_ahead` (an
///   identity library handing out its own cached token near its end, a short-lived grant) is
///   reused for the first half of its life instead, so it is not fetched again on every request
///   ([`TokenCache::refresh_due`]).
/// - Exactly one refresh runs at a time: concurrent callers wait for it and share its result.
/// - If a refresh fails while the old token has not yet expired, the old token keeps being used.
/// - [`TokenCache::invalidate`] drops a token the server rejected (401), so the next call fetches
///   a new one.
///
/// ```
/// # tokio_test_block_on(async {
/// use std::time::Duration;
/// use rest_client_core::{AccessToken, TokenCache};
/// use secrecy::{ExposeSecret, SecretString};
///
/// let cache = TokenCache::new(Duration::from_secs(300));
/// let token = cache
///     .get(|| async {
///         Ok::<_, std::io::Error>(AccessToken::new(SecretString::from("t1"), Duration::from_secs(3600)))
///     })
///     .await?;
/// assert_eq!(token.expose_secret(), "t1");
/// # Ok::<(), std::io::Error>(())
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
/// # }
/// ```
pub struct TokenCache {
    current: RwLock<Option<AccessToken>>,
    refresh_gate: tokio::sync::Mutex<()>,
    refresh_ahead: Duration,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("cached", &self.read().is_some())
            .field("refresh_ahead", &self.refresh_ahead)
            .finish()
    }
}

impl TokenCache {
    /// An empty cache that refreshes tokens `refresh_ahead` before they expire.
    pub fn new(refresh_ahead: Duration) -> Self {
        Self {
            current: RwLock::new(None),
            refresh_gate: tokio::sync::Mutex::new(()),
            refresh_ahead,
        }
    }

    /// When `token` stops being reused and the next caller refreshes it: `refresh_ahead` before it
    /// expires, or halfway through its lifetime when that is shorter than twice `refresh_ahead`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rest_client_core::{AccessToken, TokenCache};
    /// use secrecy::SecretString;
    ///
    /// let cache = TokenCache::new(Duration::from_secs(300));
    /// let hour = AccessToken::new(SecretString::from("a"), Duration::from_secs(3600));
    /// assert_eq!(hour.expires_at() - cache.refresh_due(&hour), Duration::from_secs(300));
    /// // A token with four minutes to live is reused for two, not refetched on every request.
    /// let short = AccessToken::new(SecretString::from("b"), Duration::from_secs(240));
    /// assert_eq!(short.expires_at() - cache.refresh_due(&short), Duration::from_secs(120));
    /// ```
    pub fn refresh_due(&self, token: &AccessToken) -> Instant {
        let lifetime = token.expires_at.saturating_duration_since(token.obtained_at);
        let margin = self.refresh_ahead.min(lifetime / 2);
        token.expires_at.checked_sub(margin).unwrap_or(token.obtained_at)
    }

    /// A valid token: the cached one, or a new one from `fetch`.
    ///
    /// # Errors
    /// The error of `fetch`, when it fails and no unexpired token is cached.
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<SecretString, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, E>>,
    {
        if let Some(token) = self.fresh(Instant::now()) {
            return Ok(token);
        }
        let _gate = self.refresh_gate.lock().await;
        // Another caller may have refreshed while we waited for the gate.
        if let Some(token) = self.fresh(Instant::now()) {
            return Ok(token);
        }
        match fetch().await {
            Ok(token) => {
                let secret = token.secret.clone();
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(token);
                Ok(secret)
            }
            Err(error) => {
                let now = Instant::now();
                match self.read() {
                    Some(old) if old.expires_at > now => Ok(old.secret),
                    _ => Err(error),
                }
            }
        }
    }

    /// Forget `rejected` if it is still the cached token (a 401 answered a request carrying it).
    ///
    /// A token refreshed in the meantime by another request is kept.
    pub fn invalidate(&self, rejected: &SecretString) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|t| t.secret.expose_secret() == rejected.expose_secret()) {
            *current = None;
        }
    }

    fn read(&self) -> Option<AccessToken> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn fresh(&self, now: Instant) -> Option<SecretString> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().filter(|t| now < self.refresh_due(t)).map(|t| t.secret.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn token(s: &str, secs: u64) -> AccessToken {
        AccessToken::new(SecretString::from(s.to_owned()), Duration::from_secs(secs))
    }

    #[tokio::test(start_paused = true)]
    async fn one_refresh_in_flight_under_concurrency() {
        let cache = Arc::new(TokenCache::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(token("shared", 3600))
                    })
                    .await
            }));
        }
        for task in tasks {
            let secret = task.await.unwrap().unwrap();
            assert_eq!(secret.expose_secret(), "shared");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_ahead_of_expiry_and_keeps_old_token_on_failure() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let first = cache.get(|| async { Ok::<_, &str>(token("t1", 120)) }).await.unwrap();
        assert_eq!(first.expose_secret(), "t1");
        // 59 s later the token is still outside the refresh window: no fetch.
        tokio::time::advance(Duration::from_secs(59)).await;
        let again = cache.get(|| async { Err::<AccessToken, _>("must not be called") }).await;
        assert_eq!(again.unwrap().expose_secret(), "t1");
        // Inside the window: a refresh is attempted; its failure falls back to the valid token.
        tokio::time::advance(Duration::from_secs(2)).await;
        let fallback = cache.get(|| async { Err::<AccessToken, _>("idp down") }).await;
        assert_eq!(fallback.unwrap().expose_secret(), "t1");
        // A successful refresh replaces it.
        let fresh = cache.get(|| async { Ok::<_, &str>(token("t2", 3600)) }).await.unwrap();
        assert_eq!(fresh.expose_secret(), "t2");
        // Once expired, a failing refresh is an error.
        tokio::time::advance(Duration::from_secs(3601)).await;
        let failed = cache.get(|| async { Err::<AccessToken, _>("idp down") }).await;
        assert_eq!(failed.unwrap_err(), "idp down");
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_shorter_lived_than_the_margin_is_reused_for_half_its_life() {
        // A 4-minute token under a 5-minute margin: the old rule ("fresh while more than the
        // margin is left") fetched on every call.
        let cache = TokenCache::new(Duration::from_secs(300));
        let calls = AtomicU32::new(0);
        let fetch = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(token(&format!("t{n}"), 240))
        };
        for _ in 0..100 {
            let secret = cache.get(fetch).await.unwrap();
            assert_eq!(secret.expose_secret(), "t0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Still reused just before half its life …
        tokio::time::advance(Duration::from_secs(119)).await;
        assert_eq!(cache.get(fetch).await.unwrap().expose_secret(), "t0");
        // … and refreshed after it.
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.get(fetch).await.unwrap().expose_secret(), "t1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A long-lived token keeps the full margin.
        let hour = token("h", 3600);
        assert_eq!(hour.expires_at() - cache.refresh_due(&hour), Duration::from_secs(300));
        // A token that is already expired is never fresh.
        let dead = token("d", 0);
        assert_eq!(cache.refresh_due(&dead), dead.expires_at());
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_only_drops_the_rejected_token() {
        let cache = TokenCache::new(Duration::from_secs(60));
        cache.get(|| async { Ok::<_, ()>(token("t1", 3600)) }).await.unwrap();
        cache.invalidate(&SecretString::from("other"));
        let same = cache.get(|| async { Ok::<_, ()>(token("never", 3600)) }).await.unwrap();
        assert_eq!(same.expose_secret(), "t1");
        cache.invalidate(&SecretString::from("t1"));
        let next = cache.get(|| async { Ok::<_, ()>(token("t2", 3600)) }).await.unwrap();
        assert_eq!(next.expose_secret(), "t2");
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_lifetime_is_capped_not_an_overflow() {
        let start = Instant::now();
        let token = AccessToken::new(SecretString::from("t"), Duration::MAX);
        assert_eq!(token.expires_at(), start + MAX_LIFETIME);
        let cache = TokenCache::new(Duration::from_secs(60));
        let secret = cache
            .get(|| async { Ok::<_, ()>(AccessToken::new(SecretString::from("t"), Duration::MAX)) })
            .await
            .unwrap();
        assert_eq!(secret.expose_secret(), "t");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = AccessToken::expiring_at(SecretString::from("s3cr3t"), Instant::now());
        assert!(!format!("{t:?}").contains("s3cr3t"));
        let cache = TokenCache::new(Duration::ZERO);
        assert!(format!("{cache:?}").contains("cached: false"));
    }
}

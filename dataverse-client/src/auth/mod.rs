//! Credentials: where access tokens come from, and the cache in front of them.
//!
//! A [`TokenProvider`] fetches a token for a scope. The client puts a
//! [`TokenCache`] in front of it: a token is reused until five
//! minutes before it expires (or for the first half of its life, when it lives less than ten
//! minutes), exactly one refresh runs at a time however many requests are in flight, a refresh
//! that takes longer than the token timeout fails instead of holding every request behind it, and
//! a token Dataverse rejects with `401` is dropped and the request retried once with a fresh one.

mod client_secret;
mod static_token;

#[cfg(feature = "azure-identity")]
mod azure;

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use futures_util::future::BoxFuture;
use http::HeaderValue;
pub use rest_client_core::AccessToken;
use rest_client_core::{TokenCache, bearer_header};
use secrecy::{ExposeSecret, SecretString};

#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub use azure::AzureIdentityCredential;
pub use client_secret::ClientSecretCredential;
pub use static_token::StaticToken;

use crate::error::AuthError;

/// How long before expiry a cached token is refreshed. MSAL uses the same margin; Entra tokens
/// live 60–90 minutes.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// What a [`TokenProvider`] is asked for.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct TokenRequest<'a> {
    /// The OAuth scope, `<environment URL>/.default` unless overridden with
    /// [`ClientBuilder::token_scope`](crate::ClientBuilder::token_scope).
    pub scope: &'a str,
    /// The client's HTTP client (its pool, timeouts and TLS settings), for providers that call
    /// an identity endpoint.
    pub http: &'a reqwest::Client,
    /// How long the whole token request may take
    /// ([`ClientBuilder::token_timeout`](crate::ClientBuilder::token_timeout)); the client
    /// abandons the provider's future after it, and a provider that sends its own HTTP request
    /// can give that request the same limit.
    pub timeout: Option<Duration>,
}

impl fmt::Debug for TokenRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("scope", &self.scope)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A source of access tokens for Dataverse.
///
/// Built in: [`ClientSecretCredential`] (Microsoft Entra ID client credentials), [`StaticToken`],
/// and `AzureIdentityCredential` (any `azure_identity` credential, feature `azure-identity`).
/// The client caches tokens, so a provider is only called when a token is missing, about to
/// expire, or was rejected.
///
/// `Debug` implementations must never print a secret.
///
/// ```
/// use std::time::Duration;
/// use dataverse_client::{auth::{AccessToken, TokenProvider, TokenRequest}, error::AuthError};
/// use futures_util::future::BoxFuture;
/// use secrecy::SecretString;
///
/// /// Reads a token that a sidecar process keeps fresh in a file.
/// #[derive(Debug)]
/// struct SidecarToken;
///
/// impl TokenProvider for SidecarToken {
///     fn token<'a>(&'a self, _request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
///         Box::pin(async move {
///             let text = tokio::fs::read_to_string("/run/secrets/dataverse-token")
///                 .await
///                 .map_err(|e| AuthError::with_source("cannot read the token file", e))?;
///             Ok(AccessToken::new(SecretString::from(text.trim().to_owned()), Duration::from_secs(600)))
///         })
///     }
/// }
/// ```
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// Fetch a new token for `request.scope`.
    fn token<'a>(
        &'a self,
        request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>>;
}

impl<P: TokenProvider + ?Sized> TokenProvider for Arc<P> {
    fn token<'a>(
        &'a self,
        request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        (**self).token(request)
    }
}

/// A provider, its scope and the cache in front of it.
pub(crate) struct TokenSource {
    provider: Arc<dyn TokenProvider>,
    cache: TokenCache,
    scope: String,
    /// The limit on one token request (provider call), if any.
    timeout: Option<Duration>,
    /// The current token's `Authorization` value, built once per token, and until when it can
    /// be used without asking the cache: the per-request path is then a read lock and a clock
    /// read, with no copy of a 1–2 KB token and no header validation.
    current: RwLock<Option<Current>>,
}

struct Current {
    token: SecretString,
    header: HeaderValue,
    fresh_until: Option<Instant>,
}

impl TokenSource {
    pub(crate) fn new(
        provider: Arc<dyn TokenProvider>,
        scope: String,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            provider,
            cache: TokenCache::new(REFRESH_AHEAD),
            scope,
            timeout,
            current: RwLock::new(None),
        }
    }

    /// The (sensitive) `Authorization` value of the current token, while it is fresh: the path
    /// almost every request takes, with no future at all.
    pub(crate) fn fresh_authorization(&self) -> Option<HeaderValue> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current
            .as_ref()
            .filter(|c| c.fresh_until.is_some_and(|until| Instant::now() < until))
            .map(|c| c.header.clone())
    }

    /// The (sensitive) `Authorization` value of a valid token, cached or freshly fetched.
    pub(crate) async fn authorization(
        &self,
        http: &reqwest::Client,
    ) -> Result<HeaderValue, AuthError> {
        if let Some(header) = self.fresh_authorization() {
            return Ok(header);
        }
        // Outside the fresh window: the cache refreshes (one caller at a time) or falls back to a
        // still-valid token when the refresh fails.
        let request = TokenRequest { scope: &self.scope, http, timeout: self.timeout };
        let token = self
            .cache
            .get(|| async move {
                let token = self.fetch(request).await?;
                // Record the new token while the refresh gate is held, so callers that waited for
                // this refresh find it already in place.
                let header = bearer_header(token.secret())
                    .map_err(|e| AuthError::with_source("unusable token", e))?;
                let fresh_until = Some(self.cache.refresh_due(&token));
                *self.current.write().unwrap_or_else(|e| e.into_inner()) =
                    Some(Current { token: token.secret().clone(), header, fresh_until });
                Ok(token)
            })
            .await?;
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        match &*current {
            Some(c) if c.token.expose_secret() == token.expose_secret() => Ok(c.header.clone()),
            _ => {
                let header = bearer_header(&token)
                    .map_err(|e| AuthError::with_source("unusable token", e))?;
                *current = Some(Current { token, header: header.clone(), fresh_until: None });
                Ok(header)
            }
        }
    }

    /// One provider call, bounded by the token timeout: every request waits behind a refresh,
    /// so a stalled identity endpoint must fail rather than hang them all.
    async fn fetch(&self, request: TokenRequest<'_>) -> Result<AccessToken, AuthError> {
        let Some(limit) = self.timeout else {
            return self.provider.token(request).await;
        };
        match tokio::time::timeout(limit, self.provider.token(request)).await {
            Ok(result) => result,
            // The elapsed timer is the source, so `Error::is_timeout` can tell.
            Err(elapsed) => Err(AuthError::with_source(
                format!("the token request did not complete within {limit:?}"),
                elapsed,
            )
            .transient(true)),
        }
    }

    /// Drop the token whose `Authorization` value Dataverse rejected, so the next request
    /// fetches a new one. A token refreshed in the meantime is kept.
    pub(crate) fn invalidate(&self, rejected: &HeaderValue) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &*current
            && c.header == rejected
        {
            self.cache.invalidate(&c.token);
            *current = None;
        }
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("provider", &self.provider)
            .field("scope", &self.scope)
            .field("cache", &self.cache)
            .finish()
    }
}

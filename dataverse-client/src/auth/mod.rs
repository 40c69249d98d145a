//! Credentials: where access tokens come from, and the cache in front of them.
//!
//! A [`TokenProvider`] fetches a token for a scope. The client puts a
//! [`TokenCache`](rest_client_core::TokenCache) in front of it: a token is reused until five
//! minutes before it expires, exactly one refresh runs at a time however many requests are in
//! flight, and a token Dataverse rejects with `401` is dropped and the request retried once with a
//! fresh one.

mod client_secret;
mod static_token;

#[cfg(feature = "azure-identity")]
mod azure;

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

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
}

impl fmt::Debug for TokenRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest").field("scope", &self.scope).finish_non_exhaustive()
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
/// use dataverse_client::{AccessToken, AuthError, TokenProvider, TokenRequest};
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
    /// The `Authorization` value of the current token, built once per token rather than per
    /// request (a JWT is 1–2 KB to format and validate).
    header: RwLock<Option<(SecretString, HeaderValue)>>,
}

impl TokenSource {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>, scope: String) -> Self {
        Self { provider, cache: TokenCache::new(REFRESH_AHEAD), scope, header: RwLock::new(None) }
    }

    /// A valid token, cached or freshly fetched, and its (sensitive) `Authorization` value.
    pub(crate) async fn authorization(
        &self,
        http: &reqwest::Client,
    ) -> Result<(SecretString, HeaderValue), AuthError> {
        let request = TokenRequest { scope: &self.scope, http };
        let token = self.cache.get(|| self.provider.token(request)).await?;
        if let Some((cached, header)) = &*self.header.read().unwrap_or_else(|e| e.into_inner())
            && cached.expose_secret() == token.expose_secret()
        {
            return Ok((token, header.clone()));
        }
        let header =
            bearer_header(&token).map_err(|e| AuthError::with_source("unusable token", e))?;
        *self.header.write().unwrap_or_else(|e| e.into_inner()) =
            Some((token.clone(), header.clone()));
        Ok((token, header))
    }

    /// Drop `rejected` so the next request fetches a new token.
    pub(crate) fn invalidate(&self, rejected: &SecretString) {
        self.cache.invalidate(rejected);
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

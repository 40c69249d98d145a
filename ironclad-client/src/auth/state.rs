//! The client's live authentication state: a static token, or an OAuth grant behind a
//! refresh-ahead, single-flight token cache.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use http::HeaderValue;
use rest_client_core::{AccessToken, Replay, RetryPolicy, TokenCache, bearer_header};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::token_endpoint::{TokenRequest, request_token};
use super::{Credentials, CredentialsKind, TokenEndpointOptions, TokenRefreshCallback};
use crate::{Error, config::Environment};

/// Tokens are refreshed this long before they expire.
const REFRESH_AHEAD: Duration = Duration::from_secs(60);
/// The lifetime assumed when the token endpoint omits `expires_in` (Ironclad documents 3600 s
/// in its examples; the 401 re-grant covers a shorter real lifetime).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

pub(crate) enum AuthState {
    /// A legacy API token: its `Authorization` value (sensitive) is built once.
    Static(HeaderValue),
    OAuth(Box<OAuthState>),
}

pub(crate) struct OAuthState {
    grant: Grant,
    cache: TokenCache,
    token_url: Url,
    options: TokenEndpointOptions,
    client_id: String,
    client_secret: Option<SecretString>,
    scopes: Vec<String>,
}

enum Grant {
    ClientCredentials,
    RefreshToken {
        refresh_token: Mutex<SecretString>,
        initial: Mutex<Option<(SecretString, Duration)>>,
        on_refresh: Option<TokenRefreshCallback>,
    },
}

impl fmt::Debug for AuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthState::Static(_) => f.write_str("ApiToken([redacted])"),
            AuthState::OAuth(state) => {
                let grant = match state.grant {
                    Grant::ClientCredentials => "client_credentials",
                    Grant::RefreshToken { .. } => "refresh_token",
                };
                f.debug_struct("OAuth")
                    .field("grant", &grant)
                    .field("client_id", &state.client_id)
                    .field("token_url", &state.token_url.as_str())
                    .field("cache", &state.cache)
                    .finish_non_exhaustive()
            }
        }
    }
}

impl AuthState {
    /// # Errors
    /// [`Error::InvalidToken`] when a legacy token cannot be a header value.
    pub(crate) fn new(credentials: Credentials, environment: &Environment) -> Result<Self, Error> {
        let token_url = |options: &TokenEndpointOptions| {
            options.token_url.clone().unwrap_or_else(|| environment.token_url())
        };
        Ok(match credentials.kind {
            CredentialsKind::ApiToken(token) => AuthState::Static(bearer_header(&token)?),
            CredentialsKind::ClientCredentials(c) => AuthState::OAuth(Box::new(OAuthState {
                grant: Grant::ClientCredentials,
                cache: TokenCache::new(REFRESH_AHEAD),
                token_url: token_url(&c.options),
                options: c.options,
                client_id: c.client_id,
                client_secret: Some(c.client_secret),
                scopes: c.scopes,
            })),
            CredentialsKind::AuthorizationCode(c) => AuthState::OAuth(Box::new(OAuthState {
                grant: Grant::RefreshToken {
                    refresh_token: Mutex::new(c.refresh_token),
                    initial: Mutex::new(c.access_token),
                    on_refresh: c.on_refresh,
                },
                cache: TokenCache::new(REFRESH_AHEAD),
                token_url: token_url(&c.options),
                options: c.options,
                client_id: c.client_id,
                client_secret: c.client_secret,
                scopes: c.scopes,
            })),
        })
    }

    /// Client-credentials tokens must act as a user on every request.
    pub(crate) fn requires_acting_user(&self) -> bool {
        matches!(self, AuthState::OAuth(state) if matches!(state.grant, Grant::ClientCredentials))
    }

    /// Whether a 401 can be answered by obtaining a new token.
    pub(crate) fn can_reauthenticate(&self) -> bool {
        matches!(self, AuthState::OAuth(_))
    }

    /// The `Authorization` header to send now, and the OAuth token in it (to invalidate it if
    /// Ironclad rejects it).
    ///
    /// `timeout` bounds each token request, `token_timeout` obtaining the token in all (retries
    /// included).
    pub(crate) async fn authorization(
        &self,
        http: &reqwest::Client,
        retry: &RetryPolicy,
        timeout: Option<Duration>,
        token_timeout: Option<Duration>,
    ) -> Result<(HeaderValue, Option<SecretString>), Error> {
        match self {
            AuthState::Static(header) => Ok((header.clone(), None)),
            AuthState::OAuth(state) => {
                let token = state
                    .cache
                    .get(|| async {
                        let fetch = state.fetch(http, retry, timeout);
                        match token_timeout {
                            Some(limit) => tokio::time::timeout(limit, fetch)
                                .await
                                .unwrap_or(Err(Error::Timeout(limit))),
                            None => fetch.await,
                        }
                    })
                    .await?;
                Ok((bearer_header(&token)?, Some(token)))
            }
        }
    }

    /// Forget a token Ironclad rejected with 401.
    pub(crate) fn invalidate(&self, rejected: &SecretString) {
        if let AuthState::OAuth(state) = self {
            state.cache.invalidate(rejected);
        }
    }
}

impl OAuthState {
    async fn fetch(
        &self,
        http: &reqwest::Client,
        retry: &RetryPolicy,
        timeout: Option<Duration>,
    ) -> Result<AccessToken, Error> {
        let mut params: Vec<(&'static str, String)> = Vec::new();
        let replay = match &self.grant {
            Grant::ClientCredentials => {
                params.push(("grant_type", "client_credentials".into()));
                Replay::Safe
            }
            Grant::RefreshToken { refresh_token, initial, .. } => {
                if let Some((token, expires_in)) = lock(initial).take() {
                    return Ok(cacheable(token, expires_in));
                }
                params.push(("grant_type", "refresh_token".into()));
                params.push(("refresh_token", lock(refresh_token).expose_secret().to_owned()));
                Replay::Unsafe
            }
        };
        if !self.scopes.is_empty() {
            params.push(("scope", self.scopes.join(" ")));
        }
        let request = TokenRequest {
            token_url: &self.token_url,
            options: &self.options,
            client_id: &self.client_id,
            client_secret: self.client_secret.as_ref(),
            params,
            replay,
        };
        let tokens = request_token(http, retry, timeout, request).await?;
        if let Grant::RefreshToken { refresh_token, on_refresh, .. } = &self.grant {
            if let Some(rotated) = &tokens.refresh_token {
                *lock(refresh_token) = rotated.clone();
            }
            if let Some(callback) = on_refresh {
                callback(&tokens);
            }
        }
        tracing::debug!(expires_in = ?tokens.expires_in, "obtained an Ironclad access token");
        Ok(cacheable(tokens.access_token, tokens.expires_in.unwrap_or(DEFAULT_LIFETIME)))
    }
}

/// A cache entry that is refreshed [`REFRESH_AHEAD`] before expiry, or halfway through its life
/// when it lives too briefly for that (so a 60 s token is not re-fetched on every request).
fn cacheable(token: SecretString, expires_in: Duration) -> AccessToken {
    let effective =
        if expires_in > REFRESH_AHEAD * 2 { expires_in } else { expires_in / 2 + REFRESH_AHEAD };
    AccessToken::new(token, effective)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

//! A fixed token.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use rest_client_core::AccessToken;
use secrecy::SecretString;

use super::{TokenProvider, TokenRequest};
use crate::error::AuthError;

/// How long a static token is treated as valid: effectively forever, since nothing can refresh
/// it. A `401` still drops it from the cache and the request is retried once.
const STATIC_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// A token obtained elsewhere (a CLI, a test, a local sandbox). It is never refreshed.
///
/// ```
/// use dataverse_client::auth::StaticToken;
///
/// let token = StaticToken::new("eyJ0eXAiOi...");
/// assert_eq!(format!("{token:?}"), "StaticToken([redacted])");
/// ```
#[derive(Clone)]
pub struct StaticToken {
    token: SecretString,
}

impl StaticToken {
    /// Wrap a bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        Self { token: SecretString::from(token.into()) }
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken([redacted])")
    }
}

impl TokenProvider for StaticToken {
    fn token<'a>(
        &'a self,
        _request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        let token = AccessToken::new(self.token.clone(), STATIC_LIFETIME);
        Box::pin(async move { Ok(token) })
    }
}

//! An adapter for `azure_identity` credentials (feature `azure-identity`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use futures_util::future::BoxFuture;
use rest_client_core::AccessToken;
use secrecy::SecretString;

use super::{TokenProvider, TokenRequest};
use crate::error::AuthError;

/// Any `azure_identity` credential (managed identity, workload identity, Azure CLI, …) as a
/// [`TokenProvider`].
///
/// ```no_run
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use dataverse_client::{Client, auth::AzureIdentityCredential};
///
/// let managed_identity = azure_identity::ManagedIdentityCredential::new(None)?;
/// let client = Client::builder("https://contoso.crm.dynamics.com")
///     .credential(AzureIdentityCredential::new(managed_identity))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AzureIdentityCredential {
    inner: Arc<dyn TokenCredential>,
}

impl AzureIdentityCredential {
    /// Wrap an `azure_core` token credential.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        Self { inner: credential }
    }
}

impl fmt::Debug for AzureIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // azure_core credentials implement Debug without secrets; print only the type name to be
        // safe against third-party implementations.
        f.write_str("AzureIdentityCredential { .. }")
    }
}

impl TokenProvider for AzureIdentityCredential {
    fn token<'a>(
        &'a self,
        request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            let token =
                self.inner.get_token(&[request.scope], None).await.map_err(|e| {
                    AuthError::with_source("the Azure identity credential failed", e)
                })?;
            let remaining = token.expires_on - time::OffsetDateTime::now_utc();
            let lifetime = Duration::try_from(remaining).unwrap_or(Duration::ZERO);
            Ok(AccessToken::new(SecretString::from(token.token.secret().to_owned()), lifetime))
        })
    }
}

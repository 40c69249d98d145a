//! Microsoft Entra ID client credentials (application id + secret), v2 token endpoint.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use rest_client_core::{AccessToken, check_bearer_transport};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::{TokenProvider, TokenRequest};
use crate::error::AuthError;

/// The public-cloud authority. Sovereign clouds use their own host (for example
/// `https://login.microsoftonline.us/` or `https://login.chinacloudapi.cn/`).
const PUBLIC_AUTHORITY: &str = "https://login.microsoftonline.com/";

/// Used when the token endpoint omits `expires_in`: short, so a wrong guess costs little.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Server-to-server authentication with an application (client) id and a client secret, through
/// the Microsoft Entra ID v2 token endpoint (`POST {authority}/{tenant}/oauth2/v2.0/token`,
/// `grant_type=client_credentials`, `scope=<environment URL>/.default`).
///
/// The application must be registered as an application user in the Dataverse environment.
/// `Debug` never shows the secret.
///
/// ```no_run
/// # async fn run() -> Result<(), dataverse_client::Error> {
/// use dataverse_client::{Client, auth::ClientSecretCredential};
///
/// let credential = ClientSecretCredential::new(
///     "00000000-0000-0000-0000-0000000000aa", // tenant (directory) id
///     "00000000-0000-0000-0000-0000000000bb", // application (client) id
///     std::env::var("DATAVERSE_CLIENT_SECRET").unwrap_or_default(),
/// );
/// let client = Client::builder("https://contoso.crm.dynamics.com").credential(credential).build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientSecretCredential {
    tenant_id: String,
    client_id: String,
    client_secret: SecretString,
    /// `None`: the public cloud.
    authority_host: Option<Url>,
}

impl ClientSecretCredential {
    /// A credential for `tenant_id` (directory id or domain) and `client_id` (application id).
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            authority_host: None,
        }
    }

    /// Use another authority host: a sovereign cloud, or a local test server.
    ///
    /// ```
    /// use dataverse_client::auth::ClientSecretCredential;
    ///
    /// let us_gov = ClientSecretCredential::new("tenant", "app", "secret")
    ///     .authority_host("https://login.microsoftonline.us/".parse().expect("valid URL"));
    /// # let _ = us_gov;
    /// ```
    pub fn authority_host(mut self, host: Url) -> Self {
        self.authority_host = Some(host);
        self
    }

    fn token_url(&self) -> Result<Url, AuthError> {
        let mut url = match &self.authority_host {
            Some(host) => host.clone(),
            None => Url::parse(PUBLIC_AUTHORITY)
                .map_err(|e| AuthError::with_source("invalid authority host", e))?,
        };
        url.path_segments_mut()
            .map_err(|()| AuthError::new("the authority host cannot be a base URL"))?
            .pop_if_empty()
            .extend([self.tenant_id.as_str(), "oauth2", "v2.0", "token"]);
        // The secret is about to cross the network: same rule as for bearer tokens.
        check_bearer_transport(&url).map_err(|e| AuthError::new(e.to_string()))?;
        Ok(url)
    }

    async fn fetch(&self, request: TokenRequest<'_>) -> Result<AccessToken, AuthError> {
        let url = self.token_url()?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("scope", request.scope),
        ];
        let mut post =
            request.http.post(url).header(http::header::ACCEPT, "application/json").form(&form);
        if let Some(limit) = request.timeout {
            // The client's reqwest has no overall timeout of its own (only connect and read).
            post = post.timeout(limit);
        }
        let response = post.send().await.map_err(|e| {
            let transient = e.is_connect() || e.is_timeout();
            AuthError::with_source(
                "could not reach the Microsoft Entra token endpoint",
                e.without_url(),
            )
            .transient(transient)
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            AuthError::with_source("could not read the token response", e.without_url())
                .transient(true)
        })?;
        if !status.is_success() {
            return Err(token_error(status, &body));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            AuthError::with_source("the token endpoint answered with an unexpected body", e)
        })?;
        let lifetime = parsed.expires_in.and_then(ExpiresIn::seconds).map(Duration::from_secs);
        Ok(AccessToken::new(
            SecretString::from(parsed.access_token),
            lifetime.unwrap_or(FALLBACK_LIFETIME),
        ))
    }
}

fn token_error(status: http::StatusCode, body: &[u8]) -> AuthError {
    let detail = match serde_json::from_slice::<TokenErrorBody>(body) {
        Ok(TokenErrorBody { error: Some(code), error_description }) => {
            let description = error_description.unwrap_or_default();
            // Descriptions carry a trace id and timestamp; keep the first line, bounded.
            let first_line = description.lines().next().unwrap_or_default();
            format!("{code}: {}", rest_client_core::body_excerpt(first_line.as_bytes(), 512))
        }
        _ => rest_client_core::body_excerpt(body, 512),
    };
    AuthError::new(format!("Microsoft Entra ID refused the token request ({status}): {detail}"))
        .status(status)
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<ExpiresIn>,
}

/// `expires_in` is a number on the v2 endpoint and a string on v1; accept both.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Number(u64),
    Text(String),
}

impl ExpiresIn {
    fn seconds(self) -> Option<u64> {
        match self {
            ExpiresIn::Number(n) => Some(n),
            ExpiresIn::Text(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct TokenErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field(
                "authority_host",
                &self.authority_host.as_ref().map_or(PUBLIC_AUTHORITY, Url::as_str),
            )
            .finish()
    }
}

impl TokenProvider for ClientSecretCredential {
    fn token<'a>(
        &'a self,
        request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(self.fetch(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_url_is_v2_endpoint_of_the_tenant() {
        let credential = ClientSecretCredential::new("contoso.onmicrosoft.com", "app", "s");
        assert_eq!(
            credential.token_url().map(|u| u.to_string()).ok().as_deref(),
            Some("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        );
        let sovereign = ClientSecretCredential::new("t", "app", "s")
            .authority_host(Url::parse("https://login.microsoftonline.us").expect("url"));
        assert_eq!(
            sovereign.token_url().map(|u| u.to_string()).ok().as_deref(),
            Some("https://login.microsoftonline.us/t/oauth2/v2.0/token")
        );
    }

    #[test]
    fn refuses_plain_http_authority() {
        let credential = ClientSecretCredential::new("t", "app", "s")
            .authority_host(Url::parse("http://login.example.com/").expect("url"));
        assert!(credential.token_url().is_err());
    }

    #[test]
    fn debug_redacts_the_secret() {
        let credential = ClientSecretCredential::new("t", "app", "very-secret-value");
        assert!(!format!("{credential:?}").contains("very-secret-value"));
    }

    #[tokio::test]
    async fn the_token_post_gives_up_after_the_request_timeout() {
        use wiremock::matchers::method;
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(
                        serde_json::json!({ "access_token": "late", "expires_in": 3600 }),
                    )
                    .set_delay(Duration::from_secs(5)),
            )
            .mount(&server)
            .await;
        let credential = ClientSecretCredential::new("t", "app", "s")
            .authority_host(Url::parse(&server.uri()).expect("url"));
        let http = reqwest::Client::new();
        let request = TokenRequest {
            scope: "https://contoso.crm.dynamics.com/.default",
            http: &http,
            timeout: Some(Duration::from_millis(100)),
        };
        let started = std::time::Instant::now();
        let error = credential.fetch(request).await.expect_err("timed out");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(error.to_string(), "could not reach the Microsoft Entra token endpoint");
        assert!(error.is_transient());
    }

    #[test]
    fn token_error_keeps_code_and_first_line() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}"#;
        let error = token_error(http::StatusCode::UNAUTHORIZED, body);
        assert_eq!(
            error.to_string(),
            "Microsoft Entra ID refused the token request (401 Unauthorized): invalid_client: AADSTS7000215: Invalid client secret provided."
        );
        assert!(!error.is_transient());
        assert!(token_error(http::StatusCode::SERVICE_UNAVAILABLE, b"busy").is_transient());
    }
}

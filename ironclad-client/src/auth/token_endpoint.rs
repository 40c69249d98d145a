//! The OAuth 2.0 token endpoint (`POST https://<host>/oauth/token`).

use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};
use rest_client_core::{Replay, RetryPolicy, check_bearer_transport};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::Instrument;
use url::Url;

use super::{ClientAuthentication, TokenEndpointOptions, TokenRequestFormat};
use crate::error::{DecodeError, request_id};
use crate::http::{back_off, read_api_error, transport_outcome};
use crate::serde_util::flexible_u64_opt;
use crate::{Error, config::Environment};

/// What the token endpoint returned.
///
/// `Debug` never prints the tokens.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token (authorization-code and refresh grants; absent for client credentials).
    pub refresh_token: Option<SecretString>,
    /// The lifetime Ironclad reported (`expires_in`).
    pub expires_in: Option<Duration>,
    /// `token_type`, normally `Bearer`.
    pub token_type: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenWire {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default, deserialize_with = "flexible_u64_opt::deserialize")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// One token request: a grant plus how to authenticate the client.
pub(crate) struct TokenRequest<'a> {
    pub(crate) token_url: &'a Url,
    pub(crate) options: &'a TokenEndpointOptions,
    pub(crate) client_id: &'a str,
    pub(crate) client_secret: Option<&'a SecretString>,
    /// Grant parameters (`grant_type`, `scope`, `refresh_token`, …). Secret values are exposed
    /// only here, right before sending.
    pub(crate) params: Vec<(&'static str, String)>,
    /// Client-credentials grants may be replayed; a refresh or code exchange may not (the
    /// refresh token or code may be single-use).
    pub(crate) replay: Replay,
}

/// Run a token request with the client's retry policy (429, and 5xx when replay is safe).
pub(crate) async fn request_token(
    http: &reqwest::Client,
    retry: &RetryPolicy,
    timeout: Option<Duration>,
    request: TokenRequest<'_>,
) -> Result<TokenSet, Error> {
    check_bearer_transport(request.token_url)?;
    let path = request.token_url.path().to_owned();
    let grant = request
        .params
        .iter()
        .find(|(key, _)| *key == "grant_type")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let span = tracing::debug_span!("ironclad.token", grant = %grant);
    async move {
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (outcome, error) = match send_once(http, timeout, &request).await {
                Ok(response) if response.status().is_success() => {
                    return decode_token(response, &path).await;
                }
                Ok(response) => {
                    let error = read_api_error(Method::POST, path.clone(), response).await;
                    tracing::warn!(status = error.status.as_u16(), code = ?error.code, "token request refused");
                    (error.outcome(), Error::Token(Box::new(error)))
                }
                Err(source) => (transport_outcome(&source), Error::transport(&Method::POST, source)),
            };
            back_off(retry, request.replay, attempt, started, outcome, error).await?;
        }
    }
    .instrument(span)
    .await
}

async fn send_once(
    http: &reqwest::Client,
    timeout: Option<Duration>,
    request: &TokenRequest<'_>,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut fields: Vec<(&str, &str)> =
        request.params.iter().map(|(key, value)| (*key, value.as_str())).collect();
    let mut builder =
        http.post(request.token_url.clone()).header(http::header::ACCEPT, "application/json");
    match (request.options.client_auth, request.client_secret) {
        (ClientAuthentication::BasicHeader, Some(secret)) => {
            builder = builder.basic_auth(request.client_id, Some(secret.expose_secret()));
        }
        (_, secret) => {
            fields.push(("client_id", request.client_id));
            if let Some(secret) = secret {
                fields.push(("client_secret", secret.expose_secret()));
            }
        }
    }
    builder = match request.options.format {
        TokenRequestFormat::Form => builder.form(&fields),
        TokenRequestFormat::Json => {
            let object: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(key, value)| ((*key).to_owned(), serde_json::Value::from(*value)))
                .collect();
            builder.json(&object)
        }
    };
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.send().await
}

async fn decode_token(response: reqwest::Response, path: &str) -> Result<TokenSet, Error> {
    let status = response.status();
    let request_id = request_id(response.headers());
    let body = response.bytes().await.map_err(|e| Error::transport_at(&Method::POST, path, e))?;
    match serde_json::from_slice::<TokenWire>(&body) {
        Ok(wire) if !wire.access_token.is_empty() => Ok(TokenSet {
            access_token: SecretString::from(wire.access_token),
            refresh_token: wire.refresh_token.filter(|t| !t.is_empty()).map(SecretString::from),
            expires_in: wire.expires_in.map(Duration::from_secs),
            token_type: wire.token_type,
            scope: wire.scope,
        }),
        Ok(_) => Err(token_decode_error(status, request_id, "access_token is empty")),
        Err(source) => Err(Error::Decode(Box::new(DecodeError {
            what: "token response",
            path: ".".into(),
            status,
            request_id,
            // A token response holds secrets: never keep its text.
            body_excerpt: "[token response withheld]".into(),
            source,
        }))),
    }
}

fn token_decode_error(status: StatusCode, request_id: Option<String>, why: &str) -> Error {
    let source = <serde_json::Error as serde::de::Error>::custom(why);
    Error::Decode(Box::new(DecodeError {
        what: "token response",
        path: "access_token".into(),
        status,
        request_id,
        body_excerpt: "[token response withheld]".into(),
        source,
    }))
}

/// The URL to send a user to for consent (authorization-code grant).
///
/// ```
/// use ironclad_client::{auth::authorize_url, config::Environment};
///
/// let url = authorize_url(
///     &Environment::Global,
///     "client-id",
///     "https://app.example.com/callback",
///     ["public.workflows.readWorkflows", "public.records.readRecords"],
///     "csrf-state",
/// );
/// assert_eq!(
///     url.as_str(),
///     "https://ironcladapp.com/oauth/authorize?response_type=code&client_id=client-id\
///      &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback\
///      &scope=public.workflows.readWorkflows+public.records.readRecords&state=csrf-state"
/// );
/// ```
pub fn authorize_url<I, S>(
    environment: &Environment,
    client_id: &str,
    redirect_uri: &str,
    scopes: I,
    state: &str,
) -> Url
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let scope = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect::<Vec<_>>().join(" ");
    let mut url = environment.authorize_url();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &scope)
        .append_pair("state", state);
    url
}

/// Exchange an authorization code for tokens (`grant_type=authorization_code`, form-encoded).
///
/// Keep the returned refresh token and build [`AuthorizationCode`](crate::auth::AuthorizationCode)
/// credentials from it.
///
/// ```no_run
/// # async fn demo() -> Result<(), ironclad_client::Error> {
/// use ironclad_client::{auth::exchange_authorization_code, config::Environment};
///
/// let http = reqwest::Client::new();
/// let tokens = exchange_authorization_code(
///     &http,
///     &Environment::Global,
///     "client-id",
///     Some("client-secret"),
///     "code-from-callback",
///     "https://app.example.com/callback",
/// )
/// .await?;
/// println!("expires in {:?}", tokens.expires_in);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::Token`] when Ironclad refuses (for example `invalid_grant`: the code expired).
pub async fn exchange_authorization_code(
    http: &reqwest::Client,
    environment: &Environment,
    client_id: &str,
    client_secret: Option<&str>,
    code: &str,
    redirect_uri: &str,
) -> Result<TokenSet, Error> {
    let token_url = environment.token_url();
    let options = TokenEndpointOptions::default();
    let secret = client_secret.map(|s| SecretString::from(s.to_owned()));
    let request = TokenRequest {
        token_url: &token_url,
        options: &options,
        client_id,
        client_secret: secret.as_ref(),
        params: vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
        ],
        replay: Replay::Unsafe,
    };
    request_token(http, &RetryPolicy::default(), Some(Duration::from_secs(30)), request).await
}

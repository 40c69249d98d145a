//! Credentials: the legacy API token, OAuth 2.0 client credentials, and authorization-code
//! tokens with refresh; plus the acting user (`x-as-user-email` / `x-as-user-id`).

mod acting_user;
mod state;
mod token_endpoint;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

pub use acting_user::{AS_USER_EMAIL_HEADER, AS_USER_ID_HEADER, ActingUser, UserRef};
pub(crate) use state::AuthState;
pub use token_endpoint::{TokenSet, authorize_url, exchange_authorization_code};

/// How the client proves who it is.
///
/// ```
/// use ironclad_client::auth::{ClientCredentials, Credentials};
///
/// // A legacy API token from Company Settings → API (admin-like, company-wide).
/// let legacy = Credentials::api_token("xxxxxxxx");
///
/// // An OAuth app using the client-credentials grant; requests must then act as a user.
/// let oauth: Credentials = ClientCredentials::new("client-id", "client-secret")
///     .scopes(["public.workflows.readWorkflows", "public.workflows.createWorkflows"])
///     .into();
///
/// // Debug never prints secrets.
/// assert!(!format!("{legacy:?}{oauth:?}").contains("xxxxxxxx"));
/// assert!(!format!("{oauth:?}").contains("client-secret"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    pub(crate) kind: CredentialsKind,
}

#[derive(Clone)]
pub(crate) enum CredentialsKind {
    ApiToken(SecretString),
    ClientCredentials(ClientCredentials),
    AuthorizationCode(AuthorizationCode),
}

impl Credentials {
    /// A legacy API ("bearer") token, sent as `Authorization: Bearer <token>`.
    ///
    /// Legacy tokens are not tied to a user: launching a workflow, approving and commenting need
    /// an explicit `creator` / `user` in the request body (see
    /// [`LaunchWorkflow::creator`](crate::workflows::LaunchWorkflow::creator)).
    pub fn api_token(token: impl Into<String>) -> Self {
        Credentials { kind: CredentialsKind::ApiToken(SecretString::from(token.into())) }
    }

    /// OAuth 2.0 client credentials (see [`ClientCredentials`]).
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> ClientCredentials {
        ClientCredentials::new(client_id, client_secret)
    }

    /// Whether requests made with these credentials must carry an acting user.
    pub fn requires_acting_user(&self) -> bool {
        matches!(self.kind, CredentialsKind::ClientCredentials(_))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CredentialsKind::ApiToken(_) => f.write_str("Credentials::ApiToken([redacted])"),
            CredentialsKind::ClientCredentials(c) => write!(f, "Credentials::{c:?}"),
            CredentialsKind::AuthorizationCode(c) => write!(f, "Credentials::{c:?}"),
        }
    }
}

/// How the token request body is encoded.
///
/// Ironclad's OAuth spec models the body as JSON; its docs show form parameters, and most OAuth
/// clients post `application/x-www-form-urlencoded`. Form is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenRequestFormat {
    /// `application/x-www-form-urlencoded` (default).
    #[default]
    Form,
    /// `application/json`.
    Json,
}

/// Where the client id and secret go in a token request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuthentication {
    /// `client_id` and `client_secret` in the request body (default).
    #[default]
    RequestBody,
    /// `Authorization: Basic base64(client_id:client_secret)`.
    BasicHeader,
}

/// Settings shared by the OAuth grants.
#[derive(Clone, Debug, Default)]
pub(crate) struct TokenEndpointOptions {
    pub(crate) token_url: Option<Url>,
    pub(crate) format: TokenRequestFormat,
    pub(crate) client_auth: ClientAuthentication,
}

/// OAuth 2.0 client-credentials grant: the client fetches, caches and re-grants its own tokens.
///
/// Tokens are re-granted shortly before `expires_in` runs out and once more when Ironclad answers
/// 401 (for example `token has expired`). Every request must act as a user, so set
/// [`ClientBuilder::acting_user`](crate::ClientBuilder::acting_user) or use
/// [`Client::acting_as`](crate::Client::acting_as); a request without one fails with
/// [`Error::ActingUserRequired`](crate::Error::ActingUserRequired) before anything is sent.
///
/// ```
/// use ironclad_client::auth::{ClientAuthentication, ClientCredentials, TokenRequestFormat};
///
/// let credentials = ClientCredentials::new("client-id", "client-secret")
///     .scope("public.workflows.readWorkflows")
///     .scope("public.records.readRecords")
///     .token_request_format(TokenRequestFormat::Json)
///     .client_authentication(ClientAuthentication::BasicHeader);
/// # let _ = credentials;
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: TokenEndpointOptions,
}

impl ClientCredentials {
    /// Credentials of an OAuth app registered in Ironclad (one registration per environment).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            scopes: Vec::new(),
            options: TokenEndpointOptions::default(),
        }
    }

    /// Request these scopes (space-separated on the wire); they must be a subset of the app's.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Request one more scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Encode token requests as form (default) or JSON.
    pub fn token_request_format(mut self, format: TokenRequestFormat) -> Self {
        self.options.format = format;
        self
    }

    /// Send the client secret in the body (default) or as HTTP Basic authentication.
    pub fn client_authentication(mut self, client_auth: ClientAuthentication) -> Self {
        self.options.client_auth = client_auth;
        self
    }

    /// Use this token endpoint instead of the environment's `/oauth/token`.
    pub fn token_url(mut self, url: Url) -> Self {
        self.options.token_url = Some(url);
        self
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("options", &self.options)
            .finish()
    }
}

impl From<ClientCredentials> for Credentials {
    fn from(value: ClientCredentials) -> Self {
        Credentials { kind: CredentialsKind::ClientCredentials(value) }
    }
}

/// Called with every token set the client obtains by refreshing, so a rotated refresh token can
/// be persisted.
pub type TokenRefreshCallback = Arc<dyn Fn(&TokenSet) + Send + Sync>;

/// Tokens from the OAuth 2.0 authorization-code grant, refreshed with the refresh token.
///
/// The access token acts as the user who consented; no acting-user header is needed. When
/// Ironclad rotates the refresh token, the client keeps using the new one and reports it to
/// [`AuthorizationCode::on_refresh`].
///
/// ```
/// use std::time::Duration;
/// use ironclad_client::auth::{AuthorizationCode, Credentials};
///
/// let credentials: Credentials = AuthorizationCode::new("client-id", "refresh-token")
///     .client_secret("client-secret")
///     .access_token("current-access-token", Duration::from_secs(3600))
///     .on_refresh(|tokens| {
///         // persist tokens.refresh_token somewhere safe
///         let _ = tokens;
///     })
///     .into();
/// assert!(!format!("{credentials:?}").contains("refresh-token"));
/// ```
#[derive(Clone)]
pub struct AuthorizationCode {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<SecretString>,
    pub(crate) refresh_token: SecretString,
    pub(crate) access_token: Option<(SecretString, Duration)>,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: TokenEndpointOptions,
    pub(crate) on_refresh: Option<TokenRefreshCallback>,
}

impl AuthorizationCode {
    /// Refresh access tokens with `refresh_token` (from [`exchange_authorization_code`]).
    pub fn new(client_id: impl Into<String>, refresh_token: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            refresh_token: SecretString::from(refresh_token.into()),
            access_token: None,
            scopes: Vec::new(),
            options: TokenEndpointOptions::default(),
            on_refresh: None,
        }
    }

    /// The app's client secret (confidential clients).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(SecretString::from(secret.into()));
        self
    }

    /// A still-valid access token to use before the first refresh.
    pub fn access_token(mut self, token: impl Into<String>, expires_in: Duration) -> Self {
        self.access_token = Some((SecretString::from(token.into()), expires_in));
        self
    }

    /// Narrow the scopes on refresh (optional).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Encode token requests as form (default) or JSON.
    pub fn token_request_format(mut self, format: TokenRequestFormat) -> Self {
        self.options.format = format;
        self
    }

    /// Send the client secret in the body (default) or as HTTP Basic authentication.
    pub fn client_authentication(mut self, client_auth: ClientAuthentication) -> Self {
        self.options.client_auth = client_auth;
        self
    }

    /// Use this token endpoint instead of the environment's `/oauth/token`.
    pub fn token_url(mut self, url: Url) -> Self {
        self.options.token_url = Some(url);
        self
    }

    /// Be told about every refreshed token set (to persist a rotated refresh token).
    pub fn on_refresh(mut self, callback: impl Fn(&TokenSet) + Send + Sync + 'static) -> Self {
        self.on_refresh = Some(Arc::new(callback));
        self
    }
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[redacted]"))
            .field("refresh_token", &"[redacted]")
            .field("access_token", &self.access_token.as_ref().map(|_| "[redacted]"))
            .field("scopes", &self.scopes)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl From<AuthorizationCode> for Credentials {
    fn from(value: AuthorizationCode) -> Self {
        Credentials { kind: CredentialsKind::AuthorizationCode(value) }
    }
}

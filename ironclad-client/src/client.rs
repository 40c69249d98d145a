//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rest_client_core::RetryPolicy;
use url::Url;

use crate::auth::{ActingUser, AuthState, Credentials};
use crate::rate_limit::{RateLimiter, RateLimits};
use crate::records::Records;
use crate::webhooks::Webhooks;
use crate::workflows::WorkflowSchemas;
use crate::workflows::Workflows;
use crate::{Error, config::Environment};

// The timeouts and their defaults are the same in every client of this workspace (see the
// vocabulary table in CONTRIBUTING.md).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// A token request normally takes well under a second.
const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
/// The shortest wait after a 429 without `Retry-After`: Ironclad limits per company and per
/// minute (<https://developer.ironcladapp.com/reference/clm-api-rate-limits>), so retrying
/// within seconds only spends the attempts while the bucket is still empty.
const THROTTLE_BACKOFF_FLOOR: Duration = Duration::from_secs(15);
/// The longest such wait: one bucket period.
const THROTTLE_BACKOFF_CAP: Duration = Duration::from_secs(60);

/// An Ironclad Public API client.
///
/// Cheap to clone (one `Arc`): clones share the connection pool, the token cache and the rate
/// limiter, so build one and pass clones around. [`Client::acting_as`] returns a clone that acts
/// as another user.
///
/// ```no_run
/// use ironclad_client::{Client, auth::{ActingUser, ClientCredentials}, config::Environment};
///
/// # async fn demo() -> Result<(), ironclad_client::Error> {
/// let client = Client::builder()
///     .environment(Environment::Eu1)
///     .credential(ClientCredentials::new("client-id", "client-secret")
///         .scopes(["public.workflows.readWorkflows"]))
///     .acting_user(ActingUser::email("integration@example.com"))
///     .build()?;
/// let workflow = client.workflows().get("IC-123").await?;
/// println!("{:?} is in step {:?}", workflow.title, workflow.step);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
    pub(crate) acting_user: Option<ActingUser>,
}

pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    pub(crate) environment: Environment,
    pub(crate) api_base: Url,
    pub(crate) auth: AuthState,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
    pub(crate) token_timeout: Option<Duration>,
    pub(crate) rate_limiter: Option<RateLimiter>,
}

impl Client {
    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for `environment` with default settings.
    ///
    /// ```
    /// use ironclad_client::{Client, auth::Credentials, config::Environment};
    ///
    /// let client = Client::new(Environment::Global, Credentials::api_token("token"))?;
    /// assert_eq!(client.api_base().as_str(), "https://ironcladapp.com/public/api/v1/");
    /// # Ok::<(), ironclad_client::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(
        environment: Environment,
        credential: impl Into<Credentials>,
    ) -> Result<Self, Error> {
        Client::builder().environment(environment).credential(credential).build()
    }

    /// The retry policy clients use unless told otherwise: [`RetryPolicy::default`] with `500`
    /// treated as transient (Ironclad's `SERVER_ERROR`s are) and, for a 429 without
    /// `Retry-After`, waits from 15 s up to 60 s, the scale of Ironclad's per-minute buckets.
    /// Start from it to change one setting.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ironclad_client::Client;
    ///
    /// let policy = Client::default_retry_policy();
    /// assert_eq!(
    ///     policy.throttle_backoff_value(),
    ///     Some((Duration::from_secs(15), Duration::from_secs(60)))
    /// );
    /// let patient = policy.max_attempts(8);
    /// # let _ = patient;
    /// ```
    pub fn default_retry_policy() -> RetryPolicy {
        RetryPolicy::default()
            .retry_internal_server_error(true)
            .throttle_backoff(THROTTLE_BACKOFF_FLOOR, THROTTLE_BACKOFF_CAP)
    }

    /// A clone of this client whose requests act as `user` (`x-as-user-email` /
    /// `x-as-user-id`), for one request or many.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// use ironclad_client::auth::ActingUser;
    ///
    /// let as_jane = client.acting_as(ActingUser::email("jane@example.com"));
    /// let approvals = as_jane.workflows().approvals("6a6b4091ef38863a01482499").await?;
    /// # let _ = approvals; Ok(()) }
    /// ```
    pub fn acting_as(&self, user: ActingUser) -> Client {
        Client { inner: self.inner.clone(), acting_user: Some(user) }
    }

    /// The user requests act as, if any.
    pub fn acting_user(&self) -> Option<&ActingUser> {
        self.acting_user.as_ref()
    }

    /// The environment the client talks to.
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// The Public API base, e.g. `https://ironcladapp.com/public/api/v1/`.
    pub fn api_base(&self) -> &Url {
        &self.inner.api_base
    }

    /// Workflows: list, launch, get, update attributes, approvals, comments, documents,
    /// signatures and lifecycle.
    pub fn workflows(&self) -> Workflows<'_> {
        Workflows::new(self)
    }

    /// Workflow templates' launch schemas.
    pub fn workflow_schemas(&self) -> WorkflowSchemas<'_> {
        WorkflowSchemas::new(self)
    }

    /// Repository records, their metadata and attachments.
    pub fn records(&self) -> Records<'_> {
        Records::new(self)
    }

    /// Webhook subscriptions and the verification key.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks::new(self)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.inner.api_base.as_str())
            .field("auth", &self.inner.auth)
            .field("acting_user", &self.acting_user)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .field("token_timeout", &self.inner.token_timeout)
            .field("rate_limiter", &self.inner.rate_limiter)
            .finish()
    }
}

/// Configures a [`Client`].
///
/// Defaults: [`Environment::Global`]; 10 s connect timeout, 120 s per attempt (a download fails
/// when no data arrives for that long instead), 30 s for obtaining a token, no separate read
/// timeout; the retry
/// policy of [`Client::default_retry_policy`] (`500` is transient, a 429 without `Retry-After`
/// waits 15–60 s); no client-side rate limiting (turn it on with [`Self::rate_limits`] for bulk
/// jobs, so requests stay under the buckets instead of meeting 429s).
///
/// ```
/// use std::time::Duration;
/// use ironclad_client::{Client, auth::Credentials, config::RateLimits};
///
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:8080") // a local emulator: plain http is allowed to loopback
///     .credential(Credentials::api_token("token"))
///     .timeout(Duration::from_secs(30))
///     .retry_policy(Client::default_retry_policy().max_attempts(3))
///     .rate_limits(RateLimits::default())
///     .build()?;
/// # let _ = client;
/// # Ok::<(), ironclad_client::Error>(())
/// ```
#[must_use]
pub struct ClientBuilder {
    environment: Result<Environment, Error>,
    credential: Option<Credentials>,
    acting_user: Option<ActingUser>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    token_timeout: Option<Duration>,
    retry: RetryPolicy,
    rate_limits: Option<RateLimits>,
    http_client: Option<reqwest::Client>,
    user_agent: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            environment: Ok(Environment::Global),
            credential: None,
            acting_user: None,
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            read_timeout: None,
            token_timeout: Some(DEFAULT_TOKEN_TIMEOUT),
            retry: Client::default_retry_policy(),
            rate_limits: None,
            http_client: None,
            user_agent: None,
        }
    }
}

impl ClientBuilder {
    /// Talk to this environment (default [`Environment::Global`]).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Ok(environment);
        self
    }

    /// Talk to a custom base URL: a host root or the full `/public/api/v1` base (see
    /// [`Environment::custom`]). An invalid URL is reported by [`Self::build`].
    pub fn base_url(mut self, base_url: impl AsRef<str>) -> Self {
        self.environment = Environment::custom(base_url.as_ref());
        self
    }

    /// Authenticate with this credential (required): an API token, OAuth client credentials or
    /// an authorization-code grant.
    pub fn credential(mut self, credential: impl Into<Credentials>) -> Self {
        self.credential = Some(credential.into());
        self
    }

    /// Act as this user on every request (required with client credentials); override per
    /// request with [`Client::acting_as`].
    pub fn acting_user(mut self, user: ActingUser) -> Self {
        self.acting_user = Some(user);
        self
    }

    /// The deadline of one attempt of an API call, from connecting until the body is read
    /// (default 120 s; `None` for no deadline). Retries get a fresh deadline each. A download is
    /// never cut off for its size: it fails only when no data arrives for this long.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// How long to wait for a connection (default 10 s; `None` waits as long as the OS does).
    /// Ignored with [`Self::http_client`].
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// reqwest's read timeout: how long any read from the connection may stall (default `None`:
    /// the per-attempt [`Self::timeout`] already bounds every call). Ignored with
    /// [`Self::http_client`].
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.read_timeout = timeout.into();
        self
    }

    /// How long obtaining an OAuth access token may take in all, retries included (default
    /// 30 s; `None` for no limit). Requests wait for a token refresh in progress, so a stalled
    /// token endpoint would otherwise hold every request; they then fail with
    /// [`Error::Timeout`]. API tokens need no request.
    pub fn token_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.token_timeout = timeout.into();
        self
    }

    /// How transient failures are retried (see [`RetryPolicy`]); `RetryPolicy::never()` turns
    /// retries off. The policy replaces the default whole: start from
    /// [`Client::default_retry_policy`] to keep Ironclad's throttle backoff.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Enable the client-side rate limiter with these per-bucket limits
    /// ([`RateLimits::default`] = the documented production limits).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Use a caller-built `reqwest::Client` (proxies, custom TLS roots, …). Its own timeouts
    /// apply; the per-attempt [`Self::timeout`] is still set on each API call.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The `User-Agent` of the built-in HTTP client (default `ironclad-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Build the client.
    ///
    /// # Errors
    /// [`Error::Config`] when no credential was given, the base URL is invalid, the acting
    /// user cannot be a header value, or the HTTP client cannot be built;
    /// [`Error::InsecureTransport`] when a bearer token would go over plain `http://` to a
    /// non-loopback host; [`Error::InvalidToken`] when an API token cannot be a header value.
    pub fn build(self) -> Result<Client, Error> {
        let environment = self.environment?;
        let credential = self.credential.ok_or_else(|| {
            Error::Config(
                "no credential: call ClientBuilder::credential with an API token or OAuth client"
                    .into(),
            )
        })?;
        let api_base = environment.api_base();
        rest_client_core::check_bearer_transport(&api_base)?;
        if let Some(user) = &self.acting_user {
            user.header().map_err(|e| Error::Config(e.to_string()))?;
        }
        let http = match self.http_client {
            Some(client) => client,
            None => {
                let mut builder =
                    reqwest::Client::builder().user_agent(self.user_agent.unwrap_or_else(|| {
                        format!("ironclad-client/{}", env!("CARGO_PKG_VERSION"))
                    }));
                if let Some(timeout) = self.connect_timeout {
                    builder = builder.connect_timeout(timeout);
                }
                if let Some(timeout) = self.read_timeout {
                    builder = builder.read_timeout(timeout);
                }
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?
            }
        };
        let auth = AuthState::new(credential, &environment)?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                environment,
                api_base,
                auth,
                retry: self.retry,
                timeout: self.timeout,
                token_timeout: self.token_timeout,
                rate_limiter: self.rate_limits.as_ref().map(RateLimiter::new),
            }),
            acting_user: self.acting_user,
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment.as_ref().ok())
            .field("credential", &self.credential)
            .field("acting_user", &self.acting_user)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("token_timeout", &self.token_timeout)
            .field("retry", &self.retry)
            .field("rate_limits", &self.rate_limits)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_defaults_match_the_workspace_vocabulary() {
        let builder = ClientBuilder::default();
        assert_eq!(builder.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(builder.timeout, Some(Duration::from_secs(120)));
        assert_eq!(builder.read_timeout, None);
        assert_eq!(builder.token_timeout, Some(Duration::from_secs(30)));
        let client = builder.credential(Credentials::api_token("t")).build().expect("client");
        assert_eq!(client.inner.timeout, Some(Duration::from_secs(120)));
        assert_eq!(client.inner.token_timeout, Some(Duration::from_secs(30)));
    }
}

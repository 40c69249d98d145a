//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rest_client_core::{RetryPolicy, check_bearer_transport};
use url::Url;

use crate::auth::{TokenProvider, TokenSource};
use crate::error::{Error, Result};
use crate::options::RequestOptions;

const DEFAULT_API_VERSION: &str = "v9.2";
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);
/// `$batch` and the block-upload commit: the .NET ServiceClient's default request timeout
/// (4 minutes). Dataverse answers them only after running every operation (and its plug-ins),
/// and one the client stops waiting for may still commit.
const DEFAULT_LONG_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(4 * 60);
/// A token request normally takes well under a second.
const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_USER_AGENT: &str = concat!("dataverse-client-rust/", env!("CARGO_PKG_VERSION"));

/// A Dataverse Web API client for one environment.
///
/// Cheap to clone: clones share one connection pool, one token cache and one configuration, so
/// create it once and clone it into tasks.
///
/// ```no_run
/// # async fn run() -> Result<(), dataverse_client::Error> {
/// use dataverse_client::{Client, auth::ClientSecretCredential, query::Query, records::Record};
/// use futures_util::TryStreamExt;
///
/// let client = Client::builder("https://contoso.crm.dynamics.com")
///     .credential(ClientSecretCredential::new("tenant-id", "app-id", "secret"))
///     .build()?;
/// let accounts: Vec<Record> = client
///     .query::<Record>(Query::new("accounts").select(["name"]).top(10))
///     .records()
///     .try_collect()
///     .await?;
/// # let _ = accounts; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) environment_url: Url,
    /// `…/api/data/v9.2/`, always ending with `/`.
    pub(crate) api_root: Url,
    pub(crate) auth: TokenSource,
    pub(crate) retry: RetryPolicy,
    pub(crate) attempt_timeout: Option<Duration>,
    /// The attempt timeout of `$batch` and the block-upload commit.
    pub(crate) long_attempt_timeout: Option<Duration>,
    pub(crate) default_options: RequestOptions,
    /// The organization's `MaxUploadFileSize` in bytes; 0 while unknown.
    pub(crate) max_upload_file_size: AtomicU64,
    /// Table definitions read so far.
    pub(crate) metadata: crate::metadata::MetadataCache,
    /// The throughput governor shared by every clone (`None` when turned off).
    pub(crate) governor: Option<crate::governor::Governor>,
}

impl Client {
    /// Start configuring a client for the environment at `environment_url`, e.g.
    /// `https://contoso.crm.dynamics.com`.
    pub fn builder(environment_url: impl AsRef<str>) -> ClientBuilder {
        ClientBuilder::new(environment_url.as_ref())
    }

    /// The environment URL the client was built for.
    pub fn environment_url(&self) -> &Url {
        &self.inner.environment_url
    }

    /// The Web API base URL, e.g. `https://contoso.crm.dynamics.com/api/data/v9.2/`; paths of
    /// entity sets and actions are relative to it.
    pub fn api_base(&self) -> &Url {
        &self.inner.api_root
    }

    /// The organization's `MaxUploadFileSize` (bytes), when configured with
    /// [`ClientBuilder::max_upload_file_size`] or read with
    /// [`Client::fetch_max_upload_file_size`].
    pub fn max_upload_file_size(&self) -> Option<u64> {
        match self.inner.max_upload_file_size.load(Ordering::Relaxed) {
            0 => None,
            limit => Some(limit),
        }
    }

    pub(crate) fn remember_max_upload_file_size(&self, limit: u64) {
        self.inner.max_upload_file_size.store(limit, Ordering::Relaxed);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("environment_url", &inner.environment_url.as_str())
            .field("api_root", &inner.api_root.as_str())
            .field("auth", &inner.auth)
            .field("retry", &inner.retry)
            .field("attempt_timeout", &inner.attempt_timeout)
            .field("long_attempt_timeout", &inner.long_attempt_timeout)
            .field("default_options", &inner.default_options)
            .field("max_upload_file_size", &self.max_upload_file_size())
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
///
/// Defaults: API version `v9.2`, connect timeout 10 s, per-attempt timeout 120 s (waiting for the
/// response and reading a buffered body; a document download fails after stalling that long),
/// 4 minutes for `$batch` and the block-upload commit, 30 s for a token request, no separate read
/// timeout, the [`RetryPolicy`] default (five attempts, exponential backoff from 500 ms with
/// jitter, `Retry-After` honoured), no default request options.
///
/// ```no_run
/// # fn run() -> Result<(), dataverse_client::Error> {
/// use std::time::Duration;
/// use dataverse_client::{Client, auth::StaticToken, config::RetryPolicy};
///
/// let client = Client::builder("https://contoso.crm.dynamics.com")
///     .credential(StaticToken::new("eyJ0eXAi..."))
///     .api_version("v9.2")
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(60))
///     .batch_timeout(Duration::from_secs(600))
///     .token_timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_attempts(8))
///     .user_agent("contract-sync/1.0")
///     .max_upload_file_size(5_242_880)
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder {
    environment_url: String,
    base_url: Option<String>,
    api_version: String,
    credential: Option<Arc<dyn TokenProvider>>,
    token_scope: Option<String>,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    long_attempt_timeout: Option<Duration>,
    token_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    user_agent: String,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    default_options: RequestOptions,
    max_upload_file_size: Option<u64>,
    pub(crate) governor: Option<rest_client_core::governor::GovernorLimits>,
}

impl ClientBuilder {
    fn new(environment_url: &str) -> Self {
        Self {
            environment_url: environment_url.to_owned(),
            base_url: None,
            api_version: DEFAULT_API_VERSION.to_owned(),
            credential: None,
            token_scope: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            attempt_timeout: Some(DEFAULT_ATTEMPT_TIMEOUT),
            long_attempt_timeout: Some(DEFAULT_LONG_ATTEMPT_TIMEOUT),
            token_timeout: Some(DEFAULT_TOKEN_TIMEOUT),
            read_timeout: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            http: None,
            default_options: RequestOptions::default(),
            max_upload_file_size: None,
            governor: Some(rest_client_core::governor::GovernorLimits::default()),
        }
    }

    /// Where tokens come from (required).
    pub fn credential(mut self, credential: impl TokenProvider + 'static) -> Self {
        self.credential = Some(Arc::new(credential));
        self
    }

    /// A shared credential, for several clients using the same provider.
    pub fn shared_credential(mut self, credential: Arc<dyn TokenProvider>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The Web API version, `v9.2` by default.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Override the OAuth scope (default `<environment URL>/.default`).
    pub fn token_scope(mut self, scope: impl Into<String>) -> Self {
        self.token_scope = Some(scope.into());
        self
    }

    /// Send requests to this origin instead of the environment URL (tests, local sandboxes,
    /// proxies). The token scope still derives from the environment URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long connecting may take; `None` waits as long as the OS does. Ignored with
    /// [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// How long one attempt may take: waiting for the response and reading its body (one timer
    /// per attempt); `None` for no limit. Retried attempts each get the full time. Override per
    /// request with [`RequestOptions::timeout`]. Streamed note uploads, whose duration depends on
    /// the document's size, are limited only by a per-request timeout; a document download fails
    /// when no data arrives for this long.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.attempt_timeout = timeout.into();
        self
    }

    /// How long one attempt of a `$batch` or of the commit of a block-uploaded note may take
    /// (default 4 minutes); `None` for no limit. Dataverse answers these only after running every
    /// operation they carry, synchronous plug-ins included, and a write batch the client stops
    /// waiting for is not sent again yet may still commit. The longer of this and
    /// [`timeout`](Self::timeout) applies (no limit if either is `None`); a per-request
    /// [`RequestOptions::timeout`] overrides both.
    pub fn batch_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.long_attempt_timeout = timeout.into();
        self
    }

    /// How long obtaining an access token may take in all (default 30 s); `None` for no limit.
    /// Requests wait for a token refresh in progress, so a stalled identity endpoint would
    /// otherwise hold every request; the request then fails with [`Error::Auth`].
    pub fn token_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.token_timeout = timeout.into();
        self
    }

    /// reqwest's read timeout: how long any read from the connection may stall; `None` (the
    /// default) for none, since the per-attempt timeout already bounds every response. Ignored
    /// with [`http_client`](Self::http_client).
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.read_timeout = timeout.into();
        self
    }

    /// The `User-Agent` header. Ignored with [`http_client`](Self::http_client).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How transient failures are retried. See the crate documentation for exactly when a
    /// `POST` is replayed.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Use a `reqwest::Client` you configured (proxy, TLS roots, …). Its own timeouts and user
    /// agent then apply instead of this builder's connect/read timeouts and user agent.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Options applied to every request (a request's own options override them field by field).
    pub fn default_options(mut self, options: RequestOptions) -> Self {
        self.default_options = options;
        self
    }

    /// The organization's `MaxUploadFileSize` in bytes, if you know it: a note whose
    /// base64-encoded document exceeds it fails with [`Error::DocumentTooLarge`] before any
    /// upload. Or read it at runtime with [`Client::fetch_max_upload_file_size`].
    pub fn max_upload_file_size(mut self, bytes: u64) -> Self {
        self.max_upload_file_size = Some(bytes);
        self
    }

    /// Build the client.
    ///
    /// # Errors
    /// [`Error::Config`] for an unparsable URL, a missing credential or an HTTP client that
    /// cannot be built; [`Error::InsecureTransport`] when requests would go over plain `http://`
    /// to a host that is not loopback.
    pub fn build(self) -> Result<Client> {
        let environment_url = parse_origin(&self.environment_url, "environment URL")?;
        let base = match &self.base_url {
            Some(base) => parse_origin(base, "base URL")?,
            None => environment_url.clone(),
        };
        let version = self.api_version.trim_matches('/');
        if version.is_empty() || version.contains(['/', '?', '#']) {
            return Err(Error::Config(format!("invalid API version {:?}", self.api_version)));
        }
        let api_root = base
            .join(&format!("api/data/{version}/"))
            .map_err(|e| Error::Config(format!("cannot build the API URL: {e}")))?;
        check_bearer_transport(&api_root)?;
        let credential = self.credential.ok_or_else(|| {
            Error::Config("a credential is required: call ClientBuilder::credential".to_owned())
        })?;
        let scope = self.token_scope.unwrap_or_else(|| {
            format!("{}/.default", environment_url.as_str().trim_end_matches('/'))
        });
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder().user_agent(self.user_agent);
                if let Some(timeout) = self.connect_timeout {
                    builder = builder.connect_timeout(timeout);
                }
                if let Some(timeout) = self.read_timeout {
                    builder = builder.read_timeout(timeout);
                }
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                environment_url,
                api_root,
                auth: TokenSource::new(credential, scope, self.token_timeout),
                retry: self.retry,
                attempt_timeout: self.attempt_timeout,
                long_attempt_timeout: match (self.attempt_timeout, self.long_attempt_timeout) {
                    (Some(attempt), Some(long)) => Some(attempt.max(long)),
                    _ => None,
                },
                default_options: self.default_options,
                max_upload_file_size: AtomicU64::new(self.max_upload_file_size.unwrap_or(0)),
                metadata: crate::metadata::MetadataCache::default(),
                governor: self.governor.map(crate::governor::Governor::new),
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment_url", &self.environment_url)
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("credential", &self.credential)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Parse an origin (`https://host[:port][/prefix]`), normalised to end with `/` so `join` keeps
/// any path prefix.
fn parse_origin(text: &str, what: &str) -> Result<Url> {
    let mut url = Url::parse(text.trim())
        .map_err(|e| Error::Config(format!("invalid {what} {text:?}: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.cannot_be_a_base() {
        return Err(Error::Config(format!("invalid {what} {text:?}: expected an http(s) URL")));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StaticToken;

    #[test]
    fn builds_api_root_and_scope() {
        let client = Client::builder("https://contoso.crm.dynamics.com")
            .credential(StaticToken::new("t"))
            .build()
            .expect("client");
        assert_eq!(client.api_base().as_str(), "https://contoso.crm.dynamics.com/api/data/v9.2/");
        assert!(
            format!("{:?}", client.inner.auth)
                .contains("https://contoso.crm.dynamics.com/.default")
        );

        let sandbox = Client::builder("https://contoso.crm.dynamics.com/")
            .base_url("http://127.0.0.1:8080/dv")
            .api_version("v9.1")
            .credential(StaticToken::new("t"))
            .build()
            .expect("client");
        assert_eq!(sandbox.api_base().as_str(), "http://127.0.0.1:8080/dv/api/data/v9.1/");
        assert!(
            format!("{:?}", sandbox.inner.auth)
                .contains("https://contoso.crm.dynamics.com/.default")
        );
    }

    #[test]
    fn refuses_plain_http_to_remote_hosts_and_bad_config() {
        let insecure = Client::builder("http://contoso.crm.dynamics.com")
            .credential(StaticToken::new("t"))
            .build();
        assert!(matches!(insecure, Err(Error::InsecureTransport(_))));
        let no_credential = Client::builder("https://contoso.crm.dynamics.com").build();
        assert!(matches!(no_credential, Err(Error::Config(_))));
        let bad_url = Client::builder("contoso").credential(StaticToken::new("t")).build();
        assert!(matches!(bad_url, Err(Error::Config(_))));
        let bad_version = Client::builder("https://x.crm.dynamics.com")
            .api_version("v9.2/../x")
            .credential(StaticToken::new("t"))
            .build();
        assert!(matches!(bad_version, Err(Error::Config(_))));
    }

    #[test]
    fn client_and_its_futures_and_streams_can_cross_threads() {
        fn send_sync<T: Send + Sync>(_: &T) {}
        fn send<T: Send>(_: &T) {}
        let client = Client::builder("https://contoso.crm.dynamics.com")
            .credential(StaticToken::new("t"))
            .build()
            .expect("client");
        send_sync(&client);
        let id = uuid::Uuid::nil();
        send(&std::future::IntoFuture::into_future(
            client.retrieve::<crate::records::Record>("accounts", id),
        ));
        send(&std::future::IntoFuture::into_future(client.update(
            "accounts",
            id,
            &serde_json::json!({}),
        )));
        send(
            &client.query::<crate::records::Record>(crate::query::Query::new("accounts")).records(),
        );
        send(
            &client
                .track_changes::<crate::records::Record>(crate::query::Query::new("accounts"))
                .changes(),
        );
        send(&std::future::IntoFuture::into_future(
            client.create_note(crate::notes::NewNote::new()),
        ));
        send(&std::future::IntoFuture::into_future(
            client.execute_batch(crate::batch::Batch::new()),
        ));
    }

    #[test]
    fn batches_get_at_least_four_minutes_per_attempt() {
        let build = |builder: ClientBuilder| builder.credential(StaticToken::new("t")).build();
        let default = build(Client::builder("https://contoso.crm.dynamics.com")).expect("client");
        assert_eq!(default.inner.attempt_timeout, Some(Duration::from_secs(120)));
        assert_eq!(default.inner.long_attempt_timeout, Some(Duration::from_secs(240)));
        // A longer general timeout also applies to batches; no limit stays no limit.
        let longer = build(
            Client::builder("https://contoso.crm.dynamics.com")
                .timeout(Some(Duration::from_secs(600))),
        )
        .expect("client");
        assert_eq!(longer.inner.long_attempt_timeout, Some(Duration::from_secs(600)));
        let unlimited = build(Client::builder("https://contoso.crm.dynamics.com").timeout(None))
            .expect("client");
        assert_eq!(unlimited.inner.long_attempt_timeout, None);
        let no_batch_limit =
            build(Client::builder("https://contoso.crm.dynamics.com").batch_timeout(None))
                .expect("client");
        assert_eq!(no_batch_limit.inner.long_attempt_timeout, None);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let client = Client::builder("https://contoso.crm.dynamics.com")
            .credential(StaticToken::new("super-secret-token"))
            .build()
            .expect("client");
        let printed = format!("{client:?}");
        assert!(printed.contains("contoso.crm.dynamics.com"));
        assert!(!printed.contains("super-secret-token"));
    }
}

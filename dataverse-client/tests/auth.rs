//! Authentication: the Entra ID client-credentials flow, the token cache (single flight under
//! concurrency, refresh after 401), and secrets never printed or logged.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dataverse_client::{
    Client, Error,
    auth::{AccessToken, ClientSecretCredential, StaticToken, TokenProvider, TokenRequest},
    config::RetryPolicy,
    error::AuthError,
    records::Record,
};
use futures_util::future::BoxFuture;
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "51f81489-12ee-4a9e-aaae-a2591f45987d";
const SECRET: &str = "s3cr3t~value.with/chars";
const ENVIRONMENT: &str = "https://contoso.crm.dynamics.com";

fn token_response(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token
    }))
}

fn credential(server: &MockServer) -> ClientSecretCredential {
    ClientSecretCredential::new(TENANT, APP, SECRET)
        .authority_host(server.uri().parse().expect("url"))
}

fn client_with(credential: impl TokenProvider + 'static, server: &MockServer) -> Client {
    Client::builder(ENVIRONMENT)
        .base_url(server.uri())
        .credential(credential)
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client")
}

fn row() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "accountid": Uuid::nil(), "name": "Contoso" }))
}

#[tokio::test]
async fn client_credentials_form_and_token_reuse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "grant_type=client_credentials&client_id={APP}&client_secret=s3cr3t%7Evalue.with%2Fchars&scope=https%3A%2F%2Fcontoso.crm.dynamics.com%2F.default"
        )))
        .respond_with(token_response("eyJ0eXAi.first"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer eyJ0eXAi.first"))
        .respond_with(row())
        .expect(3)
        .mount(&server)
        .await;
    let client = client_with(credential(&server), &server);
    for _ in 0..3 {
        let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("row");
    }
}

#[tokio::test]
async fn an_absurd_expires_in_is_survived() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": u64::MAX, "access_token": "forever"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer forever"))
        .respond_with(row())
        .expect(2)
        .mount(&server)
        .await;
    let client = client_with(credential(&server), &server);
    for _ in 0..2 {
        let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("row");
    }
}

#[tokio::test]
async fn a_401_fetches_a_new_token_and_retries_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(token_response("revoked"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(token_response("fresh"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .and(header("authorization", "Bearer revoked"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", "Bearer authorization_uri=x"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .and(header("authorization", "Bearer fresh"))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{ENVIRONMENT}/api/data/v9.2/accounts({})", Uuid::nil()).as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Even a create is replayed after a 401: Dataverse rejected it before processing it.
    let client = client_with(credential(&server), &server);
    client.create("accounts", &json!({ "name": "Contoso" })).await.expect("created after refresh");
}

#[tokio::test]
async fn a_second_401_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let error = client_with(StaticToken::new("expired"), &server)
        .retrieve::<Record>("accounts", Uuid::nil())
        .await
        .expect_err("401");
    assert!(error.is_unauthorized() && !error.is_forbidden());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn token_endpoint_errors_are_auth_errors_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 0b0a\r\nCorrelation ID: 1c1b\r\nTimestamp: 2024-05-01 10:00:00Z",
            "error_codes": [7000215],
            "trace_id": "0b0a",
            "correlation_id": "1c1b"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(row()).expect(0).mount(&server).await;
    let error = client_with(credential(&server), &server)
        .retrieve::<Record>("accounts", Uuid::nil())
        .await
        .expect_err("auth");
    let Error::Auth(auth) = &error else { panic!("{error:?}") };
    assert_eq!(auth.http_status().map(|s| s.as_u16()), Some(401));
    assert!(!auth.is_transient());
    let message = error.to_string();
    assert!(message.contains("invalid_client: AADSTS7000215"), "{message}");
    assert!(!message.contains(SECRET));
    assert!(!format!("{error:?}").contains(SECRET));
}

/// Counts fetches; each takes 50 ms so concurrent callers overlap.
#[derive(Debug, Default)]
struct CountingProvider {
    calls: AtomicUsize,
}

impl TokenProvider for CountingProvider {
    fn token<'a>(
        &'a self,
        request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            assert_eq!(request.scope, "https://contoso.crm.dynamics.com/.default");
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(AccessToken::new(
                SecretString::from(format!("token-{n}")),
                Duration::from_secs(3600),
            ))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_fetch_for_32_concurrent_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(row())
        .expect(32)
        .mount(&server)
        .await;
    let provider = Arc::new(CountingProvider::default());
    let client = Client::builder(ENVIRONMENT)
        .base_url(server.uri())
        .shared_credential(provider.clone())
        .build()
        .expect("client");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.retrieve::<Record>("accounts", Uuid::nil()).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("row");
    }
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
}

/// Hands out numbered tokens that live `lifetime`.
#[derive(Debug)]
struct ShortLived {
    calls: AtomicUsize,
    lifetime: Duration,
}

impl ShortLived {
    fn living(lifetime: Duration) -> Arc<Self> {
        Arc::new(Self { calls: AtomicUsize::new(0), lifetime })
    }
}

impl TokenProvider for ShortLived {
    fn token<'a>(
        &'a self,
        _request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move {
            Ok(AccessToken::new(SecretString::from(format!("short-{n}")), self.lifetime))
        })
    }
}

fn client_for_provider(server: &MockServer, provider: Arc<dyn TokenProvider>) -> Client {
    Client::builder(ENVIRONMENT)
        .base_url(server.uri())
        .shared_credential(provider)
        .http_client(common::timerless_http())
        .timeout(None)
        .build()
        .expect("client")
}

async fn expect_token(server: &MockServer, token: &str, requests: u64) {
    Mock::given(method("GET"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(row())
        .expect(requests)
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_five_minutes_before_they_expire() {
    let server = MockServer::start().await;
    expect_token(&server, "short-1", 2).await;
    expect_token(&server, "short-2", 1).await;
    let provider = ShortLived::living(Duration::from_secs(12 * 60));
    let client = client_for_provider(&server, provider.clone());
    let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("first");
    // Just under seven minutes later the token still has more than five minutes left: reused.
    tokio::time::advance(Duration::from_secs(7 * 60 - 1)).await;
    let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("reused");
    // Past the seven-minute mark it is inside the refresh window: a new token is fetched.
    tokio::time::advance(Duration::from_secs(2)).await;
    let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("refreshed");
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_token_with_less_than_the_margin_left_is_reused_not_fetched_per_request() {
    // A credential library handing out its own cached token with four minutes left: less than
    // the five-minute margin, so before it was fetched again for every request.
    let server = MockServer::start().await;
    expect_token(&server, "short-1", 20).await;
    expect_token(&server, "short-2", 1).await;
    let provider = ShortLived::living(Duration::from_secs(4 * 60));
    let client = client_for_provider(&server, provider.clone());
    for _ in 0..20 {
        let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("reused");
    }
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
    // It is reused for half its life, then refreshed.
    tokio::time::advance(Duration::from_secs(2 * 60 + 1)).await;
    let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("refreshed");
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}

/// A provider whose identity endpoint never answers.
#[derive(Debug, Default)]
struct Stalled {
    calls: AtomicUsize,
}

impl TokenProvider for Stalled {
    fn token<'a>(
        &'a self,
        _request: TokenRequest<'a>,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn a_stalled_token_request_fails_after_the_token_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(row()).expect(0).mount(&server).await;
    let provider = Arc::new(Stalled::default());
    let client = Client::builder(ENVIRONMENT)
        .base_url(server.uri())
        .shared_credential(provider.clone())
        .http_client(common::timerless_http())
        .timeout(None)
        .retry_policy(RetryPolicy::never())
        .token_timeout(Some(Duration::from_secs(20)))
        .build()
        .expect("client");
    let started = tokio::time::Instant::now();
    let error = client.retrieve::<Record>("accounts", Uuid::nil()).await.expect_err("timeout");
    assert_eq!(started.elapsed(), Duration::from_secs(20));
    match &error {
        Error::Auth(auth) => {
            assert!(auth.is_transient());
            assert_eq!(auth.to_string(), "the token request did not complete within 20s");
        }
        other => panic!("{other:?}"),
    }
    // The refresh gate was released: the next request tries again rather than hanging.
    let again = client.retrieve::<Record>("accounts", Uuid::nil()).await.expect_err("again");
    assert!(matches!(again, Error::Auth(_)), "{again:?}");
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_client_secret_token_post_has_the_token_timeout() {
    let identity = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(token_response("late").set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&identity)
        .await;
    let dataverse = MockServer::start().await;
    Mock::given(method("GET")).respond_with(row()).expect(0).mount(&dataverse).await;
    let client = Client::builder(ENVIRONMENT)
        .base_url(dataverse.uri())
        .credential(credential(&identity))
        .retry_policy(RetryPolicy::never())
        .token_timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let started = std::time::Instant::now();
    let error = client.retrieve::<Record>("accounts", Uuid::nil()).await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(matches!(&error, Error::Auth(auth) if auth.is_transient()), "{error:?}");
    assert!(error.is_timeout() && error.is_retryable(), "{error:?}");
}

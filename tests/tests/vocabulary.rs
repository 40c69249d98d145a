//! The two clients speak one vocabulary (the table in CONTRIBUTING.md, "One vocabulary for both
//! clients"). Every shared name is called here on both clients through the same macro, so
//! renaming it on one side only fails to compile; and the same situation, set up in the sandbox,
//! must answer the same predicates on both sides (`vocabulary_tracing.rs`: the same spans and
//! retry logs).

use std::time::Duration;

use dataverse_ironclad_sandbox::{Fault, Sandbox, SandboxConfig, Service};
use secrecy::ExposeSecret;

/// The builder settings both clients share, in one chain: a setter renamed or retyped on one
/// client only stops this from compiling.
macro_rules! build_with_shared_setters {
    ($builder:expr, $credential:expr, $base_url:expr, $retry:expr) => {
        $builder
            .base_url($base_url)
            .credential($credential)
            .connect_timeout(Duration::from_secs(10))
            .connect_timeout(None)
            .timeout(Duration::from_secs(120))
            .read_timeout(None)
            .read_timeout(Duration::from_secs(300))
            .token_timeout(Duration::from_secs(30))
            .retry_policy($retry)
            .user_agent("vocabulary-test/1")
            .build()
            .expect("client")
    };
}

/// Every shared error predicate and accessor, called the same way on either error type.
macro_rules! predicates {
    ($error:expr) => {{
        let error = &$error;
        Predicates {
            retryable: error.is_retryable(),
            throttled: error.is_throttled(),
            not_found: error.is_not_found(),
            conflict: error.is_conflict(),
            unauthorized: error.is_unauthorized(),
            forbidden: error.is_forbidden(),
            timeout: error.is_timeout(),
            connect: error.is_connect(),
            status: error.status().map(|status| status.as_u16()),
            has_request_id: error.request_id().is_some(),
            has_retry_after: error.retry_after().is_some(),
            has_code: error.code().map(|code| code.to_string()).is_some(),
            has_api_error: error.api_error().is_some(),
        }
    }};
}

/// What the predicates said about one error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Predicates {
    retryable: bool,
    throttled: bool,
    not_found: bool,
    conflict: bool,
    unauthorized: bool,
    forbidden: bool,
    timeout: bool,
    connect: bool,
    status: Option<u16>,
    has_request_id: bool,
    has_retry_after: bool,
    has_code: bool,
    has_api_error: bool,
}

impl Predicates {
    /// The kind of failure, without the details a service may or may not send.
    fn kind(self) -> [bool; 8] {
        [
            self.retryable,
            self.throttled,
            self.not_found,
            self.conflict,
            self.unauthorized,
            self.forbidden,
            self.timeout,
            self.connect,
        ]
    }
}

fn no_retries() -> dataverse_client::config::RetryPolicy {
    dataverse_client::config::RetryPolicy::never()
}

fn dataverse(sandbox: &Sandbox, token: &str) -> dataverse_client::Client {
    dataverse_with(sandbox.dataverse_url().as_str(), token, no_retries())
}

fn dataverse_with(
    url: &str,
    token: &str,
    retry: dataverse_client::config::RetryPolicy,
) -> dataverse_client::Client {
    build_with_shared_setters!(
        dataverse_client::Client::builder(url),
        dataverse_client::auth::StaticToken::new(token),
        url,
        retry
    )
}

fn ironclad(sandbox: &Sandbox, token: &str) -> ironclad_client::Client {
    ironclad_with(sandbox.ironclad_base_url().as_str(), token, no_retries())
}

fn ironclad_with(
    url: &str,
    token: &str,
    retry: ironclad_client::config::RetryPolicy,
) -> ironclad_client::Client {
    build_with_shared_setters!(
        ironclad_client::Client::builder(),
        ironclad_client::auth::Credentials::api_token(token),
        url,
        retry
    )
}

fn dataverse_token(sandbox: &Sandbox) -> String {
    sandbox.dataverse_token().expose_secret().to_owned()
}

fn ironclad_token(sandbox: &Sandbox) -> String {
    sandbox.ironclad_token().expose_secret().to_owned()
}

async fn missing_account(client: &dataverse_client::Client) -> dataverse_client::Error {
    client
        .retrieve::<dataverse_client::records::Record>("accounts", uuid::Uuid::new_v4())
        .await
        .expect_err("no such account")
}

async fn missing_workflow(client: &ironclad_client::Client) -> ironclad_client::Error {
    client.workflows().get("IC-999999").await.expect_err("no such workflow")
}

#[tokio::test]
async fn both_clients_name_their_api_base_the_same_way() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dataverse = dataverse(&sandbox, &dataverse_token(&sandbox));
    let ironclad = ironclad(&sandbox, &ironclad_token(&sandbox));
    assert_eq!(dataverse.api_base().as_str(), sandbox.dataverse_api_url().as_str());
    assert_eq!(ironclad.api_base().as_str(), sandbox.ironclad_api_url().as_str());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_missing_resource_is_not_found_on_both() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dataverse =
        predicates!(missing_account(&dataverse(&sandbox, &dataverse_token(&sandbox))).await);
    let ironclad =
        predicates!(missing_workflow(&ironclad(&sandbox, &ironclad_token(&sandbox))).await);
    assert!(dataverse.not_found && dataverse.status == Some(404), "{dataverse:?}");
    assert_eq!(dataverse.kind(), ironclad.kind(), "{dataverse:?} / {ironclad:?}");
    assert_eq!(dataverse.status, ironclad.status);
    assert!(dataverse.has_request_id && ironclad.has_request_id);
    assert!(dataverse.has_code && ironclad.has_code);
    assert!(dataverse.has_api_error && ironclad.has_api_error);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_rejected_token_is_unauthorized_on_both() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dataverse = predicates!(missing_account(&dataverse(&sandbox, "not-the-token")).await);
    let ironclad = predicates!(missing_workflow(&ironclad(&sandbox, "not-the-token")).await);
    assert!(dataverse.unauthorized && dataverse.status == Some(401), "{dataverse:?}");
    assert_eq!(dataverse.kind(), ironclad.kind(), "{dataverse:?} / {ironclad:?}");
    assert_eq!(dataverse.status, ironclad.status);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn throttling_is_throttled_and_retryable_on_both() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.faults(Service::Dataverse).fail_next(1, Fault::Throttle);
    sandbox.faults(Service::Ironclad).fail_next(1, Fault::Throttle);
    let dataverse =
        predicates!(missing_account(&dataverse(&sandbox, &dataverse_token(&sandbox))).await);
    let ironclad =
        predicates!(missing_workflow(&ironclad(&sandbox, &ironclad_token(&sandbox))).await);
    assert!(dataverse.throttled && dataverse.retryable, "{dataverse:?}");
    assert_eq!(dataverse.kind(), ironclad.kind(), "{dataverse:?} / {ironclad:?}");
    assert_eq!((dataverse.status, ironclad.status), (Some(429), Some(429)));
    // Dataverse says how long to wait; Ironclad documents no `Retry-After` and sends none.
    assert!(dataverse.has_retry_after && !ironclad.has_retry_after, "{dataverse:?} / {ironclad:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_attempt_without_an_answer_is_a_timeout_on_both() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sandbox.faults(Service::Dataverse).set_latency(Duration::from_secs(3));
    sandbox.faults(Service::Ironclad).set_latency(Duration::from_secs(3));
    let dataverse = dataverse_client::Client::builder(sandbox.dataverse_url().as_str())
        .credential(dataverse_client::auth::StaticToken::new(dataverse_token(&sandbox)))
        .retry_policy(no_retries())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let ironclad = ironclad_client::Client::builder()
        .base_url(sandbox.ironclad_base_url().as_str())
        .credential(ironclad_client::auth::Credentials::api_token(ironclad_token(&sandbox)))
        .retry_policy(no_retries())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let dataverse = predicates!(missing_account(&dataverse).await);
    let ironclad = predicates!(missing_workflow(&ironclad).await);
    assert!(
        dataverse.timeout && dataverse.retryable && dataverse.status.is_none(),
        "{dataverse:?}"
    );
    assert_eq!(dataverse.kind(), ironclad.kind(), "{dataverse:?} / {ironclad:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_on_both() {
    // Bind, note the port, close: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/");
    let dataverse = predicates!(missing_account(&dataverse_with(&url, "t", no_retries())).await);
    let ironclad = predicates!(missing_workflow(&ironclad_with(&url, "t", no_retries())).await);
    assert!(dataverse.connect && dataverse.retryable, "{dataverse:?}");
    assert_eq!(dataverse.kind(), ironclad.kind(), "{dataverse:?} / {ironclad:?}");
}

#[tokio::test]
async fn both_paging_streams_have_try_next_and_collect_all() {
    use dataverse_client::query::Query;
    use dataverse_client::records::Record;
    use ironclad_client::workflows::ListWorkflows;

    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dataverse = dataverse(&sandbox, &dataverse_token(&sandbox));
    let ironclad = ironclad(&sandbox, &ironclad_token(&sandbox));
    let query = || Query::new("accounts").select(["name"]).max_page_size(1);

    let mut rows = dataverse.query::<Record>(query()).records();
    let first = rows.try_next().await.unwrap();
    let all = dataverse.query::<Record>(query()).records().collect_all().await.unwrap();
    assert!(first.is_some() && all.len() == sandbox.dataverse().count("accounts"));

    let mut workflows = ironclad.workflows().list(ListWorkflows::new());
    assert!(workflows.try_next().await.unwrap().is_none(), "no workflow launched yet");
    let none = ironclad.workflows().list(ListWorkflows::new()).collect_all().await.unwrap();
    assert!(none.is_empty());
    sandbox.shutdown().await;
}

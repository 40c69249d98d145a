//! Client construction, environments, transport rules and secret redaction.

mod common;

use common::{TOKEN, api, fixture};
use ironclad_client::{
    Client, Error,
    auth::{ActingUser, AuthorizationCode, ClientCredentials, Credentials},
    config::Environment,
    webhooks::{NewWebhook, WebhookEvent},
};
use wiremock::matchers::{header, header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn build_requires_a_credential_and_a_valid_base_url() {
    let error = Client::builder().build().unwrap_err();
    assert!(
        matches!(error, Error::Config(ref m) if m.contains("ClientBuilder::credential")),
        "{error}"
    );
    let error = Client::builder()
        .base_url("not a url")
        .credential(Credentials::api_token("t"))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error}");
    let error = Client::builder()
        .credential(Credentials::api_token("t"))
        .acting_user(ActingUser::email("bad\r\nheader"))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error}");
}

#[test]
fn bearer_tokens_are_refused_over_http_except_to_loopback() {
    let error = Client::builder()
        .base_url("http://ironclad.internal.example.com")
        .credential(Credentials::api_token("t"))
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InsecureTransport(_)), "{error}");
    for loopback in ["http://127.0.0.1:9000", "http://localhost:9000/public/api/v1"] {
        Client::builder()
            .base_url(loopback)
            .credential(Credentials::api_token("t"))
            .build()
            .unwrap();
    }
}

#[test]
fn environments_map_to_their_hosts() {
    let cases = [
        (Environment::Global, "https://ironcladapp.com/public/api/v1/"),
        (Environment::Na1, "https://na1.ironcladapp.com/public/api/v1/"),
        (Environment::Eu1, "https://eu1.ironcladapp.com/public/api/v1/"),
        (Environment::Demo, "https://demo.ironcladapp.com/public/api/v1/"),
        (Environment::Preview, "https://preview.ironcladapp.com/public/api/v1/"),
    ];
    for (environment, base) in cases {
        let client = Client::new(environment, Credentials::api_token("t")).unwrap();
        assert_eq!(client.api_base().as_str(), base);
    }
}

#[test]
fn debug_output_never_contains_secrets() {
    let api_token = Credentials::api_token("legacy-secret-token");
    let client_credentials: Credentials =
        ClientCredentials::new("app-id", "client-secret-value").into();
    let auth_code: Credentials = AuthorizationCode::new("app-id", "refresh-secret-value")
        .client_secret("client-secret-value")
        .access_token("access-secret-value", std::time::Duration::from_secs(60))
        .into();
    let client = Client::builder().credential(api_token.clone()).build().unwrap();
    let oauth_client = Client::builder()
        .credential(client_credentials.clone())
        .acting_user(ActingUser::email("a@b.c"))
        .build()
        .unwrap();
    let builder = Client::builder().credential(auth_code.clone());
    let webhook = NewWebhook::new("https://example.com/hook", [WebhookEvent::WorkflowCompleted])
        .header("Authorization", "Bearer webhook-secret-value");
    let printed = format!(
        "{api_token:?} {client_credentials:?} {auth_code:?} {client:?} {oauth_client:?} {builder:?} {webhook:?}"
    );
    for secret in [
        "legacy-secret-token",
        "client-secret-value",
        "refresh-secret-value",
        "access-secret-value",
        "webhook-secret-value",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked in {printed}");
    }
    assert!(printed.contains("app-id"), "non-secret fields stay visible: {printed}");
}

#[tokio::test]
async fn a_full_api_base_url_and_a_user_agent_are_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header_regex("user-agent", "^ironclad-client/"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(2)
        .mount(&server)
        .await;
    for base in [server.uri(), format!("{}/public/api/v1/", server.uri())] {
        let client = Client::builder()
            .base_url(base)
            .credential(Credentials::api_token(TOKEN))
            .build()
            .unwrap();
        client.workflows().get("IC-7").await.unwrap();
    }
}

#[tokio::test]
async fn path_segments_are_encoded_not_interpreted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/a%2Fb%3Fc")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    common::client(&server).workflows().get("a/b?c").await.unwrap();
}

#[tokio::test]
async fn clones_share_one_configuration() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(4)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.workflows().get("IC-7").await.map(|w| w.id) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "6a6b328004308879e7d439b6");
    }
}

#[test]
fn public_types_and_futures_are_thread_safe() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Client>();
    send_sync::<Error>();
    send_sync::<ironclad_client::webhooks::VerifyError>();
    send_sync::<ironclad_client::webhooks::WebhookVerifier>();
    send_sync::<ironclad_client::workflows::Workflow>();
    send_sync::<ironclad_client::webhooks::WebhookDelivery>();

    let client = Client::builder().credential(Credentials::api_token("t")).build().unwrap();
    let launch = ironclad_client::workflows::LaunchWorkflow::new(
        "t",
        ironclad_client::values::LaunchAttributes::new(),
    );
    send(&client.workflows().launch(&launch));
    send(&client.workflows().list(ironclad_client::workflows::ListWorkflows::new()));
    send(&client.records().get("IC-1"));
    let verifier = ironclad_client::webhooks::WebhookVerifier::new(client.clone());
    send(&verifier.verify(&http::HeaderMap::new(), b""));
}

#[test]
fn an_api_token_that_cannot_be_a_header_is_refused_at_build() {
    let error =
        Client::builder().credential(Credentials::api_token("bad\ntoken")).build().unwrap_err();
    assert!(matches!(error, Error::InvalidToken(_)), "{error}");
    assert!(!error.to_string().contains("bad"), "the token never appears: {error}");
}

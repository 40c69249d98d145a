//! Authentication: legacy token, client credentials, authorization-code refresh, acting user.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TOKEN, api, client, fixture, untimed_http};
use ironclad_client::{
    Client, Error,
    auth::{
        ActingUser, AuthorizationCode, ClientAuthentication, ClientCredentials, TokenRequestFormat,
        exchange_authorization_code,
    },
    config::Environment,
};
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn token_body(access_token: &str, expires_in: u64) -> serde_json::Value {
    json!({"token_type": "Bearer", "access_token": access_token, "expires_in": expires_in, "scope": "public.workflows.readWorkflows"})
}

async fn mount_workflow(server: &MockServer, bearer: &str, expected_calls: u64) {
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .and(header("authorization", format!("Bearer {bearer}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(expected_calls)
        .mount(server)
        .await;
}

fn oauth_client(server: &MockServer, credentials: ClientCredentials) -> Client {
    Client::builder()
        .base_url(server.uri())
        .credential(credentials)
        .acting_user(ActingUser::email("integration@example.com"))
        .http_client(untimed_http())
        .timeout(None)
        .token_timeout(None)
        .build()
        .unwrap()
}

#[tokio::test]
async fn legacy_token_is_sent_as_bearer() {
    let server = MockServer::start().await;
    mount_workflow(&server, TOKEN, 1).await;
    client(&server).workflows().get("IC-7").await.unwrap();
}

#[tokio::test]
async fn client_credentials_are_form_encoded_and_the_token_is_cached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(
            "grant_type=client_credentials&scope=public.workflows.readWorkflows+public.records.readRecords\
             &client_id=app-id&client_secret=app%2Bsecret",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("access-1", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .and(header("authorization", "Bearer access-1"))
        .and(header("x-as-user-email", "integration@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(3)
        .mount(&server)
        .await;
    let credentials = ClientCredentials::new("app-id", "app+secret")
        .scopes(["public.workflows.readWorkflows", "public.records.readRecords"]);
    let client = oauth_client(&server, credentials);
    for _ in 0..3 {
        client.workflows().get("IC-7").await.unwrap();
    }
}

#[tokio::test]
async fn client_credentials_can_use_json_and_basic_authentication() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/json"))
        // base64("app-id:app-secret")
        .and(header("authorization", "Basic YXBwLWlkOmFwcC1zZWNyZXQ="))
        .and(body_json(
            json!({"grant_type": "client_credentials", "scope": "public.webhooks.readWebhooks"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("access-json", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    mount_workflow(&server, "access-json", 1).await;
    let credentials = ClientCredentials::new("app-id", "app-secret")
        .scope("public.webhooks.readWebhooks")
        .token_request_format(TokenRequestFormat::Json)
        .client_authentication(ClientAuthentication::BasicHeader);
    oauth_client(&server, credentials).workflows().get("IC-7").await.unwrap();
}

#[tokio::test]
async fn client_credentials_without_an_acting_user_fail_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .credential(ClientCredentials::new("app-id", "app-secret"))
        .build()
        .unwrap();
    let error = client.workflows().get("IC-7").await.unwrap_err();
    assert!(matches!(error, Error::ActingUserRequired), "{error}");
    assert!(error.to_string().contains("x-as-user-email"));
    // Nothing at all was sent (not even a token request).
    server.verify().await;
    assert!(server.received_requests().await.unwrap().is_empty());
    server.reset().await;
    // A per-request acting user fixes it.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("t", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .and(header("x-as-user-id", "5f0375c4cdc1927a3c5edcd3"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    client
        .acting_as(ActingUser::id("5f0375c4cdc1927a3c5edcd3"))
        .workflows()
        .get("IC-7")
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn tokens_are_regranted_shortly_before_they_expire() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("first", 3600)))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("second", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    mount_workflow(&server, "first", 2).await;
    mount_workflow(&server, "second", 1).await;
    let client = oauth_client(&server, ClientCredentials::new("app-id", "app-secret"));
    client.workflows().get("IC-7").await.unwrap();
    tokio::time::advance(Duration::from_secs(3500)).await;
    client.workflows().get("IC-7").await.unwrap(); // 100 s left: still outside the 60 s window
    tokio::time::advance(Duration::from_secs(50)).await;
    client.workflows().get("IC-7").await.unwrap(); // 50 s left: re-granted
}

#[tokio::test]
async fn a_token_endpoint_that_never_answers_fails_within_the_token_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("late", 3600))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    mount_workflow(&server, "late", 0).await;
    let client = Client::builder()
        .base_url(server.uri())
        .credential(ClientCredentials::new("app-id", "app-secret"))
        .acting_user(ActingUser::email("integration@example.com"))
        .token_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = client.workflows().get("IC-7").await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout(limit) if limit == Duration::from_millis(200)),
        "{error}"
    );
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_401_token_has_expired_regrants_once_and_replays() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("stale", 3600)))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("fresh", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    // Even a POST is replayed: Ironclad refused it before acting.
    Mock::given(method("POST"))
        .and(path(api("/workflows")))
        .and(header("authorization", "Bearer stale"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": "UNAUTHORIZED", "message": "token has expired"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api("/workflows")))
        .and(header("authorization", "Bearer fresh"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = oauth_client(&server, ClientCredentials::new("app-id", "app-secret"));
    let launch = ironclad_client::workflows::LaunchWorkflow::new(
        "68dc41e5a7987b1e623e4711",
        ironclad_client::values::LaunchAttributes::new().string("counterpartyName", "Acme"),
    );
    client.workflows().launch(&launch).await.unwrap();
}

#[tokio::test]
async fn a_second_401_is_returned_instead_of_looping() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("t", 3600)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"code": "UNAUTHORIZED", "message": "token has been revoked"}),
            ),
        )
        .expect(2)
        .mount(&server)
        .await;
    let error = oauth_client(&server, ClientCredentials::new("app-id", "app-secret"))
        .workflows()
        .get("IC-7")
        .await
        .unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(error.api_error().unwrap().message.as_deref(), Some("token has been revoked"));
}

#[tokio::test]
async fn legacy_tokens_are_not_retried_on_401() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"code": "UNAUTHORIZED", "message": "invalid authentication token"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    assert!(client(&server).workflows().get("IC-7").await.unwrap_err().is_unauthorized());
}

#[tokio::test]
async fn a_refused_grant_is_a_token_error_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "client authentication failed"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = oauth_client(&server, ClientCredentials::new("app-id", "very-secret-value"))
        .workflows()
        .get("IC-7")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Token(_)), "{error}");
    assert!(error.is_unauthorized());
    assert_eq!(error.code().map(|c| c.as_str()), Some("invalid_client"));
    let text = format!("{error} {error:?}");
    assert!(text.contains("client authentication failed"));
    assert!(!text.contains("very-secret-value"), "{text}");
}

#[tokio::test]
async fn a_garbled_token_response_never_echoes_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"access_token": 42, "secret": "leaky-token"}"#),
        )
        .mount(&server)
        .await;
    let error = oauth_client(&server, ClientCredentials::new("app-id", "s"))
        .workflows()
        .get("IC-7")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error}");
    assert!(!format!("{error} {error:?}").contains("leaky-token"));
}

#[tokio::test]
async fn authorization_code_tokens_refresh_and_report_the_rotated_refresh_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string("grant_type=refresh_token&refresh_token=refresh-1&client_id=app-id&client_secret=app-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    // The rotated refresh token is the one used next.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string("grant_type=refresh_token&refresh_token=refresh-2&client_id=app-id&client_secret=app-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "access_token": "access-3", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    let expired = || {
        ResponseTemplate::new(401)
            .set_body_json(json!({"code": "UNAUTHORIZED", "message": "token has expired"}))
    };
    let ok = || ResponseTemplate::new(200).set_body_string(fixture("workflow.json"));
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer access-2"))
        .respond_with(ok())
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer access-2"))
        .respond_with(expired())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer access-3"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;

    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = seen.clone();
    let credentials = AuthorizationCode::new("app-id", "refresh-1")
        .client_secret("app-secret")
        .access_token("access-1", Duration::from_secs(3600))
        .on_refresh(move |tokens| {
            let refresh = tokens.refresh_token.as_ref().map(|t| t.expose_secret().to_owned());
            recorder.lock().unwrap().push(refresh);
        });
    // No acting user: an authorization-code token acts as the user who consented.
    let client = Client::builder().base_url(server.uri()).credential(credentials).build().unwrap();
    client.workflows().get("IC-7").await.unwrap(); // access-1 → 401 → refresh-1 → access-2
    client.workflows().get("IC-7").await.unwrap(); // access-2 → 401 → refresh-2 → access-3
    assert_eq!(*seen.lock().unwrap(), [Some("refresh-2".to_owned()), None]);
}

#[tokio::test]
async fn the_code_exchange_posts_the_code_and_redirect_uri() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(
            "grant_type=authorization_code&code=c0de&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb\
             &client_id=app-id&client_secret=app-secret",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "access_token": "a", "refresh_token": "r", "expires_in": 3600, "scope": "public.workflows.readWorkflows"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let environment = Environment::custom(&server.uri()).unwrap();
    let tokens = exchange_authorization_code(
        &reqwest::Client::new(),
        &environment,
        "app-id",
        Some("app-secret"),
        "c0de",
        "https://app.example.com/cb",
    )
    .await
    .unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "a");
    assert_eq!(tokens.refresh_token.as_ref().map(|t| t.expose_secret()), Some("r"));
    assert_eq!(tokens.expires_in, Some(Duration::from_secs(3600)));
    assert!(!format!("{tokens:?}").contains("\"a\""));
}

#[tokio::test]
async fn token_requests_are_refused_over_plain_http_to_other_hosts() {
    let credentials = ClientCredentials::new("id", "secret")
        .token_url(url::Url::parse("http://login.example.com/oauth/token").unwrap());
    let server = MockServer::start().await;
    let client = Client::builder()
        .base_url(server.uri())
        .credential(credentials)
        .acting_user(ActingUser::email("a@b.c"))
        .build()
        .unwrap();
    let error = client.workflows().get("IC-7").await.unwrap_err();
    assert!(matches!(error, Error::InsecureTransport(_)), "{error}");
}

#[tokio::test]
async fn acting_user_headers_are_sent_per_client_and_per_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .and(header("x-as-user-email", "jane.doe@test.com"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-8")))
        .and(header_exists("x-as-user-id"))
        .respond_with(move |request: &Request| {
            assert!(
                request.headers.get("x-as-user-email").is_none(),
                "only one acting-user header"
            );
            ResponseTemplate::new(200).set_body_string(fixture("workflow.json"))
        })
        .expect(1)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .acting_user(ActingUser::email("jane.doe@test.com"))
        .build()
        .unwrap();
    client.workflows().get("IC-7").await.unwrap();
    client
        .acting_as(ActingUser::id("5f0375c4cdc1927a3c5edcd3"))
        .workflows()
        .get("IC-8")
        .await
        .unwrap();
    let bad = client.acting_as(ActingUser::email("bad\nemail"));
    assert!(matches!(bad.workflows().get("IC-7").await, Err(Error::InvalidRequest(_))));
}

#[tokio::test]
async fn a_huge_token_error_body_is_read_only_up_to_the_error_limit() {
    use std::io::{Read as _, Write as _};
    // A token endpoint that promises a 10 MiB error page, sends 128 KiB of it and stalls.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut socket, _)) = listener.accept() {
            let _ = socket.read(&mut [0u8; 8192]);
            let head = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/html\r\ncontent-length: 10485760\r\n\r\n";
            let _ = socket.write_all(head.as_bytes());
            let _ = socket.write_all(&vec![b'x'; 128 * 1024]);
            std::thread::sleep(Duration::from_secs(60));
        }
    });
    let client = Client::builder()
        .base_url(format!("http://{address}"))
        .credential(ClientCredentials::new("app-id", "app-secret"))
        .acting_user(ActingUser::email("integration@example.com"))
        .build()
        .unwrap();
    let error = tokio::time::timeout(Duration::from_secs(10), client.workflows().get("IC-7"))
        .await
        .expect("the error body is not read to its end")
        .unwrap_err();
    assert!(matches!(error, Error::Token(_)), "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(error.api_error().unwrap().body_excerpt.starts_with("xxxx"));
}

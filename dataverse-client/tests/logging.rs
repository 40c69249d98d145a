//! Logs and `Debug` output never show a secret, and each request is traced with its method,
//! entity set, status and attempt. Alone in its own test binary: `tracing` caches per-callsite
//! interest process-wide, and tests running in parallel without a subscriber would disable the
//! span for this one.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use dataverse_client::{
    Client,
    auth::{ClientSecretCredential, StaticToken},
    records::Record,
};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{method, path};
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

fn row() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "accountid": Uuid::nil(), "name": "Contoso" }))
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn logs_and_debug_output_never_show_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(token_response("eyJ0eXAi.secret-token"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(row()).mount(&server).await;

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = Client::builder(ENVIRONMENT)
        .base_url(server.uri())
        .credential(credential(&server))
        .http_client(common::timerless_http())
        .timeout(None)
        .token_timeout(None)
        .build()
        .expect("client");
    let _: Record = client.retrieve("accounts", Uuid::nil()).await.expect("row after retry");

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf8");
    assert!(logs.contains("retrying Dataverse request"), "{logs}");
    assert!(
        logs.contains("method=GET")
            && logs.contains("target=accounts")
            && logs.contains("status=503"),
        "{logs}"
    );
    assert!(logs.contains("attempt=1"), "{logs}");
    for secret in [SECRET, "eyJ0eXAi.secret-token"] {
        assert!(!logs.contains(secret), "logs leak {secret}");
        assert!(!format!("{client:?}").contains(secret), "Debug leaks {secret}");
    }
    let debug = format!("{:?}", credential(&server));
    assert!(debug.contains(APP) && !debug.contains(SECRET), "{debug}");
    assert!(!format!("{:?}", StaticToken::new("eyJ0eXAi.secret-token")).contains("secret-token"));
    let builder =
        Client::builder(ENVIRONMENT).credential(StaticToken::new("eyJ0eXAi.secret-token"));
    assert!(!format!("{builder:?}").contains("secret-token"));
}

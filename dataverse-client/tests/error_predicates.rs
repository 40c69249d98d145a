//! The error predicates every client of the workspace shares: `is_unauthorized`,
//! `is_forbidden`, `is_timeout`, `is_connect`, `code`.

mod common;

use std::time::Duration;

use common::{API, builder, client};
use dataverse_client::{Error, config::RetryPolicy, records::Record};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn account_path() -> String {
    format!("{API}/accounts({})", Uuid::nil())
}

#[tokio::test]
async fn a_403_is_forbidden_and_carries_the_dataverse_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(account_path()))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error": {
                "code": "0x80040220",
                "message": "Principal user is missing prvReadAccount privilege."
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).retrieve::<Record>("accounts", Uuid::nil()).await.unwrap_err();
    assert!(error.is_forbidden(), "{error}");
    assert!(!error.is_unauthorized() && !error.is_timeout() && !error.is_connect(), "{error}");
    assert_eq!(error.code(), Some("0x80040220"));
}

#[tokio::test]
async fn an_attempt_without_an_answer_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(account_path()))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::never())
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let error = client.retrieve::<Record>("accounts", Uuid::nil()).await.unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error}");
    assert!(error.is_timeout() && error.is_retryable() && !error.is_connect(), "{error}");
    assert_eq!(error.code(), None);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    // Bind, note the port, close: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = dataverse_client::Client::builder(format!("http://127.0.0.1:{port}"))
        .credential(dataverse_client::auth::StaticToken::new("t"))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let error = client.retrieve::<Record>("accounts", Uuid::nil()).await.unwrap_err();
    assert!(error.is_connect() && error.is_retryable(), "{error}");
    assert!(!error.is_timeout() && !error.is_unauthorized(), "{error}");
}

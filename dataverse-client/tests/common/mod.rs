//! Shared test helpers: a client pointed at a wiremock server, and fixtures.
#![allow(dead_code)]

pub mod multipart;

use dataverse_client::{Client, auth::StaticToken, config::RetryPolicy};
use wiremock::MockServer;

pub const TOKEN: &str = "test-access-token-7f3a";
pub const API: &str = "/api/data/v9.2";

/// A client for `server` with a static token and no retries.
pub fn client(server: &MockServer) -> Client {
    builder(server).retry_policy(RetryPolicy::never()).build().expect("client")
}

/// A builder for `server` with a static token and no timers at all, so tests that pause tokio
/// time see only the client's own sleeps: with the clock paused, tokio jumps to the next timer
/// whenever it waits for the mock server (on another thread), so a timeout or the connection
/// pool's idle check would fire or add phantom time.
pub fn builder(server: &MockServer) -> dataverse_client::ClientBuilder {
    Client::builder(server.uri())
        .credential(StaticToken::new(TOKEN))
        .http_client(timerless_http())
        .timeout(None)
}

/// A client whose ordinary attempts time out after 100 ms but whose `$batch` and block-upload
/// commit may take 3 s (real time: for responses delayed in between).
pub fn short_attempts_long_batches(server: &MockServer) -> Client {
    builder(server)
        .retry_policy(RetryPolicy::never())
        .timeout(Some(std::time::Duration::from_millis(100)))
        .batch_timeout(Some(std::time::Duration::from_secs(3)))
        .build()
        .expect("client")
}

/// Fail the test if any request reaches `server`.
pub async fn expect_no_requests(server: &MockServer) {
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

/// A `reqwest::Client` without timeouts or the pool's idle-expiry timer.
pub fn timerless_http() -> reqwest::Client {
    reqwest::Client::builder().pool_idle_timeout(None).build().expect("http client")
}

/// A fixture from `tests/fixtures`.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The raw text of a fixture.
pub fn fixture_text(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Matches the headers every Dataverse request carries.
pub fn odata_headers(mock: wiremock::MockBuilder) -> wiremock::MockBuilder {
    use wiremock::matchers::header;
    mock.and(header("accept", "application/json"))
        .and(header("odata-maxversion", "4.0"))
        .and(header("odata-version", "4.0"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
}

/// A fixture with `{{server}}` replaced by the mock server's origin (links point back at it).
pub fn fixture_for(server: &MockServer, name: &str) -> serde_json::Value {
    let text = fixture_text(name).replace("{{server}}", &server.uri());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Matches when the raw (still percent-encoded) query string is exactly `expected`.
pub fn raw_query(expected: String) -> impl Fn(&wiremock::Request) -> bool {
    move |request: &wiremock::Request| request.url.query() == Some(expected.as_str())
}

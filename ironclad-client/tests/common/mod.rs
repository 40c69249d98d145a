//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use ironclad_client::{Client, ClientBuilder, auth::Credentials, config::RetryPolicy};
use wiremock::MockServer;

/// The legacy API token the test clients send.
pub const TOKEN: &str = "test-api-token-0123456789";

/// The API path prefix Ironclad uses.
pub fn api(path: &str) -> String {
    format!("/public/api/v1{path}")
}

/// A fixture's text.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A fixture as JSON.
pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// A builder pointed at `server` with a legacy token and fast retries (real time).
pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder().base_url(server.uri()).credential(Credentials::api_token(TOKEN)).retry_policy(
        RetryPolicy::default()
            .retry_internal_server_error(true)
            .initial_backoff(Duration::from_millis(1))
            .max_backoff(Duration::from_millis(5)),
    )
}

/// A client pointed at `server` with a legacy token.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

/// A reqwest client without timers: under paused time, the runtime auto-advances to the next
/// timer while it waits for the mock server's answer, so connect/read timeouts and the idle-pool
/// reaper would fire (or skew elapsed-time assertions).
pub fn untimed_http() -> reqwest::Client {
    reqwest::Client::builder().pool_idle_timeout(None).build().unwrap()
}

/// For tests under paused tokio time: no timers in the HTTP client (they would fire while the
/// runtime idles waiting for the mock server) and the default retry policy.
pub fn paused_builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .credential(Credentials::api_token(TOKEN))
        .http_client(untimed_http())
        .timeout(None)
        .token_timeout(None)
        .retry_policy(RetryPolicy::default().retry_internal_server_error(true))
}

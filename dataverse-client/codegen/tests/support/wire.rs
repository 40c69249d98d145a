//! What the wiremock tests of the generated code share: the API root and a client for the
//! mock server that does not retry (each mock's `expect` counts exactly one call).

use dataverse_client::{Client, auth::StaticToken, config::RetryPolicy};
use uuid::Uuid;
use wiremock::MockServer;

/// The path of the Web API root under the server.
pub const API: &str = "/api/data/v9.2";

/// A client of `server` with a static token and no retries.
pub fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .credential(StaticToken::new("t"))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client")
}

/// A GUID written in a test.
pub fn id(text: &str) -> Uuid {
    Uuid::parse_str(text).expect("uuid")
}

//! Retries: throttling with Retry-After, gateway errors, replay safety, attempt caps, timeouts.
//! Time is paused, so waits are virtual and exact.

mod common;

use std::time::Duration;

use common::{API, builder};
use dataverse_client::{
    Error,
    config::{RequestOptions, RetryPolicy},
    records::Record,
};
use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ID: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

fn id() -> Uuid {
    Uuid::parse_str(ID).expect("uuid")
}

fn throttled(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429).insert_header("Retry-After", retry_after).set_body_json(json!({
        "error": { "code": "0x80072322", "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds." }
    }))
}

fn unavailable() -> ResponseTemplate {
    ResponseTemplate::new(503).set_body_string("<html><body>Service Unavailable</body></html>")
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(204).insert_header(
        "OData-EntityId",
        format!("https://contoso.crm.dynamics.com{API}/accounts({ID})").as_str(),
    )
}

fn row() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "accountid": ID, "name": "Contoso" }))
}

async fn mount_once(server: &MockServer, http_method: &str, response: ResponseTemplate) {
    Mock::given(method(http_method))
        .respond_with(response)
        .up_to_n_times(1)
        .expect(1)
        .mount(server)
        .await;
}

fn retrying(server: &MockServer) -> dataverse_client::Client {
    builder(server).retry_policy(RetryPolicy::default()).build().expect("client")
}

#[tokio::test(start_paused = true)]
async fn throttled_reads_wait_exactly_retry_after() {
    let server = MockServer::start().await;
    mount_once(&server, "GET", throttled("7")).await;
    Mock::given(method("GET")).respond_with(row()).expect(1).mount(&server).await;
    let started = Instant::now();
    let row: Record = retrying(&server).retrieve("accounts", id()).await.expect("row");
    assert_eq!(row["name"], "Contoso");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(7) && waited < Duration::from_secs(8), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_throttled_create_is_replayed_because_it_was_not_processed() {
    let server = MockServer::start().await;
    mount_once(&server, "POST", throttled("1")).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/accounts")))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let created =
        retrying(&server).create("accounts", &json!({ "name": "Contoso" })).await.expect("created");
    assert_eq!(created, id());
}

#[tokio::test(start_paused = true)]
async fn gateway_errors_are_retried_for_reads_and_updates_but_not_creates() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(unavailable())
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(row()).expect(1).mount(&server).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(unavailable()).expect(1).mount(&server).await;
    let client = retrying(&server);

    let _: Record = client.retrieve("accounts", id()).await.expect("read retried");
    // An update carries If-Match, so replaying it cannot create a row: retried.
    client.update("accounts", id(), &json!({ "name": "x" })).await.expect("update retried");
    // A create that may have been processed is not replayed.
    let error = client.create("accounts", &json!({ "name": "x" })).await.expect_err("not replayed");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.is_retryable());
    assert_eq!(
        error.api_error().map(|e| e.body_excerpt.as_str()),
        Some("<html><body>Service Unavailable</body></html>")
    );
}

#[tokio::test(start_paused = true)]
async fn replay_safe_creates_are_retried_after_gateway_errors() {
    let server = MockServer::start().await;
    mount_once(&server, "POST", unavailable()).await;
    Mock::given(method("POST")).respond_with(created()).expect(1).mount(&server).await;
    retrying(&server)
        .create("accounts", &json!({ "accountid": ID, "name": "Contoso" }))
        .options(RequestOptions::new().replay_safe(true))
        .await
        .expect("created");
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_attempt_cap_with_capped_jittered_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(unavailable()).expect(4).mount(&server).await;
    let client = builder(&server)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .initial_backoff(Duration::from_secs(1))
                .max_backoff(Duration::from_secs(2)),
        )
        .build()
        .expect("client");
    let started = Instant::now();
    let error = client.retrieve::<Record>("accounts", id()).await.expect_err("gives up");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    // Backoffs 1 s, 2 s, 2 s (capped), each jittered to between half and all of it.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(2500) && waited <= Duration::from_secs(5),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_longer_than_allowed_is_returned_to_the_caller() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(throttled("3600")).expect(1).mount(&server).await;
    let error =
        retrying(&server).retrieve::<Record>("accounts", id()).await.expect_err("throttled");
    assert!(error.is_throttled());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(error.api_error().and_then(|e| e.code.clone()).as_deref(), Some("0x80072322"));
}

#[tokio::test(start_paused = true)]
async fn internal_server_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": { "code": "0x80040265", "message": "An error occurred in the plug-in." }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = retrying(&server).retrieve::<Record>("accounts", id()).await.expect_err("500");
    assert!(!error.is_retryable());
    assert_eq!(
        error.api_error().and_then(|e| e.message.clone()).as_deref(),
        Some("An error occurred in the plug-in.")
    );
}

#[tokio::test(start_paused = true)]
async fn connection_failures_are_retried_even_for_creates() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    drop(listener);
    let client = dataverse_client::Client::builder(format!("http://{address}"))
        .credential(dataverse_client::auth::StaticToken::new(common::TOKEN))
        .http_client(common::timerless_http())
        .timeout(None)
        .retry_policy(RetryPolicy::default().max_attempts(3))
        .build()
        .expect("client");
    let started = Instant::now();
    let error = client.create("accounts", &json!({})).await.expect_err("refused");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    // Two retries happened: at least 250 ms + 500 ms of jittered backoff.
    assert!(started.elapsed() >= Duration::from_millis(750), "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_attempt_that_outlives_its_timeout_is_a_timeout_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(row().set_delay(Duration::from_secs(2)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::never()).build().expect("client");
    let error = client
        .retrieve::<Record>("accounts", id())
        .options(RequestOptions::new().timeout(Duration::from_millis(100)))
        .await
        .expect_err("timeout");
    assert!(matches!(error, Error::Timeout(t) if t == Duration::from_millis(100)), "{error:?}");
    assert!(error.is_retryable());
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({ "error": {
        "code": "0x80040217", "message": format!("account With Id = {ID} Does Not Exist")
    }}))
}

fn precondition_failed(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(412).set_body_json(json!({ "error": { "code": "", "message": message } }))
}

/// One gateway error (the request may have been processed, its answer lost), then `then`.
async fn lost_then(server: &MockServer, http_method: &str, then: ResponseTemplate) {
    mount_once(server, http_method, ResponseTemplate::new(504)).await;
    Mock::given(method(http_method)).respond_with(then).expect(1).mount(server).await;
}

#[tokio::test(start_paused = true)]
async fn a_replayed_delete_that_finds_no_row_may_already_have_applied() {
    let server = MockServer::start().await;
    lost_then(&server, "DELETE", not_found()).await;
    let error = retrying(&server).delete("accounts", id()).await.expect_err("404 on replay");
    match &error {
        Error::PossiblyApplied { attempts, error: inner } => {
            assert_eq!(*attempts, 2);
            assert!(inner.is_not_found());
        }
        other => panic!("{other:?}"),
    }
    assert!(error.is_possibly_applied());
    // The final answer is still a 404, for callers that take it as "already deleted".
    assert!(error.is_not_found() && !error.is_retryable());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(error.to_string().contains("may already have applied"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn replayed_conditional_writes_that_fail_their_condition_may_already_have_applied() {
    // An update with an etag: the first attempt changed the row, so its etag no longer matches.
    let server = MockServer::start().await;
    lost_then(
        &server,
        "PATCH",
        precondition_failed(
            "The version of the existing record doesn't match the RowVersion property provided.",
        ),
    )
    .await;
    let error = retrying(&server)
        .update("accounts", id(), &json!({ "name": "x" }))
        .if_match("W/\"470867\"")
        .await
        .expect_err("412 on replay");
    assert!(error.is_possibly_applied() && error.is_conflict(), "{error:?}");
    assert!(!matches!(error, Error::Conflict(_)), "not a plain conflict: {error:?}");

    // A create-only upsert: the first attempt created the row.
    let server = MockServer::start().await;
    lost_then(
        &server,
        "PATCH",
        precondition_failed("A record with matching key values already exists."),
    )
    .await;
    let error = retrying(&server)
        .upsert("accounts", id(), &json!({ "name": "x" }))
        .create_only()
        .await
        .expect_err("412 on replay");
    assert!(error.is_possibly_applied(), "{error:?}");

    // A `$ref` delete (disassociate).
    let server = MockServer::start().await;
    lost_then(&server, "DELETE", not_found()).await;
    let error = retrying(&server)
        .disassociate("accounts", id(), "opportunity_customer_accounts", Uuid::nil())
        .await
        .expect_err("404 on replay");
    assert!(error.is_possibly_applied(), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn answers_that_are_not_echoes_of_an_earlier_success_stay_plain() {
    // Throttled first: Dataverse did not process that attempt, so a 404 is a plain 404.
    let server = MockServer::start().await;
    mount_once(&server, "DELETE", throttled("1")).await;
    Mock::given(method("DELETE")).respond_with(not_found()).expect(1).mount(&server).await;
    let error = retrying(&server).delete("accounts", id()).await.expect_err("404");
    assert!(matches!(error, Error::Api(_)) && error.is_not_found(), "{error:?}");

    // An update with `If-Match: *` after a gateway error: its own success cannot cause a 404.
    let server = MockServer::start().await;
    lost_then(&server, "PATCH", not_found()).await;
    let error =
        retrying(&server).update("accounts", id(), &json!({ "name": "x" })).await.expect_err("404");
    assert!(error.is_not_found() && !error.is_possibly_applied(), "{error:?}");

    // The first attempt's 412: nothing was replayed.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(precondition_failed("A record with matching key values already exists."))
        .expect(1)
        .mount(&server)
        .await;
    let error = retrying(&server)
        .upsert("accounts", id(), &json!({ "name": "x" }))
        .create_only()
        .await
        .expect_err("412");
    assert!(error.is_conflict() && !error.is_possibly_applied(), "{error:?}");
}

/// The `x-ms-client-request-id` of every request the server received, in order.
async fn client_request_ids(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let values = r.headers.get_all("x-ms-client-request-id");
            assert_eq!(values.iter().count(), 1, "exactly one client request id");
            values.iter().next().and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_attempt_of_a_request_carries_the_same_client_request_id() {
    let server = MockServer::start().await;
    mount_once(&server, "GET", throttled("1")).await;
    mount_once(&server, "GET", unavailable()).await;
    Mock::given(method("GET")).respond_with(row()).expect(2).mount(&server).await;
    let client = retrying(&server);
    let _: Record = client.retrieve("accounts", id()).await.expect("row");
    let _: Record = client.retrieve("accounts", id()).await.expect("row");

    let ids = client_request_ids(&server).await;
    assert_eq!(ids.len(), 4, "three attempts, then one for the second request");
    let first = Uuid::parse_str(&ids[0]).expect("a UUID");
    assert_eq!(first.get_version_num(), 4);
    assert_eq!(ids[1], ids[0], "the retry after 429 keeps the id");
    assert_eq!(ids[2], ids[0], "the retry after 503 keeps the id");
    assert_ne!(ids[3], ids[0], "a new logical request gets a new id");
}

#[tokio::test(start_paused = true)]
async fn an_error_names_the_client_request_id_beside_the_service_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-ms-service-request-id", "5b4d1e0a-0000-0000-0000-000000000001")
                .set_body_json(json!({
                    "error": { "code": "0x80040217", "message": "account With Id = 7eb682f1 Does Not Exist" }
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = retrying(&server).retrieve::<Record>("accounts", id()).await.expect_err("404");
    let sent = client_request_ids(&server).await;
    assert_eq!(error.client_request_id(), Some(sent[0].as_str()));
    assert_eq!(error.request_id(), Some("5b4d1e0a-0000-0000-0000-000000000001"));
    assert!(error.to_string().contains(&format!("[client request id {}]", sent[0])), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_batch_names_its_client_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": { "code": "0x0", "message": "The batch request must have a Content-Type header." }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut batch = dataverse_client::batch::Batch::new();
    batch.add(dataverse_client::batch::BatchRequest::create("tasks", &json!({})));
    let error = retrying(&server).execute_batch(batch).await.expect_err("400");
    let sent = client_request_ids(&server).await;
    assert_eq!(error.client_request_id(), Some(sent[0].as_str()));
}

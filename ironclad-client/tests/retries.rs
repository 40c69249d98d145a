//! Error decoding, retries (paused time, call counts) and the client-side rate limiter.

mod common;

use std::time::Duration;

use common::{api, client, fixture, paused_builder};
use ironclad_client::{
    Error,
    config::{RateLimitBucket, RateLimits, RetryPolicy},
    values::LaunchAttributes,
    workflows::{LaunchWorkflow, ListWorkflows},
};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn launch() -> LaunchWorkflow {
    LaunchWorkflow::new(
        "68dc41e5a7987b1e623e4711",
        LaunchAttributes::new().string("counterpartyName", "Acme"),
    )
}

async fn mount_then(
    server: &MockServer,
    http_method: &str,
    route: &str,
    first: ResponseTemplate,
    times: u64,
) {
    Mock::given(method(http_method))
        .and(path(api(route)))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .expect(times)
        .mount(server)
        .await;
}

/// `route` answers 200 with the workflow fixture, expected exactly `times` times.
async fn mount_workflow(server: &MockServer, http_method: &str, route: &str, times: u64) {
    Mock::given(method(http_method))
        .and(path(api(route)))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn throttling_honours_retry_after_even_for_posts() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429)
        .insert_header("retry-after", "7")
        .set_body_json(json!({"code": "TOO_MANY_REQUESTS", "message": "rate limit exceeded"}));
    mount_then(&server, "POST", "/workflows", throttled, 1).await;
    mount_workflow(&server, "POST", "/workflows", 1).await;
    let client = paused_builder(&server).build().unwrap();
    let started = Instant::now();
    client.workflows().launch(&launch()).await.unwrap();
    assert_eq!(started.elapsed().as_secs(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_waits_on_the_scale_of_a_per_minute_bucket() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429)
        .set_body_json(json!({"code": "TOO_MANY_REQUESTS", "message": "rate limit exceeded"}));
    mount_then(&server, "GET", "/workflows/IC-7", throttled.clone(), 2).await;
    mount_then(&server, "POST", "/workflows", throttled, 1).await;
    mount_workflow(&server, "GET", "/workflows/IC-7", 1).await;
    mount_workflow(&server, "POST", "/workflows", 1).await;
    // The builder's own retry policy (no override), with an untimed transport for paused time.
    let client = ironclad_client::Client::builder()
        .base_url(server.uri())
        .credential(ironclad_client::auth::Credentials::api_token(common::TOKEN))
        .http_client(common::untimed_http())
        .timeout(None)
        .build()
        .unwrap();
    let started = Instant::now();
    client.workflows().get("IC-7").await.unwrap();
    // 15–18.75 s, then 22.5–37.5 s: the bucket has time to refill.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(37_500) && waited <= Duration::from_millis(56_250),
        "{waited:?}"
    );
    // A throttled launch did nothing, so it is retried too, after at least the floor.
    let started = Instant::now();
    client.workflows().launch(&launch()).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(15) && waited <= Duration::from_millis(18_750),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn gateway_and_server_errors_are_retried_for_gets_with_backoff() {
    let server = MockServer::start().await;
    mount_then(&server, "GET", "/workflows/IC-7", ResponseTemplate::new(503), 2).await;
    mount_then(
        &server,
        "GET",
        "/workflows/IC-8",
        ResponseTemplate::new(500)
            .set_body_json(json!({"code": "SERVER_ERROR", "message": "oops"})),
        1,
    )
    .await;
    for id in ["IC-7", "IC-8"] {
        Mock::given(method("GET"))
            .and(path(api(&format!("/workflows/{id}"))))
            .respond_with(ResponseTemplate::new(200).set_body_string(fixture("workflow.json")))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = paused_builder(&server).build().unwrap();
    let started = Instant::now();
    client.workflows().get("IC-7").await.unwrap();
    // Two jittered backoffs: 250–500 ms, then 500–1000 ms.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(750) && waited <= Duration::from_millis(1500),
        "{waited:?}"
    );
    client.workflows().get("IC-8").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_5xx_on_a_launch_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/workflows")))
        .respond_with(
            ResponseTemplate::new(502).set_body_string("<html><body>Bad gateway</body></html>"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error =
        paused_builder(&server).build().unwrap().workflows().launch(&launch()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.is_retryable(), "the caller may decide to check and retry");
    assert_eq!(error.code(), None);
    assert_eq!(error.api_error().unwrap().body_excerpt, "<html><body>Bad gateway</body></html>");
}

#[tokio::test(start_paused = true)]
async fn retries_stop_after_the_policy_s_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(ResponseTemplate::new(504))
        .expect(5)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-9")))
        .respond_with(ResponseTemplate::new(429))
        .expect(1)
        .mount(&server)
        .await;
    let error = paused_builder(&server).build().unwrap().workflows().get("IC-7").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(504));
    let never = paused_builder(&server).retry_policy(RetryPolicy::never()).build().unwrap();
    assert!(never.workflows().get("IC-9").await.unwrap_err().is_throttled());
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_is_surfaced_instead_of_slept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let error = paused_builder(&server).build().unwrap().workflows().get("IC-7").await.unwrap_err();
    assert!(error.is_throttled());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    // Informational fields of odd shapes are tolerated (tests/tolerant_decoding.rs); an
    // identity that cannot be read is not: a launched workflow without a usable id.
    let server = MockServer::start().await;
    let mut workflow: serde_json::Value = serde_json::from_str(&fixture("workflow.json")).unwrap();
    workflow["id"] = json!(["6a6b328004308879e7d439b6"]);
    let job = json!({"status": "success", "workflow": workflow});
    Mock::given(method("GET"))
        .and(path(api("/workflows/async/02ZZsOt_eB9EfIE4luV5f")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ironclad-requestid", "r-1")
                .set_body_json(job),
        )
        .mount(&server)
        .await;
    let error =
        client(&server).workflows().async_launch_status("02ZZsOt_eB9EfIE4luV5f").await.unwrap_err();
    match &error {
        Error::Decode(decode) => {
            assert_eq!(decode.what, "async launch job");
            assert_eq!(decode.path, "workflow.id");
            assert_eq!(decode.request_id.as_deref(), Some("r-1"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(error.to_string().contains("workflow.id"), "{error}");
}

#[tokio::test]
async fn unknown_fields_and_enum_values_are_tolerated() {
    let server = MockServer::start().await;
    let mut workflow: serde_json::Value = serde_json::from_str(&fixture("workflow.json")).unwrap();
    workflow["step"] = json!("Negotiate");
    workflow["status"] = json!("archived");
    workflow["brandNewField"] = json!({"x": 1});
    workflow["approvals"]["state"] = json!(true);
    workflow["schema"]["broken"] = json!({"displayName": "no type"});
    Mock::given(method("GET"))
        .and(path(api("/workflows/IC-7")))
        .respond_with(ResponseTemplate::new(200).set_body_json(workflow))
        .mount(&server)
        .await;
    let workflow = client(&server).workflows().get("IC-7").await.unwrap();
    assert_eq!(workflow.step.as_ref().map(|s| s.as_str()), Some("Negotiate"));
    assert!(!workflow.step.unwrap().is_known());
    assert_eq!(workflow.status.map(|s| s.to_string()).as_deref(), Some("archived"));
    assert_eq!(workflow.approvals.unwrap().state.as_str(), "true");
    assert!(!workflow.schema.contains_key("broken") && workflow.schema.contains_key("term"));
}

#[tokio::test]
async fn transport_errors_keep_the_path_but_not_the_query() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = ironclad_client::Client::builder()
        .base_url(format!("http://{address}"))
        .credential(ironclad_client::auth::Credentials::api_token("t"))
        .retry_policy(
            RetryPolicy::default().max_attempts(2).initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let query = ListWorkflows::new().filter("Equals([counterpartyName], 'Secret Customer')");
    let error = client.workflows().list(query).collect_all().await.unwrap_err();
    assert!(error.is_connect() && error.is_retryable(), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(text.contains("/public/api/v1/workflows"), "{text}");
    assert!(!text.contains("Secret Customer") && !text.contains("Secret%20Customer"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn the_rate_limiter_spaces_workflow_writes_to_the_bucket_limit() {
    let server = MockServer::start().await;
    mount_workflow(&server, "POST", "/workflows", 5).await;
    mount_workflow(&server, "GET", "/workflows/IC-7", 3).await;
    let limits = RateLimits::default().per_minute(RateLimitBucket::WorkflowsWrite, 2);
    let client = paused_builder(&server).rate_limits(limits).build().unwrap();
    let started = Instant::now();
    let mut launched_at = Vec::new();
    for _ in 0..5 {
        client.workflows().launch(&launch()).await.unwrap();
        launched_at.push(started.elapsed().as_secs());
    }
    // Two per rolling minute, never more: bursts of two, a minute apart.
    assert_eq!(launched_at, [0, 0, 60, 60, 120]);
    // Reads are in another bucket and are not held back.
    let before_reads = Instant::now();
    for _ in 0..3 {
        client.workflows().get("IC-7").await.unwrap();
    }
    assert_eq!(before_reads.elapsed().as_secs(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_default_limits_allow_forty_launches_a_minute() {
    let server = MockServer::start().await;
    mount_workflow(&server, "POST", "/workflows", 41).await;
    let client = paused_builder(&server).rate_limits(RateLimits::default()).build().unwrap();
    let started = Instant::now();
    for _ in 0..40 {
        client.workflows().launch(&launch()).await.unwrap();
    }
    assert_eq!(started.elapsed().as_secs(), 0);
    client.workflows().launch(&launch()).await.unwrap();
    assert_eq!(started.elapsed().as_secs(), 60);
}

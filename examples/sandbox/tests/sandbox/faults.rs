//! Fault injection: each service's throttling and server-error shapes, dropped connections,
//! latency, reproducible rates and scripted faults.

use std::time::Duration;

use dataverse_ironclad_sandbox::{Fault, Json, Service};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use secrecy::ExposeSecret;

use super::ironclad::launch_body;
use super::{client, dv, ic, json, start};

#[tokio::test]
async fn dataverse_throttling_is_a_429_with_retry_after_and_the_limit_error() {
    let sandbox = start().await;
    let faults = sandbox.faults(Service::Dataverse);
    faults.fail_next(1, Fault::Throttle);
    let response = dv(&sandbox, Method::GET, "accounts").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()[RETRY_AFTER], "1");
    assert_eq!(
        json(response).await.to_string(),
        r#"{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}"#
    );
    assert_eq!(
        dv(&sandbox, Method::GET, "accounts").send().await.unwrap().status(),
        200,
        "only the next request"
    );

    faults.set_retry_after(Duration::from_millis(2500));
    faults.fail_next(1, Fault::Throttle);
    let response = dv(&sandbox, Method::GET, "accounts").send().await.unwrap();
    assert_eq!(response.headers()[RETRY_AFTER], "3", "whole seconds, rounded up");
    let log = sandbox.requests(Service::Dataverse);
    assert_eq!(log.iter().filter(|r| r.fault == Some(Fault::Throttle)).count(), 2);
}

#[tokio::test]
async fn server_errors_use_each_services_shape() {
    let sandbox = start().await;
    sandbox.faults(Service::Dataverse).fail_next(1, Fault::ServerError);
    let response = dv(&sandbox, Method::GET, "accounts").send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        json(response).await.to_string(),
        r#"{"error":{"code":"0x80040216","message":"An unexpected error occurred."}}"#
    );

    let faults = sandbox.faults(Service::Ironclad);
    faults.set_server_error_status(500);
    faults.fail_next(1, Fault::ServerError);
    let response = ic(&sandbox, Method::GET, "workflows").send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        json(response).await.to_string(),
        r#"{"code":"SERVER_ERROR","message":"internal server error"}"#
    );

    faults.fail_next(1, Fault::Throttle);
    let response = ic(&sandbox, Method::GET, "workflows").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().get(RETRY_AFTER).is_none(), "Ironclad documents no Retry-After");
    assert_eq!(json(response).await.get("code").and_then(Json::as_str), Some("TOO_MANY_REQUESTS"));
}

#[tokio::test]
async fn a_dropped_connection_gets_no_response_and_nothing_is_written() {
    let sandbox = start().await;
    sandbox.faults(Service::Ironclad).fail_next_matching(
        1,
        Fault::DropConnection,
        Some(Method::POST),
        Some("/workflows"),
    );
    let get = ic(&sandbox, Method::GET, "workflows").send().await.unwrap();
    assert_eq!(get.status(), 200, "the script only matches POST /workflows");
    let result = ic(&sandbox, Method::POST, "workflows")
        .header(CONTENT_TYPE, "application/json")
        .body(launch_body(&sandbox, "dropped", "1"))
        .send()
        .await;
    let error = result.unwrap_err();
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    assert!(sandbox.ironclad().workflows().is_empty(), "the dropped request was not handled");
    let log = sandbox.requests(Service::Ironclad);
    let dropped = log.last().unwrap();
    assert_eq!((dropped.status, dropped.fault), (None, Some(Fault::DropConnection)));
    assert_eq!(dropped.route, "POST /public/api/v1/workflows");
    let retry = ic(&sandbox, Method::POST, "workflows")
        .header(CONTENT_TYPE, "application/json")
        .body(launch_body(&sandbox, "dropped", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
}

#[tokio::test]
async fn latency_is_added_to_every_api_request() {
    let sandbox = start().await;
    sandbox.faults(Service::Dataverse).set_latency(Duration::from_millis(120));
    for _ in 0..2 {
        assert_eq!(dv(&sandbox, Method::GET, "WhoAmI").send().await.unwrap().status(), 200);
    }
    let log = sandbox.requests(Service::Dataverse);
    assert!(log.iter().all(|r| r.duration >= Duration::from_millis(120)), "{log:?}");
}

#[tokio::test]
async fn rates_are_reproducible_and_spare_the_token_endpoints() {
    let sandbox = start().await;
    let faults = sandbox.faults(Service::Dataverse);
    let run = || async {
        faults.reseed(7);
        faults.set_throttle_rate(0.3);
        faults.set_server_error_rate(0.2);
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses
                .push(dv(&sandbox, Method::GET, "WhoAmI").send().await.unwrap().status().as_u16());
        }
        faults.clear();
        statuses
    };
    let first = run().await;
    assert_eq!(first, run().await, "the same seed injects the same faults");
    assert!(first.contains(&429) && first.contains(&503) && first.contains(&200), "{first:?}");

    faults.fail_next(3, Fault::Throttle);
    let scope = format!("{}/.default", sandbox.dataverse_url().as_str().trim_end_matches('/'));
    let response = client()
        .post(sandbox.dataverse_token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sandbox.dataverse_client_id()),
            ("client_secret", sandbox.dataverse_client_secret().expose_secret()),
            ("scope", &scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "faults apply to API routes only");
    assert_eq!(faults.pending_scripted(), 3);
}

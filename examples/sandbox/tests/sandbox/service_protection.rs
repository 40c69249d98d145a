//! `/_sandbox/dataverse/service-protection`: exact request and answer shapes, and the limits
//! taking effect on the Web API.

use dataverse_ironclad_sandbox::Json;
use reqwest::Method;
use secrecy::ExposeSecret;

use super::{client, dv, start};

async fn control(
    sandbox: &dataverse_ironclad_sandbox::Sandbox,
    method: Method,
    body: Option<&str>,
) -> (u16, Json) {
    let mut request = client()
        .request(
            method,
            format!("{}_sandbox/dataverse/service-protection", sandbox.dataverse_url()),
        )
        .bearer_auth(sandbox.dataverse_token().expose_secret());
    if let Some(body) = body {
        request = request.header("Content-Type", "application/json").body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, Json::parse(&response.text().await.unwrap()).unwrap())
}

#[tokio::test]
async fn service_protection_is_turned_on_scaled_read_and_turned_off_over_http() {
    let sandbox = start().await;
    let off = Json::parse(r#"{"enabled":false,"limits":null}"#).unwrap();
    assert_eq!(control(&sandbox, Method::GET, None).await, (200, off.clone()));

    let (status, on) = control(&sandbox, Method::PUT, Some(r#"{"scale":60}"#)).await;
    let scaled = r#"{"enabled":true,"limits":{"window_ms":5000,"requests_per_window":100,
        "execution_time_per_window_ms":20000,"concurrent_requests":52,"dop_hint":8,
        "cost_per_operation_ms":2}}"#;
    assert_eq!((status, on.to_value()), (200, Json::parse(scaled).unwrap().to_value()));
    assert_eq!(control(&sandbox, Method::GET, None).await.1.to_value(), on.to_value());

    // Own limits over the scaled ones: two requests per window, then a 429 with the headers.
    let (status, on) = control(
        &sandbox,
        Method::PUT,
        Some(r#"{"scale":60,"requests_per_window":2,"dop_hint":3,"cost_per_operation_ms":0.5}"#),
    )
    .await;
    assert_eq!(status, 200);
    let limits = on.get("limits").unwrap();
    assert_eq!(limits.get("requests_per_window").and_then(Json::as_number_text), Some("2"));
    assert_eq!(limits.get("cost_per_operation_ms").and_then(Json::as_number_text), Some("0.5"));
    for left in ["1", "0"] {
        let answer = dv(&sandbox, Method::GET, "accounts?$top=1").send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["x-ms-dop-hint"], "3");
        assert_eq!(answer.headers()["x-ms-ratelimit-burst-remaining-xrm-requests"], left);
    }
    let throttled = dv(&sandbox, Method::GET, "accounts?$top=1").send().await.unwrap();
    assert_eq!(throttled.status(), 429);
    // Until the first of the two leaves the 5 s window, in whole seconds.
    let retry_after = throttled.headers()["retry-after"].to_str().unwrap();
    assert!(["4", "5"].contains(&retry_after), "{retry_after}");

    assert_eq!(control(&sandbox, Method::DELETE, None).await, (200, off));
    assert_eq!(dv(&sandbox, Method::GET, "accounts?$top=1").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn bad_settings_are_refused_with_a_reason_and_change_nothing() {
    let sandbox = start().await;
    for (body, reason) in [
        (r#"{"scale":0.5}"#, "'scale' must be at least 1"),
        (r#"{"scale":"60"}"#, "'scale' must be a number"),
        (r#"{"window_ms":0}"#, "'window_ms' must be above 0"),
        (r#"{"requests_per_window":0}"#, "'requests_per_window' must be a whole number from 1"),
        (r#"{"requests":5}"#, "unknown member 'requests'"),
        ("[1]", "the body must be a JSON object"),
    ] {
        let (status, answer) = control(&sandbox, Method::PUT, Some(body)).await;
        let error = answer.get("error").unwrap();
        assert_eq!(status, 400, "{body}");
        assert_eq!(error.get("code").and_then(Json::as_str), Some("invalid_request"), "{body}");
        let message = error.get("message").and_then(Json::as_str).unwrap();
        assert!(message.contains(reason), "{body}: {message}");
    }
    assert!(sandbox.dataverse().service_protection().is_none());
    let anonymous = client()
        .get(format!("{}_sandbox/dataverse/service-protection", sandbox.dataverse_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

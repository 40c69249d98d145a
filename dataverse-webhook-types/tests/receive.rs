//! The framework-agnostic receive step: authenticate, size-check, parse, answer.

mod common;

use common::{CONTACT_ID, fixture};
use dataverse_webhook_types::{
    AuthError, Message, ParseErrorKind, WebhookAuth, WebhookConfig, WebhookRejection, headers,
};
use http::{HeaderMap, HeaderValue, StatusCode};

fn json(rejection: &WebhookRejection) -> serde_json::Value {
    serde_json::from_str(&rejection.to_json()).unwrap()
}

#[test]
fn a_good_delivery_is_parsed_with_its_headers() {
    let config = WebhookConfig::new(WebhookAuth::http_header("x-api-key", "k-123").unwrap());
    let mut request_headers = HeaderMap::new();
    request_headers.insert("x-api-key", HeaderValue::from_static("k-123"));
    request_headers.insert(headers::REQUEST_NAME, HeaderValue::from_static("Update"));
    request_headers
        .insert(headers::ORGANIZATION, HeaderValue::from_static("contoso.crm.dynamics.com"));
    let delivery =
        config.receive(&request_headers, None, &fixture("sample_a_update.json")).unwrap();
    assert_eq!(delivery.message(), Message::Update);
    assert_eq!(delivery.row_id(), Some(CONTACT_ID));
    assert_eq!(delivery.headers.message(), Some(Message::Update));
    assert_eq!(delivery.headers.organization.as_deref(), Some("contoso.crm.dynamics.com"));
    assert!(!delivery.parameters_and_images_dropped());
}

#[test]
fn wrong_credentials_are_401_and_checked_before_parsing() {
    let config = WebhookConfig::new(WebhookAuth::webhook_key("k-123").unwrap());
    // The body is garbage: an unauthenticated caller learns nothing about parsing.
    let rejection = config.receive(&HeaderMap::new(), Some("code=wrong"), b"not json").unwrap_err();
    assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        rejection,
        WebhookRejection::Unauthorized(AuthError::QueryParameterMismatch { name: "code".into() })
    );
    assert_eq!(
        json(&rejection),
        serde_json::json!({"error": "unauthorized", "message": "unauthorized: query parameter `code` does not match"})
    );
    let missing = config.receive(&HeaderMap::new(), None, b"{}").unwrap_err();
    assert_eq!(json(&missing)["message"], "unauthorized: missing query parameter `code`");
}

#[test]
fn oversized_bodies_are_413_by_declared_or_actual_length() {
    let config = WebhookConfig::new(WebhookAuth::unauthenticated()).with_max_body_bytes(64);
    let body = fixture("sample_a_update.json");
    let rejection = config.receive(&HeaderMap::new(), None, &body).unwrap_err();
    assert_eq!(rejection, WebhookRejection::PayloadTooLarge { limit: 64 });
    assert_eq!(rejection.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json(&rejection),
        serde_json::json!({"error": "payload_too_large", "message": "the body is larger than the 64-byte limit"})
    );

    let mut declared = HeaderMap::new();
    declared.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("65"));
    assert_eq!(
        config.check_head(&declared, None),
        Err(WebhookRejection::PayloadTooLarge { limit: 64 })
    );
    declared.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("64"));
    assert_eq!(config.check_head(&declared, None), Ok(()));

    let exactly_at_limit = br#"{"MessageName":"Update","PrimaryEntityName":"contact"}"#;
    assert!(exactly_at_limit.len() <= 64);
    assert!(config.receive(&HeaderMap::new(), None, exactly_at_limit).is_ok());
}

#[test]
fn bad_payloads_are_400_with_the_path() {
    let config = WebhookConfig::new(WebhookAuth::unauthenticated());
    let rejection = config
        .receive(&HeaderMap::new(), None, br#"{"MessageName":"Update","PrimaryEntityId":"42"}"#)
        .unwrap_err();
    assert_eq!(rejection.status(), StatusCode::BAD_REQUEST);
    let WebhookRejection::InvalidPayload(error) = &rejection else { panic!("{rejection:?}") };
    assert_eq!(error.kind(), ParseErrorKind::Data);
    assert_eq!(
        json(&rejection),
        serde_json::json!({
            "error": "invalid_payload",
            "message": "invalid webhook payload at `PrimaryEntityId`: not a GUID (line 1, column 47)",
            "path": "PrimaryEntityId"
        })
    );
    let empty = config.receive(&HeaderMap::new(), None, b"").unwrap_err();
    assert_eq!(
        json(&empty),
        serde_json::json!({"error": "invalid_payload", "message": "invalid webhook payload: the body is empty"})
    );
}

#[test]
fn configs_and_rejections_never_print_the_secret() {
    let secret = "hunter2-but-longer";
    let config = WebhookConfig::new(WebhookAuth::query_string([("token", secret)]).unwrap());
    let shown = format!("{config:?} {config:#?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("HttpQueryString") && shown.contains("token"), "{shown}");

    let rejection = config.receive(&HeaderMap::new(), Some("token=hunter2"), b"{}").unwrap_err();
    for text in [rejection.to_string(), format!("{rejection:?}"), rejection.to_json()] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}

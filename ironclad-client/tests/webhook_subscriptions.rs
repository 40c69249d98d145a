//! Webhook subscriptions and the verification key.

mod common;

use common::{api, client, fixture, fixture_json};
use ironclad_client::webhooks::{NewWebhook, WebhookEvent, WebhookStatus, WebhookUpdate};
use serde_json::json;
use time::macros::datetime;
use wiremock::matchers::{body_json, header_regex, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn create_accepts_200_as_observed_and_201_as_specified() {
    let server = MockServer::start().await;
    for (status, target) in [(200, "https://example.com/a"), (201, "https://example.com/b")] {
        Mock::given(method("POST"))
            .and(path(api("/webhooks")))
            .and(body_json(json!({
                "events": ["workflow_completed", "workflow_attribute_updated"],
                "targetURL": target,
                "headers": {"Authorization": "Bearer receiver-secret"}
            })))
            .respond_with(ResponseTemplate::new(status).set_body_string(fixture("webhook.json")))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    for target in ["https://example.com/a", "https://example.com/b"] {
        let new = NewWebhook::new(
            target,
            [WebhookEvent::WorkflowCompleted, WebhookEvent::WorkflowAttributeUpdated],
        )
        .header("Authorization", "Bearer receiver-secret");
        let webhook = client.webhooks().create(&new).await.unwrap();
        assert_eq!(webhook.id, "6a6b40b128f91b0daeafb068");
        assert_eq!(webhook.events, [WebhookEvent::WorkflowLaunched]);
        assert_eq!(
            webhook.target_url.as_deref(),
            Some("https://example.com/nango-test-webhook-save-20260730")
        );
        assert_eq!(webhook.company_id.as_deref(), Some("68dc3ef957dfe647e41e47df"));
        assert_eq!(webhook.status, Some(WebhookStatus::Enabled));
        assert_eq!(webhook.status_last_updated_at, Some(datetime!(2026-07-30 12:16:49.095 UTC)));
        assert_eq!(webhook.consecutive_failure_count, Some(0));
        assert_eq!(webhook.tags, ["oauth", "authorizationCode"]);
    }
}

#[tokio::test]
async fn only_enabled_or_disabled_is_ever_written() {
    // `disabledBySystem` is read-only: the builders can express only the two writable values.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/webhooks")))
        .and(body_json(json!({
            "events": ["workflow_completed"],
            "targetURL": "https://hooks.example.com/paused",
            "status": "disabled"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("webhook.json")))
        .expect(1)
        .mount(&server)
        .await;
    for (enabled, status) in [(true, "enabled"), (false, "disabled")] {
        Mock::given(method("PATCH"))
            .and(path(api("/webhooks/6a6b40b128f91b0daeafb068")))
            .and(body_json(json!({"status": status})))
            .respond_with(ResponseTemplate::new(200).set_body_string(fixture("webhook.json")))
            .expect(1)
            .mount(&server)
            .await;
        let update = WebhookUpdate::new().enabled(enabled);
        client(&server).webhooks().update("6a6b40b128f91b0daeafb068", &update).await.unwrap();
    }
    let paused =
        NewWebhook::new("https://hooks.example.com/paused", [WebhookEvent::WorkflowCompleted])
            .enabled(false);
    client(&server).webhooks().create(&paused).await.unwrap();
}

#[tokio::test]
async fn duplicate_target_is_an_invalid_param_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/webhooks")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "INVALID_PARAM",
            "message": "webhook already exists for event workflow_completed and target [URL]",
            "param": "tagetURL"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .webhooks()
        .create(&NewWebhook::new("https://example.com/a", [WebhookEvent::WorkflowCompleted]))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&ironclad_client::error::ErrorCode::InvalidParam));
    assert!(error.to_string().contains("webhook already exists"));
}

#[tokio::test]
async fn list_get_update_and_delete() {
    let server = MockServer::start().await;
    // No `count` on this list; a short page ends it.
    Mock::given(method("GET"))
        .and(path(api("/webhooks")))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"page": 0, "pageSize": 20, "list": [fixture_json("webhook.json")]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/6a6b40b128f91b0daeafb068")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("webhook.json")))
        .expect(1)
        .mount(&server)
        .await;
    let mut disabled = fixture_json("webhook.json");
    disabled["status"] = json!("disabledBySystem");
    disabled["consecutiveFailureCount"] = json!(104);
    disabled["firstConsecutiveFailure"] = json!("2026-07-01T00:00:00.000Z");
    Mock::given(method("PATCH"))
        .and(path(api("/webhooks/6a6b40b128f91b0daeafb068")))
        .and(body_json(
            json!({"events": ["*"], "targetURL": "https://example.com/new", "status": "enabled"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(disabled))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(api("/webhooks/6a6b40b128f91b0daeafb068")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.webhooks().list().collect_all().await.unwrap().len(), 1);
    client.webhooks().get("6a6b40b128f91b0daeafb068").await.unwrap();
    let update = WebhookUpdate::new()
        .events([WebhookEvent::All])
        .target_url("https://example.com/new")
        .enabled(true);
    let updated = client.webhooks().update("6a6b40b128f91b0daeafb068", &update).await.unwrap();
    assert_eq!(updated.status, Some(WebhookStatus::DisabledBySystem));
    assert_eq!(updated.consecutive_failure_count, Some(104));
    client.webhooks().delete("6a6b40b128f91b0daeafb068").await.unwrap();
}

#[tokio::test]
async fn the_verification_key_is_served_as_pem() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .and(header_regex("accept", r"^application/x-pem-file, text/plain, \*/\*$"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-pem-file; charset=utf-8")
                .set_body_string(fixture("webhook_verification_key.pem")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let pem = client.webhooks().verification_key_pem().await.unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(client.webhooks().verification_key().await.unwrap().bits(), 2048);
}

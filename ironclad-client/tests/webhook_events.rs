//! Webhook delivery payloads: real captures, the event enum, and the flows' accessors.

mod common;

use common::fixture;
use ironclad_client::{
    webhooks::{WebhookDelivery, WebhookEvent},
    workflows::ApprovalStatus,
};
use time::macros::datetime;

fn delivery(name: &str) -> WebhookDelivery {
    serde_json::from_str(&fixture(name)).unwrap()
}

#[test]
fn documented_and_captured_deliveries_decode() {
    let launched = delivery("delivery_workflow_launched.json");
    assert_eq!(launched.company_id.as_deref(), Some("605b9829cdd37d296123f4b4"));
    assert_eq!(launched.webhook_id.as_deref(), Some("611fb96cb670f852d58db210"));
    assert_eq!(launched.timestamp, Some(datetime!(2022-04-07 21:36:52.776 UTC)));
    assert_eq!(*launched.event(), WebhookEvent::WorkflowLaunched);
    assert_eq!(launched.payload.workflow_id.as_deref(), Some("611fbd699f4a33b41d9f8295"));
    assert_eq!(launched.payload.template_id.as_deref(), Some("6063ac9e01a5542dafa3722b"));
    assert!(launched.payload.extra.is_empty());

    let updated = delivery("delivery_workflow_updated.json");
    assert_eq!(*updated.event(), WebhookEvent::WorkflowUpdated);

    let approval = delivery("delivery_approval_status_changed.json");
    let payload = &approval.payload;
    assert_eq!(*approval.event(), WebhookEvent::WorkflowApprovalStatusChanged);
    assert_eq!(payload.template_id, None, "approval events carry no templateID");
    assert_eq!(payload.approval_id(), Some("approver137e74661e0b40e38e3a52dff067cd0c"));
    assert_eq!(payload.approval_name(), Some("Legal"));
    assert_eq!(payload.approval_status(), Some(ApprovalStatus::Approved));
    assert_eq!(payload.user_id.as_deref(), Some("67520d8a6e3fe48d53795c29"));
    assert_eq!(payload.user_email(), None, "userEmail is sent as an empty string");

    let renamed = delivery("delivery_documents_renamed.json");
    assert_eq!(*renamed.event(), WebhookEvent::WorkflowDocumentsRenamed);
    assert_eq!(renamed.payload.document_keys(), Some(vec!["RQrFu8XdyR"]));

    let completed = delivery("delivery_workflow_completed.json");
    assert_eq!(*completed.event(), WebhookEvent::WorkflowCompleted);
}

#[test]
fn every_documented_event_type_is_known_and_round_trips() {
    // Research §4.1: the 36 values of the first-party WebhookEvent enum.
    let documented = [
        "*",
        "workflow_launched",
        "workflow_updated",
        "workflow_cancelled",
        "workflow_completed",
        "workflow_approval_status_changed",
        "workflow_attribute_updated",
        "workflow_comment_added",
        "workflow_comment_removed",
        "workflow_comment_updated",
        "workflow_comment_reaction_added",
        "workflow_comment_reaction_removed",
        "workflow_counterparty_invite_sent",
        "workflow_counterparty_invite_revoked",
        "workflow_documents_added",
        "workflow_documents_removed",
        "workflow_documents_updated",
        "workflow_documents_renamed",
        "workflow_document_edited",
        "workflow_changed_turn",
        "workflow_paused",
        "workflow_resumed",
        "workflow_signature_packet_cancelled",
        "workflow_signature_packet_document_moved",
        "workflow_signature_packet_fully_signed",
        "workflow_signature_packet_sent",
        "workflow_signature_packet_signatures_collected",
        "workflow_signature_packet_signer_first_viewed",
        "workflow_signature_packet_signer_viewed",
        "workflow_signature_packet_uploaded",
        "workflow_signer_added",
        "workflow_signer_removed",
        "workflow_signer_reassigned",
        "workflow_step_updated",
        "workflow_roles_assigned",
        "record_contract_status_changed",
    ];
    assert_eq!(documented.len(), 36);
    for name in documented {
        let event = WebhookEvent::from(name);
        assert!(event.is_known(), "{name}");
        assert_eq!(event.as_str(), name);
        assert_eq!(serde_json::to_string(&event).unwrap(), format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<WebhookEvent>(&format!("\"{name}\"")).unwrap(), event);
    }
    // The newer ones seen in third-party integrations are known too, and nothing else is.
    assert_eq!(WebhookEvent::KNOWN.len(), 36 + 7);
    for name in ["obligation_created", "obligations_extraction_completed", "workflow_deleted"] {
        assert!(WebhookEvent::from(name).is_known(), "{name}");
    }
}

#[test]
fn new_event_types_are_kept_verbatim() {
    let json = r#"{"companyID":"c","payload":{"event":"workflow_teleported","workflowID":"w","distance":42},"timestamp":"2025-01-01T00:00:00Z","webhookID":"h"}"#;
    let delivery: WebhookDelivery = serde_json::from_str(json).unwrap();
    assert_eq!(*delivery.event(), WebhookEvent::Other("workflow_teleported".into()));
    assert_eq!(delivery.payload.get("distance"), Some(&serde_json::json!(42)));
    // Re-serializing keeps the wire spelling of every field.
    let round: serde_json::Value = serde_json::to_value(&delivery).unwrap();
    assert_eq!(round, serde_json::from_str::<serde_json::Value>(json).unwrap());
}

#[test]
fn attribute_updates_name_the_changed_attributes_when_the_payload_does() {
    // The key is not documented (belief); the flows need `totalContractValue`.
    let with_names = r#"{"companyID":"c","payload":{"event":"workflow_attribute_updated","workflowID":"w","templateID":"t","userID":"u","attributes":["totalContractValue"]},"timestamp":"2025-01-01T00:00:00Z","webhookID":"h"}"#;
    let delivery: WebhookDelivery = serde_json::from_str(with_names).unwrap();
    assert_eq!(
        delivery.payload.changed_attribute_names(),
        Some(vec!["totalContractValue".to_owned()])
    );
    assert_eq!(delivery.payload.attribute_changed("totalContractValue"), Some(true));
    assert_eq!(delivery.payload.attribute_changed("counterpartyName"), Some(false));

    let without = r#"{"companyID":"c","payload":{"event":"workflow_attribute_updated","workflowID":"w","templateID":"t"},"timestamp":"2025-01-01T00:00:00Z","webhookID":"h"}"#;
    let delivery: WebhookDelivery = serde_json::from_str(without).unwrap();
    assert_eq!(delivery.payload.changed_attribute_names(), None);
    assert_eq!(delivery.payload.attribute_changed("totalContractValue"), None);
}

#[test]
fn an_odd_timestamp_does_not_make_a_delivery_undecodable() {
    for timestamp in [r#""yesterday""#, "1733518339625", "null", r#""""#] {
        let json = format!(
            r#"{{"companyID":"c","payload":{{"event":"workflow_completed","workflowID":"w"}},"timestamp":{timestamp},"webhookID":"h"}}"#
        );
        let delivery: WebhookDelivery = serde_json::from_str(&json).unwrap();
        let expected =
            (timestamp == "1733518339625").then_some(datetime!(2024-12-06 20:52:19.625 UTC));
        assert_eq!(delivery.timestamp, expected, "{timestamp}");
    }
}

//! Every response type, served in its real shape with one or more informational fields in an
//! unexpected shape: the response still decodes, the odd fields read as absent, and everything
//! else (ids, exact money, the other fields) is intact.

mod common;

use common::{api, client, fixture_json};
use ironclad_client::webhooks::{TestSigner, verify_delivery};
use ironclad_client::{
    values::{MonetaryAmount, PropertyValue},
    webhooks::WebhookEvent,
    workflows::{ApprovalStatus, StageState},
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server answering `GET {api_path}` with `body`.
async fn serving(api_path: &str, body: &Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(api_path)))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json; charset=utf-8")
                .set_body_json(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_workflow_with_odd_informational_fields_still_decodes() {
    let mut body = fixture_json("workflow.json");
    body["title"] = json!(42);
    body["step"] = json!({"name": "Review"});
    body["creator"] = json!("Jane Doe");
    body["approvals"] = json!("in_progress");
    body["signatures"] = json!({"url": "https://example.com/no-state"});
    body["isRevertibleToReview"] = json!("false");
    body["recordIds"] = json!(null);
    body["roles"] = json!([
        {"displayName": "A role without an id"},
        {"id": "owner", "displayName": ["Owner"], "assignees": {"userName": "not a list"}},
        {"id": "legal", "assignees": [{"userName": "Ann", "email": 7}, "not an assignee"]}
    ]);
    body["schema"]["counterpartyName"]["readOnly"] = json!("yes");
    body["schema"]["colors"]["options"] = json!(["red", "blue"]);
    body["schema"]["brokenField"] = json!({"displayName": "No type"});
    let server = serving("/workflows/IC-7", &body).await;

    let workflow = client(&server).workflows().get("IC-7").await.unwrap();
    assert_eq!(workflow.id, "6a6b328004308879e7d439b6");
    assert_eq!((workflow.title, workflow.step, workflow.creator), (None, None, None));
    assert_eq!((workflow.approvals, workflow.signatures), (None, None));
    assert_eq!(workflow.is_revertible_to_review, None);
    assert!(workflow.record_ids.is_empty());
    let roles: Vec<_> = workflow.roles.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(roles, ["owner", "legal"], "only the role without an id is left out");
    assert_eq!(workflow.roles[0].display_name, None);
    assert!(workflow.roles[0].assignees.is_empty());
    assert_eq!(workflow.roles[1].assignees.len(), 1);
    assert_eq!(workflow.roles[1].assignees[0].user_name.as_deref(), Some("Ann"));
    assert_eq!(workflow.roles[1].assignees[0].email, None);
    // The schema keeps every field that has a type; only the odd members are dropped.
    assert_eq!(workflow.schema["counterpartyName"].read_only, None);
    let colors = workflow.schema["colors"].options.as_ref().unwrap();
    assert_eq!(colors.values, [json!("red"), json!("blue")], "a bare list reads as the values");
    assert_eq!(workflow.schema["draft"].options.as_ref().map(|o| o.values.len()), None);
    assert!(workflow.schema["colors"].element_type().is_some());
    assert!(!workflow.schema.contains_key("brokenField"));
    // What matters is intact: status, attributes, exact money.
    assert_eq!(workflow.status.as_ref().map(|s| s.as_str()), Some("active"));
    assert_eq!(
        workflow.attributes.monetary_amount("totalContractValue"),
        Some(MonetaryAmount::new(Decimal::new(12_345_678_912, 4), "USD"))
    );
}

#[tokio::test]
async fn a_workflow_whose_attributes_or_schema_are_not_objects_still_decodes() {
    let mut body = fixture_json("workflow.json");
    body["attributes"] = json!(["not", "a", "map"]);
    body["schema"] = json!("not a schema");
    let server = serving("/workflows/IC-7", &body).await;
    let workflow = client(&server).workflows().get("IC-7").await.unwrap();
    assert!(workflow.attributes.is_empty());
    assert!(workflow.schema.is_empty());
    assert_eq!(workflow.ironclad_id.as_deref(), Some("IC-7"));
}

#[tokio::test]
async fn a_workflow_schema_with_odd_fields_still_decodes() {
    let schema = json!({
        "id": "5f7a9c1e2b3d4a5f6e7d8c9b",
        "name": "Master Services Agreement",
        "schema": {
            "counterpartyName": {"type": "string", "displayName": "Counterparty Name", "required": "always", "options": {"freeTextAllowed": true}},
            "role3a9d0c7be41f4c2a8d5e6f708192a3b4": {"type": "email", "displayName": "Counterparty Signer Email", "required": {"when": "never"}},
            "region": {"type": "string", "displayName": "Region", "required": "never", "options": "EMEA or AMER"},
            "lineItems": {"type": "array", "displayName": "Line Items", "required": "never", "elementType": {"type": "object", "required": "never", "default": [{}], "schema": {"sku": {"type": "string", "displayName": "SKU", "required": "never"}}}, "default": [{}]},
            "noType": {"displayName": "A field without a type"}
        },
        "permissions": "launch"
    });
    let server = serving("/workflow-schemas/5f7a9c1e2b3d4a5f6e7d8c9b", &schema).await;
    let template =
        client(&server).workflow_schemas().get("5f7a9c1e2b3d4a5f6e7d8c9b").await.unwrap();
    assert_eq!(template.name.as_deref(), Some("Master Services Agreement"));
    assert!(template.permissions.is_empty());
    assert_eq!(template.schema.len(), 4, "only the field without a type is left out");
    assert_eq!(template.schema["role3a9d0c7be41f4c2a8d5e6f708192a3b4"].required, None);
    assert!(template.schema["region"].options.is_none());
    let row = template.schema["lineItems"].element_type().unwrap();
    assert_eq!(row.schema["sku"].display_name.as_deref(), Some("SKU"));
}

#[tokio::test]
async fn approvals_with_odd_fields_still_decode() {
    let mut body = fixture_json("approvals.json");
    body["approvalGroups"][0]["order"] = json!("1");
    body["approvalGroups"][0]["reviewers"][0]["status"] = json!({"value": "pending"});
    body["approvalGroups"][0]["reviewers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "approver0c1d", "displayName": "Finance", "status": "approved"}));
    body["roles"] = json!(null);
    let server = serving("/workflows/w1/approvals", &body).await;
    let approvals = client(&server).workflows().approvals("w1").await.unwrap();
    assert_eq!(approvals.approval_groups[0].order, None);
    let statuses: Vec<_> = approvals.reviewers().map(|r| r.status.clone()).collect();
    assert_eq!(statuses, [None, Some(ApprovalStatus::Approved)]);
    assert!(approvals.roles.is_empty());
    assert_eq!(approvals.workflow_id.as_deref(), Some("6a6b4091ef38863a01482499"));
}

#[tokio::test]
async fn approval_request_history_with_odd_fields_still_decodes() {
    let mut body = fixture_json("approval_requests_page.json");
    body["list"][0]["duration"] = json!("270000");
    body["list"][0]["actorType"] = json!({"kind": "User"});
    let server = serving("/workflows/w1/approval-requests", &body).await;
    let history = client(&server).workflows().approval_requests("w1").collect_all().await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].duration, history[0].actor_type.as_deref()), (None, None));
    assert_eq!(history[0].status, Some(ApprovalStatus::Approved));
}

#[tokio::test]
async fn comments_and_participants_with_odd_fields_still_decode() {
    let mut comment = fixture_json("comment.json");
    comment["author"] = json!("Kim");
    comment["reactions"] = json!({"thumbsUp": 2});
    comment["commentMessage"] = json!(["Synced"]);
    let page = json!({"page": 0, "pageSize": 20, "count": 1, "list": [comment]});
    let server = serving("/workflows/w1/comments", &page).await;
    let comments = client(&server).workflows().comments("w1").collect_all().await.unwrap();
    assert_eq!(comments[0].id, "019fb2f0-85c3-71b3-af16-800849855019");
    assert_eq!((&comments[0].author, &comments[0].comment_message), (&None, &None));
    assert!(comments[0].reactions.is_empty());

    let mut participants = fixture_json("participants_page.json");
    participants["list"][0]["email"] = json!(false);
    let server = serving("/workflows/w1/participants", &participants).await;
    let people = client(&server).workflows().participants("w1", None).collect_all().await.unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0].email, None);
    assert_eq!(people[1].email.as_deref(), Some("legal@example.com"));
}

#[tokio::test]
async fn documents_with_odd_fields_still_decode() {
    let mut body = fixture_json("documents.json");
    body["signaturePacketDocuments"][0]["versionNumber"] = json!("2");
    body["signaturePacketDocuments"][0]["lastModified"] = json!("yesterday");
    body["excludedFromSignaturePacketDocuments"] = json!({"unexpected": true});
    let server = serving("/workflows/w1/documents", &body).await;
    let documents = client(&server).workflows().documents("w1").await.unwrap();
    let signed = &documents.signature_packet_documents[0];
    assert_eq!(signed.key.as_deref(), Some("F7IYVm-59VHKoqCLLuiFd"));
    assert_eq!((signed.version_number, &signed.last_modified), (None, &None));
    assert!(documents.excluded_from_signature_packet_documents.is_empty());
}

#[tokio::test]
async fn signatures_and_sign_status_with_odd_fields_still_decode() {
    let mut signatures = fixture_json("signatures.json");
    signatures["signers"][0]["signatureStatus"] = json!("pending");
    signatures["signers"][0]["routingOrder"] = json!("0");
    let server = serving("/workflows/w1/signatures", &signatures).await;
    let read = client(&server).workflows().signatures("w1").await.unwrap();
    assert_eq!(read.signers[0].status(), None);
    assert_eq!(read.signers[0].routing_order, None);
    assert_eq!(read.signers[0].email.as_deref(), Some("counterparty@example.com"));

    let mut status = fixture_json("sign_status.json");
    status["signers"][1]["isWetSigned"] = json!("no");
    status["requireSignedDocumentUpload"] = json!(0);
    status["signers"].as_array_mut().unwrap().push(json!("a signer that is not an object"));
    let server = serving("/workflows/w1/sign-status", &status).await;
    let read = client(&server).workflows().sign_status("w1").await.unwrap();
    assert_eq!(read.signers.len(), 2);
    assert_eq!(read.signers[1].is_wet_signed, None);
    assert_eq!(read.require_signed_document_upload, None);
    assert_eq!(read.provider.as_deref(), Some("Ironclad Signature"));
}

#[tokio::test]
async fn an_async_launch_job_with_odd_fields_still_decodes() {
    let mut job = fixture_json("async_failed.json");
    job["error"]["param"] = json!(["counterpartyName"]);
    job["workflowUrls"] = json!("https://ironcladapp.com/workflow/x");
    let server = serving("/workflows/async/02ZZsOt_eB9EfIE4luV5f", &job).await;
    let read =
        client(&server).workflows().async_launch_status("02ZZsOt_eB9EfIE4luV5f").await.unwrap();
    let failure = read.error.unwrap();
    assert_eq!(failure.param, None);
    assert_eq!(failure.message.as_deref(), Some("missing required attribute"));
    assert_eq!(read.workflow_urls, None);
}

#[tokio::test]
async fn a_record_with_odd_fields_still_decodes_and_keeps_exact_money() {
    let mut body = fixture_json("record.json");
    body["attachments"]["draftCopy"] = json!("not an attachment");
    body["links"] =
        json!([{"recordId": "3f1c0a52-8a4e-4d7e-9b7c-2f0e6d5a4b3c"}, {"id": "no recordId"}]);
    body["contractStatus"] = json!("active");
    body["childIds"] = json!(null);
    body["parentLinkType"] = json!({"type": "amendment"});
    body["properties"]["contractValue"]["value"]["amount"] = json!(1234567.8912);
    let server = serving("/records/IC-31", &body).await;
    let record = client(&server).records().get("IC-31").await.unwrap();
    assert_eq!(record.id, "1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51");
    assert_eq!(record.attachments.len(), 1, "the odd attachment entry is left out");
    assert!(record.attachment("signedCopy").is_some());
    assert_eq!(record.links.len(), 1);
    assert_eq!((&record.contract_status, &record.parent_link_type), (&None, &None));
    assert!(record.child_ids.is_empty());
    assert_eq!(
        record.property("contractValue"),
        Some(&PropertyValue::MonetaryAmount(MonetaryAmount::new(
            Decimal::new(12_345_678_912, 4),
            "USD"
        )))
    );
}

#[tokio::test]
async fn records_metadata_with_odd_fields_still_decodes() {
    let mut body = fixture_json("records_metadata.json");
    body["properties"]["term"]["tags"] = json!("purpose:initialTermLength");
    body["properties"]["term"]["visible"] = json!("true");
    body["properties"]["counterpartyName"]["displayName"] = json!({"en": "Counterparty"});
    body["properties"]["noType"] = json!({"displayName": "No type"});
    body["properties"]["standard_riskTier"]["ironcladType"] = json!({"typeName": "enum"});
    body["properties"]["workflowLink"]["ironcladType"] = json!(12);
    body["recordTypes"]["mSA"]["description"] = json!(["not", "text"]);
    let server = serving("/records/metadata", &body).await;
    let metadata = client(&server).records().metadata().await.unwrap();
    assert_eq!(metadata.properties.len(), 9, "only the definition without a type is left out");
    assert!(metadata.properties["term"].tags.is_empty());
    assert_eq!(metadata.properties["term"].visible, None);
    assert_eq!(metadata.properties["counterpartyName"].display_name, None);
    // Shapes the crate does not model are kept as sent.
    let risk = metadata.properties["standard_riskTier"].ironclad_type.as_ref().unwrap();
    assert_eq!(risk.type_name(), Some("enum"));
    assert!(
        matches!(risk, ironclad_client::records::IroncladType::Other(raw) if raw == &json!({"typeName": "enum"}))
    );
    assert!(matches!(
        &metadata.properties["workflowLink"].ironclad_type,
        Some(ironclad_client::records::IroncladType::Other(raw)) if raw == &json!(12)
    ));
    assert_eq!(metadata.record_types["mSA"].description, None);
    assert_eq!(metadata.record_types["mSA"].display_name.as_deref(), Some("MSA"));
}

#[tokio::test]
async fn a_webhook_subscription_with_odd_fields_still_decodes() {
    let mut body = fixture_json("webhook.json");
    body["events"] = json!(["workflow_completed", {"name": "workflow_launched"}]);
    body["consecutiveFailureCount"] = json!("3");
    body["tags"] = json!(null);
    body["status"] = json!({"value": "enabled"});
    let server = serving("/webhooks/6a6b40b128f91b0daeafb068", &body).await;
    let webhook = client(&server).webhooks().get("6a6b40b128f91b0daeafb068").await.unwrap();
    assert_eq!(webhook.events, [WebhookEvent::WorkflowCompleted]);
    assert_eq!((webhook.consecutive_failure_count, &webhook.status), (None, &None));
    assert!(webhook.tags.is_empty());
    assert_eq!(
        webhook.target_url.as_deref(),
        Some("https://example.com/nango-test-webhook-save-20260730")
    );
}

#[test]
fn a_signed_delivery_with_odd_informational_fields_still_parses() {
    let signer = TestSigner::from_pem(&common::fixture("webhook_signing_key.pem")).unwrap();
    let body = br#"{"companyID":{"id":"c1"},"payload":{"event":"workflow_completed","workflowID":"67535b8446f877a720c22b29","templateID":17,"userID":["u"]},"timestamp":"2024-12-07T09:12:44.019Z","webhookID":404}"#;
    let headers = signer.sign("webhookEvent5d1e", body);
    let delivery =
        verify_delivery(&signer.verification_key(), &headers.event_id, &headers.verification, body)
            .unwrap();
    assert_eq!(delivery.payload.event, WebhookEvent::WorkflowCompleted);
    assert_eq!(delivery.payload.workflow_id.as_deref(), Some("67535b8446f877a720c22b29"));
    assert_eq!((&delivery.company_id, &delivery.webhook_id), (&None, &None));
    assert_eq!((&delivery.payload.template_id, &delivery.payload.user_id), (&None, &None));
}

#[test]
fn stage_progress_without_a_known_state_keeps_the_other_stage() {
    let mut body = fixture_json("workflow.json");
    body["approvals"] = json!({"state": "in_progress"});
    body["signatures"] = json!([]);
    let workflow: ironclad_client::workflows::Workflow = serde_json::from_value(body).unwrap();
    assert_eq!(workflow.approvals.map(|a| a.state), Some(StageState::InProgress));
    assert_eq!(workflow.signatures, None);
}

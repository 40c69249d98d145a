//! Sign-step actions: the signature request, signers, recipient URLs and signed uploads.

mod common;

use common::{api, client, fixture};
use ironclad_client::{
    Error,
    workflows::{Recipient, ScheduledSend, ScheduledSendUpdate, SignerAssignment},
};
use serde_json::json;
use time::macros::datetime;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WORKFLOW: &str = "6a6b328004308879e7d439b6";

fn sign_status_path(rest: &str) -> String {
    api(&format!("/workflows/{WORKFLOW}/sign-status{rest}"))
}

fn status_response() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(fixture("sign_status_scheduled.json"))
}

#[tokio::test]
async fn the_signature_request_is_sent_cancelled_and_scheduled_with_the_documented_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(sign_status_path("/send-signature-request")))
        .respond_with(status_response())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(sign_status_path("/cancel-signature-request")))
        .and(body_json(json!({"reason": "Need to make changes"})))
        .respond_with(status_response())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(sign_status_path("/scheduled-send")))
        .and(body_json(json!({"notifyAt": "2026-09-01T12:00:00Z", "reminder": {"daysBefore": 2}})))
        .respond_with(status_response())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(sign_status_path("/scheduled-send")))
        .and(body_json(json!({"notifyAt": "2026-09-02T08:30:00Z", "reminder": null})))
        .respond_with(status_response())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(sign_status_path("/scheduled-send")))
        .respond_with(status_response())
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let workflows = client.workflows();
    let sent = workflows.send_signature_request(WORKFLOW).await.unwrap();
    assert_eq!(sent.provider.as_deref(), Some("Ironclad Signature"));
    assert_eq!(sent.signers[1].user_id.as_deref(), Some("68dc41166622f04ca177be37"));
    workflows.cancel_signature_request(WORKFLOW, "Need to make changes").await.unwrap();
    let schedule =
        ScheduledSend::at(datetime!(2026-09-01 12:00 UTC)).remind_days_before(2).unwrap();
    let scheduled = workflows.schedule_signature_request(WORKFLOW, &schedule).await.unwrap();
    let when = scheduled.scheduled_send.unwrap();
    assert_eq!(when.notify_at, Some(datetime!(2026-09-01 12:00 UTC)));
    let reminder = when.reminder.unwrap();
    assert_eq!(reminder.days_before, Some(2));
    assert_eq!(reminder.reminder_date, Some(datetime!(2026-08-30 12:00 UTC)));
    let update =
        ScheduledSendUpdate::new().notify_at(datetime!(2026-09-02 08:30 UTC)).remove_reminder();
    workflows.update_scheduled_signature_request(WORKFLOW, &update).await.unwrap();
    workflows.delete_scheduled_signature_request(WORKFLOW).await.unwrap();
}

#[tokio::test]
async fn sign_step_writes_reject_what_ironclad_would_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server);
    let workflows = client.workflows();
    let errors = [
        workflows.cancel_signature_request(WORKFLOW, "  ").await.unwrap_err(),
        workflows
            .update_scheduled_signature_request(WORKFLOW, &ScheduledSendUpdate::new())
            .await
            .unwrap_err(),
        workflows
            .update_signer(WORKFLOW, "Counterparty Signer", &SignerAssignment::internal("", "u1"))
            .await
            .unwrap_err(),
        workflows.remind_signer(WORKFLOW, "").await.unwrap_err(),
        workflows
            .embedded_signer_url(WORKFLOW, "Counterparty Signer", "https://*.example.com", false)
            .await
            .unwrap_err(),
        workflows
            .upload_signed(WORKFLOW, "signed.pdf", b"%PDF".to_vec(), &[" ".to_owned()])
            .await
            .unwrap_err(),
        workflows.upload_signed(WORKFLOW, "", b"%PDF".to_vec(), &[]).await.unwrap_err(),
    ];
    for error in errors {
        assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    }
    for days in [0, 8] {
        let schedule = ScheduledSend::at(datetime!(2026-09-01 12:00 UTC)).remind_days_before(days);
        assert!(matches!(schedule, Err(Error::InvalidRequest(_))), "{days}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn signers_are_reassigned_removed_and_reminded_by_encoded_role_name() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(sign_status_path("/signers/Counterparty%20Signer")))
        .and(body_json(json!({
            "reason": "New signer at Acme",
            "assigned": {"type": "external", "email": "jane@acme.example", "name": "Jane Doe"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "Jane Doe", "email": "jane@acme.example", "roleName": "Counterparty Signer",
            "status": "pending", "type": "external", "routingOrder": -1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(sign_status_path("/signers/Counterparty%20Signer")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(sign_status_path("/signers/Counterparty%20Signer/remind")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let workflows = client.workflows();
    let assignment =
        SignerAssignment::external("New signer at Acme", "Jane Doe", "jane@acme.example");
    let signer =
        workflows.update_signer(WORKFLOW, "Counterparty Signer", &assignment).await.unwrap();
    assert_eq!(signer.email.as_deref(), Some("jane@acme.example"));
    // A signer who signed on paper has routing order -1.
    assert_eq!(signer.routing_order, Some(-1));
    workflows.remove_signer(WORKFLOW, "Counterparty Signer").await.unwrap();
    workflows.remind_signer(WORKFLOW, "Counterparty Signer").await.unwrap();
}

#[tokio::test]
async fn recipient_urls_for_a_signer_a_viewer_and_an_embedded_signer() {
    let server = MockServer::start().await;
    let url = "https://na1.ironcladapp.com/sign?r=5e51f2b9&s=b2a303cd";
    for body in [
        json!({"type": "signer", "roleName": "Counterparty Signer"}),
        json!({"type": "viewer", "email": "cc@acme.example"}),
    ] {
        Mock::given(method("POST"))
            .and(path(api(&format!("/workflows/{WORKFLOW}/signatures/recipient-urls"))))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"url": url})))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/signatures/recipient-urls/embedded"))))
        .and(body_json(json!({
            "type": "signer", "roleName": "Counterparty Signer",
            "frameAncestor": "https://portal.example.com", "allowMultipleUsages": true
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"url": url})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let workflows = client.workflows();
    let signer = Recipient::Signer { role_name: "Counterparty Signer".into() };
    assert_eq!(workflows.recipient_url(WORKFLOW, &signer).await.unwrap(), url);
    let viewer = Recipient::Viewer { email: "cc@acme.example".into() };
    assert_eq!(workflows.recipient_url(WORKFLOW, &viewer).await.unwrap(), url);
    let embedded = workflows
        .embedded_signer_url(WORKFLOW, "Counterparty Signer", "https://portal.example.com", true)
        .await
        .unwrap();
    assert_eq!(embedded, url);
}

#[tokio::test]
async fn a_recipient_url_answer_that_does_not_decode_keeps_the_url_out_of_the_error() {
    let server = MockServer::start().await;
    // An unexpected shape: the URL under another name, so `url` is missing.
    Mock::given(method("POST"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/signatures/recipient-urls"))))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "recipientUrl": "https://na1.ironcladapp.com/sign?r=5e51f2b9&s=SIGNATURE-SECRET"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let signer = Recipient::Signer { role_name: "Counterparty Signer".into() };
    let error = client.workflows().recipient_url(WORKFLOW, &signer).await.unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("SIGNATURE-SECRET"), "the signed URL leaked: {shown}");
    }
    assert!(format!("{error:?}").contains("withheld"), "{error:?}");
}

#[tokio::test]
async fn signed_uploads_send_metadata_only_for_a_partial_copy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/upload-signed"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "workflowId": WORKFLOW,
            "title": "MSA with Acme",
            "signed": {"key": "s1GnEd", "filename": "MSA - signed.pdf", "version": "v1", "versionNumber": 1,
                       "download": format!("/public/api/v1/workflows/{WORKFLOW}/document/s1GnEd/download")}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/upload-signed"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "workflowId": WORKFLOW,
            "signers": [{"name": "Dana Buyer", "roleName": "Counterparty Signer", "signatureStatus": {"status": "signed"}}],
            "partiallySigned": {"key": "pArT1al", "filename": "MSA - partial.pdf"}
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let full = client
        .workflows()
        .upload_signed(WORKFLOW, "MSA - signed.pdf", b"%PDF-1.7 full".to_vec(), &[])
        .await
        .unwrap();
    assert_eq!(full.signed.unwrap().key.as_deref(), Some("s1GnEd"));
    let roles = ["Counterparty Signer".to_owned()];
    let partial = client
        .workflows()
        .upload_signed(WORKFLOW, "MSA - partial.pdf", b"%PDF-1.7 partial".to_vec(), &roles)
        .await
        .unwrap();
    assert_eq!(partial.partially_signed.unwrap().key.as_deref(), Some("pArT1al"));
    assert_eq!(partial.signers[0].status(), Some("signed"));

    let requests = server.received_requests().await.unwrap();
    let full_body = String::from_utf8_lossy(&requests[0].body).into_owned();
    assert!(full_body.contains(r#"name="attachment"; filename="MSA - signed.pdf""#), "{full_body}");
    assert!(
        full_body.to_ascii_lowercase().contains("content-type: application/pdf"),
        "{full_body}"
    );
    // A fully signed copy carries no metadata part at all.
    assert!(!full_body.contains(r#"name="metadata""#), "{full_body}");
    let partial_body = String::from_utf8_lossy(&requests[1].body).into_owned();
    assert!(
        partial_body.contains(r#"name="metadata""#)
            && partial_body.contains(r#"{"signerRoleNames":["Counterparty Signer"]}"#),
        "{partial_body}"
    );
}

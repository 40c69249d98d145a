//! Approvals, comments, participants, documents and signatures of a workflow.

mod common;

use std::time::Duration;

use common::{api, client, fixture, fixture_json};
use futures_util::StreamExt;
use ironclad_client::{
    auth::UserRef,
    workflows::{
        ApprovalDecision, ApprovalRequestType, ApprovalRequestsQuery, ApprovalStatus,
        DocumentUpload, EmailDirection, LifecycleComment, NewComment,
    },
};
use serde_json::json;
use time::macros::datetime;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WORKFLOW: &str = "6a6b4091ef38863a01482499";
const ROLE: &str = "approver137e74661e0b40e38e3a52dff067cd0c";

#[tokio::test]
async fn approvals_decode_groups_reviewers_and_roles() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/approvals"))))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("approvals.json")))
        .expect(1)
        .mount(&server)
        .await;
    let approvals = client(&server).workflows().approvals(WORKFLOW).await.unwrap();
    assert_eq!(approvals.workflow_id.as_deref(), Some(WORKFLOW));
    let reviewer = approvals.reviewers().next().unwrap();
    assert_eq!(reviewer.role.as_deref(), Some(ROLE));
    assert_eq!(reviewer.display_name.as_deref(), Some("Legal"));
    assert_eq!(reviewer.status, Some(ApprovalStatus::Pending));
    assert_eq!(approvals.approval_groups[0].order, Some(1));
    let role = approvals.role(ROLE).unwrap();
    assert_eq!(role.assignees[0].email.as_deref(), Some("kelvin@nango.dev"));
}

#[tokio::test]
async fn set_approval_sends_status_and_user_and_accepts_a_boolean_body() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/approvals/{ROLE}"))))
        .and(body_json(
            json!({"status": "approved", "user": {"type": "email", "email": "legal@example.com"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("true"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/approvals/{ROLE}"))))
        .and(body_json(json!({"status": "pending"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("true"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let approve = ApprovalDecision::approve().user_email("legal@example.com");
    client.workflows().set_approval(WORKFLOW, ROLE, &approve).await.unwrap();
    client.workflows().set_approval(WORKFLOW, ROLE, &ApprovalDecision::reset()).await.unwrap();
}

#[tokio::test]
async fn approval_requests_are_paged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/approval-requests"))))
        .and(query_param("page", "0"))
        .and(query_param_is_missing("actorDetails"))
        .and(query_param_is_missing("requestType"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("approval_requests_page.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let requests =
        client(&server).workflows().approval_requests(WORKFLOW).collect_all().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].status,
        Some(ApprovalStatus::Approved),
        "\"Approved\" matches case-insensitively"
    );
    assert_eq!(requests[0].role_name.as_deref(), Some("Legal"));
    assert_eq!(requests[0].end_time, Some(datetime!(2026-07-30 12:05:40 UTC)));
}

#[tokio::test]
async fn comments_are_listed_read_and_posted() {
    let server = MockServer::start().await;
    let comment = fixture_json("comment.json");
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/comments"))))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"page": 0, "pageSize": 20, "count": 1, "list": [comment.clone()]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!(
            "/workflows/{WORKFLOW}/comments/019fb2f0-85c3-71b3-af16-800849855019"
        ))))
        .respond_with(ResponseTemplate::new(200).set_body_json(&comment))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/comments"))))
        .and(body_json(json!({
            "comment": "Synced from Dynamics; see <@kelvin@nango.dev>",
            "addUsersToWorkflow": false,
            "creator": {"type": "email", "email": "integration@example.com"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(&comment))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let mut comments = client.workflows().comments(WORKFLOW);
    let first = comments.next().await.unwrap().unwrap();
    assert_eq!(
        first.comment_message.as_deref(),
        Some("Synced from Dynamics; see <@kelvin@nango.dev>")
    );
    assert!(comments.next().await.is_none());
    let one =
        client.workflows().comment(WORKFLOW, "019fb2f0-85c3-71b3-af16-800849855019").await.unwrap();
    assert_eq!(one.author.and_then(|a| a.id).as_deref(), Some("68dc41166622f04ca177be37"));
    let posted = client
        .workflows()
        .add_comment(
            WORKFLOW,
            &NewComment::new("Synced from Dynamics; see <@kelvin@nango.dev>")
                .add_users_to_workflow(false)
                .creator(UserRef::email("integration@example.com")),
        )
        .await
        .unwrap();
    assert_eq!(posted.id, "019fb2f0-85c3-71b3-af16-800849855019");
}

#[tokio::test]
async fn participants_filter_by_email() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/participants"))))
        .and(query_param("page", "0"))
        .and(query_param("email", "legal@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("participants_page.json")))
        .expect(1)
        .mount(&server)
        .await;
    let people = client(&server)
        .workflows()
        .participants(WORKFLOW, Some("legal@example.com"))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[1].email.as_deref(), Some("legal@example.com"));
}

#[tokio::test]
async fn signatures_and_sign_status_decode() {
    let server = MockServer::start().await;
    for (resource, file) in [("signatures", "signatures.json"), ("sign-status", "sign_status.json")]
    {
        Mock::given(method("GET"))
            .and(path(api(&format!("/workflows/{WORKFLOW}/{resource}"))))
            .respond_with(ResponseTemplate::new(200).set_body_string(fixture(file)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let signatures = client.workflows().signatures(WORKFLOW).await.unwrap();
    assert_eq!(signatures.signers[0].role_name.as_deref(), Some("Counterparty Signer"));
    assert_eq!(signatures.signers[0].status(), Some("pending"));
    assert_eq!(signatures.routing.as_deref(), Some("sequential"));
    let status = client.workflows().sign_status(WORKFLOW).await.unwrap();
    assert_eq!(status.status.as_deref(), Some("not_sent"));
    assert_eq!(status.provider.as_deref(), Some("Ironclad Signature"));
    assert_eq!(status.signers[1].signer_type.as_deref(), Some("internal"));
    assert_eq!(status.signers[1].user_id.as_deref(), Some("68dc41166622f04ca177be37"));
}

#[tokio::test]
async fn documents_list_and_stream_with_the_metadata_file_name() {
    let server = MockServer::start().await;
    let workflow = "6a6b328004308879e7d439b6";
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{workflow}/documents"))))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("documents.json")))
        .expect(1)
        .mount(&server)
        .await;
    let pdf: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    // As recorded: `content-disposition: attachment` with no file name, no content type.
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{workflow}/document/F7IYVm-59VHKoqCLLuiFd/download"))))
        .and(header("accept", "*/*"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-disposition", "attachment")
                .set_body_bytes(pdf.clone()),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let documents = client.workflows().documents(workflow).await.unwrap();
    let document = documents.all().next().unwrap().clone();
    assert_eq!(
        document
            .last_modified
            .as_ref()
            .and_then(|m| m.author.as_ref())
            .and_then(|a| a.author_type.as_deref()),
        Some("system")
    );

    let download = client.workflows().download_document(workflow, &document).await.unwrap();
    assert_eq!(download.file_name(), Some("MSA - Acme LLC (signed).pdf"));
    let mut stream = download.into_stream();
    let mut received = Vec::new();
    while let Some(chunk) = stream.next().await {
        received.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(received, pdf);

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("signed.pdf");
    let by_key = client
        .workflows()
        .download_document_by_key(workflow, "F7IYVm-59VHKoqCLLuiFd")
        .await
        .unwrap();
    assert_eq!(by_key.file_name(), None, "the header carries no file name");
    assert_eq!(by_key.save_to(&target).await.unwrap(), pdf.len() as u64);
    assert_eq!(std::fs::read(&target).unwrap(), pdf);
    assert!(!dir.path().join("signed.pdf.part").exists());
}

#[tokio::test]
async fn a_broken_download_leaves_no_file_behind() {
    use std::io::Write as _;
    use std::net::TcpListener;
    // A server that promises 1 MiB and hangs up after 10 bytes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut socket, _)) = listener.accept() {
            let mut buffer = [0u8; 4096];
            let _ = std::io::Read::read(&mut socket, &mut buffer);
            let _ =
                socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n0123456789");
        }
    });
    let client = ironclad_client::Client::builder()
        .base_url(format!("http://{address}"))
        .credential(ironclad_client::auth::Credentials::api_token("t"))
        .build()
        .unwrap();
    let download = client.records().download_attachment_by_key("IC-1", "signedCopy").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.pdf");
    let error = download.save_to(&target).await.unwrap_err();
    assert!(matches!(error, ironclad_client::Error::Transport { .. }), "{error}");
    assert!(!target.exists());
    assert!(!dir.path().join("copy.pdf.part").exists());
}

/// A server that sends a response head and `first` bytes of the promised body, then keeps the
/// connection open without sending more (until the test ends).
fn stalling_server(first: &'static [u8]) -> std::net::SocketAddr {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut socket, _)) = listener.accept() {
            let mut buffer = [0u8; 4096];
            let _ = std::io::Read::read(&mut socket, &mut buffer);
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n");
            let _ = socket.write_all(first);
            std::thread::sleep(Duration::from_secs(30));
        }
    });
    address
}

#[tokio::test]
async fn a_stalled_download_fails_with_a_timeout_instead_of_hanging() {
    let address = stalling_server(b"0123456789");
    let client = ironclad_client::Client::builder()
        .base_url(format!("http://{address}"))
        .credential(ironclad_client::auth::Credentials::api_token("t"))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let download = client.records().download_attachment_by_key("IC-1", "signedCopy").await.unwrap();
    let mut stream = download.into_stream();
    assert_eq!(&stream.next().await.unwrap().unwrap()[..], b"0123456789");
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(
        matches!(error, ironclad_client::Error::Timeout(limit) if limit == Duration::from_millis(300)),
        "{error}"
    );
    assert!(error.is_timeout() && error.is_retryable(), "{error}");
    assert!(stream.next().await.is_none(), "the stream ends after the timeout");
}

#[tokio::test]
async fn a_download_whose_answer_never_comes_times_out_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/records/IC-1/attachments/signedCopy")))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(2)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .timeout(Duration::from_millis(200))
        .retry_policy(
            ironclad_client::config::RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let error =
        client.records().download_attachment_by_key("IC-1", "signedCopy").await.unwrap_err();
    assert!(matches!(error, ironclad_client::Error::Timeout(_)), "{error}");
    assert!(error.is_timeout(), "{error}");
}

#[tokio::test]
async fn a_paged_list_with_an_empty_workflow_id_fails_once_without_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    let mut comments = client.workflows().comments(" ");
    let error = comments.next().await.unwrap().unwrap_err();
    assert!(matches!(error, ironclad_client::Error::InvalidRequest(_)), "{error}");
    assert!(comments.next().await.is_none(), "the stream ends after the error");
}

#[tokio::test]
async fn the_signed_copy_of_a_completed_workflow_is_one_document_and_downloads() {
    let server = MockServer::start().await;
    let workflow_id = "6a6b328004308879e7d439b6";
    // `signed` and `partiallySigned` have schema type `document` (one object), while `draft`
    // is an `array` of `document`.
    let mut workflow = fixture_json("workflow.json");
    workflow["step"] = json!("Complete");
    workflow["status"] = json!("completed");
    workflow["schema"]["signed"] =
        json!({"type": "document", "displayName": "Signed PDF", "readOnly": true});
    workflow["schema"]["partiallySigned"] = json!({"type": "document", "displayName": "Partially Signed Signature Packet", "readOnly": true});
    workflow["attributes"]["signed"] = json!({
        "version": "Vq7Rk2mZp9Xc4Lw1Ha0Nt",
        "versionNumber": 1,
        "filename": "MSA - Northwind Traders (signed).pdf",
        "key": "Sg4xPq-81LmWcT0bJuZrE",
        "download": format!("/public/api/v1/workflows/{workflow_id}/document/Sg4xPq-81LmWcT0bJuZrE/download"),
        "lastModified": {"timestamp": "2026-08-02T09:14:05.318Z", "author": {"type": "system", "displayName": "Ironclad"}}
    });
    workflow["attributes"]["partiallySigned"] = json!({"filename": "MSA - Northwind Traders (partially signed).pdf", "key": "Ps0aB-77QxYtM2dKc9LuV"});
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{workflow_id}"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(workflow))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!(
            "/workflows/{workflow_id}/document/Sg4xPq-81LmWcT0bJuZrE/download"
        ))))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-disposition", "attachment")
                .set_body_bytes(b"%PDF-1.7 signed".to_vec()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let workflow = client.workflows().get(workflow_id).await.unwrap();
    let signed = workflow.attributes.documents("signed").unwrap();
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].key.as_deref(), Some("Sg4xPq-81LmWcT0bJuZrE"));
    assert_eq!(signed[0].version_number, Some(1));
    let partial = workflow.attributes.documents("partiallySigned").unwrap();
    assert_eq!(
        partial[0].filename.as_deref(),
        Some("MSA - Northwind Traders (partially signed).pdf")
    );
    // The list form still reads.
    assert_eq!(workflow.attributes.documents("draft").unwrap().len(), 1);

    let download = client.workflows().download_document(&workflow.id, &signed[0]).await.unwrap();
    assert_eq!(download.file_name(), Some("MSA - Northwind Traders (signed).pdf"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF-1.7 signed");
}

#[tokio::test]
async fn turn_history_is_paged_and_tolerates_odd_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/turn-history"))))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("turn_history_page.json")))
        .expect(1)
        .mount(&server)
        .await;
    let turns = client(&server).workflows().turn_history(WORKFLOW).collect_all().await.unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0].turn_number, Some(1));
    assert_eq!(turns[0].turn_party.as_deref(), Some("internal"));
    assert_eq!(turns[0].turn_location.as_deref(), Some("manual change"));
    assert_eq!(turns[0].turn_start_time, Some(datetime!(2026-07-30 12:01:10 UTC)));
    assert_eq!(turns[0].turn_end_time, Some(datetime!(2026-07-31 09:15:00.250 UTC)));
    assert_eq!(turns[0].turn_user_email.as_deref(), Some("kelvin@example.com"));
    // The current turn has no end, and an informational field of another shape is dropped.
    assert_eq!(turns[1].turn_party.as_deref(), Some("counterparty"));
    assert_eq!(turns[1].turn_end_time, None);
    assert_eq!(turns[1].turn_location, None);
}

#[tokio::test]
async fn approval_requests_with_actor_details_and_request_type() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/approval-requests"))))
        .and(query_param("page", "0"))
        .and(query_param("actorDetails", "true"))
        .and(query_param("requestType", "role"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page": 0, "pageSize": 20, "count": 1,
            "list": [{
                "startTime": "2026-07-30T12:01:10.000Z",
                "status": "Workflow Paused",
                "actorId": "68dc41166622f04ca177be37",
                "actorType": "User",
                "actorDetails": {"userName": "Kelvin Legal", "userEmail": "kelvin@example.com"},
                "role": ROLE,
                "roleName": "Legal",
                "aggregateDuration": 1500
            }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let query =
        ApprovalRequestsQuery::new().actor_details(true).request_type(ApprovalRequestType::Role);
    let requests = client(&server)
        .workflows()
        .approval_requests_with(WORKFLOW, &query)
        .collect_all()
        .await
        .unwrap();
    let actor = requests[0].actor_details.as_ref().unwrap();
    assert_eq!(actor.user_name.as_deref(), Some("Kelvin Legal"));
    assert_eq!(actor.user_email.as_deref(), Some("kelvin@example.com"));
    assert_eq!(requests[0].aggregate_duration, Some(1500.0));
    assert_eq!(requests[0].status, Some(ApprovalStatus::Other("Workflow Paused".into())));
}

#[tokio::test]
async fn emails_decode_inbound_and_outbound_and_an_attachment_streams() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/emails"))))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("emails_page.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/emails/emailThread7f3a0c1e"))))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("emails_page.json")["list"][0].clone()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!(
            "/workflows/{WORKFLOW}/emails/emailThread7f3a0c1e/attachments/attachmentId5c2e"
        ))))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"PK\x03\x04 docx".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let emails = client.workflows().emails(WORKFLOW).collect_all().await.unwrap();
    assert_eq!(emails.len(), 2);
    let inbound = &emails[0];
    assert_eq!(inbound.direction, Some(EmailDirection::Inbound));
    assert_eq!(inbound.email_thread_id.as_deref(), Some("emailThread7f3a0c1e"));
    assert_eq!(inbound.timestamp, Some(datetime!(2026-08-03 14:22:05.034 UTC)));
    let author = inbound.author.as_ref().unwrap();
    assert_eq!(author.email.as_deref(), Some("dana@acme.example"));
    assert_eq!(author.company_name.as_deref(), Some("Acme LLC"));
    assert_eq!(inbound.body.as_deref(), Some("Our redline is attached.\r\n\r\nDana"));
    let attachment = &inbound.attachments[0];
    assert_eq!(attachment.attachment_id(), Some("attachmentId5c2e"));
    assert!(attachment.content_type.as_deref().unwrap().contains("wordprocessingml"));

    let outbound = &emails[1];
    assert_eq!(outbound.direction, Some(EmailDirection::Outbound));
    assert_eq!(outbound.recipients, ["dana@acme.example"]);
    // `cc` arrived as a string instead of a list: dropped, the email still decodes.
    assert!(outbound.cc.is_empty());
    assert_eq!(outbound.email_opened_timestamps[0].opened, Some(true));
    // An outbound attachment points at a workflow document, not at an email attachment.
    assert_eq!(outbound.attachments[0].attachment_id(), None);
    assert_eq!(outbound.attachments[0].document_key.as_deref(), Some("XZ9j0cHGA"));
    assert_eq!(outbound.attachments[0].document_version, Some(1));

    let thread = client.workflows().email_thread(WORKFLOW, "emailThread7f3a0c1e").await.unwrap();
    assert_eq!(thread.subject.as_deref(), Some("Re: MSA for review"));
    let download = client
        .workflows()
        .download_email_attachment(WORKFLOW, "emailThread7f3a0c1e", "attachmentId5c2e")
        .await
        .unwrap();
    assert_eq!(&download.bytes().await.unwrap()[..], b"PK\x03\x04 docx");
    let empty = client.workflows().email_thread(WORKFLOW, "").await.unwrap_err();
    assert!(matches!(empty, ironclad_client::Error::InvalidRequest(_)), "{empty:?}");
}

#[tokio::test]
async fn upload_document_is_multipart_with_the_comment_and_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/documents/draft"))))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api("/workflows/w503/documents/draft")))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let upload = DocumentUpload::new(
        "MSA - Acme v2.docx",
        b"PK\x03\x04 version two".to_vec(),
        LifecycleComment::new("Redline from <@dana@acme.example>").add_users_to_workflow(true),
    )
    .new_version_of("F7IYVm-59VHKoqCLLuiFd");
    client.workflows().upload_document(WORKFLOW, "draft", &upload).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let content_type = requests[0].headers.get("content-type").unwrap().to_str().unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary="), "{content_type}");
    let body = String::from_utf8_lossy(&requests[0].body).into_owned();
    assert!(body.contains(r#"name="attachment"; filename="MSA - Acme v2.docx""#), "{body}");
    assert!(
        body.to_ascii_lowercase().contains(
            "content-type: application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ),
        "{body}"
    );
    assert!(body.contains("PK\u{3}\u{4} version two"), "{body}");
    assert!(
        body.contains(r#"{"comment":{"message":"Redline from <@dana@acme.example>","addUsersToWorkflow":true},"key":"F7IYVm-59VHKoqCLLuiFd"}"#),
        "{body}"
    );

    // A second upload would add the file twice.
    let plain = DocumentUpload::new("NDA.pdf", b"%PDF".to_vec(), "Counterparty paper");
    assert!(client.workflows().upload_document("w503", "draft", &plain).await.is_err());
    // Ironclad requires the comment and a file name; neither leaves the client without one.
    for bad in [
        DocumentUpload::new("NDA.pdf", b"%PDF".to_vec(), " "),
        DocumentUpload::new("", b"%PDF".to_vec(), "ok"),
    ] {
        let error = client.workflows().upload_document(WORKFLOW, "draft", &bad).await.unwrap_err();
        assert!(matches!(error, ironclad_client::Error::InvalidRequest(_)), "{error:?}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn set_signature_packet_sends_the_keys_in_order_and_decodes_the_documents() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/signature-packet"))))
        .and(body_json(json!({"signaturePacketDocumentKeys": ["XZ9j0cHGA", "rJklwCHQ"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "signaturePacketDocuments": [
                {"key": "XZ9j0cHGA", "filename": "Order Form.pdf", "version": "B1QePArXb", "versionNumber": 1,
                 "download": "/public/api/v1/workflows/w/document/XZ9j0cHGA/download"},
                {"key": "rJklwCHQ", "filename": "MSA.docx", "version": "C2", "versionNumber": 3,
                 "download": "/public/api/v1/workflows/w/document/rJklwCHQ/download"}
            ],
            "excludedFromSignaturePacketDocuments": [
                {"key": "n0tS1gned", "filename": "Notes.pdf", "versionNumber": "one"}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let keys = ["XZ9j0cHGA".to_owned(), "rJklwCHQ".to_owned()];
    let documents = client.workflows().set_signature_packet(WORKFLOW, &keys).await.unwrap();
    let order: Vec<_> =
        documents.signature_packet_documents.iter().map(|d| d.key.as_deref().unwrap()).collect();
    assert_eq!(order, ["XZ9j0cHGA", "rJklwCHQ"]);
    assert_eq!(documents.signature_packet_documents[1].version_number, Some(3));
    // A version number of another shape is dropped, the document kept.
    assert_eq!(documents.excluded_from_signature_packet_documents[0].version_number, None);
    let blank = client.workflows().set_signature_packet(WORKFLOW, &[" ".to_owned()]).await;
    assert!(matches!(blank, Err(ironclad_client::Error::InvalidRequest(_))), "{blank:?}");
}

#[tokio::test]
async fn roles_are_assigned_by_encoded_name_and_eligible_assignees_are_paged() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/roles/Legal%20Approver"))))
        .and(body_json(json!({"userId": "61968ae4945dcecf4a78cc83"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "roleName": "Legal Approver",
            "assignee": {"userId": "61968ae4945dcecf4a78cc83", "displayName": "Jane Doe", "email": "jane@example.com"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/roles/Legal%20Approver/eligible-assignees"))))
        .and(query_param("page", "0"))
        .and(query_param_is_missing("pageSize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page": 0, "pageSize": 20, "count": 2,
            "list": [
                {"userId": "61968ae4945dcecf4a78cc83", "email": "jane@example.com", "displayName": "Jane Doe"},
                {"userId": "63d415e0dd0d828c3a878548", "email": "sam@example.com", "displayName": "Sam Lee"}
            ],
            "defaultAssignee": {"userId": "63d415e0dd0d828c3a878548", "email": "sam@example.com", "displayName": "Sam Lee"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/roles/Legal%20Approver/eligible-assignees"))))
        .and(query_param("page", "0"))
        .and(query_param("pageSize", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page": 0, "pageSize": 1, "count": 2,
            "list": [{"userId": "61968ae4945dcecf4a78cc83"}],
            "defaultAssignee": {"userId": "63d415e0dd0d828c3a878548", "email": "sam@example.com", "displayName": "Sam Lee"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let workflows = client.workflows();
    let assigned = workflows
        .assign_role(WORKFLOW, "Legal Approver", "61968ae4945dcecf4a78cc83")
        .await
        .unwrap();
    assert_eq!(assigned.role_name.as_deref(), Some("Legal Approver"));
    assert_eq!(assigned.assignee.unwrap().email.as_deref(), Some("jane@example.com"));
    let people =
        workflows.eligible_assignees(WORKFLOW, "Legal Approver").collect_all().await.unwrap();
    let emails: Vec<_> = people.iter().map(|p| p.email.as_deref().unwrap()).collect();
    assert_eq!(emails, ["jane@example.com", "sam@example.com"]);
    let default = workflows.default_assignee(WORKFLOW, "Legal Approver").await.unwrap().unwrap();
    assert_eq!(default.display_name.as_deref(), Some("Sam Lee"));
    let blank = workflows.assign_role(WORKFLOW, "Legal Approver", " ").await.unwrap_err();
    assert!(matches!(blank, ironclad_client::Error::InvalidRequest(_)), "{blank:?}");
}

#[tokio::test]
async fn assigning_a_role_on_a_completed_workflow_is_a_conflict() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api(&format!("/workflows/{WORKFLOW}/roles/Archiver"))))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "code": "INVALID_STATE", "message": "workflow is completed and cannot be reassigned"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error =
        client(&server).workflows().assign_role(WORKFLOW, "Archiver", "u1").await.unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(422));
}

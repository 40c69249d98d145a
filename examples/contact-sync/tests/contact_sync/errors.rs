//! Every rejection: its status, its reason, and its sync-log entry.

use futures_util::stream;
use serde_json::json;

use crate::support::{ADA, AUTO_CREATE, Receiver, fixture, flow};

#[tokio::test]
async fn unknown_connection_is_404_and_logged() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let reply = receiver.post("nope", fixture("power_automate_create.json")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error(), "unknown_connection");
    assert_eq!(reply.json["message"], "no connection `nope` is configured");

    let unknown = receiver.app.store().unknown_connection_log(10).await.unwrap();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].connection_id, "nope");
    assert_eq!(unknown[0].status, 404);
    assert_eq!(unknown[0].error.as_deref(), Some("unknown_connection"));
    assert_eq!(Some(unknown[0].id), reply.json["log_id"].as_u64());
    assert!(receiver.log("c1", 10).await.is_empty(), "not logged under a real connection");

    // An id from the URL cannot forge a log line.
    let forged = receiver.post("a%0Ab", "{}").await;
    assert_eq!(forged.status, 404);
    assert_eq!(forged.json["message"], "no connection `a\\nb` is configured");

    // The read endpoints know no such connection either.
    assert_eq!(receiver.get("/api/crm/connections/nope/sync-log").await.status, 404);
    assert_eq!(
        receiver.get(&format!("/api/crm/connections/nope/contacts/{ADA}")).await.status,
        404
    );
    receiver.stop().await;
}

#[tokio::test]
async fn bad_bodies_are_400_with_the_reason_and_logged() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let account = r#"{"MessageName":"Update","PrimaryEntityName":"account","PrimaryEntityId":"ec4e2f7d-9d60-e811-a95a-000d3af24950","InputParameters":[{"key":"Target","value":{"name":"Contoso"}}]}"#;
    let cases: Vec<(String, &str, &str)> = vec![
        (r#"{"MessageName":"Update","#.to_owned(), "invalid_payload", "invalid webhook payload"),
        ("<xml/>".to_owned(), "invalid_payload", "invalid webhook payload"),
        (String::new(), "invalid_payload", "the body is empty"),
        (r#"{"PrimaryEntityName":"contact"}"#.to_owned(), "invalid_payload", "MessageName"),
        (r#"{"MessageName":"Update","PrimaryEntityId":"not-a-guid"}"#.to_owned(), "invalid_payload", "PrimaryEntityId"),
        (account.to_owned(), "not_a_contact_change", "not a contact change: the row is a `account`, not a `contact`"),
        (flow("Assign", ADA, json!({})), "unsupported_message", "MessageName `Assign` is not a contact change"),
        (fixture("power_automate_template_empty.json"), "missing_contact_id", "no contact id: PrimaryEntityId is missing or empty"),
        (flow("Update", ADA, json!({ "statecode": 7 })), "invalid_column", "column `statecode`: expected 0, 1, \"Active\" or \"Inactive\""),
        (flow("Update", ADA, json!({ "firstname": { "__type": "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts", "Id": ADA, "LogicalName": "contact" } })), "invalid_column", "column `firstname`: expected text, found an entity reference"),
        (r#"{"MessageName":"Update","PrimaryEntityName":"contact","PrimaryEntityId":"2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c","InputParameters":[]}"#.to_owned(), "missing_target", "Update has no InputParameters Target"),
    ];
    for (body, code, reason) in &cases {
        let reply = receiver.post("c1", body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert_eq!(reply.error(), *code, "{body}: {reply:?}");
        let message = reply.json["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body}: {message:?}");
    }
    // The JSON path of a payload error is named.
    let reply =
        receiver.post("c1", r#"{"MessageName":"Update","PrimaryEntityId":"not-a-guid"}"#).await;
    assert_eq!(reply.json["path"], "PrimaryEntityId");

    let log = receiver.log("c1", 100).await;
    assert_eq!(log.len(), cases.len() + 1, "every rejected request is logged");
    assert!(log.iter().all(|entry| entry["status"] == 400 && entry.get("outcome").is_none()));
    let not_contact = log.iter().find(|entry| entry["error"] == "not_a_contact_change").unwrap();
    assert_eq!(not_contact["message"], "Update");
    assert_eq!(not_contact["contact_id"], "ec4e2f7d-9d60-e811-a95a-000d3af24950");
    assert_eq!(not_contact["payload_shape"], "power-automate");
    receiver.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_whether_declared_or_streamed() {
    let config = "max_body_bytes = 1024\n[[connections]]\nid = \"c1\"\nauto_create = true\n";
    let receiver = Receiver::start(config).await;
    let padding = "x".repeat(2000);
    let big = flow("Update", ADA, json!({ "firstname": "Ada", "description": padding }));

    // Declared by Content-Length.
    let reply = receiver.post("c1", big.clone()).await;
    assert_eq!(reply.status, 413, "{reply:?}");
    assert_eq!(reply.error(), "payload_too_large");

    // Chunked, without Content-Length: the receiver stops reading past the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.as_bytes().chunks(300).map(|chunk| Ok(chunk.to_vec())).collect();
    let reply = receiver.post("c1", reqwest::Body::wrap_stream(stream::iter(chunks))).await;
    assert_eq!(reply.status, 413, "{reply:?}");

    // Exactly at the limit is fine.
    let mut fits = flow("Update", ADA, json!({ "firstname": "Ada", "description": "" }));
    let room = 1024 - fits.len();
    fits = flow("Update", ADA, json!({ "firstname": "Ada", "description": "y".repeat(room) }));
    assert_eq!(fits.len(), 1024);
    let reply = receiver.post("c1", fits).await;
    assert_eq!((reply.status, reply.outcome()), (200, "created"), "{reply:?}");

    let log = receiver.log("c1", 10).await;
    let statuses: Vec<u64> = log.iter().map(|entry| entry["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 413, 413]);
    assert_eq!(log[1]["reason"], "the body is larger than the 1024-byte limit");
    receiver.stop().await;
}

#[tokio::test]
async fn other_methods_and_paths_are_not_the_webhook() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let get = receiver.get("/api/crm/webhook/dynamics/c1").await;
    assert_eq!(get.status, 405);
    let nested = receiver.post_with("/api/crm/webhook/dynamics/c1/extra", "{}", &[]).await;
    assert_eq!(nested.status, 404);
    receiver.stop().await;
}

//! Idempotency and order: redeliveries are applied once, older changes never overwrite newer.

use contact_sync::FLOW_RUN_ID;
use serde_json::json;

use crate::support::{ADA, AUTO_CREATE, JAMES, Receiver, flow, webhook_delete, webhook_update};

const OP_1: &str = "10000000-0000-4000-8000-000000000001";
const OP_2: &str = "10000000-0000-4000-8000-000000000002";

#[tokio::test]
async fn a_redelivered_webhook_is_applied_once_even_after_a_newer_change() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let first = webhook_update(JAMES, OP_1, json!({ "firstname": "One" }), None);
    let second = webhook_update(JAMES, OP_2, json!({ "firstname": "Two" }), None);

    let created = receiver.post("c1", first.clone()).await;
    assert_eq!(created.outcome(), "created");
    assert_eq!(receiver.post("c1", second).await.outcome(), "updated");

    // Dataverse retries OP_1 (e.g. after a 503 the first time round): answered, not re-applied.
    let again = receiver.post("c1", first).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.outcome(), "duplicate");
    assert_eq!(again.json["original_outcome"], "created");
    assert_eq!(again.user_id(), created.user_id());
    let first_log_id = created.json["log_id"].as_u64().unwrap();
    assert_eq!(
        again.json["reason"],
        format!("already delivered: sync-log entry {first_log_id} (created); nothing changed")
    );
    assert_eq!(receiver.user(JAMES).await["first_name"], "Two");

    let log = receiver.log("c1", 10).await;
    let outcomes: Vec<&str> = log.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["duplicate", "updated", "created"]);
    assert_eq!(log[0]["dedupe_key"], log[2]["dedupe_key"]);
    receiver.stop().await;
}

#[tokio::test]
async fn flow_retries_are_recognised_by_run_id_and_by_body() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let body = flow("Update", ADA, json!({ "firstname": "Ada", "statecode": "0" }));
    let run = [(FLOW_RUN_ID, "08585000000000000000000000000CU01")];
    let path = "/api/crm/webhook/dynamics/c1";
    assert_eq!(receiver.post_with(path, body.clone(), &run).await.outcome(), "created");
    assert_eq!(receiver.post_with(path, body.clone(), &run).await.outcome(), "duplicate");

    // Another run with the same values is a new change (the values went back and forth).
    let other_run = [(FLOW_RUN_ID, "08585000000000000000000000000CU02")];
    assert_eq!(receiver.post_with(path, body.clone(), &other_run).await.outcome(), "updated");

    receiver.stop().await;
}

#[tokio::test]
async fn without_a_delivery_id_a_change_back_to_an_earlier_value_is_applied() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    // No RequestId/OperationId, no x-request-id, no run id: nothing identifies a delivery.
    let a = flow("Update", ADA, json!({ "firstname": "Ada", "telephone1": "555-0100" }));
    let b = flow("Update", ADA, json!({ "firstname": "Ada", "telephone1": "555-0199" }));
    assert_eq!(receiver.post("c1", a.clone()).await.outcome(), "created");
    assert_eq!(receiver.post("c1", b).await.outcome(), "updated");
    // A -> B -> A: the same body as the first delivery is a new change, not a resend.
    let back = receiver.post("c1", a.clone()).await;
    assert_eq!(back.outcome(), "updated");
    assert_eq!(receiver.user(ADA).await["phone"], "555-0100");
    // Sending an identical body again is harmless: the values are set, not added.
    assert_eq!(receiver.post("c1", a).await.status, 200);
    assert_eq!(receiver.user(ADA).await["phone"], "555-0100");
    let log = receiver.log("c1", 10).await;
    assert!(log.iter().all(|entry| entry.get("dedupe_key").is_none()), "{log:?}");
    receiver.stop().await;
}

#[tokio::test]
async fn a_correlation_id_alone_never_makes_a_change_a_duplicate() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let path = "/api/crm/webhook/dynamics/c1";
    let chain = [("x-ms-correlation-request-id", "9d4c7524-a578-4783-b608-73f7b0b68fd2")];
    let a = flow("Update", ADA, json!({ "firstname": "Ada" }));
    let b = flow("Update", ADA, json!({ "firstname": "Augusta" }));
    assert_eq!(receiver.post_with(path, a.clone(), &chain).await.outcome(), "created");
    assert_eq!(receiver.post_with(path, b, &chain).await.outcome(), "updated");
    assert_eq!(receiver.post_with(path, a, &chain).await.outcome(), "updated");
    assert_eq!(receiver.user(ADA).await["first_name"], "Ada");
    receiver.stop().await;
}

#[tokio::test]
async fn an_older_change_never_overwrites_a_newer_one() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    // Power Automate: modifiedon as the trigger outputs it (ISO 8601).
    let newer =
        flow("Update", ADA, json!({ "firstname": "Newer", "modifiedon": "2024-07-24T10:28:25Z" }));
    let older = flow(
        "Update",
        ADA,
        json!({ "firstname": "Older", "lastname": "Late", "modifiedon": "2024-07-24T10:28:24Z" }),
    );
    assert_eq!(receiver.post("c1", newer).await.outcome(), "created");
    let stale = receiver.post("c1", older).await;
    assert_eq!((stale.status, stale.outcome()), (200, "ignored-stale"), "{stale:?}");
    assert_eq!(
        stale.json["reason"],
        format!(
            "modifiedon 2024-07-24T10:28:24Z is older than the last change applied to contact {ADA} (2024-07-24T10:28:25Z): nothing changed"
        )
    );
    let user = receiver.user(ADA).await;
    assert_eq!(user["first_name"], "Newer");
    assert_eq!(user["last_name"], serde_json::Value::Null, "nothing of the stale change applied");

    // A change without modifiedon cannot be ordered: it is applied.
    let unordered = flow("Update", ADA, json!({ "lastname": "Lovelace" }));
    assert_eq!(receiver.post("c1", unordered).await.outcome(), "updated");

    // Registered webhooks: /Date(ms)/, out of order.
    let t2 = webhook_update(JAMES, OP_2, json!({ "firstname": "T2" }), Some(1_721_816_905_000));
    let t1 = webhook_update(JAMES, OP_1, json!({ "firstname": "T1" }), Some(1_721_816_904_000));
    let same = webhook_update(
        JAMES,
        "10000000-0000-4000-8000-000000000003",
        json!({ "lastname": "Same ms" }),
        Some(1_721_816_905_000),
    );
    assert_eq!(receiver.post("c1", t2).await.outcome(), "created");
    assert_eq!(receiver.post("c1", t1).await.outcome(), "ignored-stale");
    assert_eq!(
        receiver.post("c1", same).await.outcome(),
        "updated",
        "equal modifiedon is not older"
    );
    let user = receiver.user(JAMES).await;
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("T2"), Some("Same ms"))
    );
    receiver.stop().await;
}

#[tokio::test]
async fn a_late_update_cannot_bring_a_deleted_contact_back() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let created = receiver
        .post(
            "c1",
            webhook_update(JAMES, OP_1, json!({ "firstname": "James" }), Some(1_722_500_000_000)),
        )
        .await;
    assert_eq!(created.outcome(), "created");
    // The delete fixture's OperationCreatedOn is 1722582039000.
    assert_eq!(receiver.post("c1", webhook_delete(JAMES, OP_2)).await.outcome(), "deactivated");
    // Its retry is a duplicate; another delete operation finds no linked user.
    assert_eq!(receiver.post("c1", webhook_delete(JAMES, OP_2)).await.outcome(), "duplicate");
    let again = webhook_delete(JAMES, "10000000-0000-4000-8000-000000000008");
    assert_eq!(receiver.post("c1", again).await.outcome(), "skipped-no-match");

    let late = webhook_update(
        JAMES,
        "10000000-0000-4000-8000-000000000009",
        json!({ "firstname": "Zombie" }),
        Some(1_722_580_000_000),
    );
    let reply = receiver.post("c1", late).await;
    assert_eq!((reply.status, reply.outcome()), (200, "ignored-stale"), "{reply:?}");
    assert_eq!(
        receiver.get(&format!("/api/crm/connections/c1/contacts/{JAMES}")).await.status,
        404
    );

    // A delete that arrives before the contact's create leaves nothing to create later.
    let early_delete = flow("Delete", ADA, json!({}));
    assert_eq!(receiver.post("c1", early_delete).await.outcome(), "skipped-no-match");
    let late_update = flow("Update", ADA, json!({ "firstname": "Ada" }));
    assert_eq!(receiver.post("c1", late_update).await.outcome(), "ignored-stale");
    // An explicit Create (the row was re-created) is applied.
    let recreated = flow("Create", ADA, json!({ "firstname": "Ada" }));
    assert_eq!(receiver.post("c1", recreated).await.outcome(), "created");
    receiver.stop().await;
}

#[tokio::test]
async fn concurrent_deliveries_of_one_change_apply_it_once() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let body = webhook_update(JAMES, OP_1, json!({ "firstname": "Once" }), None);
    let sends = (0..16).map(|_| receiver.post("c1", body.clone()));
    let replies = futures_util::future::join_all(sends).await;
    let created = replies.iter().filter(|reply| reply.outcome() == "created").count();
    let duplicates = replies.iter().filter(|reply| reply.outcome() == "duplicate").count();
    assert_eq!((created, duplicates), (1, 15));
    let users: std::collections::HashSet<&str> =
        replies.iter().map(|reply| reply.user_id()).collect();
    assert_eq!(users.len(), 1, "every answer names the one user");
    receiver.stop().await;
}

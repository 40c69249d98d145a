//! Upserts, empty dynamic content, deletes, auto-create off, and conflicts.

use contact_sync::NewUser;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{ADA, AUTO_CREATE, JAMES, Receiver, fixture, flow, webhook_delete};

const NO_AUTO_CREATE: &str = "[[connections]]\nid = \"c1\"\nname = \"Manual\"\n";

#[tokio::test]
async fn empty_dynamic_content_never_wipes_and_null_clears() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    receiver.post("c1", fixture("power_automate_create.json")).await;

    // The spec's template with every dynamic content empty, but for this contact.
    let empty = flow(
        "Update",
        ADA,
        json!({ "firstname": "", "lastname": "", "emailaddress1": "", "telephone1": "", "statecode": "" }),
    );
    let reply = receiver.post("c1", empty).await;
    assert_eq!((reply.status, reply.outcome()), (200, "updated"), "{reply:?}");
    let user = receiver.user(ADA).await;
    assert_eq!(
        (&user["first_name"], &user["last_name"], &user["email"], &user["phone"], &user["active"]),
        (
            &json!("Ada"),
            &json!("Lovelace"),
            &json!("ada@example.com"),
            &json!("+44 20 7946 0958"),
            &json!(true)
        )
    );

    // `null` means the column has no value in Dataverse any more.
    let cleared = flow("Update", ADA, json!({ "telephone1": null, "statecode": null }));
    assert_eq!(receiver.post("c1", cleared).await.outcome(), "updated");
    let user = receiver.user(ADA).await;
    assert_eq!(user["phone"], Value::Null);
    assert_eq!(user["active"], true, "a state is never cleared");
    assert_eq!(user["first_name"], "Ada");
    receiver.stop().await;
}

#[tokio::test]
async fn a_delete_deactivates_and_unlinks_but_never_erases() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let created = receiver.post("c1", fixture("sample_a_update.json")).await;
    let user_id: Uuid = created.user_id().parse().unwrap();

    let reply =
        receiver.post("c1", webhook_delete(JAMES, "3c1f0a52-7b4e-4f59-a6d1-0c8d2e9b4f11")).await;
    assert_eq!((reply.status, reply.outcome()), (200, "deactivated"), "{reply:?}");
    assert_eq!(reply.user_id(), user_id.to_string());
    assert_eq!(
        reply.json["reason"],
        format!(
            "contact {JAMES} was deleted in Dataverse: its user was deactivated and unlinked (never erased)"
        )
    );

    let lookup = receiver.get(&format!("/api/crm/connections/c1/contacts/{JAMES}")).await;
    assert_eq!(lookup.status, 404);
    assert_eq!(lookup.error(), "contact_not_synced");
    let kept = receiver.app.store().user(user_id).await.unwrap().expect("the user is kept");
    assert!(!kept.active);
    assert!(kept.crm_contacts.is_empty());
    assert_eq!(kept.first_name.as_deref(), Some("James"));

    // The Power Automate shape: MessageName Delete and PrimaryEntityId.
    receiver.post("c1", fixture("power_automate_create.json")).await;
    let reply = receiver.post("c1", fixture("power_automate_delete.json")).await;
    assert_eq!((reply.status, reply.outcome()), (200, "deactivated"), "{reply:?}");

    // A flow that sends only what a delete needs (no InputParameters at all).
    receiver.post("c1", flow("Create", JAMES, json!({ "firstname": "Back" }))).await;
    let minimal = json!({ "MessageName": "Deleted", "PrimaryEntityName": "contact", "PrimaryEntityId": JAMES });
    let reply = receiver.post("c1", minimal.to_string()).await;
    assert_eq!((reply.status, reply.outcome()), (200, "deactivated"), "{reply:?}");
    receiver.stop().await;
}

#[tokio::test]
async fn with_auto_create_off_nothing_is_created_and_the_log_says_why() {
    let receiver = Receiver::start(NO_AUTO_CREATE).await;
    let reply = receiver.post("c1", fixture("power_automate_create.json")).await;
    assert_eq!((reply.status, reply.outcome()), (200, "skipped-no-match"), "{reply:?}");
    assert_eq!(reply.json["user_id"], Value::Null);
    let why = format!(
        "no user is linked to contact {ADA} and no user has its email; auto-create is off, so nothing was created"
    );
    assert_eq!(reply.json["reason"], why.as_str());
    assert_eq!(receiver.get(&format!("/api/crm/connections/c1/contacts/{ADA}")).await.status, 404);
    assert!(receiver.app.store().user_by_email("ada@example.com").await.unwrap().is_none());
    let log = receiver.log("c1", 1).await;
    assert_eq!(log[0]["outcome"], "skipped-no-match");
    assert_eq!(log[0]["reason"], why.as_str());

    // A user who exists already (signed up by email) is matched by email and linked.
    let existing = receiver
        .app
        .store()
        .create_user(NewUser::new().email("ADA@example.com ").first_name("A."))
        .await
        .unwrap();
    let reply = receiver.post("c1", fixture("power_automate_update.json")).await;
    assert_eq!((reply.status, reply.outcome()), (200, "updated"), "{reply:?}");
    assert_eq!(reply.user_id(), existing.id.to_string());
    assert_eq!(
        reply.json["reason"],
        format!("matched contact {ADA} by email; the user is now linked to it")
    );
    let user = receiver.user(ADA).await;
    assert_eq!(user["id"], existing.id.to_string());
    assert_eq!(user["first_name"], "Ada");

    // From now on the contact id matches, even after the email changes.
    let reply = receiver.post("c1", fixture("power_automate_modify.json")).await;
    assert_eq!(
        (reply.outcome(), reply.user_id()),
        ("deactivated", existing.id.to_string().as_str())
    );
    let user = receiver.user(ADA).await;
    assert_eq!(user["email"], "ada.lovelace@example.com");
    assert_eq!(user["active"], false);
    assert!(
        receiver.app.store().user_by_email("ada@example.com").await.unwrap().is_none(),
        "the old email is released"
    );
    receiver.stop().await;
}

#[tokio::test]
async fn conflicts_change_nothing_and_are_409() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let store = receiver.app.store().clone();
    let other = store.create_user(NewUser::new().email("taken@example.com")).await.unwrap();
    receiver.post("c1", fixture("power_automate_create.json")).await;

    // Ada's contact now has an email another user owns.
    let body = flow(
        "Update",
        ADA,
        json!({ "firstname": "Changed", "emailaddress1": "Taken@Example.com" }),
    );
    let reply = receiver.post("c1", body.clone()).await;
    assert_eq!(reply.status, 409, "{reply:?}");
    assert_eq!((reply.outcome(), reply.error()), ("conflict", "conflict"));
    assert_eq!(
        reply.json["reason"],
        format!(
            "contact {ADA}'s email is already used by another user ({}): nothing changed",
            other.id
        )
    );
    let user = receiver.user(ADA).await;
    assert_eq!(
        (user["first_name"].as_str(), user["email"].as_str()),
        (Some("Ada"), Some("ada@example.com"))
    );
    // A conflict is not remembered as done: once fixed, the retry goes through.
    let reply = receiver.post("c1", body).await;
    assert_eq!(reply.status, 409);

    // A second contact with the email of a user linked to the first one.
    let twin = flow("Create", JAMES, json!({ "emailaddress1": "ada@example.com" }));
    let reply = receiver.post("c1", twin).await;
    assert_eq!(reply.status, 409, "{reply:?}");
    assert!(
        reply.json["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("linked to another contact ({ADA})"))
    );
    assert_eq!(
        receiver.get(&format!("/api/crm/connections/c1/contacts/{JAMES}")).await.status,
        404
    );
    receiver.stop().await;
}

#[tokio::test]
async fn statecode_drives_active() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    for (statecode, outcome, active) in [
        (json!("Active"), "created", true),
        (json!("Inactive"), "deactivated", false),
        (json!("0"), "updated", true),
        (json!(1), "deactivated", false),
        (json!(0), "updated", true),
        (json!("1"), "deactivated", false),
    ] {
        let body = flow("Update", ADA, json!({ "statecode": statecode }));
        let reply = receiver.post("c1", body).await;
        assert_eq!(reply.outcome(), outcome, "{statecode}");
        assert_eq!(receiver.user(ADA).await["active"], active, "{statecode}");
    }
    receiver.stop().await;
}

#[tokio::test]
async fn a_truncated_webhook_is_skipped_with_a_reason() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let reply = receiver
        .post_with(
            "/api/crm/webhook/dynamics/c1",
            fixture("size_exceeded_update.json"),
            &[("x-ms-dynamics-msg-size-exceeded", "")],
        )
        .await;
    assert_eq!((reply.status, reply.outcome()), (200, "skipped-truncated"), "{reply:?}");
    assert!(reply.json["reason"].as_str().unwrap().contains("payload over 256 KB"));
    receiver.stop().await;
}

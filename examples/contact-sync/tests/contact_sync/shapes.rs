//! Both payload shapes and every MessageName synonym.

use serde_json::json;

use crate::support::{ADA, AUTO_CREATE, JAMES, Receiver, fixture, flow, webhook, webhook_update};

#[tokio::test]
async fn a_flow_body_creates_and_a_registered_webhook_updates_the_same_user() {
    let receiver = Receiver::start(AUTO_CREATE).await;

    // Spec step 4 body, as a Power Automate HTTP action sends it.
    let created = receiver.post("c1", fixture("power_automate_create.json")).await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.outcome(), "created");
    assert_eq!(created.json["contact_id"], ADA);
    assert_eq!(created.json["connection_id"], "c1");
    assert_eq!(created.json["message"], "Create");
    let user_id = created.user_id().to_owned();
    assert_eq!(user_id.len(), 36);

    let user = receiver.user(ADA).await;
    assert_eq!(user["id"], user_id.as_str());
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_name"], "Lovelace");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["phone"], "+44 20 7946 0958");
    assert_eq!(user["active"], true);
    assert_eq!(user["crm_contacts"], json!({ "c1": ADA }));

    // A registered webhook's RemoteExecutionContext (research sample A's shape) for the same
    // contact: only the changed column is in the Target.
    let body = webhook_update(
        ADA,
        "4af10637-4ea2-e711-8122-000d3aa2331c",
        json!({ "firstname": "Augusta" }),
        None,
    );
    let updated = receiver
        .post_with(
            "/api/crm/webhook/dynamics/c1",
            body,
            &[("x-ms-dynamics-request-name", "Update")],
        )
        .await;
    assert_eq!(updated.status, 200, "{updated:?}");
    assert_eq!(updated.outcome(), "updated");
    assert_eq!(updated.user_id(), user_id);
    assert_eq!(updated.json["reason"], format!("matched contact {ADA} by CRM contact id"));

    let user = receiver.user(ADA).await;
    assert_eq!(user["first_name"], "Augusta");
    assert_eq!(user["last_name"], "Lovelace", "columns not in the Target stay as they were");
    assert_eq!(user["email"], "ada@example.com");

    let log = receiver.log("c1", 10).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["payload_shape"], "remote-execution-context");
    assert_eq!(log[0]["dedupe_key"].as_str().unwrap().split(':').next(), Some("operation"));
    assert_eq!(log[1]["payload_shape"], "power-automate");
    assert_eq!(log[1]["outcome"], "created");
    receiver.stop().await;
}

#[tokio::test]
async fn research_sample_a_is_accepted_byte_for_byte() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let reply = receiver.post("c1", fixture("sample_a_update.json")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.outcome(), "created");
    assert_eq!(reply.json["contact_id"], JAMES);
    let user = receiver.user(JAMES).await;
    assert_eq!(user["first_name"], "James");
    assert_eq!(user["last_name"], serde_json::Value::Null);
    receiver.stop().await;
}

#[tokio::test]
async fn every_message_name_synonym_is_normalized() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let upserts = [
        "Create",
        "Created",
        "create",
        " CREATED ",
        "Update",
        "Updated",
        "Modify",
        "Modified",
        "modified\t",
        "UPDATE",
        "updated",
    ];
    for (index, message) in upserts.iter().enumerate() {
        let contact = format!("00000000-0000-4000-8000-{index:012}");
        let first = flow(message, &contact, json!({ "firstname": "First", "statecode": 0 }));
        let reply = receiver.post("c1", first).await;
        assert_eq!((reply.status, reply.outcome()), (200, "created"), "{message:?}: {reply:?}");
        assert_eq!(reply.json["message"], *message, "the raw MessageName is echoed");
        let second = flow(message, &contact, json!({ "firstname": "Second" }));
        let reply = receiver.post("c1", second).await;
        assert_eq!((reply.status, reply.outcome()), (200, "updated"), "{message:?}: {reply:?}");
        assert_eq!(receiver.user(&contact).await["first_name"], "Second");
    }
    for (index, message) in ["Delete", "Deleted", " deleted ", "DELETE"].iter().enumerate() {
        let contact = format!("00000000-0000-4000-9000-{index:012}");
        receiver.post("c1", flow("Create", &contact, json!({ "firstname": "Gone" }))).await;
        let reply = receiver.post("c1", flow(message, &contact, json!({}))).await;
        assert_eq!((reply.status, reply.outcome()), (200, "deactivated"), "{message:?}: {reply:?}");
    }
    // The Power Automate fixtures, one per synonym, in a realistic order.
    for (name, outcome) in [
        ("power_automate_created.json", "created"),
        ("power_automate_update.json", "updated"),
        ("power_automate_updated.json", "updated"),
        ("power_automate_modify.json", "deactivated"),
        ("power_automate_modified.json", "updated"),
        ("power_automate_deleted.json", "deactivated"),
    ] {
        let reply = receiver.post("c1", fixture(name)).await;
        assert_eq!((reply.status, reply.outcome()), (200, outcome), "{name}: {reply:?}");
    }
    receiver.stop().await;
}

#[tokio::test]
async fn a_registered_webhook_create_and_setstate_are_applied() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    let template = fixture("sample_a_update.json");
    let create = webhook(
        &template,
        "Create",
        JAMES,
        "11111111-1111-4111-8111-111111111111",
        json!({
            "firstname": "James", "lastname": "Glynn", "emailaddress1": "james@example.com",
            "statecode": { "__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": 0 }
        }),
        Some(1_506_384_247_000),
    );
    let reply = receiver.post("c1", create).await;
    assert_eq!((reply.status, reply.outcome()), (200, "created"), "{reply:?}");
    assert_eq!(receiver.user(JAMES).await["active"], true);

    // SetState (deprecated in favour of Update of statecode): State 1 = inactive.
    let reply = receiver.post("c1", fixture("setstate_contact.json")).await;
    assert_eq!((reply.status, reply.outcome()), (200, "deactivated"), "{reply:?}");
    let user = receiver.user(JAMES).await;
    assert_eq!(user["active"], false);
    assert_eq!(user["first_name"], "James");
    receiver.stop().await;
}

#[tokio::test]
async fn custom_mappings_feed_attributes() {
    let config = r#"
        [[connections]]
        id = "c1"
        auto_create = true
        [connections.field_mappings]
        emailaddress1 = "email"
        new_department = "attribute:department"
        new_budget = "attribute:budget"
    "#;
    let receiver = Receiver::start(config).await;
    let body = flow(
        "Update",
        ADA,
        json!({ "emailaddress1": "ada@example.com", "firstname": "not mapped", "new_department": "R&D", "new_budget": 1234567.8912 }),
    );
    let reply = receiver.post("c1", body).await;
    assert_eq!((reply.status, reply.outcome()), (200, "created"), "{reply:?}");
    let user = receiver.user(ADA).await;
    assert_eq!(user["first_name"], serde_json::Value::Null, "only mapped columns are synced");
    assert_eq!(user["attributes"], json!({ "department": "R&D", "budget": "1234567.8912" }));
    receiver.stop().await;
}

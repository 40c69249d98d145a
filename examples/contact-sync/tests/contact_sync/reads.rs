//! The read endpoints, `/healthz`, the read token, retention, and a store that outlives the
//! process.

use contact_sync::{ContactSync, Store, SyncConfig};
use secrecy::SecretString;
use serde_json::json;

use crate::support::{ADA, AUTO_CREATE, JAMES, Receiver, fixture, flow, webhook_update};

#[tokio::test]
async fn the_sync_log_is_newest_first_and_bounded_by_limit() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    for name in ["Ada", "Augusta", "Countess"] {
        receiver.post("c1", flow("Update", ADA, json!({ "firstname": name }))).await;
    }
    receiver.post("c1", "{").await;

    let reply = receiver.get("/api/crm/connections/c1/sync-log?limit=2").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["connection_id"], "c1");
    assert_eq!(reply.json["limit"], 2);
    let entries = reply.json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["status"].as_u64(), entries[0]["error"].as_str()),
        (Some(400), Some("invalid_payload"))
    );
    assert_eq!(entries[1]["outcome"], "updated");
    assert!(entries[0]["id"].as_u64() > entries[1]["id"].as_u64());
    let at = entries[0]["at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );

    let all = receiver.get("/api/crm/connections/c1/sync-log").await;
    assert_eq!(all.json["limit"], 50, "the default page");
    assert_eq!(all.json["entries"].as_array().unwrap().len(), 4);

    for bad in ["0", "1001", "abc", "-3"] {
        let reply = receiver.get(&format!("/api/crm/connections/c1/sync-log?limit={bad}")).await;
        assert_eq!((reply.status, reply.error()), (400, "invalid_limit"), "{bad}");
    }
    receiver.stop().await;
}

#[tokio::test]
async fn contact_lookup_and_healthz() {
    let receiver = Receiver::start(AUTO_CREATE).await;
    receiver.post("c1", fixture("power_automate_create.json")).await;
    let user = receiver.user(ADA).await;
    assert_eq!(user["email"], "ada@example.com");
    // Braces and upper case are the same GUID.
    let braced = format!("/api/crm/connections/c1/contacts/{{{}}}", ADA.to_uppercase());
    assert_eq!(receiver.get(&braced).await.json["id"], user["id"]);

    let missing = receiver.get(&format!("/api/crm/connections/c1/contacts/{JAMES}")).await;
    assert_eq!((missing.status, missing.error()), (404, "contact_not_synced"));
    let bad = receiver.get("/api/crm/connections/c1/contacts/not-a-guid").await;
    assert_eq!((bad.status, bad.error()), (400, "invalid_contact_id"));

    let health = receiver.get("/healthz").await;
    assert_eq!((health.status, health.json.clone()), (200, json!({ "status": "ok" })));
    receiver.stop().await;
}

#[tokio::test]
async fn a_read_token_guards_the_read_endpoints_only() {
    let config = SyncConfig::from_toml_str(AUTO_CREATE).unwrap();
    let app = ContactSync::new(config, Store::in_memory().unwrap())
        .with_read_token(SecretString::from("r3ad-t0ken"));
    assert!(!format!("{app:?}").contains("r3ad-t0ken"));
    let receiver = Receiver::serve(app).await;
    assert_eq!(
        receiver.post("c1", fixture("power_automate_create.json")).await.outcome(),
        "created"
    );

    let path = format!("/api/crm/connections/c1/contacts/{ADA}");
    for headers in
        [&[][..], &[("authorization", "Bearer wrong")][..], &[("authorization", "r3ad-t0ken")][..]]
    {
        let reply = receiver.get_with(&path, headers).await;
        assert_eq!((reply.status, reply.error()), (401, "unauthorized"), "{headers:?}");
        assert_eq!(
            receiver.get_with("/api/crm/connections/c1/sync-log", headers).await.status,
            401
        );
    }
    let good = [("authorization", "Bearer r3ad-t0ken")];
    assert_eq!(receiver.get_with(&path, &good).await.status, 200);
    assert_eq!(receiver.get_with("/api/crm/connections/c1/sync-log", &good).await.status, 200);
    assert_eq!(receiver.get("/healthz").await.status, 200);
    receiver.stop().await;
}

#[tokio::test]
async fn retention_drops_the_oldest_entries() {
    let config = format!("sync_log_retention = 3\ndedupe_retention = 2\n{AUTO_CREATE}");
    let receiver = Receiver::start(&config).await;
    let bodies: Vec<String> = (1..=5)
        .map(|n| {
            webhook_update(
                JAMES,
                &format!("20000000-0000-4000-8000-00000000000{n}"),
                json!({ "firstname": format!("v{n}") }),
                None,
            )
        })
        .collect();
    for body in &bodies {
        receiver.post("c1", body.clone()).await;
    }
    let log = receiver.log("c1", 100).await;
    let names: Vec<u64> = log.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(names, [5, 4, 3], "only the three newest entries are kept");
    // Markers: the two newest are remembered, older ones are forgotten (and re-applied).
    assert_eq!(receiver.post("c1", bodies[4].clone()).await.outcome(), "duplicate");
    assert_eq!(receiver.post("c1", bodies[0].clone()).await.outcome(), "updated");
    receiver.stop().await;
}

#[tokio::test]
async fn the_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contact-sync.redb");
    let body = webhook_update(
        JAMES,
        "30000000-0000-4000-8000-000000000001",
        json!({ "firstname": "Durable" }),
        None,
    );

    let first = {
        let config = SyncConfig::from_toml_str(AUTO_CREATE).unwrap();
        let receiver = Receiver::serve(ContactSync::new(config, Store::open(&path).unwrap())).await;
        let reply = receiver.post("c1", body.clone()).await;
        receiver.stop().await;
        reply
    };
    assert_eq!(first.outcome(), "created");

    let config = SyncConfig::from_toml_str(AUTO_CREATE).unwrap();
    let receiver = Receiver::serve(ContactSync::new(config, Store::open(&path).unwrap())).await;
    assert_eq!(receiver.user(JAMES).await["first_name"], "Durable");
    let again = receiver.post("c1", body).await;
    assert_eq!((again.outcome(), again.user_id()), ("duplicate", first.user_id()));
    assert_eq!(receiver.log("c1", 10).await.len(), 2);
    receiver.stop().await;
}

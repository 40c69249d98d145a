//! One test suite, run against both stores: the embedded redb store always, PostgreSQL when
//! `TEST_DATABASE_URL` names a server (each test gets a database of its own; without one the
//! PostgreSQL tests print why they are skipped).

use dataverse_webhook_types::WebhookDelivery;
use http::HeaderMap;
use program_support::postgres::testing::TestDatabase;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Rejection, Store, StoreError};
use crate::change::ContactChange;
use crate::config::{Connection, ConnectionId, Retention};
use crate::dedupe::DedupeKey;
use crate::outcome::SyncOutcome;
use crate::store::NewUser;

const ADA: &str = "2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c";
const GRACE: &str = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

fn connection(auto_create: bool) -> Connection {
    Connection::new(ConnectionId::parse("c1").unwrap(), "Contoso").with_auto_create(auto_create)
}

/// A registered webhook's contact change (research sample A's shape) and its redelivery key
/// (from `x-request-id`, when given).
fn change(
    message: &str,
    contact: &str,
    columns: Value,
    modified_ms: Option<i64>,
    request_id: Option<&str>,
) -> (ContactChange, Option<DedupeKey>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dataverse-webhook-types/tests/fixtures/sample_a_update.json"
    );
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    body["MessageName"] = json!(message);
    body["PrimaryEntityId"] = json!(contact);
    // No RequestId/OperationId: the key comes from `x-request-id` alone.
    body.as_object_mut().unwrap().remove("RequestId");
    body.as_object_mut().unwrap().remove("OperationId");
    let target = &mut body["InputParameters"][0]["value"];
    target["Id"] = json!(contact);
    let mut attributes = vec![json!({ "key": "contactid", "value": contact })];
    for (key, value) in columns.as_object().unwrap() {
        attributes.push(json!({ "key": key, "value": value }));
    }
    if let Some(ms) = modified_ms {
        attributes.push(json!({ "key": "modifiedon", "value": format!("/Date({ms})/") }));
    }
    target["Attributes"] = Value::Array(attributes);
    let mut headers = HeaderMap::new();
    if let Some(id) = request_id {
        headers.insert("x-request-id", id.parse().unwrap());
    }
    let delivery = WebhookDelivery::parse(&headers, body.to_string().as_bytes()).unwrap();
    let mappings = crate::mapping::FieldMappings::default();
    let change = ContactChange::from_delivery(&delivery, &mappings).unwrap();
    let key = DedupeKey::of(connection(true).id(), &delivery, &headers, change.contact_id());
    (change, key)
}

fn update(
    contact: &str,
    email: &str,
    first: &str,
    ms: i64,
    request: &str,
) -> (ContactChange, Option<DedupeKey>) {
    change(
        "Update",
        contact,
        json!({ "emailaddress1": email, "firstname": first }),
        Some(ms),
        Some(request),
    )
}

async fn apply(
    store: &Store,
    connection: &Connection,
    (change, key): &(ContactChange, Option<DedupeKey>),
) -> super::Applied {
    store.apply(connection, change, key.as_ref()).await.unwrap()
}

fn id(text: &str) -> Uuid {
    text.parse().unwrap()
}

/// Each test of the suite, for one store.
pub(super) async fn creates_updates_and_answers_redeliveries(store: Store) {
    let c1 = connection(true);
    let first = apply(&store, &c1, &update(ADA, "Ada@Example.com", "Ada", 1_000, "r1")).await;
    assert_eq!(first.outcome, SyncOutcome::Created);
    let user = first.user_id.unwrap();
    let again = apply(&store, &c1, &update(ADA, "Ada@Example.com", "Ada", 1_000, "r1")).await;
    assert_eq!(again.outcome, SyncOutcome::Duplicate);
    assert_eq!(again.original_outcome, Some(SyncOutcome::Created));
    assert_eq!(again.user_id, Some(user));
    let renamed = apply(&store, &c1, &update(ADA, "ada@example.com", "Augusta", 2_000, "r2")).await;
    assert_eq!(renamed.outcome, SyncOutcome::Updated);
    let stale = apply(&store, &c1, &update(ADA, "ada@example.com", "Old", 1_500, "r3")).await;
    assert_eq!(stale.outcome, SyncOutcome::IgnoredStale);

    let stored = store.user_for_contact("c1", id(ADA)).await.unwrap().unwrap();
    assert_eq!(stored.id, user);
    assert_eq!(stored.first_name.as_deref(), Some("Augusta"));
    assert_eq!(stored.crm_contacts.get("c1"), Some(&id(ADA)));
    assert_eq!(store.user_by_email(" ADA@example.com").await.unwrap().unwrap().id, user);
    assert_eq!(store.user(user).await.unwrap().unwrap().first_name.as_deref(), Some("Augusta"));

    let log = store.sync_log("c1", 10).await.unwrap();
    let outcomes: Vec<_> = log.iter().map(|e| e.outcome.unwrap()).collect();
    assert_eq!(
        outcomes,
        [
            SyncOutcome::IgnoredStale,
            SyncOutcome::Updated,
            SyncOutcome::Duplicate,
            SyncOutcome::Created
        ]
    );
    assert!(log.windows(2).all(|w| w[0].id > w[1].id), "newest first, increasing ids");
    assert_eq!(log[3].dedupe_key.as_deref().map(|k| k.starts_with("x-request-id:")), Some(true));
}

pub(super) async fn deletes_deactivate_and_late_updates_stay_out(store: Store) {
    let c1 = connection(true);
    let created = apply(&store, &c1, &update(ADA, "ada@example.com", "Ada", 1_000, "r1")).await;
    let delete = change("Delete", ADA, json!({}), None, Some("d1"));
    let deleted = apply(&store, &c1, &delete).await;
    assert_eq!(deleted.outcome, SyncOutcome::Deactivated);
    assert_eq!(deleted.user_id, created.user_id);
    let user = store.user(created.user_id.unwrap()).await.unwrap().unwrap();
    assert!(!user.active && user.crm_contacts.is_empty(), "{user:?}");
    assert!(store.user_for_contact("c1", id(ADA)).await.unwrap().is_none());
    // An update without a later modifiedon is a late delivery.
    let late = change("Update", ADA, json!({ "firstname": "Late" }), None, Some("r2"));
    assert_eq!(apply(&store, &c1, &late).await.outcome, SyncOutcome::IgnoredStale);
}

pub(super) async fn emails_link_conflict_and_move(store: Store) {
    let manual = store.create_user(NewUser::new().email(" Grace@Example.com ")).await.unwrap();
    assert_eq!(manual.email.as_deref(), Some("Grace@Example.com"));
    let taken = store.create_user(NewUser::new().email("grace@example.com")).await.unwrap_err();
    assert!(matches!(taken, StoreError::EmailTaken(owner) if owner == manual.id), "{taken}");

    let c1 = connection(false);
    let linked =
        apply(&store, &c1, &update(GRACE, "grace@example.com", "Grace", 1_000, "g1")).await;
    assert_eq!(linked.outcome, SyncOutcome::Updated);
    assert_eq!(linked.user_id, Some(manual.id));
    // Another contact with the same email: the user is linked to GRACE already.
    let other = apply(&store, &c1, &update(ADA, "grace@example.com", "Ada", 1_000, "a1")).await;
    assert_eq!(other.outcome, SyncOutcome::Conflict);
    // A conflict is not remembered: the same delivery runs again.
    let retried = apply(&store, &c1, &update(ADA, "grace@example.com", "Ada", 1_000, "a1")).await;
    assert_eq!(retried.outcome, SyncOutcome::Conflict);
    // Without auto-create, an unknown email creates nothing.
    let none = apply(&store, &c1, &update(ADA, "ada@example.com", "Ada", 1_000, "a2")).await;
    assert_eq!(none.outcome, SyncOutcome::SkippedNoMatch);

    // GRACE moves to a new email: the old one is free again, the new one points at her.
    let moved =
        apply(&store, &c1, &update(GRACE, "hopper@example.com", "Grace", 2_000, "g2")).await;
    assert_eq!(moved.outcome, SyncOutcome::Updated);
    assert!(store.user_by_email("grace@example.com").await.unwrap().is_none());
    assert_eq!(store.user_by_email("HOPPER@example.com").await.unwrap().unwrap().id, manual.id);
    store.create_user(NewUser::new().email("grace@example.com")).await.unwrap();
}

pub(super) async fn rejections_and_retention(store: Store) {
    let store = store.with_retention(Retention { sync_log_entries: 3, dedupe_markers: 2 });
    let c1 = connection(true);
    for n in 0..5 {
        let rejection = Rejection {
            connection_id: "c1",
            known: true,
            status: 401,
            error: "unauthorized",
            reason: format!("attempt {n}"),
            message: None,
            contact_id: None,
            shape: None,
        };
        store.log_rejection(&rejection).await.unwrap();
    }
    let unknown = Rejection { connection_id: "nope", known: false, ..rejection("x") };
    let logged = store.log_rejection(&unknown).await.unwrap();
    let log = store.sync_log("c1", 10).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>(),
        ["attempt 4", "attempt 3", "attempt 2"]
    );
    let unknown_log = store.unknown_connection_log(10).await.unwrap();
    assert_eq!(unknown_log.len(), 1);
    assert_eq!((unknown_log[0].id, unknown_log[0].connection_id.as_str()), (logged, "nope"));

    // Two markers are kept: the oldest redelivery key is forgotten.
    for (n, request) in ["k1", "k2", "k3"].iter().enumerate() {
        let ms = 1_000 + i64::try_from(n).unwrap();
        apply(&store, &c1, &update(ADA, "ada@example.com", "Ada", ms, request)).await;
    }
    let k3 = apply(&store, &c1, &update(ADA, "ada@example.com", "Ada", 1_002, "k3")).await;
    assert_eq!(k3.outcome, SyncOutcome::Duplicate);
    let k1 = apply(&store, &c1, &update(ADA, "ada@example.com", "Ada", 1_000, "k1")).await;
    assert_eq!(k1.outcome, SyncOutcome::IgnoredStale, "forgotten, so applied (and stale)");
}

fn rejection(reason: &str) -> Rejection<'static> {
    Rejection {
        connection_id: "c1",
        known: true,
        status: 400,
        error: "invalid_payload",
        reason: reason.to_owned(),
        message: None,
        contact_id: None,
        shape: None,
    }
}

/// The same change delivered many times at once, and many contacts sharing one email at
/// once: each change applies once, and one user ends up with the email.
pub(super) async fn concurrent_deliveries_apply_once(stores: [Store; 2]) {
    let c1 = connection(true);
    let mut tasks = Vec::new();
    for n in 0..40 {
        let store = stores[n % 2].clone();
        let c1 = c1.clone();
        tasks.push(tokio::spawn(async move {
            let delivery = update(ADA, "ada@example.com", "Ada", 1_000, "same-request");
            apply(&store, &c1, &delivery).await.outcome
        }));
    }
    for n in 0..10u32 {
        let store = stores[n as usize % 2].clone();
        let c1 = c1.clone();
        tasks.push(tokio::spawn(async move {
            let contact = format!("00000000-0000-4000-8000-{n:012}");
            let delivery = update(&contact, "shared@example.com", "Twin", 1_000, &format!("t{n}"));
            apply(&store, &c1, &delivery).await.outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let (same, shared) = outcomes.split_at(40);
    assert_eq!(same.iter().filter(|o| **o == SyncOutcome::Created).count(), 1, "{same:?}");
    assert_eq!(same.iter().filter(|o| **o == SyncOutcome::Duplicate).count(), 39, "{same:?}");
    // One contact creates the user with the shared email; the others find it linked to that
    // contact already and conflict.
    assert_eq!(shared.iter().filter(|o| **o == SyncOutcome::Created).count(), 1, "{shared:?}");
    assert_eq!(shared.iter().filter(|o| **o == SyncOutcome::Conflict).count(), 9, "{shared:?}");
    let log = stores[0].sync_log("c1", 100).await.unwrap();
    assert_eq!(log.len(), 50);
    let mut ids: Vec<_> = log.iter().map(|e| e.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 50, "one log, unique ids");
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod redb_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Store::in_memory().unwrap()).await;
                }
            )*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_deliveries_apply_once() {
                let store = super::Store::in_memory().unwrap();
                super::concurrent_deliveries_apply_once([store.clone(), store]).await;
            }
        }

        mod postgres_store {
            use super::TestDatabase;

            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(db) = TestDatabase::create(stringify!($test)).await else { return };
                    super::$test(super::Store::connect(&db.secret_url()).await.unwrap()).await;
                }
            )*

            /// Two stores on one database: two replicas.
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_deliveries_apply_once() {
                let Some(db) = TestDatabase::create("concurrent_deliveries").await else { return };
                let url = db.secret_url();
                let (first, second) =
                    tokio::join!(super::Store::connect(&url), super::Store::connect(&url));
                super::concurrent_deliveries_apply_once([first.unwrap(), second.unwrap()]).await;
            }

            /// A row that does not decode (another version wrote it, or a person) is a
            /// `Corrupt` error to answer with, not a panic of the task that read it.
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_row_that_does_not_decode_is_an_error_not_a_panic() {
                let Some(db) = TestDatabase::create("corrupt_rows").await else { return };
                let url = db.secret_url();
                let store = super::Store::connect(&url).await.unwrap();
                let c1 = super::connection(true);
                let delivery = super::update(super::ADA, "ada@example.com", "Ada", 1_000, "r1");
                let user = super::apply(&store, &c1, &delivery).await.user_id.unwrap();
                let raw = program_support::postgres::Database::connect(&url, 1).await.unwrap();
                let raw = raw.client().await.unwrap();
                raw.batch_execute(
                    "UPDATE contact_sync_users SET body = '{\"id\": 5}';
                     UPDATE contact_sync_log SET entry = '\"entry\"';",
                )
                .await
                .unwrap();
                let corrupt = |result: Result<_, super::StoreError>| match result {
                    Err(super::StoreError::Corrupt { table, .. }) => table,
                    other => panic!("{other:?}"),
                };
                assert_eq!(corrupt(store.user(user).await.map(drop)), "contact_sync_users");
                let by_email = store.user_by_email("ada@example.com").await.map(drop);
                assert_eq!(corrupt(by_email), "contact_sync_users");
                let by_contact = store.user_for_contact("c1", super::id(super::ADA)).await;
                assert_eq!(corrupt(by_contact.map(drop)), "contact_sync_users");
                assert_eq!(corrupt(store.sync_log("c1", 10).await.map(drop)), "contact_sync_log");
                raw.batch_execute("UPDATE contact_sync_contacts SET state = '[1]'").await.unwrap();
                let again = super::update(super::ADA, "ada@example.com", "Ada", 2_000, "r2");
                let applied = store.apply(&c1, &again.0, again.1.as_ref()).await.map(drop);
                assert_eq!(corrupt(applied), "contact_sync_contacts");
            }
        }
    };
}

suite!(
    creates_updates_and_answers_redeliveries,
    deletes_deactivate_and_late_updates_stay_out,
    emails_link_conflict_and_move,
    rejections_and_retention,
);

//! Every example in `examples/` runs here against the sandbox, through the same `support::connect`
//! its `main` uses, with the sandbox's URL and token as the settings.

// Each example's `main` is not called here.
#![allow(dead_code)]
// Each example declares `mod support;` so it builds on its own; including several loads it
// several times.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/batch_change_set.rs"]
mod batch_change_set;
#[path = "../examples/query_with_paging.rs"]
mod query_with_paging;
#[path = "../examples/support/mod.rs"]
mod support;
#[path = "../examples/upload_note.rs"]
mod upload_note;
#[path = "../examples/upsert_by_alternate_key.rs"]
mod upsert_by_alternate_key;
#[path = "../examples/who_am_i.rs"]
mod who_am_i;

use dataverse_client::Client;
use dataverse_client::records::{Record, RecordKey};
use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig};
use secrecy::ExposeSecret;
use serde_json::json;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.expect("sandbox")
}

/// What the examples read from the environment, answered by the sandbox.
fn settings(sandbox: &Sandbox) -> impl Fn(&str) -> Option<String> + use<> {
    let url = sandbox.dataverse_url().to_string();
    let token = sandbox.dataverse_token().expose_secret().to_owned();
    move |name| match name {
        "DATAVERSE_URL" => Some(url.clone()),
        "DATAVERSE_TOKEN" => Some(token.clone()),
        _ => None,
    }
}

fn client(sandbox: &Sandbox) -> Client {
    support::connect(settings(sandbox)).expect("client")
}

#[test]
fn a_missing_setting_is_named_in_the_error() {
    let error = support::connect(|_| None).unwrap_err();
    assert!(error.to_string().contains("set DATAVERSE_URL"), "{error}");
    let error = support::connect(|name| {
        (name == "DATAVERSE_URL").then(|| "https://contoso.crm.dynamics.com".to_owned())
    })
    .unwrap_err();
    assert!(error.to_string().contains("set DATAVERSE_TOKEN"), "{error}");
}

#[tokio::test]
async fn who_am_i_names_the_sandbox_user() {
    let sandbox = sandbox().await;
    let me = who_am_i::run(&client(&sandbox)).await.unwrap();
    assert_eq!(me.user_id, sandbox.seeded().system_user);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn query_with_paging_follows_next_links_page_by_page() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    for n in 1..=7 {
        client.create("accounts", &json!({ "name": format!("Paging example {n}") })).await.unwrap();
    }
    client.create("accounts", &json!({ "name": "Not paged" })).await.unwrap();

    let pages = query_with_paging::run(&client, "Paging example", 3).await.unwrap();

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let names: Vec<&str> = pages.iter().flatten().filter_map(|a| a.name.as_deref()).collect();
    assert_eq!(names.first(), Some(&"Paging example 1"));
    assert_eq!(names.last(), Some(&"Paging example 7"));
    let requests = sandbox.requests(dataverse_ironclad_sandbox::Service::Dataverse);
    let page_requests =
        requests.iter().filter(|r| r.method == "GET" && r.path.ends_with("/accounts"));
    assert_eq!(page_requests.count(), 3, "one request per page");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn upsert_by_alternate_key_creates_then_updates_the_same_row() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let before = sandbox.dataverse().count("accounts");

    upsert_by_alternate_key::run(&client, "C-1042", "Contoso").await.unwrap();
    let key = || RecordKey::alternate([("accountnumber", "C-1042")]);
    let first: Record =
        client.retrieve("accounts", key()).select(["name", "accountid"]).await.unwrap();
    upsert_by_alternate_key::run(&client, "C-1042", "Contoso Ltd").await.unwrap();
    let second: Record =
        client.retrieve("accounts", key()).select(["name", "accountid"]).await.unwrap();

    assert_eq!(sandbox.dataverse().count("accounts"), before + 1, "one row, upserted twice");
    assert_eq!(first.get("name"), Some(&json!("Contoso")));
    assert_eq!(second.get("name"), Some(&json!("Contoso Ltd")));
    assert!(first.get("accountid").is_some_and(|id| id.is_string()), "{first:?}");
    assert_eq!(first.get("accountid"), second.get("accountid"), "the same row");
    let upserts = sandbox.requests(dataverse_ironclad_sandbox::Service::Dataverse);
    let upserts: Vec<_> = upserts.iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(upserts.len(), 2);
    assert!(upserts[0].path.ends_with("/accounts(accountnumber='C-1042')"), "{:?}", upserts[0]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn batch_change_set_creates_the_account_with_its_primary_contact() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    let (contact, account) = batch_change_set::run(&client, "Fabrikam", "Glynn").await.unwrap();

    let row = sandbox.dataverse().get("accounts", account).expect("account");
    assert_eq!(row.get("name").and_then(|n| n.as_str()), Some("Fabrikam"));
    assert_eq!(
        row.get("_primarycontactid_value").and_then(|v| v.as_str()),
        Some(contact.to_string().as_str())
    );
    let contact_row = sandbox.dataverse().get("contacts", contact).expect("contact");
    assert_eq!(contact_row.get("lastname").and_then(|n| n.as_str()), Some("Glynn"));
    let batches = sandbox.requests(dataverse_ironclad_sandbox::Service::Dataverse);
    assert_eq!(batches.len(), 1, "one $batch request: {batches:?}");
    assert!(batches[0].path.ends_with("/$batch"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn upload_note_attaches_the_file_to_the_account() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let account = sandbox.seeded().accounts[0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contract.pdf");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();

    let note = upload_note::run(&client, account, &path).await.unwrap();

    let notes = sandbox.dataverse().notes_regarding(account);
    let stored = notes.iter().find(|n| n.id == note).expect("the note is on the account");
    assert_eq!(stored.file_name.as_deref(), Some("contract.pdf"));
    assert_eq!(stored.object_type.as_deref(), Some("account"));
    assert_eq!(stored.document.as_deref(), Some(&content[..]));
    sandbox.shutdown().await;
}

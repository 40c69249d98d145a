//! Real `$metadata` documents (a Dynamics 365 v9.1 organization and an annotated CRM 2016 one,
//! downloaded from real services and published by third parties) load into the emulator, and
//! their tables answer CRUD and queries.
//!
//! The documents are not part of this repository: the test reads them from the folder named by
//! `SANDBOX_CSDL_DIR`, else from `../shared/real-captures/E-csdl/` next to the workspace, when
//! they are there, and says so and does nothing else when they are not (a clean clone in CI).

use std::path::PathBuf;
use std::time::Instant;

use dataverse_ironclad_sandbox::dataverse::DataverseSchema;
use dataverse_ironclad_sandbox::{Json, Sandbox, SandboxConfig, SeedData};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use secrecy::ExposeSecret;

const DOCUMENTS: [&str; 2] =
    ["dynamics-v9.1-crm4-2020.metadata.xml", "dynamics-crm8-2016-annotated.metadata.xml"];

/// The text of a real document, or `None` (with a message) when it is not on this machine.
fn document(name: &str) -> Option<String> {
    let folder: PathBuf = match std::env::var_os("SANDBOX_CSDL_DIR") {
        Some(folder) => folder.into(),
        None => [env!("CARGO_MANIFEST_DIR"), "..", "..", "..", "shared", "real-captures", "E-csdl"]
            .iter()
            .collect(),
    };
    let path = folder.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) => {
            eprintln!("SKIPPED {name}: not available at {} ({error})", path.display());
            None
        }
    }
}

#[test]
fn both_documents_load_with_their_tables_keys_and_relationships() {
    for name in DOCUMENTS {
        let Some(text) = document(name) else { continue };
        let started = Instant::now();
        let schema = DataverseSchema::from_csdl(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} tables in {:?} ({} bytes)",
            schema.sets.len(),
            started.elapsed(),
            text.len()
        );
        assert!(schema.sets.len() > 200, "{name}: {} tables", schema.sets.len());
        let account = schema.set("accounts").unwrap();
        assert_eq!(
            (account.logical_name.as_str(), account.primary_key.as_str()),
            ("account", "accountid")
        );
        assert!(account.columns.len() > 140, "{name}: {} columns", account.columns.len());
        let owner = account.navigation("ownerid").unwrap();
        assert_eq!(owner.lookup_column, "_ownerid_value");
        assert!(owner.accepts("systemusers") && owner.accepts("teams"), "{owner:?}");
        assert!(account.collection("contact_customer_accounts").is_some());
        let note = schema.set("annotations").unwrap();
        assert_eq!(note.navigation("objectid_account").unwrap().lookup_column, "_objectid_value");
        // A navigation property without a referential constraint still finds its lookup.
        assert_eq!(
            note.navigation("objectid_appointment").map(|n| n.lookup_column.as_str()),
            Some("_objectid_value")
        );
        assert!(schema.sets.iter().any(|s| !s.alternate_keys.is_empty()) || name.contains("crm8"));
    }
}

async fn send(sandbox: &Sandbox, method: Method, path: &str, body: Option<String>) -> (u16, Json) {
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .request(method, sandbox.dataverse_api_url().join(path).unwrap())
        .bearer_auth(sandbox.dataverse_token().expose_secret());
    if let Some(body) = body {
        request = request.header(CONTENT_TYPE, "application/json").body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        if bytes.is_empty() { Json::Null } else { Json::parse_bytes(&bytes).unwrap_or(Json::Null) },
    )
}

#[tokio::test]
async fn their_tables_answer_crud_and_queries() {
    for name in DOCUMENTS {
        let Some(text) = document(name) else { continue };
        let schema = DataverseSchema::from_csdl(&text).unwrap();
        let sandbox = Sandbox::start(SandboxConfig {
            schema,
            seed: SeedData::ReferenceOnly,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let created = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(sandbox.dataverse_api_url().join("accounts").unwrap())
            .bearer_auth(sandbox.dataverse_token().expose_secret())
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"name":"Real tables Ltd","revenue":2500.75,"numberofemployees":12}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 204, "{name}");
        let entity = created.headers()["OData-EntityId"].to_str().unwrap().to_owned();
        let account = &entity[entity.rfind('(').unwrap() + 1..entity.len() - 1];

        let contact = format!(
            r#"{{"firstname":"Grace","lastname":"Hopper","parentcustomerid_account@odata.bind":"/accounts({account})"}}"#
        );
        assert_eq!(send(&sandbox, Method::POST, "contacts", Some(contact)).await.0, 204, "{name}");
        let note = format!(
            r#"{{"subject":"Real note","documentbody":"aGVsbG8=","objectid_account@odata.bind":"/accounts({account})"}}"#
        );
        assert_eq!(send(&sandbox, Method::POST, "annotations", Some(note)).await.0, 204, "{name}");

        let (status, found) = send(
            &sandbox,
            Method::GET,
            "contacts?$select=fullname&$filter=startswith(lastname,'Hop')&$expand=parentcustomerid_account($select=name,revenue)",
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}: {found}");
        let row = &found.get("value").and_then(Json::as_array).unwrap()[0];
        assert_eq!(row.get("fullname").and_then(Json::as_str), Some("Grace Hopper"), "{name}");
        let parent = row.get("parentcustomerid_account").unwrap();
        assert_eq!(parent.get("revenue").unwrap().to_string(), "2500.75", "{name}");

        let (status, retrieved) = send(
            &sandbox,
            Method::GET,
            &format!("accounts({account})?$select=name,_ownerid_value&$expand=Account_Annotation($select=subject,filesize)"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}: {retrieved}");
        let notes = retrieved.get("Account_Annotation").and_then(Json::as_array).unwrap();
        assert_eq!(notes[0].get("filesize").unwrap().to_string(), "5", "{name}");
        assert_eq!(
            retrieved.get("_ownerid_value").and_then(Json::as_str),
            Some(sandbox.seeded().system_user.to_string().as_str()),
            "{name}: new rows are owned by the integration user"
        );

        let (status, users) =
            send(&sandbox, Method::GET, "systemusers?$select=fullname,systemuserid", None).await;
        assert_eq!(status, 200, "{name}: {users}");
        let user = &users.get("value").and_then(Json::as_array).unwrap()[0];
        assert_eq!(
            user.get("systemuserid").and_then(Json::as_str),
            Some(sandbox.seeded().system_user.to_string().as_str()),
            "{name}: systemusers key on principal's ownerid and keep their own id too"
        );

        let (status, _) = send(
            &sandbox,
            Method::PATCH,
            &format!("accounts({account})"),
            Some(r#"{"telephone1":"555-0199"}"#.into()),
        )
        .await;
        assert_eq!(status, 204);
        let (status, error) = send(&sandbox, Method::GET, "accounts?$select=nmae", None).await;
        assert_eq!(status, 400, "{name}");
        assert!(error.to_string().contains(
            "Could not find a property named 'nmae' on type 'Microsoft.Dynamics.CRM.account'"
        ));
        let (status, _) =
            send(&sandbox, Method::DELETE, &format!("accounts({account})"), None).await;
        assert_eq!(status, 204, "{name}");

        let metadata = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(sandbox.dataverse_api_url().join("$metadata").unwrap())
            .bearer_auth(sandbox.dataverse_token().expose_secret())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            metadata.as_ref(),
            text.trim_start_matches('\u{feff}').as_bytes(),
            "{name}: served as read"
        );
        sandbox.shutdown().await;
    }
}

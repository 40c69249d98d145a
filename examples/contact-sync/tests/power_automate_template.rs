//! `power-automate-template`: the package unzipped and every JSON file checked field by field,
//! the bare definition, validation, determinism, and the generated body accepted by the
//! receiver.

use std::io::{Cursor, Read};
use std::process::{Command, Output};

use contact_sync::{ContactSync, Store, SyncConfig, serve};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_power-automate-template");
const SPEC_COLUMNS: &str = "firstname,lastname,emailaddress1,telephone1,statecode";

fn run(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().unwrap()
}

/// Every file of a zip: `(name, bytes)` in archive order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|index| {
            let mut file = archive.by_index(index).unwrap();
            let name = file.name().expect("a UTF-8 name").into_owned();
            assert_eq!(file.compression(), zip::CompressionMethod::Deflated, "{name}");
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (name, content)
        })
        .collect()
}

fn json_of(files: &[(String, Vec<u8>)], name: &str) -> Value {
    let (_, bytes) = files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name}"));
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn is_guid(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok_and(|id| id.hyphenated().to_string() == text)
}

#[test]
fn the_package_has_every_file_and_each_is_checked_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        &["--domain", "app.yourcompany.com", "--connection-id", "3f2c9a1e-contoso"],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty(), "the zip goes to a file, not stdout");
    let note = String::from_utf8(output.stderr).unwrap();
    assert!(note.starts_with("wrote sync-contacts-3f2c9a1e-contoso.zip ("), "{note}");
    assert!(note.contains("Import Package (Legacy)"));
    let bytes = std::fs::read(dir.path().join("sync-contacts-3f2c9a1e-contoso.zip")).unwrap();

    let files = unzip(&bytes);
    for (name, content) in &files {
        serde_json::from_slice::<Value>(content)
            .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
    }
    let manifest = json_of(&files, "manifest.json");

    // Root manifest: details and three resources.
    assert_eq!(manifest["schema"], "1.0");
    let details = &manifest["details"];
    assert_eq!(details["displayName"], "Sync Contacts to app.yourcompany.com");
    assert!(is_guid(details["packageTelemetryId"].as_str().unwrap()));
    assert_eq!(details["creator"], "power-automate-template");
    assert_eq!(details["sourceEnvironment"], "");
    assert!(details["createdTime"].as_str().unwrap().starts_with("2024-01-01T00:00:00"));
    let resources = manifest["resources"].as_object().unwrap();
    assert_eq!(resources.len(), 3);
    let by_type = |kind: &str| {
        let (id, resource) = resources
            .iter()
            .find(|(_, r)| r["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"));
        assert!(is_guid(id), "{id}");
        (id.clone(), resource.clone())
    };
    let (flow_id, flow) = by_type("Microsoft.Flow/flows");
    let (api_id, api) = by_type("Microsoft.PowerApps/apis");
    let (connection_id, connection) = by_type("Microsoft.PowerApps/apis/connections");
    assert_eq!(flow["hierarchy"], "Root");
    assert_eq!(flow["suggestedCreationType"], "New");
    assert_eq!(flow["creationType"], "Existing, New, Update");
    assert_eq!(flow["configurableBy"], "User");
    assert_eq!(flow["details"]["displayName"], "Sync Contacts to app.yourcompany.com");
    assert_eq!(flow["dependsOn"], json!([api_id, connection_id]));
    assert_eq!(api["id"], "/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps");
    assert_eq!(api["name"], "shared_commondataserviceforapps");
    assert_eq!(api["suggestedCreationType"], "Existing");
    assert_eq!(api["configurableBy"], "System");
    assert_eq!(api["hierarchy"], "Child");
    assert_eq!(api["dependsOn"], json!([]));
    assert_eq!(connection["suggestedCreationType"], "Existing");
    assert_eq!(connection["creationType"], "Existing");
    assert_eq!(connection["configurableBy"], "User");
    assert_eq!(connection["hierarchy"], "Child");
    assert_eq!(connection["dependsOn"], json!([api_id]));

    // The flows manifest and the flow's folder.
    let folder = format!("Microsoft.Flow/flows/{flow_id}");
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json".to_owned(),
            "Microsoft.Flow/flows/manifest.json".to_owned(),
            format!("{folder}/definition.json"),
            format!("{folder}/apisMap.json"),
            format!("{folder}/connectionsMap.json"),
        ]
    );
    assert_eq!(
        json_of(&files, "Microsoft.Flow/flows/manifest.json"),
        json!({ "packageSchemaVersion": "1.0", "flowAssets": { "assetPaths": [flow_id] } })
    );
    assert_eq!(
        json_of(&files, &format!("{folder}/apisMap.json")),
        json!({ "shared_commondataserviceforapps": api_id })
    );
    assert_eq!(
        json_of(&files, &format!("{folder}/connectionsMap.json")),
        json!({ "shared_commondataserviceforapps": connection_id })
    );

    // definition.json: the flow resource, its connection reference and the workflow.
    let definition = json_of(&files, &format!("{folder}/definition.json"));
    let name = definition["name"].as_str().unwrap();
    assert!(is_guid(name));
    assert_eq!(definition["id"], format!("/providers/Microsoft.Flow/flows/{name}"));
    assert_eq!(definition["type"], "Microsoft.Flow/flows");
    let properties = &definition["properties"];
    assert_eq!(properties["apiId"], "/providers/Microsoft.PowerApps/apis/shared_logicflows");
    assert_eq!(properties["displayName"], "Sync Contacts to app.yourcompany.com");
    let reference = &properties["connectionReferences"]["shared_commondataserviceforapps"];
    assert_eq!(
        reference["id"],
        "/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps"
    );
    assert_eq!(reference["source"], "Embedded");
    assert_eq!(reference["tier"], "NotSpecified");
    assert!(reference["connectionName"].as_str().unwrap().starts_with("shared-commondataser-"));
    check_workflow(
        &properties["definition"],
        "https://app.yourcompany.com/api/crm/webhook/dynamics/3f2c9a1e-contoso",
        SPEC_COLUMNS,
    );
}

fn check_workflow(workflow: &Value, uri: &str, columns: &str) {
    assert_eq!(
        workflow["$schema"],
        "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#"
    );
    assert_eq!(workflow["contentVersion"], "1.0.0.0");
    assert_eq!(workflow["parameters"]["$connections"]["type"], "Object");
    assert_eq!(workflow["parameters"]["$authentication"]["type"], "SecureObject");

    let triggers = workflow["triggers"].as_object().unwrap();
    assert_eq!(triggers.len(), 1);
    let trigger = &triggers["When_a_row_is_added,_modified_or_deleted"];
    assert_eq!(trigger["type"], "OpenApiConnectionWebhook");
    let inputs = &trigger["inputs"];
    assert_eq!(
        inputs["host"]["apiId"],
        "/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps"
    );
    assert_eq!(inputs["host"]["connectionName"], "shared_commondataserviceforapps");
    assert_eq!(inputs["host"]["operationId"], "SubscribeWebhookTrigger");
    assert_eq!(inputs["parameters"]["subscriptionRequest/message"], 4, "Added or Modified");
    assert_eq!(inputs["parameters"]["subscriptionRequest/entityname"], "contact");
    assert_eq!(inputs["parameters"]["subscriptionRequest/scope"], 4, "Organization");
    assert_eq!(inputs["parameters"]["subscriptionRequest/filteringattributes"], columns);
    assert_eq!(inputs["authentication"], "@parameters('$authentication')");

    let actions = workflow["actions"].as_object().unwrap();
    assert_eq!(actions.len(), 1);
    let http = &actions["HTTP"];
    assert_eq!(http["type"], "Http");
    assert_eq!(http["runAfter"], json!({}));
    assert_eq!(http["inputs"]["method"], "POST");
    assert_eq!(http["inputs"]["uri"], uri);
    assert_eq!(http["inputs"]["headers"], json!({ "Content-Type": "application/json" }));
    let body = &http["inputs"]["body"];
    assert_eq!(body["MessageName"], "Update");
    assert_eq!(body["PrimaryEntityName"], "contact");
    assert_eq!(body["PrimaryEntityId"], "@triggerOutputs()?['body/contactid']");
    let parameters = body["InputParameters"].as_array().unwrap();
    assert_eq!(parameters.len(), 1);
    assert_eq!(parameters[0]["key"], "Target");
    let target = parameters[0]["value"].as_object().unwrap();
    for column in columns.split(',') {
        assert_eq!(target[column], format!("@triggerOutputs()?['body/{column}']"), "{column}");
    }
}

#[test]
fn fields_extend_the_trigger_and_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        &[
            "--domain",
            "sync.example.com:8443",
            "--connection-id",
            "c1",
            "--fields",
            "jobtitle,new_tier",
            "--fields",
            "firstname",
            "--definition",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    let definition: Value = serde_json::from_slice(&output.stdout).unwrap();
    let workflow = &definition["properties"]["definition"];
    check_workflow(
        workflow,
        "https://sync.example.com:8443/api/crm/webhook/dynamics/c1",
        &format!("{SPEC_COLUMNS},jobtitle,new_tier"),
    );
    let target = &workflow["actions"]["HTTP"]["inputs"]["body"]["InputParameters"][0]["value"];
    let keys: Vec<&str> = target.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "firstname",
            "lastname",
            "emailaddress1",
            "telephone1",
            "statecode",
            "jobtitle",
            "new_tier",
            "modifiedon"
        ]
    );
    assert_eq!(target["modifiedon"], "@triggerOutputs()?['body/modifiedon']");

    // --no-modifiedon: exactly the spec's body.
    let spec = run(
        &["--domain", "a.example", "--connection-id", "c1", "--definition", "--no-modifiedon"],
        dir.path(),
    );
    let definition: Value = serde_json::from_slice(&spec.stdout).unwrap();
    let target = &definition["properties"]["definition"]["actions"]["HTTP"]["inputs"]["body"]["InputParameters"]
        [0]["value"];
    assert_eq!(target.as_object().unwrap().len(), 5);
}

#[test]
fn the_bare_definition_is_the_packages_definition_and_output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--domain", "app.example.com", "--connection-id", "c1", "--fields", "jobtitle"];
    let zip_a = run(&[&args[..], &["--output", "-"]].concat(), dir.path()).stdout;
    let zip_b = run(&[&args[..], &["-o", "b.zip"]].concat(), dir.path());
    assert!(zip_b.status.success());
    assert_eq!(zip_a, std::fs::read(dir.path().join("b.zip")).unwrap(), "byte-identical");

    let definition = run(&[&args[..], &["--definition"]].concat(), dir.path()).stdout;
    let files = unzip(&zip_a);
    let (_, in_package) =
        files.iter().find(|(name, _)| name.ends_with("/definition.json")).unwrap();
    assert_eq!(&definition, in_package);
    let again = run(&[&args[..], &["--definition", "--output", "d.json"]].concat(), dir.path());
    assert!(String::from_utf8(again.stderr).unwrap().starts_with("wrote d.json ("));
    assert_eq!(std::fs::read(dir.path().join("d.json")).unwrap(), definition);

    // Another connection id gives other ids.
    let other = run(
        &[
            "--domain",
            "app.example.com",
            "--connection-id",
            "c2",
            "--fields",
            "jobtitle",
            "--definition",
        ],
        dir.path(),
    )
    .stdout;
    let (a, b): (Value, Value) =
        (serde_json::from_slice(&definition).unwrap(), serde_json::from_slice(&other).unwrap());
    assert_ne!(a["name"], b["name"]);
}

#[test]
fn invalid_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, message) in [
        (
            vec!["--domain", "https://app.example.com", "--connection-id", "c1"],
            "--domain \"https://app.example.com\": drop the scheme",
        ),
        (
            vec!["--domain", "app.example.com/api", "--connection-id", "c1"],
            "no path, query or fragment",
        ),
        (
            vec!["--domain", "app.example.com", "--connection-id", "a/b"],
            "--connection-id: connection id \"a/b\" is invalid",
        ),
        (
            vec!["--domain", "app.example.com", "--connection-id", ""],
            "connection id \"\" is invalid: it is empty",
        ),
        (
            vec!["--domain", "app.example.com", "--connection-id", "c1", "--fields", "Job Title"],
            "--fields \"Job Title\"",
        ),
    ] {
        let output = run(&args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("power-automate-template: "), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
    let missing = run(&["--domain", "app.example.com"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    let unwritable = run(
        &["--domain", "a.example", "--connection-id", "c1", "-o", "/nonexistent/dir/x.zip"],
        dir.path(),
    );
    assert_eq!(unwritable.status.code(), Some(1));
}

#[test]
fn help_names_the_flags() {
    let help = String::from_utf8(Command::new(BIN).arg("--help").output().unwrap().stdout).unwrap();
    for flag in [
        "--domain <DOMAIN>",
        "--connection-id <ID>",
        "--fields <COLUMNS>",
        "--definition",
        "--output <PATH>",
        "Import Package (Legacy)",
    ] {
        assert!(help.contains(flag), "{flag}:\n{help}");
    }
}

/// What Power Automate does with the HTTP body: replace each `@triggerOutputs()?['body/x']`
/// with the trigger's value of `x` (keeping its type; `null` when the row has none).
fn evaluate(body: &Value, row: &Value) -> Value {
    match body {
        Value::String(text) => match text
            .strip_prefix("@triggerOutputs()?['body/")
            .and_then(|rest| rest.strip_suffix("']"))
        {
            Some(column) => row.get(column).cloned().unwrap_or(Value::Null),
            None => body.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|item| evaluate(item, row)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), evaluate(v, row))).collect())
        }
        other => other.clone(),
    }
}

#[tokio::test]
async fn the_generated_body_is_what_the_receiver_accepts() {
    let output = Command::new(BIN)
        .args(["--domain", "127.0.0.1", "--connection-id", "c1", "--definition"])
        .output()
        .unwrap();
    let definition: Value = serde_json::from_slice(&output.stdout).unwrap();
    let template =
        definition["properties"]["definition"]["actions"]["HTTP"]["inputs"]["body"].clone();

    let config =
        SyncConfig::from_toml_str("[[connections]]\nid = \"c1\"\nauto_create = true\n").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        ContactSync::new(config, Store::in_memory().unwrap()),
        async {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::new();
    let uri = definition["properties"]["definition"]["actions"]["HTTP"]["inputs"]["uri"]
        .as_str()
        .unwrap();
    let path = uri.strip_prefix("https://127.0.0.1").unwrap();
    let send = |row: Value| {
        let body = evaluate(&template, &row);
        client
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };

    // The trigger's outputs for a new contact (statecode is a number; no phone).
    let row = json!({
        "contactid": "2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c", "firstname": "Ada", "lastname": "Lovelace",
        "emailaddress1": "ada@example.com", "statecode": 0, "modifiedon": "2024-07-24T10:28:25Z"
    });
    let reply: Value = send(row).await.unwrap().json().await.unwrap();
    assert_eq!(reply["outcome"], "created", "{reply}");
    // A later run that was overtaken by a newer one.
    let late = json!({ "contactid": "2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c", "firstname": "Old", "statecode": 0, "modifiedon": "2024-07-24T10:00:00Z" });
    let reply: Value = send(late).await.unwrap().json().await.unwrap();
    assert_eq!(reply["outcome"], "ignored-stale", "{reply}");

    let user: Value = client
        .get(format!("{base}/api/crm/connections/c1/contacts/2f9a6b1c-8d3e-4f5a-9b0c-1d2e3f4a5b6c"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((user["first_name"].as_str(), user["active"].as_bool()), (Some("Ada"), Some(true)));
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

//! The `sandbox` binary: its four lines, its control surface over HTTP, seed files, bad input
//! (one line, exit status 2) and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sandbox(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox"));
    command.args(args);
    command
}

/// Start the binary and parse its four lines.
fn start(args: &[&str]) -> (Running, std::collections::HashMap<String, String>) {
    let mut child = sandbox(args).stdout(Stdio::piped()).spawn().expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let variables = BufReader::new(stdout)
        .lines()
        .take(4)
        .map(|line| {
            let line = line.expect("line");
            let (name, value) = line.split_once('=').expect("NAME=value");
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (running, variables)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("client")
}

/// `GET url` with the token, as JSON.
async fn get_json(client: &reqwest::Client, url: String, token: &str) -> serde_json::Value {
    let response = client.get(url).bearer_auth(token).send().await.expect("response");
    response.json().await.expect("JSON")
}

#[test]
fn bad_flags_and_files_are_one_line_and_exit_2() {
    let dir = tempfile_dir();
    let bad_seed = dir.join("bad-seed.json");
    std::fs::write(&bad_seed, r#"{"dataverse":{"accounts":[{"nmae":"typo"}]}}"#).unwrap();
    let not_json = dir.join("not-json.json");
    std::fs::write(&not_json, "{").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--frobnicate".into()], "unknown argument '--frobnicate'"),
        (vec!["--dataverse-listen".into(), "nowhere".into()], "is not an address"),
        (vec!["--seed".into(), "/nonexistent.json".into()], "--seed: cannot read the seed file"),
        (
            vec!["--seed".into(), not_json.display().to_string()],
            "--seed: the seed file is not valid",
        ),
        (vec!["--metadata".into(), "/nonexistent.xml".into()], "--metadata: cannot read"),
        (vec!["--seed".into(), bad_seed.display().to_string()], "seed row of 'accounts'"),
    ];
    for (args, expected) in cases {
        let output =
            sandbox(&args.iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("sandbox: ") && stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sandbox-binary-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn four_lines_a_seed_file_and_the_control_surface() {
    let seed = tempfile_dir().join("seed.json");
    let mut file = std::fs::File::create(&seed).unwrap();
    write!(
        file,
        r#"{{"dataverse":{{"accounts":[{{"accountid":"7b1f4d3e-0c1a-4c55-9d6e-2f0a7c1b2d3e","name":"Seeded Co","accountnumber":"S-1"}}],
             "contacts":[{{"lastname":"Seeded","parentcustomerid_account@odata.bind":"/accounts(accountnumber='S-1')"}}]}}}}"#
    )
    .unwrap();
    let seed_path = seed.display().to_string();
    let (_running, env) =
        start(&["--dataverse-token", "dv-token", "--seed", &seed_path, "--no-demo-data"]);
    assert_eq!(env["DATAVERSE_TOKEN"], "dv-token");
    assert!(
        env["DATAVERSE_URL"].starts_with("http://127.0.0.1:")
            && env["DATAVERSE_URL"].ends_with('/')
    );
    assert!(env["IRONCLAD_BASE_URL"].starts_with("http://127.0.0.1:"));
    assert!(env["IRONCLAD_TOKEN"].starts_with("sandbox-ironclad-"));
    let dataverse = &env["DATAVERSE_URL"];
    let client = client();

    // The seeded account, by id, over the Web API.
    let account = client
        .get(format!(
            "{dataverse}api/data/v9.2/accounts(7b1f4d3e-0c1a-4c55-9d6e-2f0a7c1b2d3e)?$select=name"
        ))
        .bearer_auth("dv-token")
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    assert!(account.text().await.unwrap().contains("\"name\":\"Seeded Co\""));

    // --no-demo-data: only the reference rows and the seed file's.
    let tables =
        get_json(&client, format!("{dataverse}_sandbox/dataverse/tables"), "dv-token").await;
    let rows = |set: &str| {
        tables.as_array().unwrap().iter().find(|t| t["entity_set"] == set).unwrap()["rows"].clone()
    };
    assert_eq!(rows("accounts"), 1);
    assert_eq!(rows("contacts"), 1);
    assert_eq!(rows("cre6f_agreements"), 0);
    assert_eq!(rows("transactioncurrencies"), 3);

    // The control surface needs the token, except for health.
    let refused = client.get(format!("{dataverse}_sandbox/requests")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        client.get(format!("{dataverse}_sandbox/health")).send().await.unwrap().status(),
        200
    );

    // Rows through the control surface, then a scripted fault, then the request log.
    let created: serde_json::Value = client
        .post(format!("{dataverse}_sandbox/dataverse/tables/accounts/rows"))
        .bearer_auth("dv-token")
        .body(r#"[{"name":"A"},{"name":"B"}]"#)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(created["ids"].as_array().unwrap().len(), 2);
    let rejected = client
        .post(format!("{dataverse}_sandbox/dataverse/tables/accounts/rows"))
        .bearer_auth("dv-token")
        .body(r#"{"Name":"wrong case"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), 400);
    let error: serde_json::Value = rejected.json::<serde_json::Value>().await.unwrap();
    assert_eq!(error["error"]["code"], "0x80048d19");

    let scripted = client
        .post(format!("{dataverse}_sandbox/faults/next"))
        .bearer_auth("dv-token")
        .body(r#"{"count":1,"fault":"throttle","path_contains":"/accounts"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), 200);
    let throttled = client
        .get(format!("{dataverse}api/data/v9.2/accounts"))
        .bearer_auth("dv-token")
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["Retry-After"], "1");
    let log = get_json(&client, format!("{dataverse}_sandbox/requests"), "dv-token").await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2, "control requests stay out of the log: {log:?}");
    assert_eq!(log[1]["status"], 429);
    assert_eq!(log[1]["fault"], "throttle");
    assert_eq!(log[1]["route"], "GET /api/data/v9.2/accounts");
}

#[tokio::test]
async fn ironclad_actions_over_the_control_surface() {
    let (_running, env) = start(&["--ironclad-token", "ic-token"]);
    let ironclad = &env["IRONCLAD_BASE_URL"];
    let client = client();
    let templates = get_json(
        &client,
        format!("{ironclad}public/api/v1/workflow-schemas?form=launch"),
        "ic-token",
    )
    .await;
    let template = templates["list"][0]["id"].as_str().unwrap().to_owned();
    let launched: serde_json::Value = client
        .post(format!("{ironclad}public/api/v1/workflows"))
        .bearer_auth("ic-token")
        .header("Content-Type", "application/json")
        .body(format!(
            r#"{{"template":"{template}","creator":{{"type":"email","email":"integration@sandbox.example"}},"attributes":{{"counterpartyName":"Contoso"}}}}"#
        ))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let workflow = launched["id"].as_str().unwrap_or_else(|| panic!("{launched}")).to_owned();
    let post = |path: String, body: &'static str| {
        client
            .post(format!("{ironclad}_sandbox/ironclad/{path}"))
            .bearer_auth("ic-token")
            .body(body)
            .send()
    };
    assert_eq!(post(format!("workflows/{workflow}/approve-all"), "").await.unwrap().status(), 200);
    let completed = post(format!("workflows/{workflow}/complete"), r#"{"signed_copy_size":2048}"#)
        .await
        .unwrap();
    assert_eq!(completed.status(), 200);
    let record = completed.json::<serde_json::Value>().await.unwrap();
    assert!(record["record_id"].is_string());
    let again = post(format!("workflows/{workflow}/complete"), "").await.unwrap();
    assert_eq!(again.status(), 400, "a completed workflow cannot complete again");
    let events = get_json(&client, format!("{ironclad}_sandbox/ironclad/events"), "ic-token").await;
    let names: Vec<&str> =
        events.as_array().unwrap().iter().filter_map(|e| e["event"].as_str()).collect();
    assert!(
        names.contains(&"workflow_launched") && names.contains(&"workflow_completed"),
        "{names:?}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_it_gracefully() {
    let (mut running, _) = start(&[]);
    let pid = running.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn a_seeded_ironclad_template_launches_workflows() {
    let seed = tempfile_dir().join("template-seed.json");
    std::fs::write(
        &seed,
        r#"{"ironclad":{"templates":[{"id":"64f0c1d2e3a4b5c6d7e8f901","name":"Mutual NDA","recordType":"nda",
            "fields":[{"id":"counterpartyName","type":"string","displayName":"Counterparty Name",
                       "propertyKey":"counterpartyName","required":true}]}]}}"#,
    )
    .unwrap();
    let seed_path = seed.display().to_string();
    let (_running, env) = start(&["--ironclad-token", "ic-token", "--seed", &seed_path]);
    let ironclad = &env["IRONCLAD_BASE_URL"];
    let client = client();
    let schema = get_json(
        &client,
        format!("{ironclad}public/api/v1/workflow-schemas/64f0c1d2e3a4b5c6d7e8f901?form=launch"),
        "ic-token",
    )
    .await;
    assert_eq!(schema["name"], "Mutual NDA", "{schema}");
    let launched = client
        .post(format!("{ironclad}public/api/v1/workflows"))
        .bearer_auth("ic-token")
        .header("Content-Type", "application/json")
        .body(
            r#"{"template":"64f0c1d2e3a4b5c6d7e8f901","creator":{"type":"email","email":"integration@sandbox.example"},"attributes":{}}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(launched.status(), 400, "counterpartyName is required by the seeded template");

    let bad = tempfile_dir().join("bad-template-seed.json");
    std::fs::write(&bad, r#"{"ironclad":{"templates":[{"id":"x","name":"No fields"}]}}"#).unwrap();
    let output = sandbox(&["--seed", &bad.display().to_string()]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("'ironclad.templates[0]'"));
}

//! The `dataverse-codegen` binary: output files, exit codes and one-line errors.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output =
        Command::new(env!("CARGO_BIN_EXE_dataverse-codegen")).args(args).output().expect("run");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn writes_the_same_files_as_the_library() {
    let out = tempfile::tempdir().expect("tempdir");
    let metadata = fixture("contoso.xml");
    let choices = fixture("choices.json");
    let (code, stdout, stderr) = run(&[
        "--metadata",
        metadata.to_str().expect("path"),
        "--choices",
        choices.to_str().expect("path"),
        "--out",
        out.path().to_str().expect("path"),
        "--tables",
        "account,contact,cre6f_agreement",
        "--operations",
        "WhoAmI",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("wrote 6 files ("), "{stdout}");
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for name in
        ["account.rs", "contact.rs", "cre6f_agreement.rs", "mod.rs", "types.rs", "unbound.rs"]
    {
        let written = std::fs::read_to_string(out.path().join(name)).expect("written");
        let expected = std::fs::read_to_string(golden.join(name)).expect("golden");
        assert!(written == expected, "{name} differs from tests/golden");
    }
}

#[test]
fn bad_input_is_one_line_and_exit_code_2() {
    let out = tempfile::tempdir().expect("tempdir");
    let out = out.path().to_str().expect("path");
    let broken = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(broken.path(), "<edmx:Edmx xmlns:edmx=\"e\">\n<edmx:DataServices>\n<Schema Namespace=\"N\">\n<EntityType/>\n").expect("write");
    let broken = broken.path().to_str().expect("path");
    let metadata = fixture("contoso.xml");
    let metadata = metadata.to_str().expect("path");

    let cases: [(&[&str], &str); 5] = [
        (
            &["--metadata", broken, "--out", out, "--all"],
            "line 4, column 1: <EntityType> has no `Name` attribute",
        ),
        (&["--metadata", metadata, "--out", out, "--tables", "acount"], "no table `acount`"),
        (&["--metadata", metadata, "--out", out], "no tables selected"),
        (
            &[
                "--metadata",
                metadata,
                "--out",
                out,
                "--tables",
                "account",
                "--operations",
                "WhoIsIt",
            ],
            "no unbound action or function `WhoIsIt`",
        ),
        (
            &["--metadata", "/nonexistent.xml", "--out", out, "--all"],
            "/nonexistent.xml: cannot read",
        ),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("dataverse-codegen: "), "{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let bad_choices = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(bad_choices.path(), "{\"account\": {\"value\": 1}}").expect("write");
    let (code, _, stderr) = run(&[
        "--metadata",
        metadata,
        "--out",
        out,
        "--all",
        "--choices",
        bad_choices.path().to_str().expect("path"),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid choices file: account: `value` is not an array"), "{stderr}");
}

/// `--url` downloads `$metadata` through dataverse-client, saves it at `--metadata`, then
/// generates from it.
#[tokio::test(flavor = "multi_thread")]
async fn downloads_the_document_first_with_url() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let xml = std::fs::read_to_string(fixture("contoso.xml")).expect("fixture");
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/$metadata"))
        .and(header("accept", "application/xml"))
        .and(header("authorization", "Bearer cli-token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(xml.clone(), "application/xml"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("metadata.xml");
    let out = dir.path().join("out");
    let args: Vec<String> = vec![
        "--url".into(),
        server.uri(),
        "--metadata".into(),
        saved.to_string_lossy().into_owned(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
        "--tables".into(),
        "account".into(),
    ];
    let run = |token: &'static str, args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_dataverse-codegen"))
                .args(&args)
                .env("DATAVERSE_TOKEN", token)
                .env_remove("DATAVERSE_TENANT_ID")
                .output()
                .expect("run")
        })
    };
    let output = run("cli-token", args.clone()).await.expect("join");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read_to_string(&saved).expect("saved"), xml);
    assert!(out.join("account.rs").exists());

    // A refused download is one line and exit code 2.
    let output = run("wrong-token", args).await.expect("join");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("dataverse-codegen: "), "{stderr}");
}

/// `--live-choices` reads the definitions of the tables the document has only: a misspelt
/// table is the generator's one-line error, and no request is made for it.
#[tokio::test(flavor = "multi_thread")]
async fn live_choices_ask_only_for_tables_the_document_has() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let xml = std::fs::read_to_string(fixture("contoso.xml")).expect("fixture");
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/$metadata"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(xml, "application/xml"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let metadata = dir.path().join("metadata.xml").to_string_lossy().into_owned();
    let out = dir.path().join("out").to_string_lossy().into_owned();
    let url = server.uri();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_dataverse-codegen"))
            .args(["--url", &url, "--metadata", &metadata, "--out", &out])
            .args(["--live-choices", "--tables", "acount"])
            .env("DATAVERSE_TOKEN", "t")
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no table `acount`"), "{stderr}");
    // Only `$metadata` was requested (wiremock answers anything else 404 and counts it).
    let requests = server.received_requests().await.expect("recorded");
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/api/data/v9.2/$metadata"]);
}

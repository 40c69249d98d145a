//! The `contact-sync` binary: `--help`, bad configs, a real run, and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::stream;
use serde_json::Value;

use crate::support::{ADA, fixture};

const BIN: &str = env!("CARGO_BIN_EXE_contact-sync");

#[test]
fn help_describes_everything() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "--config <PATH>",
        "--db <PATH>",
        "--listen <ADDR>",
        "--read-token <TOKEN>",
        "POST /api/crm/webhook/dynamics/{connection_id}",
        "GET  /api/crm/connections/{connection_id}/sync-log?limit=N",
        "GET  /api/crm/connections/{connection_id}/contacts/{crm_contact_id}",
        "GET  /healthz",
        "HttpHeader, WebhookKey or HttpQueryString",
        "SIGINT/SIGTERM",
        "Exit codes",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}

#[test]
fn a_bad_config_is_one_line_naming_the_problem_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[connections]]\nid = \"c1\"\nauto_creat = true\n",
            "line 3, column 1: unknown field `auto_creat`",
        ),
        ("[[connections]]\nid = \"c 1\"\n", "connection id \"c 1\" is invalid"),
        ("", "no connections"),
    ];
    for (text, problem) in cases {
        let config = dir.path().join("contact-sync.toml");
        std::fs::write(&config, text).unwrap();
        let output = Command::new(BIN)
            .args([
                "--config",
                config.to_str().unwrap(),
                "--db",
                dir.path().join("db.redb").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{text:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(
            stderr.starts_with(&format!("contact-sync: config {}: ", config.display())),
            "{stderr:?}"
        );
        assert!(stderr.contains(problem), "{stderr:?}");
    }
    let missing = Command::new(BIN).args(["--config", "/nonexistent.toml"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8(missing.stderr)
            .unwrap()
            .starts_with("contact-sync: cannot read config /nonexistent.toml")
    );
    // No --config at all is a usage error (clap), exit 2 too.
    let usage = Command::new(BIN).env_remove("CONTACT_SYNC_CONFIG").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn listening_beyond_loopback_without_a_read_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("contact-sync.toml");
    std::fs::write(&config, "[[connections]]\nid = \"c1\"\n").unwrap();
    let db = dir.path().join("db.redb");
    let mut child = Command::new(BIN)
        .env_remove("CONTACT_SYNC_READ_TOKEN")
        .args(["--config", config.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .args(["--listen", "0.0.0.0:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("contact-sync started on 0.0.0.0 without a read token instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(2));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("contact-sync: --listen 0.0.0.0:0 is reachable"), "{stderr:?}");
    assert!(stderr.contains("--read-token"), "{stderr:?}");
    assert!(!db.exists(), "refused before opening the database");
}

/// Start the binary on a free port; returns the child and its base URL.
fn start(dir: &std::path::Path) -> (Child, String) {
    let config = dir.join("contact-sync.toml");
    std::fs::write(&config, "[[connections]]\nid = \"c1\"\nauto_create = true\n").unwrap();
    let mut child = Command::new(BIN)
        .args(["--config", config.to_str().unwrap()])
        .args(["--db", dir.join("users.redb").to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("contact-sync listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    (child, base)
}

fn terminate(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

fn wait(mut child: Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("contact-sync did not stop within 5 s");
}

#[tokio::test]
async fn the_binary_serves_and_stops_on_sigterm_after_requests_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (child, base) = start(dir.path());
    let client = reqwest::Client::new();
    let webhook = format!("{base}/api/crm/webhook/dynamics/c1");

    let reply =
        client.post(&webhook).body(fixture("power_automate_create.json")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["outcome"], "created");

    // A request whose body is still arriving when SIGTERM comes must finish.
    let update = fixture("power_automate_update.json").into_bytes();
    let (first, rest) = update.split_at(20);
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (first, rest) = (first.to_vec(), rest.to_vec());
    let body = stream::unfold((0, Some(released)), move |(step, released)| {
        let (first, rest) = (first.clone(), rest.clone());
        async move {
            match step {
                0 => Some((Ok::<_, std::io::Error>(first), (1, released))),
                1 => {
                    let _ = released?.await;
                    Some((Ok(rest), (2, None)))
                }
                _ => None,
            }
        }
    });
    let in_flight =
        tokio::spawn(client.post(&webhook).body(reqwest::Body::wrap_stream(body)).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = release.send(());
    let response = in_flight.await.unwrap().expect("the request in flight is answered");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "updated");

    let status = tokio::task::spawn_blocking(move || wait(child)).await.unwrap();
    assert_eq!(status.code(), Some(0), "a clean shutdown exits 0");

    // Both deliveries were committed before the exit.
    let store = contact_sync::Store::open(&dir.path().join("users.redb")).unwrap();
    let user = store.user_for_contact("c1", ADA.parse().unwrap()).await.unwrap().expect("synced");
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(store.sync_log("c1", 10).await.unwrap().len(), 2);
}

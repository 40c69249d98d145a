//! The flows' binaries as a user runs them: `launch-msa-workflows` and `ironclad-webhooks` against a sandbox started by the test, configured only through the
//! environment (and flags) their `--help` lists.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use dataverse_ironclad_sandbox::{Fault, Sandbox, SandboxConfig, Service};
use secrecy::ExposeSecret;

const LAUNCH: &str = env!("CARGO_BIN_EXE_launch-msa-workflows");
const WEBHOOKS: &str = env!("CARGO_BIN_EXE_ironclad-webhooks");

const VARIABLES: [&str; 14] = [
    "DATAVERSE_URL",
    "DATAVERSE_TOKEN",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "IRONCLAD_BASE_URL",
    "IRONCLAD_TOKEN",
    "IRONCLAD_CLIENT_ID",
    "IRONCLAD_CLIENT_SECRET",
    "IRONCLAD_AS_USER_EMAIL",
    "IRONCLAD_AS_USER_ID",
    "IRONCLAD_MSA_TEMPLATE_ID",
    "IRONCLAD_CREATOR_EMAIL",
];

/// A command with none of the flows' variables inherited from the test's environment.
fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command.env("RUST_LOG", "warn");
    command
}

/// The environment of a legacy-token setup against the sandbox.
fn sandbox_env(command: &mut Command, sandbox: &Sandbox) {
    command
        .env("DATAVERSE_URL", sandbox.dataverse_url().as_str())
        .env("DATAVERSE_TOKEN", sandbox.dataverse_token().expose_secret())
        .env("IRONCLAD_BASE_URL", sandbox.ironclad_base_url().as_str())
        .env("IRONCLAD_TOKEN", sandbox.ironclad_token().expose_secret())
        .env("IRONCLAD_MSA_TEMPLATE_ID", sandbox.msa_template_id())
        .env("IRONCLAD_CREATOR_EMAIL", sandbox.creator_email());
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs")).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn help_lists_every_variable_and_bad_settings_are_one_line_exit_2() {
    for program in [LAUNCH, WEBHOOKS] {
        let mut help = command(program);
        help.arg("--help");
        let run = output(help).await;
        assert!(run.status.success());
        let stdout = text(&run.stdout);
        for variable in VARIABLES {
            assert!(stdout.contains(&format!("[env: {variable}")), "{program}: {variable}");
        }
    }

    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[], "launch-msa-workflows: DATAVERSE_URL is not set"),
        (
            &[("DATAVERSE_URL", "http://crm.example.com"), ("DATAVERSE_TOKEN", "t")],
            "launch-msa-workflows: DATAVERSE_URL is invalid",
        ),
        (
            &[("DATAVERSE_URL", "https://x.crm.dynamics.com"), ("DATAVERSE_TOKEN", "t")],
            "launch-msa-workflows: IRONCLAD_BASE_URL is not set",
        ),
        (
            &[
                ("DATAVERSE_URL", "https://x.crm.dynamics.com"),
                ("DATAVERSE_TOKEN", "t"),
                ("IRONCLAD_BASE_URL", "https://demo.ironcladapp.com"),
                ("IRONCLAD_TOKEN", "secret-token-123"),
                ("IRONCLAD_MSA_TEMPLATE_ID", "6063ac9e01a5542dafa3722b"),
            ],
            "launch-msa-workflows: IRONCLAD_CREATOR_EMAIL is not set",
        ),
        (
            &[
                ("DATAVERSE_URL", "https://x.crm.dynamics.com"),
                ("DATAVERSE_TOKEN", "t"),
                ("IRONCLAD_BASE_URL", "https://demo.ironcladapp.com"),
                ("IRONCLAD_CLIENT_ID", "app"),
                ("IRONCLAD_CLIENT_SECRET", "secret-token-123"),
            ],
            "launch-msa-workflows: IRONCLAD_AS_USER_EMAIL is not set",
        ),
    ];
    for (env, expected) in cases {
        let mut launch = command(LAUNCH);
        launch.arg("--once").envs(env.iter().copied());
        let run = output(launch).await;
        assert_eq!(run.status.code(), Some(2), "{expected}");
        let stderr = text(&run.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
        assert!(!stderr.contains("secret-token-123"));
    }
    let mut bad_flag = command(LAUNCH);
    bad_flag.args(["--interval", "soon"]);
    let run = output(bad_flag).await;
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(text(&run.stderr).lines().count(), 1, "{}", text(&run.stderr));
}

#[tokio::test]
async fn launch_once_launches_each_msa_once_and_writes_it_back() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("launch.redb");
    let run = |sandbox: &Sandbox| {
        let mut launch = command(LAUNCH);
        sandbox_env(&mut launch, sandbox);
        launch.arg("--once").arg("--state").arg(&state).args(["--since", "2020-01-01T00:00:00Z"]);
        launch
    };
    let first = output(run(&sandbox)).await;
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{stdout}{}", text(&first.stderr));
    assert!(stdout.ends_with("2 launched, 0 found, 0 resumed, 0 failed\n"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("launched ")).count(), 2);
    for id in &sandbox.seeded().agreements[..2] {
        let agreement = sandbox.dataverse().agreement(*id).unwrap();
        assert!(agreement.workflow_url.unwrap().starts_with(sandbox.ironclad_base_url().as_str()));
        assert_eq!(agreement.workflow_status.as_deref(), Some("Review"));
    }
    let second = output(run(&sandbox)).await;
    assert!(second.status.success());
    assert_eq!(text(&second.stdout), "0 launched, 0 found, 0 resumed, 0 failed\n");
    assert_eq!(sandbox.ironclad().workflows().len(), 2);

    // A write-back that keeps failing: exit 1, and the next run resumes it.
    sandbox
        .dataverse()
        .create_agreement(dataverse_ironclad_sandbox::NewAgreement {
            name: Some("Late MSA".into()),
            opportunity: Some(sandbox.seeded().opportunities[4]),
            ..dataverse_ironclad_sandbox::NewAgreement::msa()
        })
        .unwrap();
    let dataverse = sandbox.faults(Service::Dataverse);
    dataverse.set_server_error_status(500);
    dataverse.fail_next_matching(1, Fault::ServerError, Some(http::Method::PATCH), None);
    let failing = output(run(&sandbox)).await;
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing.stdout));
    assert!(text(&failing.stdout).contains("failed agreement "));
    let resumed = output(run(&sandbox)).await;
    assert!(resumed.status.success());
    assert_eq!(
        text(&resumed.stdout).lines().last(),
        Some("0 launched, 0 found, 1 resumed, 0 failed")
    );
    assert_eq!(sandbox.ironclad().workflows().len(), 3);
}

/// Wait for the next whole second: Dataverse stamps `modifiedon` in whole seconds, so rows
/// seeded before it are older than a first run started after it.
async fn next_second() {
    let now = time::OffsetDateTime::now_utc();
    let into = Duration::from_nanos(u64::from(now.nanosecond()));
    tokio::time::sleep(Duration::from_secs(1) - into + Duration::from_millis(20)).await;
}

#[tokio::test]
async fn the_first_run_starts_from_now_and_later_runs_pick_up_what_is_new() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    next_second().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("launch.redb");
    let run = |sandbox: &Sandbox| {
        let mut launch = command(LAUNCH);
        sandbox_env(&mut launch, sandbox);
        launch.arg("--once").arg("--state").arg(&state);
        launch
    };
    let first = output(run(&sandbox)).await;
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{stdout}{}", text(&first.stderr));
    assert!(
        stdout.starts_with("first run: left 2 unlinked MSA agreements modified before 20"),
        "{stdout}"
    );
    assert!(stdout.contains("--since <RFC 3339> or --since all"), "{stdout}");
    assert!(stdout.ends_with("0 launched, 0 found, 0 resumed, 0 failed\n"), "{stdout}");
    assert!(sandbox.ironclad().workflows().is_empty(), "the backlog is left alone");

    // Created after the first run, which found nothing: the stored start still covers it.
    let late = sandbox
        .dataverse()
        .create_agreement(dataverse_ironclad_sandbox::NewAgreement {
            name: Some("New MSA".into()),
            opportunity: Some(sandbox.seeded().opportunities[0]),
            ..dataverse_ironclad_sandbox::NewAgreement::msa()
        })
        .unwrap();
    let second = output(run(&sandbox)).await;
    let stdout = text(&second.stdout);
    assert!(second.status.success(), "{stdout}");
    assert!(!stdout.contains("first run"), "{stdout}");
    assert!(stdout.ends_with("1 launched, 0 found, 0 resumed, 0 failed\n"), "{stdout}");
    assert!(sandbox.dataverse().agreement(late).unwrap().workflow_url.is_some());
    for old in &sandbox.seeded().agreements[..2] {
        assert_eq!(sandbox.dataverse().agreement(*old).unwrap().workflow_url, None);
    }
}

#[tokio::test]
async fn a_template_without_a_needed_field_stops_the_launch_with_exit_2() {
    use dataverse_ironclad_sandbox::ironclad::{
        FieldKind, FieldSeed, MSA_SIGNER_EMAIL_ID, TemplateSeed,
    };

    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut seed = TemplateSeed::msa("64f0c1d2e3a4b5c6d7e8f901");
    seed.fields.retain(|f| f.id != MSA_SIGNER_EMAIL_ID);
    seed.fields.push(FieldSeed::new("contactEmail", FieldKind::Email, "Primary Contact Email"));
    for role in &mut seed.roles {
        role.email_field = None;
    }
    sandbox.ironclad().publish_template(seed).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let launch = |template: &str, config: Option<&std::path::Path>| {
        let mut launch = command(LAUNCH);
        sandbox_env(&mut launch, &sandbox);
        launch.env("IRONCLAD_MSA_TEMPLATE_ID", template).args(["--once", "--since", "all"]);
        launch.arg("--state").arg(dir.path().join(format!("{template}.redb")));
        if let Some(config) = config {
            launch.arg("--config").arg(config);
        }
        launch
    };
    let run = output(launch("64f0c1d2e3a4b5c6d7e8f901", None)).await;
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "launch-msa-workflows: the MSA template 64f0c1d2e3a4b5c6d7e8f901 has no Counterparty Signer Email attribute"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("its email fields are contactEmail (\"Primary Contact Email\")"),
        "{stderr}"
    );
    assert!(stderr.contains("set attributes.signer_email in the config file"), "{stderr}");
    assert!(sandbox.ironclad().workflows().is_empty(), "nothing launched");

    // Mapping the field by hand in the config file lets it run.
    let config = dir.path().join("flows.toml");
    std::fs::write(&config, "[attributes]\nsigner_email = \"contactEmail\"\n").unwrap();
    let run = output(launch("64f0c1d2e3a4b5c6d7e8f901", Some(&config))).await;
    assert!(run.status.success(), "{}", text(&run.stderr));
    let workflows = sandbox.ironclad().workflows();
    assert_eq!(workflows.len(), 2);
    let emails: Vec<_> = workflows
        .iter()
        .filter_map(|w| w.get("attributes")?.get("contactEmail")?.as_str().map(str::to_owned))
        .collect();
    assert_eq!(emails.len(), 2, "the signer's email went to the mapped field");

    let run = output(launch("000000000000000000000000", None)).await;
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).starts_with(
            "launch-msa-workflows: IRONCLAD_MSA_TEMPLATE_ID is invalid: Ironclad has no workflow template 000000000000000000000000"
        ),
        "{}",
        text(&run.stderr)
    );
}

#[tokio::test]
async fn launch_with_entra_and_ironclad_oauth_credentials() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut launch = command(LAUNCH);
    launch
        .env("DATAVERSE_URL", sandbox.dataverse_url().as_str())
        .env("AZURE_TENANT_ID", sandbox.tenant_id())
        .env("AZURE_CLIENT_ID", sandbox.dataverse_client_id())
        .env("AZURE_CLIENT_SECRET", sandbox.dataverse_client_secret().expose_secret())
        .env("AZURE_AUTHORITY_HOST", sandbox.dataverse_url().as_str())
        .env("IRONCLAD_BASE_URL", format!("{}public/api/v1", sandbox.ironclad_base_url()))
        .env("IRONCLAD_CLIENT_ID", sandbox.ironclad_client_id())
        .env("IRONCLAD_CLIENT_SECRET", sandbox.ironclad_client_secret().expose_secret())
        .env("IRONCLAD_AS_USER_EMAIL", sandbox.creator_email())
        .env("IRONCLAD_MSA_TEMPLATE_ID", sandbox.msa_template_id())
        .args(["--once", "--since", "all"])
        .arg("--state")
        .arg(dir.path().join("state.redb"));
    let run = output(launch).await;
    assert!(run.status.success(), "{}{}", text(&run.stdout), text(&run.stderr));
    assert!(text(&run.stdout).ends_with("2 launched, 0 found, 0 resumed, 0 failed\n"));
    let workflow = &sandbox.ironclad().workflows()[0];
    let creator = workflow.get("creator").and_then(|c| c.get("email")).and_then(|e| e.as_str());
    assert_eq!(creator, Some(sandbox.creator_email()), "OAuth launches act as the user");
    let url = sandbox
        .dataverse()
        .agreement(sandbox.seeded().agreements[0])
        .unwrap()
        .workflow_url
        .unwrap();
    assert!(!url.contains("/public/api/v1"), "the URL is the host's /workflow/{{id}}: {url}");
}

/// A running `ironclad-webhooks` and the address it printed.
struct Webhooks {
    child: Child,
    url: String,
}

/// Start it and read the address it prints (on the blocking pool: the sandbox it talks to runs
/// on this test's runtime and must keep answering meanwhile).
async fn spawn_webhooks(sandbox: &Sandbox, state: &std::path::Path) -> Webhooks {
    let mut receiver = command(WEBHOOKS);
    sandbox_env(&mut receiver, sandbox);
    receiver
        .args(["--listen", "127.0.0.1:0"])
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = receiver.spawn().expect("ironclad-webhooks starts");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let address =
        line.trim().strip_prefix("ironclad-webhooks listening on ").expect(&line).to_owned();
    Webhooks { child, url: format!("{address}/ironclad") }
}

async fn register(sandbox: &Sandbox, url: &str) -> String {
    let mut register = command(WEBHOOKS);
    sandbox_env(&mut register, sandbox);
    register.args(["--register-url", url]);
    let run = output(register).await;
    assert!(run.status.success(), "{}", text(&run.stderr));
    text(&run.stdout)
}

async fn launch_all(sandbox: &Sandbox) -> Vec<(uuid::Uuid, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut launch = command(LAUNCH);
    sandbox_env(&mut launch, sandbox);
    launch.args(["--once", "--since", "all"]).arg("--state").arg(dir.path().join("s.redb"));
    assert!(output(launch).await.status.success());
    sandbox.seeded().agreements[..2]
        .iter()
        .map(|id| {
            let url = sandbox.dataverse().agreement(*id).unwrap().workflow_url.unwrap();
            (*id, url.rsplit('/').next().unwrap().to_owned())
        })
        .collect()
}

async fn wait(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn webhooks_registers_receives_survives_a_kill_and_stops_on_sigterm() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let launched = launch_all(&sandbox).await;
    let (agreement, workflow) = &launched[0];
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("webhooks.redb");

    let mut first = spawn_webhooks(&sandbox, &state).await;
    let registered = register(&sandbox, &first.url).await;
    assert!(
        registered.starts_with("subscription ") && registered.contains(" created for "),
        "{registered}"
    );
    assert!(register(&sandbox, &first.url).await.contains(" reused for "));

    // Notes cannot be written for now: the event stays queued, retried with backoff.
    let dataverse = sandbox.faults(Service::Dataverse);
    dataverse.set_server_error_status(500);
    dataverse.fail_next_matching(
        1000,
        Fault::ServerError,
        Some(http::Method::PATCH),
        Some("annotations"),
    );
    sandbox.ironclad().approve(workflow, "Legal").unwrap();
    assert!(sandbox.ironclad().wait_for_deliveries(Duration::from_secs(10)).await);
    wait("a failed attempt", || dataverse.pending_scripted() < 1000).await;
    first.child.kill().unwrap(); // SIGKILL: a crash
    tokio::task::spawn_blocking(move || first.child.wait().unwrap()).await.unwrap();
    dataverse.clear();
    assert!(sandbox.dataverse().notes_regarding(*agreement).is_empty());

    // The restarted receiver processes what the first one accepted, exactly once.
    let mut second = spawn_webhooks(&sandbox, &state).await;
    wait("the note", || sandbox.dataverse().notes_regarding(*agreement).len() == 1).await;
    let status =
        Command::new("kill").args(["-TERM", &second.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || second.child.wait().unwrap()).await.unwrap();
    assert_eq!(exit.code(), Some(0), "a clean shutdown on SIGTERM");
    assert_eq!(sandbox.dataverse().notes_regarding(*agreement).len(), 1);
}

#[tokio::test]
async fn launch_polls_until_sigterm_then_exits_0() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut launch = command(LAUNCH);
    sandbox_env(&mut launch, &sandbox);
    launch
        .args(["--interval", "100ms", "--since", "all"])
        .arg("--state")
        .arg(dir.path().join("poll.redb"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = launch.spawn().unwrap();
    wait("the first run", || sandbox.ironclad().workflows().len() == 2).await;
    // A new agreement is picked up by a later run.
    let late = sandbox
        .dataverse()
        .create_agreement(dataverse_ironclad_sandbox::NewAgreement {
            name: Some("Polled MSA".into()),
            opportunity: Some(sandbox.seeded().opportunities[0]),
            ..dataverse_ironclad_sandbox::NewAgreement::msa()
        })
        .unwrap();
    wait("a later run", || sandbox.dataverse().agreement(late).unwrap().workflow_url.is_some())
        .await;
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert_eq!(exit.code(), Some(0));
    assert_eq!(sandbox.ironclad().workflows().len(), 3);
}

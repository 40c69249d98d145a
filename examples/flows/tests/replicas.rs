//! Two processes of each flows program on one PostgreSQL database (`TEST_DATABASE_URL`;
//! skipped without one), against a sandbox: deliveries of one event to two replicas, a worker
//! killed with SIGKILL mid-event, two launch runs at once and a launch run killed mid-way.
//! Every effect happens once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use dataverse_ironclad_sandbox::{NewAgreement, Sandbox, SandboxConfig, Service};
use program_support::postgres::Database;
use program_support::postgres::testing::TestDatabase;
use secrecy::ExposeSecret;

const LAUNCH: &str = env!("CARGO_BIN_EXE_launch-msa-workflows");
const WEBHOOKS: &str = env!("CARGO_BIN_EXE_ironclad-webhooks");
const EVENTS: [&str; 3] =
    ["workflow_attribute_updated", "workflow_approval_status_changed", "workflow_completed"];

fn command(program: &str, sandbox: &Sandbox) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("DATAVERSE_URL", sandbox.dataverse_url().as_str())
        .env("DATAVERSE_TOKEN", sandbox.dataverse_token().expose_secret())
        .env("IRONCLAD_BASE_URL", sandbox.ironclad_base_url().as_str())
        .env("IRONCLAD_TOKEN", sandbox.ironclad_token().expose_secret())
        .env("IRONCLAD_MSA_TEMPLATE_ID", sandbox.msa_template_id())
        .env("IRONCLAD_CREATOR_EMAIL", sandbox.creator_email());
    command
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs")).await.unwrap()
}

/// A running process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    async fn sigkill(mut self) {
        self.0.kill().unwrap();
        let mut child = std::mem::replace(&mut self.0, Command::new("true").spawn().unwrap());
        tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    }
}

/// An `ironclad-webhooks` replica on `database`, and the URL it receives on.
async fn webhooks_replica(sandbox: &Sandbox, database: &str) -> (Process, String) {
    let mut replica = command(WEBHOOKS, sandbox);
    replica
        .args(["--listen", "127.0.0.1:0", "--lease", "2s"])
        .env("IRONCLAD_WEBHOOKS_DATABASE_URL", database)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = replica.spawn().expect("ironclad-webhooks starts");
    let stdout = child.stdout.take().unwrap();
    // On the blocking pool: the sandbox it talks to runs on this test's runtime.
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let address =
        line.trim().strip_prefix("ironclad-webhooks listening on ").expect(&line).to_owned();
    (Process(child), format!("{address}/ironclad"))
}

/// A loopback "load balancer" that forwards each request to every target at once and answers
/// with the first target's answer.
async fn fan_out(targets: [String; 2]) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};

    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (client, targets) = (client.clone(), targets.clone());
        async move {
            let send = |target: String| {
                let mut request = client.post(target).body(body.clone());
                for (name, value) in &headers {
                    if name != "host" && name != "content-length" {
                        request = request.header(name.as_str(), value.as_bytes());
                    }
                }
                request.send()
            };
            let (first, _) = tokio::join!(send(targets[0].clone()), send(targets[1].clone()));
            first.map_or(StatusCode::BAD_GATEWAY, |r| {
                StatusCode::from_u16(r.status().as_u16()).unwrap()
            })
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/ironclad")
}

/// Launch a workflow for every MSA agreement (a state of its own, not the test's database).
async fn launch_all(sandbox: &Sandbox) -> Vec<(uuid::Uuid, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut launch = command(LAUNCH, sandbox);
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

async fn wait(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_delivered_to_two_replicas_has_its_effect_once() {
    let Some(db) = TestDatabase::create("webhooks_replicas_duplicates").await else { return };
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let launched = launch_all(&sandbox).await;
    let (a, a_url) = webhooks_replica(&sandbox, &db.url()).await;
    let (b, b_url) = webhooks_replica(&sandbox, &db.url()).await;
    // Every delivery is sent twice, and a load balancer hands each copy to both replicas at
    // once: each event reaches each replica twice, at about the same time.
    let balancer = fan_out([a_url, b_url]).await;
    sandbox.ironclad().subscribe(&EVENTS, &balancer).unwrap();
    sandbox.ironclad().set_duplicate_deliveries(1);
    for (_, workflow) in &launched {
        sandbox.ironclad().approve(workflow, "Legal").unwrap();
    }
    assert!(sandbox.ironclad().wait_for_deliveries(Duration::from_secs(10)).await);
    let shared = Database::connect(&db.secret_url(), 1).await.unwrap();
    wait("both events done", async || {
        let client = shared.client().await.unwrap();
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FROM webhook_events",
                &[],
            )
            .await
            .unwrap();
        row.get::<_, i64>(0) == 2 && row.get::<_, i64>(1) == 2
    })
    .await;
    for (agreement, _) in &launched {
        assert_eq!(sandbox.dataverse().notes_regarding(*agreement).len(), 1, "one note each");
    }
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_event_leaves_it_to_another_after_the_lease() {
    let Some(db) = TestDatabase::create("webhooks_replicas_sigkill").await else { return };
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let launched = launch_all(&sandbox).await;
    let (agreement, workflow) = &launched[0];
    let (a, a_url) = webhooks_replica(&sandbox, &db.url()).await;
    sandbox.ironclad().subscribe(&EVENTS, &a_url).unwrap();

    // Dataverse answers slowly: the worker is mid-event when it dies.
    sandbox.faults(Service::Dataverse).set_latency(Duration::from_millis(1500));
    sandbox.ironclad().approve(workflow, "Legal").unwrap();
    let shared = Database::connect(&db.secret_url(), 1).await.unwrap();
    wait("the event claimed", async || {
        let client = shared.client().await.unwrap();
        let claimed = client
            .query_opt(
                "SELECT 1 FROM webhook_events WHERE status = 'pending' AND next_attempt_at > now()",
                &[],
            )
            .await
            .unwrap();
        claimed.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.sigkill().await;
    sandbox.faults(Service::Dataverse).set_latency(Duration::ZERO);

    // Another replica takes the event once the lease (2 s) runs out, and finishes it.
    let (b, _) = webhooks_replica(&sandbox, &db.url()).await;
    wait("the event done", async || {
        let client = shared.client().await.unwrap();
        let row =
            client.query_one("SELECT status, attempts FROM webhook_events", &[]).await.unwrap();
        row.get::<_, String>(0) == "done"
    })
    .await;
    assert_eq!(sandbox.dataverse().notes_regarding(*agreement).len(), 1, "the note once");
    drop(b);
}

/// `launch-msa-workflows --once` on `database`.
fn launch_once(sandbox: &Sandbox, database: &str) -> Command {
    let mut launch = command(LAUNCH, sandbox);
    launch
        .args(["--once", "--since", "all", "--concurrency", "2"])
        .env("LAUNCH_MSA_WORKFLOWS_DATABASE_URL", database);
    launch
}

fn add_agreements(sandbox: &Sandbox, count: usize) {
    for n in 0..count {
        sandbox
            .dataverse()
            .create_agreement(NewAgreement {
                name: Some(format!("MSA {n}")),
                opportunity: Some(sandbox.seeded().opportunities[n % 4]),
                ..NewAgreement::msa()
            })
            .unwrap();
    }
}

/// Every MSA agreement has a workflow, and no agreement has two.
fn assert_one_workflow_each(sandbox: &Sandbox) {
    let agreements: Vec<_> = sandbox
        .dataverse()
        .agreements()
        .into_iter()
        .filter(|agreement| agreement.workflow_url.is_some())
        .collect();
    let workflows = sandbox.ironclad().workflows();
    assert_eq!(workflows.len(), agreements.len(), "one workflow per linked agreement");
    let mut urls: Vec<_> = agreements.iter().filter_map(|a| a.workflow_url.clone()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), agreements.len(), "no workflow shared by two agreements");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_launch_runs_at_once_launch_each_agreement_once() {
    let Some(db) = TestDatabase::create("launch_replicas_together").await else { return };
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    add_agreements(&sandbox, 10);
    let (first, second) = tokio::join!(
        output(launch_once(&sandbox, &db.url())),
        output(launch_once(&sandbox, &db.url()))
    );
    for run in [&first, &second] {
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    }
    let launched = |run: &Output| {
        String::from_utf8_lossy(&run.stdout).lines().filter(|l| l.starts_with("launched ")).count()
    };
    let total =
        sandbox.dataverse().agreements().iter().filter(|a| a.workflow_url.is_some()).count();
    assert!(total >= 10, "{total}");
    assert_eq!(launched(&first) + launched(&second), total, "each agreement launched by one run");
    assert_one_workflow_each(&sandbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_run_killed_mid_way_is_finished_by_another_replica_without_a_second_launch() {
    let Some(db) = TestDatabase::create("launch_replicas_sigkill").await else { return };
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    add_agreements(&sandbox, 10);
    // Write-backs are slow: the first replica dies between launches and write-backs.
    sandbox.faults(Service::Dataverse).set_latency(Duration::from_millis(400));
    let mut first = launch_once(&sandbox, &db.url());
    first.stdout(Stdio::null()).stderr(Stdio::null());
    let first = Process(first.spawn().unwrap());
    wait("a launch", async || !sandbox.ironclad().workflows().is_empty()).await;
    first.sigkill().await;
    sandbox.faults(Service::Dataverse).set_latency(Duration::ZERO);

    let second = output(launch_once(&sandbox, &db.url())).await;
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stdout));
    assert_one_workflow_each(&sandbox);
    let unlinked =
        sandbox.dataverse().agreements().iter().filter(|a| a.workflow_url.is_none()).count();
    let msa_total = sandbox.ironclad().workflows().len();
    assert!(msa_total >= 10, "{msa_total} workflows, {unlinked} agreements without one");
}

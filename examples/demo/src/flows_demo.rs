//! The `demo` binary's walk-through: the sandbox of both services, and every flow end to end
//! with readable output. It drives the same library code as `launch-msa-workflows` and
//! `ironclad-webhooks` ([`LaunchMsaWorkflows`], [`WebhookFlows`], [`register_subscription`]),
//! with no credentials and no network.

use std::io::Write;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use uuid::Uuid;

use dataverse_ironclad_sandbox::{
    Json, NewAgreement, Note, Sandbox, SandboxConfig, SandboxError, Service,
};
use flows::config::AgreementTable;
use flows::launch::InitialWatermark;
use flows::state::{EventQueue, LaunchState, StateError};
use flows::webhooks::{EVENTS, register_subscription};
use flows::{
    FlowContext, FlowError, LaunchHow, LaunchMsaWorkflows, LaunchOptions, WebhookFlows,
    WorkerOptions,
};

/// How long the demo waits for an asynchronous effect (a delivery processed).
const WAIT: Duration = Duration::from_secs(15);

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Writing the output failed.
    #[error("cannot write the demo output: {0}")]
    Output(#[from] std::io::Error),
    /// The sandbox could not start or refused an action.
    #[error("sandbox: {0}")]
    Sandbox(#[from] SandboxError),
    /// The state could not be created.
    #[error("{0}")]
    State(#[from] StateError),
    /// A flow failed.
    #[error("{0}")]
    Flow(#[from] FlowError),
    /// A client could not be built.
    #[error("client: {0}")]
    Client(String),
    /// The contact-sync part failed.
    #[error("contact-sync: {0}")]
    ContactSync(#[from] contact_sync::demo::DemoError),
    /// Something did not happen in time, or not as expected.
    #[error("{0}")]
    Unexpected(String),
}

/// Run the demo, writing its story to `out`. The sandbox and the receiver are stopped before
/// this returns.
///
/// ```no_run
/// # async fn main_() -> Result<(), crate::flows_demo::DemoError> {
/// crate::flows_demo::run(&mut std::io::stdout()).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// When a step does not do what it should (the demo checks each effect), or output fails.
pub async fn run(out: &mut impl Write) -> Result<(), DemoError> {
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let result = walk_through(&sandbox, out).await;
    sandbox.shutdown().await;
    result?;

    // ---- Contact sync (spec 000) -------------------------------------------------------------
    // HOOK: the contact-sync demo step. It runs its own receiver; add further contact-sync
    // steps (for example against the sandbox's Dataverse contacts) here.
    writeln!(out)?;
    contact_sync::demo::run(out).await?;
    // ---- end of the contact-sync hook ---------------------------------------------------------

    writeln!(out)?;
    writeln!(out, "Demo complete: every flow ran end to end against the local sandbox.")?;
    Ok(())
}

fn context(sandbox: &Sandbox) -> Result<FlowContext, DemoError> {
    let dataverse = dataverse_client::Client::builder(sandbox.dataverse_url().as_str())
        .credential(dataverse_client::auth::StaticToken::new(
            sandbox.dataverse_token().expose_secret(),
        ))
        .build()
        .map_err(|e| DemoError::Client(e.to_string()))?;
    let ironclad = ironclad_client::Client::builder()
        .base_url(sandbox.ironclad_base_url().as_str())
        .credential(ironclad_client::auth::Credentials::api_token(
            sandbox.ironclad_token().expose_secret(),
        ))
        .build()
        .map_err(|e| DemoError::Client(e.to_string()))?;
    Ok(FlowContext::new(dataverse, ironclad, AgreementTable::default(), sandbox.msa_template_id()))
}

async fn walk_through(sandbox: &Sandbox, out: &mut impl Write) -> Result<(), DemoError> {
    writeln!(
        out,
        "== Ironclad <-> Dynamics 365: the four flows of spec 004, against a local sandbox =="
    )?;
    writeln!(
        out,
        "Dataverse sandbox: {}   Ironclad sandbox: {}",
        sandbox.dataverse_url(),
        sandbox.ironclad_base_url()
    )?;
    writeln!(out, "No credentials, no network: both services are emulated on loopback.")?;
    writeln!(out)?;

    let context = context(sandbox)?;
    let seeded = sandbox.seeded();
    let fabrikam_opportunity =
        seeded.opportunities.get(1).copied().ok_or_else(|| {
            DemoError::Unexpected("the sandbox has no seeded opportunities".into())
        })?;
    let agreement = sandbox.dataverse().create_agreement(NewAgreement {
        name: Some("Fabrikam MSA 2026".to_owned()),
        start_date: Some(time::macros::date!(2026 - 09 - 01)),
        value: Some(Decimal::new(125_000_050, 2)),
        currency: Some("USD".to_owned()),
        signer_name: Some("Dana Brooks".to_owned()),
        signer_email: Some("dana.brooks@fabrikam.example".to_owned()),
        opportunity: Some(fabrikam_opportunity),
        ..NewAgreement::msa()
    })?;
    let row = agreement_row(sandbox, agreement)?;
    writeln!(out, "1. A sales rep creates an MSA Agreement in Dynamics")?;
    writeln!(
        out,
        "   {} \"{}\": 1250000.50 USD, opportunity \"Fabrikam managed services renewal\" (account Fabrikam, Inc.)",
        row.number.as_deref().unwrap_or("?"),
        row.name.as_deref().unwrap_or("?")
    )?;
    writeln!(out, "   (the sandbox also holds two older MSAs, an NDA and a SOW)")?;
    writeln!(out)?;

    // Flow 1, as `launch-msa-workflows --once` runs it.
    writeln!(
        out,
        "2. launch-msa-workflows --once --since all  (flow 1: new MSA agreements -> Ironclad workflows)"
    )?;
    writeln!(
        out,
        "   (--since all includes the older MSAs: without it a first run starts from now and leaves them alone)"
    )?;
    let launch = LaunchMsaWorkflows::new(context.clone(), LaunchState::in_memory()?)
        .creator_email(Some(sandbox.creator_email().to_owned()))
        .options(LaunchOptions {
            initial_watermark: InitialWatermark::All,
            ..LaunchOptions::default()
        });
    let report = launch.run_once(&CancellationToken::new()).await;
    if !report.is_success() {
        return Err(DemoError::Unexpected(format!("flow 1 did not finish: {report:?}")));
    }
    let mut workflow_id = None;
    let mut processed = report.processed.clone();
    processed.sort_by_key(|done| {
        agreement_row(sandbox, done.agreement_id).ok().and_then(|row| row.number)
    });
    for done in &processed {
        let name = agreement_row(sandbox, done.agreement_id)?.number.unwrap_or_default();
        writeln!(
            out,
            "   {name}: launched workflow {} \"{}\"",
            done.workflow_id,
            done.title.as_deref().unwrap_or("")
        )?;
        if done.agreement_id == agreement && done.how == LaunchHow::Launched {
            workflow_id = Some(done.workflow_id.clone());
        }
    }
    let workflow_id = workflow_id
        .ok_or_else(|| DemoError::Unexpected("the new agreement was not launched".into()))?;
    let row = agreement_row(sandbox, agreement)?;
    writeln!(out, "   written back to {}:", row.number.as_deref().unwrap_or("the agreement"))?;
    writeln!(out, "     name             {}", row.name.as_deref().unwrap_or("-"))?;
    writeln!(out, "     Ironclad status  {}", row.workflow_status.as_deref().unwrap_or("-"))?;
    writeln!(out, "     Ironclad URL     {}", row.workflow_url.as_deref().unwrap_or("-"))?;
    let attributes = sandbox
        .ironclad()
        .workflow(&workflow_id)
        .and_then(|w| w.get("attributes").cloned())
        .unwrap_or(Json::Null);
    let value = attributes.get("totalContractValue");
    writeln!(
        out,
        "   workflow attributes: dynamicsMsaId {}, counterparty {}, totalContractValue {} {}",
        attributes.get("dynamicsMsaId").and_then(Json::as_str).unwrap_or("-"),
        attributes.get("counterpartyName").and_then(Json::as_str).unwrap_or("-"),
        value.and_then(|v| v.get("amount")).and_then(Json::as_number_text).unwrap_or("-"),
        value.and_then(|v| v.get("currency")).and_then(Json::as_str).unwrap_or(""),
    )?;
    sandbox.clear_requests(Service::Dataverse);
    sandbox.clear_requests(Service::Ironclad);
    let again = launch.run_once(&CancellationToken::new()).await;
    let requests =
        sandbox.requests(Service::Dataverse).len() + sandbox.requests(Service::Ironclad).len();
    writeln!(
        out,
        "   a second run launches {} (it made {requests} request: nothing new to read)",
        again.launched()
    )?;
    writeln!(out)?;

    // Flows 2–4, as `ironclad-webhooks` runs them.
    let flows =
        WebhookFlows::new(context.clone(), EventQueue::in_memory()?).options(WorkerOptions {
            initial_backoff: Duration::from_millis(20),
            ..WorkerOptions::default()
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/ironclad", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let serving = flows.clone();
    let server = tokio::spawn(async move { serving.serve(listener, shutdown).await });
    let result = webhooks(sandbox, &context, &flows, &url, agreement, &workflow_id, out).await;
    stop.cancel();
    let _ = server.await;
    result
}

async fn webhooks(
    sandbox: &Sandbox,
    context: &FlowContext,
    flows: &WebhookFlows,
    url: &str,
    agreement: Uuid,
    workflow: &str,
    out: &mut impl Write,
) -> Result<(), DemoError> {
    let registration = register_subscription(context.ironclad(), url).await?;
    let events: Vec<&str> = EVENTS.iter().map(|e| e.as_str()).collect();
    writeln!(
        out,
        "3. ironclad-webhooks --register-url {url} --listen {}  (flows 2-4)",
        url.trim_start_matches("http://").trim_end_matches("/ironclad")
    )?;
    writeln!(out, "   subscription {} for {}", registration.webhook().id, events.join(", "))?;
    writeln!(
        out,
        "   every delivery is verified (RSA signature), queued durably, answered 200, then processed"
    )?;
    writeln!(out)?;

    let ironclad = sandbox.ironclad();
    writeln!(
        out,
        "4. In Ironclad, the workflow owner raises the Total Contract Value to 1312500.75 USD"
    )?;
    ironclad.set_attribute(
        workflow,
        "totalContractValue",
        Json::parse(r#"{"currency":"USD","amount":1312500.75}"#)
            .map_err(|e| DemoError::Unexpected(e.to_string()))?,
    )?;
    let expected = Decimal::new(131_250_075, 2);
    wait_for(
        "the value to sync",
        || Ok(agreement_row(sandbox, agreement)?.value == Some(expected)),
    )
    .await?;
    writeln!(
        out,
        "   -> Agreement Value in Dynamics: {expected} USD (workflow_attribute_updated, exact decimal)"
    )?;
    writeln!(out)?;

    writeln!(out, "5. Legal approves the workflow in Ironclad")?;
    ironclad.approve(workflow, "Legal")?;
    let note = wait_for_note(sandbox, agreement, |n| !n.is_document).await?;
    writeln!(out, "   -> note on the Agreement: \"{}\"", note.subject.as_deref().unwrap_or(""))?;
    for line in note.note_text.as_deref().unwrap_or("").lines() {
        writeln!(out, "        {line}")?;
    }
    writeln!(out)?;

    writeln!(
        out,
        "6. Finance approves; the contract is signed and archived in the Ironclad repository"
    )?;
    ironclad.approve_all(workflow)?;
    ironclad.complete_workflow(workflow)?;
    let document = wait_for_note(sandbox, agreement, |n| n.is_document).await?;
    wait_for("the status", || {
        Ok(agreement_row(sandbox, agreement)?.workflow_status.as_deref() == Some("Complete"))
    })
    .await?;
    writeln!(
        out,
        "   -> note \"{}\" with {} ({} bytes, {}), streamed from Ironclad",
        document.subject.as_deref().unwrap_or(""),
        document.file_name.as_deref().unwrap_or("?"),
        document.file_size.unwrap_or(0),
        document.mime_type.as_deref().unwrap_or("?")
    )?;
    writeln!(out, "   -> Ironclad status on the Agreement: Complete")?;

    assert_drained(sandbox, flows).await?;
    let notes = sandbox.dataverse().notes_regarding(agreement);
    let processed = flows.queue().counts().await?;
    let documents = notes.iter().filter(|n| n.is_document).count();
    writeln!(
        out,
        "   the Agreement has {} notes ({} approvals, {documents} signed {}); {} deliveries processed, {} failed",
        notes.len(),
        notes.len() - documents,
        if documents == 1 { "copy" } else { "copies" },
        processed.done,
        processed.failed
    )?;
    Ok(())
}

fn agreement_row(
    sandbox: &Sandbox,
    id: Uuid,
) -> Result<dataverse_ironclad_sandbox::Agreement, DemoError> {
    sandbox
        .dataverse()
        .agreement(id)
        .ok_or_else(|| DemoError::Unexpected(format!("agreement {id} is gone")))
}

async fn wait_for(
    what: &str,
    mut done: impl FnMut() -> Result<bool, DemoError>,
) -> Result<(), DemoError> {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done()? {
        if tokio::time::Instant::now() >= deadline {
            return Err(DemoError::Unexpected(format!("timed out waiting for {what}")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn wait_for_note(
    sandbox: &Sandbox,
    agreement: Uuid,
    which: impl Fn(&Note) -> bool,
) -> Result<Note, DemoError> {
    let mut found = None;
    wait_for("a note", || {
        found = sandbox.dataverse().notes_regarding(agreement).into_iter().find(|n| which(n));
        Ok(found.is_some())
    })
    .await?;
    found.ok_or_else(|| DemoError::Unexpected("no note".into()))
}

async fn assert_drained(sandbox: &Sandbox, flows: &WebhookFlows) -> Result<(), DemoError> {
    if !sandbox.ironclad().wait_for_deliveries(WAIT).await {
        return Err(DemoError::Unexpected("deliveries still pending".into()));
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while flows.queue().counts().await?.pending > 0 {
        if tokio::time::Instant::now() >= deadline {
            return Err(DemoError::Unexpected("events still queued".into()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

//! Flow 1 end to end against the sandbox: one workflow per MSA agreement with spec 004's
//! mapping, the write-back, the watermark, and the request budget.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use dataverse_ironclad_sandbox::{Json, NewAgreement, SandboxConfig, Service};
use flow_tests::{context, sandbox};
use flows::state::LaunchState;
use flows::{LaunchHow, LaunchMsaWorkflows, LaunchOptions};
use time::OffsetDateTime;

fn flow(sandbox: &dataverse_ironclad_sandbox::Sandbox, state: LaunchState) -> LaunchMsaWorkflows {
    LaunchMsaWorkflows::new(context(sandbox), state)
        .creator_email(Some(sandbox.creator_email().to_owned()))
}

fn text<'a>(json: &'a Json, key: &str) -> Option<&'a str> {
    json.get(key).and_then(Json::as_str)
}

#[tokio::test]
async fn each_msa_gets_one_workflow_with_the_spec_mapping_and_it_is_written_back() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let seeded = sandbox.seeded();
    let state = LaunchState::in_memory().unwrap();
    let report = flow(&sandbox, state.clone()).run_once(&CancellationToken::new()).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.processed.len(), 2, "two of the four seeded agreements are MSAs");
    assert!(report.processed.iter().all(|a| a.how == LaunchHow::Launched));

    let workflows = sandbox.ironclad().workflows();
    assert_eq!(workflows.len(), 2);
    let contoso = sandbox.dataverse().agreement(seeded.agreements[0]).unwrap();
    let found = sandbox.ironclad().workflows_where("dynamicsMsaId", &contoso.id.to_string());
    assert_eq!(found.len(), 1);
    let workflow = &found[0];
    let attributes = workflow.get("attributes").unwrap();
    assert_eq!(text(attributes, "dynamicsMsaNumber"), contoso.number.as_deref());
    assert_eq!(text(attributes, "agreementDate"), Some("2026-12-01T00:00:00Z"));
    assert_eq!(text(attributes, "counterpartySignerName"), Some("Jordan Lee"));
    assert_eq!(text(attributes, "counterpartySignerEmail"), Some("jordan.lee@contoso.example"));
    assert_eq!(text(attributes, "counterpartyName"), Some("Contoso Ltd"));
    let value = attributes.get("totalContractValue").unwrap();
    assert_eq!(text(value, "currency"), Some("USD"));
    assert_eq!(value.get("amount").and_then(Json::as_number_text), Some("250000"));
    let address = attributes.get("counterpartyAddress").unwrap().to_value();
    assert_eq!(
        address,
        serde_json::json!({"lines": ["1 Microsoft Way"], "locality": "Redmond", "region": "WA",
            "postcode": "98052", "country": "USA"})
    );
    let creator = workflow.get("creator").unwrap();
    assert_eq!(text(creator, "email"), Some(sandbox.creator_email()));

    let id = text(workflow, "id").unwrap();
    let after = sandbox.dataverse().agreement(contoso.id).unwrap();
    assert_eq!(after.workflow_url.as_deref(), Some(sandbox.workflow_url(id).as_str()));
    assert_eq!(after.workflow_status.as_deref(), Some("Review"));
    assert_eq!(after.name.as_deref(), text(workflow, "title"));
    assert_eq!(after.name.as_deref(), Some("Master Services Agreement with Contoso Ltd"));
    let northwind =
        sandbox.ironclad().workflows_where("dynamicsMsaId", &seeded.agreements[1].to_string());
    let value = northwind[0].get("attributes").unwrap().get("totalContractValue").unwrap();
    assert_eq!(text(value, "currency"), Some("GBP"));
    for other in &seeded.agreements[2..] {
        let agreement = sandbox.dataverse().agreement(*other).unwrap();
        assert_eq!(agreement.workflow_url, None, "an NDA or SOW is not launched");
    }
    assert_eq!(state.pending_launches().await.unwrap(), 0, "written back: the log is cleared");
    assert!(state.watermark().await.unwrap().is_some());
}

#[tokio::test]
async fn a_run_with_nothing_new_reads_one_page_and_launches_nothing() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let flow = flow(&sandbox, LaunchState::in_memory().unwrap());
    assert!(flow.run_once(&CancellationToken::new()).await.is_success());
    sandbox.clear_requests(Service::Dataverse);
    sandbox.clear_requests(Service::Ironclad);

    let report = flow.run_once(&CancellationToken::new()).await;
    assert!(report.is_success());
    assert!(report.processed.is_empty());
    assert_eq!(sandbox.requests(Service::Dataverse).len(), 1);
    assert!(sandbox.requests(Service::Ironclad).is_empty());
    assert_eq!(sandbox.ironclad().workflows().len(), 2);

    // An agreement created since is picked up by the next run.
    let new = sandbox
        .dataverse()
        .create_agreement(NewAgreement {
            name: Some("Fabrikam MSA".into()),
            value: Some(rust_decimal::Decimal::new(125_000_050, 2)),
            currency: Some("EUR".into()),
            opportunity: Some(sandbox.seeded().opportunities[1]),
            ..NewAgreement::msa()
        })
        .unwrap();
    let report = flow.run_once(&CancellationToken::new()).await;
    assert_eq!(report.processed.len(), 1);
    assert_eq!(report.processed[0].agreement_id, new);
    let workflow = &sandbox.ironclad().workflows_where("dynamicsMsaId", &new.to_string())[0];
    let value = workflow.get("attributes").unwrap().get("totalContractValue").unwrap();
    assert_eq!(value.get("amount").and_then(Json::as_number_text), Some("1250000.5"));
    assert_eq!(text(value, "currency"), Some("EUR"));
}

#[tokio::test]
async fn since_now_leaves_the_backlog_alone() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let options = LaunchOptions {
        initial_watermark: Some(OffsetDateTime::now_utc() + time::Duration::seconds(5)),
        watermark_overlap: Duration::ZERO,
        ..LaunchOptions::default()
    };
    let state = LaunchState::in_memory().unwrap();
    let report = flow(&sandbox, state.clone())
        .options(options.clone())
        .run_once(&CancellationToken::new())
        .await;
    assert!(report.is_success());
    assert!(report.processed.is_empty());
    assert!(sandbox.ironclad().workflows().is_empty());
    assert_eq!(
        state.watermark().await.unwrap(),
        options.initial_watermark,
        "kept for the next run"
    );
}

#[tokio::test]
async fn requests_per_agreement_stay_within_two_point_oh_five() {
    let config = SandboxConfig {
        seed: dataverse_ironclad_sandbox::SeedData::ReferenceOnly,
        ..SandboxConfig::default()
    };
    let sandbox = sandbox(config).await;
    sandbox.bulk_create_agreements(230).unwrap();
    let report = flow(&sandbox, LaunchState::in_memory().unwrap())
        .options(LaunchOptions { concurrency: 8, ..LaunchOptions::default() })
        .run_once(&CancellationToken::new())
        .await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.launched(), 230);
    let requests =
        sandbox.requests(Service::Dataverse).len() + sandbox.requests(Service::Ironclad).len();
    let per_agreement = requests as f64 / 230.0;
    // 230 launches + 230 write-backs + 3 pages + 5 lookups (50 ids each).
    assert_eq!(requests, 468, "{:?}", sandbox.request_counts(Service::Ironclad));
    assert!(per_agreement <= 2.05, "{per_agreement}");
    assert_eq!(sandbox.ironclad().workflows().len(), 230);
}

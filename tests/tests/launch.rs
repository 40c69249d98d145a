//! Flow 1 end to end against the sandbox: one workflow per MSA agreement with spec 004's
//! mapping, the write-back, the watermark, and the request budget.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use dataverse_ironclad_sandbox::ironclad::{MSA_SIGNER_EMAIL_ID, MSA_SIGNER_NAME_ID};
use dataverse_ironclad_sandbox::{Json, NewAgreement, SandboxConfig, Service};
use flow_tests::sandbox;
use flows::launch::InitialWatermark;
use flows::state::LaunchState;
use flows::{LaunchHow, LaunchMsaWorkflows, LaunchOptions};
use time::OffsetDateTime;

fn flow(sandbox: &dataverse_ironclad_sandbox::Sandbox, state: LaunchState) -> LaunchMsaWorkflows {
    flow_tests::launch_flow(sandbox, state)
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
    // The signer fields go to the template's role-scoped ids, found in its launch form.
    assert_eq!(text(attributes, MSA_SIGNER_NAME_ID), Some("Jordan Lee"));
    assert_eq!(text(attributes, MSA_SIGNER_EMAIL_ID), Some("jordan.lee@contoso.example"));
    assert_eq!(attributes.get("counterpartySignerName"), None);
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
async fn the_counterparty_address_carries_every_street_line_that_is_not_empty() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let dataverse = sandbox.dataverse();
    let account = dataverse
        .insert(
            "accounts",
            &Json::parse(
                r#"{"name":"Alpine Ski House","address1_line1":"Bahnhofstrasse 12",
                "address1_line2":"","address1_line3":"c/o Legal Department",
                "address1_city":"Zurich","address1_postalcode":"8001","address1_country":"Switzerland"}"#,
            )
            .unwrap(),
        )
        .unwrap();
    let opportunity = dataverse
        .insert(
            "opportunities",
            &Json::parse(&format!(
                r#"{{"name":"Alpine rollout","parentaccountid@odata.bind":"/accounts({account})"}}"#
            ))
            .unwrap(),
        )
        .unwrap();
    let agreement = dataverse
        .create_agreement(NewAgreement {
            name: Some("Alpine MSA".into()),
            opportunity: Some(opportunity),
            ..NewAgreement::msa()
        })
        .unwrap();
    let report =
        flow(&sandbox, LaunchState::in_memory().unwrap()).run_once(&CancellationToken::new()).await;
    assert!(report.is_success(), "{report:?}");
    let workflow = &sandbox.ironclad().workflows_where("dynamicsMsaId", &agreement.to_string())[0];
    let address = workflow.get("attributes").unwrap().get("counterpartyAddress").unwrap();
    assert_eq!(
        address.to_value(),
        serde_json::json!({"lines": ["Bahnhofstrasse 12", "c/o Legal Department"],
            "locality": "Zurich", "postcode": "8001", "country": "Switzerland"})
    );
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

/// Wait for the next whole second: Dataverse stamps `modifiedon` in whole seconds, so rows
/// seeded before it are older than a first run started after it.
async fn next_second() {
    let into = Duration::from_nanos(u64::from(OffsetDateTime::now_utc().nanosecond()));
    tokio::time::sleep(Duration::from_secs(1) - into + Duration::from_millis(20)).await;
}

#[tokio::test]
async fn by_default_the_first_run_starts_now_counts_the_backlog_and_stores_its_start() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    next_second().await;
    let state = LaunchState::in_memory().unwrap();
    let flow = LaunchMsaWorkflows::new(flow_tests::context(&sandbox), state.clone())
        .creator_email(Some(sandbox.creator_email().to_owned()));
    let before = OffsetDateTime::now_utc();
    let report = flow.run_once(&CancellationToken::new()).await;
    assert!(report.is_success(), "{report:?}");
    assert!(report.processed.is_empty());
    assert!(sandbox.ironclad().workflows().is_empty(), "the seeded MSAs are left alone");
    let left = report.left_alone.expect("the backlog is counted");
    assert_eq!((left.count, left.more), (2, false));
    assert_eq!(left.before.nanosecond(), 0, "whole seconds, as Dataverse stamps modifiedon");
    assert!(left.before <= before && before - left.before < time::Duration::seconds(1));
    // Stored although the run found nothing.
    assert_eq!(state.watermark().await.unwrap(), Some(left.before));
    assert_eq!(state.floor().await.unwrap(), Some(left.before));

    // Later runs never reach back into the backlog, overlap included, and pick up what is new.
    let new = sandbox
        .dataverse()
        .create_agreement(NewAgreement {
            name: Some("Fabrikam MSA".into()),
            opportunity: Some(sandbox.seeded().opportunities[1]),
            ..NewAgreement::msa()
        })
        .unwrap();
    let report = flow.run_once(&CancellationToken::new()).await;
    assert_eq!(report.left_alone, None, "only the first run counts");
    assert_eq!(report.processed.len(), 1, "{report:?}");
    assert_eq!(report.processed[0].agreement_id, new);
    assert_eq!(sandbox.ironclad().workflows().len(), 1);
}

#[tokio::test]
async fn since_a_time_starts_the_first_run_there() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let later = OffsetDateTime::now_utc() + time::Duration::seconds(5);
    let options = LaunchOptions {
        initial_watermark: InitialWatermark::At(later),
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
    assert_eq!(report.left_alone.map(|l| l.count), Some(2));
    assert_eq!(state.watermark().await.unwrap(), Some(later), "kept for the next run");
}

#[tokio::test]
async fn since_all_that_finds_nothing_still_starts_the_next_run_from_its_start() {
    let config = SandboxConfig {
        seed: dataverse_ironclad_sandbox::SeedData::ReferenceOnly,
        ..SandboxConfig::default()
    };
    let sandbox = sandbox(config).await;
    let state = LaunchState::in_memory().unwrap();
    let report = flow(&sandbox, state.clone()).run_once(&CancellationToken::new()).await;
    assert!(report.is_success());
    assert_eq!(report.left_alone, None);
    assert!(state.watermark().await.unwrap().is_some(), "not a first run again");
    assert_eq!(state.floor().await.unwrap(), None, "--since all sets no floor");
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
        .options(LaunchOptions { concurrency: 8, ..flow_tests::launch_options() })
        .run_once(&CancellationToken::new())
        .await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.launched(), 230);
    let requests =
        sandbox.requests(Service::Dataverse).len() + sandbox.requests(Service::Ironclad).len();
    let per_agreement = requests as f64 / 230.0;
    // 230 launches + 230 write-backs + 3 pages + 5 lookups (50 ids each) + 1 launch form.
    assert_eq!(requests, 469, "{:?}", sandbox.request_counts(Service::Ironclad));
    assert!(per_agreement <= 2.05, "{per_agreement}");
    assert_eq!(sandbox.ironclad().workflows().len(), 230);
}

//! Flows 2–4 end to end: the sandbox's signed deliveries → the receiver → Dataverse.

use std::time::Duration;

use dataverse_ironclad_sandbox::{Json, NewAgreement, SandboxConfig, Service};
use flow_tests::{Receiver, eventually, launch_all, sandbox, settle};
use flows::state::EventQueue;
use rust_decimal::Decimal;

const WAIT: Duration = Duration::from_secs(10);

fn amount(currency: &str, amount: &str) -> Json {
    Json::parse(&format!(r#"{{"currency":"{currency}","amount":{amount}}}"#)).unwrap()
}

#[tokio::test]
async fn a_value_change_in_ironclad_reaches_the_agreement_exactly() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let (agreement, workflow) = &launched[0];

    sandbox
        .ironclad()
        .set_attribute(workflow, "totalContractValue", amount("USD", "262500.57"))
        .unwrap();
    let expected: Decimal = "262500.57".parse().unwrap();
    eventually(WAIT, "the value to sync", || {
        sandbox.dataverse().agreement(*agreement).unwrap().value == Some(expected)
    })
    .await;
    // A change of another attribute is ignored without a request to either service.
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    sandbox.clear_requests(Service::Dataverse);
    sandbox.clear_requests(Service::Ironclad);
    sandbox
        .ironclad()
        .set_attribute(workflow, "counterpartySignerName", Json::str("Someone Else"))
        .unwrap();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    assert!(sandbox.requests(Service::Ironclad).is_empty());
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 0));
    assert!(sandbox.requests(Service::Dataverse).is_empty());
    assert_eq!(sandbox.dataverse().agreement(*agreement).unwrap().value, Some(expected));
}

#[tokio::test]
async fn a_value_on_an_agreement_without_a_currency_keeps_the_workflows_currency() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    // Launched with no value, so with no currency on either side.
    let bare = sandbox
        .dataverse()
        .create_agreement(NewAgreement {
            name: Some("Alpine MSA".into()),
            opportunity: Some(sandbox.seeded().opportunities[3]),
            ..NewAgreement::msa()
        })
        .unwrap();
    let launched = launch_all(&sandbox).await;
    let workflow = &launched.iter().find(|(agreement, _)| *agreement == bare).unwrap().1;
    assert_eq!(sandbox.dataverse().agreement(bare).unwrap().currency_id, None);
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;

    sandbox
        .ironclad()
        .set_attribute(workflow, "totalContractValue", amount("EUR", "96500.75"))
        .unwrap();
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let row = sandbox.dataverse().agreement(bare).unwrap();
    assert_eq!(row.value, Some("96500.75".parse().unwrap()));
    let eur = sandbox.dataverse().currency_id("EUR");
    assert_eq!(row.currency_id, eur, "EUR, not the organization's base currency");
}

#[tokio::test]
async fn out_of_order_value_deliveries_converge_on_the_latest_value() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let (agreement, workflow) = &launched[1];
    let ironclad = sandbox.ironclad();
    ironclad.hold_deliveries();
    for value in ["100.01", "200.02", "300.03"] {
        ironclad.set_attribute(workflow, "totalContractValue", amount("GBP", value)).unwrap();
    }
    assert!(
        ironclad.release_held_deliveries(dataverse_ironclad_sandbox::ReleaseOrder::Reversed) >= 3
    );
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let expected: Decimal = "300.03".parse().unwrap();
    assert_eq!(queue.counts().await.unwrap().failed, 0);
    assert_eq!(sandbox.dataverse().agreement(*agreement).unwrap().value, Some(expected));
}

#[tokio::test]
async fn each_approval_is_noted_once_even_when_delivered_three_times() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let (agreement, workflow) = &launched[0];
    sandbox.ironclad().set_duplicate_deliveries(2);
    sandbox.ironclad().approve(workflow, "Legal").unwrap();
    sandbox.ironclad().approve(workflow, "Finance").unwrap();
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;

    let approvals: Vec<_> = sandbox
        .ironclad()
        .deliveries()
        .into_iter()
        .filter(|d| d.event == "workflow_approval_status_changed")
        .collect();
    assert_eq!(approvals.len(), 6, "each event delivered three times");
    let notes = sandbox.dataverse().notes_regarding(*agreement);
    assert_eq!(notes.len(), 2, "{notes:?}");
    let legal = notes
        .iter()
        .find(|n| n.subject.as_deref() == Some("Ironclad approval: Legal approved"))
        .unwrap();
    let text = legal.note_text.as_deref().unwrap();
    assert!(text.contains("By: legal.approver@sandbox.example"), "{text}");
    assert!(text.contains(sandbox.workflow_url(workflow).as_str()), "{text}");
    assert_eq!(legal.object_type.as_deref(), Some("cre6f_agreement"));
    assert!(!legal.is_document);
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.done, counts.failed, counts.pending), (2, 0, 0));
}

#[tokio::test]
async fn completion_attaches_the_signed_pdf_once_and_sets_the_status() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let (agreement, workflow) = &launched[0];
    sandbox.ironclad().set_duplicate_deliveries(1);
    sandbox.ironclad().approve_all(workflow).unwrap();
    let record = sandbox.ironclad().complete_workflow(workflow).unwrap();
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let status = sandbox.dataverse().agreement(*agreement).unwrap().workflow_status;
    assert_eq!(status.as_deref(), Some("Complete"));

    let documents: Vec<_> = sandbox
        .dataverse()
        .notes_regarding(*agreement)
        .into_iter()
        .filter(|n| n.is_document)
        .collect();
    assert_eq!(documents.len(), 1, "{documents:?}");
    let note = &documents[0];
    assert_eq!(note.mime_type.as_deref(), Some("application/pdf"));
    let title = sandbox
        .ironclad()
        .workflow(workflow)
        .unwrap()
        .get("title")
        .and_then(Json::as_str)
        .unwrap()
        .to_owned();
    // Ironclad names the signed copy after the workflow title (without a trailing period).
    let expected_name = format!("{}.pdf", title.trim_end_matches('.'));
    assert_eq!(note.file_name.as_deref(), Some(expected_name.as_str()));
    let pdf = note.document.as_deref().unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert_eq!(note.file_size, Some(pdf.len() as i64));
    let records = sandbox.ironclad().records();
    let filed =
        records.iter().find(|r| r.get("id").and_then(Json::as_str) == Some(&record)).unwrap();
    let attachment = filed.get("attachments").unwrap().get("signedCopy").unwrap();
    assert_eq!(attachment.get("filename").and_then(Json::as_str), note.file_name.as_deref());
}

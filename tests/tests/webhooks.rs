//! Flows 2–4 end to end: the sandbox's signed deliveries → the receiver → Dataverse.

use std::time::Duration;

use dataverse_ironclad_sandbox::ironclad::MSA_SIGNER_NAME_ID;
use dataverse_ironclad_sandbox::{
    ChangedAttributes, Completion, Json, NewAgreement, SandboxConfig, Service,
};
use flow_tests::{Receiver, context, delivery_body, eventually, launch_all, sandbox, settle};
use flows::WebhookFlows;
use flows::state::EventQueue;
use flows::webhooks::EventOutcome;
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
    // A change of another attribute: the workflow is read again, the Agreement is not written.
    let queue = receiver.flows.queue().clone();
    settle(&sandbox, &queue).await;
    sandbox.clear_requests(Service::Dataverse);
    sandbox.clear_requests(Service::Ironclad);
    sandbox.ironclad().set_attribute(workflow, MSA_SIGNER_NAME_ID, Json::str("Someone")).unwrap();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let reads: Vec<_> = sandbox.requests(Service::Ironclad).into_iter().map(|r| r.route).collect();
    assert_eq!(reads, ["GET /public/api/v1/workflows/{id}"]);
    let counts = queue.counts().await.unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 0));
    assert!(sandbox.requests(Service::Dataverse).iter().all(|r| r.method == "GET"));
    assert_eq!(sandbox.dataverse().agreement(*agreement).unwrap().value, Some(expected));
}

#[tokio::test]
async fn a_value_change_is_synced_whatever_the_delivery_lists_as_changed() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let queue = receiver.flows.queue().clone();
    let (agreement, workflow) = &launched[0];
    // The sandbox's default: the delivery says nothing about what changed.
    sandbox
        .ironclad()
        .set_attribute(workflow, "totalContractValue", amount("USD", "1.01"))
        .unwrap();
    settle(&sandbox, &queue).await;
    assert_eq!(sandbox.dataverse().agreement(*agreement).unwrap().value, "1.01".parse().ok());
    // Labels instead of ids.
    sandbox.ironclad().set_changed_attributes(ChangedAttributes::DisplayNames);
    sandbox
        .ironclad()
        .set_attribute(workflow, "totalContractValue", amount("USD", "2.02"))
        .unwrap();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let delivered = sandbox.ironclad().emitted_events();
    let last = delivered
        .iter()
        .rfind(|e| e.get("event").and_then(Json::as_str) == Some("workflow_attribute_updated"));
    assert_eq!(last.unwrap().get("attributes").unwrap().to_string(), r#"["Total Contract Value"]"#);
    assert_eq!(sandbox.dataverse().agreement(*agreement).unwrap().value, "2.02".parse().ok());

    // A list that names only another attribute is no reason to skip either.
    sandbox
        .ironclad()
        .set_attribute(workflow, "totalContractValue", amount("USD", "3.03"))
        .unwrap();
    let flows = WebhookFlows::new(context(&sandbox), EventQueue::in_memory().unwrap());
    let payload = serde_json::json!({"event": "workflow_attribute_updated", "workflowID": workflow,
        "templateID": sandbox.msa_template_id(), "attributes": ["counterpartyName"]});
    let delivery = serde_json::from_slice(&delivery_body(payload)).unwrap();
    let outcome = flows.handle(&delivery, "webhookEventZ", 0).await.unwrap();
    assert!(matches!(outcome, EventOutcome::ValueSynced { changed: true, .. }), "{outcome}");
    assert_eq!(sandbox.dataverse().agreement(*agreement).unwrap().value, "3.03".parse().ok());
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

/// The event id of the sandbox's `workflow_completed` delivery.
fn completed_event_id(sandbox: &dataverse_ironclad_sandbox::Sandbox) -> String {
    sandbox
        .ironclad()
        .deliveries()
        .into_iter()
        .find(|d| d.event == "workflow_completed")
        .expect("a workflow_completed delivery")
        .event_id
}

/// Approve every approval of `workflow` and complete it as `completion` says; the record id
/// when one was filed.
fn approve_and_complete(
    sandbox: &dataverse_ironclad_sandbox::Sandbox,
    workflow: &str,
    completion: Completion,
) -> Option<String> {
    sandbox.ironclad().approve_all(workflow).unwrap();
    sandbox.ironclad().complete_workflow_with(workflow, completion).unwrap()
}

/// The document notes regarding `agreement`.
fn documents(
    sandbox: &dataverse_ironclad_sandbox::Sandbox,
    agreement: uuid::Uuid,
) -> Vec<dataverse_ironclad_sandbox::Note> {
    sandbox.dataverse().notes_regarding(agreement).into_iter().filter(|n| n.is_document).collect()
}

#[tokio::test]
async fn a_record_without_its_signed_copy_yet_is_retried_until_the_copy_is_there() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let queue = receiver.flows.queue().clone();
    let (agreement, workflow) = &launched[0];
    let record =
        approve_and_complete(&sandbox, workflow, Completion::default().signed_copy_later())
            .unwrap();
    assert!(sandbox.ironclad().wait_for_deliveries(WAIT).await);
    let tried = attempted(&queue, &completed_event_id(&sandbox), 2).await;
    assert_eq!(tried.status, flows::state::EventStatus::Pending);
    assert!(tried.last_error.as_deref().unwrap().contains("has no signed copy yet"), "{tried:?}");
    assert!(documents(&sandbox, *agreement).is_empty());

    sandbox.ironclad().attach_signed_copy(&record).unwrap();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let notes = documents(&sandbox, *agreement);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].mime_type.as_deref(), Some("application/pdf"), "the record's content type");
    assert!(notes[0].note_text.as_deref().unwrap().contains("from the Ironclad repository"));
}

#[tokio::test]
async fn when_no_signed_copy_ever_shows_the_workflows_signed_document_is_attached() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let flows = WebhookFlows::new(context(&sandbox), EventQueue::in_memory().unwrap())
        .options(flows::WorkerOptions { max_attempts: 3, ..flow_tests::fast_worker() });
    let receiver = Receiver::serve(&sandbox, flows).await;
    let queue = receiver.flows.queue().clone();
    let (agreement, workflow) = &launched[0];
    approve_and_complete(&sandbox, workflow, Completion::default().signed_copy_later());
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    let event = queue.get(&completed_event_id(&sandbox)).await.unwrap().unwrap();
    assert_eq!(event.status, flows::state::EventStatus::Done, "{event:?}");
    assert_eq!(event.attempts, 2, "two failed attempts, then the fallback on the last one");
    let notes = documents(&sandbox, *agreement);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes[0];
    assert!(note.document.as_deref().unwrap().starts_with(b"%PDF-"));
    assert!(note.note_text.as_deref().unwrap().contains("from the Ironclad workflow"));
    let signed = sandbox.ironclad().workflow(workflow).unwrap();
    let signed = signed.get("attributes").unwrap().get("signed").unwrap();
    assert_eq!(note.file_name.as_deref(), signed.get("filename").and_then(Json::as_str));
    assert_eq!(
        sandbox.dataverse().agreement(*agreement).unwrap().workflow_status.as_deref(),
        Some("Complete")
    );
}

#[tokio::test]
async fn a_record_missing_from_record_ids_is_found_by_its_source_or_its_property_key() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let queue = receiver.flows.queue().clone();
    // By `source.workflowId`.
    let (first, workflow) = &launched[0];
    approve_and_complete(&sandbox, workflow, Completion::default().unlisted());
    // By the record property the Dynamics MSA ID feeds (`dynamicsMsaId_<uuid>_string`): a
    // filter on the attribute id `[dynamicsMsaId]` would match nothing.
    let (second, other) = &launched[1];
    approve_and_complete(&sandbox, other, Completion::default().unlisted().without_source());
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    assert_eq!(queue.counts().await.unwrap().failed, 0);
    for agreement in [first, second] {
        assert_eq!(documents(&sandbox, *agreement).len(), 1, "agreement {agreement}");
    }
    let filters: Vec<String> = sandbox
        .requests(Service::Ironclad)
        .into_iter()
        .filter(|r| r.path.ends_with("/records"))
        .filter_map(|r| r.query)
        .filter(|q| q.contains("filter="))
        .collect();
    assert_eq!(filters.len(), 1, "{filters:?}");
    assert!(filters[0].contains("dynamicsMsaId_"), "{filters:?}");
    assert!(!filters[0].contains("%5BdynamicsMsaId%5D"), "{filters:?}");
}

#[tokio::test]
async fn a_record_filed_after_the_event_is_waited_for() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let launched = launch_all(&sandbox).await;
    let receiver = Receiver::start(&sandbox, EventQueue::in_memory().unwrap()).await;
    let queue = receiver.flows.queue().clone();
    let (agreement, workflow) = &launched[0];
    let none = approve_and_complete(&sandbox, workflow, Completion::default().record_later());
    assert_eq!(none, None);
    assert!(sandbox.ironclad().wait_for_deliveries(WAIT).await);
    let tried = attempted(&queue, &completed_event_id(&sandbox), 2).await;
    assert!(tried.last_error.as_deref().unwrap().contains("has no repository record yet"));
    sandbox.ironclad().file_record(workflow, Completion::default()).unwrap();
    settle(&sandbox, &queue).await;
    receiver.stop().await;
    assert_eq!(documents(&sandbox, *agreement).len(), 1);
}

/// The queued `event` once it has been attempted `attempts` times (still pending: retried).
async fn attempted(queue: &EventQueue, event: &str, attempts: u32) -> flows::state::QueuedEvent {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = queue.get(event).await.unwrap().filter(|e| e.attempts >= attempts) {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{event} was not retried");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

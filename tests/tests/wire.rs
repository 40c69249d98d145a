//! The flows' exact requests (method, path, query, headers, body) against wiremock servers
//! standing in for Dataverse and Ironclad, with real-shaped responses (research payloads).

use base64::Engine as _;
use flows::config::AgreementTable;
use flows::launch::InitialWatermark;
use flows::state::{EventQueue, LaunchState};
use flows::{FlowContext, LaunchHow, LaunchMsaWorkflows, LaunchOptions, WebhookFlows};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{body_string, header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API: &str = "/api/data/v9.2";
const IC: &str = "/public/api/v1";
const TEMPLATE: &str = "6063ac9e01a5542dafa3722b";
const CONTOSO: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const NORTHWIND: &str = "9e2f7a10-5b3c-4d2e-8f1a-6b7c8d9e0f1a";
const WORKFLOW: &str = "6a6b4091ef38863a01482499";
const CREATOR: &str = "integration@contoso.example";
/// The template's role-scoped signer fields.
const SIGNER_NAME: &str = "role05214514a05a417b9f952e014db84927";
const SIGNER_EMAIL: &str = "role8b6358fbf5c841b99fa1a0d4e23c642a";

/// `GET /workflow-schemas/{TEMPLATE}?form=launch`, answered as a real tenant does: role-scoped
/// signer ids, labels with a remark, `required`, and no `propertyKey`.
async fn mount_launch_form(ironclad: &MockServer) {
    let field = |kind: &str, label: &str, required: &str| json!({"type": kind, "displayName": label, "required": required});
    Mock::given(method("GET"))
        .and(path(format!("{IC}/workflow-schemas/{TEMPLATE}")))
        .and(query_param("form", "launch"))
        .and(header("authorization", "Bearer ic-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": TEMPLATE,
            "name": "Master Services Agreement",
            "schema": {
                "counterpartyName": field("string", "Counterparty Name (Always Required)", "always"),
                SIGNER_EMAIL: field("email", "Counterparty Signer Email (Always Required)", "always"),
                SIGNER_NAME: field("string", "Counterparty Signer Name (Always Required)", "always"),
                "agreementDate": field("date", "Agreement Date", "never"),
                "counterpartyAddress": field("address", "Counterparty Address", "never"),
                "dynamicsMsaId": field("string", "Dynamics MSA ID", "never"),
                "dynamicsMsaNumber": field("string", "Dynamics MSA Number", "never"),
                "totalContractValue": field("monetaryAmount", "Total Contract Value", "never"),
                "paperSource": field("string", "Paper Source", "never")
            },
            "permissions": ["launch", "view"]
        })))
        .expect(1)
        .mount(ironclad)
        .await;
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture")
}

/// The body as the client sent it, byte for byte.
fn raw(request: &Request) -> String {
    String::from_utf8_lossy(&request.body).into_owned()
}

async fn servers() -> (MockServer, MockServer, FlowContext) {
    let (dataverse, ironclad) = (MockServer::start().await, MockServer::start().await);
    let context = FlowContext::new(
        dataverse_client::Client::builder(dataverse.uri())
            .credential(dataverse_client::auth::StaticToken::new("dv-token"))
            .retry_policy(dataverse_client::config::RetryPolicy::never())
            .build()
            .unwrap(),
        ironclad_client::Client::builder()
            .base_url(ironclad.uri())
            .credential(ironclad_client::auth::Credentials::api_token("ic-token"))
            .retry_policy(ironclad_client::config::RetryPolicy::never())
            .build()
            .unwrap(),
        AgreementTable::default(),
        TEMPLATE,
    );
    (dataverse, ironclad, context)
}

#[tokio::test]
async fn flow_1_sends_the_issue_query_one_lookup_one_launch_and_two_write_backs() {
    let (dataverse, ironclad, context) = servers().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_agreements")))
        .and(query_param(
            "$select",
            "cre6f_agreementid,cre6f_name,cre6f_agreementnumber,cre6f_agreementstartdate,cre6f_agreementvalue,cre6f_counterpartysignername,cre6f_counterpartysigneremail,_cre6f_opportunity_value,_transactioncurrencyid_value,modifiedon",
        ))
        .and(query_param("$filter", "cre6f_agreementtype eq 1 and cre6f_ironcladworkflowurl eq null"))
        .and(query_param("$orderby", "modifiedon asc,cre6f_agreementid asc"))
        .and(query_param(
            "$expand",
            "cre6f_Opportunity($select=name,totalamount,_parentaccountid_value;$expand=parentaccountid($select=name,address1_line1,address1_line2,address1_line3,address1_city,address1_stateorprovince,address1_postalcode,address1_country)),transactioncurrencyid($select=isocurrencycode)",
        ))
        .and(header("authorization", "Bearer dv-token"))
        .and(|request: &Request| {
            request.headers.get("prefer").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("odata.maxpagesize=100"))
        })
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("msa_agreements_page.json"), "application/json"))
        .expect(1)
        .mount(&dataverse)
        .await;
    // The second row came back without its expansions: its related rows are read by id.
    Mock::given(method("GET"))
        .and(path(format!("{API}/opportunities(c8a4b2e1-7d6f-4e5a-8b9c-1d2e3f4a5b6c)")))
        .and(query_param("$select", "name,totalamount,_parentaccountid_value"))
        .and(query_param(
            "$expand",
            "parentaccountid($select=name,address1_line1,address1_line2,address1_line3,address1_city,address1_stateorprovince,address1_postalcode,address1_country)",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.etag": "W/\"1\"", "name": "Northwind logistics platform", "totalamount": 480000.0,
            "_parentaccountid_value": "d9b5c3f2-8e7a-4f6b-9c0d-2e3f4a5b6c7d",
            "parentaccountid": {"name": "Northwind Traders", "address1_line1": "12 Hanover Square",
                "address1_city": "London", "address1_stateorprovince": "Greater London",
                "address1_postalcode": "W1S 1JJ", "address1_country": "United Kingdom"}
        })))
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/transactioncurrencies(5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b)")))
        .and(query_param("$select", "isocurrencycode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"isocurrencycode": "GBP"})))
        .expect(1)
        .mount(&dataverse)
        .await;

    Mock::given(method("GET"))
        .and(path(format!("{IC}/workflows")))
        .and(query_param("template", TEMPLATE))
        .and(query_param("status", "active,paused,completed,cancelled"))
        .and(query_param(
            "filter",
            format!(
                "Or(Equals([dynamicsMsaId], '{CONTOSO}'), Equals([dynamicsMsaId], '{NORTHWIND}'))"
            ),
        ))
        .and(query_param("pageSize", "100"))
        .and(query_param("page", "0"))
        .and(header("authorization", "Bearer ic-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("workflows_existing_page.json"), "application/json"),
        )
        .expect(1)
        .mount(&ironclad)
        .await;
    let expected_launch: Value = serde_json::from_str(&format!(
        r#"{{"template":"{TEMPLATE}","creator":{{"type":"email","email":"{CREATOR}"}},"attributes":{{
            "dynamicsMsaId":"{CONTOSO}","dynamicsMsaNumber":"AGR-01000","agreementDate":"2026-12-01T00:00:00Z",
            "{SIGNER_NAME}":"Jordan Lee","{SIGNER_EMAIL}":"jordan.lee@contoso.example",
            "totalContractValue":{{"currency":"USD","amount":12345678901234.5678}},
            "counterpartyName":"Contoso Ltd","counterpartyAddress":{{"lines":["1 Microsoft Way","Building 92"],
            "locality":"Redmond","region":"WA","postcode":"98052","country":"USA"}}}}}}"#
    ))
    .unwrap();
    Mock::given(method("POST"))
        .and(path(format!("{IC}/workflows")))
        .and(header("content-type", "application/json"))
        .and(move |request: &Request| {
            serde_json::from_slice::<Value>(&request.body).ok() == Some(expected_launch.clone())
                // The amount is the exact decimal, not an f64 rounding of it.
                && raw(request).contains(r#""amount":12345678901234.5678"#)
        })
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("workflow_launched.json"), "application/json"),
        )
        .expect(1)
        .mount(&ironclad)
        .await;

    for (agreement, body) in [
        (
            CONTOSO,
            json!({"cre6f_ironcladworkflowurl": format!("{}/workflow/{WORKFLOW}", ironclad.uri()),
                "cre6f_ironcladworkflowstatus": "Review", "cre6f_name": "Master Services Agreement with Contoso Ltd"}),
        ),
        (
            NORTHWIND,
            json!({"cre6f_ironcladworkflowurl": format!("{}/workflow/6a6b40b128f91b0daeafb068", ironclad.uri()),
                "cre6f_ironcladworkflowstatus": "Sign", "cre6f_name": "Master Services Agreement with Northwind Traders"}),
        ),
    ] {
        Mock::given(method("PATCH"))
            .and(path(format!("{API}/cre6f_agreements({agreement})")))
            .and(header("if-match", "*"))
            .and(header("content-type", "application/json"))
            .and(wiremock::matchers::body_json(body))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&dataverse)
            .await;
    }

    mount_launch_form(&ironclad).await;

    let flow = LaunchMsaWorkflows::new(context, LaunchState::in_memory().unwrap())
        .creator_email(Some(CREATOR.to_owned()))
        .options(LaunchOptions { initial_watermark: InitialWatermark::All, ..Default::default() });
    let report = flow.run_once(&CancellationToken::new()).await;
    assert!(report.is_success(), "{report:?}");
    let mut how: Vec<_> =
        report.processed.iter().map(|a| (a.agreement_id.to_string(), a.how)).collect();
    how.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        how,
        [(CONTOSO.to_owned(), LaunchHow::Launched), (NORTHWIND.to_owned(), LaunchHow::Found)]
    );
    assert_eq!(
        report.watermark.map(|w| w.unix_timestamp()),
        Some(1_777_629_607),
        "2026-05-01T10:00:07Z"
    );
}

fn delivery(payload: Value) -> ironclad_client::webhooks::WebhookDelivery {
    serde_json::from_value(json!({"companyID": "674f5545728c89fc7fabd5ec", "payload": payload,
        "timestamp": "2026-05-02T10:00:00.000Z", "webhookID": "67535d36de552a07db17c508"}))
    .unwrap()
}

/// Serve the workflow fixture, edited as text (a `serde_json::Value` would round its amounts).
async fn mount_workflow(ironclad: &MockServer, edits: &[(&str, &str)]) {
    let mut workflow = fixture("workflow_launched.json");
    for (from, to) in edits {
        assert!(workflow.contains(from), "{from}");
        workflow = workflow.replace(from, to);
    }
    Mock::given(method("GET"))
        .and(path(format!("{IC}/workflows/{WORKFLOW}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(workflow, "application/json"))
        .mount(ironclad)
        .await;
}

#[tokio::test]
async fn flow_2_reads_the_agreement_then_patches_the_exact_value_and_the_currency() {
    let (dataverse, ironclad, context) = servers().await;
    mount_workflow(
        &ironclad,
        &[(
            r#""totalContractValue": {"currency": "USD", "amount": 12345678901234.5678}"#,
            r#""totalContractValue": {"currency": "EUR", "amount": 1250.10}"#,
        )],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_agreements({CONTOSO})")))
        .and(query_param("$select", "cre6f_agreementvalue,_transactioncurrencyid_value"))
        .and(query_param("$expand", "transactioncurrencyid($select=isocurrencycode)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.etag": "W/\"536530\"", "cre6f_agreementvalue": 250000.0000,
            "_transactioncurrencyid_value": "7c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f",
            "transactioncurrencyid": {"isocurrencycode": "USD"}, "cre6f_agreementid": CONTOSO
        })))
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/transactioncurrencies")))
        .and(query_param("$select", "transactioncurrencyid"))
        .and(query_param("$filter", "isocurrencycode eq 'EUR'"))
        .and(query_param("$top", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"@odata.etag": "W/\"9\"", "transactioncurrencyid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}]})))
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/cre6f_agreements({CONTOSO})")))
        .and(header("if-match", "*"))
        .and(body_string(
            r#"{"cre6f_agreementvalue":1250.1,"transactioncurrencyid@odata.bind":"/transactioncurrencies(1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d)"}"#,
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&dataverse)
        .await;
    let flows = WebhookFlows::new(context, EventQueue::in_memory().unwrap());
    let event = delivery(json!({"event": "workflow_attribute_updated", "templateID": TEMPLATE,
        "workflowID": WORKFLOW, "userID": "67520d8a6e3fe48d53795c29", "attributes": ["totalContractValue"]}));
    let outcome = flows.handle(&event, "webhookEventa1", 0).await.unwrap();
    assert_eq!(outcome.to_string(), format!("agreement {CONTOSO} value set to 1250.10 EUR"));
}

#[tokio::test]
async fn flow_2_skips_the_patch_when_the_agreement_already_holds_the_value() {
    let (dataverse, ironclad, context) = servers().await;
    mount_workflow(&ironclad, &[]).await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_agreements({CONTOSO})")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"cre6f_agreementvalue":12345678901234.56780,"transactioncurrencyid":{"isocurrencycode":"USD"}}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&dataverse)
        .await;
    let flows = WebhookFlows::new(context, EventQueue::in_memory().unwrap());
    let event = delivery(
        json!({"event": "workflow_attribute_updated", "templateID": TEMPLATE, "workflowID": WORKFLOW}),
    );
    let outcome = flows.handle(&event, "webhookEventa2", 0).await.unwrap();
    assert!(outcome.to_string().contains("value already 12345678901234.5678 USD"), "{outcome}");
}

#[tokio::test]
async fn flow_3_creates_the_note_create_only_under_an_id_derived_from_the_event() {
    let (dataverse, ironclad, context) = servers().await;
    mount_workflow(&ironclad, &[]).await;
    let note_path = r"^/api/data/v9\.2/annotations\([0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\)$";
    let expected = format!(
        "Approval: Legal\nStatus: approved\nBy: legal@contoso.example\nWorkflow: Master Services Agreement with Contoso Ltd (IC-7)\nLink: {}/workflow/{WORKFLOW}\nAt: 2026-05-02T10:00:00Z",
        ironclad.uri()
    );
    Mock::given(method("PATCH"))
        .and(path_regex(note_path))
        .and(header("if-none-match", "*"))
        .and(wiremock::matchers::body_json(json!({
            "subject": "Ironclad approval: Legal approved",
            "notetext": expected,
            "objectid_cre6f_agreement@odata.bind": format!("/cre6f_agreements({CONTOSO})"),
        })))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .expect(1)
        .mount(&dataverse)
        .await;
    // Processed again (a crash before the event was marked done): the note exists.
    Mock::given(method("PATCH"))
        .and(path_regex(note_path))
        .respond_with(
            ResponseTemplate::new(412).set_body_json(json!({"error": {"code": "0x80040237",
            "message": "A record with matching key values already exists."}})),
        )
        .expect(1)
        .mount(&dataverse)
        .await;
    let flows = WebhookFlows::new(context, EventQueue::in_memory().unwrap());
    let event = delivery(
        json!({"approvalID": "approver137e74661e0b40e38e3a52dff067cd0c", "approvalName": "Legal",
        "event": "workflow_approval_status_changed", "status": "approved", "userEmail": "legal@contoso.example",
        "userID": "67520d8a6e3fe48d53795c29", "workflowID": WORKFLOW}),
    );
    let first = flows.handle(&event, "webhookEvent5f1c", 0).await.unwrap();
    let again = flows.handle(&event, "webhookEvent5f1c", 1).await.unwrap();
    assert!(first.to_string().contains(" added on agreement "), "{first}");
    assert!(again.to_string().contains(" already present on agreement "), "{again}");
    let paths: Vec<String> = dataverse
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0], paths[1], "the same note id both times");
}

#[tokio::test]
async fn flow_4_streams_the_signed_copy_into_a_document_note_then_sets_the_status() {
    let (dataverse, ironclad, context) = servers().await;
    mount_workflow(
        &ironclad,
        &[
            (r#""step": "Review""#, r#""step": "Complete""#),
            (
                r#""status": "active""#,
                r#""status": "completed", "recordIds": ["1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51"]"#,
            ),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{IC}/records/1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("record_signed.json"), "application/json"),
        )
        .expect(1)
        .mount(&ironclad)
        .await;
    let pdf: Vec<u8> =
        b"%PDF-1.7\n".iter().copied().chain((0..5000u32).map(|i| (i % 251) as u8)).collect();
    Mock::given(method("GET"))
        .and(path(format!(
            "{IC}/records/1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51/attachments/signedCopy"
        )))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-disposition", "attachment")
                .set_body_bytes(pdf.clone()),
        )
        .expect(1)
        .mount(&ironclad)
        .await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let link = format!("{}/workflow/{WORKFLOW}", ironclad.uri());
    Mock::given(method("POST"))
        .and(path(format!("{API}/annotations")))
        .and(move |request: &Request| {
            let Ok(body) = serde_json::from_slice::<Value>(&request.body) else { return false };
            let id = body["annotationid"].as_str().and_then(|id| uuid::Uuid::parse_str(id).ok());
            id.is_some_and(|id| id.get_version_num() == 5)
                && body["isdocument"] == true
                // The attachment's content type, as Ironclad gives it.
                && body["mimetype"] == "application/x-pdf"
                && body["filename"] == "Contoso MSA 2026 - signed.pdf"
                && body["subject"] == "Signed contract: Master Services Agreement with Contoso Ltd"
                && body["notetext"].as_str().is_some_and(|text| text.contains(&link))
                && body["objectid_cre6f_agreement@odata.bind"]
                    == format!("/cre6f_agreements({CONTOSO})")
                && body["documentbody"] == encoded
        })
        .respond_with(
            ResponseTemplate::new(204).insert_header(
                "OData-EntityId",
                format!(
                    "{}{API}/annotations(0e5c2a7b-1d3f-5a9b-8c7d-6e5f4a3b2c1d)",
                    dataverse.uri()
                )
                .as_str(),
            ),
        )
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/cre6f_agreements({CONTOSO})")))
        .and(header("if-match", "*"))
        .and(body_string(r#"{"cre6f_ironcladworkflowstatus":"Complete"}"#))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&dataverse)
        .await;
    let flows = WebhookFlows::new(context, EventQueue::in_memory().unwrap());
    let event = delivery(
        json!({"event": "workflow_completed", "templateID": TEMPLATE, "workflowID": WORKFLOW}),
    );
    let outcome = flows.handle(&event, "webhookEvent9a", 0).await.unwrap();
    assert!(
        outcome.to_string().starts_with("Contoso MSA 2026 - signed.pdf attached as note "),
        "{outcome}"
    );
    assert!(outcome.to_string().ends_with("; status Complete"), "{outcome}");
}

#[tokio::test]
async fn flow_4_finds_a_record_missing_from_record_ids_by_source_then_by_the_property_key() {
    let (dataverse, ironclad, context) = servers().await;
    mount_workflow(
        &ironclad,
        &[
            (r#""step": "Review""#, r#""step": "Complete""#),
            (r#""status": "active""#, r#""status": "completed""#),
        ],
    )
    .await;
    // Records updated since an hour before the workflow was, newest first: none from it.
    Mock::given(method("GET"))
        .and(path(format!("{IC}/records")))
        .and(query_param("lastUpdated", "2026-05-01T09:01:00.118Z"))
        .and(query_param("sortField", "lastUpdated"))
        .and(query_param("sortDirection", "DESC"))
        .and(query_param("pageSize", "100"))
        .and(|request: &Request| !request.url.query().unwrap_or_default().contains("filter"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page": 0, "pageSize": 100, "count": 1, "list": [{"id": "77c1e0d2-0000-4000-8000-000000000001",
                "ironcladId": "IC-9", "type": "nda", "name": "Another contract", "properties": {},
                "attachments": {}, "links": [], "childIds": [],
                "source": {"type": "workflow", "workflowId": "6a6b40b128f91b0daeafb068"}}]
        })))
        .expect(1)
        .mount(&ironclad)
        .await;
    // Then the record property Dynamics MSA ID feeds, never `[dynamicsMsaId]`.
    let formula =
        format!("Equals([dynamicsMsaId_4b1e9c2a-7d3f-4e8a-9b6c-0f2d1e3c5a7b_string], '{CONTOSO}')");
    Mock::given(method("GET"))
        .and(path(format!("{IC}/records")))
        .and(query_param("filter", formula))
        .and(query_param("pageSize", "10"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"{{"page":0,"pageSize":10,"count":1,"list":[{}]}}"#,
                fixture("record_signed.json")
            ),
            "application/json",
        ))
        .expect(1)
        .mount(&ironclad)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{IC}/records/1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51/attachments/signedCopy"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"%PDF-1.7\n%%EOF\n".to_vec()))
        .expect(1)
        .mount(&ironclad)
        .await;
    let entity =
        format!("{}{API}/annotations(0e5c2a7b-1d3f-5a9b-8c7d-6e5f4a3b2c1d)", dataverse.uri());
    Mock::given(method("POST"))
        .and(path(format!("{API}/annotations")))
        .respond_with(ResponseTemplate::new(204).insert_header("OData-EntityId", entity.as_str()))
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{API}/cre6f_agreements({CONTOSO})")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&dataverse)
        .await;
    let flows = WebhookFlows::new(context, EventQueue::in_memory().unwrap());
    let event = delivery(
        json!({"event": "workflow_completed", "templateID": TEMPLATE, "workflowID": WORKFLOW}),
    );
    let outcome = flows.handle(&event, "webhookEvent9b", 0).await.unwrap();
    assert!(outcome.to_string().contains("attached as note"), "{outcome}");
}

#[tokio::test]
async fn flow_1_first_run_counts_the_backlog_then_reads_from_its_start() {
    let (dataverse, ironclad, context) = servers().await;
    mount_launch_form(&ironclad).await;
    let filter_of = |request: &Request| {
        request.url.query_pairs().find(|(k, _)| k == "$filter").map(|(_, v)| v.into_owned())
    };
    const UNLINKED: &str = "cre6f_agreementtype eq 1 and cre6f_ironcladworkflowurl eq null";
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_agreements")))
        .and(query_param("$select", "cre6f_agreementid"))
        .and(query_param("$count", "true"))
        .and(move |request: &Request| {
            // One row per page is enough to read the count; the client adds the count-limit
            // annotations to the same Prefer header.
            let prefer = request.headers.get("prefer").and_then(|v| v.to_str().ok()).unwrap_or("");
            prefer.split(',').any(|p| p.trim() == "odata.maxpagesize=1")
                && filter_of(request)
                    .is_some_and(|f| f.starts_with(&format!("{UNLINKED} and modifiedon lt ")))
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.count": 7,
            "value": [{"@odata.etag": "W/\"1\"", "cre6f_agreementid": CONTOSO}],
            "@odata.nextLink": "https://contoso.crm.dynamics.com/api/data/v9.2/cre6f_agreements?$skiptoken=x"
        })))
        .expect(1)
        .mount(&dataverse)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_agreements")))
        .and(move |request: &Request| {
            filter_of(request)
                .is_some_and(|f| f.starts_with(&format!("{UNLINKED} and modifiedon ge ")))
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&dataverse)
        .await;
    let state = LaunchState::in_memory().unwrap();
    let flow = LaunchMsaWorkflows::new(context, state.clone());
    let report = flow.run_once(&CancellationToken::new()).await;
    assert!(report.is_success(), "{report:?}");
    let left = report.left_alone.unwrap();
    assert_eq!((left.count, left.more), (7, false));
    let requests = dataverse.received_requests().await.unwrap();
    let filters: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            r.url.query_pairs().find(|(k, _)| k == "$filter").map(|(_, v)| v.into_owned())
        })
        .collect();
    let start = time::OffsetDateTime::parse(
        filters[1].rsplit(' ').next().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(start, left.before);
    assert!(filters[0].ends_with(&filters[1].rsplit(' ').next().unwrap().to_owned()));
    assert_eq!(state.watermark().await.unwrap(), Some(start));
}

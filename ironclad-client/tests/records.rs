//! Records: list, get, create, update, replace, delete, metadata, attachments.

mod common;

use common::{api, client, fixture, fixture_json};
use ironclad_client::records::IroncladType;
use ironclad_client::{
    records::{
        AmendmentType, ContractAction, ContractActionType, ContractState, DownloadUrlsStatus,
        ListRecords, NewRecord, ParentLink, RecordPatch, RecordSortField, RecordsExport,
        SortDirection,
    },
    values::{ContractDuration, MonetaryAmount, PropertyValue, RecordProperty},
    workflows::Filter,
};
use rust_decimal::Decimal;
use serde_json::json;
use time::macros::datetime;
use wiremock::matchers::{
    body_json, header_regex, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RECORD: &str = "1f4d5a1e-7b3c-4f9a-9a63-0b7e9c2d4e51";

#[tokio::test]
async fn list_sends_every_documented_parameter_and_decodes_properties() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/records")))
        .and(query_param("page", "0"))
        .and(query_param("pageSize", "100"))
        .and(query_param("types", "everyFieldType,mSA"))
        .and(query_param("filter", "Equals([counterpartyName], 'Acme LLC')"))
        .and(query_param("sortField", "lastUpdated"))
        .and(query_param("sortDirection", "ASC"))
        .and(query_param("addressAsObject", "false"))
        .and(query_param("lastUpdated", "2026-07-01T00:00:00.000Z"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"page": 0, "pageSize": 100, "count": 1, "list": [fixture_json("record.json")]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let query = ListRecords::new()
        .types(["everyFieldType", " mSA"])
        .filter(Filter::equals("counterpartyName", "Acme LLC"))
        .sort(RecordSortField::LastUpdated, SortDirection::Ascending)
        .address_as_object(false)
        .updated_since(datetime!(2026-07-01 00:00 UTC))
        .page_size(100);
    let records = client(&server).records().list(query).collect_all().await.unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.ironclad_id.as_deref(), Some("IC-31"));
    assert_eq!(record.record_type.as_deref(), Some("everyFieldType"));
    assert_eq!(
        record.property("contractValue"),
        Some(&PropertyValue::MonetaryAmount(MonetaryAmount::new(Decimal::from(100_000), "USD")))
    );
    assert_eq!(
        record.property("agreementDate"),
        Some(&PropertyValue::Date(datetime!(1992-10-04 09:31:00 UTC)))
    );
    assert_eq!(
        record.property("term"),
        Some(&PropertyValue::Duration(
            ContractDuration::new().years(10).months(3).weeks(2).days(1)
        ))
    );
    assert!(
        matches!(record.property("counterpartyAddress"), Some(PropertyValue::AddressText(text)) if text.starts_with("325 5th Street"))
    );
    assert!(
        matches!(record.property("workflowLink"), Some(PropertyValue::Other { kind, .. }) if kind == "workflow")
    );
    assert_eq!(
        record.properties["amendedTerm"].original_value,
        Some(PropertyValue::String("12 months".into()))
    );
    assert_eq!(
        record.attachment("signedCopy").and_then(|a| a.filename.as_deref()),
        Some("Acme LLC MSA (signed).pdf")
    );
    assert_eq!(
        record.contract_status.as_ref().and_then(|s| s.status.clone()),
        Some(ContractState::Active)
    );
    assert_eq!(record.links[0].record_id, "3f1c0a52-8a4e-4d7e-9b7c-2f0e6d5a4b3c");
}

#[tokio::test]
async fn create_replace_update_and_delete_send_the_documented_bodies() {
    let server = MockServer::start().await;
    let record = fixture("record.json");
    Mock::given(method("POST"))
        .and(path(api("/records")))
        .and(body_json(json!({
            "type": "everyFieldType",
            "name": "Acme LLC MSA",
            "properties": {
                "additionalNotes": {"type": "string", "value": "Test notes"},
                "contractValue": {"type": "monetary_amount", "value": {"currency": "USD", "amount": 100000}},
                "term": {"type": "duration", "value": "P2Y"}
            },
            "parent": {"recordId": "9a8b7c6d-0000-4000-8000-000000000001", "parentLinkType": "amendment"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string(record.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(api(&format!("/records/{RECORD}"))))
        .and(body_json(json!({"type": "mSA", "name": "Restated", "properties": {}, "links": [{"recordId": "r2"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_string(record.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(api("/records/IC-31")))
        .and(body_json(json!({
            "name": "Acme LLC MSA (renewed)",
            "addProperties": {"autoRenew": {"type": "boolean", "value": false}},
            "removeProperties": ["additionalNotes"],
            "addLinks": [{"recordId": "r3"}],
            "removeParent": true
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string(record))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(api("/records/IC-31")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let new = NewRecord::new("everyFieldType", "Acme LLC MSA")
        .property("additionalNotes", RecordProperty::string("Test notes"))
        .property(
            "contractValue",
            RecordProperty::monetary_amount(MonetaryAmount::new(Decimal::from(100_000), "USD")),
        )
        .property("term", RecordProperty::duration(ContractDuration::new().years(2)))
        .parent(ParentLink::amendment("9a8b7c6d-0000-4000-8000-000000000001"));
    assert_eq!(client.records().create(&new).await.unwrap().id, RECORD);
    client.records().replace(RECORD, &NewRecord::new("mSA", "Restated").link("r2")).await.unwrap();
    let patch = RecordPatch::new()
        .name("Acme LLC MSA (renewed)")
        .add_property("autoRenew", PropertyValue::Boolean(false))
        .remove_property("additionalNotes")
        .add_link("r3")
        .remove_parent();
    client.records().update("IC-31", &patch).await.unwrap();
    client.records().delete("IC-31").await.unwrap();
    assert!(client.records().update("IC-31", &RecordPatch::new()).await.is_err());
}

#[tokio::test]
async fn metadata_decodes_property_and_type_definitions() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/records/metadata")))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("records_metadata.json")))
        .expect(1)
        .mount(&server)
        .await;
    let metadata = client(&server).records().metadata().await.unwrap();
    assert_eq!(
        metadata.properties["contractValue"].property_type,
        ironclad_client::workflows::FieldType::MonetaryAmount
    );
    assert_eq!(metadata.properties["contractValue"].group.as_deref(), Some("Financials"));
    assert_eq!(metadata.properties["workflowLink"].property_type.as_str(), "workflow");
    assert_eq!(metadata.record_types["mSA"].display_name.as_deref(), Some("MSA"));
    assert_eq!(metadata.record_types["everyFieldType"].description, None);
    assert_eq!(metadata.repository_id.as_deref(), Some("00000000-0000-0000-0000-000000000000"));
    assert_eq!(metadata.properties.len(), 9, "no property is dropped");

    // `ironcladType` is an object on real tenants: references, lists and picklists.
    let entity = &metadata.properties["counterpartyEntity"];
    assert!(
        matches!(
            &entity.ironclad_type,
            Some(IroncladType::Reference { collection_key, .. })
                if collection_key == "8c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
        ),
        "{:?}",
        entity.ironclad_type
    );
    let Some(IroncladType::List { element_type, .. }) =
        &metadata.properties["affiliates"].ironclad_type
    else {
        panic!("affiliates is a list: {:?}", metadata.properties["affiliates"].ironclad_type);
    };
    assert!(matches!(
        &**element_type,
        IroncladType::Reference { collection_key, .. } if collection_key == "8c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    ));
    let side = &metadata.properties["standard_contractSide"];
    let Some(IroncladType::Enum(picklist)) = &side.ironclad_type else {
        panic!("standard_contractSide is a picklist: {:?}", side.ironclad_type);
    };
    assert_eq!(picklist.name.as_deref(), Some("standard_contractSide"));
    assert_eq!(picklist.options.len(), 4);
    assert_eq!(picklist.visible_values().collect::<Vec<_>>(), ["Vendor", "Customer", "Partner"]);
    assert_eq!(picklist.option_type.as_deref(), Some(&IroncladType::Named("string".into())));
    assert_eq!(side.erased_type.as_deref(), Some("enum"));
    assert_eq!(side.picklist_selection_type.as_deref(), Some("single-select"));
    assert_eq!(side.full_type_name.as_deref(), Some("enum<standard_contractSide, string>"));
    // The older string form still reads.
    assert_eq!(
        metadata.properties["workflowLink"].ironclad_type,
        Some(IroncladType::Named("workflow".into()))
    );
    assert_eq!(metadata.properties["counterpartyName"].ironclad_type, None);
}

#[tokio::test]
async fn the_signed_copy_streams_with_the_file_name_from_the_record() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/records/{RECORD}"))))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("record.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!("/records/{RECORD}/attachments/signedCopy"))))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/pdf")
                .set_body_bytes(b"%PDF-1.7 signed".to_vec()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let record = client.records().get(RECORD).await.unwrap();
    let download = client.records().download_attachment(&record, "signedCopy").await.unwrap();
    assert_eq!(download.file_name(), Some("Acme LLC MSA (signed).pdf"));
    assert_eq!(download.content_type(), Some("application/pdf"));
    assert_eq!(&download.bytes().await.unwrap()[..], b"%PDF-1.7 signed");
}

#[tokio::test]
async fn attachment_upload_is_multipart_with_metadata_and_delete_works() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/records/IC-31/attachments/signedCopy")))
        .and(header_regex("content-type", "^multipart/form-data; boundary="))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("record.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(api("/records/IC-31/attachments/signedCopy")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .records()
        .upload_attachment("IC-31", "signedCopy", "NDA.pdf", b"%PDF-1.4 body".to_vec())
        .await
        .unwrap();
    client.records().delete_attachment("IC-31", "signedCopy").await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&requests[0].body).into_owned();
    assert!(body.contains(r#"name="attachment"; filename="NDA.pdf""#), "{body}");
    assert!(
        body.contains("content-type: application/pdf")
            || body.contains("Content-Type: application/pdf"),
        "{body}"
    );
    assert!(body.contains("%PDF-1.4 body"), "{body}");
    assert!(
        body.contains(r#"name="metadata""#) && body.contains(r#"{"filename":"NDA.pdf"}"#),
        "{body}"
    );
}

#[tokio::test]
async fn update_sends_properties_to_amend_and_an_amend_only_patch_is_not_empty() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(api("/records/IC-32")))
        .and(body_json(json!({
            "addPropertiesToAmend": {
                "contractValue": {"amendmentType": "replace"},
                "agreementExpirationDate": {"amendmentType": "replace"}
            },
            "removePropertiesToAmend": ["counterpartyAddress"]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": RECORD})))
        .expect(1)
        .mount(&server)
        .await;
    let patch = RecordPatch::new()
        .add_property_to_amend("contractValue", AmendmentType::Replace)
        .add_property_to_amend("agreementExpirationDate", AmendmentType::Replace)
        .remove_property_to_amend("counterpartyAddress");
    assert!(!patch.is_empty());
    let record = client(&server).records().update("IC-32", &patch).await.unwrap();
    assert_eq!(record.id, RECORD);
    assert!(!RecordPatch::new().remove_property_to_amend("x").is_empty());
}

#[tokio::test]
async fn export_streams_the_xlsx_with_comma_lists() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/records/export")))
        .and(query_param("types", "mutualNDA,NDA"))
        .and(query_param("properties", "counterpartyName,agreementDate"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "content-type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                .insert_header("content-disposition", r#"attachment; filename="records.xlsx""#)
                .set_body_bytes(b"PK\x03\x04 xlsx".to_vec()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/records/export")))
        .and(query_param_is_missing("types"))
        .and(query_param_is_missing("properties"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"PK all".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let export = RecordsExport::new()
        .types(["mutualNDA", " NDA"])
        .properties(["counterpartyName", "agreementDate"]);
    let download = client.records().export(&export).await.unwrap();
    assert_eq!(download.file_name(), Some("records.xlsx"));
    assert_eq!(&download.bytes().await.unwrap()[..], b"PK\x03\x04 xlsx");
    let all = client.records().export(&RecordsExport::new()).await.unwrap();
    assert_eq!(&all.bytes().await.unwrap()[..], b"PK all");
}

#[tokio::test]
async fn signed_copy_urls_start_a_job_and_report_results() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/records/attachments/download-urls")))
        .and(body_json(json!({"identifiers": ["IC-31", RECORD], "type": "latestSignedCopy"})))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"jobId": "job-7d1e", "status": "processing"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(api("/records/attachments/download-urls/job-7d1e")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobId": "job-7d1e",
            "status": "complete",
            "succeeded": [{
                "identifier": "IC-31", "ironcladId": "IC-31", "recordId": RECORD,
                "downloadUrl": "https://storage.example.com/ic/abc.pdf?X-Goog-Signature=s3cr3tsig",
                "filename": "NDA - signed.pdf", "fileKey": "signedCopy[1]", "fileId": "d2079940",
                "fileHash": "8674ec09", "expiration": "2026-08-07T00:00:00.000Z"
            }],
            "failed": [{
                "identifier": "IC-404", "errorCode": "RECORD_NOT_FOUND", "errorMessage": "Record not found"
            }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let job = client.records().request_signed_copy_urls(["IC-31", RECORD]).await.unwrap();
    assert!(job.is_processing());
    let done = client.records().signed_copy_urls(job.job_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(done.status, Some(DownloadUrlsStatus::Complete));
    let url = &done.succeeded[0];
    assert_eq!(url.record_id.as_deref(), Some(RECORD));
    assert_eq!(url.file_key.as_deref(), Some("signedCopy[1]"));
    assert_eq!(url.expiration, Some(datetime!(2026-08-07 00:00 UTC)));
    assert!(url.download_url.as_deref().unwrap().contains("X-Goog-Signature"));
    // The signed query is the credential: Debug output hides it.
    let debug = format!("{url:?}");
    assert!(!debug.contains("s3cr3tsig") && debug.contains("[redacted]"), "{debug}");
    assert_eq!(done.failed[0].error_code.as_deref(), Some("RECORD_NOT_FOUND"));

    let none: [&str; 0] = [];
    assert!(client.records().request_signed_copy_urls(none).await.is_err());
    let too_many: Vec<String> = (0..101).map(|i| format!("IC-{i}")).collect();
    let error = client.records().request_signed_copy_urls(too_many).await.unwrap_err();
    assert!(matches!(error, ironclad_client::Error::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn contract_actions_send_the_documented_bodies_and_are_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(api("/records/IC-31/actions")))
        .and(body_json(json!({
            "type": "extend",
            "properties": {"standard_renewalTermLength": {"type": "duration", "value": "P1Y"}}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "extend",
            "properties": {"standard_renewalTermLength": {"type": "duration", "value": "P1Y"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api("/records/IC-32/actions")))
        .and(body_json(json!({"type": "cancelAutoRenewal"})))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(api("/records/IC-33/actions")))
        .and(body_json(json!({
            "type": "undo",
            "properties": {"standard_undoObligationAction": {"type": "string", "value": "terminate"}}
        })))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "INVALID_STATE", "message": "nothing to undo", "param": "standard_undoObligationAction"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let extend = ContractAction::new(ContractActionType::Extend).property(
        "standard_renewalTermLength",
        RecordProperty::duration(ContractDuration::new().years(1)),
    );
    let applied = client.records().run_action("IC-31", &extend).await.unwrap();
    assert_eq!(applied.action, Some(ContractActionType::Extend));
    assert_eq!(
        applied.properties["standard_renewalTermLength"].value,
        PropertyValue::Duration(ContractDuration::new().years(1))
    );
    // Extending twice would extend twice: a lost answer is not replayed.
    let lost = client.records().run_action("IC-32", &ContractAction::cancel_auto_renewal()).await;
    assert!(lost.is_err());
    let undo = ContractAction::undo(ContractActionType::Terminate);
    let error = client.records().run_action("IC-33", &undo).await.unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
}

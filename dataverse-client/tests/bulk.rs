//! Bulk messages: exact `Targets` shapes, chunking with outcomes in input order, the metadata
//! lookup, the `$batch` fallback for tables without the message, elastic partial failures,
//! transactional failures and requests of unknown effect.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::multipart::{batch_response, created, http_part, multipart};
use common::{API, builder, client, odata_headers, raw_query};
use dataverse_client::{
    Error, bulk::BulkMessage, bulk::BulkRow, bulk::RowResult, bulk::Via, config::RequestOptions,
    config::RetryPolicy, records::RecordKey,
};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TYPE: &str = "Microsoft.Dynamics.CRM.sample_example";
const ERROR_DETAILS: &str = "odata.include-annotations=\"Microsoft.PowerApps.CDS.ErrorDetails.*\"";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x8f4c_3f92_312b_ee11_bdf4_000d_3a99_0000 + n)
}

fn targets(request: &Request) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&request.body).expect("json body");
    body["Targets"].as_array().expect("Targets").clone()
}

/// Answers `CreateMultiple` with one id per target, numbered from the target's `sample_name`
/// (`"row <n>"` → id(n)), and records every request's names.
#[derive(Default)]
struct CreatedIds {
    seen: Mutex<Vec<Vec<String>>>,
}

impl Respond for &'static CreatedIds {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let names: Vec<String> = targets(request)
            .iter()
            .map(|t| t["sample_name"].as_str().unwrap_or_default().to_owned())
            .collect();
        let ids: Vec<String> = names
            .iter()
            .map(|name| id(name.trim_start_matches("row ").parse().unwrap_or(0)).to_string())
            .collect();
        self.seen.lock().expect("lock").push(names);
        ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse",
            "Ids": ids
        }))
    }
}

fn rows(n: u128) -> Vec<BulkRow> {
    (0..n).map(|i| BulkRow::new(&json!({ "sample_name": format!("row {i}") }))).collect()
}

#[tokio::test]
async fn create_multiple_sends_the_documented_targets_in_chunks_and_returns_every_id_in_order() {
    let server = MockServer::start().await;
    let responder: &'static CreatedIds = Box::leak(Box::default());
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/sample_examples/Microsoft.Dynamics.CRM.CreateMultiple")))
        .and(header("content-type", "application/json"))
        .and(header("prefer", ERROR_DETAILS))
        .and(|request: &Request| {
            targets(request)
                .iter()
                .all(|t| t["@odata.type"] == TYPE && t.as_object().is_some_and(|o| o.len() == 2))
        })
        .respond_with(responder)
        .expect(3)
        .mount(&server)
        .await;

    let results = client(&server)
        .create_multiple("sample_examples", rows(5))
        .table("sample_example", "sample_exampleid")
        .chunk_size(2)
        .concurrency(1)
        .await
        .expect("results");
    assert!(results.all_succeeded());
    assert_eq!(results.ids(), (0..5).map(|i| Some(id(i))).collect::<Vec<_>>());
    assert!(
        results
            .rows
            .iter()
            .enumerate()
            .all(|(i, r)| r.index == i as u64 && r.via == Via::BulkMessage)
    );
    assert_eq!(
        *responder.seen.lock().expect("lock"),
        [vec!["row 0", "row 1"], vec!["row 2", "row 3"], vec!["row 4"]]
    );
}

#[tokio::test]
async fn a_chunk_size_of_usize_max_sends_the_rows_in_one_request_without_aborting() {
    let server = MockServer::start().await;
    let responder: &'static CreatedIds = Box::leak(Box::default());
    Mock::given(method("POST"))
        .and(path(format!("{API}/sample_examples/Microsoft.Dynamics.CRM.CreateMultiple")))
        .respond_with(responder)
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server)
        .create_multiple("sample_examples", rows(3))
        .table("sample_example", "sample_exampleid")
        .chunk_size(usize::MAX)
        .await
        .expect("results");
    assert_eq!(results.ids(), (0..3).map(|i| Some(id(i))).collect::<Vec<_>>());
    assert_eq!(*responder.seen.lock().expect("lock"), [vec!["row 0", "row 1", "row 2"]]);
}

#[tokio::test]
async fn the_table_names_come_from_its_definition_once_per_client() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/EntityDefinitions")))
        .and(raw_query(
            "$filter=EntitySetName%20eq%20%27accounts%27&$select=LogicalName,EntitySetName,PrimaryIdAttribute,TableType"
                .to_owned(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{ "LogicalName": "account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid", "TableType": "Standard", "MetadataId": "70816501-edb9-4740-a16c-6a5efbc05d84" }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/accounts/Microsoft.Dynamics.CRM.UpdateMultiple")))
        .and(|request: &Request| {
            targets(request)
                == [json!({ "name": "Contoso", "accountid": id(1).to_string(), "@odata.type": "Microsoft.Dynamics.CRM.account" })]
        })
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    for _ in 0..2 {
        let results = client
            .update_multiple("accounts", [BulkRow::with_key(id(1), &json!({ "name": "Contoso" }))])
            .await
            .expect("results");
        assert!(matches!(results.rows[0].result, RowResult::Updated), "{results:?}");
    }
}

#[derive(Serialize)]
struct BankAccount<'a> {
    samples_accountname: &'a str,
    samples_description: &'a str,
}

#[tokio::test]
async fn upsert_multiple_identifies_rows_with_odata_id_and_leaves_key_columns_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/samples_bankaccounts/Microsoft.Dynamics.CRM.UpsertMultiple")))
        .and(|request: &Request| {
            targets(request)
                == [
                    json!({
                        "samples_description": "Updated",
                        "@odata.id": "samples_bankaccounts(samples_accountname='Account 1')",
                        "@odata.type": "Microsoft.Dynamics.CRM.samples_bankaccount"
                    }),
                    json!({
                        "samples_description": "By id",
                        "@odata.id": format!("samples_bankaccounts({})", id(2)),
                        "@odata.type": "Microsoft.Dynamics.CRM.samples_bankaccount"
                    }),
                ]
        })
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let key = RecordKey::alternate([("samples_accountname", "Account 1")]);
    let results = client(&server)
        .upsert_multiple(
            "samples_bankaccounts",
            [
                // The key column may be in the typed row too: it is taken out.
                BulkRow::with_key(
                    key,
                    &BankAccount {
                        samples_accountname: "Account 1",
                        samples_description: "Updated",
                    },
                ),
                BulkRow::with_key(id(2), &json!({ "samples_description": "By id" })),
            ],
        )
        .table("samples_bankaccount", "samples_bankaccountid")
        .await
        .expect("results");
    assert!(results.rows.iter().all(|r| matches!(r.result, RowResult::Upserted(None))));
}

/// Answers a `$batch` of creates with one `204` + `OData-EntityId` per request, ids numbered from
/// 100.
struct BatchCreated;

impl Respond for BatchCreated {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let count = body.matches(&format!("POST {API}/contacts HTTP/1.1")).count();
        let parts: Vec<String> = (0..count)
            .map(|n| created("contacts", &id(100 + n as u128).to_string(), None))
            .collect();
        batch_response(200, multipart(common::multipart::BOUNDARY, &parts))
    }
}

#[tokio::test]
async fn a_table_without_the_message_gets_its_rows_through_batch_and_the_client_remembers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/contacts/Microsoft.Dynamics.CRM.CreateMultiple")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": { "code": "0x80040800", "message": "The 'CreateMultiple' method does not support entities of type 'contact'. MessageProcessorCache returned MessageProcessor.Empty." }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .and(header("prefer", "odata.continue-on-error"))
        .and(|request: &Request| {
            let body = String::from_utf8_lossy(&request.body);
            // Plain creates: no @odata.type inside a batch part.
            body.contains("{\"lastname\":\"row 0\"}") || body.contains("{\"lastname\":\"row 2\"}")
        })
        .respond_with(BatchCreated)
        .expect(3)
        .mount(&server)
        .await;
    let client = client(&server);
    let contacts = |n: u128| -> Vec<BulkRow> {
        (0..n).map(|i| BulkRow::new(&json!({ "lastname": format!("row {i}") }))).collect()
    };
    let results = client
        .create_multiple("contacts", contacts(3))
        .table("contact", "contactid")
        .chunk_size(2)
        .concurrency(1)
        .await
        .expect("results");
    assert_eq!(results.sent_via_batch(), 3);
    assert_eq!(results.ids(), [Some(id(100)), Some(id(101)), Some(id(100))]);
    // The next operation goes straight to $batch (CreateMultiple was asked once in all).
    let again = client
        .create_multiple("contacts", contacts(1))
        .table("contact", "contactid")
        .await
        .expect("again");
    assert_eq!(again.rows[0].via, Via::Batch);
}

fn validation_error() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "error": { "code": "0x80044331", "message": "A validation error occurred. The length of the 'sample_name' attribute of the 'sample_example' entity exceeded the maximum allowed length of '100'." }
    }))
}

#[tokio::test]
async fn on_a_standard_table_a_failed_request_fails_every_row_of_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/sample_examples/Microsoft.Dynamics.CRM.CreateMultiple")))
        .respond_with(validation_error())
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server)
        .create_multiple("sample_examples", rows(3))
        .table("sample_example", "sample_exampleid")
        .await
        .expect("results");
    assert_eq!(results.failures().count(), 3);
    let RowResult::Failed(error) = &results.rows[2].result else { panic!("{results:?}") };
    assert_eq!(error.api_error().and_then(|e| e.code.as_deref()), Some("0x80044331"));
}

#[tokio::test]
async fn isolating_failures_sends_a_failed_request_again_as_batch_row_by_row() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/sample_examples/Microsoft.Dynamics.CRM.CreateMultiple")))
        .respond_with(validation_error())
        .expect(1)
        .mount(&server)
        .await;
    let failed = http_part(
        "400 Bad Request",
        &[("Content-Type", "application/json; odata.metadata=minimal")],
        r#"{"error":{"code":"0x80044331","message":"A validation error occurred."}}"#,
        None,
    );
    let body = multipart(
        common::multipart::BOUNDARY,
        &[
            created("sample_examples", &id(0).to_string(), None),
            failed,
            created("sample_examples", &id(2).to_string(), None),
        ],
    );
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(batch_response(200, body))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server)
        .create_multiple("sample_examples", rows(3))
        .table("sample_example", "sample_exampleid")
        .isolate_failures(true)
        .await
        .expect("results");
    assert_eq!(results.ids(), [Some(id(0)), None, Some(id(2))]);
    assert!(matches!(results.rows[1].result, RowResult::Failed(_)));
    assert!(results.rows.iter().all(|r| r.via == Via::Batch));
}

#[tokio::test]
async fn an_elastic_table_reports_partial_success_row_by_row() {
    let server = MockServer::start().await;
    let details = json!([
        { "RequestIndex": 0, "Id": id(0).to_string(), "StatusCode": 204 },
        { "RequestIndex": 1, "Id": id(1).to_string(), "StatusCode": 404 }
    ])
    .to_string();
    Mock::given(method("POST"))
        .and(path(format!("{API}/contoso_sensordatas/Microsoft.Dynamics.CRM.DeleteMultiple")))
        .and(header("prefer", ERROR_DETAILS))
        .and(|request: &Request| {
            targets(request)
                == [
                    json!({ "contoso_sensordataid": id(0).to_string(), "partitionid": "Device-ABC-1234", "@odata.type": "Microsoft.Dynamics.CRM.contoso_sensordata" }),
                    json!({ "contoso_sensordataid": id(1).to_string(), "partitionid": "Device-ABC-1234", "@odata.type": "Microsoft.Dynamics.CRM.contoso_sensordata" }),
                ]
        })
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {
                "code": "0x80040217",
                "message": "One or more operations failed.",
                "@Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails": details
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server)
        .delete_multiple(
            "contoso_sensordatas",
            [0, 1].map(|n| BulkRow::key(id(n)).partition_id("Device-ABC-1234")),
        )
        .table("contoso_sensordata", "contoso_sensordataid")
        .elastic(true)
        .await
        .expect("results");
    assert!(matches!(results.rows[0].result, RowResult::Deleted));
    let RowResult::Failed(error) = &results.rows[1].result else { panic!("{results:?}") };
    assert!(error.is_not_found());
}

#[tokio::test(start_paused = true)]
async fn a_request_without_a_usable_answer_leaves_its_rows_unknown_and_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::default()).build().expect("client");
    let results = client
        .create_multiple("sample_examples", rows(2))
        .table("sample_example", "sample_exampleid")
        .isolate_failures(true)
        .await
        .expect("results");
    assert!(results.rows.iter().all(|r| matches!(r.result, RowResult::Unknown(_))), "{results:?}");
}

#[tokio::test]
async fn an_invalid_row_fails_alone_and_is_left_out_of_the_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/accounts/Microsoft.Dynamics.CRM.UpdateMultiple")))
        .and(|request: &Request| targets(request).len() == 1)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let results = client(&server)
        .update_multiple(
            "accounts",
            [
                BulkRow::new(&json!({ "name": "no key" })),
                BulkRow::with_key(id(1), &json!({ "name": "fine" })),
            ],
        )
        .table("account", "accountid")
        .await
        .expect("results");
    let RowResult::Failed(error) = &results.rows[0].result else { panic!("{results:?}") };
    assert!(matches!(**error, Error::InvalidRequest(_)));
    assert!(matches!(results.rows[1].result, RowResult::Updated));
}

/// Delays the answer to the first chunk so that later chunks finish first.
struct SlowFirstChunk {
    calls: AtomicUsize,
}

impl Respond for SlowFirstChunk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let count = targets(request).len();
        let first = targets(request)[0]["sample_name"] == "row 0";
        self.calls.fetch_add(1, Ordering::SeqCst);
        let ids: Vec<String> = (0..count).map(|n| id(n as u128).to_string()).collect();
        let response = ResponseTemplate::new(200).set_body_json(json!({ "Ids": ids }));
        if first { response.set_delay(Duration::from_millis(200)) } else { response }
    }
}

#[tokio::test]
async fn streamed_rows_come_out_in_input_order_with_requests_in_parallel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(SlowFirstChunk { calls: AtomicUsize::new(0) })
        .expect(4)
        .mount(&server)
        .await;
    let input =
        stream::iter(0..40u32).map(|i| BulkRow::new(&json!({ "sample_name": format!("row {i}") })));
    let indexes: Vec<u64> = client(&server)
        .bulk_stream(BulkMessage::Create, "sample_examples", input)
        .table("sample_example", "sample_exampleid")
        .chunk_size(10)
        .concurrency(4)
        .options(RequestOptions::new().bypass_custom_plugins(true))
        .outcomes()
        .map_ok(|row| row.index)
        .try_collect()
        .await
        .expect("outcomes");
    assert_eq!(indexes, (0..40).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_unreadable_table_definition_ends_the_stream_with_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [] })))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).create_multiple("nothings", rows(1)).await.expect_err("unknown");
    assert!(error.is_not_found(), "{error:?}");
}

#[test]
fn bulk_futures_and_streams_can_cross_threads() {
    fn send<T: Send>(_: &T) {}
    let client = dataverse_client::Client::builder("https://contoso.crm.dynamics.com")
        .credential(dataverse_client::auth::StaticToken::new("t"))
        .build()
        .expect("client");
    send(&std::future::IntoFuture::into_future(client.create_multiple("accounts", rows(1))));
    send(&client.update_multiple("accounts", rows(1)).outcomes());
    send(&std::future::IntoFuture::into_future(client.action("sample_X")));
    send(&std::future::IntoFuture::into_future(client.function::<Value>("sample_X")));
    send(&std::future::IntoFuture::into_future(client.download_file(
        "accounts",
        Uuid::nil(),
        "sample_filecolumn",
    )));
    send(&std::future::IntoFuture::into_future(client.upload_file(
        "accounts",
        Uuid::nil(),
        "sample_filecolumn",
        dataverse_client::notes::Document::from_bytes(vec![1u8]),
    )));
    send(&std::future::IntoFuture::into_future(
        client.aggregate::<Value>(
            dataverse_client::aggregate::Aggregation::new("accounts").count("n"),
        ),
    ));
    send(&client.table_metadata("account"));
}

//! The dataverse-client capabilities beyond rows and queries, end to end against the sandbox:
//! bulk messages (with the `$batch` fallback of a table without them), file columns in chunks
//! of the server's size, actions and functions including custom APIs, table metadata read from
//! the loaded `$metadata`, and `$apply` aggregation, all through the public API.

use bytes::Bytes;
use dataverse_client::{
    aggregate::Aggregation, bulk::BulkMessage, bulk::BulkRow, bulk::RowResult, bulk::Via,
    files::FileDownloadMode, files::FileUploadMode, notes::Document, operations::Action,
    operations::Function, query::Filter, records::RecordKey,
};
use dataverse_ironclad_sandbox::dataverse::{CustomApi, ParameterType};
use dataverse_ironclad_sandbox::{Json, JsonObject, SandboxConfig};
use flow_tests::{dataverse, sandbox};
use futures_util::{StreamExt, TryStreamExt, stream};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Serialize)]
struct NewAgreement {
    cre6f_name: String,
    cre6f_agreementtype: i32,
    #[serde(with = "dataverse_client::json_decimal")]
    cre6f_agreementvalue: Decimal,
}

#[tokio::test]
async fn bulk_messages_create_update_and_upsert_and_fall_back_to_batch() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = dataverse(&sandbox);
    let before = sandbox.dataverse().count("cre6f_agreements");

    // Typed rows, the table's names read from its definition, three chunks.
    let rows = (0..25).map(|n| {
        BulkRow::new(&NewAgreement {
            cre6f_name: format!("Bulk {n}"),
            cre6f_agreementtype: 2,
            cre6f_agreementvalue: Decimal::new(1000 + n, 2),
        })
    });
    let created =
        client.create_multiple("cre6f_agreements", rows).chunk_size(10).await.expect("created");
    assert!(created.all_succeeded(), "{created:?}");
    assert_eq!(created.sent_via_batch(), 0);
    assert_eq!(sandbox.dataverse().count("cre6f_agreements"), before + 25);
    let ids: Vec<Uuid> = created.ids().into_iter().map(|id| id.expect("id")).collect();

    // Dynamic rows, updated by id.
    let updates = ids.iter().map(|id| {
        BulkRow::with_key(*id, &json!({ "cre6f_ironcladworkflowstatus": "Bulk updated" }))
    });
    let updated = client.update_multiple("cre6f_agreements", updates).await.expect("updated");
    assert!(updated.rows.iter().all(|r| matches!(r.result, RowResult::Updated)));
    let row = sandbox.dataverse().get("cre6f_agreements", ids[24]).expect("row");
    assert_eq!(
        row.get("cre6f_ironcladworkflowstatus").and_then(Json::as_str),
        Some("Bulk updated")
    );

    // Upsert by alternate key (the key column in the row is taken out, as Dataverse requires).
    let upserts = ["UP-1", "UP-2"].map(|number| {
        BulkRow::with_key(
            RecordKey::alternate([("accountnumber", number)]),
            &json!({ "name": format!("Upserted {number}"), "accountnumber": number }),
        )
    });
    let upserted = client.upsert_multiple("accounts", upserts).await.expect("upserted");
    assert!(upserted.all_succeeded(), "{upserted:?}");

    // Notes refuse the bulk messages: the rows go through $batch, and the outcomes say so.
    let notes = (0..3).map(|n| BulkRow::new(&json!({ "subject": format!("Bulk note {n}") })));
    let via_batch = client.create_multiple("annotations", notes).await.expect("via batch");
    assert_eq!(via_batch.sent_via_batch(), 3);
    assert!(
        via_batch
            .rows
            .iter()
            .all(|r| r.via == Via::Batch && matches!(r.result, RowResult::Created(_)))
    );

    // A bad row in a standard table fails its whole request, and only that request.
    let long = "x".repeat(500);
    let mixed = vec![
        BulkRow::new(&json!({ "cre6f_name": "Fine" })),
        BulkRow::new(&json!({ "cre6f_name": long })),
        BulkRow::new(&json!({ "cre6f_name": "Fine too" })),
    ];
    let results =
        client.create_multiple("cre6f_agreements", mixed).chunk_size(2).await.expect("results");
    assert!(matches!(results.rows[0].result, RowResult::Failed(_)));
    assert!(matches!(results.rows[1].result, RowResult::Failed(_)));
    assert!(matches!(results.rows[2].result, RowResult::Created(_)));
    // …unless failures are isolated: the good rows go in through $batch.
    let isolated = client
        .create_multiple(
            "cre6f_agreements",
            vec![
                BulkRow::new(&json!({ "cre6f_name": "Isolated" })),
                BulkRow::new(&json!({ "cre6f_name": "y".repeat(500) })),
            ],
        )
        .isolate_failures(true)
        .await
        .expect("isolated");
    assert!(matches!(isolated.rows[0].result, RowResult::Created(_)));
    assert!(matches!(isolated.rows[1].result, RowResult::Failed(_)));

    // Streamed rows, outcomes in input order.
    let streamed: Vec<u64> = client
        .bulk_stream(
            BulkMessage::Create,
            "cre6f_agreements",
            stream::iter(0..30)
                .map(|n| BulkRow::new(&json!({ "cre6f_name": format!("Streamed {n}") }))),
        )
        .chunk_size(7)
        .concurrency(3)
        .outcomes()
        .map_ok(|row| row.index)
        .try_collect()
        .await
        .expect("streamed");
    assert_eq!(streamed, (0..30).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_file_column_goes_up_in_the_servers_chunks_and_comes_back_in_ranges() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    sandbox.dataverse().set_file_chunk_size(1000);
    let client = dataverse(&sandbox);
    let agreement = client
        .create("cre6f_agreements", &json!({ "cre6f_name": "With contract" }))
        .await
        .expect("agreement");
    let pdf: Vec<u8> = (0..4500u32).map(|i| (i % 251) as u8).collect();

    let uploaded = client
        .upload_file(
            "cre6f_agreements",
            agreement,
            "cre6f_signeddocument",
            Document::from_bytes(pdf.clone()).file_name("msa.pdf").mime_type("application/pdf"),
        )
        .mode(FileUploadMode::Chunked)
        .await
        .expect("uploaded");
    assert_eq!(uploaded.size, 4500);
    let stored = sandbox
        .dataverse()
        .file("cre6f_agreements", agreement, "cre6f_signeddocument")
        .expect("stored");
    assert_eq!(stored, ("msa.pdf".to_owned(), pdf.clone()));
    // Five chunks of the 1000 bytes the sandbox announced.
    let chunks = sandbox
        .requests(dataverse_ironclad_sandbox::Service::Dataverse)
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("cre6f_signeddocument"))
        .count();
    assert_eq!(chunks, 1 + 5);

    let download = client
        .download_file("cre6f_agreements", agreement, "cre6f_signeddocument")
        .chunk_size(1000)
        .await
        .expect("download");
    assert_eq!(
        (download.file_name(), download.size(), download.mime_type()),
        (Some("msa.pdf"), Some(4500), Some("application/pdf"))
    );
    let parts: Vec<Bytes> = download.try_collect().await.expect("bytes");
    assert_eq!(parts.len(), 5);
    assert_eq!(parts.concat(), pdf);

    // The block messages, both ways (a non-ASCII name picks them automatically).
    let replaced: Vec<u8> = b"%PDF-1.7 replaced".to_vec();
    let by_blocks = client
        .upload_file(
            "cre6f_agreements",
            agreement,
            "cre6f_signeddocument",
            Document::from_bytes(replaced.clone()).file_name("Vertrag-Übersicht.pdf"),
        )
        .await
        .expect("blocks");
    assert!(by_blocks.file_id.is_some());
    let back = client
        .download_file("cre6f_agreements", agreement, "cre6f_signeddocument")
        .mode(FileDownloadMode::Blocks)
        .await
        .expect("download");
    assert_eq!(back.file_name(), Some("Vertrag-Übersicht.pdf"));
    assert_eq!(back.bytes().await.expect("bytes"), Bytes::from(replaced));

    client
        .delete_file("cre6f_agreements", agreement, "cre6f_signeddocument")
        .await
        .expect("deleted");
    let error = client
        .download_file("cre6f_agreements", agreement, "cre6f_signeddocument")
        .await
        .expect_err("gone");
    assert!(error.is_not_found(), "{error:?}");
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Summary {
    count: u64,
    #[serde(with = "dataverse_client::json_decimal")]
    total_value: Decimal,
}

#[tokio::test]
async fn actions_and_functions_reach_custom_apis_with_typed_parameters() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = dataverse(&sandbox);
    let summarize = || {
        client
            .action(
                Action::new("cre6f_SummarizeAgreements")
                    .parameters(&json!({ "AgreementType": 3, "MinimumValue": 1_000_000 })),
            )
            .returning::<Summary>()
    };
    let before = summarize().await.expect("summary");
    client
        .create("cre6f_agreements", &json!({ "cre6f_name": "Big SOW", "cre6f_agreementtype": 3, "cre6f_agreementvalue": 2_000_000.25 }))
        .await
        .expect("created");
    let after = summarize().await.expect("summary");
    assert_eq!(after.count, before.count + 1);
    assert_eq!(after.total_value - before.total_value, Decimal::new(200_000_025, 2));

    // The sandbox checks parameters as Dataverse does.
    let error = client
        .action(Action::new("cre6f_SummarizeAgreements").parameter("Nope", &1))
        .await
        .expect_err("unknown");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));

    // A function registered by the test, bound to a row, with reserved characters in its text.
    sandbox.dataverse().register_custom_api(
        CustomApi::function("sample_Describe", |call| {
            let text =
                call.parameters.get("Text").and_then(Json::as_str).unwrap_or_default().to_owned();
            let row = call.bound_row.map(|id| id.to_string()).unwrap_or_default();
            Ok(Json::Object(JsonObject::new().with("Text", text).with("Row", row)))
        })
        .bound_to_row("accounts")
        .parameter("Text", ParameterType::String, false),
    );
    let account =
        client.create("accounts", &json!({ "name": "Described" })).await.expect("account");
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Described {
        text: String,
        row: Uuid,
    }
    let described: Described = client
        .function(
            Function::bound("accounts", account, "sample_Describe")
                .parameter("Text", "a&b#c'd/e+f%"),
        )
        .await
        .expect("described");
    assert_eq!((described.text.as_str(), described.row), ("a&b#c'd/e+f%", account));
}

#[tokio::test]
async fn table_metadata_comes_from_the_loaded_metadata_document() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = dataverse(&sandbox);
    let agreements =
        client.table_metadata_by_entity_set("cre6f_agreements").await.expect("metadata");
    assert_eq!(agreements.logical_name, "cre6f_agreement");
    assert_eq!(agreements.primary_id_attribute, "cre6f_agreementid");
    assert_eq!(agreements.choice_label("cre6f_agreementtype", 1), Some("MSA"));
    assert_eq!(
        agreements.lookup_navigation_property("cre6f_opportunity", "opportunity"),
        Some("cre6f_Opportunity")
    );
    assert_eq!(
        agreements.attribute("cre6f_signeddocument").and_then(|a| a.type_name.as_deref()),
        Some("FileType")
    );
    let accounts = client.table_metadata("account").await.expect("account");
    assert_eq!(accounts.keys[0].key_attributes, ["accountnumber"]);
    assert!(client.table_metadata("nosuchtable").await.expect_err("unknown").is_not_found());
}

#[derive(Debug, Deserialize, PartialEq)]
struct ByType {
    cre6f_agreementtype: i32,
    #[serde(with = "dataverse_client::json_decimal")]
    total: Decimal,
    count: u64,
}

#[tokio::test]
async fn apply_aggregates_into_typed_rows() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = dataverse(&sandbox);
    for (name, kind, value) in [("Agg A", 1, "100.10"), ("Agg B", 1, "50"), ("Agg C", 2, "7")] {
        client
            .create("cre6f_agreements", &json!({ "cre6f_name": name, "cre6f_agreementtype": kind, "cre6f_agreementvalue": value.parse::<f64>().expect("number") }))
            .await
            .expect("created");
    }
    let rows: Vec<ByType> = client
        .aggregate(
            Aggregation::new("cre6f_agreements")
                .filter(Filter::starts_with("cre6f_name", "Agg "))
                .group_by(["cre6f_agreementtype"])
                .sum("cre6f_agreementvalue", "total")
                .count("count"),
        )
        .await
        .expect("rows");
    assert_eq!(
        rows,
        [
            ByType { cre6f_agreementtype: 1, total: Decimal::new(15010, 2), count: 2 },
            ByType { cre6f_agreementtype: 2, total: Decimal::new(7, 0), count: 1 },
        ]
    );
}

#[derive(Debug, Deserialize)]
struct NamedAgreement {
    cre6f_name: String,
}

#[tokio::test]
async fn a_fetch_xml_too_long_for_a_get_pages_through_batch_with_its_cookie() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = dataverse(&sandbox);
    for n in 0..5 {
        let row = json!({ "cre6f_name": format!("Long fetch {n}"), "cre6f_agreementtype": 1 });
        client.create("cre6f_agreements", &row).await.expect("created");
    }
    // 400 ids that match nothing make the URL about 24,000 characters long.
    let excluded: String =
        (0..400).map(|i| format!("<value>00000000-0000-0000-0000-{i:012}</value>")).collect();
    let fetch = format!(
        "<fetch><entity name='cre6f_agreement'><attribute name='cre6f_name' /><order attribute='cre6f_name' /><filter><condition attribute='cre6f_name' operator='like' value='Long fetch %' /><condition attribute='cre6f_agreementid' operator='not-in'>{excluded}</condition></filter></entity></fetch>"
    );
    let before = sandbox.requests(dataverse_ironclad_sandbox::Service::Dataverse).len();
    let rows: Vec<NamedAgreement> =
        client.fetch_xml("cre6f_agreements", fetch).page_size(2).collect_all().await.expect("rows");
    let names: Vec<&str> = rows.iter().map(|r| r.cre6f_name.as_str()).collect();
    assert_eq!(names, (0..5).map(|n| format!("Long fetch {n}")).collect::<Vec<_>>());

    // Three pages, each one `$batch` (the cookie came back inside the part), no plain GET.
    let sent = sandbox.requests(dataverse_ironclad_sandbox::Service::Dataverse);
    let routes: Vec<&str> = sent[before..].iter().map(|r| r.route.as_str()).collect();
    assert_eq!(routes.len(), 3, "{routes:?}");
    assert!(sent[before..].iter().all(|r| r.method == "POST" && r.path.ends_with("/$batch")));
}

#[tokio::test]
async fn a_note_uploaded_in_blocks_names_its_regarding_table() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = dataverse(&sandbox);
    let agreement = sandbox.seeded().agreements[0];
    let document = vec![7u8; 10_000];
    let note = client
        .create_note(
            dataverse_client::notes::NewNote::new()
                .regarding("cre6f_agreement", "cre6f_agreements", agreement)
                .subject("Blocks")
                .document(Document::from_bytes(document.clone()).file_name("big.bin")),
        )
        .upload_mode(dataverse_client::notes::UploadMode::Blocks)
        .await
        .expect("note");
    let stored = sandbox.dataverse().notes_regarding(agreement);
    let stored = stored.iter().find(|n| n.id == note).expect("stored");
    assert_eq!(stored.object_type.as_deref(), Some("cre6f_agreement"));
    assert_eq!(stored.document.as_deref(), Some(document.as_slice()));
}

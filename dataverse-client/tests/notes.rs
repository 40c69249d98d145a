//! Notes with documents: streamed base64 bodies with exact lengths, block upload, size limits,
//! downloads.

mod common;

use std::io::Write as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use common::{API, builder, client, odata_headers};
use dataverse_client::{
    Error,
    config::RetryPolicy,
    notes::{Document, NewNote, UploadMode},
};
use futures_util::{TryStreamExt, stream};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const AGREEMENT: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const NOTE: &str = "d31ba648-c592-ed11-aad1-000d3a993550";

fn agreement() -> Uuid {
    Uuid::parse_str(AGREEMENT).expect("uuid")
}

fn pdf(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}

fn note_created() -> ResponseTemplate {
    ResponseTemplate::new(204).insert_header(
        "OData-EntityId",
        format!("https://contoso.crm.dynamics.com{API}/annotations({NOTE})").as_str(),
    )
}

fn expected_note(document: &[u8]) -> Value {
    json!({
        "subject": "Signed contract",
        "notetext": "Signed PDF from Ironclad",
        "filename": "msa.pdf",
        "mimetype": "application/pdf",
        "objectid_cre6f_agreement@odata.bind": format!("/cre6f_agreements({AGREEMENT})"),
        "documentbody": STANDARD.encode(document),
    })
}

fn new_note(document: Document) -> NewNote {
    NewNote::new()
        .regarding("cre6f_agreement", "cre6f_agreements", agreement())
        .subject("Signed contract")
        .text("Signed PDF from Ironclad")
        .document(document.file_name("msa.pdf").mime_type("application/pdf"))
}

/// The request declared its exact length (no chunked transfer) and the body has that length.
fn exact_content_length(request: &Request) -> bool {
    let declared = request
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    declared == Some(request.body.len()) && !request.headers.contains_key("transfer-encoding")
}

fn chunked_transfer(request: &Request) -> bool {
    request
        .headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
}

#[tokio::test]
async fn bytes_are_sent_as_base64_with_an_exact_content_length() {
    let server = MockServer::start().await;
    let document = pdf(100_001);
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/annotations")))
        .and(wiremock::matchers::header("content-type", "application/json"))
        .and(exact_content_length)
        .and(body_json(expected_note(&document)))
        .respond_with(note_created())
        .expect(1)
        .mount(&server)
        .await;
    let id = client(&server)
        .create_note(new_note(Document::from_bytes(document.clone())))
        .await
        .expect("note");
    assert_eq!(id.to_string(), NOTE);
}

#[tokio::test]
async fn a_file_streams_with_its_exact_length() {
    let server = MockServer::start().await;
    let document = pdf(200_000);
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&document).expect("write");
    Mock::given(method("POST"))
        .and(path(format!("{API}/annotations")))
        .and(exact_content_length)
        .and(body_json(expected_note(&document)))
        .respond_with(note_created())
        .expect(1)
        .mount(&server)
        .await;
    let from_file = Document::from_file(file.path()).await.expect("document");
    assert_eq!(from_file.size(), Some(200_000));
    client(&server).create_note(new_note(from_file)).await.expect("note");
}

#[tokio::test]
async fn a_small_stream_of_unknown_length_is_sent_with_an_exact_length() {
    let server = MockServer::start().await;
    let document = pdf(10_000);
    Mock::given(method("POST"))
        .and(path(format!("{API}/annotations")))
        .and(exact_content_length)
        .and(body_json(expected_note(&document)))
        .respond_with(note_created())
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        document.chunks(777).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    client(&server)
        .create_note(new_note(Document::from_stream(stream::iter(chunks))))
        .await
        .expect("note");
}

#[tokio::test]
async fn a_stream_in_single_request_mode_uses_chunked_transfer() {
    let server = MockServer::start().await;
    let document = pdf(50_000);
    Mock::given(method("POST"))
        .and(path(format!("{API}/annotations")))
        .and(chunked_transfer)
        .and(body_json(expected_note(&document)))
        .respond_with(note_created())
        .expect(1)
        .mount(&server)
        .await;
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        document.chunks(4096).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    client(&server)
        .create_note(new_note(Document::from_stream(stream::iter(chunks))))
        .upload_mode(UploadMode::SingleRequest)
        .await
        .expect("note");
}

#[tokio::test]
async fn a_note_without_document_is_a_plain_create() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/annotations")))
        .and(body_json(json!({
            "subject": "Approval",
            "notetext": "Approved by legal",
            "objectid_cre6f_agreement@odata.bind": format!("/cre6f_agreements({AGREEMENT})"),
        })))
        .respond_with(note_created())
        .expect(1)
        .mount(&server)
        .await;
    let note = NewNote::new()
        .regarding("cre6f_agreement", "cre6f_agreements", agreement())
        .subject("Approval")
        .text("Approved by legal");
    client(&server).create_note(note).await.expect("note");
}

#[tokio::test]
async fn documents_over_the_limit_fail_before_any_upload() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/organizations")))
        .and(query_param("$select", "maxuploadfilesize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x",
            "value": [{ "@odata.etag": "W/\"1\"", "maxuploadfilesize": 5242880, "organizationid": "f0bf3c9a-8150-e811-a953-000d3af29fc0" }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.fetch_max_upload_file_size().await.expect("limit"), 5_242_880);
    assert_eq!(client.max_upload_file_size(), Some(5_242_880));

    // 4 MiB is under 5 MB raw, but its base64 (5.3 MiB) is over: the limit applies to base64.
    let four_mib = Document::from_bytes(vec![0u8; 4 * 1024 * 1024]);
    let error = client.create_note(new_note(four_mib)).await.expect_err("too large");
    assert!(
        matches!(error, Error::DocumentTooLarge { base64_size: 5_592_408, limit: 5_242_880 }),
        "{error:?}"
    );

    // A stream of unknown length is measured as it is read: still nothing is uploaded.
    let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 1024 * 1024])));
    let error = client
        .create_note(new_note(Document::from_stream(stream::iter(chunks))))
        .await
        .expect_err("too large");
    assert!(matches!(error, Error::DocumentTooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn a_single_request_stream_over_the_limit_stops_mid_upload() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(note_created()).expect(0).mount(&server).await;
    let chunks = (0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 64 * 1024])));
    let error = client(&server)
        .create_note(new_note(Document::from_stream(stream::iter(chunks))))
        .upload_mode(UploadMode::SingleRequest)
        .max_upload_file_size(100_000)
        .await
        .expect_err("too large");
    assert!(matches!(error, Error::DocumentTooLarge { limit: 100_000, .. }), "{error:?}");
}

#[tokio::test]
async fn a_failing_source_stream_is_an_io_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(note_created()).expect(0).mount(&server).await;
    let chunks = vec![
        Ok(Bytes::from_static(b"%PDF-1.7")),
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "upstream download reset")),
    ];
    let error = client(&server)
        .create_note(new_note(Document::from_stream(stream::iter(chunks))))
        .upload_mode(UploadMode::SingleRequest)
        .await
        .expect_err("source failed");
    assert!(
        matches!(&error, Error::Io(e) if e.to_string().contains("upstream download reset")),
        "{error:?}"
    );
}

#[tokio::test]
async fn large_documents_use_block_upload() {
    let server = MockServer::start().await;
    let document = pdf(7 * 1024 * 1024 + 5);
    Mock::given(method("POST"))
        .and(path(format!("{API}/InitializeAnnotationBlocksUpload")))
        .and(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let target = &body["Target"];
            target["@odata.type"] == "Microsoft.Dynamics.CRM.annotation"
                && target["subject"] == "Signed contract"
                && target["filename"] == "msa.pdf"
                && target["mimetype"] == "application/pdf"
                && target["objectid_cre6f_agreement@odata.bind"] == format!("/cre6f_agreements({AGREEMENT})")
                && target["annotationid"].as_str().and_then(|s| Uuid::parse_str(s).ok()).is_some()
                && target.get("documentbody").is_none()
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x/$metadata#Microsoft.Dynamics.CRM.InitializeAnnotationBlocksUploadResponse",
            "FileContinuationToken": "token-1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/UploadBlock")))
        .respond_with(ResponseTemplate::new(204))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CommitAnnotationBlocksUpload")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "x/$metadata#Microsoft.Dynamics.CRM.CommitAnnotationBlocksUploadResponse",
            "AnnotationId": NOTE,
            "FileSizeInBytes": document.len()
        })))
        .expect(1)
        .mount(&server)
        .await;

    let id = client(&server)
        .create_note(new_note(Document::from_bytes(document.clone())))
        .await
        .expect("note");
    assert_eq!(id.to_string(), NOTE);

    let requests = server.received_requests().await.unwrap_or_default();
    let bodies: Vec<Value> =
        requests.iter().map(|r| serde_json::from_slice(&r.body).expect("json")).collect();
    let blocks: Vec<&Value> = bodies.iter().filter(|b| b.get("BlockData").is_some()).collect();
    let mut uploaded = Vec::new();
    let mut ids = Vec::new();
    for block in &blocks {
        assert_eq!(block["FileContinuationToken"], "token-1");
        let data = STANDARD.decode(block["BlockData"].as_str().expect("data")).expect("base64");
        assert!(block["BlockData"].as_str().map_or(0, str::len) <= 4 * 1024 * 1024);
        uploaded.extend_from_slice(&data);
        ids.push(block["BlockId"].clone());
    }
    assert_eq!(uploaded, document, "blocks reassemble the document in order");
    let commit = bodies.iter().find(|b| b.get("BlockList").is_some()).expect("commit");
    assert_eq!(commit["BlockList"], Value::Array(ids));
    assert_eq!(commit["FileContinuationToken"], "token-1");
    let init = bodies
        .iter()
        .find(|b| b.get("Target").is_some() && b.get("BlockList").is_none())
        .expect("init");
    assert_eq!(commit["Target"], init["Target"]);
}

#[tokio::test]
async fn block_upload_targets_name_the_regarding_table_in_objecttypecode() {
    let server = MockServer::start().await;
    let own_id = "6b1d9f0e-2c3a-5d4e-8f70-1a2b3c4d5e6f";
    let target = json!({
        "subject": "Signed contract",
        "notetext": "Signed PDF from Ironclad",
        "filename": "msa.pdf",
        "mimetype": "application/pdf",
        "objectid_cre6f_agreement@odata.bind": format!("/cre6f_agreements({AGREEMENT})"),
        "objecttypecode": "cre6f_agreement",
        "annotationid": own_id,
        "@odata.type": "Microsoft.Dynamics.CRM.annotation",
    });
    Mock::given(method("POST"))
        .and(path(format!("{API}/InitializeAnnotationBlocksUpload")))
        .and(body_json(json!({ "Target": target })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "FileContinuationToken": "token-1" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/UploadBlock")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CommitAnnotationBlocksUpload")))
        .and(body_json(json!({
            "Target": target,
            "BlockList": [STANDARD.encode("block-0000000000")],
            "FileContinuationToken": "token-1",
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "AnnotationId": own_id, "FileSizeInBytes": 5 })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let note = new_note(Document::from_bytes(b"%PDF-".to_vec())).column("annotationid", own_id);
    let id = client(&server).create_note(note).upload_mode(UploadMode::Blocks).await.expect("note");
    assert_eq!(id.to_string(), own_id);
}

#[tokio::test]
async fn a_block_upload_keeps_the_callers_note_id() {
    let server = MockServer::start().await;
    let own_id = "6b1d9f0e-2c3a-5d4e-8f70-1a2b3c4d5e6f";
    for message in ["InitializeAnnotationBlocksUpload", "CommitAnnotationBlocksUpload"] {
        Mock::given(method("POST"))
            .and(path(format!("{API}/{message}")))
            .and(move |request: &Request| {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                body["Target"]["annotationid"] == own_id
            })
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "FileContinuationToken": "token-1",
                "AnnotationId": own_id,
                "FileSizeInBytes": 5
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("{API}/UploadBlock")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let note = new_note(Document::from_bytes(b"%PDF-".to_vec())).column("annotationid", own_id);
    let id = client(&server).create_note(note).upload_mode(UploadMode::Blocks).await.expect("note");
    assert_eq!(id.to_string(), own_id);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_upload_is_replayed_from_bytes_but_never_from_a_consumed_stream() {
    let server = MockServer::start().await;
    let document = pdf(1000);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_json(expected_note(&document)))
        .respond_with(note_created())
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::default()).build().expect("client");
    client.create_note(new_note(Document::from_bytes(document.clone()))).await.expect("replayed");

    // A one-shot stream cannot be sent twice: the throttling error is returned instead.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(RetryPolicy::default()).build().expect("client");
    let chunks = vec![Ok::<_, std::io::Error>(Bytes::from(document))];
    let error = client
        .create_note(new_note(Document::from_stream(stream::iter(chunks))))
        .upload_mode(UploadMode::SingleRequest)
        .await
        .expect_err("not replayable");
    assert!(error.is_throttled(), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
}

#[tokio::test]
async fn downloads_decode_while_streaming() {
    let server = MockServer::start().await;
    let document = pdf(300_000);
    // Line breaks in the base64 text are tolerated.
    let encoded = STANDARD.encode(&document);
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|l| format!("{}\r\n", String::from_utf8_lossy(l)))
        .collect();
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/annotations({NOTE})/documentbody/$value")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(wrapped.into_bytes(), "text/plain"))
        .expect(1)
        .mount(&server)
        .await;
    let stream = client(&server)
        .download_note_document(Uuid::parse_str(NOTE).expect("uuid"))
        .await
        .expect("stream");
    let chunks: Vec<Bytes> = stream.try_collect().await.expect("decoded");
    assert_eq!(chunks.concat(), document);
}

#[tokio::test]
async fn invalid_base64_in_a_download_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"QUJD*!!".to_vec(), "text/plain"))
        .mount(&server)
        .await;
    let stream = client(&server).download_note_document(Uuid::nil()).await.expect("stream");
    let result: Result<Vec<Bytes>, Error> = stream.try_collect().await;
    assert!(matches!(result, Err(Error::UnexpectedResponse(_))), "{result:?}");
}

#[tokio::test]
async fn a_download_that_stalls_fails_after_the_attempt_timeout() {
    use futures_util::StreamExt;
    // A server that sends the first base64 quantum, then nothing more (wiremock cannot stall
    // mid-body).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let app = axum::Router::new().fallback(|| async {
        let chunks = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"QUJD"))])
            .chain(stream::pending());
        axum::response::Response::new(axum::body::Body::from_stream(chunks))
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = dataverse_client::Client::builder(format!("http://{address}"))
        .credential(dataverse_client::auth::StaticToken::new(common::TOKEN))
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .expect("client");
    let mut document = client.download_note_document(Uuid::nil()).await.expect("headers arrive");
    assert_eq!(document.try_next().await.expect("first chunk"), Some(Bytes::from_static(b"ABC")));
    let error = document.try_next().await.expect_err("stalled");
    assert!(matches!(error, Error::Timeout(t) if t == Duration::from_millis(300)), "{error:?}");
}

#[tokio::test]
async fn the_block_upload_commit_waits_longer_than_the_attempt_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/InitializeAnnotationBlocksUpload")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "FileContinuationToken": "token-1" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/UploadBlock")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // Assembling the document takes longer than an ordinary request may.
    Mock::given(method("POST"))
        .and(path(format!("{API}/CommitAnnotationBlocksUpload")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "AnnotationId": NOTE, "FileSizeInBytes": 5 }))
                .set_delay(Duration::from_millis(400)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = common::short_attempts_long_batches(&server);
    let id = client
        .create_note(new_note(Document::from_bytes(b"%PDF-".to_vec())))
        .upload_mode(UploadMode::Blocks)
        .await
        .expect("the commit outlives 100 ms");
    assert_eq!(id.to_string(), NOTE);
}

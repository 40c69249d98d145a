//! File and image columns: single-request, chunked and block uploads with their exact headers
//! and bodies, ranged and block downloads reassembled byte for byte, images, deletes, and notes
//! downloaded in blocks.

mod common;

use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use common::{API, client, expect_no_requests, odata_headers};
use dataverse_client::{
    Error, files::FileDownloadMode, files::FileUploadMode, files::ImageSize, notes::Document,
};
use futures_util::{TryStreamExt, stream};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ACCOUNT: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

fn account() -> Uuid {
    Uuid::parse_str(ACCOUNT).expect("uuid")
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(7) % 251) as u8).collect()
}

fn column_path() -> String {
    format!("{API}/accounts({ACCOUNT})/sample_filecolumn")
}

#[tokio::test]
async fn a_small_file_goes_in_one_patch_with_its_name_and_exact_length() {
    let server = MockServer::start().await;
    let bytes = content(5000);
    odata_headers(Mock::given(method("PATCH")))
        .and(path(column_path()))
        .and(header("content-type", "application/octet-stream"))
        .and(header("x-ms-file-name", "4094kb.txt"))
        .and(header("content-length", "5000"))
        .and(|request: &Request| request.url.query().is_none())
        .and(wiremock::matchers::body_bytes(bytes.clone()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let uploaded = client(&server)
        .upload_file(
            "accounts",
            account(),
            "sample_filecolumn",
            Document::from_bytes(bytes).file_name("4094kb.txt"),
        )
        .await
        .expect("uploaded");
    assert_eq!(uploaded.size, 5000);
    assert_eq!(uploaded.file_id, None);
}

/// Answers chunk `PATCH`es: records each `Content-Range` and stores the bytes at their offset.
struct Chunks {
    file: Mutex<Vec<u8>>,
    ranges: Mutex<Vec<String>>,
    total: usize,
}

impl Respond for &'static Chunks {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let range = request
            .headers
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let start: usize = range
            .trim_start_matches("bytes ")
            .split('-')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(usize::MAX);
        let mut file = self.file.lock().expect("lock");
        if start == file.len() {
            file.extend_from_slice(&request.body);
        }
        self.ranges.lock().expect("lock").push(range);
        if file.len() == self.total {
            ResponseTemplate::new(204)
        } else {
            ResponseTemplate::new(206)
        }
    }
}

#[tokio::test]
async fn a_large_file_goes_in_chunks_of_the_size_the_server_recommends() {
    let server = MockServer::start().await;
    let bytes = content(10_000);
    let session = format!("{}{}?sessiontoken=abc123", server.uri(), column_path());
    odata_headers(Mock::given(method("PATCH")))
        .and(path(column_path()))
        .and(query_param("x-ms-file-name", "25mb.pdf"))
        .and(header("x-ms-transfer-mode", "chunked"))
        .and(|request: &Request| request.body.is_empty())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Accept-Ranges", "bytes")
                .insert_header("Location", session.as_str())
                .insert_header("x-ms-chunk-size", "4096")
                .insert_header("Access-Control-Expose-Headers", "x-ms-chunk-size"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let chunks: &'static Chunks = Box::leak(Box::new(Chunks {
        file: Mutex::default(),
        ranges: Mutex::default(),
        total: 10_000,
    }));
    odata_headers(Mock::given(method("PATCH")))
        .and(path(column_path()))
        .and(query_param("sessiontoken", "abc123"))
        .and(header("x-ms-file-name", "25mb.pdf"))
        .and(header("content-type", "application/octet-stream"))
        .respond_with(chunks)
        .expect(3)
        .mount(&server)
        .await;
    let uploaded = client(&server)
        .upload_file(
            "accounts",
            account(),
            "sample_filecolumn",
            Document::from_bytes(bytes.clone()).file_name("25mb.pdf"),
        )
        .mode(FileUploadMode::Chunked)
        .await
        .expect("uploaded");
    assert_eq!(uploaded.size, 10_000);
    assert_eq!(
        *chunks.ranges.lock().expect("lock"),
        ["bytes 0-4095/10000", "bytes 4096-8191/10000", "bytes 8192-9999/10000"]
    );
    assert_eq!(*chunks.file.lock().expect("lock"), bytes);
}

#[tokio::test]
async fn a_session_location_on_another_origin_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Location",
                    "https://attacker.example/api/data/v9.2/x?sessiontoken=1",
                )
                .insert_header("x-ms-chunk-size", "4096"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .upload_file(
            "accounts",
            account(),
            "sample_filecolumn",
            Document::from_bytes(content(10)).file_name("a.pdf"),
        )
        .mode(FileUploadMode::Chunked)
        .await
        .expect_err("other origin");
    assert!(matches!(error, Error::UnexpectedResponse(_)), "{error:?}");
}

#[tokio::test]
async fn a_non_ascii_name_or_an_unsized_stream_uses_the_block_messages() {
    let server = MockServer::start().await;
    let bytes = content(3 * 1024 * 1024 + 10);
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/InitializeFileBlocksUpload")))
        .and(body_json(json!({
            "Target": { "accountid": ACCOUNT, "@odata.type": "Microsoft.Dynamics.CRM.account" },
            "FileName": "Vertrag-Übersicht.pdf",
            "FileAttributeName": "sample_filecolumn"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.InitializeFileBlocksUploadResponse",
            "FileContinuationToken": "token-1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let blocks: &'static Mutex<Vec<(String, Vec<u8>)>> = Box::leak(Box::default());
    Mock::given(method("POST"))
        .and(path(format!("{API}/UploadBlock")))
        .and(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).expect("json");
            assert_eq!(body["FileContinuationToken"], "token-1");
            let data = STANDARD.decode(body["BlockData"].as_str().expect("data")).expect("base64");
            blocks
                .lock()
                .expect("lock")
                .push((body["BlockId"].as_str().expect("id").to_owned(), data));
            true
        })
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let file_id = "3878e950-8e51-ed11-bba1-000d3a9933c9";
    Mock::given(method("POST"))
        .and(path(format!("{API}/CommitFileBlocksUpload")))
        .and(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).expect("json");
            let ids: Vec<String> =
                blocks.lock().expect("lock").iter().map(|(id, _)| id.clone()).collect();
            body["FileName"] == "Vertrag-Übersicht.pdf"
                && body["MimeType"] == "application/pdf"
                && body["FileContinuationToken"] == "token-1"
                && body["BlockList"] == json!(ids)
        })
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "FileId": file_id, "FileSizeInBytes": 3145738 })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let uploaded = client(&server)
        .upload_file(
            "accounts",
            account(),
            "sample_filecolumn",
            Document::from_bytes(bytes.clone())
                .file_name("Vertrag-Übersicht.pdf")
                .mime_type("application/pdf"),
        )
        .table("account", "accountid")
        .await
        .expect("uploaded");
    assert_eq!(uploaded.file_id, Uuid::parse_str(file_id).ok());
    assert_eq!(uploaded.size, 3_145_738);
    let received: Vec<u8> =
        blocks.lock().expect("lock").iter().flat_map(|(_, data)| data.clone()).collect();
    assert_eq!(received, bytes);
}

#[tokio::test]
async fn chunked_mode_needs_a_size_and_an_ascii_name_before_anything_is_sent() {
    let server = MockServer::start().await;
    expect_no_requests(&server).await;
    let client = client(&server);
    let unsized_stream = stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]);
    let error = client
        .upload_file(
            "accounts",
            account(),
            "sample_filecolumn",
            Document::from_stream(unsized_stream),
        )
        .mode(FileUploadMode::Chunked)
        .await
        .expect_err("no size");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .upload_file(
            "accounts",
            account(),
            "sample_filecolumn",
            Document::from_bytes(content(3)).file_name("Ä.pdf"),
        )
        .mode(FileUploadMode::SingleRequest)
        .await
        .expect_err("non-ASCII header");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .upload_file("accounts", account(), "bad column", Document::from_bytes(content(3)))
        .await
        .expect_err("bad column");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

/// Serves `file` in ranges the way Dataverse does, recording each `Range`.
struct Ranges {
    file: Vec<u8>,
    seen: Mutex<Vec<String>>,
    /// The `x-ms-chunk-size` it recommends.
    chunk_size: &'static str,
}

impl Respond for &'static Ranges {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let range = request
            .headers
            .get("range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        self.seen.lock().expect("lock").push(range.clone());
        let (start, end) = range
            .trim_start_matches("bytes=")
            .split_once('-')
            .map(|(a, b)| (a.parse::<usize>().unwrap_or(0), b.parse::<usize>().unwrap_or(0)))
            .unwrap_or((0, 0));
        let end = end.min(self.file.len() - 1);
        ResponseTemplate::new(206)
            .insert_header("x-ms-file-size", self.file.len().to_string().as_str())
            .insert_header("x-ms-file-name", "25mb.pdf")
            .insert_header("x-ms-chunk-size", self.chunk_size)
            .insert_header("mimetype", "application/pdf")
            .insert_header(
                "Content-Range",
                format!("bytes {start}-{end}/{}", self.file.len()).as_str(),
            )
            .set_body_bytes(self.file[start..=end].to_vec())
    }
}

#[tokio::test]
async fn a_download_comes_in_ranges_with_its_name_size_and_type() {
    let server = MockServer::start().await;
    let ranges: &'static Ranges = Box::leak(Box::new(Ranges {
        file: content(10_000),
        seen: Mutex::default(),
        chunk_size: "4096",
    }));
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{}/$value", column_path())))
        .respond_with(ranges)
        .expect(3)
        .mount(&server)
        .await;
    let download = client(&server)
        .download_file("accounts", account(), "sample_filecolumn")
        .chunk_size(2000)
        .await
        .expect("download");
    assert_eq!(download.file_name(), Some("25mb.pdf"));
    assert_eq!(download.size(), Some(10_000));
    assert_eq!(download.mime_type(), Some("application/pdf"));
    let chunks: Vec<Bytes> = download.try_collect().await.expect("bytes");
    assert_eq!(chunks.iter().map(Bytes::len).collect::<Vec<_>>(), [2000, 4096, 3904]);
    assert_eq!(chunks.concat(), ranges.file);
    // The first range is the size asked for, the others the size the server recommends.
    assert_eq!(
        *ranges.seen.lock().expect("lock"),
        ["bytes=0-1999", "bytes=2000-6095", "bytes=6096-9999"]
    );
}

#[tokio::test]
async fn a_huge_recommended_chunk_size_asks_for_the_rest_of_the_file_without_overflowing() {
    let server = MockServer::start().await;
    let ranges: &'static Ranges = Box::leak(Box::new(Ranges {
        file: content(10_000),
        seen: Mutex::default(),
        chunk_size: "18446744073709551615",
    }));
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{}/$value", column_path())))
        .respond_with(ranges)
        .expect(2)
        .mount(&server)
        .await;
    let download = client(&server)
        .download_file("accounts", account(), "sample_filecolumn")
        .chunk_size(2000)
        .await
        .expect("download");
    assert_eq!(download.bytes().await.expect("bytes"), ranges.file);
    assert_eq!(*ranges.seen.lock().expect("lock"), ["bytes=0-1999", "bytes=2000-9999"]);
}

#[tokio::test]
async fn a_short_range_fails_the_download_instead_of_corrupting_the_file() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(206)
                .insert_header("x-ms-file-size", "10000")
                .insert_header("Content-Range", "bytes 0-99/10000")
                .set_body_bytes(vec![1u8; 100]),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .download_file("accounts", account(), "sample_filecolumn")
        .chunk_size(4096)
        .await
        .expect_err("short");
    assert!(matches!(error, Error::UnexpectedResponse(_)), "{error:?}");
}

#[tokio::test]
async fn a_server_that_ignores_the_range_sends_the_whole_file_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ms-file-name", "small.txt")
                .set_body_bytes(b"hello".to_vec()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let download = client(&server)
        .download_file("accounts", account(), "sample_filecolumn")
        .await
        .expect("download");
    assert_eq!(download.size(), Some(5));
    assert_eq!(download.bytes().await.expect("bytes"), Bytes::from_static(b"hello"));
}

#[tokio::test]
async fn a_full_size_image_is_asked_for_and_its_absence_is_none() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("GET")))
        .and(path(format!("{API}/accounts({ACCOUNT})/sample_imagecolumn/$value")))
        .and(query_param("size", "full"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let image = client
        .download_image("accounts", account(), "sample_imagecolumn", ImageSize::Full)
        .await
        .expect("answered");
    assert!(image.is_none());
    let error = client
        .download_image("accounts", account(), "sample_imagecolumn", ImageSize::Thumbnail)
        .mode(FileDownloadMode::Blocks)
        .await
        .expect_err("thumbnails need ranges");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}

/// Answers `DownloadBlock` from `file`.
struct BlockServer {
    file: Vec<u8>,
    token: &'static str,
}

impl Respond for BlockServer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("json");
        assert_eq!(body["FileContinuationToken"], self.token);
        let offset = body["Offset"].as_u64().expect("offset") as usize;
        let length = body["BlockLength"].as_u64().expect("length") as usize;
        let end = (offset + length).min(self.file.len());
        ResponseTemplate::new(200)
            .set_body_json(json!({ "Data": STANDARD.encode(&self.file[offset..end]) }))
    }
}

#[tokio::test]
async fn a_download_in_blocks_reassembles_the_file() {
    let server = MockServer::start().await;
    let file = content(9_000);
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/InitializeFileBlocksDownload")))
        .and(body_json(json!({
            "Target": { "accountid": ACCOUNT, "@odata.type": "Microsoft.Dynamics.CRM.account" },
            "FileAttributeName": "sample_filecolumn"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "FileSizeInBytes": 9000, "FileName": "25mb.pdf", "FileContinuationToken": "dl-1", "IsChunkingSupported": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/DownloadBlock")))
        .respond_with(BlockServer { file: file.clone(), token: "dl-1" })
        .expect(3)
        .mount(&server)
        .await;
    let download = client(&server)
        .download_file("accounts", account(), "sample_filecolumn")
        .mode(FileDownloadMode::Blocks)
        .table("account", "accountid")
        .chunk_size(4000)
        .await
        .expect("download");
    assert_eq!(download.file_name(), Some("25mb.pdf"));
    assert_eq!(download.bytes().await.expect("bytes"), Bytes::from(file));
}

#[tokio::test]
async fn a_note_document_downloads_in_blocks() {
    let server = MockServer::start().await;
    let note = "d31ba648-c592-ed11-aad1-000d3a993550";
    let document = content(6_000_000);
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/InitializeAnnotationBlocksDownload")))
        .and(body_json(json!({
            "Target": { "annotationid": note, "@odata.type": "Microsoft.Dynamics.CRM.annotation" }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "FileContinuationToken": "note-1", "FileSizeInBytes": 6000000, "FileName": "large.pdf"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/DownloadBlock")))
        .respond_with(BlockServer { file: document.clone(), token: "note-1" })
        .expect(2)
        .mount(&server)
        .await;
    let download = client(&server)
        .download_note_document_in_blocks(Uuid::parse_str(note).expect("uuid"))
        .await
        .expect("download");
    assert_eq!((download.file_name(), download.size()), (Some("large.pdf"), Some(6_000_000)));
    assert_eq!(download.bytes().await.expect("bytes"), Bytes::from(document));
}

#[tokio::test]
async fn files_are_deleted_by_column_or_by_id() {
    let server = MockServer::start().await;
    odata_headers(Mock::given(method("DELETE")))
        .and(path(column_path()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let file_id = "3878e950-8e51-ed11-bba1-000d3a9933c9";
    odata_headers(Mock::given(method("POST")))
        .and(path(format!("{API}/DeleteFile")))
        .and(body_json(json!({ "FileId": file_id })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client.delete_file("accounts", account(), "sample_filecolumn").await.expect("deleted");
    client.delete_file_by_id(Uuid::parse_str(file_id).expect("uuid")).await.expect("deleted by id");
}

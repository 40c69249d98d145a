//! Peak memory of attaching a 100 MiB document to a note, against a loopback server that consumes
//! the body as it arrives (counting and hashing it, never buffering it). Prints the peak RSS
//! growth of the streamed single request and of the block upload (target: at most 16 MiB each),
//! with the buffer-everything approach beside them.

mod support;

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dataverse_client::notes::{Document, NewNote, UploadMode};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const NOTE: &str = "d31ba648-c592-ed11-aad1-000d3a993550";

/// What the server saw of the last upload.
#[derive(Default)]
struct Seen {
    bytes: u64,
    declared_length: Option<u64>,
    sha256: Vec<u8>,
}

async fn handle(seen: Arc<Mutex<Seen>>, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let declared_length = request
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    // Consume the body a frame at a time: count and hash it, keep nothing.
    let mut stream = request.into_body().into_data_stream();
    let (mut bytes, mut hasher) = (0u64, Sha256::new());
    while let Some(frame) = stream.next().await {
        let frame = frame.expect("body frame");
        bytes += frame.len() as u64;
        hasher.update(&frame);
    }
    if path.ends_with("/annotations") || path.ends_with("/UploadBlock") {
        let mut seen = seen.lock().expect("lock");
        seen.bytes += bytes;
        seen.declared_length = declared_length;
        seen.sha256 = hasher.finalize().to_vec();
    }
    let entity = format!("http://127.0.0.1/api/data/v9.2/annotations({NOTE})");
    let response = if path.ends_with("/InitializeAnnotationBlocksUpload") {
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"FileContinuationToken":"token"}"#))
    } else if path.ends_with("/CommitAnnotationBlocksUpload") {
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from(format!(r#"{{"AnnotationId":"{NOTE}","FileSizeInBytes":0}}"#)))
    } else {
        Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header("odata-entityid", entity)
            .body(Body::empty())
    };
    response.unwrap_or_default()
}

/// A file of `size` pseudo-random bytes, written a MiB at a time.
fn document_file(size: usize) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut block = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < size {
        for byte in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        let n = (size - written).min(block.len());
        file.write_all(&block[..n]).expect("write");
        written += n;
    }
    file.flush().expect("flush");
    file
}

fn note(document: Document) -> NewNote {
    NewNote::new()
        .regarding("cre6f_agreement", "cre6f_agreements", Uuid::nil())
        .subject("Signed contract")
        .document(document.file_name("msa.pdf").mime_type("application/pdf"))
}

fn main() {
    support::with_pinned_allocator();
    let full = support::full_run();
    let size = if full { 100 << 20 } else { 2 << 20 };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = Arc::clone(&seen);
    let address =
        support::serve(Router::new().fallback(move |request| handle(Arc::clone(&state), request)));
    let runtime = support::runtime();
    let client = support::client(address);
    let file = document_file(size);
    // Warm up the connection pool and allocator paths with a small note.
    runtime
        .block_on(client.create_note(note(Document::from_bytes(vec![1u8; 4096]))).send())
        .expect("warm-up");

    let mib = size as f64 / f64::from(1 << 20);
    println!(
        "note upload, {mib:.0} MiB document ({:.1} MiB as base64), peak RSS growth:",
        (size.div_ceil(3) * 4) as f64 / f64::from(1 << 20)
    );

    *seen.lock().expect("lock") = Seen::default();
    let (_, streamed) = support::peak_growth_mib(|| {
        runtime.block_on(async {
            let document = Document::from_file(file.path()).await.expect("document");
            client
                .create_note(note(document))
                .upload_mode(UploadMode::SingleRequest)
                .await
                .expect("streamed note")
        })
    });
    {
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.declared_length, Some(seen.bytes), "exact Content-Length");
        println!(
            "  streamed single request : {streamed:>7.1} MiB  (server received {:.1} MiB, Content-Length exact, sha256 {})",
            seen.bytes as f64 / f64::from(1 << 20),
            hex(&seen.sha256[..8])
        );
    }

    *seen.lock().expect("lock") = Seen::default();
    let (_, blocks) = support::peak_growth_mib(|| {
        runtime.block_on(async {
            let document = Document::from_file(file.path()).await.expect("document");
            client
                .create_note(note(document))
                .upload_mode(UploadMode::Blocks)
                .await
                .expect("block note")
        })
    });
    println!(
        "  block upload (3 MiB)    : {blocks:>7.1} MiB  (server received {:.1} MiB in UploadBlock bodies)",
        seen.lock().expect("lock").bytes as f64 / f64::from(1 << 20)
    );

    // The naive way: read the file, encode it, build the JSON, send it.
    let http = reqwest::Client::new();
    let (_, buffered) = support::peak_growth_mib(|| {
        runtime.block_on(async {
            let raw = tokio::fs::read(file.path()).await.expect("read");
            let body = serde_json::to_vec(&serde_json::json!({
                "subject": "Signed contract",
                "filename": "msa.pdf",
                "mimetype": "application/pdf",
                "objectid_cre6f_agreement@odata.bind": format!("/cre6f_agreements({})", Uuid::nil()),
                "documentbody": STANDARD.encode(&raw),
            }))
            .expect("json");
            let response = http
                .post(format!("http://{address}/api/data/v9.2/annotations"))
                .bearer_auth("bench-token")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("send");
            assert!(response.status().is_success());
        })
    });
    println!("  buffer everything       : {buffered:>7.1} MiB");
    let verdict = |growth: f64| if growth <= 16.0 { "within" } else { "OVER" };
    println!(
        "  target 16 MiB: streamed {} it, blocks {} it; buffering uses {:.0}x the streamed peak",
        verdict(streamed),
        verdict(blocks),
        buffered / streamed.max(0.1)
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

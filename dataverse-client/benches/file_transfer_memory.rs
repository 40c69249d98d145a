//! Peak memory of a 1 GiB file column upload (in chunks of the 4 MiB the server recommends) and
//! download (in ranges), against a loopback server that hashes what it receives and generates
//! what it serves, never holding the file. Prints the peak RSS growth of each (target: at most
//! 16 MiB each). `cargo bench --bench file_transfer_memory` moves 1 GiB; `cargo test --benches`
//! a quick 8 MiB smoke run.

mod support;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use bytes::Bytes;
use dataverse_client::{files::FileUploadMode, notes::Document};
use futures_util::{StreamExt, stream};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const CHUNK: u64 = 4 * 1024 * 1024;
const PIECE: u64 = 64 * 1024;
const ACCOUNT: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

/// Byte `i` of the file: cheap, deterministic and not constant.
fn byte_at(i: u64) -> u8 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

/// Bytes `start..end` of the file in pieces of 64 KiB.
fn pieces(start: u64, end: u64) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    stream::iter((start..end).step_by(PIECE as usize)).map(move |from| {
        let to = (from + PIECE).min(end);
        Ok(Bytes::from((from..to).map(byte_at).collect::<Vec<u8>>()))
    })
}

/// What the server received.
#[derive(Default)]
struct Received {
    bytes: u64,
    hasher: Option<Sha256>,
    digest: Vec<u8>,
}

async fn handle(
    size: u64,
    received: Arc<Mutex<Received>>,
    request: Request<Body>,
) -> Response<Body> {
    let uri = request.uri().clone();
    let method = request.method().as_str().to_owned();
    let headers = request.headers().clone();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let builder = Response::builder();
    let response = match (method.as_str(), uri.query()) {
        ("PATCH", Some(query)) if query.starts_with("x-ms-file-name") => {
            *received.lock().expect("lock") =
                Received { hasher: Some(Sha256::new()), ..Received::default() };
            let location = format!(
                "http://{}{}?sessiontoken=bench",
                header("host").unwrap_or_default(),
                uri.path()
            );
            builder
                .status(StatusCode::OK)
                .header("Location", location)
                .header("x-ms-chunk-size", CHUNK.to_string())
                .body(Body::empty())
        }
        ("PATCH", Some(_)) => {
            let range = header("content-range").unwrap_or_default();
            let start: u64 = range
                .trim_start_matches("bytes ")
                .split('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(u64::MAX);
            let mut body = request.into_body().into_data_stream();
            let mut state = received.lock().expect("lock").hasher.take().unwrap_or_default();
            let mut count = 0;
            while let Some(frame) = body.next().await {
                let frame = frame.expect("frame");
                count += frame.len() as u64;
                state.update(&frame);
            }
            let mut received = received.lock().expect("lock");
            assert_eq!(start, received.bytes, "chunks in order");
            received.bytes += count;
            if received.bytes == size {
                received.digest = state.finalize().to_vec();
                builder.status(StatusCode::NO_CONTENT).body(Body::empty())
            } else {
                received.hasher = Some(state);
                builder.status(StatusCode::PARTIAL_CONTENT).body(Body::empty())
            }
        }
        ("GET", _) => {
            let range = header("range").unwrap_or_default();
            let (start, end) = range
                .trim_start_matches("bytes=")
                .split_once('-')
                .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                .unwrap_or((0, size - 1));
            let end = end.min(size - 1);
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header("x-ms-file-size", size.to_string())
                .header("x-ms-file-name", "large.bin")
                .header("x-ms-chunk-size", CHUNK.to_string())
                .header("Content-Range", format!("bytes {start}-{end}/{size}"))
                .header("Content-Length", (end - start + 1).to_string())
                .body(Body::from_stream(pieces(start, end + 1)))
        }
        _ => builder.status(StatusCode::NOT_FOUND).body(Body::empty()),
    };
    response.unwrap_or_default()
}

fn main() {
    support::with_pinned_allocator();
    let size: u64 = if support::full_run() { 1 << 30 } else { 8 << 20 };
    let received = Arc::new(Mutex::new(Received::default()));
    let state = Arc::clone(&received);
    let address = support::serve(
        Router::new().fallback(move |request| handle(size, Arc::clone(&state), request)),
    );
    let runtime = support::runtime();
    let client = support::client(address);
    let account = Uuid::parse_str(ACCOUNT).expect("uuid");
    println!("file column, {:.0} MiB file, peak RSS growth:", size as f64 / f64::from(1 << 20));

    let (_, upload) = support::peak_growth_mib(|| {
        runtime.block_on(async {
            let document =
                Document::from_stream_with_size(pieces(0, size), size).file_name("large.bin");
            client
                .upload_file("accounts", account, "sample_filecolumn", document)
                .mode(FileUploadMode::Chunked)
                .await
                .expect("uploaded")
        })
    });
    let uploaded = std::mem::take(&mut *received.lock().expect("lock"));
    assert_eq!(uploaded.bytes, size);
    println!(
        "  upload in 4 MiB chunks   : {upload:>7.1} MiB  (server received {:.0} MiB, sha256 {})",
        size as f64 / f64::from(1 << 20),
        hex(&uploaded.digest[..8])
    );

    let ((bytes, digest), download) = support::peak_growth_mib(|| {
        runtime.block_on(async {
            let mut file = client
                .download_file("accounts", account, "sample_filecolumn")
                .await
                .expect("download");
            let (mut bytes, mut hasher) = (0u64, Sha256::new());
            while let Some(chunk) = file.next().await {
                let chunk = chunk.expect("chunk");
                bytes += chunk.len() as u64;
                hasher.update(&chunk);
            }
            (bytes, hasher.finalize().to_vec())
        })
    });
    assert_eq!(bytes, size);
    assert_eq!(digest, uploaded.digest, "the download is the bytes uploaded");
    println!(
        "  download in 4 MiB ranges : {download:>7.1} MiB  (sha256 {}, same as uploaded)",
        hex(&digest[..8])
    );
    let verdict = |growth: f64| if growth <= 16.0 { "within" } else { "OVER" };
    println!("  target 16 MiB: upload {} it, download {} it", verdict(upload), verdict(download));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

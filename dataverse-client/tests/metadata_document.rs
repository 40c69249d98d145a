//! Downloading the `$metadata` document: the exact request and a streamed body.

mod common;

use common::{API, TOKEN, client};
use dataverse_client::Error;
use futures_util::TryStreamExt;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CSDL: &str = r#"<?xml version="1.0" encoding="utf-8"?><edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices/></edmx:Edmx>"#;

#[tokio::test]
async fn downloads_the_csdl_as_xml_in_chunks() {
    let server = MockServer::start().await;
    // Large enough to arrive in several chunks.
    let body = format!("{CSDL}{}", "<!-- padding -->".repeat(40_000));
    Mock::given(method("GET"))
        .and(path(format!("{API}/$metadata")))
        .and(header("accept", "application/xml"))
        .and(header("odata-maxversion", "4.0"))
        .and(header("odata-version", "4.0"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(|request: &wiremock::Request| request.url.query().is_none())
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/xml"))
        .expect(1)
        .mount(&server)
        .await;

    let chunks: Vec<bytes::Bytes> = client(&server)
        .metadata_document(false)
        .await
        .expect("sent")
        .try_collect()
        .await
        .expect("body");
    assert!(chunks.len() > 1, "streamed in {} chunk(s)", chunks.len());
    assert_eq!(chunks.concat(), body.as_bytes());
}

#[tokio::test]
async fn annotations_are_asked_for_with_the_query_option() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/$metadata")))
        .and(query_param("annotations", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CSDL, "application/xml"))
        .expect(1)
        .mount(&server)
        .await;
    let body: Vec<bytes::Bytes> = client(&server)
        .metadata_document(true)
        .await
        .expect("sent")
        .try_collect()
        .await
        .expect("body");
    assert_eq!(body.concat(), CSDL.as_bytes());
}

#[tokio::test]
async fn a_refusal_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/$metadata")))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": { "code": "0x80040220", "message": "Principal user is missing prvReadEntity privilege" }
        })))
        .mount(&server)
        .await;
    let error = client(&server).metadata_document(false).await.expect_err("403");
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
}

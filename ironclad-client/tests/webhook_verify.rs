//! Webhook signature verification: the signed bytes, every way a delivery can be wrong, the
//! key cache and its single refetch.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{api, client, fixture};
use http::{HeaderMap, StatusCode};
use ironclad_client::webhooks::WebhookVerifier;
use ironclad_client::webhooks::{
    EVENT_ID_HEADER, TestSigner, VERIFICATION_HEADER, VerificationKey, VerifyError,
    verify_delivery, verify_signature,
};
use rsa::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EVENT_ID: &str = "webhookEvent6f1c2b0a9e8d7c6b5a4f3e2d1c0b9a8f";

fn signer() -> TestSigner {
    TestSigner::from_pem(&fixture("webhook_signing_key.pem")).unwrap()
}

fn rotated_signer() -> TestSigner {
    TestSigner::from_pem(&fixture("rotated_signing_key.pem")).unwrap()
}

fn key() -> VerificationKey {
    VerificationKey::from_pem(&fixture("webhook_verification_key.pem")).unwrap()
}

/// The compact body as Ironclad's `JSON.stringify` would produce it.
fn body() -> Vec<u8> {
    let value: serde_json::Value =
        serde_json::from_str(&fixture("delivery_approval_status_changed.json")).unwrap();
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn the_signed_bytes_are_event_id_then_body_then_nonce() {
    // Sign independently of the crate: RSA PKCS#1 v1.5 over SHA-256(event id ‖ body ‖ nonce).
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&fixture("webhook_signing_key.pem")).unwrap();
    let body = body();
    let nonce = "3b1f0c9d8e7a6b5c";
    let mut signed = EVENT_ID.as_bytes().to_vec();
    signed.extend_from_slice(&body);
    signed.extend_from_slice(nonce.as_bytes());
    let signature =
        private.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&signed)).unwrap();
    let header = serde_json::json!({
        "nonce": nonce,
        "signAlgorithm": "sha256",
        "signature": base64::engine::general_purpose::STANDARD.encode(&signature),
        "encoding": "base64"
    })
    .to_string();
    let delivery = verify_delivery(&key(), EVENT_ID, &header, &body).unwrap();
    assert_eq!(delivery.payload.approval_id(), Some("approver137e74661e0b40e38e3a52dff067cd0c"));
    // The crate's test signer produces the same signature for the same nonce.
    assert_eq!(signer().sign_with_nonce(EVENT_ID, &body, nonce).verification, header);
    // The older doc wording (event id ‖ nonce ‖ body) is not what is verified.
    let mut other_order = EVENT_ID.as_bytes().to_vec();
    other_order.extend_from_slice(nonce.as_bytes());
    other_order.extend_from_slice(&body);
    let wrong =
        private.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&other_order)).unwrap();
    let wrong_header = header.replace(
        &base64::engine::general_purpose::STANDARD.encode(&signature),
        &base64::engine::general_purpose::STANDARD.encode(&wrong),
    );
    assert!(
        verify_signature(&key(), EVENT_ID, &wrong_header, &body).unwrap_err().is_bad_signature()
    );
}

#[test]
fn every_tampering_is_a_bad_signature() {
    let body = body();
    let signed = signer().sign_with_nonce(EVENT_ID, &body, "nonce-1");
    verify_signature(&key(), EVENT_ID, &signed.verification, &body).unwrap();

    let tampered_body = String::from_utf8(body.clone()).unwrap().replace("approved", "rejected");
    let wrong_nonce = signed.verification.replace("nonce-1", "nonce-2");
    let by_other_key = rotated_signer().sign_with_nonce(EVENT_ID, &body, "nonce-1");
    let cases: [(&str, &str, &[u8]); 4] = [
        ("tampered body", &signed.verification, tampered_body.as_bytes()),
        ("wrong nonce", &wrong_nonce, &body),
        ("wrong key", &by_other_key.verification, &body),
        ("wrong event id", &signed.verification, &body),
    ];
    for (case, header, payload) in cases {
        let event_id =
            if case == "wrong event id" { "webhookEventSomethingElse" } else { EVENT_ID };
        let error = verify_signature(&key(), event_id, header, payload).unwrap_err();
        assert!(error.is_bad_signature(), "{case}: {error}");
        assert_eq!(error.status_code(), StatusCode::UNAUTHORIZED, "{case}");
    }
}

#[test]
fn malformed_headers_are_typed_errors_never_panics() {
    let body = body();
    let signed = signer().sign(EVENT_ID, &body);
    let truncated_signature = {
        let mut header: serde_json::Value = serde_json::from_str(&signed.verification).unwrap();
        header["signature"] = "AAAA".into();
        header.to_string()
    };
    let cases = [
        ("not json", "nonce=1,signature=abc".to_owned(), StatusCode::BAD_REQUEST),
        ("array", "[]".to_owned(), StatusCode::BAD_REQUEST),
        (
            "missing nonce",
            r#"{"signature":"AAAA","encoding":"base64"}"#.to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        ("number nonce", r#"{"nonce":5,"signature":"AAAA"}"#.to_owned(), StatusCode::BAD_REQUEST),
        (
            "not base64",
            r#"{"nonce":"n","signature":"%%%","encoding":"base64"}"#.to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown encoding",
            r#"{"nonce":"n","signature":"AAAA","encoding":"binary"}"#.to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown algorithm",
            r#"{"nonce":"n","signature":"AAAA","signAlgorithm":"md5"}"#.to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        ("short signature", truncated_signature, StatusCode::UNAUTHORIZED),
    ];
    for (case, header, status) in cases {
        let error = verify_delivery(&key(), EVENT_ID, &header, &body).unwrap_err();
        assert_eq!(error.status_code(), status, "{case}: {error}");
    }
    assert!(matches!(
        verify_delivery(&key(), "  ", &signed.verification, &body),
        Err(VerifyError::MissingHeader(EVENT_ID_HEADER))
    ));
    assert!(VerificationKey::from_pem("garbage").is_err());
    assert!(TestSigner::from_pem("garbage").is_err());
}

#[test]
fn a_reformatted_body_verifies_through_its_compact_reserialization() {
    // Ironclad signs JSON.stringify(body); a proxy may re-indent the body on the way.
    let pretty = fixture("delivery_approval_status_changed.json");
    let signed = signer().sign(EVENT_ID, &body());
    assert_ne!(pretty.as_bytes(), body().as_slice());
    let delivery =
        verify_delivery(&key(), EVENT_ID, &signed.verification, pretty.as_bytes()).unwrap();
    assert_eq!(delivery.payload.approval_name(), Some("Legal"));
    // Key order matters: a reordered body is a different body.
    let reordered = br#"{"webhookID":"67535d36de552a07db17c508","companyID":"674f5545728c89fc7fabd5ec","payload":{"approvalID":"approver137e74661e0b40e38e3a52dff067cd0c","approvalName":"Legal","event":"workflow_approval_status_changed","status":"approved","userEmail":"","userID":"67520d8a6e3fe48d53795c29","workflowID":"67535b8446f877a720c22b29"},"timestamp":"2024-12-06T20:52:19.625Z"}"#;
    assert!(
        verify_delivery(&key(), EVENT_ID, &signed.verification, reordered)
            .unwrap_err()
            .is_bad_signature()
    );
}

#[test]
fn a_body_verifies_through_its_json_stringify_form() {
    // JavaScript writes 1.0 as 1 and orders integer-like keys first; serde_json does neither.
    let wire = br#"{"companyID":"c","payload":{"event":"workflow_updated","workflowID":"w","score":1.0,"byIndex":{"b":true,"2":"x"}},"timestamp":"2024-12-06T20:42:55.776Z","webhookID":"h"}"#;
    let as_javascript = br#"{"companyID":"c","payload":{"event":"workflow_updated","workflowID":"w","score":1,"byIndex":{"2":"x","b":true}},"timestamp":"2024-12-06T20:42:55.776Z","webhookID":"h"}"#;
    let signed = signer().sign(EVENT_ID, as_javascript);
    let delivery = verify_delivery(&key(), EVENT_ID, &signed.verification, wire).unwrap();
    assert_eq!(delivery.payload.get("score"), Some(&serde_json::json!(1.0)));
}

#[test]
fn hex_signatures_and_missing_optional_fields_are_tolerated() {
    let body = body();
    let signed = signer().sign_with_nonce(EVENT_ID, &body, "n-hex");
    let header: serde_json::Value = serde_json::from_str(&signed.verification).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(header["signature"].as_str().unwrap())
        .unwrap();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    for variant in [
        serde_json::json!({"nonce": "n-hex", "signAlgorithm": "sha256", "signature": hex, "encoding": "hex"}),
        // No encoding: base64 is tried, then hex.
        serde_json::json!({"nonce": "n-hex", "signature": hex}),
        // "base64" declared but the value is hex: tolerated.
        serde_json::json!({"nonce": "n-hex", "signAlgorithm": "RSA-SHA256", "signature": hex, "encoding": "base64"}),
        // URL-safe base64 without padding.
        serde_json::json!({"nonce": "n-hex", "signature": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw)}),
    ] {
        verify_signature(&key(), EVENT_ID, &variant.to_string(), &body)
            .unwrap_or_else(|e| panic!("{variant}: {e}"));
    }
}

#[test]
fn a_correctly_signed_body_that_is_not_a_delivery_is_malformed() {
    let body = br#"{"companyID":"c","payload":{"workflowID":"w"}}"#;
    let signed = signer().sign(EVENT_ID, body);
    match verify_delivery(&key(), EVENT_ID, &signed.verification, body) {
        Err(error @ VerifyError::MalformedBody { .. }) => {
            assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
            assert!(error.to_string().contains("payload"), "{error}");
        }
        other => panic!("expected MalformedBody, got {other:?}"),
    }
    // Not JSON at all (but signed): still a typed error.
    let signed = signer().sign(EVENT_ID, b"\xff\xfe");
    assert!(matches!(
        verify_delivery(&key(), EVENT_ID, &signed.verification, b"\xff\xfe"),
        Err(VerifyError::MalformedBody { .. })
    ));
}

fn headers(signed: &ironclad_client::webhooks::SignedHeaders) -> HeaderMap {
    signed.header_map()
}

async fn mount_key(server: &MockServer, pem: String, times: u64) {
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-pem-file; charset=utf-8")
                .set_body_string(pem),
        )
        .up_to_n_times(times)
        .with_priority(1)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_verifier_fetches_the_key_once_and_caches_it() {
    let server = MockServer::start().await;
    mount_key(&server, fixture("webhook_verification_key.pem"), 1).await;
    let verifier = WebhookVerifier::new(client(&server));
    for n in 0..3 {
        let body = body();
        let event = format!("{EVENT_ID}{n}");
        let delivery =
            verifier.verify(&headers(&signer().sign(&event, &body)), &body).await.unwrap();
        assert_eq!(delivery.payload.workflow_id.as_deref(), Some("67535b8446f877a720c22b29"));
    }
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_with_exactly_one_refetch() {
    let server = MockServer::start().await;
    mount_key(&server, fixture("webhook_verification_key.pem"), 1).await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("rotated_verification_key.pem")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let verifier = WebhookVerifier::new(client(&server));
    let body = body();
    verifier.verify(&headers(&signer().sign("e1", &body)), &body).await.unwrap();
    // Ironclad rotates its key: the cached key fails, one refetch, success.
    verifier.verify(&headers(&rotated_signer().sign("e2", &body)), &body).await.unwrap();
    // The new key is cached from now on.
    verifier.verify(&headers(&rotated_signer().sign("e3", &body)), &body).await.unwrap();
}

#[tokio::test]
async fn a_forged_signature_costs_one_refetch_then_none_during_the_cooldown() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("webhook_verification_key.pem")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let verifier = WebhookVerifier::new(client(&server));
    let body = body();
    verifier.verify(&headers(&signer().sign("e1", &body)), &body).await.unwrap();
    for attempt in 0..3 {
        let forged = rotated_signer().sign(&format!("forged-{attempt}"), &body);
        let error = verifier.verify(&headers(&forged), &body).await.unwrap_err();
        assert!(error.is_bad_signature(), "{error}");
    }
    // Genuine deliveries still verify with the cached key.
    verifier.verify(&headers(&signer().sign("e2", &body)), &body).await.unwrap();
}

#[tokio::test]
async fn without_a_cooldown_every_failure_refetches_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("webhook_verification_key.pem")),
        )
        .expect(3)
        .mount(&server)
        .await;
    let verifier = WebhookVerifier::new(client(&server)).refetch_cooldown(Duration::ZERO);
    let body = body();
    verifier.prefetch_key().await.unwrap();
    for attempt in 0..2 {
        let forged = rotated_signer().sign(&format!("forged-{attempt}"), &body);
        assert!(verifier.verify(&headers(&forged), &body).await.unwrap_err().is_bad_signature());
    }
}

#[tokio::test]
async fn concurrent_failures_share_one_refetch() {
    let server = MockServer::start().await;
    mount_key(&server, fixture("webhook_verification_key.pem"), 1).await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(fixture("rotated_verification_key.pem"))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let verifier = WebhookVerifier::new(client(&server));
    verifier.prefetch_key().await.unwrap();
    let body = body();
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let verifier = verifier.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let signed = rotated_signer().sign(&format!("e{n}"), &body);
                verifier.verify(&signed.header_map(), &body).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn malformed_requests_never_fetch_the_key_and_fetch_failures_are_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("/webhooks/verification-key")))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(serde_json::json!({"code": "SERVER_ERROR", "message": "down"})),
        )
        .expect(5) // the client's 5 attempts for one verification, none for the malformed ones
        .mount(&server)
        .await;
    let verifier = WebhookVerifier::new(client(&server));
    let body = body();
    let mut missing = headers(&signer().sign("e1", &body));
    missing.remove(VERIFICATION_HEADER);
    assert!(matches!(
        verifier.verify(&missing, &body).await,
        Err(VerifyError::MissingHeader(VERIFICATION_HEADER))
    ));
    let mut garbled = headers(&signer().sign("e1", &body));
    garbled.insert(VERIFICATION_HEADER, "{not json".parse().unwrap());
    assert_eq!(
        verifier.verify(&garbled, &body).await.unwrap_err().status_code(),
        StatusCode::BAD_REQUEST
    );
    let error = verifier.verify(&headers(&signer().sign("e1", &body)), &body).await.unwrap_err();
    assert!(matches!(error, VerifyError::KeyUnavailable(_)), "{error}");
    assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_fixed_key_verifier_never_fetches() {
    let verifier = WebhookVerifier::with_key(signer().verification_key());
    let body = body();
    verifier.verify(&headers(&signer().sign("e1", &body)), &body).await.unwrap();
    let forged = rotated_signer().sign("e2", &body);
    assert!(verifier.verify(&headers(&forged), &body).await.unwrap_err().is_bad_signature());
    // The public key PEM the signer serves parses back to the same key.
    assert_eq!(VerificationKey::from_pem(&signer().public_key_pem()).unwrap(), key());
    // PEM with escaped newlines (as stored in an environment variable) is accepted.
    let escaped = fixture("webhook_verification_key.pem").replace('\n', "\\n");
    assert_eq!(VerificationKey::from_pem(&escaped).unwrap(), key());
    // So is a private key with CR and escaped newlines, through the same normalization.
    let escaped_private = fixture("webhook_signing_key.pem").replace('\n', "\r\\n");
    assert_eq!(TestSigner::from_pem(&escaped_private).unwrap().verification_key(), key());
    assert!(!format!("{:?}", signer()).contains("PRIVATE"));
}

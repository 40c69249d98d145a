//! Webhook keys on aws-lc-rs: the PEM forms Ironclad and users hand us, key sizes, the hashes a
//! delivery may name, and generated test signers.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::fixture;
use ironclad_client::webhooks::{TestSigner, VerificationKey, VerifyError, verify_signature};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};

fn key() -> VerificationKey {
    VerificationKey::from_pem(&fixture("webhook_verification_key.pem")).unwrap()
}

#[test]
fn spki_and_pkcs1_pems_read_as_the_same_key() {
    let pkcs1 = VerificationKey::from_pem(&fixture("webhook_verification_key_pkcs1.pem")).unwrap();
    assert_eq!(pkcs1, key());
    assert_eq!(pkcs1.bits(), 2048);
    assert_ne!(key(), VerificationKey::from_pem(&fixture("rotated_verification_key.pem")).unwrap());
    // Both private-key forms sign as the same key.
    let pkcs8 = TestSigner::from_pem(&fixture("webhook_signing_key.pem")).unwrap();
    let traditional = TestSigner::from_pem(&fixture("webhook_signing_key_pkcs1.pem")).unwrap();
    assert_eq!(traditional.verification_key(), key());
    assert_eq!(
        pkcs8.sign_with_nonce("e1", b"{}", "n").verification,
        traditional.sign_with_nonce("e1", b"{}", "n").verification
    );
    // The served PEM is SubjectPublicKeyInfo, as Ironclad serves it.
    assert!(pkcs8.public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(pkcs8.public_key_pem(), fixture("webhook_verification_key.pem"));
}

#[test]
fn keys_that_are_not_rsa_public_keys_of_2048_bits_or_more_are_invalid() {
    let weak = VerificationKey::from_pem(&fixture("weak_1024_verification_key.pem")).unwrap_err();
    assert!(matches!(&weak, VerifyError::InvalidKey(why) if why.contains("1024-bit")), "{weak}");
    let cases = [
        ("private key as public", fixture("webhook_signing_key.pem")),
        (
            "certificate label",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into(),
        ),
        ("not DER", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----".into()),
        ("no END", "-----BEGIN PUBLIC KEY-----\nAAAA".into()),
        ("empty", String::new()),
    ];
    for (case, pem) in cases {
        let error = VerificationKey::from_pem(&pem).unwrap_err();
        assert!(matches!(error, VerifyError::InvalidKey(_)), "{case}: {error}");
        assert_eq!(error.status_code(), http::StatusCode::SERVICE_UNAVAILABLE, "{case}");
    }
    let public_as_private = TestSigner::from_pem(&fixture("webhook_verification_key.pem"));
    assert!(matches!(public_as_private, Err(VerifyError::InvalidKey(_))));
}

#[test]
fn sha384_and_sha512_signatures_verify() {
    // Signed independently with the `rsa` crate, over event id ‖ body ‖ nonce.
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&fixture("webhook_signing_key.pem")).unwrap();
    let body = br#"{"companyID":"c","payload":{"event":"workflow_updated","workflowID":"w"}}"#;
    let signed_bytes = [b"e384".as_slice(), body, b"n0nce"].concat();
    let sha384 = SigningKey::<sha2::Sha384>::new(private.clone()).sign(&signed_bytes).to_vec();
    let sha512 = SigningKey::<sha2::Sha512>::new(private).sign(&signed_bytes).to_vec();
    for (algorithm, signature) in [("sha384", sha384), ("RSA-SHA512", sha512)] {
        let header = serde_json::json!({
            "nonce": "n0nce",
            "signAlgorithm": algorithm,
            "signature": STANDARD.encode(signature),
            "encoding": "base64"
        })
        .to_string();
        verify_signature(&key(), "e384", &header, body)
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        let error = verify_signature(&key(), "e385", &header, body).unwrap_err();
        assert!(error.is_bad_signature(), "{algorithm}: {error}");
    }
}

#[test]
fn generated_signers_verify_and_one_is_shared_per_process() {
    let fresh = TestSigner::generate().unwrap();
    assert_eq!(fresh.verification_key().bits(), 2048);
    let signed = fresh.sign("webhookEventGen", b"{\"a\":1}");
    verify_signature(
        &fresh.verification_key(),
        &signed.event_id,
        &signed.verification,
        b"{\"a\":1}",
    )
    .unwrap();
    // Served and parsed back, the public key is the same key.
    assert_eq!(
        VerificationKey::from_pem(&fresh.public_key_pem()).unwrap(),
        fresh.verification_key()
    );
    let shared = TestSigner::per_process().unwrap();
    assert_eq!(shared.verification_key(), TestSigner::per_process().unwrap().verification_key());
    assert_ne!(shared.verification_key(), fresh.verification_key());
    assert!(!format!("{fresh:?}").contains("PRIVATE"));
}

//! Signing deliveries like Ironclad does, for tests and local emulators.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use super::verify::{
    EVENT_ID_HEADER, VERIFICATION_HEADER, VerificationHeader, VerificationKey, VerifyError,
    normalize_pem,
};

/// Signs webhook bodies with a private key, producing the headers Ironclad would send. Use it
/// in your receiver's tests, or in an emulator of Ironclad.
///
/// Bring a key generated once (`openssl genrsa 2048`) rather than generating one per test:
/// RSA key generation is slow in debug builds. `Debug` never prints the key.
///
/// ```
/// use ironclad_client::webhooks::{TestSigner, verify_delivery};
///
/// let signer = TestSigner::from_pem(include_str!("../../tests/fixtures/webhook_signing_key.pem"))?;
/// let body = br#"{"companyID":"c","payload":{"event":"workflow_launched","workflowID":"w"},"timestamp":"2022-04-07T21:36:52.776Z","webhookID":"h"}"#;
/// let headers = signer.sign("webhookEvent8d9e", body);
/// assert!(headers.verification.contains(r#""signAlgorithm":"sha256""#));
/// let delivery = verify_delivery(&signer.verification_key(), &headers.event_id, &headers.verification, body)?;
/// assert_eq!(delivery.payload.workflow_id.as_deref(), Some("w"));
/// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
/// ```
pub struct TestSigner {
    key: RsaPrivateKey,
}

/// The two signature headers of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedHeaders {
    /// `X-Ironclad-Webhook-Event-Id`.
    pub event_id: String,
    /// `X-Ironclad-Webhook-Verification` (JSON).
    pub verification: String,
}

impl SignedHeaders {
    /// As a header map, ready to add to a request.
    pub fn header_map(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in self.pairs() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        headers
    }

    /// `(name, value)` pairs, for HTTP clients that take those.
    pub fn pairs(&self) -> [(&'static str, String); 2] {
        [(EVENT_ID_HEADER, self.event_id.clone()), (VERIFICATION_HEADER, self.verification.clone())]
    }
}

impl TestSigner {
    /// A signer from a PEM private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1
    /// `BEGIN RSA PRIVATE KEY`).
    ///
    /// # Errors
    /// [`VerifyError::InvalidKey`] when it is not an RSA private key.
    pub fn from_pem(pem: &str) -> Result<Self, VerifyError> {
        let pem = normalize_pem(pem);
        RsaPrivateKey::from_pkcs8_pem(&pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&pem))
            .map(|key| TestSigner { key })
            .map_err(|e| VerifyError::InvalidKey(format!("not an RSA private key in PEM: {e}")))
    }

    /// The matching verification key.
    pub fn verification_key(&self) -> VerificationKey {
        VerificationKey::from_rsa(RsaPublicKey::from(&self.key))
    }

    /// The public key as PEM (SubjectPublicKeyInfo), what `GET /webhooks/verification-key`
    /// serves.
    pub fn public_key_pem(&self) -> String {
        RsaPublicKey::from(&self.key).to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// Sign `body` for `event_id` with a random nonce.
    pub fn sign(&self, event_id: &str, body: &[u8]) -> SignedHeaders {
        let nonce: String = std::iter::repeat_with(fastrand::alphanumeric).take(32).collect();
        self.sign_with_nonce(event_id, body, &nonce)
    }

    /// Sign `body` for `event_id` with a given nonce (deterministic output).
    pub fn sign_with_nonce(&self, event_id: &str, body: &[u8], nonce: &str) -> SignedHeaders {
        let digest = Sha256::new()
            .chain_update(event_id.as_bytes())
            .chain_update(body)
            .chain_update(nonce.as_bytes())
            .finalize();
        // Signing a 32-byte digest with a valid RSA key cannot fail; an empty signature would
        // simply not verify.
        let signature = self.key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap_or_default();
        let header = VerificationHeader {
            nonce: nonce.to_owned(),
            sign_algorithm: Some("sha256".into()),
            signature: STANDARD.encode(signature),
            encoding: Some("base64".into()),
        };
        SignedHeaders {
            event_id: event_id.to_owned(),
            verification: serde_json::to_string(&header).unwrap_or_default(),
        }
    }
}

impl fmt::Debug for TestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestSigner").field("key", &"[redacted]").finish()
    }
}

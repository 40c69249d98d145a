//! Signing deliveries like Ironclad does, for tests and local emulators.

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::key::VerificationKey;
use super::pem;
use super::verify::{EVENT_ID_HEADER, VERIFICATION_HEADER, VerificationHeader, VerifyError};

/// Signs webhook bodies with a private key, producing the headers Ironclad would send. Use it
/// in your receiver's tests, or in an emulator of Ironclad.
///
/// Bring a key (`openssl genrsa 2048`), generate one with [`TestSigner::generate`], or share one
/// generated key per process with [`TestSigner::per_process`] (RSA key generation takes a
/// noticeable fraction of a second). Signing uses aws-lc-rs, the crypto provider rustls brings.
/// Cheap to clone; `Debug` never prints the key.
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
#[derive(Clone)]
pub struct TestSigner {
    inner: Arc<Inner>,
}

struct Inner {
    key: RsaKeyPair,
    verification_key: VerificationKey,
    public_key_pem: String,
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
    /// `BEGIN RSA PRIVATE KEY`) of 2048 to 8192 bits.
    ///
    /// # Errors
    /// [`VerifyError::InvalidKey`] when it is not such an RSA private key.
    pub fn from_pem(pem: &str) -> Result<Self, VerifyError> {
        let invalid =
            |e: String| VerifyError::InvalidKey(format!("not an RSA private key in PEM: {e}"));
        let (label, der) =
            pem::decode(pem, &["PRIVATE KEY", "RSA PRIVATE KEY"]).map_err(invalid)?;
        let key = match label {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            _ => RsaKeyPair::from_der(&der),
        }
        .map_err(|e| invalid(e.to_string()))?;
        Self::from_key_pair(key)
    }

    /// A signer with a freshly generated RSA-2048 key.
    ///
    /// ```
    /// use ironclad_client::webhooks::{TestSigner, verify_signature};
    ///
    /// let signer = TestSigner::generate()?;
    /// let headers = signer.sign("webhookEvent0123", b"{}");
    /// verify_signature(&signer.verification_key(), &headers.event_id, &headers.verification, b"{}")?;
    /// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
    /// ```
    ///
    /// # Errors
    /// [`VerifyError::InvalidKey`] if the key cannot be generated (the platform's randomness
    /// failed).
    pub fn generate() -> Result<Self, VerifyError> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|e| VerifyError::InvalidKey(format!("could not generate an RSA key: {e}")))?;
        Self::from_key_pair(key)
    }

    /// One generated signer shared by the whole process (generated on first use), for test
    /// suites that need a key but not a particular one.
    ///
    /// ```
    /// use ironclad_client::webhooks::TestSigner;
    ///
    /// let a = TestSigner::per_process()?;
    /// let b = TestSigner::per_process()?;
    /// assert_eq!(a.public_key_pem(), b.public_key_pem());
    /// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
    /// ```
    ///
    /// # Errors
    /// As [`TestSigner::generate`], on every call if the first generation failed.
    pub fn per_process() -> Result<Self, VerifyError> {
        static SHARED: OnceLock<Result<TestSigner, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| TestSigner::generate().map_err(|e| e.to_string()))
            .clone()
            .map_err(VerifyError::InvalidKey)
    }

    fn from_key_pair(key: RsaKeyPair) -> Result<Self, VerifyError> {
        let public = key.public_key();
        let verification_key = VerificationKey::from_der(public.as_ref())?;
        let spki = public.as_der().map_err(|e| {
            VerifyError::InvalidKey(format!("could not encode the public key: {e}"))
        })?;
        let public_key_pem = pem::encode("PUBLIC KEY", spki.as_ref());
        Ok(TestSigner { inner: Arc::new(Inner { key, verification_key, public_key_pem }) })
    }

    /// The matching verification key.
    pub fn verification_key(&self) -> VerificationKey {
        self.inner.verification_key.clone()
    }

    /// The public key as PEM (SubjectPublicKeyInfo), what `GET /webhooks/verification-key`
    /// serves.
    pub fn public_key_pem(&self) -> String {
        self.inner.public_key_pem.clone()
    }

    /// Sign `body` for `event_id` with a random nonce.
    pub fn sign(&self, event_id: &str, body: &[u8]) -> SignedHeaders {
        let nonce: String = std::iter::repeat_with(fastrand::alphanumeric).take(32).collect();
        self.sign_with_nonce(event_id, body, &nonce)
    }

    /// Sign `body` for `event_id` with a given nonce (deterministic output).
    pub fn sign_with_nonce(&self, event_id: &str, body: &[u8], nonce: &str) -> SignedHeaders {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(event_id.as_bytes());
        context.update(body);
        context.update(nonce.as_bytes());
        let digest = context.finish();
        let key = &self.inner.key;
        let mut signature = vec![0; key.public_modulus_len()];
        // Signing a SHA-256 digest with a valid key does not fail; an empty signature would
        // simply not verify.
        if key.sign_digest(&RSA_PKCS1_SHA256, &digest, &mut signature).is_err() {
            signature.clear();
        }
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

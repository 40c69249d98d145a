//! Signing webhook deliveries the way Ironclad does
//! (<https://developer.ironcladapp.com/reference/webhook-verification>).
//!
//! The signed data is the concatenation of the `X-Ironclad-Webhook-Event-Id` value, the JSON
//! body exactly as sent, and the nonce; the algorithm is RSA PKCS#1 v1.5 with SHA-256 over a
//! 2048-bit key; the signature travels base64-encoded in the `X-Ironclad-Webhook-Verification`
//! JSON header. The public half is served as a PEM `SubjectPublicKeyInfo` by
//! `GET /public/api/v1/webhooks/verification-key`.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use rest_client_core::pem;

use super::SandboxError;

/// The fixed key the sandbox signs with by default.
///
/// **Only for the local sandbox**: it is public (committed to the repository) so that starting a
/// sandbox in a debug build does not spend seconds generating an RSA-2048 key. Never use it for
/// anything else.
const FIXED_TEST_KEY_PEM: &str = include_str!("keys/webhook_signing_key.pem");

/// Which RSA key signs webhook deliveries.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum SigningKeySource {
    /// The committed sandbox-only key (fast; the default).
    #[default]
    FixedTestKey,
    /// A fresh RSA-2048 key per start (slow in debug builds).
    Generate,
    /// A PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    Pem(String),
}

impl std::fmt::Debug for SigningKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A supplied private key never prints.
        match self {
            SigningKeySource::FixedTestKey => f.write_str("FixedTestKey"),
            SigningKeySource::Generate => f.write_str("Generate"),
            SigningKeySource::Pem(_) => f.write_str("Pem(<redacted>)"),
        }
    }
}

/// Signs deliveries and knows the PEM of its public key.
pub(crate) struct WebhookSigner {
    key: RsaKeyPair,
    public_key_pem: String,
}

impl std::fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSigner").finish_non_exhaustive()
    }
}

impl WebhookSigner {
    pub(crate) fn new(source: &SigningKeySource) -> Result<Self, SandboxError> {
        let key = match source {
            SigningKeySource::FixedTestKey => key_from_pem(FIXED_TEST_KEY_PEM)?,
            SigningKeySource::Pem(pem) => key_from_pem(pem)?,
            SigningKeySource::Generate => RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(|e| SandboxError::SigningKey(format!("cannot generate a key: {e}")))?,
        };
        let spki = key
            .public_key()
            .as_der()
            .map_err(|e| SandboxError::SigningKey(format!("cannot encode the public key: {e}")))?;
        Ok(Self { public_key_pem: pem::encode("PUBLIC KEY", spki.as_ref()), key })
    }

    /// The PEM served by the verification-key endpoint.
    pub(crate) fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// Base64 of the RSA-SHA256 signature over `event_id ‖ body ‖ nonce`.
    pub(crate) fn sign(&self, event_id: &str, body: &[u8], nonce: &str) -> String {
        let mut message = Vec::with_capacity(event_id.len() + body.len() + nonce.len());
        message.extend_from_slice(event_id.as_bytes());
        message.extend_from_slice(body);
        message.extend_from_slice(nonce.as_bytes());
        let mut signature = vec![0; self.key.public_modulus_len()];
        // Signing with a valid key pair into a buffer of the modulus's length only fails if the
        // platform's randomness does (PKCS#1 v1.5 is deterministic; aws-lc blinds with it).
        if self.key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &message, &mut signature).is_err()
        {
            signature.clear();
        }
        base64::engine::general_purpose::STANDARD.encode(signature)
    }

    /// The `X-Ironclad-Webhook-Verification` header value for one attempt.
    pub(crate) fn verification_header(&self, event_id: &str, body: &[u8], nonce: &str) -> String {
        let signature = self.sign(event_id, body, nonce);
        // Ordered members whatever serde_json features the build unifies.
        let header = crate::json::JsonObject::new()
            .with("nonce", nonce)
            .with("signAlgorithm", "sha256")
            .with("signature", signature)
            .with("encoding", "base64");
        crate::json::Json::Object(header).to_string()
    }
}

/// An RSA key pair from a PKCS#8 or PKCS#1 PEM.
fn key_from_pem(text: &str) -> Result<RsaKeyPair, SandboxError> {
    let invalid =
        |e: String| SandboxError::SigningKey(format!("not an RSA private key in PEM: {e}"));
    let (label, der) = pem::decode(text, &["PRIVATE KEY", "RSA PRIVATE KEY"]).map_err(invalid)?;
    match label {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
        _ => RsaKeyPair::from_der(&der),
    }
    .map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    /// The served SPKI PEM as a verifier reads it (aws-lc-rs takes SubjectPublicKeyInfo DER).
    fn served_public_key(signer: &WebhookSigner) -> UnparsedPublicKey<Vec<u8>> {
        let (_, spki) = pem::decode(signer.public_key_pem(), &["PUBLIC KEY"]).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki)
    }

    #[test]
    fn signature_verifies_with_the_served_public_key_only_for_the_signed_bytes() {
        let signer = WebhookSigner::new(&SigningKeySource::FixedTestKey).unwrap();
        assert!(signer.public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        let verifying = served_public_key(&signer);
        let b64 = signer.sign("webhookEventabc", br#"{"a":1}"#, "n0nce");
        let bytes = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap();
        assert_eq!(bytes.len(), 256, "RSA-2048 signatures are 256 bytes");
        assert!(verifying.verify(br#"webhookEventabc{"a":1}n0nce"#, &bytes).is_ok());
        assert!(verifying.verify(br#"webhookEventabc{"a":2}n0nce"#, &bytes).is_err());
    }

    #[test]
    fn a_generated_or_pkcs1_key_signs_too_and_garbage_is_a_typed_error() {
        let generated = WebhookSigner::new(&SigningKeySource::Generate).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(generated.sign("e", b"{}", "n"))
            .unwrap();
        assert!(served_public_key(&generated).verify(b"e{}n", &bytes).is_ok());
        let error = WebhookSigner::new(&SigningKeySource::Pem("nope".to_owned())).unwrap_err();
        assert!(error.to_string().contains("not an RSA private key in PEM"), "{error}");
    }

    #[test]
    fn debug_never_prints_a_private_key() {
        let source = SigningKeySource::Pem("-----BEGIN PRIVATE KEY-----secret".to_owned());
        assert_eq!(format!("{source:?}"), "Pem(<redacted>)");
    }
}

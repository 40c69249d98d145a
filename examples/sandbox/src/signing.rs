//! Signing webhook deliveries the way Ironclad does
//! (<https://developer.ironcladapp.com/reference/webhook-verification>).
//!
//! The signed data is the concatenation of the `X-Ironclad-Webhook-Event-Id` value, the JSON
//! body exactly as sent, and the nonce; the algorithm is RSA PKCS#1 v1.5 with SHA-256 over a
//! 2048-bit key; the signature travels base64-encoded in the `X-Ironclad-Webhook-Verification`
//! JSON header. The public half is served as a PEM `SubjectPublicKeyInfo` by
//! `GET /public/api/v1/webhooks/verification-key`.

use base64::Engine as _;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};

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
    /// A PKCS#8 PEM private key.
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
    signing_key: SigningKey<Sha256>,
    public_key_pem: String,
}

impl std::fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSigner").finish_non_exhaustive()
    }
}

impl WebhookSigner {
    pub(crate) fn new(source: &SigningKeySource) -> Result<Self, SandboxError> {
        let private = match source {
            SigningKeySource::FixedTestKey => RsaPrivateKey::from_pkcs8_pem(FIXED_TEST_KEY_PEM),
            SigningKeySource::Pem(pem) => RsaPrivateKey::from_pkcs8_pem(pem),
            SigningKeySource::Generate => {
                return RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                    .map_err(|e| SandboxError::SigningKey(e.to_string()))
                    .and_then(Self::from_private);
            }
        }
        .map_err(|e| SandboxError::SigningKey(e.to_string()))?;
        Self::from_private(private)
    }

    fn from_private(private: RsaPrivateKey) -> Result<Self, SandboxError> {
        let public_key_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| SandboxError::SigningKey(e.to_string()))?;
        Ok(Self { signing_key: SigningKey::<Sha256>::new(private), public_key_pem })
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
        let signature = self.signing_key.sign(&message);
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;

    #[test]
    fn signature_verifies_with_the_served_public_key_only_for_the_signed_bytes() {
        let signer = WebhookSigner::new(&SigningKeySource::FixedTestKey).unwrap();
        assert!(signer.public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        let public = rsa::RsaPublicKey::from_public_key_pem(signer.public_key_pem()).unwrap();
        let verifying = VerifyingKey::<Sha256>::new(public);
        let b64 = signer.sign("webhookEventabc", br#"{"a":1}"#, "n0nce");
        let bytes = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap();
        assert_eq!(bytes.len(), 256, "RSA-2048 signatures are 256 bytes");
        let signature = Signature::try_from(bytes.as_slice()).unwrap();
        assert!(verifying.verify(br#"webhookEventabc{"a":1}n0nce"#, &signature).is_ok());
        assert!(verifying.verify(br#"webhookEventabc{"a":2}n0nce"#, &signature).is_err());
    }

    #[test]
    fn debug_never_prints_a_private_key() {
        let source = SigningKeySource::Pem("-----BEGIN PRIVATE KEY-----secret".to_owned());
        assert_eq!(format!("{source:?}"), "Pem(<redacted>)");
    }
}

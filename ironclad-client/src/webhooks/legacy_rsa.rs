//! The previous verification path, on the pure-Rust `rsa` crate: kept only until the benchmark
//! has compared it with [`VerificationKey`](super::VerificationKey), then removed.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::key::HashAlgorithm;
use super::pem::normalize_pem;
use super::verify::{SignatureKey, VerificationHeader, VerifyError, check_event_id, verify_parsed};

/// An RSA public key read by the `rsa` crate.
#[derive(Clone, Debug)]
pub struct LegacyKey {
    key: RsaPublicKey,
}

impl LegacyKey {
    /// Parse a PEM public key as the previous version did.
    ///
    /// # Errors
    /// [`VerifyError::InvalidKey`] when it is not an RSA public key in PEM.
    pub fn from_pem(pem: &str) -> Result<Self, VerifyError> {
        let pem = normalize_pem(pem);
        RsaPublicKey::from_public_key_pem(&pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(&pem))
            .map(|key| LegacyKey { key })
            .map_err(|e| VerifyError::InvalidKey(format!("not an RSA public key in PEM: {e}")))
    }
}

impl SignatureKey for LegacyKey {
    fn signature_len(&self) -> usize {
        self.key.size()
    }

    fn verifies(&self, hash: HashAlgorithm, parts: [&[u8]; 3], signature: &[u8]) -> bool {
        fn run<D: Digest + rsa::pkcs8::AssociatedOid>(
            key: &RsaPublicKey,
            parts: [&[u8]; 3],
            signature: &[u8],
        ) -> bool {
            let mut digest = D::new();
            for part in parts {
                digest.update(part);
            }
            key.verify(Pkcs1v15Sign::new::<D>(), &digest.finalize(), signature).is_ok()
        }
        match hash {
            HashAlgorithm::Sha256 => run::<Sha256>(&self.key, parts, signature),
            HashAlgorithm::Sha384 => run::<Sha384>(&self.key, parts, signature),
            HashAlgorithm::Sha512 => run::<Sha512>(&self.key, parts, signature),
        }
    }
}

/// [`verify_signature`](super::verify_signature) on the `rsa` crate, as before.
///
/// # Errors
/// As [`verify_signature`](super::verify_signature).
pub fn verify_signature(
    key: &LegacyKey,
    event_id: &str,
    verification_header: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let header = VerificationHeader::parse(verification_header)?;
    check_event_id(event_id)?;
    verify_parsed(key, event_id, &header, body)
}

//! [`VerificationKey`]: Ironclad's webhook public key, checked with aws-lc-rs.
//!
//! aws-lc-rs is the crypto provider of rustls, which reqwest already builds with the default
//! `rustls` feature; the crate depends on it directly so verification works with `native-tls`
//! too. It is used instead of the pure-Rust `rsa` crate, which carries RUSTSEC-2023-0071 and is
//! an order of magnitude slower at the public-key operation.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, RsaParameters, UnparsedPublicKey,
};

use super::pem;
use super::verify::VerifyError;

/// The RSA key sizes accepted: what aws-lc-rs verifies PKCS#1 v1.5 signatures with.
const KEY_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The hash a delivery's `signAlgorithm` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    fn digest(self) -> &'static digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &digest::SHA256,
            HashAlgorithm::Sha384 => &digest::SHA384,
            HashAlgorithm::Sha512 => &digest::SHA512,
        }
    }

    fn parameters(self) -> &'static RsaParameters {
        match self {
            HashAlgorithm::Sha256 => &RSA_PKCS1_2048_8192_SHA256,
            HashAlgorithm::Sha384 => &RSA_PKCS1_2048_8192_SHA384,
            HashAlgorithm::Sha512 => &RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

/// Ironclad's webhook public key (RSA, 2048-bit), from `GET /webhooks/verification-key`.
///
/// ```
/// use ironclad_client::webhooks::VerificationKey;
///
/// assert!(VerificationKey::from_pem("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----").is_err());
/// ```
#[derive(Clone)]
pub struct VerificationKey {
    /// The canonical PKCS#1 `RSAPublicKey` DER, by which keys compare equal.
    pkcs1: Arc<[u8]>,
    /// The modulus length in bytes: the length of every signature it verifies.
    modulus_len: usize,
    /// Parsed once for SHA-256, the algorithm Ironclad signs with; the others parse per call.
    sha256: Arc<ParsedPublicKey>,
}

impl VerificationKey {
    /// Parse a PEM public key: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`, what Ironclad serves)
    /// or PKCS#1 (`BEGIN RSA PUBLIC KEY`). Escaped newlines (`\n` written out, as happens when a
    /// PEM is kept in an environment variable) and CRLF line ends are accepted.
    ///
    /// # Errors
    /// [`VerifyError::InvalidKey`] when it is not an RSA public key of 2048 to 8192 bits.
    pub fn from_pem(pem: &str) -> Result<Self, VerifyError> {
        let (_, der) = pem::decode(pem, &["PUBLIC KEY", "RSA PUBLIC KEY"])
            .map_err(|e| VerifyError::InvalidKey(format!("not an RSA public key in PEM: {e}")))?;
        Self::from_der(&der)
    }

    /// A key from DER: SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, VerifyError> {
        let public = aws_lc_rs::rsa::PublicKey::from_der(der)
            .map_err(|e| VerifyError::InvalidKey(format!("not an RSA public key in PEM: {e}")))?;
        let pkcs1: Arc<[u8]> = Arc::from(public.as_ref());
        let modulus = pem::rsa_modulus(&pkcs1)
            .ok_or_else(|| VerifyError::InvalidKey("unreadable RSA modulus".into()))?;
        let bits = modulus.len() * 8 - modulus[0].leading_zeros() as usize;
        if !KEY_BITS.contains(&bits) {
            return Err(VerifyError::InvalidKey(format!(
                "a {bits}-bit RSA key; webhook keys must have {} to {} bits",
                KEY_BITS.start(),
                KEY_BITS.end()
            )));
        }
        let sha256 = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &*pkcs1)
            .map_err(|e| VerifyError::InvalidKey(format!("unusable RSA public key: {e}")))?;
        Ok(VerificationKey { modulus_len: modulus.len(), pkcs1, sha256: Arc::new(sha256) })
    }

    /// The modulus size in bits (2048 for Ironclad's key).
    pub fn bits(&self) -> usize {
        self.modulus_len * 8
    }

    /// The length of the signatures this key verifies, in bytes.
    pub(crate) fn signature_len(&self) -> usize {
        self.modulus_len
    }

    /// Whether `signature` is the RSA PKCS#1 v1.5 signature of `hash(parts…)`.
    pub(crate) fn verifies(
        &self,
        hash: HashAlgorithm,
        parts: [&[u8]; 3],
        signature: &[u8],
    ) -> bool {
        let mut context = digest::Context::new(hash.digest());
        for part in parts {
            context.update(part);
        }
        let digest = context.finish();
        match hash {
            HashAlgorithm::Sha256 => self.sha256.verify_digest_sig(&digest, signature).is_ok(),
            other => UnparsedPublicKey::new(other.parameters(), &*self.pkcs1)
                .verify_digest(&digest, signature)
                .is_ok(),
        }
    }
}

impl PartialEq for VerificationKey {
    fn eq(&self, other: &Self) -> bool {
        self.pkcs1 == other.pkcs1
    }
}

impl Eq for VerificationKey {}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey").field("bits", &self.bits()).finish()
    }
}

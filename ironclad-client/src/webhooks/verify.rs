//! Webhook signature verification (RSA PKCS#1 v1.5).
//!
//! Ironclad signs `X-Ironclad-Webhook-Event-Id` ‖ `JSON.stringify(body)` ‖ `nonce` with its
//! webhook key and sends `{"nonce", "signAlgorithm", "signature", "encoding"}` as JSON in
//! `X-Ironclad-Webhook-Verification`
//! (<https://developer.ironcladapp.com/reference/webhook-verification>). The signature is checked over the raw
//! body first; if that fails, over serde_json's compact re-serialization (key order kept), and
//! then over a `JSON.stringify`-faithful form, since the signer's serialization is not
//! documented to equal the bytes on the wire (for compact bodies they are expected to).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::WebhookDelivery;
use super::js_json;
use super::key::{HashAlgorithm, VerificationKey};
use crate::Error;
use crate::serde_util::decode_error_path;

/// The header with the unique id of a delivery (dedupe on it: delivery is at-least-once).
pub const EVENT_ID_HEADER: &str = "x-ironclad-webhook-event-id";
/// The header with the signature, as a JSON object.
pub const VERIFICATION_HEADER: &str = "x-ironclad-webhook-verification";

/// Why a delivery was rejected.
///
/// [`VerifyError::status_code`] gives the answer a receiver should send: 401 for a signature
/// that does not match, 400 for malformed input, 503 when the key could not be obtained (so
/// Ironclad retries later).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required header is missing.
    #[error("missing the {0} header")]
    MissingHeader(&'static str),
    /// A header is not what Ironclad sends.
    #[error("malformed {header} header: {reason}")]
    MalformedHeader {
        /// The header name.
        header: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `signAlgorithm` names a hash this crate does not verify.
    #[error(
        "unsupported signAlgorithm {0:?}: only RSA with SHA-256, SHA-384 or SHA-512 is verified"
    )]
    UnsupportedAlgorithm(String),
    /// `encoding` is neither base64 nor hex.
    #[error("unsupported signature encoding {0:?}: expected base64 or hex")]
    UnsupportedEncoding(String),
    /// The signature does not match the event id, body and nonce under the key.
    #[error("the webhook signature does not match the delivery")]
    BadSignature,
    /// The verification key is not an RSA public key in PEM.
    #[error("invalid webhook verification key: {0}")]
    InvalidKey(String),
    /// The verification key could not be fetched from Ironclad.
    #[error("could not fetch the webhook verification key: {0}")]
    KeyUnavailable(#[source] Box<Error>),
    /// The signature matched but the body is not a webhook delivery.
    #[error("the webhook body is not a valid Ironclad delivery at `{path}`: {message}")]
    MalformedBody {
        /// The JSON path of the problem.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl VerifyError {
    /// The HTTP status a webhook receiver should answer with.
    pub fn status_code(&self) -> StatusCode {
        match self {
            VerifyError::BadSignature => StatusCode::UNAUTHORIZED,
            VerifyError::KeyUnavailable(_) | VerifyError::InvalidKey(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the signature itself was wrong (as opposed to malformed input).
    pub fn is_bad_signature(&self) -> bool {
        matches!(self, VerifyError::BadSignature)
    }

    fn malformed(header: &'static str, reason: impl Into<String>) -> Self {
        VerifyError::MalformedHeader { header, reason: reason.into() }
    }
}

/// The parsed `X-Ironclad-Webhook-Verification` header.
///
/// ```
/// use ironclad_client::webhooks::VerificationHeader;
///
/// let header = VerificationHeader::parse(
///     r#"{"nonce":"n0nce","signAlgorithm":"sha256","signature":"c2ln","encoding":"base64"}"#,
/// )?;
/// assert_eq!(header.nonce, "n0nce");
/// assert!(VerificationHeader::parse("not json").is_err());
/// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VerificationHeader {
    /// Random data appended to the signed bytes.
    pub nonce: String,
    /// The hash algorithm (`sha256`); absent means SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_algorithm: Option<String>,
    /// The signature, encoded as `encoding` says.
    pub signature: String,
    /// `base64` (absent means base64, with hex tolerated) or `hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

impl VerificationHeader {
    /// Parse the header's JSON.
    ///
    /// # Errors
    /// [`VerifyError::MalformedHeader`] for anything but a JSON object with string `nonce` and
    /// `signature`.
    pub fn parse(value: &str) -> Result<Self, VerifyError> {
        let header: VerificationHeader = serde_json::from_str(value.trim()).map_err(|e| {
            VerifyError::malformed(
                VERIFICATION_HEADER,
                format!("not the expected JSON object: {e}"),
            )
        })?;
        if header.nonce.is_empty() {
            return Err(VerifyError::malformed(VERIFICATION_HEADER, "`nonce` is empty"));
        }
        if header.signature.trim().is_empty() {
            return Err(VerifyError::malformed(VERIFICATION_HEADER, "`signature` is empty"));
        }
        Ok(header)
    }

    pub(crate) fn hash(&self) -> Result<HashAlgorithm, VerifyError> {
        let Some(name) = self.sign_algorithm.as_deref() else {
            return Ok(HashAlgorithm::Sha256);
        };
        let normalized: String = name
            .to_ascii_lowercase()
            .replace("withrsaencryption", "")
            .replace("rsa", "")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        match normalized.as_str() {
            "sha256" | "" => Ok(HashAlgorithm::Sha256),
            "sha384" => Ok(HashAlgorithm::Sha384),
            "sha512" => Ok(HashAlgorithm::Sha512),
            _ => Err(VerifyError::UnsupportedAlgorithm(name.to_owned())),
        }
    }

    /// The decoded signature; with base64 (or no) encoding, a signature that is also valid hex
    /// yields both readings, and the one of the key's length is used.
    pub(crate) fn signature_candidates(&self) -> Result<Vec<Vec<u8>>, VerifyError> {
        let text: String = self.signature.chars().filter(|c| !c.is_whitespace()).collect();
        let encoding = self.encoding.as_deref().map(|e| e.trim().to_ascii_lowercase());
        let bad =
            |why: &str| VerifyError::malformed(VERIFICATION_HEADER, format!("`signature` {why}"));
        match encoding.as_deref() {
            None | Some("base64" | "base64url") => {
                let candidates: Vec<Vec<u8>> =
                    [decode_base64(&text), decode_hex(&text)].into_iter().flatten().collect();
                if candidates.is_empty() {
                    Err(bad("is neither base64 nor hex"))
                } else {
                    Ok(candidates)
                }
            }
            Some("hex") => {
                decode_hex(&text).map(|bytes| vec![bytes]).ok_or_else(|| bad("is not hex"))
            }
            Some(_) => {
                Err(VerifyError::UnsupportedEncoding(self.encoding.clone().unwrap_or_default()))
            }
        }
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Check a delivery's signature.
///
/// ```
/// use ironclad_client::webhooks::{TestSigner, verify_signature};
/// # let signer = TestSigner::from_pem(include_str!("../../tests/fixtures/webhook_signing_key.pem"))?;
/// let body = br#"{"companyID":"c","payload":{"event":"workflow_launched","workflowID":"w"},"timestamp":"2022-04-07T21:36:52.776Z","webhookID":"h"}"#;
/// let headers = signer.sign("webhookEvent0123", body);
/// verify_signature(&signer.verification_key(), &headers.event_id, &headers.verification, body)?;
/// assert!(verify_signature(&signer.verification_key(), "another-event", &headers.verification, body).is_err());
/// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
/// ```
///
/// # Errors
/// [`VerifyError::BadSignature`] when no form of the body verifies; the header errors of
/// [`VerificationHeader::parse`], [`VerifyError::UnsupportedAlgorithm`] and
/// [`VerifyError::UnsupportedEncoding`].
pub fn verify_signature(
    key: &VerificationKey,
    event_id: &str,
    verification_header: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let header = VerificationHeader::parse(verification_header)?;
    check_event_id(event_id)?;
    verify_parsed(key, event_id, &header, body)
}

/// Verify, then parse: the entry point for raw webhook requests.
///
/// ```
/// use ironclad_client::webhooks::WebhookEvent;
/// use ironclad_client::webhooks::{TestSigner, verify_delivery};
/// # let signer = TestSigner::from_pem(include_str!("../../tests/fixtures/webhook_signing_key.pem"))?;
/// let body = br#"{"companyID":"c","payload":{"event":"workflow_completed","workflowID":"w","templateID":"t"},"timestamp":"2024-12-06T20:42:55.776Z","webhookID":"h"}"#;
/// let headers = signer.sign("webhookEvent0123", body);
/// let delivery = verify_delivery(&signer.verification_key(), &headers.event_id, &headers.verification, body)?;
/// assert_eq!(delivery.payload.event, WebhookEvent::WorkflowCompleted);
/// # Ok::<(), ironclad_client::webhooks::VerifyError>(())
/// ```
///
/// # Errors
/// As [`verify_signature`], and [`VerifyError::MalformedBody`] when a correctly signed body is
/// not a delivery.
pub fn verify_delivery(
    key: &VerificationKey,
    event_id: &str,
    verification_header: &str,
    body: &[u8],
) -> Result<WebhookDelivery, VerifyError> {
    verify_signature(key, event_id, verification_header, body)?;
    parse_delivery(body)
}

/// The event id and verification header of a request.
///
/// # Errors
/// [`VerifyError::MissingHeader`] / [`VerifyError::MalformedHeader`].
pub fn signature_headers(headers: &HeaderMap) -> Result<(&str, &str), VerifyError> {
    let text = |name: &'static str| -> Result<&str, VerifyError> {
        let value = headers.get(name).ok_or(VerifyError::MissingHeader(name))?;
        value.to_str().map_err(|_| VerifyError::malformed(name, "not visible ASCII"))
    };
    Ok((text(EVENT_ID_HEADER)?, text(VERIFICATION_HEADER)?))
}

pub(crate) fn check_event_id(event_id: &str) -> Result<(), VerifyError> {
    if event_id.trim().is_empty() {
        return Err(VerifyError::MissingHeader(EVENT_ID_HEADER));
    }
    Ok(())
}

/// Verify against every candidate form of the body.
pub(crate) fn verify_parsed(
    key: &VerificationKey,
    event_id: &str,
    header: &VerificationHeader,
    body: &[u8],
) -> Result<(), VerifyError> {
    let hash = header.hash()?;
    let candidates = header.signature_candidates()?;
    let key_size = key.signature_len();
    let signature = match candidates.iter().find(|c| c.len() == key_size) {
        Some(signature) => signature,
        // No reading has the key's length: it cannot verify.
        None => return Err(VerifyError::BadSignature),
    };
    let check = |candidate: &[u8]| {
        key.verifies(hash, [event_id.as_bytes(), candidate, header.nonce.as_bytes()], signature)
    };
    if check(body) {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Err(VerifyError::BadSignature);
    };
    let compact = serde_json::to_vec(&value).unwrap_or_default();
    if compact != body && check(&compact) {
        tracing::debug!("webhook signature matched the re-serialized body");
        return Ok(());
    }
    let javascript = js_json::stringify(&value).into_bytes();
    if javascript != body && javascript != compact && check(&javascript) {
        tracing::debug!("webhook signature matched the JSON.stringify form of the body");
        return Ok(());
    }
    Err(VerifyError::BadSignature)
}

/// Decode a delivery body (after its signature was checked).
pub(crate) fn parse_delivery(body: &[u8]) -> Result<WebhookDelivery, VerifyError> {
    serde_json::from_slice(body).map_err(|error| VerifyError::MalformedBody {
        path: decode_error_path::<WebhookDelivery>(body),
        message: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_is_strict_about_shape_and_tolerant_about_spelling() {
        let ok = VerificationHeader::parse(r#" {"nonce":"n","signature":"AQID"} "#).unwrap();
        assert!(matches!(ok.hash(), Ok(HashAlgorithm::Sha256)));
        assert_eq!(ok.signature_candidates().unwrap(), [vec![1, 2, 3]]);
        for name in ["sha256", "SHA256", "RSA-SHA256", "sha-256", "sha256WithRSAEncryption"] {
            let header = VerificationHeader { sign_algorithm: Some(name.into()), ..ok.clone() };
            assert!(matches!(header.hash(), Ok(HashAlgorithm::Sha256)), "{name}");
        }
        let md5 = VerificationHeader { sign_algorithm: Some("md5".into()), ..ok.clone() };
        assert!(matches!(md5.hash(), Err(VerifyError::UnsupportedAlgorithm(_))));
        let hex = VerificationHeader {
            signature: "0a0B".into(),
            encoding: Some("hex".into()),
            ..ok.clone()
        };
        assert_eq!(hex.signature_candidates().unwrap(), [vec![10, 11]]);
        // Hex digits are also base64 characters: both readings are kept.
        let ambiguous = VerificationHeader { signature: "0a0b".into(), ..ok.clone() };
        assert_eq!(ambiguous.signature_candidates().unwrap(), [vec![209, 173, 27], vec![10, 11]]);
        let neither = VerificationHeader { signature: "z!".into(), ..ok.clone() };
        assert!(neither.signature_candidates().is_err());
        let latin1 = VerificationHeader { encoding: Some("latin1".into()), ..ok.clone() };
        assert!(matches!(latin1.signature_candidates(), Err(VerifyError::UnsupportedEncoding(_))));
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"nonce":1,"signature":"x"}"#,
            r#"{"nonce":"","signature":"x"}"#,
            r#"{"nonce":"n","signature":" "}"#,
        ] {
            let error = VerificationHeader::parse(bad).unwrap_err();
            assert_eq!(error.status_code(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}

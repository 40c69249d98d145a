//! PEM (RFC 7468) armor around DER keys: what Ironclad serves its webhook verification key in,
//! and what the crypto provider does not read itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A PEM as it may arrive from configuration: surrounding blanks trimmed, escaped newlines (`\n`
/// written out, as in an environment variable) and CRLF line ends turned into LF.
///
/// ```
/// assert_eq!(rest_client_core::pem::normalize_pem("  a\\nb\r\n "), "a\nb");
/// ```
pub fn normalize_pem(pem: &str) -> String {
    pem.trim().replace("\\n", "\n").replace("\r\n", "\n")
}

/// The label and DER bytes of the first PEM block in `pem` whose label is one of `labels`.
///
/// ```
/// use rest_client_core::pem::{decode, encode};
///
/// let pem = encode("PUBLIC KEY", &[1, 2, 3]);
/// assert_eq!(decode(&pem, &["PUBLIC KEY"]).unwrap(), ("PUBLIC KEY", vec![1, 2, 3]));
/// ```
///
/// # Errors
/// A one-line reason when there is no such block or its body is not base64.
pub fn decode<'l>(pem: &str, labels: &[&'l str]) -> Result<(&'l str, Vec<u8>), String> {
    let pem = normalize_pem(pem);
    let mut lines = pem.lines().map(str::trim);
    let label = loop {
        let line = lines.next().ok_or("no PEM \"-----BEGIN …-----\" line")?;
        if let Some(found) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----"))
        {
            break labels.iter().find(|wanted| **wanted == found).ok_or_else(|| {
                format!("a PEM \"{found}\" block, expected {}", labels.join(" or "))
            })?;
        }
    };
    let end = format!("-----END {label}-----");
    let mut base64 = String::with_capacity(pem.len());
    for line in lines.by_ref() {
        if line == end {
            let der = STANDARD
                .decode(&base64)
                .map_err(|e| format!("the PEM \"{label}\" body is not base64: {e}"))?;
            return Ok((label, der));
        }
        base64.push_str(line);
    }
    Err(format!("no \"{end}\" line"))
}

/// `der` armored as PEM with `label`, 64 characters a line, LF line ends.
///
/// ```
/// let pem = rest_client_core::pem::encode("PUBLIC KEY", &[0; 100]);
/// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
/// assert!(pem.lines().all(|line| line.len() <= 64));
/// ```
pub fn encode(label: &str, der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for chunk in base64.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_wanted_block_and_reencodes_it() {
        let der: Vec<u8> = (0..=200).collect();
        let pem = encode("PUBLIC KEY", &der);
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert_eq!(decode(&pem, &["PUBLIC KEY"]).unwrap(), ("PUBLIC KEY", der.clone()));
        // Escaped newlines, CRLF and surrounding blanks, as from an environment variable.
        let escaped = format!("  {}  ", pem.replace('\n', "\r\\n"));
        assert_eq!(decode(&escaped, &["RSA PUBLIC KEY", "PUBLIC KEY"]).unwrap().1, der);
        for (bad, why) in [
            ("garbage", "BEGIN"),
            ("-----BEGIN PUBLIC KEY-----\nAAAA\n", "END"),
            ("-----BEGIN PUBLIC KEY-----\nnope!\n-----END PUBLIC KEY-----", "base64"),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "CERTIFICATE"),
        ] {
            let error = decode(bad, &["PUBLIC KEY"]).unwrap_err();
            assert!(error.contains(why), "{bad:?}: {error}");
        }
    }
}

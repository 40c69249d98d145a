//! PEM (RFC 7468) armor around the DER keys the crypto provider reads, and the few DER facts the
//! verifier needs (an RSA modulus's length).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A PEM as it may arrive from configuration: surrounding blanks trimmed, escaped newlines (`\n`
/// written out, as in an environment variable) and CRLF line ends turned into LF.
pub(crate) fn normalize_pem(pem: &str) -> String {
    pem.trim().replace("\\n", "\n").replace("\r\n", "\n")
}

/// The label and DER bytes of the first PEM block in `pem` whose label is one of `labels`.
pub(crate) fn decode<'l>(pem: &str, labels: &[&'l str]) -> Result<(&'l str, Vec<u8>), String> {
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
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
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

/// The big-endian modulus of a DER PKCS#1 `RSAPublicKey`
/// (`SEQUENCE { modulus INTEGER, publicExponent INTEGER }`), without leading zero bytes.
pub(crate) fn rsa_modulus(pkcs1_der: &[u8]) -> Option<&[u8]> {
    let (tag, sequence, _) = der_element(pkcs1_der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, modulus, _) = der_element(sequence)?;
    if tag != 0x02 {
        return None;
    }
    let significant = modulus.iter().position(|byte| *byte != 0)?;
    Some(&modulus[significant..])
}

/// `(tag, contents, rest)` of the DER element at the start of `input`.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (digits, rest) = rest.split_at(count);
        (digits.iter().fold(0usize, |n, d| (n << 8) | usize::from(*d)), rest)
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
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

    #[test]
    fn reads_the_modulus_of_a_pkcs1_key() {
        // SEQUENCE { INTEGER 0x00 0x80 0x01 (sign byte + 2 bytes), INTEGER 0x01 0x00 0x01 }
        let short = [0x30, 0x0a, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01];
        assert_eq!(rsa_modulus(&short), Some(&[0x80, 0x01][..]));
        // A long-form length (0x82 0x01 0x01 = 257 bytes: sign byte + 256).
        let mut long = vec![0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xc3];
        long.extend(std::iter::repeat_n(0x11, 255));
        long.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        assert_eq!(rsa_modulus(&long).map(<[u8]>::len), Some(256));
        for bad in
            [&[][..], &[0x30], &[0x02, 0x01, 0x05], &[0x30, 0x05, 0x02, 0x09, 0x00], &[0x30, 0x80]]
        {
            assert_eq!(rsa_modulus(bad), None, "{bad:?}");
        }
    }
}

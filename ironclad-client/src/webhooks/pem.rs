//! PEM armor (from `rest-client-core`) and the few DER facts the verifier needs (an RSA
//! modulus's length).

pub(crate) use rest_client_core::pem::{decode, encode};

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

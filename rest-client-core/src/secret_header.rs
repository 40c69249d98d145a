//! Building the `Authorization` header without leaking the token.

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

/// The token cannot be put in a header (it contains control characters or non-ASCII text).
///
/// The message never includes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the access token contains characters that are not allowed in an HTTP header")]
pub struct InvalidToken;

/// `Authorization: Bearer <token>`, marked sensitive so `Debug` of the request and HTTP/2 header
/// compression never expose it.
///
/// ```
/// use rest_client_core::bearer_header;
/// use secrecy::SecretString;
///
/// let value = bearer_header(&SecretString::from("abc")).unwrap();
/// assert!(value.is_sensitive());
/// assert_eq!(format!("{value:?}"), "Sensitive");
/// assert!(bearer_header(&SecretString::from("bad\ntoken")).is_err());
/// ```
pub fn bearer_header(token: &SecretString) -> Result<HeaderValue, InvalidToken> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
        .map_err(|_| InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

//! [`WebhookAuth`]: checking the credentials a webhook registration sends.

use std::fmt;

use http::{HeaderMap, HeaderName};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// How a webhook registration authenticates, and the check of an incoming request.
///
/// Dataverse does not sign webhook bodies. A registration carries one of three kinds of
/// static credentials, and checking them is the receiver's job
/// ([Register a webhook](https://learn.microsoft.com/power-apps/developer/data-platform/register-web-hook)):
///
/// | registration | Dataverse sends | constructor |
/// |---|---|---|
/// | `HttpHeader` | one or more `Key: Value` headers | [`http_header`](Self::http_header), [`http_headers`](Self::http_headers) |
/// | `WebhookKey` | `?code=<value>` | [`webhook_key`](Self::webhook_key) |
/// | `HttpQueryString` | `?Key1=Value1&Key2=Value2` | [`query_string`](Self::query_string) |
///
/// Every configured value must be present and equal; comparisons run in constant time (a
/// length difference is not hidden). Secrets are held as [`SecretString`] and never appear in
/// `Debug` output or errors. Query values are compared both percent-decoded and as sent,
/// because it is not documented whether Dataverse encodes them 🟡.
///
/// ```
/// use dataverse_webhook_types::WebhookAuth;
/// use http::Request;
///
/// let auth = WebhookAuth::webhook_key("s3cr3t-function-key")?;
/// let request = Request::post("https://example.com/hook?code=s3cr3t-function-key").body(())?;
/// assert!(auth.verify_request(&request).is_ok());
///
/// let forged = Request::post("https://example.com/hook?code=guess").body(())?;
/// let error = auth.verify_request(&forged).unwrap_err();
/// assert_eq!(error.to_string(), "query parameter `code` does not match");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct WebhookAuth {
    scheme: Scheme,
}

#[derive(Clone)]
enum Scheme {
    Unauthenticated,
    HttpHeader(Vec<(HeaderName, SecretString)>),
    QueryString { kind: QueryKind, pairs: Vec<(String, SecretString)> },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    WebhookKey,
    HttpQueryString,
}

/// A [`WebhookAuth`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthConfigError {
    /// A configured secret is empty: it would accept requests that send an empty value.
    #[error("the secret for `{name}` is empty")]
    EmptySecret {
        /// The header or query parameter name.
        name: String,
    },
    /// A header name is not a valid HTTP header name.
    #[error("`{name}` is not a valid header name")]
    InvalidHeaderName {
        /// The rejected name.
        name: String,
    },
    /// A name is empty, or no name/value pair was given.
    #[error("no header or query parameter name was given")]
    NoName,
}

/// Why a request failed the webhook authentication check. The message names the header or
/// query parameter, never the expected or presented value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A configured header is absent.
    #[error("missing header `{name}`")]
    MissingHeader {
        /// The header name.
        name: String,
    },
    /// A configured header has another value.
    #[error("header `{name}` does not match")]
    HeaderMismatch {
        /// The header name.
        name: String,
    },
    /// A configured query parameter is absent.
    #[error("missing query parameter `{name}`")]
    MissingQueryParameter {
        /// The parameter name.
        name: String,
    },
    /// A configured query parameter has another value.
    #[error("query parameter `{name}` does not match")]
    QueryParameterMismatch {
        /// The parameter name.
        name: String,
    },
}

impl WebhookAuth {
    /// `HttpHeader` with one header.
    ///
    /// # Errors
    /// When the name is not a valid header name or the value is empty.
    ///
    /// ```
    /// # use dataverse_webhook_types::WebhookAuth;
    /// let auth = WebhookAuth::http_header("x-api-key", "s3cr3t")?;
    /// assert!(!format!("{auth:?}").contains("s3cr3t"));
    /// # Ok::<(), dataverse_webhook_types::AuthConfigError>(())
    /// ```
    pub fn http_header(
        name: &str,
        value: impl Into<SecretString>,
    ) -> Result<Self, AuthConfigError> {
        Self::http_headers([(name, value)])
    }

    /// `HttpHeader` with several headers; all must match.
    ///
    /// # Errors
    /// When no pair is given, a name is not a valid header name, or a value is empty.
    ///
    /// ```
    /// # use dataverse_webhook_types::WebhookAuth;
    /// let auth = WebhookAuth::http_headers([("x-api-key", "one"), ("x-tenant", "two")])?;
    /// # Ok::<(), dataverse_webhook_types::AuthConfigError>(())
    /// ```
    pub fn http_headers<N, V>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Self, AuthConfigError>
    where
        N: AsRef<str>,
        V: Into<SecretString>,
    {
        let mut headers = Vec::new();
        for (name, value) in pairs {
            let name = name.as_ref();
            let header = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| AuthConfigError::InvalidHeaderName { name: name.to_owned() })?;
            let secret = non_empty(header.as_str(), value.into())?;
            headers.push((header, secret));
        }
        if headers.is_empty() {
            return Err(AuthConfigError::NoName);
        }
        Ok(Self { scheme: Scheme::HttpHeader(headers) })
    }

    /// `WebhookKey`: Dataverse appends `?code=<value>` (Azure Functions style).
    ///
    /// # Errors
    /// When the key is empty.
    ///
    /// ```
    /// # use dataverse_webhook_types::WebhookAuth;
    /// let auth = WebhookAuth::webhook_key("function-key")?;
    /// # Ok::<(), dataverse_webhook_types::AuthConfigError>(())
    /// ```
    pub fn webhook_key(code: impl Into<SecretString>) -> Result<Self, AuthConfigError> {
        let secret = non_empty("code", code.into())?;
        Ok(Self {
            scheme: Scheme::QueryString {
                kind: QueryKind::WebhookKey,
                pairs: vec![("code".to_owned(), secret)],
            },
        })
    }

    /// `HttpQueryString`: Dataverse appends `?Key1=Value1&Key2=Value2`; all must match.
    ///
    /// # Errors
    /// When no pair is given, a name is empty, or a value is empty.
    ///
    /// ```
    /// # use dataverse_webhook_types::WebhookAuth;
    /// let auth = WebhookAuth::query_string([("token", "abc"), ("tenant", "contoso")])?;
    /// # Ok::<(), dataverse_webhook_types::AuthConfigError>(())
    /// ```
    pub fn query_string<N, V>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Self, AuthConfigError>
    where
        N: Into<String>,
        V: Into<SecretString>,
    {
        let mut checked = Vec::new();
        for (name, value) in pairs {
            let name: String = name.into();
            if name.is_empty() {
                return Err(AuthConfigError::NoName);
            }
            let secret = non_empty(&name, value.into())?;
            checked.push((name, secret));
        }
        if checked.is_empty() {
            return Err(AuthConfigError::NoName);
        }
        Ok(Self {
            scheme: Scheme::QueryString { kind: QueryKind::HttpQueryString, pairs: checked },
        })
    }

    /// Accept every request. Only for endpoints protected some other way (a private network,
    /// a gateway that authenticates); a webhook URL is otherwise guessable.
    ///
    /// ```
    /// # use dataverse_webhook_types::WebhookAuth;
    /// let open = WebhookAuth::unauthenticated();
    /// assert!(open.verify(&http::HeaderMap::new(), None).is_ok());
    /// ```
    pub fn unauthenticated() -> Self {
        Self { scheme: Scheme::Unauthenticated }
    }

    /// The registration type this checks: `"HttpHeader"`, `"WebhookKey"`,
    /// `"HttpQueryString"`, or `"None"`.
    pub fn kind(&self) -> &'static str {
        match &self.scheme {
            Scheme::Unauthenticated => "None",
            Scheme::HttpHeader(_) => "HttpHeader",
            Scheme::QueryString { kind: QueryKind::WebhookKey, .. } => "WebhookKey",
            Scheme::QueryString { kind: QueryKind::HttpQueryString, .. } => "HttpQueryString",
        }
    }

    /// Check a request's headers and query string (the part after `?`, if any).
    ///
    /// # Errors
    /// The first configured header or parameter that is missing or does not match.
    ///
    /// ```
    /// # use dataverse_webhook_types::{AuthError, WebhookAuth};
    /// # use http::HeaderMap;
    /// let auth = WebhookAuth::http_header("x-api-key", "s3cr3t")?;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-api-key", "s3cr3t".parse()?);
    /// assert!(auth.verify(&headers, None).is_ok());
    /// assert!(matches!(auth.verify(&HeaderMap::new(), None), Err(AuthError::MissingHeader { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(&self, headers: &HeaderMap, query: Option<&str>) -> Result<(), AuthError> {
        match &self.scheme {
            Scheme::Unauthenticated => Ok(()),
            Scheme::HttpHeader(expected) => {
                expected.iter().try_for_each(|(name, secret)| verify_header(headers, name, secret))
            }
            Scheme::QueryString { pairs, .. } => {
                let query = query.unwrap_or_default();
                pairs.iter().try_for_each(|(name, secret)| verify_query(query, name, secret))
            }
        }
    }

    /// Check an [`http::Request`]'s headers and URI query.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_request<B>(&self, request: &http::Request<B>) -> Result<(), AuthError> {
        self.verify(request.headers(), request.uri().query())
    }
}

fn non_empty(name: &str, secret: SecretString) -> Result<SecretString, AuthConfigError> {
    if secret.expose_secret().is_empty() {
        Err(AuthConfigError::EmptySecret { name: name.to_owned() })
    } else {
        Ok(secret)
    }
}

fn equal(presented: &[u8], secret: &SecretString) -> bool {
    bool::from(presented.ct_eq(secret.expose_secret().as_bytes()))
}

/// Several values under one name are allowed; one of them must match.
fn verify_header(
    headers: &HeaderMap,
    name: &HeaderName,
    secret: &SecretString,
) -> Result<(), AuthError> {
    let mut values = headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        return Err(AuthError::MissingHeader { name: name.as_str().to_owned() });
    }
    // Check every value, so the time taken does not depend on which one matched.
    let matched = values.fold(false, |matched, value| equal(value.as_bytes(), secret) | matched);
    if matched { Ok(()) } else { Err(AuthError::HeaderMismatch { name: name.as_str().to_owned() }) }
}

fn verify_query(query: &str, name: &str, secret: &SecretString) -> Result<(), AuthError> {
    let mut found = false;
    let mut matched = false;
    for pair in query.split('&') {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded_key = decode(raw_key);
        if decoded_key != name && raw_key != name {
            continue;
        }
        found = true;
        let decoded = decode(raw_value);
        matched |= equal(raw_value.as_bytes(), secret) | equal(decoded.as_bytes(), secret);
    }
    match (found, matched) {
        (_, true) => Ok(()),
        (true, false) => Err(AuthError::QueryParameterMismatch { name: name.to_owned() }),
        (false, _) => Err(AuthError::MissingQueryParameter { name: name.to_owned() }),
    }
}

/// `application/x-www-form-urlencoded` decoding of one component (`%XX`, `+` → space).
fn decode(component: &str) -> String {
    form_urlencoded::parse(format!("x={component}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

impl fmt::Debug for WebhookAuth {
    // Hand-written: names are fine to log, secrets never.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = match &self.scheme {
            Scheme::Unauthenticated => Vec::new(),
            Scheme::HttpHeader(pairs) => pairs.iter().map(|(name, _)| name.as_str()).collect(),
            Scheme::QueryString { pairs, .. } => {
                pairs.iter().map(|(name, _)| name.as_str()).collect()
            }
        };
        f.debug_struct("WebhookAuth")
            .field("kind", &self.kind())
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn http_header_requires_every_configured_header() {
        let auth = WebhookAuth::http_headers([("X-Api-Key", "k1"), ("x-tenant", "t1")]).unwrap();
        assert_eq!(auth.verify(&headers(&[("x-api-key", "k1"), ("X-Tenant", "t1")]), None), Ok(()));
        assert_eq!(
            auth.verify(&headers(&[("x-api-key", "k1")]), None),
            Err(AuthError::MissingHeader { name: "x-tenant".into() })
        );
        assert_eq!(
            auth.verify(&headers(&[("x-api-key", "k2"), ("x-tenant", "t1")]), None),
            Err(AuthError::HeaderMismatch { name: "x-api-key".into() })
        );
        // A prefix or an extension of the secret is not the secret.
        for near in ["k", "k11", "K1", " k1"] {
            assert!(
                auth.verify(&headers(&[("x-api-key", near), ("x-tenant", "t1")]), None).is_err()
            );
        }
        // The secret in a query string does not satisfy a header registration.
        assert!(auth.verify(&HeaderMap::new(), Some("x-api-key=k1&x-tenant=t1")).is_err());
    }

    #[test]
    fn repeated_header_passes_when_one_value_matches() {
        let auth = WebhookAuth::http_header("x-api-key", "k1").unwrap();
        assert_eq!(
            auth.verify(&headers(&[("x-api-key", "old"), ("x-api-key", "k1")]), None),
            Ok(())
        );
    }

    #[test]
    fn webhook_key_reads_code_decoded_or_as_sent() {
        let auth = WebhookAuth::webhook_key("a+b/c==").unwrap();
        assert_eq!(auth.verify(&HeaderMap::new(), Some("code=a%2Bb%2Fc%3D%3D")), Ok(()));
        assert_eq!(auth.verify(&HeaderMap::new(), Some("code=a+b/c==")), Ok(()));
        assert_eq!(auth.verify(&HeaderMap::new(), Some("x=1&code=a%2Bb%2Fc%3D%3D&y=2")), Ok(()));
        assert_eq!(
            auth.verify(&HeaderMap::new(), Some("code=nope")),
            Err(AuthError::QueryParameterMismatch { name: "code".into() })
        );
        assert_eq!(
            auth.verify(&HeaderMap::new(), None),
            Err(AuthError::MissingQueryParameter { name: "code".into() })
        );
        assert_eq!(
            auth.verify(&HeaderMap::new(), Some("codex=a+b/c==")),
            Err(AuthError::MissingQueryParameter { name: "code".into() })
        );
        // A header named `code` is not the query parameter.
        assert!(auth.verify(&headers(&[("code", "a+b/c==")]), None).is_err());
    }

    #[test]
    fn http_query_string_requires_every_pair() {
        let auth = WebhookAuth::query_string([("token", "abc"), ("tenant", "contoso")]).unwrap();
        assert_eq!(auth.verify(&HeaderMap::new(), Some("tenant=contoso&token=abc")), Ok(()));
        assert_eq!(
            auth.verify(&HeaderMap::new(), Some("token=abc")),
            Err(AuthError::MissingQueryParameter { name: "tenant".into() })
        );
        assert_eq!(
            auth.verify(&HeaderMap::new(), Some("token=abd&tenant=contoso")),
            Err(AuthError::QueryParameterMismatch { name: "token".into() })
        );
    }

    #[test]
    fn empty_or_invalid_configuration_is_refused() {
        assert_eq!(
            WebhookAuth::webhook_key("").unwrap_err(),
            AuthConfigError::EmptySecret { name: "code".into() }
        );
        assert!(matches!(
            WebhookAuth::http_header("bad header", "x"),
            Err(AuthConfigError::InvalidHeaderName { .. })
        ));
        assert!(matches!(
            WebhookAuth::http_header("x-api-key", ""),
            Err(AuthConfigError::EmptySecret { .. })
        ));
        assert_eq!(
            WebhookAuth::query_string(Vec::<(String, String)>::new()).unwrap_err(),
            AuthConfigError::NoName
        );
        assert_eq!(WebhookAuth::query_string([("", "v")]).unwrap_err(), AuthConfigError::NoName);
    }

    #[test]
    fn debug_and_errors_never_show_secrets() {
        let secret = "sup3r-s3cret-value";
        let configs = [
            WebhookAuth::http_header("x-api-key", secret).unwrap(),
            WebhookAuth::webhook_key(secret).unwrap(),
            WebhookAuth::query_string([("token", secret)]).unwrap(),
        ];
        for auth in configs {
            let debug = format!("{auth:?} {auth:#?}");
            assert!(!debug.contains(secret), "{debug}");
            assert!(debug.contains(auth.kind()), "{debug}");
            let presented = "not-the-secret-value";
            let error = auth
                .verify(
                    &headers(&[("x-api-key", presented)]),
                    Some(&format!("code={presented}&token={presented}")),
                )
                .unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains(secret) && !shown.contains(presented), "{shown}");
        }
    }
}

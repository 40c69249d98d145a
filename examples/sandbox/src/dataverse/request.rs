//! One Web API request, owned, so it can come from the HTTP server or from a `$batch` part.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};

use super::errors::DvError;
use super::odata_query::Preferences;
use crate::json::{Json, JsonObject};

/// The Web API versions the emulator answers.
pub(crate) const VERSIONS: &[&str] = &["v9.0", "v9.1", "v9.2"];

/// One request under `/api/data/<version>/`.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// The path as received (`/api/data/v9.2/accounts(…)`), still percent-encoded.
    pub(crate) path: String,
    /// The raw query string.
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// `v9.2`.
    pub(crate) version: String,
    pub(crate) prefs: Preferences,
    /// `http://127.0.0.1:<port>`.
    pub(crate) origin: String,
}

impl ApiRequest {
    /// Parse the version out of `path`; `None` when the path is not under `/api/data/`.
    pub(crate) fn new(
        method: Method,
        path: String,
        query: Option<String>,
        headers: HeaderMap,
        body: Bytes,
        origin: String,
    ) -> Self {
        let rest = path.strip_prefix("/api/data/").unwrap_or_default();
        let version = rest.split('/').next().unwrap_or_default().to_owned();
        let prefs =
            Preferences::parse(headers.get_all("Prefer").iter().filter_map(|v| v.to_str().ok()));
        Self { method, path, query, headers, body, version, prefs, origin }
    }

    /// The resource path after `/api/data/<version>/`, still percent-encoded.
    pub(crate) fn resource(&self) -> &str {
        let rest = self.path.strip_prefix("/api/data/").unwrap_or_default();
        rest.split_once('/').map_or("", |(_, resource)| resource)
    }

    /// `{origin}/api/data/{version}/`.
    pub(crate) fn service_root(&self) -> String {
        format!("{}/api/data/{}/", self.origin, self.version)
    }

    /// `@odata.context`: `{root}$metadata#{fragment}`.
    pub(crate) fn context(&self, fragment: &str) -> String {
        format!("{}$metadata#{fragment}", self.service_root())
    }

    /// The request URL, for error messages.
    pub(crate) fn full_uri(&self) -> String {
        match &self.query {
            Some(query) => format!("{}{}?{query}", self.origin, self.path),
            None => format!("{}{}", self.origin, self.path),
        }
    }

    pub(crate) fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
    }

    /// The decoded query parameters, in order.
    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    }

    /// Query parameter `name`, decoded.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The JSON object body of a write.
    pub(crate) fn json_body(&self, entity_set: &str) -> Result<JsonObject, DvError> {
        if let Some(content_type) = self.header(header::CONTENT_TYPE)
            && !content_type.to_ascii_lowercase().starts_with("application/json")
        {
            return Err(DvError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "0x0",
                format!(
                    "The content type '{content_type}' is not supported; the Web API expects application/json."
                ),
            ));
        }
        match Json::parse_bytes(&self.body) {
            Ok(Json::Object(object)) => Ok(object),
            Ok(other) => Err(DvError::convert(
                entity_set,
                &format!(
                    "A payload of kind '{}' was found where a resource (a JSON object) was expected.",
                    other.kind()
                ),
            )),
            Err(e) => Err(DvError::convert(entity_set, &e.0)),
        }
    }
}

/// Decode `%XX` escapes in a path segment (not `+`, which is literal in paths).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_parts() {
        assert_eq!(percent_decode("/a%24value%28x%29"), "/a$value(x)");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%e9%C3%A9"), "\u{fffd}é");
        let request = ApiRequest::new(
            Method::GET,
            "/api/data/v9.2/accounts(1)/name".into(),
            Some("$select=a".into()),
            HeaderMap::new(),
            Bytes::new(),
            "http://h".into(),
        );
        assert_eq!(request.version, "v9.2");
        assert_eq!(request.resource(), "accounts(1)/name");
        assert_eq!(request.full_uri(), "http://h/api/data/v9.2/accounts(1)/name?$select=a");
    }
}

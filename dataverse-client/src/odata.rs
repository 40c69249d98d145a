//! OData URL plumbing: resource paths, query-string encoding, entity ids, and the links the
//! service hands back.

use http::HeaderMap;
use url::Url;
use uuid::Uuid;

use crate::client::Client;
use crate::error::{Error, Result};

/// Percent-encode a query-string value.
///
/// Unreserved characters and the punctuation OData uses inside options (`$ ' ( ) , / : ; = @ *`)
/// stay readable; everything else, notably space, `+`, `&`, `#` and `%`, is encoded. A space is
/// `%20`, never `+`, so a literal `+` in a filter (sent as `%2B`) cannot turn into a space.
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 4);
    for byte in value.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'$'
                    | b'\''
                    | b'('
                    | b')'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
                    | b'*'
            );
        if keep {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Render `name=value` pairs as a query string, encoding the values.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&encode_query_value(value));
    }
    out
}

/// Check a name that goes into a URL or an OData expression (entity set, column, navigation
/// property): letters, digits, `_` and `.` only. Case is kept exactly, since navigation property
/// names are case-sensitive.
pub(crate) fn validate_identifier(kind: &str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "invalid {kind} {name:?}: expected letters, digits, '_' or '.'"
        )))
    }
}

/// Check a property path used in `$select`, `$orderby` or `$filter`: identifiers separated by
/// `/` (`primarycontactid/fullname`).
pub(crate) fn validate_property_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(Error::InvalidRequest("empty property name".to_owned()));
    }
    path.split('/').try_for_each(|segment| validate_identifier("property", segment))
}

/// The GUID inside an entity URL such as `…/api/data/v9.2/accounts(7eb682f1-…)`.
///
/// Returns `None` for an alternate-key URL (`accounts(accountnumber='A1')`).
pub(crate) fn parse_entity_id(entity_url: &str) -> Option<Uuid> {
    let open = entity_url.rfind('(')?;
    let close = open + entity_url[open..].find(')')?;
    Uuid::parse_str(entity_url[open + 1..close].trim()).ok()
}

/// The created or upserted row's id, from `OData-EntityId` (or `Location`).
pub(crate) fn entity_id_from_headers(headers: &HeaderMap) -> Option<Uuid> {
    ["odata-entityid", "location"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .find_map(parse_entity_id)
}

impl Client {
    /// `api_root` + the given path segments, each percent-encoded as one segment (a `/` or `?`
    /// inside a key value cannot change the path).
    pub(crate) fn resource_url<S: AsRef<str>>(&self, segments: &[S]) -> Result<Url> {
        let mut url = self.inner.api_root.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config("the API root cannot be a base URL".to_owned()))?
            .pop_if_empty()
            .extend(segments.iter().map(AsRef::as_ref));
        Ok(url)
    }

    /// Resolve a link the service returned (`@odata.nextLink`, `@odata.deltaLink`) without
    /// re-encoding it, and refuse one that points at another origin: the bearer token must not
    /// follow a link away from the environment.
    pub(crate) fn service_link(&self, link: &str) -> Result<Url> {
        let root = &self.inner.api_root;
        let url = root
            .join(link)
            .map_err(|e| Error::UnexpectedResponse(format!("unusable link {link:?}: {e}")))?;
        let same_origin = url.scheme() == root.scheme()
            && url.host_str() == root.host_str()
            && url.port_or_known_default() == root.port_or_known_default();
        if !same_origin {
            return Err(Error::UnexpectedResponse(format!(
                "the service returned a link to another origin ({}); refusing to send the token there",
                url.origin().ascii_serialization()
            )));
        }
        rest_client_core::check_bearer_transport(&url)?;
        Ok(url)
    }

    /// The absolute URL of a row, as used in `@odata.id` of `$ref` bodies.
    pub(crate) fn entity_url(&self, segment: &str) -> Result<Url> {
        self.resource_url(&[segment])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_would_break_a_query() {
        assert_eq!(encode_query_value("name eq 'A&B'"), "name%20eq%20'A%26B'");
        assert_eq!(encode_query_value("a+b#c%d"), "a%2Bb%23c%25d");
        assert_eq!(encode_query_value("x($select=a,b;$top=1)"), "x($select=a,b;$top=1)");
        assert_eq!(encode_query_value("é"), "%C3%A9");
        assert_eq!(encode_query_value("<fetch/>"), "%3Cfetch/%3E");
    }

    #[test]
    fn builds_query_strings() {
        let q = query_string(&[("$select", "name,revenue".to_owned()), ("$top", "5".to_owned())]);
        assert_eq!(q, "$select=name,revenue&$top=5");
    }

    #[test]
    fn validates_identifiers_and_paths() {
        assert!(validate_identifier("entity set", "cre6f_agreements").is_ok());
        assert!(validate_identifier("navigation property", "cre6f_Opportunity").is_ok());
        assert!(validate_identifier("entity set", "accounts?$top=1").is_err());
        assert!(validate_identifier("entity set", "").is_err());
        assert!(validate_property_path("primarycontactid/fullname").is_ok());
        assert!(validate_property_path("name eq 'x'").is_err());
        assert!(validate_property_path("a//b").is_err());
    }

    #[test]
    fn parses_entity_ids() {
        let id = "7eb682f1-ca75-e511-80d4-00155d2a68d1";
        assert_eq!(
            parse_entity_id(&format!("https://org.crm.dynamics.com/api/data/v9.2/accounts({id})")),
            Uuid::parse_str(id).ok()
        );
        assert_eq!(parse_entity_id("https://x/api/data/v9.2/accounts(accountnumber='A1')"), None);
        assert_eq!(parse_entity_id("no parens"), None);
        assert_eq!(parse_entity_id("broken(7eb682f1"), None);
    }
}

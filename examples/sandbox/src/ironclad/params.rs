//! Request bodies, query parameters and the paged envelope (<https://developer.ironcladapp.com/reference>).
//!
//! `page` is 0-based (default 0, at most 100,000,000), `pageSize` is 1–100 (default 20); list
//! responses are `{page, pageSize, count, list}` (webhooks leave out `count`).

use std::collections::HashMap;

use bytes::Bytes;
use http::Uri;

use super::errors::IcError;
use crate::json::{Json, JsonObject};

/// The JSON object body of a request.
pub(crate) fn json_body(body: &Bytes) -> Result<JsonObject, IcError> {
    match Json::parse_bytes(body) {
        Ok(Json::Object(object)) => Ok(object),
        Ok(other) => Err(IcError::invalid_body(format!(
            "the request body must be a JSON object, not {}",
            other.kind()
        ))),
        Err(e) => Err(IcError::invalid_body(e.0)),
    }
}

/// Refuse a body member outside `allowed` (`additionalProperties: false` in Ironclad's OpenAPI description).
pub(crate) fn only_keys(body: &JsonObject, allowed: &[&str]) -> Result<(), IcError> {
    match body.keys().find(|key| !allowed.contains(key)) {
        Some(key) => Err(IcError::invalid(format!("unknown parameter {key}"), key)),
        None => Ok(()),
    }
}

/// Query parameters (last value wins).
pub(crate) fn query(uri: &Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect()
}

/// `page` and `pageSize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) page: usize,
    pub(crate) size: usize,
}

impl Page {
    pub(crate) fn from_query(params: &HashMap<String, String>) -> Result<Self, IcError> {
        let page = match params.get("page") {
            None => 0,
            Some(text) => {
                text.parse::<usize>().ok().filter(|p| *p <= 100_000_000).ok_or_else(|| {
                    IcError::invalid("page must be an integer between 0 and 100000000", "page")
                })?
            }
        };
        let size = match params.get("pageSize") {
            None => 20,
            Some(text) => {
                text.parse::<usize>().ok().filter(|s| (1..=100).contains(s)).ok_or_else(|| {
                    IcError::invalid("pageSize must be an integer between 1 and 100", "pageSize")
                })?
            }
        };
        Ok(Self { page, size })
    }

    /// The items of this page (so only they get rendered).
    pub(crate) fn window<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.page.saturating_mul(self.size).min(items.len());
        &items[start..(start + self.size).min(items.len())]
    }

    /// The envelope for this page: `list` holds the page's items out of `total`; `with_count`
    /// adds the total.
    pub(crate) fn envelope(&self, total: usize, list: Vec<Json>, with_count: bool) -> Json {
        let mut out =
            JsonObject::new().with("page", self.page as u64).with("pageSize", self.size as u64);
        if with_count {
            out.insert("count", Json::from(total as u64));
        }
        out.insert("list", Json::Array(list));
        Json::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging() {
        let params: HashMap<String, String> =
            [("page".to_owned(), "1".to_owned()), ("pageSize".to_owned(), "2".to_owned())].into();
        let page = Page::from_query(&params).unwrap();
        let items: Vec<u64> = (0..5).collect();
        let list = page.window(&items).iter().map(|n| Json::from(*n)).collect();
        assert!(Page { page: 9, size: 2 }.window(&items).is_empty());
        assert_eq!(
            page.envelope(items.len(), list, true).to_string(),
            r#"{"page":1,"pageSize":2,"count":5,"list":[2,3]}"#
        );
        let bad: HashMap<String, String> = [("pageSize".to_owned(), "101".to_owned())].into();
        assert_eq!(Page::from_query(&bad).unwrap_err().param.as_deref(), Some("pageSize"));
    }
}

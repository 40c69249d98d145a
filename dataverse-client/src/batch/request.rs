//! The requests a batch carries.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{PREFER, json_body};
use crate::odata::{query_string, validate_identifier};
use crate::query::Query;
use crate::records::RecordKey;

/// The `Content-ID` of a request inside a change set. Later requests of the same change set
/// refer to the row it created as `$<id>`: in a URL ([`BatchRequest::update_created`]) or in a
/// body (`"primarycontactid@odata.bind": id.reference()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(pub(crate) u32);

impl ContentId {
    /// `$<id>`, the reference to use in URLs and `@odata.bind` values.
    pub fn reference(self) -> String {
        format!("${}", self.0)
    }

    /// The number sent in the `Content-ID` header.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.0)
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// Path segments under the API root, plus an encoded query string.
    Segments(Vec<String>, Option<String>),
    /// A query: its URL and `Prefer` preferences are taken from it.
    Query(Box<Query>),
    /// `$<id>` plus an optional `/suffix`.
    Reference(ContentId, Option<String>),
    /// A URL the client built: its path and query, as they are.
    Url(Box<url::Url>),
}

/// One request inside a [`Batch`](crate::batch::Batch).
///
/// Constructors never fail; an invalid name or a body that cannot be serialized is reported
/// when the batch is executed, before anything is sent.
///
/// ```
/// use dataverse_client::{batch::BatchRequest, query::Query, records::RecordKey};
/// use serde_json::json;
/// use uuid::Uuid;
///
/// let create = BatchRequest::create("tasks", &json!({ "subject": "Call back" }));
/// let update = BatchRequest::update("accounts", Uuid::nil(), &json!({ "name": "Contoso" }));
/// let upsert = BatchRequest::upsert("accounts", RecordKey::alternate([("accountnumber", "A1")]), &json!({}));
/// let read = BatchRequest::query(&Query::new("accounts").select(["name"]).top(5));
/// # let _ = (create, update, upsert, read);
/// ```
#[derive(Clone)]
pub struct BatchRequest {
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    /// An entity body (`application/json; type=entry`) rather than other JSON.
    pub(crate) entity_body: bool,
    pub(crate) error: Option<Problem>,
    /// The `$<id>` references in the body (`@odata.bind` / `@odata.id` values), checked
    /// against the change set when the batch is encoded.
    pub(crate) body_references: Vec<ContentId>,
}

/// Why a request cannot be sent, kept until the batch is executed (an [`Error`] is not `Clone`).
#[derive(Clone, Debug)]
pub(crate) enum Problem {
    Invalid(String),
    UnsupportedKeyValue { column: String, character: char },
}

impl Problem {
    fn from_error(error: Error) -> Self {
        match error {
            Error::InvalidRequest(message) => Problem::Invalid(message),
            Error::UnsupportedKeyValue { column, character } => {
                Problem::UnsupportedKeyValue { column, character }
            }
            other => Problem::Invalid(other.to_string()),
        }
    }

    fn to_error(&self) -> Error {
        match self {
            Problem::Invalid(message) => Error::InvalidRequest(message.clone()),
            Problem::UnsupportedKeyValue { column, character } => {
                Error::UnsupportedKeyValue { column: column.clone(), character: *character }
            }
        }
    }
}

impl fmt::Debug for BatchRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRequest")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

impl BatchRequest {
    pub(super) fn new(method: Method, target: Target) -> Self {
        Self {
            method,
            target,
            headers: HeaderMap::new(),
            body: None,
            entity_body: false,
            error: None,
            body_references: Vec::new(),
        }
    }

    fn with_body<B: serde::Serialize + ?Sized>(mut self, body: &B, entity: bool) -> Self {
        match json_body(body) {
            Ok(bytes) => {
                self.body_references = body_references(&bytes);
                self.body = Some(bytes);
            }
            Err(error) => self.fail(error),
        }
        self.entity_body = entity;
        self
    }

    /// Keep the first problem; it is reported when the batch is executed.
    pub(super) fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(Problem::from_error(error));
        }
    }

    fn validated(mut self, entity_set: &str, key: Option<&RecordKey>) -> Self {
        let valid = validate_identifier("entity set", entity_set)
            .and_then(|()| key.map_or(Ok(()), RecordKey::validate));
        if let Err(error) = valid {
            self.fail(error);
        }
        self
    }

    fn row(method: Method, entity_set: &str, key: RecordKey) -> Self {
        let target = Target::Segments(vec![format!("{entity_set}({key})")], None);
        Self::new(method, target).validated(entity_set, Some(&key))
    }

    /// Create a row: `POST <entity_set>`. Inside a change set, later requests can refer to it
    /// through the [`ContentId`] that [`ChangeSet::add`](crate::batch::ChangeSet::add) returns.
    pub fn create<B: serde::Serialize + ?Sized>(entity_set: &str, body: &B) -> Self {
        Self::new(Method::POST, Target::Segments(vec![entity_set.to_owned()], None))
            .validated(entity_set, None)
            .with_body(body, true)
    }

    /// Update an existing row: `PATCH <entity_set>(<key>)` with `If-Match: *`.
    pub fn update<B: serde::Serialize + ?Sized>(
        entity_set: &str,
        key: impl Into<RecordKey>,
        body: &B,
    ) -> Self {
        Self::row(Method::PATCH, entity_set, key.into())
            .with_body(body, true)
            .header(HeaderName::from_static("if-match"), HeaderValue::from_static("*"))
    }

    /// Update the row created earlier in the same change set: `PATCH $<id>`.
    pub fn update_created<B: serde::Serialize + ?Sized>(created: ContentId, body: &B) -> Self {
        Self::new(Method::PATCH, Target::Reference(created, None)).with_body(body, true)
    }

    /// Create or update a row by key: `PATCH <entity_set>(<key>)`.
    pub fn upsert<B: serde::Serialize + ?Sized>(
        entity_set: &str,
        key: impl Into<RecordKey>,
        body: &B,
    ) -> Self {
        Self::row(Method::PATCH, entity_set, key.into()).with_body(body, true)
    }

    /// Delete a row: `DELETE <entity_set>(<key>)`.
    pub fn delete(entity_set: &str, key: impl Into<RecordKey>) -> Self {
        Self::row(Method::DELETE, entity_set, key.into())
    }

    /// Run a query (one page): `GET <entity_set>?<options>`, with the query's `Prefer` header.
    /// Not allowed inside a change set. Decode the response with
    /// [`BatchResponse::json`](crate::batch::BatchResponse::json) into a [`Page`](crate::paging::Page).
    pub fn query(query: &Query) -> Self {
        Self::new(Method::GET, Target::Query(Box::new(query.clone())))
    }

    /// Run a FetchXML query (one page): `GET <entity_set>?fetchXml=…` with
    /// `Prefer: odata.include-annotations="*"`, so the [`Page`](crate::paging::Page) it decodes
    /// into carries `more_records` and the `paging_cookie` for the next page. A batch accepts
    /// URLs up to 64 KB, twice what a plain GET allows, which suits long FetchXML
    /// ([Client::fetch_xml](crate::Client::fetch_xml) switches to `$batch` by itself).
    pub fn fetch_xml(entity_set: &str, fetch_xml: &str) -> Self {
        let query = query_string(&[("fetchXml", fetch_xml.to_owned())]);
        Self::new(Method::GET, Target::Segments(vec![entity_set.to_owned()], Some(query)))
            .validated(entity_set, None)
            .header(PREFER, HeaderValue::from_static("odata.include-annotations=\"*\""))
    }

    /// `GET` of a URL this client built (a page of a long FetchXML query).
    pub(crate) fn get_url(url: url::Url) -> Self {
        Self::new(Method::GET, Target::Url(Box::new(url)))
    }

    /// Associate the row created earlier in the change set (`$<id>`) through a single-valued
    /// navigation property with another row created in it:
    /// `PUT $<created>/<navigation_property>/$ref` with `{"@odata.id": "$<target>"}`.
    pub fn set_lookup_created(
        created: ContentId,
        navigation_property: &str,
        target: ContentId,
    ) -> Self {
        let mut request = Self::new(
            Method::PUT,
            Target::Reference(created, Some(format!("{navigation_property}/$ref"))),
        )
        .with_body(&serde_json::json!({ "@odata.id": target.reference() }), false);
        if let Err(error) = validate_identifier("navigation property", navigation_property) {
            request.fail(error);
        }
        request
    }

    /// Add a header to this request (for example `Prefer: return=representation`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Every `$<id>` this request refers to: in its URL and in its body.
    pub(crate) fn references(&self) -> impl Iterator<Item = ContentId> + '_ {
        let in_url = match &self.target {
            Target::Reference(id, _) => Some(*id),
            _ => None,
        };
        in_url.into_iter().chain(self.body_references.iter().copied())
    }

    pub(crate) fn is_get(&self) -> bool {
        self.method == Method::GET
    }

    /// The request line's target: `/api/data/v9.2/<path>?<query>` or `$<id>[/suffix]`, and the
    /// extra `Prefer` value of a query.
    pub(crate) fn resolve(&self, client: &Client) -> Result<(String, Option<String>)> {
        if let Some(problem) = &self.error {
            return Err(problem.to_error());
        }
        match &self.target {
            Target::Segments(segments, query) => {
                let url = client.resource_url(segments)?;
                let mut line = url.path().to_owned();
                if let Some(query) = query {
                    line.push('?');
                    line.push_str(query);
                }
                Ok((line, None))
            }
            Target::Url(url) => {
                let mut line = url.path().to_owned();
                if let Some(q) = url.query() {
                    line.push('?');
                    line.push_str(q);
                }
                Ok((line, None))
            }
            Target::Query(query) => {
                let url = query.url(client)?;
                let mut line = url.path().to_owned();
                if let Some(q) = url.query() {
                    line.push('?');
                    line.push_str(q);
                }
                let preferences = query.preferences()?;
                Ok((line, (!preferences.is_empty()).then(|| preferences.join(", "))))
            }
            Target::Reference(id, suffix) => Ok((
                match suffix {
                    Some(suffix) => format!("{}/{suffix}", id.reference()),
                    None => id.reference(),
                },
                None,
            )),
        }
    }
}

/// The `$<n>` values of `…@odata.bind` and `@odata.id` members anywhere in a JSON body. Only
/// bodies holding `"$` are parsed, so ordinary rows cost one scan of their bytes.
fn body_references(body: &[u8]) -> Vec<ContentId> {
    fn reference(value: &serde_json::Value) -> Option<ContentId> {
        value.as_str()?.strip_prefix('$')?.parse().ok().map(ContentId)
    }
    fn collect(value: &serde_json::Value, out: &mut Vec<ContentId>) {
        match value {
            serde_json::Value::Object(members) => {
                for (name, value) in members {
                    if name.ends_with("@odata.bind") || name == "@odata.id" {
                        let values =
                            value.as_array().map_or(std::slice::from_ref(value), Vec::as_slice);
                        out.extend(values.iter().filter_map(reference));
                    }
                    collect(value, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if body.windows(2).any(|pair| pair == b"\"$")
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        collect(&value, &mut out);
    }
    out
}

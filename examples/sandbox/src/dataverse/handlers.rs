//! Request dispatch for `/api/data/<version>/…` and the entity-set operations.
//!
//! Resource paths are parsed here rather than by the router because OData keys live inside a
//! segment (`cre6f_agreements(<guid>)`) and names are case-sensitive (`Account` is not
//! `accounts`: 404 `0x8006088a`). Status codes and headers follow dataverse.md §1.3; see the
//! module docs of `dataverse` for the list.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use uuid::Uuid;

use super::DataverseState;
use super::errors::{self, DvError, ODATA_JSON};
use super::notes;
use super::odata_query::{Preferences, QueryOptions};
use super::paging::{PageCursor, compare_rows};
use super::render::{Renderer, context_fragment};
use super::schema::{ColumnKind, EntitySetDef};
use super::store::Store;
use crate::json::{Json, JsonObject};

const VERSIONS: &[&str] = &["v9.0", "v9.1", "v9.2"];
/// The most rows one page returns (dataverse.md §1.4).
const MAX_PAGE_SIZE: usize = 5000;

/// One Web API request, parsed enough to route it.
pub(crate) struct ApiRequest<'a> {
    pub(crate) state: &'a DataverseState,
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) version: String,
    pub(crate) prefs: Preferences,
}

impl ApiRequest<'_> {
    /// `{origin}/api/data/{version}/`.
    pub(crate) fn service_root(&self) -> String {
        format!("{}/api/data/{}/", self.state.origin(), self.version)
    }

    fn full_uri(&self) -> String {
        format!("{}{}", self.state.origin(), self.uri)
    }

    fn entity_id_url(&self, set: &str, id: Uuid) -> String {
        format!("{}{set}({id})", self.service_root())
    }

    fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
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
        match Json::parse_bytes(self.body) {
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

/// Every request under `/api/data/`.
pub(crate) async fn api(
    State(state): State<Arc<DataverseState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = if state.auth.check(&headers) {
        route(&state, &method, &uri, &headers, &body).unwrap_or_else(IntoResponse::into_response)
    } else {
        let authority =
            format!("https://login.microsoftonline.com/{}/oauth2/authorize", state.auth.tenant_id);
        errors::unauthorized(&authority, state.origin())
    };
    let request_id = Uuid::new_v4().to_string();
    let response_headers = response.headers_mut();
    response_headers.entry("OData-Version").or_insert(HeaderValue::from_static("4.0"));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response_headers.insert("REQ_ID", value.clone());
        response_headers.insert("x-ms-service-request-id", value);
    }
    response
}

fn route(
    state: &DataverseState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, DvError> {
    let path = percent_decode(uri.path());
    let rest = path.strip_prefix("/api/data/").unwrap_or_default();
    let (version, resource) = rest.split_once('/').unwrap_or((rest, ""));
    let prefs =
        Preferences::parse(headers.get_all("Prefer").iter().filter_map(|v| v.to_str().ok()));
    let request =
        ApiRequest { state, method, uri, headers, body, version: version.to_owned(), prefs };
    if !VERSIONS.contains(&version) {
        return Err(DvError::no_resource(&request.full_uri()));
    }
    let is = |m: &Method| method == m;
    match resource {
        "" if is(&Method::GET) => Ok(service_document(&request)),
        "WhoAmI" | "WhoAmI()" if is(&Method::GET) => Ok(who_am_i(&request)),
        "$batch" => Err(DvError::new(
            StatusCode::NOT_IMPLEMENTED,
            "0x0",
            "The sandbox does not emulate $batch.",
        )),
        action if notes::is_action(action) && is(&Method::POST) => notes::action(&request, action),
        action if notes::is_action(action) || action.starts_with("WhoAmI") || action.is_empty() => {
            Err(DvError::no_resource(&request.full_uri()))
        }
        _ => entity_route(&request, resource),
    }
}

fn entity_route(request: &ApiRequest<'_>, resource: &str) -> Result<Response, DvError> {
    let mut segments = resource.split('/');
    let (set, key) = parse_segment(segments.next().unwrap_or_default())?;
    let tail: Vec<&str> = segments.collect();
    let def = request.state.store().set_def(set)?.clone();
    let id = key.map(|key| parse_key(&key)).transpose()?;
    let method = request.method;
    match (id, tail.as_slice()) {
        (None, []) if method == Method::GET => list(request, &def),
        (None, []) if method == Method::POST => create(request, &def),
        (None, ["$count"]) if method == Method::GET => {
            let count = request.state.store().len(set).min(MAX_PAGE_SIZE);
            Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], count.to_string())
                .into_response())
        }
        (Some(id), []) if method == Method::GET => retrieve(request, &def, id),
        (Some(id), []) if method == Method::PATCH => upsert(request, &def, id),
        (Some(id), []) if method == Method::DELETE => delete(request, &def, id),
        (Some(id), [property]) if method == Method::GET => {
            get_property(request, &def, id, property, false)
        }
        (Some(id), [property, "$value"]) if method == Method::GET => {
            get_property(request, &def, id, property, true)
        }
        (Some(id), [property]) if method == Method::PUT || method == Method::DELETE => {
            set_property(request, &def, id, property)
        }
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}

/// `name` or `name(key)`.
fn parse_segment(segment: &str) -> Result<(&str, Option<String>), DvError> {
    match segment.find('(') {
        Some(open) if segment.ends_with(')') => {
            Ok((&segment[..open], Some(segment[open + 1..segment.len() - 1].to_owned())))
        }
        Some(_) => {
            Err(DvError::query(format!("Bad Request - Error in query syntax: '{segment}'.")))
        }
        None => Ok((segment, None)),
    }
}

fn parse_key(key: &str) -> Result<Uuid, DvError> {
    if key.contains('=') {
        return Err(DvError::query(format!(
            "The sandbox does not emulate alternate keys ('{key}')."
        )));
    }
    Uuid::parse_str(key.trim_matches(['{', '}'])).map_err(|_| {
        DvError::query(format!("Unrecognized 'Edm.Guid' literal '{key}' in the key segment."))
    })
}

fn json_response(status: StatusCode, body: JsonObject) -> Response {
    (status, [(header::CONTENT_TYPE, ODATA_JSON)], Json::Object(body).to_bytes()).into_response()
}

fn preference_applied(request: &ApiRequest<'_>, response: &mut Response, representation: bool) {
    let mut applied = Vec::new();
    if representation {
        applied.push("return=representation".to_owned());
    }
    if let Some(size) = request.prefs.max_page_size {
        applied.push(format!("odata.maxpagesize={}", size.min(MAX_PAGE_SIZE)));
    }
    if let Some(annotations) = &request.prefs.include_annotations {
        applied.push(format!("odata.include-annotations=\"{annotations}\""));
    }
    if let Ok(value) = HeaderValue::from_str(&applied.join(","))
        && !applied.is_empty()
    {
        response.headers_mut().insert("Preference-Applied", value);
    }
}

fn service_document(request: &ApiRequest<'_>) -> Response {
    let store = request.state.store();
    let sets: Vec<Json> = store
        .schema
        .sets
        .iter()
        .map(|s| {
            Json::Object(
                JsonObject::new()
                    .with("name", s.entity_set.as_str())
                    .with("kind", "EntitySet")
                    .with("url", s.entity_set.as_str()),
            )
        })
        .collect();
    let body = JsonObject::new()
        .with("@odata.context", format!("{}$metadata", request.service_root()))
        .with("value", Json::Array(sets));
    json_response(StatusCode::OK, body)
}

fn who_am_i(request: &ApiRequest<'_>) -> Response {
    let store = request.state.store();
    let user = store.default_owner.unwrap_or_default();
    let body = JsonObject::new()
        .with(
            "@odata.context",
            format!("{}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse", request.service_root()),
        )
        .with("BusinessUnitId", request.state.business_unit_id.to_string())
        .with("UserId", user.to_string())
        .with("OrganizationId", request.state.organization_id.to_string());
    json_response(StatusCode::OK, body)
}

fn list(request: &ApiRequest<'_>, def: &EntitySetDef) -> Result<Response, DvError> {
    let store = request.state.store();
    let options = QueryOptions::parse(request.uri.query(), def, &store.schema)?;
    let mut rows: Vec<_> = store
        .rows(&def.entity_set)
        .filter(|row| {
            options.filter.as_ref().is_none_or(|f| super::filter::matches(f, row, &store))
        })
        .collect();
    rows.sort_by(|a, b| compare_rows(a, b, &options.orderby));
    let total = rows.len();

    let cursor = options.skiptoken.as_deref().map(PageCursor::from_skiptoken).transpose()?;
    if let Some(cursor) = &cursor {
        rows.retain(|row| cursor.is_before(row, &options.orderby));
    }
    // `$top` is ignored when the client asks for server-driven paging (§1.4).
    let (page_size, limit) = match (request.prefs.max_page_size, options.top) {
        (Some(size), _) => (size.min(MAX_PAGE_SIZE), None),
        (None, Some(top)) => (top.min(MAX_PAGE_SIZE), Some(top)),
        (None, None) => (MAX_PAGE_SIZE, None),
    };
    let has_more = rows.len() > page_size && limit.is_none_or(|top| top > page_size);
    rows.truncate(page_size);

    let renderer = Renderer { store: &store, prefs: &request.prefs };
    let values: Vec<Json> = rows
        .iter()
        .map(|row| {
            Json::Object(renderer.entity(def, row, options.select.as_deref(), &options.expand))
        })
        .collect();
    let mut body = JsonObject::new().with(
        "@odata.context",
        format!(
            "{}$metadata#{}",
            request.service_root(),
            context_fragment(&def.entity_set, options.select.as_deref(), &options.expand)
        ),
    );
    if options.count {
        body.insert("@odata.count", Json::from(total.min(MAX_PAGE_SIZE) as u64));
    }
    body.insert("value", Json::Array(values));
    if has_more && let Some(last) = rows.last() {
        let page_number = cursor.map_or(1, |c| c.page_number) + 1;
        let token = PageCursor::after(last, &options.orderby, page_number).to_skiptoken();
        body.insert("@odata.nextLink", Json::String(next_link(request, &def.entity_set, &token)));
    }
    let mut response = json_response(StatusCode::OK, body);
    preference_applied(request, &mut response, false);
    Ok(response)
}

/// The request URL with its `$skiptoken` replaced, other options kept as the client encoded them.
fn next_link(request: &ApiRequest<'_>, set: &str, token: &str) -> String {
    let kept: Vec<&str> = request
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            percent_decode(key) != "$skiptoken"
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!("{}{set}?{query}$skiptoken={encoded}", request.service_root())
}

fn create(request: &ApiRequest<'_>, def: &EntitySetDef) -> Result<Response, DvError> {
    let body = request.json_body(&def.entity_set)?;
    let mut store = request.state.store();
    let options = if request.prefs.return_representation {
        Some(QueryOptions::parse(request.uri.query(), def, &store.schema)?)
    } else {
        None
    };
    let id = store.create(&def.entity_set, None, &body)?;
    match options {
        Some(options) => {
            let mut response =
                representation(request, &store, def, id, &options, StatusCode::CREATED);
            preference_applied(request, &mut response, true);
            Ok(response)
        }
        None => Ok(entity_id_response(request, &def.entity_set, id)),
    }
}

fn entity_id_response(request: &ApiRequest<'_>, set: &str, id: Uuid) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&request.entity_id_url(set, id)) {
        response.headers_mut().insert("OData-EntityId", value);
    }
    response
}

fn representation(
    request: &ApiRequest<'_>,
    store: &Store,
    def: &EntitySetDef,
    id: Uuid,
    options: &QueryOptions,
    status: StatusCode,
) -> Response {
    let renderer = Renderer { store, prefs: &request.prefs };
    let Some(row) = store.get(&def.entity_set, id) else {
        return DvError::does_not_exist(&def.logical_name, id).into_response();
    };
    let context = format!(
        "{}$metadata#{}/$entity",
        request.service_root(),
        context_fragment(&def.entity_set, options.select.as_deref(), &options.expand)
    );
    let mut body = JsonObject::new().with("@odata.context", context);
    for (key, value) in renderer.entity(def, row, options.select.as_deref(), &options.expand) {
        body.insert(key, value);
    }
    json_response(status, body)
}

fn retrieve(request: &ApiRequest<'_>, def: &EntitySetDef, id: Uuid) -> Result<Response, DvError> {
    let store = request.state.store();
    let options = QueryOptions::parse(request.uri.query(), def, &store.schema)?;
    let row = store
        .get(&def.entity_set, id)
        .ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))?;
    // Conditional GET: never with $expand or annotations (§1.3).
    let conditional = options.expand.is_empty() && request.prefs.include_annotations.is_none();
    if conditional
        && request.header(header::IF_NONE_MATCH).is_some_and(|tag| etag_matches(tag, &row.etag()))
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut response = representation(request, &store, def, id, &options, StatusCode::OK);
    preference_applied(request, &mut response, false);
    Ok(response)
}

fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value.split(',').map(str::trim).any(|tag| tag == "*" || tag == etag)
}

fn upsert(request: &ApiRequest<'_>, def: &EntitySetDef, id: Uuid) -> Result<Response, DvError> {
    let body = request.json_body(&def.entity_set)?;
    let mut store = request.state.store();
    let existing = store.get(&def.entity_set, id).map(|row| row.etag());
    if let Some(if_match) = request.header(header::IF_MATCH) {
        match &existing {
            None if if_match == "*" => return Err(DvError::upsert_missing(&def.logical_name, id)),
            None => return Err(DvError::does_not_exist(&def.logical_name, id)),
            Some(etag) if !etag_matches(if_match, etag) => return Err(DvError::version_mismatch()),
            Some(_) => {}
        }
    }
    if request.header(header::IF_NONE_MATCH) == Some("*") && existing.is_some() {
        return Err(DvError::duplicate_key());
    }
    if existing.is_some() {
        store.update(&def.entity_set, id, &body)?;
    } else {
        store.create(&def.entity_set, Some(id), &body)?;
    }
    if request.prefs.return_representation {
        let options = QueryOptions::parse(request.uri.query(), def, &store.schema)?;
        // `$expand` is ignored on an update's representation (§1.3).
        let options = QueryOptions { expand: Vec::new(), ..options };
        let mut response = representation(request, &store, def, id, &options, StatusCode::OK);
        preference_applied(request, &mut response, true);
        return Ok(response);
    }
    Ok(entity_id_response(request, &def.entity_set, id))
}

fn delete(request: &ApiRequest<'_>, def: &EntitySetDef, id: Uuid) -> Result<Response, DvError> {
    let mut store = request.state.store();
    let etag = store
        .get(&def.entity_set, id)
        .map(|row| row.etag())
        .ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))?;
    if request.header(header::IF_MATCH).is_some_and(|tag| !etag_matches(tag, &etag)) {
        return Err(DvError::version_mismatch());
    }
    store.delete(&def.entity_set, id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn get_property(
    request: &ApiRequest<'_>,
    def: &EntitySetDef,
    id: Uuid,
    property: &str,
    raw_value: bool,
) -> Result<Response, DvError> {
    let store = request.state.store();
    let row = store
        .get(&def.entity_set, id)
        .ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))?;
    if let Some(nav) = def.navigation(property).filter(|_| !raw_value) {
        let Some(target_id) = row.get(&nav.lookup_column).as_guid() else {
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        let target = store.set_def(&nav.target_set)?.clone();
        let options = QueryOptions::parse(request.uri.query(), &target, &store.schema)?;
        return Ok(representation(request, &store, &target, target_id, &options, StatusCode::OK));
    }
    let column = def
        .column_def(property)
        .ok_or_else(|| DvError::unknown_property(property, &def.logical_name))?;
    let cell = row.get(property);
    if cell.is_null() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if raw_value {
        // `documentbody/$value` is the base64 text itself, as text/plain (§2).
        let text = match cell.encode() {
            Json::String(s) => s,
            other => other.to_string(),
        };
        let content_type = if column.kind == ColumnKind::DocumentBody {
            "text/plain"
        } else {
            "text/plain; charset=utf-8"
        };
        return Ok((StatusCode::OK, [(header::CONTENT_TYPE, content_type)], text).into_response());
    }
    let body = JsonObject::new()
        .with(
            "@odata.context",
            format!("{}$metadata#{}({id})/{property}", request.service_root(), def.entity_set),
        )
        .with("value", cell.encode());
    Ok(json_response(StatusCode::OK, body))
}

fn set_property(
    request: &ApiRequest<'_>,
    def: &EntitySetDef,
    id: Uuid,
    property: &str,
) -> Result<Response, DvError> {
    if def.column_def(property).is_none() {
        return Err(DvError::unknown_property(property, &def.logical_name));
    }
    let value = if request.method == Method::DELETE {
        Json::Null
    } else {
        let body = request.json_body(&def.entity_set)?;
        body.get("value").cloned().ok_or_else(|| {
            DvError::convert(&def.entity_set, "The property 'value' is missing from the payload.")
        })?
    };
    let mut store = request.state.store();
    if store.get(&def.entity_set, id).is_none() {
        return Err(DvError::does_not_exist(&def.logical_name, id));
    }
    store.update(&def.entity_set, id, &JsonObject::new().with(property, value))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Decode `%XX` escapes in a path (not `+`, which is literal in paths).
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
    fn decoding_and_keys() {
        assert_eq!(percent_decode("/a%24value%28x%29"), "/a$value(x)");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%e9%C3%A9"), "\u{fffd}é");
        assert_eq!(parse_segment("accounts(abc)").unwrap(), ("accounts", Some("abc".to_owned())));
        assert!(parse_key("name='x'").is_err());
        let id = Uuid::new_v4();
        assert_eq!(parse_key(&format!("{{{id}}}")).unwrap(), id);
    }
}

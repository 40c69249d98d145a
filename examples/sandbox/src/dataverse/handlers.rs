//! Request dispatch for `/api/data/<version>/…` and the single-row operations.
//!
//! Resource paths are parsed here rather than by the router because OData keys live inside a
//! segment (`cre6f_agreements(<guid>)`, `accounts(accountnumber='A-1')`) and names are
//! case-sensitive (`Account` is not `accounts`: 404 `0x8006088a`). Status codes and headers
//! follow <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors>;
//! see the module docs of `dataverse` for the list.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use uuid::Uuid;

use super::DataverseState;
use super::errors::{self, DvError};
use super::keys::{self, RowKey};
use super::odata_query::QueryOptions;
use super::render::{Renderer, context_fragment};
use super::reply::Reply;
use super::request::{ApiRequest, VERSIONS, percent_decode};
use super::schema::{ColumnKind, EntitySetDef};
use super::store::Store;
use super::{batch, bulk, collection, custom_api, entity_definitions, files, notes, relations};
use crate::json::{Json, JsonObject};

/// Every request under `/api/search/` (the Dataverse Search API) and `/api/backgroundoperation/`
/// (the status monitor of background operations): neither is emulated, and the answer says so
/// once the token is checked.
pub(crate) async fn not_emulated_api(
    State(state): State<Arc<DataverseState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if !state.auth.check(&headers) {
        return challenge(&state);
    }
    let what = if uri.path().starts_with("/api/search/") {
        "the Dataverse Search API (/api/search/…: query, suggest, autocomplete); query rows with $filter, FetchXML or the like operators instead"
    } else {
        "background operations (/api/backgroundoperation/…)"
    };
    with_request_id(Reply::from(DvError::not_emulated(what)).into_response())
}

/// Every request under `/api/data/`.
pub(crate) async fn api(
    State(state): State<Arc<DataverseState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = if state.auth.check(&headers) {
        // Service protection, per user (by token), when configured.
        let user = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        // Counting a `$batch`'s parts or parsing a bulk message's targets costs a pass over the
        // body: only when protection is on.
        let operations = if state.protection.is_on() {
            super::protection::operations(uri.path(), &body)
        } else {
            1
        };
        let admitted = match state.protection.admit(&user, operations) {
            Ok(admitted) => {
                admitted.map(|admitted| Admission { state: state.clone(), admitted, done: false })
            }
            Err(refused) => {
                let mut response = refused.into_response();
                if let Some(hint) = state.protection.dop_hint() {
                    response.headers_mut().insert("x-ms-dop-hint", HeaderValue::from(hint));
                }
                return with_request_id(response);
            }
        };
        let request = ApiRequest::new(
            method,
            uri.path().to_owned(),
            uri.query().map(str::to_owned),
            headers,
            body,
            state.origin().to_owned(),
        );
        let reply = handle(&state, &request);
        if let Some(mut admission) = admitted {
            // The emulated execution time, then the remaining budget.
            tokio::time::sleep(admission.admitted.cost()).await;
            let mut response = reply.into_response();
            for (name, value) in admission.finish() {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            return with_request_id(response);
        }
        reply
    } else {
        return challenge(&state);
    };
    with_request_id(reply.into_response())
}

/// An admitted request; dropped unanswered (the client went away), it gives its place back.
struct Admission {
    state: Arc<DataverseState>,
    admitted: super::protection::Admitted,
    done: bool,
}

impl Admission {
    /// Give the place back; the budget headers to answer with.
    fn finish(&mut self) -> Vec<(&'static str, String)> {
        self.done = true;
        self.state.protection.release(&self.admitted)
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if !self.done {
            self.state.protection.release(&self.admitted);
        }
    }
}

/// The 401 for a missing or wrong token, naming the tenant's authority.
fn challenge(state: &DataverseState) -> Response {
    let authority =
        format!("https://login.microsoftonline.com/{}/oauth2/authorize", state.auth.tenant_id);
    with_request_id(errors::unauthorized(&authority, state.origin()))
}

fn with_request_id(mut response: Response) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let headers = response.headers_mut();
    headers.entry("OData-Version").or_insert(HeaderValue::from_static("4.0"));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert("REQ_ID", value.clone());
        headers.insert("x-ms-service-request-id", value);
    }
    response
}

/// Answer one request; the store is locked for its duration (for a whole `$batch`, so a change
/// set is atomic).
pub(crate) fn handle(state: &DataverseState, request: &ApiRequest) -> Reply {
    if request.prefs.respond_async {
        // A client asking for a background operation waits for a 202 and a status monitor;
        // answering synchronously would mislead it, so the sandbox says what it lacks.
        return DvError::not_emulated(
            "background operations (Prefer: respond-async); send the request without it to run it synchronously",
        )
        .into();
    }
    let mut store = state.store();
    if request.resource() == "$batch" && VERSIONS.contains(&request.version.as_str()) {
        return batch::handle(state, &mut store, request).unwrap_or_else(Reply::from);
    }
    dispatch(state, &mut store, request).unwrap_or_else(Reply::from)
}

/// Route one request (also one operation of a `$batch`).
pub(crate) fn dispatch(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
) -> Result<Reply, DvError> {
    if !VERSIONS.contains(&request.version.as_str()) {
        return Err(DvError::no_resource(&request.full_uri()));
    }
    let resource = request.resource();
    let segments: Vec<String> = if resource.is_empty() {
        Vec::new()
    } else {
        resource.split('/').map(percent_decode).collect()
    };
    let is = |m: Method| request.method == m;
    let first = segments.first().map(String::as_str).unwrap_or_default();
    if segments.len() == 1
        && let Some(api) = custom_api::find(state, first, None)
    {
        return custom_api::call(store, request, &api, first, None);
    }
    match first {
        "" if segments.len() <= 1 && is(Method::GET) => Ok(service_document(store, request)),
        "$metadata" if segments.len() == 1 && is(Method::GET) => Ok(metadata(store)),
        "$batch" => Err(DvError::no_resource(&request.full_uri())),
        "WhoAmI" | "WhoAmI()" if segments.len() == 1 && is(Method::GET) => {
            Ok(who_am_i(state, store, request))
        }
        action if notes::is_action(action) && segments.len() == 1 && is(Method::POST) => {
            notes::action(state, store, request, action)
        }
        action if files::is_action(action) && segments.len() == 1 && is(Method::POST) => {
            files::action(state, store, request, action)
        }
        action
            if notes::is_action(action)
                || files::is_action(action)
                || action.starts_with("WhoAmI")
                || action.is_empty() =>
        {
            Err(DvError::no_resource(&request.full_uri()))
        }
        name if entity_definitions::is_definitions(name) => {
            entity_definitions::handle(store, request, &segments)
        }
        _ => entity_route(state, store, request, &segments),
    }
}

fn entity_route(
    state: &DataverseState,
    store: &mut Store,
    request: &ApiRequest,
    segments: &[String],
) -> Result<Reply, DvError> {
    let (set, key) = keys::split_segment(&segments[0])?;
    let def = store.set_def(set)?;
    let key = key.map(|key| keys::parse(&def, key)).transpose()?;
    let tail: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
    let method = &request.method;
    if let [operation] = tail.as_slice()
        && operation.starts_with("Microsoft.Dynamics.CRM.")
    {
        if let Some(api) = custom_api::find(state, operation, Some((set, key.is_some()))) {
            return custom_api::call(store, request, &api, operation, Some((&def, key.as_ref())));
        }
        if let (None, Some(message)) = (&key, bulk::Message::from_segment(operation))
            && method == Method::POST
        {
            return bulk::handle(store, request, &def, message);
        }
        return Err(DvError::resource_not_found(operation));
    }
    match (&key, tail.as_slice()) {
        (Some(key), [column])
            if files::is_file_column(&def, column)
                && (method != Method::GET || files::is_download(&def, column, request)) =>
        {
            return files::column_request(state, store, request, &def, key, column, false);
        }
        (Some(key), [column, "$value"]) if files::is_file_column(&def, column) => {
            return files::column_request(state, store, request, &def, key, column, true);
        }
        _ => {}
    }
    match (key, tail.as_slice()) {
        (None, []) if method == Method::GET => collection::list(store, request, &def),
        (None, []) if method == Method::POST => create(store, request, &def),
        (None, ["$count"]) if method == Method::GET => collection::count(store, request, &def),
        (Some(key), []) if method == Method::GET => retrieve(store, request, &def, &key),
        (Some(key), []) if method == Method::PATCH => upsert(store, request, &def, &key),
        (Some(key), []) if method == Method::DELETE => delete(store, request, &def, &key),
        (Some(key), [_, "$ref"] | [_]) if is_navigation(&def, tail[0]) => {
            let id = existing(store, &def, &key)?;
            relations::navigation(store, request, &def, id, &tail)
        }
        (Some(key), [nav_with_key, "$ref"]) if method == Method::DELETE => {
            let id = existing(store, &def, &key)?;
            relations::disassociate_by_key(store, &def, id, nav_with_key)
        }
        (Some(key), [property]) if method == Method::GET => {
            let id = existing(store, &def, &key)?;
            get_property(store, request, &def, id, property, false)
        }
        (Some(key), [property, "$value"]) if method == Method::GET => {
            let id = existing(store, &def, &key)?;
            get_property(store, request, &def, id, property, true)
        }
        (Some(key), [property]) if method == Method::PUT || method == Method::DELETE => {
            let id = existing(store, &def, &key)?;
            set_property(store, request, &def, id, property)
        }
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}

fn is_navigation(def: &EntitySetDef, name: &str) -> bool {
    def.navigation(name).is_some() || def.collection(name).is_some()
}

/// The id of the row `key` names, or the 404 the service answers.
pub(crate) fn existing(store: &Store, def: &EntitySetDef, key: &RowKey) -> Result<Uuid, DvError> {
    store.resolve(&def.entity_set, key).ok_or_else(|| match key {
        RowKey::Id(id) => DvError::does_not_exist(&def.logical_name, id),
        RowKey::Alternate(_) => DvError::key_not_found(&def.logical_name),
    })
}

/// `Preference-Applied` for what the request asked and the response honours.
pub(crate) fn preference_applied(request: &ApiRequest, reply: &mut Reply, representation: bool) {
    let mut applied = Vec::new();
    if representation {
        applied.push("return=representation".to_owned());
    }
    if let Some(size) = request.prefs.max_page_size {
        applied.push(format!("odata.maxpagesize={}", size.min(collection::MAX_PAGE_SIZE)));
    }
    if let Some(annotations) = &request.prefs.include_annotations {
        applied.push(format!("odata.include-annotations=\"{annotations}\""));
    }
    if request.prefs.track_changes {
        applied.push("odata.track-changes".to_owned());
    }
    if !applied.is_empty() {
        reply.header(http::HeaderName::from_static("preference-applied"), &applied.join(","));
    }
}

fn service_document(store: &Store, request: &ApiRequest) -> Reply {
    let sets: Vec<Json> = store
        .catalog
        .sets()
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
    Reply::json(StatusCode::OK, body)
}

/// `GET $metadata`: the CSDL document, as the service serves it.
fn metadata(store: &Store) -> Reply {
    Reply::bytes(
        StatusCode::OK,
        "application/xml",
        Bytes::from(store.catalog.csdl.as_bytes().to_vec()),
    )
}

fn who_am_i(state: &DataverseState, store: &Store, request: &ApiRequest) -> Reply {
    let user = store.default_owner.unwrap_or_default();
    let body = JsonObject::new()
        .with("@odata.context", request.context("Microsoft.Dynamics.CRM.WhoAmIResponse"))
        .with("BusinessUnitId", state.business_unit_id.to_string())
        .with("UserId", user.to_string())
        .with("OrganizationId", state.organization_id.to_string());
    Reply::json(StatusCode::OK, body)
}

fn create(store: &mut Store, request: &ApiRequest, def: &EntitySetDef) -> Result<Reply, DvError> {
    let body = request.json_body(&def.entity_set)?;
    let options = if request.prefs.return_representation {
        Some(QueryOptions::parse(request.query.as_deref(), def, &store.catalog)?)
    } else {
        None
    };
    let id = store.create(&def.entity_set, None, &body)?;
    match options {
        Some(options) => {
            let mut reply = representation(request, store, def, id, &options, StatusCode::CREATED);
            preference_applied(request, &mut reply, true);
            Ok(reply)
        }
        None => Ok(entity_id_reply(request, &def.entity_set, id)),
    }
}

/// `204` with `OData-EntityId: {root}{set}({id})`.
pub(crate) fn entity_id_reply(request: &ApiRequest, set: &str, id: Uuid) -> Reply {
    let mut reply = Reply::empty(StatusCode::NO_CONTENT);
    reply.header(
        http::HeaderName::from_static("odata-entityid"),
        &format!("{}{set}({id})", request.service_root()),
    );
    reply
}

/// One record with its `@odata.context`.
pub(crate) fn representation(
    request: &ApiRequest,
    store: &Store,
    def: &EntitySetDef,
    id: Uuid,
    options: &QueryOptions,
    status: StatusCode,
) -> Reply {
    let renderer = Renderer { store, prefs: &request.prefs };
    let Some(row) = store.get(&def.entity_set, id) else {
        return DvError::does_not_exist(&def.logical_name, id).into();
    };
    let context = request.context(&format!(
        "{}/$entity",
        context_fragment(&def.entity_set, options.select.as_deref(), &options.expand)
    ));
    let mut body = JsonObject::new().with("@odata.context", context);
    for (key, value) in renderer.entity(def, row, options.select.as_deref(), &options.expand) {
        body.insert(key, value);
    }
    let mut reply = Reply::json(status, body);
    reply.header(header::ETAG, &row.etag());
    reply
}

fn retrieve(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    key: &RowKey,
) -> Result<Reply, DvError> {
    let options = QueryOptions::parse(request.query.as_deref(), def, &store.catalog)?;
    let id = existing(store, def, key)?;
    let row = store.existing_row(def, id)?;
    // Conditional GET: never with $expand or annotations.
    let conditional = options.expand.is_empty() && request.prefs.include_annotations.is_none();
    if conditional
        && request.header(header::IF_NONE_MATCH).is_some_and(|tag| etag_matches(tag, &row.etag()))
    {
        return Ok(Reply::empty(StatusCode::NOT_MODIFIED));
    }
    let mut reply = representation(request, store, def, id, &options, StatusCode::OK);
    preference_applied(request, &mut reply, false);
    Ok(reply)
}

fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value.split(',').map(str::trim).any(|tag| tag == "*" || tag == etag)
}

fn upsert(
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    key: &RowKey,
) -> Result<Reply, DvError> {
    let body = request.json_body(&def.entity_set)?;
    let found = store.resolve(&def.entity_set, key);
    let existing_etag = found.and_then(|id| store.get(&def.entity_set, id)).map(|row| row.etag());
    if let Some(if_match) = request.header(header::IF_MATCH) {
        match (&existing_etag, key) {
            (None, RowKey::Id(id)) if if_match == "*" => {
                return Err(DvError::upsert_missing(&def.logical_name, id));
            }
            (None, RowKey::Id(id)) => return Err(DvError::does_not_exist(&def.logical_name, id)),
            (None, RowKey::Alternate(_)) => return Err(DvError::key_not_found(&def.logical_name)),
            (Some(etag), _) if !etag_matches(if_match, etag) => {
                return Err(DvError::version_mismatch());
            }
            (Some(_), _) => {}
        }
    }
    if request.header(header::IF_NONE_MATCH) == Some("*") && existing_etag.is_some() {
        return Err(DvError::duplicate_key());
    }
    let id = match (found, key) {
        (Some(id), _) => {
            store.update(&def.entity_set, id, &body)?;
            id
        }
        (None, RowKey::Id(id)) => store.create(&def.entity_set, Some(*id), &body)?,
        (None, RowKey::Alternate(values)) => {
            store.create_with(&def.entity_set, None, values.clone(), &body)?
        }
    };
    if request.prefs.return_representation {
        let options = QueryOptions::parse(request.query.as_deref(), def, &store.catalog)?;
        // `$expand` is ignored on an update's representation.
        let options = QueryOptions { expand: Vec::new(), ..options };
        let mut reply = representation(request, store, def, id, &options, StatusCode::OK);
        preference_applied(request, &mut reply, true);
        return Ok(reply);
    }
    let mut reply = entity_id_reply(request, &def.entity_set, id);
    if let RowKey::Alternate(_) = key {
        // The service names a row addressed by alternate key by that key.
        reply.header(
            http::HeaderName::from_static("odata-entityid"),
            &format!("{}{}({})", request.service_root(), def.entity_set, keys::render(key)),
        );
    }
    Ok(reply)
}

fn delete(
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    key: &RowKey,
) -> Result<Reply, DvError> {
    let id = existing(store, def, key)?;
    let etag = store
        .get(&def.entity_set, id)
        .map(|row| row.etag())
        .ok_or_else(|| DvError::does_not_exist(&def.logical_name, id))?;
    if request.header(header::IF_MATCH).is_some_and(|tag| !etag_matches(tag, &etag)) {
        return Err(DvError::version_mismatch());
    }
    store.delete(&def.entity_set, id)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn get_property(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    id: Uuid,
    property: &str,
    raw_value: bool,
) -> Result<Reply, DvError> {
    let row = store.existing_row(def, id)?;
    let column = def
        .column_def(property)
        .ok_or_else(|| DvError::unknown_property(property, &def.logical_name))?;
    let cell = row.get(property);
    if cell.is_null() {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    if raw_value {
        // `documentbody/$value` is the base64 text itself, as text/plain.
        let text = match cell.encode() {
            Json::String(s) => s,
            other => other.to_string(),
        };
        let content_type = if column.kind == ColumnKind::DocumentBody {
            "text/plain"
        } else {
            "text/plain; charset=utf-8"
        };
        return Ok(Reply::bytes(StatusCode::OK, content_type, text));
    }
    let body = JsonObject::new()
        .with("@odata.context", request.context(&format!("{}({id})/{property}", def.entity_set)))
        .with("value", cell.encode());
    Ok(Reply::json(StatusCode::OK, body))
}

fn set_property(
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    id: Uuid,
    property: &str,
) -> Result<Reply, DvError> {
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
    store.update(&def.entity_set, id, &JsonObject::new().with(property, value))?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

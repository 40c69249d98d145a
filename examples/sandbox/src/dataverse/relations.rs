//! Navigation properties in URLs: reading related rows and associating/disassociating them
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api>).
//!
//! - `GET <set>(id)/<single-valued>` → the related row (204 when empty);
//!   `GET <set>(id)/<collection-valued>` → the related rows, with the query options.
//! - `POST <set>(id)/<collection-valued>/$ref {"@odata.id": "<url>"}` → associate;
//!   `DELETE <set>(id)/<collection-valued>(<id>)/$ref` or `…/$ref?$id=<url>` → disassociate.
//! - `PUT <set>(id)/<single-valued>/$ref {"@odata.id": "<url>"}` → set the lookup;
//!   `DELETE <set>(id)/<single-valued>/$ref` → clear it.
//! - `GET …/<nav>/$ref` → the references (`@odata.id`).

use http::{Method, StatusCode};
use uuid::Uuid;

use super::collection;
use super::errors::DvError;
use super::handlers::representation;
use super::keys;
use super::odata_query::QueryOptions;
use super::reply::Reply;
use super::request::ApiRequest;
use super::schema::EntitySetDef;
use super::store::Store;
use crate::json::{Json, JsonObject};

/// `<set>(id)/<nav>` and `<set>(id)/<nav>/$ref`.
pub(crate) fn navigation(
    store: &mut Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    id: Uuid,
    tail: &[&str],
) -> Result<Reply, DvError> {
    let nav = tail[0];
    let is_ref = tail.get(1) == Some(&"$ref");
    match (&request.method, is_ref) {
        (&Method::GET, false) => related(store, request, def, id, nav),
        (&Method::GET, true) => references(store, request, def, id, nav),
        (&Method::POST, true) if def.collection(nav).is_some() => {
            let (target_set, target) = reference_body(store, request, &def.entity_set)?;
            store.associate(&def.entity_set, id, nav, &target_set, target)?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (&Method::PUT, true) if def.navigation(nav).is_some() => {
            let target = reference_body(store, request, &def.entity_set)?;
            store.set_lookup(&def.entity_set, id, nav, Some(target))?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, true) if def.navigation(nav).is_some() => {
            store.set_lookup(&def.entity_set, id, nav, None)?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, true) => {
            let reference = request.query_param("$id").ok_or_else(|| {
                DvError::query(
                    "The $id query option is required to remove a reference from a collection.",
                )
            })?;
            let (_, target) = store.resolve_reference(&def.entity_set, &reference)?;
            store.disassociate(&def.entity_set, id, nav, target)?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(DvError::no_resource(&request.full_uri())),
    }
}

/// `DELETE <set>(id)/<collection-valued>(<key>)/$ref`.
pub(crate) fn disassociate_by_key(
    store: &mut Store,
    def: &EntitySetDef,
    id: Uuid,
    segment: &str,
) -> Result<Reply, DvError> {
    let (nav, key) = keys::split_segment(segment)?;
    let collection =
        def.collection(nav).ok_or_else(|| DvError::unknown_property(nav, &def.logical_name))?;
    let target_def = store.set_def(&collection.target_set)?;
    let key = keys::parse(&target_def, key.ok_or_else(DvError::query_syntax)?)?;
    let target = super::handlers::existing(store, &target_def, &key)?;
    store.disassociate(&def.entity_set, id, nav, target)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The `{"@odata.id": "<url>"}` body of a `$ref` write.
fn reference_body(
    store: &Store,
    request: &ApiRequest,
    set: &str,
) -> Result<(String, Uuid), DvError> {
    let body = request.json_body(set)?;
    let reference = body.get("@odata.id").and_then(Json::as_str).ok_or_else(|| {
        DvError::payload(
            set,
            "Microsoft.OData.ODataException: The '@odata.id' of the entity reference is missing.",
        )
    })?;
    store.resolve_reference(set, reference)
}

fn related(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    id: Uuid,
    nav: &str,
) -> Result<Reply, DvError> {
    let row = store.existing_row(def, id)?;
    if let Some(single) = def.navigation(nav) {
        let Some(super::cell::Cell::Lookup { id: target_id, target_set }) =
            Some(row.get(&single.lookup_column).clone())
        else {
            return Ok(Reply::empty(StatusCode::NO_CONTENT));
        };
        if !single.accepts(&target_set) {
            return Ok(Reply::empty(StatusCode::NO_CONTENT));
        }
        let target = store.set_def(&target_set)?;
        let options = QueryOptions::parse(request.query.as_deref(), &target, &store.catalog)?;
        return Ok(representation(request, store, &target, target_id, &options, StatusCode::OK));
    }
    let collection =
        def.collection(nav).ok_or_else(|| DvError::unknown_property(nav, &def.logical_name))?;
    let target = store.set_def(&collection.target_set)?;
    let options = QueryOptions::parse(request.query.as_deref(), &target, &store.catalog)?;
    let ids = store.related(def, id, nav);
    let mut rows: Vec<_> = ids
        .into_iter()
        .filter_map(|related| store.get(&target.entity_set, related))
        .filter(|row| options.filter.as_ref().is_none_or(|f| super::filter::matches(f, row, store)))
        .collect();
    rows.sort_by(|a, b| super::paging::compare_rows(a, b, &options.orderby));
    collection::page(
        store,
        request,
        &target,
        &options,
        rows,
        &format!("{}({id})/{nav}", def.entity_set),
    )
}

fn references(
    store: &Store,
    request: &ApiRequest,
    def: &EntitySetDef,
    id: Uuid,
    nav: &str,
) -> Result<Reply, DvError> {
    let row = store.existing_row(def, id)?;
    let url = |set: &str, id: Uuid| format!("{}{set}({id})", request.service_root());
    if let Some(single) = def.navigation(nav) {
        return match row.get(&single.lookup_column) {
            super::cell::Cell::Lookup { id: target, target_set } if single.accepts(target_set) => {
                let body = JsonObject::new()
                    .with("@odata.context", request.context("$ref"))
                    .with("@odata.id", url(target_set, *target));
                Ok(Reply::json(StatusCode::OK, body))
            }
            _ => Ok(Reply::empty(StatusCode::NO_CONTENT)),
        };
    }
    let collection =
        def.collection(nav).ok_or_else(|| DvError::unknown_property(nav, &def.logical_name))?;
    let values: Vec<Json> = store
        .related(def, id, nav)
        .into_iter()
        .map(|related| {
            Json::Object(JsonObject::new().with("@odata.id", url(&collection.target_set, related)))
        })
        .collect();
    let body = JsonObject::new()
        .with("@odata.context", request.context("Collection($ref)"))
        .with("value", Json::Array(values));
    Ok(Reply::json(StatusCode::OK, body))
}

//! `/_sandbox/dataverse/…`: seed, read, change and delete rows directly (through the same
//! validation as the Web API, without faults or the request log).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use uuid::Uuid;

use super::{
    ControlState, Refusal, authorize, body, error, guarded, optional_u64, rejected, reply,
};
use crate::json::{Json, JsonObject};

type Shared = Arc<ControlState>;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/dataverse/tables", get(tables))
        .route("/dataverse/tables/{set}/rows", get(list).post(insert))
        .route("/dataverse/tables/{set}/rows/{id}", get(row).patch(update).delete(delete))
        .route("/dataverse/seeded", get(seeded))
        .route("/dataverse/files/chunk-size", put(file_chunk_size))
        .route("/dataverse/custom-apis", post(custom_api))
}

fn parse_id(id: &str) -> Result<Uuid, Refusal> {
    Uuid::parse_str(id).map_err(|_| {
        error(StatusCode::BAD_REQUEST, "invalid_request", format!("'{id}' is not a GUID"))
    })
}

fn known_set(state: &ControlState, set: &str) -> Result<(), Refusal> {
    if state.dataverse.entity_sets().iter().any(|s| s == set) {
        Ok(())
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            "0x8006088a",
            format!("Resource not found for the segment '{set}'."),
        ))
    }
}

/// `GET /_sandbox/dataverse/tables`: `[{"entity_set","logical_name","rows"}]`.
async fn tables(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let tables: Vec<Json> = state
        .dataverse
        .tables()
        .into_iter()
        .map(|(set, logical)| {
            let rows = state.dataverse.count(&set) as u64;
            Json::Object(
                JsonObject::new()
                    .with("entity_set", set)
                    .with("logical_name", logical)
                    .with("rows", rows),
            )
        })
        .collect();
    reply(StatusCode::OK, Json::Array(tables))
}

/// `GET /_sandbox/dataverse/tables/{set}/rows`: every row, as the Web API shows it.
async fn list(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(set): Path<String>,
) -> Response {
    guarded(&state, &headers, || {
        known_set(&state, &set)?;
        Ok(reply(StatusCode::OK, Json::Array(state.dataverse.list(&set))))
    })
}

/// `POST /_sandbox/dataverse/tables/{set}/rows` with one create body or an array of them:
/// `201 {"ids":[…]}`. Rows are created in order; the first refusal stops (earlier rows stay).
async fn insert(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(set): Path<String>,
    bytes: Bytes,
) -> Response {
    guarded(&state, &headers, || {
        known_set(&state, &set)?;
        let rows = match body(&bytes)? {
            Json::Array(rows) => rows,
            single => vec![single],
        };
        let mut ids = Vec::new();
        for row in &rows {
            let id = state.dataverse.insert(&set, row).map_err(rejected)?;
            ids.push(Json::String(id.to_string()));
        }
        Ok(reply(
            StatusCode::CREATED,
            Json::Object(JsonObject::new().with("ids", Json::Array(ids))),
        ))
    })
}

/// `GET /_sandbox/dataverse/tables/{set}/rows/{id}`.
async fn row(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((set, id)): Path<(String, String)>,
) -> Response {
    guarded(&state, &headers, || {
        known_set(&state, &set)?;
        let id = parse_id(&id)?;
        let row = state.dataverse.get(&set, id).ok_or_else(|| {
            error(StatusCode::NOT_FOUND, "0x80040217", format!("No row {id} in '{set}'."))
        })?;
        Ok(reply(StatusCode::OK, row))
    })
}

/// `PATCH /_sandbox/dataverse/tables/{set}/rows/{id}` with an update body: the row after.
async fn update(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((set, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    guarded(&state, &headers, || {
        known_set(&state, &set)?;
        let id = parse_id(&id)?;
        state.dataverse.update(&set, id, &body(&bytes)?).map_err(rejected)?;
        Ok(reply(StatusCode::OK, state.dataverse.get(&set, id).unwrap_or(Json::Null)))
    })
}

/// `DELETE /_sandbox/dataverse/tables/{set}/rows/{id}` (notes regarding it go too).
async fn delete(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((set, id)): Path<(String, String)>,
) -> Response {
    guarded(&state, &headers, || {
        known_set(&state, &set)?;
        let id = parse_id(&id)?;
        state.dataverse.delete(&set, id).map_err(rejected)?;
        Ok(reply(StatusCode::OK, Json::Object(JsonObject::new().with("deleted", id.to_string()))))
    })
}

/// `GET /_sandbox/dataverse/seeded`: the ids of the rows seeded at start.
async fn seeded(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let seeded = state.seeded.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let ids =
        |ids: &[Uuid]| Json::Array(ids.iter().map(|id| Json::String(id.to_string())).collect());
    let mut currencies = JsonObject::new();
    for (iso, id) in &seeded.currencies {
        currencies.insert(iso.clone(), Json::String(id.to_string()));
    }
    let body = JsonObject::new()
        .with("system_user", seeded.system_user.to_string())
        .with("currencies", currencies)
        .with("accounts", ids(&seeded.accounts))
        .with("opportunities", ids(&seeded.opportunities))
        .with("agreements", ids(&seeded.agreements));
    reply(StatusCode::OK, Json::Object(body))
}

/// `PUT /_sandbox/dataverse/files/chunk-size` with `{"bytes":1024}`: the chunk size announced in
/// `x-ms-chunk-size` from now on (so a test can make a client upload in several chunks without
/// a large file). Answers `{"bytes":1024}`.
async fn file_chunk_size(
    State(state): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    guarded(&state, &headers, || {
        let size =
            optional_u64(&body(&bytes)?, "bytes")?.filter(|size| *size > 0).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "'bytes' must be a whole number above 0",
                )
            })?;
        state.dataverse.set_file_chunk_size(usize::try_from(size).unwrap_or(usize::MAX));
        Ok(reply(StatusCode::OK, Json::Object(JsonObject::new().with("bytes", size))))
    })
}

/// `POST /_sandbox/dataverse/custom-apis` with a custom API declaration (its name, kind,
/// binding, parameters and answer; see the README): `201 {"name":"…"}`. A custom API with the
/// same name is replaced.
async fn custom_api(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    guarded(&state, &headers, || {
        let name = state
            .dataverse
            .register_declared_custom_api(&body(&bytes)?)
            .map_err(|reason| error(StatusCode::BAD_REQUEST, "invalid_request", reason))?;
        Ok(reply(StatusCode::CREATED, Json::Object(JsonObject::new().with("name", name))))
    })
}

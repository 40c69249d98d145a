//! Endpoints both listeners have: health, the request log and fault injection.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{ControlState, Refusal, authorize, body, error, optional_u64, reply};
use crate::faults::{Fault, Service};
use crate::json::{Json, JsonObject};
use crate::observe::RequestRecord;
use crate::timestamps;

type Shared = Arc<ControlState>;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/health", get(health))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/requests/counts", get(counts))
        .route("/faults", get(faults).put(set_faults).delete(clear_faults))
        .route("/faults/next", post(fail_next))
}

fn service_name(service: Service) -> &'static str {
    match service {
        Service::Dataverse => "dataverse",
        Service::Ironclad => "ironclad",
    }
}

/// `GET /_sandbox/health` (no token needed): `{"service":"dataverse","status":"ok"}`.
async fn health(State(state): State<Shared>) -> Response {
    let body = JsonObject::new().with("service", service_name(state.service)).with("status", "ok");
    reply(StatusCode::OK, Json::Object(body))
}

fn record_json(record: &RequestRecord) -> Json {
    let fault = record.fault.map(fault_name);
    Json::Object(
        JsonObject::new()
            .with("method", record.method.as_str())
            .with("path", record.path.as_str())
            .with("query", record.query.clone())
            .with("route", record.route.as_str())
            .with("status", record.status.map(u64::from))
            .with("fault", fault)
            .with("received_at", timestamps::ironclad_timestamp(record.received_at))
            .with("duration_ms", record.duration.as_millis() as u64),
    )
}

/// `GET /_sandbox/requests`: every API request, oldest first.
async fn requests(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let records: Vec<Json> = state.log.snapshot().iter().map(record_json).collect();
    reply(StatusCode::OK, Json::Array(records))
}

/// `DELETE /_sandbox/requests`.
async fn clear_requests(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    state.log.clear();
    reply(StatusCode::OK, Json::Object(JsonObject::new().with("cleared", true)))
}

/// `GET /_sandbox/requests/counts`: `{"POST /api/data/v9.2/accounts": 3, …}`.
async fn counts(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let mut body = JsonObject::new();
    for (route, count) in state.log.counts() {
        body.insert(route, Json::from(count));
    }
    reply(StatusCode::OK, Json::Object(body))
}

fn fault_name(fault: Fault) -> &'static str {
    match fault {
        Fault::Throttle => "throttle",
        Fault::ServerError => "server_error",
        Fault::DropConnection => "drop_connection",
    }
}

fn settings_json(state: &ControlState) -> Json {
    let settings = state.faults.settings();
    Json::Object(
        JsonObject::new()
            .with("throttle_rate", Json::Number(settings.throttle_rate.to_string()))
            .with("server_error_rate", Json::Number(settings.server_error_rate.to_string()))
            .with("drop_rate", Json::Number(settings.drop_rate.to_string()))
            .with("latency_ms", settings.latency.as_millis() as u64)
            .with("retry_after_ms", settings.retry_after.as_millis() as u64)
            .with("server_error_status", u64::from(settings.server_error_status))
            .with("pending_scripted", u64::from(state.faults.pending_scripted())),
    )
}

/// `GET /_sandbox/faults`.
async fn faults(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    reply(StatusCode::OK, settings_json(&state))
}

fn rate(body: &Json, name: &str) -> Result<Option<f64>, Refusal> {
    match body.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => value
            .as_number_text()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|r| (0.0..=1.0).contains(r))
            .map(Some)
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("'{name}' must be a number from 0 to 1"),
                )
            }),
    }
}

/// `PUT /_sandbox/faults`: change the members given (`throttle_rate`, `server_error_rate`,
/// `drop_rate`, `latency_ms`, `retry_after_ms`, `server_error_status`); answers the settings.
async fn set_faults(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let updated = (|| -> Result<(), Refusal> {
        let body = body(&bytes)?;
        if let Some(object) = body.as_object() {
            for key in object.keys() {
                if ![
                    "throttle_rate",
                    "server_error_rate",
                    "drop_rate",
                    "latency_ms",
                    "retry_after_ms",
                    "server_error_status",
                ]
                .contains(&key)
                {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        format!("unknown member '{key}'"),
                    ));
                }
            }
        }
        let throttle = rate(&body, "throttle_rate")?;
        let server_error = rate(&body, "server_error_rate")?;
        let drop = rate(&body, "drop_rate")?;
        let latency = optional_u64(&body, "latency_ms")?;
        let retry_after = optional_u64(&body, "retry_after_ms")?;
        let status = optional_u64(&body, "server_error_status")?;
        if let Some(status) = status
            && !(500..=599).contains(&status)
        {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "'server_error_status' must be a 5xx status",
            ));
        }
        if let Some(r) = throttle {
            state.faults.set_throttle_rate(r);
        }
        if let Some(r) = server_error {
            state.faults.set_server_error_rate(r);
        }
        if let Some(r) = drop {
            state.faults.set_drop_rate(r);
        }
        if let Some(ms) = latency {
            state.faults.set_latency(Duration::from_millis(ms));
        }
        if let Some(ms) = retry_after {
            state.faults.set_retry_after(Duration::from_millis(ms));
        }
        if let Some(status) = status {
            state.faults.set_server_error_status(status as u16);
        }
        Ok(())
    })();
    match updated {
        Ok(()) => reply(StatusCode::OK, settings_json(&state)),
        Err(refused) => refused.into_response(),
    }
}

/// `DELETE /_sandbox/faults`: no scripts, every rate and the latency zero.
async fn clear_faults(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    state.faults.clear();
    reply(StatusCode::OK, settings_json(&state))
}

/// `POST /_sandbox/faults/next` `{"count":2,"fault":"throttle","method":"POST","path_contains":"/accounts"}`:
/// exactly the next `count` matching API requests get the fault.
async fn fail_next(State(state): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let scripted = (|| -> Result<(), Refusal> {
        let body = body(&bytes)?;
        let count = optional_u64(&body, "count")?.unwrap_or(1);
        let fault = match body.get("fault").and_then(Json::as_str) {
            Some("throttle") => Fault::Throttle,
            Some("server_error") => Fault::ServerError,
            Some("drop_connection") => Fault::DropConnection,
            _ => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "'fault' must be \"throttle\", \"server_error\" or \"drop_connection\"",
                ));
            }
        };
        let method = match body.get("method").and_then(Json::as_str) {
            Some(method) => Some(Method::from_bytes(method.as_bytes()).map_err(|_| {
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("'{method}' is not an HTTP method"),
                )
            })?),
            None => None,
        };
        let path = body.get("path_contains").and_then(Json::as_str);
        state.faults.fail_next_matching(
            u32::try_from(count).unwrap_or(u32::MAX),
            fault,
            method,
            path,
        );
        Ok(())
    })();
    match scripted {
        Ok(()) => reply(StatusCode::OK, settings_json(&state)),
        Err(refused) => refused.into_response(),
    }
}
